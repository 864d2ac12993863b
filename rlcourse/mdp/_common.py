"""Shared helpers of Part I: names in error messages, graph reachability, telling an array
from a model object. Private: the public names live in the other modules; the checks of numbers,
policies and probability rows are in :mod:`rlcourse.validation`.

Everything here works on dense arrays *and* on scipy.sparse CSR matrices without ever
turning a sparse matrix into a dense one.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph


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
        try:
            names = list(names)
        except TypeError:
            raise TypeError(
                f"{kind}s must be a list of names, one per {kind}, got "
                f"{type(names).__name__} {names!r}."
            ) from None
    if len(names) != n:
        raise ValueError(
            f"{kind}s has {len(names)} names but the model has {n} {kind}s; "
            f"pass exactly one name per {kind} (or {kind}s=None for '{prefix}0', '{prefix}1', ...)."
        )
    if not isinstance(names, Names) and len(set(map(str, names))) != n:
        seen: set = set()
        twice = next(x for x in map(str, names) if x in seen or seen.add(x))
        raise ValueError(
            f"the {kind} name {twice!r} appears twice in {kind}s; every {kind} needs "
            "its own name (messages and sample() look states up by name)."
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


def is_model(x) -> bool:
    """True for a model object (MarkovChain, MRP, MDP) rather than an array."""
    return hasattr(x, "P") and hasattr(x, "n_states")


def reject_model(x, function: str, alternative: str) -> None:
    """TypeError when an array function is given a model object (MarkovChain, MRP, MDP)."""
    if is_model(x):
        raise TypeError(
            f"{function} works on plain arrays, but got a {type(x).__name__} object; "
            f"call {alternative} instead, or pass its arrays (e.g. mdp.P, mdp.R, "
            "mdp.terminal, gamma=mdp.gamma)."
        )


def arrays_only(use_instead: str):
    """Decorator for the functions named after the slides' symbols, which take plain arrays.

    Called with a model object as first argument (the habit of ``solve_value_iteration(mdp)``),
    they raise a TypeError that names the function to use instead, before Python complains
    about missing arguments.
    """

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if args and is_model(args[0]):
                reject_model(args[0], f"{fn.__name__}()", use_instead)
            return fn(*args, **kwargs)

        return wrapper

    return decorate
