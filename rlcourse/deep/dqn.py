"""Deep Q-learning (DQN) on any env with a Box observation and Discrete actions, [D003].

[D003]'s algorithm (Mnih et al. 2015, "Human-level control through deep reinforcement
learning"), one top-level function per symbol:

    Initialise replay memory D to capacity N                   ReplayBuffer(N, obs_shape, seed=)
    Initialise Q with random weights theta                      mlp([obs_dim, 128, 128, A])
    Initialise target Q^ with weights theta- = theta            hard_update(target, online)
    for t = 1, T:
        with probability epsilon a random action, else          linear_epsilon(t, start=, ...)
        a_t = argmax_a Q(s_t, a; theta)
        execute a_t, observe r_t, s_{t+1}; store it in D         ReplayBuffer.add(...)
        sample a minibatch (s_j, a_j, r_j, s_{j+1}) from D        ReplayBuffer.sample(B)
        y_j = r_j                                 if s_{j+1} is terminal
              r_j + gamma max_a' Q^(s_{j+1}, a'; theta-)  otherwise    td_target(...)
        gradient step on (y_j - Q(s_j, a_j; theta))^2              dqn_loss(...)
        every C steps reset Q^ = Q                                 hard_update / soft_update

| symbol | code | shape |
|---|---|---|
| Q(s, .; theta) | ``q = online(obs)`` | (B, A) |
| Q^(s', .; theta-) | ``q_next = target(next_obs)`` | (B, A) |
| y_j | ``td_target(r, q_next, terminated, gamma=)`` | (B,) |
| D, N | ``ReplayBuffer(capacity=N)`` | arrays (N, ...) |
| C | ``DQNConfig.target_update_interval`` (env steps) | int |
| epsilon | ``linear_epsilon(step, start=, end=, duration=)`` | float |

"Terminal" means ``terminated``: a time-limit truncation is not terminal and bootstraps from
its true final observation (:mod:`rlcourse.deep.envs`). Double DQN (van Hasselt et al. 2016)
changes one line: the target network values the action the online network picks
(:func:`double_td_target`).

Trainer: :func:`train_dqn` composes the functions above and can write checkpoints and resume
from one exactly (:func:`load_dqn`).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 (torch's own convention)
from torch import Tensor, nn

from rlcourse.deep.checkpoint import load_checkpoint, save_checkpoint
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
)
from rlcourse.deep.envs import make_vector_env, step_transitions
from rlcourse.validation import (
    check_epsilon,
    check_gamma,
    check_hidden_sizes,
    check_learning_rate,
    check_nonnegative_int,
    check_number,
    check_positive_int,
    make_config,
)

__all__ = [
    "linear_epsilon",
    "td_target",
    "double_td_target",
    "dqn_loss",
    "hard_update",
    "soft_update",
    "ring_slots",
    "sample_indices",
    "ReplayBuffer",
    "DQNConfig",
    "DQNResult",
    "train_dqn",
    "load_dqn",
]

LOSSES = ("huber", "mse")


# ----------------------------------------------------------------------------------------
# The symbols of the slide, on tensors.
# ----------------------------------------------------------------------------------------
def linear_epsilon(step: int, *, start: float, end: float, duration: int) -> float:
    """epsilon_t = start + min(t / duration, 1) (end - start): linear decay, then constant.

    [D003]'s epsilon-greedy exploration with the schedule of Mnih et al. (2015): explore a lot
    early (start = 1: every action random), then settle at a small ``end``. ``duration`` is in
    env steps; ``duration=0`` gives ``end`` at once.
    """
    step = check_nonnegative_int(step, "step", 0)
    start = check_epsilon(start, "start")
    end = check_epsilon(end, "end")
    duration = check_nonnegative_int(duration, "duration", 8000)
    if duration == 0 or step >= duration:
        return end
    return start + (step / duration) * (end - start)


def _tensor(x: Any, name: str, dtype: torch.dtype | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x if dtype is None else x.to(dtype)
    try:
        return torch.as_tensor(np.asarray(x), dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a tensor or an array of numbers, got {x!r}.") from exc


def _check_batch(r: Tensor, q_next: Tensor, terminated: Tensor, what: str) -> None:
    if q_next.dim() != 2 or r.shape != (q_next.shape[0],) or terminated.shape != r.shape:
        raise ValueError(
            f"{what}: expected r (B,), {what.split('_')[0]} values (B, A) and terminated (B,), "
            f"got r {tuple(r.shape)}, q_next {tuple(q_next.shape)}, terminated "
            f"{tuple(terminated.shape)}; q_next holds one row of action values per transition."
        )


def td_target(r: Tensor, q_next: Tensor, terminated: Tensor, *, gamma: float) -> Tensor:
    """y_j = r_j + gamma (1 - terminated_j) max_a' Q^(s_{j+1}, a'; theta-), [D003].

    ``r`` (B,) rewards, ``q_next`` (B, A) the TARGET network's values of s', ``terminated`` (B,)
    bools: 1 only when s' is a terminal state (value 0). A truncated transition (time limit) has
    terminated = 0 and bootstraps from its true final observation. Returns y (B,), no gradient
    flows through it (it is the regression target).
    """
    gamma = check_gamma(gamma)
    r, q_next = _tensor(r, "r"), _tensor(q_next, "q_next")
    terminated = _tensor(terminated, "terminated")
    _check_batch(r, q_next, terminated, "td_target")
    not_terminal = 1.0 - terminated.to(q_next.dtype)  # (B,)
    return (r + gamma * not_terminal * q_next.max(dim=1).values).detach()  # (B,)


def double_td_target(
    r: Tensor,
    q_next_online: Tensor,
    q_next_target: Tensor,
    terminated: Tensor,
    *,
    gamma: float,
) -> Tensor:
    """Double DQN: y_j = r_j + gamma (1 - terminated_j) Q^(s', argmax_a' Q(s', a'; theta); theta-).

    van Hasselt, Guez & Silver (2016), eq. 4: the online network picks the action, the target
    network values it, which removes most of max's upward bias (overestimation). Shapes as
    :func:`td_target`: ``q_next_online`` and ``q_next_target`` (B, A); ties to the lowest index.
    """
    gamma = check_gamma(gamma)
    r = _tensor(r, "r")
    q_next_online = _tensor(q_next_online, "q_next_online")
    q_next_target = _tensor(q_next_target, "q_next_target")
    terminated = _tensor(terminated, "terminated")
    _check_batch(r, q_next_target, terminated, "double_td_target")
    if q_next_online.shape != q_next_target.shape:
        raise ValueError(
            f"q_next_online {tuple(q_next_online.shape)} and q_next_target "
            f"{tuple(q_next_target.shape)} must have the same shape (B, A): both are Q(s', .)."
        )
    a_star = q_next_online.argmax(dim=1, keepdim=True)  # (B, 1) chosen by theta
    value = q_next_target.gather(1, a_star).squeeze(1)  # (B,) valued by theta-
    not_terminal = 1.0 - terminated.to(q_next_target.dtype)  # (B,)
    return (r + gamma * not_terminal * value).detach()  # (B,)


def dqn_loss(
    q: Tensor, actions: Tensor, y: Tensor, *, loss: str = "huber"
) -> tuple[Tensor, dict[str, float]]:
    """L(theta) = mean_j l(y_j - Q(s_j, a_j; theta)), [D003]; returns ``(loss, info)``.

    ``q`` (B, A) the online network's values of s_j (with gradient), ``actions`` (B,) the a_j
    taken, ``y`` (B,) targets (no gradient: semi-gradient TD). ``loss="mse"`` is the slide's
    squared error (y - Q)^2; ``loss="huber"`` (default, Mnih et al. 2015's error clipping) is
    quadratic for |y - Q| <= 1 and linear beyond, so one large TD error cannot blow up a step.
    ``info``: ``loss``, ``q_mean`` (mean Q(s_j, a_j)) and ``td_abs`` (mean |y - Q|) as floats.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}; 'huber' is DQN's default.")
    actions = _tensor(actions, "actions", torch.int64)
    y = _tensor(y, "y")
    if q.dim() != 2 or actions.shape != (q.shape[0],) or y.shape != actions.shape:
        raise ValueError(
            f"dqn_loss expects q (B, A), actions (B,) and y (B,), got {tuple(q.shape)}, "
            f"{tuple(actions.shape)} and {tuple(y.shape)}."
        )
    q_taken = q.gather(1, actions.unsqueeze(1)).squeeze(1)  # (B,) Q(s_j, a_j; theta)
    y = y.detach().to(q_taken.dtype)  # (B,) the target does not move with theta
    if loss == "huber":
        value = F.smooth_l1_loss(q_taken, y)  # Huber with delta = 1
    else:
        value = F.mse_loss(q_taken, y)
    with torch.no_grad():
        stats = torch.stack([value, q_taken.mean(), (y - q_taken).abs().mean()]).tolist()
    return value, {"loss": stats[0], "q_mean": stats[1], "td_abs": stats[2]}


def hard_update(target: nn.Module, online: nn.Module) -> None:
    """theta- <- theta: [D003]'s "every C steps reset Q^ = Q" (in place, no gradient)."""
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.copy_(o)
        for t, o in zip(target.buffers(), online.buffers()):
            t.copy_(o)


def soft_update(target: nn.Module, online: nn.Module, *, tau: float) -> None:
    """theta- <- tau theta + (1 - tau) theta- (Polyak averaging, Lillicrap et al. 2016).

    ``tau=1`` is :func:`hard_update`; a small tau (0.005) lets the target trail the online net.
    """
    tau = check_number(tau, "tau", "tau=0.005")
    if not 0.0 < tau <= 1.0:
        raise ValueError(f"tau must be in (0, 1], got {tau!r}; 1 copies, 0.005 trails slowly.")
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.lerp_(o, tau)
        for t, o in zip(target.buffers(), online.buffers()):
            t.copy_(o)


# ----------------------------------------------------------------------------------------
# Replay memory D.
# ----------------------------------------------------------------------------------------
def ring_slots(pos: int, n: int, *, capacity: int) -> np.ndarray:
    """The rows of a ring buffer of ``capacity`` rows that ``n`` new transitions overwrite.

    Slots ``pos, pos + 1, ..., pos + n - 1``, each modulo ``capacity``: past the last row the
    buffer wraps around to row 0, so the oldest transitions go first. Returns int64 (n,);
    the next write starts at ``(pos + n) % capacity``. Needs 0 <= pos < capacity and
    0 <= n <= capacity (more than ``capacity`` new rows would overwrite each other).
    """
    capacity = check_positive_int(capacity, "capacity", 100_000)
    pos, n = check_nonnegative_int(pos, "pos", 0), check_nonnegative_int(n, "n", 1)
    if pos >= capacity or n > capacity:
        raise ValueError(
            f"ring_slots needs 0 <= pos < capacity and n <= capacity, got pos={pos}, n={n}, "
            f"capacity={capacity}."
        )
    return (pos + np.arange(n, dtype=np.int64)) % capacity  # (n,) wraps past capacity - 1


def sample_indices(size: int, batch_size: int, *, rng: np.random.Generator) -> np.ndarray:
    """``batch_size`` rows drawn uniformly, with replacement, from the ``size`` stored ones.

    Only rows 0 .. size - 1 hold transitions (a buffer fills from row 0 and never empties), so
    each index is uniform on {0, ..., size - 1}, drawn from ``rng`` (never a global generator:
    the same generator state gives the same minibatch). Returns int64 (batch_size,).
    """
    size = check_positive_int(size, "size (stored transitions)", 1_000)
    batch_size = check_positive_int(batch_size, "batch_size", 64)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator, got {type(rng).__name__}.")
    return rng.integers(0, size, size=batch_size, dtype=np.int64)  # (B,) uniform over stored


class ReplayBuffer:
    """Replay memory D of capacity N: preallocated arrays, the oldest transition overwritten
    first (a ring), minibatches drawn uniformly with replacement from what is stored.

    Sampling draws from the buffer's own ``np.random.Generator`` (``seed``), never from a global
    generator, so the same seed samples the same minibatches.
    """

    def __init__(
        self,
        capacity: int,
        obs_shape: Sequence[int],
        *,
        seed: int | np.random.SeedSequence,
        device: str | torch.device | None = "cpu",
    ) -> None:
        if not isinstance(capacity, (int, np.integer)) or isinstance(capacity, bool):
            raise TypeError(
                f"capacity must be a whole number of transitions, got {capacity!r}; e.g. 100000."
            )
        if capacity <= 0:
            raise ValueError(
                f"capacity (buffer_size) must be a positive number of transitions, got "
                f"{capacity}; e.g. 100000 (DQN on CartPole), at least the batch size."
            )
        self.capacity = int(capacity)
        self.obs_shape = tuple(int(n) for n in obs_shape)
        self.device = default_device(device)
        self.obs = np.zeros((self.capacity, *self.obs_shape), dtype=np.float32)  # (N, *obs)
        self.next_obs = np.zeros_like(self.obs)  # (N, *obs)
        self.actions = np.zeros(self.capacity, dtype=np.int64)  # (N,)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)  # (N,)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)  # (N,) 1.0 = terminal s'
        self.pos = 0  # where the next transition goes
        self.size = 0  # how many are stored (<= capacity)
        if not isinstance(seed, np.random.SeedSequence):
            seed = check_nonnegative_int(seed, "seed", 0)
        self.rng = np.random.default_rng(seed)  # its own stream: sampling never touches others

    def __len__(self) -> int:
        return self.size

    def add(
        self,
        obs: Any,
        action: Any,
        reward: Any,
        next_obs: Any,
        terminated: Any,
    ) -> None:
        """Store one transition (obs of shape obs_shape) or a batch (obs (n, *obs_shape)).

        When the buffer is full the oldest transitions are overwritten.
        """
        obs = np.asarray(obs, dtype=np.float32)
        single = obs.shape == self.obs_shape
        if single:
            obs = obs[None]
        if obs.shape[1:] != self.obs_shape:
            raise ValueError(
                f"obs has shape {obs.shape}; expected {self.obs_shape} (one transition) or "
                f"(n, {', '.join(map(str, self.obs_shape))}) (a batch)."
            )
        n = obs.shape[0]
        next_obs = np.asarray(next_obs, dtype=np.float32).reshape(obs.shape)
        # a scalar action, reward or terminated flag applies to every transition of the batch
        action = np.broadcast_to(np.asarray(action, dtype=np.int64).reshape(-1), (n,))
        reward = np.broadcast_to(np.asarray(reward, dtype=np.float32).reshape(-1), (n,))
        terminated = np.broadcast_to(np.asarray(terminated, dtype=np.float32).reshape(-1), (n,))
        if n > self.capacity:  # only the newest `capacity` survive
            k = n - self.capacity
            obs, next_obs, action, reward, terminated = (
                obs[k:],
                next_obs[k:],
                action[k:],
                reward[k:],
                terminated[k:],
            )
            self.pos = (self.pos + k) % self.capacity
            n = self.capacity
        idx = ring_slots(self.pos, n, capacity=self.capacity)  # (n,) wraps at the end
        self.obs[idx] = obs
        self.next_obs[idx] = next_obs
        self.actions[idx] = action
        self.rewards[idx] = reward
        self.terminated[idx] = terminated
        self.pos = (self.pos + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch_size: int) -> dict[str, Tensor]:
        """A minibatch drawn uniformly (with replacement) from the stored transitions.

        Returns tensors on the buffer's device: ``obs`` (B, *obs_shape), ``actions`` (B,) int64,
        ``rewards`` (B,), ``next_obs`` (B, *obs_shape), ``terminated`` (B,) float 0/1.
        """
        batch_size = check_positive_int(batch_size, "batch_size", 64)
        if self.size == 0:
            raise ValueError("the replay buffer is empty; add transitions before sampling.")
        idx = sample_indices(self.size, batch_size, rng=self.rng)  # (B,) uniform over stored
        out = {
            "obs": self.obs[idx],
            "actions": self.actions[idx],
            "rewards": self.rewards[idx],
            "next_obs": self.next_obs[idx],
            "terminated": self.terminated[idx],
        }
        return {k: torch.from_numpy(v).to(self.device) for k, v in out.items()}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: the stored rows, ring position, RNG state."""
        n = self.size
        return {
            "capacity": self.capacity,
            "obs": self.obs[:n].copy(),
            "next_obs": self.next_obs[:n].copy(),
            "actions": self.actions[:n].copy(),
            "rewards": self.rewards[:n].copy(),
            "terminated": self.terminated[:n].copy(),
            "pos": self.pos,
            "size": self.size,
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (arrays or tensors)."""
        if int(state["capacity"]) != self.capacity:
            raise ValueError(
                f"the saved buffer has capacity {state['capacity']}, this one {self.capacity}."
            )
        n = int(state["size"])
        for name in ("obs", "next_obs", "actions", "rewards", "terminated"):
            getattr(self, name)[:n] = np.asarray(state[name])
        self.pos, self.size = int(state["pos"]), n
        self.rng.bit_generator.state = state["rng"]


# ----------------------------------------------------------------------------------------
# Configuration and result.
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class DQNConfig:
    """DQN hyperparameters. Defaults: rl-baselines3-zoo's CartPole-v1 settings (lr 2.3e-3, batch
    64, gamma 0.99, target copied every 10 env steps) with a network of (128, 128) instead of
    (256, 256), half-size rounds of gradient steps (32 every 64 env steps instead of 128 every
    256: the same one step per two env steps, the target refreshed four times as often) and
    epsilon decayed over the first 10% of the steps instead of 16%. On CartPole-v1 these solve
    the task (a greedy evaluation >= 475) for 10 of 10 seeds within 50,000 env steps, median
    about 14,000, in less than half the training time the zoo's settings take on a CPU
    (``rlcourse bench dqn --zoo-too`` measures both)."""

    total_steps: int = 50_000
    """env steps of training in all (summed over the n_envs copies)"""
    learning_rate: float = 2.3e-3
    """Adam's step size for theta"""
    buffer_size: int = 100_000
    """capacity N of the replay memory D (transitions)"""
    learning_starts: int = 1_000
    """env steps of uniformly random actions before the first gradient step (fills D)"""
    batch_size: int = 64
    """transitions per minibatch"""
    gamma: float = 0.99
    """discount factor in [0, 1]"""
    train_freq: int = 64
    """env steps between two rounds of gradient steps"""
    gradient_steps: int = 32
    """gradient steps per round (32 every 64 env steps: one step per two env steps)"""
    target_update_interval: int = 10
    """C: the target network is updated every C env steps"""
    tau: float = 1.0
    """target update theta- <- tau theta + (1 - tau) theta-; 1.0 = hard copy (DQN)"""
    target_network: bool = True
    """False: no separate target network, the targets use theta itself at every gradient step
    (theta- = theta always; the ablation that shows why DQN keeps a frozen copy)"""
    exploration_start: float = 1.0
    """epsilon at step 0"""
    exploration_end: float = 0.04
    """epsilon after the decay"""
    exploration_fraction: float = 0.1
    """fraction of total_steps over which epsilon decays linearly from start to end"""
    hidden_sizes: tuple[int, ...] = (128, 128)
    """hidden layer widths of the Q-network (ReLU between layers)"""
    loss: str = "huber"
    """"huber" (DQN's clipped error) or "mse" (the slide's squared error)"""
    max_grad_norm: float | None = 10.0
    """gradients are clipped to this global norm before each step; None: no clipping"""
    double: bool = False
    """True: Double DQN targets (the online net picks a', the target net values it)"""
    n_envs: int = 1
    """environment copies stepped side by side (a vector env)"""
    eval_every: int = 2_000
    """env steps between two greedy evaluations"""
    eval_episodes: int = 20
    """episodes per evaluation (each on its own seeded env)"""

    def __post_init__(self) -> None:
        check_positive_int(self.total_steps, "total_steps", 50_000)
        check_learning_rate(self.learning_rate)
        check_positive_int(self.buffer_size, "buffer_size", 100_000)
        check_nonnegative_int(self.learning_starts, "learning_starts", 1_000)
        check_positive_int(self.batch_size, "batch_size", 64)
        check_gamma(self.gamma)
        check_positive_int(self.train_freq, "train_freq", 4)
        check_nonnegative_int(self.gradient_steps, "gradient_steps", 1)
        check_positive_int(self.target_update_interval, "target_update_interval", 1_000)
        tau = check_number(self.tau, "tau", "tau=1.0")
        if not 0.0 < tau <= 1.0:
            raise ValueError(f"tau must be in (0, 1], got {tau}; 1.0 is DQN's hard update.")
        check_epsilon(self.exploration_start, "exploration_start")
        check_epsilon(self.exploration_end, "exploration_end")
        frac = check_number(self.exploration_fraction, "exploration_fraction", "0.1")
        if not 0.0 <= frac <= 1.0:
            raise ValueError(f"exploration_fraction must be in [0, 1], got {frac}; e.g. 0.1.")
        check_hidden_sizes(self.hidden_sizes, (128, 128))
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}.")
        if self.max_grad_norm is not None:
            g = check_number(self.max_grad_norm, "max_grad_norm", "max_grad_norm=10")
            if not g > 0:
                raise ValueError(f"max_grad_norm must be > 0 or None, got {g}.")
        for flag in ("double", "target_network"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False, got {getattr(self, flag)!r}.")
        check_positive_int(self.n_envs, "n_envs", 1)
        check_positive_int(self.eval_every, "eval_every", 2_000)
        check_positive_int(self.eval_episodes, "eval_episodes", 20)
        if self.batch_size > self.buffer_size:
            raise ValueError(
                f"batch_size ({self.batch_size}) is larger than buffer_size "
                f"({self.buffer_size}); the buffer must hold at least one minibatch."
            )


@dataclass(kw_only=True)
class DQNResult(TrainingResult):
    """What a DQN run learned and how it got there."""

    model: nn.Module = field(repr=False)
    """the online Q-network Q(s, .; theta), on the CPU, in eval mode"""
    config: DQNConfig
    """the configuration the run used"""
    history: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    """numpy columns in three groups (columns of a group have the same length):
    per finished episode: "episode_step" (env steps when it ended), "episode_return";
    per round of gradient steps: "train_step" (env steps), "loss", "q_mean", "td_abs" (means
    over the round); per evaluation: "eval_step" (env steps), "eval_return" (mean over
    eval_episodes greedy episodes), "eval_std", "epsilon" (at that step) and "wall_seconds"
    (training time so far, evaluations and checkpoints not counted)"""


_HISTORY = {
    "episode": ("episode_step", "episode_return"),
    "train": ("train_step", "loss", "q_mean", "td_abs"),
    "eval": ("eval_step", "eval_return", "eval_std", "epsilon", "wall_seconds"),
}


# ----------------------------------------------------------------------------------------
# The trainer.
# ----------------------------------------------------------------------------------------
def _crossed(before: int, after: int, every: int) -> bool:
    """Did the env step count pass a multiple of ``every`` going from before to after?"""
    return after // every != before // every


def _gradient_step(
    online: nn.Module,
    target: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, Tensor],
    cfg: DQNConfig,
) -> dict[str, float]:
    q = online(batch["obs"])  # (B, A) Q(s_j, .; theta)
    with torch.no_grad():
        # (B, A) Q^(s_{j+1}, .; theta-); without a target network theta- is theta itself
        q_next = (target if cfg.target_network else online)(batch["next_obs"])
        if cfg.double:
            q_next_online = online(batch["next_obs"])  # (B, A) Q(s_{j+1}, .; theta)
            y = double_td_target(
                batch["rewards"], q_next_online, q_next, batch["terminated"], gamma=cfg.gamma
            )
        else:
            y = td_target(batch["rewards"], q_next, batch["terminated"], gamma=cfg.gamma)
    loss, info = dqn_loss(q, batch["actions"], y, loss=cfg.loss)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if cfg.max_grad_norm is not None:
        nn.utils.clip_grad_norm_(online.parameters(), cfg.max_grad_norm)
    optimizer.step()
    return info


def _adam(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    """Adam, fused into one kernel where torch has it (same update, about 3x less overhead on a
    CPU for small networks)."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, ValueError):  # a device or dtype without the fused kernel
        return torch.optim.Adam(model.parameters(), lr=lr)


def train_dqn(
    env: EnvLike,
    config: DQNConfig | None = None,
    *,
    seed: int,
    device: str | torch.device | None = None,
    progress: bool = False,
    checkpoint_path: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: str | os.PathLike | None = None,
    stop_at: int | None = None,
    **overrides: Any,
) -> DQNResult:
    """Deep Q-learning, [D003]: epsilon-greedy acting, replay memory, target network.

    ``env``: an env id (``"CartPole-v1"``) or a factory returning a fresh env (Box observation,
    Discrete actions; anything else is a ValueError naming the space). ``config``: a
    :class:`DQNConfig`; keyword ``overrides`` replace fields (``train_dqn("CartPole-v1",
    seed=0, total_steps=10_000)``). ``seed`` sets the network's initial weights (inside
    :func:`seeded`, the caller's global random state is restored), the env copies' resets
    (seeds seed .. seed + n_envs - 1), exploration and minibatch sampling (own generators);
    evaluations use env seeds ``seed + EVAL_SEED_OFFSET + k``. Same seed, same curve, bit for
    bit on a CPU. ``device``: CUDA when present unless given. ``progress=True``: a tqdm bar.

    Every ``eval_every`` env steps (and at the end) the greedy policy is evaluated with
    :func:`evaluate`. Checkpoints: with ``checkpoint_path`` the full state is written there every
    ``checkpoint_every`` env steps (if given), when ``stop_at`` stops the run and at the end;
    ``train_dqn(env, seed=seed, resume=path)`` continues from it exactly as if never
    interrupted (the environments are rebuilt by replaying the logged actions from their seeded
    reset). ``stop_at``: stop after this many env steps (schedules still follow total_steps),
    e.g. to split a run into sessions.
    """
    state = None
    if resume is not None:
        state = load_checkpoint(resume)
        saved = DQNConfig(
            **{**state["config"], "hidden_sizes": tuple(state["config"]["hidden_sizes"])}
        )
        cfg = make_config(DQNConfig, config if config is not None else saved, overrides)
        if cfg != saved:
            changed = [
                f.name
                for f in dataclasses.fields(DQNConfig)
                if getattr(cfg, f.name) != getattr(saved, f.name)
            ]
            raise ValueError(
                f"resume continues the saved run, whose config differs in {changed}; resume "
                "without config or overrides (the checkpoint holds the config)."
            )
        if int(state["seed"]) != seed:
            raise ValueError(
                f"the checkpoint was trained with seed={state['seed']}, not seed={seed}; pass "
                f"seed={state['seed']} to resume it."
            )
    else:
        cfg = make_config(DQNConfig, config, overrides)
    seed = check_nonnegative_int(seed, "seed", 0)
    if checkpoint_every is not None:
        checkpoint_every = check_positive_int(checkpoint_every, "checkpoint_every", 10_000)
        if checkpoint_path is None:
            raise ValueError("checkpoint_every needs checkpoint_path=... (where to write).")
    stop = cfg.total_steps if stop_at is None else min(cfg.total_steps, stop_at)
    dev = default_device(device)
    n = cfg.n_envs

    envs = make_vector_env(env, n)
    obs_dim = int(np.prod(envs.single_observation_space.shape))
    n_actions = int(envs.single_action_space.n)
    with seeded(seed):  # the one place that draws from the global generators: theta's init
        online = mlp([obs_dim, *cfg.hidden_sizes, n_actions]).to(dev)
    target = copy.deepcopy(online)  # theta- = theta
    target.requires_grad_(False)
    optimizer = _adam(online, cfg.learning_rate)
    explore_seq, buffer_seq = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(explore_seq)  # exploration: epsilon coin and random actions
    buffer = ReplayBuffer(cfg.buffer_size, (obs_dim,), seed=buffer_seq, device=dev)
    explore_steps = int(cfg.exploration_fraction * cfg.total_steps)
    eval_seed = seed + EVAL_SEED_OFFSET

    hist: dict[str, list[float]] = {k: [] for group in _HISTORY.values() for k in group}
    episode_return = np.zeros(n)  # running return of each copy's current episode
    action_log: list[np.ndarray] = []  # every action taken: rebuilds the envs on resume
    step, wall_before, eval_seconds = 0, 0.0, 0.0
    obs, _ = envs.reset(seed=seed)
    envs.action_space.seed(seed)

    if state is not None:
        online.load_state_dict(state["online"])
        target.load_state_dict(state["target"])
        optimizer.load_state_dict(state["optimizer"])
        buffer.load_state_dict(state["buffer"])
        rng.bit_generator.state = state["rng"]
        hist = {k: np.asarray(v).tolist() for k, v in state["history"].items()}
        episode_return = np.asarray(state["episode_return"], dtype=np.float64).copy()
        step, wall_before = int(state["step"]), float(state["wall_seconds"])
        eval_seconds = float(state["eval_seconds"])
        for actions in np.asarray(state["action_log"]):  # replay: same seeds, same actions
            obs, *_ = step_transitions(envs, actions)
            action_log.append(actions)

    def checkpoint() -> None:
        save_checkpoint(
            checkpoint_path,
            {
                "format": "rlcourse.deep.dqn/1",
                "config": dataclasses.asdict(cfg),
                "seed": seed,
                "step": step,
                "online": online.state_dict(),
                "target": target.state_dict(),
                "optimizer": optimizer.state_dict(),
                "buffer": buffer.state_dict(),
                "rng": rng.bit_generator.state,
                "history": {k: np.asarray(v, dtype=np.float64) for k, v in hist.items()},
                "episode_return": episode_return,
                "action_log": np.asarray(action_log, dtype=np.int64).reshape(-1, n),
                "wall_seconds": wall_before + (time.perf_counter() - t0) - session_eval,
                "eval_seconds": eval_seconds,
            },
        )

    bar = progress_bar(cfg.total_steps, enabled=progress, desc="DQN")
    bar.update(step)
    t0, session_eval = time.perf_counter(), 0.0
    round_infos: list[dict[str, float]] = []
    while step < stop:
        # -- act: epsilon-greedy on Q(s, .; theta); uniformly random before learning starts
        epsilon = linear_epsilon(
            step, start=cfg.exploration_start, end=cfg.exploration_end, duration=explore_steps
        )
        coin = rng.random(n)  # (n,) both draws every step: the stream never depends on Q
        random_actions = rng.integers(0, n_actions, size=n)  # (n,)
        explore = coin < epsilon if step >= cfg.learning_starts else np.ones(n, dtype=bool)
        actions = random_actions
        if not explore.all():
            with torch.no_grad():
                x = torch.from_numpy(np.asarray(obs, dtype=np.float32)).to(dev)  # (n, obs_dim)
                greedy = online(x).argmax(dim=1).cpu().numpy()  # (n,) ties: lowest index
            actions = np.where(explore, random_actions, greedy)
        action_log.append(actions)
        next_act_obs, next_obs, reward, terminated, truncated = step_transitions(envs, actions)
        # store s' = the TRUE next observation (final obs at an episode's end), and only
        # `terminated` as the cut: a truncated transition bootstraps from its final obs
        buffer.add(obs, actions, reward, next_obs, terminated)
        obs = next_act_obs
        before, step = step, step + n
        episode_return += reward
        for i in np.flatnonzero(np.logical_or(terminated, truncated)):
            hist["episode_step"].append(step)
            hist["episode_return"].append(float(episode_return[i]))
            episode_return[i] = 0.0

        # -- learn: `gradient_steps` steps every `train_freq` env steps once D is warm
        if step > cfg.learning_starts and _crossed(before, step, cfg.train_freq):
            round_infos.clear()
            for _ in range(cfg.gradient_steps):
                batch = buffer.sample(cfg.batch_size)
                round_infos.append(_gradient_step(online, target, optimizer, batch, cfg))
            if round_infos:
                hist["train_step"].append(step)
                for k in ("loss", "q_mean", "td_abs"):
                    hist[k].append(float(np.mean([info[k] for info in round_infos])))

        # -- every C env steps: theta- <- theta (or tau-averaged)
        if cfg.target_network and _crossed(before, step, cfg.target_update_interval):
            if cfg.tau == 1.0:
                hard_update(target, online)
            else:
                soft_update(target, online, tau=cfg.tau)

        # -- evaluate the greedy policy on separately seeded envs
        if _crossed(before, step, cfg.eval_every) or step >= cfg.total_steps:
            t_eval = time.perf_counter()
            train_seconds = wall_before + (t_eval - t0) - session_eval
            online.eval()
            mean, std = evaluate(online, env, episodes=cfg.eval_episodes, seed=eval_seed)
            online.train()
            for k, v in zip(_HISTORY["eval"], (step, mean, std, epsilon, train_seconds)):
                hist[k].append(v)
            spent = time.perf_counter() - t_eval
            session_eval += spent
            eval_seconds += spent
            bar.set_postfix(eval_return=f"{mean:.1f}")

        if checkpoint_every is not None and _crossed(before, step, checkpoint_every):
            t_ck = time.perf_counter()
            checkpoint()
            session_eval += time.perf_counter() - t_ck  # saving is not training time
        bar.update(n)
    bar.close()
    envs.close()
    wall = wall_before + (time.perf_counter() - t0) - session_eval
    if checkpoint_path is not None:
        checkpoint()

    model = copy.deepcopy(online).cpu().eval() if dev.type != "cpu" else online.eval()
    history = history_columns(hist, counts=("episode_step", "train_step", "eval_step"))
    return DQNResult(
        model=model,
        config=cfg,
        seed=seed,
        history=history,
        wall_seconds=wall,
        eval_seconds=eval_seconds,
    )


def load_dqn(path: str | os.PathLike) -> DQNResult:
    """The run saved in a :func:`train_dqn` checkpoint as a :class:`DQNResult` (model on CPU).

    To continue training instead, pass the path as ``train_dqn(env, seed=..., resume=path)``.
    """
    state = load_checkpoint(path)
    if state.get("format") != "rlcourse.deep.dqn/1":
        raise ValueError(f"{path} is not a train_dqn checkpoint (format {state.get('format')!r}).")
    cfg = DQNConfig(**{**state["config"], "hidden_sizes": tuple(state["config"]["hidden_sizes"])})
    online_sd = state["online"]
    weights = [v for k, v in online_sd.items() if k.endswith("weight")]
    sizes = [weights[0].shape[1], *(w.shape[0] for w in weights)]
    model = mlp(sizes)
    model.load_state_dict(online_sd)
    history = history_columns(state["history"], counts=("episode_step", "train_step", "eval_step"))
    return DQNResult(
        model=model.eval(),
        config=cfg,
        seed=int(state["seed"]),
        history=history,
        wall_seconds=float(state["wall_seconds"]),
        eval_seconds=float(state["eval_seconds"]),
    )
