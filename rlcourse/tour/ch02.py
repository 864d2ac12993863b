"""Chapter 02: policy iteration and value iteration agree on MineGrid (slip 0.1)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "MineGrid (slip 0.1): policy vs value iteration"


def demo(out_dir: Path) -> TourRow:
    """V* by policy iteration and by value iteration, within value iteration's error bound."""
    import matplotlib.pyplot as plt

    from rlcourse.envs import MineGrid
    from rlcourse.mdp import policy_iteration, value_iteration
    from rlcourse.plots import plot_convergence, plot_values

    env = MineGrid(slip=0.1)  # slippery moves: geometric convergence and a safer route
    mdp = env.to_mdp()
    pi_res = policy_iteration(mdp)
    vi_res = value_iteration(mdp, tol=1e-8)
    gap = float(np.max(np.abs(pi_res.V - vi_res.V)))
    s0 = env.start_state
    ok = gap <= vi_res.error_bound  # the stopping rule promised ||V_VI - V*|| < its bound
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"wspace": 0.35})
    plot_values(env, vi_res.V, policy=vi_res.policy, ax=axes[0],
                title="MineGrid (slip 0.1): V* and greedy policy")
    plot_convergence(vi_res.history, ax=axes[1], label="value iteration")
    axes[1].set_title("Value iteration: ||V_k+1 - V_k||")
    return TourRow(
        "02", TOPIC,
        f"V*(start) = {vi_res.V[s0]:.3f}; PI {pi_res.iterations} iters, "
        f"VI {vi_res.iterations} sweeps; "
        f"|V_PI - V_VI| = {gap:.1e} <= bound {vi_res.error_bound:.1e}",
        "ok" if ok else "MISMATCH",
        figures=[save_figure(fig, out_dir, "02_minegrid_dp.png")],
    )
