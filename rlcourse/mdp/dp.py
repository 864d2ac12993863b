"""Dynamic programming with a known model ([D001], "Policy evaluation", "Policy iteration";
value iteration is the Bellman optimality backup applied until it stops moving).

Two layers, one algorithm each: on plain arrays (the exercises' contract) and on an
:class:`~rlcourse.mdp.MDP`, with the history.

- ``policy_evaluation(P, R, pi, terminal, gamma=) -> V``
  and ``evaluate_policy(mdp, pi) -> EvaluationResult``
- ``policy_iteration(P, R, terminal, gamma=) -> (V, pi)``
  and ``solve_policy_iteration(mdp) -> DPResult``
- ``value_iteration(P, R, terminal, gamma=, tol=) -> (V, pi)``
  and ``solve_value_iteration(mdp) -> DPResult``
- ``policy_improvement(Q, pi) -> pi'`` (arrays only)

The array functions validate the model (rows of P that are distributions, gamma in [0, 1]) and
call the object solvers, so there is one implementation of each algorithm. ``P`` may be dense
(S, A, S) or scipy.sparse (S*A, S).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from rlcourse._types import ArrayLike, Transitions
from rlcourse.mdp._common import arrays_only, describe_states, state_graph, states_not_reaching
from rlcourse.mdp.bellman import (
    TIE_TOL,
    bellman_expectation,
    bellman_optimality,
    greedy_policy,
    induced_mrp,
    q_from_v,
)
from rlcourse.mdp.mdp import MDP, uniform_policy
from rlcourse.mdp.mrp import solve_values
from rlcourse.mdp.results import DPResult, EvaluationResult
from rlcourse.utils import progress_bar
from rlcourse.validation import check_policy, check_positive_int, check_tol, check_vector

__all__ = [
    "policy_evaluation",
    "policy_improvement",
    "policy_iteration",
    "value_iteration",
    "evaluate_policy",
    "solve_policy_iteration",
    "solve_value_iteration",
]


def _require_mdp(mdp, function: str, arrays: str) -> None:
    if not isinstance(mdp, MDP):
        raise TypeError(
            f"{function} takes an rlcourse.mdp.MDP, got {type(mdp).__name__}; build "
            f"one with MDP(P, R, terminal, gamma=...), or call {arrays} on the arrays."
        )


def _q(mdp: MDP, V: np.ndarray) -> np.ndarray:
    return q_from_v(mdp.P, mdp.R, V, mdp.terminal, gamma=mdp.gamma)


# ------------------------------------------------------------------------------ on an MDP
def evaluate_policy(
    mdp: MDP, pi: ArrayLike, *, method: str = "exact", tol: float = 1e-10, max_iter: int = 10_000
) -> EvaluationResult:
    """V^pi and Q^pi of a fixed policy pi (S, A) on ``mdp``.

    method="exact": solve the induced MRP's Bellman equation over non-terminal states N,
        (I - gamma P^pi_NN) V_N = R^pi_N    (numpy solve, or scipy spsolve for sparse P).
        With gamma = 1 this system is singular when pi never reaches a terminal state from
        some state; that is checked first and reported naming the state.
    method="iterative": V_{k+1} = T^pi V_k from V_0 = 0 until ||V_{k+1} - V_k||_inf < tol;
        ``history`` holds {"iteration", "delta"} per sweep.
    """
    _require_mdp(mdp, "evaluate_policy", "policy_evaluation(P, R, pi, terminal, gamma=...)")
    pi = mdp.check_policy(pi)
    if method not in ("exact", "iterative"):
        raise ValueError(f"method must be 'exact' or 'iterative', got {method!r}.")
    P_pi, R_pi = induced_mrp(mdp.P, mdp.R, pi)  # (S, S), (S,)
    if mdp.gamma == 1.0:
        stuck = states_not_reaching(state_graph(P_pi, 1), mdp.terminal)
        if stuck.size:
            raise ValueError(
                f"with gamma = 1 the policy pi you passed never reaches a terminal state from "
                f"{describe_states(mdp.states, stuck)}, so its return there is a sum of "
                "infinitely many rewards (unbounded unless they are all 0) and the Bellman "
                "equation has no unique solution. Fix: pass a policy that reaches a terminal "
                "state from every state, or use gamma < 1."
            )
    if method == "exact":
        V = solve_values(P_pi, R_pi, mdp.gamma, mdp.terminal)
        return EvaluationResult(V=V, Q=_q(mdp, V), iterations=0, history=[])
    else:  # iterative
        tol = check_tol(tol)
        max_iter = check_positive_int(max_iter, "max_iter", 10_000)
        V = np.zeros(mdp.n_states)
        history = []
        for k in range(1, max_iter + 1):
            V_new = bellman_expectation(mdp.P, mdp.R, pi, V, mdp.terminal, gamma=mdp.gamma)
            delta = float(np.max(np.abs(V_new - V), initial=0.0))
            history.append({"iteration": k, "delta": delta})
            V = V_new
            if delta < tol:
                return EvaluationResult(V=V, Q=_q(mdp, V), iterations=k, history=history)
        warnings.warn(
            f"evaluate_policy: no convergence to tol={tol:g} in {max_iter} sweeps; "
            "raise max_iter or use method='exact'",
            RuntimeWarning,
            stacklevel=2,
        )
        return EvaluationResult(
            V=V, Q=_q(mdp, V), iterations=max_iter, history=history, converged=False
        )


def policy_improvement(Q: ArrayLike, pi: ArrayLike) -> np.ndarray:
    """The greedy one-hot policy w.r.t. Q (S, A) that keeps pi's action where it is already greedy.

    Keeping the old action when Q(s, old) is within 1e-12 of max_a Q(s, a) stops policy
    iteration from cycling between equally good actions; elsewhere ties go to the lowest index.
    """
    new = greedy_policy(Q)  # (S, A), Q checked there
    Q = np.asarray(Q, dtype=np.float64)
    pi = check_policy(pi, *Q.shape)
    old_a = pi.argmax(axis=1)  # (S,)
    deterministic = pi.max(axis=1) == 1.0  # only a one-hot row has an "old action"
    best = Q.max(axis=1)
    q_old = Q[np.arange(Q.shape[0]), old_a]
    keep = deterministic & (q_old >= best - TIE_TOL * np.maximum(1.0, np.abs(best)))
    new[keep] = pi[keep]
    return new


def solve_policy_iteration(
    mdp: MDP, *, pi0: ArrayLike | None = None, max_iter: int = 1_000
) -> DPResult:
    """Policy iteration ([D001]): evaluate exactly, improve greedily, until pi is stable.

        pi_0 = pi0 (default: the uniform random policy, which reaches a terminal state whenever
        any policy does, so gamma = 1 models can start from it)
        repeat: V^{pi_i} = exact evaluation of pi_i
                pi_{i+1} = greedy(Q^{pi_i})   (keep pi_i(s) where it is already greedy)
        until pi_{i+1} == pi_i

    history: one dict per iteration {"iteration", "policy_changes" (states whose action
    changed), "V_mean" (mean of V^{pi_i})}. error_bound = 0.0: the final V is the exact value
    of an optimal policy, up to round-off. The returned ``policy`` is greedy_policy(Q*) (ties to
    the lowest action index), an optimal policy that may differ from the stable pi_i only
    between equally good actions.

    With gamma = 1 a greedy policy may loop forever. When the loop's rewards are 0, ending is
    just as good (a tie): among tied actions we then take one that leads to a terminal state, so
    every policy stays evaluable and the returned optimal policy ends. When they are positive,
    looping beats ending, the optimal return is unbounded, and a ValueError names the states.
    """
    _require_mdp(mdp, "solve_policy_iteration", "policy_iteration(P, R, terminal, gamma=...)")
    max_iter = check_positive_int(max_iter, "max_iter", 1_000)
    pi = uniform_policy(mdp) if pi0 is None else mdp.check_policy(pi0)
    history = []
    for i in range(1, max_iter + 1):
        ev = evaluate_policy(mdp, pi, method="exact")
        new_pi = policy_improvement(ev.Q, pi)
        if mdp.gamma == 1.0:  # a greedy policy may loop forever: see _end_on_ties
            new_pi, stuck = _end_on_ties(mdp, ev.Q, new_pi)
            if stuck.size:
                _positive_loop(mdp, stuck, i)
        changes = int(np.any(new_pi != pi, axis=1).sum())
        history.append({"iteration": i, "policy_changes": changes, "V_mean": float(ev.V.mean())})
        if changes == 0:
            policy = greedy_policy(ev.Q)
            if mdp.gamma == 1.0:
                policy, _ = _end_on_ties(mdp, ev.Q, policy)
            return DPResult(
                V=ev.V, Q=ev.Q, policy=policy, iterations=i, history=history, error_bound=0.0
            )
        pi = new_pi
    warnings.warn(
        f"solve_policy_iteration: policy still changing after {max_iter} iterations",
        RuntimeWarning,
        stacklevel=2,
    )
    ev = evaluate_policy(mdp, pi, method="exact")
    return DPResult(
        V=ev.V,
        Q=ev.Q,
        policy=pi,
        iterations=max_iter,
        history=history,
        error_bound=None,
        converged=False,
    )


_DIVERGENCE_SWEEPS = 200  # gamma = 1: this many sweeps with the same growth = values diverge


def solve_value_iteration(
    mdp: MDP,
    *,
    tol: float = 1e-8,
    max_iter: int = 100_000,
    V0: ArrayLike | None = None,
    progress: bool = False,
) -> DPResult:
    """Value iteration: Jacobi sweeps V_{k+1} = max_a [R + gamma P V_k] = T* V_k.

    Stopping rule and the bound it gives (gamma < 1). T* is a gamma-contraction in the
    sup norm and V* = T* V*, so
        ||V_{k+1} - V*|| = ||T* V_k - T* V*|| <= gamma ||V_k - V*||
                         <= gamma (||V_k - V_{k+1}|| + ||V_{k+1} - V*||),
    hence ||V_{k+1} - V*||_inf <= gamma / (1 - gamma) * ||V_{k+1} - V_k||_inf.
    We stop when that right-hand side (``error_bound``) is < tol, so the returned V is within
    tol of V* in every state. (Terminal states are fixed at 0, which keeps the contraction.)

    gamma = 1: T* is not a contraction; we stop when ||V_{k+1} - V_k||_inf < tol and claim
    no bound (error_bound = None). If instead the values keep growing by the same amount sweep
    after sweep, some policy loops forever on rewards > 0 and V* is infinite: a ValueError
    names the states whose values grow.

    history: one dict per sweep {"iteration", "delta", "error_bound"}. The returned policy is
    greedy w.r.t. Q = R + gamma P V (ties to the lowest action; with gamma = 1, to an action
    that leads to a terminal state where looping forever is exactly as good).
    ``progress=True`` shows a tqdm bar with the current delta (useful on large sparse models).
    """
    _require_mdp(mdp, "solve_value_iteration", "value_iteration(P, R, terminal, gamma=...)")
    tol = check_tol(tol)
    max_iter = check_positive_int(max_iter, "max_iter", 100_000)
    g = mdp.gamma
    V = np.zeros(mdp.n_states) if V0 is None else check_vector(V0, mdp.n_states, "V0")
    V[mdp.terminal] = 0.0
    history: list[dict] = []
    bound, delta, same_growth = None, float("nan"), 0
    bar = progress_bar(max_iter, progress, "value iteration")
    for k in range(1, max_iter + 1):
        V_new = bellman_optimality(mdp.P, mdp.R, V, mdp.terminal, gamma=g)  # one sweep
        delta = float(np.max(np.abs(V_new - V), initial=0.0))
        bound = g / (1.0 - g) * delta if g < 1.0 else None
        history.append({"iteration": k, "delta": delta, "error_bound": bound})
        if g == 1.0 and k > 1 and delta > tol and abs(delta - history[-2]["delta"]) <= 1e-9 * delta:
            same_growth += 1
            if same_growth >= _DIVERGENCE_SWEEPS:
                bar.close()
                _diverging(mdp, V_new - V, k)
        else:
            same_growth = 0
        V = V_new
        bar.update()
        bar.set_postfix(delta=f"{delta:.2e}")
        if (bound if g < 1.0 else delta) < tol:
            bar.close()
            Q = _q(mdp, V)
            policy = greedy_policy(Q)
            if g == 1.0:
                policy, _ = _end_on_ties(mdp, Q, policy)
            return DPResult(
                V=V, Q=Q, policy=policy, iterations=k, history=history, error_bound=bound
            )
    bar.close()
    if g == 1.0:
        raise ValueError(
            f"value iteration with gamma = 1 did not converge in {max_iter} sweeps (the last "
            f"changed V by {delta:.3g}). With gamma = 1 the values keep growing when some policy "
            "can loop forever on rewards > 0, and then V* is infinite. Fix: make every step of "
            "such a loop cost something, or use gamma < 1, or raise max_iter if the values are "
            "only converging slowly."
        )
    warnings.warn(
        f"solve_value_iteration: stopping rule not met in {max_iter} sweeps (last "
        f"delta {delta:.3g}); raise max_iter",
        RuntimeWarning,
        stacklevel=2,
    )
    Q = _q(mdp, V)
    return DPResult(
        V=V,
        Q=Q,
        policy=greedy_policy(Q),
        iterations=max_iter,
        history=history,
        error_bound=bound,
        converged=False,
    )


def _diverging(mdp: MDP, growth: np.ndarray, sweeps: int) -> None:
    grow = np.flatnonzero(growth > 0.5 * growth.max())
    raise ValueError(
        f"value iteration with gamma = 1 diverges: after {sweeps} sweeps the values of "
        f"{describe_states(mdp.states, grow)} still grow by {growth.max():.4g} per sweep. Some "
        "policy loops forever there on rewards > 0, so the optimal return is infinite. Fix: make "
        "every step of that loop cost something, or use gamma < 1."
    )


def _end_on_ties(mdp: MDP, Q: np.ndarray, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """gamma = 1: make a deterministic greedy policy end wherever ending is just as good.

    A loop of zero rewards is worth exactly as much as ending, so a greedy policy with ties to
    the lowest index may loop forever (its value is right, but it never ends, and evaluating it
    is a singular system). In the states that never reach a terminal state under ``pi``, take
    instead the lowest tied action that moves closer to a terminal state, counting steps over
    tied actions only. Returns (pi, the states that still never reach a terminal state).
    """
    P_pi, _ = induced_mrp(mdp.P, mdp.R, pi)
    stuck = states_not_reaching(state_graph(P_pi, 1), mdp.terminal)
    if stuck.size == 0:
        return pi, stuck
    S, A = mdp.n_states, mdp.n_actions
    best = Q.max(axis=1, keepdims=True)  # (S, 1)
    tied = (best - TIE_TOL * np.maximum(1.0, np.abs(best)) <= Q).ravel()  # (S*A,)
    P2 = sp.csr_matrix(mdp.P2)
    G = state_graph(sp.diags(tied.astype(float)) @ P2, A)  # (S, S) moves by tied actions
    # steps to a terminal state: breadth-first from a node S that points at every terminal,
    # over the reversed graph
    Gt = G.T.tocoo()
    term = np.flatnonzero(mdp.terminal)
    rows = np.concatenate([Gt.row, np.full(term.size, S)])
    cols = np.concatenate([Gt.col, term])
    back = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(S + 1, S + 1))
    steps = csgraph.shortest_path(back, unweighted=True, indices=S)[:S]  # (S,) inf: never
    pi = pi.copy()
    for s in stuck[np.isfinite(steps[stuck])]:
        for a in np.flatnonzero(tied[s * A : (s + 1) * A]):
            row = P2.getrow(s * A + a)
            if np.any(steps[row.indices[row.data > 0]] < steps[s]):
                pi[s] = np.eye(A)[a]  # one step closer to the end, and as good
                break
    return pi, stuck[~np.isfinite(steps[stuck])]


def _positive_loop(mdp: MDP, stuck: np.ndarray, iteration: int) -> None:
    raise ValueError(
        f"policy iteration with gamma = 1 has no optimal policy: improving the policy of "
        f"iteration {iteration} makes {describe_states(mdp.states, stuck)} loop forever "
        "without reaching a terminal state, because the rewards on that loop are positive, so "
        "looping beats ending and the optimal return is unbounded. Fix: make every step of "
        "that loop cost something (a negative reward), or use gamma < 1."
    )


# ------------------------------------------------------------------------------ on arrays
def _model(P, R, terminal, gamma) -> MDP:
    return MDP(P, R, terminal, gamma=gamma)


@arrays_only(use_instead="evaluate_policy(mdp, pi)")
def policy_evaluation(
    P: Transitions,
    R: ArrayLike,
    pi: ArrayLike,
    terminal: ArrayLike | None = None,
    *,
    gamma: float,
    tol: float = 1e-10,
) -> np.ndarray:
    """V^pi (S,) by iterative policy evaluation: Bellman expectation sweeps from V_0 = 0,

        V_{k+1}(s) = sum_a pi(a|s) [R(s, a) + gamma sum_s2 P(s2|s, a) V_k(s2)],  0 at terminals,

    until max_s |V_{k+1}(s) - V_k(s)| < tol; returns that last V_{k+1}. Works for gamma = 1
    when the policy reaches a terminal state from every state. (``evaluate_policy(mdp, pi)``
    gives the exact linear solve, Q and the history.)
    """
    mdp = _model(P, R, terminal, gamma)
    if mdp.gamma == 1.0:
        evaluate_policy(mdp, pi, method="exact")  # refuses an unbounded policy, naming a state
    return evaluate_policy(mdp, pi, method="iterative", tol=tol, max_iter=10**7).V


@arrays_only(use_instead="solve_policy_iteration(mdp)")
def policy_iteration(
    P: Transitions, R: ArrayLike, terminal: ArrayLike | None = None, *, gamma: float
) -> tuple[np.ndarray, np.ndarray]:
    """(V*, pi*) by policy iteration from the uniform random policy ([D001]):

        repeat: V <- exact value of pi;  pi' <- greedy w.r.t. Q = R + gamma P V
        until pi' == pi

    Returns the optimal values (S,) and an optimal deterministic policy, one-hot (S, A), ties
    to the lowest action index. ``solve_policy_iteration(mdp)`` gives the history too.
    """
    mdp = _model(P, R, terminal, gamma)
    result = solve_policy_iteration(mdp)
    return result.V, result.policy


@arrays_only(use_instead="solve_value_iteration(mdp)")
def value_iteration(
    P: Transitions,
    R: ArrayLike,
    terminal: ArrayLike | None = None,
    *,
    gamma: float,
    tol: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    """(V, pi) by value iteration: V_{k+1} = max_a [R + gamma P V_k] from V_0 = 0, stopped when

        gamma / (1 - gamma) * max_s |V_{k+1}(s) - V_k(s)| < tol,

    which guarantees max_s |V(s) - V*(s)| < tol. Returns V (S,) and the greedy one-hot policy
    of its Q (S, A), ties to the lowest action index. ``solve_value_iteration(mdp)`` gives the
    history and the error bound too.
    """
    mdp = _model(P, R, terminal, gamma)
    result = solve_value_iteration(mdp, tol=tol)
    return result.V, result.policy
