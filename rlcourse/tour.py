"""``rlcourse tour``: run every finished chapter's demo briefly.

Each chapter contributes one demo function ``demo_NN(out_dir) -> TourRow``: it runs the
chapter's main algorithm on a small problem, checks its answer against an exact or
independent one where the course has it, saves its figures under ``out_dir`` and returns
one row of the summary table. The tour prints that table and the list of figures.

    rlcourse tour [--quick] [--out DIR] [--chapters 01,02]

``--quick`` (or ``RLCOURSE_QUICK=1``) shrinks the training budgets of the learning chapters.
"""
from __future__ import annotations

import argparse
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np


@dataclass
class TourRow:
    """One line of the tour's summary table."""

    chapter: str
    """Two-digit chapter number, e.g. "02"."""
    topic: str
    """What the demo shows, in a few words."""
    result: str
    """The headline figure(s) the demo computed."""
    check: str = "-"
    """"ok" when the demo's answer matched its exact / independent reference, else what failed."""
    seconds: float = 0.0
    """Wall time of the demo."""
    figures: list[str] = field(default_factory=list)
    """Paths of the figures the demo saved."""


def _save(fig, out_dir: Path, name: str) -> str:
    path = out_dir / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return str(path)


# ---------------------------------------------------------------- Part I
def demo_01(out_dir: Path) -> TourRow:
    """Chapter 01: an MRP's value by the closed form and by iteration agree."""
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
        "01", "MRP value: closed form vs iteration",
        f"random walk V = {np.round(V_closed[inner], 3).tolist()}, |closed-iter| = {gap:.1e}, "
        f"{iterative.iterations} sweeps; stationary(sun) = {mu[0]:.3f}",
        "ok" if ok else "MISMATCH",
        figures=[_save(fig, out_dir, "01_mrp_convergence.png")],
    )


def demo_02(out_dir: Path) -> TourRow:
    """Chapter 02: policy iteration and value iteration agree on MineGrid (slip 0.1)."""
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
    plot_values(env, vi_res.V, policy=vi_res.policy, ax=axes[0], title="MineGrid (slip 0.1): V* and greedy policy")
    plot_convergence(vi_res.history, ax=axes[1], label="value iteration")
    axes[1].set_title("Value iteration: ||V_k+1 - V_k||")
    return TourRow(
        "02", "MineGrid (slip 0.1): policy vs value iteration",
        f"V*(start) = {vi_res.V[s0]:.3f}; PI {pi_res.iterations} iters, VI {vi_res.iterations} sweeps; "
        f"|V_PI - V_VI| = {gap:.1e} <= bound {vi_res.error_bound:.1e}",
        "ok" if ok else "MISMATCH",
        figures=[_save(fig, out_dir, "02_minegrid_dp.png")],
    )


# ---------------------------------------------------------------- Part II
def demo_03(out_dir: Path) -> TourRow:
    """Chapter 03: MC and TD(0) estimates of the random walk's values approach the exact V = k/6."""
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
        "TD(0), alpha = 0.05": lambda seed: td0_prediction(walk, n_episodes=n_episodes, alpha=0.05,
                                                           V0=V0, seed=seed, keep_history=True),
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
        "03", "MC vs TD(0) prediction on the random walk",
        f"RMS vs exact V = k/6 after {n_episodes} episodes: "
        + ", ".join(f"{label} {f:.3f}" for label, f in final.items())
        + f" (start {start:.3f})",
        "ok" if ok else "MISMATCH",
        figures=[_save(fig, out_dir, "03_random_walk_rms.png")],
    )


def demo_04(out_dir: Path) -> TourRow:
    """Chapter 04: Q-learning finds DP's optimal policy on MineGrid; SARSA vs Q-learning on the cliff."""
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
    for seed in range(5):  # episodes until the greedy policy is optimal wherever it goes (checked every 10)
        res = q_learning(env, n_episodes=500, alpha=0.5, gamma=0.9, epsilon=0.1, seed=seed,
                         stop_when=lambda Q: greedy_is_optimal(Q, dp.Q, mdp, s0), check_every=10)
        needed.append(res.stopped_at)
    # one longer run for the figure: by 300 episodes the values on the route have converged too
    shown = q_learning(env, n_episodes=budget(300, quick=150), alpha=0.5, gamma=0.9, epsilon=0.1, seed=0)
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
    return TourRow(
        "04", "Q-learning on MineGrid vs DP; SARSA vs Q-learning on the cliff",
        f"episodes until greedy = optimal (5 seeds): {needed}, median {int(np.median([n for n in needed if n is not None] or [0]))}; "
        f"max_a Q(start) = {shown.Q[s0].max():.2f} vs V* = {dp.V[s0]:.2f}; "
        f"cliff greedy route Q-learning {len_q} steps, SARSA {len_s} steps",
        "ok" if ok_grid and ok_cliff else "MISMATCH",
        figures=[_save(fig, out_dir, "04_q_learning.png")],
    )


def demo_05(out_dir: Path) -> TourRow:
    """Chapter 05: gradient MC and semi-gradient TD(0) with 10 weights on a 1000-state random walk."""
    import matplotlib.pyplot as plt

    from rlcourse.config import budget
    from rlcourse.envs import RandomWalk
    from rlcourse.mdp import jump_random_walk_mrp
    from rlcourse.tabular import (gradient_mc, mc_prediction, one_hot_features, semi_gradient_td0,
                                  state_aggregation_features, td0_prediction)

    # One-hot features are the table: same seed, same episodes, bit-identical values.
    walk19 = RandomWalk(n_states=19)
    one_hot = one_hot_features(walk19.observation_space.n)
    same_mc = np.array_equal(gradient_mc(walk19, None, one_hot, n_episodes=50, alpha=0.1, seed=0).V,
                             mc_prediction(walk19, n_episodes=50, alpha=0.1, seed=0).V)
    same_td = np.array_equal(semi_gradient_td0(walk19, None, one_hot, n_episodes=50, alpha=0.1, seed=0).V,
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

    Phi = np.zeros((S, 10))                                           # 10 weights for 1000 states
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
    ax.plot(s, td.V[inner], color="tab:orange", label=f"semi-gradient TD(0), {n_episodes} episodes")
    ax.set(xlabel="state", ylabel=r"$\hat v(s, w)$",
           title="1000-state random walk, state aggregation (10 weights)")
    ax.legend(fontsize=8)
    return TourRow(
        "05", "linear VFA: 10 weights for a 1000-state random walk",
        f"RMS_mu vs exact V: gradient MC {err['MC']:.3f}, semi-gradient TD {err['TD']:.3f} "
        f"(w = 0: {err['w = 0']:.3f}; best fit {err['best']:.3f}, TD fixed point {err['TD point']:.3f}); "
        f"one-hot == tabular: MC {same_mc}, TD {same_td}",
        "ok" if ok else "MISMATCH",
        figures=[_save(fig, out_dir, "05_function_approximation.png")],
    )


CHAPTERS: dict[str, Callable[[Path], TourRow]] = {
    "01": demo_01,
    "02": demo_02,
    "03": demo_03,
    "04": demo_04,
    "05": demo_05,
}


def run_tour(out_dir: str | Path = "tour-output", chapters: list[str] | None = None) -> list[TourRow]:
    """Run the demos of ``chapters`` (default: all finished ones); a failing demo is reported, not raised."""
    import matplotlib

    matplotlib.use("Agg")  # the tour only saves figures; called at run time, not import time
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for ch in chapters or list(CHAPTERS):
        if ch not in CHAPTERS:
            raise ValueError(f"chapter {ch!r} has no demo yet; finished chapters: {', '.join(CHAPTERS)}")
        start = time.perf_counter()
        try:
            row = CHAPTERS[ch](out)
        except Exception as exc:  # one broken demo must not hide the others
            traceback.print_exc()
            row = TourRow(ch, CHAPTERS[ch].__doc__.split(":", 1)[1].strip().rstrip("."), f"demo failed: {exc!r}", "FAILED")
        row.seconds = time.perf_counter() - start
        rows.append(row)
        print(f"  chapter {row.chapter} done in {row.seconds:.1f} s", flush=True)
    return rows


def format_table(rows: list[TourRow]) -> str:
    """The summary table as markdown."""
    lines = ["| ch | topic | result | check | s |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.chapter} | {r.topic} | {r.result} | {r.check} | {r.seconds:.1f} |")
    return "\n".join(lines)


def tour_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rlcourse tour", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="tour-output", help="folder for the figures (default: tour-output)")
    parser.add_argument("--quick", action="store_true", help="small training budgets (same as RLCOURSE_QUICK=1)")
    parser.add_argument("--chapters", default=None, help="comma-separated chapter numbers, e.g. 01,02")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["RLCOURSE_QUICK"] = "1"
    chapters = args.chapters.split(",") if args.chapters else None
    print(f"rlcourse tour: chapters {', '.join(chapters or CHAPTERS)}", flush=True)
    rows = run_tour(args.out, chapters)
    print()
    print(format_table(rows))
    figures = [f for r in rows for f in r.figures]
    print(f"\nfigures saved ({len(figures)}):")
    for f in figures:
        print(f"  {f}")
    return 0 if all(r.check == "ok" for r in rows) else 1
