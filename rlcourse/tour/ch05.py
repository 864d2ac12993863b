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
    from rlcourse.mdp import jump_random_walk_mrp
    from rlcourse.tabular import (gradient_mc, mc_prediction, one_hot_features, semi_gradient_td0,
                                  state_aggregation_features, td0_prediction)

    # One-hot features are the table: same seed, same episodes, bit-identical values.
    walk19 = RandomWalk(n_states=19)
    one_hot = one_hot_features(walk19.observation_space.n)
    same_mc = np.array_equal(
        gradient_mc(walk19, None, one_hot, n_episodes=50, alpha=0.1, seed=0).V,
        mc_prediction(walk19, n_episodes=50, alpha=0.1, seed=0).V)
    same_td = np.array_equal(
        semi_gradient_td0(walk19, None, one_hot, n_episodes=50, alpha=0.1, seed=0).V,
        td0_prediction(walk19, n_episodes=50, alpha=0.1, seed=0).V)

    # Sutton & Barto Example 9.1: 1000 states, start in 500, jumps of 1..100 either way,
    # -1 / +1 for leaving on the left / right, gamma = 1; an MRP, so Part I gives the exact V.
    n, start = 1000, 500
    walk = jump_random_walk_mrp(n, jump=100)
    P, R, terminal = walk.P, walk.R, walk.terminal
    S = n + 2
    V = walk.value_closed_form()                                      # (S,) exact v_pi
    inner = ~terminal
    eta = np.linalg.solve((np.eye(n) - P[np.ix_(inner, inner)]).T, np.eye(n)[start - 1])
    mu = np.zeros(S)
    mu[inner] = eta / eta.sum()                                       # on-policy distribution

    def rms_mu(v):
        return float(np.sqrt(mu @ (v - V) ** 2))

    Phi = np.zeros((S, 10))                                           # 10 weights, 1000 states
    Phi[inner] = state_aggregation_features(n, 10)
    sqrt_mu = np.sqrt(mu)
    w_best = np.linalg.lstsq(sqrt_mu[:, None] * Phi, sqrt_mu * V, rcond=None)[0]  # best fit
    A = Phi.T @ (mu[:, None] * (Phi - P @ Phi))
    w_td_point = np.linalg.solve(A, Phi.T @ (mu * R))                 # TD fixed point A w = b

    n_episodes = budget(10_000, quick=2_000)
    mc = gradient_mc(walk, None, Phi, n_episodes=n_episodes, alpha=3e-4, first_visit=False,
                     start=start, max_steps=10_000, seed=0)
    td = semi_gradient_td0(walk, None, Phi, n_episodes=n_episodes, alpha=5e-3, start=start,
                           max_steps=10_000, seed=0)
    err = {"MC": rms_mu(mc.V), "TD": rms_mu(td.V), "best": rms_mu(Phi @ w_best),
           "TD point": rms_mu(Phi @ w_td_point), "w = 0": rms_mu(np.zeros(S))}
    threshold = budget(0.15, quick=0.2)
    ok = (same_mc and same_td and err["MC"] < threshold and err["TD"] < threshold
          and err["best"] < err["TD point"])

    fig, ax = plt.subplots(figsize=(7, 4))
    s = np.arange(1, n + 1)
    ax.plot(s, V[inner], color="k", lw=2, label=r"exact $v_\pi$")
    ax.plot(s, (Phi @ w_best)[inner], color="k", ls="--", label="best fit (least squares)")
    ax.plot(s, (Phi @ w_td_point)[inner], color="tab:orange", ls=":", label="TD fixed point")
    ax.plot(s, mc.V[inner], color="tab:blue", label=f"gradient MC, {n_episodes} episodes")
    ax.plot(s, td.V[inner], color="tab:orange",
            label=f"semi-gradient TD(0), {n_episodes} episodes")
    ax.set(xlabel="state", ylabel=r"$\hat v(s, w)$",
           title="1000-state random walk, state aggregation (10 weights)")
    ax.legend(fontsize=8)
    return TourRow(
        "05", TOPIC,
        f"RMS_mu vs exact V: gradient MC {err['MC']:.3f}, semi-gradient TD {err['TD']:.3f} "
        f"(w = 0: {err['w = 0']:.3f}; best fit {err['best']:.3f}, "
        f"TD fixed point {err['TD point']:.3f}); "
        f"one-hot == tabular: MC {same_mc}, TD {same_td}",
        "ok" if ok else "MISMATCH",
        figures=[save_figure(fig, out_dir, "05_function_approximation.png")],
    )
