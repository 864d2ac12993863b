"""Chapter 05 (function approximation): features, v_hat(s, w) = phi(s)^T w, the gradient MC and
semi-gradient TD(0) weight updates, and the best linear fit, each written by the student
against plain numpy arrays, with exactly the contract of the package function of the same name
(``rlcourse.tabular``): data positional, hyperparameters keyword-only
(``gradient_mc_update(w, phi_s, G, *, alpha)``,
``semi_gradient_td0_update(w, phi_s, r, phi_next, terminal=False, *, alpha, gamma)``), and
updates that return a new array and leave ``w`` as it was.

Every expected value below is computed independently of the student's code: hand-worked
numbers written into the test (the arithmetic is in the comments), or the normal equations
Phi^T D Phi w = Phi^T D V solved with ``np.linalg.solve``. Each item has a test aimed at a
common mistake (named in its docstring): groups of size k instead of k groups, an element-wise
product instead of a dot product, a sign error in the gradient step, changing w in place,
bootstrapping from a terminal state, differentiating through the TD target, ``terminal`` in the
wrong place of the argument list, weighting the rows by mu instead of sqrt(mu).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rlcourse.grading import assert_array_close, assert_array_equal, assert_scalar_close, item
from rlcourse.grading.asserts import as_array, assert_unchanged, call_as_header, fresh_copy

_NEW_ARRAY_HINT = (
    "Return a new array (e.g. `return w + ...`) and leave the argument w as it "
    "was: `w += ...` or `w[...] = ...` changes the caller's weights."
)


def _unchanged(name: str, before: np.ndarray, after: np.ndarray) -> None:
    assert_unchanged(name, "w", before, after, hint=_NEW_ARRAY_HINT)


def _updated(new_w: Any, name: str) -> Any:
    """The update's result; None fails with the update contract (a new array, returned)."""
    if new_w is None:
        raise AssertionError(
            f"the update returned None instead of the new weights {name}. An update returns a "
            "NEW array and leaves w as it was (changing w in place and returning nothing "
            "breaks that contract)."
        )
    return new_w


def _call(fn, header: str, *args, updated: str | None = "w", **kwargs):
    """The exercise's call on fresh copies; the data arguments must come back unchanged (w, the
    one an update replaces, is checked by the update's own "returns a new array" test)."""
    return call_as_header(fn, header, *args, replaced=updated, **kwargs)


# ------------------------------------------------------------------ 05.state_aggregation_features
aggregation = item(
    "05.state_aggregation_features",
    function="state_aggregation_features",
    points=2,
    description="the (S, k) feature matrix of state aggregation",
)


@aggregation.test
def small_examples_by_hand(state_aggregation_features: Callable[..., Any]) -> None:
    """S = 5 states in k = 2 groups, and S = 10 in k = 3 (group of s = floor(s k / S))."""
    # S=5, k=2: floor(2s/5) for s = 0..4 is 0, 0, 0, 1, 1 (4/5, 6/5 -> 0, 1)
    expected = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)  # (5, 2)
    assert_array_close(
        state_aggregation_features(5, 2),
        expected,
        name="state_aggregation_features(5, 2)",
        hint="row s is phi(s): a 1 in the column of s's group, 0 elsewhere; the "
        "group of s is floor(s * n_groups / n_states).",
    )
    # S=10, k=3: floor(3s/10) for s = 0..9 is 0,0,0,0,1,1,1,2,2,2
    # (s = 3: 9/10 -> 0; s = 4: 12/10 -> 1; s = 7: 21/10 -> 2)
    groups = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    expected = np.zeros((10, 3))
    expected[np.arange(10), groups] = 1.0
    assert_array_close(
        state_aggregation_features(10, 3),
        expected,
        name="state_aggregation_features(10, 3)",
        hint="with 10 states and 3 groups the groups hold 4, 3 and 3 consecutive "
        "states; use integer division s * n_groups // n_states.",
    )


@aggregation.test
def k_groups_not_groups_of_k(state_aggregation_features: Callable[..., Any]) -> None:
    """n_groups is the number of groups (columns), not the size of a group."""
    # S=6, k=3: floor(3s/6) = s // 2 -> 0,0,1,1,2,2; the mistake s // 3 gives 0,0,0,1,1,1
    expected = np.zeros((6, 3))
    expected[np.arange(6), [0, 0, 1, 1, 2, 2]] = 1.0
    assert_array_close(
        state_aggregation_features(6, 3),
        expected,
        name="state_aggregation_features(6, 3)",
        hint="n_groups = 3 means 3 groups of 2 states here, not groups of 3 states "
        "(s // n_groups is the group of the wrong split).",
    )


@aggregation.test
def extreme_cases(state_aggregation_features: Callable[..., Any]) -> None:
    """k = S is the one-hot table (Phi = I); k = 1 is a single constant feature."""
    assert_array_equal(
        state_aggregation_features(4, 4),
        np.eye(4),
        name="state_aggregation_features(4, 4)",
        hint="with as many groups as states every state is its own group.",
    )
    assert_array_equal(
        state_aggregation_features(3, 1),
        np.ones((3, 1)),
        name="state_aggregation_features(3, 1)",
        hint="with one group every state has the feature vector (1,).",
    )


# --------------------------------------------------------------------------- 05.v_hat
vhat = item(
    "05.v_hat", function="v_hat", points=1, description="v_hat(s, w) = phi(s)^T w for one state"
)


VHAT_HEADER = "v_hat(phi_s, w)"


@vhat.test
def dot_product_by_hand(v_hat: Callable[..., Any]) -> None:
    """phi(s) = (1, 0, 2), w = (0.5, -1, 0.25): v_hat = 1*0.5 + 0*(-1) + 2*0.25."""
    value = _call(
        v_hat, VHAT_HEADER, np.array([1.0, 0.0, 2.0]), np.array([0.5, -1.0, 0.25]), updated=None
    )
    assert_scalar_close(
        value,
        1.0,
        name="v_hat(phi_s, w)",  # 0.5 + 0 + 0.5
        hint="v_hat is ONE number, the dot product phi_s @ w; phi_s * w is the "
        "vector of products, which still has to be summed.",
    )


@vhat.test
def tile_coding_example(v_hat: Callable[..., Any]) -> None:
    """two active binary features add their weights: phi = (0, 1, 1, 0), w = (3, 4, 5, 6)."""
    phi_s, w = np.array([0.0, 1.0, 1.0, 0.0]), np.array([3.0, 4.0, 5.0, 6.0])
    assert_scalar_close(
        _call(v_hat, VHAT_HEADER, phi_s, w, updated=None),
        9.0,
        name="v_hat(phi_s, w)",  # 4 + 5
        hint="sum phi_i(s) w_i over all features i.",
    )
    assert np.array_equal(w, [3.0, 4.0, 5.0, 6.0]) and np.array_equal(phi_s, [0, 1, 1, 0]), (
        "v_hat changed its arguments; computing a value must not modify phi_s or w."
    )


# --------------------------------------------------------------------------- 05.gradient_mc_update
gmc = item(
    "05.gradient_mc_update",
    function="gradient_mc_update",
    points=3,
    description="w' = w - alpha (phi(s)^T w - G) phi(s), as a new array",
)
GMC_HEADER = "gradient_mc_update(w, phi_s, G, *, alpha)"


@gmc.test
def update_by_hand(gradient_mc_update: Callable[..., Any]) -> None:
    """w = (1, 2, 0), phi(s) = (1, 0, 1), G = 3, alpha = 0.5."""
    # v_hat = 1*1 + 0*2 + 1*0 = 1; error phi^T w - G = 1 - 3 = -2;
    # w' = w - 0.5 * (-2) * phi = w + phi = (2, 2, 1)
    w = np.array([1.0, 2.0, 0.0])
    new_w = _call(
        gradient_mc_update, GMC_HEADER, w.copy(), np.array([1.0, 0.0, 1.0]), 3.0, alpha=0.5
    )
    assert_array_close(
        new_w,
        [2.0, 2.0, 1.0],
        name="gradient_mc_update(w, phi_s, G, alpha=0.5)",
        hint="w' = w - alpha * (phi_s @ w - G) * phi_s: a vector of the same shape as w.",
    )


@gmc.test
def moves_v_hat_toward_the_return(gradient_mc_update: Callable[..., Any]) -> None:
    """a step moves v_hat(s) toward G, from below and from above (catches a sign error)."""
    phi_s = np.array([0.5, 1.0, 0.0])
    w = np.array([0.2, -0.4, 1.0])  # v_hat = 0.1 - 0.4 = -0.3
    for G in (2.0, -3.0):  # one return above v_hat, one below
        new_w = _call(gradient_mc_update, GMC_HEADER, w.copy(), phi_s, G, alpha=0.1)
        assert_array_close(
            new_w,
            w - 0.1 * (phi_s @ w - G) * phi_s,
            name=f"w' for G = {G}",
            hint="check the sign: v_hat(s) - G is the prediction error, and "
            "gradient DEScent subtracts alpha * error * phi(s), which moves "
            "v_hat toward G.",
        )
        assert abs(phi_s @ new_w - G) < abs(phi_s @ w - G), (
            "after the update v_hat(s) moved away from G. Check the sign of the step."
        )


@gmc.test
def returns_a_new_array(gradient_mc_update: Callable[..., Any]) -> None:
    """the argument w is left unchanged and a new array is returned."""
    before = np.array([1.0, 2.0, 0.0])
    w = fresh_copy(before)
    _updated(gradient_mc_update(w, np.array([1.0, 0.0, 1.0]), 3.0, alpha=0.5), "w'")
    _unchanged("gradient_mc_update", before, w)


@gmc.test
def one_hot_is_the_tabular_update(gradient_mc_update: Callable[..., Any]) -> None:
    """with phi(s) = e_s only w[s] moves: w[s] + alpha (G - w[s]), the tabular MC update."""
    w = np.array([0.0, 0.0, 0.0, 0.0])
    # the worked example of [D001]: G_0 = 3, alpha = 0.1, V(S_0) = 0 + 0.1 * (3 - 0) = 0.3
    new_w = _call(
        gradient_mc_update, GMC_HEADER, w.copy(), np.array([0.0, 1.0, 0.0, 0.0]), 3.0, alpha=0.1
    )
    assert_array_close(
        new_w,
        [0.0, 0.3, 0.0, 0.0],
        name="w' with phi(s) = e_1",
        hint="only the weights of active features (phi_i(s) != 0) change; with a "
        "one-hot phi this is V(s) <- V(s) + alpha (G - V(s)).",
    )


# -------------------------------------------------------------------- 05.semi_gradient_td0_update
td = item(
    "05.semi_gradient_td0_update",
    function="semi_gradient_td0_update",
    points=3,
    description="w' = w + alpha [r + gamma phi(s')^T w - phi(s)^T w] phi(s), as a new array",
)
TD_HEADER = "semi_gradient_td0_update(w, phi_s, r, phi_next, terminal=False, *, alpha, gamma)"

# One transition used by several tests. v_hat(s) = phi_s @ W = 1*1 + 0*2 + 1*0 = 1,
# v_hat(s') = phi_next @ W = 0*1 + 1*2 + 1*0 = 2.
W = np.array([1.0, 2.0, 0.0])
PHI_S = np.array([1.0, 0.0, 1.0])
PHI_NEXT = np.array([0.0, 1.0, 1.0])


@td.test
def td_update_by_hand(semi_gradient_td0_update: Callable[..., Any]) -> None:
    """w = (1, 2, 0), phi(s) = (1, 0, 1), phi(s') = (0, 1, 1), r = 0.5, gamma = 0.9, alpha = 0.1."""
    # terminal left at its default False.
    # target = 0.5 + 0.9 * 2 = 2.3; delta = 2.3 - 1 = 1.3; w' = w + 0.1 * 1.3 * phi_s
    #        = (1 + 0.13, 2, 0 + 0.13) = (1.13, 2, 0.13)
    new_w = _call(
        semi_gradient_td0_update, TD_HEADER, W.copy(), PHI_S, 0.5, PHI_NEXT, alpha=0.1, gamma=0.9
    )
    assert_array_close(
        new_w,
        [1.13, 2.0, 0.13],
        name="semi_gradient_td0_update(...)",
        hint="delta = r + gamma * phi_next @ w - phi_s @ w, then "
        "w' = w + alpha * delta * phi_s (do not forget gamma; terminal is "
        "False when it is not given).",
    )


@td.test
def terminal_next_state_is_worth_zero(semi_gradient_td0_update: Callable[..., Any]) -> None:
    """terminal=True: the target is r alone, whatever phi_next is."""
    # target = 0.5 (v_hat(terminal) = 0); delta = 0.5 - 1 = -0.5; w' = w - 0.05 * phi_s
    #        = (0.95, 2, -0.05)
    new_w = _call(
        semi_gradient_td0_update,
        TD_HEADER,
        W.copy(),
        PHI_S,
        0.5,
        PHI_NEXT,
        True,
        alpha=0.1,
        gamma=0.9,
    )
    assert_array_close(
        new_w,
        [0.95, 2.0, -0.05],
        name="w' with terminal=True",
        hint="when S' is terminal its value is 0 by definition: do not "
        "bootstrap from phi_next @ w (phi_next may be any vector then).",
    )


@td.test
def terminal_is_data_alpha_gamma_by_keyword(semi_gradient_td0_update: Callable[..., Any]) -> None:
    """terminal is the 5th argument (positional or by name, default False); alpha, gamma by name."""
    w, phi_s, phi_next = np.array([0.5, -1.0]), np.array([1.0, 1.0]), np.array([2.0, 0.0])
    # v_hat(s) = 0.5 - 1 = -0.5, v_hat(s') = 2 * 0.5 = 1; r = 1, gamma = 0.5, alpha = 0.2
    # not terminal: delta = 1 + 0.5 * 1 + 0.5 = 2;  w' = w + 0.2 * 2 * (1, 1) = (0.9, -0.6)
    # terminal:     delta = 1 + 0.5 = 1.5;          w' = w + 0.2 * 1.5 * (1, 1) = (0.8, -0.7)
    new_w = _call(
        semi_gradient_td0_update,
        TD_HEADER,
        w.copy(),
        phi_s,
        1.0,
        phi_next,
        False,
        alpha=0.2,
        gamma=0.5,
    )
    assert_array_close(
        new_w,
        [0.9, -0.6],
        name="w' with terminal=False given as 5th argument",
        hint="terminal comes right after phi_next; alpha and gamma are keyword-only, after the *.",
    )
    new_w = _call(
        semi_gradient_td0_update,
        TD_HEADER,
        w.copy(),
        phi_s,
        1.0,
        phi_next,
        terminal=True,
        alpha=0.2,
        gamma=0.5,
    )
    assert_array_close(
        new_w,
        [0.8, -0.7],
        name="w' with terminal=True given by name",
        hint="use the argument terminal itself to decide whether to bootstrap.",
    )


@td.test
def semi_gradient_does_not_differentiate_the_target(
    semi_gradient_td0_update: Callable[..., Any],
) -> None:
    """only features active in S_t move; the target r + gamma v_hat(S') is held constant."""
    new_w = _call(
        semi_gradient_td0_update, TD_HEADER, W.copy(), PHI_S, 0.5, PHI_NEXT, alpha=0.1, gamma=0.9
    )
    new_w = as_array(new_w, "w'", "return the new weights: a numpy array with the shape of w.")
    assert new_w.shape == W.shape, "return the new weights: a numpy array with the shape of w."
    assert new_w[1] == W[1], (
        "w[1] changed although phi_1(S_t) = 0. The step direction is phi(S_t) alone: the "
        "semi-gradient treats the TD target as a constant, so there is no -gamma * phi(S') term."
    )


@td.test
def td_returns_a_new_array(semi_gradient_td0_update: Callable[..., Any]) -> None:
    """the argument w is left unchanged and a new array is returned."""
    w = fresh_copy(W)
    _updated(
        semi_gradient_td0_update(w, PHI_S.copy(), 0.5, PHI_NEXT.copy(), alpha=0.1, gamma=0.9), "w'"
    )
    _unchanged("semi_gradient_td0_update", W, w)


# ----------------------------------------------------------------------- 05.least_squares_weights
lsq = item(
    "05.least_squares_weights",
    function="least_squares_weights",
    points=2,
    description="the best linear fit: argmin_w sum_s mu(s) (phi(s)^T w - V(s))^2",
)


LSQ_HEADER = "least_squares_weights(Phi, V, mu=None)"


def _normal_equations(Phi, V, mu):
    """Independent reference: solve Phi^T D Phi w = Phi^T D V with D = diag(mu)."""
    return np.linalg.solve(Phi.T @ (mu[:, None] * Phi), Phi.T @ (mu * V))


@lsq.test
def constant_feature_gives_the_mean(least_squares_weights: Callable[..., Any]) -> None:
    """one constant feature: the fit is the (weighted) mean of V."""
    Phi = np.ones((3, 1))
    V = np.array([1.0, 2.0, 6.0])
    # uniform: (1 + 2 + 6) / 3 = 3
    assert_array_close(
        _call(least_squares_weights, LSQ_HEADER, Phi, V, updated=None),
        [3.0],
        name="least_squares_weights(Phi, V)",
        hint="return the weight vector w of shape (d,) (np.linalg.lstsq returns "
        "a tuple: its first entry is w).",
    )
    # mu = (1/2, 1/4, 1/4): 0.5*1 + 0.25*2 + 0.25*6 = 2.5
    assert_array_close(
        _call(least_squares_weights, LSQ_HEADER, Phi, V, np.array([0.5, 0.25, 0.25]), updated=None),
        [2.5],
        name="least_squares_weights(Phi, V, mu)",
        hint="mu weights the squared error of each state: ignoring mu, or "
        "scaling the rows by mu instead of sqrt(mu), gives a different mean.",
    )


@lsq.test
def representable_values_are_recovered(least_squares_weights: Callable[..., Any]) -> None:
    """if V = Phi w for some w, the best fit is exact (any weighting)."""
    Phi = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])  # bias and position
    V = Phi @ np.array([-1.0, 0.5])  # (-1, -0.5, 0, 0.5)
    assert_array_close(
        _call(least_squares_weights, LSQ_HEADER, Phi, V, updated=None),
        [-1.0, 0.5],
        name="w for a line",
        hint="values on a line are fitted exactly by (bias, slope) features.",
    )
    assert_array_close(
        _call(
            least_squares_weights, LSQ_HEADER, Phi, V, np.array([0.1, 0.2, 0.3, 0.4]), updated=None
        ),
        [-1.0, 0.5],
        name="w for a line with weights mu",
    )


@lsq.test
def matches_the_normal_equations(least_squares_weights: Callable[..., Any]) -> None:
    """a random 8-state, 3-feature problem, uniform and weighted (normal equations as reference)."""
    rng = np.random.default_rng(5)
    Phi = rng.normal(size=(8, 3))  # (S, d)
    V = rng.normal(size=8)  # (S,)
    mu = rng.random(8)
    mu /= mu.sum()  # (S,)
    assert_array_close(
        _call(least_squares_weights, LSQ_HEADER, Phi, V, updated=None),
        _normal_equations(Phi, V, np.ones(8)),
        name="w (uniform)",
        hint="minimise sum_s (phi(s)^T w - V(s))^2, e.g. with "
        "np.linalg.lstsq(Phi, V, rcond=None)[0].",
    )
    assert_array_close(
        _call(least_squares_weights, LSQ_HEADER, Phi, V, mu, updated=None),
        _normal_equations(Phi, V, mu),
        name="w (weighted by mu)",
        hint="with weights: multiply row s of Phi and V(s) by sqrt(mu(s)) and "
        "solve the ordinary least-squares problem.",
    )
