"""rlcourse.validation: every check refuses what it should, with a message that says the fix;
non-numbers are a TypeError, numbers out of range a ValueError."""

from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp

from rlcourse import validation as v

NOT_NUMBERS = ["0.1", None, True, [0.1], np.array([0.1, 0.2]), object()]


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    "check, name",
    [
        (v.check_alpha, "alpha"),
        (v.check_gamma, "gamma"),
        (v.check_epsilon, "epsilon"),
        (v.check_lam, "lam"),
        (v.check_beta, "beta"),
        (v.check_tol, "tol"),
    ],
)
@pytest.mark.parametrize("bad", NOT_NUMBERS, ids=repr)
def test_non_numbers_are_a_type_error_saying_so(check, name, bad):
    with pytest.raises(TypeError) as e:
        check(bad)
    msg = str(e.value)
    assert f"{name} must be a number" in msg and f"{name}=" in msg and "not a string" in msg


def test_the_message_quotes_a_string_as_a_string():
    with pytest.raises(TypeError, match=r"alpha must be a number, got the string '0.1'"):
        v.check_alpha("0.1")
    with pytest.raises(TypeError, match=r"got None"):
        v.check_alpha(None)
    with pytest.raises(TypeError, match=r"got bool True"):
        v.check_gamma(True)


@pytest.mark.parametrize(
    "check, good, bad, words",
    [
        (v.check_alpha, [1e-9, 0.1, 1.0, np.float32(0.5), 1], [0.0, -0.1, 1.0001, 2], "(0, 1]"),
        (v.check_gamma, [0.0, 0.9, 1.0, 1], [-0.01, 1.01], "[0, 1]"),
        (v.check_epsilon, [0.0, 0.1, 1.0], [-0.1, 1.5], "[0, 1]"),
        (v.check_lam, [0.0, 0.95, 1.0], [-1.0, 1.1], "[0, 1]"),
        (v.check_beta, [1e-6, 0.1, 10.0], [0.0, -0.1], "> 0"),
        (v.check_tol, [1e-12, 0.5], [0.0, -1e-8], "> 0"),
    ],
)
def test_ranges(check, good, bad, words):
    for x in good:
        assert check(x) == float(x) and type(check(x)) is float
    for x in bad:
        with pytest.raises(ValueError) as e:
            check(x)
        assert words in str(e.value) and repr(x) in str(e.value)


@pytest.mark.parametrize("x", [float("nan"), float("inf"), -np.inf])
def test_non_finite_numbers(x):
    for check in (v.check_alpha, v.check_gamma, v.check_tol):
        with pytest.raises(ValueError, match="finite"):
            check(x)


def test_a_zero_d_array_is_a_number():
    assert v.check_gamma(np.array(0.5)) == 0.5
    assert v.check_positive_int(np.array(3), "n", 1) == 3


def test_check_number_and_probability():
    assert v.check_number(3, "x", "x=1") == 3.0
    with pytest.raises(TypeError, match=r"x must be a number.*x=1"):
        v.check_number("3", "x", "x=1")
    assert v.check_probability(0.3, "slip") == 0.3
    with pytest.raises(ValueError, match=r"slip must be a probability in \[0, 1\].*slip=0.1"):
        v.check_probability(1.2, "slip")


def test_custom_names_appear_in_the_messages():
    with pytest.raises(ValueError, match="epsilon_min"):
        v.check_epsilon(2.0, "epsilon_min")
    with pytest.raises(TypeError, match="lr must be a number.*lr=0.1"):
        v.check_alpha("x", "lr")


# ---------------------------------------------------------------- integers
def test_integers():
    assert v.check_positive_int(5, "n_episodes", 100) == 5
    assert v.check_positive_int(np.int64(5), "n_episodes", 100) == 5
    assert v.check_nonnegative_int(0, "n", 3) == 0
    with pytest.raises(ValueError, match=r"n_episodes must be a positive integer \(>= 1\), got 0"):
        v.check_positive_int(0, "n_episodes", 100)
    with pytest.raises(ValueError, match=r"non-negative integer \(>= 0\), got -3; e.g. n=3"):
        v.check_nonnegative_int(-3, "n", 3)
    with pytest.raises(TypeError, match=r"n must be an integer \(2.7 is not a whole number\)"):
        v.check_nonnegative_int(2.7, "n", 3)
    with pytest.raises(TypeError, match=r"n must be an integer \(2.0 is not a whole number\)"):
        v.check_nonnegative_int(2.0, "n", 3)
    for bad in ("5", None, True, [5]):
        with pytest.raises(TypeError, match="n_episodes must be an integer.*n_episodes=100"):
            v.check_positive_int(bad, "n_episodes", 100)


# ---------------------------------------------------------------- rows and policies
def test_check_rows_dense_and_sparse():
    label = lambda i: f"row {i}"  # noqa: E731
    good = np.array([[0.5, 0.5], [1.0, 0.0]])
    for M in (good, sp.csr_matrix(good)):
        v.check_rows(M, label, "p", "Fix it.")
    for bad, words in [
        ([[0.5, 0.6], [1.0, 0.0]], "row 0 sum to 1.1"),
        ([[1.5, -0.5], [1.0, 0.0]], "row 0, column 1 is -0.5 < 0"),
        ([[0.5, np.nan], [1.0, 0.0]], "finite"),
        ([[1.0, 0.0], [0.0, 0.0]], "row 1 sum to 0"),
    ]:
        for M in (np.array(bad), sp.csr_matrix(np.array(bad))):
            with pytest.raises(ValueError) as e:
                v.check_rows(M, label, "p", "Fix it.")
            assert words in str(e.value) and "Fix it." in str(e.value)
    # zero rows allowed where asked (terminal states)
    v.check_rows(
        np.array([[1.0, 0.0], [0.0, 0.0]]), label, "p", "", allow_zero_rows=np.array([False, True])
    )


def test_check_policy():
    pi = v.check_policy([[0.5, 0.5], [1, 0]], 2, 2)
    assert pi.dtype == np.float64 and pi.shape == (2, 2)
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(S, A\) = \(2, 2\).*np.full"):
        v.check_policy([0.5, 0.5, 0.0], 2, 2)
    with pytest.raises(ValueError, match=r"state 1 sum to 0.9.*pi.sum\(axis=1"):
        v.check_policy([[0.5, 0.5], [0.9, 0.0]], 2, 2)
    with pytest.raises(
        ValueError, match="state 0, action 1 is inf; every probability must be a finite number"
    ):
        v.check_policy([[0.0, np.inf], [1.0, 0.0]], 2, 2)
    with pytest.raises(ValueError, match="state 0, action 0 is -1 < 0"):
        v.check_policy([[-1.0, 2.0], [1.0, 0.0]], 2, 2)
    with pytest.raises(TypeError, match=r"policy pi must be an \(S, A\) array.*np.full"):
        v.check_policy([["a", "b"], ["c", "d"]], 2, 2)
    with pytest.raises(ValueError, match="'home'"):
        v.check_policy([[1.0, 1.0], [1.0, 0.0]], 2, 2, state_label=lambda s: ["'home'", "'x'"][s])


# ---------------------------------------------------------------- terminal, state, vector
def test_check_terminal_forms():
    S = 4
    np.testing.assert_array_equal(v.check_terminal(None, S), [False] * 4)
    np.testing.assert_array_equal(
        v.check_terminal([False, True, False, True], S), [False, True, False, True]
    )
    np.testing.assert_array_equal(v.check_terminal([3], S), [False, False, False, True])
    np.testing.assert_array_equal(v.check_terminal([0, 3], S), [True, False, False, True])
    np.testing.assert_array_equal(v.check_terminal(np.array([2.0]), S), [False, False, True, False])
    np.testing.assert_array_equal(v.check_terminal([], S), [False] * 4)
    mask = np.array([True, False, False, False])
    out = v.check_terminal(mask, S)
    out[1] = True
    assert not mask[1]  # a copy: the caller's mask is never changed


def test_check_terminal_refuses_what_is_ambiguous_or_wrong():
    with pytest.raises(ValueError, match=r"ambiguous.*0/1 mask or the state indices \[0, 1\]"):
        v.check_terminal(np.array([0, 1, 0, 1]), 4)  # an int array of 0s and 1s, length S
    with pytest.raises(TypeError, match="gamma is keyword-only: write gamma=0.9"):
        v.check_terminal(0.9, 4)  # MDP(P, R, 0.9): the old place of gamma
    with pytest.raises(ValueError, match=r"terminal state index 7 is out of range.*0..3"):
        v.check_terminal([1, 7], 4)
    with pytest.raises(ValueError, match=r"terminal state index -1 is out of range"):
        v.check_terminal([-1], 4)
    with pytest.raises(ValueError, match=r"boolean mask of shape \(S,\) = \(4,\)"):
        v.check_terminal([True, False], 4)
    with pytest.raises(TypeError, match="dtype"):
        v.check_terminal([0.5], 4)
    with pytest.raises(TypeError, match="dtype"):
        v.check_terminal([[0, 1]], 4)


def test_check_state():
    assert v.check_state(np.int64(2), 3) == 2
    with pytest.raises(ValueError, match=r"start 3 is out of range; valid state indices are 0..2"):
        v.check_state(3, 3, "start")
    with pytest.raises(ValueError, match="out of range"):
        v.check_state(-1, 3)
    for bad in (1.0, "1", None, True):
        with pytest.raises(TypeError, match="must be a state index"):
            v.check_state(bad, 3)


def test_check_vector():
    x = [1.0, 2.0]
    out = v.check_vector(x, 2, "V")
    out[0] = 9.0
    assert x[0] == 1.0  # a copy
    with pytest.raises(ValueError, match=r"V must have shape \(3,\), one value per state"):
        v.check_vector(x, 3, "V")
    with pytest.raises(ValueError, match=r"V\[1\] is nan"):
        v.check_vector([0.0, np.nan], 2, "V")
    with pytest.raises(TypeError, match=r"V must be an array of shape \(2,\)"):
        v.check_vector(["a", "b"], 2, "V")


# ---------------------------------------------------------------- config dataclasses
@dataclass(frozen=True, kw_only=True)
class _Config:
    alpha: float = 0.1
    n_episodes: int = 10

    def __post_init__(self):
        v.check_alpha(self.alpha)


def test_make_config():
    assert v.make_config(_Config, None, {}) == _Config()
    assert v.make_config(_Config, None, {"alpha": 0.5}).alpha == 0.5
    base = _Config(n_episodes=3)
    assert v.make_config(_Config, base, {}) is base
    assert v.make_config(_Config, base, {"alpha": 0.2}) == _Config(alpha=0.2, n_episodes=3)
    with pytest.raises(
        TypeError,
        match=r"unknown _Config field\(s\) \['alhpa'\]; the fields are "  # codespell:ignore alhpa
        r"\['alpha', 'n_episodes'\]",
    ):
        v.make_config(_Config, None, {"alhpa": 0.5})  # codespell:ignore alhpa
    with pytest.raises(TypeError, match="config must be a _Config"):
        v.make_config(_Config, {"alpha": 0.5}, {})
    with pytest.raises(TypeError, match="alpha must be a number"):
        v.make_config(_Config, base, {"alpha": "0.1"})  # the dataclass's own check runs


def test_check_terminal_single_index_says_how_to_write_it():
    with pytest.raises(
        TypeError,
        match=r"single number 2; for one terminal state write "
        r"terminal=\[2\]",
    ):
        v.check_terminal(2, 4)


# ---------------------------------------------------------------- actions and arrays
def test_check_action():
    assert v.check_action(1, 4) == 1 and v.check_action(np.int64(3), 4) == 3
    with pytest.raises(ValueError, match=r"a 4 is out of range; valid action indices are 0..3"):
        v.check_action(4, 4)
    with pytest.raises(ValueError, match="out of range"):
        v.check_action(-1, 4)
    for bad in (1.0, "1", None, True):
        with pytest.raises(TypeError, match="a must be an action index"):
            v.check_action(bad, 4)


def test_check_array():
    x = np.zeros(3)
    assert v.check_array(x, "x", "an array") is x  # float64 arrays pass without a copy
    np.testing.assert_array_equal(v.check_array([1, 2], "x", "an array"), [1.0, 2.0])
    for bad, words in [
        (None, "None"),
        ("abc", "the string 'abc'"),
        ([[1, 2], [3]], "lists of different lengths"),
        ({"a": 1}, "dict"),
    ]:
        with pytest.raises(TypeError, match=f"R must be an array of rewards, got .*{words}"):
            v.check_array(bad, "R", "an array of rewards")
    from rlcourse.mdp import two_state_chain

    with pytest.raises(TypeError, match="got a MarkovChain object"):
        v.check_array(two_state_chain(), "P", "an (S, S) array")


def test_learning_rate_and_hidden_sizes_checks_teach():
    from rlcourse.validation import check_hidden_sizes, check_learning_rate

    assert check_learning_rate(2.5e-3) == 2.5e-3
    for bad in (0, -1e-3):
        with pytest.raises(ValueError, match=r"learning_rate must be > 0.*learning_rate=0.001"):
            check_learning_rate(bad)
    with pytest.raises(ValueError, match=r"value_learning_rate=0.01"):
        check_learning_rate(0.0, "value_learning_rate", 1e-2)
    with pytest.raises(TypeError):
        check_learning_rate("fast")
    assert check_hidden_sizes((128, 128)) == (128, 128) and check_hidden_sizes(()) == ()
    with pytest.raises(TypeError, match=r"tuple of layer widths.*hidden_sizes=\(128, 128\)"):
        check_hidden_sizes([64, 64], (128, 128))
    with pytest.raises(ValueError, match="hidden_sizes"):
        check_hidden_sizes((64, 0))
