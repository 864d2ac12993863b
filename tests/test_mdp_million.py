"""Value iteration on a 1,000,000-state sparse grid, never building a dense S x A x S array.

The expected value is the closed form of a deterministic grid with -1 per step: from a cell at
Manhattan distance d from the goal, the best return is -(1 + gamma + ... + gamma^(d-1))
= -(1 - gamma^d) / (1 - gamma).
"""

import tracemalloc

import numpy as np

from rlcourse.mdp import grid_mdp, solve_value_iteration


def test_value_iteration_on_a_million_state_grid_matches_the_closed_form():
    n, gamma = 1000, 0.9
    tracemalloc.start()
    mdp = grid_mdp(n, n, gamma=gamma)  # goal: bottom-right corner
    result = solve_value_iteration(mdp, tol=1e-6)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert mdp.n_states == 1_000_000 and mdp.is_sparse
    # a dense P would be 10^6 * 4 * 10^6 * 8 bytes = 32 TB; the whole run stays under 1.5 GB
    assert peak < 1.5e9, f"peak traced memory {peak / 1e9:.2f} GB"
    rows, cols = np.divmod(np.arange(mdp.n_states), n)
    d = (n - 1 - rows) + (n - 1 - cols)  # (S,) Manhattan distance to the goal
    V_exact = -(1 - gamma**d) / (1 - gamma)
    assert result.error_bound < 1e-6
    assert np.max(np.abs(result.V - V_exact)) < 1e-6
