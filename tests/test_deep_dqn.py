"""DQN: the slide's functions against numbers worked by hand, the replay buffer's ring and its
uniform sampling, config errors, and train_dqn: same seed same curve (bit for bit on a CPU),
a short run improves the return, checkpoints resume exactly."""

import dataclasses

import numpy as np
import pytest
import torch
from _deep import assert_same_run, global_draws_around
from torch import nn

from rlcourse.deep import (
    DQNConfig,
    ReplayBuffer,
    double_td_target,
    dqn_loss,
    evaluate,
    hard_update,
    linear_epsilon,
    load_dqn,
    mlp,
    ring_slots,
    sample_indices,
    seeded,
    soft_update,
    td_target,
    torch_threads,
    train_dqn,
)


# ---------------------------------------------------------------- epsilon schedule
def test_linear_epsilon_by_hand():
    kw = {"start": 1.0, "end": 0.1, "duration": 10}
    assert linear_epsilon(0, **kw) == 1.0
    assert linear_epsilon(5, **kw) == pytest.approx(0.55)  # halfway: (1 + 0.1) / 2
    assert linear_epsilon(10, **kw) == pytest.approx(0.1)
    assert linear_epsilon(1000, **kw) == pytest.approx(0.1)  # constant after the decay
    assert linear_epsilon(3, start=0.5, end=0.5, duration=0) == 0.5
    with pytest.raises(ValueError, match="exploration probability"):
        linear_epsilon(0, start=1.5, end=0.1, duration=10)
    with pytest.raises(TypeError):
        linear_epsilon(0, 1.0, 0.1, 10)  # hyperparameters are keyword-only


# ---------------------------------------------------------------- targets
R = torch.tensor([1.0, 2.0, 3.0])
Q_NEXT = torch.tensor([[1.0, 4.0], [2.0, 0.0], [5.0, 5.0]])


def test_td_target_by_hand_terminated_cuts_the_bootstrap():
    y = td_target(R, Q_NEXT, torch.tensor([False, True, False]), gamma=0.5)
    # 1 + 0.5 * 4;  2 (terminal: no bootstrap);  3 + 0.5 * 5
    torch.testing.assert_close(y, torch.tensor([3.0, 2.0, 5.5]))
    # the same transitions, none terminal (a truncation is not terminal): all bootstrap
    y = td_target(R, Q_NEXT, torch.zeros(3), gamma=0.5)
    torch.testing.assert_close(y, torch.tensor([3.0, 3.0, 5.5]))
    assert not y.requires_grad


def test_td_target_errors():
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        td_target(R, Q_NEXT, torch.zeros(3), gamma=1.5)
    with pytest.raises(ValueError, match=r"\(B, A\)"):
        td_target(R, Q_NEXT[0], torch.zeros(3), gamma=0.9)
    with pytest.raises(TypeError):
        td_target(R, Q_NEXT, torch.zeros(3), 0.9)


def test_double_td_target_by_hand():
    q_online = torch.tensor([[1.0, 4.0], [3.0, 0.0]])  # picks actions 1 and 0
    q_target = torch.tensor([[10.0, 20.0], [30.0, 40.0]])
    r, term = torch.tensor([0.0, 1.0]), torch.tensor([0.0, 0.0])
    y = double_td_target(r, q_online, q_target, term, gamma=0.9)
    torch.testing.assert_close(y, torch.tensor([18.0, 28.0]))  # 0.9 * 20;  1 + 0.9 * 30
    # plain DQN takes the target's own max: 40 for the second row (overestimation's source)
    torch.testing.assert_close(td_target(r, q_target, term, gamma=0.9), torch.tensor([18.0, 37.0]))
    y = double_td_target(r, q_online, q_target, torch.tensor([1.0, 0.0]), gamma=0.9)
    torch.testing.assert_close(y, torch.tensor([0.0, 28.0]))


# ---------------------------------------------------------------- loss
def test_dqn_loss_by_hand_and_gradient_only_through_the_taken_action():
    q = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    actions = torch.tensor([1, 0])
    y = torch.tensor([4.0, 3.5], requires_grad=True)  # a target must not receive gradient
    # Q(s, a) taken = [2, 3]; errors y - Q = [2, 0.5]
    mse, info = dqn_loss(q, actions, y, loss="mse")
    assert mse.item() == pytest.approx((4 + 0.25) / 2)
    assert info == pytest.approx({"loss": 2.125, "q_mean": 2.5, "td_abs": 1.25})
    huber, _ = dqn_loss(q, actions, y)  # default huber: |2| - 0.5 = 1.5; 0.5 * 0.5^2 = 0.125
    assert huber.item() == pytest.approx((1.5 + 0.125) / 2)
    huber.backward()
    # d/dQ of mean huber: -clip(y - Q, -1, 1) / B on the taken entries, 0 elsewhere
    torch.testing.assert_close(q.grad, torch.tensor([[0.0, -0.5], [-0.25, 0.0]]))
    assert y.grad is None
    with pytest.raises(ValueError, match="huber"):
        dqn_loss(q, actions, y, loss="l1")


def test_target_updates_by_hand():
    online, target = nn.Linear(2, 1), nn.Linear(2, 1)
    with torch.no_grad():
        online.weight.fill_(1.0)
        online.bias.fill_(2.0)
        target.weight.fill_(-1.0)
        target.bias.fill_(0.0)
    soft_update(target, online, tau=0.25)  # 0.25 * online + 0.75 * target
    torch.testing.assert_close(target.weight, torch.full((1, 2), -0.5))
    torch.testing.assert_close(target.bias, torch.tensor([0.5]))
    hard_update(target, online)
    torch.testing.assert_close(target.weight, online.weight)
    torch.testing.assert_close(target.bias, online.bias)
    with pytest.raises(ValueError, match=r"tau must be in \(0, 1\]"):
        soft_update(target, online, tau=0.0)


# ---------------------------------------------------------------- replay buffer
def _transition(i):
    return np.full(2, float(i)), i % 3, float(i), np.full(2, i + 0.5), i % 2 == 0


def test_buffer_wraps_around_and_overwrites_the_oldest():
    buf = ReplayBuffer(5, (2,), seed=0)
    for i in range(7):
        buf.add(*_transition(i))
    assert len(buf) == 5 and buf.pos == 2
    np.testing.assert_array_equal(buf.obs[:, 0], [5, 6, 2, 3, 4])  # 0 and 1 overwritten
    np.testing.assert_array_equal(buf.next_obs[:, 0], [5.5, 6.5, 2.5, 3.5, 4.5])
    np.testing.assert_array_equal(buf.actions, [2, 0, 2, 0, 1])
    np.testing.assert_array_equal(buf.terminated, [0, 1, 1, 0, 1])
    # a batch that crosses the end: rows 2, 3, 4 then 0
    obs = np.arange(8, dtype=float).reshape(4, 2) + 100
    buf.add(obs, [0, 1, 0, 1], [1, 2, 3, 4], obs + 1, [False, False, True, False])
    np.testing.assert_array_equal(buf.obs[:, 0], [106, 6, 100, 102, 104])
    np.testing.assert_array_equal(buf.rewards, [4, 6, 1, 2, 3])
    assert buf.pos == 1 and len(buf) == 5
    # more transitions than the capacity in one call: the newest 5 survive, in ring order
    big = np.arange(14, dtype=float).reshape(7, 2)
    buf.add(big, np.zeros(7), np.arange(7), big, np.zeros(7))
    assert sorted(buf.rewards.tolist()) == [2, 3, 4, 5, 6] and len(buf) == 5


def test_ring_slots_by_hand():
    # capacity 5, writing 4 rows from row 3: rows 3, 4, then wrap to 0, 1
    np.testing.assert_array_equal(ring_slots(3, 4, capacity=5), [3, 4, 0, 1])
    np.testing.assert_array_equal(ring_slots(0, 5, capacity=5), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(ring_slots(4, 5, capacity=5), [4, 0, 1, 2, 3])
    assert ring_slots(2, 0, capacity=5).shape == (0,)
    assert ring_slots(1, 2, capacity=3).dtype == np.int64
    with pytest.raises(ValueError, match="pos < capacity"):
        ring_slots(5, 1, capacity=5)
    with pytest.raises(ValueError, match="n <= capacity"):
        ring_slots(0, 6, capacity=5)


def test_sample_indices_uses_the_given_generator_only():
    a = sample_indices(7, 1000, rng=np.random.default_rng(4))
    b = sample_indices(7, 1000, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1000,) and a.dtype == np.int64
    assert a.min() == 0 and a.max() == 6  # every stored row can come out, no other
    state = np.random.get_state()
    rng = np.random.default_rng(4)
    sample_indices(7, 3, rng=rng)
    assert not np.array_equal(sample_indices(7, 1000, rng=rng), a)  # the generator advanced
    assert np.array_equal(np.random.get_state()[1], state[1])  # the global one never moved
    with pytest.raises(TypeError, match="np.random.Generator"):
        sample_indices(7, 3, rng=4)


def test_buffer_samples_uniformly_from_what_is_stored():
    buf = ReplayBuffer(100, (1,), seed=3)
    buf.add(np.arange(10.0)[:, None], np.zeros(10), np.arange(10.0), np.zeros((10, 1)), 0)
    n = 20_000
    counts = np.zeros(10)
    for _ in range(n // 100):
        batch = buf.sample(100)
        assert batch["obs"].shape == (100, 1) and batch["actions"].dtype == torch.int64
        np.add.at(counts, batch["rewards"].numpy().astype(int), 1)
    # only the 10 stored rows come out (never the 90 empty zeros beyond them)
    assert counts.sum() == n
    # chi-square with 9 degrees of freedom: P(chi2 > 40) < 1e-5 for a uniform sampler
    expected = n / 10
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 40, counts
    # each row's batch is one transition: obs, reward and next_obs stay together
    batch = buf.sample(50)
    np.testing.assert_array_equal(batch["obs"][:, 0].numpy(), batch["rewards"].numpy())


def test_buffer_same_seed_same_minibatches_and_state_round_trip():
    def filled(seed):
        b = ReplayBuffer(50, (2,), seed=seed)
        for i in range(60):
            b.add(*_transition(i))
        return b

    a, b = filled(1), filled(1)
    torch.testing.assert_close(a.sample(32), b.sample(32))
    c = ReplayBuffer(50, (2,), seed=99)
    c.load_state_dict(b.state_dict())
    torch.testing.assert_close(b.sample(32), c.sample(32))  # contents and RNG both restored


def test_buffer_errors():
    for bad in (0, -5):
        with pytest.raises(ValueError, match="positive number of transitions"):
            ReplayBuffer(bad, (4,), seed=0)
    with pytest.raises(TypeError, match="whole number"):
        ReplayBuffer(10.5, (4,), seed=0)
    buf = ReplayBuffer(4, (3,), seed=0)
    with pytest.raises(ValueError, match="empty"):
        buf.sample(2)
    with pytest.raises(ValueError, match=r"expected \(3,\)"):
        buf.add(np.zeros(4), 0, 0.0, np.zeros(4), False)


# ---------------------------------------------------------------- config
def test_config_defaults_are_the_tuned_zoo_settings_and_bad_values_teach():
    cfg = DQNConfig()
    assert (cfg.learning_rate, cfg.batch_size, cfg.buffer_size, cfg.gamma) == (
        2.3e-3,
        64,
        100_000,
        0.99,
    )
    assert (cfg.train_freq, cfg.gradient_steps, cfg.target_update_interval) == (64, 32, 10)
    assert (cfg.hidden_sizes, cfg.exploration_fraction) == ((128, 128), 0.1)
    assert (cfg.eval_every, cfg.eval_episodes, cfg.total_steps) == (2_000, 20, 50_000)
    with pytest.raises(ValueError, match=r"discount factor\) must be in \[0, 1\]"):
        DQNConfig(gamma=1.2)
    with pytest.raises(ValueError, match=r"discount factor\) must be in \[0, 1\]"):
        DQNConfig(gamma=-0.1)
    with pytest.raises(ValueError, match="buffer_size must be a positive integer"):
        DQNConfig(buffer_size=-1)
    with pytest.raises(ValueError, match="larger than buffer_size"):
        DQNConfig(buffer_size=10, batch_size=64)
    with pytest.raises(ValueError, match="huber"):
        DQNConfig(loss="l2")
    with pytest.raises(TypeError, match="tuple of layer widths"):
        DQNConfig(hidden_sizes=[64, 64])
    with pytest.raises(TypeError):
        DQNConfig(50_000)  # fields are keyword-only


def test_train_dqn_refuses_bad_input_before_training():
    with pytest.raises(ValueError, match=r"action space is Box.*Discrete"):
        train_dqn("Pendulum-v1", seed=0, total_steps=10)
    with pytest.raises(ValueError, match=r"discount factor"):
        train_dqn("CartPole-v1", seed=0, gamma=2.0)
    with pytest.raises(TypeError, match="unknown DQNConfig field"):
        train_dqn("CartPole-v1", seed=0, epsilon=0.1)


# ---------------------------------------------------------------- training (shared runs)
# A small network and budget: about a second per run on one thread.
TINY = {
    "hidden_sizes": (32, 32),
    "learning_starts": 200,
    "train_freq": 8,
    "gradient_steps": 4,
    "batch_size": 32,
    "buffer_size": 2_000,
    "target_update_interval": 100,
    "learning_rate": 1e-3,
    "exploration_fraction": 0.3,
    "eval_every": 500,
    "eval_episodes": 3,
    "total_steps": 1_500,
    "n_envs": 2,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    path = tmp_path_factory.mktemp("dqn") / "run.pt"
    with torch_threads(1):
        a, before, after = global_draws_around(lambda: train_dqn("CartPole-v1", seed=0, **TINY))
        again = train_dqn("CartPole-v1", seed=0, **TINY)
        other = train_dqn("CartPole-v1", seed=1, **TINY)
        first = train_dqn(
            "CartPole-v1", seed=0, **TINY, checkpoint_path=path, checkpoint_every=400, stop_at=700
        )
        resumed = train_dqn("CartPole-v1", seed=0, resume=path, checkpoint_path=path)
    return {
        "a": a,
        "again": again,
        "other": other,
        "first": first,
        "resumed": resumed,
        "path": path,
        "rng_before_after": (before, after),
    }


def test_history_columns(runs):
    h, cfg = runs["a"].history, runs["a"].config
    assert cfg.total_steps == 1_500 and cfg.n_envs == 2 and runs["a"].seed == 0
    np.testing.assert_array_equal(h["eval_step"], [500, 1000, 1500])
    assert len(h["eval_return"]) == len(h["eval_std"]) == len(h["epsilon"]) == 3
    assert np.all(np.diff(h["wall_seconds"]) >= 0)
    assert len(h["episode_step"]) == len(h["episode_return"]) > 10
    assert np.all(np.diff(h["episode_step"]) >= 0)
    assert len(h["train_step"]) == len(h["loss"]) == len(h["q_mean"]) > 100
    assert h["train_step"][0] > TINY["learning_starts"]
    # epsilon decays linearly over 0.3 * 1500 = 450 steps, then stays at 0.04
    np.testing.assert_allclose(h["epsilon"], [0.04, 0.04, 0.04])
    assert next(runs["a"].model.parameters()).device.type == "cpu"


def test_same_seed_same_curve_bit_for_bit(runs):
    assert_same_run(runs["a"], runs["again"])
    assert not np.array_equal(runs["a"].history["loss"], runs["other"].history["loss"])


def test_training_leaves_the_global_random_state_alone(runs):
    before, after = runs["rng_before_after"]
    assert before == after


def test_resuming_a_checkpoint_continues_exactly_as_if_uninterrupted(runs):
    first, resumed, a = runs["first"], runs["resumed"], runs["a"]
    assert first.history["eval_step"].tolist() == [500]  # it stopped at 700
    assert first.history["episode_step"].max() <= 700
    assert_same_run(a, resumed)
    loaded = load_dqn(runs["path"])  # the checkpoint written at the end of the resumed run
    assert_same_run(a, loaded)
    x = torch.randn(7, 4)
    torch.testing.assert_close(loaded.model(x), a.model(x), rtol=0, atol=0)


def test_resume_refuses_another_config_or_seed(runs):
    with pytest.raises(ValueError, match="differs in"):
        train_dqn("CartPole-v1", seed=0, resume=runs["path"], gamma=0.9)
    with pytest.raises(ValueError, match="seed=0"):
        train_dqn("CartPole-v1", seed=3, resume=runs["path"])


# A larger budget than TINY, still a few seconds: the greedy policy must get much better.
LEARN = {
    **TINY,
    "hidden_sizes": (64, 64),
    "learning_starts": 500,
    "buffer_size": 10_000,
    "target_update_interval": 250,
    "eval_every": 3_000,
    "eval_episodes": 5,
    "total_steps": 6_000,
    "n_envs": 1,
}


def test_a_short_run_improves_the_return():
    with torch_threads(1):
        result = train_dqn("CartPole-v1", seed=0, **LEARN)
        with seeded(0):  # the same initial network, untrained
            untrained = mlp([4, 64, 64, 2])
        baseline, _ = evaluate(untrained, "CartPole-v1", episodes=5, seed=1_000_000)
    final = result.history["eval_return"][-1]
    assert baseline < 50  # an untrained greedy policy drops the pole almost at once
    assert final > 150 and final > 3 * baseline, (baseline, result.history["eval_return"])


def test_without_a_target_network_the_target_never_moves_and_theta_is_used(runs):
    cfg = dataclasses.replace(runs["a"].config, target_network=False, total_steps=700)
    with torch_threads(1):
        result = train_dqn("CartPole-v1", cfg, seed=0)
        kept = train_dqn("CartPole-v1", dataclasses.replace(cfg, target_network=True), seed=0)
    # the same data and initial weights up to the first gradient step: only the targets differ
    assert not np.array_equal(result.history["loss"], kept.history["loss"])
    assert np.all(np.isfinite(result.history["loss"]))
    with pytest.raises(TypeError, match="target_network must be True or False"):
        DQNConfig(target_network="no")


def test_double_dqn_and_soft_updates_run(runs):
    cfg = dataclasses.replace(runs["a"].config, double=True, tau=0.5, total_steps=400)
    with torch_threads(1):
        result = train_dqn("CartPole-v1", cfg, seed=0)
    assert len(result.history["loss"]) > 0 and np.all(np.isfinite(result.history["loss"]))
