"""Returns and advantages over a rollout: G_t, G_t^(n), delta_t and GAE(gamma, lambda), [D001].

A rollout is T time steps of N parallel environments, stored as (T, N) tensors (one env: (T,)).
Row t holds the transition (s_t, a_t, r_t, s_{t+1}) of every env. [D001]'s estimators of
A(s, a) = Q(s, a) - V(s), one top-level function each:

    G_t         = r_t + gamma r_{t+1} + gamma^2 r_{t+2} + ...           discounted_returns(...)
    G_t^(n)     = r_t + ... + gamma^{n-1} r_{t+n-1} + gamma^n V(s_{t+n})   n_step_returns(..., n=)
    delta_t     = r_t + gamma V(s_{t+1}) - V(s_t)                         td_errors(...)
    A_t^GAE     = sum_l (gamma lam)^l delta_{t+l}
                = delta_t + gamma lam A_{t+1}^GAE                          gae(..., lam=)

    GAE(gamma, 0) = delta_t                      (the one-step TD advantage, low variance)
    GAE(gamma, 1) = G_t - V(s_t)                 (the Monte Carlo advantage, no bias from V)

| symbol | code | shape |
|---|---|---|
| r_t | ``rewards`` | (T, N) |
| V(s_t) | ``values`` | (T, N) |
| V(s_{t+1}) | ``next_values``: V of the TRUE next observation | (T, N) |
| terminated_t, truncated_t | ``terminated``, ``truncated`` (bools or 0/1) | (T, N) |
| G_t, G_t^(n) | ``discounted_returns(...)``, ``n_step_returns(..., n=)`` | (T, N) |
| delta_t | ``td_errors(...)`` | (T, N) |
| A_t^GAE(gamma, lambda) | ``gae(..., gamma=, lam=)`` | (T, N) |
| critic target G_t^lambda | ``gae(...) + values`` | (T, N) |

The contract, the same in every function:

* ``next_values[t]`` is V(s_{t+1}) of the observation that FOLLOWED s_t in its episode: at a
  truncation the true final observation (``infos["final_obs"]``, see
  :mod:`rlcourse.deep.envs`), in the last row the observation after the rollout. Inside an
  episode it is ``values[t + 1]``; the rows where it says more are the truncated rows and the
  last row. Every function bootstraps from ``next_values`` only, never from ``values[t + 1]``
  (after an autoreset that is the NEXT episode's first state).
* ``terminated[t]``: s_{t+1} is terminal, its value is 0: no bootstrap, whatever
  ``next_values[t]`` holds (a network's output for a terminal state is not 0).
* ``truncated[t]``: a time limit stopped the episode; s_{t+1} still has a value, so the
  bootstrap ``gamma V(s_{t+1})`` stays, but row t + 1 belongs to another episode: every sum
  over future steps (G_t, G_t^(n), GAE's recursion) stops at row t.
* The rollout's last row cuts the sums the same way: what lies beyond is bootstrapped from
  ``next_values[T - 1]`` (unless ``terminated[T - 1]``).

Outputs are new tensors (inputs are never changed) with no gradient: they are targets and
weights. numpy arrays are accepted as well; floating dtypes are kept (float32 in, float32
out), anything else becomes torch's default float dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from rlcourse.validation import check_gamma, check_lam, check_positive_int

__all__ = ["discounted_returns", "n_step_returns", "td_errors", "gae"]


# ----------------------------------------------------------------------------------------
# Inputs: (T, N) or (T,) tensors of one shape.
# ----------------------------------------------------------------------------------------
def _as_tensor(x: Any, name: str) -> Tensor:
    if isinstance(x, Tensor):
        return x.detach()
    if x is None or isinstance(x, str):
        raise TypeError(f"{name} must be a tensor or an array of numbers, got {x!r}.")
    try:
        a = np.asarray(x)
        if not a.flags.writeable:  # torch warns about read-only arrays; a copy is cheap
            a = a.copy()
        return torch.as_tensor(a)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be a tensor or an array of numbers, got {x!r}.") from exc


def _rollout(
    rewards: Any, floats: dict[str, Any], flags: dict[str, Any], optional: tuple[str, ...] = ()
) -> tuple[Tensor, dict[str, Tensor], dict[str, Tensor]]:
    """The rewards and the ``floats`` (those named in ``optional`` may be None: zeros) in one
    floating dtype, the ``flags`` (None: all False) as bools; all of the rewards' shape,
    (T, N) or (T,), on the rewards' device.

    A ValueError names any argument whose shape differs from the rewards'.
    """
    r = _as_tensor(rewards, "rewards")
    if r.dim() not in (1, 2):
        raise ValueError(
            f"rewards must have shape (T, N) (T steps of N envs) or (T,) (one env), got "
            f"{tuple(r.shape)}; put time first: rewards[t, i] is env i's reward at step t."
        )
    expected = f"(T, N) = {tuple(r.shape)}" if r.dim() == 2 else f"(T,) = ({r.shape[0]},)"
    given = {}
    for name, x in {**floats, **flags}.items():
        if x is None and (name in flags or name in optional):
            continue
        t = _as_tensor(x, name).to(r.device)
        if t.shape != r.shape:
            raise ValueError(
                f"{name} has shape {tuple(t.shape)}, expected {expected}, the shape of "
                "rewards: one entry per time step (and env) of the rollout."
            )
        given[name] = t
    # one floating dtype for the numbers: float32 stays float32, float64 stays float64
    dtype = None
    for t in [r, *(given[n] for n in floats if n in given)]:
        if t.is_floating_point():
            dtype = t.dtype if dtype is None else torch.promote_types(dtype, t.dtype)
    dtype = dtype or torch.get_default_dtype()
    r = r.to(dtype)
    out_floats = {n: given[n].to(dtype) if n in given else torch.zeros_like(r) for n in floats}
    out_flags = {}
    for name in flags:
        t = given.get(name, torch.zeros(r.shape, dtype=torch.bool, device=r.device))
        if t.dtype != torch.bool:
            bad = (t != 0) & (t != 1)
            if bool(bad.any()):
                raise ValueError(
                    f"{name} must hold bools (or 0 / 1), one per step and env; got "
                    f"{t[bad][0].item()!r}."
                )
            t = t != 0
        out_flags[name] = t
    return r, out_floats, out_flags


# ----------------------------------------------------------------------------------------
# The symbols of the slide.
# ----------------------------------------------------------------------------------------
def discounted_returns(
    rewards: Any,
    next_values: Any = None,
    terminated: Any = None,
    truncated: Any = None,
    *,
    gamma: float,
) -> Tensor:
    """G_t = r_t + gamma G_{t+1}, summed backwards inside each episode (the reward-to-go), [D001].

    ``rewards`` (T, N) or (T,). With only the rewards this is one episode's reward-to-go,
    equal to :func:`rlcourse.mdp.returns` (G_T = 0). In a rollout the sum stops where an
    episode stops (row t with ``terminated`` or ``truncated``) and at the last row; what would
    come next is

        0                      if terminated_t (s_{t+1} is terminal),
        next_values[t]         if truncated_t or t = T - 1 (the episode goes on, unseen),

    so G_t = r_t + gamma (1 - terminated_t) next_values[t] at such a row. Leaving out
    ``next_values`` (None) bootstraps 0 there: the return of the rewards actually seen.
    Returns G (T, N), the rewards' shape.
    """
    gamma = check_gamma(gamma)
    r, f, flags = _rollout(
        rewards,
        {"next_values": next_values},
        {"terminated": terminated, "truncated": truncated},
        optional=("next_values",),  # None: zeros, bootstrap 0
    )
    not_terminal = (~flags["terminated"]).to(r.dtype)  # (T, N)
    cut = flags["terminated"] | flags["truncated"]  # (T, N) the episode stops after row t
    G = torch.empty_like(r)  # (T, N)
    for t in reversed(range(r.shape[0])):
        if t == r.shape[0] - 1:
            after = f["next_values"][t]  # (N,) beyond the rollout: bootstrap
        else:
            # G_{t+1} inside the episode; V(s_{t+1}) when row t + 1 is another episode
            after = torch.where(cut[t], f["next_values"][t], G[t + 1])  # (N,)
        G[t] = r[t] + gamma * not_terminal[t] * after  # (N,)
    return G


def n_step_returns(
    rewards: Any,
    next_values: Any,
    terminated: Any = None,
    truncated: Any = None,
    *,
    gamma: float,
    n: int,
) -> Tensor:
    """G_t^(n) = r_t + gamma r_{t+1} + ... + gamma^{n-1} r_{t+n-1} + gamma^n V(s_{t+n}), [D001].

    ([D001]'s "n-step TD" estimate of Q; [SB18] eq. 7.1.) The n steps stop early where the
    episode or the rollout stops: if that is row t + m (m < n - 1), G_t^(n) is

        r_t + ... + gamma^m r_{t+m} + gamma^{m+1} (1 - terminated_{t+m}) next_values[t+m],

    no bootstrap past a termination, the true final observation's value at a truncation.
    V(s_{t+n}) is read as ``next_values[t + n - 1]`` (the same state as ``values[t + n]``).
    ``n=1`` gives r_t + gamma (1 - terminated_t) V(s_{t+1}) (the TD target); ``n >= T`` gives
    :func:`discounted_returns` with ``next_values``. Returns (T, N), the rewards' shape.
    """
    gamma = check_gamma(gamma)
    n = check_positive_int(n, "n", 5)
    r, f, flags = _rollout(
        rewards,
        {"next_values": next_values},
        {"terminated": terminated, "truncated": truncated},
    )
    T = r.shape[0]
    v_next = f["next_values"]  # (T, N)
    not_terminal = (~flags["terminated"]).to(r.dtype)  # (T, N)
    stops = flags["terminated"] | flags["truncated"]  # (T, N) the episode stops after row t
    stops[-1:] = True  # so does the rollout (a new tensor: the flags are never changed)
    G = torch.zeros_like(r)  # (T, N)
    running = torch.ones_like(r, dtype=torch.bool)  # (T, N) G_t still adding steps
    # step k adds gamma^k r_{t+k} for every t at once: rows t < T - k see row t + k
    for k in range(min(n, T)):
        rows = T - k
        on = running[:rows].to(r.dtype)  # (rows, N)
        G[:rows] += gamma**k * on * r[k:]  # + gamma^k r_{t+k}
        # the sum ends at row t + k: n steps taken, or the episode / rollout stops there
        ends = running[:rows] & (stops[k:] | (k == n - 1))  # (rows, N)
        bootstrap = gamma ** (k + 1) * not_terminal[k:] * v_next[k:]  # (rows, N)
        G[:rows] += ends.to(r.dtype) * bootstrap
        running[:rows] &= ~ends
    return G


def td_errors(
    rewards: Any,
    values: Any,
    next_values: Any,
    terminated: Any = None,
    *,
    gamma: float,
) -> Tensor:
    """delta_t = r_t + gamma (1 - terminated_t) V(s_{t+1}) - V(s_t), [D001] (GAE's A_t^(1)).

    ``values`` V(s_t) and ``next_values`` V(s_{t+1}), (T, N) each. Only ``terminated`` removes
    the bootstrap; a truncated row keeps it, since ``next_values`` holds the value of the true
    final observation. Returns delta (T, N).
    """
    gamma = check_gamma(gamma)
    r, f, flags = _rollout(
        rewards, {"values": values, "next_values": next_values}, {"terminated": terminated}
    )
    not_terminal = (~flags["terminated"]).to(r.dtype)  # (T, N)
    return r + gamma * not_terminal * f["next_values"] - f["values"]  # (T, N)


def gae(
    rewards: Any,
    values: Any,
    next_values: Any,
    terminated: Any = None,
    truncated: Any = None,
    *,
    gamma: float,
    lam: float,
) -> Tensor:
    """A_t = sum_l (gamma lam)^l delta_{t+l}: GAE(gamma, lambda), [D001]; Schulman et al.
    (2016), "High-dimensional continuous control using generalized advantage estimation",
    eq. 16.

    Computed backwards, A_t = delta_t + gamma lam (1 - done_t) A_{t+1} with A_T = 0, where
    done_t = terminated_t or truncated_t: the next row is another episode, so its advantage
    must not leak into this one. The two flags do different jobs: ``terminated`` removes the
    bootstrap inside delta_t (:func:`td_errors`), ``truncated`` only cuts the recursion (its
    delta_t bootstraps from the true final observation). The last row needs no A_T: the
    bootstrap is already in delta_{T-1} through ``next_values[T - 1]``.

    ``lam=0`` gives delta_t; ``lam=1`` gives G_t - V(s_t) with G_t from
    :func:`discounted_returns` (given ``next_values[t] == values[t + 1]`` inside episodes).
    Returns the advantages A (T, N); the critic's target, the lambda-return, is
    ``advantages + values``.
    """
    gamma, lam = check_gamma(gamma), check_lam(lam)
    r, f, flags = _rollout(
        rewards,
        {"values": values, "next_values": next_values},
        {"terminated": terminated, "truncated": truncated},
    )
    delta = td_errors(r, f["values"], f["next_values"], flags["terminated"], gamma=gamma)  # (T, N)
    # the next line is GAE's trap: done (terminated OR truncated) cuts the recursion
    not_done = (~(flags["terminated"] | flags["truncated"])).to(r.dtype)  # (T, N)
    A = torch.empty_like(r)  # (T, N)
    last = torch.zeros_like(r[0])  # (N,) A_T = 0
    for t in reversed(range(r.shape[0])):
        last = delta[t] + gamma * lam * not_done[t] * last  # (N,) A_t
        A[t] = last
    return A
