"""DP benchmark: value-iteration sweep time and effective memory bandwidth, dense and sparse.

    python benchmarks/bench_dp.py [--quick] [--repeats N] [--no-gamma099]

A value-iteration sweep is V <- max_a [R + gamma P V]: one (S*A, S) @ (S,) product plus
O(S*A) work, so its speed is bounded by reading P once. For each size we report the median
time of one sweep (``rlcourse.mdp.bellman_optimality``, the function solve_value_iteration
calls),
the median time of the bare product (numpy ``P2 @ V`` or scipy CSR ``P @ V``) on the same
matrix, the median of their paired ratios (timed alternately so both see the same load), and
the effective GB/s of reading P (bytes of P / sweep time; for CSR the bytes of data + indices +
indptr). For the sparse grids we also run solve_value_iteration to an error bound of 1e-6.
BLAS threads are not pinned; the BLAS in use is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from functools import partial

import numpy as np

from rlcourse.mdp import bellman_optimality, grid_mdp, random_mdp, solve_value_iteration


def paired_times(f, g, repeats: int) -> tuple[float, float, float]:
    """Time f and g alternately (f, g, f, g, ...) so both see the same machine load.

    Returns (median time of f, median time of g, median of the per-pair ratios f/g).
    """
    f(), g()
    tf, tg = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        t1 = time.perf_counter()
        g()
        t2 = time.perf_counter()
        tf.append(t1 - t0)
        tg.append(t2 - t1)
    ratio = statistics.median(a / b for a, b in zip(tf, tg))
    return statistics.median(tf), statistics.median(tg), ratio


def sweep(mdp, V):
    """One value-iteration sweep, as solve_value_iteration makes it."""
    return bellman_optimality(mdp.P, mdp.R, V, mdp.terminal, gamma=mdp.gamma)


def blas_info() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        name = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode
        name = "unknown"
    threads = {
        k: os.environ[k]
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        if k in os.environ
    }
    return f"BLAS: {name}; thread env: {threads or 'unset (library default)'}"


def bench_dense(sizes, A: int, repeats: int) -> list[str]:
    rows = [
        "| S | A | P size (MB) | sweep (ms) | P2 @ V (ms) | sweep / matvec | GB/s (P read) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for S in sizes:
        mdp = random_mdp(S, A, seed=0)
        P2 = mdp.P2  # (S*A, S) view, no copy
        V = np.random.default_rng(0).standard_normal(S)
        t_sweep, t_mv, ratio = paired_times(partial(sweep, mdp, V), partial(P2.dot, V), repeats)
        nbytes = P2.nbytes
        rows.append(
            f"| {S} | {A} | {nbytes / 1e6:.0f} | {t_sweep * 1e3:.2f} | {t_mv * 1e3:.2f} "
            f"| {ratio:.2f} | {nbytes / t_sweep / 1e9:.1f} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)  # progress; the tables come at the end
        del mdp, P2
    return rows


def bench_sparse(sides, repeats: int, gamma099_side: int | None) -> list[str]:
    rows = [
        "| grid | S | nnz | build (s) | sweep (ms) | CSR P @ V (ms) | sweep / matvec "
        "| GB/s (CSR read) | VI gamma | VI sweeps | VI time (s) | error bound |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for side in sides:
        t0 = time.perf_counter()
        mdp = grid_mdp(side, side, gamma=0.9, sparse=True)
        t_build = time.perf_counter() - t0
        P = mdp.P
        V = np.random.default_rng(0).standard_normal(mdp.n_states)
        t_sweep, t_mv, ratio = paired_times(partial(sweep, mdp, V), partial(P.dot, V), repeats)
        nbytes = P.data.nbytes + P.indices.nbytes + P.indptr.nbytes
        gammas = [0.9] + ([0.99] if side == gamma099_side else [])
        for gamma in gammas:
            if gamma != 0.9:
                mdp = grid_mdp(side, side, gamma=gamma, sparse=True)
            t0 = time.perf_counter()
            res = solve_value_iteration(mdp, tol=1e-6)
            t_vi = time.perf_counter() - t0
            rows.append(
                f"| {side}x{side} | {mdp.n_states} | {P.nnz} | {t_build:.2f} | "
                f"{t_sweep * 1e3:.2f} | {t_mv * 1e3:.2f} | {ratio:.2f} | "
                f"{nbytes / t_sweep / 1e9:.2f} | {gamma} | {res.iterations} | {t_vi:.2f} | "
                f"{res.error_bound:.1e} |"
            )
            print(rows[-1], file=sys.stderr, flush=True)  # progress; the tables come at the end
        del mdp, P
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (seconds)")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats per size")
    ap.add_argument(
        "--no-gamma099",
        action="store_true",
        help="skip the gamma = 0.99 value-iteration run on the largest grid",
    )
    args = ap.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 11)
    dense_sizes = (200, 500) if args.quick else (500, 1000, 2000, 4000)
    sides = (100, 316) if args.quick else (100, 316, 1000)
    g099 = None if args.no_gamma099 else sides[-1]

    print(f"# DP benchmark ({'quick' if args.quick else 'full'}), median of {repeats} repeats")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {blas_info()}\n"
    )
    dense = bench_dense(dense_sizes, A=8, repeats=repeats)
    sparse = bench_sparse(sides, repeats=repeats, gamma099_side=g099)
    print("## Dense random MDPs (value-iteration sweep vs one numpy matvec; target ratio <= 1.2)\n")
    print("\n".join(dense))
    print(
        "\n## Sparse grid worlds (A=4, deterministic moves, -1 per step; VI to error bound "
        "1e-6; target: 10^6 states in < 30 s)\n"
    )
    print("\n".join(sparse))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
