"""Returns and advantages (rlcourse.deep.advantages) against numbers worked by hand, closed
forms, and Part I's ``returns`` (rlcourse.mdp.returns) as an independent oracle: [D001]'s
identities GAE(gamma, 0) = delta_t and GAE(gamma, 1) = G_t - V(s_t), truncation inside a
rollout, a rollout that ends mid-episode, n-step returns at n = 1 and n >= T, dtypes, errors."""

import warnings

import numpy as np
import pytest
import torch

from rlcourse.deep.advantages import discounted_returns, gae, n_step_returns, td_errors
from rlcourse.mdp import returns

F64 = torch.float64


def t64(x):
    return torch.tensor(x, dtype=F64)


# ---------------------------------------------------------------- a random (T, N) rollout
def random_rollout(T=40, N=5, seed=0, p_term=0.08, p_trunc=0.06):
    """Episodes laid out as a vector env stores them: V of every state along each env's
    trajectory, ``next_values[t] = values[t + 1]`` inside an episode, and at an episode's end
    (or the last row) the value of the true next observation, which is NOT the next row's
    state. At a termination next_values is a nonzero number that must be ignored (a network's
    output for a terminal state is not 0)."""
    rng = np.random.default_rng(seed)
    rewards = rng.normal(size=(T, N))
    values = rng.normal(size=(T, N))
    u = rng.random((T, N))
    terminated = u < p_term
    truncated = (u >= p_term) & (u < p_term + p_trunc)
    if T >= 10 and N >= 3:  # the cases the identity tests need, whatever the draw
        terminated[:7, 0], truncated[:7, 0] = False, False  # env 0: rows 0-3, then 4-7 ...
        terminated[3, 0], truncated[3, 0] = False, True  # ... one of each
        terminated[7, 0], truncated[7, 0] = True, False
        terminated[-1, 1], truncated[-1, 1] = True, False  # env 1's last episode is complete
        terminated[-1, 2], truncated[-1, 2] = False, False  # env 2 ends mid-episode
    done = terminated | truncated
    final_values = rng.normal(size=(T, N))  # V(true final observation) at an episode's end
    next_values = np.where(done, final_values, np.roll(values, -1, axis=0))
    next_values[-1] = final_values[-1]  # the observation after the rollout
    return rewards, values, next_values, terminated, truncated


def episodes(terminated, truncated, i):
    """(start, stop) row ranges of env i's episodes: each stops after a done row or the last."""
    T = terminated.shape[0]
    ends = [t + 1 for t in range(T) if terminated[t, i] or truncated[t, i]]
    if not ends or ends[-1] != T:
        ends.append(T)
    return list(zip([0, *ends[:-1]], ends))


def mc_returns_by_hand(rewards, next_values, terminated, truncated, *, gamma):
    """G_t from Part I's returns on each episode, plus the bootstrap written out: an episode cut
    by a truncation or by the rollout's end at row e adds gamma^(e + 1 - t) V(s_{e+1})."""
    G = np.zeros_like(rewards)
    for i in range(rewards.shape[1]):
        for start, stop in episodes(terminated, truncated, i):
            G[start:stop, i] = returns(rewards[start:stop, i], gamma=gamma)
            e = stop - 1
            if not terminated[e, i]:
                steps = np.arange(stop - start, 0, -1)  # e + 1 - t for t = start .. e
                G[start:stop, i] += gamma**steps * next_values[e, i]
    return G


def test_the_random_rollout_has_what_the_tests_need():
    r, v, nv, term, trunc = random_rollout()
    assert term.sum() >= 5 and trunc.sum() >= 5 and not (term & trunc).any()
    assert episodes(term, trunc, 0)[:2] == [(0, 4), (4, 8)]
    assert episodes(term, trunc, 2)[-1][1] == 40 and not (term[-1, 2] or trunc[-1, 2])
    # at a done row the next row's state is another episode's: next_values differs from it
    done = term | trunc
    assert not np.any(nv[:-1][done[:-1]] == v[1:][done[:-1]])


# ---------------------------------------------------------------- td_errors
def test_td_errors_by_hand():
    r, v, nv = t64([1.0, 0.0, 2.0]), t64([0.5, 1.0, 0.0]), t64([1.0, 4.0, 2.0])
    delta = td_errors(r, v, nv, torch.tensor([False, True, False]), gamma=0.9)
    # 1 + 0.9 * 1 - 0.5 = 1.4;  0 - 1 = -1 (terminated: V(s') = 4 ignored);  2 + 1.8 - 0 = 3.8
    torch.testing.assert_close(delta, t64([1.4, -1.0, 3.8]))
    # a truncation keeps the bootstrap: 0 + 0.9 * 4 - 1 = 2.6
    torch.testing.assert_close(td_errors(r, v, nv, gamma=0.9), t64([1.4, 2.6, 3.8]))


# ---------------------------------------------------------------- gae by hand, gamma 0.9, lam 0.5
R4, V4, NV4 = t64([1.0, 0.0, 2.0, 1.0]), t64([0.5, 1.0, 0.0, 2.0]), t64([1.0, 0.0, 5.0, 1.0])
# delta_t = r_t + 0.9 V(s_{t+1}) - V(s_t):
#   delta_0 = 1 + 0.9 * 1 - 0.5 =  1.4
#   delta_1 = 0 + 0.9 * 0 - 1.0 = -1.0
#   delta_2 = 2 + 0.9 * 5 - 0.0 =  6.5   (if terminated: 2 - 0 = 2.0)
#   delta_3 = 1 + 0.9 * 1 - 2.0 = -0.1   (bootstrap from next_values[3]: the rollout ends here)
# gamma lam = 0.45


def test_gae_by_hand_one_episode():
    A = gae(R4, V4, NV4, gamma=0.9, lam=0.5)
    # A_3 = -0.1
    # A_2 = 6.5 + 0.45 * (-0.1)    = 6.455
    # A_1 = -1.0 + 0.45 * 6.455    = -1.0 + 2.90475  = 1.90475
    # A_0 = 1.4 + 0.45 * 1.90475   = 1.4 + 0.8571375 = 2.2571375
    torch.testing.assert_close(A, t64([2.2571375, 1.90475, 6.455, -0.1]))


def test_gae_by_hand_terminated_at_row_2():
    A = gae(R4, V4, NV4, t64([0, 0, 1, 0]), gamma=0.9, lam=0.5)
    # A_3 = -0.1 (row 3 starts the next episode)
    # A_2 = delta_2 = 2.0          (no bootstrap, no A_3)
    # A_1 = -1.0 + 0.45 * 2.0      = -0.1
    # A_0 = 1.4 + 0.45 * (-0.1)    = 1.355
    torch.testing.assert_close(A, t64([1.355, -0.1, 2.0, -0.1]))


def test_gae_by_hand_truncated_at_row_2():
    A = gae(R4, V4, NV4, None, t64([0, 0, 1, 0]), gamma=0.9, lam=0.5)
    # A_3 = -0.1
    # A_2 = delta_2 = 6.5          (bootstrap from the final observation, 0.9 * 5; no A_3)
    # A_1 = -1.0 + 0.45 * 6.5      = 1.925
    # A_0 = 1.4 + 0.45 * 1.925     = 1.4 + 0.86625 = 2.26625
    torch.testing.assert_close(A, t64([2.26625, 1.925, 6.5, -0.1]))


# ---------------------------------------------------------------- [D001]'s identities
@pytest.mark.parametrize("gamma", [0.0, 0.9, 1.0])
def test_gae_lambda_0_is_the_td_error(gamma):
    r, v, nv, term, trunc = random_rollout(seed=1)
    A = gae(r, v, nv, term, trunc, gamma=gamma, lam=0.0)
    delta = r + gamma * (1 - term) * nv - v  # (T, N) the slide's delta_t, in numpy
    np.testing.assert_allclose(A.numpy(), delta, rtol=1e-12, atol=1e-12)
    assert torch.equal(A, td_errors(r, v, nv, term, gamma=gamma))  # GAE(gamma, 0) := delta_t


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99, 1.0])
def test_gae_lambda_1_is_the_return_minus_V(gamma):
    r, v, nv, term, trunc = random_rollout(seed=2)
    G = mc_returns_by_hand(r, nv, term, trunc, gamma=gamma)
    A = gae(r, v, nv, term, trunc, gamma=gamma, lam=1.0)
    np.testing.assert_allclose(A.numpy(), G - v, rtol=1e-10, atol=1e-10)
    # and the package's G_t is the same oracle's
    np.testing.assert_allclose(
        discounted_returns(r, nv, term, trunc, gamma=gamma).numpy(), G, rtol=1e-12, atol=1e-12
    )


def test_gae_is_the_lambda_weighted_sum_of_td_errors():
    # A_t = sum_l (gamma lam)^l delta_{t+l} inside the episode (Schulman et al. 2016, eq. 16),
    # summed forwards here; the package recurses backwards
    gamma, lam = 0.95, 0.7
    r, v, nv, term, trunc = random_rollout(seed=3)
    delta = r + gamma * (1 - term) * nv - v
    expected = np.zeros_like(r)
    for i in range(r.shape[1]):
        for start, stop in episodes(term, trunc, i):
            for t in range(start, stop):
                ls = np.arange(stop - t)
                expected[t, i] = np.sum((gamma * lam) ** ls * delta[t + ls, i])
    A = gae(r, v, nv, term, trunc, gamma=gamma, lam=lam)
    np.testing.assert_allclose(A.numpy(), expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- constant V = c, reward 1
@pytest.mark.parametrize("gamma, lam, c", [(0.9, 0.5, 2.0), (0.99, 0.95, -1.0), (1.0, 1.0, 3.0)])
def test_constant_value_closed_forms(gamma, lam, c):
    T, N = 6, 3
    ones = torch.ones(T, N, dtype=F64)
    t = np.arange(T)[:, None]  # (T, 1)
    # delta = 1 + gamma c - c = 1 + (gamma - 1) c on every row (next_values = c, bootstrap too)
    delta = 1 + (gamma - 1) * c
    np.testing.assert_allclose(
        td_errors(ones, c * ones, c * ones, gamma=gamma), np.full((T, N), delta)
    )
    # GAE: delta (1 + gl + ... + gl^(T-1-t)), a geometric sum of T - t terms
    gl = gamma * lam
    k = T - t  # terms
    geometric = k if gl == 1 else (1 - gl**k) / (1 - gl)
    A = gae(ones, c * ones, c * ones, gamma=gamma, lam=lam)
    np.testing.assert_allclose(A.numpy(), np.broadcast_to(delta * geometric, (T, N)), rtol=1e-12)
    # G_t = 1 + gamma + ... + gamma^(T-1-t) + gamma^(T-t) c
    ones_sum = k if gamma == 1 else (1 - gamma**k) / (1 - gamma)
    G = discounted_returns(ones, c * ones, gamma=gamma)
    np.testing.assert_allclose(G.numpy(), np.broadcast_to(ones_sum + gamma**k * c, (T, N)))
    # without a bootstrap: only the rewards seen
    G0 = discounted_returns(ones, gamma=gamma)
    np.testing.assert_allclose(G0.numpy(), np.broadcast_to(ones_sum * 1.0, (T, N)))


def test_the_true_value_of_a_stream_of_ones_has_zero_advantage():
    # V = 1 / (1 - gamma) = 10 is exact for reward 1 forever: delta = 1 + 0.9 * 10 - 10 = 0
    ones = torch.ones(5, 2, dtype=F64)
    A = gae(ones, 10 * ones, 10 * ones, gamma=0.9, lam=0.8)
    torch.testing.assert_close(A, torch.zeros(5, 2, dtype=F64))
    torch.testing.assert_close(discounted_returns(ones, 10 * ones, gamma=0.9), 10 * ones)


def test_constant_value_terminated_at_the_end():
    # an episode of 3 rewards of 1 that terminates, V = c = 2, gamma 0.5, lam 1:
    # delta = (1 + 0.5 * 2 - 2, 1 + 0.5 * 2 - 2, 1 - 2) = (0, 0, -1)
    # A = (0 + 0.5 * (0 + 0.5 * (-1)), 0 + 0.5 * (-1), -1) = (-0.25, -0.5, -1)
    # = G - V with G = (1.75, 1.5, 1): 1.75 - 2, 1.5 - 2, 1 - 2
    ones, term = torch.ones(3, dtype=F64), t64([0, 0, 1])
    A = gae(ones, 2 * ones, 2 * ones, term, gamma=0.5, lam=1.0)
    torch.testing.assert_close(A, t64([-0.25, -0.5, -1.0]))
    torch.testing.assert_close(
        discounted_returns(ones, 2 * ones, term, gamma=0.5), t64([1.75, 1.5, 1.0])
    )


# ---------------------------------------------------------------- truncation inside a rollout
def test_a_truncation_bootstraps_and_does_not_leak_into_the_next_episode():
    gamma, lam = 0.9, 0.8
    r, v, nv, term, trunc = random_rollout(T=12, N=1, seed=4, p_term=0.0, p_trunc=0.0)
    k = 5  # env 0's first episode is truncated at row 5
    trunc[k, 0] = True
    nv[k, 0] = 3.7  # V(true final observation), not the next episode's first state v[k + 1]
    A = gae(r, v, nv, term, trunc, gamma=gamma, lam=lam)
    # the two episodes computed separately: the first is a rollout ending at its truncation
    first = gae(r[: k + 1], v[: k + 1], nv[: k + 1], gamma=gamma, lam=lam)
    second = gae(r[k + 1 :], v[k + 1 :], nv[k + 1 :], gamma=gamma, lam=lam)
    torch.testing.assert_close(A, torch.cat([first, second]), rtol=0, atol=0)
    # the truncated row bootstraps from the true final observation (next_values[k])
    assert A[k, 0].item() == pytest.approx(r[k, 0] + gamma * nv[k, 0] - v[k, 0], abs=1e-12)
    # whatever the next episode holds cannot change the first episode's advantages or returns
    r2, v2 = r.copy(), v.copy()
    r2[k + 1 :], v2[k + 1 :] = 1e6, -1e6
    nv2 = nv.copy()
    nv2[k + 1 :] = 1e6
    torch.testing.assert_close(
        gae(r2, v2, nv2, term, trunc, gamma=gamma, lam=lam)[: k + 1], A[: k + 1]
    )
    G, G2 = (discounted_returns(x, y, term, trunc, gamma=gamma) for x, y in [(r, nv), (r2, nv2)])
    torch.testing.assert_close(G2[: k + 1], G[: k + 1])
    assert G[k, 0].item() == pytest.approx(r[k, 0] + gamma * nv[k, 0], abs=1e-12)


def test_terminated_ignores_next_values_truncated_uses_them():
    r, v = t64([1.0, 1.0]), t64([0.0, 0.0])
    flag = t64([1, 0])
    for big in (0.0, 100.0):
        nv = t64([big, 0.0])
        # terminated at row 0: A_0 = 1 - 0 whatever V(s_1) says
        assert gae(r, v, nv, flag, gamma=1.0, lam=1.0)[0].item() == 1.0
        assert discounted_returns(r, nv, flag, gamma=1.0)[0].item() == 1.0
        assert n_step_returns(r, nv, flag, gamma=1.0, n=2)[0].item() == 1.0
        # truncated at row 0: A_0 = 1 + V(s_1) - 0 = 1 + big
        assert gae(r, v, nv, None, flag, gamma=1.0, lam=1.0)[0].item() == 1.0 + big
        assert discounted_returns(r, nv, None, flag, gamma=1.0)[0].item() == 1.0 + big
        assert n_step_returns(r, nv, None, flag, gamma=1.0, n=2)[0].item() == 1.0 + big


# ---------------------------------------------------------------- a rollout ending mid-episode
def test_a_rollout_ending_mid_episode_bootstraps_from_the_last_next_value():
    gamma, lam, x = 0.9, 0.5, 10.0
    T = 4
    r, v, nv = t64([1.0, 0.0, 2.0, 1.0]), t64([0.5, 1.0, 0.0, 2.0]), t64([1.0, 0.0, 5.0, 1.0])
    nv_more = nv.clone()
    nv_more[-1] += x  # V(s_T), the observation after the rollout, up by x
    tt = torch.arange(T, dtype=F64)
    # A_t depends on V(s_T) through (gamma lam)^(T-1-t) gamma V(s_T): it moves by that times x
    dA = gae(r, v, nv_more, gamma=gamma, lam=lam) - gae(r, v, nv, gamma=gamma, lam=lam)
    torch.testing.assert_close(dA, (gamma * lam) ** (T - 1 - tt) * gamma * x)
    # G_t holds gamma^(T-t) V(s_T)
    dG = discounted_returns(r, nv_more, gamma=gamma) - discounted_returns(r, nv, gamma=gamma)
    torch.testing.assert_close(dG, gamma ** (T - tt) * x)
    # G_t^(2): only the rows whose two steps reach the rollout's end, t = 2 (gamma^2) and t = 3
    dG2 = n_step_returns(r, nv_more, gamma=gamma, n=2) - n_step_returns(r, nv, gamma=gamma, n=2)
    torch.testing.assert_close(dG2, t64([0.0, 0.0, 0.81 * x, 0.9 * x]))
    # had the last row terminated, V(s_T) would not matter
    term = t64([0, 0, 0, 1])
    torch.testing.assert_close(
        gae(r, v, nv_more, term, gamma=gamma, lam=lam), gae(r, v, nv, term, gamma=gamma, lam=lam)
    )


def test_discounted_returns_by_hand_with_two_episodes_and_a_bootstrap():
    # gamma 0.5; rewards 1, 2, 3, 4; terminated after row 1; rollout ends mid-episode, V(s_4) = 8
    r, nv = t64([1.0, 2.0, 3.0, 4.0]), t64([0.0, 9.0, 0.0, 8.0])
    G = discounted_returns(r, nv, t64([0, 1, 0, 0]), gamma=0.5)
    # G_3 = 4 + 0.5 * 8 = 8;  G_2 = 3 + 0.5 * 8 = 7
    # G_1 = 2 (terminated: 9 ignored);  G_0 = 1 + 0.5 * 2 = 2
    torch.testing.assert_close(G, t64([2.0, 2.0, 7.0, 8.0]))
    # without next_values: G_3 = 4, G_2 = 3 + 2 = 5
    torch.testing.assert_close(
        discounted_returns(r, None, t64([0, 1, 0, 0]), gamma=0.5), t64([2.0, 2.0, 5.0, 4.0])
    )


def test_discounted_returns_of_one_episode_is_part_one_s_returns():
    rewards = [1.0, -2.0, 0.5, 3.0, 0.0, 1.5]
    for gamma in (0.0, 0.9, 1.0):
        G = discounted_returns(rewards, gamma=gamma)  # the reward-to-go
        np.testing.assert_allclose(G.numpy(), returns(rewards, gamma=gamma), rtol=1e-15)


# ---------------------------------------------------------------- n-step returns
def test_n_step_returns_by_hand():
    # gamma 0.9, n = 2, one episode, the rollout ends after row 3 with V(s_4) = 1
    # G_0 = 1 + 0.9 * 0 + 0.81 * V(s_2) = 1 + 0.81 * 0 = 1
    # G_1 = 0 + 0.9 * 2 + 0.81 * V(s_3) = 1.8 + 0.81 * 5 = 5.85
    # G_2 = 2 + 0.9 * 1 + 0.81 * V(s_4) = 2.9 + 0.81 * 1 = 3.71
    # G_3 = 1 + 0.9 * V(s_4) = 1.9 (one step left in the rollout)
    G = n_step_returns(R4, NV4, gamma=0.9, n=2)
    torch.testing.assert_close(G, t64([1.0, 5.85, 3.71, 1.9]))
    # terminated at row 1: G_0 = 1 + 0.9 * 0 = 1 (stops, no bootstrap), G_1 = 0
    G = n_step_returns(R4, NV4, t64([0, 1, 0, 0]), gamma=0.9, n=2)
    torch.testing.assert_close(G, t64([1.0, 0.0, 3.71, 1.9]))
    # truncated at row 1: G_0 = 1 + 0.9 * 0 + 0.81 * next_values[1] = 1, G_1 = 0 + 0.9 * 0 = 0;
    # with next_values[1] = 2: G_0 = 1 + 0.81 * 2 = 2.62, G_1 = 0.9 * 2 = 1.8
    nv = NV4.clone()
    nv[1] = 2.0
    G = n_step_returns(R4, nv, None, t64([0, 1, 0, 0]), gamma=0.9, n=2)
    torch.testing.assert_close(G, t64([2.62, 1.8, 3.71, 1.9]))


def test_n_step_with_n_1_is_the_td_target():
    r, v, nv, term, trunc = random_rollout(seed=5)
    G1 = n_step_returns(r, nv, term, trunc, gamma=0.9, n=1)
    np.testing.assert_allclose(G1.numpy(), r + 0.9 * (1 - term) * nv, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("n", [40, 41, 1000])
def test_n_step_with_n_at_least_T_is_the_monte_carlo_return(n):
    r, v, nv, term, trunc = random_rollout(T=40, seed=6)
    G = n_step_returns(r, nv, term, trunc, gamma=0.95, n=n)
    expected = mc_returns_by_hand(r, nv, term, trunc, gamma=0.95)
    np.testing.assert_allclose(G.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_n_step_returns_against_the_sum_written_out():
    gamma, n = 0.8, 3
    r, v, nv, term, trunc = random_rollout(T=20, N=3, seed=7)
    expected = np.zeros_like(r)
    for i in range(r.shape[1]):
        for start, stop in episodes(term, trunc, i):
            for t in range(start, stop):
                last = min(t + n, stop) - 1  # the last row summed
                ks = np.arange(last - t + 1)
                expected[t, i] = np.sum(gamma**ks * r[t + ks, i])
                expected[t, i] += gamma ** (last - t + 1) * (1 - term[last, i]) * nv[last, i]
    G = n_step_returns(r, nv, term, trunc, gamma=gamma, n=n)
    np.testing.assert_allclose(G.numpy(), expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- inputs, dtypes, gradients
def test_numpy_and_torch_inputs_give_the_same_numbers_and_keep_the_dtype():
    r, v, nv, term, trunc = random_rollout(T=8, N=2, seed=8)
    from_numpy = gae(r, v, nv, term, trunc, gamma=0.9, lam=0.9)
    assert isinstance(from_numpy, torch.Tensor) and from_numpy.dtype == F64
    tensors = [torch.from_numpy(x) for x in (r, v, nv, term, trunc)]
    assert torch.equal(gae(*tensors, gamma=0.9, lam=0.9), from_numpy)
    f32 = [x.float() if x.is_floating_point() else x for x in tensors]
    fns = [
        lambda a: gae(*a, gamma=0.9, lam=0.9),
        lambda a: td_errors(a[0], a[1], a[2], a[3], gamma=0.9),
        lambda a: discounted_returns(a[0], a[2], a[3], a[4], gamma=0.9),
        lambda a: n_step_returns(a[0], a[2], a[3], a[4], gamma=0.9, n=3),
    ]
    for fn in fns:
        out32 = fn(f32)
        assert out32.dtype == torch.float32 and out32.shape == (8, 2)
        torch.testing.assert_close(out32, fn(tensors).float())
    # integer rewards and 0/1 flags: torch's default float dtype
    G = discounted_returns([1, 2, 3], None, [0, 1, 0], gamma=0.5)
    assert G.dtype == torch.get_default_dtype()
    torch.testing.assert_close(G, torch.tensor([2.0, 2.0, 3.0]))  # 1 + 0.5 * 2; 2; 3


def test_inputs_are_left_alone_and_outputs_carry_no_gradient():
    r, v, nv, term, trunc = random_rollout(T=6, N=2, seed=9)
    arrays = (r, v, nv, term, trunc)
    for a in arrays:
        a.flags.writeable = False  # a write would raise; read-only input must not warn either
    before = [a.copy() for a in arrays]
    values = torch.tensor(v, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns about read-only numpy arrays it wraps
        A = gae(r, values, nv, term, trunc, gamma=0.9, lam=0.95)
        assert not A.requires_grad
        assert not td_errors(r, values, nv, term, gamma=0.9).requires_grad
        discounted_returns(r, nv, term, trunc, gamma=0.9)
        n_step_returns(r, nv, term, trunc, gamma=0.9, n=2)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    # and a tensor given is not written into either
    rt = torch.from_numpy(r.copy())
    gae(rt, values, nv, term, trunc, gamma=0.9, lam=0.95)
    np.testing.assert_array_equal(rt.numpy(), r)
    np.testing.assert_array_equal(values.detach().numpy(), v)


def test_one_env_and_n_envs_agree():
    r, v, nv, term, trunc = random_rollout(T=10, N=3, seed=10)
    A = gae(r, v, nv, term, trunc, gamma=0.9, lam=0.7)
    for i in range(3):
        Ai = gae(r[:, i], v[:, i], nv[:, i], term[:, i], trunc[:, i], gamma=0.9, lam=0.7)
        assert Ai.shape == (10,)
        torch.testing.assert_close(Ai, A[:, i], rtol=0, atol=0)


# ---------------------------------------------------------------- errors
def test_shapes_that_disagree_are_named():
    r, v = torch.zeros(4, 2), torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"values has shape \(4,\), expected \(T, N\) = \(4, 2\)"):
        gae(r, torch.zeros(4), v, gamma=0.9, lam=0.9)
    with pytest.raises(ValueError, match=r"next_values has shape \(3, 2\)"):
        td_errors(r, v, torch.zeros(3, 2), gamma=0.9)
    with pytest.raises(ValueError, match=r"truncated has shape \(2, 4\)"):
        gae(r, v, v, None, torch.zeros(2, 4), gamma=0.9, lam=0.9)
    with pytest.raises(ValueError, match=r"terminated has shape \(4,\), expected \(T, N\)"):
        discounted_returns(r, None, torch.zeros(4), gamma=0.9)
    with pytest.raises(ValueError, match=r"rewards must have shape \(T, N\).*got \(4, 2, 1\)"):
        n_step_returns(torch.zeros(4, 2, 1), torch.zeros(4, 2, 1), gamma=0.9, n=2)
    with pytest.raises(ValueError, match=r"expected \(T,\) = \(3,\)"):
        discounted_returns([1.0, 2.0, 3.0], [1.0, 2.0], gamma=0.9)


def test_hyperparameters_out_of_range():
    r = torch.zeros(3)
    with pytest.raises(ValueError, match=r"gamma \(the discount factor\) must be in \[0, 1\]"):
        gae(r, r, r, gamma=1.5, lam=0.9)
    with pytest.raises(ValueError, match=r"gamma \(the discount factor\) must be in \[0, 1\]"):
        discounted_returns(r, gamma=-0.1)
    for lam in (-0.1, 1.01):
        with pytest.raises(ValueError, match=r"lam \(lambda\) must be in \[0, 1\].*lam=0.95"):
            gae(r, r, r, gamma=0.9, lam=lam)
    with pytest.raises(ValueError, match=r"n must be a positive integer \(>= 1\), got 0"):
        n_step_returns(r, r, gamma=0.9, n=0)
    with pytest.raises(TypeError, match="n must be an integer"):
        n_step_returns(r, r, gamma=0.9, n=2.5)


def test_bad_data_and_positional_hyperparameters():
    r = torch.zeros(3)
    with pytest.raises(ValueError, match=r"terminated must hold bools \(or 0 / 1\).*0\.5"):
        td_errors(r, r, r, torch.tensor([0.0, 0.5, 1.0]), gamma=0.9)
    with pytest.raises(TypeError, match="values must be a tensor or an array of numbers"):
        gae(r, None, r, gamma=0.9, lam=0.9)
    with pytest.raises(TypeError, match="next_values must be a tensor"):
        n_step_returns(r, None, gamma=0.9, n=1)
    with pytest.raises(TypeError, match="rewards must be a tensor"):
        discounted_returns("1, 2, 3", gamma=0.9)
    with pytest.raises(TypeError):
        gae(r, r, r, None, None, 0.9, 0.9)  # gamma and lam are keyword-only
    with pytest.raises(TypeError):
        n_step_returns(r, r, None, None, 0.9, 2)
