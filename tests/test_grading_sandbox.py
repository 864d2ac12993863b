"""Isolation, resource limits and the grader's kernel session (grading.sandbox, grading.kernel).

Each promise is checked from inside a real kernel with tiny code strings. Where a promise is
only bubblewrap's (neighbour files, network, the grader's pid), the same probe also runs
without bwrap as a control and must succeed there, so the check is able to fail.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _processes import processes_with

from rlcourse.grading import sandbox
from rlcourse.grading.kernel import KernelSession, kill_descendants
from rlcourse.grading.sandbox import (
    NOTEBOOK_NAME,
    PACKAGE_DIR,
    Limits,
    PrivateSpace,
    SandboxUnavailable,
    kernel_command,
    kernel_environment,
    resolve_sandbox,
)

HAVE_BWRAP = sandbox.bwrap_path() is not None
needs_bwrap = pytest.mark.skipif(
    not HAVE_BWRAP, reason="bubblewrap (bwrap) is missing or does not work here; CI installs it"
)
MODES = ["none", pytest.param("bwrap", marks=needs_bwrap)]
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")

LIMITS = Limits(memory_mb=1024, file_size_mb=1)
SECRET = "RLCOURSE_TEST_GRADER_SECRET"
STARTUP = "import builtins\nbuiltins.STARTUP_RAN = True\n"


def probe(session: KernelSession, code: str, timeout: float = 20.0):
    """Run code that prints one JSON value; return the value (the cell must succeed)."""
    run = session.execute(textwrap.dedent(code), timeout)
    assert run.status == "ok", (run.status, run.output)
    return json.loads(run.output.strip().splitlines()[-1])


# -- a class folder, a grader HOME full of traps, and one kernel per isolation mode ---------------
@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """Notebooks of a class, a results file and a grader HOME with IPython startup files."""
    root = tmp_path_factory.mktemp("classroom")
    (root / "alice.ipynb").write_text('{"cells": []}')
    (root / "bob.ipynb").write_text("bob's secret answers")
    (root / "grades.json").write_text("{}")
    home = root / "grader-home"
    for profile_dir in (home / ".ipython", root / "grader-ipythondir"):
        startup = profile_dir / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-trap.py").write_text(STARTUP)
    (root / "pythonstartup.py").write_text(STARTUP)
    return root


@pytest.fixture(scope="module", params=MODES)
def session(request, classroom):
    """A kernel started while the grader's environment points at every trap of ``classroom``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(classroom / "grader-home"))
        mp.setenv("IPYTHONDIR", str(classroom / "grader-ipythondir"))
        mp.setenv("PYTHONSTARTUP", str(classroom / "pythonstartup.py"))
        mp.setenv(SECRET, "leaked")
        with PrivateSpace() as space:
            space.place_notebook((classroom / "alice.ipynb").read_bytes())
            with KernelSession(space, isolation=request.param, limits=LIMITS) as ks:
                yield ks


# -- private directories and environment -----------------------------------------------------------
def test_cwd_holds_only_the_notebook_copy(session):
    seen = probe(session, "import os, json; print(json.dumps([os.getcwd(), os.listdir('.')]))")
    assert seen == [str(session.space.work.resolve()), [NOTEBOOK_NAME]]
    assert (session.space.work / NOTEBOOK_NAME).read_text() == '{"cells": []}'


def test_home_tmp_and_ipython_dirs_are_private(session):
    seen = probe(
        session,
        """
        import os, json, tempfile, IPython
        ip = IPython.get_ipython()
        print(json.dumps({"home": os.path.expanduser("~"), "tmp": tempfile.gettempdir(),
                          "ipython": ip.profile_dir.location,
                          "env": sorted(os.environ)}))
        """,
    )
    space = session.space
    assert seen["home"] == str(space.home)
    assert seen["tmp"] == str(space.tmp)
    assert seen["ipython"].startswith(str(space.ipython))
    assert SECRET not in seen["env"] and "PYTHONSTARTUP" not in seen["env"]


def test_grader_startup_files_do_not_run(session, classroom):
    ran = probe(
        session, "import builtins, json; print(json.dumps(hasattr(builtins, 'STARTUP_RAN')))"
    )
    assert ran is False
    # the trap is real: the startup file does set the flag when executed
    namespace: dict = {}
    startup = classroom / "grader-home/.ipython/profile_default/startup/00-trap.py"
    exec(startup.read_text(), namespace)  # noqa: S102
    assert namespace["builtins"].STARTUP_RAN is True
    del namespace["builtins"].STARTUP_RAN


def test_kernel_imports_this_rlcourse(session):
    where = probe(session, "import json, rlcourse; print(json.dumps(rlcourse.__file__))")
    assert Path(where).resolve() == (PACKAGE_DIR / "__init__.py").resolve()


# -- what only bwrap hides (the "none" runs are the controls) --------------------------------------
def test_neighbours_results_and_repo_are_out_of_reach(session, classroom):
    trap = classroom / "grader-home" / ".ipython" / "profile_default" / "startup" / "00-trap.py"
    seen = probe(
        session,
        f"""
        import json
        out = {{}}
        for name, path, mode in [("neighbour", {str(classroom / "bob.ipynb")!r}, "r"),
                                 ("results", {str(classroom / "grades.json")!r}, "a"),
                                 ("grader_home", {str(trap)!r}, "r"),
                                 ("repo", {str(PACKAGE_DIR.parent / "pyproject.toml")!r}, "r")]:
            try:
                with open(path, mode) as f:
                    out[name] = "opened"
            except OSError as exc:
                out[name] = type(exc).__name__
        print(json.dumps(out))
        """,
    )
    assert (classroom / "grades.json").read_text() == "{}"
    names = ["neighbour", "results", "grader_home"]
    names += ["repo"] if (PACKAGE_DIR.parent / "pyproject.toml").exists() else []
    for name in names:  # without bwrap all are reachable: the control run
        assert (seen[name] == "opened") == (session.isolation == "none"), (name, seen)


def test_no_network(session):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        reached = probe(
            session,
            f"""
            import json, socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
                print(json.dumps(True))
            except OSError:
                print(json.dumps(False))
            """,
        )
    assert reached == (session.isolation == "none")


def test_grader_pid_is_invisible(session):
    signalled = probe(
        session,
        f"""
        import json, os
        try:
            os.kill({os.getpid()}, 0)
            print(json.dumps(True))
        except OSError:
            print(json.dumps(False))
        """,
    )
    assert signalled == (session.isolation == "none")


# -- limits and interrupts -----------------------------------------------------------------------
def test_memory_limit_raises_memory_error_and_kernel_survives(session):
    limit = probe(
        session, "import json, resource; print(json.dumps(resource.getrlimit(resource.RLIMIT_AS)))"
    )
    assert limit == [LIMITS.memory_mb * 2**20] * 2
    small = probe(
        session, "import json, numpy as np; a = np.ones(2**24); print(json.dumps(a.nbytes))"
    )
    assert small == 2**27  # 128 MiB is fine
    run = session.execute("import numpy as np\nbig = np.ones(2**28)", 20)  # 2 GiB > 1 GiB
    assert (run.status, run.ename, run.responsive) == ("error", "MemoryError", True)
    assert probe(session, "print(6 * 7)") == 42


def test_file_size_limit(session):
    seen = probe(
        session,
        """
        import json
        out = []
        for size in (512 * 1024, 2 * 1024 * 1024):
            try:
                with open("big.bin", "wb") as f:
                    f.write(b"x" * size)
                out.append("ok")
            except OSError as exc:
                out.append(type(exc).__name__)
        print(json.dumps(out))
        """,
    )
    assert seen == ["ok", "OSError"]


def test_endless_loop_is_interrupted(session):
    run = session.execute("while True:\n    pass", 1.0)
    assert (run.status, run.responsive) == ("timeout", True)
    assert run.seconds < 1.0 + 3.5
    assert probe(session, "print(1 + 1)") == 2


# -- exits and deaths ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spare_spaces():
    with PrivateSpace() as space:
        yield space


@pytest.mark.parametrize("isolation", MODES)
@pytest.mark.parametrize(
    "code, status, exited",
    [("exit()", "ok", True), ("quit()", "ok", True), ("import os\nos._exit(3)", "died", False)],
)
def test_exit_quit_and_os_exit(spare_spaces, isolation, code, status, exited):
    with KernelSession(spare_spaces, isolation=isolation) as ks:
        assert ks.execute("x = 1", 20).status == "ok"
        run = ks.execute(code, 20)
        assert (run.status, run.exited, run.responsive) == (status, exited, False)
        assert ks.execute("print(x)", 5).status == "died"  # unusable until restarted
        ks.restart()
        assert probe(ks, "print(x if 'x' in dir() else 2)") == 2  # a fresh namespace


@pytest.mark.parametrize("isolation", MODES)
def test_oversized_message_counts_as_died(spare_spaces, isolation):
    with KernelSession(spare_spaces, isolation=isolation, max_message_bytes=1_000_000) as ks:
        run = ks.execute("import sys\nsys.stdout.write('x' * 3_000_000)\nsys.stdout.flush()", 20)
        assert (run.status, run.responsive) == ("died", False)
        ks.restart()
        assert probe(ks, "print(len('x' * 10_000))") == 10_000


# -- nothing survives shutdown ---------------------------------------------------------------------
ESCAPE = """
import os, subprocess
subprocess.Popen(["sh", "-c", "(sleep {token} &) ; exit 0"], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""


def _wait_for(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@needs_proc
@pytest.mark.parametrize("isolation", MODES)
def test_setsid_double_fork_is_gone_after_shutdown(spare_spaces, isolation):
    token = f"{300 + int.from_bytes(os.urandom(3), 'big') / 1e7:.7f}"
    ks = KernelSession(spare_spaces, isolation=isolation)
    ks.start()
    try:
        assert ks.execute(ESCAPE.format(token=token), 20).status == "ok"
        assert _wait_for(lambda: processes_with(token)), "the escaping sleep did not start"
    finally:
        ks.shutdown()
    assert _wait_for(lambda: not processes_with(token)), "an escaped process outlived shutdown()"


@needs_proc
def test_subreaper_and_kill_descendants_catch_escaped_processes():
    token = f"{300 + int.from_bytes(os.urandom(3), 'big') / 1e7:.7f}"
    code = f"""
import subprocess, sys, time
from rlcourse.grading.kernel import become_subreaper, kill_descendants
print(become_subreaper())
subprocess.run(["sh", "-c", "(sleep {token} &) ; exit 0"], start_new_session=True)
time.sleep(0.3)
print(kill_descendants())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    reaper, killed = done.stdout.split()
    assert reaper == "True" and int(killed) >= 1
    assert _wait_for(lambda: not processes_with(token))


@needs_proc
def test_kill_descendants_of_a_given_pid():
    token = f"{300 + int.from_bytes(os.urandom(3), 'big') / 1e7:.7f}"
    parent = subprocess.Popen(["sh", "-c", f"sleep {token} & sleep {token}; wait"])
    try:
        assert _wait_for(lambda: len(processes_with(token)) == 2)
        assert kill_descendants(parent.pid) == 2
        assert _wait_for(lambda: not processes_with(token))
    finally:
        parent.kill()
        parent.wait()


KILLED_GRADER = """
import sys, time
from rlcourse.grading.kernel import KernelSession
from rlcourse.grading.sandbox import PrivateSpace

space = PrivateSpace().create()
ks = KernelSession(space, isolation=sys.argv[1])
ks.start()
ks.execute("import subprocess; subprocess.Popen(['sleep', '300'], start_new_session=True)", 20)
print(ks._mark, flush=True)
time.sleep(300)
"""


def _marked(mark: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                environ = Path(f"/proc/{name}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"RLCOURSE_KERNEL_SESSION={mark}".encode() in environ:
                found.append(int(name))
    return found


@needs_proc
@pytest.mark.parametrize("isolation", MODES)
def test_kernel_dies_with_a_killed_grader(isolation):
    grader = subprocess.Popen(
        [sys.executable, "-c", KILLED_GRADER, isolation], stdout=subprocess.PIPE, text=True
    )
    try:
        mark = grader.stdout.readline().strip()
        assert mark and _wait_for(lambda: len(_marked(mark)) >= 2)  # kernel and its sleep
    finally:
        grader.kill()
        grader.wait()
    if isolation == "bwrap":
        assert _wait_for(lambda: not _marked(mark)), "the sandbox outlived the grader"
    else:  # the kernel stops (its parent poller); only bwrap also ends what left its session
        assert _wait_for(lambda: len(_marked(mark)) == 1)
        (survivor,) = _marked(mark)
        assert Path(f"/proc/{survivor}/cmdline").read_bytes().startswith(b"sleep")
        os.kill(survivor, 9)


# -- modes, limits, spaces and commands (no kernel) ------------------------------------------------
def test_resolve_sandbox_modes(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(SandboxUnavailable, match="apt install bubblewrap") as info:
        resolve_sandbox("require")
    assert "README" in str(info.value) and "dnf install bubblewrap" in str(info.value)
    assert resolve_sandbox("auto") == "none"
    assert resolve_sandbox("off") == "none"
    with pytest.raises(ValueError, match="auto, require, off"):
        resolve_sandbox("strict")
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: "/usr/bin/bwrap")
    assert resolve_sandbox("require") == resolve_sandbox("auto") == "bwrap"
    assert resolve_sandbox("off") == "none"


@pytest.mark.parametrize(
    "kwargs",
    [{"memory_mb": 0}, {"processes": 2.5}, {"file_size_mb": True}, {"notebook_timeout": 0}],
)
def test_limits_reject_bad_values(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Limits(**kwargs)


def test_limits_are_frozen_and_keyword_only():
    with pytest.raises(TypeError):
        Limits(1024)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        Limits().memory_mb = 1  # type: ignore[misc]


def test_private_space_cleanup_survives_hostile_leftovers(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    with PrivateSpace(parent=tmp_path) as space:
        root = space.root
        assert sorted(p.name for p in root.iterdir()) == sorted(PrivateSpace.SUBDIRS)
        locked = space.work / "locked" / "deeper"
        locked.mkdir(parents=True)
        (locked / "f\nodd \x1b[31mname").write_text("x")
        (space.work / "-rf").write_text("x")
        (space.work / "link-out").symlink_to(outside)
        (space.work / "link-file").symlink_to(outside / "keep.txt")
        os.chmod(locked, 0o500)
        os.chmod(locked.parent, 0o500)
        os.chmod(space.tmp, 0)
    assert not root.exists()
    assert (outside / "keep.txt").read_text() == "keep"


def test_place_notebook_uses_a_safe_fixed_name():
    with PrivateSpace() as space:
        path = space.place_notebook(b"data")
        assert path == space.work / NOTEBOOK_NAME and path.read_bytes() == b"data"
        for bad in ("../x.ipynb", "-rf.ipynb", ".hidden", "a/b", "x\n.ipynb"):
            with pytest.raises(ValueError, match="unsafe notebook name"):
                space.place_notebook(b"", bad)


def test_environment_is_built_from_scratch(monkeypatch):
    with PrivateSpace() as space:
        env = kernel_environment(space, {"PATH": "/usr/bin", "RLCOURSE_QUICK": "1", SECRET: "x"})
        assert SECRET not in env and env["RLCOURSE_QUICK"] == "1"
        assert env["PYTHONPATH"] == str(PACKAGE_DIR.parent)
        assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "1"
        assert env["PYTHONNOUSERSITE"] == "1" and "PYTHONSTARTUP" not in env
        assert "RLCOURSE_QUICK" not in kernel_environment(space, {"PATH": "/usr/bin"})


def test_bwrap_command_binds_the_package_not_its_folder(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: "/usr/bin/bwrap")
    with PrivateSpace() as space:
        cmd = kernel_command(["python", "-c", "1"], space, isolation="bwrap", limits=Limits())
    binds = {cmd[i + 1] for i, arg in enumerate(cmd) if arg in ("--ro-bind", "--bind")}
    assert str(PACKAGE_DIR) in binds and str(PACKAGE_DIR.parent) not in binds
    assert str(Path.home()) not in binds and "/" not in binds
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in cmd
    assert cmd[-3:] == ["python", "-c", "1"]
    # the fresh /tmp is mounted before every bind: a venv or a checkout under /tmp (a CI clone)
    # stays visible instead of being hidden by it
    first_bind = min(i for i, arg in enumerate(cmd) if arg in ("--ro-bind", "--bind"))
    assert cmd.index("--tmpfs") < first_bind and cmd[cmd.index("--tmpfs") + 1] == "/tmp"
    with pytest.raises(ValueError, match="isolation"):
        kernel_command([], space, isolation="docker", limits=Limits())


# -- dropping root --------------------------------------------------------------------------------
needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="--drop-root only acts for root"
)


def _launch(*options: str, script: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-I", "-S", str(sandbox.LIMITS_SCRIPT), *options, "--"]
    return subprocess.run(
        [*command, "/bin/sh", "-c", script], capture_output=True, text=True, timeout=60, cwd="/"
    )


@needs_root
def test_drop_root_switches_to_nobody_and_enforces_process_limit():
    assert _launch("--drop-root", script="id -u; id -g").stdout.split() == ["65534", "65534"]
    assert _launch(script="id -u").stdout.split() == ["0"]
    many = "for i in $(seq 60); do sleep 0.5 & done; wait; echo all-started"
    limited = _launch("--processes=20", "--drop-root", script=many)
    assert "all-started" not in limited.stdout  # the 21st process of nobody could not start
    roomy = _launch("--processes=2000", "--drop-root", script=many)
    assert "all-started" in roomy.stdout, roomy.stderr


@needs_root
@pytest.mark.skipif(
    not sandbox.drop_root_works(),
    reason="this interpreter cannot run as nobody (e.g. it lives under a private /root)",
)
@pytest.mark.parametrize("isolation", MODES)
def test_kernel_runs_as_nobody(isolation):
    with PrivateSpace(owner=65534) as space:
        space.place_notebook(b"{}")
        with KernelSession(space, isolation=isolation, drop_root=True) as ks:
            assert probe(ks, "import os; print(os.getuid())") == 65534
            assert probe(ks, "open('mine.txt', 'w').write('x'); print(1)") == 1


def test_a_checkout_inside_a_bound_folder_is_hidden_but_the_package_shown(monkeypatch, tmp_path):
    """A checkout under a folder bwrap binds (say /usr/src with the system's Python) may hold
    the submissions and the results: it is covered by an empty tmpfs, then the package and any
    interpreter folder inside it are bound again on top."""
    system = tmp_path / "usr"
    checkout = system / "src" / "course"
    package = checkout / "rlcourse"
    package.mkdir(parents=True)
    (checkout / ".venv").mkdir()
    monkeypatch.setattr(sandbox, "SYSTEM_DIRS", (str(system),))
    monkeypatch.setattr(sandbox, "PACKAGE_DIR", package)
    monkeypatch.setattr(sandbox.sys, "prefix", str(checkout / ".venv"))
    with PrivateSpace() as space:
        args = sandbox.bwrap_arguments(space, {})
    hidden = args.index("--tmpfs", args.index("/tmp") + 1)
    assert args[hidden + 1] == str(checkout)
    rebound = [args[i + 1] for i in range(hidden, len(args)) if args[i] == "--ro-bind"]
    assert str(package) in rebound and str(checkout / ".venv") in rebound
    assert args.index(str(system)) < hidden  # the system folder is bound first
