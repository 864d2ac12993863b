"""Every graded item of chapter 01 can pass and can fail (in-process, no kernels).

The solution notebook's functions score full marks, the exercise stub scores 0, and each planted
wrong answer below (a mistake students really make) loses points, caught by the item's test that
is aimed at it, without check() printing the correct value.
"""

from __future__ import annotations

import math

import numpy as np

from rlcourse.grading import items_for_chapter

from _solutions import Planted, answer_tokens, item_tests, printed_hints, run_check

CHAPTER = "01"
ITEMS = items_for_chapter(CHAPTER)

P_WEATHER = np.array([[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.2, 0.4, 0.4]])  # (3, 3) as in ch01.py


# ----------------------------------------------------------------------------- 01.discounted_return
def discounted_from_gamma_1(rewards, *, gamma):
    """gamma^(k+1): the first reward is already discounted."""
    r = np.asarray(rewards, dtype=float)
    return float(np.sum(gamma ** (np.arange(r.size) + 1) * r))


def discounted_reversed(rewards, *, gamma):
    """Horner's rule run forwards: G = gamma G + r_k gives sum gamma^(T-1-k) r_k."""
    G = 0.0
    for r in rewards:
        G = gamma * G + r
    return float(G)


def discounted_terms_not_summed(rewards, *, gamma):
    """Returns the discounted terms gamma^k r_k (an array), not their sum."""
    r = np.asarray(rewards, dtype=float)
    return gamma ** np.arange(r.size) * r


def discounted_recursive_no_base_case(rewards, *, gamma):
    """Recursion without the empty-episode base case: IndexError on []."""
    if len(rewards) == 1:
        return float(rewards[0])
    return float(rewards[0] + gamma * discounted_recursive_no_base_case(rewards[1:], gamma=gamma))


# --------------------------------------------------------------------------------------- 01.returns
def returns_discounted_from_start(rewards, *, gamma):
    """G_t = sum_{k >= t} gamma^k r_k: discounting from the episode's start, not from t."""
    r = np.asarray(rewards, dtype=float)
    return np.array([np.sum(gamma ** np.arange(t, r.size) * r[t:]) for t in range(r.size)])


def returns_in_place(rewards, *, gamma):
    """Right values, but written into the rewards array the caller passed."""
    r = np.asarray(rewards, dtype=float)  # no copy when rewards is already a float array
    for t in reversed(range(r.size - 1)):
        r[t] += gamma * r[t + 1]
    return r


def returns_forward_recursion(rewards, *, gamma):
    """G_t = r_t + gamma G_{t-1}: the recursion run forwards in time."""
    r = np.asarray(rewards, dtype=float)
    G = np.zeros_like(r)
    previous = 0.0
    for t in range(r.size):
        previous = r[t] + gamma * previous
        G[t] = previous
    return G


def returns_as_list(rewards, *, gamma):
    """Right values in a Python list instead of a numpy array: a right answer (converted)."""
    G, out = 0.0, []
    for r in reversed(list(rewards)):
        G = r + gamma * G
        out.insert(0, G)
    return out


# --------------------------------------------------------------------------- 01.n_step_distribution
def n_step_P_mu(P, mu0, n):
    """P @ mu: propagates a column vector, i.e. uses P's columns instead of its rows."""
    mu = np.asarray(mu0, dtype=float)
    for _ in range(n):
        mu = P @ mu
    return mu


def n_step_one_short(P, mu0, n):
    """n - 1 steps."""
    mu = np.asarray(mu0, dtype=float)
    for _ in range(n - 1):
        mu = mu @ P
    return mu


def n_step_elementwise_power(P, mu0, n):
    """P ** n is the entry-wise power, not the matrix power."""
    return np.asarray(mu0, dtype=float) @ (P**n)


# ----------------------------------------------------------------------- 01.stationary_distribution
def stationary_right_eigenvector(P):
    """Eigenvector of P (right), not of P.T: for a stochastic P that is the all-ones vector."""
    w, vecs = np.linalg.eig(P)
    v = np.real(vecs[:, np.argmin(np.abs(w - 1.0))])
    return v / v.sum()


def stationary_unit_norm(P):
    """The left eigenvector normalised to unit length instead of unit sum."""
    w, vecs = np.linalg.eig(P.T)
    v = np.real(vecs[:, np.argmin(np.abs(w - 1.0))])
    return np.abs(v) / np.linalg.norm(v)


def stationary_by_power(P):
    """A big power of P from state 0: never converges on a periodic chain."""
    mu0 = np.eye(P.shape[0])[0]
    return mu0 @ np.linalg.matrix_power(P, 1000)


# ------------------------------------------------------------------------------------- 01.mrp_value
def mrp_value_transposed(P, R, terminal=None, *, gamma):
    """(I - gamma P.T)^-1 R: the transition matrix used the wrong way round."""
    return np.linalg.solve(np.eye(len(R)) - gamma * P.T, R)


def mrp_value_one_backup(P, R, terminal=None, *, gamma):
    """R + gamma P R: a single look-ahead step instead of the infinite sum."""
    return R + gamma * P @ R


def mrp_value_ignores_terminal(P, R, terminal=None, *, gamma):
    """The textbook formula over ALL states: singular with gamma = 1 and absorbing terminals."""
    return np.linalg.solve(np.eye(len(R)) - gamma * P, R)


def mrp_value_zeroes_terminal_afterwards(P, R, terminal=None, *, gamma):
    """Solves over all states, then sets V = 0 at the terminals: the others backed up junk."""
    V = np.linalg.solve(np.eye(len(R)) - gamma * P, R)
    if terminal is not None:
        V[np.asarray(terminal, dtype=bool)] = 0.0
    return V


def mrp_value_keeps_terminal_rewards(P, R, terminal=None, *, gamma):
    """Zeroes the terminal rows of (a copy of) P but keeps their rewards: V(terminal) = R."""
    P = np.array(P, dtype=float)
    if terminal is not None:
        P[np.asarray(terminal, dtype=bool)] = 0.0
    return np.linalg.solve(np.eye(len(R)) - gamma * P, R)


def mrp_value_overwrites_inputs(P, R, terminal=None, *, gamma):
    """Right values, but cleans the junk out of the caller's P and R in place."""
    if terminal is not None:
        terminal = np.asarray(terminal, dtype=bool)
        P[terminal] = 0.0
        R[terminal] = 0.0
    return np.linalg.solve(np.eye(len(R)) - gamma * P, R)


# --------------------------------------------------------------------------- 01.mrp_value_iterative
def iterative_fixed_sweeps(P, R, terminal=None, *, gamma, tol=1e-10):
    """1000 sweeps whatever tol says."""
    V = np.zeros(len(R))
    for _ in range(1000):
        V = R + gamma * P @ V
    return V


def iterative_by_linear_solve(P, R, terminal=None, *, gamma, tol=1e-10):
    """Skips the iteration and solves the linear system."""
    return np.linalg.solve(np.eye(len(R)) - gamma * P, R)


def iterative_transposed(P, R, terminal=None, *, gamma, tol=1e-10):
    """Backs up with P.T @ V (the columns of P); terminal states handled right."""
    terminal = np.zeros(len(R), dtype=bool) if terminal is None else np.asarray(terminal, bool)
    V = np.zeros(len(R))
    while True:
        V_new = np.where(terminal, 0.0, R + gamma * P.T @ V)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new


def iterative_ignores_terminal(P, R, terminal=None, *, gamma, tol=1e-10):
    """The old loop without the terminal argument: terminal states back up their junk."""
    V = np.zeros(len(R))
    while True:
        V_new = R + gamma * P @ V
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if delta < tol:
            return V


def iterative_zeroes_terminal_at_the_end(P, R, terminal=None, *, gamma, tol=1e-10):
    """Sets V = 0 at the terminal states once, after converging, not in every sweep."""
    V = iterative_ignores_terminal(P, R, gamma=gamma, tol=tol)
    if terminal is not None:
        V[np.asarray(terminal, dtype=bool)] = 0.0
    return V


def iterative_writes_into_R(P, R, terminal=None, *, gamma, tol=1e-10):
    """Right values, but zeroes the terminal rewards in the caller's R."""
    terminal = np.zeros(len(R), dtype=bool) if terminal is None else np.asarray(terminal, bool)
    R[terminal] = 0.0
    V = np.zeros(len(R))
    while True:
        V_new = R + gamma * P @ V
        V_new[terminal] = 0.0
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if delta < tol:
            return V


def iterative_sweeps_from_gamma(P, R, terminal=None, *, gamma, tol=1e-10):
    """A sweep count from the contraction bound gamma^k < tol: divides by log(1) = 0."""
    terminal = np.zeros(len(R), dtype=bool) if terminal is None else np.asarray(terminal, bool)
    V = np.zeros(len(R))
    for _ in range(math.ceil(math.log(tol) / math.log(gamma))):
        V = np.where(terminal, 0.0, R + gamma * P @ V)
    return V


def iterative_stop_test_inverted(P, R, terminal=None, *, gamma, tol=1e-10):
    """`if delta > tol: break` stops after the first sweep."""
    V = np.zeros(len(R))
    while True:
        V_new = R + gamma * P @ V
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if delta > tol:
            return V


# ----------------------------------------------------------------------------- the planted cases
# answer: the correct values of the case the catching test checks (they must not be printed)
_ab, _cd = (1 - 0.45, -0.45), (-0.18, 1 - 0.72)  # I - 0.9 P for P = [[.5, .5], [.2, .8]]
_DET = _ab[0] * _cd[1] - _ab[1] * _cd[0]
V_TWO_STATE = np.array([_cd[1] * 1.0 - _ab[1] * -2.0, -_cd[0] * 1.0 + _ab[0] * -2.0]) / _DET
MU_WEATHER = np.array([6.0, 4.0, 3.0]) / 13.0
V_WEATHER = np.linalg.solve(np.eye(3) - 0.9 * P_WEATHER, [5.0, 1.0, -2.0])
V_WALK_INNER = np.arange(1, 6) / 6  # the random walk A..E with gamma = 1: v(k) = k / 6
V_JUNK_INNER = (0.28 / 0.361, -0.92 / 0.361)  # the junk-terminal model (ch01.py, by hand)

PLANTED = [
    Planted(
        "01.discounted_return",
        discounted_from_gamma_1,
        "first_reward_is_not_discounted",
        answer=(1.875,),
    ),
    Planted(
        "01.discounted_return",
        discounted_reversed,
        "first_reward_is_not_discounted",
        answer=(1.875,),
    ),
    Planted("01.discounted_return", discounted_terms_not_summed, "worked_example", answer=(1.875,)),
    Planted("01.discounted_return", discounted_recursive_no_base_case, "edge_cases"),
    Planted(
        "01.returns",
        returns_discounted_from_start,
        "returns_restart_discounting_at_t",
        answer=(1.875, 1.75, 3.5),
    ),
    Planted("01.returns", returns_in_place, "long_episode_matches_direct_sum"),
    Planted(
        "01.returns",
        returns_forward_recursion,
        "worked_example_all_steps",
        answer=(1.875, 1.75, 3.5),
    ),
    Planted(
        "01.n_step_distribution",
        n_step_P_mu,
        "row_vector_times_P",
        answer=np.concatenate([[0.5, 0.0, 0.5] @ P_WEATHER, P_WEATHER[0]]),
    ),
    Planted(
        "01.n_step_distribution",
        n_step_one_short,
        "matches_matrix_power",
        answer=[0.5, 0.0, 0.5] @ P_WEATHER,
    ),
    Planted(
        "01.n_step_distribution",
        n_step_elementwise_power,
        "matches_matrix_power",
        answer=[0.5, 0.0, 0.5] @ np.linalg.matrix_power(P_WEATHER, 2),
    ),
    Planted(
        "01.stationary_distribution",
        stationary_right_eigenvector,
        "three_state_chain",
        answer=MU_WEATHER,
    ),
    Planted(
        "01.stationary_distribution",
        stationary_unit_norm,
        "two_state_closed_form",
        answer=(0.25, 0.75),
    ),
    Planted("01.stationary_distribution", stationary_by_power, "periodic_chain", answer=(1 / 3,)),
    Planted("01.mrp_value", mrp_value_transposed, "two_state_by_hand", answer=V_TWO_STATE),
    Planted("01.mrp_value", mrp_value_one_backup, "one_absorbing_state", answer=(10.0,)),
    Planted(
        "01.mrp_value",
        mrp_value_ignores_terminal,
        "random_walk_with_terminal_states",
        answer=V_WALK_INNER,
    ),
    Planted(
        "01.mrp_value",
        mrp_value_zeroes_terminal_afterwards,
        "terminal_rows_are_ignored",
        answer=V_JUNK_INNER,
    ),
    Planted(
        "01.mrp_value",
        mrp_value_keeps_terminal_rewards,
        "terminal_rows_are_ignored",
        answer=V_JUNK_INNER,
    ),
    Planted("01.mrp_value", mrp_value_overwrites_inputs, "terminal_rows_are_ignored"),
    Planted(
        "01.mrp_value_iterative",
        iterative_fixed_sweeps,
        "runs_until_tol_not_a_fixed_count",
        answer=(100.0,),
    ),
    Planted("01.mrp_value_iterative", iterative_by_linear_solve, "matches_closed_form"),
    Planted("01.mrp_value_iterative", iterative_transposed, "weather_chain", answer=V_WEATHER),
    Planted(
        "01.mrp_value_iterative",
        iterative_stop_test_inverted,
        "matches_closed_form",
        answer=V_TWO_STATE,
    ),
    Planted(
        "01.mrp_value_iterative",
        iterative_ignores_terminal,
        "terminal_values_stay_zero",
        answer=V_JUNK_INNER,
    ),
    Planted(
        "01.mrp_value_iterative",
        iterative_zeroes_terminal_at_the_end,
        "terminal_values_stay_zero",
        answer=V_JUNK_INNER,
    ),
    Planted("01.mrp_value_iterative", iterative_writes_into_R, "terminal_values_stay_zero"),
    Planted(
        "01.mrp_value_iterative",
        iterative_sweeps_from_gamma,
        "random_walk_gamma_1",
        answer=V_WALK_INNER,
    ),
]


# -------------------------------------------------------------------------------------------- tests
globals().update(item_tests(CHAPTER, ITEMS, PLANTED))  # the eight checks every chapter gets


def test_answer_check_would_see_a_printed_answer():
    """The leak test above is not vacuous: a hint quoting the answer is spotted, the student's
    own quoted value is not."""
    item = "01.discounted_return"
    tokens = answer_tokens([1.875], item)
    assert any(t in printed_hints("hint: expected 1.875, got 0.9375") for t in tokens)
    assert any(t in printed_hints("hint: should be about 1.88") for t in tokens)
    own = "hint: `G` = 1.875 is not the expected value. (first: G[2] = 1.875)"
    assert not any(t in printed_hints(own) for t in tokens)


def test_right_values_returned_as_a_list_score_full_marks(capsys):
    """A correct answer returned as a Python list is accepted (converted), not scored 0."""
    report, printed = run_check("01.returns", returns_as_list, capsys)
    assert report.points == report.max_points, printed
