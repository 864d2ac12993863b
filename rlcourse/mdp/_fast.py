"""The fast value-iteration sweep for models of 1,024 states and more: off the reading path.

:func:`rlcourse.mdp.bellman.bellman_optimality` reads like the slide,
``max_a [R + gamma P V]``. On a sparse model with 10^6 states that computes an (S, A) Q of
several MB and then reduces it, and both passes miss the CPU cache. Here the same numbers are
computed block by block of ``BLOCK_STATES`` states: each block's rows of P, its Q and its R stay
in cache, and the max over the (few) actions is an elementwise maximum of columns (numpy's
``Q.max(axis=1)`` over an axis of 4 actions costs several times the sparse product itself).
4-6x faster than the readable line from 10^3 to 10^6 states. A dense (S, A, S) model is one
block (its product is one BLAS matvec); there the gain is the max over actions and fewer
temporaries (sweep / matvec 1.5 -> 1.2 at S = 500, A = 8). ``tests/test_mdp_fast.py`` checks
that both paths agree.

The row blocks are views into P's CSR arrays (no copy) and are cached for the last P seen, so
the split costs nothing after the first sweep of a value iteration.
"""

from __future__ import annotations

import weakref

import numpy as np
import scipy.sparse as sp

BLOCK_STATES = 32_768
"""States per block of the cache-blocked sparse sweep."""
MIN_STATES = 1_024
"""Sparse models from this many states take the fast sweep (smaller ones stay on the readable
line, which a student can step through)."""
MIN_DENSE_ENTRIES = 100_000
"""Dense models with at least this many entries in P (S * A * S, 0.8 MB) take the fast sweep;
the teaching models (MineGrid: 100 x 4 x 100 = 40,000) stay on the readable line."""

_cache: tuple[weakref.ref, int, list] | None = None  # (weakref to P, A, row blocks)


def worth_it(P) -> bool:
    """True for a sparse P with at least ``MIN_STATES`` states, or a dense P (numpy array) with
    at least ``MIN_DENSE_ENTRIES`` entries: then the fast sweep pays."""
    if sp.issparse(P):
        return P.shape[1] >= MIN_STATES
    return isinstance(P, np.ndarray) and P.ndim == 3 and P.size >= MIN_DENSE_ENTRIES


def max_over_actions(Q: np.ndarray) -> np.ndarray:
    """max_a Q[s, a], shape (S,): Q.max(axis=1) as an elementwise maximum over the A columns,
    several times faster when A is small and S is large."""
    V = Q[:, 0].copy()  # (S,)
    for a in range(1, Q.shape[1]):
        np.maximum(V, Q[:, a], out=V)
    return V


def _row_blocks(P, A: int) -> list:
    """CSR row blocks (lo, hi, P[lo*A:hi*A]) sharing P's data and indices (views, no copy)."""
    global _cache
    if _cache is not None and _cache[0]() is P and _cache[1] == A:
        return _cache[2]
    P = P.tocsr() if not isinstance(P, sp.csr_matrix) else P
    S = P.shape[1]
    blocks = []
    for lo in range(0, S, BLOCK_STATES):
        hi = min(S, lo + BLOCK_STATES)
        a, b = P.indptr[lo * A], P.indptr[hi * A]
        B = sp.csr_matrix(((hi - lo) * A, S))  # empty, then pointed at views of P's arrays:
        # csr_matrix((data, indices, indptr)) would copy a slice that is under half of P.data
        # (scipy's prune), doubling the memory and missing later changes to P.data.
        B.data, B.indices = P.data[a:b], P.indices[a:b]
        B.indptr = (P.indptr[lo * A : hi * A + 1] - a).astype(P.indices.dtype)
        blocks.append((lo, hi, B))
    _cache = (weakref.ref(P), A, blocks)
    return blocks


def bellman_optimality(
    P, R: np.ndarray, V: np.ndarray, terminal: np.ndarray, gamma: float
) -> np.ndarray:
    """The same numbers as ``rlcourse.mdp.bellman_optimality`` for a sparse (S*A, S) P or a
    dense (S, A, S) one. ``V`` is already 0 at terminal states; ``terminal`` is a boolean mask.
    """
    S, A = R.shape
    gV = gamma * V  # (S,) gamma applied to S numbers instead of S*A
    if not sp.issparse(P):  # dense: one BLAS matvec, then the max over actions in place
        Q = (P.reshape(S * A, S) @ gV).reshape(S, A)  # (S, A) gamma P V
        Q += R
        V_new = max_over_actions(Q)
        V_new[terminal] = 0.0
        return V_new
    V_new = np.empty(S)
    for lo, hi, B in _row_blocks(P, A):
        Q = (B @ gV).reshape(hi - lo, A)  # (block, A) gamma P V on this block
        Q += R[lo:hi]
        V_new[lo:hi] = max_over_actions(Q)
    V_new[terminal] = 0.0
    return V_new
