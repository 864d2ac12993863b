"""The experiments the chapters reproduce (rlcourse.tabular.experiments), at cheap settings,
against numbers worked out independently."""

import numpy as np
import pytest

from rlcourse.envs import MineGrid
from rlcourse.tabular import one_hot_features, state_aggregation_features
from rlcourse.tabular.experiments import (
    example_6_2_random_walk,
    example_6_6_cliff_walking,
    example_9_1_random_walk,
    minegrid_q_learning,
)


def test_example_6_2_random_walk_curves():
    curves = example_6_2_random_walk(
        {"TD 0.1": ("td", 0.1), "MC": ("mc", None)}, n_episodes=20, seeds=range(3)
    )
    assert set(curves) == {"TD 0.1", "MC"}
    for errors in curves.values():
        assert errors.shape == (3, 21)
        # before training V = 1/2 on A..E against k/6: RMS = sqrt((2/36 + 8/36) / 5) = sqrt(1/18)
        np.testing.assert_allclose(errors[:, 0], np.sqrt(1 / 18))
    # training helps on average, and the same seed gives the same curve
    assert curves["TD 0.1"][:, -1].mean() < np.sqrt(1 / 18)
    again = example_6_2_random_walk({"TD 0.1": ("td", 0.1)}, n_episodes=20, seeds=range(3))
    np.testing.assert_array_equal(again["TD 0.1"], curves["TD 0.1"])
    with pytest.raises(ValueError, match="'mc' or 'td'"):
        example_6_2_random_walk({"bad": ("sarsa", 0.1)}, n_episodes=2, seeds=[0])


def test_example_9_1_random_walk_exact_answers():
    n, jump = 20, 3
    task = example_9_1_random_walk(n, jump=jump)
    assert task.start == n // 2 and task.mrp.n_states == n + 2
    # V independently: push the distribution forward until it is absorbed, V = P(right) - P(left)
    D = np.eye(n + 2)
    for _ in range(3000):
        D = D @ task.mrp.P
    np.testing.assert_allclose(task.V, np.r_[0.0, (D[:, -1] - D[:, 0])[1:-1], 0.0], atol=1e-9)
    assert task.mu[0] == task.mu[-1] == 0.0 and task.mu.sum() == pytest.approx(1.0)
    assert task.rms(task.V) == 0.0
    # one-hot features: the best fit and the TD fixed point are both the exact V
    Phi = one_hot_features(n + 2)
    np.testing.assert_allclose(Phi @ task.best_fit(Phi), task.V, atol=1e-10)
    np.testing.assert_allclose(Phi @ task.td_fixed_point(Phi), task.V, atol=1e-10)
    # aggregation: the best fit is never worse than TD's fixed point under RMS_mu
    Phi = task.features(state_aggregation_features(n, 4))
    assert Phi.shape == (n + 2, 4) and np.all(Phi[[0, -1]] == 0.0)
    assert task.rms(Phi @ task.best_fit(Phi)) <= task.rms(Phi @ task.td_fixed_point(Phi)) + 1e-12
    with pytest.raises(ValueError, match="one row per non-terminal state"):
        task.features(np.ones((n + 2, 3)))


def test_minegrid_q_learning_stops_when_optimal():
    every = minegrid_q_learning(range(2), n_episodes=300)  # checked after every episode
    tens = minegrid_q_learning(range(2), n_episodes=300, check_every=10)
    for run, run10 in zip(every, tens):
        assert run.stopped_at is not None and run10.stopped_at % 10 == 0
        assert run.stopped_at <= run10.stopped_at  # same seed, same episodes until it stops
        for r in (run, run10):
            assert MineGrid().greedy_route(r.Q).arrows == "→→↓↓↓→→↓"


def test_example_6_6_cliff_walking_runs_both_methods_per_seed():
    runs = example_6_6_cliff_walking(range(2), n_episodes=20)
    assert set(runs) == {"Q-learning", "SARSA"}
    assert [r.seed for r in runs["SARSA"]] == [0, 1]
    assert all(len(r.history["return"]) == 20 for rs in runs.values() for r in rs)
