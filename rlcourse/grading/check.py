"""``check(item_id, student_function)``: run an item's tests on a student's function.

Used inside exercise notebooks::

    from rlcourse.grading import check
    check("02.policy_evaluation", policy_evaluation)

prints one line per test, ``PASS`` or ``FAIL`` with a hint (never the reference answer), and
returns a :class:`CheckReport`. The same runner is used by the grader inside the kernel that
executes a submission (:mod:`rlcourse.grading.kernel_hook`).

Failures never escape: a test that raises anything (the stub's ``NotImplementedError``, a wrong
return type, a shape error, ``sys.exit()``) counts as FAIL with a message that says what to fix.

Time limit. Each test runs under a wall-clock alarm (``signal.setitimer(ITIMER_REAL)``) of
``item.time_limit`` seconds (or ``time_limit=`` passed to ``check``); a test that is still running
then is stopped and counts as FAIL. Signals can only be used from the main thread on POSIX: when
``check`` runs in another thread or on Windows it runs without a limit (the grader still enforces
its per-cell limit from outside). Code stuck inside a C extension that never returns to Python
cannot be stopped by the alarm; the grader's kernel-level timeout handles that case.

Output. Whatever the student's function prints during a test is captured in a bounded buffer
(a few thousand characters are kept, the rest is counted and dropped) and shown only when the
test fails, so a function that prints megabytes cannot flood the notebook.

Grading mode. When the environment variable ``RLCOURSE_GRADING=1`` is set (the grader sets it in
the kernel that executes a submission), ``check`` does nothing but print
``check NN.name: (grading: skipped)``: the grader runs the tests itself afterwards.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rlcourse.grading.registry import Item, get_item

OUTPUT_LIMIT = 2000
"""Characters of a test's captured output that are kept (the rest is counted, not stored)."""

SHOWN_OUTPUT = 400
"""Characters of that output that check() prints under a failed test."""

MESSAGE_LIMIT = 600
"""Characters of an exception message shown in a hint."""


@dataclass
class TestResult:
    """The outcome of one test of an item."""

    __test__ = False  # not a pytest test class

    name: str
    """The test's title (first line of its docstring)."""
    passed: bool
    message: str = ""
    """Why it failed and what to look at (empty when passed)."""
    output: str = ""
    """What the student's function printed during the test (truncated)."""
    seconds: float = 0.0
    weight: float = 1.0

    def __repr__(self) -> str:  # deterministic (no timings): notebooks are compared by nbval
        return f"TestResult({self.name!r}, passed={self.passed})"


@dataclass
class CheckReport:
    """Points earned on one item and the per-test results."""

    item: str
    points: float
    max_points: float
    results: list[TestResult] = field(default_factory=list)
    skipped: bool = False
    """True when check() was a no-op because a grader is running the notebook."""

    @property
    def passed(self) -> bool:
        """Every test passed."""
        return bool(self.results) and all(r.passed for r in self.results)

    def __repr__(self) -> str:
        return f"CheckReport({self.item!r}, points={self.points:g}/{self.max_points:g})"

    def to_dict(self) -> dict:
        return {
            "item": self.item,
            "points": self.points,
            "max_points": self.max_points,
            "skipped": self.skipped,
            "tests": [
                {
                    "name": r.name,
                    "passed": r.passed,
                    "message": r.message,
                    "output": r.output,
                    "seconds": round(r.seconds, 3),
                    "weight": r.weight,
                }
                for r in self.results
            ],
        }


class TestTimeout(BaseException):
    """Raised inside a test by the alarm; a BaseException so ``except Exception`` can't eat it."""

    __test__ = False


class BoundedBuffer(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int = OUTPUT_LIMIT):
        super().__init__()
        self.limit, self.kept, self.size, self.dropped = limit, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        s = s if isinstance(s, str) else str(s)
        room = max(0, self.limit - self.size)
        if room:
            self.kept.append(s[:room])
            self.size += min(room, len(s))
        self.dropped += max(0, len(s) - room)
        return len(s)

    def getvalue(self) -> str:
        text = "".join(self.kept)
        if self.dropped:
            text += f"\n... [{self.dropped} more characters not shown]"
        return text


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[bool]:
    """Raise :class:`TestTimeout` in the body after ``seconds`` (main thread, POSIX only)."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield False
        return

    def on_alarm(signum, frame):
        raise TestTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _short(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def _raised_in_student_code(exc: BaseException, fn: Callable) -> bool:
    """True if the traceback passes through code defined where the student's function is."""
    code = getattr(fn, "__code__", None)
    filename = code.co_filename if code is not None else None
    tb = exc.__traceback__
    while tb is not None:
        f = tb.tb_frame.f_code.co_filename
        if (
            f == filename
            or "ipykernel_" in f
            or f.startswith(("<ipython-input", "<stdin>", "<string>"))
        ):
            return True
        tb = tb.tb_next
    return False


_CALL_MISMATCH = (
    "got an unexpected keyword argument",
    "required positional argument",
    "required keyword-only argument",
    "positional argument but",
    "positional arguments but",
    "got multiple values for argument",
)


def _is_call_mismatch(exc: BaseException, fn: Callable) -> bool:
    """True for the TypeError Python raises when the arguments do not fit the function's header
    (raised at the call, before any line of the student's function runs)."""
    if not isinstance(exc, TypeError):
        return False
    names = {getattr(fn, "__name__", None), getattr(fn, "__qualname__", None)} - {None}
    message = str(exc)
    if not any(message.startswith(f"{name}()") for name in names):
        return False
    tb = exc.__traceback__
    code = getattr(fn, "__code__", None)
    while tb is not None:  # the student's own frame never started
        if code is not None and tb.tb_frame.f_code is code:
            return False
        tb = tb.tb_next
    return any(part in message for part in _CALL_MISMATCH)


def explain_exception(exc: BaseException, fn: Callable, seconds: float | None = None) -> str:
    """A student-facing sentence for an exception raised while a test ran."""
    if isinstance(exc, TestTimeout):
        return (
            f"stopped after {exc.args[0]:g} s (time limit): look for a loop that never ends "
            "or an episode that never terminates."
        )
    if isinstance(exc, AssertionError):
        return _short(str(exc)) or "the result is not right (this test gives no hint)."
    if isinstance(exc, NotImplementedError):
        return (
            "your function raised NotImplementedError: replace the stub "
            "`raise NotImplementedError(...)` with your implementation."
        )
    if isinstance(exc, SystemExit):
        return "your code called sys.exit() / exit(): return a value instead of exiting."
    what = f"{type(exc).__name__}: {_short(str(exc), 300)}" if str(exc) else type(exc).__name__
    if _is_call_mismatch(exc, fn):
        return (
            f"the test could not call your function ({_short(str(exc), 200)}): keep the "
            f"header line `def {getattr(fn, '__name__', 'f')}(...)` exactly as the exercise "
            "gives it (same arguments, in the same order; those after `*` are keyword-only)."
        )
    if _raised_in_student_code(exc, fn):
        return f"your function raised {what}"
    return (
        f"{what} while checking the value your function returned: is it of the right type "
        "and shape?"
    )


def run_item(
    it: Item,
    fn: Callable[..., Any] | None,
    time_limit_s: float | None = None,
    output_limit: int = OUTPUT_LIMIT,
) -> CheckReport:
    """Run every test of ``it`` on ``fn``; never raises (except KeyboardInterrupt)."""
    limit = it.time_limit if time_limit_s is None else time_limit_s
    results = []
    for t in it.tests:
        if fn is None:
            results.append(
                TestResult(t.title, False, missing_function_message(it), weight=t.weight)
            )
            continue
        if not callable(fn):
            results.append(
                TestResult(
                    t.title,
                    False,
                    f"`{it.function}` is not a function (got {type(fn).__name__}): "
                    f"pass the function itself, e.g. check({it.id!r}, {it.function}).",
                    weight=t.weight,
                )
            )
            continue
        buffer = BoundedBuffer(output_limit)
        start = time.perf_counter()
        try:
            with (
                contextlib.redirect_stdout(buffer),
                contextlib.redirect_stderr(buffer),
                time_limit(limit),
            ):
                t.fn(fn)
            passed, message = True, ""
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure is the student's to see
            passed, message = False, explain_exception(exc, fn)
        results.append(
            TestResult(
                t.title, passed, message, buffer.getvalue(), time.perf_counter() - start, t.weight
            )
        )
    total = sum(r.weight for r in results)
    earned = sum(r.weight for r in results if r.passed)
    points = round(it.points * earned / total, 4) if total else 0.0
    return CheckReport(it.id, points, it.points, results)


def missing_function_message(it: Item) -> str:
    return (
        f"no function named `{it.function}` is defined in the notebook: define it with "
        "exactly this name (was it renamed, or its cell not run?)."
    )


def format_report(report: CheckReport) -> str:
    """The text check() prints: a header, then one PASS/FAIL line per test with its hint."""
    if report.skipped:
        return f"check {report.item}: (grading: skipped)"
    lines = [f"check {report.item}: {report.points:g}/{report.max_points:g} points"]
    for r in report.results:
        lines.append(f"  {'PASS' if r.passed else 'FAIL'}  {r.name}")
        if not r.passed:
            lines.append(f"        hint: {r.message}")
            if r.output.strip():
                shown = r.output.strip()
                if len(shown) > SHOWN_OUTPUT:
                    shown = shown[:SHOWN_OUTPUT] + " ... (truncated)"
                shown = shown.replace("\n", "\n        | ")
                lines.append(f"        your function printed:\n        | {shown}")
    if not report.results:
        lines.append("  (this item has no tests yet)")
    return "\n".join(lines)


def grading_mode() -> bool:
    """True inside a grader's kernel (``RLCOURSE_GRADING=1``)."""
    return os.environ.get("RLCOURSE_GRADING", "") == "1"


def check(
    item_id: str,
    student_function: Callable[..., Any] | None,
    *,
    time_limit: float | None = None,
    quiet: bool = False,
) -> CheckReport:
    """Run the checks of item ``item_id`` (e.g. ``"02.policy_evaluation"``) on your function.

    Prints ``PASS``/``FAIL`` per test with a hint and returns a :class:`CheckReport`
    (``points``, ``max_points``, ``results``). ``time_limit`` overrides the item's per-test
    limit in seconds; ``quiet=True`` only returns the report.
    """
    it = get_item(item_id)
    if grading_mode():
        report = CheckReport(it.id, 0.0, it.points, [], skipped=True)
    else:
        report = run_item(it, student_function, time_limit)
    if not quiet:
        print(format_report(report))
        sys.stdout.flush()
    return report
