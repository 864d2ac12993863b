"""MineGrid: gymnasium API, rewards worked out by hand, exact model vs sampled steps."""

import importlib
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rlcourse  # noqa: F401  (registers rlcourse/MineGrid-v0)
from rlcourse import grid
from rlcourse.envs import ACTION_NAMES, LAYOUTS, MineGrid
from rlcourse.mdp import solve_value_iteration

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
ENV_ID = "rlcourse/MineGrid-v0"


# ---------------------------------------------------------------- gymnasium API
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"slip": 0.2}, {"layout": "cliff"}, {"layout": "walls", "slip": 0.3}, {"layout": "small"}],
)
def test_check_env_passes_without_warnings(kwargs):
    env = gym.make(ENV_ID, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a checker warning is a failure
        check_env(env.unwrapped, skip_render_check=False)


def test_make_registers_without_time_limit():
    env = gym.make(ENV_ID, layout="small", max_steps=7)
    assert env.spec.max_episode_steps is None  # the env truncates itself
    assert isinstance(env.unwrapped, MineGrid)
    obs, info = env.reset(seed=0)
    assert obs == env.unwrapped.start_state == 0
    assert info["position"] == (0, 0)
    # registering again (re-import) is harmless
    importlib.reload(importlib.import_module("rlcourse.envs"))
    assert ENV_ID in gym.registry


def _trajectory(env, seed, n=60):
    actions = np.random.default_rng(123).integers(0, 4, size=n)  # same actions for every seed
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for a in actions:
        obs, r, term, trunc, _ = env.step(a)
        out.append((obs, r))
        if term or trunc:
            obs, _ = env.reset()
            out.append(obs)
    return out


def test_same_seed_same_trajectory_under_slip():
    env = MineGrid("cliff", slip=0.4, max_steps=15)
    assert _trajectory(env, 7) == _trajectory(env, 7)
    assert _trajectory(MineGrid("cliff", slip=0.4, max_steps=15), 7) == _trajectory(env, 7)
    assert _trajectory(env, 7) != _trajectory(env, 8)


# ---------------------------------------------------------------- rewards by hand
def test_default_layout_is_as_documented():
    env = MineGrid()
    assert (env.n_rows, env.n_cols) == (5, 5)
    assert env.power_tiles == [(1, 2), (3, 0)]  # row-major: bit 0 = (1, 2), bit 1 = (3, 0)
    assert env.n_states == 25 * 4
    assert env.start_state == env.encode(0, 0, 0) == 0
    mines = {(r, c) for r in range(5) for c in range(5) if env.grid[r, c] == "M"}
    assert mines == {(1, 1), (1, 3), (2, 3), (3, 1), (4, 3)}
    assert env.grid[4, 4] == "E"


def _run(env, actions):
    env.reset(seed=0)
    return [env.step(a) for a in actions]


def test_power_once_then_blank_then_mine():
    env = MineGrid()
    steps = _run(env, [UP, LEFT, RIGHT, RIGHT, DOWN, UP, DOWN, LEFT])
    rewards = [r for _, r, _, _, _ in steps]
    #          bump bump  .    .   P(+1)  .   P again(-1) mine
    assert rewards == [-1, -1, -1, -1, 1, -1, -1, -100]
    assert [t for _, _, t, _, _ in steps] == [False] * 7 + [True]
    assert not any(tr for _, _, _, tr, _ in steps)
    assert [i["position"] for *_, i in steps] == [
        (0, 0),
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 2),
        (0, 2),
        (1, 2),
        (1, 1),
    ]
    assert steps[4][4]["tile"] == "P" and steps[4][4]["power_mask"] == 1
    assert steps[6][4]["tile"] == "." and steps[6][4]["power_mask"] == 1
    assert steps[7][4]["tile"] == "M"
    assert steps[4][0] == env.encode(1, 2, 1) == 25 + 5 * 1 + 2


def test_optimal_route_rewards_and_end():
    env = MineGrid()
    steps = _run(env, [RIGHT, RIGHT, DOWN, DOWN, DOWN, RIGHT, RIGHT, DOWN])
    assert [r for _, r, _, _, _ in steps] == [-1, -1, 1, -1, -1, -1, -1, 100]
    assert steps[-1][2] is True and steps[-1][3] is False
    assert steps[-1][4]["tile"] == "E" and steps[-1][4]["position"] == (4, 4)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(UP)


def test_walls_block_and_cost_a_step():
    env = MineGrid("walls")
    env.reset(options={"state": env.encode(1, 0, 0)})
    obs, r, *_ = env.step(RIGHT)  # (1, 1) is a wall
    assert (obs, r) == (env.encode(1, 0, 0), -1.0)


def test_step_before_reset_raises():
    with pytest.raises(RuntimeError, match="reset"):
        MineGrid().step(0)


def test_invalid_action_raises():
    env = MineGrid()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="up"):
        env.step(4)


def test_truncation_at_max_steps():
    env = MineGrid(max_steps=3)
    env.reset(seed=0)
    flags = [env.step(UP)[2:4] for _ in range(3)]
    assert flags == [(False, False), (False, False), (False, True)]
    with pytest.raises(RuntimeError):
        env.step(UP)
    env.reset()
    assert env.step(UP)[3] is False  # the step counter restarts


def test_termination_on_last_step_is_not_truncation():
    env = MineGrid("small", max_steps=4)
    env.reset(seed=0)
    out = [env.step(a) for a in (RIGHT, RIGHT, DOWN, DOWN)]
    assert [o[1] for o in out] == [-1, 1, -1, 100]
    assert out[-1][2:4] == (True, False)


def test_reset_from_any_state():
    env = MineGrid()
    s = env.encode(2, 4, 3)
    obs, info = env.reset(options={"state": s})
    assert obs == s and info["position"] == (2, 4) and info["power_mask"] == 3
    assert env.step(DOWN)[:3] == (env.encode(3, 4, 3), -1.0, False)
    with pytest.raises(ValueError, match="terminal"):
        env.reset(options={"state": env.encode(1, 1, 0)})
    with pytest.raises(ValueError, match="not a valid state"):
        env.reset(options={"state": 10_000})


def test_encode_decode_and_names():
    env = MineGrid()
    for s in range(env.n_states):
        assert env.encode(*env.decode(s)) == s
    assert env.decode(env.encode(3, 2, 2)) == (3, 2, 2)
    assert env.state_name(env.encode(0, 1, 0)) == "r0c1|p00"
    assert env.state_name(env.encode(0, 1, 2)) == "r0c1|p01"  # tile 1 (3, 0) collected
    assert MineGrid("cliff").state_name(13) == "r1c1"
    assert env.position_of(env.encode(4, 3, 1)) == (4, 3)


# ---------------------------------------------------------------- layouts and errors
def test_layouts_parse():
    cliff = MineGrid("cliff")
    assert (cliff.n_rows, cliff.n_cols) == (4, 12)
    assert cliff.start_position == (3, 0) and cliff.grid[3, 11] == "E"
    assert all(cliff.grid[3, c] == "M" for c in range(1, 11))
    assert cliff.n_states == 48 and cliff.power_tiles == []
    assert set(LAYOUTS) >= {"default", "cliff", "small"}
    a = MineGrid("S.P\n.M.\n..E")
    b = MineGrid("""
        S . P
        . M .
        . . E
    """)
    assert (a.grid == b.grid).all() and (a.grid == MineGrid("small").grid).all()
    assert MineGrid("SE").n_states == 2


@pytest.mark.parametrize(
    "layout, pattern",
    [
        ("..\n.E", "exactly one start 'S', found 0"),
        ("SS\n.E", r"exactly one start 'S', found 2 at \(row, col\) \[\(0, 0\), \(0, 1\)\]"),
        ("S.\n..", "no end tile 'E'"),
        ("S..\n.XE", r"unknown tile 'X' at row 1, col 1.*'S' start.*'#' wall"),
        ("S..\n.E", "ragged layout: row 1 has 2 tiles but row 0 has 3"),
        ("   \n  ", "empty"),
        ("defualt", "unknown layout name 'defualt'.*'default'"),  # codespell:ignore defualt
        ("S" + "P" * 11 + "E", "at most 10"),
    ],
)
def test_layout_errors(layout, pattern):
    with pytest.raises(ValueError, match=pattern):
        MineGrid(layout)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"slip": -0.1}, r"slip must be a probability in \[0, 1\)"),
        ({"slip": 1.0}, r"slip must be a probability in \[0, 1\)"),
        ({"max_steps": 0}, r"max_steps must be a positive integer \(>= 1\)"),
        ({"render_mode": "human"}, "render_mode 'human' is not supported"),
    ],
)
def test_argument_errors(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        MineGrid(**kwargs)


# ---------------------------------------------------------------- exact model
def _model(env):
    """(P, R, terminal) from outcomes(); an MDP-free copy of what to_mdp builds."""
    S, A = env.n_states, 4
    P, R = np.zeros((S, A, S)), np.zeros((S, A))
    terminal = np.array([env.is_terminal(s) for s in range(S)])
    for s in np.flatnonzero(~terminal):
        for a in range(A):
            for o in env.outcomes(s, a):
                P[s, a, o.next_state] += o.prob
                R[s, a] += o.prob * o.reward
    return P, R, terminal


def _standable(env):
    """Non-terminal states the robot can be put in with reset(options={"state": s})."""
    return [
        s
        for s in range(env.n_states)
        if not env.is_terminal(s) and env.grid[env.position_of(s)] != "#"
    ]


@pytest.mark.parametrize("layout, slip", [("default", 0.2), ("walls", 0.3), ("small", 0.5)])
def test_model_matches_step_by_enumerating_the_slip(layout, slip):
    """p(s', r | s, a) = (1 - slip) [move a] + slip/2 [move a+1] + slip/2 [move a-1],
    where each move is one deterministic env.step of the slip=0 grid."""
    env = MineGrid(layout, slip=slip)
    P, R, _ = _model(env)
    det = MineGrid(layout, slip=0.0)
    for s in _standable(env):
        for a in range(4):
            p_expected, r_expected = np.zeros(env.n_states), 0.0
            for d, p in [(a, 1 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)]:
                det.reset(options={"state": s})
                s2, r, *_ = det.step(d)
                p_expected[s2] += p
                r_expected += p * r
            np.testing.assert_allclose(P[s, a], p_expected, atol=1e-12)
            assert R[s, a] == pytest.approx(r_expected, abs=1e-12)


def test_model_matches_sampled_steps_monte_carlo():
    """Mean reward of 4000 slipping steps from (0, 2) going down (next to two mines) is
    within 4 standard errors of R(s, a)."""
    env = MineGrid(slip=0.3)
    _, R, _ = _model(env)
    s, a, n = env.encode(0, 2, 0), DOWN, 4000
    env.reset(seed=1)
    rewards = []
    for _ in range(n):
        env.reset(options={"state": s})
        rewards.append(env.step(a)[1])
    rewards = np.array(rewards)
    se = rewards.std(ddof=1) / np.sqrt(n)
    # by hand: down enters the power tile (1, 2); the slips enter the blanks (0, 1), (0, 3)
    expected = 0.7 * 1 + 0.15 * (-1) + 0.15 * (-1)
    assert R[s, a] == pytest.approx(expected)
    assert abs(rewards.mean() - R[s, a]) < 4 * se + 1e-12
    # right from (2, 2) with (1, 2) collected: mine (2, 3), or slip to the blanks (1, 2), (3, 2)
    s = env.encode(2, 2, 1)
    assert R[s, RIGHT] == pytest.approx(0.7 * -100 + 0.15 * -1 + 0.15 * -1)


@pytest.mark.parametrize(
    "layout, slip", [("default", 0.0), ("default", 0.2), ("cliff", 0.1), ("walls", 0.0)]
)
def test_to_mdp(layout, slip):
    env = MineGrid(layout, slip=slip)
    mdp = env.to_mdp(gamma=0.95)
    P, R, terminal = _model(env)
    assert mdp.P.shape == (env.n_states, 4, env.n_states) and mdp.gamma == 0.95
    np.testing.assert_allclose(mdp.P.sum(axis=2), 1.0)
    np.testing.assert_allclose(mdp.P[~terminal], P[~terminal])
    np.testing.assert_allclose(mdp.R, R)
    np.testing.assert_array_equal(mdp.terminal, terminal)
    assert list(mdp.actions) == ["up", "right", "down", "left"]
    assert list(mdp.states)[:2] == [env.state_name(0), env.state_name(1)]
    for s in np.flatnonzero(terminal):
        assert env.grid[env.position_of(s)] in "ME"


def _greedy_rollout(env, pi, gamma):
    s, _ = env.reset(seed=0)
    G, k, actions, done = 0.0, 0, [], False
    while not done:
        a = int(pi[s].argmax())
        s, r, term, trunc, _ = env.step(a)
        G += gamma**k * r
        k += 1
        actions.append(a)
        done = term or trunc
    return G, actions


def test_value_iteration_route_on_default_layout():
    """The docstring's claim: V*(start) = 44.2327 at gamma = 0.9, route R R D D D R R D."""
    env = MineGrid()
    res = solve_value_iteration(env.to_mdp(gamma=0.9), tol=1e-12)
    G, actions = _greedy_rollout(env, res.policy, 0.9)
    by_hand = -1 - 0.9 + 0.9**2 - 0.9**3 - 0.9**4 - 0.9**5 - 0.9**6 + 100 * 0.9**7
    assert actions == [RIGHT, RIGHT, DOWN, DOWN, DOWN, RIGHT, RIGHT, DOWN]
    assert pytest.approx(by_hand, abs=1e-9) == G
    assert res.V[env.start_state] == pytest.approx(G, abs=1e-8)
    assert res.V[env.start_state] == pytest.approx(44.2327, abs=1e-4)


def test_value_iteration_with_slip_takes_the_safe_route():
    env = MineGrid(slip=0.1)
    res = solve_value_iteration(env.to_mdp(gamma=0.9), tol=1e-12)
    assert res.V[env.start_state] == pytest.approx(16.4600, abs=1e-4)
    # intended actions along the safe route: right x4 then down x4 (no power)
    s, actions = env.start_state, []
    for _ in range(8):
        a = int(res.policy[s].argmax())
        actions.append(a)
        s = env.move(s, a).next_state
    assert actions == [RIGHT] * 4 + [DOWN] * 4


def test_value_iteration_on_cliff_walks_along_the_edge():
    env = MineGrid("cliff")
    res = solve_value_iteration(env.to_mdp(gamma=1.0), tol=1e-12)
    G, actions = _greedy_rollout(env, res.policy, 1.0)
    assert actions == [UP] + [RIGHT] * 11 + [DOWN]
    assert pytest.approx(-12 + 100) == G
    assert res.V[env.start_state] == pytest.approx(G, abs=1e-8)


def test_sparse_model_equals_the_dense_one():
    for layout, slip in [("default", 0.2), ("walls", 0.0), ("cliff", 0.1)]:
        env = MineGrid(layout, slip=slip)
        dense, sparse = env.to_mdp(gamma=0.9), env.to_mdp(gamma=0.9, sparse=True)
        assert sparse.is_sparse and sparse.P.shape == (env.n_states * 4, env.n_states)
        np.testing.assert_array_equal(sparse.P.toarray().reshape(dense.P.shape), dense.P)
        np.testing.assert_array_equal(sparse.R, dense.R)
        np.testing.assert_array_equal(sparse.terminal, dense.terminal)
        assert sparse.P.getnnz(axis=1).max() <= 3  # at most 3 outcomes (ahead, two slips)


def test_ten_power_tiles_dense_model_is_refused_with_the_reason():
    layout = "S P P P P\nP P P P P\nP . . . E"  # 10 power tiles: 15 cells x 2**10 masks
    env = MineGrid(layout)
    assert env.n_states == 15 * 1024
    with pytest.raises(ValueError) as e:
        env.to_mdp()
    msg = str(e.value)
    for words in ("10 power tiles", "15 cells x 2**10", "15,360", "GiB", "sparse=True"):
        assert words in msg, (words, msg)
    sparse = env.to_mdp(sparse=True)  # builds in a moment, never allocating the dense P
    assert sparse.is_sparse and sparse.n_states == 15_360


# ---------------------------------------------------------------- greedy routes
def test_greedy_route_of_the_optimal_policy_is_the_documented_one():
    env = MineGrid()
    res = solve_value_iteration(env.to_mdp(gamma=0.9), tol=1e-12)
    for table in (res.Q, res.policy):  # a Q-table or a one-hot policy
        route = env.greedy_route(table)
        assert route.arrows == "→→↓↓↓→→↓"
        assert route.steps == 8 and route.terminated
        assert route.rewards == (-1, -1, 1, -1, -1, -1, -1, 100)
        assert route.total_reward == 95.0
        # by hand: -1 - 0.9 + 0.9^2 - 0.9^3 - 0.9^4 - 0.9^5 - 0.9^6 + 100 * 0.9^7 = 44.2327 = V*
        assert route.discounted_return(0.9) == pytest.approx(44.2327, abs=1e-4)
        assert route.discounted_return(0.9) == pytest.approx(res.V[env.start_state], abs=1e-9)
        assert route.states[0] == env.start_state
        assert env.position_of(route.states[-1]) == (4, 4)


def test_greedy_route_ties_go_to_the_lowest_action():
    env = MineGrid("small")
    Q = np.zeros((env.n_states, 4))  # every action tied: always "up", bumps the top border
    route = env.greedy_route(Q, max_steps=5)
    assert route.actions == (0,) * 5 and route.arrows == "↑↑↑↑↑"
    assert not route.terminated and route.states == (env.start_state,) * 6
    Q[:, [1, 2]] = 1.0  # right and down tied: right (1) wins, up to the border and into it
    route = env.greedy_route(Q, max_steps=5)
    assert route.arrows == "→→→→→" and not route.terminated
    assert route.rewards == (-1, 1, -1, -1, -1)  # blank, power (+1), then bumps
    Q[[env.encode(0, 2, 1), env.encode(1, 2, 1)], 2] = 2.0  # down the right column to the end
    route = env.greedy_route(Q)
    assert route.arrows == "→→↓↓" and route.total_reward == -1 + 1 - 1 + 100


def test_one_set_of_grid_actions():
    assert ACTION_NAMES is grid.ACTION_NAMES == ("up", "right", "down", "left")
    assert grid.ARROW_GLYPHS == "↑→↓←"
    for a, (d_row, d_col) in enumerate(grid.MOVES.tolist()):
        assert grid.ARROWS[a] == (d_col, d_row)  # (dx, dy) with y pointing down
        for side in grid.PERPENDICULAR[a]:  # at right angles: dot product 0
            assert d_row * grid.MOVES[side][0] + d_col * grid.MOVES[side][1] == 0


# ---------------------------------------------------------------- rendering
def test_render_ansi():
    env = MineGrid(render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "R . . . .\n. M P M .\n. . . M .\nP M . . .\n. . . M E\n"
    for a in (RIGHT, RIGHT, DOWN, UP):
        env.step(a)
    text = env.render()
    assert text.splitlines()[0] == "(up)"
    assert text.splitlines()[1:3] == ["S . R . .", ". M . M ."]  # power collected -> '.'


def test_render_rgb_array():
    env = MineGrid(render_mode="rgb_array")
    env.reset(seed=0)
    img = env.render()
    assert img.shape == (5 * 32, 5 * 32, 3) and img.dtype == np.uint8
    robot, blank, power = (30, 60, 200), (235, 235, 235), (250, 210, 40)
    assert tuple(img[16, 16]) == robot  # centre of (0, 0)
    assert tuple(img[32 + 16, 2 * 32 + 3]) == power  # edge of the power tile (1, 2)
    env.step(RIGHT), env.step(RIGHT), env.step(DOWN), env.step(UP)
    img = env.render()
    assert tuple(img[32 + 16, 2 * 32 + 3]) == blank  # collected
    assert tuple(img[16, 2 * 32 + 16]) == robot


def test_render_without_mode_warns():
    env = MineGrid()
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert env.render() is None
