"""Chapter 04: Q-learning finds DP's optimal policy on MineGrid; SARSA vs Q-learning, the cliff."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rlcourse.tour import TourRow, save_figure

TOPIC = "Q-learning on MineGrid vs DP; SARSA vs Q-learning on the cliff"


def demo(out_dir: Path) -> TourRow:
    """Episodes until Q-learning's greedy policy is DP's; the cliff's safe and optimal routes."""
    import matplotlib.pyplot as plt

    from rlcourse.config import budget
    from rlcourse.envs import MineGrid
    from rlcourse.mdp import value_iteration
    from rlcourse.plots import plot_learning_curve, plot_values
    from rlcourse.tabular import greedy_is_optimal, q_learning, sarsa

    env = MineGrid("default")  # slip 0: the optimal route collects the power at (1, 2)
    mdp = env.to_mdp(gamma=0.9)
    dp = value_iteration(mdp, tol=1e-12)
    s0 = env.start_state
    needed = []
    # episodes until the greedy policy is optimal wherever it goes (checked every 10)
    for seed in range(5):
        res = q_learning(env, n_episodes=500, alpha=0.5, gamma=0.9, epsilon=0.1, seed=seed,
                         stop_when=lambda Q: greedy_is_optimal(Q, dp.Q, mdp, s0), check_every=10)
        needed.append(res.stopped_at)
    # one longer run for the figure: by 300 episodes the values on the route have converged too
    shown = q_learning(env, n_episodes=budget(300, quick=150), alpha=0.5, gamma=0.9,
                       epsilon=0.1, seed=0)
    ok_grid = all(n is not None for n in needed) and greedy_is_optimal(shown.Q, dp.Q, mdp, s0)

    def route_length(grid, Q):  # steps of the greedy route from the start (60 = it never ends)
        s = grid.start_state
        for t in range(1, 61):
            o = grid.move(s, int(np.argmax(Q[s])))
            if o.terminated:
                return t if o.reward > 0 else -t  # negative: the route ends on a mine
            s = o.next_state
        return 60

    cliff = MineGrid("cliff")  # Sutton & Barto Example 6.6: alpha 0.5, gamma 1, epsilon 0.1
    n_episodes = 500  # SARSA's greedy route needs about 500 episodes to settle (0.1 s a run)
    n_seeds = budget(3, quick=1)
    q_runs = [q_learning(cliff, n_episodes=n_episodes, alpha=0.5, gamma=1.0, epsilon=0.1, seed=s)
              for s in range(n_seeds)]
    s_runs = [sarsa(cliff, n_episodes=n_episodes, alpha=0.5, gamma=1.0, epsilon=0.1, seed=s)
              for s in range(n_seeds)]
    len_q = [route_length(cliff, r.Q) for r in q_runs]
    len_s = [route_length(cliff, r.Q) for r in s_runs]
    ok_cliff = all(n == 13 for n in len_q) and all(13 < n < 60 for n in len_s)

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.0), gridspec_kw={"wspace": 0.45})
    for ax, mask, when in ((axes[0], 0, "before"), (axes[1], 1, "after")):
        plot_values(env, shown.Q.max(axis=1), policy=shown.policy, ax=ax, mask=mask,
                    title=f"learned max_a Q and greedy policy, {when} the power")
    for name, runs in (("Q-learning", q_runs), ("SARSA", s_runs)):
        plot_learning_curve(np.mean([r.episode_returns for r in runs], axis=0), ax=axes[2],
                            window=20, label=name)
    axes[2].set_ylim(-150, 100)
    axes[2].set_title("cliff: training return per episode")
    median = int(np.median([n for n in needed if n is not None] or [0]))
    return TourRow(
        "04", TOPIC,
        f"episodes until greedy = optimal (5 seeds): {needed}, median {median}; "
        f"max_a Q(start) = {shown.Q[s0].max():.2f} vs V* = {dp.V[s0]:.2f}; "
        f"cliff greedy route Q-learning {len_q} steps, SARSA {len_s} steps",
        "ok" if ok_grid and ok_cliff else "MISMATCH",
        figures=[save_figure(fig, out_dir, "04_q_learning.png")],
    )
