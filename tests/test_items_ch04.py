"""Every graded item of chapter 04 can pass and can fail (in-process, no kernels).

The solution notebook's functions score full marks, the exercise stub scores 0, the package's
functions of the same names have the exercises' signatures and score full marks too, and each
planted wrong answer below (a mistake students really make in Q-learning and SARSA) loses points,
caught by the item's test aimed at it, without check() printing the correct values.
"""

from __future__ import annotations

import numpy as np

from rlcourse.grading import items_for_chapter

from _solutions import Planted, item_tests, run_check, title_of

CHAPTER = "04"
ITEMS = items_for_chapter(CHAPTER)


# ----------------------------------------------------------------------------- 04.epsilon_greedy
def epsilon_greedy_explores_other_actions(q, *, epsilon, rng):
    """Explores among the non-greedy actions only."""
    best = int(np.argmax(q))
    if rng.random() < epsilon:
        others = [a for a in range(len(q)) if a != best]
        return int(others[rng.integers(len(others))])
    return best


def epsilon_greedy_global_random(q, *, epsilon, rng):
    """Ignores rng and draws from numpy's global random state."""
    if np.random.random() < epsilon:
        return int(np.random.randint(len(q)))
    return int(np.argmax(q))


def epsilon_greedy_argmin(q, *, epsilon, rng):
    """Picks the smallest value (as if q were a cost)."""
    if rng.random() < epsilon:
        return int(rng.integers(len(q)))
    return int(np.argmin(q))


def epsilon_greedy_inverted_test(q, *, epsilon, rng):
    """`rng.random() > epsilon` explores: it explores with probability 1 - epsilon."""
    if rng.random() > epsilon:
        return int(rng.integers(len(q)))
    return int(np.argmax(q))


def epsilon_greedy_returns_value(q, *, epsilon, rng):
    """Returns the value q[a] of the chosen action instead of the action a."""
    a = int(rng.integers(len(q))) if rng.random() < epsilon else int(np.argmax(q))
    return q[a]


def epsilon_greedy_random_ties(q, *, epsilon, rng):
    """Breaks ties at random among the maximisers (the lecture's old wording)."""
    if rng.random() < epsilon:
        return int(rng.integers(len(q)))
    return int(rng.choice(np.flatnonzero(q == np.max(q))))


# ----------------------------------------------------------------------------- 04.q_learning_update
def q_learning_update_in_place(Q, s, a, r, s_next, terminal=False, *, alpha, gamma):
    """The old exercise's contract: right values, but writes into the caller's Q and returns it."""
    target = r if terminal else r + gamma * np.max(Q[s_next])
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def q_learning_update_bootstraps_terminal(Q, s, a, r, s_next, terminal=False, *, alpha, gamma):
    """R + gamma max Q(s', .) even when s' is terminal."""
    Q = Q.copy()
    Q[s, a] += alpha * (r + gamma * np.max(Q[s_next]) - Q[s, a])
    return Q


def q_learning_update_same_action(Q, s, a, r, s_next, terminal=False, *, alpha, gamma):
    """Bootstraps from Q(s', a), the action just taken, instead of the max."""
    Q = Q.copy()
    target = r if terminal else r + gamma * Q[s_next, a]
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def q_learning_update_no_return(Q, s, a, r, s_next, terminal=False, *, alpha, gamma):
    """Right update on a copy, but forgets to return it."""
    Q_new = Q.copy()
    target = r if terminal else r + gamma * np.max(Q[s_next])
    Q_new[s, a] += alpha * (target - Q[s, a])


def q_learning_update_alpha_on_target(Q, s, a, r, s_next, terminal=False, *, alpha, gamma):
    """Q(s, a) + alpha * target - Q(s, a): alpha applied to the target only."""
    Q = Q.copy()
    target = r if terminal else r + gamma * np.max(Q[s_next])
    Q[s, a] += alpha * target - Q[s, a]
    return Q


# ----------------------------------------------------------------------------- 04.sarsa_update
def sarsa_update_in_place(Q, s, a, r, s_next, a_next, terminal=False, *, alpha, gamma):
    """The old exercise's contract: right values, but writes into the caller's Q and returns it."""
    target = r if terminal else r + gamma * Q[s_next, a_next]
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def sarsa_update_with_max(Q, s, a, r, s_next, a_next, terminal=False, *, alpha, gamma):
    """max_a Q(s', a) in SARSA: that is Q-learning."""
    Q = Q.copy()
    target = r if terminal else r + gamma * np.max(Q[s_next])
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def sarsa_update_same_action(Q, s, a, r, s_next, a_next, terminal=False, *, alpha, gamma):
    """Q(s', a) instead of Q(s', a')."""
    Q = Q.copy()
    target = r if terminal else r + gamma * Q[s_next, a]
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def sarsa_update_bootstraps_terminal(Q, s, a, r, s_next, a_next, terminal=False, *, alpha, gamma):
    """R + gamma Q(s', a') even when s' is terminal."""
    Q = Q.copy()
    Q[s, a] += alpha * (r + gamma * Q[s_next, a_next] - Q[s, a])
    return Q


# ---------------------------------------------------------------------- 04.epsilon_greedy_policy
def eg_policy_forgets_exploring_share(Q, *, epsilon):
    """1 - epsilon on the greedy action: forgets it can also be drawn while exploring."""
    S, A = Q.shape
    pi = np.full((S, A), epsilon / A)
    pi[np.arange(S), np.argmax(Q, axis=1)] = 1 - epsilon
    return pi


def eg_policy_explores_other_actions(Q, *, epsilon):
    """epsilon / (A - 1) on every non-greedy action: exploration that leaves the greedy one out."""
    S, A = Q.shape
    pi = np.full((S, A), epsilon / (A - 1))
    pi[np.arange(S), np.argmax(Q, axis=1)] = 1 - epsilon
    return pi


def eg_policy_indices(Q, *, epsilon):
    """The greedy action of each state (S,) instead of the (S, A) matrix of probabilities."""
    return np.argmax(Q, axis=1)


def eg_policy_random_ties(Q, *, epsilon):
    """Breaks ties at random (seeded here so this test is deterministic; it picks a tied action
    other than the lowest)."""
    rng = np.random.default_rng(0)
    S, A = Q.shape
    pi = np.full((S, A), epsilon / A)
    for s in range(S):
        pi[s, rng.choice(np.flatnonzero(Q[s] == Q[s].max()))] += 1 - epsilon
    return pi


def eg_policy_splits_ties(Q, *, epsilon):
    """Shares 1 - epsilon between the k tied actions."""
    S, A = Q.shape
    best = (Q.max(axis=1, keepdims=True) == Q).astype(float)  # (S, A)
    return epsilon / A + (1 - epsilon) * best / best.sum(axis=1, keepdims=True)


def eg_policy_in_place(Q, *, epsilon):
    """Builds the policy in Q's own memory (Q[...] = ...) and returns Q."""
    S, A = Q.shape
    greedy = np.argmax(Q, axis=1)
    Q[...] = epsilon / A
    Q[np.arange(S), greedy] += 1 - epsilon
    return Q


# ----------------------------------------------------------------------------- 04.q_learning
def _q_learning(
    P,
    R,
    terminal,
    start,
    *,
    alpha,
    gamma,
    epsilon,
    n_episodes,
    max_steps=100,
    seed,
    rng=None,
    target="max",
    use_gamma=True,
    cut_is_terminal=False,
    ignore_max_steps=False,
    sample="random",
    rng_per_episode=False,
    stop_at_terminal=True,
    explore=True,
):
    """Q-learning with one slip selected by the keyword arguments after ``seed`` (defaults:
    correct)."""
    rng = np.random.default_rng(seed) if rng is None else rng
    S, A = R.shape
    Q = np.zeros((S, A))
    g = gamma if use_gamma else 1.0
    for _ in range(n_episodes):
        if rng_per_episode:
            rng = np.random.default_rng(seed)
        s = start
        a = _explore(Q[s], epsilon if explore else 0.0, rng)
        t = 0
        while ignore_max_steps or t < max_steps:
            t += 1
            if sample == "random":
                s_next = int(rng.choice(S, p=P[s, a]))
            elif sample == "argmax":
                s_next = int(np.argmax(P[s, a]))
            else:  # "s + 1"
                s_next = min(s + 1, S - 1)
            a_next = _explore(Q[s_next], epsilon if explore else 0.0, rng)
            bootstrap = np.max(Q[s_next]) if target == "max" else Q[s_next, a_next]
            end = terminal[s_next] or (cut_is_terminal and t == max_steps)
            Q[s, a] += alpha * ((R[s, a] if end else R[s, a] + g * bootstrap) - Q[s, a])
            if terminal[s_next] and stop_at_terminal:
                break
            s, a = s_next, a_next
    return Q


def _explore(q, epsilon, rng):
    return int(rng.integers(len(q))) if rng.random() < epsilon else int(np.argmax(q))


def _planted_q_learning(name: str, doc: str, post=None, **slip):
    """A wrong q_learning with the exercise's header: ``_q_learning`` with one ``slip``, its
    result passed through ``post`` (e.g. returning V instead of Q)."""

    def q_learning(
        P, R, terminal, start, *, alpha, gamma, epsilon, n_episodes, max_steps=100, seed
    ):
        settings = {"alpha": alpha, "gamma": gamma, "epsilon": epsilon}
        Q = _q_learning(
            P,
            R,
            terminal,
            start,
            **settings,
            n_episodes=n_episodes,
            max_steps=max_steps,
            seed=seed,
            **slip,
        )
        return Q if post is None else post(Q)

    q_learning.__name__ = q_learning.__qualname__ = name
    q_learning.__doc__ = doc
    return q_learning


q_learning_unseeded = _planted_q_learning(
    "q_learning_unseeded",
    "np.random.default_rng() without the seed: runs are not reproducible.",
    rng=np.random.default_rng(),
)
q_learning_without_gamma = _planted_q_learning(
    "q_learning_without_gamma",
    "R + max Q(s', .): the discount left out of the target.",
    use_gamma=False,
)
q_learning_sarsa_target = _planted_q_learning(
    "q_learning_sarsa_target",
    "Bootstraps from the epsilon-greedy next action (SARSA), not the max.",
    target="sarsa",
)
q_learning_returns_V = _planted_q_learning(
    "q_learning_returns_V",
    "Returns V = max_a Q (S,) instead of the Q-table.",
    post=lambda Q: Q.max(axis=1),
)
q_learning_ignores_max_steps = _planted_q_learning(
    "q_learning_ignores_max_steps",
    "`while not terminal`: every episode runs to a mine or the end, max_steps never used.",
    ignore_max_steps=True,
)
q_learning_cut_is_terminal = _planted_q_learning(
    "q_learning_cut_is_terminal",
    "Treats the step where max_steps cuts the episode as terminal (target R alone).",
    cut_is_terminal=True,
)

q_learning_most_likely_next_state = _planted_q_learning(
    "q_learning_most_likely_next_state",
    "S' = argmax P[s, a]: always the most likely next state, never a sample.",
    sample="argmax",
)
q_learning_next_state_s_plus_1 = _planted_q_learning(
    "q_learning_next_state_s_plus_1",
    "S' = s + 1: walks along the state numbers instead of sampling from P.",
    sample="s+1",
)
q_learning_rng_per_episode = _planted_q_learning(
    "q_learning_rng_per_episode",
    "rng = np.random.default_rng(seed) inside the episode loop: every episode draws the same.",
    rng_per_episode=True,
)
q_learning_goes_on_after_terminal = _planted_q_learning(
    "q_learning_goes_on_after_terminal",
    "No break when S' is terminal: the episode runs on for max_steps through the terminal rows.",
    stop_at_terminal=False,
)
q_learning_always_greedy = _planted_q_learning(
    "q_learning_always_greedy",
    "Ignores epsilon: always the greedy action int(np.argmax(Q[s])).",
    explore=False,
)


def q_learning_written_differently(
    P, R, terminal, start, *, alpha, gamma, epsilon, n_episodes, max_steps=100, seed
):
    """A correct loop in another style: a while loop, S' drawn by inverting the cumulative
    distribution with rng.random(), exploration by rng.choice, the target computed inline, and
    the table returned as nested lists."""
    rng = np.random.default_rng(seed)
    n_states, n_actions = len(R), len(R[0])
    Q = np.zeros((n_states, n_actions))
    for _episode in range(n_episodes):
        s, steps, done = start, 0, False
        while not done and steps < max_steps:
            explore = rng.random() < epsilon
            a = (
                int(rng.choice(n_actions))
                if explore
                else int(np.flatnonzero(Q[s] == Q[s].max())[0])
            )
            s_next = int(np.searchsorted(np.cumsum(P[s, a]), rng.random(), side="right"))
            s_next = min(s_next, n_states - 1)
            done = bool(terminal[s_next])
            target = R[s, a] + (0.0 if done else gamma * Q[s_next].max())
            Q[s, a] = (1 - alpha) * Q[s, a] + alpha * target
            s, steps = s_next, steps + 1
    return Q.tolist()


# ----------------------------------------------------------------------------- the planted cases
# answer: the updated entry / start value the catching test checks (worked out in ch04.py)
V_STAR_START = -1 + 0.9 - 0.81 + 72.9  # MineGrid "small": right, right (power), down, down

PLANTED = [
    Planted(
        "04.epsilon_greedy",
        epsilon_greedy_explores_other_actions,
        "epsilon_one_is_uniform_over_all_actions",
    ),
    Planted("04.epsilon_greedy", epsilon_greedy_global_random, "uses_the_rng_it_is_given"),
    Planted("04.epsilon_greedy", epsilon_greedy_argmin, "epsilon_zero_is_greedy"),
    Planted("04.epsilon_greedy", epsilon_greedy_inverted_test, "epsilon_zero_is_greedy"),
    Planted("04.epsilon_greedy", epsilon_greedy_returns_value, "epsilon_zero_is_greedy"),
    Planted("04.epsilon_greedy", epsilon_greedy_random_ties, "ties_go_to_the_lowest_index"),
    Planted("04.q_learning_update", q_learning_update_in_place, "returns_a_new_table"),
    Planted(
        "04.q_learning_update",
        q_learning_update_bootstraps_terminal,
        "no_bootstrap_from_terminal",
        answer=(7.0,),
    ),
    Planted(
        "04.q_learning_update", q_learning_update_same_action, "hand_worked_update", answer=(3.3,)
    ),
    Planted("04.q_learning_update", q_learning_update_no_return, "hand_worked_update"),
    Planted(
        "04.q_learning_update",
        q_learning_update_alpha_on_target,
        "step_size_and_discount",
        answer=(-2.45, 3.3, 7.0),
    ),
    Planted("04.sarsa_update", sarsa_update_in_place, "sarsa_returns_a_new_table"),
    Planted(
        "04.sarsa_update",
        sarsa_update_with_max,
        "uses_the_next_action_not_the_max",
        answer=(-0.35, -2.45),
    ),
    Planted(
        "04.sarsa_update",
        sarsa_update_same_action,
        "uses_the_next_action_not_the_max",
        answer=(-0.35, -2.45),
    ),
    Planted(
        "04.sarsa_update",
        sarsa_update_bootstraps_terminal,
        "sarsa_no_bootstrap_from_terminal",
        answer=(-49.0,),
    ),
    Planted(
        "04.epsilon_greedy_policy",
        eg_policy_forgets_exploring_share,
        "rows_are_probabilities",
        answer=(0.85, 0.7),
    ),
    Planted(
        "04.epsilon_greedy_policy",
        eg_policy_explores_other_actions,
        "greedy_probability_formula",
        answer=(0.85, 0.05, 0.7, 0.1),
    ),
    Planted("04.epsilon_greedy_policy", eg_policy_indices, "greedy_probability_formula"),
    Planted("04.epsilon_greedy_policy", eg_policy_random_ties, "ties_go_to_the_lowest_action"),
    Planted(
        "04.epsilon_greedy_policy",
        eg_policy_splits_ties,
        "ties_go_to_the_lowest_action",
        answer=(0.85,),
    ),
    Planted("04.epsilon_greedy_policy", eg_policy_in_place, "does_not_modify_Q"),
    Planted("04.q_learning", q_learning_unseeded, "terminal_rows_stay_zero_and_seed_reproduces"),
    Planted(
        "04.q_learning",
        q_learning_without_gamma,
        "value_of_the_start_matches_dp",
        answer=(V_STAR_START,),
    ),
    Planted(
        "04.q_learning",
        q_learning_sarsa_target,
        "value_of_the_start_matches_dp",
        answer=(V_STAR_START,),
    ),
    Planted("04.q_learning", q_learning_returns_V, "greedy_policy_is_optimal_on_small_minegrid"),
    Planted(
        "04.q_learning", q_learning_ignores_max_steps, "max_steps_cuts_episodes_and_bootstraps"
    ),
    Planted("04.q_learning", q_learning_most_likely_next_state, "samples_the_next_state_from_P"),
    Planted("04.q_learning", q_learning_next_state_s_plus_1, "samples_the_next_state_from_P"),
    Planted("04.q_learning", q_learning_rng_per_episode, "samples_the_next_state_from_P"),
    Planted("04.q_learning", q_learning_goes_on_after_terminal, "stops_at_a_terminal_state"),
    Planted("04.q_learning", q_learning_always_greedy, "explores_with_probability_epsilon"),
    Planted(
        "04.q_learning",
        q_learning_cut_is_terminal,
        "max_steps_cuts_episodes_and_bootstraps",
        answer=(-1.9,),
    ),
]


# ----------------------------------------------------------------------------- tests
globals().update(item_tests(CHAPTER, ITEMS, PLANTED))  # the eight checks every chapter gets


def test_planted_q_learning_is_correct_without_its_slip(capsys):
    """The Q-learning mistakes above share one loop: with no slip selected it scores full marks,
    so each planted answer fails because of its own mistake."""
    report, printed = run_check("04.q_learning", _q_learning, capsys)
    assert report.points == report.max_points, printed


def test_planted_in_place_updates_have_the_right_values(capsys):
    """The in-place planted updates compute the right entries: they lose points only because they
    write into the caller's table (the new contract), not because of their arithmetic."""
    for item_id, fn in (
        ("04.q_learning_update", q_learning_update_in_place),
        ("04.sarsa_update", sarsa_update_in_place),
    ):
        report, printed = run_check(item_id, fn, capsys)
        failed = [r.name for r in report.results if not r.passed]
        assert len(failed) == 1 and "new table" in failed[0], printed


def test_q_learning_written_differently_scores_full_marks(capsys):
    """The new loop tests fix no random stream: a correct loop that draws S' and explores in its
    own way (and returns lists) passes every test, the statistical ones included."""
    report, printed = run_check("04.q_learning", q_learning_written_differently, capsys)
    assert report.points == report.max_points, printed


def test_new_q_learning_mistakes_passed_the_old_tests(capsys):
    """The mistakes the new tests are aimed at got full marks from the deterministic grid alone:
    each fails only the new test aimed at it (and perhaps other new ones), never just old ones."""
    new = {
        title_of("04.q_learning", name)
        for name in (
            "samples_the_next_state_from_P",
            "explores_with_probability_epsilon",
            "stops_at_a_terminal_state",
        )
    }
    for fn in (q_learning_most_likely_next_state, q_learning_goes_on_after_terminal):
        report, printed = run_check("04.q_learning", fn, capsys)
        failed = {r.name for r in report.results if not r.passed}
        assert failed and failed <= new, printed


def test_update_returning_none_is_told_the_contract(capsys):
    """An update that changes Q in place and returns nothing hears about the update contract."""
    _, printed = run_check("04.q_learning_update", q_learning_update_no_return, capsys)
    assert "returned None" in printed and "NEW table" in printed
