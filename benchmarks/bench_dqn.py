"""DQN benchmark on CartPole-v1: our train_dqn against Stable-Baselines3's DQN, side by side.

    python benchmarks/bench_dqn.py [--seeds N] [--steps N] [--device cpu|cuda] [--only ours|sb3]
                                   [--set KEY=VALUE ...]

Needs the optional peer: ``pip install -c constraints.txt -e ".[bench]"`` (Stable-Baselines3;
``--only ours`` runs without it).

Protocol, the same for both learners:

- CartPole-v1, a budget of ``--steps`` environment steps (default 50,000), one environment,
  one torch thread each (``torch.set_num_threads(1)`` while the benchmark runs).
- Every 2,000 environment steps (and at the end of the budget) a deterministic (greedy)
  evaluation: 20 episodes, episode k on its own environment reset with seed
  ``seed + EVAL_SEED_OFFSET + k`` (never a training seed), by one function for both
  (``rlcourse.deep.evaluate``). The run is *solved* at its first evaluation whose mean return is
  >= 475 (CartPole-v1 truncates at 500).
- Training wall seconds run from the first environment step (building the networks is left
  out) and exclude the evaluations (both sides stop their clock while evaluating; the
  evaluations' time is reported on its own).
- Both learners always train the whole budget (no early stop), so the *final evaluation* is the
  one after ``--steps`` environment steps: it shows whether a solved agent stays solved.
- Peer: SB3's DQN with the rl-baselines3-zoo CartPole-v1 hyperparameters (``ZOO_CARTPOLE``),
  evaluated by an SB3 callback. Ours: ``rlcourse.deep.train_dqn`` with its default
  ``DQNConfig`` (printed), which evaluates the same way inside its training loop.
- ``--zoo-too`` adds a third learner: our ``train_dqn`` with the peer's zoo settings
  (``ZOO_AS_OURS``), which separates what the implementation gains from what the defaults gain.
- ``--set KEY=VALUE`` (repeatable) overrides a field of our ``DQNConfig``, e.g.
  ``--set hidden_sizes=(64,64) --set gradient_steps=64``: to try a config under the protocol.
- Seeds run interleaved (ours seed 0, SB3 seed 0, ours seed 1, ...) so that both see the same
  machine load. Medians are over all seeds, an unsolved seed counting as the slowest; the ratio
  of the medians compares wall time to solve (the issue's target: ours <= 0.5 of SB3's).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _protocol, next to this script
from _protocol import (  # noqa: E402
    ENV_ID,
    EVAL_EPISODES,
    EVAL_EVERY,
    SOLVED,
    Run,
    from_history,
    greedy,
    median_table,
    median_to_solve,
    per_seed_table,
    sb3_evaluation_callback,
)
from _protocol import parse_overrides as _parse_overrides  # noqa: E402
from _protocol import ratio_line as _ratio_line  # noqa: E402

from rlcourse.deep import DQNConfig, evaluate, train_dqn  # noqa: E402
from rlcourse.deep.dqn import EVAL_SEED_OFFSET  # noqa: E402

__all__ = ["EVAL_SEED_OFFSET", "Run", "SOLVED", "median_to_solve"]

# rl-baselines3-zoo, hyperparams/dqn.yml, "CartPole-v1" (n_timesteps 5e4, policy MlpPolicy).
ZOO_CARTPOLE = {
    "learning_rate": 2.3e-3,
    "batch_size": 64,
    "buffer_size": 100_000,
    "learning_starts": 1_000,
    "gamma": 0.99,
    "target_update_interval": 10,
    "train_freq": 256,
    "gradient_steps": 128,
    "exploration_fraction": 0.16,
    "exploration_final_eps": 0.04,
    "policy_kwargs": {"net_arch": [256, 256]},
}
# the same settings as DQNConfig fields: our implementation with the peer's hyperparameters
_OUR_NAMES = {"exploration_final_eps": "exploration_end"}
ZOO_AS_OURS = {
    **{_OUR_NAMES.get(k, k): v for k, v in ZOO_CARTPOLE.items() if k != "policy_kwargs"},
    "hidden_sizes": tuple(ZOO_CARTPOLE["policy_kwargs"]["net_arch"]),
}


# ---------------------------------------------------------------- the peer: Stable-Baselines3
def run_sb3(seed: int, *, steps: int, device: torch.device) -> Run:
    """SB3's DQN, zoo settings; a callback evaluates every EVAL_EVERY steps and at the end."""
    from stable_baselines3 import DQN

    run = Run("SB3 DQN", seed)
    callback = sb3_evaluation_callback(
        run,
        steps=steps,
        seed=seed,
        act=lambda model: greedy(model.q_net, model.device),
        evaluate=evaluate,  # looked up here, at call time
        eval_every=EVAL_EVERY,
    )
    model = DQN("MlpPolicy", gym.make(ENV_ID), seed=seed, device=device, verbose=0, **ZOO_CARTPOLE)
    model.learn(total_timesteps=steps, callback=callback)
    return run


# ---------------------------------------------------------------- ours: rlcourse.deep
def run_ours(
    seed: int,
    *,
    steps: int,
    device: torch.device,
    overrides: Mapping[str, Any] | None = None,
    label: str = "ours",
) -> Run:
    """``rlcourse.deep.train_dqn`` with its default config (or ``overrides`` of its fields),
    evaluating as the protocol says.

    train_dqn evaluates with the same :func:`evaluate` and the same env seeds, and its history
    holds the training seconds at each evaluation with the evaluations' time left out.
    """
    result = train_dqn(
        ENV_ID,
        seed=seed,
        device=device,
        total_steps=steps,
        eval_every=EVAL_EVERY,
        eval_episodes=EVAL_EPISODES,
        **(overrides or {}),
    )
    return from_history(label, seed, result.history, result.eval_seconds)


# ---------------------------------------------------------------- tables
def ratio_line(runs: dict[str, list[Run]]) -> str:
    """Ours / SB3 median training wall seconds to solve; "" unless both learners ran."""
    return _ratio_line(runs, "ours", "sb3", name="ours / SB3", target=0.5)


def run_benchmark(
    learners: dict[str, Callable[..., Run]],
    *,
    seeds: int,
    steps: int,
    device: torch.device,
    peer: str,
    ours: Mapping[str, Any] | None = None,
) -> dict[str, list[Run]]:
    """Run every learner on seeds 0..seeds-1, interleaved by seed; print progress and the tables."""
    t_start = time.perf_counter()
    print(
        f"# DQN benchmark: {ENV_ID} (python {platform.python_version()}, torch "
        f"{torch.__version__}, gymnasium {gym.__version__}{peer}, device {device}, "
        f"{torch.get_num_threads()} torch thread, {platform.machine()})\n"
    )
    print(
        f"{steps:,} env steps per run; greedy evaluation over {EVAL_EPISODES} episodes every "
        f"{EVAL_EVERY:,} env steps on a separately seeded env; solved = first evaluation "
        f">= {SOLVED:g}; final eval = the evaluation after {steps:,} steps; training wall "
        "seconds exclude evaluation time.\n",
    )
    if "ours" in learners:
        print(f"ours: {DQNConfig(total_steps=steps, **(ours or {}))}\n")
    if "ours-zoo" in learners:
        print(f"ours, zoo settings: {DQNConfig(total_steps=steps, **ZOO_AS_OURS)}\n")
    if "sb3" in learners:
        print(f"SB3: DQN('MlpPolicy', {ZOO_CARTPOLE})\n", flush=True)
    runs: dict[str, list[Run]] = {name: [] for name in learners}
    for seed in range(seeds):
        for name, train in learners.items():
            r = train(seed, steps=steps, device=device)
            runs[name].append(r)
            solved = (
                f"solved at {r.solved_steps:,} steps, {r.solved_seconds:.1f} s"
                if r.solved_index is not None
                else "not solved"
            )
            print(
                f"  {r.learner} seed {seed}: {solved}; final eval {r.final_return:.1f}", flush=True
            )
    print("\nPer seed:\n")
    print("\n".join(per_seed_table(runs)))
    print("\nMedians over the seeds (a seed that never solved counts as slowest):\n")
    print("\n".join(median_table(runs)))
    if line := ratio_line(runs):
        print(f"\n{line}")
    print(f"\nwhole benchmark: {time.perf_counter() - t_start:.1f} s")
    return runs


def parse_overrides(items: list[str], *, steps: int, error: Callable[[str], Any]) -> dict[str, Any]:
    """``["hidden_sizes=(64,64)", ...]`` -> ``{"hidden_sizes": (64, 64)}``, checked by DQNConfig."""
    return _parse_overrides(
        items,
        make_config=partial(DQNConfig, total_steps=steps),
        what="DQNConfig",
        error=error,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (at least 3)")
    parser.add_argument(
        "--steps", type=int, default=50_000, help="env steps of training per run (budget)"
    )
    parser.add_argument(
        "--device", default=None, help="torch device for both (default: cuda when present)"
    )
    parser.add_argument("--only", choices=("ours", "sb3"), help="run one learner only")
    parser.add_argument(
        "--zoo-too",
        action="store_true",
        help="also run our train_dqn with the peer's zoo settings (implementation speed alone)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field of our DQNConfig (a Python literal), e.g. hidden_sizes=(64,64)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.steps < EVAL_EVERY:
        parser.error(f"need --seeds >= 1 and --steps >= {EVAL_EVERY} (one evaluation)")
    overrides = parse_overrides(args.set, steps=args.steps, error=parser.error)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    learners = {"ours": partial(run_ours, overrides=overrides), "sb3": run_sb3}
    if args.only:
        learners = {args.only: learners[args.only]}
    if args.zoo_too:
        learners["ours-zoo"] = partial(run_ours, overrides=ZOO_AS_OURS, label="ours, zoo settings")
    if "sb3" in learners:
        try:
            import stable_baselines3
        except ImportError:
            raise SystemExit(
                "bench_dqn: Stable-Baselines3 is not installed; install the optional peer with "
                '`pip install -c constraints.txt -e ".[bench]"`, or run `--only ours`'
            ) from None
        peer = f", stable-baselines3 {stable_baselines3.__version__}"
    else:
        peer = ""

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread each: the protocol
    try:
        run_benchmark(
            learners, seeds=args.seeds, steps=args.steps, device=device, peer=peer, ours=overrides
        )
    finally:
        torch.set_num_threads(threads)  # as it was (the tests call main in-process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
