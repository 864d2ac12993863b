"""Chapter 01: an MRP's value by the closed form and by iteration agree with the values by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "MRP value: closed form vs iteration"


def demo(out_dir: Path) -> TourRow:
    """Random walk MRP (gamma = 1, two terminals): closed form and iteration vs V(k) = k/6;
    stationary distribution of a 2-state chain vs its closed form."""
    import matplotlib.pyplot as plt

    from rlcourse.mdp import MarkovChain, mrp_value, random_walk_mrp, stationary_distribution
    from rlcourse.plots import plot_convergence

    walk = random_walk_mrp(n=5, gamma=1.0)  # the lecture's section 5: T_left, A..E, T_right
    V_closed = mrp_value(walk.P, walk.R, walk.terminal, gamma=1.0)  # (7,) solved over A..E
    iterative = walk.value_iterative(tol=1e-12)  # V_{k+1} = R + P V_k, with its history
    gap = float(np.max(np.abs(V_closed - iterative.V)))
    inner = ~walk.terminal
    by_hand = np.arange(1, 6) / 6  # Sutton & Barto's random walk: v(k) = k / 6 on A..E
    # 2-state chain: sun -> rain w.p. p = 0.1, rain -> sun w.p. q = 0.5; mu = (q, p) / (p + q)
    P2 = np.array([[0.9, 0.1], [0.5, 0.5]])
    mu = stationary_distribution(P2)
    mu_object = MarkovChain(P2, states=["sun", "rain"]).stationary()
    ok = (
        gap < 1e-9
        and np.allclose(V_closed[inner], by_hand)
        and np.allclose(V_closed[walk.terminal], 0.0)
        and np.allclose(mu, [5 / 6, 1 / 6])
        and np.allclose(mu_object, mu)
    )

    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    plot_convergence(iterative, ax=ax, label=r"$\delta_k$")
    k = np.arange(1, iterative.iterations + 1)
    rho = np.cos(np.pi / 6)  # largest |eigenvalue| of P_NN on A..E: the rate of convergence
    ax.plot(k, 0.5 * rho**k, ls="--", color="grey", label=r"$0.5\,\cos(\pi/6)^k$")
    ax.set_xlabel("sweep $k$")
    ax.set_ylabel(r"$\delta_k = \max_s |V_{k+1}(s) - V_k(s)|$")
    ax.set_title(r"Random walk A..E, $\gamma = 1$: iterative evaluation")
    ax.legend()
    return TourRow(
        "01",
        TOPIC,
        f"random walk V = {np.round(V_closed[inner], 3).tolist()} (k/6), "
        f"|closed-iter| = {gap:.1e}, {iterative.iterations} sweeps; "
        f"stationary(sun) = {mu[0]:.3f} (5/6)",
        "ok" if ok else "MISMATCH",
        figures=[save_figure(fig, out_dir, "01_mrp_convergence.png")],
    )
