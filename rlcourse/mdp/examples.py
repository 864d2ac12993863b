"""Small teaching models with known answers, and generators for the DP benchmark."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from rlcourse.grid import ACTION_NAMES, MOVES, PERPENDICULAR
from rlcourse.mdp._common import Names
from rlcourse.mdp.chain import MarkovChain
from rlcourse.mdp.mdp import MDP
from rlcourse.mdp.mrp import MRP
from rlcourse.utils import SeedLike, as_generator
from rlcourse.validation import (
    check_gamma,
    check_nonnegative_int,
    check_positive_int,
    check_probability,
)

__all__ = ["two_state_chain", "random_walk_mrp", "jump_random_walk_mrp", "random_mdp", "grid_mdp"]


def two_state_chain(p: float = 0.3, q: float = 0.1) -> MarkovChain:
    """States "a", "b"; a -> b with probability p, b -> a with probability q.

    P = [[1-p, p], [q, 1-q]],   stationary mu = (q/(p+q), p/(p+q))   (for p + q > 0).
    """
    p, q = check_probability(p, "p", "0.3"), check_probability(q, "q", "0.1")
    return MarkovChain(np.array([[1 - p, p], [q, 1 - q]]), states=["a", "b"])


def random_walk_mrp(n: int = 5, *, gamma: float = 1.0) -> MRP:
    """Sutton & Barto's random walk (Example 6.2): n states in a row between two terminals.

    States "T_left", A, B, C, D, E (for n = 5; "s1".."sn" otherwise), "T_right". From each
    inner state step left or right with probability 1/2; entering T_right pays +1, all else 0.
    As an MRP, R(s) is the *expected* reward of leaving s: 1/2 for the rightmost inner state.
    With gamma = 1 the true values are V(i) = i / (n + 1): 1/6, 2/6, ..., 5/6 for n = 5.
    """
    n = check_positive_int(n, "n", 5)
    S = n + 2
    P = np.zeros((S, S))
    for i in range(1, n + 1):
        P[i, i - 1] = P[i, i + 1] = 0.5
    P[0, 0] = P[S - 1, S - 1] = 1.0  # absorbing terminals
    R = np.zeros(S)
    R[n] = 0.5  # 1/2 chance of +1 on entering T_right
    terminal = np.zeros(S, dtype=bool)
    terminal[[0, S - 1]] = True
    inner = list("ABCDE") if n == 5 else [f"s{i}" for i in range(1, n + 1)]
    return MRP(P, R, terminal, gamma=gamma, states=["T_left", *inner, "T_right"])


def jump_random_walk_mrp(n: int = 1000, jump: int = 100, *, gamma: float = 1.0) -> MRP:
    """Sutton & Barto's 1000-state random walk (Example 9.1), the test bed of chapter 05.

    States 0 (left end), 1..n (inner), n + 1 (right end). From inner state i the walk jumps to
    i + k with k uniform over {-jump, .., -1, 1, .., jump}; a jump past an end lands on that end.
    Leaving on the left pays -1, on the right +1, so as an MRP the expected reward is
    R(i) = P(i -> right end) - P(i -> left end). Episodes from state 500 average about 83 steps.
    """
    n = check_positive_int(n, "n", 1000)
    jump = check_positive_int(jump, "jump", 100)
    S = n + 2
    P = np.zeros((S, S))  # (S, S')
    i = np.arange(1, n + 1)  # (n,) inner states
    for k in [*range(-jump, 0), *range(1, jump + 1)]:
        np.add.at(P, (i, np.clip(i + k, 0, S - 1)), 1 / (2 * jump))
    P[0, 0] = P[S - 1, S - 1] = 1.0  # absorbing ends
    R = P[:, S - 1] - P[:, 0]  # (S,) expected reward of leaving each state
    R[[0, S - 1]] = 0.0
    terminal = np.zeros(S, dtype=bool)
    terminal[[0, S - 1]] = True
    return MRP(P, R, terminal, gamma=gamma)


def random_mdp(
    S: int, A: int, *, seed: SeedLike = None, branching: int | None = None, gamma: float = 0.9
) -> MDP:
    """A dense random MDP for tests and benchmarks (no terminal states).

    P[s, a] is uniform random weights over all S next states, normalised (branching=None), or
    over ``branching`` next states drawn at random (the rest 0). R[s, a] ~ N(0, 1).
    S=4000, A=8 is 1 GB of float64; more than 4 GB is refused.
    """
    S = check_positive_int(S, "S", 100)
    A = check_positive_int(A, "A", 4)
    if S * A * S * 8 > 4e9:
        raise ValueError(
            f"random_mdp({S}, {A}) needs a dense P of S * A * S * 8 bytes = "
            f"{S * A * S * 8 / 1e9:.1f} GB (and as much again while building it); "
            "use fewer states, or grid_mdp(...) for a large sparse model."
        )
    rng = as_generator(seed)
    P = rng.random((S * A, S))  # (S*A, S)
    if branching is not None:
        b = check_positive_int(branching, "branching", 5)
        if not 1 <= b <= S:
            raise ValueError(f"branching must be in 1..S={S}, got {branching}.")
        keep = np.argsort(rng.random((S * A, S)), axis=1)[:, :b]  # (S*A, b) successors
        mask = np.zeros((S * A, S), dtype=bool)
        np.put_along_axis(mask, keep, True, axis=1)
        P *= mask
        del mask
    P /= P.sum(axis=1, keepdims=True)
    R = rng.standard_normal((S, A))
    return MDP(P.reshape(S, A, S), R, gamma=gamma)


def _cell(goal, H: int, W: int) -> tuple[int, int]:
    """The goal as (row, col) inside an H x W grid."""
    try:
        r, c = goal
    except (TypeError, ValueError):
        raise TypeError(
            f"goal must be a (row, col) pair, got {goal!r}; e.g. goal=({H - 1}, "
            f"{W - 1}), the bottom-right cell."
        ) from None
    r = check_nonnegative_int(r, "the goal's row", H - 1)
    c = check_nonnegative_int(c, "the goal's column", W - 1)
    if r >= H or c >= W:
        raise ValueError(
            f"goal {goal!r} is outside the {H} x {W} grid; rows are 0..{H - 1} and "
            f"columns 0..{W - 1}."
        )
    return r, c


def grid_mdp(
    height: int,
    width: int,
    *,
    gamma: float = 0.9,
    sparse: bool = True,
    slip: float = 0.0,
    goal: tuple[int, int] | None = None,
) -> MDP:
    """A height x width grid world: reward -1 per step, one terminal goal (default the
    bottom-right cell), actions up/right/down/left; a move off the grid stays put.

    slip: with probability 1 - slip the intended move happens, otherwise one of the two
    perpendicular moves (slip/2 each). State index s = row * width + col, name "r{row}c{col}".
    The model is built with index arithmetic as a CSR (S*A, S) matrix; 10^6 states take about
    a second and no S*A*S array is ever made. sparse=False returns the dense (S, A, S) array
    (for small grids; refused above ~2 GB).
    """
    H = check_positive_int(height, "height", 10)
    W = check_positive_int(width, "width", 10)
    gamma = check_gamma(gamma)
    slip = check_probability(slip, "slip", "0.1")
    A = len(ACTION_NAMES)
    S = H * W
    if S * A > 4 * 10**8:
        raise ValueError(
            f"a {H} x {W} grid has {S:,} states; even its sparse P (about "
            f"{S * A * (3 if slip else 1) * 12 / 1e9:.0f} GB) is too large. The "
            "benchmarks go up to 1000 x 1000 (10^6 states, ~50 MB)."
        )
    gr, gc = (H - 1, W - 1) if goal is None else _cell(goal, H, W)
    g = gr * W + gc
    r, c = np.divmod(np.arange(S), W)  # (S,), (S,)
    nr = np.clip(r[:, None] + MOVES[None, :, 0], 0, H - 1)  # (S, A)
    nc = np.clip(c[:, None] + MOVES[None, :, 1], 0, W - 1)  # (S, A)
    nxt = nr * W + nc  # (S, A) next state of the intended move
    nxt[g] = g  # the goal is absorbing
    if slip == 0.0:
        P = sp.csr_matrix((np.ones(S * A), nxt.ravel(), np.arange(S * A + 1)), shape=(S * A, S))
    else:
        perp = np.array([PERPENDICULAR[a] for a in range(A)])  # (A, 2) actions at right angles
        cols = np.stack([nxt, nxt[:, perp[:, 0]], nxt[:, perp[:, 1]]], axis=-1)  # (S, A, 3)
        probs = np.broadcast_to([1 - slip, slip / 2, slip / 2], cols.shape)
        P = sp.csr_matrix(
            (probs.ravel(), cols.ravel(), np.arange(0, 3 * S * A + 1, 3)), shape=(S * A, S)
        )
        P.sum_duplicates()  # bumping into a wall can send two moves to the same cell
    R = -np.ones((S, A))
    R[g] = 0.0
    terminal = np.zeros(S, dtype=bool)
    terminal[g] = True
    if not sparse:
        if S * A * S * 8 > 2e9:
            raise ValueError(
                f"a dense {H}x{W} grid needs {S * A * S * 8 / 1e9:.1f} GB; use sparse=True."
            )
        P = P.toarray().reshape(S, A, S)
    names = Names("s", S, fmt=lambda i: f"r{i // W}c{i % W}")
    return MDP(P, R, terminal, gamma=gamma, states=names, actions=list(ACTION_NAMES))
