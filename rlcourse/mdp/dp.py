"""Dynamic programming with a known model (deck 001, "Policy evaluation", "Policy iteration";
value iteration is the Bellman optimality backup applied until it stops moving).
"""
from __future__ import annotations

import warnings

import numpy as np

from rlcourse.mdp._common import describe_states, state_graph, states_not_reaching
from rlcourse.mdp.bellman import (
    TIE_TOL,
    bellman_expectation,
    bellman_optimality,
    greedy_policy,
    induced_transitions,
    q_from_v,
)
from rlcourse.mdp.mdp import MDP, uniform_policy, validate_policy
from rlcourse.mdp.mrp import solve_values
from rlcourse.mdp.results import DPResult, EvaluationResult
from rlcourse.utils import progress_bar


def policy_evaluation(mdp: MDP, pi, method: str = "exact", tol: float = 1e-10,
                      max_iter: int = 10_000) -> EvaluationResult:
    """V^pi for a fixed policy pi (S, A).

    method="exact": solve the induced MRP's Bellman equation over non-terminal states N,
        (I - gamma P^pi_NN) V_N = R^pi_N    (numpy solve, or scipy spsolve for sparse P).
        With gamma = 1 this system is singular when pi never reaches a terminal state from
        some state; we check that first and raise a ValueError naming the state.
    method="iterative": V_{k+1} = T^pi V_k from V_0 = 0 until ||V_{k+1} - V_k||_inf < tol;
        history holds {"iteration", "delta"} per sweep.
    """
    pi = validate_policy(mdp, pi)
    if method == "exact":
        P_pi = induced_transitions(mdp, pi)  # (S, S)
        if mdp.gamma == 1.0:
            stuck = states_not_reaching(state_graph(P_pi, 1), mdp.terminal)
            if stuck.size:
                raise ValueError(
                    f"with gamma = 1 policy evaluation is singular: from "
                    f"{describe_states(mdp.states, stuck)} this policy never reaches a terminal "
                    "state, so its return is unbounded. Fix: the policy must reach a terminal "
                    "state from every state, or gamma must be < 1."
                )
        R_pi = np.einsum("sa,sa->s", pi, mdp.R)  # (S,)
        V = solve_values(P_pi, R_pi, mdp.gamma, mdp.terminal)
        return EvaluationResult(V=V, Q=q_from_v(mdp, V), iterations=0, history=[])
    if method == "iterative":
        V = np.zeros(mdp.n_states)
        history = []
        for k in range(1, max_iter + 1):
            V_new = bellman_expectation(mdp, pi, V)
            delta = float(np.max(np.abs(V_new - V), initial=0.0))
            history.append({"iteration": k, "delta": delta})
            V = V_new
            if delta < tol:
                return EvaluationResult(V=V, Q=q_from_v(mdp, V), iterations=k, history=history)
        warnings.warn(f"policy_evaluation: no convergence to tol={tol:g} in {max_iter} sweeps; "
                      "raise max_iter or use method='exact'", RuntimeWarning, stacklevel=2)
        return EvaluationResult(V=V, Q=q_from_v(mdp, V), iterations=max_iter, history=history,
                                converged=False)
    raise ValueError(f"method must be 'exact' or 'iterative', got {method!r}.")


def policy_improvement(mdp: MDP, Q: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """Greedy one-hot policy w.r.t. Q that keeps pi's action where it is already greedy.

    Keeping the old action when Q(s, old) is within 1e-12 of max_a Q(s, a) stops policy
    iteration from cycling between equally good actions; elsewhere ties go to the lowest index.
    """
    new = greedy_policy(mdp, Q)  # (S, A)
    old_a = pi.argmax(axis=1)  # (S,)
    deterministic = pi.max(axis=1) == 1.0  # only a one-hot row has an "old action"
    best = Q.max(axis=1)
    q_old = Q[np.arange(Q.shape[0]), old_a]
    keep = deterministic & (q_old >= best - TIE_TOL * np.maximum(1.0, np.abs(best)))
    new[keep] = pi[keep]
    return new


def policy_iteration(mdp: MDP, pi0=None, max_iter: int = 1_000) -> DPResult:
    """Policy iteration (deck 001): evaluate exactly, improve greedily, until pi is stable.

        i = 0; pi_0 = pi0 (default: the uniform random policy, which reaches a terminal
        state whenever any policy does, so gamma = 1 models can start from it)
        repeat: V^{pi_i} = policy_evaluation(pi_i, "exact")
                pi_{i+1} = greedy(Q^{pi_i})   (keep pi_i(s) when it is already greedy)
        until pi_{i+1} == pi_i

    history: one dict per iteration {"iteration", "policy_changes" (states whose action
    changed), "V_mean" (mean of V^{pi_i})}. error_bound = 0.0: the final V is the exact value
    of an optimal policy, up to round-off of the linear solve. The returned ``policy`` is
    greedy_policy(Q*) (ties to the lowest action index), an optimal policy that may differ from
    the stable pi_i only between equally good actions.
    """
    pi = uniform_policy(mdp) if pi0 is None else validate_policy(mdp, pi0)
    history = []
    for i in range(1, max_iter + 1):
        ev = policy_evaluation(mdp, pi, method="exact")
        new_pi = policy_improvement(mdp, ev.Q, pi)
        changes = int(np.any(new_pi != pi, axis=1).sum())
        history.append({"iteration": i, "policy_changes": changes, "V_mean": float(ev.V.mean())})
        if changes == 0:
            # pi is optimal; report the canonical greedy policy (ties to the lowest action),
            # which is also optimal and is what value_iteration and greedy_policy return.
            return DPResult(V=ev.V, Q=ev.Q, policy=greedy_policy(mdp, ev.Q), iterations=i,
                            history=history, error_bound=0.0)
        pi = new_pi
    warnings.warn(f"policy_iteration: policy still changing after {max_iter} iterations",
                  RuntimeWarning, stacklevel=2)
    ev = policy_evaluation(mdp, pi, method="exact")
    return DPResult(V=ev.V, Q=ev.Q, policy=pi, iterations=max_iter, history=history,
                    error_bound=None, converged=False)


def value_iteration(mdp: MDP, tol: float = 1e-8, max_iter: int = 100_000, V0=None,
                    progress: bool = False) -> DPResult:
    """Value iteration: Jacobi sweeps V_{k+1} = max_a [R + gamma P V_k] = T* V_k.

    Stopping rule and the bound it gives (gamma < 1). T* is a gamma-contraction in the
    sup norm and V* = T* V*, so
        ||V_{k+1} - V*|| = ||T* V_k - T* V*|| <= gamma ||V_k - V*||
                         <= gamma (||V_k - V_{k+1}|| + ||V_{k+1} - V*||),
    hence ||V_{k+1} - V*||_inf <= gamma / (1 - gamma) * ||V_{k+1} - V_k||_inf.
    We stop when that right-hand side (``error_bound``) is < tol, so the returned V is within
    tol of V* in every state. (Terminal states are fixed at 0, which keeps the contraction.)

    gamma = 1: T* is not a contraction; we stop when ||V_{k+1} - V_k||_inf < tol and claim
    no bound (error_bound = None). It converges when every policy that fails to reach a
    terminal state has return -infinity (e.g. -1 per step), not in general.

    history: one dict per sweep {"iteration", "delta", "error_bound"}. The returned policy is
    greedy w.r.t. Q = R + gamma P V (ties to the lowest action). ``progress=True`` shows a
    tqdm bar with the current delta (useful on large sparse models).
    """
    g = mdp.gamma
    V = np.zeros(mdp.n_states) if V0 is None else np.array(V0, dtype=np.float64)
    if V.shape != (mdp.n_states,):
        raise ValueError(f"V0 must have shape (S,) = ({mdp.n_states},), got {V.shape}.")
    V[mdp._terminal_idx] = 0.0
    history = []
    bound, delta = None, float("nan")
    bar = progress_bar(max_iter, progress, "value iteration")
    for k in range(1, max_iter + 1):
        V_new = bellman_optimality(mdp, V)  # one sweep: one (S*A, S) matvec
        delta = float(np.max(np.abs(V_new - V), initial=0.0))
        bound = g / (1.0 - g) * delta if g < 1.0 else None
        history.append({"iteration": k, "delta": delta, "error_bound": bound})
        V = V_new
        bar.update()
        bar.set_postfix(delta=f"{delta:.2e}")
        if (bound if g < 1.0 else delta) < tol:
            bar.close()
            Q = q_from_v(mdp, V)
            return DPResult(V=V, Q=Q, policy=greedy_policy(mdp, Q), iterations=k,
                            history=history, error_bound=bound)
    bar.close()
    warnings.warn(f"value_iteration: stopping rule not met in {max_iter} sweeps (last "
                  f"delta {delta:.3g}); raise max_iter", RuntimeWarning, stacklevel=2)
    Q = q_from_v(mdp, V)
    return DPResult(V=V, Q=Q, policy=greedy_policy(mdp, Q), iterations=max_iter, history=history,
                    error_bound=bound, converged=False)
