"""Grading benchmark: a generated class of 40 submissions graded serially and with --jobs 2.

    python benchmarks/bench_grading.py [--students N] [--timeout S] [--repeat R] [--keep DIR]

The class is chapter 02 (dynamic programming), built from ``exercises/`` and ``solutions/``
by :func:`make_class`, deterministic from ``--seed``: about 50% correct (the solution, with
each student's own comments so no two files are identical), 20% wrong (one function replaced
by a plausible wrong one), 10% hanging (a ``while True: pass`` cell, or a function whose loop
never ends), 10% crashing (``os._exit(1)`` or ``exit()`` in a cell, or ``os._exit`` in a
function) and 10% untouched exercises.

The class is graded through the real command line, as an instructor would run it
(``python -m rlcourse.cli grade FOLDER --jobs J --out F --no-progress --timeout T``), once
with ``--jobs 1`` and once with ``--jobs 2``, ``--repeat`` times each. We report the median
wall time (``time.perf_counter`` around the subprocess) and notebooks per minute, and two
peak-memory figures (the largest over the repeats):

* largest process: the peak RSS of the largest single process of the run (grader, worker or
  kernel), as the kernel's rusage counter reports it (``os.wait4`` on the grader: the same
  counter as ``getrusage(RUSAGE_CHILDREN).ru_maxrss``, but for this run only);
* tree: the largest sum of ``VmRSS`` over the grader and all its descendants, sampled from
  ``/proc`` every 0.2 s (shared pages count once per process, so this is an upper bound;
  "n/a" where there is no ``/proc``).

Both runs must give identical grades: the points of every notebook and item of every run are
compared with the first serial run's. A second table shows how each kind of submission ended.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CHAPTER = "02_dynamic_programming"
REPO = Path(__file__).resolve().parents[1]

# Share of each kind in a class; "correct" takes what rounding leaves.
MIX = {"correct": 0.5, "wrong": 0.2, "hanging": 0.1, "crashing": 0.1, "untouched": 0.1}

# One plausible wrong version of each graded function (the whole cell a student would write).
WRONG = {
    "induced_mrp": '''\
def induced_mrp(P, R, pi):
    """(P_pi (S, S), R_pi (S,)) of the MRP that policy pi (S, A) induces on the MDP (P, R)."""
    P_pi = np.einsum("sa,sat->st", pi, P)
    R_pi = R.mean(axis=1)  # wrong: the average over actions, whatever pi says
    return P_pi, R_pi
''',
    "policy_evaluation": '''\
def policy_evaluation(P, R, pi, terminal=None, *, gamma, tol=1e-10):
    """V^pi (S,) by Bellman expectation sweeps from V = 0 until the largest change < tol."""
    V = np.zeros(P.shape[0])
    while True:
        V_new = np.sum(pi * (R + gamma * P @ V), axis=1)  # wrong: terminal states back up
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if delta < tol:
            return V
''',
    "q_from_v": '''\
def q_from_v(P, R, V, terminal=None, *, gamma):
    """Q (S, A) = R + gamma P V, with V read as 0 and Q[terminal, :] = 0 at terminal states."""
    Q = R  # wrong: Q is R itself, so the lines below write into R
    Q += gamma * P @ V
    if terminal is not None:
        Q[np.asarray(terminal, dtype=bool)] = 0.0
    return Q
''',
    "greedy_policy": '''\
def greedy_policy(Q):
    """One-hot (S, A) policy choosing argmax_a Q[s, a]; ties go to the lowest action index."""
    S, A = Q.shape
    pi = np.zeros((S, A))
    pi[np.arange(S), np.argmin(Q, axis=1)] = 1.0  # wrong: the worst action
    return pi
''',
    "policy_iteration": '''\
def policy_iteration(P, R, terminal=None, *, gamma):
    """(V* (S,), pi* one-hot (S, A)) by policy iteration from the uniform random policy."""
    S, A = R.shape
    terminal = np.zeros(S, dtype=bool) if terminal is None else np.asarray(terminal, dtype=bool)
    pi = np.full((S, A), 1.0 / A)
    N = ~terminal
    P_pi, R_pi = induced_mrp(P, R, pi)
    V = np.zeros(S)
    V[N] = np.linalg.solve(np.eye(N.sum()) - gamma * P_pi[np.ix_(N, N)], R_pi[N])
    pi = greedy_policy(q_from_v(P, R, V, terminal, gamma=gamma))
    return V, pi  # wrong: one improvement step, and V is the value of the old policy
''',
    "value_iteration": '''\
def value_iteration(P, R, terminal=None, *, gamma, tol=1e-8):
    """(V (S,), greedy pi one-hot (S, A)) by Bellman optimality sweeps, ||V - V*|| < tol."""
    V = np.zeros(P.shape[0])
    while True:
        V_new = (R + gamma * P @ V).max(axis=1)  # wrong: terminal states back up their junk
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if gamma / (1 - gamma) * delta < tol:
            break
    pi = greedy_policy(q_from_v(P, R, V, terminal, gamma=gamma))
    return V, pi
''',
}

# A policy_evaluation whose loop never ends (delta is never updated), and a greedy_policy
# that kills its kernel.
HANGING_FUNCTION = '''\
def policy_evaluation(P, R, pi, terminal=None, *, gamma, tol=1e-10):
    """V^pi (S,) by Bellman expectation sweeps from V = 0 until the largest change < tol."""
    S = P.shape[0]
    terminal = np.zeros(S, dtype=bool) if terminal is None else np.asarray(terminal, dtype=bool)
    V = np.zeros(S)
    delta = np.inf
    while delta >= tol:  # delta is never updated: this loop never ends
        V_new = np.sum(pi * (R + gamma * P @ V), axis=1)
        V_new[terminal] = 0.0
        V = V_new
    return V
'''
CRASHING_FUNCTION = '''\
def greedy_policy(Q):
    """One-hot (S, A) policy choosing argmax_a Q[s, a]; ties go to the lowest action index."""
    import os

    os._exit(1)  # left over from debugging: kills the kernel
'''

# (kind, variant) -> what is done to the otherwise correct notebook; see make_class.
VARIANTS = {
    "correct": ["solution"],
    "wrong": [f"wrong {name}" for name in WRONG],
    "hanging": ["while True cell", "endless policy_evaluation"],
    "crashing": ["os._exit cell", "exit() cell", "os._exit in greedy_policy"],
    "untouched": ["exercise"],
}


def class_plan(n: int = 40, *, seed: int = 0) -> list[tuple[str, str, str]]:
    """``[(file name, kind, variant)]`` of a class of ``n``: the mix of :data:`MIX`, shuffled.

    The counts of the kinds are ``n * share`` rounded by largest remainder (so 40 gives
    20/8/4/4/4 and 2 gives one correct and one wrong); each kind cycles through all its
    variants from a random start, so a class of 40 holds every variant. Everything is drawn
    from ``random.Random(seed)``: the same ``n`` and ``seed`` always give the same class.
    """
    if n < 1:
        raise ValueError(f"a class needs at least one student, got n={n}")
    rng = random.Random(seed)
    exact = {kind: n * share for kind, share in MIX.items()}
    counts = {kind: int(x) for kind, x in exact.items()}
    by_remainder = sorted(MIX, key=lambda k: counts[k] - exact[k])  # stable: MIX order on ties
    for kind in by_remainder[: n - sum(counts.values())]:
        counts[kind] += 1
    kinds: list[tuple[str, str]] = []
    for kind, count in counts.items():
        start = rng.randrange(len(VARIANTS[kind]))
        variants = VARIANTS[kind][start:] + VARIANTS[kind][:start]
        kinds += [(kind, variants[i % len(variants)]) for i in range(count)]
    rng.shuffle(kinds)
    width = max(2, len(str(n)))
    return [
        (f"student{i:0{width}d}_{CHAPTER}.ipynb", kind, variant)
        for i, (kind, variant) in enumerate(kinds, start=1)
    ]


def _code(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _set_code(cell: dict, code: str) -> None:
    cell["source"] = code.splitlines(keepends=True)


def _new_cell(code: str, cell_id: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {},
        "outputs": [],
        "source": code.splitlines(keepends=True),
    }


def _student_solution(code: str, student: str, rng: random.Random) -> str:
    """A solution cell as a student hands it in: the markers replaced by their own comments."""
    notes = [
        "my answer",
        "worked this out on paper first",
        "see lecture 2",
        "finally works",
        "vectorised",
        "checked against the slides",
    ]
    code = re.sub(
        r"^(\s*)### BEGIN SOLUTION\n", rf"\1# {student}: {rng.choice(notes)}\n", code, flags=re.M
    )
    return re.sub(r"^\s*### END SOLUTION\n", "", code, flags=re.M)


def _function_cell(cells: list[dict], name: str) -> dict:
    """The code cell that defines ``name``."""
    return next(
        c for c in cells if c["cell_type"] == "code" and _code(c).startswith(f"def {name}(")
    )


def _check_cell_index(cells: list[dict], name: str) -> int:
    """The index of the cell ``check("02.NAME", NAME)``."""
    return next(i for i, c in enumerate(cells) if f'check("02.{name}"' in _code(c))


def make_class(folder: str | os.PathLike, n: int = 40, *, seed: int = 0) -> list[Path]:
    """Write a class of ``n`` chapter-02 submissions into ``folder``; their paths, sorted.

    Each file is named ``studentNN_02_dynamic_programming.ipynb``; its kind and variant are
    those of :func:`class_plan` (same ``n`` and ``seed``: the same bytes). Every submission
    starts from ``exercises/``; correct ones fill each stub with the solution's code
    (``solutions/``) under the student's own comment; the others are a correct notebook with
    one change, or the untouched exercise.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    exercise = json.loads((REPO / "exercises" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    solution = json.loads((REPO / "solutions" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    if len(exercise["cells"]) != len(solution["cells"]):
        raise RuntimeError(
            f"exercises/{CHAPTER}.ipynb and solutions/{CHAPTER}.ipynb have different cells: "
            "run `rlcourse exercises` to regenerate the exercises"
        )
    rng = random.Random(seed + 1)  # the comments; class_plan draws the kinds from seed
    paths = []
    for name, kind, variant in class_plan(n, seed=seed):
        student = name.split("_", 1)[0]
        nb = json.loads(json.dumps(exercise))
        cells = nb["cells"]
        if kind != "untouched":
            for cell, sol in zip(cells, solution["cells"]):
                if cell["cell_type"] == "code" and "### BEGIN SOLUTION" in _code(sol):
                    _set_code(cell, _student_solution(_code(sol), student, rng))
        if kind == "wrong":
            function = variant.removeprefix("wrong ")
            _set_code(_function_cell(cells, function), WRONG[function])
        elif variant == "endless policy_evaluation":
            _set_code(_function_cell(cells, "policy_evaluation"), HANGING_FUNCTION)
        elif variant == "os._exit in greedy_policy":
            _set_code(_function_cell(cells, "greedy_policy"), CRASHING_FUNCTION)
        elif variant == "while True cell":
            at = _check_cell_index(cells, "policy_evaluation") + 1
            cells.insert(at, _new_cell("while True:  # wait for the plot\n    pass\n", student))
        elif variant == "os._exit cell":
            at = _check_cell_index(cells, "q_from_v") + 1
            cells.insert(at, _new_cell("import os\n\nos._exit(1)\n", student))
        elif variant == "exit() cell":
            at = _check_cell_index(cells, "greedy_policy") + 1
            cells.insert(at, _new_cell("exit()\n", student))
        path = folder / name
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(path)
    return sorted(paths)


# ---------------------------------------------------------------- measuring one run
def _children_map() -> dict[int, list[int]]:
    """``{ppid: [pid, ...]}`` of every process in ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # gone meanwhile
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _vmrss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0  # gone, or a kernel thread / zombie without VmRSS


def tree_rss_kb(root: int) -> int:
    """The sum of VmRSS (KiB) of ``root`` and all its descendants now (Linux ``/proc``)."""
    children = _children_map()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _vmrss_kb(pid)
        todo.extend(children.get(pid, []))
    return total


class TreeSampler(threading.Thread):
    """Samples :func:`tree_rss_kb` of ``root`` every ``interval`` seconds; ``peak_kb`` the max."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.root))
            self._done.wait(self.interval)

    def stop(self) -> int:
        """Stop sampling; the peak in KiB."""
        self._done.set()
        self.join()
        return self.peak_kb


@dataclass
class Run:
    """One grading of the class through the command line."""

    jobs: int
    wall_s: float
    returncode: int
    peak_process_mb: float | None
    """Largest single process's peak RSS (None: no ``os.wait4`` here)."""
    peak_tree_mb: float | None
    """Largest sampled RSS sum of the process tree (None: no ``/proc`` here)."""
    document: dict = field(default_factory=dict)
    """The grader's ``--out`` JSON ({} if it wrote none)."""
    stderr: str = ""


def _maxrss_mb(ru_maxrss: int) -> float:
    return ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)  # bytes on macOS


def grade_class(
    folder: str | os.PathLike,
    out: str | os.PathLike,
    *,
    jobs: int,
    timeout: float,
    notebook_timeout: float | None = None,
) -> Run:
    """Grade ``folder`` once with ``python -m rlcourse.cli grade``, timed and measured."""
    cmd = [
        sys.executable,
        "-m",
        "rlcourse.cli",
        "grade",
        str(folder),
        "--jobs",
        str(jobs),
        "--out",
        str(out),
        "--no-progress",
        "--timeout",
        f"{timeout:g}",
    ]
    if notebook_timeout is not None:
        cmd += ["--notebook-timeout", f"{notebook_timeout:g}"]
    Path(out).unlink(missing_ok=True)
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=Path(out).parent)
        sampler = TreeSampler(proc.pid) if os.path.isdir("/proc") else None
        if sampler:
            sampler.start()
        try:
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                peak_process = _maxrss_mb(usage.ru_maxrss)
            else:  # pragma: no cover - Windows
                proc.wait()
                peak_process = None
        except BaseException:  # Ctrl-C: the grader stops cleanly (it takes its workers along)
            if proc.returncode is None:
                proc.terminate()
                proc.wait()
            raise
        wall = time.perf_counter() - t0
        peak_tree = sampler.stop() / 1024 if sampler else None
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    try:
        document = json.loads(Path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = {}
    return Run(jobs, wall, proc.returncode, peak_process, peak_tree, document, stderr)


def grades(document: dict) -> dict[str, tuple[float, tuple[tuple[str, float], ...]]]:
    """``{file name: (points, ((item, points), ...))}`` of a grader's JSON: what must agree."""
    return {
        Path(nb["notebook"]).name: (
            round(nb["points"], 2),
            tuple((it["item"], round(it["points"], 2)) for it in nb.get("items", [])),
        )
        for nb in document.get("notebooks", [])
    }


# ---------------------------------------------------------------- tables
def _mb(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0f}"


def timing_table(runs: dict[int, list[Run]], n: int, reference: dict) -> list[str]:
    """mode | wall | notebooks/min | peak RSS largest process | peak RSS tree | identical."""
    rows = [
        "| mode | wall (s) | notebooks/min | peak RSS largest process (MB) "
        "| peak RSS tree (MB) | identical |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for jobs, rs in runs.items():
        wall = statistics.median(r.wall_s for r in rs)
        procs = [r.peak_process_mb for r in rs if r.peak_process_mb is not None]
        trees = [r.peak_tree_mb for r in rs if r.peak_tree_mb is not None]
        same = all(r.returncode == 0 and grades(r.document) == reference for r in rs)
        mode = "serial (--jobs 1)" if jobs == 1 else f"--jobs {jobs}"
        rows.append(
            f"| {mode} | {wall:.1f} | {n / wall * 60:.1f} | {_mb(max(procs, default=None))} "
            f"| {_mb(max(trees, default=None))} | {'yes' if same else 'NO'} |"
        )
    return rows


def outcome_table(plan: list[tuple[str, str, str]], document: dict) -> list[str]:
    """How each variant of submission ended in one run: points, cells, restarts, seconds."""
    by_name = {Path(nb["notebook"]).name: nb for nb in document.get("notebooks", [])}
    rows = [
        "| kind | variant | notebooks | points (median [min, max]) | cells not ok "
        "| kernel restarts | s per notebook (median) |",
        "|---|---|---:|---|---|---:|---:|",
    ]
    groups: dict[tuple[str, str], list[dict]] = {}
    for name, kind, variant in plan:
        groups.setdefault((kind, variant), []).append(by_name.get(name, {}))
    order = list(VARIANTS)
    for (kind, variant), nbs in sorted(groups.items(), key=lambda kv: order.index(kv[0][0])):
        pts = [nb.get("points", float("nan")) for nb in nbs]
        top = max((nb.get("max_points", 0) for nb in nbs), default=0)
        cells = Counter(c["status"] for nb in nbs for c in nb.get("cells", []))
        cell_text = ", ".join(f"{s} {k}" for s, k in sorted(cells.items())) or "none"
        rows.append(
            f"| {kind} | {variant} | {len(nbs)} | {statistics.median(pts):.2f} "
            f"[{min(pts):.2f}, {max(pts):.2f}] of {top:g} | {cell_text} "
            f"| {sum(nb.get('restarts', 0) for nb in nbs)} "
            f"| {statistics.median(nb.get('seconds', float('nan')) for nb in nbs):.1f} |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Build the class, grade it serially and with --jobs 2, print the tables; 1 if they differ."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=40, help="class size (default 40)")
    ap.add_argument("--timeout", type=float, default=10.0, help="grade's --timeout (default 10)")
    ap.add_argument(
        "--notebook-timeout",
        type=float,
        default=None,
        help="grade's --notebook-timeout (default: the grader's)",
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode; the median is shown")
    ap.add_argument("--jobs", type=int, default=2, help="the parallel run's --jobs (default 2)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the generated class")
    ap.add_argument("--keep", metavar="DIR", help="write the class and the JSON here and keep them")
    args = ap.parse_args(argv)
    if args.students < 1 or args.repeat < 1 or args.jobs < 1:
        ap.error("--students, --repeat and --jobs take whole numbers >= 1")

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_grading_"))
    try:
        folder = workdir / "class"
        if folder.exists():
            shutil.rmtree(folder)
        make_class(folder, args.students, seed=args.seed)
        plan = class_plan(args.students, seed=args.seed)
        modes = [1, args.jobs] if args.jobs != 1 else [1]
        runs: dict[int, list[Run]] = {jobs: [] for jobs in modes}
        for r in range(args.repeat):
            for jobs in modes:
                run = grade_class(
                    folder,
                    workdir / f"jobs{jobs}_run{r}.json",
                    jobs=jobs,
                    timeout=args.timeout,
                    notebook_timeout=args.notebook_timeout,
                )
                runs[jobs].append(run)
                print(
                    f"jobs {jobs} run {r + 1}: {run.wall_s:.1f} s, exit {run.returncode}",
                    file=sys.stderr,
                    flush=True,
                )
                if run.returncode != 0:
                    print(run.stderr[-2000:], file=sys.stderr)
        reference = grades(runs[1][0].document)
        counts = Counter(kind for _, kind, _ in plan)
        print(
            f"# Grading benchmark: {args.students} submissions of chapter {CHAPTER} "
            f"(seed {args.seed}), median of {args.repeat} run(s)"
        )
        print(
            f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
            f"isolation: {runs[1][0].document.get('isolation', '?')}, --timeout {args.timeout:g}; "
            + ", ".join(f"{k} {counts[k]}" for k in VARIANTS if counts[k])
            + "\n"
        )
        print("\n".join(timing_table(runs, args.students, reference)))
        print("\n## How each kind of submission ended (the first serial run)\n")
        print("\n".join(outcome_table(plan, runs[1][0].document)))
        if args.keep:
            print(f"\nclass and results kept in {workdir}")
        ok = all(
            r.returncode == 0
            and grades(r.document) == reference
            and len(reference) == args.students
            for rs in runs.values()
            for r in rs
        )
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    import signal

    # SIGTERM unwinds like Ctrl-C, so the grader running at that moment is stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    raise SystemExit(main())
