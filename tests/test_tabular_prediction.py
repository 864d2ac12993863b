"""MC and TD(0) prediction (deck 001): worked numbers, first vs every visit, convergence."""

import gymnasium as gym
import numpy as np
import pytest

from rlcourse.envs import MineGrid
from rlcourse.mdp import evaluate_policy, random_walk_mrp, returns, uniform_policy
from rlcourse.tabular import (
    Episode,
    every_visit_mc,
    first_visit_mc,
    mc_update,
    sample_episode,
    td0_episode,
    td0_update,
    train_mc_prediction,
    train_td0_prediction,
)


# ---------------------------------------------------------------- the deck's worked numbers
def test_deck_return_G_equals_3():
    # deck 001: G_t = 1 + 0 + 0 + 0 + 0 + 0 + 1 + 1 + 0 + 0 = 3 (gamma = 1)
    rewards = [1, 0, 0, 0, 0, 0, 1, 1, 0, 0]
    assert returns(rewards, gamma=1.0)[0] == 3.0


def test_deck_mc_update_gives_0_3():
    # deck 001: New V(S_0) = 0 + 0.1 * [3 - 0] = 0.3
    V = np.zeros(2)
    V_new = mc_update(V, 0, G=3.0, alpha=0.1)
    assert V_new[0] == pytest.approx(0.3, abs=1e-15)
    assert V_new[1] == 0.0
    assert V.tolist() == [0.0, 0.0]  # pure: the input is left as it was


def test_deck_td0_update_gives_0_1():
    # deck 001: New V(S_0) = 0 + 0.1 * [1 + 1 * 0 - 0] = 0.1
    V = np.zeros(2)
    V_new = td0_update(V, 0, r=1.0, s_next=1, alpha=0.1, gamma=1.0)
    assert V_new[0] == pytest.approx(0.1, abs=1e-15)
    assert V.tolist() == [0.0, 0.0]


def test_td0_update_terminal_ignores_V_next():
    V = np.array([0.0, 50.0])  # a (wrong) value stored for the terminal state is never used
    assert td0_update(V, 0, 1.0, 1, True, alpha=0.5, gamma=1.0)[0] == 0.5  # 0 + 0.5 * (1 - 0)
    # not terminal: 0 + 0.5 * (1 + 50 - 0) = 25.5
    assert td0_update(V, 0, 1.0, 1, alpha=0.5, gamma=1.0)[0] == 25.5


def test_returns_discounted():
    # G_2 = 3; G_1 = 2 + 0.5 * 3 = 3.5; G_0 = 1 + 0.5 * 3.5 = 2.75
    np.testing.assert_allclose(returns([1, 2, 3], gamma=0.5), [2.75, 3.5, 3.0])


# ---------------------------------------------------------------- first vs every visit
# Hand-made episode A -> B -> A -> T with rewards 1, 2, 3 (A = 0, B = 1, T = 2).
EPISODE = Episode(
    states=np.array([0, 1, 0, 2]),
    actions=np.zeros(3, dtype=int),
    rewards=np.array([1.0, 2.0, 3.0]),
    terminated=True,
    truncated=False,
)


def test_first_visit_sample_average_by_hand():
    # gamma = 1: G_0 = 6, G_1 = 5, G_2 = 3. First visit: V(A) = G_0 = 6, V(B) = G_1 = 5.
    np.testing.assert_allclose(first_visit_mc([EPISODE], 3, gamma=1.0), [6.0, 5.0, 0.0])
    # the same episode as a (states, rewards) pair
    pair = ([0, 1, 0, 2], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(first_visit_mc([pair], 3, gamma=1.0), [6.0, 5.0, 0.0])


def test_every_visit_sample_average_by_hand():
    # Every visit: V(A) = mean(G_0, G_2) = (6 + 3) / 2 = 4.5, V(B) = 5.
    np.testing.assert_allclose(every_visit_mc([EPISODE], 3, gamma=1.0), [4.5, 5.0, 0.0])


def test_sample_averages_over_two_episodes_by_hand():
    # episode 2: B -> T with reward 7 (G = 7). gamma = 0.5:
    # episode 1: G_0 = 1 + 0.5 (2 + 0.5 * 3) = 2.75, G_1 = 3.5, G_2 = 3.
    # first visit: V(A) = 2.75, V(B) = (3.5 + 7) / 2 = 5.25
    # every visit: V(A) = (2.75 + 3) / 2 = 2.875, V(B) = 5.25
    episodes = [EPISODE, ([1, 2], [7.0])]
    np.testing.assert_allclose(first_visit_mc(episodes, 3, gamma=0.5), [2.75, 5.25, 0.0])
    np.testing.assert_allclose(every_visit_mc(episodes, 3, gamma=0.5), [2.875, 5.25, 0.0])


class _ReplayEnv(gym.Env):
    """Plays EPISODE (A, B, A, T with rewards 1, 2, 3) whatever the action: a gymnasium env
    with Discrete spaces, so the trainers can be checked against hand-worked numbers."""

    observation_space = gym.spaces.Discrete(3)
    action_space = gym.spaces.Discrete(1)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return 0, {}

    def step(self, action):
        self.t += 1
        s = int(EPISODE.states[self.t])
        return s, float(EPISODE.rewards[self.t - 1]), s == 2, False, {}


def test_trainer_every_visit_constant_alpha_discounted_by_hand():
    # gamma = 0.5: G_0 = 2.75, G_1 = 3.5, G_2 = 3; alpha = 0.1, in time order:
    # t=0: V(A) = 0 + 0.1 * 2.75 = 0.275;  t=1: V(B) = 0.35;
    # t=2: V(A) = 0.275 + 0.1 * (3 - 0.275) = 0.5475.  First visit stops V(A) at 0.275.
    every = train_mc_prediction(
        _ReplayEnv(), seed=0, n_episodes=1, alpha=0.1, gamma=0.5, first_visit=False
    )
    np.testing.assert_allclose(every.V, [0.5475, 0.35, 0.0], atol=1e-15)
    np.testing.assert_array_equal(every.N, [2, 1, 0])
    first = train_mc_prediction(_ReplayEnv(), seed=0, n_episodes=1, alpha=0.1, gamma=0.5)
    np.testing.assert_allclose(first.V, [0.275, 0.35, 0.0], atol=1e-15)
    np.testing.assert_array_equal(first.N, [1, 1, 0])
    assert first.history["length"].tolist() == [3] and first.seed == 0
    assert first.config.alpha == 0.1 and first.config.first_visit


def test_td0_episode_by_hand():
    # alpha = 0.5, gamma = 1, V = 0:
    # t=0: V(A) = 0 + 0.5 * (1 + V(B)=0 - 0) = 0.5
    # t=1: V(B) = 0 + 0.5 * (2 + V(A)=0.5 - 0) = 1.25
    # t=2: V(A) = 0.5 + 0.5 * (3 + 0 (terminal) - 0.5) = 1.75
    V = np.zeros(3)
    V_new = td0_episode(V, EPISODE.states, EPISODE.rewards, alpha=0.5, gamma=1.0)
    np.testing.assert_allclose(V_new, [1.75, 1.25, 0.0])
    assert V.tolist() == [0.0, 0.0, 0.0]
    # the trainer does the same on the replayed episode
    td = train_td0_prediction(_ReplayEnv(), seed=0, n_episodes=1, alpha=0.5, gamma=1.0)
    np.testing.assert_allclose(td.V, [1.75, 1.25, 0.0])
    np.testing.assert_array_equal(td.N, [2, 1, 0])


def test_td0_truncated_episode_bootstraps_from_last_state():
    V = np.array([0.0, 10.0])
    V_new = td0_episode(V, [0, 1], [1.0], False, alpha=1.0, gamma=0.9)
    assert V_new[0] == pytest.approx(1.0 + 0.9 * 10.0)
    # terminated: the last state is terminal, target R alone
    assert td0_episode(V, [0, 1], [1.0], True, alpha=1.0, gamma=0.9)[0] == 1.0


# ---------------------------------------------------------------- sampling
def test_sample_episode_random_walk_mrp():
    mrp = random_walk_mrp()  # T_left, A..E, T_right
    ep = sample_episode(mrp, seed=0, start="C")
    assert ep.states[0] == 3 and ep.terminated and not ep.truncated
    assert ep.states[-1] in (0, 6)
    assert np.all(np.abs(np.diff(ep.states)) == 1)  # one step left or right each time
    assert len(ep.states) == len(ep.rewards) + 1 == len(ep.actions) + 1
    # the model's R(s): 1/2 when leaving E, else 0
    np.testing.assert_array_equal(ep.rewards, np.where(ep.states[:-1] == 5, 0.5, 0.0))


def test_sample_episode_env_and_max_steps():
    env = MineGrid("default")
    pi = np.zeros((env.n_states, 4))
    pi[:, 0] = 1.0  # always "up": bumps the top border forever
    ep = sample_episode(env, pi, seed=0, max_steps=7)
    assert ep.truncated and not ep.terminated and ep.length == 7
    assert np.all(ep.states == env.start_state) and np.all(ep.rewards == -1.0)


def test_same_seed_same_result_different_seed_different():
    mrp = random_walk_mrp()
    a = train_td0_prediction(mrp, n_episodes=50, seed=3, keep_history=True)
    b = train_td0_prediction(mrp, n_episodes=50, seed=3, keep_history=True)
    c = train_td0_prediction(mrp, n_episodes=50, seed=4)
    np.testing.assert_array_equal(a.V_history, b.V_history)
    assert not np.array_equal(a.V, c.V)
    env = MineGrid("default", slip=0.2)
    pi = np.full((env.n_states, 4), 0.25)
    m1, m2 = (train_mc_prediction(env, pi, n_episodes=20, gamma=0.9, seed=7) for _ in range(2))
    np.testing.assert_array_equal(m1.V, m2.V)
    np.testing.assert_array_equal(m1.history["length"], m2.history["length"])


# ---------------------------------------------------------------- convergence to the exact V
RW_TRUE = np.array([0, 1, 2, 3, 4, 5, 0]) / 6  # S&B Example 6.2: V(A..E) = 1/6 .. 5/6


@pytest.mark.parametrize("first_visit", [True, False])
def test_sample_average_mc_converges_on_random_walk(first_visit):
    mrp = random_walk_mrp()
    np.testing.assert_allclose(mrp.value_closed_form(), RW_TRUE, atol=1e-12)
    curves = []
    for seed in range(5):
        res = train_mc_prediction(
            mrp, n_episodes=1000, seed=seed, start="C", first_visit=first_visit, V_true=RW_TRUE
        )
        assert res.V[0] == res.V[-1] == 0.0  # terminals are never updated
        curves.append(res.history["rms"])
    rms = np.mean(curves, axis=0)  # (1000,) mean RMS over the 5 seeds
    # a sample average's error shrinks like 1/sqrt(n): 10x the episodes, about 1/3 the error
    assert rms[999] < 0.6 * rms[99] < 0.6 * 0.6 * rms[9]
    assert rms[999] < 0.04


def test_td0_converges_on_random_walk():
    mrp = random_walk_mrp()
    curves = [
        train_td0_prediction(
            mrp, n_episodes=1000, alpha=0.05, seed=seed, start="C", V_true=RW_TRUE
        ).history["rms"]
        for seed in range(5)
    ]
    rms = np.mean(curves, axis=0)  # (1000,)
    # constant alpha: the error falls, then hovers at a noise floor set by alpha
    assert rms[900:].mean() < rms[90:110].mean() < rms[:10].mean()
    assert rms[900:].mean() < 0.08


def test_mc_and_td_on_minegrid_env_match_policy_evaluation():
    env = MineGrid("default")
    mdp = env.to_mdp(gamma=0.9)
    pi = uniform_policy(mdp)
    V_pi = evaluate_policy(mdp, pi).V
    s0 = env.start_state
    mc = train_mc_prediction(env, pi, n_episodes=2000, gamma=0.9, seed=0)
    # returns range over about +-100; with 2000 episodes the standard error at the start is ~1
    assert mc.V[s0] == pytest.approx(V_pi[s0], abs=4.0)
    # constant-alpha TD hovers around V_pi (+-3 for one seed at alpha 0.05): average 3 seeds
    td = np.mean(
        [
            train_td0_prediction(env, pi, n_episodes=2000, gamma=0.9, alpha=0.05, seed=seed).V[s0]
            for seed in range(3)
        ]
    )
    assert td == pytest.approx(V_pi[s0], abs=4.0)
