"""rlcourse.plots: each function draws what it says on the Axes it returns."""

import matplotlib

matplotlib.use("Agg")  # inside the test only; the package never picks a backend

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrow  # noqa: E402

from rlcourse import plots  # noqa: E402
from rlcourse.envs import MineGrid  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _arrows(ax):
    return [p for p in ax.patches if isinstance(p, FancyArrow)]


def _one_hot(actions, A=4):
    return np.eye(A)[np.asarray(actions)]


def test_import_has_no_side_effects():
    import subprocess
    import sys

    code = "import rlcourse.plots, sys; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plot_values_minegrid_mask_slices_and_arrows():
    env = MineGrid()  # 5 x 5, 5 mines, 1 end, power tiles (1, 2) and (3, 0)
    V = np.arange(env.n_states, dtype=float)
    pi = _one_hot(np.full(env.n_states, 1))  # always right
    ax = plots.plot_values(env, V, pi)
    assert len(ax.images) == 1
    np.testing.assert_array_equal(ax.images[0].get_array(), V[:25].reshape(5, 5))
    # arrows: 25 cells - 5 mines - 1 end - 2 uncollected power tiles
    assert len(_arrows(ax)) == 17
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("M") == 5 and texts.count("E") == 1 and texts.count("P") == 2
    assert "24.0" in texts  # annotated value of cell (4, 4) in mask 0

    _, ax = plt.subplots()
    out = plots.plot_values(env, V, pi, ax=ax, mask=3)  # both collected: power is blank
    assert out is ax
    np.testing.assert_array_equal(ax.images[0].get_array(), V[75:].reshape(5, 5))
    assert len(_arrows(ax)) == 19
    assert "r0c0|p11"[-3:] in ax.get_title()


def test_plot_values_stochastic_policy_draws_argmax_and_ties():
    env = MineGrid("small")  # 3 x 3: 1 mine, 1 end, 1 power tile
    V = np.zeros(env.n_states)
    pi = np.full((env.n_states, 4), 0.25)
    pi[0] = [0.1, 0.6, 0.2, 0.1]
    ax = plots.plot_values(env, V, pi, annotate=False)
    # 9 - mine - end - uncollected power = 6 cells; (0, 0) has one argmax, 5 cells tie 4-way
    assert len(_arrows(ax)) == 1 + 5 * 4


def test_plot_values_walls_are_masked():
    env = MineGrid("walls")
    V = np.ones(env.n_states)
    ax = plots.plot_values(env, V, _one_hot(np.zeros(env.n_states, int)))
    image = ax.images[0].get_array()
    n_walls = int((env.grid == "#").sum())
    n_power = int((env.grid == "P").sum())  # uncollected power: the robot cannot stand there
    assert int(np.ma.getmaskarray(image).sum()) == n_walls + n_power == 6 + 1
    # 25 - 6 walls - 1 mine - 1 end - 1 power
    assert len(_arrows(ax)) == 16


def test_plot_values_plain_array_and_shape():
    V2 = np.arange(12.0).reshape(3, 4)
    ax = plots.plot_values(None, V2, title="V")
    assert ax.get_title() == "V" and len(_arrows(ax)) == 0
    np.testing.assert_array_equal(ax.images[0].get_array(), V2)
    ax = plots.plot_values((3, 4), V2.ravel(), policy=_one_hot(np.arange(12) % 4))
    assert len(_arrows(ax)) == 12
    with pytest.raises(ValueError, match="12 cells"):
        plots.plot_values((3, 4), np.zeros(10))
    with pytest.raises(ValueError, match="mask=4"):
        plots.plot_values(MineGrid(), np.zeros(100), mask=4)
    with pytest.raises(ValueError, match="MineGrid has 100 states"):
        plots.plot_values(MineGrid(), np.zeros(7))


def test_plot_convergence_accepts_histories():
    history = [{"delta": 0.9**k} for k in range(30)]
    ax = plots.plot_convergence(history, label="value iteration")
    plots.plot_convergence(np.array([0.5**k for k in range(10)]), ax=ax, label="other")
    plots.plot_convergence({"delta": [1.0, 0.1]}, ax=ax)
    assert len(ax.lines) == 3 and ax.get_yscale() == "log"
    x, y = ax.lines[0].get_data()
    np.testing.assert_array_equal(x, np.arange(1, 31))
    np.testing.assert_allclose(y, 0.9 ** np.arange(30))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["value iteration", "other"]

    class Result:  # anything with a .history, e.g. DPResult
        history = [{"delta": 1.0, "other": 2.0}]

    ax = plots.plot_convergence(Result(), key="other", log=False)
    assert ax.get_yscale() == "linear" and list(ax.lines[0].get_ydata()) == [2.0]
    with pytest.raises(ValueError, match="no key 'gap'"):
        plots.plot_convergence(history, key="gap")


def test_plot_learning_curve_moving_average():
    values = np.array([0.0, 2, 4, 6, 8, 10])
    ax = plots.plot_learning_curve(values, window=3, label="Q-learning")
    raw, avg = ax.lines
    assert raw.get_alpha() < 0.5
    np.testing.assert_array_equal(raw.get_ydata(), values)
    np.testing.assert_array_equal(avg.get_xdata(), [2, 3, 4, 5])
    np.testing.assert_allclose(avg.get_ydata(), [2, 4, 6, 8])  # means of 3 by hand
    assert avg.get_color() == raw.get_color()
    ax = plots.plot_learning_curve(np.ones(100))  # default window = 100 // 20 = 5
    assert len(ax.lines[1].get_ydata()) == 96
    assert len(plots.plot_learning_curve([1.0, 2.0], window=1).lines) == 1
    with pytest.raises(ValueError, match="window=7"):
        plots.plot_learning_curve([1.0, 2.0], window=7)


def test_plot_q_table():
    Q = np.array([[1.0, 2, 0, 0], [0, 0, 0, 0], [5, 1, 1, 1]])
    ax = plots.plot_q_table(Q, states=["s1", "s2", "s3"])
    assert len(ax.images) == 1
    np.testing.assert_array_equal(ax.images[0].get_array(), Q)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["up", "right", "down", "left"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["s1", "s2", "s3"]
    assert len(ax.texts) == 12
    # best action outlined in rows 1 and 3; the constant row 2 has none
    outlined = sorted((p.get_x() + 0.5, p.get_y() + 0.5) for p in ax.patches)
    assert outlined == [(0.0, 2.0), (1.0, 0.0)]
    with pytest.raises(ValueError, match="names"):
        plots.plot_q_table(Q, states=["a"])


def test_functions_do_not_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() was called"))
    env = MineGrid("small")
    plots.plot_values(env, np.zeros(env.n_states))
    plots.plot_convergence([1.0, 0.5])
    plots.plot_learning_curve([1.0, 2.0, 3.0])
    plots.plot_q_table(np.zeros((3, 4)))


def test_plot_values_visited_mask_fades_cells_and_drops_their_arrows():
    env = MineGrid("small")  # 3 x 3, 18 states
    V = np.zeros(env.n_states)
    pi = _one_hot(np.full(env.n_states, 2))  # always down
    visited = np.zeros(env.n_states)
    visited[[env.encode(0, 0), env.encode(1, 0), env.encode(2, 0)]] = [3, 1, 2]  # counts
    ax = plots.plot_values(env, V, pi, visited=visited)
    assert len(_arrows(ax)) == 3  # only the visited cells of mask 0 get an arrow
    faded = [p for p in ax.patches if not isinstance(p, FancyArrow) and p.get_alpha() == 0.6]
    # every unvisited cell but the mine and the end (terminal: worth 0 whatever was seen)
    assert len(faded) == 9 - 3 - 2
    ax = plots.plot_values(env, V, pi, visited=visited > 0)  # a bool mask works the same
    assert len(_arrows(ax)) == 3
    with pytest.raises(ValueError, match="visited has 7 states"):
        plots.plot_values(env, V, pi, visited=np.ones(7))


def test_plot_values_explains_the_tiles_on_a_minegrid_only():
    ax = plots.plot_values(MineGrid("small"), np.zeros(18))
    assert plots.TILE_KEY in ax.get_xlabel()
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("S") == 1  # the start cell is marked
    ax = plots.plot_values((2, 2), np.zeros(4))
    assert ax.get_xlabel() == "col"


def test_plot_learning_curve_of_a_trainer_history():
    from rlcourse.tabular import train_q_learning

    res = train_q_learning(MineGrid("small"), n_episodes=40, seed=0)
    ax = plots.plot_learning_curve(res.history["return"], window=10, label="Q-learning")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), res.history["return"])
    with pytest.raises(ValueError, match="history"):
        plots.plot_learning_curve([])
