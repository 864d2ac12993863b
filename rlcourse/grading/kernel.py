"""A Python kernel that the grader can time out, interrupt, restart, read safely and kill.

:class:`KernelSession` starts ``ipykernel`` with the *current* interpreter (``sys.executable``)
inside a :class:`~rlcourse.grading.sandbox.PrivateSpace`: a minimal environment, resource
limits and, with ``isolation="bwrap"``, bubblewrap (see :mod:`rlcourse.grading.sandbox`). The
grader talks to it over Unix sockets in ``space.conn`` (so a kernel without network still
answers) and interrupts it with an ``interrupt_request`` message (a signal could not cross the
sandbox's PID namespace). :meth:`KernelSession.execute` runs one cell with a wall-clock limit
and returns a :class:`CellRun`; it never raises for anything the student's code does:

- ``"ok"`` / ``"error"``: the cell finished (with an exception for ``"error"``); ``exited`` when
  the code called ``exit()``/``quit()`` (the kernel then stops: ``responsive`` is False);
- ``"timeout"``: the limit passed; the kernel was interrupted (``responsive`` says whether it
  answered the interrupt; if not the caller must :meth:`~KernelSession.restart`);
- ``"died"``: the kernel process ended (``os._exit``, a crash) or the connection to it dropped
  (for instance a single output message above ``max_message_bytes``).

Output is kept in a bounded buffer; ``display_data`` of :data:`RESULT_MIME` is collected apart.
:meth:`KernelSession.shutdown` leaves no process of the submission behind; a worker process
also calls :func:`become_subreaper` at start and :func:`kill_descendants` at the end.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlcourse.grading.calls import BoundedBuffer
from rlcourse.grading.kernel_hook import RESULT_MIME
from rlcourse.grading.sandbox import (
    Limits,
    PrivateSpace,
    kernel_command,
    kernel_environment,
)

CELL_OUTPUT_LIMIT = 4000
"""Characters of a cell's output kept by the grader (the rest is counted and dropped)."""

INTERRUPT_GRACE = 3.0
"""Seconds a kernel gets to answer an interrupt before it is restarted."""

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""Largest single ZMQ message frame the grader accepts from a kernel; a bigger one drops the
connection (the cell then counts as "died") instead of exhausting the grader's memory."""

REPLY_WAIT = 2.0
"""Seconds to wait for a cell's execute_reply once its output is complete."""

DEFAULT_LIMITS = Limits()
"""The limits of a session that names none (see :class:`~rlcourse.grading.sandbox.Limits`)."""

_SESSION_MARK = "RLCOURSE_KERNEL_SESSION"
"""Environment variable tagging every process of one session (found again in /proc)."""


@dataclass
class CellRun:
    """What happened when one piece of code ran in the kernel."""

    status: str
    """"ok", "error", "timeout" or "died"."""
    ename: str = ""
    evalue: str = ""
    output: str = ""
    """The first CELL_OUTPUT_LIMIT characters of stdout/stderr/text output."""
    results: list[dict] = field(default_factory=list)
    """Payloads of RESULT_MIME display messages."""
    seconds: float = 0.0
    responsive: bool = True
    """False when the kernel must be restarted before it can be used again."""
    exited: bool = False
    """True when the code asked the kernel to exit (``exit()``, ``quit()``)."""


def _kernel_spec_manager(argv: list[str]) -> Any:
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class CurrentEnvironment(KernelSpecManager):
        """Every kernel name resolves to ipykernel on this interpreter, wrapped by ``argv``."""

        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=argv,
                display_name="Python 3 (rlcourse grader)",
                language="python",
                interrupt_mode="message",
                resource_dir=str(Path(__file__).parent),
            )

    return CurrentEnvironment()


IPYKERNEL_ARGV = [
    sys.executable,
    "-m",
    "ipykernel_launcher",
    "-f",
    "{connection_file}",
    "--HistoryManager.hist_file=:memory:",
]
"""The kernel itself; :func:`~rlcourse.grading.sandbox.kernel_command` wraps it."""


class KernelSession:
    """One sandboxed ipykernel process plus a blocking client; restartable.

    ``space`` must be created (``with PrivateSpace() as space``) and holds the kernel's working
    directory; ``isolation`` is ``"bwrap"`` or ``"none"``
    (:func:`~rlcourse.grading.sandbox.resolve_sandbox`); ``drop_root`` runs the kernel as
    ``nobody`` when the grader is root (create the space with ``owner=65534``).
    """

    def __init__(
        self,
        space: PrivateSpace,
        *,
        isolation: str = "none",
        limits: Limits = DEFAULT_LIMITS,
        startup_timeout: float = 60.0,
        output_limit: int = CELL_OUTPUT_LIMIT,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        drop_root: bool = False,
    ):
        if isolation not in ("bwrap", "none"):
            raise ValueError(
                f"isolation must be 'bwrap' or 'none' (see resolve_sandbox), got {isolation!r}."
            )
        if drop_root and space.owner is None:
            raise ValueError(
                "drop_root=True needs a space the kernel's user can write: create it with "
                "PrivateSpace(owner=65534) (rlcourse.grading.limits.UNPRIVILEGED_ID)."
            )
        self.space, self.isolation, self.limits = space, isolation, limits
        self.startup_timeout, self.output_limit = startup_timeout, output_limit
        self.max_message_bytes, self.drop_root = max_message_bytes, drop_root
        self.km = self.kc = self.context = self._monitor = None
        self.restarts = 0
        self._mark = ""
        self._broken = False

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the kernel and wait until it answers (raises RuntimeError if it cannot)."""
        import zmq
        from jupyter_client import KernelManager

        self._mark, self._broken = os.urandom(12).hex(), False
        env = kernel_environment(self.space)
        env[_SESSION_MARK] = self._mark
        argv = kernel_command(
            IPYKERNEL_ARGV,
            self.space,
            isolation=self.isolation,
            limits=self.limits,
            env=env,
            drop_root=self.drop_root,
        )
        ipc = hasattr(socket, "AF_UNIX") and os.name == "posix"
        self.context = zmq.Context()
        self.context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        extra = {"transport": "ipc", "ip": str(self.space.conn / "k")} if ipc else {}
        self.km = KernelManager(
            kernel_name="python3",
            kernel_spec_manager=_kernel_spec_manager(argv),
            context=self.context,
            connection_file=str(self.space.conn / "kernel.json"),
            **extra,
        )
        log = self.space.root / "kernel-startup.log"  # outside work/: not the student's
        try:
            with open(log, "wb") as stderr:
                self.km.start_kernel(
                    env=env,
                    cwd=str(self.space.work),
                    stdin=_devnull(),
                    stdout=_devnull(),
                    stderr=stderr,
                )
            self.kc = self.km.client(context=self.context)
            self.kc.start_channels()
            self._monitor = self.kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
            self.kc.wait_for_ready(timeout=self.startup_timeout)
            while self._monitor.poll(0):  # connecting before the kernel listened is no drop
                self._monitor.recv_multipart()
        except Exception as exc:
            self.shutdown()
            raise RuntimeError(
                f"the grading kernel did not start (isolation={self.isolation!r}, memory "
                f"limit {self.limits.memory_mb} MiB, startup limit {self.startup_timeout:g} s): "
                f"{exc}. Check that ipykernel is installed in this environment and that the "
                f"memory limit is not too small for it. Kernel's stderr:\n{_tail(log)}"
            ) from exc

    def shutdown(self) -> None:
        """Stop the kernel and every process it started (also ones that left its group)."""
        pid = None
        with contextlib.suppress(Exception):
            pid = self.km.provisioner.process.pid
        try:
            if self._monitor is not None:
                with contextlib.suppress(Exception):
                    self.kc.iopub_channel.socket.disable_monitor()
                self._monitor.close(linger=0)
            if self.kc is not None:
                self.kc.stop_channels()
        finally:
            self.kc = self._monitor = None
            if pid is not None:
                kill_descendants(pid)  # before the kernel dies and they are orphaned
            if self.km is not None:
                with contextlib.suppress(Exception):  # already dead is fine
                    self.km.shutdown_kernel(now=True)
                self.km = None
            if self._mark:
                _kill_marked(self._mark)
            if self.context is not None:
                self.context.destroy(linger=0)
                self.context = None

    def restart(self) -> None:
        """A fresh process (the old one is killed); the caller replays what it needs."""
        self.shutdown()
        self.restarts += 1
        self.start()

    def __enter__(self) -> KernelSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def is_alive(self) -> bool:
        """Whether the kernel process is running."""
        return self.km is not None and self.km.is_alive()

    # -- running code -----------------------------------------------------------------------
    def execute(self, code: str, timeout: float) -> CellRun:
        """Run ``code`` with a wall-clock limit of ``timeout`` seconds; never raises for it."""
        start = time.monotonic()
        run = CellRun("ok")
        buffer = BoundedBuffer(self.output_limit)
        if self.kc is None or self._broken or not self.is_alive():
            run.status, run.responsive = "died", False
            run.ename, run.evalue = "KernelDied", "the kernel is not running; restart it"
            return run
        msg_id = self.kc.execute(code, store_history=True, allow_stdin=False, stop_on_error=False)
        done = self._collect(msg_id, start + timeout, run, buffer)
        if done is None:  # the limit passed: interrupt, give it a moment to answer
            run.status = "timeout"
            try:
                self.km.interrupt_kernel()
                done = self._collect(
                    msg_id, time.monotonic() + INTERRUPT_GRACE, run, buffer, keep_errors=False
                )
            except Exception:  # noqa: BLE001
                done = None
            run.responsive = done == "idle"
        elif done == "died":
            run.status, run.responsive = "died", False
        if done == "idle":
            run.exited = self._asked_exit(msg_id)
            if run.exited or not self.is_alive():
                run.responsive = False
        self._broken = not run.responsive  # only restart() makes it usable again
        run.output = buffer.getvalue()
        run.seconds = time.monotonic() - start
        return run

    def _asked_exit(self, msg_id: str) -> bool:
        """Whether the execute_reply of ``msg_id`` carries an ``ask_exit`` payload."""
        deadline = time.monotonic() + REPLY_WAIT
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                reply = self.kc.get_shell_msg(timeout=min(0.2, remaining))
            except queue.Empty:
                if not self.is_alive():
                    return False
                continue
            except Exception:  # noqa: BLE001 - a broken channel: nothing more to learn
                return False
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            payload = reply.get("content", {}).get("payload") or []
            return any(isinstance(p, dict) and p.get("source") == "ask_exit" for p in payload)
        return False

    def _dropped(self) -> bool:
        """Whether the iopub connection was dropped (e.g. a message above the size limit)."""
        import zmq

        if self._monitor is None:
            return False
        from zmq.utils.monitor import parse_monitor_message

        with contextlib.suppress(zmq.ZMQError):
            while self._monitor.poll(0):
                event = parse_monitor_message(self._monitor.recv_multipart(zmq.NOBLOCK))
                if event["event"] == zmq.EVENT_DISCONNECTED:
                    return True
        return False

    def _collect(
        self,
        msg_id: str,
        deadline: float,
        run: CellRun,
        buffer: BoundedBuffer,
        keep_errors: bool = True,
    ) -> str | None:
        """Read iopub until our request is idle ("idle"), the kernel dies ("died") or None."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if self._dropped():
                return "died"
            try:
                msg = self.kc.get_iopub_msg(timeout=min(0.2, remaining))
            except queue.Empty:
                if not self.km.is_alive():
                    return "died"
                continue
            except Exception:  # noqa: BLE001 - an unreadable message or closed socket
                return "died"
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                return "idle"
            if kind == "stream":
                buffer.write(content.get("text", ""))
            elif kind == "error" and keep_errors:
                run.status = "error"
                run.ename, run.evalue = content.get("ename", ""), content.get("evalue", "")[:1000]
                buffer.write(f"{run.ename}: {run.evalue}\n")
            elif kind in ("display_data", "execute_result", "update_display_data"):
                data = content.get("data", {})
                if RESULT_MIME in data and isinstance(data[RESULT_MIME], dict):
                    run.results.append(data[RESULT_MIME])
                elif "text/plain" in data:
                    buffer.write(str(data["text/plain"]) + "\n")


def _tail(path: Path, size: int = 2000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - size))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return "(none)"


def _devnull() -> int:
    import subprocess

    return subprocess.DEVNULL


# -- processes ---------------------------------------------------------------------------------
def become_subreaper() -> bool:
    """Make this process adopt orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    A submission's process that double-forks and calls ``setsid`` then stays a descendant of
    this process, so :func:`kill_descendants` finds it. Returns False where unsupported.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER = 36
    except (OSError, AttributeError):
        return False


def _process_table() -> dict[int, int]:
    """pid -> parent pid of every process (from /proc; empty where there is no /proc)."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = data[data.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            table[int(name)] = int(fields[1])
    return table


def _descendants(pid: int, table: dict[int, int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, parent in table.items():
        children.setdefault(parent, []).append(child)
    found, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        if p not in found and p != pid:
            found.append(p)
            todo.extend(children.get(p, []))
    return found


def kill_descendants(pid: int | None = None) -> int:
    """SIGKILL every descendant of ``pid`` (default: this process); returns how many.

    Repeats until none is left (a process may fork while we look), then reaps the ones that
    were this process's own children. Uses /proc, so it does nothing where there is none.
    """
    root = os.getpid() if pid is None else pid
    return _kill_until_gone(
        lambda killed: [p for p in _descendants(root, _process_table()) if p not in killed]
    )


def _kill_until_gone(find: Callable[[set[int]], list[int]]) -> int:
    """SIGKILL what ``find(killed)`` lists until it lists nothing running (a process may fork
    while we look; at most 20 rounds), then reap our own children among them."""
    killed: set[int] = set()
    for _ in range(20):
        alive = [p for p in find(killed) if _is_running(p)]
        if not alive:
            break
        for p in alive:
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGKILL)
            killed.add(p)
        time.sleep(0.01)
    _reap(killed)
    return len(killed)


def _is_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2 :][:1] not in (b"Z", b"X")


def _reap(pids: set[int]) -> None:
    for p in pids:
        with contextlib.suppress(OSError):
            os.waitpid(p, os.WNOHANG)


def _kill_marked(mark: str) -> int:
    """SIGKILL every process whose initial environment carries this session's mark.

    Catches processes that left the kernel's tree and process group (``setsid`` + double fork)
    when this process is not a subreaper; a process that scrubbed its environment and re-executed
    is left to :func:`kill_descendants` in the worker.
    """
    needle = f"{_SESSION_MARK}={mark}".encode()
    me = os.getpid()

    def marked(killed: set[int]) -> list[int]:
        found = []
        for p in _process_table():
            if p == me or p in killed:
                continue
            try:
                with open(f"/proc/{p}/environ", "rb") as f:
                    environ = f.read()
            except OSError:
                continue
            if needle in environ.split(b"\0"):
                found.append(p)
        return found

    return _kill_until_gone(marked)
