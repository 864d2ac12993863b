"""Chapter 02: policy iteration and value iteration agree on MineGrid (slip 0.1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "MineGrid (slip 0.1): policy vs value iteration"


def demo(out_dir: Path) -> TourRow:
    """V* by policy iteration (exact) and by value iteration, within value iteration's bound."""
    import matplotlib.pyplot as plt

    from rlcourse.envs import MineGrid
    from rlcourse.mdp import solve_policy_iteration, solve_value_iteration
    from rlcourse.plots import plot_convergence, plot_values

    env = MineGrid(slip=0.1)  # slippery moves: geometric convergence and a safer route
    mdp = env.to_mdp(gamma=0.9)
    pi_res = solve_policy_iteration(mdp)  # exact evaluation in every iteration: the yardstick
    vi_res = solve_value_iteration(mdp, tol=1e-8)
    gap = float(np.max(np.abs(pi_res.V - vi_res.V)))
    route = env.greedy_route(vi_res.policy)  # the most likely path (every move as intended)
    s0 = env.start_state
    # the stopping rule promised ||V_VI - V*|| <= its bound; both greedy policies are optimal
    ok = gap <= vi_res.error_bound and np.array_equal(pi_res.policy, vi_res.policy)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), gridspec_kw={"wspace": 0.35})
    plot_values(
        env,
        vi_res.V,
        vi_res.policy,
        ax=axes[0],
        title=r"MineGrid (slip 0.1): $v_*$ and greedy $\pi_*$",
    )
    plot_convergence(vi_res, key="delta", ax=axes[1], label=r"$\|V_{k+1} - V_k\|_\infty$")
    plot_convergence(
        vi_res,
        key="error_bound",
        ax=axes[1],
        label=r"bound $\frac{\gamma}{1-\gamma}\|V_{k+1} - V_k\|_\infty$",
    )
    axes[1].axhline(1e-8, color="grey", linestyle=":", label="tol")
    axes[1].legend()
    axes[1].set_ylabel("max-norm")
    axes[1].set_title(r"value iteration, $\gamma = 0.9$")
    return TourRow(
        "02",
        TOPIC,
        f"V*(start) = {vi_res.V[s0]:.3f}, route {route.arrows}; PI {pi_res.iterations} iters, "
        f"VI {vi_res.iterations} sweeps; |V_PI - V_VI| = {gap:.1e} <= bound "
        f"{vi_res.error_bound:.1e}",
        "ok" if ok else "MISMATCH",
        figures=[save_figure(fig, out_dir, "02_minegrid_dp.png")],
    )
