"""rlcourse.deep foundations: device, seeding, MLP, evaluation, progress bar, vector envs with
explicit autoreset (the truncation trap), safe checkpoints."""

import io
import pickle
import random

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn

from rlcourse.deep import (
    check_box_discrete,
    default_device,
    evaluate,
    load_checkpoint,
    make_vector_env,
    mlp,
    progress_bar,
    save_checkpoint,
    seed_env,
    seeded,
    step_transitions,
    td_target,
    torch_threads,
)


# ---------------------------------------------------------------- device
def test_default_device_is_cuda_when_present_else_cpu_and_can_be_overridden():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert default_device().type == expected
    assert default_device("cpu") == torch.device("cpu")
    assert default_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(ValueError, match="device must be"):
        default_device("tpu-please")


# ---------------------------------------------------------------- seeding
def _draws():
    return (random.random(), np.random.random(), torch.rand(1).item())


def test_seeded_gives_the_same_numbers_and_restores_every_global_generator():
    random.seed(123)
    np.random.seed(123)
    torch.manual_seed(123)
    expected_after = _draws()  # what the caller would draw next without the block

    random.seed(123)
    np.random.seed(123)
    torch.manual_seed(123)
    with seeded(7):
        inside = _draws()
    assert _draws() == expected_after  # the caller's streams continue as if nothing happened
    with seeded(7):
        assert _draws() == inside  # same seed, same numbers
    with seeded(8):
        assert _draws() != inside


def test_seeded_restores_the_state_when_the_block_raises():
    state = np.random.get_state()[1].copy()
    with pytest.raises(RuntimeError), seeded(1):
        np.random.random(10)
        raise RuntimeError("boom")
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_seeded_makes_network_initialisation_reproducible():
    with seeded(3):
        a = mlp([4, 8, 2])
    with seeded(3):
        b = mlp([4, 8, 2])
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_seed_env_seeds_reset_and_action_space():
    def run(seed):
        env = gym.make("CartPole-v1")
        obs, _ = seed_env(env, seed)
        return obs, [env.action_space.sample() for _ in range(20)]

    (o1, a1), (o2, a2), (o3, _) = run(5), run(5), run(6)
    np.testing.assert_array_equal(o1, o2)
    assert a1 == a2
    assert not np.array_equal(o1, o3)


# ---------------------------------------------------------------- mlp
def test_mlp_layers_and_activation():
    net = mlp([4, 16, 8, 2], activation=nn.Tanh)
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear]  # none after the output
    assert [m.out_features for m in net if isinstance(m, nn.Linear)] == [16, 8, 2]
    assert net(torch.zeros(5, 4)).shape == (5, 2)
    with pytest.raises(ValueError, match="at least an input and an output"):
        mlp([4])


# ---------------------------------------------------------------- evaluate
def _returns_by_hand(action_of, seed, episodes):
    """Run each episode on its own env seeded seed + k, one step at a time."""
    out = []
    for k in range(episodes):
        env = gym.make("CartPole-v1")
        obs, _ = env.reset(seed=seed + k)
        total, done = 0.0, False
        while not done:
            obs, r, terminated, truncated, _ = env.step(action_of(obs))
            total += r
            done = terminated or truncated
        out.append(total)
    return np.array(out)


def test_evaluate_matches_episodes_run_by_hand():
    def lean_right(obs):  # push towards the lean: a mediocre deterministic policy
        return int(obs[2] > 0)

    expected = _returns_by_hand(lean_right, 100, 6)
    mean, std = evaluate(
        lambda batch: (batch[:, 2] > 0).astype(int),
        "CartPole-v1",
        episodes=6,
        seed=100,
    )
    assert mean == pytest.approx(expected.mean()) and std == pytest.approx(expected.std())
    assert expected.std() > 0  # the episodes differ, so the seeds really differ per episode


def test_evaluate_acts_greedily_on_a_q_network_with_ties_to_action_0():
    q = nn.Linear(4, 2)
    nn.init.zeros_(q.weight)
    nn.init.zeros_(q.bias)  # Q = [0, 0] everywhere: a tie, so always action 0
    expected = _returns_by_hand(lambda obs: 0, 0, 4)
    mean, _ = evaluate(q, lambda: gym.make("CartPole-v1"), episodes=4, seed=0)
    assert mean == pytest.approx(expected.mean())
    with torch.no_grad():
        q.bias.copy_(torch.tensor([0.0, 1.0]))  # now action 1 everywhere
    mean1, _ = evaluate(q, "CartPole-v1", episodes=4, seed=0)
    assert mean1 == pytest.approx(_returns_by_hand(lambda obs: 1, 0, 4).mean())


def test_evaluate_refuses_a_ready_env():
    with pytest.raises(TypeError, match="environment id"):
        evaluate(lambda b: np.zeros(len(b), int), gym.make("CartPole-v1"), seed=0)


# ---------------------------------------------------------------- progress bar, threads
def test_progress_bar_is_silent_by_default(capsys):
    bar = progress_bar(10)
    bar.update(5)
    bar.set_postfix(x=1)
    bar.close()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_torch_threads_sets_and_restores_the_count():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before


# ---------------------------------------------------------------- spaces
def test_a_continuous_action_space_is_refused_with_the_space_named():
    with pytest.raises(ValueError, match=r"action space is Box.*Discrete actions"):
        make_vector_env("Pendulum-v1")


def test_a_discrete_observation_is_refused_with_the_space_named():
    with pytest.raises(ValueError, match=r"observation space is Discrete.*Box observation"):
        check_box_discrete(gym.spaces.Discrete(16), gym.spaces.Discrete(4))
    assert check_box_discrete(gym.spaces.Box(-1, 1, (3,), np.float32), gym.spaces.Discrete(5)) == (
        3,
        5,
    )


# ---------------------------------------------------------------- the truncation trap
def _short_cartpole():
    return gym.wrappers.TimeLimit(gym.make("CartPole-v1").unwrapped, max_episode_steps=5)


def test_a_truncated_transition_keeps_its_true_final_observation_and_bootstraps_from_it():
    actions = [0, 1, 0, 1, 0]  # keeps the pole up for 5 steps: the time limit ends the episode
    # reference: the same env, same seed, stepped by hand
    ref = _short_cartpole()
    ref.reset(seed=11)
    for a in actions:
        final_obs, *_ = ref.step(a)

    envs = make_vector_env(_short_cartpole, 1)
    envs.reset(seed=11)
    for t, a in enumerate(actions):
        obs, next_obs, r, terminated, truncated = step_transitions(envs, np.array([a]))
        if t < 4:
            np.testing.assert_array_equal(obs, next_obs)  # mid-episode: the same observation
    assert truncated[0] and not terminated[0]  # a time limit, not a terminal state
    np.testing.assert_array_equal(next_obs[0], final_obs)  # s' = the true final observation
    assert not np.allclose(obs[0], final_obs)  # obs = the next episode's first observation
    assert np.all(np.abs(obs[0]) <= 0.05)  # CartPole resets uniformly in [-0.05, 0.05]

    # the target bootstraps from s' = final_obs: y = r + gamma max_a w_a . s'
    W = torch.tensor([[1.0, 2.0, 0.5, -1.0], [0.0, -1.0, 3.0, 2.0]])
    q_next = torch.as_tensor(next_obs) @ W.T  # (1, 2)
    y = td_target(
        torch.as_tensor(r, dtype=torch.float32), q_next, torch.as_tensor(terminated), gamma=0.9
    )
    s = [float(v) for v in final_obs]
    by_hand = 1.0 + 0.9 * max(
        s[0] + 2 * s[1] + 0.5 * s[2] - s[3], -s[1] + 3 * s[2] + 2 * s[3]
    )  # r = 1 on every CartPole step
    assert y.item() == pytest.approx(by_hand, rel=1e-5)
    # the trap: bootstrapping from the next episode's first observation gives another number
    wrong = 1.0 + 0.9 * (torch.as_tensor(obs) @ W.T).max().item()
    assert abs(wrong - by_hand) > 1e-3


def test_a_terminated_transition_does_not_bootstrap():
    envs = make_vector_env("CartPole-v1", 2)
    envs.reset(seed=0)
    for _ in range(200):  # always push left: the pole falls within a few dozen steps
        obs, next_obs, r, terminated, truncated = step_transitions(envs, np.array([0, 0]))
        if terminated.any():
            break
    assert terminated.any() and not truncated.any()
    q_next = torch.full((2, 2), 100.0)
    y = td_target(torch.as_tensor(r), q_next, torch.as_tensor(terminated), gamma=0.99)
    expected = np.where(terminated, 1.0, 1.0 + 0.99 * 100.0)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)


def test_step_transitions_refuses_a_next_step_vector_env():
    envs = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1")])
    envs.reset(seed=0)
    with pytest.raises(ValueError, match="SAME_STEP"):
        step_transitions(envs, np.array([0]))


# ---------------------------------------------------------------- checkpoints
def test_checkpoint_round_trip_of_tensors_arrays_and_rng_states(tmp_path):
    rng = np.random.default_rng(4)
    state = {
        "weights": mlp([3, 4, 2]).state_dict(),
        "history": {"loss": np.array([0.5, 0.25]), "steps": np.array([1, 2], dtype=np.int64)},
        "config": {"gamma": 0.99, "hidden_sizes": (256, 256), "max_grad_norm": None},
        "rng": rng.bit_generator.state,
        "step": np.int64(7),
    }
    path = save_checkpoint(tmp_path / "sub" / "ck.pt", state)
    loaded = load_checkpoint(path)
    for k, v in state["weights"].items():
        assert torch.equal(loaded["weights"][k], v)
    np.testing.assert_array_equal(np.asarray(loaded["history"]["loss"]), [0.5, 0.25])
    assert loaded["config"] == state["config"] and loaded["step"] == 7
    restored = np.random.default_rng()
    restored.bit_generator.state = loaded["rng"]
    np.testing.assert_array_equal(restored.random(5), rng.random(5))
    assert not (tmp_path / "sub" / "ck.pt.tmp").exists()


class _Evil:
    def __reduce__(self):
        return (print, ("this ran",))


def test_load_checkpoint_refuses_code_and_missing_files(tmp_path):
    path = tmp_path / "evil.pt"
    buffer = io.BytesIO()
    torch.save({"x": _Evil()}, buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(path)
    with pytest.raises(FileNotFoundError, match="checkpoint_path"):
        load_checkpoint(tmp_path / "nothing.pt")
