"""Chapter 03: MC and TD(0) estimates of the random walk's values approach the exact V = k/6."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "MC vs TD(0) prediction on the random walk"


def demo(out_dir: Path) -> TourRow:
    """RMS error of MC and TD(0) against the exact V, averaged over seeds (S&B Example 6.2)."""
    import matplotlib.pyplot as plt

    from rlcourse.config import budget
    from rlcourse.tabular.experiments import example_6_2_random_walk

    n_episodes = budget(1000, quick=100)
    n_seeds = budget(10, quick=3)
    # the lecture's section 7 calls the same experiment (there with constant step sizes only)
    methods = {"MC, sample average": ("mc", None), r"TD(0), $\alpha$ = 0.05": ("td", 0.05)}
    errors = example_6_2_random_walk(methods, n_episodes=n_episodes, seeds=range(n_seeds))
    curves = {label: e.mean(axis=0) for label, e in errors.items()}  # (n_episodes + 1,) each
    # Independent check of the experiment's yardstick: every run starts from V = 0.5 on A..E,
    # whose RMS error against the exact V = k/6 is sqrt(mean((0.5 - k/6)^2)) = sqrt(1/18).
    start_exact = np.sqrt(np.mean((0.5 - np.arange(1, 6) / 6) ** 2))  # 0.2357
    start_ok = all(np.allclose(e[:, 0], start_exact) for e in errors.values())
    final = {label: c[-1] for label, c in curves.items()}
    # MC's standard error after n episodes is ~0.5/sqrt(n); TD(0) at alpha 0.05 levels off
    # near 0.03-0.04. Both must end well below the start and below 0.08.
    ok = start_ok and all(f < 0.08 and f < start_exact / 3 for f in final.values())
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    n = np.arange(1, n_episodes + 1)
    for label, c in curves.items():
        ax.loglog(n, c[1:], label=label)
    ax.set_xlabel("episodes $n$")
    ax.set_ylabel(f"RMS error vs exact $V$\n(mean over {n_seeds} seeds)")
    ax.set_title("Random walk (Example 6.2): MC and TD(0)")
    ax.legend()
    fig.tight_layout()
    plain = {label: label.replace(r"$\alpha$", "alpha") for label in final}
    return TourRow(
        "03",
        TOPIC,
        f"RMS vs exact V = k/6 after {n_episodes} episodes, mean of {n_seeds} seeds: "
        + ", ".join(f"{plain[label]} {f:.3f}" for label, f in final.items())
        + f" (start {start_exact:.3f})",
        "ok" if ok else "MISMATCH",
        figures=[save_figure(fig, out_dir, "03_random_walk_rms.png")],
    )
