"""Markov chains, returns and MRPs (rlcourse.mdp, Part I). Expected values are worked out by
hand in the comments or come from a second, independent computation."""

import numpy as np
import pytest
import scipy.sparse as sp

from rlcourse.mdp import (
    MRP,
    MarkovChain,
    discounted_return,
    mrp_value,
    mrp_value_iterative,
    n_step_distribution,
    returns,
    stationary_distribution,
)
from rlcourse.mdp.examples import random_walk_mrp, two_state_chain


# --- returns -----------------------------------------------------------------------------
def test_discounted_return_by_hand():
    # G_0 = 1 + 0.5*2 + 0.25*(-4) + 0.125*8 = 1 + 1 - 1 + 1 = 2
    assert discounted_return([1, 2, -4, 8], gamma=0.5) == pytest.approx(2.0)
    assert discounted_return([], gamma=0.9) == 0.0
    assert discounted_return([3, 5], gamma=0.0) == 3.0


def test_returns_every_t_by_hand():
    r, gamma = [1.0, 2.0, -4.0, 8.0], 0.5
    # G_3 = 8; G_2 = -4 + 0.5*8 = 0; G_1 = 2 + 0.5*0 = 2; G_0 = 1 + 0.5*2 = 2
    np.testing.assert_allclose(returns(r, gamma=gamma), [2.0, 2.0, 0.0, 8.0])


def test_returns_matches_forward_sum():
    rng = np.random.default_rng(0)
    r = rng.standard_normal(30)
    gamma = 0.93
    forward = [sum(gamma**k * r[t + k] for k in range(len(r) - t)) for t in range(len(r))]
    np.testing.assert_allclose(returns(r, gamma=gamma), forward, rtol=1e-12, atol=1e-12)


# --- Markov chain ------------------------------------------------------------------------
def test_two_state_stationary_closed_form():
    p, q = 0.3, 0.1
    mu = two_state_chain(p, q).stationary()
    np.testing.assert_allclose(mu, [q / (p + q), p / (p + q)], atol=1e-12)  # (0.25, 0.75)


def test_stationary_is_fixed_point_of_random_chain():
    rng = np.random.default_rng(1)
    P = rng.random((6, 6))
    P /= P.sum(1, keepdims=True)
    mu = MarkovChain(P).stationary()
    np.testing.assert_allclose(mu @ P, mu, atol=1e-12)
    assert mu.sum() == pytest.approx(1.0)


def test_stationary_not_unique_raises():
    P = np.eye(3)  # three absorbing states: every distribution is stationary
    with pytest.raises(ValueError, match="not unique"):
        MarkovChain(P, states=["x", "y", "z"]).stationary()


def test_n_step_distribution_vs_repeated_multiplication():
    p, q = 0.3, 0.1
    P = np.array([[1 - p, p], [q, 1 - q]])
    chain = MarkovChain(P, states=["a", "b"])
    # by hand, one step from a: (0.7, 0.3); two steps: (0.7*0.7 + 0.3*0.1, 0.7*0.3 + 0.3*0.9)
    np.testing.assert_allclose(chain.distribution("a", 1), [0.7, 0.3])
    np.testing.assert_allclose(chain.distribution(0, 2), [0.52, 0.48])
    mu0 = np.array([0.2, 0.8])
    np.testing.assert_allclose(
        chain.distribution(mu0, 7), mu0 @ np.linalg.matrix_power(P, 7), atol=1e-14
    )


def test_sample_seeded():
    chain = two_state_chain(0.5, 0.5)
    a = chain.sample("a", 50, seed=3)
    b = chain.sample(0, 50, seed=3)
    c = chain.sample(0, 50, seed=4)
    assert a.shape == (51,) and a[0] == 0
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_sample_frequencies_match_stationary():
    chain = two_state_chain(0.3, 0.1)
    s = chain.sample(0, 40_000, seed=0)
    assert np.mean(s == 1) == pytest.approx(0.75, abs=0.03)


# --- MRP ---------------------------------------------------------------------------------
def _hand_mrp():
    # s0 -> s1 (reward 1); s1 -> s0 or T with 1/2 each (reward 2); gamma = 1/2.
    # V1 = 2 + 1/2 * (1/2 V0) = 2 + V0/4;  V0 = 1 + 1/2 V1 = 2 + V0/8  => V0 = 16/7, V1 = 18/7
    P = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 0, 1.0]])
    return MRP(P, [1.0, 2.0, 0.0], [False, False, True], gamma=0.5, states=["s0", "s1", "T"])


def test_mrp_closed_form_by_hand():
    np.testing.assert_allclose(_hand_mrp().value_closed_form(), [16 / 7, 18 / 7, 0.0])


def test_mrp_iterative_agrees_with_closed_form():
    rng = np.random.default_rng(2)
    P = rng.random((8, 8))
    P /= P.sum(1, keepdims=True)
    m = MRP(P, rng.standard_normal(8), gamma=0.9)
    res = m.value_iterative(tol=1e-12)
    np.testing.assert_allclose(res.V, m.value_closed_form(), atol=1e-10)
    assert res.history[-1]["delta"] < 1e-12 and res.iterations == len(res.history)
    # closed form really solves V = R + gamma P V (a check independent of the solver)
    V = m.value_closed_form()
    np.testing.assert_allclose(V, m.R + 0.9 * P @ V, atol=1e-12)


def test_random_walk_true_values():
    V = random_walk_mrp().value_closed_form()
    np.testing.assert_allclose(V[1:6], np.arange(1, 6) / 6, atol=1e-12)
    assert V[0] == V[6] == 0.0
    np.testing.assert_allclose(
        random_walk_mrp().value_iterative(tol=1e-12).V[1:6], np.arange(1, 6) / 6, atol=1e-10
    )


def test_mrp_sparse_matches_dense():
    m = _hand_mrp()
    ms = MRP(sp.csr_matrix(m.P), m.R, m.terminal, gamma=m.gamma)
    np.testing.assert_allclose(ms.value_closed_form(), [16 / 7, 18 / 7, 0.0])


def test_mrp_sample_episode_seeded_and_unbiased():
    m = random_walk_mrp()
    s1, r1 = m.sample_episode("C", seed=5)
    s2, r2 = m.sample_episode(3, seed=5)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(r1, r2)
    assert m.terminal[s1[-1]] and len(r1) == len(s1) - 1
    G = [discounted_return(m.sample_episode("C", seed=i)[1], gamma=1.0) for i in range(2000)]
    assert np.mean(G) == pytest.approx(0.5, abs=0.05)  # V(C) = 3/6


# --- the array functions (the exercises' contract) ---------------------------------------
def test_n_step_and_stationary_distribution_on_arrays_by_hand():
    P = np.array([[0.7, 0.3], [0.1, 0.9]])
    # one step from a: (0.7, 0.3); two: (0.7*0.7 + 0.3*0.1, 0.7*0.3 + 0.3*0.9) = (0.52, 0.48)
    np.testing.assert_allclose(n_step_distribution(P, [1.0, 0.0], 2), [0.52, 0.48])
    np.testing.assert_allclose(n_step_distribution(P, 0, 1), [0.7, 0.3])  # a start index
    np.testing.assert_allclose(n_step_distribution(P, [0.2, 0.8], 0), [0.2, 0.8])
    # stationary (q/(p+q), p/(p+q)) with p = 0.3, q = 0.1
    np.testing.assert_allclose(stationary_distribution(P), [0.25, 0.75], atol=1e-12)


def test_mrp_value_on_arrays_by_hand():
    P = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 0, 1.0]])
    R = [1.0, 2.0, 0.0]
    # the hand-worked MRP above: V0 = 16/7, V1 = 18/7
    for terminal in ([2], np.array([False, False, True])):
        V = mrp_value(P, R, terminal, gamma=0.5)
        assert isinstance(V, np.ndarray)
        np.testing.assert_allclose(V, [16 / 7, 18 / 7, 0.0], atol=1e-12)
        np.testing.assert_allclose(
            mrp_value_iterative(P, R, terminal, gamma=0.5, tol=1e-13),
            [16 / 7, 18 / 7, 0.0],
            atol=1e-11,
        )


def test_mrp_from_policy_by_hand():
    from rlcourse.mdp import MDP

    P = np.zeros((2, 2, 2))
    P[0, 0] = [1.0, 0.0]
    P[0, 1] = [0.2, 0.8]
    P[1, :] = [0.5, 0.5]
    R = np.array([[1.0, 3.0], [-2.0, 4.0]])
    mrp = MRP.from_policy(MDP(P, R, gamma=0.8, states=["x", "y"]), [[0.25, 0.75], [1.0, 0.0]])
    # P^pi(.|x) = 0.25 (1, 0) + 0.75 (0.2, 0.8) = (0.4, 0.6); R^pi = (0.25 + 2.25, -2)
    np.testing.assert_allclose(mrp.P, [[0.4, 0.6], [0.5, 0.5]])
    np.testing.assert_allclose(mrp.R, [2.5, -2.0])
    assert mrp.gamma == 0.8 and list(mrp.states) == ["x", "y"]
