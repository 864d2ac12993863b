"""Chapter 05: gradient MC and semi-gradient TD(0), 10 weights, a 1000-state random walk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "linear VFA: 10 weights for a 1000-state random walk"


def demo(out_dir: Path) -> TourRow:
    """State aggregation vs the exact V, the least-squares best fit and the TD fixed point."""
    import matplotlib.pyplot as plt

    from rlcourse.config import budget
    from rlcourse.envs import RandomWalk
    from rlcourse.tabular import (
        one_hot_features,
        state_aggregation_features,
        train_gradient_mc,
        train_mc_prediction,
        train_semi_gradient_td0,
        train_td0_prediction,
    )
    from rlcourse.tabular.experiments import example_9_1_random_walk

    # One-hot features are the table: same seed, same episodes, bit-identical values.
    walk19 = RandomWalk(n_states=19)
    one_hot = one_hot_features(walk19.observation_space.n)
    settings = {"n_episodes": 50, "alpha": 0.1, "seed": 0}
    same_mc = np.array_equal(
        train_gradient_mc(walk19, None, one_hot, **settings).V,
        train_mc_prediction(walk19, **settings).V,
    )
    same_td = np.array_equal(
        train_semi_gradient_td0(walk19, None, one_hot, **settings).V,
        train_td0_prediction(walk19, **settings).V,
    )

    # Sutton & Barto Example 9.1, with its exact V, on-policy distribution mu, best linear fit
    # (least squares under mu) and TD fixed point, all from the package (the lecture's calls).
    task = example_9_1_random_walk()
    walk, inner = task.mrp, ~task.mrp.terminal
    Phi = task.features(state_aggregation_features(1000, 10))  # (1002, 10): 10 weights
    w_best, w_td_point = task.best_fit(Phi), task.td_fixed_point(Phi)

    n_episodes = budget(10_000, quick=2_000)
    common = {"n_episodes": n_episodes, "start": task.start, "max_steps": 10_000, "seed": 0}
    mc = train_gradient_mc(walk, None, Phi, alpha=3e-4, first_visit=False, **common)
    td = train_semi_gradient_td0(walk, None, Phi, alpha=5e-3, **common)
    err = {
        "MC": task.rms(mc.V),
        "TD": task.rms(td.V),
        "best": task.rms(Phi @ w_best),
        "TD point": task.rms(Phi @ w_td_point),
        "w = 0": task.rms(np.zeros(walk.n_states)),
    }
    threshold = budget(0.15, quick=0.2)
    ok = (
        same_mc
        and same_td
        and err["MC"] < threshold
        and err["TD"] < threshold
        and err["best"] < err["TD point"] < err["w = 0"]
    )

    fig, ax = plt.subplots(figsize=(7, 4))
    s = np.arange(1, 1001)
    ax.plot(s, task.V[inner], color="k", lw=2, label=r"exact $v_\pi$")
    ax.plot(
        s, (Phi @ w_best)[inner], color="k", ls="--", label=r"best fit (least squares under $\mu$)"
    )
    ax.plot(s, (Phi @ w_td_point)[inner], color="tab:orange", ls=":", label="TD fixed point")
    ax.plot(s, mc.V[inner], color="tab:blue", label="gradient MC")
    ax.plot(s, td.V[inner], color="tab:orange", label="semi-gradient TD(0)")
    ax.set(
        xlabel="state $s$",
        ylabel=r"$\hat v(s, w)$",
        title=f"S&B Example 9.1, 10 aggregated groups: one run (seed 0), {n_episodes} episodes",
    )
    ax.legend(fontsize=8)
    return TourRow(
        "05",
        TOPIC,
        f"RMS_mu vs exact V: gradient MC {err['MC']:.3f}, semi-gradient TD {err['TD']:.3f} "
        f"(w = 0: {err['w = 0']:.3f}; best fit {err['best']:.3f}, "
        f"TD fixed point {err['TD point']:.3f}); "
        f"one-hot == tabular: MC {same_mc}, TD {same_td}",
        "ok" if ok else "MISMATCH",
        figures=[save_figure(fig, out_dir, "05_function_approximation.png")],
    )
