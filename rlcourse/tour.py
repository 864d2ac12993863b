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


CHAPTERS: dict[str, Callable[[Path], TourRow]] = {
    "01": demo_01,
    "02": demo_02,
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
