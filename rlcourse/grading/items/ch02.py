"""Chapter 02 (dynamic programming): the graded items of ``exercises/02_dynamic_programming``.

Every student function works on plain numpy arrays ([D001] notation) and has exactly the
contract of the package's function of the same name in :mod:`rlcourse.mdp`:

    induced_mrp(P, R, pi)                                   -> (P_pi, R_pi)
    policy_evaluation(P, R, pi, terminal=None, *, gamma, tol=1e-10) -> V
    q_from_v(P, R, V, terminal=None, *, gamma)              -> Q
    greedy_policy(Q)                                        -> pi, one-hot, ties to the lowest index
    policy_iteration(P, R, terminal=None, *, gamma)         -> (V, pi)
    value_iteration(P, R, terminal=None, *, gamma, tol=1e-8) -> (V, pi)

    P (S, A, S')  P[s, a, s2] = P(s2 | s, a)        R (S, A)  expected reward R(s, a)
    pi (S, A)     pi[s, a] = pi(a | s)              terminal (S,) bool, or None (no terminal
                                                     state); V[terminal] = 0

Data are positional, hyperparameters (gamma, tol) keyword-only: the tests call
``policy_evaluation(P, R, pi, terminal, gamma=0.9)``. No function may change the arrays it is
given (every call below checks that the caller's arrays are unchanged afterwards).

Items (points): induced_mrp (2), policy_evaluation (3), q_from_v (2), greedy_policy (2),
policy_iteration (3), value_iteration (3).

Where the expected values come from (never from the student's function, nor from the package's
function of the same name):
* explicit loops over s, a, s2 written out below (the induced MRP, Q from V);
* exact linear solves (I - gamma P^pi_NN) V_N = R^pi_N over the non-terminal states N;
* V* from this file's own two solvers (:func:`_policy_iteration_ref`, exact evaluation, and
  :func:`_value_iteration_ref`, sweeps to round-off): the policy-iteration item is checked
  against the value-iteration reference and vice versa;
* a two-state model worked out by hand (value iteration's stopping rule).

The models: MineGrid "small" (3 x 3, 18 states) and "default" (5 x 5, 100 states, with and
without slip); random MDPs whose *terminal* states carry junk rows that are valid
probabilities (they "move" to non-terminal states) and large rewards (about +10), so that the
package's validated solvers accept the model and a correct solver must still ignore them; and
random MDPs without terminal states (``terminal`` left at its default None).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from rlcourse.grading import assert_array_close, assert_array_equal, item
from rlcourse.grading.asserts import as_array, assert_unchanged, fresh_copy

TERMINAL_HINT = (
    "terminal states are absorbing with value 0: keep V[terminal] = 0 (and "
    "Q[terminal, :] = 0) and never back up from them, whatever P and R say there."
)
PI_HINT = "pi has shape (S, A): pi[s, a] = pi(a|s) (row = state, column = action)."
NONE_HINT = (
    "terminal=None (the default) means the model has no terminal state. Indexing with "
    "None does not select nothing: `x[None] = 0` sets EVERY entry of x to 0, and "
    "`~None` is an error; turn None into a boolean mask of S False values first."
)


# ----------------------------------------------------------------------------- models
@cache
def _grid(layout: str = "small", slip: float = 0.0, gamma: float = 0.9):
    """(P, R, terminal) of a MineGrid layout (read-only arrays)."""
    from rlcourse.envs import MineGrid

    mdp = MineGrid(layout, slip=slip).to_mdp(gamma=gamma)
    return _frozen(mdp.P, mdp.R, mdp.terminal)


@cache
def _random_model(S: int = 7, A: int = 3, seed: int = 0, n_terminal: int = 2):
    """(P, R, terminal): a random MDP whose first ``n_terminal`` states are terminal.

    The terminal rows are junk that a solver must ignore, yet a valid model: each P[s, a] of a
    terminal s is a distribution over the NON-terminal states (as if the episode went on), and
    R there is about +10. The other states reach a terminal state with probability >= 0.1 per
    step. ``n_terminal=0`` gives a model without terminal states (use it with gamma < 1).
    """
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S))  # (S, A, S')
    if n_terminal:
        P[n_terminal:, :, :n_terminal] += 0.2 * S / n_terminal  # some mass into terminals
        P[:n_terminal, :, :n_terminal] = 0.0  # junk: terminal states "move" on
    P /= P.sum(axis=-1, keepdims=True)
    R = rng.standard_normal((S, A)) + 2.0  # (S, A)
    R[:n_terminal] += 8.0  # junk reward: about +10 at terminal states, leaks show up
    terminal = np.zeros(S, dtype=bool)
    terminal[:n_terminal] = True
    return _frozen(P, R, terminal)


def _frozen(*arrays):
    out = []
    for x in arrays:
        x = np.array(x)
        x.setflags(write=False)
        out.append(x)
    return tuple(out)


def _random_policy(S: int, A: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = rng.random((S, A)) ** 3  # (S, A) far from uniform, so pi(a|s) matters
    return w / w.sum(axis=1, keepdims=True)


def _one_hot(actions, A: int) -> np.ndarray:
    return np.eye(A)[np.asarray(actions)]  # (S, A)


# ----------------------------------------------------------------------------- references
def _induced(P, R, pi):
    """P^pi, R^pi with explicit loops (a second way to the same sums)."""
    S, A, _ = P.shape
    P_pi = np.zeros((S, S))
    R_pi = np.zeros(S)
    for s in range(S):
        for a in range(A):
            R_pi[s] += pi[s, a] * R[s, a]
            for s2 in range(S):
                P_pi[s, s2] += pi[s, a] * P[s, a, s2]
    return P_pi, R_pi


def _exact_values(P, R, gamma, pi, terminal):
    """V^pi from the linear system over non-terminal states N: (I - gamma P_NN) V_N = R_N."""
    P_pi, R_pi = _induced(P, R, pi)
    N = ~terminal
    V = np.zeros(P.shape[0])
    V[N] = np.linalg.solve(np.eye(N.sum()) - gamma * P_pi[np.ix_(N, N)], R_pi[N])
    return V


def _q_loops(P, R, gamma, V, terminal):
    S, A, _ = P.shape
    Q = np.zeros((S, A))
    for s in range(S):
        if terminal[s]:
            continue
        for a in range(A):
            Q[s, a] = R[s, a] + gamma * sum(P[s, a, s2] * V[s2] for s2 in range(S))
    return Q


def _policy_iteration_ref(P, R, gamma, terminal):
    """V* by policy iteration with exact evaluation (keeps the old action on ties)."""
    S, A, _ = P.shape
    actions = np.zeros(S, dtype=int)
    for _ in range(1000):
        V = _exact_values(P, R, gamma, _one_hot(actions, A), terminal)
        Q = _q_loops(P, R, gamma, V, terminal)
        best = Q.max(axis=1)
        keep = Q[np.arange(S), actions] >= best - 1e-9 * np.maximum(1.0, np.abs(best))
        new = np.where(keep, actions, Q.argmax(axis=1))
        if np.array_equal(new, actions):
            return V
        actions = new
    raise RuntimeError("reference policy iteration did not stabilise")


def _value_iteration_ref(P, R, gamma, terminal):
    """V* by Bellman optimality sweeps until they stop moving (round-off)."""
    V = np.zeros(P.shape[0])
    for _ in range(100_000):
        Q = R + gamma * np.einsum("sat,t->sa", P, V)  # (S, A)
        Q[terminal] = 0.0
        V_new = Q.max(axis=1)
        if np.max(np.abs(V_new - V)) < 1e-13:
            return V_new
        V = V_new
    raise RuntimeError("reference value iteration did not converge")


@cache
def _optimal(model: tuple, gamma: float, method: str):
    """V* of ``_grid(*model[1:])`` or ``_random_model(*model[1:])``, by this file's own policy
    iteration ("pi") or value iteration ("vi"); read-only."""
    P, R, terminal = (_grid if model[0] == "grid" else _random_model)(*model[1:])
    solver = _policy_iteration_ref if method == "pi" else _value_iteration_ref
    return _frozen(solver(P, R, gamma, terminal))[0]


# ----------------------------------------------------------------------------- helpers
def _call(fn, fn_name: str, names: str, *args, omitted_terminal: bool = False, **kwargs):
    """``fn(*args, **kwargs)`` on writable copies of the arrays in ``args``; fails if the student
    changed one of them (the caller's arrays must stay as they were). ``names``: the arguments'
    names, space separated, for the message. ``omitted_terminal``: the call leaves ``terminal``
    at its default None, so an error about None gets :data:`NONE_HINT`."""
    given = [fresh_copy(a) for a in args]
    try:
        result = fn(*given, **kwargs)
    except TypeError as exc:
        if omitted_terminal and "NoneType" in str(exc):
            raise AssertionError(f"`{fn_name}` raised TypeError: {exc}. {NONE_HINT}") from None
        raise
    for name, before, after in zip(names.split(), args, given):
        assert_unchanged(fn_name, name, before, after)
    return result


def _pair(result, fn_name: str, names: tuple[str, str]):
    """Unpack a 2-tuple result, failing with a message that names the contract."""
    what = f"({names[0]}, {names[1]})"
    if isinstance(result, np.ndarray) or not isinstance(result, (tuple, list)):
        raise AssertionError(
            f"`{fn_name}` must return a tuple {what}, got a single "
            f"{type(result).__name__}: end with `return {names[0]}, {names[1]}`."
        )
    if len(result) != 2:
        raise AssertionError(
            f"`{fn_name}` must return a tuple of 2 things {what}, got {len(result)} things."
        )
    return result


def _check_one_hot(pi, S: int, A: int, name: str) -> np.ndarray:
    """``pi`` as an array (a list of lists is converted), checked to be (S, A) one-hot rows."""
    pi = as_array(pi, name, f"return pi as an array of shape ({S}, {A}).")
    if pi.shape != (S, A):
        hint = (
            (" It looks transposed: " + PI_HINT)
            if pi.shape == (A, S)
            else (
                " Return one-hot rows, e.g. np.eye(A)[actions], not the action indices."
                if pi.shape == (S,)
                else ""
            )
        )
        raise AssertionError(f"`{name}` has shape {pi.shape}, expected ({S}, {A}).{hint}")
    if not np.all((pi == 0) | (pi == 1)) or not np.all(pi.sum(axis=1) == 1):
        raise AssertionError(
            f"`{name}` must be a deterministic policy: one-hot rows (a single "
            "1 per row, zeros elsewhere)."
        )
    return pi


def _check_optimal_policy(pi, P, R, gamma, terminal, V_star, name: str) -> None:
    """pi is optimal iff its own value V^pi equals V* (ties between actions are fine)."""
    S, A, _ = P.shape
    pi = _check_one_hot(pi, S, A, name)
    V_pi = _exact_values(P, R, gamma, pi, terminal)
    assert_array_close(
        V_pi,
        V_star,
        name=f"the value V^pi of your {name}",
        atol=1e-6,
        hint=f"so `{name}` is not an optimal policy: act greedily with respect to "
        "Q(s, a) = R(s, a) + gamma sum_s' P(s'|s, a) V(s') (not V of the next "
        "state alone) and make sure the loop runs until it has converged.",
    )


# ============================================================================= 02.induced_mrp
induced = item(
    "02.induced_mrp",
    function="induced_mrp",
    points=2,
    description="the MRP (P^pi, R^pi) that a fixed policy induces",
    time_limit=10,
)


@induced.test
def induced_mrp_of_a_stochastic_policy(induced_mrp: Callable[..., Any]) -> None:
    """A stochastic policy on a random 7-state, 3-action MDP: both P_pi and R_pi."""
    P, R, _ = _random_model()
    pi = _random_policy(7, 3, seed=1)
    P_pi_ref, R_pi_ref = _induced(P, R, pi)
    P_pi, R_pi = _pair(
        _call(induced_mrp, "induced_mrp", "P R pi", P, R, pi), "induced_mrp", ("P_pi", "R_pi")
    )
    assert_array_close(
        P_pi,
        P_pi_ref,
        name="P_pi (first element of the tuple)",
        hint="P^pi(s'|s) = sum_a pi(a|s) P(s'|s, a); " + PI_HINT,
    )
    assert_array_close(
        R_pi,
        R_pi_ref,
        name="R_pi (second element of the tuple)",
        hint="R^pi(s) = sum_a pi(a|s) R(s, a): weight each action's reward by "
        "its probability (do not simply average over actions).",
    )


@induced.test
def induced_mrp_of_a_deterministic_policy(induced_mrp: Callable[..., Any]) -> None:
    """A deterministic policy on MineGrid "small": each state follows its chosen action."""
    P, R, _ = _grid("small")
    S, A, _ = P.shape
    actions = np.arange(S) % A  # (S,) a different action in neighbouring states
    pi = _one_hot(actions, A)
    P_pi, R_pi = _pair(
        _call(induced_mrp, "induced_mrp", "P R pi", P, R, pi), "induced_mrp", ("P_pi", "R_pi")
    )
    assert_array_close(
        P_pi,
        P[np.arange(S), actions],
        name="P_pi (first element of the tuple)",
        hint="with a one-hot pi, row s of P^pi is P[s, a] for the chosen a. " + PI_HINT,
    )
    assert_array_close(
        R_pi,
        R[np.arange(S), actions],
        name="R_pi (second element of the tuple)",
        hint="with a one-hot pi, R^pi(s) is R[s, a] for the chosen a.",
    )


@induced.test
def induced_transitions_are_distributions(induced_mrp: Callable[..., Any]) -> None:
    """Every row of P_pi is a probability distribution (sums to 1)."""
    P, R, _ = _random_model(S=5, A=4, seed=3, n_terminal=1)
    pi = _random_policy(5, 4, seed=4)
    P_pi, _ = _pair(
        _call(induced_mrp, "induced_mrp", "P R pi", P, R, pi), "induced_mrp", ("P_pi", "R_pi")
    )
    P_pi = as_array(P_pi, "P_pi (first element of the tuple)")
    if P_pi.shape != (5, 5):
        raise AssertionError(
            f"P_pi (first element) has shape {P_pi.shape}, expected (S, S) = (5, 5)."
        )
    assert_array_close(
        P_pi.sum(axis=1),
        np.ones(5),
        name="P_pi.sum(axis=1) (first element)",
        hint="rows of P^pi must sum to 1: weight each action's row P[s, a] by "
        "pi(a|s) instead of adding the rows up.",
    )


# ============================================================================= 02.policy_evaluation
pe = item(
    "02.policy_evaluation",
    function="policy_evaluation",
    points=3,
    description="iterative policy evaluation with Bellman expectation backups",
    time_limit=10,
)

PE_ARGS = "P R pi terminal"


@pe.test
def evaluates_the_uniform_policy_on_minegrid(policy_evaluation: Callable[..., Any]) -> None:
    """Uniform random policy on MineGrid "small", gamma = 0.9: V matches the linear solve."""
    P, R, terminal = _grid("small")
    S, A, _ = P.shape
    pi = np.full((S, A), 1.0 / A)
    V_ref = _exact_values(P, R, 0.9, pi, terminal)
    V = _call(policy_evaluation, "policy_evaluation", PE_ARGS, P, R, pi, terminal, gamma=0.9)
    assert_array_close(
        V,
        V_ref,
        name="V",
        rtol=1e-6,
        atol=1e-6,
        hint="repeat V <- R^pi + gamma P^pi V over all states until the largest "
        "change is below tol.",
    )


@pe.test
def keeps_terminal_values_at_zero(policy_evaluation: Callable[..., Any]) -> None:
    """Terminal states with junk rows in P and R keep V = 0 and do not leak into other states."""
    P, R, terminal = _random_model()
    pi = _random_policy(7, 3, seed=2)
    V_ref = _exact_values(P, R, 0.9, pi, terminal)
    V = _call(policy_evaluation, "policy_evaluation", PE_ARGS, P, R, pi, terminal, gamma=0.9)
    assert_array_close(V, V_ref, name="V", atol=1e-6, hint=TERMINAL_HINT + " " + PI_HINT)


@pe.test
def uses_gamma_and_the_policy(policy_evaluation: Callable[..., Any]) -> None:
    """A deterministic policy with gamma = 0.5 on a random MDP."""
    P, R, terminal = _random_model(S=6, A=4, seed=5, n_terminal=1)
    pi = _one_hot([3, 0, 2, 1, 3, 0], 4)
    V_ref = _exact_values(P, R, 0.5, pi, terminal)
    V = _call(
        policy_evaluation, "policy_evaluation", PE_ARGS, P, R, pi, terminal, gamma=0.5, tol=1e-10
    )
    assert_array_close(
        V,
        V_ref,
        name="V",
        atol=1e-6,
        hint="discount the next state's value by the gamma argument (not a fixed "
        "number), and weight action a by pi[s, a].",
    )


@pe.test
def works_with_gamma_one(policy_evaluation: Callable[..., Any]) -> None:
    """gamma = 1 (an episodic task whose policy always ends): the loop still stops."""
    P, R, terminal = _grid("small")
    S, A, _ = P.shape
    pi = np.full((S, A), 1.0 / A)
    V_ref = _exact_values(P, R, 1.0, pi, terminal)
    V = _call(policy_evaluation, "policy_evaluation", PE_ARGS, P, R, pi, terminal, gamma=1.0)
    assert_array_close(
        V,
        V_ref,
        name="V",
        rtol=1e-6,
        atol=1e-5,
        hint="stop when max_s |V_new(s) - V(s)| < tol; do not divide by "
        "(1 - gamma) in the stopping rule.",
    )


@pe.test
def evaluates_a_model_without_terminal_states(policy_evaluation: Callable[..., Any]) -> None:
    """No terminal states (terminal=None, the default): a random 6 x 3 MDP, gamma = 0.7."""
    P, R, _ = _random_model(S=6, A=3, seed=12, n_terminal=0)
    pi = _random_policy(6, 3, seed=13)
    V_ref = _exact_values(P, R, 0.7, pi, np.zeros(6, dtype=bool))
    V = _call(
        policy_evaluation, "policy_evaluation", "P R pi", P, R, pi, gamma=0.7, omitted_terminal=True
    )
    assert_array_close(V, V_ref, name="V", atol=1e-6, hint=NONE_HINT)


# ============================================================================= 02.q_from_v
qv = item(
    "02.q_from_v",
    function="q_from_v",
    points=2,
    description="action values from state values: Q = R + gamma P V",
    time_limit=10,
)

QV_ARGS = "P R V terminal"


@qv.test
def q_from_v_on_a_random_mdp(q_from_v: Callable[..., Any]) -> None:
    """Q(s, a) = R(s, a) + gamma sum_s' P(s'|s, a) V(s') on a random 7 x 3 MDP."""
    P, R, _ = _random_model()
    terminal = np.zeros(7, dtype=bool)
    V = np.random.default_rng(6).standard_normal(7)
    Q = _call(q_from_v, "q_from_v", QV_ARGS, P, R, V, terminal, gamma=0.8)
    assert_array_close(
        Q,
        _q_loops(P, R, 0.8, V, terminal),
        name="Q",
        hint="Q has shape (S, A); sum over the next state s' (the last axis of "
        "P) and multiply by gamma.",
    )


@qv.test
def q_is_zero_at_terminal_states(q_from_v: Callable[..., Any]) -> None:
    """Terminal states (junk rows in P and R) get Q[terminal, :] = 0."""
    P, R, terminal = _random_model()
    V = np.random.default_rng(7).standard_normal(7)
    V[terminal] = 0.0
    Q = _call(q_from_v, "q_from_v", QV_ARGS, P, R, V, terminal, gamma=0.8)
    assert_array_close(Q, _q_loops(P, R, 0.8, V, terminal), name="Q", hint=TERMINAL_HINT)


@qv.test
def terminal_states_are_worth_zero_whatever_V_holds(q_from_v: Callable[..., Any]) -> None:
    """V is read as 0 at terminal states: a junk V(terminal) must not leak into Q."""
    # 3 states, 2 actions, state 2 terminal; gamma = 0.5, V = [4, 2, 100] (100 is junk).
    # Q(0, 0) = 1 + 0.5 * V(2)                     = 1 + 0.5 * 0 = 1    (junk V: 51)
    # Q(0, 1) = 0 + 0.5 * V(1)                     = 0 + 0.5 * 2 = 1
    # Q(1, 0) = 2 + 0.5 * (0.5 V(2) + 0.5 V(1))   = 2 + 0.5 * 1 = 2.5  (junk V: 27.5)
    # Q(1, 1) = -1 + 0.5 * V(0)                    = -1 + 2 = 1
    # Q(2, .) = 0 (terminal)
    P = np.zeros((3, 2, 3))
    P[0, 0, 2] = P[0, 1, 1] = P[1, 1, 0] = 1.0
    P[1, 0, 1] = P[1, 0, 2] = 0.5
    P[2, :, 2] = 1.0
    R = np.array([[1.0, 0.0], [2.0, -1.0], [5.0, 5.0]])
    terminal = np.array([False, False, True])
    V = np.array([4.0, 2.0, 100.0])
    Q = _call(q_from_v, "q_from_v", QV_ARGS, P, R, V, terminal, gamma=0.5)
    assert_array_close(
        Q,
        [[1.0, 1.0], [2.5, 1.0], [0.0, 0.0]],
        name="Q",
        hint="a terminal state is worth 0 whatever V holds there: read V as 0 at "
        "terminal states before computing P @ V, e.g. "
        "V = np.where(terminal, 0.0, V).",
    )


@qv.test
def max_of_q_star_is_v_star(q_from_v: Callable[..., Any]) -> None:
    """With V = V* of MineGrid "small", max_a Q(s, a) = V*(s) (Bellman optimality)."""
    P, R, terminal = _grid("small")
    V_star = _optimal(("grid", "small"), 0.9, "pi")
    Q = _call(q_from_v, "q_from_v", QV_ARGS, P, R, V_star, terminal, gamma=0.9)
    Q = as_array(Q, "Q")
    assert_array_close(
        Q,
        _q_loops(P, R, 0.9, V_star, terminal),
        name="Q",
        hint="use the expected reward R[s, a] plus gamma times the expected "
        "next-state value under P[s, a].",
    )
    assert_array_close(
        Q.max(axis=1),
        V_star,
        name="Q.max(axis=1)",
        atol=1e-6,
        hint="for V = V*, the best action's Q must equal V*.",
    )


@qv.test
def q_from_v_without_terminal_states(q_from_v: Callable[..., Any]) -> None:
    """No terminal states (terminal=None, the default): a random 6 x 3 MDP, gamma = 0.6."""
    P, R, _ = _random_model(S=6, A=3, seed=14, n_terminal=0)
    V = np.random.default_rng(15).standard_normal(6)
    Q = _call(q_from_v, "q_from_v", "P R V", P, R, V, gamma=0.6, omitted_terminal=True)
    assert_array_close(Q, _q_loops(P, R, 0.6, V, np.zeros(6, dtype=bool)), name="Q", hint=NONE_HINT)


# ============================================================================= 02.greedy_policy
gp = item(
    "02.greedy_policy",
    function="greedy_policy",
    points=2,
    description="the deterministic greedy policy pi(s) = argmax_a Q(s, a)",
    time_limit=10,
)


@gp.test
def greedy_policy_is_one_hot_argmax(greedy_policy: Callable[..., Any]) -> None:
    """A random Q (6 states, 3 actions): one-hot rows on the best action."""
    Q = np.random.default_rng(8).standard_normal((6, 3))
    pi = _call(greedy_policy, "greedy_policy", "Q", Q)
    _check_one_hot(pi, 6, 3, "pi")
    assert_array_equal(
        pi,
        _one_hot(Q.argmax(axis=1), 3),
        name="pi",
        hint="put the 1 in column argmax_a Q[s, a] of row s (maximise over axis=1, the actions).",
    )


@gp.test
def greedy_policy_breaks_ties_to_the_lowest_action(greedy_policy: Callable[..., Any]) -> None:
    """Ties (and all-zero rows, as at terminal states) go to the lowest action index."""
    Q = np.array(
        [[1.0, 3.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0], [-2.0, -5.0, -2.0, -2.0], [4.0, 4.0, 4.0, 5.0]]
    )
    pi = _call(greedy_policy, "greedy_policy", "Q", Q)
    _check_one_hot(pi, 4, 4, "pi")
    assert_array_equal(
        pi,
        _one_hot([1, 0, 0, 3], 4),
        name="pi",
        hint="exactly one 1 per row, in the first (lowest-index) column among "
        "the tied best actions; np.argmax does this.",
    )


@gp.test
def greedy_policy_uses_q_not_a_transpose(greedy_policy: Callable[..., Any]) -> None:
    """A tall Q (9 states, 2 actions): the result has one row per state."""
    Q = np.random.default_rng(9).standard_normal((9, 2))
    pi = _call(greedy_policy, "greedy_policy", "Q", Q)
    _check_one_hot(pi, 9, 2, "pi")
    assert_array_equal(pi, _one_hot(Q.argmax(axis=1), 2), name="pi", hint=PI_HINT)


# ============================================================================= solvers
def _check_solver(
    solver, fn_name, model: tuple, gamma, V_star, *, with_terminal=True, atol=1e-6, **hyper
):
    """Call ``solver(P, R, terminal, gamma=gamma, **hyper)`` (terminal left out when
    ``with_terminal`` is False) and check that it returns (V*, an optimal one-hot policy)."""
    P, R, terminal = (_grid if model[0] == "grid" else _random_model)(*model[1:])
    if with_terminal:
        result = _call(solver, fn_name, "P R terminal", P, R, terminal, gamma=gamma, **hyper)
    else:
        result = _call(solver, fn_name, "P R", P, R, gamma=gamma, omitted_terminal=True, **hyper)
    V, pi = _pair(result, fn_name, ("V", "pi"))
    if np.ndim(V) == 2 and np.ndim(pi) == 1:
        raise AssertionError(
            f"`{fn_name}` seems to return (pi, V): return them in the order "
            "(V, pi), V of shape (S,) first."
        )
    hint = "V must be the optimal value V*; " + (TERMINAL_HINT if with_terminal else NONE_HINT)
    assert_array_close(V, V_star, name="V (first element of the tuple)", atol=atol, hint=hint)
    _check_optimal_policy(pi, P, R, gamma, terminal, V_star, "pi (second element of the tuple)")


# ============================================================================= 02.policy_iteration
pit = item(
    "02.policy_iteration",
    function="policy_iteration",
    points=3,
    description="policy iteration: evaluate, improve greedily, stop when stable",
    time_limit=10,
)


@pit.test
def policy_iteration_on_minegrid_small(policy_iteration: Callable[..., Any]) -> None:
    """MineGrid "small", gamma = 0.9: V = V* and pi is optimal."""
    model = ("grid", "small")
    _check_solver(policy_iteration, "policy_iteration", model, 0.9, _optimal(model, 0.9, "vi"))


@pit.test
def policy_iteration_ignores_terminal_junk(policy_iteration: Callable[..., Any]) -> None:
    """A random MDP whose terminal states hold junk rows (valid moves, big rewards), gamma 0.8."""
    model = ("random", 8, 3, 10, 2)
    _check_solver(policy_iteration, "policy_iteration", model, 0.8, _optimal(model, 0.8, "vi"))


@pit.test
def policy_iteration_on_the_slippery_default_grid(policy_iteration: Callable[..., Any]) -> None:
    """MineGrid "default" with slip 0.1 (100 states), gamma = 0.9: V = V* and pi is optimal."""
    model = ("grid", "default", 0.1)
    _check_solver(policy_iteration, "policy_iteration", model, 0.9, _optimal(model, 0.9, "vi"))


@pit.test
def policy_iteration_without_terminal_states(policy_iteration: Callable[..., Any]) -> None:
    """No terminal states (terminal=None, the default): a random 6 x 3 MDP, gamma = 0.8."""
    model = ("random", 6, 3, 16, 0)
    _check_solver(
        policy_iteration,
        "policy_iteration",
        model,
        0.8,
        _optimal(model, 0.8, "vi"),
        with_terminal=False,
    )


# ============================================================================= 02.value_iteration
vit = item(
    "02.value_iteration",
    function="value_iteration",
    points=3,
    description="value iteration with the stopping rule gamma/(1-gamma)||dV|| < tol",
    time_limit=10,
)


@vit.test
def value_iteration_on_the_slippery_default_grid(value_iteration: Callable[..., Any]) -> None:
    """MineGrid "default" with slip 0.1, gamma = 0.9, the default tol = 1e-8: V = V*, pi optimal."""
    model = ("grid", "default", 0.1)
    _check_solver(value_iteration, "value_iteration", model, 0.9, _optimal(model, 0.9, "pi"))


@vit.test
def value_iteration_ignores_terminal_junk(value_iteration: Callable[..., Any]) -> None:
    """A random MDP whose terminal states hold junk rows (valid moves, big rewards), gamma 0.8."""
    model = ("random", 8, 3, 11, 2)
    _check_solver(
        value_iteration, "value_iteration", model, 0.8, _optimal(model, 0.8, "pi"), tol=1e-8
    )


@vit.test
def value_iteration_without_terminal_states(value_iteration: Callable[..., Any]) -> None:
    """No terminal states (terminal=None, the default): a random 6 x 3 MDP, gamma = 0.8."""
    model = ("random", 6, 3, 17, 0)
    _check_solver(
        value_iteration,
        "value_iteration",
        model,
        0.8,
        _optimal(model, 0.8, "pi"),
        with_terminal=False,
        tol=1e-8,
    )


@vit.test
def value_iteration_stopping_rule_guarantees_tol(value_iteration: Callable[..., Any]) -> None:
    """Stay for +1 forever or quit for +5 (gamma = 0.95, tol = 0.01): V is within tol of V*."""
    # state 0: action 0 stays (+1), action 1 quits into the terminal state 1 (+5).
    # By hand: staying forever is worth 1 / (1 - gamma) = 20 > 5, so V*(0) = 20, pi*(0) = stay.
    # Value iteration climbs V_k(0) = (1 - gamma^k) / (1 - gamma) geometrically, so a loop that
    # stops as soon as |V_{k+1} - V_k| < tol is still about 19 * tol short of V*.
    gamma = 0.95
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = P[1, :, 1] = 1.0
    R = np.array([[1.0, 5.0], [0.0, 0.0]])
    terminal = np.array([False, True])
    V, pi = _pair(
        _call(
            value_iteration,
            "value_iteration",
            "P R terminal",
            P,
            R,
            terminal,
            gamma=gamma,
            tol=0.01,
        ),
        "value_iteration",
        ("V", "pi"),
    )
    assert_array_close(
        V,
        [1.0 / (1.0 - gamma), 0.0],
        name="V (first element of the tuple)",
        rtol=0.0,
        atol=0.01,
        hint="stop only when gamma / (1 - gamma) * max_s |V_new(s) - V(s)| < tol "
        "(that bound is what guarantees ||V - V*|| < tol), and return V_new.",
    )
    pi = _check_one_hot(pi, 2, 2, "pi (second element of the tuple)")
    if pi[0, 0] != 1.0:
        raise AssertionError(
            "pi (second element of the tuple) is not greedy with respect to "
            "Q(s, a) = R(s, a) + gamma sum_s' P(s'|s, a) V(s') in state 0."
        )
