"""Chapter 04: Q-learning finds DP's optimal policy on MineGrid; SARSA vs Q-learning, the cliff."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "Q-learning on MineGrid vs DP; SARSA vs Q-learning on the cliff"


def demo(out_dir: Path) -> TourRow:
    """Episodes until Q-learning's greedy policy is DP's; the cliff's routes and online returns."""
    import matplotlib.pyplot as plt

    from rlcourse.config import budget
    from rlcourse.envs import MineGrid
    from rlcourse.mdp import greedy_is_optimal, solve_value_iteration
    from rlcourse.plots import plot_learning_curve, plot_values
    from rlcourse.tabular import experiments, train_q_learning

    env = MineGrid("default")  # slip 0: the optimal route collects the power at (1, 2)
    mdp = env.to_mdp(gamma=0.9)
    dp = solve_value_iteration(mdp, tol=1e-12)
    s0 = env.start_state
    # episodes until the greedy policy is optimal wherever it goes (checked every episode)
    found = experiments.minegrid_q_learning(range(budget(30, quick=10)), check_every=1)
    needed = [res.stopped_at for res in found]
    done = [n for n in needed if n is not None] or [0]  # None: not optimal within 500 episodes
    # one longer run for the figure: by 300 episodes the values on the route have converged too
    shown = train_q_learning(
        env, seed=0, n_episodes=budget(300, quick=150), alpha=0.5, gamma=0.9, epsilon=0.1
    )
    ok_grid = None not in needed and greedy_is_optimal(shown.Q, dp.Q, mdp, s0)

    # Sutton & Barto Example 6.6: alpha 0.5, gamma 1, epsilon 0.1, 500 episodes per run. Single
    # runs differ a lot, so the claims are counts and means over seeds.
    n_seeds = budget(30, quick=10)
    runs = experiments.example_6_6_cliff_walking(range(n_seeds))
    cliff = MineGrid("cliff")
    best = solve_value_iteration(cliff.to_mdp(gamma=1.0), tol=1e-12).V[cliff.start_state]  # 88
    routes = {
        name: [cliff.greedy_route(r.Q, max_steps=60) for r in rs] for name, rs in runs.items()
    }  # max_steps: a route still walking at 60 is a loop
    online = {
        name: np.mean([r.history["return"][100:].mean() for r in rs]) for name, rs in runs.items()
    }  # mean over seeds of the mean return, episodes 101-500
    q_optimal = sum(r.total_reward == best for r in routes["Q-learning"])
    q_arrive = all(r.terminated and r.total_reward > 0 for r in routes["Q-learning"])
    s_arrive = sum(r.terminated and r.total_reward > 0 for r in routes["SARSA"])
    s_falls = sum(r.terminated and r.total_reward < 0 for r in routes["SARSA"])
    ok_cliff = q_arrive and s_falls == 0 and online["SARSA"] > online["Q-learning"]

    fig, axes = plt.subplots(1, 3, figsize=(17, 4.4), gridspec_kw={"wspace": 0.45})
    for ax, mask, when in ((axes[0], 0, "before"), (axes[1], 1, "after")):
        plot_values(
            env,
            shown.Q.max(axis=1),
            policy=shown.policy,
            ax=ax,
            mask=mask,
            visited=shown.N.sum(axis=1),
            cbar_label=r"$\max_a Q(s,a)$",
            title=f"learned $\\max_a Q(s,a)$ and greedy policy,\n{when} collecting the "
            "power at (1, 2)",
        )
    for name, rs in runs.items():
        plot_learning_curve(
            np.mean([r.history["return"] for r in rs], axis=0), ax=axes[2], window=20, label=name
        )
    axes[2].set_ylim(-150, 100)
    axes[2].set_title(f"cliff: online return per episode,\nmean of {n_seeds} seeds")
    return TourRow(
        "04",
        TOPIC,
        f"episodes until greedy = optimal ({len(done)} of {len(needed)} seeds): median "
        f"{np.median(done):.0f}, max {max(done)}; max_a Q(start) = {shown.Q[s0].max():.2f} "
        f"vs V* = {dp.V[s0]:.2f}; cliff ({n_seeds} seeds): Q-learning greedy route = DP's "
        f"(return {best:.0f}) in {q_optimal}, SARSA's reaches E in {s_arrive}, falls in {s_falls}; "
        f"online return SARSA {online['SARSA']:.1f} vs Q-learning {online['Q-learning']:.1f}",
        "ok" if ok_grid and ok_cliff else "MISMATCH",
        figures=[save_figure(fig, out_dir, "04_q_learning.png")],
    )
