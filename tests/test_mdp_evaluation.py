"""Judging policies with the model: the on-policy distribution (Sutton & Barto eq. 9.2),
reachable states; checked by hand and against Monte Carlo counts of visits."""

import numpy as np
import pytest
import scipy.sparse as sp

from rlcourse.mdp import MRP, on_policy_distribution


def _chain():
    # 0 -> 0 (1/4), 1 (1/2), T (1/4);  1 -> 0 (1/2), T (1/2);  T = 2 terminal.
    # Expected visits from 0: eta0 = 1 + eta0/4 + eta1/2, eta1 = eta0/2  =>  eta0 = 2, eta1 = 1,
    # so mu = (2/3, 1/3, 0).
    P = np.array([[0.25, 0.5, 0.25], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    return P, np.array([False, False, True])


def test_on_policy_distribution_by_hand():
    P, terminal = _chain()
    np.testing.assert_allclose(on_policy_distribution(P, terminal, 0), [2 / 3, 1 / 3, 0.0])
    # starting in 1: eta1 = 1 + eta0/2, eta0 = eta0/4 + eta1/2 => eta0 = 2/3 eta1 => eta1 = 3/2
    # eta0 = 1, mu = (1/2.5, 1.5/2.5)
    np.testing.assert_allclose(on_policy_distribution(P, [2], 1), [0.4, 0.6, 0.0])
    # a start distribution h mixes the two (eta is linear in h)
    mu = on_policy_distribution(sp.csr_matrix(P), terminal, [0.5, 0.5, 0.0])
    eta = 0.5 * np.array([2.0, 1.0]) + 0.5 * np.array([1.0, 1.5])
    np.testing.assert_allclose(mu, np.r_[eta / eta.sum(), 0.0])


def test_on_policy_distribution_matches_monte_carlo_visit_counts():
    rng = np.random.default_rng(3)
    P = rng.random((6, 6))
    P[:, 5] += 0.5  # every state leaks into the terminal state 5
    P /= P.sum(axis=1, keepdims=True)
    terminal = np.zeros(6, bool)
    terminal[5] = True
    mrp = MRP(P, np.zeros(6), terminal, gamma=1.0)
    counts = np.zeros(6)
    for seed in range(3000):
        states, _ = mrp.sample_episode(2, seed=seed)
        np.add.at(counts, states[:-1], 1)  # every visit of a non-terminal state
    mu = on_policy_distribution(P, terminal, 2)
    assert mu[5] == 0.0 and mu.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(counts / counts.sum(), mu, atol=0.01)


def test_on_policy_distribution_refuses_endless_episodes():
    P = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # 0 <-> 1 forever
    with pytest.raises(ValueError, match="s0.*never reach a terminal state"):
        on_policy_distribution(P, [2], 0)
