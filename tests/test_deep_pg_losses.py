"""Policy-gradient and PPO losses against numbers worked by hand: REINFORCE (with a baseline:
the same expected gradient, a smaller variance), normalisation, the importance ratio, the
clipped surrogate (values, where the gradient is zero, r = 1 is REINFORCE), the exact
categorical KL and the k3 estimate of it, the KL-penalty surrogate and its adaptive beta, the
value loss with and without clipping, the entropy, and the errors."""

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.distributions import Categorical

from rlcourse.deep.policy_gradient import entropy_bonus, normalize, reinforce_loss, value_loss
from rlcourse.deep.ppo_losses import (
    adaptive_kl_beta,
    categorical_kl,
    importance_ratio,
    ppo_clip_loss,
    ppo_kl_loss,
)

LN2 = math.log(2.0)


def _f64(values):
    return torch.tensor(values, dtype=torch.float64)


# ---------------------------------------------------------------- REINFORCE
def test_reinforce_loss_by_hand_and_what_gets_a_gradient():
    log_probs = torch.log(_f64([0.5, 0.25])).requires_grad_()
    returns = _f64([2.0, 4.0]).requires_grad_()  # a gradient here must be ignored (detached)
    baseline = _f64([1.0, 1.0]).requires_grad_()
    loss, info = reinforce_loss(log_probs, returns, baseline=baseline)
    # G - b = [1, 3];  -(ln 0.5 * 1 + ln 0.25 * 3) / 2 = -(-ln 2 - 6 ln 2) / 2 = 3.5 ln 2
    assert loss.item() == pytest.approx(3.5 * LN2)
    assert info == pytest.approx(
        {
            "loss": 3.5 * LN2,
            "return_mean": 3.0,  # (2 + 4) / 2
            "advantage_mean": 2.0,  # (1 + 3) / 2
            "log_prob_mean": -1.5 * LN2,  # (-ln 2 - 2 ln 2) / 2
        }
    )
    assert all(type(v) is float for v in info.values())
    loss.backward()
    # dL / d log pi_i = -(G_i - b_i) / B = [-1/2, -3/2]
    torch.testing.assert_close(log_probs.grad, _f64([-0.5, -1.5]))
    assert returns.grad is None and baseline.grad is None  # G and b are not trained by L


def test_reinforce_loss_baselines_none_number_and_tensor():
    log_probs = torch.log(_f64([0.5, 0.25]))
    returns = _f64([2.0, 4.0])
    # b = 0: -(ln 0.5 * 2 + ln 0.25 * 4) / 2 = -(-2 ln 2 - 8 ln 2) / 2 = 5 ln 2
    assert reinforce_loss(log_probs, returns)[0].item() == pytest.approx(5 * LN2)
    # b = 3 (a number): G - b = [-1, 1];  -(-ln 2 * -1 + -2 ln 2 * 1) / 2 = -(ln 2 - 2 ln 2) / 2
    assert reinforce_loss(log_probs, returns, baseline=3.0)[0].item() == pytest.approx(LN2 / 2)
    assert reinforce_loss(log_probs, returns, baseline=torch.tensor(3.0))[0].item() == (
        pytest.approx(LN2 / 2)
    )


def _bandit_gradients(baseline, *, batches=400, batch_size=16):
    """The gradient of reinforce_loss w.r.t. the logits theta of a 3-armed bandit, one per
    minibatch of actions sampled from a fixed generator: (batches, 3)."""
    theta = torch.tensor([0.0, 0.5, -0.5], dtype=torch.float64, requires_grad=True)
    R = _f64([10.0, 11.0, 12.0])  # deterministic reward of each arm; a large common part
    generator = torch.Generator().manual_seed(0)
    probs = torch.softmax(theta.detach(), dim=0)
    grads = []
    for _ in range(batches):
        a = torch.multinomial(probs, batch_size, replacement=True, generator=generator)  # (n,)
        log_probs = torch.log_softmax(theta, dim=0)[a]  # (n,)
        loss, _ = reinforce_loss(log_probs, R[a], baseline=baseline)
        (g,) = torch.autograd.grad(loss, theta)
        grads.append(-g)  # the ascent direction on J
    return torch.stack(grads), probs, R


def test_a_baseline_keeps_the_expected_gradient_and_lowers_its_variance():
    plain, probs, R = _bandit_gradients(None)
    V = float((probs * R).sum())  # J(theta) = V of the bandit's one state, about 10.9
    with_baseline, _, _ = _bandit_gradients(V)
    # closed form: J(theta) = sum_a pi_a R_a, dJ / dtheta_k = pi_k (R_k - J)
    true = probs * (R - V)
    for grads in (plain, with_baseline):
        mean = grads.mean(dim=0)
        standard_error = grads.std(dim=0) / math.sqrt(len(grads))
        assert torch.all((mean - true).abs() < 4 * standard_error), (mean, true)
    # |G - b| <= 1.1 with b = V, against G ~ 10-12 without: the variance drops by ~100x
    total_variance_plain = plain.var(dim=0).sum()
    total_variance_baseline = with_baseline.var(dim=0).sum()
    assert total_variance_baseline < 0.05 * total_variance_plain


def test_normalize_uses_the_population_std():
    x = _f64([1.0, 2.0, 3.0, 4.0])
    # mean 2.5; deviations [-1.5, -0.5, 0.5, 1.5]; squares sum to 5; population var 5 / 4,
    # std sqrt(1.25) = 1.1180340; (the sample std would be sqrt(5 / 3) = 1.2909944)
    s = math.sqrt(1.25)
    y = normalize(x)
    torch.testing.assert_close(y, _f64([-1.5, -0.5, 0.5, 1.5]) / s)  # eps = 1e-8 is in rtol
    assert y.mean().item() == pytest.approx(0.0, abs=1e-12)
    assert (y**2).mean().item() == pytest.approx(1.0, abs=1e-7)  # mean square 1: population std
    torch.testing.assert_close(x, _f64([1.0, 2.0, 3.0, 4.0]))  # its input unchanged
    # a constant batch (std 0) gives zeros, not NaN; so does a batch of one
    torch.testing.assert_close(normalize(_f64([3.0, 3.0])), _f64([0.0, 0.0]))
    torch.testing.assert_close(normalize(_f64([7.0])), _f64([0.0]))


# ---------------------------------------------------------------- the clipped surrogate
# clip = 0.2: the range is [0.8, 1.2]. Every sign of A with r below, inside and above it.
CLIP = 0.2
RATIOS = [0.5, 1.1, 1.5, 0.5, 1.1, 1.5]
ADVANTAGES = [2.0, 2.0, 2.0, -1.0, -1.0, -1.0]
# i  A   r    r A    clip(r) A    min    branch
# 0  2   0.5  1.0    0.8*2=1.6    1.0    r A (pessimistic: keeps its gradient)
# 1  2   1.1  2.2    2.2          2.2    inside
# 2  2   1.5  3.0    1.2*2=2.4    2.4    clipped: no gradient
# 3  -1  0.5  -0.5   -0.8         -0.8   clipped: no gradient
# 4  -1  1.1  -1.1   -1.1         -1.1   inside
# 5  -1  1.5  -1.5   -1.2         -1.5   r A (pessimistic: keeps its gradient)
# L^CLIP = (1.0 + 2.2 + 2.4 - 0.8 - 1.1 - 1.5) / 6 = 2.2 / 6
CLIPPED = [False, False, True, True, False, False]


def _batch(ratios):
    old_log_probs = torch.log(_f64([0.3, 0.6, 0.2, 0.5, 0.4, 0.1]))  # any old probabilities
    log_probs = (old_log_probs + torch.log(_f64(ratios))).requires_grad_()
    return log_probs, old_log_probs


def test_importance_ratio_is_pi_over_pi_old():
    log_probs, old_log_probs = _batch(RATIOS)
    torch.testing.assert_close(importance_ratio(log_probs, old_log_probs), _f64(RATIOS))
    # pi = 0.25, pi_old = 0.5 -> r = 0.5, computed from logs
    r = importance_ratio(torch.log(_f64([0.25])), torch.log(_f64([0.5])))
    torch.testing.assert_close(r, _f64([0.5]))


def test_ppo_clip_loss_by_hand():
    log_probs, old_log_probs = _batch(RATIOS)
    loss, info = ppo_clip_loss(log_probs, old_log_probs, _f64(ADVANTAGES), clip=CLIP)
    assert loss.item() == pytest.approx(-2.2 / 6)
    # k3 terms (r - 1) - ln r: r = 0.5: -0.5 + ln 2 = 0.1931472; r = 1.1: 0.1 - 0.0953102 =
    # 0.0046898; r = 1.5: 0.5 - 0.4054651 = 0.0945349; each twice in 6 samples
    k3 = (2 * (-0.5 + LN2) + 2 * (0.1 - math.log(1.1)) + 2 * (0.5 - math.log(1.5))) / 6
    assert info == pytest.approx(
        {
            "loss": -2.2 / 6,
            "approx_kl": k3,  # 0.0974573
            "clip_fraction": 4 / 6,  # |r - 1| > 0.2 for r = 0.5 and 1.5 (samples 0, 2, 3, 5)
            "ratio_mean": (0.5 + 1.1 + 1.5) * 2 / 6,
            "ratio_max": 1.5,
        }
    )
    assert all(type(v) is float for v in info.values())


def test_ppo_clip_loss_gradient_is_zero_exactly_where_the_min_picks_the_clipped_term():
    log_probs, old_log_probs = _batch(RATIOS)
    old_log_probs.requires_grad_()  # data: must get no gradient
    advantages = _f64(ADVANTAGES).requires_grad_()
    loss, _ = ppo_clip_loss(log_probs, old_log_probs, advantages, clip=CLIP)
    loss.backward()
    # d(-r A / B) / d log pi = -r A / B where unclipped (dr / d log pi = r), 0 where clipped:
    # [-1.0, -2.2, 0, 0, 1.1, 1.5] / 6
    expected = _f64([-1.0, -2.2, 0.0, 0.0, 1.1, 1.5]) / 6
    torch.testing.assert_close(log_probs.grad, expected)
    assert torch.equal(log_probs.grad == 0, torch.tensor(CLIPPED))
    assert old_log_probs.grad is None and advantages.grad is None


def _policy_batch():
    """A small linear softmax policy, 5 states, 3 actions, and actions drawn from it."""
    torch.manual_seed(0)
    policy = nn.Linear(4, 3).double()
    obs = torch.randn(5, 4, dtype=torch.float64)
    actions = torch.tensor([0, 2, 1, 1, 0])
    return policy, obs, actions


def test_ppo_clip_loss_at_r_equal_1_is_reinforce():
    policy, obs, actions = _policy_batch()
    advantages = _f64([1.0, -2.0, 0.5, 3.0, -1.0])
    # REINFORCE with G - b = A: the vanilla policy gradient -mean(A grad log pi)
    log_probs = Categorical(logits=policy(obs)).log_prob(actions)  # (5,)
    loss, _ = reinforce_loss(log_probs, advantages)
    expected = torch.autograd.grad(loss, list(policy.parameters()))
    # PPO before any update: pi_old = pi, so r = 1 everywhere (and no sample is clipped)
    log_probs = Categorical(logits=policy(obs)).log_prob(actions)
    loss, info = ppo_clip_loss(log_probs, log_probs.detach(), advantages, clip=CLIP)
    assert loss.item() == pytest.approx(-advantages.mean().item())  # -(1 - 2 + 0.5 + 3 - 1) / 5
    assert loss.item() == pytest.approx(-0.3)
    assert info["clip_fraction"] == 0.0 and info["approx_kl"] == 0.0
    assert info["ratio_mean"] == info["ratio_max"] == 1.0
    got = torch.autograd.grad(loss, list(policy.parameters()))
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e)


# ---------------------------------------------------------------- KL
def test_categorical_kl_by_hand_for_two_actions():
    # p = (1/2, 1/2), q = (9/10, 1/10):
    # KL(p || q) = 1/2 ln(0.5 / 0.9) + 1/2 ln(0.5 / 0.1) = 1/2 ln(25 / 9) = ln(5 / 3) = 0.5108256
    old_logits = torch.log(_f64([[0.5, 0.5]]))
    new_logits = torch.log(_f64([[0.9, 0.1]]))
    torch.testing.assert_close(categorical_kl(old_logits, new_logits), _f64([math.log(5 / 3)]))
    # the other direction differs (KL is not symmetric):
    # 0.9 ln(0.9 / 0.5) + 0.1 ln(0.1 / 0.5) = 0.9 ln 1.8 - 0.1 ln 5 = 0.5290026 - 0.1609438
    reverse = 0.9 * math.log(1.8) - 0.1 * math.log(5.0)
    torch.testing.assert_close(categorical_kl(new_logits, old_logits), _f64([reverse]))
    # logits are defined up to a constant per row: adding 7 changes nothing
    torch.testing.assert_close(
        categorical_kl(old_logits + 7.0, new_logits - 3.0), _f64([math.log(5 / 3)])
    )


def test_categorical_kl_is_nonnegative_and_zero_iff_equal():
    generator = torch.Generator().manual_seed(1)
    old_logits = torch.randn(50, 4, generator=generator, dtype=torch.float64)
    new_logits = old_logits + 0.5 * torch.randn(50, 4, generator=generator, dtype=torch.float64)
    kl = categorical_kl(old_logits, new_logits)
    assert kl.shape == (50,) and torch.all(kl > 0)
    # a second method: torch's own KL between the two Categoricals
    reference = torch.distributions.kl_divergence(
        Categorical(logits=old_logits), Categorical(logits=new_logits)
    )
    torch.testing.assert_close(kl, reference)
    torch.testing.assert_close(categorical_kl(old_logits, old_logits), torch.zeros(50).double())
    # a masked action (logit -inf in both) contributes 0, not NaN: back to the 2-action case
    masked_old = _f64([[math.log(0.5), math.log(0.5), -math.inf]])
    masked_new = _f64([[math.log(0.9), math.log(0.1), -math.inf]])
    torch.testing.assert_close(categorical_kl(masked_old, masked_new), _f64([math.log(5 / 3)]))


def test_k3_approx_kl_against_the_exact_kl():
    # pi_old = (1/2, 1/4, 1/4), pi_new = (1/4, 1/2, 1/4), the same at every state.
    # KL(pi_old || pi_new) = 1/2 ln 2 + 1/4 ln(1/2) + 1/4 ln 1 = ln 2 / 4 = 0.1732868
    p_old, p_new = _f64([0.5, 0.25, 0.25]), _f64([0.25, 0.5, 0.25])
    exact = LN2 / 4
    old_logits, new_logits = torch.log(p_old).expand(4, 3), torch.log(p_new).expand(4, 3)
    torch.testing.assert_close(
        categorical_kl(old_logits, new_logits), torch.full((4,), exact).double()
    )
    # a batch whose actions come in exactly pi_old's proportions: a = 0, 0, 1, 2.
    # r = 1/2, 1/2, 2, 1; (r - 1) - ln r = ln 2 - 1/2, ln 2 - 1/2, 1 - ln 2, 0; the mean is
    # (2 ln 2 - 1 + 1 - ln 2) / 4 = ln 2 / 4: k3 averages to the KL exactly
    a = torch.tensor([0, 0, 1, 2])
    _, info = ppo_clip_loss(torch.log(p_new[a]), torch.log(p_old[a]), torch.ones(4), clip=0.2)
    assert info["approx_kl"] == pytest.approx(exact)
    # actions sampled from pi_old: k3 is within a few standard errors of the KL
    generator = torch.Generator().manual_seed(2)
    a = torch.multinomial(p_old, 20_000, replacement=True, generator=generator)
    r = p_new[a] / p_old[a]
    terms = (r - 1) - torch.log(r)  # k3 by hand; its spread gives the standard error
    _, info = ppo_kl_loss(
        torch.log(p_new[a]),
        torch.log(p_old[a]),
        torch.zeros(20_000),
        torch.zeros(20_000),
        beta=1.0,
    )
    assert info["approx_kl"] == pytest.approx(terms.mean().item())
    assert abs(info["approx_kl"] - exact) < 4 * terms.std().item() / math.sqrt(20_000)


def test_ppo_kl_loss_by_hand():
    old_log_probs = torch.log(_f64([0.3, 0.6]))
    log_probs = (old_log_probs + torch.log(_f64([1.1, 0.5]))).requires_grad_()  # r = 1.1, 0.5
    kl = _f64([0.1, 0.3]).requires_grad_()
    loss, info = ppo_kl_loss(log_probs, old_log_probs, _f64([2.0, -1.0]), kl, beta=0.5)
    # r A = [2.2, -0.5]; beta KL = [0.05, 0.15]; L^KLPEN = (2.15 - 0.65) / 2 = 0.75
    assert loss.item() == pytest.approx(-0.75)
    assert info["loss"] == pytest.approx(-0.75)
    assert info["kl"] == pytest.approx(0.2)  # (0.1 + 0.3) / 2
    assert info["ratio_mean"] == pytest.approx(0.8) and info["ratio_max"] == pytest.approx(1.1)
    # k3: ((0.1 - ln 1.1) + (-0.5 + ln 2)) / 2 = (0.0046898 + 0.1931472) / 2
    assert info["approx_kl"] == pytest.approx((0.1 - math.log(1.1) - 0.5 + LN2) / 2)
    loss.backward()
    # d loss / d log pi = -r A / B = [-1.1, 0.25];  d loss / d KL = beta / B = 0.25
    torch.testing.assert_close(log_probs.grad, _f64([-1.1, 0.25]))
    torch.testing.assert_close(kl.grad, _f64([0.25, 0.25]))


def test_adaptive_kl_beta_three_cases():
    # d_targ = 0.01: the band is [0.01 / 1.5, 0.015] = [0.00667, 0.015]
    assert adaptive_kl_beta(1.0, 0.005, d_targ=0.01) == 0.5  # below: halve
    assert adaptive_kl_beta(1.0, 0.02, d_targ=0.01) == 2.0  # above: double
    assert adaptive_kl_beta(1.0, 0.01, d_targ=0.01) == 1.0  # inside: unchanged
    assert adaptive_kl_beta(1.0, 0.007, d_targ=0.01) == 1.0  # just inside the lower edge
    assert adaptive_kl_beta(1.0, 0.014, d_targ=0.01) == 1.0  # just inside the upper edge
    assert adaptive_kl_beta(3.0, torch.tensor(0.05), d_targ=0.01) == 6.0  # a 0-d tensor


# ---------------------------------------------------------------- value loss and entropy
def test_value_loss_by_hand_with_and_without_clipping():
    values = _f64([1.0, 2.0, 3.0]).requires_grad_()
    returns = _f64([2.0, 2.0, 0.0])
    loss, info = value_loss(values, returns)
    # (V - G)^2 = [1, 0, 9]; mean 10 / 3 (no factor 0.5)
    assert loss.item() == pytest.approx(10 / 3)
    assert info == pytest.approx(
        {"loss": 10 / 3, "value_mean": 2.0, "return_mean": 4 / 3, "value_clip_fraction": 0.0}
    )
    loss.backward()
    torch.testing.assert_close(values.grad, _f64([-2.0, 0.0, 6.0]) / 3)  # 2 (V - G) / 3
    # clipping with V_old = [1.1, 1.0, 0.5], clip = 0.2:
    # V - V_old = [-0.1, 1.0, 2.5] -> clamped [-0.1, 0.2, 0.2] -> V_clip = [1.0, 1.2, 0.7]
    # (V_clip - G)^2 = [1, 0.64, 0.49]; max with [1, 0, 9] = [1, 0.64, 9]; mean 10.64 / 3
    values.grad = None
    old_values = _f64([1.1, 1.0, 0.5])
    loss, info = value_loss(values, returns, old_values=old_values, clip=0.2)
    assert loss.item() == pytest.approx(10.64 / 3)
    assert info["value_clip_fraction"] == pytest.approx(2 / 3)  # |V - V_old| > 0.2: two of 3
    loss.backward()
    # sample 1 takes the clipped error (V_clip is constant there): gradient 0;
    # samples 0 and 2 keep 2 (V - G) / 3
    torch.testing.assert_close(values.grad, _f64([-2.0, 0.0, 6.0]) / 3)
    values.grad = None
    value_loss(values, _f64([2.0, 1.0, 0.0]), old_values=old_values, clip=0.2)[0].backward()
    # with G_1 = 1: (2 - 1)^2 = 1 > (1.2 - 1)^2 = 0.04, unclipped: gradient 2 * 1 / 3
    torch.testing.assert_close(values.grad, _f64([-2.0, 2.0, 6.0]) / 3)


def test_entropy_bonus_by_hand():
    # uniform over A actions: H = log A
    assert entropy_bonus(torch.zeros(2, 4)).item() == pytest.approx(math.log(4))
    assert entropy_bonus(torch.full((1, 3), 5.0)).item() == pytest.approx(math.log(3))
    # p = (0.9, 0.1): H = -(0.9 ln 0.9 + 0.1 ln 0.1) = 0.0948245 + 0.2302585 = 0.3250830
    H = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
    assert entropy_bonus(torch.log(_f64([[0.9, 0.1]]))).item() == pytest.approx(H)
    # the mean over states: (log 4 + 0.3250830) / 2 ... with rows of 2 actions: (ln 2 + H) / 2
    both = torch.log(_f64([[0.5, 0.5], [0.9, 0.1]]))
    assert entropy_bonus(both).item() == pytest.approx((LN2 + H) / 2)
    # nearly one-hot: p = (1 - 2e, e, e) with e = exp(-20) / (1 + 2 exp(-20)) ~ 2.1e-9;
    # H ~ 2 e (20 + 1) ~ 8.6e-8
    near = entropy_bonus(torch.tensor([[20.0, 0.0, 0.0]], dtype=torch.float64)).item()
    assert 0 < near < 1e-7
    # a masked action (logit -inf) counts as probability 0: uniform over the other two
    assert entropy_bonus(_f64([[0.0, 0.0, -math.inf]])).item() == pytest.approx(LN2)
    logits = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    entropy_bonus(logits).backward()
    torch.testing.assert_close(logits.grad, torch.zeros(1, 3).double())  # uniform: a maximum


# ---------------------------------------------------------------- errors that teach
def test_clip_errors():
    log_probs, old_log_probs = _batch(RATIOS)
    A = _f64(ADVANTAGES)
    for bad in (-0.2, 0.0):
        with pytest.raises(ValueError, match=r"clip range must be > 0; e\.g\. clip=0\.2"):
            ppo_clip_loss(log_probs, old_log_probs, A, clip=bad)
    with pytest.raises(TypeError, match=r"clip must be a number.*clip=0\.2"):
        ppo_clip_loss(log_probs, old_log_probs, A, clip="0.2")
    with pytest.raises(TypeError):
        ppo_clip_loss(log_probs, old_log_probs, A, 0.2)  # keyword-only
    values, returns = _f64([1.0]), _f64([2.0])
    with pytest.raises(ValueError, match=r"clip range must be > 0"):
        value_loss(values, returns, old_values=_f64([1.0]), clip=-1.0)
    with pytest.raises(ValueError, match=r"both old_values and clip"):
        value_loss(values, returns, clip=0.2)
    with pytest.raises(ValueError, match=r"both old_values and clip"):
        value_loss(values, returns, old_values=_f64([1.0]))


def test_beta_and_d_targ_errors():
    lp, old = torch.zeros(2), torch.zeros(2)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match=r"beta \(the KL coefficient\) must be > 0"):
            ppo_kl_loss(lp, old, torch.ones(2), torch.zeros(2), beta=bad)
        with pytest.raises(ValueError, match=r"beta \(the KL coefficient\) must be > 0"):
            adaptive_kl_beta(bad, 0.01, d_targ=0.01)
        with pytest.raises(ValueError, match=r"d_targ \(the target KL per update\) must be > 0"):
            adaptive_kl_beta(1.0, 0.01, d_targ=bad)
    with pytest.raises(TypeError, match=r"beta must be a number"):
        ppo_kl_loss(lp, old, torch.ones(2), torch.zeros(2), beta=None)
    with pytest.raises(TypeError):
        adaptive_kl_beta(1.0, 0.01, 0.01)  # d_targ is keyword-only


def test_shape_errors_name_the_arguments():
    lp = torch.zeros(4)
    with pytest.raises(ValueError, match=r"advantages \(3,\)") as err:
        ppo_clip_loss(lp, torch.zeros(4), torch.zeros(3), clip=0.2)
    assert "log_probs (4,)" in str(err.value)
    # the classic broadcast bug: a critic's (B, 1) next to (B,)
    with pytest.raises(ValueError, match=r"values \(4, 1\).*squeeze"):
        value_loss(torch.zeros(4, 1), torch.zeros(4))
    with pytest.raises(ValueError, match=r"old_log_probs \(5,\)"):
        importance_ratio(lp, torch.zeros(5))
    with pytest.raises(ValueError, match=r"kl \(2,\)"):
        ppo_kl_loss(lp, torch.zeros(4), torch.zeros(4), torch.zeros(2), beta=0.1)
    with pytest.raises(ValueError, match=r"returns \(2,\)"):
        reinforce_loss(lp, torch.zeros(2))
    with pytest.raises(ValueError, match=r"baseline \(3,\)"):
        reinforce_loss(lp, torch.zeros(4), baseline=torch.zeros(3))
    with pytest.raises(ValueError, match=r"old_logits \(2, 3\) and new_logits \(2, 4\)"):
        categorical_kl(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"logits \(B, A\)"):
        entropy_bonus(torch.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        reinforce_loss(torch.zeros(0), torch.zeros(0))
    with pytest.raises(TypeError, match="returns must be"):
        reinforce_loss(lp, "G")
    with pytest.raises(ValueError, match=r"eps must be > 0"):
        normalize(lp, eps=0.0)


def test_numpy_inputs_are_accepted():
    # graded items send plain arrays; the losses take them as tensors
    loss, _ = reinforce_loss(np.log([0.5, 0.25]), np.array([2.0, 4.0]), baseline=1.0)
    assert loss.item() == pytest.approx(3.5 * LN2)
    kl = categorical_kl(np.log([[0.5, 0.5]]), np.log([[0.9, 0.1]]))
    assert kl.item() == pytest.approx(math.log(5 / 3), rel=1e-6)
