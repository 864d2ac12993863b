"""Markov chains and returns ([D001]: Markov process, return G_t).

A Markov chain is a set of states S and a transition matrix

    P[s, s2] = p(s_{t+1} = s2 | s_t = s),        P shape (S, S), rows sum to 1.

Its state distribution moves as a row vector, mu_{n+1} = mu_n P, so mu_n = mu_0 P^n; a
stationary distribution satisfies mu P = mu. The return from time t is

    G_t = r_t + gamma r_{t+1} + gamma^2 r_{t+2} + ... = sum_k gamma^k r_{t+k}.

| symbol | code | shape |
|---|---|---|
| P | ``P`` | (S, S) |
| mu_0, mu_n | ``mu0``, ``mu`` | (S,) |
| r_0 .. r_{T-1} | ``rewards`` | (T,) |
| G_0, G_t | ``discounted_return``, ``returns`` | float, (T,) |

The functions take plain arrays (the exercises' contract); :class:`MarkovChain` validates a
matrix once, names its states and samples trajectories.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from rlcourse._types import ArrayLike, StartLike, Transitions
from rlcourse.mdp._common import arrays_only, check_names, reject_model, state_index, state_label
from rlcourse.utils import SeedLike, as_generator
from rlcourse.validation import check_array, check_gamma, check_nonnegative_int, check_rows

__all__ = [
    "discounted_return",
    "returns",
    "n_step_distribution",
    "stationary_distribution",
    "MarkovChain",
]


def _rewards(rewards) -> np.ndarray:
    r = check_array(rewards, "rewards", "a list or 1-D array of numbers (one reward per step)")
    if r.ndim == 0:
        raise TypeError(
            f"rewards must be a list of one episode's rewards, got the single number "
            f"{rewards!r}; write [{rewards!r}] for an episode of one step."
        )
    if r.ndim > 1:
        raise ValueError(
            f"rewards must be one episode's rewards, a 1-D sequence, got shape "
            f"{r.shape}; for several episodes call this once per episode."
        )
    if not np.all(np.isfinite(r)):
        t = int(np.flatnonzero(~np.isfinite(r))[0])
        raise ValueError(f"rewards[{t}] is {r[t]}; every reward must be a finite number.")
    return r  # (T,)


def discounted_return(rewards: ArrayLike, *, gamma: float) -> float:
    """G_0 = sum_{k=0}^{T-1} gamma^k r_k  ([D001], "Return").

    ``rewards[k]`` is the reward of step k (R_k in [D001]); an empty list gives 0.0.
    Summed backwards (G = r + gamma G), which is exact for gamma = 0 and cheap.
    """
    gamma = check_gamma(gamma)
    G = 0.0
    for r in reversed(_rewards(rewards)):
        G = float(r) + gamma * G
    return G


def returns(rewards: ArrayLike, *, gamma: float) -> np.ndarray:
    """G_t for every t of an episode, by the backward recursion G_t = r_t + gamma G_{t+1}.

    ``rewards`` has length T; G_T = 0 (the episode has ended). Returns a new array, shape (T,);
    ``returns(rewards, gamma=g)[0] == discounted_return(rewards, gamma=g)``.
    In Part II's notation (rewards R_1 .. R_T after S_0 .. S_{T-1}) entry t is
    G_t = R_{t+1} + gamma G_{t+1}: the same numbers, indexed by the state they follow.
    """
    gamma = check_gamma(gamma)
    r = _rewards(rewards)  # (T,)
    G = np.zeros_like(r)  # (T,)
    running = 0.0
    for t in range(r.size - 1, -1, -1):
        running = r[t] + gamma * running  # G_t = r_t + gamma G_{t+1}
        G[t] = running
    return G


def _square(P, what: str = "P") -> np.ndarray:
    """P as a float (S, S) array (shape checked; rows not yet)."""
    if sp.issparse(P):
        raise TypeError(
            f"{what} must be a dense (S, S) array; a Markov chain here is small: pass P.toarray()."
        )
    P = check_array(P, what, "an (S, S) array of probabilities P[s, s2] = p(s2|s)")
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] == 0:
        raise ValueError(
            f"{what} must be a square (S, S) matrix with P[s, s2] = p(s2|s) and "
            f"S >= 1, got shape {P.shape}."
        )
    return P


def _check_chain_rows(P: np.ndarray, label) -> None:
    check_rows(
        P,
        label,
        "transition probabilities p(.|s)",
        "Fix: make each row of P a distribution, e.g. P /= P.sum(axis=1, keepdims=True).",
        col_label=lambda j: "next " + label(j),
    )


def _transition_matrix(P, what: str = "P") -> np.ndarray:
    """P as a float (S, S) array whose rows are distributions (checked, naming the state)."""
    P = _square(P, what)
    _check_chain_rows(P, lambda i: f"state {i}")
    return P


def _start_distribution(mu0, S: int, names: Sequence | None = None) -> np.ndarray:
    if isinstance(mu0, (int, np.integer, str)) and not isinstance(mu0, bool):
        mu = np.zeros(S)
        mu[state_index(names if names is not None else range(S), mu0)] = 1.0
        return mu
    mu = check_array(
        mu0, "mu0", "a distribution over states (an array of shape (S,)) or a start state"
    )
    if mu.shape != (S,):
        raise ValueError(f"mu0 must have shape ({S},) or be a start state, got {mu.shape}.")
    check_rows(
        mu[None, :],
        lambda i: "the start distribution mu0",
        "mu0 entries",
        "Fix: pass a distribution over states (non-negative, summing to 1).",
    )
    return mu.copy()  # a new array even for n = 0: the caller's mu0 is never handed back


@arrays_only(use_instead="chain.distribution(mu0, n)")
def n_step_distribution(P: Transitions, mu0: ArrayLike, n: int) -> np.ndarray:
    """mu_n = mu0 P^n: the distribution of s_n when s_0 ~ mu0 ([D001], "Markov process").

    ``P`` (S, S), ``mu0`` a distribution (S,) (or a start state index: a point mass), ``n`` an
    integer >= 0. Computed as n vector-matrix products mu <- mu P (never forms P^n); returns
    a new array (S,).
    """
    P = _transition_matrix(P)
    n = check_nonnegative_int(n, "n", 3)
    mu = _start_distribution(mu0, P.shape[0])  # (S,)
    for _ in range(n):
        mu = mu @ P  # (S,) @ (S, S) -> (S,)
    return mu


@arrays_only(use_instead="chain.stationary()")
def stationary_distribution(P: Transitions) -> np.ndarray:
    """The stationary distribution: mu P = mu, sum(mu) = 1, shape (S,).

    It is unique iff the chain has exactly one closed communicating class (periodic chains are
    fine). With several closed classes every mixture is stationary, so a ValueError names a
    state of each class instead of picking one. Solves [P^T - I; 1^T] mu = [0; 1] by least
    squares.
    """
    P = _transition_matrix(P)
    return _stationary(P, [f"s{i}" for i in range(P.shape[0])])


def _stationary(P: np.ndarray, names: Sequence) -> np.ndarray:
    G = sp.csr_matrix(P > 0)
    n_cc, label = csgraph.connected_components(G, directed=True, connection="strong")
    src, dst = G.nonzero()  # a class is closed when no edge leaves it
    leaves = np.zeros(n_cc, dtype=bool)
    leaves[label[src][label[src] != label[dst]]] = True
    closed = np.flatnonzero(~leaves)
    if closed.size > 1:
        reps = [state_label(names, int(np.flatnonzero(label == c)[0])) for c in closed]
        raise ValueError(
            f"the stationary distribution is not unique: the chain has {closed.size} closed "
            f"classes (containing {', '.join(reps)}); every mixture of their stationary "
            "distributions is stationary. Fix: connect the classes, or compute the distribution "
            "after n steps from a given start instead."
        )
    S = P.shape[0]
    M = np.vstack([P.T - np.eye(S), np.ones((1, S))])  # (S+1, S)
    b = np.zeros(S + 1)
    b[-1] = 1.0
    mu, *_ = np.linalg.lstsq(M, b, rcond=None)
    mu = np.clip(mu, 0.0, None)  # remove -1e-17 round-off
    return mu / mu.sum()


class MarkovChain:
    """A finite Markov chain with transition matrix P (S, S) ([D001], "Markov process").

    Parameters
    ----------
    P : array (S, S)
        P[s, s2] = p(s2 | s); every row must be a probability distribution.
    states : list of str, optional
        Names used in messages and accepted by ``sample`` / ``distribution``; default
        "s0", "s1", ...
    """

    def __init__(self, P: Transitions, states: Sequence[str] | None = None):
        reject_model(P, "MarkovChain(P)", "the model's own methods (it is already built)")
        P = _square(P)
        self.P = P
        self.n_states = P.shape[0]
        self.states = check_names(states, self.n_states, "state", "s")
        _check_chain_rows(P, lambda i: state_label(self.states, i))

    def sample(self, start: StartLike, n_steps: int, *, seed: SeedLike = None) -> np.ndarray:
        """Simulate s_0 = start, s_1, ..., s_{n_steps}; returns an int array (n_steps + 1,)."""
        n_steps = check_nonnegative_int(n_steps, "n_steps", 10)
        rng = as_generator(seed)
        cdf = np.cumsum(self.P, axis=1)  # (S, S) inverse-CDF sampling, one uniform per step
        s = np.empty(n_steps + 1, dtype=np.int64)
        s[0] = state_index(self.states, start)
        u = rng.random(n_steps)
        for t in range(n_steps):
            nxt = int(np.searchsorted(cdf[s[t]], u[t] * cdf[s[t], -1], side="right"))
            s[t + 1] = min(nxt, self.n_states - 1)  # guard round-off at the top of the CDF
        return s

    def distribution(self, mu0: ArrayLike, n: int) -> np.ndarray:
        """mu_n = mu0 P^n (:func:`n_step_distribution`); ``mu0`` may also be a state name."""
        n = check_nonnegative_int(n, "n", 3)
        return n_step_distribution(self.P, _start_distribution(mu0, self.n_states, self.states), n)

    def stationary(self) -> np.ndarray:
        """The stationary distribution (:func:`stationary_distribution`); errors name states."""
        return _stationary(self.P, self.states)

    def __repr__(self) -> str:
        return f"MarkovChain(n_states={self.n_states})"
