"""Assertions for item tests that explain what is wrong without giving the answer away.

Each helper raises ``AssertionError(message)``; the message names the quantity (``name``),
says what kind of mistake it is (type, shape, NaN, values) and ends with the author's ``hint``.
Reference values are never put in a message: at most the position of the first wrong entry
and the student's own value there.
"""

from __future__ import annotations

import numbers
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


def assert_array_close(
    actual: Any,
    expected: ArrayLike,
    name: str = "result",
    hint: str | None = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    allow_list: bool = False,
) -> None:
    """Check that ``actual`` is a numpy array like ``expected``: type, shape, finite, values.

    ``allow_list=True`` also accepts lists/tuples (converted with ``np.asarray``). Values are
    compared with ``np.isclose(actual, expected, rtol, atol)``.
    """
    expected = np.asarray(expected)
    shape = tuple(expected.shape)
    if not isinstance(actual, np.ndarray):
        if allow_list and isinstance(actual, (list, tuple)):
            actual = np.asarray(actual)
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
    allow_list: bool = False,
) -> None:
    """Like :func:`assert_array_close` but exact (for integer actions, one-hot policies, masks)."""
    assert_array_close(actual, expected, name, hint, rtol=0.0, atol=0.0, allow_list=allow_list)


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
