"""The private fast sweep (rlcourse.mdp._fast) computes the same numbers as the readable
Bellman optimality operator, max_a [R + gamma P V] = q_from_v(...).max(axis=1)."""

import numpy as np
import pytest
import scipy.sparse as sp

from rlcourse.mdp import _fast, bellman_optimality, grid_mdp, q_from_v, random_mdp


def _readable(m, V):
    return q_from_v(m.P, m.R, V, m.terminal, gamma=m.gamma).max(axis=1)  # (S,)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 7 states (so small grids split into several uneven blocks); no stale cache."""
    monkeypatch.setattr(_fast, "BLOCK_STATES", 7)
    monkeypatch.setattr(_fast, "_cache", None)
    yield
    _fast._cache = None


def test_large_sparse_grid_takes_the_fast_path_and_agrees():
    m = grid_mdp(300, 300, gamma=0.9, slip=0.1)  # 90,000 states: 3 blocks of 32,768
    assert m.n_states > 2 * _fast.BLOCK_STATES and _fast.worth_it(m.P)
    V = np.random.default_rng(0).standard_normal(m.n_states)
    fast = bellman_optimality(m.P, m.R, V, m.terminal, gamma=m.gamma)
    np.testing.assert_allclose(fast, _readable(m, V), rtol=0, atol=1e-12)
    assert fast[m.terminal].tolist() == [0.0]


def test_small_models_stay_on_the_readable_path():
    assert not _fast.worth_it(grid_mdp(20, 20, gamma=0.9).P)  # 400 states
    assert _fast.worth_it(grid_mdp(32, 32, gamma=0.9).P)  # 1,024 states
    assert not _fast.worth_it(np.zeros((3, 2, 3)))  # a small dense model: readable
    assert _fast.worth_it(np.zeros((400, 8, 400)))  # 1.28 million entries: fast


def test_large_dense_model_takes_the_fast_path_and_agrees():
    m = random_mdp(400, 8, seed=3, gamma=0.95)  # 1.28 million entries in P
    terminal = np.zeros(400, dtype=bool)
    terminal[[5, 77]] = True
    assert _fast.worth_it(m.P)
    V = np.random.default_rng(1).standard_normal(400)
    fast = bellman_optimality(m.P, m.R, V, terminal, gamma=0.95)
    readable = q_from_v(m.P, m.R, V, terminal, gamma=0.95).max(axis=1)
    np.testing.assert_allclose(fast, readable, rtol=0, atol=1e-12)
    assert fast[terminal].tolist() == [0.0, 0.0]


def test_medium_sparse_grid_one_block_agrees():
    m = grid_mdp(40, 50, gamma=0.95, slip=0.2)  # 2,000 states: the fast path, one block
    V = np.random.default_rng(5).standard_normal(m.n_states)
    np.testing.assert_allclose(
        bellman_optimality(m.P, m.R, V, m.terminal, gamma=0.95), _readable(m, V), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("slip", [0.0, 0.3])
def test_fast_sweep_agrees_with_terminals_and_slip(small_blocks, slip):
    # 3 terminal goals (one of them the default corner), slipping moves, 10 x 11 = 110 states
    # in 16 blocks of 7 (the last one shorter)
    m = grid_mdp(10, 11, gamma=0.8, slip=slip)
    terminal = m.terminal.copy()
    terminal[[5, 57]] = True
    V = np.random.default_rng(1).standard_normal(m.n_states) * 10
    expected = q_from_v(m.P, m.R, V, terminal, gamma=0.8).max(axis=1)
    fast = _fast.bellman_optimality(m.P, m.R, np.where(terminal, 0.0, V), terminal, 0.8)
    np.testing.assert_allclose(fast, expected, rtol=0, atol=1e-12)
    assert np.all(fast[terminal] == 0.0)
    assert len(_fast._cache[2]) == -(-m.n_states // 7)


def test_cache_is_refreshed_when_P_changes(small_blocks):
    a = grid_mdp(6, 7, gamma=0.9, slip=0.2)
    b = grid_mdp(6, 7, gamma=0.9, slip=0.0, goal=(0, 0))  # same shape, other P
    V = np.linspace(-3, 3, a.n_states)
    for m in (a, b, a):
        fast = _fast.bellman_optimality(m.P, m.R, np.where(m.terminal, 0.0, V), m.terminal, 0.9)
        np.testing.assert_allclose(fast, _readable(m, V), atol=1e-12)
        assert _fast._cache[0]() is m.P
    # a new matrix with the same numbers but a different object is a new cache entry
    P2 = sp.csr_matrix(a.P, copy=True)
    _fast._row_blocks(P2, a.n_actions)
    assert _fast._cache[0]() is P2
    # changing the probabilities in place is seen too: the blocks are views of P.data
    P2.data[:] = 0.0
    P2.data[P2.indptr[:-1]] = 1.0  # every row: all mass on its first stored entry
    R = a.R
    fast = _fast.bellman_optimality(P2, R, V, np.zeros(a.n_states, bool), 0.9)
    expected = (R + 0.9 * (P2 @ V).reshape(R.shape)).max(axis=1)
    np.testing.assert_allclose(fast, expected, atol=1e-12)


def test_max_over_actions_is_max():
    Q = np.random.default_rng(2).standard_normal((50, 5))
    np.testing.assert_array_equal(_fast.max_over_actions(Q), Q.max(axis=1))
