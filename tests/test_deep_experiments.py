"""Chapter 06's experiments (rlcourse.deep.experiments) at tiny budgets, against numbers worked
out by hand: curves over seeds, the ablation variants, runs split into segments (the same run),
and the Q estimate of start states against the discounted return of a known episode."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from _deep import assert_same_run
from torch import nn

from rlcourse.deep import DQNConfig, DQNResult, torch_threads, train_dqn
from rlcourse.deep.dqn import EVAL_SEED_OFFSET
from rlcourse.deep.experiments import (
    DQNRun,
    dqn_ablation_variants,
    dqn_ablations,
    dqn_seeds,
    eval_curves,
    overestimation_curves,
    start_state_values,
)

TINY = {
    "total_steps": 600,
    "hidden_sizes": (16, 16),
    "learning_starts": 100,
    "train_freq": 4,
    "gradient_steps": 2,
    "batch_size": 16,
    "buffer_size": 1_000,
    "target_update_interval": 50,
    "exploration_fraction": 0.5,
    "eval_every": 200,
    "eval_episodes": 2,
}


@pytest.fixture(scope="module")
def tiny_runs():
    with torch_threads(1):
        runs = dqn_seeds("CartPole-v1", seeds=[0, 1], device="cpu", **TINY)
        split = dqn_seeds(
            "CartPole-v1", seeds=[0], snapshot_steps=[200, 450, 600], device="cpu", **TINY
        )[0]
        plain = train_dqn("CartPole-v1", seed=0, device="cpu", **TINY)
        stopped = train_dqn("CartPole-v1", seed=0, device="cpu", stop_at=450, **TINY)
    return {"runs": runs, "split": split, "plain": plain, "stopped": stopped}


# ---------------------------------------------------------------- runs over seeds
def test_dqn_seeds_one_run_per_seed_same_as_train_dqn(tiny_runs):
    runs, plain = tiny_runs["runs"], tiny_runs["plain"]
    assert [r.seed for r in runs] == [0, 1]
    assert all(isinstance(r, DQNRun) and isinstance(r, DQNResult) for r in runs)
    assert runs[0].config == DQNConfig(**TINY) and runs[0].snapshots == {}
    assert_same_run(runs[0], plain)  # the uninterrupted trainer, called directly
    assert not np.array_equal(runs[0].history["loss"], runs[1].history["loss"])
    # evaluations every 200 env steps of 600
    np.testing.assert_array_equal(runs[1].history["eval_step"], [200, 400, 600])


def test_snapshots_split_the_run_without_changing_it(tiny_runs):
    split, plain, stopped = tiny_runs["split"], tiny_runs["plain"], tiny_runs["stopped"]
    assert_same_run(split, plain)
    assert sorted(split.snapshots) == [200, 450, 600]
    x = torch.randn(5, 4)
    # theta after 450 env steps: the network of a run stopped there, without any checkpoint
    torch.testing.assert_close(split.snapshots[450](x), stopped.model(x), rtol=0, atol=0)
    torch.testing.assert_close(split.snapshots[600](x), plain.model(x), rtol=0, atol=0)
    assert not torch.equal(split.snapshots[200](x), plain.model(x))  # it did learn after 200
    assert all(not m.training for m in split.snapshots.values())


def test_dqn_seeds_errors():
    with pytest.raises(ValueError, match="1 .. total_steps = 600"):
        dqn_seeds("CartPole-v1", seeds=[0], snapshot_steps=[700], **TINY)
    with pytest.raises(ValueError, match="multiples of n_envs = 2"):
        dqn_seeds("CartPole-v1", seeds=[0], snapshot_steps=[200, 301], **{**TINY, "n_envs": 2})
    with pytest.raises(ValueError, match="seeds is empty"):
        dqn_seeds("CartPole-v1", seeds=[], **TINY)
    with pytest.raises(TypeError, match="unknown DQNConfig field"):
        dqn_seeds("CartPole-v1", seeds=[0], replay=False)


# ---------------------------------------------------------------- ablations
def test_ablation_variants_by_hand():
    variants = dqn_ablation_variants(DQNConfig(batch_size=32, buffer_size=500))
    assert variants == {
        "DQN": {},
        "no replay": {"buffer_size": 32},
        "no replay, no target network": {"buffer_size": 32, "target_network": False},
        "no target network": {"target_network": False},
        "Double DQN": {"double": True},
    }
    for changes in variants.values():  # each is a valid config
        DQNConfig(**{"batch_size": 32, "buffer_size": 500, **changes})


def test_dqn_ablations_run_each_variant_on_the_same_seeds(tiny_runs):
    variants = dqn_ablation_variants(DQNConfig(**TINY))
    chosen = {k: variants[k] for k in ("DQN", "no replay, no target network")}
    with torch_threads(1):
        out = dqn_ablations("CartPole-v1", variants=chosen, seeds=[0], device="cpu", **TINY)
    assert list(out) == ["DQN", "no replay, no target network"]
    assert_same_run(out["DQN"][0], tiny_runs["plain"])
    cfg = out["no replay, no target network"][0].config
    assert (cfg.buffer_size, cfg.target_network, cfg.batch_size) == (16, False, 16)
    assert not np.array_equal(
        out["no replay, no target network"][0].history["loss"], out["DQN"][0].history["loss"]
    )


# ---------------------------------------------------------------- curves over seeds
def _fake(seed, steps, returns):
    history = {"eval_step": np.asarray(steps), "eval_return": np.asarray(returns, dtype=float)}
    return DQNResult(model=nn.Linear(4, 2), config=DQNConfig(), seed=seed, history=history)


def test_eval_curves_by_hand():
    steps = [100, 200, 300]
    curves = eval_curves(
        [
            _fake(0, steps, [10, 480, 500]),
            _fake(1, steps, [20, 30, 40]),
            _fake(2, steps, [60, 90, 475]),
        ]
    )
    np.testing.assert_array_equal(curves.steps, steps)
    assert curves.returns.shape == (3, 3)
    np.testing.assert_allclose(curves.mean, [30, 200, 1015 / 3])  # (10 + 20 + 60) / 3, ...
    np.testing.assert_allclose(curves.median, [20, 90, 475])
    np.testing.assert_allclose(curves.low, [10, 30, 40])
    np.testing.assert_allclose(curves.high, [60, 480, 500])
    assert curves.first_steps(475) == [200, None, 300]
    with pytest.raises(ValueError, match="different env steps"):
        eval_curves([_fake(0, steps, [1, 2, 3]), _fake(1, [100, 200], [1, 2])])
    with pytest.raises(ValueError, match="at least one"):
        eval_curves([])


# ---------------------------------------------------------------- Q against the true return
class Corridor(gym.Env):
    """Reward 1 every step; action 0 ends the episode (terminated), action 1 goes on.

    Observations are random points of [-1, 1]^2 drawn from the env's own generator, so a
    seed fixes the start state.
    """

    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._obs(), {}

    def step(self, action):
        return self._obs(), 1.0, int(action) == 0, False, {}

    def _obs(self):
        return self.np_random.uniform(-1.0, 1.0, size=2).astype(np.float32)


def corridor(T=5):
    return lambda: gym.wrappers.TimeLimit(Corridor(), max_episode_steps=T)


def linear_q(W, b):
    net = nn.Linear(2, 2)
    with torch.no_grad():
        net.weight.copy_(torch.tensor(W, dtype=torch.float32))
        net.bias.copy_(torch.tensor(b, dtype=torch.float32))
    return net


def start_obs(seed, n):
    return np.stack([Corridor().reset(seed=seed + k)[0] for k in range(n)])  # (n, 2)


def test_start_state_values_by_hand():
    W, b = [[1.0, 0.0], [0.0, 2.0]], [3.0, 7.0]  # Q(s, 0) = s_1 + 3 <= 4 < 5 <= 2 s_2 + 7
    values = start_state_values(linear_q(W, b), corridor(T=5), gamma=0.9, episodes=3, seed=7)
    s0 = start_obs(7, 3)  # (3, 2), the states the three episodes start from
    np.testing.assert_allclose(values.q, 2 * s0[:, 1] + 7, rtol=1e-6)  # Q(s_0, 1)
    # action 1 every step, truncated after 5 steps: 1 + 0.9 + 0.81 + 0.729 + 0.6561 = 4.0951,
    # the closed form (1 - gamma^T) / (1 - gamma)
    np.testing.assert_allclose(values.mc_return, [4.0951] * 3, rtol=1e-12)
    np.testing.assert_array_equal(values.length, [5, 5, 5])
    # now the greedy action is 0 (Q(s, 0) = s_1 + 3 >= 2 > 1 >= 2 s_2 - 1): one step, terminated
    values = start_state_values(linear_q(W, [3.0, -1.0]), corridor(), gamma=0.9, episodes=2, seed=0)
    np.testing.assert_allclose(values.mc_return, [1.0, 1.0])
    np.testing.assert_array_equal(values.length, [1, 1])
    # ties go to the lowest action index: action 0, one step
    zero = linear_q([[0.0, 0.0], [0.0, 0.0]], [4.0, 4.0])
    values = start_state_values(zero, corridor(), gamma=0.5, episodes=2, seed=0)
    np.testing.assert_allclose(values.q, [4.0, 4.0])
    np.testing.assert_array_equal(values.length, [1, 1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        start_state_values(zero, corridor(), gamma=1.5, seed=0)


def test_overestimation_curves_by_hand():
    W = [[0.0, 0.0], [1.0, 1.0]]
    snapshots = {100: linear_q(W, [0.0, 10.0]), 200: linear_q(W, [0.0, 20.0])}
    runs = [
        DQNRun(model=snapshots[200], config=DQNConfig(gamma=0.5), seed=s, snapshots=snapshots)
        for s in (0, 3)
    ]
    over = overestimation_curves(runs, corridor(T=3), episodes=4)
    np.testing.assert_array_equal(over.steps, [100, 200])
    # G_0 = 1 + 0.5 + 0.25 = 1.75 with gamma = 0.5 (action 1 three times, then truncated)
    np.testing.assert_allclose(over.mc_return, np.full((2, 2), 1.75))
    for i, seed in enumerate((0, 3)):  # the evaluation start states of each run
        s0 = start_obs(seed + EVAL_SEED_OFFSET, 4)  # (4, 2)
        q1 = (s0.sum(axis=1) + [[10.0], [20.0]]).mean(axis=1)  # (2,) mean of s_1 + s_2 + bias
        np.testing.assert_allclose(over.q[i], q1, rtol=1e-6)
    np.testing.assert_allclose(over.gap, over.q - 1.75)
    with pytest.raises(ValueError, match="snapshot_steps"):
        overestimation_curves([_fake(0, [1], [1])], corridor())
    other = DQNRun(
        model=snapshots[100], config=DQNConfig(), seed=1, snapshots={100: snapshots[100]}
    )
    with pytest.raises(ValueError, match="different snapshot steps"):
        overestimation_curves([runs[0], other], corridor())
