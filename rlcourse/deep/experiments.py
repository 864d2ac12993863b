"""The experiments of chapter 06 (DQN on CartPole-v1), named after the figure they reproduce.

The lecture notebook (``notebooks/06_dqn.ipynb``) draws its figures with these functions, and the
tour's chapter 06 demo should call the same ones, so that a figure in the lecture and the tour's
check of it cannot drift apart (CONTRIBUTING, rule 7). Every run is one :func:`train_dqn` call
(or one run split into segments with ``stop_at`` and ``resume``, which continues exactly as if
never interrupted), so each figure is a short composition of the trainer and greedy rollouts.

- :func:`dqn_seeds`: the learning curves of one configuration over several seeds
  (the figure "DQN on CartPole-v1": greedy evaluation return against env steps);
- :func:`dqn_ablation_variants` and :func:`dqn_ablations`: the same runs with one piece of DQN
  taken away or changed (no replay memory, no target network, Double DQN), by name;
- :func:`eval_curves`: the evaluation curves of several runs on their common step grid, with
  their mean, median and range over seeds;
- :func:`start_state_values` and :func:`overestimation_curves`: the Q estimate of the start
  states against the discounted return the greedy policy really collects from them, measured
  by Monte Carlo, over training (van Hasselt, Guez & Silver 2016, Figure 3, on CartPole).

| symbol | meaning | code | shape |
|---|---|---|---|
| max_a Q(s_0, a; theta) | the network's value of start state s_0 | ``values.q`` | (N,) |
| G_0 = sum_t gamma^t r_t | the greedy return from s_0 (discounted) | ``values.mc_return`` | (N,) |
| R_k | evaluation k's mean greedy return (undiscounted) | ``curves.returns`` | (S, E) |

(``values``: a :class:`StartStateValues` of N start states; ``curves``: :class:`EvalCurves` of
S seeds and E evaluations.)
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rlcourse.deep.core import EnvLike, _make_env
from rlcourse.deep.dqn import EVAL_SEED_OFFSET, DQNConfig, DQNResult, load_dqn, train_dqn
from rlcourse.mdp import discounted_return
from rlcourse.validation import check_gamma, check_nonnegative_int, check_positive_int, make_config

__all__ = [
    "DQNRun",
    "dqn_seeds",
    "dqn_ablation_variants",
    "dqn_ablations",
    "EvalCurves",
    "eval_curves",
    "StartStateValues",
    "start_state_values",
    "Overestimation",
    "overestimation_curves",
]


# ----------------------------------------------------------------------------------------
# Runs over seeds, and the ablations.
# ----------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class DQNRun(DQNResult):
    """A :class:`DQNResult` plus copies of the online network Q(s, .; theta) taken during the
    same run (``snapshots[k]``: the network after k env steps, on the CPU, in eval mode)."""

    snapshots: dict[int, nn.Module] = field(default_factory=dict, repr=False)
    """env step -> the online network at that step (empty unless snapshot steps were asked)"""


def _snapshot_steps(steps: Iterable[int], cfg: DQNConfig) -> list[int]:
    out = sorted({check_positive_int(k, "snapshot_steps[i]", 10_000) for k in steps})
    if out and out[-1] > cfg.total_steps:
        raise ValueError(
            f"snapshot_steps must lie in 1 .. total_steps = {cfg.total_steps}, got {out[-1]}; "
            "a run cannot be looked at after it has ended."
        )
    odd = [k for k in out if k % cfg.n_envs]
    if odd:
        raise ValueError(
            f"snapshot_steps {odd} are not multiples of n_envs = {cfg.n_envs}; the env step count "
            f"grows by n_envs at a time, so a run can only stop at multiples of {cfg.n_envs}."
        )
    return out


def _run(
    env: EnvLike,
    cfg: DQNConfig,
    seed: int,
    snapshot_steps: Sequence[int],
    device: str | torch.device | None,
) -> DQNRun:
    """One train_dqn run; with snapshot steps, the same run split into segments that end there.

    The run stops at each snapshot step (``stop_at``), writes a checkpoint, and the next segment
    resumes from it; resuming continues exactly as if never interrupted, so the result is the
    uninterrupted run's (the ``wall_seconds`` timings aside).
    """
    snapshots: dict[int, nn.Module] = {}
    with tempfile.TemporaryDirectory(prefix="rlcourse-dqn-") as tmp:
        path, resume = Path(tmp) / "run.pt", None
        for k in snapshot_steps:
            if k == cfg.total_steps:
                break  # the last segment's result holds the final network
            train_dqn(
                env, cfg, seed=seed, device=device, checkpoint_path=path, resume=resume, stop_at=k
            )
            snapshots[k] = load_dqn(path).model  # theta after k env steps (CPU, eval mode)
            resume = path
        result = train_dqn(env, cfg, seed=seed, device=device, resume=resume)
    if cfg.total_steps in snapshot_steps:
        snapshots[cfg.total_steps] = result.model
    return DQNRun(**{f.name: getattr(result, f.name) for f in fields(result)}, snapshots=snapshots)


def dqn_seeds(
    env: EnvLike,
    config: DQNConfig | None = None,
    *,
    seeds: Iterable[int],
    snapshot_steps: Iterable[int] = (),
    device: str | torch.device | None = None,
    **overrides: Any,
) -> list[DQNRun]:
    """The figure "DQN on CartPole-v1 over seeds": one :func:`train_dqn` run per seed.

    ``config`` and the keyword ``overrides`` are :func:`train_dqn`'s (a :class:`DQNConfig`, and
    fields to replace). Same seed, same run, bit for bit on a CPU, so a figure can be redrawn
    and two figures can share runs. ``snapshot_steps`` (env steps in 1 .. total_steps): keep a
    copy of the online network at those steps in ``run.snapshots`` (the run is split into
    segments there, which changes none of its numbers; multiples of ``n_envs``). Returns one
    :class:`DQNRun` per seed, in the order of ``seeds``.
    """
    cfg = make_config(DQNConfig, config, overrides)
    steps = _snapshot_steps(snapshot_steps, cfg)
    seeds = [check_nonnegative_int(s, "seed", 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty; pass e.g. seeds=range(5).")
    return [_run(env, cfg, seed, steps, device) for seed in seeds]


def dqn_ablation_variants(config: DQNConfig | None = None) -> dict[str, dict[str, Any]]:
    """The variants of the chapter's ablation figures, as :class:`DQNConfig` overrides by name.

    - ``"DQN"``: nothing changed;
    - ``"no replay"``: a memory of ``batch_size`` transitions, so every minibatch is drawn from
      the latest ``batch_size`` transitions only (consecutive, strongly correlated);
    - ``"no replay, no target network"``: that, and targets from theta itself
      (``target_network=False``);
    - ``"no target network"``: replay kept, targets from theta itself at every gradient step;
    - ``"Double DQN"``: ``double=True`` (the online network picks a', the target values it).

    ``config`` (default :class:`DQNConfig`) supplies the batch size of the no-replay variants.
    """
    cfg = DQNConfig() if config is None else config
    return {
        "DQN": {},
        "no replay": {"buffer_size": cfg.batch_size},
        "no replay, no target network": {"buffer_size": cfg.batch_size, "target_network": False},
        "no target network": {"target_network": False},
        "Double DQN": {"double": True},
    }


def dqn_ablations(
    env: EnvLike,
    config: DQNConfig | None = None,
    *,
    variants: Mapping[str, Mapping[str, Any]],
    seeds: Iterable[int],
    snapshot_steps: Iterable[int] = (),
    device: str | torch.device | None = None,
    **overrides: Any,
) -> dict[str, list[DQNRun]]:
    """The ablation figures: :func:`dqn_seeds` for every variant, ``{name: runs}``.

    ``variants`` maps a name to :class:`DQNConfig` overrides applied on top of ``config`` and
    ``overrides`` (e.g. a selection of :func:`dqn_ablation_variants`); every variant runs the
    same seeds, so its curves compare with the others seed by seed.
    """
    seeds, steps = list(seeds), list(snapshot_steps)
    return {
        name: dqn_seeds(
            env,
            config,
            seeds=seeds,
            snapshot_steps=steps,
            device=device,
            **{**overrides, **changes},
        )
        for name, changes in variants.items()
    }


# ----------------------------------------------------------------------------------------
# Curves over seeds.
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvalCurves:
    """Greedy evaluation returns of several runs on their common grid of env steps."""

    steps: np.ndarray
    """(E,) env steps of the evaluations"""
    returns: np.ndarray
    """(S, E) mean return over the evaluation episodes, one row per run (seed)"""

    @property
    def mean(self) -> np.ndarray:
        """(E,) mean over the runs"""
        return self.returns.mean(axis=0)

    @property
    def median(self) -> np.ndarray:
        """(E,) median over the runs"""
        return np.median(self.returns, axis=0)

    @property
    def low(self) -> np.ndarray:
        """(E,) the lowest run at each step (with a few seeds the range is the honest spread)"""
        return self.returns.min(axis=0)

    @property
    def high(self) -> np.ndarray:
        """(E,) the highest run at each step"""
        return self.returns.max(axis=0)

    def first_steps(self, threshold: float) -> list[int | None]:
        """Per run, the env steps of its first evaluation >= threshold (None: never)."""
        return [
            int(self.steps[np.argmax(row >= threshold)]) if (row >= threshold).any() else None
            for row in self.returns
        ]


def eval_curves(results: Sequence[DQNResult]) -> EvalCurves:
    """Stack the ``eval_return`` columns of ``results`` (runs of one configuration, one per
    seed) on their common ``eval_step`` grid; a ValueError if the grids differ."""
    results = list(results)
    if not results:
        raise ValueError("eval_curves needs at least one result, e.g. dqn_seeds(...).")
    steps = np.asarray(results[0].history["eval_step"])
    for r in results[1:]:
        if not np.array_equal(r.history["eval_step"], steps):
            raise ValueError(
                "the runs were evaluated at different env steps; eval_curves stacks runs of one "
                "configuration (same total_steps, eval_every and n_envs)."
            )
    returns = np.stack([np.asarray(r.history["eval_return"], dtype=float) for r in results])
    return EvalCurves(steps=steps, returns=returns)  # returns (S, E)


# ----------------------------------------------------------------------------------------
# Q estimates against the true discounted return (overestimation).
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartStateValues:
    """What a Q-network believes about the start states, and what its greedy policy gets."""

    q: np.ndarray
    """(episodes,) max_a Q(s_0, a; theta) for each start state s_0"""
    mc_return: np.ndarray
    """(episodes,) G_0 = sum_t gamma^t r_t of the greedy episode from s_0"""
    length: np.ndarray
    """(episodes,) steps of that episode (CartPole-v1: at most 500, then it is truncated)"""


def start_state_values(
    model: nn.Module, env: EnvLike, *, gamma: float, episodes: int = 20, seed: int
) -> StartStateValues:
    """Q of the start states against the greedy policy's discounted return from them (Monte Carlo).

    Episode k resets a fresh copy of ``env`` with ``seed + k`` (as :func:`evaluate` does) and
    acts greedily, ``a_t = argmax_a Q(s_t, a)`` (ties: lowest index), until it terminates or is
    truncated. With deterministic dynamics (CartPole) one episode per start state gives that
    state's return exactly, so ``q - mc_return`` is the network's error at s_0. A truncated
    episode stops the sum: Q is trained to bootstrap through the time limit, so when rewards
    are at most 1 the true value lies above ``mc_return`` by at most gamma^T / (1 - gamma)
    (T = episode length; 0.66 for gamma = 0.99 and T = 500).
    """
    gamma = check_gamma(gamma)
    episodes = check_positive_int(episodes, "episodes", 20)
    seed = check_nonnegative_int(seed, "seed", 0)
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    envs = [_make_env(env) for _ in range(episodes)]
    try:
        obs = np.stack([e.reset(seed=seed + k)[0] for k, e in enumerate(envs)])  # (N, obs_dim)
        rewards: list[list[float]] = [[] for _ in range(episodes)]
        alive = np.ones(episodes, dtype=bool)
        q0 = None
        while alive.any():
            idx = np.flatnonzero(alive)
            with torch.no_grad():
                x = torch.as_tensor(obs[idx], dtype=torch.float32, device=device)
                q = model(x).cpu().numpy()  # (n_alive, A)
            if q0 is None:
                q0 = q.max(axis=1)  # (N,) max_a Q(s_0, a): every episode is alive at t = 0
            for i, a in zip(idx, q.argmax(axis=1)):
                o, r, terminated, truncated, _ = envs[i].step(int(a))
                obs[i] = o
                rewards[i].append(float(r))
                alive[i] = not (terminated or truncated)
    finally:
        for e in envs:
            e.close()
    return StartStateValues(
        q=np.asarray(q0, dtype=float),
        mc_return=np.array([discounted_return(rs, gamma=gamma) for rs in rewards]),
        length=np.array([len(rs) for rs in rewards]),
    )


@dataclass(frozen=True)
class Overestimation:
    """Q estimates of the start states against their true discounted return, over training."""

    steps: np.ndarray
    """(K,) env steps of the snapshots"""
    q: np.ndarray
    """(S, K) mean over the start states of max_a Q(s_0, a; theta), one row per run (seed)"""
    mc_return: np.ndarray
    """(S, K) mean over the same start states of the greedy policy's discounted return G_0"""

    @property
    def gap(self) -> np.ndarray:
        """(S, K) q - mc_return: above 0 the network overestimates what its policy gets"""
        return self.q - self.mc_return


def overestimation_curves(
    runs: Sequence[DQNRun], env: EnvLike, *, episodes: int = 20
) -> Overestimation:
    """The figure "value estimates against true values" (van Hasselt et al. 2016, Figure 3).

    For every run (seed) and every snapshot of its network (:func:`dqn_seeds` with
    ``snapshot_steps``), :func:`start_state_values` on the run's evaluation start states (env
    seeds ``seed + EVAL_SEED_OFFSET + k``, the ones its evaluations use) with the run's gamma;
    both numbers are averaged over the ``episodes`` start states. The runs must share their
    snapshot steps.
    """
    runs = list(runs)
    if not runs or not getattr(runs[0], "snapshots", None):
        raise ValueError(
            "overestimation_curves needs runs with snapshots: dqn_seeds(..., snapshot_steps=...)."
        )
    steps = sorted(runs[0].snapshots)
    if any(sorted(r.snapshots) != steps for r in runs):
        raise ValueError("the runs have different snapshot steps; give them the same ones.")
    q = np.zeros((len(runs), len(steps)))  # (S, K)
    mc = np.zeros_like(q)  # (S, K)
    for i, run in enumerate(runs):
        for j, k in enumerate(steps):
            v = start_state_values(
                run.snapshots[k],
                env,
                gamma=run.config.gamma,
                episodes=episodes,
                seed=run.seed + EVAL_SEED_OFFSET,
            )
            q[i, j], mc[i, j] = v.q.mean(), v.mc_return.mean()
    return Overestimation(steps=np.asarray(steps), q=q, mc_return=mc)
