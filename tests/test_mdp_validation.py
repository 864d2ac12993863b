"""Every bad model or policy is rejected with a ValueError that names the state (and action)
and says how to fix it."""

import numpy as np
import pytest
import scipy.sparse as sp

from rlcourse.mdp import MDP, MRP, MarkovChain, evaluate_policy, policy_evaluation

STATES = ["home", "work", "T"]
ACTIONS = ["walk", "bus"]
FIX = ("fix", "use", "pass", "make", "must")


def _good():
    P = np.zeros((3, 2, 3))
    P[0, 0] = [0.5, 0.5, 0.0]
    P[0, 1] = [0.0, 0.0, 1.0]
    P[1, 0] = [0.0, 1.0, 0.0]  # "work" with "walk": stays
    P[1, 1] = [0.0, 0.5, 0.5]
    P[2, :, 2] = 1.0
    R = -np.ones((3, 2))
    return P, R


def _make(P=None, R=None, gamma=0.9, sparse=False, **kw):
    P0, R0 = _good()
    P = P0 if P is None else P
    R = R0 if R is None else R
    if sparse:
        P = sp.csr_matrix(P.reshape(-1, P.shape[-1]))
    terminal = kw.pop("terminal", [False, False, True])
    return MDP(P, R, terminal, gamma=gamma, states=STATES, actions=ACTIONS, **kw)


def _check(msg, *words):
    low = msg.lower()
    for w in words:
        assert w.lower() in low, (w, msg)
    assert any(f in low for f in FIX), msg


def test_good_model_builds_dense_and_sparse():
    assert _make().n_states == 3
    assert _make(sparse=True, gamma=1.0).is_sparse


@pytest.mark.parametrize("sparse", [False, True])
def test_negative_probability(sparse):
    P, _ = _good()
    P[1, 1] = [0.2, -0.2, 1.0]
    with pytest.raises(ValueError) as e:
        _make(P, sparse=sparse)
    _check(str(e.value), "'work' (index 1)", "'bus' (index 1)", ">= 0")


@pytest.mark.parametrize("sparse", [False, True])
def test_row_not_summing_to_one(sparse):
    P, _ = _good()
    P[0, 1] = [0.0, 0.3, 0.6]
    with pytest.raises(ValueError) as e:
        _make(P, sparse=sparse)
    _check(str(e.value), "'home' (index 0)", "'bus'", "0.9")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("sparse", [False, True])
def test_nan_inf_probability(bad, sparse):
    P, _ = _good()
    P[1, 0, 1] = bad
    with pytest.raises(ValueError) as e:
        _make(P, sparse=sparse)
    _check(str(e.value), "'work'", "'walk'", "finite")


def test_nan_reward():
    _, R = _good()
    R[0, 1] = np.nan
    with pytest.raises(ValueError) as e:
        _make(R=R)
    _check(str(e.value), "'home'", "'bus'", "finite")


def test_wrong_shapes():
    P, R = _good()
    with pytest.raises(ValueError) as e:
        _make(P[:, :, :2])
    _check(str(e.value), "shape (S, A, S)", "(3, 2, 3)")
    with pytest.raises(ValueError) as e:
        _make(R=R[:, :1])
    _check(str(e.value), "shape")
    with pytest.raises(ValueError) as e:
        _make(R=R[:, 0])
    _check(str(e.value), "shape (S, A)")
    with pytest.raises(ValueError) as e:
        MDP(sp.csr_matrix(P.reshape(6, 3))[:5], R, gamma=0.9)
    _check(str(e.value), "(S*A, S)")
    with pytest.raises(ValueError) as e:
        _make(terminal=[True, False])
    _check(str(e.value), "terminal", "(3,)")


@pytest.mark.parametrize(
    "gamma, words", [(-0.1, "[0, 1]"), (1.5, "[0, 1]"), (float("nan"), "finite")]
)
def test_gamma_out_of_range(gamma, words):
    with pytest.raises(ValueError) as e:
        _make(gamma=gamma)
    _check(str(e.value), "gamma", words)


@pytest.mark.parametrize("gamma", ["0.9", None, True])
def test_gamma_not_a_number(gamma):
    with pytest.raises(TypeError) as e:
        _make(gamma=gamma)
    _check(str(e.value), "gamma must be a number", "gamma=0.9")


@pytest.mark.parametrize("sparse", [False, True])
def test_gamma_one_needs_reachable_terminal(sparse):
    P, _ = _good()
    P[1, 1] = [0.0, 1.0, 0.0]  # now "work" can never leave
    _make(P, gamma=0.9, sparse=sparse)  # fine with discounting
    with pytest.raises(ValueError) as e:
        _make(P, gamma=1.0, sparse=sparse)
    msg = str(e.value)
    _check(msg, "'work' (index 1)", "gamma < 1", "terminal")
    assert "'home'" not in msg  # home can still reach T with "bus"


def test_name_lists_of_wrong_length():
    P, R = _good()
    with pytest.raises(ValueError) as e:
        MDP(P, R, gamma=0.9, states=["a", "b"])
    _check(str(e.value), "2 names", "3 states")
    with pytest.raises(ValueError) as e:
        MDP(P, R, gamma=0.9, actions=["x"])
    _check(str(e.value), "1 names", "2 actions")


def test_terminal_rows_may_be_zero():
    P, R = _good()
    P[2] = 0.0
    _make(P)


def test_bad_policies():
    m = _make()
    with pytest.raises(ValueError) as e:
        m.check_policy(np.ones((3, 3)) / 3)
    _check(str(e.value), "shape", "(3, 2)")
    with pytest.raises(ValueError) as e:
        m.check_policy([[1.0, 0.0], [1.5, -0.5], [1.0, 0.0]])
    _check(str(e.value), "'work' (index 1)", ">= 0")
    with pytest.raises(ValueError) as e:
        evaluate_policy(m, [[1.0, 0.0], [0.5, 0.5], [0.7, 0.0]])
    _check(str(e.value), "'T' (index 2)", "sum to 0.7")
    with pytest.raises(ValueError) as e:
        policy_evaluation(m.P, m.R, [[1.0, 0.0], [0.5, 0.5], [0.7, 0.0]], m.terminal, gamma=0.9)
    _check(str(e.value), "(index 2)", "sum to 0.7")


@pytest.mark.parametrize("sparse", [False, True])
def test_gamma_one_policy_that_never_ends(sparse):
    m = _make(gamma=1.0, sparse=sparse)
    walk = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])  # "work" + "walk" loops forever
    with pytest.raises(ValueError) as e:
        evaluate_policy(m, walk)
    _check(str(e.value), "'work' (index 1)", "terminal", "gamma < 1")
    with pytest.raises(ValueError) as e:
        MRP.from_policy(m, walk)
    _check(str(e.value), "'work'", "gamma < 1")
    with pytest.raises(ValueError) as e:
        policy_evaluation(m.P, m.R, walk, m.terminal, gamma=1.0)
    _check(str(e.value), "index 1", "terminal", "gamma < 1")
    bus = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    # home --bus--> T: -1 ; work --bus--> work/T: V = -1 + V/2 => V = -2
    np.testing.assert_allclose(evaluate_policy(m, bus).V, [-1.0, -2.0, 0.0])
    np.testing.assert_allclose(
        policy_evaluation(m.P, m.R, bus, [2], gamma=1.0, tol=1e-12), [-1.0, -2.0, 0.0], atol=1e-10
    )


def test_markov_chain_and_mrp_validation():
    with pytest.raises(ValueError) as e:
        MarkovChain([[0.5, 0.4], [0.0, 1.0]], states=["up", "down"])
    _check(str(e.value), "'up' (index 0)", "0.9")
    with pytest.raises(ValueError) as e:
        MRP([[1.0, 0.0], [0.0, 1.0]], [1.0, 0.0], [False, True], gamma=1.0, states=["a", "b"])
    _check(str(e.value), "'a' (index 0)", "gamma < 1")
    with pytest.raises(ValueError) as e:
        MarkovChain([[1.0]]).sample("nowhere", 3)
    _check(str(e.value), "nowhere")
