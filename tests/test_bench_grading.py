"""benchmarks/bench_grading.py: the generated class is what it claims, and a tiny run works.

No timings are asserted (the benchmark is never a timed test). The generated functions are
checked in this process against ``rlcourse.mdp``, independently of the grader: a correct
submission's functions agree with the package's, a wrong one's named function does not.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest

import rlcourse.mdp as ref

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS = [
    "induced_mrp",
    "policy_evaluation",
    "q_from_v",
    "greedy_policy",
    "policy_iteration",
    "value_iteration",
]
# What the solution's functions call of the notebook's other functions.
USES = {
    "policy_iteration": ("induced_mrp", "q_from_v", "greedy_policy"),
    "value_iteration": ("q_from_v", "greedy_policy"),
}


def _load_benchmark():
    spec = importlib.util.spec_from_file_location(
        "bench_grading", REPO / "benchmarks" / "bench_grading.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """A class of 40 (seed 0): its folder and paths."""
    folder = tmp_path_factory.mktemp("class")
    return folder, bench.make_class(folder, 40, seed=0)


# ---------------------------------------------------------------- the plan
def test_the_plan_has_the_mix_and_every_variant():
    plan = bench.class_plan(40, seed=0)
    assert Counter(kind for _, kind, _ in plan) == {
        "correct": 20,
        "wrong": 8,
        "hanging": 4,
        "crashing": 4,
        "untouched": 4,
    }
    assert {(k, v) for _, k, v in plan} == {(k, v) for k, vs in bench.VARIANTS.items() for v in vs}
    assert [name for name, _, _ in plan] == [
        f"student{i:02d}_02_dynamic_programming.ipynb" for i in range(1, 41)
    ]
    assert Counter(k for _, k, _ in bench.class_plan(2)) == {"correct": 1, "wrong": 1}
    assert Counter(k for _, k, _ in bench.class_plan(10)) == {
        "correct": 5,
        "wrong": 2,
        "hanging": 1,
        "crashing": 1,
        "untouched": 1,
    }
    assert len(bench.class_plan(1)) == 1
    with pytest.raises(ValueError, match="at least one student"):
        bench.class_plan(0)


def test_the_plan_is_deterministic_from_the_seed():
    assert bench.class_plan(40, seed=3) == bench.class_plan(40, seed=3)
    assert bench.class_plan(40, seed=3) != bench.class_plan(40, seed=4)


# ---------------------------------------------------------------- the notebooks
def test_make_class_writes_valid_distinct_notebooks(klass, tmp_path):
    folder, paths = klass
    assert paths == sorted(folder.iterdir()) and len(paths) == 40
    texts = set()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                compile(cell.source, str(path), "exec")  # every cell is valid Python
        texts.add(path.read_text())
    # no two files identical (the students' comments differ), but untouched exercises
    assert len(texts) == 40 - 4 + 1
    again = bench.make_class(tmp_path / "again", 40, seed=0)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]


def _namespace(path: Path) -> tuple[dict, str]:
    """The notebook's function definitions executed here (no other cell), and all its code."""
    nb = json.loads(path.read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    ns: dict = {"np": np}
    for src in code:
        if src.startswith("def "):
            exec(compile(src, str(path), "exec"), ns)
    return ns, "\n".join(code)


def _model(seed: int = 1, S: int = 7, A: int = 3):
    """A random MDP whose terminal rows hold junk (as the grader's tests use)."""
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S))
    P /= P.sum(axis=2, keepdims=True)
    R = rng.normal(size=(S, A))
    terminal = np.zeros(S, dtype=bool)
    terminal[[2, 5]] = True
    R[terminal] = 50.0  # junk a correct function never backs up
    pi = rng.random((S, A))
    pi /= pi.sum(axis=1, keepdims=True)
    return P, R, terminal, pi


def _agrees(ns: dict, name: str) -> bool:
    """Whether the notebook's ``name`` gives the package's answer and leaves its inputs alone."""
    P, R, terminal, pi = _model()
    R0 = R.copy()
    g = 0.9
    V = np.random.default_rng(2).normal(size=R.shape[0])
    calls = {
        "induced_mrp": lambda f: f(P, R, pi),
        "policy_evaluation": lambda f: f(P, R, pi, terminal, gamma=g),
        "q_from_v": lambda f: f(P, R, V, terminal, gamma=g),
        "greedy_policy": lambda f: f(R),
        "policy_iteration": lambda f: f(P, R, terminal, gamma=g),
        "value_iteration": lambda f: f(P, R, terminal, gamma=g),
    }
    expected = calls[name](getattr(ref, name))
    got = calls[name](ns[name])
    if not np.array_equal(R, R0):
        return False
    pairs = zip(expected, got) if isinstance(expected, tuple) else [(expected, got)]
    return all(np.allclose(e, g_, atol=1e-6) for e, g_ in pairs)


def test_each_kind_of_submission_is_what_the_plan_says(klass):
    folder, _ = klass
    for name, kind, variant in bench.class_plan(40, seed=0):
        ns, code = _namespace(folder / name)
        if kind == "untouched":
            assert code.count("raise NotImplementedError") == len(FUNCTIONS), name
            continue
        assert "NotImplementedError" not in code and "### BEGIN SOLUTION" not in code, name
        broken = {
            "wrong": variant.removeprefix("wrong "),
            "hanging": "policy_evaluation" if "policy_evaluation" in variant else None,
            "crashing": "greedy_policy" if "greedy_policy" in variant else None,
        }.get(kind)
        for function in FUNCTIONS:
            if function == broken:
                if kind == "wrong":
                    assert not _agrees(ns, function), (name, function)
            elif broken not in USES.get(function, ()):  # never call what hangs or kills
                assert _agrees(ns, function), (name, function)
        marker = {
            "while True cell": r"^while True:",
            "endless policy_evaluation": r"never updated: this loop never ends",
            "os._exit cell": r"^os\._exit\(1\)",
            "exit() cell": r"^exit\(\)",
            "os._exit in greedy_policy": r"^    os\._exit\(1\)",
        }.get(variant)
        if marker:
            assert re.search(marker, code, flags=re.M), (name, variant)


# ---------------------------------------------------------------- measuring
def test_tree_rss_counts_descendants():
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; b = bytearray(80 << 20); b[::4096] = b'x' * len(b[::4096]); "
            "print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        assert bench.tree_rss_kb(child.pid) > 70 * 1024  # the child's 80 MB
        mine = bench.tree_rss_kb(bench.os.getpid())
        assert mine > 70 * 1024 + bench._vmrss_kb(bench.os.getpid())  # the child counts
    finally:
        child.kill()
        child.wait()


def test_grades_compare_points_per_notebook_and_item():
    doc = {
        "notebooks": [
            {"notebook": "/a/s1_02.ipynb", "points": 3.0, "items": [{"item": "x", "points": 3.0}]}
        ]
    }
    other = json.loads(json.dumps(doc))
    other["notebooks"][0]["notebook"] = "/b/s1_02.ipynb"  # another folder: same grades
    assert bench.grades(doc) == bench.grades(other)
    other["notebooks"][0]["items"][0]["points"] = 2.0
    assert bench.grades(doc) != bench.grades(other)


def test_a_two_notebook_run_grades_both_modes_identically(tmp_path, capsys):
    code = bench.main(["--students", "2", "--timeout", "5", "--keep", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = [line for line in out.splitlines() if line.startswith(("| serial", "| --jobs 2"))]
    assert len(rows) == 2 and all(row.rstrip().endswith("| yes |") for row in rows), out
    assert "| correct | solution | 1 | 15.00 [15.00, 15.00] of 15 |" in out
    plan = {name: kind for name, kind, _ in bench.class_plan(2)}
    for jobs in (1, 2):
        doc = json.loads((tmp_path / f"jobs{jobs}_run0.json").read_text())
        points = {Path(nb["notebook"]).name: nb["points"] for nb in doc["notebooks"]}
        assert {plan[n]: p == 15.0 for n, p in points.items()} == {"correct": True, "wrong": False}
    assert sorted(p.name for p in (tmp_path / "class").iterdir()) == sorted(plan)
