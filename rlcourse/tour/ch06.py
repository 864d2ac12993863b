"""Chapter 06: DQN on CartPole-v1 (one seed, a short run) and a TD target at a truncation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "DQN on CartPole-v1: greedy return against training steps"


def demo(out_dir: Path) -> TourRow:
    """One train_dqn run (seed 0, CPU, one thread): its greedy evaluations against a random
    policy's return on the same evaluation episodes, and a TD target at a truncation."""
    import matplotlib.pyplot as plt
    import torch

    from rlcourse.config import budget, is_quick
    from rlcourse.deep import dqn_seeds, eval_curves, evaluate, td_target, torch_threads
    from rlcourse.deep.dqn import EVAL_SEED_OFFSET

    env, seed, episodes = "CartPole-v1", 0, 20
    steps = budget(30_000, quick=4_000)
    with torch_threads(1):  # the lecture's section 3 run, on one seed and a shorter budget
        (result,) = dqn_seeds(
            env, seeds=[seed], total_steps=steps, eval_every=budget(2_000, quick=1_000)
        )
    h, curve = result.history, eval_curves([result])
    first, last = float(h["eval_return"][0]), float(h["eval_return"][-1])

    # the reference: a uniformly random policy on the same 20 evaluation episodes
    rng = np.random.default_rng(seed)
    random_mean, _ = evaluate(
        lambda obs: rng.integers(0, 2, size=len(obs)),
        env,
        episodes=episodes,
        seed=seed + EVAL_SEED_OFFSET,
    )
    # a time-limit truncation bootstraps, a termination does not (gamma 0.99, Q^(s') max 10):
    # y = 1 + 0.99 * 10 = 10.9 and y = 1
    y = td_target(
        torch.tensor([1.0, 1.0]),
        torch.tensor([[10.0, 4.0], [10.0, 4.0]]),
        torch.tensor([False, True]),
        gamma=0.99,
    )
    ok_target = torch.allclose(y, torch.tensor([10.9, 1.0]))
    (solved_at,) = curve.first_steps(475.0)
    # quick: 4,000 steps are enough to beat random play clearly, not to solve the task
    ok = ok_target and (last >= 2 * random_mean if is_quick() else solved_at is not None)

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(h["eval_step"], h["eval_return"], marker="o", label="DQN, greedy")
    ax.fill_between(
        h["eval_step"],
        h["eval_return"] - h["eval_std"],
        h["eval_return"] + h["eval_std"],
        alpha=0.2,
        label="± std over the 20 episodes",
    )
    ax.axhline(random_mean, color="grey", ls=":", label=f"random policy ({random_mean:.0f})")
    ax.axhline(475, color="k", ls="--", lw=1, label="solved (475)")
    ax.set(
        xlabel="environment steps",
        ylabel="mean return of 20 greedy episodes",
        title=f"DQN on CartPole-v1: one run (seed {seed}), {steps:,} steps",
        ylim=(0, 520),
    )
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    reached = f"first >= 475 at {solved_at:,} steps" if solved_at else "not yet >= 475"
    return TourRow(
        "06",
        TOPIC,
        f"greedy return {first:.0f} -> {last:.0f} after {steps:,} steps ({reached}; random "
        f"policy {random_mean:.0f}); training {result.wall_seconds:.0f} s; TD target at a "
        f"truncation bootstraps: {ok_target}",
        "ok" if ok else "MISMATCH",
        figures=[save_figure(fig, out_dir, "06_dqn.png")],
    )
