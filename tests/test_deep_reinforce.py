"""REINFORCE (rlcourse.deep.reinforce): the reward-to-go by hand on a fake env, the truncation
bootstrap, the loss, the critic, config errors, same seed same run, global state, learning."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch
from _deep import assert_same_run, global_draws_around
from torch import nn

from rlcourse.deep import evaluate, mlp, seeded, torch_threads
from rlcourse.deep.reinforce import (
    ReinforceConfig,
    ReinforceResult,
    episode_returns,
    reinforce_update,
    run_episode,
    train_reinforce,
)


class ThreeRewards(gym.Env):
    """Rewards 1, 2, 3 whatever the action, then the episode ends (terminated, or truncated
    with ``truncate=True``). The observation at step t is (t, 1)."""

    observation_space = gym.spaces.Box(-10.0, 10.0, shape=(2,), dtype=np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, truncate: bool = False) -> None:
        self.truncate = truncate
        self.t = 0

    def _obs(self) -> np.ndarray:
        return np.array([self.t, 1.0], dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        reward = float(self.t + 1)  # 1, 2, 3
        self.t += 1
        done = self.t == 3
        return self._obs(), reward, done and not self.truncate, done and self.truncate, {}


def zero_policy() -> nn.Module:
    """Logits 0 for both actions whatever the state: pi(a | s) = 1/2."""
    net = nn.Linear(2, 2)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    return net


def constant_critic(c: float) -> nn.Module:
    """V(s) = c for every s."""
    net = nn.Linear(2, 1)
    nn.init.zeros_(net.weight)
    nn.init.constant_(net.bias, c)
    return net


# ---------------------------------------------------------------- the reward-to-go by hand
# gamma = 0.5, rewards 1, 2, 3:
#   terminated: G_2 = 3, G_1 = 2 + 0.5 * 3 = 3.5, G_0 = 1 + 0.5 * 3.5 = 2.75
#   truncated, V(s_3) = 4: G_2 = 3 + 0.5 * 4 = 5, G_1 = 2 + 0.5 * 5 = 4.5, G_0 = 1 + 2.25 = 3.25
def _episode(truncate: bool) -> dict:
    gen = torch.Generator().manual_seed(0)
    return run_episode(ThreeRewards(truncate), zero_policy(), seed=0, generator=gen)


def test_run_episode_records_the_episode():
    ep = _episode(truncate=False)
    np.testing.assert_array_equal(ep["obs"].numpy(), [[0, 1], [1, 1], [2, 1]])
    np.testing.assert_array_equal(ep["rewards"].numpy(), [1, 2, 3])
    np.testing.assert_array_equal(ep["final_obs"].numpy(), [3, 1])
    assert ep["actions"].shape == (3,) and set(ep["actions"].tolist()) <= {0, 1}
    assert ep["terminated"] and not ep["truncated"]


def test_reward_to_go_of_a_terminated_episode():
    G = episode_returns(_episode(truncate=False), gamma=0.5)
    np.testing.assert_allclose(G.numpy(), [2.75, 3.5, 3.0])
    # a critic changes nothing after a termination: V(terminal) is never read
    G = episode_returns(_episode(truncate=False), gamma=0.5, critic=constant_critic(4.0))
    np.testing.assert_allclose(G.numpy(), [2.75, 3.5, 3.0])


def test_a_truncation_bootstraps_from_the_critic_only():
    ep = _episode(truncate=True)
    assert ep["truncated"] and not ep["terminated"]
    # without a critic: the rewards seen, as if it had terminated
    np.testing.assert_allclose(episode_returns(ep, gamma=0.5).numpy(), [2.75, 3.5, 3.0])
    G = episode_returns(ep, gamma=0.5, critic=constant_critic(4.0))
    np.testing.assert_allclose(G.numpy(), [3.25, 4.5, 5.0])


def test_the_loss_weighs_log_pi_by_the_reward_to_go():
    # pi(a | s) = 1/2 everywhere, so log pi(a_t | s_t) = -log 2 and
    # L = -mean_t (-log 2) G_t = log 2 * (2.75 + 3.5 + 3) / 3 = log 2 * 9.25 / 3
    ep = _episode(truncate=False)
    G = episode_returns(ep, gamma=0.5)
    model = zero_policy()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    stats = reinforce_update(model, opt, ep["obs"], ep["actions"], G, baseline="none")
    assert stats["loss"] == pytest.approx(math.log(2) * 9.25 / 3, rel=1e-6)
    assert math.isnan(stats["value_loss"])
    # "normalize": G - mean G sums to 0, so L = log 2 * mean(normalised G) = 0
    stats = reinforce_update(model, opt, ep["obs"], ep["actions"], G, baseline="normalize")
    assert stats["loss"] == pytest.approx(0.0, abs=1e-6)
    # "value" with V = 3: L = log 2 * mean(G - 3) = log 2 * (-0.25 + 0.5 + 0) / 3
    critic = constant_critic(3.0)
    copt = torch.optim.SGD(critic.parameters(), lr=0.0)
    stats = reinforce_update(
        model, opt, ep["obs"], ep["actions"], G, baseline="value", critic=critic,
        critic_optimizer=copt,
    )  # fmt: skip
    assert stats["loss"] == pytest.approx(math.log(2) * 0.25 / 3, rel=1e-5)
    # value loss mean (3 - G)^2 = (0.25^2 + 0.5^2 + 0^2) / 3 = 0.3125 / 3
    assert stats["value_loss"] == pytest.approx(0.3125 / 3, rel=1e-5)


def test_the_value_baseline_critic_moves_toward_the_returns():
    ep = _episode(truncate=False)
    G = episode_returns(ep, gamma=0.5)  # 2.75, 3.5, 3
    model, critic = zero_policy(), constant_critic(0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    copt = torch.optim.Adam(critic.parameters(), lr=0.05)
    losses = [
        reinforce_update(
            model, opt, ep["obs"], ep["actions"], G, baseline="value", critic=critic,
            critic_optimizer=copt,
        )["value_loss"]
        for _ in range(400)
    ]  # fmt: skip
    # V = 0 at the start: mean G^2 = (2.75^2 + 3.5^2 + 3^2) / 3 = 28.8125 / 3
    assert losses[0] == pytest.approx(28.8125 / 3, rel=1e-6)
    # V is linear in s_t = (t, 1), so it can only reach the least-squares line through
    # (0, 2.75), (1, 3.5), (2, 3): slope (3 - 2.75) / 2 = 0.125, through the means (1, 3.0833),
    # so V = 2.9583, 3.0833, 3.2083; residuals -0.2083, 0.4167, -0.2083 leave
    # (0.0434 + 0.1736 + 0.0434) / 3 = 0.0868 of loss
    assert losses[-1] == pytest.approx(0.0868, abs=0.003)
    with torch.no_grad():
        V = critic(ep["obs"]).squeeze(-1).numpy()
    np.testing.assert_allclose(V, [2.9583, 3.0833, 3.2083], atol=0.02)


# ---------------------------------------------------------------- config and input errors
def test_config_errors_say_what_to_do():
    with pytest.raises(ValueError, match=r"baseline must be one of"):
        ReinforceConfig(baseline="mean")
    with pytest.raises(ValueError, match=r"gamma.*\[0, 1\]"):
        ReinforceConfig(gamma=1.5)
    for name in ("total_episodes", "episodes_per_batch", "eval_every", "eval_episodes"):
        with pytest.raises(ValueError, match=name):
            ReinforceConfig(**{name: 0})
        with pytest.raises(ValueError, match=name):
            ReinforceConfig(**{name: -3})
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        ReinforceConfig(learning_rate=0.0)
    with pytest.raises(ValueError, match="value_learning_rate must be > 0"):
        ReinforceConfig(value_learning_rate=-1e-3)
    with pytest.raises(TypeError, match="hidden_sizes"):
        ReinforceConfig(hidden_sizes=[64])
    ReinforceConfig(gamma=1.0, baseline="none", episodes_per_batch=1)  # edges are fine


def test_train_reinforce_refuses_bad_input_before_training():
    with pytest.raises(ValueError, match=r"action space is Box.*Discrete"):
        train_reinforce("Pendulum-v1", seed=0, total_episodes=1)
    with pytest.raises(ValueError, match="baseline must be one of"):
        train_reinforce("CartPole-v1", seed=0, baseline="critic")
    with pytest.raises(TypeError, match="unknown ReinforceConfig field"):
        train_reinforce("CartPole-v1", seed=0, epsilon=0.2)
    with pytest.raises(ValueError, match="seed"):
        train_reinforce("CartPole-v1", seed=-1)
    ep = _episode(truncate=False)
    model = zero_policy()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with pytest.raises(ValueError, match="needs the critic"):
        reinforce_update(model, opt, ep["obs"], ep["actions"], ep["rewards"], baseline="value")
    with pytest.raises(ValueError, match="baseline must be one of"):
        reinforce_update(model, opt, ep["obs"], ep["actions"], ep["rewards"], baseline="mean")


# ---------------------------------------------------------------- training (shared runs)
TINY = {
    "episodes_per_batch": 4,
    "total_episodes": 24,
    "eval_every": 10,
    "eval_episodes": 2,
    "hidden_sizes": (16, 16),
}


@pytest.fixture(scope="module")
def runs():
    with torch_threads(1):
        a, before, after = global_draws_around(
            lambda: train_reinforce("CartPole-v1", seed=0, device="cpu", **TINY)
        )
        again = train_reinforce("CartPole-v1", seed=0, device="cpu", **TINY)
        other = train_reinforce("CartPole-v1", seed=1, device="cpu", **TINY)
        none = train_reinforce("CartPole-v1", seed=0, device="cpu", baseline="none", **TINY)
    return {"a": a, "again": again, "other": other, "none": none, "rng": (before, after)}


def test_history_columns(runs):
    h = runs["a"].history
    np.testing.assert_array_equal(h["episode"], np.arange(1, 25))
    np.testing.assert_array_equal(h["update_episode"], [4, 8, 12, 16, 20, 24])
    # every 10 episodes, then the end (24)
    np.testing.assert_array_equal(h["eval_episode"], [10, 20, 24])
    lengths = h["episode_length"]
    assert np.all(lengths >= 8) and np.all(lengths <= 500)  # CartPole falls after >= 8 steps
    np.testing.assert_array_equal(h["episode_return"], lengths)  # reward 1 per step
    np.testing.assert_array_equal(
        h["eval_step"], [lengths[:10].sum(), lengths[:20].sum(), lengths.sum()]
    )
    for k in ("loss", "grad_norm", "value_loss"):
        assert len(h[k]) == 6 and np.all(np.isfinite(h[k])), k
    assert np.all(h["grad_norm"] > 0)
    assert np.all(np.isnan(runs["none"].history["value_loss"]))
    assert runs["none"].critic is None and runs["a"].critic is not None
    assert np.all(np.diff(h["wall_seconds"]) >= 0) and len(h["eval_std"]) == 3
    assert next(runs["a"].model.parameters()).device.type == "cpu"
    assert not runs["a"].model.training


def test_first_episode_reaching_reads_the_evaluations():
    history = {
        "eval_episode": np.array([10, 20, 30, 40]),
        "eval_step": np.array([150, 400, 900, 1600]),
        "eval_return": np.array([20.0, 480.0, 300.0, 500.0]),
    }
    r = ReinforceResult(model=nn.Linear(2, 2), config=ReinforceConfig(), seed=0, history=history)
    assert r.first_episode_reaching(475) == 20  # the first, though episode 30 fell back
    assert r.first_step_reaching(475) == 400
    assert r.first_episode_reaching(490) == 40
    assert r.first_episode_reaching(501) is None


def test_same_seed_same_curve_bit_for_bit(runs):
    assert_same_run(runs["a"], runs["again"])
    critic_a, critic_again = runs["a"].critic.state_dict(), runs["again"].critic.state_dict()
    for k, v in critic_a.items():
        assert torch.equal(v, critic_again[k]), k
    assert not np.array_equal(runs["a"].history["loss"], runs["other"].history["loss"])
    assert not np.array_equal(
        runs["a"].history["episode_return"], runs["other"].history["episode_return"]
    )


def test_training_leaves_the_global_random_state_alone(runs):
    before, after = runs["rng"]
    assert before == after


def test_the_trainer_uses_the_reward_to_go_and_bootstraps_truncations():
    """On the fake env every episode returns 1 + 2 + 3 = 6 in 3 steps. With baseline "value"
    (a linear critic V(s_t) = a t + b, hidden_sizes=()) the critic converges to the fixed point
    of fitting the returns it is trained on, worked out by hand below."""
    for truncate, V0 in ((False, 2.9583), (True, 4.0)):
        # terminated: the least-squares line through G = (2.75, 3.5, 3), V(s_0) = 2.9583.
        # truncated: G_2 = 3 + 0.5 V(s_3) = 3 + 0.5 (3a + b), G_1 = 2 + 0.5 G_2,
        # G_0 = 1 + 0.5 G_1; V = 2t + 4 gives G = (4, 6, 8), exactly V's values: the fixed
        # point, V(s_0) = 4 (without the bootstrap it would be 2.9583 again)
        with torch_threads(1):
            r = train_reinforce(
                lambda t=truncate: ThreeRewards(t),
                seed=0,
                device="cpu",
                episodes_per_batch=1,
                total_episodes=400,
                eval_every=200,
                eval_episodes=1,
                gamma=0.5,
                hidden_sizes=(),
                value_learning_rate=0.05,
            )
        h = r.history
        np.testing.assert_array_equal(h["episode_return"], 6.0)
        np.testing.assert_array_equal(h["episode_length"], 3)
        np.testing.assert_array_equal(h["eval_episode"], [200, 400])
        np.testing.assert_array_equal(h["eval_step"], [600, 1200])
        with torch.no_grad():
            got = r.critic(torch.tensor([[0.0, 1.0]])).item()
        assert got == pytest.approx(V0, abs=0.1), (truncate, got)


def test_episode_k_is_reset_with_seed_plus_k_and_evaluations_elsewhere():
    seeds: list[int] = []

    class Recording(ThreeRewards):
        def reset(self, *, seed=None, options=None):
            seeds.append(seed)
            return super().reset(seed=seed, options=options)

    with torch_threads(1):
        train_reinforce(
            Recording, seed=7, device="cpu", episodes_per_batch=2, total_episodes=4,
            eval_every=4, eval_episodes=2, hidden_sizes=(),
        )  # fmt: skip
    # training episodes 0..3 use 7..10; the one evaluation (at the end) uses 7 + 1_000_000 + k
    assert seeds == [7, 8, 9, 10, 1_000_007, 1_000_008]


# ---------------------------------------------------------------- learning
def test_a_short_run_improves_the_greedy_return():
    # the defaults (baseline "value") with 80 episodes (10 updates), about 1.5 s on one thread
    budget = {"total_episodes": 80, "eval_every": 80, "eval_episodes": 10}
    with torch_threads(1):
        result = train_reinforce("CartPole-v1", seed=0, device="cpu", **budget)
        with seeded(0):  # the same initial policy, untrained (drawn first, before the critic)
            untrained = mlp([4, 64, 64, 2], activation=nn.Tanh)
        baseline, _ = evaluate(untrained, "CartPole-v1", episodes=10, seed=1_000_000)
    returns = result.history["eval_return"]
    # acted on greedily, the untrained policy pushes one way and drops the pole in about 9
    # steps (9.2 measured); after 80 episodes 266 was measured
    assert baseline < 50
    assert returns[-1] > 150 and returns[-1] > 5 * baseline, (baseline, returns)
