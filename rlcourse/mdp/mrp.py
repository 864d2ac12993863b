"""Markov reward processes ([D001], "Markov Reward Process", "Value function").

An MRP is (S, P, R, gamma): a Markov chain with a reward R(s) = E[r_t | s_t = s] and a
discount gamma in [0, 1]. Its value function v(s) = E[G_t | s_t = s] satisfies

    v = R + gamma P v      so      v = (I - gamma P)^{-1} R.

Terminal states are absorbing with value 0: we solve only over the non-terminal states N,
(I - gamma P_NN) v_N = R_N, and never back up from a terminal state.

| symbol | code | shape |
|---|---|---|
| P | ``P`` | (S, S), dense or scipy.sparse |
| R | ``R`` | (S,) |
| v | ``V`` | (S,) |
| terminal | ``terminal`` | (S,) bool (or a list of indices) |

:func:`mrp_value` and :func:`mrp_value_iterative` take plain arrays (the exercises' contract);
:class:`MRP` validates the model once, names its states, samples episodes and returns
:class:`~rlcourse.mdp.results.EvaluationResult` records with the iteration history.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rlcourse._types import ArrayLike, StartLike, Transitions
from rlcourse.mdp._common import (
    arrays_only,
    check_names,
    describe_states,
    reject_model,
    state_graph,
    state_index,
    state_label,
    states_not_reaching,
)
from rlcourse.mdp.results import EvaluationResult
from rlcourse.utils import SeedLike, as_generator
from rlcourse.validation import (
    check_array,
    check_gamma,
    check_positive_int,
    check_rows,
    check_terminal,
    check_tol,
    check_vector,
)

__all__ = ["MRP", "mrp_value", "mrp_value_iterative", "solve_values"]


class MRP:
    """A Markov reward process.

    Parameters
    ----------
    P : array (S, S) or scipy.sparse (S, S)
        P[s, s2] = p(s2 | s). Rows of terminal states may be all zero (they are never used).
    R : array (S,)
        R[s] = expected reward on leaving s (R_s in [D001]). Ignored at terminal states.
    terminal : bool array (S,) or a list of state indices, optional
        Absorbing end states, worth 0.
    gamma : float in [0, 1], keyword-only
        With gamma = 1 every state must be able to reach a terminal state (else v is infinite).
    states : list of str, optional
    """

    def __init__(
        self,
        P: Transitions,
        R: ArrayLike,
        terminal: ArrayLike | None = None,
        *,
        gamma: float,
        states: Sequence[str] | None = None,
    ):
        reject_model(
            P, "MRP(P, R, terminal, gamma=...)", "MRP.from_policy(mdp, pi) for the MRP of a policy"
        )
        if sp.issparse(P):
            P = sp.csr_matrix(P, dtype=np.float64)
        else:
            P = check_array(P, "P", "an (S, S) array of probabilities P[s, s2] = p(s2|s)")
        if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] == 0:
            raise ValueError(
                f"P must be a square (S, S) matrix with P[s, s2] = p(s2|s) and S >= 1, "
                f"got shape {P.shape}."
            )
        S = P.shape[0]
        R = check_array(R, "R", "an array of shape (S,), the expected reward of each state")
        if R.shape != (S,):
            raise ValueError(
                f"R must have shape (S,) = ({S},) (expected reward per state), got {R.shape}."
            )
        self.P, self.R, self.n_states = P, R, S
        self.states = check_names(states, S, "state", "s")
        self.gamma = check_gamma(gamma)
        self.terminal = check_terminal(terminal, S)
        if not np.isfinite(R).all():
            s = int(np.flatnonzero(~np.isfinite(R))[0])
            raise ValueError(
                f"R for {state_label(self.states, s)} is {R[s]}; rewards must be finite numbers."
            )
        check_rows(
            P,
            lambda i: state_label(self.states, i),
            "transition probabilities p(.|s)",
            "Fix: make each row of P a distribution (terminal rows may be all zero).",
            allow_zero_rows=self.terminal,
            col_label=lambda j: "next " + state_label(self.states, j),
        )
        if self.gamma == 1.0:
            stuck = states_not_reaching(state_graph(P, 1), self.terminal)
            if stuck.size:
                raise ValueError(
                    f"with gamma = 1 the return from {describe_states(self.states, stuck)} can be "
                    "infinite: the chain never reaches a terminal state from there. Fix: use "
                    "gamma < 1, or make a terminal state reachable from every state."
                )

    @classmethod
    def from_policy(cls, mdp, pi: ArrayLike) -> MRP:
        """The MRP (S, P^pi, R^pi, gamma) that a fixed policy induces on ``mdp`` ([D001]).

        P^pi(s2|s) = sum_a pi(a|s) P(s2|s, a),  R^pi(s) = sum_a pi(a|s) R(s, a)  (the arrays
        :func:`rlcourse.mdp.induced_mrp` returns), with the MDP's gamma, terminal states and
        state names. With gamma = 1 a policy that never reaches a terminal state is refused.
        """
        from rlcourse.mdp.bellman import induced_mrp
        from rlcourse.mdp.mdp import MDP

        if not isinstance(mdp, MDP):
            raise TypeError(
                f"MRP.from_policy takes an rlcourse.mdp.MDP and a policy, got "
                f"{type(mdp).__name__}; on arrays call induced_mrp(P, R, pi)."
            )
        pi = mdp.check_policy(pi)
        P_pi, R_pi = induced_mrp(mdp.P, mdp.R, pi)
        return cls(P_pi, R_pi, mdp.terminal, gamma=mdp.gamma, states=mdp.states)

    @property
    def is_sparse(self) -> bool:
        return sp.issparse(self.P)

    def value_closed_form(self) -> np.ndarray:
        """V = (I - gamma P)^{-1} R over the non-terminal states (a linear solve, no inverse)."""
        return solve_values(self.P, self.R, self.gamma, self.terminal)

    def bellman(self, V: np.ndarray) -> np.ndarray:
        """One backup V' = R + gamma P V, with V' = 0 at terminal states."""
        V = np.where(self.terminal, 0.0, check_vector(V, self.n_states, "V"))
        V_new = self.R + self.gamma * (self.P @ V)  # (S,)
        V_new[self.terminal] = 0.0
        return V_new

    def value_iterative(self, *, tol: float = 1e-10, max_iter: int = 100_000) -> EvaluationResult:
        """Iterate V_{k+1} = R + gamma P V_k from V_0 = 0 until ||V_{k+1} - V_k||_inf < tol."""
        tol = check_tol(tol)
        max_iter = check_positive_int(max_iter, "max_iter", 100_000)
        V = np.zeros(self.n_states)
        history = []
        for k in range(1, max_iter + 1):
            V_new = self.bellman(V)
            delta = float(np.max(np.abs(V_new - V), initial=0.0))
            history.append({"iteration": k, "delta": delta})
            V = V_new
            if delta < tol:
                return EvaluationResult(V=V, Q=None, iterations=k, history=history)
        warnings.warn(
            f"MRP.value_iterative: no convergence to tol={tol:g} in {max_iter} sweeps "
            "(raise max_iter)",
            RuntimeWarning,
            stacklevel=2,
        )
        return EvaluationResult(V=V, Q=None, iterations=max_iter, history=history, converged=False)

    def sample_episode(
        self, start: StartLike, *, seed: SeedLike = None, max_steps: int = 1000
    ) -> tuple[np.ndarray, np.ndarray]:
        """Simulate from ``start`` until a terminal state or ``max_steps`` steps.

        Returns (states, rewards): int array (T+1,) of s_0..s_T and float array (T,) with
        rewards[t] = R[s_t], the (expected) reward of leaving s_t, so that the average of
        discounted_return(rewards, gamma) over many episodes tends to V[start].
        """
        max_steps = check_positive_int(max_steps, "max_steps", 1000)
        rng = as_generator(seed)
        s = state_index(self.states, start)
        states, rewards = [s], []
        for _ in range(max_steps):
            if self.terminal[s]:
                break
            if self.is_sparse:  # only the stored entries of row s
                lo, hi = self.P.indptr[s], self.P.indptr[s + 1]
                nxt, p = self.P.indices[lo:hi], self.P.data[lo:hi]
            else:
                nxt, p = np.arange(self.n_states), self.P[s]
            rewards.append(self.R[s])
            s = int(nxt[rng.choice(nxt.size, p=p / p.sum())])
            states.append(s)
        return np.array(states, dtype=np.int64), np.array(rewards, dtype=float)

    def __repr__(self) -> str:
        return f"MRP(n_states={self.n_states}, gamma={self.gamma}, sparse={self.is_sparse})"


def solve_values(P: Transitions, R: np.ndarray, gamma: float, terminal: np.ndarray) -> np.ndarray:
    """Solve (I - gamma P_NN) V_N = R_N over non-terminal states N; V = 0 at terminals.

    ``P`` is (S, S) dense or sparse (scipy.sparse.linalg.spsolve then, never densified). The
    caller has checked that the system is not singular (gamma < 1, or every state reaches a
    terminal state).
    """
    S = P.shape[0]
    N = np.flatnonzero(~terminal)
    V = np.zeros(S)
    if N.size == 0:
        return V
    if sp.issparse(P):
        P_NN = P.tocsr()[N][:, N]  # (n, n) sparse
        M = (sp.identity(N.size, format="csc") - gamma * P_NN).tocsc()
        V[N] = spla.spsolve(M, R[N])
    else:
        M = np.eye(N.size) - gamma * P[np.ix_(N, N)]  # (n, n)
        V[N] = np.linalg.solve(M, R[N])
    return V


@arrays_only(use_instead="mrp.value_closed_form()")
def mrp_value(
    P: Transitions, R: ArrayLike, terminal: ArrayLike | None = None, *, gamma: float
) -> np.ndarray:
    """The MRP's values in closed form, V = (I - gamma P)^{-1} R ([D001], "Value function").

    ``P`` (S, S), ``R`` (S,), ``terminal`` optional (bool mask or indices; their V is 0). Solved
    as a linear system over the non-terminal states, never by forming the inverse. The model is
    validated first, so a row that does not sum to 1, or gamma = 1 with a state that never
    reaches a terminal state (a singular system), is a ValueError naming the state.
    """
    return MRP(P, R, terminal, gamma=gamma).value_closed_form()


@arrays_only(use_instead="mrp.value_iterative()")
def mrp_value_iterative(
    P: Transitions,
    R: ArrayLike,
    terminal: ArrayLike | None = None,
    *,
    gamma: float,
    tol: float = 1e-10,
) -> np.ndarray:
    """The MRP's values by repeated Bellman backups V_{k+1} = R + gamma P V_k from V_0 = 0.

    Stops when max_s |V_{k+1}(s) - V_k(s)| < ``tol`` and returns V_{k+1}, shape (S,); V = 0 at
    ``terminal`` states. :meth:`MRP.value_iterative` returns the same V with the history.
    """
    return MRP(P, R, terminal, gamma=gamma).value_iterative(tol=tol).V
