"""Bellman operators and dynamic programming (rlcourse.mdp). Hand-worked examples in the
comments; solvers are checked against each other and against the exact linear solve."""

import numpy as np
import pytest
import scipy.sparse as sp

from rlcourse.mdp import (
    MDP,
    MRP,
    bellman_expectation,
    bellman_optimality,
    evaluate_policy,
    greedy_policy,
    induced_mrp,
    policy_evaluation,
    policy_improvement,
    policy_iteration,
    q_from_v,
    solve_policy_iteration,
    solve_value_iteration,
    uniform_policy,
    value_iteration,
)
from rlcourse.mdp.examples import grid_mdp, random_mdp


def _stay_or_go(gamma):
    # s0: "stay" pays 1 and stays; "go" pays 5 and ends in T (terminal).
    # Staying forever is worth 1/(1-gamma): 10 at gamma 0.9 (> 5, stay), 2 at gamma 0.5 (go).
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = 1.0
    P[0, 1, 1] = 1.0
    P[1, :, 1] = 1.0
    R = np.array([[1.0, 5.0], [0.0, 0.0]])
    return MDP(P, R, [False, True], gamma=gamma, states=["s0", "T"], actions=["stay", "go"])


def _args(m):
    """The arrays of a model, as the array functions take them."""
    return m.P, m.R


def test_q_from_v_and_greedy_by_hand():
    m = _stay_or_go(0.9)
    Q = q_from_v(m.P, m.R, [10.0, 123.0], m.terminal, gamma=0.9)  # V[T] is read as 0
    # Q(s0, stay) = 1 + 0.9*10 = 10; Q(s0, go) = 5 + 0.9*0 = 5; Q(T, .) = 0
    np.testing.assert_allclose(Q, [[10.0, 5.0], [0.0, 0.0]])
    # terminal as a list of indices means the same
    np.testing.assert_allclose(q_from_v(m.P, m.R, [10.0, 123.0], [1], gamma=0.9), Q)
    # from V: greedy_policy(q_from_v(...)); the terminal row (all 0) gets action 0
    Q0 = q_from_v(m.P, m.R, np.array([10.0, 0.0]), m.terminal, gamma=0.9)
    np.testing.assert_array_equal(greedy_policy(Q0), [[1, 0], [1, 0]])
    np.testing.assert_array_equal(greedy_policy(Q), [[1, 0], [1, 0]])


def test_greedy_ties_go_to_lowest_index():
    Q = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, 5.0]])
    np.testing.assert_array_equal(greedy_policy(Q).argmax(1), [1, 0, 2])
    # round-off below TIE_TOL counts as a tie too: 3 vs 3 + 1e-15 still picks index 1
    Q[0, 2] = 3.0 + 1e-15
    np.testing.assert_array_equal(greedy_policy(Q)[0], [0, 1, 0])


def test_optimal_values_by_hand():
    for gamma, v0, action in [(0.9, 10.0, 0), (0.5, 5.0, 1)]:
        m = _stay_or_go(gamma)
        for res in (solve_policy_iteration(m), solve_value_iteration(m, tol=1e-12)):
            assert res.V[0] == pytest.approx(v0, abs=1e-9)
            assert res.V[1] == 0.0 and np.all(res.Q[1] == 0.0)
            assert res.policy[0].argmax() == action
        for V, pi in (
            policy_iteration(*_args(m), m.terminal, gamma=gamma),
            value_iteration(*_args(m), [1], gamma=gamma, tol=1e-12),
        ):
            assert V[0] == pytest.approx(v0, abs=1e-9) and V[1] == 0.0
            assert pi.shape == (2, 2) and pi[0].argmax() == action


def test_bellman_operators_by_hand():
    m = _stay_or_go(0.9)
    V = np.array([2.0, 0.0])
    # T^pi V with pi(s0) = (1/2, 1/2): 1/2 (1 + 1.8) + 1/2 (5) = 3.9 ; T* V = max(2.8, 5) = 5
    np.testing.assert_allclose(
        bellman_expectation(m.P, m.R, uniform_policy(m), V, m.terminal, gamma=0.9), [3.9, 0.0]
    )
    np.testing.assert_allclose(bellman_optimality(m.P, m.R, V, m.terminal, gamma=0.9), [5.0, 0.0])


def test_induced_mrp_by_hand():
    P = np.zeros((2, 2, 2))
    P[0, 0] = [1.0, 0.0]
    P[0, 1] = [0.2, 0.8]
    P[1, 0] = [0.5, 0.5]
    P[1, 1] = [0.0, 1.0]
    R = np.array([[1.0, 3.0], [-2.0, 4.0]])
    pi = np.array([[0.25, 0.75], [1.0, 0.0]])
    P_pi, R_pi = induced_mrp(P, R, pi)
    # P^pi(.|0) = 0.25*(1, 0) + 0.75*(0.2, 0.8) = (0.4, 0.6); P^pi(.|1) = (0.5, 0.5)
    np.testing.assert_allclose(P_pi, [[0.4, 0.6], [0.5, 0.5]])
    # R^pi(0) = 0.25*1 + 0.75*3 = 2.5; R^pi(1) = -2
    np.testing.assert_allclose(R_pi, [2.5, -2.0])
    # V^pi = (I - 0.8 P^pi)^-1 R^pi, by numpy directly, equals both evaluations
    V = np.linalg.solve(np.eye(2) - 0.8 * np.array([[0.4, 0.6], [0.5, 0.5]]), [2.5, -2.0])
    np.testing.assert_allclose(evaluate_policy(MDP(P, R, gamma=0.8), pi).V, V, atol=1e-12)
    np.testing.assert_allclose(policy_evaluation(P, R, pi, gamma=0.8), V, atol=1e-9)
    np.testing.assert_allclose(MRP(P_pi, R_pi, gamma=0.8).value_closed_form(), V, atol=1e-12)


def test_policy_evaluation_exact_vs_iterative():
    m = random_mdp(30, 3, seed=0)
    pi = np.random.default_rng(0).dirichlet(np.ones(3), size=30)
    ex = evaluate_policy(m, pi)
    it = evaluate_policy(m, pi, method="iterative", tol=1e-12)
    np.testing.assert_allclose(ex.V, it.V, atol=1e-9)
    np.testing.assert_allclose(
        policy_evaluation(m.P, m.R, pi, gamma=m.gamma, tol=1e-12), ex.V, atol=1e-9
    )
    # the exact V is a fixed point of T^pi (independent check)
    np.testing.assert_allclose(
        bellman_expectation(m.P, m.R, pi, ex.V, gamma=m.gamma), ex.V, atol=1e-10
    )
    assert it.history[-1]["delta"] < 1e-12 and ex.iterations == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_policy_iteration_equals_value_iteration_random(seed):
    m = random_mdp(40, 4, seed=seed, branching=5 if seed else None)
    pi_res = solve_policy_iteration(m)
    vi_res = solve_value_iteration(m, tol=1e-9)
    np.testing.assert_array_equal(pi_res.policy, vi_res.policy)
    np.testing.assert_allclose(pi_res.V, vi_res.V, atol=1e-9)
    # V* satisfies the Bellman optimality equation
    np.testing.assert_allclose(
        bellman_optimality(m.P, m.R, pi_res.V, gamma=m.gamma), pi_res.V, atol=1e-10
    )
    assert pi_res.history[-1]["policy_changes"] == 0
    # the array functions give the same answers
    V, pi = policy_iteration(m.P, m.R, gamma=m.gamma)
    np.testing.assert_allclose(V, pi_res.V, atol=1e-9)
    np.testing.assert_array_equal(pi, pi_res.policy)


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_value_iteration_error_within_bound(gamma):
    m = random_mdp(25, 3, seed=7, gamma=gamma)
    V_star = solve_policy_iteration(m).V
    res = solve_value_iteration(m, tol=1e-6)
    err = np.max(np.abs(res.V - V_star))
    assert res.error_bound < 1e-6
    assert err <= res.error_bound + 1e-12
    assert res.history[-1]["error_bound"] == res.error_bound
    V, _ = value_iteration(m.P, m.R, gamma=gamma, tol=1e-6)
    assert np.max(np.abs(V - V_star)) < 1e-6


def test_small_grid_known_values_and_solvers_agree():
    m = grid_mdp(4, 5, gamma=1.0)  # deterministic, -1 per step, goal bottom-right
    r, c = np.divmod(np.arange(20), 5)
    V_true = -((3 - r) + (4 - c)).astype(float)  # minus the Manhattan distance to the goal
    for res in (solve_policy_iteration(m), solve_value_iteration(m, tol=1e-12)):
        np.testing.assert_allclose(res.V, V_true, atol=1e-9)
    assert solve_value_iteration(m).error_bound is None  # gamma = 1: no bound claimed


def test_dense_and_sparse_give_same_solution():
    dense = grid_mdp(5, 6, gamma=0.95, sparse=False, slip=0.2)
    sparse = grid_mdp(5, 6, gamma=0.95, sparse=True, slip=0.2)
    assert sparse.is_sparse and not dense.is_sparse
    for solve in (solve_policy_iteration, lambda m: solve_value_iteration(m, tol=1e-10)):
        a, b = solve(dense), solve(sparse)
        np.testing.assert_allclose(a.V, b.V, atol=1e-9)
        np.testing.assert_array_equal(a.policy, b.policy)
    m = random_mdp(20, 3, seed=4)
    ms = MDP(sp.csr_matrix(m.P2), m.R, gamma=m.gamma)
    np.testing.assert_allclose(
        solve_policy_iteration(m).V, solve_policy_iteration(ms).V, atol=1e-10
    )
    pi = uniform_policy(m)
    P_sparse, R_sparse = induced_mrp(ms.P, ms.R, pi)
    P_dense, R_dense = induced_mrp(m.P, m.R, pi)
    assert sp.issparse(P_sparse)
    np.testing.assert_allclose(P_sparse.toarray(), P_dense, atol=1e-14)
    np.testing.assert_allclose(R_sparse, R_dense)


def test_value_iteration_history_and_V0():
    m = random_mdp(15, 2, seed=3)
    res = solve_value_iteration(m, tol=1e-8)
    assert [h["iteration"] for h in res.history] == list(range(1, res.iterations + 1))
    warm = solve_value_iteration(m, tol=1e-8, V0=res.V)
    assert warm.iterations < res.iterations


def test_policy_iteration_from_given_policy_and_stable():
    m = grid_mdp(3, 3, gamma=0.9)
    pi0 = np.zeros((9, 4))
    pi0[:, 0] = 1.0  # always "up"
    res = solve_policy_iteration(m, pi0=pi0)
    again = solve_policy_iteration(m, pi0=res.policy)
    assert again.iterations == 1 and again.history[0]["policy_changes"] == 0


def test_policy_improvement_keeps_the_old_action_on_ties():
    Q = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0]])
    pi = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    # state 0: old action 1 is tied for best -> kept; state 1: old action 0 is worse -> 1
    np.testing.assert_array_equal(policy_improvement(Q, pi), [[0, 1, 0], [0, 1, 0]])
    # a stochastic row has no old action: ties to the lowest index
    np.testing.assert_array_equal(
        policy_improvement(Q, np.full((2, 3), 1 / 3)), [[1, 0, 0], [0, 1, 0]]
    )


def test_big_sparse_grid_builds_without_dense():
    m = grid_mdp(300, 300, gamma=0.9, slip=0.1)
    assert m.is_sparse and m.P.shape == (360_000, 90_000)
    assert m.states[301] == "r1c1"
