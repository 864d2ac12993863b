"""REINFORCE (Monte Carlo policy gradient), with and without a baseline, on a Box observation and
Discrete actions, [D001], [D003].

The policy pi_theta(a | s) is a softmax over a network's logits. J(theta) is the expected
return of the episodes it plays; the score function (log-derivative) trick gives its gradient
as an expectation that whole episodes estimate, one function per line:

    for update = 1, 2, ...:
        play E episodes with pi_theta                              run_episode(...) E times
        G_t = r_t + gamma G_{t+1} (reward-to-go)                   episode_returns(...)
        g^ = mean_t grad log pi_theta(a_t | s_t) (G_t - b(s_t))     reinforce_loss(...)
        theta <- theta + alpha g^ (an Adam step on -g^)            reinforce_update(...)

The baseline b(s_t) (``ReinforceConfig.baseline``) does not depend on the action, so it keeps
the expected gradient and can shrink its variance [D003]:

    "none"        b = 0: the slide's g^ as it stands
    "normalize"   (G_t - mean G) / std G over the batch: a constant baseline, and a rescaling
    "value"       b = V_phi(s_t), a critic trained on mean_t (V_phi(s_t) - G_t)^2 (value_loss)

| symbol | code | shape |
|---|---|---|
| E | ``ReinforceConfig.episodes_per_batch`` | int |
| pi_theta(. \\| s) | ``logits = model(obs)`` (softmax gives the probabilities) | (B, A) |
| log pi_theta(a_t \\| s_t) | ``log_probs`` | (B,) |
| G_t | ``returns`` (reward-to-go, :func:`rlcourse.deep.discounted_returns`) | (B,) |
| V_phi(s_t) | ``critic(obs).squeeze(-1)`` (baseline "value") | (B,) |
| alpha, gamma | ``learning_rate``, ``gamma`` | float |

B counts every time step of the E episodes of a batch.

Trap: a truncated episode (CartPole-v1 stops at 500 steps) did not reach a terminal state;
its last state still has a value. Without a critic REINFORCE has nothing to bootstrap from, so
G_t sums the rewards actually seen (G = 0 after the last step, as after a termination): on
CartPole this undervalues the last steps of a 500-step episode. With the "value" baseline the
truncation bootstraps from V_phi(final observation): G_{T-1} = r_{T-1} + gamma V_phi(s_T).

Trainer: :func:`train_reinforce` composes the functions above and returns a
:class:`ReinforceResult`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from rlcourse.deep.advantages import discounted_returns
from rlcourse.deep.core import (
    EVAL_SEED_OFFSET,
    EnvLike,
    TrainingResult,
    _make_env,
    default_device,
    evaluate,
    history_columns,
    mlp,
    progress_bar,
    seeded,
    torch_generator,
)
from rlcourse.deep.envs import check_box_discrete
from rlcourse.deep.policy_gradient import normalize, reinforce_loss, value_loss
from rlcourse.validation import (
    check_gamma,
    check_hidden_sizes,
    check_learning_rate,
    check_nonnegative_int,
    check_positive_int,
    make_config,
)

__all__ = [
    "run_episode",
    "episode_returns",
    "reinforce_update",
    "ReinforceConfig",
    "ReinforceResult",
    "train_reinforce",
]

BASELINES = ("none", "normalize", "value")


# ----------------------------------------------------------------------------------------
# One update, piece by piece.
# ----------------------------------------------------------------------------------------
def run_episode(
    env: Any, model: nn.Module, *, seed: int, generator: torch.Generator
) -> dict[str, Any]:
    """Play one whole episode of ``env`` (reset with ``seed``) with a ~ pi_theta(. | s).

    Actions are sampled from softmax(``model(obs)``) with ``generator`` (a CPU
    ``torch.Generator``, never the global one). Returns a dict: ``obs`` (T, obs_dim) float32
    s_0 .. s_{T-1}; ``actions`` (T,) int64; ``rewards`` (T,) float32; ``final_obs`` (obs_dim,)
    s_T, the observation the episode stopped at; ``terminated`` and ``truncated`` (bools of
    the last step).
    """
    device = next(model.parameters()).device
    obs, _ = env.reset(seed=seed)
    rows: dict[str, list[Any]] = {"obs": [], "actions": [], "rewards": []}
    terminated = truncated = False
    while not (terminated or truncated):
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(-1))  # (obs_dim,)
        with torch.no_grad():
            logits = model(x.unsqueeze(0).to(device)).cpu()  # (1, A)
        probs = torch.softmax(logits, dim=-1)  # (1, A)
        # a ~ pi_theta(. | s), drawn with the trainer's own generator
        a = int(torch.multinomial(probs, 1, generator=generator).item())
        obs, reward, terminated, truncated, _ = env.step(a)
        rows["obs"].append(x)
        rows["actions"].append(a)
        rows["rewards"].append(float(reward))
    return {
        "obs": torch.stack(rows["obs"]),  # (T, obs_dim)
        "actions": torch.as_tensor(rows["actions"], dtype=torch.int64),  # (T,)
        "rewards": torch.as_tensor(rows["rewards"], dtype=torch.float32),  # (T,)
        "final_obs": torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(-1)),
        "terminated": bool(terminated),
        "truncated": bool(truncated),
    }


def episode_returns(
    episode: dict[str, Any], *, gamma: float, critic: nn.Module | None = None
) -> Tensor:
    """G_t = r_t + gamma G_{t+1} of one episode (the reward-to-go), (T,), no gradient.

    After the last step: 0 when the episode terminated; when it was truncated, 0 without a
    ``critic`` (REINFORCE has nothing to bootstrap from: G sums the rewards seen) and
    V_phi(final observation) with one (the "value" baseline's critic).
    """
    rewards = episode["rewards"]  # (T,)
    next_values = torch.zeros_like(rewards)  # (T,) only the last entry is ever read
    if critic is not None and episode["truncated"]:
        device = next(critic.parameters()).device
        with torch.no_grad():
            v_final = critic(episode["final_obs"].unsqueeze(0).to(device)).squeeze()  # ()
        next_values[-1] = v_final.cpu()  # bootstrap the truncation from V_phi(s_T)
    terminated = torch.zeros(rewards.shape, dtype=torch.bool)  # (T,)
    terminated[-1] = episode["terminated"]
    return discounted_returns(rewards, next_values, terminated, gamma=gamma)  # (T,)


def reinforce_update(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    obs: Tensor,
    actions: Tensor,
    returns: Tensor,
    *,
    baseline: str,
    critic: nn.Module | None = None,
    critic_optimizer: torch.optim.Optimizer | None = None,
) -> dict[str, float]:
    """One step on L(theta) = -mean_t log pi_theta(a_t | s_t) (G_t - b(s_t)) over a batch.

    ``obs`` (B, obs_dim), ``actions`` (B,), ``returns`` (B,): every step of the batch's
    episodes. ``baseline`` "none" (b = 0), "normalize" (G normalised over the batch) or "value"
    (b = V_phi(s_t) from ``critic``, which then takes one step of its own on
    mean (V_phi(s_t) - G_t)^2 with ``critic_optimizer``). Returns ``loss`` (the policy loss),
    ``grad_norm`` (global norm of the policy gradient, not clipped) and ``value_loss`` (NaN
    without a critic).
    """
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}, got {baseline!r}.")
    if baseline == "value" and (critic is None or critic_optimizer is None):
        raise ValueError(
            'baseline "value" needs the critic V_phi and its optimizer: pass critic= and '
            "critic_optimizer=, or use baseline='none' or 'normalize'."
        )
    device = next(model.parameters()).device
    obs, actions, returns = obs.to(device), actions.to(device), returns.to(device)
    logits = model(obs)  # (B, A) with gradient
    log_probs = torch.log_softmax(logits, dim=-1)  # (B, A)
    log_probs = log_probs.gather(1, actions.unsqueeze(1)).squeeze(1)  # (B,) log pi(a_t | s_t)
    loss_v = float("nan")
    if baseline == "none":
        loss, _ = reinforce_loss(log_probs, returns)
    elif baseline == "normalize":
        loss, _ = reinforce_loss(log_probs, normalize(returns))
    else:
        values = critic(obs).squeeze(-1)  # (B, 1) -> (B,) V_phi(s_t), with gradient
        loss, _ = reinforce_loss(log_probs, returns, baseline=values.detach())
        critic_loss, _ = value_loss(values, returns)
        critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_optimizer.step()
        loss_v = critic_loss.item()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = nn.utils.clip_grad_norm_(model.parameters(), float("inf"))  # measures only
    optimizer.step()
    return {"loss": loss.item(), "grad_norm": float(grad_norm), "value_loss": loss_v}


# ----------------------------------------------------------------------------------------
# Configuration and result.
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ReinforceConfig:
    """REINFORCE hyperparameters; defaults that learn CartPole-v1 on a CPU in seconds: with the
    learned baseline, a greedy mean return >= 475 within 250 episodes on 4 of the seeds 0..4
    (measured: first at 50, 130, 110 and 180 episodes; seed 1 did not get there). REINFORCE is
    noisy: a policy that reached 475 can fall back after the next update."""

    total_episodes: int = 250
    """episodes of training in all (the last batch may end past it)"""
    episodes_per_batch: int = 8
    """E: whole episodes played with pi_theta before each update"""
    learning_rate: float = 1e-2
    """alpha: Adam's step size for the policy"""
    gamma: float = 0.99
    """discount factor in [0, 1]"""
    baseline: str = "value"
    """b(s_t): "none" (b = 0), "normalize" (returns normalised over the batch) or "value" (a
    learned critic V_phi(s))"""
    value_learning_rate: float = 1e-2
    """Adam's step size for the critic V_phi (baseline "value" only)"""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """hidden layer widths of the policy (and of the critic), tanh between layers"""
    eval_every: int = 10
    """episodes between two greedy evaluations"""
    eval_episodes: int = 20
    """episodes per evaluation (each on its own seeded env)"""

    def __post_init__(self) -> None:
        for name, example in (
            ("total_episodes", 250),
            ("episodes_per_batch", 8),
            ("eval_every", 10),
            ("eval_episodes", 20),
        ):
            check_positive_int(getattr(self, name), name, example)
        for name in ("learning_rate", "value_learning_rate"):
            check_learning_rate(getattr(self, name), name, 1e-2)
        check_gamma(self.gamma)
        if self.baseline not in BASELINES:
            raise ValueError(
                f"baseline must be one of {BASELINES}, got {self.baseline!r}: 'none' is b = 0, "
                "'normalize' normalises the returns over the batch, 'value' learns V(s)."
            )
        check_hidden_sizes(self.hidden_sizes)


@dataclass(kw_only=True)
class ReinforceResult(TrainingResult):
    """What a REINFORCE run learned and how it got there."""

    model: nn.Module = field(repr=False)
    """the policy network (``model(obs)`` logits (B, A)), on the CPU, in eval mode;
    :func:`rlcourse.deep.evaluate` acts on it greedily"""
    config: ReinforceConfig
    """the configuration the run used"""
    critic: nn.Module | None = field(repr=False, default=None)
    """the critic V_phi (``critic(obs)`` (B, 1)), CPU, eval mode; None unless baseline "value\""""
    history: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    """numpy columns in three groups (columns of a group have the same length):
    per episode: "episode" (1, 2, ...), "episode_return" (undiscounted), "episode_length";
    per update: "update_episode" (episodes played when it ran), "loss" (policy loss),
    "grad_norm" (of the policy gradient), "value_loss" (NaN without a critic);
    per evaluation: "eval_episode" (training episodes so far), "eval_step" (env steps in those
    episodes), "eval_return" (mean over eval_episodes greedy episodes), "eval_std" and
    "wall_seconds" (training time so far, evaluations not counted)"""

    def first_episode_reaching(self, threshold: float) -> int | None:
        """Training episodes at the first evaluation whose mean return is >= threshold (None:
        never)."""
        hits = np.flatnonzero(self.history["eval_return"] >= threshold)
        return int(self.history["eval_episode"][hits[0]]) if hits.size else None


_HISTORY = {
    "episode": ("episode", "episode_return", "episode_length"),
    "update": ("update_episode", "loss", "grad_norm", "value_loss"),
    "eval": ("eval_episode", "eval_step", "eval_return", "eval_std", "wall_seconds"),
}


# ----------------------------------------------------------------------------------------
# The trainer.
# ----------------------------------------------------------------------------------------
def train_reinforce(
    env: EnvLike,
    config: ReinforceConfig | None = None,
    *,
    seed: int,
    device: str | torch.device | None = None,
    progress: bool = False,
    **overrides: Any,
) -> ReinforceResult:
    """REINFORCE (Williams 1992) with the baseline of ``config.baseline``, [D001], [D003].

    ``env``: an env id (``"CartPole-v1"``) or a factory returning a fresh env (Box observation,
    Discrete actions; anything else is a ValueError naming the space). ``config``: a
    :class:`ReinforceConfig`; keyword ``overrides`` replace fields
    (``train_reinforce("CartPole-v1", seed=0, baseline="none")``). ``seed`` sets the initial
    weights (inside :func:`seeded`: the caller's global random state is restored), episode k's
    reset (``env.reset(seed=seed + k)``) and action sampling (a torch Generator of its own);
    evaluations use env seeds ``seed + EVAL_SEED_OFFSET + k``. Same seed, same curve, bit for
    bit on a CPU. ``device``: CUDA when present unless given. ``progress=True``: a tqdm bar.

    Each update: E whole episodes (:func:`run_episode`), their reward-to-go
    (:func:`episode_returns`; a truncation bootstraps from the critic with baseline "value",
    from nothing otherwise), one step on the policy loss over every step of the batch
    (:func:`reinforce_update`). At every multiple of ``eval_every`` episodes the greedy policy
    (argmax of the logits) is evaluated with :func:`rlcourse.deep.evaluate`: the policy that
    played that episode (the one of its batch); the end of training is evaluated after the
    last update.
    """
    cfg = make_config(ReinforceConfig, config, overrides)
    seed = check_nonnegative_int(seed, "seed", 0)
    dev = default_device(device)

    train_env = _make_env(env)
    try:
        obs_dim, n_actions = check_box_discrete(train_env.observation_space, train_env.action_space)
    except ValueError:
        train_env.close()
        raise
    sizes: Sequence[int] = [obs_dim, *cfg.hidden_sizes]
    with seeded(seed):  # the one place that draws from the global generators: the init
        model = mlp([*sizes, n_actions], activation=nn.Tanh).to(dev)  # pi_theta's logits
        critic = mlp([*sizes, 1], activation=nn.Tanh).to(dev) if cfg.baseline == "value" else None
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    critic_optimizer = (
        torch.optim.Adam(critic.parameters(), lr=cfg.value_learning_rate)
        if critic is not None
        else None
    )
    act_gen = torch_generator(np.random.SeedSequence(seed))
    eval_seed = seed + EVAL_SEED_OFFSET

    hist: dict[str, list[float]] = {k: [] for group in _HISTORY.values() for k in group}
    episodes, steps, eval_seconds = 0, 0, 0.0

    def record_evaluation(at: int) -> float:
        """Evaluate the greedy policy on separately seeded envs, log it at episode ``at`` (its
        env steps are filled in once the batch is played); returns the seconds it took."""
        t_eval = time.perf_counter()
        mean, std = evaluate(model, env, episodes=cfg.eval_episodes, seed=eval_seed)
        for k, v in zip(
            ("eval_episode", "eval_return", "eval_std", "wall_seconds"),
            (at, mean, std, t_eval - t0 - eval_seconds),
        ):
            hist[k].append(v)
        bar.set_postfix(eval_return=f"{mean:.1f}")
        return time.perf_counter() - t_eval

    bar = progress_bar(cfg.total_episodes, enabled=progress, desc="REINFORCE")
    t0 = time.perf_counter()
    try:
        while episodes < cfg.total_episodes:
            # -- evaluate the policy that plays episode `at` for every multiple of eval_every
            # in this batch (the end of training is evaluated after the last update)
            upcoming = min(episodes + cfg.episodes_per_batch, cfg.total_episodes)
            first = (episodes // cfg.eval_every + 1) * cfg.eval_every
            for at in range(first, upcoming + 1, cfg.eval_every):
                if at < cfg.total_episodes:
                    eval_seconds += record_evaluation(at)

            # -- play E whole episodes with pi_theta; G_t of each
            batch = []
            for _ in range(cfg.episodes_per_batch):
                ep = run_episode(train_env, model, seed=seed + episodes, generator=act_gen)
                G = episode_returns(ep, gamma=cfg.gamma, critic=critic)  # (T,)
                batch.append((ep, G))
                episodes, steps = episodes + 1, steps + len(ep["rewards"])
                hist["episode"].append(episodes)
                hist["episode_return"].append(float(ep["rewards"].sum()))
                hist["episode_length"].append(len(ep["rewards"]))
            # the evaluations logged before this batch, at episode `at`: env steps in episodes
            # 1 .. at, known now that they are played
            steps_after = np.cumsum(hist["episode_length"])  # (episodes,)
            for at in hist["eval_episode"][len(hist["eval_step"]) :]:
                hist["eval_step"].append(int(steps_after[at - 1]))

            # -- one step on L(theta) over every step of the batch
            stats = reinforce_update(
                model,
                optimizer,
                torch.cat([ep["obs"] for ep, _ in batch]),  # (B, obs_dim)
                torch.cat([ep["actions"] for ep, _ in batch]),  # (B,)
                torch.cat([G for _, G in batch]),  # (B,)
                baseline=cfg.baseline,
                critic=critic,
                critic_optimizer=critic_optimizer,
            )
            hist["update_episode"].append(episodes)
            for k in ("loss", "grad_norm", "value_loss"):
                hist[k].append(stats[k])

            if episodes >= cfg.total_episodes:  # the end: the final policy
                eval_seconds += record_evaluation(episodes)
                hist["eval_step"].append(steps)
            bar.update(cfg.episodes_per_batch)
    finally:
        bar.close()
        train_env.close()
    wall = time.perf_counter() - t0 - eval_seconds

    if dev.type != "cpu":
        model = copy.deepcopy(model).cpu()
        critic = copy.deepcopy(critic).cpu() if critic is not None else None
    model.eval()
    if critic is not None:
        critic.eval()
    counts = ("episode", "episode_length", "update_episode", "eval_episode", "eval_step")
    history = history_columns(hist, counts=counts)
    return ReinforceResult(
        model=model,
        critic=critic,
        config=cfg,
        seed=seed,
        history=history,
        wall_seconds=wall,
        eval_seconds=eval_seconds,
    )
