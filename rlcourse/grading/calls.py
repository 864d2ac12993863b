"""Calling a student's function across a boundary: plain data in, plain data out.

A graded test is split in two:

- the *call* (:func:`invoke`), the only part that runs with the student's function: it decodes
  the arguments the test built (fresh objects for every call), calls the function, and encodes
  its return value, what it printed, and the state of its array and Generator arguments after
  the call; or, when it raised, the exception's type, message and where it was raised;
- the *decision*: the test itself (reference values, comparison, hint), which runs in the
  process that holds the test.

Tests receive a :class:`StudentFunction`, a callable stand-in for the student's function.
:class:`LocalFunction` runs :func:`invoke` in this process (``check()`` in a student's own
notebook); :class:`rlcourse.grading.remote.RemoteFunction` runs it in the student's kernel and
only data comes back (the grader). Both send the request and the response through the same
JSON text (:mod:`rlcourse.grading.wire`), so a test sees the same values and raises the same
exceptions in both, and ``check()`` gives the grader's verdicts and hints.

What a test may pass: numpy arrays of numbers or bools, torch tensors (their data, on the CPU),
Python numbers, bools, strings, None, lists/tuples/dicts of those and ``np.random.Generator``.
After each call the arrays (when writable), tensors and Generators the test passed hold their
state after the call, as if the function
had run in the test's own process, so "must not change its input" and "in place" contracts
can be checked as usual. ``fn.repeat(n, *args, **kwargs)`` makes n calls at once (fresh copies
of the arrays for each call, one Generator shared in sequence), for tests that count.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from rlcourse.grading import wire

OUTPUT_LIMIT = 2000
"""Characters of a test's captured output that are kept (the rest is counted, not stored)."""

MAX_REPEAT = 100_000
"""Calls one :meth:`StudentFunction.repeat` may ask for."""


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


# ------------------------------------------------------------------ where an exception came from
_CALL_MISMATCH = (
    "got an unexpected keyword argument",
    "required positional argument",
    "required keyword-only argument",
    "positional argument but",
    "positional arguments but",
    "got multiple values for argument",
)


def raised_in_student_code(exc: BaseException, fn: Callable) -> bool:
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


def is_call_mismatch(exc: BaseException, fn: Callable) -> bool:
    """True for the TypeError Python raises when the arguments do not fit the function's header
    (raised at the call, before any line of the student's function runs)."""
    if not isinstance(exc, TypeError):
        return False
    names = {getattr(fn, "__name__", None), getattr(fn, "__qualname__", None)} - {None}
    message = str(exc)
    if not any(isinstance(name, str) and message.startswith(f"{name}()") for name in names):
        return False
    tb = exc.__traceback__
    code = getattr(fn, "__code__", None)
    while tb is not None:  # the student's own frame never started
        if code is not None and tb.tb_frame.f_code is code:
            return False
        tb = tb.tb_next
    return any(part in message for part in _CALL_MISMATCH)


def exception_record(exc: BaseException, fn: Callable, index: int) -> dict:
    """What the decision side learns about an exception: type, message, where, which call."""
    if isinstance(exc, TestTimeout):
        where = "timeout"
    elif isinstance(exc, SystemExit):
        where = "exit"
    elif is_call_mismatch(exc, fn):
        where = "call"
    elif raised_in_student_code(exc, fn):
        where = "student"
    else:
        where = "other"
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise
        message = "(the exception's message could not be read)"
    t = type(exc)
    return {
        "type": str(getattr(t, "__name__", "Exception"))[:80],
        "builtin": t.__module__ == "builtins",
        "message": message[:1000],
        "where": where,
        "index": index,
        "seconds": exc.args[0] if where == "timeout" and exc.args else None,
    }


# --------------------------------------------------------------------------- the call itself
def _mutable(value: Any) -> bool:
    return isinstance(value, (np.ndarray, np.random.Generator)) or _is_tensor(value)


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def invoke(fn: Callable, request_text: str, time_limit_s: float | None = None) -> str:
    """Run one call request on ``fn`` and return the response, both as wire JSON text.

    The request is ``{"args": [...], "kwargs": {...}, "repeat": n or null}``. The response is
    ``{"ok": true, "values": [one per call], "after": {...}, "output": "..."}`` or
    ``{"ok": false, "error": {...}, "after": ..., "output": "..."}``. Never raises except
    KeyboardInterrupt (an interrupt from outside).
    """
    buffer = BoundedBuffer()
    fresh = []
    values: list[Any] = []
    error = None
    after: dict = {"args": [], "kwargs": {}}
    index = 0
    try:
        tree = wire.loads_tree(request_text)
        if not isinstance(tree, dict) or set(tree) != {"$dict"}:
            raise wire.WireError("a request is a dict")
        request = wire.decode(tree)
        if not isinstance(request.get("args"), list) or not isinstance(request.get("kwargs"), dict):
            raise wire.WireError("a request has a list of args and a dict of kwargs")
        repeat = request.get("repeat")
        calls = 1 if repeat is None else int(repeat)
        arg_tree = tree["$dict"]  # [[key, subtree], ...]: decoded again for every call
        shared = {  # Generators live on across the calls of one repeat, in sequence
            ("args", i): v for i, v in enumerate(request["args"]) if _is_generator(v)
        } | {("kwargs", k): v for k, v in request["kwargs"].items() if _is_generator(v)}
        with (
            contextlib.redirect_stdout(buffer),
            contextlib.redirect_stderr(buffer),
            time_limit(time_limit_s),
        ):
            for index in range(calls):
                if index:
                    request = wire.decode({"$dict": arg_tree})
                args, kwargs = list(request["args"]), dict(request["kwargs"])
                for (where, key), generator in shared.items():
                    (args if where == "args" else kwargs)[key] = generator
                fresh = [args, kwargs]
                values.append(fn(*args, **kwargs))
    except KeyboardInterrupt:
        raise
    except wire.WireError as exc:
        error = {"type": "WireError", "builtin": False, "message": str(exc), "where": "wire"}
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, none escapes
        error = exception_record(exc, fn, index)
    if fresh:
        after = {
            "args": [v if _mutable(v) else None for v in fresh[0]],
            "kwargs": {k: v for k, v in fresh[1].items() if _mutable(v)},
        }
    response = {
        "ok": error is None,
        "values": values if error is None else [],
        "error": error,
        "after": after,
        "output": buffer.getvalue(),
    }
    try:
        return wire.dumps(response)
    except (ValueError, TypeError, RecursionError):  # e.g. a list that holds itself
        response["values"] = [wire.unsupported("self-referencing value") for _ in values]
        return wire.dumps(response)


def _is_generator(value: Any) -> bool:
    return isinstance(value, np.random.Generator)


# ------------------------------------------------------------------------- the decision side
class StudentRaised:
    """Mixed into the exception a test sees when the student's function raised: ``record``
    says what was raised and where (see :func:`exception_record`)."""

    record: dict = {}


_BUILTIN_EXCEPTIONS = {
    cls.__name__: cls
    for cls in (
        ArithmeticError,
        AssertionError,
        AttributeError,
        FloatingPointError,
        IndexError,
        KeyError,
        LookupError,
        MemoryError,
        NameError,
        NotImplementedError,
        OverflowError,
        RecursionError,
        RuntimeError,
        TypeError,
        UnboundLocalError,
        ValueError,
        ZeroDivisionError,
    )
}
_RAISED_CLASSES: dict[str, type] = {}


def student_exception(record: dict) -> BaseException:
    """The exception a test sees for ``record``: an instance of the same built-in class when
    there is one (so ``except TypeError`` in a test still works), always a
    :class:`StudentRaised` carrying the record, never the student's own class."""
    name = record.get("type", "Exception")
    base = _BUILTIN_EXCEPTIONS.get(name) if record.get("builtin") else None
    key = base.__name__ if base is not None else "Exception"
    cls = _RAISED_CLASSES.get(key)
    if cls is None:
        cls = type(f"Student{key}", (base or Exception, StudentRaised), {})
        _RAISED_CLASSES[key] = cls
    exc = cls(record.get("message", ""))
    exc.record = record
    return exc


class StudentFunction:
    """A callable stand-in for the student's function: calls go through :func:`invoke`."""

    def __init__(self, name: str, signature: inspect.Signature | None = None):
        self.__name__ = self.__qualname__ = name
        self.__signature__ = signature
        self.output = BoundedBuffer()
        """What the function printed during the current test."""
        self.deadline: float | None = None
        """time.monotonic() by which the current test must end (None: no limit)."""

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"

    def _send(self, request_text: str) -> str:
        raise NotImplementedError

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(args, kwargs, None)[0]

    def repeat(self, n: int, *args: Any, **kwargs: Any) -> list:
        """``[fn(*args, **kwargs) for _ in range(n)]`` in one request: each call gets fresh
        copies of the arrays; a Generator argument is shared by the calls in sequence."""
        if not 1 <= int(n) <= MAX_REPEAT:
            raise ValueError(f"repeat: n must be between 1 and {MAX_REPEAT}, got {n}")
        return self._call(args, kwargs, int(n))

    def _call(self, args: tuple, kwargs: dict, repeat: int | None) -> list:
        request = wire.dumps({"args": list(args), "kwargs": dict(kwargs), "repeat": repeat})
        response = wire.loads(self._send(request))
        if not isinstance(response, dict) or not isinstance(response.get("ok"), bool):
            raise wire.WireError("the response is not of the agreed form")
        output = response.get("output")
        if isinstance(output, str):
            self.output.write(output)
        self._write_back(args, kwargs, response.get("after"))
        if not response["ok"]:
            record = response.get("error")
            if not isinstance(record, dict):
                raise wire.WireError("the response is not of the agreed form")
            if record.get("where") == "wire":
                raise wire.WireError(str(record.get("message", ""))[:300])
            raise student_exception(record)
        values = response.get("values")
        expected = 1 if repeat is None else repeat
        if not isinstance(values, list) or len(values) != expected:
            raise wire.WireError("the response holds the wrong number of values")
        return values

    @staticmethod
    def _write_back(args: tuple, kwargs: dict, after: Any) -> None:
        """Give the test's arrays and Generators their state after the call."""
        if not isinstance(after, dict):
            return
        pairs = list(zip(args, after.get("args") or []))
        theirs = after.get("kwargs") or {}
        if isinstance(theirs, dict):
            pairs += [(kwargs[k], v) for k, v in theirs.items() if k in kwargs]
        for mine, new in pairs:
            if isinstance(mine, np.ndarray) and isinstance(new, np.ndarray):
                if mine.flags.writeable and new.shape == mine.shape:
                    with contextlib.suppress(TypeError, ValueError):
                        np.copyto(mine, new, casting="unsafe")
            elif _is_tensor(mine) and _is_tensor(new) and mine.shape == new.shape:
                with contextlib.suppress(RuntimeError, TypeError), sys.modules["torch"].no_grad():
                    mine.copy_(new)
            elif (
                isinstance(mine, np.random.Generator)
                and isinstance(new, np.random.Generator)
                and type(mine.bit_generator) is type(new.bit_generator)
            ):
                mine.bit_generator.state = new.bit_generator.state


class NotCallable:
    """What a test gets when the notebook bound the item's name to something not callable."""

    def __init__(self, type_name: str):
        self.type_name = str(type_name)[:80]


class LocalFunction(StudentFunction):
    """The student's function called in this process, through the same wire text as the
    grader (``check()`` in a student's notebook)."""

    def __init__(self, fn: Callable):
        try:
            signature = inspect.signature(fn)
        except (TypeError, ValueError):
            signature = None
        super().__init__(str(getattr(fn, "__name__", "function")), signature)
        self.fn = fn

    def _send(self, request_text: str) -> str:
        return invoke(self.fn, request_text)


def describe(value: Any) -> dict:
    """What the grader may know about the object a notebook bound to an item's name."""
    facts: dict = {
        "exists": True,
        "callable": callable(value),
        "type": type(value).__name__,
        "is_function": inspect.isfunction(value),
        "module": None,
        "filename": None,
        "qualname": None,
        "signature": None,
    }
    if not facts["callable"]:
        return facts
    module = getattr(value, "__module__", None)
    facts["module"] = module if isinstance(module, str) else None
    qualname = getattr(value, "__qualname__", None)
    facts["qualname"] = qualname if isinstance(qualname, str) else None
    code = getattr(value, "__code__", None)
    filename = getattr(code, "co_filename", None)
    facts["filename"] = filename if isinstance(filename, str) else None
    try:
        signature = inspect.signature(value)
        facts["signature"] = [
            [p.name, int(p.kind), p.default is not p.empty, repr(p.default)[:100]]
            for p in signature.parameters.values()
        ]
    except (TypeError, ValueError):
        pass
    return facts


EMPTY = inspect.Parameter.empty


class _Default:
    """A parameter default the grader only knows by its repr."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def signature_from(described: Any) -> inspect.Signature | None:
    """The student function's signature rebuilt from :func:`describe`'s ``signature`` (None when
    it is missing or malformed)."""
    if not isinstance(described, list) or len(described) > 100:
        return None
    try:
        parameters = []
        for name, kind, has_default, default in described:
            if not (isinstance(name, str) and name.isidentifier() and isinstance(kind, int)):
                return None
            parameters.append(
                inspect.Parameter(
                    name,
                    inspect._ParameterKind(kind),
                    default=_Default(str(default)[:100]) if has_default else EMPTY,
                )
            )
        return inspect.Signature(parameters)
    except (TypeError, ValueError):
        return None
