"""``check(item_id, student_function)``: run an item's tests on a student's function.

Used inside exercise notebooks::

    from rlcourse.grading import check
    check("02.policy_evaluation", policy_evaluation)

prints one line per test, ``PASS`` or ``FAIL`` with a hint (never the reference answer), and
returns a :class:`CheckReport`. The grader runs the same tests with the same runner
(:func:`run_item`) in its own process, calling the function in the student's kernel; here the
function is called in this process, through the same plain-data round trip
(:mod:`rlcourse.grading.calls`), so check() gives the grader's verdicts and hints.

Failures never escape: a test that raises anything (the stub's ``NotImplementedError``, a wrong
return type, a shape error, ``sys.exit()``) counts as FAIL with a message that says what to fix.

Time limit. Each test runs under a wall-clock alarm (``signal.setitimer(ITIMER_REAL)``) of
``item.time_limit`` seconds (or ``time_limit=`` passed to ``check``); a test that is still running
then is stopped and counts as FAIL. Signals can only be used from the main thread on POSIX: when
``check`` runs in another thread or on Windows it runs without a limit (the grader enforces its
limits from outside the student's process).

Output. Whatever the student's function prints during a test is captured in a bounded buffer
(a few thousand characters are kept, the rest is counted and dropped) and shown only when the
test fails, so a function that prints megabytes cannot flood the notebook.

Grading mode. When the environment variable ``RLCOURSE_GRADING=1`` is set (the grader sets it in
the kernel that executes a submission), ``check`` does nothing but print
``check NN.name: (grading: skipped)``, without loading any test: the grader runs the tests
itself, in its own process.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rlcourse.grading.calls import (
    OUTPUT_LIMIT,
    BoundedBuffer,
    LocalFunction,
    NotCallable,
    StudentFunction,
    StudentRaised,
    TestTimeout,
    exception_record,
    student_exception,
    time_limit,
)
from rlcourse.grading.registry import ITEM_ID, Item, get_item
from rlcourse.grading.wire import WireError

__all__ = [
    "BoundedBuffer",
    "CheckReport",
    "TestResult",
    "TestTimeout",
    "check",
    "explain_exception",
    "format_report",
    "run_item",
    "time_limit",
]

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


def _short(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def _header_hint(name: str, detail: str) -> str:
    return (
        f"the test could not call your function ({_short(detail, 200)}): keep the "
        f"header line `def {name}(...)` exactly as the exercise "
        "gives it (same arguments, in the same order; those after `*` are keyword-only)."
    )


def explain_exception(exc: BaseException, fn: Any, seconds: float | None = None) -> str:
    """A student-facing sentence for an exception raised while a test ran.

    ``exc`` is raised by the test (an ``AssertionError`` with the test's hint, or an error while
    the test looked at the returned value) or stands for what the student's function raised
    (:class:`rlcourse.grading.calls.StudentRaised`, whose ``record`` says what and where).
    """
    name = getattr(fn, "__name__", "f")
    if isinstance(exc, TestTimeout):
        return _timeout_hint(exc.args[0] if exc.args else seconds)
    if isinstance(exc, StudentRaised):
        record = exc.record
        kind, where = record.get("type", "Exception"), record.get("where")
        message = record.get("message", "")
        what = f"{kind}: {_short(message, 300)}" if message else kind
        if where == "timeout":
            return _timeout_hint(record.get("seconds") or seconds)
        if where == "died":
            return (
                "the Python process stopped while your function ran (os._exit(), exit(), "
                "quit() or a crash): return a value instead of stopping the process."
            )
        if where == "exit":
            return "your code called sys.exit() / exit(): return a value instead of exiting."
        if where == "call":
            return _header_hint(name, record.get("message", ""))
        if kind == "NotImplementedError" and record.get("builtin"):
            return (
                "your function raised NotImplementedError: replace the stub "
                "`raise NotImplementedError(...)` with your implementation."
            )
        return f"your function raised {what}"
    if isinstance(exc, AssertionError):
        return _short(str(exc)) or "the result is not right (this test gives no hint)."
    if callable(fn) and not isinstance(fn, StudentFunction):  # a raw exception of a function
        record = exception_record(exc, fn, 0)
        if record["where"] != "other":
            raised = student_exception(record)
            return explain_exception(raised, fn, seconds)
    if isinstance(exc, WireError):
        return (
            f"what your function returned could not be read ({_short(str(exc), 200)}): return "
            "numbers, numpy arrays of numbers, or lists/tuples of those."
        )
    what = f"{type(exc).__name__}: {_short(str(exc), 300)}" if str(exc) else type(exc).__name__
    return (
        f"{what} while checking the value your function returned: is it of the right type "
        "and shape?"
    )


def _timeout_hint(seconds: Any) -> str:
    limit = f"{float(seconds):g} s" if isinstance(seconds, (int, float)) else "the time limit"
    return (
        f"stopped after {limit} (time limit): look for a loop that never ends "
        "or an episode that never terminates."
    )


def run_item(
    it: Item,
    fn: Any,
    time_limit_s: float | None = None,
    output_limit: int = OUTPUT_LIMIT,
) -> CheckReport:
    """Run every test of ``it`` on ``fn``; never raises (except KeyboardInterrupt).

    ``fn`` is the student's function (called in this process through
    :class:`~rlcourse.grading.calls.LocalFunction`, under an alarm of ``time_limit_s``), a
    :class:`~rlcourse.grading.calls.StudentFunction` that calls it elsewhere (the grader's, which
    enforces the limit through each call's deadline), None when the notebook defines no such
    name, or a :class:`~rlcourse.grading.calls.NotCallable`.
    """
    limit = it.time_limit if time_limit_s is None else time_limit_s
    results = []
    target = fn
    if fn is not None and not isinstance(fn, (StudentFunction, NotCallable)) and callable(fn):
        target = LocalFunction(fn)
    for t in it.tests:
        if target is None:
            results.append(
                TestResult(t.title, False, missing_function_message(it), weight=t.weight)
            )
            continue
        if not isinstance(target, StudentFunction):
            type_name = target.type_name if isinstance(target, NotCallable) else type(fn).__name__
            results.append(
                TestResult(
                    t.title,
                    False,
                    f"`{it.function}` is not a function (got {type_name}): "
                    f"pass the function itself, e.g. check({it.id!r}, {it.function}).",
                    weight=t.weight,
                )
            )
            continue
        target.output = BoundedBuffer(output_limit)
        start = time.perf_counter()
        local = isinstance(target, LocalFunction)
        target.deadline = None if local or not limit else time.monotonic() + limit
        try:
            with time_limit(limit if local else None):
                t.fn(target)
            passed, message = True, ""
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure is the student's to see
            passed, message = False, explain_exception(exc, target, limit)
        results.append(
            TestResult(
                t.title,
                passed,
                message,
                target.output.getvalue(),
                time.perf_counter() - start,
                t.weight,
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
    if grading_mode():  # the grader runs the tests itself, outside this process
        if not isinstance(item_id, str) or not ITEM_ID.match(item_id):
            raise ValueError(f"{item_id!r} is not an item id ('NN.name').")
        report = CheckReport(item_id, 0.0, 0.0, [], skipped=True)
    else:
        it = get_item(item_id)
        report = run_item(it, student_function, time_limit)
    if not quiet:
        print(format_report(report))
        sys.stdout.flush()
    return report
