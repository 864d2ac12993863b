"""Q-learning and SARSA (deck 003): updates by hand, epsilon-greedy, DP's optimum, the cliff."""
import numpy as np
import pytest

from rlcourse.envs import MineGrid
from rlcourse.mdp import MDP, value_iteration
from rlcourse.tabular import (QLearningConfig, epsilon_greedy, greedy_is_optimal,
                              greedy_policy_from_q, q_learning, q_learning_update,
                              reachable_states, sarsa, sarsa_update,
                              suboptimal_reachable_states)


# ---------------------------------------------------------------- the updates by hand
def test_q_learning_update_by_hand():
    Q = np.zeros((3, 2))
    Q[1] = [2.0, 5.0]
    # target = R + gamma max_a Q(S', a) = -1 + 0.9 * 5 = 3.5; Q(0, 1) = 0 + 0.5 * 3.5 = 1.75
    q_learning_update(Q, 0, 1, -1.0, 1, alpha=0.5, gamma=0.9)
    assert Q[0, 1] == pytest.approx(1.75)
    # S' terminal: Q(terminal, .) = 0, target = R = -1; Q(0, 0) = 0 + 0.5 * (-1 - 0) = -0.5
    q_learning_update(Q, 0, 0, -1.0, 1, alpha=0.5, gamma=0.9, terminal=True)
    assert Q[0, 0] == pytest.approx(-0.5)


def test_sarsa_update_uses_the_next_action_not_the_max():
    Q = np.zeros((3, 2))
    Q[1] = [2.0, 5.0]
    # A' = 0: target = -1 + 0.9 * Q(1, 0) = 0.8; Q(0, 1) = 0.5 * 0.8 = 0.4 (Q-learning: 1.75)
    sarsa_update(Q, 0, 1, -1.0, 1, 0, alpha=0.5, gamma=0.9)
    assert Q[0, 1] == pytest.approx(0.4)


# ---------------------------------------------------------------- epsilon-greedy
def _frequencies(q, epsilon, n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    counts = np.bincount([epsilon_greedy(q, None, epsilon, rng) for _ in range(n)], minlength=len(q))
    return counts / n


def test_epsilon_greedy_breaks_ties_at_random():
    q = np.array([1.0, 3.0, 3.0, 0.0])
    f = _frequencies(q, 0.0)
    assert f[0] == f[3] == 0.0
    assert f[1] == pytest.approx(0.5, abs=0.02)   # two maximisers, half each


def test_epsilon_greedy_probabilities():
    q = np.array([0.0, 1.0, 0.0, 0.0])
    # P(greedy) = 1 - epsilon + epsilon / A = 0.8 + 0.05; every other action epsilon / A = 0.05
    np.testing.assert_allclose(_frequencies(q, 0.2), [0.05, 0.85, 0.05, 0.05], atol=0.01)
    np.testing.assert_allclose(_frequencies(q, 1.0), [0.25] * 4, atol=0.015)


def test_epsilon_greedy_table_and_row_forms_agree():
    Q = np.array([[0.0, 1.0], [4.0, 2.0]])
    assert epsilon_greedy(Q, 1, 0.0, 0) == epsilon_greedy(Q[1], None, 0.0, 0) == 0


def test_greedy_policy_from_q_ties_go_to_lowest_index():
    pi = greedy_policy_from_q(np.array([[0.0, 0.0], [1.0, 2.0]]))
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
    mdp = MDP(P, R, 0.9, terminal=[False, False, True])
    Q_star = np.array([[-2.71, -1.9], [-2.71, -1.0], [0.0, 0.0]])
    return mdp, Q_star


def test_reachable_and_suboptimal_states_by_hand():
    mdp, Q_star = _line_mdp()
    np.testing.assert_allclose(value_iteration(mdp, tol=1e-12).Q, Q_star, atol=1e-9)
    fwd = np.array([[0, 1], [0, 1], [1, 0]], float)
    assert sorted(reachable_states(mdp, fwd, 0)) == [0, 1, 2]
    assert greedy_is_optimal(fwd, Q_star, mdp, 0)
    back_at_1 = np.array([[0, 1], [1, 0], [1, 0]], float)         # 0 -> 1 -> 0 -> ...
    assert sorted(reachable_states(mdp, back_at_1, 0)) == [0, 1]
    np.testing.assert_array_equal(suboptimal_reachable_states(back_at_1, Q_star, mdp, 0), [1])
    stay = np.array([[1, 0], [1, 0], [1, 0]], float)              # never leaves 0
    np.testing.assert_array_equal(suboptimal_reachable_states(stay, Q_star, mdp, 0), [0])
    # state 1 is wrong under `stay` too, but unreachable, so it does not count
    assert sorted(reachable_states(mdp, stay, 0)) == [0]


# ---------------------------------------------------------------- MineGrid: Q-learning finds Q*'s policy
MINEGRID_EPISODES = 200   # every seed 0..19 is already optimal after 100 episodes (alpha 0.5, eps 0.1)


def test_q_learning_matches_value_iteration_on_default_minegrid():
    env = MineGrid("default")
    mdp = env.to_mdp(gamma=0.9)
    Q_star = value_iteration(mdp, tol=1e-12).Q
    config = QLearningConfig(n_episodes=MINEGRID_EPISODES, alpha=0.5, gamma=0.9, epsilon=0.1)
    for seed in range(5):
        res = q_learning(env, config, seed=seed)
        bad = suboptimal_reachable_states(res.Q, Q_star, mdp, env.start_state)
        assert bad.size == 0, f"seed {seed}: suboptimal greedy action at {[env.state_name(s) for s in bad]}"
        # the greedy route collects the power at (1, 2): 8 steps, return -1-1+1-1-1-1-1+100 = 95
        assert res.episode_returns.max() == 95.0


def test_q_learning_on_the_model_also_finds_the_optimum():
    env = MineGrid("default")
    mdp = env.to_mdp(gamma=0.9)
    Q_star = value_iteration(mdp, tol=1e-12).Q
    res = q_learning(mdp, n_episodes=MINEGRID_EPISODES, start=env.start_state, seed=0)
    assert greedy_is_optimal(res.Q, Q_star, mdp, env.start_state)
    assert np.all(res.Q[mdp.terminal] == 0.0)


def test_stop_when_records_the_episode_and_stops():
    env = MineGrid("default")
    mdp = env.to_mdp(gamma=0.9)
    Q_star = value_iteration(mdp, tol=1e-12).Q
    calls = []

    def stop_when(Q):
        calls.append(1)
        return greedy_is_optimal(Q, Q_star, mdp, env.start_state)

    res = q_learning(env, n_episodes=1000, seed=1, stop_when=stop_when, check_every=10)
    assert res.stopped_at is not None and res.stopped_at % 10 == 0
    assert len(res.episode_returns) == res.stopped_at == 10 * len(calls)
    assert res.n_updates == res.episode_lengths.sum()
    assert 0.0 <= res.check_seconds <= res.wall_seconds


def test_same_seed_same_q_table():
    env = MineGrid("default", slip=0.2)
    for algo in (q_learning, sarsa):
        a, b = (algo(env, n_episodes=30, seed=5) for _ in range(2))
        np.testing.assert_array_equal(a.Q, b.Q)
        np.testing.assert_array_equal(a.episode_returns, b.episode_returns)
        c = algo(env, n_episodes=30, seed=6)
        assert not np.array_equal(a.Q, c.Q)


def test_epsilon_decay_schedule():
    res = q_learning(MineGrid("small"), n_episodes=5, epsilon=0.5, epsilon_decay=0.5,
                     epsilon_min=0.1, seed=0)
    np.testing.assert_allclose(res.epsilons, [0.5, 0.25, 0.125, 0.1, 0.1])


# ---------------------------------------------------------------- the cliff: SARSA's safe route
def _greedy_route(env, pi, max_len=60):
    """(row, col) cells visited by the greedy policy from the start (slip = 0)."""
    s, cells = env.start_state, [env.position_of(env.start_state)]
    for _ in range(max_len):
        outcome = env.move(s, int(pi[s].argmax()))
        s = outcome.next_state
        cells.append(env.position_of(s))
        if outcome.terminated:
            break
    return cells


def test_sarsa_takes_the_safe_route_q_learning_the_edge():
    # S&B Example 6.6 settings: epsilon = 0.1, alpha = 0.5, gamma = 1.
    env = MineGrid("cliff")                      # 4 x 12, mines on row 3 between S and E
    for seed in range(5):
        q = q_learning(env, n_episodes=500, alpha=0.5, gamma=1.0, epsilon=0.1, seed=seed)
        s = sarsa(env, n_episodes=500, alpha=0.5, gamma=1.0, epsilon=0.1, seed=seed)
        route_q, route_s = _greedy_route(env, q.policy), _greedy_route(env, s.policy)
        assert route_q[-1] == route_s[-1] == (3, 11)             # both reach E
        # Q-learning: the optimal 13-step path, on row 2 right above the mines all the way
        assert len(route_q) - 1 == 13
        assert {r for r, c in route_q if 1 <= c <= 10} == {2}
        # SARSA: longer, and it keeps away from the mines for most of the way
        assert len(route_s) - 1 > 13
        next_to_mines = sum(1 for r, c in route_s if r == 2 and 1 <= c <= 10)
        assert next_to_mines <= 1
        # and while exploring, SARSA's episodes pay off better on average (fewer falls)
        assert s.episode_returns[100:].mean() > q.episode_returns[100:].mean()
