"""Bad input that used to get a poor answer (a numpy/Python internal error, a crash, junk values
or a warning) now gets a clear error saying what is wrong and how to fix it.

One test per fix; the list of what was tried is in the module docstrings of the sections.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import rlcourse.mdp as M


def _mdp(gamma=0.9):
    P = np.zeros((3, 2, 3))
    P[0, 0] = [0.5, 0.5, 0.0]
    P[0, 1] = [0.0, 0.0, 1.0]
    P[1, 0] = [0.0, 1.0, 0.0]
    P[1, 1] = [0.0, 0.5, 0.5]
    P[2, :, 2] = 1.0
    return M.MDP(P, -np.ones((3, 2)), [2], gamma=gamma)


# ============================================================== from the issue
def test_check_policy_with_inf_says_finite():
    m = _mdp()
    pi = np.array([[np.inf, 0.0], [0.5, 0.5], [1.0, 0.0]])
    with pytest.raises(ValueError, match="is inf; every probability must be a finite number"):
        m.check_policy(pi)
    with pytest.raises(ValueError, match="finite"):
        M.evaluate_policy(m, pi)


def test_arrays_where_a_model_is_expected_and_vice_versa():
    m = _mdp()
    with pytest.raises(TypeError, match=r"call evaluate_policy\(mdp, pi\) instead"):
        M.policy_evaluation(m, np.full((3, 2), 0.5))
    with pytest.raises(
        TypeError,
        match=r"evaluate_policy takes an rlcourse.mdp.MDP, got ndarray.*"
        r"policy_evaluation\(P, R, pi",
    ):
        M.evaluate_policy(m.P, np.full((3, 2), 0.5))


def test_markov_chain_distribution_needs_a_whole_number_of_steps():
    chain = M.two_state_chain()
    with pytest.raises(ValueError, match=r"n must be a non-negative integer \(>= 0\), got -3"):
        chain.distribution("a", -3)
    with pytest.raises(TypeError, match=r"n must be an integer \(2.7 is not a whole number\)"):
        chain.distribution("a", 2.7)
    with pytest.raises(TypeError, match="n must be an integer"):
        M.n_step_distribution(chain.P, [1.0, 0.0], 2.7)


def test_terminal_indices_and_mask_mean_the_same():
    m_idx, m_mask = _mdp(), M.MDP(_mdp().P, -np.ones((3, 2)), [False, False, True], gamma=0.9)
    np.testing.assert_array_equal(m_idx.terminal, m_mask.terminal)
    np.testing.assert_array_equal(
        M.solve_value_iteration(m_idx).V, M.solve_value_iteration(m_mask).V
    )
    with pytest.raises(ValueError, match="ambiguous"):
        M.MDP(_mdp().P, -np.ones((3, 2)), [0, 0, 1], gamma=0.9)


@pytest.mark.parametrize(
    "P, R", [(np.zeros((0, 0, 0)), np.zeros((0, 0))), (np.zeros((3, 0, 3)), np.zeros((3, 0)))]
)
def test_an_mdp_of_empty_arrays(P, R):
    with pytest.raises(ValueError, match="the model is empty"):
        M.MDP(P, R, gamma=0.9)
    with pytest.raises(ValueError, match="the model is empty"):
        M.value_iteration(P, R, gamma=0.9)


def _loop(reward):
    """s0: "stay" pays `reward` and stays; "go" pays 0 and ends in T. gamma = 1."""
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = 1.0
    P[1, :, 1] = 1.0
    return M.MDP(
        P, [[reward, 0.0], [0.0, 0.0]], [1], gamma=1.0, states=["s0", "T"], actions=["stay", "go"]
    )


def test_gamma_one_positive_loop_policy_iteration_explains_the_loop():
    with pytest.raises(ValueError) as e:
        M.solve_policy_iteration(_loop(1.0))
    msg = str(e.value)
    assert "'s0' (index 0) loop forever" in msg and "rewards on that loop are positive" in msg
    assert "this policy" not in msg and "pass a policy" not in msg  # the caller passed none
    with pytest.raises(ValueError, match="positive"):
        M.policy_iteration(_loop(1.0).P, _loop(1.0).R, [1], gamma=1.0)


def test_gamma_one_positive_loop_value_iteration_raises():
    with pytest.raises(ValueError, match=r"diverges.*'s0' \(index 0\).*grow by 1 per sweep"):
        M.solve_value_iteration(_loop(1.0))
    with pytest.raises(ValueError, match="diverges"):
        M.value_iteration(_loop(1.0).P, _loop(1.0).R, [1], gamma=1.0)


def test_gamma_one_zero_reward_loop_is_a_tie_not_an_error():
    # staying forever pays 0, exactly as much as ending: V* = 0, and the returned optimal
    # policies end ("go"), so they can be evaluated
    m = _loop(0.0)
    for res in (M.solve_policy_iteration(m), M.solve_value_iteration(m)):
        np.testing.assert_array_equal(res.V, [0.0, 0.0])
        assert res.policy[0].argmax() == 1
        np.testing.assert_array_equal(M.evaluate_policy(m, res.policy).V, [0.0, 0.0])


def test_gamma_one_zero_loop_two_steps_from_the_end():
    # 0 -fwd-> 1 -fwd-> T, "stay" everywhere pays 0: ties; the optimal policy walks forward
    P = np.zeros((3, 2, 3))
    P[0, 0, 0] = P[1, 0, 1] = 1.0
    P[0, 1, 1] = P[1, 1, 2] = 1.0
    P[2, :, 2] = 1.0
    V, pi = M.policy_iteration(P, np.zeros((3, 2)), [2], gamma=1.0)
    np.testing.assert_array_equal(V, 0.0)
    np.testing.assert_array_equal(pi[:2].argmax(axis=1), [1, 1])


def test_evaluate_policy_iterative_refuses_a_never_ending_policy():
    stay = np.array([[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r"never reaches a terminal state from state 's0'"):
        M.evaluate_policy(_loop(1.0), stay, method="iterative")


# ============================================================== found looking for more
# Tried on every public function of rlcourse.mdp: None, strings, ragged lists, model objects
# for arrays and arrays for models, NaN/inf, negative and fractional counts, wrong shapes,
# empty arrays, out-of-range states, seeds of the wrong type, terminal given as a number.
@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: M.discounted_return(None, gamma=0.9), TypeError, "rewards must be a list"),
        (lambda: M.discounted_return(5, gamma=0.9), TypeError, r"write \[5\]"),
        (lambda: M.returns([1.0, np.nan], gamma=0.9), ValueError, r"rewards\[1\] is nan"),
        (lambda: M.n_step_distribution([[1, 1], [1, 1]], [1, 0], 2), ValueError, "sum to 2"),
        (lambda: M.stationary_distribution([[1.5, -0.5], [0.1, 0.9]]), ValueError, "< 0"),
        (lambda: M.n_step_distribution(sp.eye(2), [1, 0], 2), TypeError, "toarray"),
        (lambda: M.mrp_value("abc", [1.0], gamma=0.9), TypeError, "P must be an"),
        (lambda: M.mrp_value([[1, 2], [3]], [1.0], gamma=0.9), TypeError, "different lengths"),
        (lambda: M.MRP(np.eye(2), _mdp(), gamma=0.9), TypeError, "got a MDP object"),
        (lambda: M.MDP("abc", [[1.0]], gamma=0.9), TypeError, r"P must be an \(S, A, S\) array"),
        (lambda: M.induced_mrp(_mdp().P, _mdp().R, np.full((3, 2), 0.7)), ValueError, "sum to 1.4"),
        (lambda: M.induced_mrp(_mdp().P, _mdp().R, np.full((3, 2), np.inf)), ValueError, "finite"),
        (
            lambda: M.q_from_v(_mdp().P, _mdp().R, [np.nan, 0, 0], gamma=0.9),
            ValueError,
            r"V\[0\] is nan",
        ),
        (lambda: M.q_from_v(_mdp().P, _mdp().R, "abc", gamma=0.9), TypeError, "V must be"),
        (
            lambda: M.bellman_optimality(_mdp().P, _mdp().R, [np.inf, 0, 0], gamma=0.9),
            ValueError,
            "finite",
        ),
        (
            lambda: M.bellman_expectation(
                _mdp().P, _mdp().R, np.full((3, 2), np.nan), np.zeros(3), gamma=0.9
            ),
            ValueError,
            "finite",
        ),
        (lambda: M.greedy_policy("abc"), TypeError, r"Q must be an \(S, A\) table"),
        (
            lambda: M.policy_improvement(np.zeros((3, 2)), np.full((3, 2), np.nan)),
            ValueError,
            "finite",
        ),
        (
            lambda: M.on_policy_distribution([[0, 1, 0], [0.5, 0, 0.5], [0, 0, 1]], [2], 2),
            ValueError,
            "every episode starts in a terminal state",
        ),
        (
            lambda: M.on_policy_distribution(
                [[0, 1, 0], [0.5, 0, 0.5], [0, 0, 1]], [2], [0.5, 0.6, 0]
            ),
            ValueError,
            "sum to 1.1",
        ),
        (
            lambda: M.on_policy_distribution([[0.5, 0.6, 0], [0.5, 0, 0.5], [0, 0, 1]], [2], 0),
            ValueError,
            "state 0 sum to 1.1",
        ),
        (
            lambda: M.MRP.from_policy(_mdp().P, np.full((3, 2), 0.5)),
            TypeError,
            r"induced_mrp\(P, R, pi\)",
        ),
        (lambda: M.uniform_policy(np.zeros((3, 2))), TypeError, r"np.full\(\(S, A\), 1 / A\)"),
        (lambda: M.random_walk_mrp().bellman([1, 2]), ValueError, r"V must have shape \(7,\)"),
        (lambda: M.solve_value_iteration(_mdp(), V0=[np.nan, 0, 0]), ValueError, r"V0\[0\] is nan"),
        (lambda: M.solve_value_iteration(_mdp(), V0="x"), TypeError, "V0 must be"),
        (
            lambda: M.suboptimal_reachable_states(
                np.zeros((3, 2)), np.full((3, 2), np.nan), _mdp(), 0
            ),
            ValueError,
            "Q_star holds NaN",
        ),
        (
            lambda: M.greedy_is_optimal(np.zeros((3, 2)), np.zeros((3, 2)), _mdp(), 0, tol="x"),
            TypeError,
            "tol must be a number",
        ),
        (
            lambda: M.greedy_is_optimal(np.zeros((3, 2)), np.zeros((3, 2)), _mdp(), 0, tol=-1.0),
            ValueError,
            "tol must be >= 0",
        ),
        (lambda: M.grid_mdp(3, 4, goal=(5, 5)), ValueError, "outside the 3 x 4 grid"),
        (lambda: M.grid_mdp(3, 4, goal=(-1, 0)), ValueError, "non-negative"),
        (lambda: M.grid_mdp(3, 4, goal=(1.5, 2)), TypeError, "whole number"),
        (lambda: M.grid_mdp(3, 4, goal=3), TypeError, r"\(row, col\) pair"),
        (lambda: M.grid_mdp(10**9, 10**9), ValueError, "too large"),
        (lambda: M.random_walk_mrp(0), ValueError, "n must be a positive integer"),
        (lambda: M.jump_random_walk_mrp(20, 2.7), TypeError, "jump must be an integer"),
        (lambda: M.random_mdp(-3, 2, seed=0), ValueError, "S must be a positive integer"),
        (lambda: M.random_mdp(10**6, 8, seed=0), ValueError, "GB"),
        (lambda: M.random_mdp(5, 2, seed=0, branching="2"), TypeError, "branching must be an int"),
        (lambda: M.two_state_chain("0.3"), TypeError, "p must be a number"),
        (lambda: M.MarkovChain(np.eye(2), states=5), TypeError, "states must be a list of names"),
        (lambda: M.MarkovChain(np.eye(2), states=["a", "a"]), ValueError, "'a' appears twice"),
    ],
)
def test_mdp_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ============================================================== rlcourse.tabular
# Tried on every public function of rlcourse.tabular: the same kinds of values, plus states and
# actions out of range or negative (numpy wraps -1 silently), None as an index (numpy updates
# every entry), an int array as out= (numpy rounds silently), the whole Q-table where one row is
# expected, non-callable stop_when, starts in terminal states, ragged feature functions.
import rlcourse.tabular as T  # noqa: E402
from rlcourse.envs import MineGrid  # noqa: E402


@pytest.mark.parametrize("sparse", [False, True])
def test_q_learning_and_sarsa_from_a_terminal_start(sparse):
    env = MineGrid("small")
    mdp = env.to_mdp(sparse=sparse)
    mine = int(np.flatnonzero(mdp.terminal)[0])
    for train in (T.train_q_learning, T.train_sarsa):
        with pytest.raises(ValueError, match=f"the start state {mine} is terminal"):
            train(mdp, seed=0, start=mine, n_episodes=3)
    for loop in (T.q_learning, T.sarsa):
        with pytest.raises(ValueError, match="is terminal"):
            loop(
                mdp.P,
                mdp.R,
                mdp.terminal,
                mine,
                alpha=0.5,
                gamma=0.9,
                epsilon=0.1,
                n_episodes=3,
                seed=0,
            )
    with pytest.raises(ValueError, match="the start distribution puts probability"):
        T.train_q_learning(mdp, seed=0, start=np.full(mdp.n_states, 1 / mdp.n_states))


def test_prediction_from_a_terminal_start():
    rw = M.random_walk_mrp()
    for train in (T.train_mc_prediction, T.train_td0_prediction):
        with pytest.raises(ValueError, match="the start state 0 is terminal"):
            train(rw, seed=0, start=0)
    with pytest.raises(ValueError, match="is terminal"):
        T.train_semi_gradient_td0(rw, None, np.eye(7), seed=0, start=6)
    # a distribution that also starts inner states is fine for prediction
    T.train_td0_prediction(rw, seed=0, n_episodes=2, start=[0.5, 0, 0, 0.5, 0, 0, 0])


@pytest.mark.parametrize(
    "alpha, error", [("0.1", TypeError), (None, TypeError), (True, TypeError), (0.0, ValueError)]
)
def test_alpha_string_or_none_in_a_trainer_or_config(alpha, error):
    with pytest.raises(error, match="alpha"):
        T.QLearningConfig(alpha=alpha)
    with pytest.raises(error, match="alpha"):
        T.train_td0_prediction(M.random_walk_mrp(), seed=0, alpha=alpha)
    with pytest.raises(error, match="alpha"):
        T.train_q_learning(MineGrid("small"), seed=0, alpha=alpha)


V4, Q3 = np.zeros(4), np.zeros((3, 2))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: T.mc_update(V4, 1, 3.0, alpha="0.1"), TypeError, "alpha must be a number"),
        (lambda: T.mc_update(V4, 1, 3.0, alpha=2.0), ValueError, r"\(0, 1\]"),
        (lambda: T.mc_update(V4, 4, 3.0, alpha=0.1), ValueError, "s 4 is out of range"),
        (lambda: T.mc_update(V4, -1, 3.0, alpha=0.1), ValueError, "s -1 is out of range"),
        (lambda: T.mc_update(V4, None, 3.0, alpha=0.1), TypeError, "s must be a state index"),
        (lambda: T.mc_update(V4, 1, np.nan, alpha=0.1), ValueError, "G must be a finite"),
        (lambda: T.mc_update(None, 1, 3.0, alpha=0.1), TypeError, "V must be"),
        (
            lambda: T.mc_update(V4, 1, 3.0, alpha=0.1, out=np.zeros(4, int)),
            TypeError,
            "out must be a float numpy array",
        ),
        (
            lambda: T.mc_update(V4, 1, 3.0, alpha=0.1, out=np.zeros(3)),
            ValueError,
            r"out has shape \(3,\)",
        ),
        (lambda: T.td0_update(V4, 1, 1.0, 9, alpha=0.1, gamma=0.9), ValueError, "s_next 9"),
        (
            lambda: T.td0_update(V4, 1, "1", 2, alpha=0.1, gamma=0.9),
            TypeError,
            "r must be a number",
        ),
        (lambda: T.td0_update(V4, 1, 1.0, 2, alpha=0.1, gamma=1.5), ValueError, r"\[0, 1\]"),
        (
            lambda: T.td0_episode(V4, [0.5, 1, 2], [1.0, 2.0], alpha=0.1, gamma=0.9),
            TypeError,
            r"states\[0\] = 0.5",
        ),
        (
            lambda: T.td0_episode(V4, [0, 9, 2], [1.0, 2.0], alpha=0.1, gamma=0.9),
            ValueError,
            "out of range",
        ),
        (lambda: T.td0_episode(V4, None, [1.0], alpha=0.1, gamma=0.9), TypeError, "states must be"),
        (
            lambda: T.first_visit_mc([([0, 5, 2], [1.0, 2.0])], 3, gamma=0.9),
            ValueError,
            "episode 0 visits state 5, but n_states = 3",
        ),
        (lambda: T.first_visit_mc(None, 3, gamma=0.9), TypeError, "episodes must be a list"),
        (
            lambda: T.every_visit_mc(([0, 1], [1.0]), 3, gamma=0.9),
            TypeError,
            r"pair \(states, rewards\)",
        ),
        (
            lambda: T.q_learning_update(Q3, 0, 2, -1.0, 1, alpha=0.5, gamma=0.9),
            ValueError,
            "a 2 is out of range; valid action indices are 0..1",
        ),
        (
            lambda: T.q_learning_update(Q3, 0, -1, -1.0, 1, alpha=0.5, gamma=0.9),
            ValueError,
            "a -1 is out of range",
        ),
        (
            lambda: T.q_learning_update(Q3, None, 1, -1.0, 1, alpha=0.5, gamma=0.9),
            TypeError,
            "s must be a state index",
        ),
        (
            lambda: T.q_learning_update(np.zeros(3), 0, 1, -1.0, 1, alpha=0.5, gamma=0.9),
            ValueError,
            r"Q must be an \(S, A\) table",
        ),
        (
            lambda: T.sarsa_update(Q3, 0, 1, -1.0, 1, 2, alpha=0.5, gamma=0.9),
            ValueError,
            "a_next 2",
        ),
        (lambda: T.sarsa_update(Q3, 0, 1, -1.0, 1, 1, alpha=0.5, gamma=None), TypeError, "gamma"),
        (
            lambda: T.epsilon_greedy(Q3, epsilon=0.1, rng=np.random.default_rng(0)),
            ValueError,
            r"pass Q\[s\], not the whole table",
        ),
        (lambda: T.epsilon_greedy(Q3[0], epsilon=0.1, rng=None), TypeError, "default_rng"),
        (lambda: T.epsilon_greedy(Q3[0], epsilon=0.1, rng=0), TypeError, "default_rng"),
        (
            lambda: T.epsilon_greedy(Q3[0], epsilon="0.1", rng=np.random.default_rng(0)),
            TypeError,
            "epsilon must be a number",
        ),
        (
            lambda: T.epsilon_greedy([], epsilon=0.1, rng=np.random.default_rng(0)),
            ValueError,
            "one row",
        ),
        (
            lambda: T.gradient_mc_update(np.zeros(3), np.zeros(2), 2.0, alpha=0.1),
            ValueError,
            r"phi_s has shape \(2,\) but w has shape \(3,\)",
        ),
        (
            lambda: T.semi_gradient_td0_update(
                np.zeros(3), np.ones(3), 1.0, None, alpha=0.1, gamma=0.9
            ),
            TypeError,
            "phi_next must be",
        ),
        (
            lambda: T.gradient_mc_update(np.zeros(3), np.ones(3), 2.0, alpha=np.nan),
            ValueError,
            "finite",
        ),
        (lambda: T.v_hat(np.ones(2), np.ones(3)), ValueError, "phi_s has shape"),
        (
            lambda: T.least_squares_weights(np.full((3, 3), np.nan), [1.0, 2, 3]),
            ValueError,
            r"Phi\[0, 0\] is nan",
        ),
        (
            lambda: T.least_squares_weights(np.eye(3), [1.0, 2, 3], np.zeros(3)),
            ValueError,
            "not all 0",
        ),
        (
            lambda: T.td_fixed_point(np.eye(2), np.eye(2), [1.0, 1.0], [-0.5, 1.5], gamma=0.9),
            ValueError,
            "non-negative",
        ),
        (
            lambda: T.td_fixed_point(
                np.zeros((2, 0)), np.eye(2), [1.0, 1.0], [0.5, 0.5], gamma=0.9
            ),
            ValueError,
            "d >= 1",
        ),
        (
            lambda: T.as_feature_matrix(lambda s: [1.0] * (s + 1), 3),
            ValueError,
            "different lengths",
        ),
        (lambda: T.rms_error([0.0, 0.0], None), TypeError, "V_true must be"),
        (
            lambda: T.rms_error([0.0, 0.0], [1.0, 1.0], mask=[1, 0]),
            ValueError,
            "mask must be a boolean array",
        ),
        (
            lambda: T.rms_error([0.0, 0.0], [1.0, 1.0], mask=np.zeros(2, bool)),
            ValueError,
            "selects no state",
        ),
        (lambda: T.MCConfig(first_visit="yes"), TypeError, "first_visit must be True or False"),
        (
            lambda: T.QLearningConfig(epsilon_decay=2.0),
            ValueError,
            r"epsilon_decay must be in \(0, 1\]",
        ),
        (
            lambda: T.train_q_learning(MineGrid("small"), seed=0, stop_when=5),
            TypeError,
            "stop_when must be a function",
        ),
        (
            lambda: T.train_q_learning(MineGrid("small").to_mdp(), seed=0, start=1.5),
            TypeError,
            "start must be a state index",
        ),
        (lambda: T.train_q_learning(MineGrid("small"), seed=0, Q0="x"), TypeError, "Q0 must be"),
        (
            lambda: T.q_learning(MineGrid("small").to_mdp(), alpha=0.5),
            TypeError,
            r"call train_q_learning\(mdp",
        ),
    ],
)
def test_tabular_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ============================================================== rlcourse.envs and rlcourse.plots
# Tried: layouts that are not strings, slips and step limits of the wrong type, bools as
# actions and indices, floats as grid coordinates, moves from a terminal state, reset options
# that are not a dict or have unknown keys, a whole (seeds, episodes) matrix as a learning curve,
# empty histories, format strings that are not strings. (reset(seed="0") keeps gymnasium's own
# clear error.)
import matplotlib  # noqa: E402

matplotlib.use("Agg")  # inside the test only

from rlcourse import plots  # noqa: E402
from rlcourse.envs import RandomWalk, parse_layout  # noqa: E402


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: MineGrid(5), TypeError, "layout must be a str"),
        (lambda: parse_layout(None), TypeError, "the layout must be a str"),
        (lambda: MineGrid(slip="0.1"), TypeError, "slip must be a number"),
        (lambda: MineGrid(max_steps=True), TypeError, "max_steps must be an integer"),
        (lambda: MineGrid(max_steps="100"), TypeError, "max_steps must be an integer"),
        (lambda: MineGrid("small").encode(1.5, 0), TypeError, "row must be an int"),
        (lambda: MineGrid("small").decode(True), ValueError, "not a valid state index"),
        (lambda: MineGrid("small").move(0, 4), ValueError, "direction 4 is out of range"),
        (lambda: MineGrid("small").move(0, -1), ValueError, "direction -1 is out of range"),
        (lambda: MineGrid("small").outcomes(4, 1), ValueError, "is terminal"),  # (1, 1) is a mine
        (
            lambda: MineGrid("small").greedy_route(np.zeros((18, 4)), max_steps=0),
            ValueError,
            "max_steps must be a positive integer",
        ),
        (lambda: MineGrid("small").greedy_route(np.zeros((18, 3))), ValueError, r"\(18, 4\)"),
        (lambda: MineGrid("small").reset(options="x"), TypeError, "options must be a dict"),
        (lambda: MineGrid("small").reset(options={"stat": 3}), ValueError, "unknown reset option"),
        (lambda: RandomWalk(5).reset(options=[1]), TypeError, "options must be a dict"),
        (lambda: RandomWalk(5).outcomes(1.5), ValueError, "not an inner state"),
        (
            lambda: plots.plot_values(MineGrid(), np.zeros(100), fmt=5),
            TypeError,
            "fmt must be a format string",
        ),
        (lambda: plots.plot_values(MineGrid(), np.zeros((10, 10))), ValueError, "1-D array"),
        (lambda: plots.plot_values(None, "abc"), TypeError, "V must be"),
        (
            lambda: plots.plot_learning_curve(np.zeros((3, 10))),
            ValueError,
            r"values.mean\(axis=0\)",
        ),
        (lambda: plots.plot_learning_curve(None), TypeError, "values must be"),
        (lambda: plots.plot_learning_curve([1.0, 2.0], window=True), TypeError, "window must be"),
        (lambda: plots.plot_convergence([]), ValueError, "one number per iteration"),
        (lambda: plots.plot_convergence(None), TypeError, "history must be"),
        (lambda: plots.plot_q_table(np.zeros((0, 4))), ValueError, "S, A >= 1"),
        (lambda: plots.moving_average([1.0, 2.0], 0), ValueError, "window must be a positive"),
        (lambda: plots.moving_average([1.0, 2.0], 3), ValueError, "longer than the 2 values"),
        (lambda: plots.moving_average([], 1), ValueError, "values is empty"),
    ],
)
def test_envs_and_plots_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_minegrid_step_refuses_a_bool_action():
    env = MineGrid("small")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action True is not valid"):
        env.step(True)


def test_a_negative_seed_gets_a_clear_error():
    from rlcourse.utils import as_generator

    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        as_generator(-1)
    with pytest.raises(TypeError, match="seed must be an int"):
        as_generator(True)
