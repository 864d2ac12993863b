"""What the CartPole benchmarks (``bench_dqn.py``, ``bench_ppo.py``) share: one run's record,
the solved-at bookkeeping, the markdown tables and the ``--set`` parser.

Not a benchmark itself (``rlcourse bench`` runs ``bench_*.py`` only). The scripts import it
from their own folder, which they put on ``sys.path`` first (``rlcourse bench`` runs a script
by path, without adding its folder).

The protocol, the same for every learner: greedy evaluations over ``EVAL_EPISODES`` episodes
every ``EVAL_EVERY`` env steps (and at the end of the budget), episode k on an env reset with
seed ``seed + EVAL_SEED_OFFSET + k``; *solved* at the first evaluation whose mean is >=
``SOLVED``; training wall seconds from the first env step, evaluations left out.
"""

from __future__ import annotations

import ast
import math
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from rlcourse.deep.core import EVAL_SEED_OFFSET

ENV_ID = "CartPole-v1"
SOLVED = 475.0
EVAL_EVERY = 2_000
EVAL_EPISODES = 20


@dataclass
class Run:
    """One learner's run on one seed: the evaluation points and the training time at each."""

    learner: str
    seed: int
    steps: list[int] = field(default_factory=list)  # env steps at each evaluation
    returns: list[float] = field(default_factory=list)  # mean greedy return at each evaluation
    train_seconds: list[float] = field(default_factory=list)  # training wall s up to each
    eval_seconds: float = 0.0  # all evaluations together

    def record(self, step: int, mean_return: float, train_seconds: float) -> None:
        self.steps.append(int(step))
        self.returns.append(float(mean_return))
        self.train_seconds.append(float(train_seconds))

    @property
    def solved_index(self) -> int | None:
        """Index of the first evaluation >= SOLVED, None if the run never got there."""
        return next((i for i, r in enumerate(self.returns) if r >= SOLVED), None)

    @property
    def solved_steps(self) -> int | None:
        i = self.solved_index
        return None if i is None else self.steps[i]

    @property
    def solved_seconds(self) -> float | None:
        i = self.solved_index
        return None if i is None else self.train_seconds[i]

    @property
    def final_return(self) -> float:
        return self.returns[-1] if self.returns else float("nan")

    @property
    def steps_per_second(self) -> float:
        """Env steps per training second over the whole budget (updates included)."""
        if not self.steps or not self.train_seconds[-1] > 0:
            return float("nan")
        return self.steps[-1] / self.train_seconds[-1]


def from_history(learner: str, seed: int, history: dict[str, Any], eval_seconds: float) -> Run:
    """A :class:`Run` from an rlcourse trainer's history columns (``eval_step``,
    ``eval_return``, ``wall_seconds``: training seconds with the evaluations left out)."""
    run = Run(learner, seed, eval_seconds=eval_seconds)
    h = history
    for step, mean, seconds in zip(h["eval_step"], h["eval_return"], h["wall_seconds"]):
        run.record(step, mean, seconds)
    return run


def greedy(net: Callable[[torch.Tensor], torch.Tensor], device: torch.device) -> Callable:
    """The greedy action of a network ``obs (n, d) -> scores (n, A)`` (Q-values or logits),
    numpy in and out."""

    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            scores = net(torch.as_tensor(obs, dtype=torch.float32, device=device))
        return scores.argmax(dim=1).cpu().numpy()

    return act


def sb3_evaluation_callback(
    run: Run,
    *,
    steps: int,
    seed: int,
    act: Callable[[Any], Callable],
    evaluate: Callable[..., tuple[float, float]],
    eval_every: int,
) -> Any:
    """An SB3 callback that pauses the training clock, evaluates ``act(model)`` greedily at
    every multiple of ``eval_every`` env steps (and at ``steps``) and records it in ``run``.

    SB3 calls it after every (vector) env step; with N envs the count moves by N, so
    ``eval_every`` must be a multiple of N (2,000 is, for N = 8 or 16).
    """
    from stable_baselines3.common.callbacks import BaseCallback

    class Evaluate(BaseCallback):
        def _on_training_start(self) -> None:
            self.t0 = time.perf_counter()  # the first env step comes next

        def _on_step(self) -> bool:
            n = self.num_timesteps
            if n % eval_every == 0 or n == steps:
                t = time.perf_counter()
                policy = self.model.policy
                policy.set_training_mode(False)
                mean, _ = evaluate(
                    act(self.model), ENV_ID, episodes=EVAL_EPISODES, seed=seed + EVAL_SEED_OFFSET
                )
                run.record(n, mean, t - self.t0 - run.eval_seconds)
                run.eval_seconds += time.perf_counter() - t
            return True

    return Evaluate()


# ---------------------------------------------------------------- tables
def _fmt(x: float | None, f: str) -> str:
    return "not solved" if x is None else f.format(x)


def median_to_solve(values: Iterable[float | None]) -> float | None:
    """Median over all seeds, a seed that never solved counting as infinitely slow.

    So the median is a figure of the majority: None (not solved) when half the seeds or more
    did not solve, never a median of the few lucky ones.
    """
    values = list(values)
    if not values:
        return None
    m = statistics.median(math.inf if v is None else v for v in values)
    return None if math.isinf(m) else m


def per_seed_table(runs: dict[str, list[Run]]) -> list[str]:
    """Markdown rows: one line per learner and seed, the learners side by side for each seed."""
    rows = [
        "| learner | seed | env steps to solve | training wall s to solve | final eval "
        "| training wall s (budget) | eval s | env steps/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for same_seed in zip(*runs.values()):
        for r in same_seed:
            rows.append(
                f"| {r.learner} | {r.seed} | {_fmt(r.solved_steps, '{:,}')} "
                f"| {_fmt(r.solved_seconds, '{:.1f}')} | {r.final_return:.1f} "
                f"| {r.train_seconds[-1]:.1f} | {r.eval_seconds:.1f} "
                f"| {r.steps_per_second:,.0f} |"
            )
    return rows


def median_table(runs: dict[str, list[Run]]) -> list[str]:
    """Markdown rows: one line per learner, medians over its seeds (see median_to_solve)."""
    rows = [
        "| learner | solved | median env steps to solve | median training wall s to solve "
        "| median final eval | median training wall s (budget) | median env steps/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for rs in runs.values():
        solved = sum(r.solved_index is not None for r in rs)
        rows.append(
            f"| {rs[0].learner} | {solved}/{len(rs)} "
            f"| {_fmt(median_to_solve([r.solved_steps for r in rs]), '{:,.0f}')} "
            f"| {_fmt(median_to_solve([r.solved_seconds for r in rs]), '{:.1f}')} "
            f"| {statistics.median(r.final_return for r in rs):.1f} "
            f"| {statistics.median(r.train_seconds[-1] for r in rs):.1f} "
            f"| {statistics.median(r.steps_per_second for r in rs):,.0f} |"
        )
    return rows


def ratio_line(
    runs: dict[str, list[Run]], ours: str, peer: str, *, name: str, target: float | None
) -> str:
    """``runs[ours]`` / ``runs[peer]`` median training wall seconds to solve (``name`` says
    which, e.g. "ours / SB3"), with the verdict against ``target`` (None: no target); "" unless
    both learners ran."""
    if not {ours, peer} <= set(runs):
        return ""
    a, b = (median_to_solve([r.solved_seconds for r in runs[k]]) for k in (ours, peer))
    if a is None or b is None:
        return f"{name}: ratio undefined (a learner solved half of its seeds or fewer)"
    line = f"ratio of medians, training wall s to solve, {name}: {a / b:.2f}"
    if target is not None:
        verdict = "meets" if a <= target * b else "misses"
        line += f" ({verdict} the target <= {target:.2f})"
    return line


def parse_overrides(
    items: list[str],
    *,
    make_config: Callable[..., Any],
    what: str,
    error: Callable[[str], Any],
) -> dict[str, Any]:
    """``["hidden_sizes=(64,64)", ...]`` -> ``{"hidden_sizes": (64, 64)}``, checked by
    ``make_config(**overrides)`` (the learner's config class; ``what`` names it in errors).

    A value is read as a Python literal (a bare word stays a string: ``loss=mse``). The
    protocol's own fields (total_steps, eval_every, eval_episodes) are refused: ``--steps``
    sets the budget and the evaluation cadence is the protocol's.
    """
    fixed = {
        "total_steps": "--steps",
        "eval_every": "the protocol",
        "eval_episodes": "the protocol",
    }
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            error(f"--set takes KEY=VALUE (a {what} field), got {item!r}")
        if key in fixed:
            error(f"--set {key}=...: {key} is set by {fixed[key]}, not by --set")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()
        overrides[key] = value
    try:
        make_config(**overrides)
    except (TypeError, ValueError) as exc:
        error(f"--set: {exc}")
    return overrides
