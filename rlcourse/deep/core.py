"""What every deep chapter shares: the device, seeding, an MLP, evaluation and a progress bar.

| idea | code |
|---|---|
| where tensors live (CUDA when present) | :func:`default_device` |
| the one visible place for seeding | :func:`seeded`, :func:`seed_env` |
| a fully connected network | :func:`mlp` |
| how good a deterministic policy is | :func:`evaluate` (mean and std over N episodes) |
| a progress bar, silent by default | :func:`progress_bar` |
| torch's CPU thread count, set on purpose | :func:`torch_threads` |

Seeding happens in one place: a trainer runs its set-up inside ``with seeded(seed):`` (python's
``random``, numpy's global RNG and torch are seeded, and all three are put back as they were on
exit, so a notebook's own random state is untouched) and seeds its environments with
:func:`seed_env`. Everything random inside a training loop draws from generators the trainer
owns (``np.random.Generator`` objects), so the same seed gives the same curve bit for bit on CPU.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from rlcourse.utils import progress_bar as _progress_bar
from rlcourse.validation import check_nonnegative_int, check_positive_int

__all__ = [
    "TrainingResult",
    "default_device",
    "seeded",
    "seed_env",
    "mlp",
    "evaluate",
    "progress_bar",
    "torch_threads",
    "torch_generator",
    "history_columns",
    "EnvLike",
    "Policy",
]

EVAL_SEED_OFFSET = 1_000_000
"""evaluation episodes of a run with seed s use env seeds s + 1_000_000 + k (k < episodes):
never the training envs' seeds s, s + 1, ..., s + n_envs - 1 (every trainer of rlcourse.deep)"""

EnvLike = str | Callable[[], gym.Env]
"""An environment id (``"CartPole-v1"``) or a factory returning a fresh ``gym.Env``."""

Policy = nn.Module | Callable[[np.ndarray], Any]
"""A Q-network (acted on greedily) or a callable: observations (N, obs_dim) -> actions (N,)."""


@dataclass(kw_only=True)
class TrainingResult:
    """What every trainer of :mod:`rlcourse.deep` returns besides its model and config (which
    each result class adds, with their types): the seed, the history, the time it took, and
    the first evaluation that reached a threshold."""

    seed: int
    """the seed the run used"""
    history: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    """numpy columns; every trainer logs "eval_step" (env steps) and "eval_return" (mean greedy
    return); each result class lists its own columns"""
    wall_seconds: float = 0.0
    """training time, evaluations and checkpoints not counted"""
    eval_seconds: float = 0.0
    """time spent in evaluations"""

    def first_step_reaching(self, threshold: float) -> int | None:
        """Env steps at the first evaluation whose mean return is >= threshold (None: never)."""
        hits = np.flatnonzero(self.history["eval_return"] >= threshold)
        return int(self.history["eval_step"][hits[0]]) if hits.size else None


def default_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` as a ``torch.device``; ``None`` picks CUDA when present, else the CPU.

    The same code runs on both: tensors are created on this device and results come back to
    the CPU (``result.model`` is always a CPU module).
    """
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be 'cpu', 'cuda', 'cuda:0', a torch.device or None (automatic), got "
            f"{device!r}."
        ) from exc


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed python's ``random``, numpy's global RNG and torch (CPU and CUDA) with ``seed``;
    on exit put all of them back as they were.

    Use it around the code that draws from the global generators (a network's initial weights):
    ``with seeded(0): net = mlp([4, 64, 2])`` gives the same weights every time, and the
    caller's own random state (a notebook's ``np.random``) continues as if nothing happened.
    """
    seed = check_nonnegative_int(seed, "seed", 0)
    py_state = random.getstate()
    np_state = np.random.get_state()
    torch_state = torch.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds every CUDA device too
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)


def seed_env(env: gym.Env | gym.vector.VectorEnv, seed: int) -> Any:
    """Reset ``env`` with ``seed`` and seed its action space(s); returns ``env.reset``'s result.

    A vector env of n copies gets the seeds ``seed, seed + 1, ..., seed + n - 1`` (gymnasium's
    own rule for ``reset(seed=int)``), so its copies start from different states.
    """
    seed = check_nonnegative_int(seed, "seed", 0)
    out = env.reset(seed=seed)
    env.action_space.seed(seed)
    if isinstance(env, gym.vector.VectorEnv):
        env.single_action_space.seed(seed)
    return out


def mlp(sizes: Sequence[int], *, activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """A fully connected network ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    ``activation`` (a module class, e.g. ``nn.Tanh``) follows every hidden layer, none follows
    the output: ``mlp([4, 256, 256, 2])`` maps a CartPole observation (B, 4) to two Q-values
    (B, 2).
    """
    sizes = [check_positive_int(n, "sizes[i]", 64) for n in sizes]
    if len(sizes) < 2:
        raise ValueError(
            f"mlp needs at least an input and an output size, got sizes={sizes}; e.g. "
            "mlp([obs_dim, 64, 64, n_actions])."
        )
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def _make_env(env: EnvLike) -> gym.Env:
    if isinstance(env, str):
        return gym.make(env)
    if callable(env):
        made = env()
        if not isinstance(made, gym.Env):
            raise TypeError(
                f"the environment factory returned {type(made).__name__}, not a gymnasium.Env; "
                "pass e.g. lambda: gym.make('CartPole-v1')."
            )
        return made
    raise TypeError(
        f"env must be an environment id such as 'CartPole-v1' or a function returning a new "
        f"gymnasium.Env, got {type(env).__name__}; a ready env cannot be copied for evaluation."
    )


def _as_policy(policy: Policy) -> Callable[[np.ndarray], np.ndarray]:
    """A callable obs batch -> action batch; a module is acted on greedily (ties: lowest index)."""
    if isinstance(policy, nn.Module):
        module = policy
        try:
            device = next(module.parameters()).device
        except StopIteration:
            device = torch.device("cpu")

        def greedy(obs: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                x = torch.as_tensor(obs, dtype=torch.float32, device=device)
                return module(x).argmax(dim=1).cpu().numpy()  # (N,)

        return greedy
    if callable(policy):
        return policy
    raise TypeError(
        f"policy must be a Q-network (torch.nn.Module) or a function mapping a batch of "
        f"observations to a batch of actions, got {type(policy).__name__}."
    )


def evaluate(policy: Policy, env: EnvLike, *, episodes: int = 20, seed: int) -> tuple[float, float]:
    """Mean and standard deviation of the undiscounted return of ``policy`` over ``episodes``.

    Episode k runs on its own copy of the environment reset with ``seed + k``, never on the
    training env, so an evaluation neither disturbs training nor depends on where training
    left its env. The policy should be deterministic (a Q-network is acted on greedily); the
    copies are stepped side by side so the policy sees one batch (N, obs_dim) per step.
    Episodes end on termination or truncation (CartPole-v1: at most 500 steps).
    """
    episodes = check_positive_int(episodes, "episodes", 20)
    seed = check_nonnegative_int(seed, "seed", 0)
    act = _as_policy(policy)
    envs = [_make_env(env) for _ in range(episodes)]
    try:
        obs = np.stack([e.reset(seed=seed + k)[0] for k, e in enumerate(envs)])
        returns = np.zeros(episodes)
        alive = np.ones(episodes, dtype=bool)
        while alive.any():
            idx = np.flatnonzero(alive)
            actions = np.asarray(act(obs[idx])).reshape(-1)
            for i, a in zip(idx, actions):
                o, r, terminated, truncated, _ = envs[i].step(a.item())
                obs[i] = o
                returns[i] += float(r)
                if terminated or truncated:
                    alive[i] = False
    finally:
        for e in envs:
            e.close()
    return float(returns.mean()), float(returns.std())


def progress_bar(total: int, *, enabled: bool = False, desc: str = "") -> Any:
    """A tqdm bar over ``total`` steps when ``enabled``, else a silent stand-in (the default).

    The same bar as the tabular trainers' ``progress=True`` (:func:`rlcourse.utils.progress_bar`).
    """
    return _progress_bar(total, enabled, desc)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)`` and put the old count back on exit.

    Nothing in the package changes torch's thread count by itself; benchmarks that compare
    with another library use ``with torch_threads(1):`` so both run on one thread.
    ``n=None`` leaves the count alone.
    """
    if n is None:
        yield
        return
    n = check_positive_int(n, "n", 1)
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def torch_generator(seed_seq: np.random.SeedSequence) -> torch.Generator:
    """A CPU ``torch.Generator`` of its own, seeded from ``seed_seq`` (one branch of a run's
    ``np.random.SeedSequence(seed).spawn(k)``): the trainers sample actions and shuffle
    minibatches with these, never with torch's global generator."""
    return torch.Generator().manual_seed(int(seed_seq.generate_state(1, np.uint64)[0] >> 1))


def history_columns(hist: dict[str, Any], *, counts: Sequence[str]) -> dict[str, np.ndarray]:
    """A trainer's logged lists as its result's history: numpy float64 columns, with the
    columns named in ``counts`` (env steps, episode numbers) as int64."""
    history = {k: np.asarray(v, dtype=np.float64) for k, v in hist.items()}
    for k in counts:
        history[k] = history[k].astype(np.int64)
    return history
