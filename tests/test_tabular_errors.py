"""Bad input to Part II raises errors that name the problem and the fix."""
import gymnasium as gym
import numpy as np
import pytest

from rlcourse.envs import MineGrid
from rlcourse.mdp import random_walk_mrp
from rlcourse.tabular import (MCConfig, QLearningConfig, SarsaConfig, TD0Config,
                              gradient_mc, mc_prediction, one_hot_features, q_learning,
                              sample_episode, sarsa, semi_gradient_td0, td0_prediction)


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5, float("nan")])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match=r"alpha.*\(0, 1\].*alpha=0.1"):
        QLearningConfig(alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        td0_prediction(random_walk_mrp(), alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        MCConfig(alpha=alpha)


@pytest.mark.parametrize("epsilon", [-0.1, 1.1])
def test_bad_epsilon(epsilon):
    with pytest.raises(ValueError, match=r"epsilon.*\[0, 1\]"):
        q_learning(MineGrid("small"), epsilon=epsilon)
    with pytest.raises(ValueError, match="epsilon"):
        SarsaConfig(epsilon=epsilon)
    with pytest.raises(ValueError, match="epsilon_min"):
        QLearningConfig(epsilon_min=epsilon)


def test_bad_epsilon_decay():
    with pytest.raises(ValueError, match="epsilon_decay"):
        QLearningConfig(epsilon_decay=1.5)


@pytest.mark.parametrize("gamma", [-0.1, 1.01])
def test_bad_gamma(gamma):
    with pytest.raises(ValueError, match=r"gamma.*\[0, 1\]"):
        sarsa(MineGrid("small"), gamma=gamma)
    with pytest.raises(ValueError, match="gamma"):
        TD0Config(gamma=gamma)
    with pytest.raises(ValueError, match="gamma"):
        mc_prediction(random_walk_mrp(), gamma=gamma)


def test_bad_counts():
    with pytest.raises(ValueError, match="n_episodes must be a positive integer"):
        QLearningConfig(n_episodes=0)
    with pytest.raises(ValueError, match="max_steps"):
        MCConfig(max_steps=-1)
    with pytest.raises(ValueError, match="check_every"):
        q_learning(MineGrid("small"), n_episodes=1, stop_when=lambda Q: False, check_every=0)


def test_env_without_discrete_spaces():
    env = gym.make("CartPole-v1")
    with pytest.raises(ValueError, match=r"observation_space is Discrete.*Box.*features"):
        q_learning(env, n_episodes=1)
    with pytest.raises(ValueError, match="Discrete"):
        mc_prediction(env, np.ones((1, 2)) / 2)
    env.close()


def test_not_an_env_or_model():
    with pytest.raises(ValueError, match="gymnasium env.*MRP/MDP"):
        q_learning([1, 2, 3])


def test_policy_of_wrong_shape():
    env = MineGrid("small")                               # 9 cells x 2 masks = 18 states, 4 actions
    with pytest.raises(ValueError, match=r"shape \(18, 3\).*\(S, A\) = \(18, 4\)"):
        mc_prediction(env, np.full((18, 3), 1 / 3))
    with pytest.raises(ValueError, match="shape"):
        td0_prediction(env.to_mdp(), np.full(18, 0.25))


def test_policy_rows_must_be_probabilities():
    pi = np.full((18, 4), 0.25)
    pi[5] = [0.5, 0.5, 0.5, 0.0]
    with pytest.raises(ValueError, match=r"row 5 .* sums to 1.5.*normalise"):
        sample_episode(MineGrid("small"), pi)
    pi[5] = [1.5, -0.5, 0.0, 0.0]
    with pytest.raises(ValueError, match="negative"):
        sample_episode(MineGrid("small"), pi)


def test_mdp_needs_a_policy_mrp_does_not():
    with pytest.raises(ValueError, match="policy pi of shape"):
        mc_prediction(MineGrid("small").to_mdp())
    assert mc_prediction(random_walk_mrp(), n_episodes=2).V.shape == (7,)


def test_start_is_for_models_only():
    env = MineGrid("small")
    with pytest.raises(ValueError, match="start= applies to known models"):
        q_learning(env, start=0)
    with pytest.raises(ValueError, match="not a state of the model"):
        mc_prediction(random_walk_mrp(), start="Z")


def test_unknown_config_field():
    with pytest.raises(TypeError, match=r"unknown QLearningConfig field\(s\) \['alhpa'\]"):
        q_learning(MineGrid("small"), alhpa=0.1)


def test_wrong_shapes_of_initial_values_and_features():
    env = MineGrid("small")
    with pytest.raises(ValueError, match=r"Q0 must have shape \(S, A\) = \(18, 4\)"):
        q_learning(env, Q0=np.zeros((18, 3)))
    with pytest.raises(ValueError, match=r"V_true must have shape \(S,\) = \(7,\)"):
        td0_prediction(random_walk_mrp(), V_true=np.zeros(5))
    with pytest.raises(ValueError, match=r"\(S, d\) matrix.*S = 7"):
        semi_gradient_td0(random_walk_mrp(), None, one_hot_features(5))


def test_gradient_mc_needs_constant_alpha():
    with pytest.raises(ValueError, match="constant step size.*alpha="):
        gradient_mc(random_walk_mrp(), None, one_hot_features(7))
