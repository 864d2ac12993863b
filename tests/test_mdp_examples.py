"""The teaching models of rlcourse.mdp.examples against independent calculations."""

import numpy as np

from rlcourse.mdp import jump_random_walk_mrp


def test_jump_random_walk_value_is_the_exit_probability_difference():
    n, jump = 60, 10
    walk = jump_random_walk_mrp(n, jump)
    assert walk.P.shape == (n + 2, n + 2) and np.allclose(walk.P.sum(axis=1), 1.0)
    # Independent: push the distribution forward until (almost) all mass is absorbed;
    # with gamma = 1, V(i) = P(end on the right) - P(end on the left).
    D = np.eye(n + 2)
    for _ in range(4000):
        D = D @ walk.P
    assert D[1:-1, 1:-1].max() < 1e-12  # absorbed
    V_absorb = D[:, -1] - D[:, 0]
    V = walk.value_closed_form()
    assert np.allclose(V[1:-1], V_absorb[1:-1], atol=1e-9)
    # the walk is symmetric: V(i) = -V(n + 1 - i)
    assert np.allclose(V[1:-1], -V[1:-1][::-1], atol=1e-12)
    # from state i, a first jump past the left end (k <= -i) has probability (jump-i+1)/(2 jump)
    assert np.isclose(walk.P[1, 0], jump / (2 * jump))
