"""Bellman operators and dynamic programming (rlcourse.mdp). Hand-worked examples in the
comments; solvers are checked against each other and against the exact linear solve."""
import numpy as np
import pytest
import scipy.sparse as sp

from rlcourse.mdp import (
    MDP,
    bellman_expectation,
    bellman_optimality,
    greedy_policy,
    induced_mrp,
    policy_evaluation,
    policy_iteration,
    q_from_v,
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
    return MDP(P, R, gamma, terminal=[False, True], states=["s0", "T"], actions=["stay", "go"])


def test_q_from_v_and_greedy_by_hand():
    m = _stay_or_go(0.9)
    Q = q_from_v(m, [10.0, 123.0])  # V[T] is read as 0
    # Q(s0, stay) = 1 + 0.9*10 = 10; Q(s0, go) = 5 + 0.9*0 = 5; Q(T, .) = 0
    np.testing.assert_allclose(Q, [[10.0, 5.0], [0.0, 0.0]])
    np.testing.assert_array_equal(greedy_policy(m, np.array([10.0, 0.0])), [[1, 0], [1, 0]])
    np.testing.assert_array_equal(greedy_policy(None, Q), [[1, 0], [1, 0]])


def test_greedy_ties_go_to_lowest_index():
    Q = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, 5.0]])
    np.testing.assert_array_equal(greedy_policy(None, Q).argmax(1), [1, 0, 2])


def test_optimal_values_by_hand():
    for gamma, v0, action in [(0.9, 10.0, 0), (0.5, 5.0, 1)]:
        m = _stay_or_go(gamma)
        for res in (policy_iteration(m), value_iteration(m, tol=1e-12)):
            assert res.V[0] == pytest.approx(v0, abs=1e-9)
            assert res.V[1] == 0.0 and np.all(res.Q[1] == 0.0)
            assert res.policy[0].argmax() == action


def test_bellman_operators_by_hand():
    m = _stay_or_go(0.9)
    V = np.array([2.0, 0.0])
    # T^pi V with pi(s0) = (1/2, 1/2): 1/2 (1 + 1.8) + 1/2 (5) = 3.9 ; T* V = max(2.8, 5) = 5
    np.testing.assert_allclose(bellman_expectation(m, uniform_policy(m), V), [3.9, 0.0])
    np.testing.assert_allclose(bellman_optimality(m, V), [5.0, 0.0])


def test_induced_mrp_by_hand():
    P = np.zeros((2, 2, 2))
    P[0, 0] = [1.0, 0.0]
    P[0, 1] = [0.2, 0.8]
    P[1, 0] = [0.5, 0.5]
    P[1, 1] = [0.0, 1.0]
    R = np.array([[1.0, 3.0], [-2.0, 4.0]])
    pi = np.array([[0.25, 0.75], [1.0, 0.0]])
    mrp = induced_mrp(MDP(P, R, 0.8), pi)
    # P^pi(.|0) = 0.25*(1, 0) + 0.75*(0.2, 0.8) = (0.4, 0.6); P^pi(.|1) = (0.5, 0.5)
    np.testing.assert_allclose(mrp.P, [[0.4, 0.6], [0.5, 0.5]])
    # R^pi(0) = 0.25*1 + 0.75*3 = 2.5; R^pi(1) = -2
    np.testing.assert_allclose(mrp.R, [2.5, -2.0])
    np.testing.assert_allclose(mrp.value_closed_form(), policy_evaluation(MDP(P, R, 0.8), pi).V)


def test_policy_evaluation_exact_vs_iterative():
    m = random_mdp(30, 3, seed=0)
    pi = np.random.default_rng(0).dirichlet(np.ones(3), size=30)
    ex = policy_evaluation(m, pi)
    it = policy_evaluation(m, pi, method="iterative", tol=1e-12)
    np.testing.assert_allclose(ex.V, it.V, atol=1e-9)
    # the exact V is a fixed point of T^pi (independent check)
    np.testing.assert_allclose(bellman_expectation(m, pi, ex.V), ex.V, atol=1e-10)
    assert it.history[-1]["delta"] < 1e-12


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_policy_iteration_equals_value_iteration_random(seed):
    m = random_mdp(40, 4, seed=seed, branching=5 if seed else None)
    pi_res = policy_iteration(m)
    vi_res = value_iteration(m, tol=1e-9)
    np.testing.assert_array_equal(pi_res.policy, vi_res.policy)
    np.testing.assert_allclose(pi_res.V, vi_res.V, atol=1e-9)
    # V* satisfies the Bellman optimality equation
    np.testing.assert_allclose(bellman_optimality(m, pi_res.V), pi_res.V, atol=1e-10)
    assert pi_res.history[-1]["policy_changes"] == 0


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_value_iteration_error_within_bound(gamma):
    m = random_mdp(25, 3, seed=7, gamma=gamma)
    V_star = policy_iteration(m).V
    res = value_iteration(m, tol=1e-6)
    err = np.max(np.abs(res.V - V_star))
    assert res.error_bound < 1e-6
    assert err <= res.error_bound + 1e-12
    assert res.history[-1]["error_bound"] == res.error_bound


def test_small_grid_known_values_and_solvers_agree():
    m = grid_mdp(4, 5, gamma=1.0)  # deterministic, -1 per step, goal bottom-right
    r, c = np.divmod(np.arange(20), 5)
    V_true = -((3 - r) + (4 - c)).astype(float)  # minus the Manhattan distance to the goal
    for res in (policy_iteration(m), value_iteration(m, tol=1e-12)):
        np.testing.assert_allclose(res.V, V_true, atol=1e-9)
    assert value_iteration(m).error_bound is None  # gamma = 1: no bound claimed


def test_dense_and_sparse_give_same_solution():
    dense = grid_mdp(5, 6, gamma=0.95, sparse=False, slip=0.2)
    sparse = grid_mdp(5, 6, gamma=0.95, sparse=True, slip=0.2)
    assert sparse.is_sparse and not dense.is_sparse
    for solve in (policy_iteration, lambda m: value_iteration(m, tol=1e-10)):
        a, b = solve(dense), solve(sparse)
        np.testing.assert_allclose(a.V, b.V, atol=1e-9)
        np.testing.assert_array_equal(a.policy, b.policy)
    m = random_mdp(20, 3, seed=4)
    ms = MDP(sp.csr_matrix(m.P2), m.R, m.gamma)
    np.testing.assert_allclose(policy_iteration(m).V, policy_iteration(ms).V, atol=1e-10)
    pi = uniform_policy(m)
    np.testing.assert_allclose(induced_mrp(ms, pi).P.toarray(), induced_mrp(m, pi).P, atol=1e-14)


def test_value_iteration_history_and_V0():
    m = random_mdp(15, 2, seed=3)
    res = value_iteration(m, tol=1e-8)
    assert [h["iteration"] for h in res.history] == list(range(1, res.iterations + 1))
    warm = value_iteration(m, tol=1e-8, V0=res.V)
    assert warm.iterations < res.iterations


def test_policy_iteration_from_given_policy_and_stable():
    m = grid_mdp(3, 3, gamma=0.9)
    pi0 = np.zeros((9, 4))
    pi0[:, 0] = 1.0  # always "up"
    res = policy_iteration(m, pi0=pi0)
    again = policy_iteration(m, pi0=res.policy)
    assert again.iterations == 1 and again.history[0]["policy_changes"] == 0


def test_big_sparse_grid_builds_without_dense():
    m = grid_mdp(300, 300, gamma=0.9, slip=0.1)
    assert m.is_sparse and m.P.shape == (360_000, 90_000)
    assert m.states[301] == "r1c1"
    # the cache-blocked sweep used for large sparse models equals max_a Q
    V = np.random.default_rng(0).standard_normal(m.n_states)
    np.testing.assert_allclose(bellman_optimality(m, V), q_from_v(m, V).max(axis=1), atol=1e-12)
