"""Chapter 01 (Markov processes): returns, n-step distributions, stationary distributions and
MRP values, each written by the student against plain numpy arrays.

The functions have the package's contracts (``rlcourse.mdp``, same names): data positional,
hyperparameters keyword-only, so every test passes ``gamma=`` and ``tol=`` by keyword;
``mrp_value`` and ``mrp_value_iterative`` take ``terminal`` (a bool mask or None): terminal
states are worth 0 and are never backed up from, whatever their row of P and their reward hold.

Every expected value below is computed independently of the student's code: hand-worked
numbers written into the test, ``np.linalg.matrix_power``, an eigen-decomposition, or the
2-state closed forms. Each item has a test aimed at a common mistake (named in its docstring).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rlcourse.grading import assert_array_close, assert_scalar_close, item

# A 3-state chain whose P is far from symmetric, so mu P != P mu and the stationary
# distribution is not uniform. Its stationary distribution is (6, 4, 3) / 13 (checked by hand:
# 6*.7 + 4*.3 + 3*.2 = 6, 6*.2 + 4*.4 + 3*.4 = 4, 6*.1 + 4*.3 + 3*.4 = 3).
P_WEATHER = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.3, 0.4, 0.3],
        [0.2, 0.4, 0.4],
    ]
)  # (3, 3)
MU_WEATHER = np.array([6.0, 4.0, 3.0]) / 13.0  # (3,)

# Sutton & Barto's random walk (Example 6.2): T_left, A..E, T_right. The terminals are
# absorbing (a self-loop each), so with gamma = 1 the rows of I - P at T_left and T_right are
# zero and the system over ALL states is singular; over the inner states it is not. Entering
# T_right pays +1, so R(E) = 1/2 (expected reward of leaving E). By hand: v(k) = (v(k-1) +
# v(k+1)) / 2 makes v linear in k, v(k) = c k, and v(5) = 1/2 + v(4)/2 gives c = 1/6.
P_WALK = np.zeros((7, 7))  # (7, 7)
for _k in range(1, 6):
    P_WALK[_k, _k - 1] = P_WALK[_k, _k + 1] = 0.5
P_WALK[0, 0] = P_WALK[6, 6] = 1.0
R_WALK = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0])  # (7,)
TERMINAL_WALK = np.array([True, False, False, False, False, False, True])  # (7,)
V_WALK = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 0.0]) / 6.0  # (7,) v(k) = k / 6

# A model whose terminal states hold junk that must be ignored: state 2 is terminal but its row
# "moves" back to state 0 and its reward is 100; state 3 is terminal with an all-zero row and a
# reward of -50. (Both rows are allowed: a terminal row may be any distribution or all zero.)
# Only the non-terminal block counts: P_NN = [[.5, .25], [.2, .3]], R_N = (1, -2), gamma = 0.9,
# I - gamma P_NN = [[.55, -.225], [-.18, .73]], det = .4015 - .0405 = .361, so by Cramer's rule
# V_0 = (.73 * 1 + .225 * -2) / .361 = .28 / .361 and V_1 = (.18 * 1 + .55 * -2) / .361
# = -.92 / .361; V = 0 at both terminal states.
P_JUNK = np.array(
    [
        [0.5, 0.25, 0.25, 0.0],
        [0.2, 0.3, 0.25, 0.25],
        [1.0, 0.0, 0.0, 0.0],  # terminal: junk row (never used)
        [0.0, 0.0, 0.0, 0.0],  # terminal: all-zero row
    ]
)  # (4, 4)
R_JUNK = np.array([1.0, -2.0, 100.0, -50.0])  # (4,) the last two are junk
TERMINAL_JUNK = np.array([False, False, True, True])  # (4,)
V_JUNK = np.array([0.28 / 0.361, -0.92 / 0.361, 0.0, 0.0])  # (4,)


# ----------------------------------------------------------------------------- 01.discounted_return
discounted = item(
    "01.discounted_return",
    function="discounted_return",
    points=2,
    description="G_0 = sum_k gamma^k r_k of one reward sequence",
)


@discounted.test
def worked_example(discounted_return: Callable[..., Any]) -> None:
    """rewards [1, 0, 2, 3] with gamma = 0.5 (the lecture's worked example)."""
    G = discounted_return([1.0, 0.0, 2.0, 3.0], gamma=0.5)
    assert_scalar_close(
        G,
        1.0 + 0.0 * 0.5 + 2.0 * 0.25 + 3.0 * 0.125,
        name="discounted_return([1, 0, 2, 3], gamma=0.5)",
        hint="G_0 = r_0 + gamma r_1 + gamma^2 r_2 + ...; return a float.",
    )


@discounted.test
def first_reward_is_not_discounted(discounted_return: Callable[..., Any]) -> None:
    """the first reward counts in full (gamma^0 = 1), later ones are discounted."""
    assert_scalar_close(
        discounted_return([1.0, 0.0, 0.0], gamma=0.5),
        1.0,
        name="discounted_return([1, 0, 0], gamma=0.5)",
        hint="the exponent of gamma for reward r_k is k, starting at k = 0, not k + 1.",
    )
    assert_scalar_close(
        discounted_return(np.array([0.0, 0.0, 4.0]), gamma=0.5),
        1.0,
        name="discounted_return(np.array([0, 0, 4]), gamma=0.5)",
        hint="the third reward (k = 2) is multiplied by gamma^2; make sure "
        "you do not reverse the rewards.",
    )


@discounted.test
def edge_cases(discounted_return: Callable[..., Any]) -> None:
    """gamma = 0 keeps only r_0, gamma = 1 is the plain sum, an empty episode is worth 0."""
    r = [2.0, -1.0, 5.0]
    assert_scalar_close(
        discounted_return(r, gamma=0.0),
        2.0,
        name="discounted_return(r, gamma=0.0)",
        hint="with gamma = 0 only the first reward counts (0.0 ** 0 is 1).",
    )
    assert_scalar_close(
        discounted_return(r, gamma=1.0),
        6.0,
        name="discounted_return(r, gamma=1.0)",
        hint="with gamma = 1 the return is the plain sum of the rewards.",
    )
    assert_scalar_close(
        discounted_return([], gamma=0.9),
        0.0,
        name="discounted_return([], gamma=0.9)",
        hint="an episode without rewards has return 0.0.",
    )


# --------------------------------------------------------------------------------------- 01.returns
returns_item = item(
    "01.returns",
    function="returns",
    points=2,
    description="G_t for every step t by the backward recursion",
)


@returns_item.test
def worked_example_all_steps(returns: Callable[..., Any]) -> None:
    """rewards [1, 0, 2, 3], gamma = 0.5: G_t for t = 0..3 as worked out by hand."""
    # G_3 = 3, G_2 = 2 + 0.5*3 = 3.5, G_1 = 0 + 0.5*3.5 = 1.75, G_0 = 1 + 0.5*1.75 = 1.875
    G = returns([1.0, 0.0, 2.0, 3.0], gamma=0.5)
    assert_array_close(
        G,
        [1.875, 1.75, 3.5, 3.0],
        name="returns([1, 0, 2, 3], gamma=0.5)",
        hint="return a numpy array of shape (T,) with G_t = r_t + gamma G_{t+1} and G_T = 0.",
    )


@returns_item.test
def returns_restart_discounting_at_t(returns: Callable[..., Any]) -> None:
    """G_t discounts from step t (gamma^0 for r_t), not from the start of the episode."""
    # a common slip: G_t = sum_{k >= t} gamma^k r_k, which shrinks later returns by gamma^t
    G = returns(np.array([0.0, 0.0, 0.0, 8.0]), gamma=0.5)
    assert_array_close(
        G,
        [1.0, 2.0, 4.0, 8.0],
        name="returns([0, 0, 0, 8], gamma=0.5)",
        hint="the reward r_t itself is not discounted in G_t; r_{t+k} gets gamma^k.",
    )


@returns_item.test
def long_episode_matches_direct_sum(returns: Callable[..., Any]) -> None:
    """a 50-step random episode: every G_t equals the direct sum sum_k gamma^k r_{t+k}."""
    rng = np.random.default_rng(1)
    r = rng.normal(size=50)  # (T,)
    gamma = 0.9
    expected = np.array([np.sum(gamma ** np.arange(50 - t) * r[t:]) for t in range(50)])
    r_in = r.copy()
    G = returns(r_in, gamma=gamma)
    assert_array_close(
        G,
        expected,
        name="returns(r, gamma=0.9)",
        hint="run the recursion from the last step backwards.",
    )
    assert np.array_equal(r_in, r), (
        "returns changed the rewards array it was given; write the "
        "returns into a new array (e.g. np.zeros_like)."
    )


# --------------------------------------------------------------------------- 01.n_step_distribution
nstep = item(
    "01.n_step_distribution",
    function="n_step_distribution",
    points=2,
    description="the distribution of s_n: mu_n = mu_0 P^n",
)


@nstep.test
def matches_matrix_power(n_step_distribution: Callable[..., Any]) -> None:
    """mu_0 P^n for n = 1, 2, 5 on a 3-state chain (checked against np.linalg.matrix_power)."""
    mu0 = np.array([0.5, 0.0, 0.5])
    for n in (1, 2, 5):
        expected = mu0 @ np.linalg.matrix_power(P_WEATHER, n)  # (S,)
        assert_array_close(
            n_step_distribution(P_WEATHER, mu0.copy(), n),
            expected,
            name=f"n_step_distribution(P, mu0, {n})",
            hint="multiply the row vector mu0 by P, n times: exactly n steps, not n - 1 or n + 1.",
        )


@nstep.test
def row_vector_times_P(n_step_distribution: Callable[..., Any]) -> None:
    """the distribution is propagated as mu P (a row vector on the left), not P mu."""
    # one step from a point mass on state 0 is row 0 of P; P @ mu would give column 0
    mu0 = np.array([1.0, 0.0, 0.0])
    assert_array_close(
        n_step_distribution(P_WEATHER, mu0, 1),
        P_WEATHER[0],
        name="n_step_distribution(P, [1, 0, 0], 1)",
        hint="P[s, s2] = p(s2 | s), so mu_1[s2] = sum_s mu0[s] P[s, s2]: use mu0 @ P, not P @ mu0.",
    )


@nstep.test
def zero_steps_and_probabilities(n_step_distribution: Callable[..., Any]) -> None:
    """n = 0 returns mu_0 unchanged; every mu_n sums to 1."""
    mu0 = np.array([0.2, 0.3, 0.5])
    assert_array_close(
        n_step_distribution(P_WEATHER, mu0.copy(), 0),
        mu0,
        name="n_step_distribution(P, mu0, 0)",
        hint="after 0 steps the distribution is mu0 itself.",
    )
    mu = np.asarray(n_step_distribution(P_WEATHER, mu0.copy(), 7), dtype=float)
    assert abs(mu.sum() - 1.0) < 1e-9, (
        "mu_7 does not sum to 1: a distribution times P stays a distribution."
    )


# ----------------------------------------------------------------------- 01.stationary_distribution
stationary = item(
    "01.stationary_distribution",
    function="stationary_distribution",
    points=2,
    description="mu with mu P = mu and sum(mu) = 1",
)


def _stationary_by_eig(P: np.ndarray) -> np.ndarray:
    """Left eigenvector of P for eigenvalue 1 (right eigenvector of P^T), normalised."""
    w, vecs = np.linalg.eig(P.T)
    v = np.real(vecs[:, np.argmin(np.abs(w - 1.0))])
    return v / v.sum()


@stationary.test
def three_state_chain(stationary_distribution: Callable[..., Any]) -> None:
    """a 3-state chain whose stationary distribution is not uniform."""
    mu = stationary_distribution(P_WEATHER.copy())
    assert_array_close(
        mu,
        _stationary_by_eig(P_WEATHER),
        name="stationary_distribution(P)",
        hint="mu is a LEFT eigenvector (mu P = mu, i.e. P.T mu = mu), normalised to sum to 1.",
        atol=1e-7,
    )


@stationary.test
def two_state_closed_form(stationary_distribution: Callable[..., Any]) -> None:
    """2-state chain a <-> b: mu = (q, p) / (p + q), summing to 1."""
    p, q = 0.3, 0.1
    P = np.array([[1 - p, p], [q, 1 - q]])
    assert_array_close(
        stationary_distribution(P),
        np.array([q, p]) / (p + q),
        name="stationary_distribution([[0.7, 0.3], [0.1, 0.9]])",
        hint="an eigenvector is only defined up to scale: divide it by its sum "
        "(not by its norm) so the probabilities add up to 1.",
        atol=1e-7,
    )


@stationary.test
def periodic_chain(stationary_distribution: Callable[..., Any]) -> None:
    """a periodic chain (0 -> 1 -> 2 -> 0) where mu_0 P^n never converges."""
    # powers of P cycle forever here, so "take a big power of P" gives a point mass,
    # while mu = (1/3, 1/3, 1/3) solves mu P = mu
    P = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert_array_close(
        stationary_distribution(P),
        np.full(3, 1 / 3),
        name="stationary_distribution(cycle)",
        hint="solve mu P = mu with sum(mu) = 1 directly (a linear system or an "
        "eigenvector); P^n need not converge.",
        atol=1e-7,
    )


# ------------------------------------------------------------------------------------- 01.mrp_value
mrp_value_item = item(
    "01.mrp_value",
    function="mrp_value",
    points=3,
    description="closed-form MRP values: (I - gamma P_NN) V_N = R_N over the "
    "non-terminal states N, V = 0 at terminal states",
)


@mrp_value_item.test
def one_absorbing_state(mrp_value: Callable[..., Any]) -> None:
    """one state that loops on itself with reward 1: V = 1 / (1 - gamma)."""
    V = mrp_value(np.array([[1.0]]), np.array([1.0]), gamma=0.9)
    assert_array_close(
        V,
        [10.0],
        name="mrp_value([[1]], [1], gamma=0.9)",
        hint="return a numpy array of shape (S,); v = R + gamma P v gives v = 1 + 0.9 v here.",
    )


@mrp_value_item.test
def two_state_by_hand(mrp_value: Callable[..., Any]) -> None:
    """a 2-state MRP solved by hand (Cramer's rule); P is not symmetric."""
    P = np.array([[0.5, 0.5], [0.2, 0.8]])
    R = np.array([1.0, -2.0])
    gamma = 0.9
    # (I - gamma P) = [[a, b], [c, d]]; V = [[d, -b], [-c, a]] R / (a d - b c)
    a, b, c, d = 1 - gamma * 0.5, -gamma * 0.5, -gamma * 0.2, 1 - gamma * 0.8
    det = a * d - b * c
    expected = np.array([d * R[0] - b * R[1], -c * R[0] + a * R[1]]) / det
    assert_array_close(
        mrp_value(P.copy(), R.copy(), gamma=gamma),
        expected,
        name="V",
        hint="solve (I - gamma P) V = R with P itself (row s = the next-state "
        "distribution of s), not P.T.",
    )


@mrp_value_item.test
def gamma_is_used(mrp_value: Callable[..., Any]) -> None:
    """gamma = 0 gives V = R; gamma = 0.5 on the weather chain satisfies v = R + gamma P v."""
    R = np.array([5.0, 1.0, -2.0])
    assert_array_close(
        mrp_value(P_WEATHER, R, gamma=0.0),
        R,
        name="mrp_value(P, R, gamma=0.0)",
        hint="with gamma = 0 only the immediate reward counts: V = R.",
    )
    V = np.asarray(mrp_value(P_WEATHER, R, gamma=0.5), dtype=float)
    residual = V - (R + 0.5 * P_WEATHER @ V)
    assert V.shape == (3,) and np.allclose(residual, 0.0, atol=1e-8), (
        "V does not satisfy the Bellman equation v = R + gamma P v for gamma = 0.5; did you "
        "forget gamma in (I - gamma P)?"
    )


@mrp_value_item.test
def random_walk_with_terminal_states(mrp_value: Callable[..., Any]) -> None:
    """the random walk A..E between two absorbing terminals, gamma = 1: v(k) = k / 6."""
    try:
        V = mrp_value(P_WALK.copy(), R_WALK.copy(), TERMINAL_WALK.copy(), gamma=1.0)
    except np.linalg.LinAlgError:
        raise AssertionError(
            "your linear solve failed (singular matrix): with gamma = 1 an absorbing terminal "
            "state makes its row of I - gamma P zero. Solve only over the non-terminal states N, "
            "(I - gamma P_NN) V_N = R_N, and leave V = 0 at the terminal states."
        ) from None
    assert_array_close(
        V,
        V_WALK,
        name="mrp_value(P_walk, R_walk, terminal, gamma=1.0)",
        hint="terminal states are worth 0 and only the non-terminal states are "
        "solved for: index P with the non-terminal mask on both axes.",
    )


@mrp_value_item.test
def terminal_rows_are_ignored(mrp_value: Callable[..., Any]) -> None:
    """terminal states are worth 0 whatever their row of P and their reward say (here junk)."""
    P, R, terminal = P_JUNK.copy(), R_JUNK.copy(), TERMINAL_JUNK.copy()
    V = mrp_value(P, R, terminal, gamma=0.9)
    assert_array_close(
        V,
        V_JUNK,
        name="mrp_value(P, R, terminal, gamma=0.9)",
        hint="a terminal state's row of P and its reward are never used: its value "
        "is 0, and the non-terminal states must not back up from it either "
        "(use P_NN, the non-terminal rows AND columns, and R_N).",
    )
    assert (
        np.array_equal(P, P_JUNK)
        and np.array_equal(R, R_JUNK)
        and np.array_equal(terminal, TERMINAL_JUNK)
    ), (
        "mrp_value changed an array it was given (P, R or terminal); leave the inputs untouched "
        "and select the non-terminal part instead (indexing with a mask makes a copy)."
    )


# --------------------------------------------------------------------------- 01.mrp_value_iterative
# a correct loop needs well under a second here; a loop that never meets tol is cut off early
iterative = item(
    "01.mrp_value_iterative",
    function="mrp_value_iterative",
    points=2,
    description="MRP values by iterating V <- R + gamma P V until converged, "
    "V = 0 kept at terminal states",
    time_limit=10.0,
)


class _NoLinearSolve:
    """Temporarily replace numpy's linear solvers so a test can tell iteration from solving."""

    NAMES = ("solve", "inv", "lstsq", "pinv")

    def __enter__(self):
        self.saved = {n: getattr(np.linalg, n) for n in self.NAMES}

        def refuse(*args, **kwargs):
            raise AssertionError(
                "mrp_value_iterative called a linear solver (np.linalg.solve/"
                "inv/lstsq/pinv); this exercise asks for repeated Bellman "
                "backups V <- R + gamma P V instead."
            )

        for n in self.NAMES:
            setattr(np.linalg, n, refuse)
        return self

    def __exit__(self, *exc):
        for n, f in self.saved.items():
            setattr(np.linalg, n, f)
        return False


@iterative.test
def matches_closed_form(mrp_value_iterative: Callable[..., Any]) -> None:
    """the 2-state MRP: iterating converges to the exact V (within 1e-8)."""
    P = np.array([[0.5, 0.5], [0.2, 0.8]])
    R = np.array([1.0, -2.0])
    a, b, c, d = 1 - 0.9 * 0.5, -0.9 * 0.5, -0.9 * 0.2, 1 - 0.9 * 0.8
    det = a * d - b * c
    expected = np.array([d * R[0] - b * R[1], -c * R[0] + a * R[1]]) / det
    with _NoLinearSolve():
        V = mrp_value_iterative(P, R, gamma=0.9, tol=1e-12)
    assert_array_close(
        V,
        expected,
        name="V",
        rtol=0.0,
        atol=1e-8,
        hint="start from V = 0 and apply V <- R + gamma P @ V until the largest "
        "change is below tol.",
    )


@iterative.test
def runs_until_tol_not_a_fixed_count(mrp_value_iterative: Callable[..., Any]) -> None:
    """gamma = 0.99 needs thousands of sweeps: stop on the tolerance, not after a fixed count."""
    # V = 1 / (1 - 0.99) = 100 for a self-loop with reward 1; after k sweeps from 0 the error
    # is 100 * 0.99^k, so stopping after, say, 1000 sweeps is still off by 0.004
    with _NoLinearSolve():
        V = mrp_value_iterative(np.array([[1.0]]), np.array([1.0]), gamma=0.99, tol=1e-10)
    assert_array_close(
        V,
        [100.0],
        name="mrp_value_iterative([[1]], [1], gamma=0.99)",
        rtol=0.0,
        atol=1e-6,
        hint="loop while max |V_new - V| >= tol (a while loop), not for a fixed "
        "number of iterations.",
    )


@iterative.test
def weather_chain(mrp_value_iterative: Callable[..., Any]) -> None:
    """the 3-state weather chain with gamma = 0.9 (checked against a linear solve)."""
    R = np.array([5.0, 1.0, -2.0])
    expected = np.linalg.solve(np.eye(3) - 0.9 * P_WEATHER, R)  # (S,) the exact answer
    with _NoLinearSolve():
        V = mrp_value_iterative(P_WEATHER, R, gamma=0.9, tol=1e-12)
    assert_array_close(
        V,
        expected,
        name="V",
        rtol=0.0,
        atol=1e-8,
        hint="back up every state with its full row of P (P @ V) and use gamma in every sweep.",
    )


@iterative.test
def random_walk_gamma_1(mrp_value_iterative: Callable[..., Any]) -> None:
    """the random walk A..E with gamma = 1 still converges: v(k) = k / 6."""
    # no discount, but every sweep leaks value into the terminal states, where V stays 0
    with _NoLinearSolve():
        V = mrp_value_iterative(
            P_WALK.copy(), R_WALK.copy(), TERMINAL_WALK.copy(), gamma=1.0, tol=1e-12
        )
    assert_array_close(
        V,
        V_WALK,
        name="V",
        rtol=0.0,
        atol=1e-8,
        hint="with gamma = 1 the iteration converges because the walk ends: keep "
        "V = 0 at the terminal states and stop on the tolerance.",
    )


@iterative.test
def terminal_values_stay_zero(mrp_value_iterative: Callable[..., Any]) -> None:
    """terminal states hold junk rows and rewards: V stays 0 there, and nobody backs up junk."""
    P, R, terminal = P_JUNK.copy(), R_JUNK.copy(), TERMINAL_JUNK.copy()
    with _NoLinearSolve():
        V = mrp_value_iterative(P, R, terminal, gamma=0.9, tol=1e-12)
    assert_array_close(
        V,
        V_JUNK,
        name="mrp_value_iterative(P, R, terminal, gamma=0.9)",
        rtol=0.0,
        atol=1e-8,
        hint="set V = 0 at the terminal states in EVERY sweep (not only at the "
        "end): a terminal state's reward and row of P are never used, so "
        "the states that lead into it see the value 0 there.",
    )
    assert (
        np.array_equal(P, P_JUNK)
        and np.array_equal(R, R_JUNK)
        and np.array_equal(terminal, TERMINAL_JUNK)
    ), (
        "mrp_value_iterative changed an array it was given (P, R or terminal); leave the inputs "
        "untouched (np.where(terminal, 0.0, R) makes a new array)."
    )
