"""Markov chains and returns (deck 001: Markov process, return G_t).

A Markov chain is a set of states S and a transition matrix

    P[s, s2] = p(s_{t+1} = s2 | s_t = s),        P shape (S, S), rows sum to 1.

The return from time t is  G_t = R_t + gamma R_{t+1} + gamma^2 R_{t+2} + ... = sum_k gamma^k R_{t+k}.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from rlcourse.mdp._common import check_names, check_rows, state_index, state_label
from rlcourse.utils import SeedLike, as_generator


def discounted_return(rewards, gamma: float) -> float:
    """G_0 = sum_{k=0}^{T-1} gamma^k r_k  (deck 001, "Return").

    ``rewards[k]`` is the reward of step k (the deck's R_k); an empty list gives 0.
    Summed backwards (G = r + gamma G), which is exact for gamma = 0 and cheap.
    """
    G = 0.0
    for r in reversed(np.asarray(rewards, dtype=float).ravel()):
        G = float(r) + gamma * G
    return G


def returns(rewards, gamma: float) -> np.ndarray:
    """G_t for every t of an episode, by the backward recursion G_t = r_t + gamma G_{t+1}.

    ``rewards`` has length T; G_T = 0 (the episode has ended). Returns shape (T,).
    """
    r = np.asarray(rewards, dtype=float).ravel()  # (T,)
    G = np.zeros_like(r)  # (T,)
    running = 0.0
    for t in range(r.size - 1, -1, -1):
        running = r[t] + gamma * running  # G_t = r_t + gamma G_{t+1}
        G[t] = running
    return G


class MarkovChain:
    """A finite Markov chain with transition matrix P (S, S) (deck 001, "Markov process").

    Parameters
    ----------
    P : array (S, S)
        P[s, s2] = p(s2 | s); every row must be a probability distribution.
    states : list of str, optional
        Names used in messages and accepted by ``sample``/``distribution``; default "s0", "s1", ...
    """

    def __init__(self, P, states=None):
        P = np.asarray(P, dtype=np.float64)
        if P.ndim != 2 or P.shape[0] != P.shape[1]:
            raise ValueError(
                f"P must be a square (S, S) matrix with P[s, s2] = p(s2|s), got shape {P.shape}."
            )
        self.P = P
        self.n_states = P.shape[0]
        self.states = check_names(states, self.n_states, "state", "s")
        check_rows(
            P,
            lambda i: state_label(self.states, i),
            "transition probabilities p(.|s)",
            "Fix: make each row of P a distribution, e.g. P /= P.sum(axis=1, keepdims=True).",
            col_label=lambda j: "next " + state_label(self.states, j),
        )

    def sample(self, start, n_steps: int, seed: SeedLike = None) -> np.ndarray:
        """Simulate s_0 = start, s_1, ..., s_{n_steps}; returns int array (n_steps + 1,)."""
        rng = as_generator(seed)
        cdf = np.cumsum(self.P, axis=1)  # (S, S) inverse-CDF sampling, one uniform per step
        s = np.empty(n_steps + 1, dtype=np.int64)
        s[0] = state_index(self.states, start)
        u = rng.random(n_steps)
        for t in range(n_steps):
            nxt = int(np.searchsorted(cdf[s[t]], u[t] * cdf[s[t], -1], side="right"))
            s[t + 1] = min(nxt, self.n_states - 1)  # guard round-off at the top of the CDF
        return s

    def distribution(self, mu0, n: int) -> np.ndarray:
        """mu_n = mu0 P^n: the distribution of s_n when s_0 ~ mu0.

        ``mu0`` is a distribution (S,) or a start state (index or name, i.e. a point mass).
        Computed as n vector-matrix products (never forms P^n).
        """
        if isinstance(mu0, (int, np.integer, str)):
            mu = np.zeros(self.n_states)
            mu[state_index(self.states, mu0)] = 1.0
        else:
            mu = np.asarray(mu0, dtype=float)
            if mu.shape != (self.n_states,):
                raise ValueError(
                    f"mu0 must have shape ({self.n_states},) or be a start state, got {mu.shape}."
                )
            check_rows(mu[None, :], lambda i: "the start distribution mu0", "mu0 entries",
                       "Fix: pass a distribution over states (non-negative, summing to 1).")
        for _ in range(int(n)):
            mu = mu @ self.P  # (S,) @ (S, S) -> (S,)
        return mu

    def stationary(self) -> np.ndarray:
        """The stationary distribution: mu P = mu, sum(mu) = 1.

        It is unique iff the chain has exactly one closed communicating class (periodic
        chains are fine). With several closed classes every mixture is stationary, so we
        raise a ValueError naming a state of each class instead of picking one.
        Solves the linear system [P^T - I; 1^T] mu = [0; 1] by least squares.
        """
        G = sp.csr_matrix(self.P > 0)
        n_cc, label = csgraph.connected_components(G, directed=True, connection="strong")
        # a class is closed when no edge leaves it
        src, dst = G.nonzero()
        leaves = np.zeros(n_cc, dtype=bool)
        leaves[label[src][label[src] != label[dst]]] = True
        closed = np.flatnonzero(~leaves)
        if closed.size > 1:
            reps = [state_label(self.states, int(np.flatnonzero(label == c)[0])) for c in closed]
            raise ValueError(
                f"the stationary distribution is not unique: the chain has {closed.size} closed "
                f"classes (containing {', '.join(reps)}); every mixture of their stationary "
                "distributions is stationary. Fix: connect the classes, or call distribution() "
                "from a given start instead."
            )
        S = self.n_states
        M = np.vstack([self.P.T - np.eye(S), np.ones((1, S))])  # (S+1, S)
        b = np.zeros(S + 1)
        b[-1] = 1.0
        mu, *_ = np.linalg.lstsq(M, b, rcond=None)
        mu = np.clip(mu, 0.0, None)  # remove -1e-17 round-off
        return mu / mu.sum()

    def __repr__(self) -> str:
        return f"MarkovChain(n_states={self.n_states})"
