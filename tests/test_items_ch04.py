"""Every graded item of chapter 04 can pass and can fail (in-process, no kernels).

The solution notebook's functions score full marks, the exercise stub scores 0, and each planted
wrong answer below (a mistake students really make in Q-learning and SARSA) loses points, caught
by the item's test aimed at it, without check() printing the correct values.
"""
from __future__ import annotations

import numpy as np

from _solutions import Planted, item_tests, run_check
from rlcourse.grading import items_for_chapter

CHAPTER = "04"
ITEMS = items_for_chapter(CHAPTER)


# ----------------------------------------------------------------------------- 04.epsilon_greedy
def epsilon_greedy_explores_other_actions(q, epsilon, rng):
    """Explores among the non-greedy actions only."""
    best = int(np.argmax(q))
    if rng.random() < epsilon:
        others = [a for a in range(len(q)) if a != best]
        return int(others[rng.integers(len(others))])
    return best


def epsilon_greedy_global_random(q, epsilon, rng):
    """Ignores rng and draws from numpy's global random state."""
    if np.random.random() < epsilon:
        return int(np.random.randint(len(q)))
    return int(np.argmax(q))


def epsilon_greedy_argmin(q, epsilon, rng):
    """Picks the smallest value (as if q were a cost)."""
    if rng.random() < epsilon:
        return int(rng.integers(len(q)))
    return int(np.argmin(q))


def epsilon_greedy_inverted_test(q, epsilon, rng):
    """`rng.random() > epsilon` explores: it explores with probability 1 - epsilon."""
    if rng.random() > epsilon:
        return int(rng.integers(len(q)))
    return int(np.argmax(q))


def epsilon_greedy_returns_value(q, epsilon, rng):
    """Returns the value q[a] of the chosen action instead of the action a."""
    a = int(rng.integers(len(q))) if rng.random() < epsilon else int(np.argmax(q))
    return q[a]


# ----------------------------------------------------------------------------- 04.q_learning_update
def q_learning_update_bootstraps_terminal(Q, s, a, r, s_next, alpha, gamma, terminal):
    """R + gamma max Q(s', .) even when s' is terminal."""
    Q[s, a] += alpha * (r + gamma * np.max(Q[s_next]) - Q[s, a])
    return Q


def q_learning_update_same_action(Q, s, a, r, s_next, alpha, gamma, terminal):
    """Bootstraps from Q(s', a), the action just taken, instead of the max."""
    target = r if terminal else r + gamma * Q[s_next, a]
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def q_learning_update_no_return(Q, s, a, r, s_next, alpha, gamma, terminal):
    """Right update in place, but forgets `return Q`."""
    target = r if terminal else r + gamma * np.max(Q[s_next])
    Q[s, a] += alpha * (target - Q[s, a])


def q_learning_update_alpha_on_target(Q, s, a, r, s_next, alpha, gamma, terminal):
    """Q(s, a) += alpha * target - Q(s, a): alpha applied to the target only."""
    target = r if terminal else r + gamma * np.max(Q[s_next])
    Q[s, a] += alpha * target - Q[s, a]
    return Q


# ----------------------------------------------------------------------------- 04.sarsa_update
def sarsa_update_with_max(Q, s, a, r, s_next, a_next, alpha, gamma, terminal):
    """max_a Q(s', a) in SARSA: that is Q-learning."""
    target = r if terminal else r + gamma * np.max(Q[s_next])
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def sarsa_update_same_action(Q, s, a, r, s_next, a_next, alpha, gamma, terminal):
    """Q(s', a) instead of Q(s', a')."""
    target = r if terminal else r + gamma * Q[s_next, a]
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def sarsa_update_bootstraps_terminal(Q, s, a, r, s_next, a_next, alpha, gamma, terminal):
    """R + gamma Q(s', a') even when s' is terminal."""
    Q[s, a] += alpha * (r + gamma * Q[s_next, a_next] - Q[s, a])
    return Q


# ----------------------------------------------------------------------------- 04.greedy_policy_from_q
def greedy_from_q_indices(Q):
    """The greedy action of each state (S,) instead of a one-hot (S, A) policy."""
    return np.argmax(Q, axis=1)


def greedy_from_q_splits_ties(Q):
    """1/k on each of k tied actions."""
    best = (Q == Q.max(axis=1, keepdims=True)).astype(float)
    return best / best.sum(axis=1, keepdims=True)


def greedy_from_q_random_ties(Q):
    """Breaks ties at random (seeded here so this test is deterministic: picks 3 and 2)."""
    rng = np.random.default_rng(0)
    pi = np.zeros_like(Q, dtype=float)
    for s in range(Q.shape[0]):
        tied = np.flatnonzero(Q[s] == Q[s].max())
        pi[s, rng.choice(tied)] = 1.0
    return pi


# ----------------------------------------------------------------------------- 04.q_learning
def _q_learning(P, R, terminal, start, gamma, alpha, epsilon, n_episodes, seed, max_steps=100,
                *, rng=None, target="max", use_gamma=True):
    """Q-learning with one slip selected by the keyword arguments (defaults: correct)."""
    rng = np.random.default_rng(seed) if rng is None else rng
    S, A = R.shape
    Q = np.zeros((S, A))
    g = gamma if use_gamma else 1.0
    for _ in range(n_episodes):
        s = start
        a = _explore(Q[s], epsilon, rng)
        for _ in range(max_steps):
            s_next = int(rng.choice(S, p=P[s, a]))
            a_next = _explore(Q[s_next], epsilon, rng)
            bootstrap = np.max(Q[s_next]) if target == "max" else Q[s_next, a_next]
            Q[s, a] += alpha * ((R[s, a] if terminal[s_next] else R[s, a] + g * bootstrap)
                                - Q[s, a])
            if terminal[s_next]:
                break
            s, a = s_next, a_next
    return Q


def _explore(q, epsilon, rng):
    return int(rng.integers(len(q))) if rng.random() < epsilon else int(np.argmax(q))


def q_learning_unseeded(P, R, terminal, start, gamma, alpha, epsilon, n_episodes, seed,
                        max_steps=100):
    """np.random.default_rng() without the seed: runs are not reproducible."""
    return _q_learning(P, R, terminal, start, gamma, alpha, epsilon, n_episodes, seed, max_steps,
                       rng=np.random.default_rng())


def q_learning_without_gamma(P, R, terminal, start, gamma, alpha, epsilon, n_episodes, seed,
                             max_steps=100):
    """R + max Q(s', .): the discount left out of the target."""
    return _q_learning(P, R, terminal, start, gamma, alpha, epsilon, n_episodes, seed, max_steps,
                       use_gamma=False)


def q_learning_sarsa_target(P, R, terminal, start, gamma, alpha, epsilon, n_episodes, seed,
                            max_steps=100):
    """Bootstraps from the epsilon-greedy next action (SARSA), not the max."""
    return _q_learning(P, R, terminal, start, gamma, alpha, epsilon, n_episodes, seed, max_steps,
                       target="sarsa")


def q_learning_returns_V(P, R, terminal, start, gamma, alpha, epsilon, n_episodes, seed,
                         max_steps=100):
    """Returns V = max_a Q (S,) instead of the Q-table."""
    return _q_learning(P, R, terminal, start, gamma, alpha, epsilon, n_episodes, seed,
                       max_steps).max(axis=1)


# ----------------------------------------------------------------------------- the planted cases
# answer: the updated entry / start value the catching test checks (worked out in ch04.py)
V_STAR_START = -1 + 0.9 - 0.81 + 72.9  # MineGrid "small": right, right (power), down, down

PLANTED = [
    Planted("04.epsilon_greedy", epsilon_greedy_explores_other_actions,
            "epsilon_one_is_uniform_over_all_actions"),
    Planted("04.epsilon_greedy", epsilon_greedy_global_random, "uses_the_rng_it_is_given"),
    Planted("04.epsilon_greedy", epsilon_greedy_argmin, "epsilon_zero_is_greedy"),
    Planted("04.epsilon_greedy", epsilon_greedy_inverted_test, "epsilon_zero_is_greedy"),
    Planted("04.epsilon_greedy", epsilon_greedy_returns_value, "epsilon_zero_is_greedy"),
    Planted("04.q_learning_update", q_learning_update_bootstraps_terminal,
            "no_bootstrap_from_terminal", answer=(7.0,)),
    Planted("04.q_learning_update", q_learning_update_same_action, "hand_worked_update",
            answer=(3.3,)),
    Planted("04.q_learning_update", q_learning_update_no_return, "hand_worked_update"),
    Planted("04.q_learning_update", q_learning_update_alpha_on_target, "step_size_and_discount",
            answer=(-2.45, 3.3, 7.0)),
    Planted("04.sarsa_update", sarsa_update_with_max, "uses_the_next_action_not_the_max",
            answer=(-0.35, -2.45)),
    Planted("04.sarsa_update", sarsa_update_same_action, "uses_the_next_action_not_the_max",
            answer=(-0.35, -2.45)),
    Planted("04.sarsa_update", sarsa_update_bootstraps_terminal, "no_bootstrap_from_terminal",
            answer=(-49.0,)),
    Planted("04.greedy_policy_from_q", greedy_from_q_indices, "one_hot_greedy_policy"),
    Planted("04.greedy_policy_from_q", greedy_from_q_splits_ties, "ties_go_to_the_lowest_action"),
    Planted("04.greedy_policy_from_q", greedy_from_q_random_ties, "ties_go_to_the_lowest_action"),
    Planted("04.q_learning", q_learning_unseeded, "terminal_rows_stay_zero_and_seed_reproduces"),
    Planted("04.q_learning", q_learning_without_gamma, "value_of_the_start_matches_dp",
            answer=(V_STAR_START,)),
    Planted("04.q_learning", q_learning_sarsa_target, "value_of_the_start_matches_dp",
            answer=(V_STAR_START,)),
    Planted("04.q_learning", q_learning_returns_V, "greedy_policy_is_optimal_on_small_minegrid"),
]


# ----------------------------------------------------------------------------- tests
(test_solution_scores_full_marks, test_stub_scores_zero,
 test_every_item_has_a_planted_wrong_answer, test_planted_wrong_answer_loses_points,
 test_wrong_answer_report_does_not_print_the_answer) = item_tests(CHAPTER, ITEMS, PLANTED)


def test_planted_q_learning_is_correct_without_its_slip(capsys):
    """The Q-learning mistakes above share one loop: with no slip selected it scores full marks,
    so each planted answer fails because of its own mistake."""
    report, printed = run_check("04.q_learning", _q_learning, capsys)
    assert report.points == report.max_points, printed
