"""Every graded item of chapter 02 can pass and can fail (in-process, no kernels).

The solution notebook's functions score full marks, the exercise stub scores 0, and each planted
wrong answer below (a mistake students really make in dynamic programming) loses points, caught
by the item's test aimed at it, without check() printing the correct values. The package's
functions of the same names (rlcourse.mdp) have the exercises' signatures and score full marks.
"""

from __future__ import annotations

import numpy as np

from rlcourse.grading import items_for_chapter
from rlcourse.grading.items.ch02 import _grid, _random_model, _random_policy  # the items' models
from rlcourse.mdp import MDP, evaluate_policy, solve_value_iteration

from _solutions import Planted, item_tests, run_check

CHAPTER = "02"
ITEMS = items_for_chapter(CHAPTER)


# ----------------------------------------------------------------------------- a correct core
# the planted answers below are each one slip away from these few lines
def _mask(terminal, S):
    return np.zeros(S, dtype=bool) if terminal is None else np.asarray(terminal, dtype=bool)


def _backup(P, R, gamma, V):
    return R + gamma * P @ V  # (S, A)


def _greedy(Q):
    return np.eye(Q.shape[1])[np.argmax(Q, axis=1)]  # (S, A) one-hot, ties to the lowest index


def _evaluate_exactly(P, R, gamma, pi, terminal):
    P_pi = np.einsum("sa,sat->st", pi, P)  # (S, S)
    R_pi = np.sum(pi * R, axis=1)  # (S,)
    N = ~terminal
    V = np.zeros(len(R_pi))
    V[N] = np.linalg.solve(np.eye(N.sum()) - gamma * P_pi[np.ix_(N, N)], R_pi[N])
    return V


# ----------------------------------------------------------------------------- 02.induced_mrp
def induced_mrp_averages_rewards(P, R, pi):
    """R^pi as the plain average over actions, ignoring pi."""
    return np.einsum("sa,sat->st", pi, P), R.mean(axis=1)


def induced_mrp_sums_rows(P, R, pi):
    """Adds the rows P[s, a] up instead of weighting them by pi(a|s)."""
    return P.sum(axis=1), np.sum(pi * R, axis=1)


def induced_mrp_swapped(P, R, pi):
    """Right values, tuple in the wrong order (R_pi, P_pi)."""
    return np.sum(pi * R, axis=1), np.einsum("sa,sat->st", pi, P)


def induced_mrp_weights_p_in_place(P, R, pi):
    """Right values, but weights P by pi in the caller's array (P *= pi[:, :, None])."""
    P *= pi[:, :, None]
    return P.sum(axis=1), np.sum(pi * R, axis=1)


# ----------------------------------------------------------------------------- 02.policy_evaluation
def policy_evaluation_no_terminal_mask(P, R, pi, terminal=None, *, gamma, tol=1e-10):
    """Backs up terminal states like any other (their junk rewards leak into V)."""
    V = np.zeros(P.shape[0])
    while True:
        V_new = np.sum(pi * _backup(P, R, gamma, V), axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new


def policy_evaluation_fixed_gamma(P, R, pi, terminal=None, *, gamma, tol=1e-10):
    """Discounts with the lecture's 0.9 instead of the gamma argument."""
    terminal = _mask(terminal, P.shape[0])
    V = np.zeros(P.shape[0])
    while True:
        V_new = np.sum(pi * _backup(P, R, 0.9, V), axis=1)
        V_new[terminal] = 0.0
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new


def policy_evaluation_one_sweep(P, R, pi, terminal=None, *, gamma, tol=1e-10):
    """A single Bellman expectation backup from V = 0 (no loop)."""
    V = np.sum(pi * _backup(P, R, gamma, np.zeros(P.shape[0])), axis=1)
    V[_mask(terminal, P.shape[0])] = 0.0
    return V


def policy_evaluation_value_iteration_stop(P, R, pi, terminal=None, *, gamma, tol=1e-10):
    """Value iteration's stopping rule gamma/(1-gamma) delta < tol: divides by 0 at gamma = 1."""
    terminal = _mask(terminal, P.shape[0])
    V = np.zeros(P.shape[0])
    while True:
        V_new = np.sum(pi * _backup(P, R, gamma, V), axis=1)
        V_new[terminal] = 0.0
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if gamma / (1 - gamma) * delta < tol:
            return V


def policy_evaluation_max_over_actions(P, R, pi, terminal=None, *, gamma, tol=1e-10):
    """max_a instead of sum_a pi(a|s): evaluates the greedy policy, not pi."""
    terminal = _mask(terminal, P.shape[0])
    V = np.zeros(P.shape[0])
    while True:
        V_new = _backup(P, R, gamma, V).max(axis=1)
        V_new[terminal] = 0.0
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new


def policy_evaluation_indexes_with_none(P, R, pi, terminal=None, *, gamma, tol=1e-10):
    """Uses terminal as a mask without handling None: V_new[None] = 0 zeroes every state."""
    V = np.zeros(P.shape[0])
    while True:
        V_new = np.sum(pi * _backup(P, R, gamma, V), axis=1)
        V_new[terminal] = 0.0
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new


# ----------------------------------------------------------------------------- 02.q_from_v
def q_from_v_no_terminal_mask(P, R, V, terminal=None, *, gamma):
    """Q = R + gamma P V everywhere, terminal rows included."""
    return R + gamma * P @ V


def q_from_v_wrong_axis(P, R, V, terminal=None, *, gamma):
    """Sums P over the current state s instead of the next state s'."""
    Q = R + gamma * np.einsum("sat,s->ta", P, V)
    Q[_mask(terminal, R.shape[0])] = 0.0
    return Q


def q_from_v_no_reward(P, R, V, terminal=None, *, gamma):
    """gamma times the expected next value, forgetting R(s, a)."""
    Q = gamma * P @ V
    Q[_mask(terminal, R.shape[0])] = 0.0
    return Q


def q_from_v_aliases_r(P, R, V, terminal=None, *, gamma):
    """Q = R (no copy), then Q += ...: right Q, but the caller's R is overwritten."""
    Q = R
    Q += gamma * P @ V
    Q[_mask(terminal, R.shape[0])] = 0.0
    return Q


def q_from_v_trusts_V_at_terminals(P, R, V, terminal=None, *, gamma):
    """Zeroes the terminal rows of Q but backs up whatever V holds at terminal states."""
    Q = R + gamma * P @ V
    Q[_mask(terminal, R.shape[0])] = 0.0
    return Q


def q_from_v_indexes_with_none(P, R, V, terminal=None, *, gamma):
    """Q[terminal] = 0 without handling None: Q[None] = 0 zeroes the whole table."""
    Q = R + gamma * P @ V
    Q[terminal] = 0.0
    return Q


# ----------------------------------------------------------------------------- 02.greedy_policy
def greedy_policy_argmax_axis0(Q):
    """argmax over axis 0 (the states) instead of the actions."""
    return np.eye(Q.shape[1])[np.argmax(Q, axis=0)]


def greedy_policy_indices(Q):
    """The greedy action indices (S,) instead of a one-hot (S, A) policy."""
    return np.argmax(Q, axis=1)


def greedy_policy_splits_ties(Q):
    """Spreads probability over tied actions: not deterministic."""
    best = (Q.max(axis=1, keepdims=True) == Q).astype(float)
    return best / best.sum(axis=1, keepdims=True)


def greedy_policy_ties_to_highest(Q):
    """Breaks ties toward the highest action index."""
    A = Q.shape[1]
    return np.eye(A)[A - 1 - np.argmax(Q[:, ::-1], axis=1)]


def greedy_policy_reuses_q(Q):
    """Writes the one-hot rows into Q itself (pi = Q; pi[:] = 0; ...): Q is lost."""
    a = np.argmax(Q, axis=1)
    pi = Q
    pi[:] = 0.0
    pi[np.arange(Q.shape[0]), a] = 1.0
    return pi


# ----------------------------------------------------------------------------- 02.policy_iteration
def policy_iteration_no_terminal_mask(P, R, terminal=None, *, gamma):
    """Evaluates every state, terminal ones included (their junk rewards count)."""
    S, A = R.shape
    pi = np.full((S, A), 1.0 / A)
    while True:
        V = _evaluate_exactly(P, R, gamma, pi, np.zeros(S, dtype=bool))
        new_pi = _greedy(_backup(P, R, gamma, V))
        if np.array_equal(new_pi, pi):
            return V, pi
        pi = new_pi


def policy_iteration_one_improvement(P, R, terminal=None, *, gamma):
    """Evaluates the uniform policy and improves it once: no loop until stable."""
    S, A = R.shape
    terminal = _mask(terminal, S)
    V = _evaluate_exactly(P, R, gamma, np.full((S, A), 1.0 / A), terminal)
    Q = _backup(P, R, gamma, V)
    Q[terminal] = 0.0
    return V, _greedy(Q)


def _policy_iteration(P, R, terminal, gamma):
    S, A = R.shape
    pi = np.full((S, A), 1.0 / A)
    while True:
        V = _evaluate_exactly(P, R, gamma, pi, terminal)
        Q = _backup(P, R, gamma, V)
        Q[terminal] = 0.0
        new_pi = _greedy(Q)
        if np.array_equal(new_pi, pi):
            return V, pi
        pi = new_pi


def policy_iteration_pi_first(P, R, terminal=None, *, gamma):
    """Right answer, returned as (pi, V)."""
    V, pi = _policy_iteration(P, R, _mask(terminal, R.shape[0]), gamma)
    return pi, V


def policy_iteration_needs_terminal(P, R, terminal=None, *, gamma):
    """Uses ~terminal without handling None: a TypeError on a model without terminal states."""
    return _policy_iteration(P, R, terminal, gamma)


# ----------------------------------------------------------------------------- 02.value_iteration
def value_iteration_plain_stop(P, R, terminal=None, *, gamma, tol=1e-8):
    """Stops when max |V_new - V| < tol, without the gamma / (1 - gamma) factor."""
    terminal = _mask(terminal, R.shape[0])
    V = np.zeros(P.shape[0])
    while True:
        Q = _backup(P, R, gamma, V)
        Q[terminal] = 0.0
        V_new = Q.max(axis=1)
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if delta < tol:
            Q = _backup(P, R, gamma, V)
            Q[terminal] = 0.0
            return V, _greedy(Q)


def value_iteration_no_terminal_mask(P, R, terminal=None, *, gamma, tol=1e-8):
    """Bellman optimality backups at terminal states too."""
    V = np.zeros(P.shape[0])
    while True:
        V_new = _backup(P, R, gamma, V).max(axis=1)
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if gamma / (1 - gamma) * delta < tol:
            return V, _greedy(_backup(P, R, gamma, V))


def value_iteration_greedy_on_next_v(P, R, terminal=None, *, gamma, tol=1e-8):
    """Right V*, but pi picks the action whose expected next V is largest (R forgotten)."""
    terminal = _mask(terminal, R.shape[0])
    V = np.zeros(P.shape[0])
    while True:
        Q = _backup(P, R, gamma, V)
        Q[terminal] = 0.0
        V_new = Q.max(axis=1)
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if gamma / (1 - gamma) * delta < tol:
            return V, _greedy(P @ V)


def value_iteration_indexes_with_none(P, R, terminal=None, *, gamma, tol=1e-8):
    """Q[terminal] = 0 without handling None: Q[None] = 0 zeroes every state, V stays 0."""
    V = np.zeros(P.shape[0])
    while True:
        Q = _backup(P, R, gamma, V)
        Q[terminal] = 0.0
        V_new = Q.max(axis=1)
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if gamma / (1 - gamma) * delta < tol:
            return V, _greedy(Q)


# ----------------------------------------------------------------------------- the correct answers
def _v_pi(P, R, gamma, pi, terminal):
    return evaluate_policy(MDP(P, R, terminal, gamma=gamma), pi, method="exact").V


def _v_star(P, R, gamma, terminal):
    return solve_value_iteration(MDP(P, R, terminal, gamma=gamma), tol=1e-12).V


def _answers():
    small, junk = _grid("small"), _random_model()
    S, A = small[0].shape[:2]
    uniform = np.full((S, A), 1.0 / A)
    P8, R8, t8 = _random_model(S=8, A=3, seed=10, n_terminal=2)
    P8b, R8b, t8b = _random_model(S=8, A=3, seed=11, n_terminal=2)
    P6, R6, t6 = _random_model(S=6, A=3, seed=12, n_terminal=0)
    Pv, Rv, tv = _random_model(S=6, A=3, seed=17, n_terminal=0)
    return {
        "V_uniform_small": _v_pi(*small[:2], 0.9, uniform, small[2]),
        "V_junk": _v_pi(*junk[:2], 0.9, _random_policy(7, 3, seed=2), junk[2]),
        "V_no_terminal": _v_pi(P6, R6, 0.7, _random_policy(6, 3, seed=13), t6),
        "V_star_small": _v_star(*small[:2], 0.9, small[2]),
        "V_star_pi_junk": _v_star(P8, R8, 0.8, t8),
        "V_star_vi_junk": _v_star(P8b, R8b, 0.8, t8b),
        "V_star_vi_no_terminal": _v_star(Pv, Rv, 0.8, tv),
    }


ANSWERS = _answers()

PLANTED = [
    Planted("02.induced_mrp", induced_mrp_averages_rewards, "induced_mrp_of_a_stochastic_policy"),
    Planted("02.induced_mrp", induced_mrp_sums_rows, "induced_transitions_are_distributions"),
    Planted("02.induced_mrp", induced_mrp_swapped, "induced_mrp_of_a_stochastic_policy"),
    Planted("02.induced_mrp", induced_mrp_weights_p_in_place, "induced_mrp_of_a_stochastic_policy"),
    Planted(
        "02.policy_evaluation",
        policy_evaluation_no_terminal_mask,
        "keeps_terminal_values_at_zero",
        answer=ANSWERS["V_junk"],
    ),
    Planted("02.policy_evaluation", policy_evaluation_fixed_gamma, "uses_gamma_and_the_policy"),
    Planted(
        "02.policy_evaluation",
        policy_evaluation_one_sweep,
        "evaluates_the_uniform_policy_on_minegrid",
        answer=ANSWERS["V_uniform_small"],
    ),
    Planted("02.policy_evaluation", policy_evaluation_value_iteration_stop, "works_with_gamma_one"),
    Planted(
        "02.policy_evaluation",
        policy_evaluation_max_over_actions,
        "evaluates_the_uniform_policy_on_minegrid",
        answer=ANSWERS["V_uniform_small"],
    ),
    Planted(
        "02.policy_evaluation",
        policy_evaluation_indexes_with_none,
        "evaluates_a_model_without_terminal_states",
        answer=ANSWERS["V_no_terminal"],
    ),
    Planted("02.q_from_v", q_from_v_no_terminal_mask, "q_is_zero_at_terminal_states"),
    Planted("02.q_from_v", q_from_v_wrong_axis, "q_from_v_on_a_random_mdp"),
    Planted("02.q_from_v", q_from_v_no_reward, "max_of_q_star_is_v_star"),
    Planted("02.q_from_v", q_from_v_aliases_r, "q_from_v_on_a_random_mdp"),
    Planted("02.q_from_v", q_from_v_indexes_with_none, "q_from_v_without_terminal_states"),
    Planted(
        "02.q_from_v",
        q_from_v_trusts_V_at_terminals,
        "terminal_states_are_worth_zero_whatever_V_holds",
        answer=(1.0, 2.5),
    ),
    Planted("02.greedy_policy", greedy_policy_argmax_axis0, "greedy_policy_uses_q_not_a_transpose"),
    Planted("02.greedy_policy", greedy_policy_indices, "greedy_policy_is_one_hot_argmax"),
    Planted(
        "02.greedy_policy",
        greedy_policy_splits_ties,
        "greedy_policy_breaks_ties_to_the_lowest_action",
    ),
    Planted(
        "02.greedy_policy",
        greedy_policy_ties_to_highest,
        "greedy_policy_breaks_ties_to_the_lowest_action",
    ),
    Planted("02.greedy_policy", greedy_policy_reuses_q, "greedy_policy_is_one_hot_argmax"),
    Planted(
        "02.policy_iteration",
        policy_iteration_no_terminal_mask,
        "policy_iteration_ignores_terminal_junk",
        answer=ANSWERS["V_star_pi_junk"],
    ),
    Planted(
        "02.policy_iteration",
        policy_iteration_one_improvement,
        "policy_iteration_on_minegrid_small",
        answer=ANSWERS["V_star_small"],
    ),
    Planted("02.policy_iteration", policy_iteration_pi_first, "policy_iteration_on_minegrid_small"),
    Planted(
        "02.policy_iteration",
        policy_iteration_needs_terminal,
        "policy_iteration_without_terminal_states",
    ),
    Planted(
        "02.value_iteration",
        value_iteration_plain_stop,
        "value_iteration_stopping_rule_guarantees_tol",
        answer=(20.0,),
    ),
    Planted(
        "02.value_iteration",
        value_iteration_no_terminal_mask,
        "value_iteration_ignores_terminal_junk",
        answer=ANSWERS["V_star_vi_junk"],
    ),
    Planted(
        "02.value_iteration",
        value_iteration_greedy_on_next_v,
        "value_iteration_on_the_slippery_default_grid",
    ),
    Planted(
        "02.value_iteration",
        value_iteration_indexes_with_none,
        "value_iteration_without_terminal_states",
        answer=ANSWERS["V_star_vi_no_terminal"],
    ),
]


# ----------------------------------------------------------------------------- tests
globals().update(item_tests(CHAPTER, ITEMS, PLANTED))  # the eight checks every chapter gets


def test_aliasing_R_is_named_in_the_hint(capsys):
    """q_from_v that aliases R (Q = R; Q += ...) fails every call with a hint naming R."""
    report, printed = run_check("02.q_from_v", q_from_v_aliases_r, capsys)
    assert report.points == 0, printed
    assert "`q_from_v` changed its argument `R`" in printed
    assert "q_from_v must not change its inputs" in printed
