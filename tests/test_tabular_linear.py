"""Linear value-function approximation (deck 001): features, updates, one-hot = tabular."""

import numpy as np
import pytest

from rlcourse.envs import MineGrid
from rlcourse.mdp import random_walk_mrp
from rlcourse.tabular import (
    coordinate_features,
    gradient_mc_update,
    least_squares_weights,
    one_hot_features,
    rbf_features,
    semi_gradient_td0_update,
    state_aggregation_features,
    td_fixed_point,
    tile_features,
    train_gradient_mc,
    train_mc_prediction,
    train_semi_gradient_td0,
    train_td0_prediction,
    v_hat,
)


# ---------------------------------------------------------------- updates by hand
def test_gradient_mc_update_by_hand():
    # deck 001: w <- w - alpha [phi^T w - G] phi.  phi = (1, 2), w = (0.5, 0): phi^T w = 0.5,
    # G = 2.5, alpha = 0.1: w = (0.5, 0) + 0.1 * 2 * (1, 2) = (0.7, 0.4)
    w = np.array([0.5, 0.0])
    phi = np.array([1.0, 2.0])
    assert v_hat(phi, w) == 0.5 and isinstance(v_hat(phi, w), float)
    np.testing.assert_allclose(gradient_mc_update(w, phi, G=2.5, alpha=0.1), [0.7, 0.4])
    np.testing.assert_array_equal(w, [0.5, 0.0])  # pure


def test_semi_gradient_td0_update_by_hand():
    # delta = r + gamma phi'^T w - phi^T w = 1 + 0.5 * 3 - 1 = 1.5, w += 0.1 * 1.5 * phi
    w = np.array([1.0, 3.0])
    phi, phi_next = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    w1 = semi_gradient_td0_update(w, phi, 1.0, phi_next, alpha=0.1, gamma=0.5)
    np.testing.assert_allclose(w1, [1.15, 3.0])
    np.testing.assert_array_equal(w, [1.0, 3.0])  # pure
    # terminal S': v_hat(terminal) = 0, delta = 1 - 1.15 = -0.15
    w2 = semi_gradient_td0_update(w1, phi, 1.0, phi_next, True, alpha=1.0, gamma=0.5)
    np.testing.assert_allclose(w2, [1.0, 3.0])


# ---------------------------------------------------------------- one-hot features are the table
@pytest.mark.parametrize("first_visit", [True, False])
def test_one_hot_gradient_mc_equals_tabular_mc_exactly(first_visit):
    mrp = random_walk_mrp()
    Phi = one_hot_features(7)
    for seed in range(3):
        tab = train_mc_prediction(
            mrp, n_episodes=200, alpha=0.05, first_visit=first_visit, seed=seed, keep_history=True
        )
        lin = train_gradient_mc(
            mrp,
            None,
            Phi,
            n_episodes=200,
            alpha=0.05,
            first_visit=first_visit,
            seed=seed,
            keep_history=True,
        )
        np.testing.assert_array_equal(lin.w, tab.V)
        np.testing.assert_array_equal(lin.V_history, tab.V_history)


def test_one_hot_semi_gradient_td0_equals_tabular_td0_exactly():
    env = MineGrid("default", slip=0.1)
    pi = np.full((env.n_states, 4), 0.25)
    Phi = one_hot_features(env.n_states)
    tab = train_td0_prediction(env, pi, n_episodes=100, alpha=0.1, gamma=0.9, seed=2)
    lin = train_semi_gradient_td0(env, pi, Phi, n_episodes=100, alpha=0.1, gamma=0.9, seed=2)
    np.testing.assert_array_equal(lin.w, tab.V)
    mrp = random_walk_mrp()
    tab = train_td0_prediction(mrp, n_episodes=300, alpha=0.1, seed=0)
    lin = train_semi_gradient_td0(
        mrp, None, lambda s: np.eye(7)[s], n_episodes=300, alpha=0.1, seed=0
    )
    np.testing.assert_array_equal(lin.V, tab.V)


def test_state_aggregation_converges_to_the_visit_weighted_group_value():
    # 10 inner states in 5 groups of 2, every-visit gradient MC from the centre. Its fixed point
    # is w_g = sum_{s in g} mu(s) V(s) / sum_{s in g} mu(s), with mu(s) the expected number of
    # visits per episode: mu = d0 (I - P_inner)^-1 (computed here from the chain, not the code).
    n = 10
    mrp = random_walk_mrp(n)
    V_true = np.r_[0.0, np.arange(1, n + 1) / (n + 1), 0.0]  # i / (n + 1)
    P_inner = mrp.P[1:-1, 1:-1]  # (n, n)
    d0 = np.eye(n)[n // 2 - 1]  # start in state s5
    mu = d0 @ np.linalg.inv(np.eye(n) - P_inner)  # (n,)
    groups = np.arange(n) // 2
    w_star = np.array(
        [(mu * V_true[1:-1])[groups == g].sum() / mu[groups == g].sum() for g in range(5)]
    )
    Phi = np.zeros((n + 2, 5))
    Phi[1:-1] = state_aggregation_features(n, 5)  # terminals: phi = 0
    # All returns of one episode are 0 or 1 together, so a single constant-alpha run is noisy
    # (about +-0.05): average the final weights of 4 seeds.
    runs = [
        train_gradient_mc(
            mrp,
            None,
            Phi,
            n_episodes=1000,
            alpha=0.002,
            first_visit=False,
            start=n // 2,
            w0=np.full(5, 0.5),
            seed=seed,
            V_true=V_true,
        )
        for seed in range(4)
    ]
    w = np.mean([r.w for r in runs], axis=0)
    np.testing.assert_allclose(w, w_star, atol=0.08)
    assert np.all(np.diff(w) > 0)  # values increase toward the +1 end
    assert all(r.history["rms"][-100:].mean() < r.history["rms"][:10].mean() for r in runs)
    # ... and least_squares_weights with the same mu gives the same best fit
    mu_full = np.r_[0.0, mu, 0.0]
    np.testing.assert_allclose(least_squares_weights(Phi, V_true, mu_full), w_star, atol=1e-12)


# ---------------------------------------------------------------- feature maps
def test_feature_shapes_and_values():
    np.testing.assert_array_equal(one_hot_features(3), np.eye(3))
    agg = state_aggregation_features(6, 3)
    np.testing.assert_array_equal(agg.argmax(axis=1), [0, 0, 1, 1, 2, 2])
    rbf = rbf_features(5, 3)  # centres 0, 0.5, 1; width 0.5; + bias
    assert rbf.shape == (5, 4)
    assert rbf[0, 0] == 1.0 and rbf[2, 1] == 1.0 and np.all(rbf[:, -1] == 1.0)
    assert rbf[1, 0] == pytest.approx(np.exp(-(0.25**2) / (2 * 0.5**2)))
    tiles = tile_features(8, n_tilings=2, tile_width=4)
    assert np.all(tiles.sum(axis=1) == 2)  # one active tile per tiling
    # tiling 0: [0-3][4-7]; tiling 1 (shift 2): [0-1][2-5][6-7]
    np.testing.assert_array_equal(tiles[:, :2].argmax(1), [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(tiles[:, 2:].argmax(1), [0, 0, 1, 1, 1, 1, 2, 2])


def test_coordinate_features_on_minegrid():
    env = MineGrid("default")  # 5 x 5, two power tiles -> 100 states
    Phi = coordinate_features(env)
    assert Phi.shape == (env.n_states, 3 + 2)
    s = env.encode(4, 2, 0b10)
    np.testing.assert_allclose(Phi[s], [1.0, 0.5, 0.0, 1.0, 1.0])


# ---------------------------------------------------------------- where they converge
def test_least_squares_weights_solve_the_weighted_normal_equations():
    rng = np.random.default_rng(0)
    Phi = rng.standard_normal((12, 3))
    V = rng.standard_normal(12)
    mu = rng.random(12)
    w = least_squares_weights(Phi, V, mu)
    # normal equations Phi^T D Phi w = Phi^T D V, D = diag(mu), solved here by numpy directly
    D = np.diag(mu)
    np.testing.assert_allclose(w, np.linalg.solve(Phi.T @ D @ Phi, Phi.T @ D @ V), atol=1e-12)
    # without mu: the ordinary least-squares fit
    np.testing.assert_allclose(
        least_squares_weights(Phi, V), np.linalg.solve(Phi.T @ Phi, Phi.T @ V), atol=1e-12
    )
    # by hand: one constant feature fits the mu-weighted mean
    np.testing.assert_allclose(
        least_squares_weights(np.ones((3, 1)), [1.0, 2.0, 6.0], [0.5, 0.25, 0.25]), [2.5]
    )


def test_td_fixed_point_with_one_hot_features_is_the_exact_V():
    mrp = random_walk_mrp(5)  # gamma = 1, V = k / 6
    mu = np.r_[0.0, np.full(5, 0.2), 0.0]  # any positive weights on the inner states
    w = td_fixed_point(one_hot_features(7), mrp.P, mrp.R, mu, mrp.terminal, gamma=1.0)
    np.testing.assert_allclose(w[1:-1], np.arange(1, 6) / 6, atol=1e-12)


def test_td_fixed_point_satisfies_A_w_equals_b():
    # discounted 6-state chain, 2 RBF-ish features + bias: A w = b with A, b built by hand
    rng = np.random.default_rng(1)
    P = rng.random((6, 6))
    P /= P.sum(axis=1, keepdims=True)
    R = rng.standard_normal(6)
    mu = rng.random(6)
    mu /= mu.sum()
    Phi = rbf_features(6, 2)  # (6, 3)
    w = td_fixed_point(Phi, P, R, mu, gamma=0.8)
    A = Phi.T @ np.diag(mu) @ (Phi - 0.8 * P @ Phi)
    b = Phi.T @ np.diag(mu) @ R
    np.testing.assert_allclose(A @ w, b, atol=1e-12)
    # a terminal state's features count as 0 in P Phi
    terminal = np.zeros(6, bool)
    terminal[5] = True
    w_t = td_fixed_point(Phi, P, R, mu, terminal, gamma=0.8)
    Phi_next = Phi.copy()
    Phi_next[5] = 0.0
    A_t = Phi.T @ np.diag(mu) @ (Phi - 0.8 * P @ Phi_next)
    np.testing.assert_allclose(A_t @ w_t, b, atol=1e-12)


def test_semi_gradient_td0_hovers_at_the_td_fixed_point():
    # aggregation of a 10-state walk into 5 groups: TD's fixed point differs from the best fit
    n = 10
    mrp = random_walk_mrp(n)
    Phi = np.zeros((n + 2, 5))
    Phi[1:-1] = state_aggregation_features(n, 5)
    from rlcourse.mdp import on_policy_distribution

    mu = on_policy_distribution(mrp.P, mrp.terminal, n // 2)
    w_td = td_fixed_point(Phi, mrp.P, mrp.R, mu, mrp.terminal, gamma=1.0)
    runs = [
        train_semi_gradient_td0(
            mrp, None, Phi, n_episodes=600, alpha=0.01, start=n // 2, w0=np.full(5, 0.5), seed=seed
        ).w
        for seed in range(4)
    ]
    np.testing.assert_allclose(np.mean(runs, axis=0), w_td, atol=0.06)
