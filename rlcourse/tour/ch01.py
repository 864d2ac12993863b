"""Chapter 01: an MRP's value by the closed form and by iteration agree."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "MRP value: closed form vs iteration"


def demo(out_dir: Path) -> TourRow:
    """Random walk MRP: V = (I - gamma P)^-1 R vs iterative evaluation vs V(k) = k/6."""
    import matplotlib.pyplot as plt

    from rlcourse.mdp import MarkovChain, examples
    from rlcourse.plots import plot_convergence

    mrp = examples.random_walk_mrp()
    V_closed = mrp.value_closed_form()
    iterative = mrp.value_iterative(tol=1e-12)
    gap = float(np.max(np.abs(V_closed - iterative.V)))
    inner = ~mrp.terminal
    exact = np.arange(1, 6) / 6  # Sutton & Barto's random walk: V(k) = k / 6 on the inner states
    chain = MarkovChain(np.array([[0.9, 0.1], [0.5, 0.5]]), states=["sun", "rain"])
    mu = chain.stationary()
    ok = gap < 1e-9 and np.allclose(V_closed[inner], exact) and np.allclose(mu, [5 / 6, 1 / 6])
    fig, ax = plt.subplots(figsize=(5, 3.2))
    plot_convergence(iterative.history, ax=ax, label="iterative MRP evaluation")
    ax.set_title("Random walk MRP: ||V_k+1 - V_k||")
    return TourRow(
        "01", TOPIC,
        f"random walk V = {np.round(V_closed[inner], 3).tolist()}, |closed-iter| = {gap:.1e}, "
        f"{iterative.iterations} sweeps; stationary(sun) = {mu[0]:.3f}",
        "ok" if ok else "MISMATCH",
        figures=[save_figure(fig, out_dir, "01_mrp_convergence.png")],
    )
