"""Judging a policy with the model in hand: where it goes, how often, and whether it is optimal.

Learning chapters compare what an agent learned with what the known model says:

- :func:`reachable_states`: the states a policy can visit from a start state;
- :func:`suboptimal_reachable_states` / :func:`greedy_is_optimal`: does the greedy policy of a
  learned Q act optimally (under Q*) on every state it reaches? Ties in Q* are fine, and states
  it never visits cannot change its return, so neither matters;
- :func:`on_policy_distribution`: mu(s), the fraction of time an episodic chain spends in s
  (Sutton & Barto, section 9.2), the weighting of the prediction error in chapter 05.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from rlcourse._types import ArrayLike, StartLike, Transitions
from rlcourse.mdp._common import arrays_only, describe_states, state_graph, states_not_reaching
from rlcourse.mdp.bellman import greedy_policy
from rlcourse.mdp.mdp import MDP
from rlcourse.validation import (
    check_array,
    check_number,
    check_rows,
    check_state,
    check_terminal,
    check_vector,
)

__all__ = [
    "reachable_states",
    "suboptimal_reachable_states",
    "greedy_is_optimal",
    "on_policy_distribution",
]


def _successors(mdp: MDP, s: int, a: int) -> np.ndarray:
    if mdp.is_sparse:  # (S*A, S')
        row = mdp.P.getrow(s * mdp.n_actions + a)
        return row.indices[row.data > 0]
    return np.flatnonzero(mdp.P[s, a] > 0)


def reachable_states(mdp: MDP, pi: ArrayLike, start: int) -> np.ndarray:
    """States reachable from ``start`` when acting with ``pi`` (S, A) in ``mdp`` (any positive
    probability), in order of discovery; terminal states are included but not expanded."""
    if not isinstance(mdp, MDP):
        raise TypeError(f"reachable_states takes an rlcourse.mdp.MDP, got {type(mdp).__name__}.")
    pi = mdp.check_policy(pi)
    start = check_state(start, mdp.n_states, "start")
    order, seen, frontier = [], {start}, [start]
    while frontier:
        s = frontier.pop()
        order.append(s)
        if mdp.terminal[s]:
            continue
        for a in np.flatnonzero(pi[s] > 0):
            for s_next in _successors(mdp, s, int(a)):
                if int(s_next) not in seen:
                    seen.add(int(s_next))
                    frontier.append(int(s_next))
    return np.array(order, dtype=np.int64)


def suboptimal_reachable_states(
    Q: ArrayLike, Q_star: ArrayLike, mdp: MDP, start: int, *, tol: float = 1e-9
) -> np.ndarray:
    """Non-terminal states, reachable from ``start`` under the greedy policy of ``Q``, whose
    greedy action is not optimal: Q*(s, argmax_a Q(s, a)) < max_a Q*(s, a) - tol.

    Ties in Q* are fine (any optimal action counts). An empty array means the learned greedy
    policy is optimal everywhere it goes. Greedy ties in Q go to the lowest action index.
    """
    Q_star = check_array(Q_star, "Q_star", "the (S, A) table of optimal action values")
    pi = greedy_policy(Q)  # (S, A)
    if pi.shape != Q_star.shape:
        raise ValueError(
            f"Q has shape {pi.shape} but Q_star has shape {Q_star.shape}; both are "
            "(S, A) tables of the same model."
        )
    if not np.isfinite(Q_star).all():
        raise ValueError(
            "Q_star holds NaN or inf; pass the optimal action values, e.g. "
            "solve_value_iteration(mdp).Q."
        )
    tol = check_number(tol, "tol", "tol=1e-9")
    if tol < 0:
        raise ValueError(
            f"tol must be >= 0, got {tol!r}; e.g. tol=1e-9 (actions within tol of "
            "the best count as optimal)."
        )
    states = reachable_states(mdp, pi, start)
    states = states[~mdp.terminal[states]]
    a = pi[states].argmax(axis=1)
    bad = Q_star[states, a] < Q_star[states].max(axis=1) - tol
    return np.sort(states[bad])


def greedy_is_optimal(
    Q: ArrayLike, Q_star: ArrayLike, mdp: MDP, start: int, *, tol: float = 1e-9
) -> bool:
    """True when Q's greedy policy takes an optimal action (under Q*) at every state it reaches
    from ``start`` (see :func:`suboptimal_reachable_states`)."""
    return len(suboptimal_reachable_states(Q, Q_star, mdp, start, tol=tol)) == 0


@arrays_only(use_instead="on_policy_distribution(mrp.P, mrp.terminal, start)")
def on_policy_distribution(P: Transitions, terminal: ArrayLike, start: StartLike) -> np.ndarray:
    """mu(s) = eta(s) / sum eta: the share of the time steps an episode spends in s.

    ``P`` (S, S) is the chain a policy induces (``induced_mrp``'s P_pi, or an MRP's P),
    ``terminal`` its terminal states, ``start`` a start state index or a start distribution h
    (S,). The expected number of visits eta satisfies (Sutton & Barto, eq. 9.2)

        eta(s) = h(s) + sum_s' eta(s') P(s|s'),  over the non-terminal states,

    a linear system eta_N^T (I - P_NN) = h_N^T. Returns mu, shape (S,), 0 at terminal states.
    Every non-terminal state must reach a terminal state (else an episode never ends and eta
    is infinite): a ValueError names the states that do not.
    """
    dense = (
        P.toarray()
        if sp.issparse(P)
        else check_array(P, "P", "an (S, S) array of probabilities P[s, s2] = p(s2|s)")
    )
    if dense.ndim != 2 or dense.shape[0] != dense.shape[1] or dense.shape[0] == 0:
        raise ValueError(
            f"P must be a square (S, S) transition matrix, got shape {dense.shape}; "
            "for an MDP pass the chain of a policy, induced_mrp(P, R, pi)[0]."
        )
    S = dense.shape[0]
    terminal = check_terminal(terminal, S)
    check_rows(
        dense,
        lambda s: f"state {s}",
        "transition probabilities p(.|s)",
        "Fix: make each row of P a distribution (rows of terminal states may be 0).",
        allow_zero_rows=terminal,
    )
    if np.ndim(start) == 0:
        h = np.zeros(S)
        h[check_state(start, S, "start")] = 1.0
    else:
        h = check_vector(start, S, "start", "a start distribution")
        check_rows(
            h[None, :],
            lambda i: "the start distribution",
            "start probabilities",
            "Fix: pass a distribution over states (non-negative, summing to 1).",
        )
    if h[~terminal].sum() == 0.0:
        raise ValueError(
            f"every episode starts in a terminal state ({np.flatnonzero(h)[:3]}): "
            "they have no steps, so there is no on-policy distribution. Start in a "
            "non-terminal state."
        )
    stuck = states_not_reaching(state_graph(dense, 1), terminal)
    if stuck.size:
        raise ValueError(
            f"{describe_states([f's{i}' for i in range(S)], stuck)} never reach a "
            "terminal state: episodes from there never end, so the on-policy "
            "distribution of an episodic task does not exist. Check P and terminal."
        )
    N = np.flatnonzero(~terminal)
    eta = np.zeros(S)
    eta[N] = np.linalg.solve((np.eye(N.size) - dense[np.ix_(N, N)]).T, h[N])  # (n,)
    return eta / eta.sum()
