"""Assertions for item tests that explain what is wrong without giving the answer away.

Each helper raises ``AssertionError(message)``; the message names the quantity (``name``),
says what kind of mistake it is (type, shape, NaN, values) and ends with the author's ``hint``.
Reference values are never put in a message: at most the position of the first wrong entry
and the student's own value there.
"""

from __future__ import annotations

import numbers
import sys
from typing import Any

import numpy as np

from rlcourse._types import ArrayLike


def _fail(message: str, hint: str | None) -> None:
    raise AssertionError(message + (f" {hint}" if hint else ""))


def _type_name(x) -> str:
    t = type(x)
    return (
        t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"
    )


def _index(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]" if len(idx) else "[()]"


def _is_tensor(x: Any) -> bool:
    torch = sys.modules.get("torch")  # a tensor can only exist once torch is imported
    return torch is not None and isinstance(x, torch.Tensor)


def as_array(actual: Any, name: str = "result", hint: str | None = None) -> np.ndarray:
    """``actual`` as a numpy array of numbers: an array as it is, a list/tuple (or nested lists,
    as ``.tolist()`` gives) converted with ``np.asarray``.

    A correct answer written as a Python list is an answer, not a zero. What cannot be a table of
    numbers fails with a message that says why: ragged nested lists (rows of different lengths),
    lists holding arrays of different shapes, strings or other objects, or not a sequence at all.
    """
    if isinstance(actual, np.ndarray):
        return actual
    if _is_tensor(actual):  # deep chapters: a tensor's data is an answer
        data = actual.detach().cpu()
        return (data.float() if str(data.dtype) == "torch.bfloat16" else data).numpy()
    if not isinstance(actual, (list, tuple)):
        _fail(
            f"expected `{name}` to be a numpy array, got {_type_name(actual)}"
            + (": did you forget `return`?" if actual is None else "."),
            hint,
        )
    try:
        converted = np.asarray(actual)
    except (ValueError, TypeError):  # ragged: numpy refuses to build it
        converted = None
    if converted is None or converted.dtype == object:
        _fail(
            f"`{name}` is a {_type_name(actual)} that is not a table of numbers (rows of "
            "different lengths, or entries that are not numbers); return a numpy array whose "
            "rows all have the same length.",
            hint,
        )
    if not (np.issubdtype(converted.dtype, np.number) or converted.dtype == bool):
        _fail(
            f"`{name}` is a {_type_name(actual)} of {converted.dtype} values; expected numbers.",
            hint,
        )
    return converted


def assert_array_close(
    actual: Any,
    expected: ArrayLike,
    name: str = "result",
    hint: str | None = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    allow_list: bool = True,
) -> None:
    """Check that ``actual`` is a numpy array like ``expected``: type, shape, finite, values.

    A list or tuple (also nested, as ``.tolist()`` gives) is converted with ``np.asarray`` first
    (see :func:`as_array`): a right answer in a list is right. ``allow_list=False`` insists on a
    numpy array (for a test whose point is the type). Values are compared with
    ``np.isclose(actual, expected, rtol, atol)``.
    """
    expected = np.asarray(expected)
    shape = tuple(expected.shape)
    if not isinstance(actual, np.ndarray):
        if allow_list and (isinstance(actual, (list, tuple)) or _is_tensor(actual)):
            actual = as_array(actual, name, hint)
        else:
            _fail(
                f"expected `{name}` to be a numpy array of shape {shape}, got "
                f"{_type_name(actual)}"
                + (" (wrap it in np.asarray(...))" if isinstance(actual, (list, tuple)) else "")
                + ".",
                hint,
            )
    if actual.shape != shape:
        _fail(f"`{name}` has shape {actual.shape}, expected shape {shape}.", hint)
    if not (np.issubdtype(actual.dtype, np.number) or actual.dtype == bool):
        _fail(f"`{name}` has dtype {actual.dtype}; expected numbers.", hint)
    if np.iscomplexobj(actual):
        _fail(f"`{name}` holds complex numbers; expected real numbers.", hint)
    bad = ~np.isfinite(actual.astype(float))
    if bad.any():
        where = _index(np.argwhere(bad)[0])
        _fail(f"`{name}` contains NaN or inf (first at {name}{where}).", hint)
    wrong = ~np.isclose(actual.astype(float), expected.astype(float), rtol=rtol, atol=atol)
    if wrong.any():
        first = tuple(np.argwhere(wrong)[0])
        _fail(
            f"`{name}` is wrong at {int(wrong.sum())} of {wrong.size} entries (first: "
            f"{name}{_index(first)} = {float(actual[first]):.6g}).",
            hint,
        )


def assert_array_equal(
    actual: Any,
    expected: ArrayLike,
    name: str = "result",
    hint: str | None = None,
    *,
    allow_list: bool = True,
) -> None:
    """Like :func:`assert_array_close` but exact (for integer actions, one-hot policies, masks);
    lists are converted the same way."""
    assert_array_close(actual, expected, name, hint, rtol=0.0, atol=0.0, allow_list=allow_list)


def fresh_copy(x: Any) -> Any:
    """A deep copy of a test's input: arrays copied (writable), lists, tuples and dicts rebuilt
    around copies of their items, anything else (numbers, strings, None) as it is.

    Give the student the copy and keep the original: :func:`assert_unchanged` then tells
    whether the call changed its argument, and no other call can see the change.
    """
    if isinstance(x, np.ndarray):
        return np.array(x, copy=True)
    if _is_tensor(x):  # deep chapters: a tensor is copied like an array
        return x.detach().clone()
    if isinstance(x, (list, tuple)):
        return type(x)(fresh_copy(v) for v in x)
    if isinstance(x, dict):
        return {k: fresh_copy(v) for k, v in x.items()}
    return x


def _same(a: Any, b: Any) -> bool:
    if _is_tensor(a) or _is_tensor(b):  # compared as their data, like arrays
        if not (_is_tensor(a) and _is_tensor(b)) or a.dtype != b.dtype:
            return False
        return _same(as_array(a), as_array(b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def assert_unchanged(
    fn_name: str, arg_name: str, before: Any, after: Any, hint: str | None = None
) -> None:
    """Fail if the argument ``arg_name`` of ``fn_name`` was changed by the call: ``before`` is
    the test's original, ``after`` the copy the student's function received (see
    :func:`fresh_copy`). Arrays, lists, tuples and dicts are compared entry by entry.

    The message names the function and the argument and says how an array gets changed by
    accident (``x = y`` is not a copy); ``hint`` may add what the item's contract says.
    """
    if not _same(before, after):
        _fail(
            f"`{fn_name}` changed its argument `{arg_name}`: {fn_name} must not change its "
            "inputs (the caller still needs them). Build the result in a new array: `x = y` "
            "does not copy an array, so `x += ...` or `x[...] = ...` afterwards writes into y "
            "itself; use y.copy(), or an expression such as `y + ...` that makes a new array.",
            hint,
        )


def header_names(header: str) -> list[str]:
    """The positional parameter names of an exercise header such as
    ``f(w, phi_s, G, *, alpha)`` (everything before the ``*``, defaults dropped)."""
    inside = header[header.index("(") + 1 : header.rindex(")")]
    names = []
    for part in inside.split(","):
        part = part.split("=")[0].strip()
        if part == "*":
            break
        names.append(part)
    return names


def call_as_header(
    fn: Any,
    header: str,
    *args: Any,
    replaced: str | None = None,
    hint: str | None = None,
    **kwargs: Any,
) -> Any:
    """``fn(*args, **kwargs)`` as the exercise's ``header`` says it is called, on fresh copies.

    Fails with the header when the arguments do not fit the student's signature (otherwise
    Python's TypeError would read as a wrong return value), and when the call changed one of its
    positional data arguments (arrays, tensors, lists; a Generator is meant to move on). The
    argument named ``replaced`` (an update's ``w``) is left to the item's own test of the
    "returns a new array" contract; ``hint`` adds the item's advice to the "changed" message.
    """
    import inspect

    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        raise AssertionError(
            f"your function cannot be called as the exercise's header says "
            f"({exc}). Keep the header exactly: {header}."
        ) from None
    except ValueError:  # no signature to read (a builtin): let the call itself decide
        pass
    given = fresh_copy(args)
    result = fn(*given, **kwargs)
    fn_name = header.split("(")[0]
    for name, before, after in zip(header_names(header), args, given):
        if name != replaced and not isinstance(before, np.random.Generator):
            assert_unchanged(fn_name, name, before, after, hint=hint)
    return result


def assert_scalar_close(
    actual: Any,
    expected: ArrayLike,
    name: str = "result",
    hint: str | None = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> None:
    """Check that ``actual`` is one finite real number close to ``expected``.

    Accepts Python and numpy numbers and 0-d / one-element arrays (``np.float64(3.0)``).
    """
    if isinstance(actual, np.ndarray) and actual.size == 1:
        actual = actual.reshape(()).item()
    if isinstance(actual, bool) or not isinstance(actual, numbers.Real):
        _fail(f"expected `{name}` to be a number (float), got {_type_name(actual)}.", hint)
    if not np.isfinite(float(actual)):
        _fail(f"`{name}` is {float(actual)}; expected a finite number.", hint)
    if not np.isclose(float(actual), float(expected), rtol=rtol, atol=atol):
        _fail(f"`{name}` = {float(actual):.6g} is not the expected value.", hint)
