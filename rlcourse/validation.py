"""Input checks shared by the whole package: every message says what was wrong and how to fix it.

One place for the checks every chapter needs, so that a hyperparameter is checked the same way
(and explained in the same words) wherever it appears:

| what | check | accepted |
|---|---|---|
| step size alpha | :func:`check_alpha` | a number in (0, 1] |
| discount gamma | :func:`check_gamma` | a number in [0, 1] |
| exploration epsilon | :func:`check_epsilon` | a number in [0, 1] |
| GAE / TD(lambda) lam | :func:`check_lam` | a number in [0, 1] |
| KL coefficient beta | :func:`check_beta` | a number > 0 |
| tolerance tol | :func:`check_tol` | a number > 0 |
| counts (episodes, steps) | :func:`check_positive_int`, :func:`check_nonnegative_int` | ints |
| a policy pi (S, A) | :func:`check_policy` | rows are distributions |
| rows of P | :func:`check_rows` | dense or scipy.sparse, rows are distributions |
| terminal states | :func:`check_terminal` | a boolean mask (S,) or a list of indices |
| a state index | :func:`check_state` | an int in 0 .. S-1 |
| an array of numbers | :func:`check_array`, :func:`check_vector` | lists or arrays |
| a config dataclass | :func:`make_config` | ``config`` plus keyword overrides |

Numbers must be real numbers: a string such as ``"0.1"``, ``None`` or ``True`` is refused with a
``TypeError`` that says so, instead of failing later deep inside numpy. Values outside their range
raise a ``ValueError``. Only numpy is imported (sparse rows are scipy.sparse matrices, recognised
by their ``tocsr`` method, so that importing this module stays light).

The checks of numbers and indices run inside the update functions, once per step: a valid
Python float or int returns after one type test and one comparison (about 0.1 microseconds);
everything else takes the full check.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "ROW_SUM_TOL",
    "check_number",
    "check_alpha",
    "check_gamma",
    "check_epsilon",
    "check_lam",
    "check_learning_rate",
    "check_hidden_sizes",
    "check_beta",
    "check_tol",
    "check_probability",
    "check_positive_int",
    "check_nonnegative_int",
    "check_policy",
    "check_rows",
    "check_terminal",
    "check_state",
    "check_action",
    "check_vector",
    "check_array",
    "make_config",
]

ROW_SUM_TOL = 1e-8
"""How far a row of probabilities may sum from 1 before it is rejected."""

C = TypeVar("C")


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"the string {value!r}"
    if hasattr(value, "P") and hasattr(value, "n_states"):  # MarkovChain, MRP, MDP
        return f"a {type(value).__name__} object"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def check_number(value: Any, name: str, example: str) -> float:
    """``value`` as a float; TypeError unless it is a real number (not a bool, str or None).

    ``example`` is a valid setting shown in the message, e.g. ``"alpha=0.1"``.
    """
    if type(value) is float and math.isfinite(value):  # the common case, fast
        return value
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number, got {_kind(value)}; pass e.g. {example} "
            "(a float, not a string)."
        )
    x = float(value)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {value!r}; pass e.g. {example}.")
    return x


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """The step size alpha in (0, 1]; returns it as a float."""
    if type(alpha) is float and 0.0 < alpha <= 1.0:  # the common case, fast
        return alpha
    a = check_number(alpha, name, f"{name}=0.1")
    if not 0.0 < a <= 1.0:
        raise ValueError(
            f"{name} (the step size) must be in (0, 1], got {alpha!r}; try {name}=0.1 (larger "
            f"learns faster but noisier, {name}=1 overwrites the old estimate)."
        )
    return a


def check_gamma(gamma: Any, name: str = "gamma") -> float:
    """The discount factor gamma in [0, 1]; returns it as a float."""
    if type(gamma) is float and 0.0 <= gamma <= 1.0:  # the common case, fast
        return gamma
    g = check_number(gamma, name, f"{name}=0.9")
    if not 0.0 <= g <= 1.0:
        raise ValueError(
            f"{name} (the discount factor) must be in [0, 1], got {gamma!r}; use e.g. {name}=0.9, "
            f"or {name}=1.0 for an undiscounted task in which every state reaches a terminal "
            "state."
        )
    return g


def check_epsilon(epsilon: Any, name: str = "epsilon") -> float:
    """The exploration probability epsilon in [0, 1]; returns it as a float."""
    if type(epsilon) is float and 0.0 <= epsilon <= 1.0:  # the common case, fast
        return epsilon
    e = check_number(epsilon, name, f"{name}=0.1")
    if not 0.0 <= e <= 1.0:
        raise ValueError(
            f"{name} (the exploration probability) must be in [0, 1], got {epsilon!r}; "
            f"{name}=0.1 explores a random action 10% of the time, {name}=0 is purely greedy."
        )
    return e


def check_lam(lam: Any, name: str = "lam") -> float:
    """The trace / GAE parameter lambda in [0, 1]; returns it as a float."""
    x = check_number(lam, name, f"{name}=0.95")
    if not 0.0 <= x <= 1.0:
        raise ValueError(
            f"{name} (lambda) must be in [0, 1], got {lam!r}; {name}=0 is the "
            f"one-step TD target, {name}=1 the Monte Carlo return, e.g. {name}=0.95."
        )
    return x


def check_learning_rate(lr: Any, name: str = "learning_rate", example: float = 1e-3) -> float:
    """An optimiser's step size > 0; returns it as a float."""
    x = check_number(lr, name, f"{name}={example:g}")
    if not x > 0.0:
        raise ValueError(f"{name} must be > 0, got {lr!r}; e.g. {name}={example:g}.")
    return x


def check_hidden_sizes(sizes: Any, example: tuple[int, ...] = (64, 64)) -> tuple[int, ...]:
    """A network's hidden layer widths: a tuple of positive integers (may be empty)."""
    if not isinstance(sizes, tuple):
        raise TypeError(
            f"hidden_sizes must be a tuple of layer widths, got {sizes!r}; "
            f"e.g. hidden_sizes={example}."
        )
    return tuple(check_positive_int(n, "hidden_sizes[i]", example[0]) for n in sizes)


def check_beta(beta: Any, name: str = "beta") -> float:
    """The KL coefficient beta > 0; returns it as a float."""
    x = check_number(beta, name, f"{name}=0.1")
    if not x > 0.0:
        raise ValueError(
            f"{name} (the KL coefficient) must be > 0, got {beta!r}; e.g. {name}=0.1 "
            "(larger keeps the policy closer to the reference)."
        )
    return x


def check_tol(tol: Any, name: str = "tol") -> float:
    """A convergence tolerance > 0; returns it as a float."""
    x = check_number(tol, name, f"{name}=1e-8")
    if not x > 0.0:
        raise ValueError(
            f"{name} must be > 0, got {tol!r}; e.g. {name}=1e-8 (an exact 0 is never "
            "reached in floating point)."
        )
    return x


def check_probability(p: Any, name: str, example: str = "0.1") -> float:
    """A probability in [0, 1]; returns it as a float."""
    x = check_number(p, name, f"{name}={example}")
    if not 0.0 <= x <= 1.0:
        raise ValueError(
            f"{name} must be a probability in [0, 1], got {p!r}; e.g. {name}={example}."
        )
    return x


def _check_int(value: Any, name: str, example: int, low: int) -> int:
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        hint = (
            f" ({value!r} is not a whole number)"
            if isinstance(value, numbers.Real) and not isinstance(value, bool)
            else ""
        )
        raise TypeError(
            f"{name} must be an integer{hint}, got {_kind(value)}; pass e.g. {name}={example}."
        )
    if value < low:
        what = "positive" if low == 1 else "non-negative"
        raise ValueError(
            f"{name} must be a {what} integer (>= {low}), got {value}; e.g. {name}={example}."
        )
    return int(value)


def check_positive_int(value: Any, name: str, example: int) -> int:
    """An integer >= 1 (a count of episodes, steps, groups ...); returns it as an int."""
    return _check_int(value, name, example, 1)


def check_nonnegative_int(value: Any, name: str, example: int) -> int:
    """An integer >= 0 (a number of steps that may be zero); returns it as an int."""
    return _check_int(value, name, example, 0)


def check_rows(
    M: Any,
    row_label: Callable[[int], str],
    what: str,
    fix: str,
    allow_zero_rows: np.ndarray | None = None,
    col_label: Callable[[int], str] = lambda j: f"column {j}",
) -> None:
    """Check that each row of a 2-D dense or CSR matrix is a probability distribution.

    ``row_label(i)`` / ``col_label(j)`` turn indices into words for the message;
    ``allow_zero_rows`` (bool per row) marks rows that may be all zero (terminal states, never
    backed up from). Checks, in order: finite, non-negative, sums to 1 within ``ROW_SUM_TOL``
    (the sum is reported). A sparse matrix is never made dense.
    """
    if hasattr(M, "tocsr"):  # scipy.sparse, recognised without importing scipy
        M = M.tocsr()
        data, cols = M.data, M.indices
        row_of = lambda k: int(np.searchsorted(M.indptr, k, side="right") - 1)  # noqa: E731
        bad = np.flatnonzero(~np.isfinite(data))
        if bad.size:
            k = bad[0]
            raise ValueError(
                f"{what} for {row_label(row_of(k))}, {col_label(cols[k])} is "
                f"{data[k]}; every probability must be a finite number. {fix}"
            )
        bad = np.flatnonzero(data < 0)
        if bad.size:
            k = bad[0]
            raise ValueError(
                f"{what} for {row_label(row_of(k))}, {col_label(cols[k])} is "
                f"{data[k]:g} < 0; probabilities must be >= 0. {fix}"
            )
        sums = np.asarray(M.sum(axis=1)).ravel()  # (rows,) stays sparse, no densify
    else:
        bad = np.argwhere(~np.isfinite(M))
        if bad.size:
            i, j = bad[0]
            raise ValueError(
                f"{what} for {row_label(i)}, {col_label(j)} is {M[i, j]}; "
                f"every probability must be a finite number. {fix}"
            )
        bad = np.argwhere(M < 0)
        if bad.size:
            i, j = bad[0]
            raise ValueError(
                f"{what} for {row_label(i)}, {col_label(j)} is {M[i, j]:g} < 0; "
                f"probabilities must be >= 0. {fix}"
            )
        sums = M.sum(axis=1)
    wrong = np.abs(sums - 1.0) > ROW_SUM_TOL
    if allow_zero_rows is not None:
        wrong &= ~(allow_zero_rows & (sums == 0.0))
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise ValueError(
            f"{what} for {row_label(i)} sum to {sums[i]:.12g} instead of 1 "
            f"(tolerance {ROW_SUM_TOL:g}); {fix}"
        )


def check_policy(
    pi: Any,
    n_states: int,
    n_actions: int,
    *,
    state_label: Callable[[int], str] | None = None,
    action_label: Callable[[int], str] | None = None,
) -> np.ndarray:
    """``pi`` as a float (S, A) array whose rows are distributions pi(. | s).

    ``state_label`` / ``action_label`` name states and actions in messages (default
    ``state s`` / ``action a``). Wrong shape, non-finite or negative entries, and rows that do
    not sum to 1 each get their own message.
    """
    try:
        arr = np.asarray(pi, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"the policy pi must be an (S, A) array of probabilities, got "
            f"{type(pi).__name__}; e.g. np.full((S, A), 1 / A) for the uniform "
            "policy."
        ) from None
    if arr.shape != (n_states, n_actions):
        raise ValueError(
            f"the policy pi has shape {arr.shape}, but the model has {n_states} states and "
            f"{n_actions} actions; pass an (S, A) = ({n_states}, {n_actions}) matrix with "
            "pi[s, a] = probability of action a in state s (np.full((S, A), 1 / A) is uniform; "
            "np.eye(A)[actions] turns a list of actions into one-hot rows)."
        )
    state_label = state_label or (lambda s: f"state {s}")
    action_label = action_label or (lambda a: f"action {a}")
    check_rows(
        arr,
        state_label,
        "the policy probabilities pi(.|s)",
        "Fix: each row must be a distribution over the actions, e.g. "
        "pi = pi / pi.sum(axis=1, keepdims=True).",
        col_label=action_label,
    )
    return arr


def check_terminal(terminal: Any, n_states: int) -> np.ndarray:
    """The terminal states as a boolean mask (S,).

    Accepts ``None`` (no terminal state), a boolean mask of shape (S,), or a list / array of
    state indices (``[0, 6]``). An integer array of shape (S,) holding only 0s and 1s is refused
    as ambiguous (is ``[0, 1, 0]`` a mask or the indices 0 and 1?): pass ``dtype=bool``.
    """
    S = n_states
    if terminal is None:
        return np.zeros(S, dtype=bool)
    t = np.asarray(terminal)
    if t.dtype == bool:
        if t.shape != (S,):
            raise ValueError(
                f"terminal must be a boolean mask of shape (S,) = ({S},) or a list "
                f"of state indices, got a boolean array of shape {t.shape}."
            )
        return t.copy()
    if t.ndim == 0:
        if np.issubdtype(t.dtype, np.integer):  # one index: say how to write it
            raise TypeError(
                f"terminal must be a boolean mask of shape ({S},) or a list of state "
                f"indices, got the single number {terminal!r}; for one terminal "
                f"state write terminal=[{terminal!r}]."
            )
        raise TypeError(
            f"terminal must be a boolean mask of shape ({S},) or a list of state "
            f"indices, got the single value {terminal!r}. (Was gamma passed in its "
            "place? gamma is keyword-only: write gamma=0.9.)"
        )
    if t.size == 0:
        return np.zeros(S, dtype=bool)
    if t.ndim != 1 or not np.issubdtype(t.dtype, np.integer):
        if t.ndim == 1 and np.issubdtype(t.dtype, np.floating) and np.all(t == np.round(t)):
            t = t.astype(np.int64)
        else:
            raise TypeError(
                f"terminal must be a boolean mask of shape ({S},) or a list of state "
                f"indices, got an array of dtype {t.dtype} and shape {t.shape}."
            )
    if t.shape == (S,) and set(np.unique(t).tolist()) <= {0, 1}:
        raise ValueError(
            f"terminal {t.tolist()} is ambiguous: a 0/1 mask or the state indices "
            f"{sorted(set(t.tolist()))}? Pass a boolean mask "
            "(np.array(..., dtype=bool)) or a list of the terminal state indices."
        )
    bad = t[(t < 0) | (t >= S)]
    if bad.size:
        raise ValueError(
            f"terminal state index {int(bad[0])} is out of range; the model has states 0..{S - 1}."
        )
    mask = np.zeros(S, dtype=bool)
    mask[t] = True
    return mask


def check_state(s: Any, n_states: int, name: str = "state") -> int:
    """A state index 0 <= s < S as an int."""
    if type(s) is int and 0 <= s < n_states:  # the common case, fast
        return s
    if isinstance(s, np.ndarray) and s.shape == ():
        s = s.item()
    if isinstance(s, bool) or not isinstance(s, numbers.Integral):
        raise TypeError(f"{name} must be a state index (an int), got {_kind(s)}.")
    if not 0 <= s < n_states:
        raise ValueError(f"{name} {s} is out of range; valid state indices are 0..{n_states - 1}.")
    return int(s)


def check_array(x: Any, name: str, what: str) -> np.ndarray:
    """``x`` as a float64 array (no copy when it already is one); a TypeError that says what was
    expected when it is not an array of numbers (a string, None, a model object, ragged lists).

    ``what`` describes the expected value, e.g. ``"an (S, A) array of rewards"``. Shapes and
    values are the caller's to check.
    """
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x
    if x is None or isinstance(x, str) or (hasattr(x, "P") and hasattr(x, "n_states")):
        raise TypeError(f"{name} must be {what}, got {_kind(x)}.")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        ragged = isinstance(x, (list, tuple)) and any(isinstance(e, (list, tuple)) for e in x)
        got = "lists of different lengths" if ragged else _kind(x)
        raise TypeError(f"{name} must be {what}, got {got}.") from None


def check_action(a: Any, n_actions: int, name: str = "a") -> int:
    """An action index 0 <= a < A as an int."""
    if type(a) is int and 0 <= a < n_actions:  # the common case, fast
        return a
    if isinstance(a, np.ndarray) and a.shape == ():
        a = a.item()
    if isinstance(a, bool) or not isinstance(a, numbers.Integral):
        raise TypeError(f"{name} must be an action index (an int), got {_kind(a)}.")
    if not 0 <= a < n_actions:
        raise ValueError(
            f"{name} {a} is out of range; valid action indices are 0..{n_actions - 1}."
        )
    return int(a)


def check_vector(x: Any, n: int, name: str, what: str = "one value per state") -> np.ndarray:
    """A float copy of ``x`` with shape (n,), finite (we never write into the caller's array)."""
    v = np.array(check_array(x, name, f"an array of shape ({n},) ({what})"), dtype=np.float64)
    if v.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), {what}; got shape {v.shape}.")
    if not np.all(np.isfinite(v)):
        i = int(np.flatnonzero(~np.isfinite(v))[0])
        raise ValueError(f"{name}[{i}] is {v[i]}; every entry must be a finite number.")
    return v


def make_config(cls: type[C], config: C | None, overrides: dict[str, Any]) -> C:
    """``config`` (or ``cls()``) with the keyword ``overrides`` applied, e.g. ``alpha=0.5``.

    Unknown field names are a TypeError that lists the fields; the dataclass's own
    ``__post_init__`` checks the values.
    """
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise TypeError(
            f"unknown {cls.__name__} field(s) {unknown}; the fields are {sorted(fields)}."
        )
    if config is None:
        return cls(**overrides)
    if not isinstance(config, cls):
        raise TypeError(
            f"config must be a {cls.__name__}, got {type(config).__name__}; build one "
            f"with {cls.__name__}(...) or pass the fields as keywords."
        )
    return dataclasses.replace(config, **overrides) if overrides else config
