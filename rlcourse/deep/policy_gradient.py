"""Policy gradient (REINFORCE, with and without a baseline) and the actor-critic pieces, [D001],
[D003].

[D001]'s policy gradient of one trajectory, and the loss whose gradient it is:

    grad_theta J(theta) ~ g^ = sum_t grad_theta log pi_theta(a_t | s_t) G_t
    L(theta) = -mean_t log pi_theta(a_t | s_t) (G_t - b(s_t))        reinforce_loss(...)

Autograd differentiates ``L``; minimising it climbs ``J``. ``G_t`` and the baseline ``b(s_t)``
are numbers, not functions of theta: the gradient flows through ``log pi`` only. Any baseline
that does not depend on the action leaves the expected gradient unchanged and can shrink its
variance a lot; ``b(s) = V(s)`` turns ``G - b`` into the advantage ``A = G - V(s)`` [D003].

Actor-critic methods (A2C, PPO) add two terms, both here:

    L^VF(theta) = mean_t (V_theta(s_t) - G_t)^2                      value_loss(...)
    H(pi(. | s)) = -sum_a pi(a | s) log pi(a | s)                    entropy_bonus(logits)
    L = L^PG + c1 L^VF - c2 H        (composed by a trainer, not here)

| symbol | code | shape |
|---|---|---|
| log pi_theta(a_t \\| s_t) | ``Categorical(logits=logits).log_prob(actions)`` | (B,) |
| G_t | ``returns`` (discounted return from step t) | (B,) |
| b(s_t) | ``baseline`` (a number, or V(s_t) per sample) | () or (B,) |
| G_t - b(s_t) | ``advantages`` | (B,) |
| V_theta(s_t) | ``values`` (the critic's output) | (B,) |
| pi(. \\| s) | ``logits`` (softmax gives the probabilities) | (B, A) |

B counts samples: every time step of every episode in the batch. The losses take the mean
over B (the slide sums over the steps of one trajectory: the same direction, scaled by 1/B).
A rollout's (T, N) tensors (:mod:`rlcourse.deep.advantages`) can go in as they are: every
argument of a loss must have the same shape (no silent broadcasting), the mean runs over all
entries, and logits are (..., A) with the actions on the last axis.
Losses return ``(loss, info)``: ``loss`` a scalar tensor to call ``.backward()`` on, ``info`` a
dict of floats for the training history. The PPO surrogates are in
:mod:`rlcourse.deep.ppo_losses`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.distributions import Categorical

from rlcourse.validation import check_number

__all__ = [
    "reinforce_loss",
    "normalize",
    "value_loss",
    "entropy_bonus",
]


# ----------------------------------------------------------------------------------------
# Shared checks (also used by rlcourse.deep.ppo_losses).
# ----------------------------------------------------------------------------------------
def _tensor(x: Any, name: str) -> Tensor:
    """``x`` as a floating tensor (a tensor keeps its dtype, device and autograd history)."""
    if isinstance(x, Tensor):
        return x if x.is_floating_point() else x.to(torch.get_default_dtype())
    if x is None or isinstance(x, str):
        raise TypeError(f"{name} must be a tensor of numbers, got {x!r}.")
    try:
        return torch.as_tensor(np.asarray(x, dtype=np.float64), dtype=torch.get_default_dtype())
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a tensor or an array of numbers, got {x!r}.") from exc


def _same_shape(what: str, **tensors: Tensor) -> None:
    """Every tensor has the first one's shape, and it is not empty: a (B, 1) next to a (B,)
    would broadcast to (B, B) and average B^2 wrong products without an error."""
    names = list(tensors)
    shape = tensors[names[0]].shape
    if any(t.shape != shape for t in tensors.values()):
        got = ", ".join(f"{n} {tuple(t.shape)}" for n, t in tensors.items())
        raise ValueError(
            f"{what}: {', '.join(names)} must have the same shape (one entry per sample), got "
            f"{got}; flatten them the same way (e.g. .reshape(-1)) or .squeeze(-1) a critic's "
            "(B, 1) output."
        )
    if tensors[names[0]].numel() == 0:
        raise ValueError(f"{what}: the batch is empty ({names[0]} has shape {tuple(shape)}).")


def _check_clip(clip: Any, name: str = "clip") -> float:
    """The clip range epsilon of PPO (ratio) or of the value clip, a number > 0."""
    x = check_number(clip, name, f"{name}=0.2")
    if not x > 0.0:
        raise ValueError(f"clip range must be > 0; e.g. {name}=0.2, got {clip!r}.")
    return x


def _floats(**values: Tensor) -> dict[str, float]:
    """Scalar tensors as a dict of Python floats (one transfer from the device)."""
    with torch.no_grad():
        numbers = torch.stack([v.detach().to(torch.float64) for v in values.values()]).tolist()
    return dict(zip(values, numbers))


# ----------------------------------------------------------------------------------------
# The symbols of the slide, on tensors.
# ----------------------------------------------------------------------------------------
def reinforce_loss(
    log_probs: Tensor, returns: Tensor, *, baseline: Tensor | float | None = None
) -> tuple[Tensor, dict[str, float]]:
    """L(theta) = -mean_t log pi_theta(a_t | s_t) (G_t - b(s_t)): REINFORCE, [D001], [D003].

    Williams (1992). ``log_probs`` (B,) the log-probabilities of the actions taken, with
    gradient; ``returns`` (B,) the returns G_t; ``baseline`` None (b = 0, the slide's g^), a
    number, or a tensor (B,) such as the critic's V(s_t). G and b are detached: they weigh
    each log-probability, they are not trained by this loss (the critic learns from
    :func:`value_loss`). A baseline that does not depend on the action keeps the expected
    gradient and lowers its variance.

    Returns ``(loss, info)`` with ``info``: ``loss``, ``return_mean`` (mean G),
    ``advantage_mean`` (mean G - b) and ``log_prob_mean`` (mean log pi(a|s)) as floats.
    """
    log_probs = _tensor(log_probs, "log_probs")
    returns = _tensor(returns, "returns").detach().to(log_probs.dtype)  # (B,) G, no gradient
    _same_shape("reinforce_loss", log_probs=log_probs, returns=returns)
    if baseline is None:
        advantages = returns  # (B,) b = 0
    elif isinstance(baseline, (int, float)) and not isinstance(baseline, bool):
        advantages = returns - check_number(baseline, "baseline", "baseline=0.0")  # (B,)
    else:
        b = _tensor(baseline, "baseline").detach().to(log_probs.dtype)  # (B,) or ()
        if b.dim() != 0:
            _same_shape("reinforce_loss", log_probs=log_probs, baseline=b)
        advantages = returns - b  # (B,) G - b(s)
    loss = -(log_probs * advantages).mean()  # () the minus: optimisers minimise
    info = _floats(
        loss=loss,
        return_mean=returns.mean(),
        advantage_mean=advantages.mean(),
        log_prob_mean=log_probs.mean(),
    )
    return loss, info


def normalize(x: Tensor, *, eps: float = 1e-8) -> Tensor:
    """(x - mean(x)) / (std(x) + eps) over every entry of ``x``: advantage normalisation.

    ``std`` is the POPULATION standard deviation (divide by B, ``correction=0``), so the result
    has mean 0 and mean square 1 (up to ``eps``), and a batch of one gives 0, not NaN.
    CleanRL and Stable-Baselines3 call ``tensor.std()``, the sample std (divide by B - 1):
    their result is smaller by sqrt((B - 1) / B), which matters only for small batches.
    ``eps`` > 0 keeps a constant batch (std 0) finite. Returns a new tensor of x's shape;
    gradients flow through it (normalise advantages, which carry none, before the loss).
    """
    x = _tensor(x, "x")
    eps = check_number(eps, "eps", "eps=1e-8")
    if not eps > 0.0:
        raise ValueError(
            f"eps must be > 0, got {eps!r}; e.g. eps=1e-8 keeps a constant batch finite."
        )
    if x.numel() == 0:
        raise ValueError("normalize: x is empty; there is nothing to normalise.")
    mean = x.mean()  # ()
    std = x.std(correction=0)  # () population std: divide by B
    return (x - mean) / (std + eps)  # x's shape


def value_loss(
    values: Tensor,
    returns: Tensor,
    *,
    old_values: Tensor | None = None,
    clip: float | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """L^VF(theta) = mean_t (V_theta(s_t) - G_t)^2, [D001]; returns ``(loss, info)``.

    ``values`` (B,) the critic's V(s_t), with gradient; ``returns`` (B,) its regression targets
    G_t (Monte Carlo returns, or GAE advantages + old values), detached. No factor 0.5: the
    slide's squared error, as :func:`rlcourse.deep.dqn_loss` with ``loss="mse"``. (CleanRL puts
    0.5 in its value loss, so its ``vf_coef=0.5`` is c1 = 0.25 here.)

    Value clipping (PPO2 in OpenAI baselines; CleanRL's ``clip_vloss``), with ``old_values``
    (B,) the critic's values when the rollout was collected and ``clip`` > 0, both or neither:

        V_clip = V_old + clip(V - V_old, -clip, clip)
        L^VF   = mean_t max((V - G)^2, (V_clip - G)^2)

    The max keeps the pessimistic (larger) error, so a value that moved more than ``clip``
    from V_old gets no gradient when moving it back would not help.

    ``info``: ``loss``, ``value_mean``, ``return_mean`` and ``value_clip_fraction`` (fraction
    of samples with |V - V_old| > clip; 0.0 without clipping) as floats.
    """
    values = _tensor(values, "values")
    returns = _tensor(returns, "returns").detach().to(values.dtype)  # (B,) G, a fixed target
    _same_shape("value_loss", values=values, returns=returns)
    if (old_values is None) != (clip is None):
        given = "None" if old_values is None else "a tensor"
        raise ValueError(
            "value_loss: pass both old_values and clip (value clipping, e.g. clip=0.2) or "
            f"neither (the plain squared error); got old_values={given} and clip={clip!r}."
        )
    error = (values - returns) ** 2  # (B,)
    clip_fraction = torch.zeros((), dtype=values.dtype, device=values.device)
    if clip is not None:
        clip = _check_clip(clip)
        old_values = _tensor(old_values, "old_values").detach().to(values.dtype)  # (B,)
        _same_shape("value_loss", values=values, returns=returns, old_values=old_values)
        change = values - old_values  # (B,)
        values_clipped = old_values + change.clamp(-clip, clip)  # (B,) V_clip
        error = torch.maximum(error, (values_clipped - returns) ** 2)  # (B,) pessimistic
        clip_fraction = (change.abs() > clip).to(values.dtype).mean()
    loss = error.mean()  # ()
    info = _floats(
        loss=loss,
        value_mean=values.mean(),
        return_mean=returns.mean(),
        value_clip_fraction=clip_fraction,
    )
    return loss, info


def entropy_bonus(logits: Tensor) -> Tensor:
    """mean_s H(pi(. | s)), with H = -sum_a pi(a | s) log pi(a | s): the entropy bonus, with
    gradient.

    ``logits`` (B, A), one row of unnormalised log-probabilities per state (the policy is their
    softmax, a ``torch.distributions.Categorical``; (T, N, A) works too). H is between 0 (one
    action certain) and log A (uniform); a trainer SUBTRACTS c2 H from its loss, rewarding a
    policy that keeps exploring. Masked actions (logit -inf) count as probability 0. Returns a
    scalar tensor.
    """
    logits = _tensor(logits, "logits")
    if logits.dim() < 2 or logits.numel() == 0:
        raise ValueError(
            f"entropy_bonus expects logits (B, A), one row per state, got {tuple(logits.shape)}; "
            "for a single state use logits.unsqueeze(0)."
        )
    return Categorical(logits=logits).entropy().mean()  # (B,) -> ()
