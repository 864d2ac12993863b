"""Long loops show a tqdm bar with progress=True and stay silent by default (DESIGN: long work
shows progress and can be silenced)."""
import numpy as np
import pytest

from rlcourse.envs import MineGrid
from rlcourse.mdp import grid_mdp, value_iteration
from rlcourse.tabular import mc_prediction, q_learning, sarsa, td0_prediction


def _runs():
    env = MineGrid("small")
    pi = np.full((env.observation_space.n, 4), 0.25)
    return {
        "value iteration": lambda p: value_iteration(grid_mdp(20, 20), tol=1e-6, progress=p),
        "Q-learning": lambda p: q_learning(env, n_episodes=20, seed=0, progress=p),
        "SARSA": lambda p: sarsa(env, n_episodes=20, seed=0, progress=p),
        "MC": lambda p: mc_prediction(env, pi, n_episodes=20, seed=0, progress=p),
        "TD0": lambda p: td0_prediction(env, pi, n_episodes=20, seed=0, progress=p),
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
