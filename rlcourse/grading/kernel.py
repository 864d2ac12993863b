"""A Python kernel that the grader can time out, interrupt, restart and read safely.

:class:`KernelSession` starts ``ipykernel`` with the *current* interpreter (``sys.executable``),
so grading inside the project's virtual environment uses that environment whatever kernelspec
is installed. :meth:`KernelSession.execute` runs one cell with a wall-clock limit and returns a
:class:`CellRun`; it never raises for anything the student's code does:

- ``"ok"`` / ``"error"``: the cell finished (with an exception for ``"error"``);
- ``"timeout"``: the limit passed; the kernel was interrupted (``responsive`` says whether it
  answered the interrupt; if not the caller must :meth:`restart`);
- ``"died"``: the kernel process ended (``os._exit``, a crash, ``exit()``).

Output is kept in a bounded buffer; ``display_data`` of :data:`RESULT_MIME` is collected apart.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rlcourse.grading.check import BoundedBuffer
from rlcourse.grading.kernel_hook import RESULT_MIME

CELL_OUTPUT_LIMIT = 4000
"""Characters of a cell's output kept by the grader (the rest is counted and dropped)."""

INTERRUPT_GRACE = 3.0
"""Seconds a kernel gets to answer an interrupt before it is restarted."""


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


def _kernel_spec_manager():
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class CurrentEnvironment(KernelSpecManager):
        """Every kernel name resolves to ipykernel on this very interpreter."""

        def get_kernel_spec(self, kernel_name):
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (rlcourse grader)",
                language="python",
                resource_dir=str(Path(__file__).parent),
            )

    return CurrentEnvironment()


class KernelSession:
    """One ipykernel process plus a blocking client; restartable."""

    def __init__(
        self,
        cwd: str | os.PathLike,
        env: dict[str, str] | None = None,
        startup_timeout: float = 60.0,
        output_limit: int = CELL_OUTPUT_LIMIT,
    ):
        self.cwd, self.env = str(cwd), dict(os.environ if env is None else env)
        self.startup_timeout, self.output_limit = startup_timeout, output_limit
        self.km = self.kc = None
        self.restarts = 0

    def start(self) -> None:
        from jupyter_client import KernelManager

        self.km = KernelManager(kernel_name="python3", kernel_spec_manager=_kernel_spec_manager())
        self.km.start_kernel(
            env=self.env, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=self.startup_timeout)
        except Exception:
            self.shutdown()
            raise

    def shutdown(self) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        finally:
            self.kc = None
            if self.km is not None:
                with contextlib.suppress(Exception):  # already dead is fine
                    self.km.shutdown_kernel(now=True)
                self.km = None

    def restart(self) -> None:
        """A fresh process (the old one is killed); the caller replays what it needs."""
        self.shutdown()
        self.restarts += 1
        self.start()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()

    def execute(self, code: str, timeout: float) -> CellRun:
        start = time.monotonic()
        run = CellRun("ok")
        buffer = BoundedBuffer(self.output_limit)
        msg_id = self.kc.execute(code, store_history=True, allow_stdin=False, stop_on_error=False)
        deadline = start + timeout
        done = self._collect(msg_id, deadline, run, buffer)
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
        run.output = buffer.getvalue()
        run.seconds = time.monotonic() - start
        return run

    def _collect(self, msg_id, deadline, run, buffer, keep_errors=True):
        """Read iopub until our request is idle ("idle"), the kernel dies ("died") or None."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                msg = self.kc.get_iopub_msg(timeout=min(0.2, remaining))
            except queue.Empty:
                if not self.km.is_alive():
                    return "died"
                continue
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
