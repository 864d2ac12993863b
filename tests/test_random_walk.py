"""RandomWalk env (chapter 03): gymnasium checks, the exact model against an independent
calculation, seeding, and where the reward is paid."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rlcourse  # noqa: F401  (registers the ids)
from rlcourse.envs import RandomWalk
from rlcourse.mdp import examples
from rlcourse.tabular import train_mc_prediction, train_td0_prediction


def test_check_env_passes():
    check_env(gym.make("rlcourse/RandomWalk-v0").unwrapped, skip_render_check=False)
    check_env(RandomWalk(n_states=3, render_mode="ansi"), skip_render_check=True)


def test_spaces_and_start():
    env = RandomWalk(5)
    assert env.observation_space == gym.spaces.Discrete(7)
    assert env.action_space == gym.spaces.Discrete(1)
    s, info = env.reset(seed=0)
    assert s == 3 and info == {"steps": 0}  # C, the middle of A..E
    assert RandomWalk(4).reset(seed=0)[0] == 2  # even n: left middle
    assert env.reset(options={"state": 1})[0] == 1


def test_exact_values_k_over_6_by_gamblers_ruin():
    # Independent: V(k) = P(reach 6 before 0 from k) solves V(k) = (V(k-1) + V(k+1)) / 2 with
    # V(0) = 0, V(6) = 1, so V is linear in k: V(k) = k / 6.
    mrp = RandomWalk(5).to_mrp()
    V = mrp.value_closed_form()
    np.testing.assert_allclose(V, [0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 0], atol=1e-12)
    # the same numbers from the textbook MRP of rlcourse.mdp.examples
    np.testing.assert_allclose(V, examples.random_walk_mrp(5).value_closed_form(), atol=1e-12)


def test_to_mdp_model():
    mdp = RandomWalk(5).to_mdp()
    assert mdp.P.shape == (7, 1, 7) and mdp.R.shape == (7, 1)
    assert mdp.terminal.tolist() == [True] + [False] * 5 + [True]
    assert mdp.states == ["T_left", "A", "B", "C", "D", "E", "T_right"]
    # E: half the time +1 on entering T_right -> expected reward 1/2; nowhere else any reward
    np.testing.assert_allclose(mdp.R[:, 0], [0, 0, 0, 0, 0, 0.5, 0])
    np.testing.assert_allclose(mdp.P[3, 0], [0, 0, 0.5, 0, 0.5, 0, 0])


@pytest.mark.parametrize("n", [1, 5, 8])
def test_to_mrp_is_the_env_dynamics(n):
    """P and R of to_mrp() against outcomes() and against step() itself."""
    env = RandomWalk(n)
    mrp = env.to_mrp(gamma=0.9)
    assert mrp.gamma == 0.9 and mrp.P.shape == (n + 2, n + 2)
    np.testing.assert_array_equal(mrp.terminal, [env.is_terminal(s) for s in range(n + 2)])
    for s in range(1, n + 1):
        P_row, R_s = np.zeros(n + 2), 0.0
        for p, s2, r, terminated in env.outcomes(s):
            P_row[s2] += p
            R_s += p * r
            assert terminated == env.is_terminal(s2)
        np.testing.assert_allclose(mrp.P[s], P_row)
        assert mrp.R[s] == pytest.approx(R_s)
        # one real step from s goes to s - 1 or s + 1 with reward 1 only at the right end
        seen = set()
        for seed in range(40):
            env.reset(seed=seed, options={"state": s})
            s2, r, terminated, truncated, _ = env.step(0)
            assert mrp.P[s, s2] == 0.5 and not truncated
            assert r == (1.0 if s2 == n + 1 else 0.0) and terminated == env.is_terminal(s2)
            seen.add(s2)
        assert seen == {s - 1, s + 1}
    np.testing.assert_array_equal(mrp.P, examples.random_walk_mrp(n, gamma=0.9).P)


def test_exact_values_other_n():
    V = RandomWalk(9).to_mrp().value_closed_form()
    np.testing.assert_allclose(V[1:-1], np.arange(1, 10) / 10, atol=1e-12)


def _play(env, seed):
    s, _ = env.reset(seed=seed)
    trace = [(s, 0.0)]
    done = False
    while not done:
        s, r, terminated, truncated, _ = env.step(0)
        assert not truncated
        trace.append((s, r))
        done = terminated
    return trace


def test_seeded_reproducibility():
    env = RandomWalk(5)
    a = [_play(env, seed) for seed in range(5)]
    b = [_play(RandomWalk(5), seed) for seed in range(5)]
    assert a == b
    assert len({tuple(t) for t in a}) > 1  # different seeds, different walks


def test_reward_only_on_the_right_exit():
    env = RandomWalk(5)
    ends = {0: 0, 6: 0}
    for seed in range(200):
        trace = _play(env, seed)
        rewards = [r for _, r in trace[1:]]
        last = trace[-1][0]
        assert last in (0, 6)
        ends[last] += 1
        assert all(r == 0.0 for r in rewards[:-1])  # nothing on the way
        assert rewards[-1] == (1.0 if last == 6 else 0.0)
        steps = np.diff([s for s, _ in trace])
        assert set(np.abs(steps)) == {1}  # one state left or right each step
    assert ends[0] > 50 and ends[6] > 50  # both ends happen (1/2 each from C)


def test_step_errors():
    env = RandomWalk(5)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="one action"):
        env.step(1)
    with pytest.raises(ValueError, match="n_states"):
        RandomWalk(0)


def test_render_modes():
    env = RandomWalk(5, render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "| A B * D E |\n"
    img = RandomWalk(5, render_mode="rgb_array")
    img.reset(seed=0)
    frame = img.render()
    assert frame.shape == (32, 7 * 32, 3) and frame.dtype == np.uint8


def test_tabular_learners_accept_the_env():
    env = RandomWalk(5)
    V = np.arange(7) / 6.0
    V[-1] = 0.0
    pi = np.ones((7, 1))  # the one dummy action
    mc = train_mc_prediction(env, pi, n_episodes=3000, seed=1)
    td = train_td0_prediction(env, n_episodes=3000, alpha=0.02, seed=1)
    # sample-average MC: standard error of V(k) after ~thousands of 0/1 returns is < 0.01
    np.testing.assert_allclose(mc.V[1:6], V[1:6], atol=0.03)
    np.testing.assert_allclose(td.V[1:6], V[1:6], atol=0.06)
    assert mc.V[0] == mc.V[6] == 0.0 and td.V[0] == td.V[6] == 0.0
