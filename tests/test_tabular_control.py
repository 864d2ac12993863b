"""Q-learning and SARSA (deck 003): updates by hand, epsilon-greedy, DP's optimum, the cliff."""

import numpy as np
import pytest

from rlcourse.envs import MineGrid
from rlcourse.mdp import (
    MDP,
    greedy_is_optimal,
    greedy_policy,
    reachable_states,
    solve_value_iteration,
    suboptimal_reachable_states,
)
from rlcourse.tabular import (
    QLearningConfig,
    SarsaConfig,
    epsilon_greedy,
    epsilon_greedy_policy,
    q_learning,
    q_learning_update,
    sarsa,
    sarsa_update,
    train_q_learning,
    train_sarsa,
)


# ---------------------------------------------------------------- the updates by hand
def test_q_learning_update_by_hand():
    Q = np.zeros((3, 2))
    Q[1] = [2.0, 5.0]
    # target = R + gamma max_a Q(S', a) = -1 + 0.9 * 5 = 3.5; Q(0, 1) = 0 + 0.5 * 3.5 = 1.75
    Q1 = q_learning_update(Q, 0, 1, -1.0, 1, alpha=0.5, gamma=0.9)
    assert Q1[0, 1] == pytest.approx(1.75)
    assert Q[0, 1] == 0.0  # pure: the input table is unchanged
    # S' terminal: Q(terminal, .) = 0, target = R = -1; Q(0, 0) = 0 + 0.5 * (-1 - 0) = -0.5
    Q2 = q_learning_update(Q1, 0, 0, -1.0, 1, True, alpha=0.5, gamma=0.9)
    assert Q2[0, 0] == pytest.approx(-0.5) and Q2[0, 1] == pytest.approx(1.75)


def test_sarsa_update_uses_the_next_action_not_the_max():
    Q = np.zeros((3, 2))
    Q[1] = [2.0, 5.0]
    # A' = 0: target = -1 + 0.9 * Q(1, 0) = 0.8; Q(0, 1) = 0.5 * 0.8 = 0.4 (Q-learning: 1.75)
    assert sarsa_update(Q, 0, 1, -1.0, 1, 0, alpha=0.5, gamma=0.9)[0, 1] == pytest.approx(0.4)
    # S' terminal: target R alone, A' unused
    assert sarsa_update(Q, 0, 1, -1.0, 1, 0, True, alpha=0.5, gamma=0.9)[0, 1] == -0.5


# ---------------------------------------------------------------- epsilon-greedy
def _frequencies(q, epsilon, n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    counts = np.bincount(
        [epsilon_greedy(q, epsilon=epsilon, rng=rng) for _ in range(n)], minlength=len(q)
    )
    return counts / n


def test_epsilon_greedy_breaks_ties_to_the_lowest_index():
    q = np.array([1.0, 3.0, 3.0, 0.0])
    np.testing.assert_array_equal(_frequencies(q, 0.0, n=200), [0.0, 1.0, 0.0, 0.0])
    # with exploration the tied action 2 gets only the exploring share epsilon / A
    np.testing.assert_allclose(_frequencies(q, 0.2), [0.05, 0.85, 0.05, 0.05], atol=0.01)


def test_epsilon_greedy_probabilities():
    q = np.array([0.0, 1.0, 0.0, 0.0])
    # P(greedy) = 1 - epsilon + epsilon / A = 0.8 + 0.05; every other action epsilon / A = 0.05
    np.testing.assert_allclose(_frequencies(q, 0.2), [0.05, 0.85, 0.05, 0.05], atol=0.01)
    np.testing.assert_allclose(_frequencies(q, 1.0), [0.25] * 4, atol=0.015)
    assert isinstance(epsilon_greedy(q, epsilon=0.0, rng=np.random.default_rng(0)), int)


def test_epsilon_greedy_policy_by_hand():
    Q = np.array([[0.0, 1.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0]])
    pi = epsilon_greedy_policy(Q, epsilon=0.2)
    # greedy 1 - 0.2 + 0.05 = 0.85, others 0.05; row 2 ties -> action 0
    np.testing.assert_allclose(pi, [[0.05, 0.85, 0.05, 0.05], [0.85, 0.05, 0.05, 0.05]])
    # ... and it is the distribution epsilon_greedy samples from
    for s in range(2):
        np.testing.assert_allclose(_frequencies(Q[s], 0.2, seed=s), pi[s], atol=0.01)


def test_greedy_policy_ties_go_to_lowest_index():
    pi = greedy_policy(np.array([[0.0, 0.0], [1.0, 2.0]]))
    np.testing.assert_array_equal(pi, [[1, 0], [0, 1]])


# ---------------------------------------------------------------- reachability helpers
def _line_mdp():
    """0 --fwd--> 1 --fwd--> 2 (terminal); action 0 'back/stay'. R = -1 everywhere, gamma 0.9.

    Q*(1, fwd) = -1, V*(0) = Q*(0, fwd) = -1 + 0.9 * -1 = -1.9,
    Q*(1, back) = Q*(0, stay) = -1 + 0.9 * -1.9 = -2.71.
    """
    P = np.zeros((3, 2, 3))
    P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 0] = P[1, 1, 2] = 1.0
    P[2, :, 2] = 1.0
    R = -np.ones((3, 2))
    R[2] = 0.0
    mdp = MDP(P, R, [False, False, True], gamma=0.9)
    Q_star = np.array([[-2.71, -1.9], [-2.71, -1.0], [0.0, 0.0]])
    return mdp, Q_star


def test_reachable_and_suboptimal_states_by_hand():
    mdp, Q_star = _line_mdp()
    np.testing.assert_allclose(solve_value_iteration(mdp, tol=1e-12).Q, Q_star, atol=1e-9)
    fwd = np.array([[0, 1], [0, 1], [1, 0]], float)
    assert sorted(reachable_states(mdp, fwd, 0)) == [0, 1, 2]
    assert greedy_is_optimal(fwd, Q_star, mdp, 0)
    back_at_1 = np.array([[0, 1], [1, 0], [1, 0]], float)  # 0 -> 1 -> 0 -> ...
    assert sorted(reachable_states(mdp, back_at_1, 0)) == [0, 1]
    np.testing.assert_array_equal(suboptimal_reachable_states(back_at_1, Q_star, mdp, 0), [1])
    stay = np.array([[1, 0], [1, 0], [1, 0]], float)  # never leaves 0
    np.testing.assert_array_equal(suboptimal_reachable_states(stay, Q_star, mdp, 0), [0])
    # state 1 is wrong under `stay` too, but unreachable, so it does not count
    assert sorted(reachable_states(mdp, stay, 0)) == [0]


# ---------------------------------------------------------------- MineGrid: Q-learning finds Q*
MINEGRID_EPISODES = 200  # enough for every seed 0..4 (alpha 0.5, epsilon 0.1)


def test_q_learning_matches_value_iteration_on_default_minegrid():
    env = MineGrid("default")
    mdp = env.to_mdp(gamma=0.9)
    Q_star = solve_value_iteration(mdp, tol=1e-12).Q
    config = QLearningConfig(n_episodes=MINEGRID_EPISODES, alpha=0.5, gamma=0.9, epsilon=0.1)
    for seed in range(5):
        res = train_q_learning(env, config, seed=seed)
        bad = suboptimal_reachable_states(res.Q, Q_star, mdp, env.start_state)
        names = [env.state_name(s) for s in bad]
        assert bad.size == 0, f"seed {seed}: suboptimal greedy action at {names}"
        # the greedy route collects the power at (1, 2): 8 steps, return -1-1+1-1-1-1-1+100 = 95
        assert res.history["return"].max() == 95.0
        assert res.seed == seed and res.config is config


def test_q_learning_on_the_model_also_finds_the_optimum():
    env = MineGrid("default")
    mdp = env.to_mdp(gamma=0.9)
    Q_star = solve_value_iteration(mdp, tol=1e-12).Q
    res = train_q_learning(mdp, n_episodes=MINEGRID_EPISODES, start=env.start_state, seed=0)
    assert greedy_is_optimal(res.Q, Q_star, mdp, env.start_state)
    assert np.all(res.Q[mdp.terminal] == 0.0)
    # the array form runs the same loop and returns the table
    Q = q_learning(
        mdp.P,
        mdp.R,
        mdp.terminal,
        env.start_state,
        alpha=0.5,
        gamma=0.9,
        epsilon=0.1,
        n_episodes=MINEGRID_EPISODES,
        seed=0,
    )
    np.testing.assert_array_equal(Q, res.Q)
    Q = sarsa(
        mdp.P,
        mdp.R,
        mdp.terminal,
        env.start_state,
        alpha=0.5,
        gamma=0.9,
        epsilon=0.1,
        n_episodes=MINEGRID_EPISODES,
        seed=0,
    )
    assert Q.shape == (env.n_states, 4) and np.all(Q[mdp.terminal] == 0.0)


def test_stop_when_records_the_episode_and_stops():
    env = MineGrid("default")
    mdp = env.to_mdp(gamma=0.9)
    Q_star = solve_value_iteration(mdp, tol=1e-12).Q
    calls = []

    def stop_when(Q):
        calls.append(1)
        return greedy_is_optimal(Q, Q_star, mdp, env.start_state)

    res = train_q_learning(env, n_episodes=1000, seed=1, stop_when=stop_when, check_every=10)
    assert res.stopped_at is not None and res.stopped_at % 10 == 0
    assert len(res.history["return"]) == res.stopped_at == 10 * len(calls)
    assert res.history["episode"].tolist() == list(range(1, res.stopped_at + 1))
    assert res.n_updates == res.history["length"].sum() == res.N.sum()
    assert 0.0 <= res.check_seconds <= res.wall_seconds


def test_same_seed_same_q_table():
    env = MineGrid("default", slip=0.2)
    for algo in (train_q_learning, train_sarsa):
        a, b = (algo(env, n_episodes=30, seed=5) for _ in range(2))
        np.testing.assert_array_equal(a.Q, b.Q)
        np.testing.assert_array_equal(a.history["return"], b.history["return"])
        c = algo(env, n_episodes=30, seed=6)
        assert not np.array_equal(a.Q, c.Q)


def test_epsilon_decay_schedule():
    res = train_q_learning(
        MineGrid("small"), n_episodes=5, epsilon=0.5, epsilon_decay=0.5, epsilon_min=0.1, seed=0
    )
    np.testing.assert_allclose(res.history["epsilon"], [0.5, 0.25, 0.125, 0.1, 0.1])
    sarsa_run = train_sarsa(MineGrid("small"), QLearningConfig(n_episodes=3), seed=0)
    assert isinstance(sarsa_run.config, SarsaConfig) and sarsa_run.config.n_episodes == 3


# ---------------------------------------------------------------- the cliff: SARSA's safe route
def _greedy_route(env, pi, max_len=60):
    """(row, col) cells visited by the greedy policy from the start (slip = 0)."""
    return [env.position_of(s) for s in env.greedy_route(pi, max_steps=max_len).states]


def test_sarsa_takes_the_safe_route_q_learning_the_edge():
    # S&B Example 6.6 settings (epsilon = 0.1, gamma = 1) but alpha = 0.1: with ties to the
    # lowest index and +100 at the end (so a zero-initialised Q is pessimistic), alpha = 0.5
    # leaves SARSA wandering near the start for some seeds, while alpha = 0.1 gives the
    # contrast below for every seed 0..9 (SARSA's route uses row 1, one row above the edge,
    # for at least half of the cliff).
    env = MineGrid("cliff")  # 4 x 12, mines on row 3 between S and E
    for seed in range(5):
        q = train_q_learning(env, n_episodes=500, alpha=0.1, gamma=1.0, epsilon=0.1, seed=seed)
        s = train_sarsa(env, n_episodes=500, alpha=0.1, gamma=1.0, epsilon=0.1, seed=seed)
        route_q, route_s = _greedy_route(env, q.policy), _greedy_route(env, s.policy)
        assert route_q[-1] == route_s[-1] == (3, 11)  # both reach E
        # Q-learning: the optimal 13-step path, on row 2 right above the mines all the way
        assert len(route_q) - 1 == 13
        assert {r for r, c in route_q if 1 <= c <= 10} == {2}
        # SARSA: longer, and it keeps away from the mines for most of the way
        assert len(route_s) - 1 > 13
        next_to_mines = sum(1 for r, c in route_s if r == 2 and 1 <= c <= 10)
        assert next_to_mines <= 5  # Q-learning's: all 10
        # and while exploring, SARSA's episodes pay off better on average (fewer falls)
        assert s.history["return"][100:].mean() > q.history["return"][100:].mean() + 10
