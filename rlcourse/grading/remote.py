"""The grader's stand-in for a function that lives in a student's kernel.

:class:`RemoteFunction` is what the item tests receive while grading: calling it sends the
arguments as wire JSON (:mod:`rlcourse.grading.wire`) to the kernel, where
:func:`rlcourse.grading.kernel_hook.serve` calls the student's function on fresh copies, and
brings back only data. Every test's deadline (and the notebook's) is enforced from here: a call
that runs past it is interrupted (the kernel is restarted if it does not answer) and the test
fails with the time-limit hint; a call that stops the kernel (``os._exit``, ``exit()``, a crash)
fails its test and the kernel is restarted for the next one.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any, Protocol

from rlcourse.grading.calls import StudentFunction, TestTimeout, student_exception
from rlcourse.grading.wire import WireError

CALL_GRACE = 3.0
"""Seconds a call gets beyond its deadline to bring its answer back before it is interrupted."""

HOOK = "__import__('rlcourse.grading.kernel_hook', fromlist=['serve'])"


class Runner(Protocol):
    """What a RemoteFunction needs from the grader: the kernel session, the notebook's
    deadline and a way to get a working kernel back."""

    session: Any
    deadline: float

    def recover(self) -> None: ...


def answer(run: Any, nonce: str) -> str | None:
    """The body of the last result message of ``run`` carrying ``nonce`` (None if none)."""
    found = None
    for payload in getattr(run, "results", []):
        if isinstance(payload, dict) and payload.get("nonce") == nonce:
            body = payload.get("body")
            found = body if isinstance(body, str) else found
    return found


class RemoteFunction(StudentFunction):
    """Calls ``name`` in the runner's kernel; only data crosses (see module docstring)."""

    def __init__(self, runner: Runner, name: str, signature: Any = None):
        super().__init__(name, signature)
        self.runner = runner

    def _time_left(self) -> float:
        ends = min(self.deadline or math.inf, self.runner.deadline)
        return ends - time.monotonic()

    def _send(self, request_text: str) -> str:
        left = self._time_left()
        if left <= 0:
            raise TestTimeout()
        nonce = secrets.token_hex(16)
        code = (
            f"{HOOK}.serve(globals(), {self.__name__!r}, {request_text!r}, {nonce!r}, "
            f"{float(left)!r})"
        )
        run = self.runner.session.execute(code, left + CALL_GRACE)
        body = answer(run, nonce)
        if not run.responsive:
            self.runner.recover()
        if run.status == "timeout":
            raise TestTimeout()
        if body is not None:
            return body
        if run.status == "died" or getattr(run, "exited", False):
            raise student_exception({"type": "SystemExit", "where": "died", "message": ""})
        if run.status == "error":
            raise WireError(f"the call failed in the kernel ({run.ename}: {run.evalue[:200]})")
        raise WireError("no answer came back from the kernel")
