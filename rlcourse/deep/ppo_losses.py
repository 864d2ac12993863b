"""PPO's surrogate objectives: importance ratio, clipping, KL penalty, [D001], [D003].

Schulman et al. (2017), "Proximal Policy Optimization Algorithms". The samples were drawn by
the old policy pi_theta_old (the rollout); importance sampling re-weights them for the policy
pi_theta being trained, E_p[f] = E_q[f p / q] [D001]:

    r_t(theta) = pi_theta(a_t | s_t) / pi_theta_old(a_t | s_t)              importance_ratio(...)
    L^CLIP(theta) = E_t[min(r_t A_t, clip(r_t, 1 - eps, 1 + eps) A_t)]       ppo_clip_loss(...)
    L^KLPEN(theta) = E_t[r_t A_t - beta KL(pi_old(. | s_t) || pi_theta(. | s_t))]  ppo_kl_loss
    KL(p || q) = sum_a p(a) log(p(a) / q(a))                                 categorical_kl(...)
    beta <- beta / 2 if KL < d_targ / 1.5,  beta * 2 if KL > 1.5 d_targ     adaptive_kl_beta(...)

A trainer maximises L = L^CLIP - c1 L^VF + c2 H, i.e. minimises ``-L^CLIP + c1 L^VF - c2 H``
with :func:`rlcourse.deep.policy_gradient.value_loss` and
:func:`~rlcourse.deep.policy_gradient.entropy_bonus`; each loss here is the NEGATED objective,
ready for ``.backward()``.

| symbol | code | shape |
|---|---|---|
| log pi_theta(a_t \\| s_t) | ``log_probs`` (the policy being trained, with gradient) | (B,) |
| log pi_theta_old(a_t \\| s_t) | ``old_log_probs`` (stored with the rollout) | (B,) |
| A^_t | ``advantages`` (e.g. GAE, often normalised) | (B,) |
| r_t(theta) | ``ratio = importance_ratio(log_probs, old_log_probs)`` | (B,) |
| eps | ``clip`` (0.2 in the paper) | float |
| KL(pi_old \\|\\| pi_theta) at s_t | ``kl = categorical_kl(old_logits, logits)`` | (B,) |
| beta, d_targ | ``beta``, ``d_targ`` | float |

KL's direction: the paper penalises KL[pi_old(. | s), pi_theta(. | s)], the expectation under
the old policy, which is also what samples from the rollout can estimate; [D001]'s slide writes
the two arguments the other way round. We follow the paper everywhere.

``info["approx_kl"]`` is the k3 estimator of KL(pi_old || pi_theta) (Schulman, "Approximating
KL divergence", 2020; CleanRL's ``approx_kl``): with a_t ~ pi_old and r_t as above,

    k3 = mean_t[(r_t - 1) - log r_t]

unbiased (E_old[r] = 1, E_old[-log r] = KL), and every term is >= 0 (since log x <= x - 1),
unlike k1 = mean_t[log pi_old - log pi_theta], which is unbiased too but has a higher variance
and can come out negative.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from rlcourse.deep.policy_gradient import _check_clip, _floats, _same_shape, _tensor
from rlcourse.validation import check_beta, check_number

__all__ = [
    "importance_ratio",
    "ppo_clip_loss",
    "categorical_kl",
    "ppo_kl_loss",
    "adaptive_kl_beta",
    "KL_TOLERANCE",
    "BETA_FACTOR",
]

KL_TOLERANCE = 1.5
"""adaptive_kl_beta acts only when KL leaves [d_targ / 1.5, 1.5 d_targ] (Schulman et al. 2017,
sec. 4: "chosen heuristically, but the algorithm is not very sensitive to them")."""
BETA_FACTOR = 2.0
"""adaptive_kl_beta halves or doubles beta (the same paper's second constant)."""


def _ratio_inputs(what: str, log_probs: Any, old_log_probs: Any) -> tuple[Tensor, Tensor]:
    log_probs = _tensor(log_probs, "log_probs")
    old_log_probs = _tensor(old_log_probs, "old_log_probs").detach().to(log_probs.dtype)
    _same_shape(what, log_probs=log_probs, old_log_probs=old_log_probs)
    return log_probs, old_log_probs


def _k3(ratio: Tensor) -> Tensor:
    """k3 = mean[(r - 1) - log r], an estimate of KL(pi_old || pi_theta), no gradient."""
    with torch.no_grad():
        return ((ratio - 1.0) - torch.log(ratio)).mean()  # () every term >= 0


# ----------------------------------------------------------------------------------------
# The symbols of the slide, on tensors.
# ----------------------------------------------------------------------------------------
def importance_ratio(log_probs: Tensor, old_log_probs: Tensor) -> Tensor:
    """r_t(theta) = pi_theta(a_t | s_t) / pi_theta_old(a_t | s_t) = exp(log pi - log pi_old).

    [D001]'s importance sampling weight. ``log_probs`` (B,) under the policy being trained (with
    gradient), ``old_log_probs`` (B,) under the policy that collected the rollout (detached: it
    is data). Computed from the difference of logs, never as a quotient of probabilities, which
    underflow. Returns r (B,); r = 1 before the first update of an epoch.
    """
    log_probs, old_log_probs = _ratio_inputs("importance_ratio", log_probs, old_log_probs)
    return torch.exp(log_probs - old_log_probs)  # (B,)


def ppo_clip_loss(
    log_probs: Tensor, old_log_probs: Tensor, advantages: Tensor, *, clip: float
) -> tuple[Tensor, dict[str, float]]:
    """-L^CLIP(theta) = -mean_t min(r_t A_t, clip(r_t, 1 - eps, 1 + eps) A_t), [D001], eq. 7 of
    Schulman et al. (2017); returns ``(loss, info)``.

    ``log_probs`` (B,) with gradient, ``old_log_probs`` (B,) and ``advantages`` (B,) detached,
    ``clip`` = eps > 0 (0.2 in the paper). The min takes the pessimistic of the two surrogates:

    - A > 0: the objective stops growing once r > 1 + eps (no gradient there), but r < 1 - eps
      keeps the unclipped r A and its gradient (undoing a bad step is never blocked);
    - A < 0: the objective stops once r < 1 - eps (no gradient), r > 1 + eps keeps r A.

    At r = 1 (the first minibatch of an epoch) the loss is -mean(A) and its gradient equals
    REINFORCE's with advantages A (:func:`rlcourse.deep.policy_gradient.reinforce_loss`).

    ``info`` (floats): ``loss``; ``approx_kl``, the k3 estimate mean[(r - 1) - log r] of
    KL(pi_old || pi_theta) (see the module docstring); ``clip_fraction``, the fraction of
    samples with |r - 1| > eps (outside the range, whether or not the min chose the clipped
    term: CleanRL's ``clipfrac``); ``ratio_mean`` and ``ratio_max``.
    """
    clip = _check_clip(clip)
    log_probs, old_log_probs = _ratio_inputs("ppo_clip_loss", log_probs, old_log_probs)
    advantages = _tensor(advantages, "advantages").detach().to(log_probs.dtype)  # (B,) A^
    _same_shape(
        "ppo_clip_loss", log_probs=log_probs, old_log_probs=old_log_probs, advantages=advantages
    )
    ratio = torch.exp(log_probs - old_log_probs)  # (B,) r_t(theta)
    surrogate = ratio * advantages  # (B,) r A
    surrogate_clipped = ratio.clamp(1.0 - clip, 1.0 + clip) * advantages  # (B,) clip(r) A
    objective = torch.minimum(surrogate, surrogate_clipped).mean()  # () L^CLIP, pessimistic
    loss = -objective  # () optimisers minimise
    info = _floats(
        loss=loss,
        approx_kl=_k3(ratio),
        clip_fraction=((ratio - 1.0).abs() > clip).to(ratio.dtype).mean(),
        ratio_mean=ratio.mean(),
        ratio_max=ratio.max(),
    )
    return loss, info


def categorical_kl(old_logits: Tensor, new_logits: Tensor) -> Tensor:
    """KL(pi_old(. | s) || pi_theta(. | s)) = sum_a pi_old(a|s) log(pi_old(a|s) / pi_theta(a|s)).

    Exact, from the full softmax of each row (no sampling). ``old_logits`` (B, A) and
    ``new_logits`` (B, A): the two policies' logits at the same B states ((T, N, A) gives
    (T, N)); pass the old ones
    detached (they come from the rollout). Returns KL (B,), one value per state: >= 0, and 0
    exactly where the two rows give the same distribution (logits that differ by a constant per
    row are the same distribution). Equals ``torch.distributions.kl_divergence`` of the two
    ``Categorical`` distributions. An action masked in both (logit -inf) contributes 0.
    """
    old_logits = _tensor(old_logits, "old_logits")
    new_logits = _tensor(new_logits, "new_logits").to(old_logits.dtype)
    if old_logits.dim() < 2 or old_logits.shape != new_logits.shape or old_logits.numel() == 0:
        raise ValueError(
            f"categorical_kl expects old_logits and new_logits of the same shape (B, A), one "
            f"row per state, got old_logits {tuple(old_logits.shape)} and new_logits "
            f"{tuple(new_logits.shape)}."
        )
    # clamp -inf (masked actions) to the lowest float so that 0 * log 0 gives 0, not NaN
    lowest = torch.finfo(old_logits.dtype).min
    log_p_old = torch.log_softmax(old_logits, dim=-1).clamp(min=lowest)  # (B, A)
    log_p_new = torch.log_softmax(new_logits, dim=-1).clamp(min=lowest)  # (B, A)
    p_old = log_p_old.exp()  # (B, A)
    return (p_old * (log_p_old - log_p_new)).sum(dim=-1)  # (B,)


def ppo_kl_loss(
    log_probs: Tensor,
    old_log_probs: Tensor,
    advantages: Tensor,
    kl: Tensor,
    *,
    beta: float,
) -> tuple[Tensor, dict[str, float]]:
    """-L^KLPEN(theta) = -mean_t[r_t A_t - beta KL(pi_old(. | s_t) || pi_theta(. | s_t))],
    [D001], eq. 8 of Schulman et al. (2017); returns ``(loss, info)``.

    ``log_probs`` (B,) with gradient, ``old_log_probs`` (B,) and ``advantages`` (B,) detached;
    ``kl`` (B,) the per-state KL between the old and new policies, with gradient through the
    new one: ``categorical_kl(old_logits, logits)``. ``beta`` > 0 weighs the penalty; adapt it
    between updates with :func:`adaptive_kl_beta`. No clipping: the penalty alone keeps the new
    policy near the old.

    ``info`` (floats): ``loss``; ``kl``, the mean of the given exact ``kl``; ``approx_kl``, the
    k3 estimate from the sampled actions (as in :func:`ppo_clip_loss`); ``ratio_mean`` and
    ``ratio_max``.
    """
    beta = check_beta(beta)
    log_probs, old_log_probs = _ratio_inputs("ppo_kl_loss", log_probs, old_log_probs)
    advantages = _tensor(advantages, "advantages").detach().to(log_probs.dtype)  # (B,) A^
    kl = _tensor(kl, "kl").to(log_probs.dtype)  # (B,) keeps its gradient
    _same_shape(
        "ppo_kl_loss",
        log_probs=log_probs,
        old_log_probs=old_log_probs,
        advantages=advantages,
        kl=kl,
    )
    ratio = torch.exp(log_probs - old_log_probs)  # (B,) r_t(theta)
    objective = (ratio * advantages - beta * kl).mean()  # () L^KLPEN
    loss = -objective  # () optimisers minimise
    info = _floats(
        loss=loss,
        kl=kl.mean(),
        approx_kl=_k3(ratio),
        ratio_mean=ratio.mean(),
        ratio_max=ratio.max(),
    )
    return loss, info


def adaptive_kl_beta(beta: float, kl: float, *, d_targ: float) -> float:
    """The next beta of PPO's adaptive KL penalty, Schulman et al. (2017), sec. 4.

    After an update, with d = ``kl`` the mean KL(pi_old || pi_theta) it reached (a float, e.g.
    ``info["kl"]``) and ``d_targ`` > 0 the target KL per update:

        d < d_targ / 1.5   ->  beta / 2     (the policy barely moved: penalise less)
        d > d_targ * 1.5   ->  beta * 2     (it moved too far: penalise more)
        otherwise          ->  beta

    (1.5 is :data:`KL_TOLERANCE` and 2 :data:`BETA_FACTOR`, the paper's heuristic constants.)
    ``beta`` > 0 is the current coefficient; a slightly negative estimate of d is accepted.
    """
    beta = check_beta(beta)
    if isinstance(kl, Tensor) and kl.numel() == 1:
        kl = kl.item()  # a 0-d tensor such as categorical_kl(...).mean()
    kl = check_number(kl, "kl", "kl=0.01")
    d_targ = check_number(d_targ, "d_targ", "d_targ=0.01")
    if not d_targ > 0.0:
        raise ValueError(
            f"d_targ (the target KL per update) must be > 0, got {d_targ!r}; e.g. d_targ=0.01."
        )
    if kl < d_targ / KL_TOLERANCE:
        return beta / BETA_FACTOR
    if kl > d_targ * KL_TOLERANCE:
        return beta * BETA_FACTOR
    return beta
