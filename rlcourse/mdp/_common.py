"""Shared helpers of Part I: names in error messages, validation of probability tables,
graph reachability. Private: the public names live in the other modules.

Everything here works on dense arrays *and* on scipy.sparse CSR matrices without ever
turning a sparse matrix into a dense one.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

ROW_SUM_TOL = 1e-8  # |sum_s' P(s'|s, a) - 1| allowed before a row is rejected


class Names(Sequence):
    """Names made on demand (10^6 states cost no memory): ``prefix0, prefix1, ...`` or,
    when ``fmt`` is given, ``fmt(i)``. Behaves like a read-only list of str."""

    def __init__(self, prefix: str, n: int, fmt=None):
        self.prefix, self.n, self.fmt = prefix, int(n), fmt

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        i = int(i)
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.fmt(i) if self.fmt is not None else f"{self.prefix}{i}"

    def __eq__(self, other):
        return list(self) == list(other)

    def __repr__(self) -> str:
        return f"Names({self.prefix!r}, {self.n})"


def check_names(names, n: int, kind: str, prefix: str) -> Sequence:
    """Return ``names`` (or default names) after checking there is one per state/action."""
    if names is None:
        return Names(prefix, n)
    if isinstance(names, str) or not isinstance(names, Sequence):
        names = list(names)
    if len(names) != n:
        raise ValueError(
            f"{kind}s has {len(names)} names but the model has {n} {kind}s; "
            f"pass exactly one name per {kind} (or {kind}s=None for '{prefix}0', '{prefix}1', ...)."
        )
    return names


def state_label(names, s: int) -> str:
    """``state 's3' (index 3)`` — how every error message names a state."""
    return f"state {names[s]!r} (index {s})"


def action_label(names, a: int) -> str:
    return f"action {names[a]!r} (index {a})"


def state_index(names, s) -> int:
    """Accept a state index or a state name; return the index."""
    if isinstance(s, (int, np.integer)):
        if not 0 <= s < len(names):
            raise ValueError(
                f"state index {s} is out of range; valid indices are 0..{len(names) - 1}."
            )
        return int(s)
    try:
        return list(names).index(s)
    except ValueError:
        shown = list(names[: min(len(names), 10)])
        raise ValueError(
            f"unknown state {s!r}; pass an index 0..{len(names) - 1} or one of the names "
            f"{shown}{' ...' if len(names) > 10 else ''}."
        ) from None


def check_gamma(gamma) -> float:
    g = float(gamma)
    if not (0.0 <= g <= 1.0):  # also rejects nan
        raise ValueError(
            f"gamma must be in [0, 1], got {gamma!r}; use e.g. gamma=0.9 "
            "(gamma < 1 discounts future rewards, gamma = 1 needs every state to reach a terminal)."
        )
    return g


def check_terminal(terminal, S: int, states) -> np.ndarray:
    if terminal is None:
        return np.zeros(S, dtype=bool)
    t = np.asarray(terminal)
    if t.shape != (S,):
        raise ValueError(
            f"terminal must be a boolean array of shape (S,) = ({S},), got shape {t.shape}; "
            "pass terminal[s] = True for each absorbing end state."
        )
    return t.astype(bool)


def check_rows(
    M,
    row_label,
    what: str,
    fix: str,
    allow_zero_rows: np.ndarray | None = None,
    col_label=lambda j: f"column {j}",
) -> None:
    """Check that each row of a 2-D dense or CSR matrix is a probability distribution.

    ``row_label(i)`` / ``col_label(j)`` turn indices into words for the message; ``allow_zero_rows`` (bool
    per row) marks rows that may be all zero (terminal states, never backed up from).
    Order of checks: finite, non-negative, sum to 1 (within ROW_SUM_TOL, the sum is reported).
    """
    if sp.issparse(M):
        data, cols = M.data, M.indices
        rows_of = lambda k: int(np.searchsorted(M.indptr, k, side="right") - 1)  # noqa: E731
        bad = np.flatnonzero(~np.isfinite(data))
        if bad.size:
            k = bad[0]
            raise ValueError(
                f"{what} for {row_label(rows_of(k))}, {col_label(cols[k])} is {data[k]}; "
                f"every probability must be a finite number. {fix}"
            )
        bad = np.flatnonzero(data < 0)
        if bad.size:
            k = bad[0]
            raise ValueError(
                f"{what} for {row_label(rows_of(k))}, {col_label(cols[k])} is {data[k]:g} < 0; "
                f"probabilities must be >= 0. {fix}"
            )
        sums = np.asarray(M.sum(axis=1)).ravel()  # (rows,) — stays sparse, no densify
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


def state_graph(P2, A: int) -> sp.csr_matrix:
    """Adjacency (S, S) of 'some action moves s to s2 with probability > 0'.

    ``P2`` is (S*A, S) dense or CSR (row s*A + a); ``A = 1`` for a Markov chain / MRP.
    The sparse path only relabels rows (s*A + a -> s); it never makes a dense matrix.
    """
    S = P2.shape[1]
    if sp.issparse(P2):
        P2 = P2.tocsr()
        rows = np.repeat(np.arange(P2.shape[0]) // A, np.diff(P2.indptr))  # (nnz,)
        keep = P2.data > 0
        rows, cols = rows[keep], P2.indices[keep]
    else:
        rows, cols = np.nonzero(P2 > 0)
        rows = rows // A
    return sp.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(S, S))


def states_not_reaching(G: sp.csr_matrix, terminal: np.ndarray) -> np.ndarray:
    """Indices of states with no path to any terminal state in the graph G (S, S).

    Breadth-first search backwards from a virtual node S that points to every terminal:
    a state reaches a terminal iff the reversed graph reaches it from node S.
    """
    S = G.shape[0]
    term = np.flatnonzero(terminal)
    if term.size == 0:
        return np.arange(S)
    Gt = G.T.tocoo()  # reversed edges s2 -> s
    rows = np.concatenate([Gt.row, np.full(term.size, S)])
    cols = np.concatenate([Gt.col, term])
    R = sp.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(S + 1, S + 1))
    reached = csgraph.breadth_first_order(R, S, directed=True, return_predecessors=False)
    ok = np.zeros(S + 1, dtype=bool)
    ok[reached] = True
    return np.flatnonzero(~ok[:S])


def describe_states(names, idx: np.ndarray, k: int = 3) -> str:
    shown = ", ".join(state_label(names, int(s)) for s in idx[:k])
    more = f" and {idx.size - k} more" if idx.size > k else ""
    return shown + more
