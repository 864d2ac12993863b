"""Every graded item of chapter 05 can pass and can fail (in-process, no kernels).

The solution notebook's functions score full marks, the exercise stub scores 0, and each planted
wrong answer below (a mistake students really make with linear function approximation) loses
points, caught by the item's test aimed at it, without check() printing the correct values.
"""

from __future__ import annotations

import numpy as np

from rlcourse.grading import items_for_chapter

from _solutions import Planted, item_tests

CHAPTER = "05"
ITEMS = items_for_chapter(CHAPTER)


# ------------------------------------------------------------------ 05.state_aggregation_features
def aggregation_groups_of_k(n_states, n_groups):
    """Group of s = s // n_groups: groups of n_groups states instead of n_groups groups."""
    s = np.arange(n_states)
    Phi = np.zeros((n_states, n_groups))
    Phi[s, s // n_groups] = 1.0
    return Phi


def aggregation_transposed(n_states, n_groups):
    """Phi as (n_groups, n_states): one row per group instead of one row per state."""
    s = np.arange(n_states)
    Phi = np.zeros((n_groups, n_states))
    Phi[s * n_groups // n_states, s] = 1.0
    return Phi


def aggregation_indices(n_states, n_groups):
    """The group index of each state (S,) instead of one-hot feature rows."""
    return np.arange(n_states) * n_groups // n_states


# ------------------------------------------------------------------ 05.v_hat
def v_hat_elementwise(phi_s, w):
    """phi_s * w: the vector of products, never summed."""
    return phi_s * w


def v_hat_active_weights(phi_s, w):
    """Sums the weights of the active features, as if every feature were binary."""
    return float(w[phi_s != 0].sum())


def v_hat_in_place(phi_s, w):
    """Right value, but multiplies the caller's w in place on the way."""
    w *= phi_s
    return float(w.sum())


# ------------------------------------------------------------------ 05.gradient_mc_update
def gradient_mc_sign_error(w, phi_s, G, *, alpha):
    """w + alpha (v_hat - G) phi: gradient ascent on the squared error."""
    return w + alpha * (phi_s @ w - G) * phi_s


def gradient_mc_in_place(w, phi_s, G, *, alpha):
    """Right values, but `w -= ...` changes the caller's weights and returns them."""
    w -= alpha * (phi_s @ w - G) * phi_s
    return w


def gradient_mc_direction_w(w, phi_s, G, *, alpha):
    """Steps along w instead of the gradient phi(s)."""
    return w - alpha * (phi_s @ w - G) * w


def gradient_mc_scalar_step(w, phi_s, G, *, alpha):
    """Subtracts alpha * error from every weight (the factor phi(s) forgotten)."""
    return w - alpha * (phi_s @ w - G)


# ------------------------------------------------------------------ 05.semi_gradient_td0_update
def td_bootstraps_terminal(w, phi_s, r, phi_next, terminal=False, *, alpha, gamma):
    """r + gamma v_hat(S') even when S' is terminal."""
    return w + alpha * (r + gamma * phi_next @ w - phi_s @ w) * phi_s


def td_full_gradient(w, phi_s, r, phi_next, terminal=False, *, alpha, gamma):
    """Differentiates through the target: direction phi(s) - gamma phi(s')."""
    v_next = 0.0 if terminal else phi_next @ w
    delta = r + gamma * v_next - phi_s @ w
    return w + alpha * delta * (phi_s - (0.0 if terminal else gamma) * phi_next)


def td_without_gamma(w, phi_s, r, phi_next, terminal=False, *, alpha, gamma):
    """r + v_hat(S'): the discount left out."""
    v_next = 0.0 if terminal else phi_next @ w
    return w + alpha * (r + v_next - phi_s @ w) * phi_s


def td_in_place(w, phi_s, r, phi_next, terminal=False, *, alpha, gamma):
    """Right values, but `w += ...` changes the caller's weights and returns them."""
    v_next = 0.0 if terminal else phi_next @ w
    w += alpha * (r + gamma * v_next - phi_s @ w) * phi_s
    return w


def td_old_argument_order(w, phi_s, r, phi_next, alpha, gamma, terminal=False):
    """The header before the contract: terminal last, after alpha and gamma (positional)."""
    v_next = 0.0 if terminal else phi_next @ w
    return w + alpha * (r + gamma * v_next - phi_s @ w) * phi_s


def td_terminal_keyword_only(w, phi_s, r, phi_next, *, alpha, gamma, terminal=False):
    """terminal moved behind the * with the hyperparameters: it can no longer be passed as data."""
    v_next = 0.0 if terminal else phi_next @ w
    return w + alpha * (r + gamma * v_next - phi_s @ w) * phi_s


# ------------------------------------------------------------------ 05.least_squares_weights
def lsq_ignores_mu(Phi, V, mu=None):
    """Ordinary least squares whatever mu says."""
    return np.linalg.lstsq(Phi, V, rcond=None)[0]


def lsq_rows_times_mu(Phi, V, mu=None):
    """Scales the rows by mu instead of sqrt(mu): minimises sum mu^2 error^2."""
    mu = np.ones(len(V)) if mu is None else mu
    return np.linalg.lstsq(mu[:, None] * Phi, mu * V, rcond=None)[0]


def lsq_returns_tuple(Phi, V, mu=None):
    """Returns np.linalg.lstsq's whole tuple (w, residuals, rank, singular values)."""
    sqrt_mu = np.sqrt(np.ones(len(V)) if mu is None else mu)
    return np.linalg.lstsq(sqrt_mu[:, None] * Phi, sqrt_mu * V, rcond=None)


def lsq_crashes_without_mu(Phi, V, mu=None):
    """np.sqrt(mu) with the default mu=None: TypeError."""
    sqrt_mu = np.sqrt(mu)
    return np.linalg.lstsq(sqrt_mu[:, None] * Phi, sqrt_mu * V, rcond=None)[0]


# ----------------------------------------------------------------------------- the planted cases
# answer: the correct values the catching test checks (worked out in ch05.py's comments); left
# out where they are round numbers that also appear among the inputs ("G = 2.0")
_PHI, _W = np.array([0.5, 1.0, 0.0]), np.array([0.2, -0.4, 1.0])
MC_TOWARD = np.concatenate([_W - 0.1 * (_PHI @ _W - G) * _PHI for G in (2.0, -3.0)])

PLANTED = [
    Planted("05.state_aggregation_features", aggregation_groups_of_k, "k_groups_not_groups_of_k"),
    Planted("05.state_aggregation_features", aggregation_transposed, "small_examples_by_hand"),
    Planted("05.state_aggregation_features", aggregation_indices, "small_examples_by_hand"),
    Planted("05.v_hat", v_hat_elementwise, "dot_product_by_hand", answer=(1.0,)),
    Planted("05.v_hat", v_hat_active_weights, "dot_product_by_hand", answer=(1.0,)),
    Planted("05.v_hat", v_hat_in_place, "tile_coding_example"),
    Planted(
        "05.gradient_mc_update",
        gradient_mc_sign_error,
        "moves_v_hat_toward_the_return",
        answer=MC_TOWARD,
    ),
    Planted("05.gradient_mc_update", gradient_mc_in_place, "returns_a_new_array"),
    Planted("05.gradient_mc_update", gradient_mc_direction_w, "update_by_hand"),
    Planted(
        "05.gradient_mc_update",
        gradient_mc_scalar_step,
        "one_hot_is_the_tabular_update",
        answer=(0.3,),
    ),
    Planted(
        "05.semi_gradient_td0_update",
        td_bootstraps_terminal,
        "terminal_next_state_is_worth_zero",
        answer=(0.95, -0.05),
    ),
    Planted(
        "05.semi_gradient_td0_update",
        td_full_gradient,
        "semi_gradient_does_not_differentiate_the_target",
        answer=(1.13, 0.13),
    ),
    Planted(
        "05.semi_gradient_td0_update", td_without_gamma, "td_update_by_hand", answer=(1.13, 0.13)
    ),
    Planted("05.semi_gradient_td0_update", td_in_place, "td_returns_a_new_array"),
    Planted(
        "05.semi_gradient_td0_update",
        td_old_argument_order,
        "terminal_is_data_alpha_gamma_by_keyword",
        answer=(0.9, -0.6, 0.8, -0.7),
    ),
    Planted(
        "05.semi_gradient_td0_update",
        td_terminal_keyword_only,
        "terminal_is_data_alpha_gamma_by_keyword",
        answer=(0.9, -0.6, 0.8, -0.7),
    ),
    Planted(
        "05.least_squares_weights", lsq_ignores_mu, "constant_feature_gives_the_mean", answer=(2.5,)
    ),
    Planted(
        "05.least_squares_weights",
        lsq_rows_times_mu,
        "constant_feature_gives_the_mean",
        answer=(2.5,),
    ),
    Planted("05.least_squares_weights", lsq_returns_tuple, "constant_feature_gives_the_mean"),
    Planted("05.least_squares_weights", lsq_crashes_without_mu, "constant_feature_gives_the_mean"),
]


# ----------------------------------------------------------------------------- tests
globals().update(item_tests(CHAPTER, ITEMS, PLANTED))  # the eight checks every chapter gets
