"""Chapter 03: MC and TD(0) estimates of the random walk's values approach the exact V = k/6."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "MC vs TD(0) prediction on the random walk"


def demo(out_dir: Path) -> TourRow:
    """RMS error of MC and TD(0) against the closed-form V, averaged over seeds."""
    import matplotlib.pyplot as plt

    from rlcourse.config import budget
    from rlcourse.envs import RandomWalk
    from rlcourse.tabular import mc_prediction, rms_error, td0_prediction

    walk = RandomWalk(5)  # +1 on the right exit, as in Sutton & Barto's Example 6.2
    mrp = walk.to_mrp()
    V_true = mrp.value_closed_form()  # (7,) exact: k/6 on A..E, 0 at the ends
    inner = ~mrp.terminal
    n_episodes = budget(1000, quick=100)
    seeds = range(budget(10, quick=3))
    V0 = np.where(inner, 0.5, 0.0)  # the book's start: 0.5 on every non-terminal state
    runs = {
        "MC, sample average": lambda seed: mc_prediction(walk, n_episodes=n_episodes, V0=V0,
                                                         seed=seed, keep_history=True),
        "TD(0), alpha = 0.05": lambda seed: td0_prediction(walk, n_episodes=n_episodes,
                                                           alpha=0.05, V0=V0, seed=seed,
                                                           keep_history=True),
    }
    curves = {}  # label -> (n_episodes + 1,) RMS over A..E, mean over seeds
    for label, run in runs.items():
        curves[label] = np.mean([[rms_error(V, V_true, inner) for V in run(seed).V_history]
                                 for seed in seeds], axis=0)
    start = curves["MC, sample average"][0]  # both start from the same V0
    final = {label: c[-1] for label, c in curves.items()}
    # MC's standard error after n episodes is ~0.5/sqrt(n); TD(0) at alpha 0.05 levels off
    # near 0.03-0.04. Both must end well below the start (0.236) and below 0.08.
    ok = all(f < 0.08 and f < start / 3 for f in final.values()) and np.allclose(
        V_true[inner], np.arange(1, 6) / 6)
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    n = np.arange(1, n_episodes + 1)
    for label, c in curves.items():
        ax.loglog(n, c[1:], label=label)
    ax.set_xlabel("episodes")
    ax.set_ylabel(f"RMS error vs exact V ({len(seeds)} seeds)")
    ax.set_title("Random walk: MC and TD(0) prediction")
    ax.legend()
    return TourRow(
        "03", TOPIC,
        f"RMS vs exact V = k/6 after {n_episodes} episodes: "
        + ", ".join(f"{label} {f:.3f}" for label, f in final.items())
        + f" (start {start:.3f})",
        "ok" if ok else "MISMATCH",
        figures=[save_figure(fig, out_dir, "03_random_walk_rms.png")],
    )
