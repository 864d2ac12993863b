"""Tabular-learning benchmark: Q-learning speed and episodes until DP's optimal policy.

    python benchmarks/bench_tabular.py [--quick] [--seeds N] [--repeats N] [--check-every K]

1. Updates per second on the default MineGrid (slip=0, gamma=0.9): ``train_q_learning`` and
   ``train_sarsa`` trained for a fixed number of episodes, stepping the gymnasium env
   (``env.unwrapped``) or sampling the exact model ``env.to_mdp()`` directly; median over
   repeats. The peer figure is the bare env: ``env.unwrapped.step`` with random actions and
   nothing learned, i.e. the ceiling the env's own Python code sets.
2. Learning efficiency: for each seed, Q-learning (alpha 0.5, epsilon 0.1) runs until its
   greedy policy is optimal under DP's Q* (``solve_value_iteration``) at every state it reaches from
   the start (``greedy_is_optimal``), checked every ``--check-every`` episodes. We report the
   episodes needed and the training wall time with the check's cost excluded (the check
   time is reported on its own), median [min, max] over the seeds.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from rlcourse.envs import MineGrid
from rlcourse.mdp import greedy_is_optimal, solve_value_iteration
from rlcourse.tabular import QLearningConfig, train_q_learning, train_sarsa


def bare_env_steps_per_second(env, n_steps: int, repeats: int) -> float:
    """Steps per second of env.unwrapped.step with uniformly random actions (no learning)."""
    raw, rates = env.unwrapped, []
    for r in range(repeats):
        rng = np.random.default_rng(r)
        actions = rng.integers(raw.action_space.n, size=n_steps).tolist()
        raw.reset(seed=r)
        t0 = time.perf_counter()
        for a in actions:
            _, _, terminated, truncated, _ = raw.step(a)
            if terminated or truncated:
                raw.reset()
        rates.append(n_steps / (time.perf_counter() - t0))
    return statistics.median(rates)


def updates_per_second(algo, source, config, repeats: int, **kwargs) -> tuple[float, int]:
    """Median updates/s over ``repeats`` runs (seeds 0..repeats-1) and the median update count."""
    rates, counts = [], []
    for seed in range(repeats):
        res = algo(source, config, seed=seed, **kwargs)
        rates.append(res.n_updates / res.wall_seconds)
        counts.append(res.n_updates)
    return statistics.median(rates), int(statistics.median(counts))


def fmt_range(values, f="{:.0f}") -> str:
    median, low, high = (f.format(x) for x in (statistics.median(values), min(values), max(values)))
    return f"{median} [{low}, {high}]"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer episodes and repeats")
    parser.add_argument(
        "--seeds", type=int, default=5, help="seeds for the learning-efficiency table"
    )
    parser.add_argument("--repeats", type=int, default=None, help="repeats for the speed table")
    parser.add_argument(
        "--check-every", type=int, default=10, help="episodes between optimality checks"
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    speed_episodes = 300 if args.quick else 1000

    t_start = time.perf_counter()
    env = MineGrid("default")
    mdp = env.to_mdp(gamma=0.9)
    start = env.start_state
    Q_star = solve_value_iteration(mdp, tol=1e-12).Q  # (S, A) DP's optimum
    config = QLearningConfig(n_episodes=speed_episodes, alpha=0.5, gamma=0.9, epsilon=0.1)

    print(
        f"# Tabular benchmark (python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()})\n"
    )
    print(
        f"Default MineGrid: {env.n_states} states x {env.n_actions} actions, slip=0, gamma=0.9; "
        f"{speed_episodes} episodes per run, median of {repeats} runs.\n"
    )
    print("| what | source | updates / s | updates per run |")
    print("|---|---|---:|---:|")
    bare = bare_env_steps_per_second(env, 20_000 if args.quick else 100_000, repeats)
    print(f"| bare env.step, random actions (peer: env ceiling) | env | {bare:,.0f} | - |")
    for name, algo in (("train_q_learning", train_q_learning), ("train_sarsa", train_sarsa)):
        rate, count = updates_per_second(algo, env, config, repeats)
        print(f"| {name} | env (gymnasium step) | {rate:,.0f} | {count:,} |")
        rate, count = updates_per_second(algo, mdp, config, repeats, start=start)
        print(f"| {name} | to_mdp() model sampled | {rate:,.0f} | {count:,} |")

    episodes, wall, check, updates = [], [], [], []
    for seed in range(args.seeds):
        res = train_q_learning(
            env,
            config,
            n_episodes=5000,
            seed=seed,
            stop_when=lambda Q: greedy_is_optimal(Q, Q_star, mdp, start),
            check_every=args.check_every,
        )
        if res.stopped_at is None:
            print(f"\nseed {seed}: not optimal within 5000 episodes")
            continue
        episodes.append(res.stopped_at)
        wall.append(res.wall_seconds - res.check_seconds)
        check.append(res.check_seconds)
        updates.append(res.n_updates)
    print(
        f"\nEpisodes until the greedy policy is optimal on every state it reaches (Q-learning, "
        f"alpha 0.5, epsilon 0.1, checked every {args.check_every} episodes), "
        f"{len(episodes)}/{args.seeds} seeds, median [min, max]:\n"
    )
    print("| episodes | env steps | training wall s (checks excluded) | check s |")
    print("|---:|---:|---:|---:|")
    if episodes:
        print(
            f"| {fmt_range(episodes)} | {fmt_range(updates)} | {fmt_range(wall, '{:.3f}')} "
            f"| {fmt_range(check, '{:.4f}')} |"
        )
    print(f"\nwhole benchmark: {time.perf_counter() - t_start:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
