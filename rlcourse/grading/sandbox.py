"""Where and how a student's kernel runs: private directories, a minimal environment, limits, bwrap.

A submission's kernel gets a :class:`PrivateSpace` (a fresh temporary tree with its own working
directory holding only a copy of the notebook being graded, HOME, temp, IPython and Jupyter
directories), an environment built from scratch by :func:`kernel_environment` (nothing of the
grader's leaks: no startup file, no ``~/.ipython``, no tokens), resource limits (:class:`Limits`,
applied by the tiny launcher ``limits.py``) and, on Linux when bubblewrap works, a sandbox
(:func:`kernel_command`): a read-only view of the system and of this package only, no network,
its own PID namespace, killed with the grader. ``resolve_sandbox("auto")`` picks bwrap when it
works and runs without it otherwise; ``"require"`` refuses to run without it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import site
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SANDBOX_MODES = ("auto", "require", "off")
"""Values of ``rlcourse grade --sandbox``."""

NOTEBOOK_NAME = "submission.ipynb"
"""The name of the notebook copy in the kernel's working directory."""

PACKAGE_DIR = Path(__file__).resolve().parent.parent
"""The ``rlcourse`` package directory (bound read-only into the sandbox)."""

LIMITS_SCRIPT = Path(__file__).resolve().parent / "limits.py"
"""The rlimit launcher, run by path so that it imports nothing heavy."""

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
"""System folders visible (read-only) inside the sandbox when they exist."""

INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: 'apt install bubblewrap'; Fedora/RHEL: 'dnf install "
    "bubblewrap'; Arch: 'pacman -S bubblewrap'; openSUSE: 'zypper install bubblewrap') and "
    "check that 'bwrap --ro-bind / / --unshare-all --die-with-parent true' runs (inside a "
    "container, unprivileged user namespaces must be allowed); the README's grading section "
    "also gives a container recipe for running the grader fully contained"
)


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Resource bounds of one submission's kernel (and everything it starts)."""

    memory_mb: int = 4096
    """Address space of the kernel in MiB (RLIMIT_AS): a bigger allocation raises MemoryError."""
    processes: int = 256
    """Processes and threads of the kernel's user (RLIMIT_NPROC; only enforced for non-root)."""
    file_size_mb: int = 256
    """Largest file the kernel may write, in MiB (RLIMIT_FSIZE); a bigger write fails."""
    notebook_timeout: float = 1200.0
    """Wall-time budget in seconds for the whole notebook (carried here, enforced by the grader)."""

    def __post_init__(self) -> None:
        for name, lowest in (("memory_mb", 64), ("processes", 8), ("file_size_mb", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                raise ValueError(
                    f"Limits.{name} must be a whole number >= {lowest}, got {value!r}; "
                    f"a kernel cannot start with less (the default is "
                    f"{getattr(Limits, name)})."
                )
        value = self.notebook_timeout
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(
                f"Limits.notebook_timeout must be a positive number of seconds, got {value!r}."
            )

    def launcher_args(self, *, drop_root: bool = False) -> list[str]:
        """The options of ``limits.py`` that apply these limits."""
        args = [
            f"--memory-mb={self.memory_mb}",
            f"--processes={self.processes}",
            f"--file-size-mb={self.file_size_mb}",
        ]
        return args + (["--drop-root"] if drop_root else [])


class SandboxUnavailable(RuntimeError):
    """``--sandbox=require`` was asked for, but bubblewrap is missing or does not work here."""


@functools.cache
def bwrap_path() -> str | None:
    """The path of a *working* ``bwrap``, or None (found on PATH and probed once, cached)."""
    if not sys.platform.startswith("linux"):
        return None
    path = shutil.which("bwrap")
    if path is None:
        return None
    probe = [path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent"]
    probe += ["--proc", "/proc", "--dev", "/dev", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if done.returncode == 0 else None


@functools.cache
def drop_root_works() -> bool:
    """Whether kernels can run as ``nobody`` here: the grader is root and, as ``nobody``, this
    interpreter runs and imports ipykernel and rlcourse (not so when Python lives under a
    private ``/root``, e.g. pyenv or conda in root's home). Probed once, cached."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    code = "import ipykernel, rlcourse.grading.kernel_hook"
    probe = [sys.executable, "-I", "-S", str(LIMITS_SCRIPT), "--drop-root", "--"]
    probe += [sys.executable, "-c", code]
    env = {"PATH": os.defpath, "PYTHONPATH": str(PACKAGE_DIR.parent), "HOME": "/"}
    try:
        done = subprocess.run(probe, capture_output=True, timeout=60, check=False, env=env, cwd="/")
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def resolve_sandbox(mode: str) -> str:
    """``"bwrap"`` or ``"none"`` for a ``--sandbox`` mode (see :data:`SANDBOX_MODES`).

    ``"auto"``: bwrap when it works, else none; ``"off"``: none; ``"require"``: bwrap or
    :class:`SandboxUnavailable` saying how to install it.
    """
    if mode not in SANDBOX_MODES:
        raise ValueError(
            f"unknown sandbox mode {mode!r}; use one of {', '.join(SANDBOX_MODES)} "
            "(auto: bubblewrap when it works, require: refuse to grade without it, off: never)."
        )
    if mode == "off":
        return "none"
    if bwrap_path() is not None:
        return "bwrap"
    if mode == "require":
        raise SandboxUnavailable(
            "--sandbox=require: no working bubblewrap ('bwrap') was found, so submissions "
            f"cannot be isolated. To fix it, {INSTALL_HINT}. Or grade with --sandbox=auto to "
            "run without isolation (private directories and resource limits only)."
        )
    return "none"


_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


class PrivateSpace:
    """A fresh temporary tree for one kernel; removed completely on exit.

    ``root`` holds ``work/`` (the kernel's cwd, with the notebook copy only), ``home/``,
    ``tmp/``, ``ipython/``, ``jupyter/`` (``config``, ``data``, ``runtime``) and ``conn/``
    (connection file and IPC sockets). With ``owner`` (a uid, e.g. 65534 when the kernel drops
    root) the whole tree belongs to that user so the kernel can write it.
    """

    SUBDIRS = ("work", "home", "tmp", "ipython", "jupyter", "conn")

    def __init__(self, *, owner: int | None = None, parent: str | os.PathLike | None = None):
        self.owner, self.parent = owner, parent
        self._root: Path | None = None

    @property
    def root(self) -> Path:
        """The top of the tree (only valid between enter and exit)."""
        if self._root is None:
            raise RuntimeError("PrivateSpace is not created: use it as 'with PrivateSpace() as s'.")
        return self._root

    work = property(lambda self: self.root / "work", doc="The kernel's working directory.")
    home = property(lambda self: self.root / "home", doc="The kernel's HOME.")
    tmp = property(lambda self: self.root / "tmp", doc="The kernel's TMPDIR.")
    ipython = property(lambda self: self.root / "ipython", doc="The kernel's IPYTHONDIR.")
    jupyter = property(lambda self: self.root / "jupyter", doc="Jupyter config/data/runtime.")
    conn = property(lambda self: self.root / "conn", doc="Connection file and IPC sockets.")

    def create(self) -> PrivateSpace:
        """Make the tree (idempotent)."""
        if self._root is not None:
            return self
        parent = self.parent
        if parent is None and os.name == "posix" and len(tempfile.gettempdir()) > 40:
            parent = "/tmp"  # keep IPC socket paths well under the 107-byte limit
        root = Path(tempfile.mkdtemp(prefix="rlgrade-", dir=parent))
        self._root = root
        for name in self.SUBDIRS:
            (root / name).mkdir(mode=0o700)
        for name in ("config", "data", "runtime"):
            (root / "jupyter" / name).mkdir(mode=0o700)
        if self.owner is not None:
            for path in [root, *root.rglob("*")]:
                os.chown(path, self.owner, self.owner)
        return self

    def place_notebook(self, data: bytes, name: str = NOTEBOOK_NAME) -> Path:
        """Write ``data`` as ``work/<name>`` and return its path.

        Pass a name of the grader's choosing (the default), never the student's file name:
        the kernel must not learn it, and it must not start with ``-`` or hold separators.
        """
        if not _SAFE_NAME.fullmatch(name):
            raise ValueError(
                f"unsafe notebook name {name!r}: use letters, digits, '_', '.' and '-' only, "
                f"not starting with '.' or '-' (e.g. the default {NOTEBOOK_NAME!r})."
            )
        path = self.work / name
        path.write_bytes(data)
        if self.owner is not None:
            os.chown(path, self.owner, self.owner)
        return path

    def cleanup(self) -> None:
        """Remove the tree, whatever the student did to it (read-only dirs, odd names, links)."""
        root, self._root = self._root, None
        if root is not None:
            remove_tree(root)

    def __enter__(self) -> PrivateSpace:
        return self.create()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        return f"PrivateSpace({str(self._root) if self._root else 'not created'})"


def remove_tree(root: Path) -> None:
    """``rm -rf root`` that never follows symlinks and first makes every directory writable."""
    if not os.path.lexists(root):
        return
    if os.path.islink(root) or not os.path.isdir(root):
        os.unlink(root)
        return
    for dirpath, dirnames, _files in os.walk(root, followlinks=False):
        for name in dirnames:
            _make_writable(os.path.join(dirpath, name))
        _make_writable(dirpath)

    def retry(function, path, _exc_info):  # noqa: ANN001
        parent = os.path.dirname(path)
        _make_writable(parent)
        _make_writable(path)
        with contextlib.suppress(FileNotFoundError):
            function(path)

    shutil.rmtree(root, onerror=retry)


def _make_writable(path: str) -> None:
    try:
        info = os.lstat(path)
        if stat.S_ISDIR(info.st_mode):
            os.chmod(path, stat.S_IMODE(info.st_mode) | stat.S_IRWXU)
    except OSError:
        pass


def kernel_environment(space: PrivateSpace, base: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment for the kernel, built from scratch (not a copy of the grader's).

    Only ``PATH`` and ``RLCOURSE_QUICK`` come from ``base`` (default ``os.environ``); every
    directory the kernel or its libraries write is inside ``space``; thread counts are 1 so
    results are identical graded serially or in parallel; ``PYTHONPATH`` makes the kernel
    import this very ``rlcourse`` package.
    """
    base = os.environ if base is None else base
    bindir = os.path.dirname(sys.executable)
    path = base.get("PATH") or os.defpath
    locale = "C.UTF-8" if sys.platform.startswith("linux") else base.get("LANG", "en_US.UTF-8")
    env = {
        "PATH": bindir + os.pathsep + path,
        "LANG": locale,
        "LC_ALL": locale,
        "HOME": str(space.home),
        "USERPROFILE": str(space.home),
        "TMPDIR": str(space.tmp),
        "TEMP": str(space.tmp),
        "TMP": str(space.tmp),
        "IPYTHONDIR": str(space.ipython),
        "JUPYTER_CONFIG_DIR": str(space.jupyter / "config"),
        "JUPYTER_DATA_DIR": str(space.jupyter / "data"),
        "JUPYTER_RUNTIME_DIR": str(space.jupyter / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLCONFIGDIR": str(space.tmp / "matplotlib"),
        "XDG_CONFIG_HOME": str(space.home / ".config"),
        "XDG_CACHE_HOME": str(space.home / ".cache"),
        "XDG_DATA_HOME": str(space.home / ".local" / "share"),
        "XDG_STATE_HOME": str(space.home / ".local" / "state"),
        "XDG_RUNTIME_DIR": str(space.tmp),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": str(PACKAGE_DIR.parent),
        "RLCOURSE_GRADING": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    if "RLCOURSE_QUICK" in base:
        env["RLCOURSE_QUICK"] = base["RLCOURSE_QUICK"]
    return env


def _python_paths() -> list[str]:
    """What the kernel needs besides the system: the interpreter's prefixes, its folder,
    site-packages and the rlcourse package (real paths of existing folders)."""
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix]
    candidates += site.getsitepackages() if hasattr(site, "getsitepackages") else []
    candidates += [str(Path(sys.executable).resolve().parent), str(PACKAGE_DIR)]
    return _existing(candidates)


def _existing(candidates: list[str]) -> list[str]:
    found: list[str] = []
    for path in candidates:
        if os.path.isdir(path) and not os.path.islink(path):
            real = os.path.realpath(path)
            if real not in found:
                found.append(real)
    return found


def _outermost(paths: list[str]) -> list[str]:
    """``paths`` without those already inside another one (a bound parent shows them)."""
    kept: list[str] = []
    for path in sorted(paths):
        if not any(_inside(path, k) or path == k for k in kept):
            kept.append(path)
    return kept


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")


def _readonly_paths() -> list[str]:
    """System folders, the interpreter's prefixes, site-packages and the rlcourse package."""
    return _outermost(_existing(list(SYSTEM_DIRS)) + _python_paths())


def bwrap_arguments(space: PrivateSpace, env: dict[str, str]) -> list[str]:
    """bwrap's options (without the program): what the kernel sees and may do."""
    args = ["--unshare-all", "--die-with-parent", "--new-session"]
    # the fresh /dev, /proc and /tmp first: a later mount hides what lies under it, and the
    # interpreter, its virtual environment or the package may well live under /tmp
    args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in SYSTEM_DIRS:  # merged /usr: /bin -> usr/bin and friends stay links
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
    bound = _readonly_paths()
    for path in bound:
        args += ["--ro-bind", path, path]
    # the folder holding the package (a checkout, perhaps with submissions and results in it)
    # is hidden even when a bound folder contains it (a checkout in /usr/src, with the system's
    # Python); only what the kernel needs is shown again. A regular install lives in
    # site-packages, which stays as it is.
    checkout = os.path.realpath(PACKAGE_DIR.parent)
    site_dirs = _existing(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    installed = any(checkout == d or _inside(checkout, d) for d in site_dirs)  # pip install .
    if not installed and any(_inside(checkout, path) for path in bound):
        args += ["--tmpfs", checkout]
        for path in _outermost([p for p in _python_paths() if _inside(p, checkout)]):
            args += ["--ro-bind", path, path]
    root = str(space.root.resolve())
    args += ["--bind", root, root, "--chdir", str(space.work.resolve())]
    args += ["--clearenv"]
    for key, value in sorted(env.items()):
        args += ["--setenv", key, value]
    return args


def kernel_command(
    argv: list[str],
    space: PrivateSpace,
    *,
    isolation: str,
    limits: Limits,
    env: dict[str, str] | None = None,
    drop_root: bool = False,
) -> list[str]:
    """Wrap a kernel's ``argv``: limits launcher, then bwrap (``isolation="bwrap"``), then argv.

    ``env`` is the environment set inside the sandbox (default :func:`kernel_environment`);
    with ``"none"`` the caller passes it to the process itself. ``drop_root``: the launcher
    switches from root to ``nobody`` (the space must be created with that ``owner``).
    """
    if isolation not in ("bwrap", "none"):
        raise ValueError(
            f"isolation must be 'bwrap' or 'none' (see resolve_sandbox), got {isolation!r}."
        )
    command = [
        sys.executable,
        "-I",
        "-S",
        str(LIMITS_SCRIPT),
        *limits.launcher_args(drop_root=drop_root),
        "--",
    ]
    if isolation == "bwrap":
        bwrap = bwrap_path()
        if bwrap is None:
            raise SandboxUnavailable(
                f"bwrap isolation was asked for but does not work here; {INSTALL_HINT}."
            )
        env = kernel_environment(space) if env is None else env
        command += [bwrap, *bwrap_arguments(space, env), "--"]
    return command + list(argv)
