"""Proximal Policy Optimization (PPO), actor-critic style, on a Box observation and Discrete
actions, [D001].

[D001]'s Algorithm 1 (Schulman et al. 2017, "Proximal Policy Optimization Algorithms"), one
function per line:

    for iteration = 1, 2, ...:
        N actors run pi_theta_old for T steps                       collect_rollout(...)
        compute advantage estimates A^_1 .. A^_T (GAE)              rollout_advantages(...)
        optimise the surrogate L wrt theta, K epochs, minibatch M   ppo_update(...)
        theta_old <- theta                                          (the next rollout)

The surrogate each minibatch minimises (every loss here is a NEGATED objective):

    -L^CLIP + c1 L^VF - c2 H       ppo_clip_loss + vf_coef * value_loss - ent_coef * entropy_bonus
    -L^KLPEN + c1 L^VF - c2 H      ppo_kl_loss(..., beta=), beta adapted after every update

| symbol | code | shape |
|---|---|---|
| N, T | ``PPOConfig.n_envs``, ``PPOConfig.n_steps`` | int |
| K, M | ``PPOConfig.n_epochs``, ``PPOConfig.batch_size`` (M <= NT) | int |
| pi_theta(. \\| s) | ``logits = model(obs)`` (softmax gives the probabilities) | (B, A) |
| V(s) | ``model.value(obs)`` | (B,) |
| log pi_theta_old(a_t \\| s_t) | ``rollout["log_probs"]`` (stored while acting) | (T, N) |
| V(s_{t+1}) | ``model.value(rollout["next_obs"])``: the TRUE next observation | (T, N) |
| A^_t | ``gae(...)`` (:mod:`rlcourse.deep.advantages`) | (T, N) |
| critic target G_t^lambda | ``returns = advantages + values`` | (T, N) |
| eps, lambda, gamma | ``clip``, ``lam``, ``gamma`` | float |
| c1, c2 | ``vf_coef``, ``ent_coef`` | float |
| beta, d_targ | ``beta``, ``d_targ`` (objective "kl") | float |

Trap: a vector env resets a copy by itself when its episode ends. Only ``terminated`` removes
the bootstrap; at a truncation (CartPole-v1's 500-step limit) the advantage bootstraps from
V(true final observation), never from the next episode's first observation
(:func:`rlcourse.deep.envs.step_transitions` returns both).

Trainer: :func:`train_ppo` composes the three functions above and returns a
:class:`PPOResult`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn

from rlcourse.deep.advantages import gae
from rlcourse.deep.core import (
    EVAL_SEED_OFFSET,
    EnvLike,
    TrainingResult,
    default_device,
    evaluate,
    history_columns,
    mlp,
    progress_bar,
    seeded,
    torch_generator,
)
from rlcourse.deep.envs import make_vector_env, step_transitions
from rlcourse.deep.policy_gradient import entropy_bonus, normalize, value_loss
from rlcourse.deep.ppo_losses import (
    adaptive_kl_beta,
    categorical_kl,
    ppo_clip_loss,
    ppo_kl_loss,
)
from rlcourse.validation import (
    check_beta,
    check_gamma,
    check_hidden_sizes,
    check_lam,
    check_learning_rate,
    check_nonnegative_int,
    check_number,
    check_positive_int,
    make_config,
)

__all__ = [
    "ActorCritic",
    "collect_rollout",
    "rollout_advantages",
    "ppo_update",
    "PPOConfig",
    "PPOResult",
    "train_ppo",
]

OBJECTIVES = ("clip", "kl")


# ----------------------------------------------------------------------------------------
# The actor pi_theta and the critic V.
# ----------------------------------------------------------------------------------------
def _orthogonal(layers: nn.Sequential, out_gain: float) -> None:
    """Orthogonal weights, zero biases: gain sqrt(2) on hidden layers, ``out_gain`` on the last.

    Stable-Baselines3's and CleanRL's PPO initialisation (Engstrom et al. 2020 found it matters).
    """
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    for i, layer in enumerate(linears):
        nn.init.orthogonal_(layer.weight, gain=out_gain if i == len(linears) - 1 else 2**0.5)
        nn.init.zeros_(layer.bias)


class ActorCritic(nn.Module):
    """Two separate networks: the actor's logits pi_theta(. | s) (B, A) and the critic's V(s) (B,).

    ``model(obs)`` returns the LOGITS, so the model is a policy that
    :func:`rlcourse.deep.evaluate` acts on greedily (argmax, ties to the lowest index), just like
    a Q-network; ``model.value(obs)`` returns V. Each is an :func:`rlcourse.deep.mlp` with tanh
    between layers and orthogonal initial weights (Stable-Baselines3's ``MlpPolicy``): gain
    sqrt(2) on hidden layers, 0.01 on the actor's output (the first policy is close to uniform:
    every action gets tried), 1 on the critic's. ``hidden_sizes=()`` makes both linear.
    """

    def __init__(
        self, obs_dim: int, n_actions: int, *, hidden_sizes: Sequence[int] = (64, 64)
    ) -> None:
        super().__init__()
        obs_dim = check_positive_int(obs_dim, "obs_dim", 4)
        n_actions = check_positive_int(n_actions, "n_actions", 2)
        sizes = [check_positive_int(n, "hidden_sizes[i]", 64) for n in hidden_sizes]
        self.actor = mlp([obs_dim, *sizes, n_actions], activation=nn.Tanh)
        self.critic = mlp([obs_dim, *sizes, 1], activation=nn.Tanh)
        _orthogonal(self.actor, out_gain=0.01)
        _orthogonal(self.critic, out_gain=1.0)

    def forward(self, obs: Tensor) -> Tensor:
        """The policy's logits (B, A) at the observations ``obs`` (B, obs_dim)."""
        return self.actor(obs)  # (B, A)

    def value(self, obs: Tensor) -> Tensor:
        """The critic's V(s) (B,) at the observations ``obs`` (B, obs_dim)."""
        return self.critic(obs).squeeze(-1)  # (B, 1) -> (B,)


# ----------------------------------------------------------------------------------------
# One iteration of Algorithm 1, piece by piece.
# ----------------------------------------------------------------------------------------
def collect_rollout(
    envs: gym.vector.VectorEnv,
    model: ActorCritic,
    obs: np.ndarray,
    *,
    n_steps: int,
    generator: torch.Generator,
) -> tuple[dict[str, Tensor], np.ndarray]:
    """N actors run pi_theta_old for T = ``n_steps`` steps: the rollout as (T, N) tensors.

    ``envs``: a SAME_STEP vector env of N copies (:func:`rlcourse.deep.make_vector_env`);
    ``obs`` (N, obs_dim): what the copies show now. Actions are sampled from
    softmax(logits) with ``generator`` (a CPU ``torch.Generator``, never the global one).
    Returns ``(rollout, obs)``: ``obs`` to continue from, and ``rollout`` on the model's device:

    ``obs`` (T, N, obs_dim) s_t; ``actions`` (T, N) int64; ``log_probs`` (T, N) and
    ``logits`` (T, N, A) of pi_theta_old; ``rewards`` (T, N); ``terminated``, ``truncated``
    (T, N) bools; ``next_obs`` (T, N, obs_dim) s_{t+1}: the TRUE next observation (the final
    one where an episode ended; in the last row the observation after the rollout).
    """
    n_steps = check_positive_int(n_steps, "n_steps", 32)
    device = next(model.parameters()).device
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "obs",
            "actions",
            "log_probs",
            "logits",
            "rewards",
            "terminated",
            "truncated",
            "next_obs",
        )
    }
    for _ in range(n_steps):
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32), device=device)  # (N, obs_dim)
        with torch.no_grad():
            logits = model(x)  # (N, A)
        log_p = torch.log_softmax(logits, dim=-1).cpu()  # (N, A)
        # a ~ pi_theta_old(. | s), drawn with the trainer's own generator
        actions = torch.multinomial(log_p.exp(), 1, generator=generator).squeeze(1)  # (N,)
        obs_next_act, next_obs, reward, terminated, truncated = step_transitions(
            envs, actions.numpy()
        )
        rows["obs"].append(x)
        rows["actions"].append(actions)
        rows["log_probs"].append(log_p.gather(1, actions.unsqueeze(1)).squeeze(1))  # (N,)
        rows["logits"].append(logits)
        rows["rewards"].append(torch.as_tensor(reward, dtype=torch.float32))
        rows["terminated"].append(torch.as_tensor(terminated, dtype=torch.bool))
        rows["truncated"].append(torch.as_tensor(truncated, dtype=torch.bool))
        # s_{t+1} of THIS transition: at an episode's end its final observation, not the
        # next episode's first one (which is obs_next_act, what the actor sees next)
        rows["next_obs"].append(torch.as_tensor(np.asarray(next_obs, dtype=np.float32)))
        obs = obs_next_act
    rollout = {k: torch.stack(v).to(device) for k, v in rows.items()}  # (T, N, ...)
    return rollout, obs


def rollout_advantages(
    model: ActorCritic, rollout: dict[str, Tensor], *, gamma: float, lam: float
) -> tuple[Tensor, Tensor, Tensor]:
    """A^_t = GAE(gamma, lambda) over the rollout, and the critic's target; returns
    ``(advantages, returns, values)``, each (T, N), no gradient.

    values = V(s_t) and next_values = V(s_{t+1}) with s_{t+1} = ``rollout["next_obs"]``, the
    true next observation: a truncated row bootstraps from V(final observation), the last row
    from V(observation after the rollout); :func:`rlcourse.deep.gae` drops the bootstrap where
    ``terminated`` and cuts its recursion at every episode end. ``returns = advantages + values``
    is the lambda-return the critic regresses on.
    """
    with torch.no_grad():
        values = model.value(rollout["obs"])  # (T, N, obs_dim) -> (T, N) V(s_t)
        next_values = model.value(rollout["next_obs"])  # (T, N) V(s_{t+1}), true next obs
    advantages = gae(
        rollout["rewards"],
        values,
        next_values,
        rollout["terminated"],
        rollout["truncated"],
        gamma=gamma,
        lam=lam,
    )  # (T, N)
    return advantages, advantages + values, values


def ppo_update(
    model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    rollout: dict[str, Tensor],
    advantages: Tensor,
    returns: Tensor,
    config: PPOConfig,
    *,
    clip: float,
    beta: float,
    generator: torch.Generator,
) -> dict[str, float]:
    """Optimise the surrogate for K = ``config.n_epochs`` epochs over shuffled minibatches of
    M = ``config.batch_size`` of the N T samples; returns the means of the minibatches' stats.

    Per minibatch: advantages normalised (when ``config.normalize_advantages``), then
    ``loss = loss_pi + c1 loss_v - c2 H`` with ``loss_pi`` = -L^CLIP (``clip``) or -L^KLPEN
    (``beta``, objective "kl"), one Adam step after clipping the gradient's global norm.
    The shuffle draws from ``generator`` (CPU), never the global RNG. The returned dict holds
    ``loss_pi``, ``loss_v``, ``entropy``, ``approx_kl`` (k3) and ``clip_fraction`` (NaN for
    "kl", which does not clip).
    """
    obs = rollout["obs"].flatten(0, 1)  # (T, N, obs_dim) -> (NT, obs_dim)
    actions = rollout["actions"].flatten()  # (NT,)
    old_log_probs = rollout["log_probs"].flatten()  # (NT,)
    old_logits = rollout["logits"].flatten(0, 1)  # (NT, A)
    advantages, returns = advantages.flatten(), returns.flatten()  # (NT,)
    n_samples, M = actions.shape[0], config.batch_size
    stats: dict[str, list[float]] = {
        k: [] for k in ("loss_pi", "loss_v", "entropy", "approx_kl", "clip_fraction")
    }
    for _ in range(config.n_epochs):
        order = torch.randperm(n_samples, generator=generator).to(obs.device)  # (NT,)
        for start in range(0, n_samples, M):
            mb = order[start : start + M]  # (M,)
            logits = model(obs[mb])  # (M, A) pi_theta, with gradient
            log_probs = torch.log_softmax(logits, dim=-1)  # (M, A)
            log_probs = log_probs.gather(1, actions[mb].unsqueeze(1)).squeeze(1)  # (M,)
            adv = advantages[mb]  # (M,)
            if config.normalize_advantages:
                adv = normalize(adv)  # per minibatch, as SB3 and CleanRL
            if config.objective == "clip":
                loss_pi, info = ppo_clip_loss(log_probs, old_log_probs[mb], adv, clip=clip)
            else:
                kl = categorical_kl(old_logits[mb], logits)  # (M,) exact KL(pi_old || pi)
                loss_pi, info = ppo_kl_loss(log_probs, old_log_probs[mb], adv, kl, beta=beta)
            loss_v, _ = value_loss(model.value(obs[mb]), returns[mb])  # (V - G^lambda)^2
            entropy = entropy_bonus(logits)  # () H, mean over the minibatch
            loss = loss_pi + config.vf_coef * loss_v - config.ent_coef * entropy
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            stats["loss_pi"].append(info["loss"])
            stats["loss_v"].append(loss_v.item())
            stats["entropy"].append(entropy.item())
            stats["approx_kl"].append(info["approx_kl"])
            stats["clip_fraction"].append(info.get("clip_fraction", float("nan")))
    return {k: float(np.mean(v)) for k, v in stats.items()}


# ----------------------------------------------------------------------------------------
# Configuration and result.
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class PPOConfig:
    """PPO hyperparameters. Defaults: rl-baselines3-zoo's CartPole-v1 PPO settings (8 envs x 32
    steps, minibatch 256, 20 epochs, gamma 0.98, lambda 0.8, lr 1e-3 and clip 0.2 both
    annealed linearly, no entropy bonus) with Stable-Baselines3's PPO defaults for the rest
    (vf_coef 0.5, max_grad_norm 0.5, normalised advantages, separate (64, 64) tanh networks,
    Adam with eps 1e-5). SB3's value loss is F.mse_loss, without a factor 0.5, as our
    :func:`~rlcourse.deep.policy_gradient.value_loss`: c1 = 0.5 here reproduces SB3's
    vf_coef = 0.5 (CleanRL's 0.5 inside its loss makes its vf_coef = 0.5 our c1 = 0.25)."""

    total_steps: int = 100_000
    """env steps of training in all (summed over the n_envs copies); the last rollout may end
    past it"""
    n_envs: int = 8
    """N: environment copies (actors) stepped side by side"""
    n_steps: int = 32
    """T: steps each copy runs pi_theta_old per iteration (a rollout holds N T samples)"""
    batch_size: int = 256
    """M: samples per minibatch; N T must be a multiple of M"""
    n_epochs: int = 20
    """K: passes over the rollout per iteration (each over freshly shuffled minibatches)"""
    learning_rate: float = 1e-3
    """Adam's step size (at the start, when annealed)"""
    gamma: float = 0.98
    """discount factor in [0, 1]"""
    lam: float = 0.8
    """lambda of GAE(gamma, lambda) in [0, 1]: 0 is the TD error, 1 the Monte Carlo advantage"""
    clip: float = 0.2
    """eps of L^CLIP: the ratio r_t is clipped to [1 - eps, 1 + eps] (at the start, when
    annealed)"""
    anneal: bool = True
    """True: learning_rate and clip decay linearly, times 1 - (env steps before the rollout) /
    total_steps (the zoo's lin_ schedules)"""
    ent_coef: float = 0.0
    """c2: weight of the entropy bonus H (0: none, the zoo's CartPole setting)"""
    vf_coef: float = 0.5
    """c1: weight of the value loss L^VF = mean (V - G^lambda)^2 (no 0.5 inside: SB3's c1)"""
    max_grad_norm: float = 0.5
    """the gradient is clipped to this global norm before each Adam step"""
    normalize_advantages: bool = True
    """True: A^ is normalised to mean 0, std 1 within each minibatch"""
    objective: str = "clip"
    """"clip" (L^CLIP) or "kl" (L^KLPEN with an adaptive beta)"""
    beta: float = 1.0
    """initial KL coefficient of the "kl" objective"""
    d_targ: float = 0.01
    """target KL per update of the "kl" objective: beta halves below d_targ / 1.5 and
    doubles above 1.5 d_targ"""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """hidden layer widths of the actor and of the critic (tanh between layers)"""
    eval_every: int = 2_000
    """env steps between two greedy evaluations (checked after each update)"""
    eval_episodes: int = 20
    """episodes per evaluation (each on its own seeded env)"""

    def __post_init__(self) -> None:
        for name, example in (
            ("total_steps", 100_000),
            ("n_envs", 8),
            ("n_steps", 32),
            ("batch_size", 256),
            ("n_epochs", 20),
            ("eval_every", 2_000),
            ("eval_episodes", 20),
        ):
            check_positive_int(getattr(self, name), name, example)
        if (self.n_envs * self.n_steps) % self.batch_size != 0:
            raise ValueError(
                f"n_envs * n_steps = {self.n_envs} * {self.n_steps} = "
                f"{self.n_envs * self.n_steps} samples per rollout is not divisible by "
                f"batch_size = {self.batch_size}: a rollout length not divisible into "
                "minibatches. Pick batch_size dividing N T (e.g. batch_size=256 with "
                "n_envs=8, n_steps=32) or change n_steps."
            )
        check_learning_rate(self.learning_rate)
        check_gamma(self.gamma)
        check_lam(self.lam)
        clip = check_number(self.clip, "clip", "clip=0.2")
        if not clip > 0:
            raise ValueError(
                f"clip (PPO's eps) must be > 0, got {clip}; e.g. clip=0.2 keeps the ratio "
                "r_t in [0.8, 1.2]."
            )
        for name, example in (("ent_coef", 0.0), ("vf_coef", 0.5)):
            x = check_number(getattr(self, name), name, f"{name}={example}")
            if x < 0:
                raise ValueError(f"{name} must be >= 0, got {x}; e.g. {name}={example}.")
        g = check_number(self.max_grad_norm, "max_grad_norm", "max_grad_norm=0.5")
        if not g > 0:
            raise ValueError(f"max_grad_norm must be > 0, got {g}; e.g. max_grad_norm=0.5.")
        for flag in ("anneal", "normalize_advantages"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False, got {getattr(self, flag)!r}.")
        if self.objective not in OBJECTIVES:
            raise ValueError(
                f"objective must be one of {OBJECTIVES}, got {self.objective!r}: 'clip' is "
                "L^CLIP, 'kl' is L^KLPEN with an adaptive beta."
            )
        check_beta(self.beta)
        d = check_number(self.d_targ, "d_targ", "d_targ=0.01")
        if not d > 0:
            raise ValueError(f"d_targ (the target KL) must be > 0, got {d}; e.g. d_targ=0.01.")
        check_hidden_sizes(self.hidden_sizes)


@dataclass(kw_only=True)
class PPOResult(TrainingResult):
    """What a PPO run learned and how it got there."""

    model: ActorCritic = field(repr=False)
    """the actor-critic (``model(obs)`` logits, ``model.value(obs)`` V), on the CPU, in eval
    mode"""
    config: PPOConfig
    """the configuration the run used"""
    history: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    """numpy columns in three groups (columns of a group have the same length):
    per update (one per rollout): "update_step" (env steps when it ran), "loss_pi", "loss_v",
    "entropy", "approx_kl", "clip_fraction" (means over the update's minibatches;
    clip_fraction NaN for "kl"), "kl" (exact mean KL(pi_old || pi_theta) over the rollout
    after the update), "beta" (the coefficient the update used; NaN for "clip"), "lr" and
    "clip" (the values the update used);
    per finished episode: "episode_step" (env steps when it ended), "episode_return";
    per evaluation: "eval_step" (env steps), "eval_return" (mean over eval_episodes greedy
    episodes), "eval_std" and "wall_seconds" (training time so far, evaluations not counted)"""


_HISTORY = {
    "update": (
        "update_step",
        "loss_pi",
        "loss_v",
        "entropy",
        "approx_kl",
        "clip_fraction",
        "kl",
        "beta",
        "lr",
        "clip",
    ),
    "episode": ("episode_step", "episode_return"),
    "eval": ("eval_step", "eval_return", "eval_std", "wall_seconds"),
}


# ----------------------------------------------------------------------------------------
# The trainer.
# ----------------------------------------------------------------------------------------
def _adam(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    """Adam with eps = 1e-5 (SB3's PPO), fused into one kernel where torch has it."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, eps=1e-5, fused=True)
    except (RuntimeError, ValueError):  # a device or dtype without the fused kernel
        return torch.optim.Adam(model.parameters(), lr=lr, eps=1e-5)


def train_ppo(
    env: EnvLike,
    config: PPOConfig | None = None,
    *,
    seed: int,
    device: str | torch.device | None = None,
    progress: bool = False,
    **overrides: Any,
) -> PPOResult:
    """Proximal Policy Optimization, [D001]'s Algorithm 1 (actor-critic style).

    ``env``: an env id (``"CartPole-v1"``) or a factory returning a fresh env (Box observation,
    Discrete actions; anything else is a ValueError naming the space). ``config``: a
    :class:`PPOConfig`; keyword ``overrides`` replace fields (``train_ppo("CartPole-v1",
    seed=0, total_steps=20_000)``). ``seed`` sets the initial weights (inside :func:`seeded`:
    the caller's global random state is restored), the env copies' resets (seeds seed ..
    seed + n_envs - 1), action sampling and minibatch shuffles (torch Generators of their own);
    evaluations use env seeds ``seed + EVAL_SEED_OFFSET + k``. Same seed, same curve, bit for
    bit on a CPU. ``device``: CUDA when present unless given. ``progress=True``: a tqdm bar.

    Each iteration: a rollout of T steps on N copies (:func:`collect_rollout`), GAE
    (:func:`rollout_advantages`), K epochs of minibatch steps (:func:`ppo_update`); with
    ``anneal`` the learning rate and clip shrink linearly towards 0; with objective "kl", beta
    is adapted after the update (:func:`rlcourse.deep.adaptive_kl_beta`) from the exact mean
    KL over the rollout. At every multiple of ``eval_every`` env steps the greedy policy
    (argmax of the logits) is evaluated with :func:`rlcourse.deep.evaluate` and logged at that
    step: the policy that acts when the count passes it (the one of the rollout that contains
    it, as a callback called every env step would see), so evaluation points are the same for
    any rollout size. The end of training is evaluated after the last update.
    """
    cfg = make_config(PPOConfig, config, overrides)
    seed = check_nonnegative_int(seed, "seed", 0)
    dev = default_device(device)
    n = cfg.n_envs

    envs = make_vector_env(env, n)  # refuses a continuous (Box) action space
    obs_dim = int(np.prod(envs.single_observation_space.shape))
    n_actions = int(envs.single_action_space.n)
    with seeded(seed):  # the one place that draws from the global generators: theta's init
        model = ActorCritic(obs_dim, n_actions, hidden_sizes=cfg.hidden_sizes).to(dev)
    optimizer = _adam(model, cfg.learning_rate)
    act_seq, shuffle_seq = np.random.SeedSequence(seed).spawn(2)
    act_gen, shuffle_gen = torch_generator(act_seq), torch_generator(shuffle_seq)
    eval_seed = seed + EVAL_SEED_OFFSET
    beta = cfg.beta

    hist: dict[str, list[float]] = {k: [] for group in _HISTORY.values() for k in group}
    episode_return = np.zeros(n)  # running return of each copy's current episode
    step, eval_seconds = 0, 0.0
    obs, _ = envs.reset(seed=seed)

    def record_evaluation(at: int) -> float:
        """Evaluate the greedy policy on separately seeded envs, log it at env step ``at``;
        returns the seconds it took (evaluations are not training time)."""
        t_eval = time.perf_counter()
        mean, std = evaluate(model, env, episodes=cfg.eval_episodes, seed=eval_seed)
        for k, v in zip(_HISTORY["eval"], (at, mean, std, t_eval - t0 - eval_seconds)):
            hist[k].append(v)
        bar.set_postfix(eval_return=f"{mean:.1f}")
        return time.perf_counter() - t_eval

    bar = progress_bar(cfg.total_steps, enabled=progress, desc="PPO")
    t0 = time.perf_counter()
    while step < cfg.total_steps:
        # -- anneal: lr and clip times 1 - (steps so far) / total, in (0, 1]
        frac = 1.0 - step / cfg.total_steps if cfg.anneal else 1.0
        lr, clip = frac * cfg.learning_rate, frac * cfg.clip
        for group in optimizer.param_groups:
            group["lr"] = lr

        # -- evaluate the policy that acts when the env step count passes a multiple of
        # eval_every during this rollout (as a per-step callback would), recorded at that step
        upcoming = min(step + n * cfg.n_steps, cfg.total_steps)
        first = (step // cfg.eval_every + 1) * cfg.eval_every
        for at in range(first, upcoming + 1, cfg.eval_every):
            if at < cfg.total_steps:  # the end of training is evaluated after the last update
                eval_seconds += record_evaluation(at)

        # -- N actors run pi_theta_old for T steps
        rollout, obs = collect_rollout(envs, model, obs, n_steps=cfg.n_steps, generator=act_gen)
        before, step = step, step + n * cfg.n_steps
        rewards = rollout["rewards"].cpu().numpy()  # (T, N)
        ended = (rollout["terminated"] | rollout["truncated"]).cpu().numpy()  # (T, N)
        for t in range(cfg.n_steps):
            episode_return += rewards[t]
            for i in np.flatnonzero(ended[t]):
                hist["episode_step"].append(before + (t + 1) * n)
                hist["episode_return"].append(float(episode_return[i]))
                episode_return[i] = 0.0

        # -- advantages A^_t (GAE) and the critic's targets, under theta_old
        advantages, returns, _ = rollout_advantages(model, rollout, gamma=cfg.gamma, lam=cfg.lam)

        # -- K epochs of minibatch steps on the surrogate
        stats = ppo_update(
            model,
            optimizer,
            rollout,
            advantages,
            returns,
            cfg,
            clip=clip,
            beta=beta,
            generator=shuffle_gen,
        )
        with torch.no_grad():  # how far the update moved the policy, exactly
            obs_all = rollout["obs"].flatten(0, 1)  # (NT, obs_dim)
            kl = categorical_kl(rollout["logits"].flatten(0, 1), model(obs_all)).mean().item()
        row = {
            "update_step": step,
            **stats,
            "kl": kl,
            "beta": beta if cfg.objective == "kl" else float("nan"),
            "lr": lr,
            "clip": clip,
        }
        for k in _HISTORY["update"]:
            hist[k].append(row[k])
        if cfg.objective == "kl":
            beta = adaptive_kl_beta(beta, kl, d_targ=cfg.d_targ)  # for the next update

        if step >= cfg.total_steps:  # the end: the final policy
            eval_seconds += record_evaluation(step)
        bar.update(step - before)
    bar.close()
    envs.close()
    wall = time.perf_counter() - t0 - eval_seconds

    model = copy.deepcopy(model).cpu().eval() if dev.type != "cpu" else model.eval()
    history = history_columns(hist, counts=("update_step", "episode_step", "eval_step"))
    return PPOResult(
        model=model,
        config=cfg,
        seed=seed,
        history=history,
        wall_seconds=wall,
        eval_seconds=eval_seconds,
    )
