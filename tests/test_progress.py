"""Long loops show a tqdm bar with progress=True and stay silent by default (DESIGN: long work
shows progress and can be silenced)."""

import numpy as np
import pytest

from rlcourse.envs import MineGrid
from rlcourse.mdp import grid_mdp, solve_value_iteration
from rlcourse.tabular import (
    train_gradient_mc,
    train_mc_prediction,
    train_q_learning,
    train_sarsa,
    train_semi_gradient_td0,
    train_td0_prediction,
)


def _runs():
    env = MineGrid("small")
    pi = np.full((env.observation_space.n, 4), 0.25)
    return {
        "value iteration": lambda p: solve_value_iteration(grid_mdp(20, 20), tol=1e-6, progress=p),
        "Q-learning": lambda p: train_q_learning(env, n_episodes=20, seed=0, progress=p),
        "SARSA": lambda p: train_sarsa(env, n_episodes=20, seed=0, progress=p),
        "MC": lambda p: train_mc_prediction(env, pi, n_episodes=20, seed=0, progress=p),
        "TD0": lambda p: train_td0_prediction(env, pi, n_episodes=20, seed=0, progress=p),
        "gradient MC": lambda p: train_gradient_mc(
            env, pi, np.eye(env.n_states), n_episodes=20, alpha=0.1, seed=0, progress=p
        ),
        "semi-gradient TD": lambda p: train_semi_gradient_td0(
            env, pi, np.eye(env.n_states), n_episodes=20, seed=0, progress=p
        ),
    }


@pytest.mark.parametrize("name", list(_runs()))
def test_progress_bar_only_when_asked_and_same_numbers(name, capsys):
    run = _runs()[name]
    quiet = run(False)
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""
    loud = run(True)
    err = capsys.readouterr().err
    assert "it/s" in err or "s/it" in err or "|" in err, f"no tqdm bar on stderr: {err!r}"
    a = quiet.V if hasattr(quiet, "V") else quiet.Q
    b = loud.V if hasattr(loud, "V") else loud.Q
    assert np.array_equal(a, b)  # the bar never touches the random stream
