"""The tabular MDP model ([D001], "Markov Decision Process"): MDP(S, A, P_sa, R, gamma).

Conventions (shared by the whole course):

    P[s, a, s2] = p(s_{t+1} = s2 | s_t = s, a_t = a)   dense, shape (S, A, S)
      or a scipy.sparse matrix of shape (S*A, S) whose row s*A + a is p(. | s, a)
    R[s, a]     = E[r_t | s_t = s, a_t = a]            shape (S, A)
    terminal[s] = True for absorbing end states         shape (S,); their value is 0
    pi[s, a]    = pi(a | s)                              shape (S, A), rows sum to 1

Sparse models are stored as CSR float64 and are never made dense, not even to validate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from rlcourse._types import ArrayLike, Transitions
from rlcourse.mdp._common import (
    action_label,
    check_names,
    describe_states,
    reject_model,
    state_graph,
    state_label,
    states_not_reaching,
)
from rlcourse.validation import check_array, check_gamma, check_policy, check_rows, check_terminal

__all__ = ["MDP", "uniform_policy"]


class MDP:
    """A finite MDP with a known model.

    Parameters
    ----------
    P : array (S, A, S) or scipy.sparse (S*A, S)
        Transition probabilities; row s*A + a of the sparse form is p(. | s, a).
        Rows of terminal states may be all zero (solvers never back up from them).
    R : array (S, A)
        Expected immediate reward r(s, a); ignored at terminal states.
    terminal : bool array (S,) or a list of state indices, optional
        Absorbing end states, worth 0.
    gamma : float in [0, 1], keyword-only
        With gamma = 1, every state must be able to reach a terminal state under some
        sequence of actions (otherwise the optimal return can be infinite).
    states, actions : list of str, optional
        Names used in error messages (default "s0", "s1", ... and "a0", "a1", ...).

    Attributes: P, R, gamma, terminal, states, actions, n_states, n_actions, is_sparse.
    """

    def __init__(
        self,
        P: Transitions,
        R: ArrayLike,
        terminal: ArrayLike | None = None,
        *,
        gamma: float,
        states: Sequence[str] | None = None,
        actions: Sequence[str] | None = None,
    ):
        reject_model(P, "MDP(P, R, terminal, gamma=...)", "the model itself (it is already built)")
        R = check_array(R, "R", "an (S, A) array of expected rewards r(s, a)")
        if R.ndim != 2:
            raise ValueError(
                f"R must have shape (S, A) with R[s, a] = expected reward r(s, a), got shape "
                f"{R.shape}; for a reward per state only, repeat it: np.repeat(R[:, None], A, 1)."
            )
        S, A = R.shape
        if S == 0 or A == 0:
            raise ValueError(
                f"the model is empty: R has shape {R.shape}, but an MDP needs at least one state "
                "and one action (R[s, a] for S >= 1 states and A >= 1 actions)."
            )
        if sp.issparse(P):
            P = sp.csr_matrix(P, dtype=np.float64, copy=True)
            if P.shape != (S * A, S):
                raise ValueError(
                    f"sparse P must have shape (S*A, S) = ({S * A}, {S}) with row s*A + a = "
                    f"p(.|s, a) (R says S={S}, A={A}), got {P.shape}; fix P or R."
                )
            P.sum_duplicates()
            P.sort_indices()
        else:
            P = check_array(P, "P", "an (S, A, S) array of probabilities P[s, a, s2] = p(s2|s, a)")
            P = np.ascontiguousarray(P)  # no copy when already C float64
            if P.ndim != 3 or P.shape != (S, A, S):
                raise ValueError(
                    f"P must have shape (S, A, S) = ({S}, {A}, {S}) with P[s, a, s2] = "
                    f"p(s2|s, a) (R says S={S}, A={A}), got {P.shape}; fix P or R "
                    "(or pass a scipy.sparse (S*A, S) matrix)."
                )
        self.P, self.R = P, R
        self.n_states, self.n_actions = S, A
        self.states = check_names(states, S, "state", "s")
        self.actions = check_names(actions, A, "action", "a")
        self.gamma = check_gamma(gamma)
        self.terminal = check_terminal(terminal, S)
        self._terminal_idx = np.flatnonzero(self.terminal)  # cached for the DP sweeps
        self._validate()

    # -- views used by the solvers -------------------------------------------------------
    @property
    def is_sparse(self) -> bool:
        return sp.issparse(self.P)

    @property
    def P2(self):
        """P as an (S*A, S) matrix: a reshape *view* of the dense array, or the CSR itself."""
        return self.P if self.is_sparse else self.P.reshape(self.n_states * self.n_actions, -1)

    def _sa_label(self, row: int) -> str:
        s, a = divmod(int(row), self.n_actions)
        return f"{state_label(self.states, s)}, {action_label(self.actions, a)}"

    def _validate(self) -> None:
        if not np.isfinite(self.R).all():
            s, a = np.argwhere(~np.isfinite(self.R))[0]
            raise ValueError(
                f"R for {state_label(self.states, s)}, {action_label(self.actions, a)} is "
                f"{self.R[s, a]}; rewards must be finite numbers. Fix the reward table."
            )
        check_rows(
            self.P2,
            self._sa_label,
            "transition probabilities p(.|s, a)",
            "Fix: make P[s, a] a distribution over next states, e.g. P /= P.sum(-1, keepdims=True)"
            " (rows of terminal states may be all zero).",
            allow_zero_rows=np.repeat(self.terminal, self.n_actions),
            col_label=lambda j: "next " + state_label(self.states, j),
        )
        if self.gamma == 1.0:
            stuck = states_not_reaching(state_graph(self.P2, self.n_actions), self.terminal)
            if stuck.size:
                raise ValueError(
                    f"with gamma = 1 the return from {describe_states(self.states, stuck)} can be "
                    "infinite: no sequence of actions reaches a terminal state from there. Fix: "
                    "use gamma < 1, or mark a terminal state reachable from every state."
                )

    def check_policy(self, pi: ArrayLike) -> np.ndarray:
        """``pi`` as a float (S, A) array after checking every row is a distribution over actions.

        Raises a ValueError naming the first bad state and action (wrong shape, non-finite,
        negative, or a row whose sum is not 1 within 1e-8).
        """
        return check_policy(
            pi,
            self.n_states,
            self.n_actions,
            state_label=lambda s: state_label(self.states, s),
            action_label=lambda a: action_label(self.actions, a),
        )

    def __repr__(self) -> str:
        return (
            f"MDP(n_states={self.n_states}, n_actions={self.n_actions}, gamma={self.gamma}, "
            f"sparse={self.is_sparse}, n_terminal={self._terminal_idx.size})"
        )


def uniform_policy(mdp: MDP) -> np.ndarray:
    """pi(a|s) = 1/|A| for every state: shape (S, A)."""
    if not isinstance(mdp, MDP):
        raise TypeError(
            f"uniform_policy takes an rlcourse.mdp.MDP, got {type(mdp).__name__}; for "
            "S states and A actions write np.full((S, A), 1 / A)."
        )
    return np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions)
