"""Bad input to Part II raises errors that name the problem and the fix."""

import gymnasium as gym
import numpy as np
import pytest

from rlcourse.envs import MineGrid
from rlcourse.mdp import random_walk_mrp
from rlcourse.tabular import (
    MCConfig,
    QLearningConfig,
    SarsaConfig,
    TD0Config,
    one_hot_features,
    sample_episode,
    train_gradient_mc,
    train_mc_prediction,
    train_q_learning,
    train_sarsa,
    train_semi_gradient_td0,
    train_td0_prediction,
)


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5, float("nan")])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        QLearningConfig(alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        train_td0_prediction(random_walk_mrp(), seed=0, alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        MCConfig(alpha=alpha)


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5])
def test_alpha_out_of_range_says_the_range_and_a_value(alpha):
    with pytest.raises(ValueError, match=r"alpha.*\(0, 1\].*alpha=0.1"):
        QLearningConfig(alpha=alpha)


@pytest.mark.parametrize("epsilon", [-0.1, 1.1])
def test_bad_epsilon(epsilon):
    with pytest.raises(ValueError, match=r"epsilon.*\[0, 1\]"):
        train_q_learning(MineGrid("small"), seed=0, epsilon=epsilon)
    with pytest.raises(ValueError, match="epsilon"):
        SarsaConfig(epsilon=epsilon)
    with pytest.raises(ValueError, match="epsilon_min"):
        QLearningConfig(epsilon_min=epsilon)


def test_bad_epsilon_decay():
    with pytest.raises(ValueError, match="epsilon_decay"):
        QLearningConfig(epsilon_decay=1.5)
    with pytest.raises(ValueError, match="epsilon_decay"):
        QLearningConfig(epsilon_decay=0.0)


@pytest.mark.parametrize("gamma", [-0.1, 1.01])
def test_bad_gamma(gamma):
    with pytest.raises(ValueError, match=r"gamma.*\[0, 1\]"):
        train_sarsa(MineGrid("small"), seed=0, gamma=gamma)
    with pytest.raises(ValueError, match="gamma"):
        TD0Config(gamma=gamma)
    with pytest.raises(ValueError, match="gamma"):
        train_mc_prediction(random_walk_mrp(), seed=0, gamma=gamma)


def test_bad_counts():
    with pytest.raises(ValueError, match="n_episodes must be a positive integer"):
        QLearningConfig(n_episodes=0)
    with pytest.raises(ValueError, match="max_steps"):
        MCConfig(max_steps=-1)
    with pytest.raises(ValueError, match="check_every"):
        train_q_learning(
            MineGrid("small"), seed=0, n_episodes=1, stop_when=lambda Q: False, check_every=0
        )


def test_env_without_discrete_spaces():
    env = gym.make("CartPole-v1")
    with pytest.raises(ValueError, match=r"observation_space is Discrete.*Box.*features"):
        train_q_learning(env, seed=0, n_episodes=1)
    with pytest.raises(ValueError, match="Discrete"):
        train_mc_prediction(env, np.ones((1, 2)) / 2, seed=0)
    env.close()


def test_not_an_env_or_model():
    with pytest.raises(ValueError, match="gymnasium env.*MRP/MDP"):
        train_q_learning([1, 2, 3], seed=0)


def test_policy_of_wrong_shape():
    env = MineGrid("small")  # 9 cells x 2 masks = 18 states, 4 actions
    with pytest.raises(ValueError, match=r"shape \(18, 3\).*\(S, A\) = \(18, 4\)"):
        train_mc_prediction(env, np.full((18, 3), 1 / 3), seed=0)
    with pytest.raises(ValueError, match="shape"):
        train_td0_prediction(env.to_mdp(), np.full(18, 0.25), seed=0)


def test_policy_rows_must_be_probabilities():
    pi = np.full((18, 4), 0.25)
    pi[5] = [0.5, 0.5, 0.5, 0.0]
    with pytest.raises(ValueError, match=r"state 5 sum to 1.5.*pi.sum\(axis=1"):
        sample_episode(MineGrid("small"), pi, seed=0)
    pi[5] = [1.5, -0.5, 0.0, 0.0]
    with pytest.raises(ValueError, match="state 5, action 1 is -0.5 < 0"):
        sample_episode(MineGrid("small"), pi, seed=0)


def test_mdp_needs_a_policy_mrp_does_not():
    with pytest.raises(ValueError, match="policy pi of shape"):
        train_mc_prediction(MineGrid("small").to_mdp(), seed=0)
    assert train_mc_prediction(random_walk_mrp(), seed=0, n_episodes=2).V.shape == (7,)


def test_start_is_for_models_only():
    env = MineGrid("small")
    with pytest.raises(ValueError, match="start= applies to known models"):
        train_q_learning(env, seed=0, start=0)
    with pytest.raises(ValueError, match="not a state of the model"):
        train_mc_prediction(random_walk_mrp(), seed=0, start="Z")


def test_unknown_config_field():
    with pytest.raises(
        TypeError, match=r"unknown QLearningConfig field\(s\) \['alhpa'\]"
    ):  # codespell:ignore alhpa
        train_q_learning(MineGrid("small"), seed=0, alhpa=0.1)  # codespell:ignore alhpa


def test_seed_is_required():
    with pytest.raises(TypeError, match="seed"):
        train_q_learning(MineGrid("small"))
    with pytest.raises(TypeError, match="seed"):
        train_td0_prediction(random_walk_mrp())


def test_wrong_shapes_of_initial_values_and_features():
    env = MineGrid("small")
    with pytest.raises(ValueError, match=r"Q0 must have shape \(S, A\) = \(18, 4\)"):
        train_q_learning(env, seed=0, Q0=np.zeros((18, 3)))
    with pytest.raises(ValueError, match=r"V_true must have shape \(7,\)"):
        train_td0_prediction(random_walk_mrp(), seed=0, V_true=np.zeros(5))
    with pytest.raises(ValueError, match=r"\(S, d\) matrix.*S = 7"):
        train_semi_gradient_td0(random_walk_mrp(), None, one_hot_features(5), seed=0)


def test_gradient_mc_needs_constant_alpha():
    with pytest.raises(ValueError, match="constant step size.*alpha="):
        train_gradient_mc(random_walk_mrp(), None, one_hot_features(7), seed=0)
