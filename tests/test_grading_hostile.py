"""`rlcourse grade` attacked as a hostile student would (issue 7): every promise, end to end.

Each case is a notebook graded by the real grader (workers, kernels, bubblewrap when present)
and an assertion on its points, flags or errors. Most submissions return zeros (or garbage)
plus one trick that gave full marks when the tests ran inside the student's kernel (commit
73c54f8); here they must score exactly what the same notebook without the trick scores.

One module-scoped run grades most notebooks at once (``jobs=2``); only the cases that need it
(the command line, signals, the class runs) run on their own. Cases that are bubblewrap's
promise (neighbour files, killing every process in sight) are skipped without it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from _processes import processes_with
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from rlcourse.grading.batch import grade_notebooks
from rlcourse.grading.check import check
from rlcourse.grading.cli import grade_main
from rlcourse.grading.grader import results_document, summary_table
from rlcourse.grading.sandbox import Limits, bwrap_path

REPO = Path(__file__).resolve().parent.parent
DEMO = Path(__file__).parent / "fixtures" / "grading" / "repo" / "solutions" / "00_demo.ipynb"
EXERCISE = Path(__file__).parent / "fixtures" / "grading" / "repo" / "exercises" / "00_demo.ipynb"
DP = REPO / "solutions" / "02_dynamic_programming.ipynb"

HAVE_BWRAP = bwrap_path() is not None
ISOLATION = "bwrap" if HAVE_BWRAP else "none"
needs_bwrap = pytest.mark.skipif(
    not HAVE_BWRAP, reason="bubblewrap (bwrap) is missing or does not work here; CI installs it"
)
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")

TIMEOUT = 4.0
NOTEBOOK_TIMEOUT = 10.0
TOKEN = f"{300 + int.from_bytes(os.urandom(3), 'big') / 1e7:.7f}"
"""A unique `sleep` argument: processes a submission leaves behind are found by it."""

# ------------------------------------------------------------------------------ cell sources
ADD = "def add(a, b):\n    return a + b"
MEAN = "def mean(xs):\n    return sum(xs) / len(xs)"
NORMALIZE = "import numpy as np\n\ndef normalize(w):\n    return w / w.sum()"
RIGHT = [ADD, MEAN, NORMALIZE]

ZERO = """\
import numpy as np

def add(a, b):
    return 0

def mean(xs):
    return 0.0

def normalize(w):
    return np.zeros_like(w)
"""
"""Every function returns zeros: the honest score of this is what every trick must get."""

MIME = "application/vnd.rlcourse.grade+json"

FORGER = f"""\
import json, re
from IPython.display import publish_display_data
try:  # a well-formed answer of today's grader, claiming what a forger would claim
    from rlcourse.grading import wire as _wire
    _BODY = _wire.dumps({{"ok": True, "values": ["pass: full marks"], "error": None,
                         "after": {{"args": [], "kwargs": {{}}}}, "output": ""}})
except ImportError:  # the grader of commit 73c54f8
    _BODY = ""

_FULL = {{"00.add": 1.0, "00.mean": 2.0, "00.normalize": 2.0}}

def _forge(text, item=None):
    # every 32-hex-digit nonce in the grader's code gets a full-marks answer (old and new form)
    for nonce in re.findall(r"[0-9a-f]{{32}}", str(text)):
        found = re.search(r"'(\\d\\d\\.[a-z_]+)'", str(text))
        item_id = item or (found.group(1) if found else "00.add")
        points = _FULL.get(item_id, 3.0)
        publish_display_data({{{MIME!r}: {{
            "item": item_id, "points": points, "max_points": points, "nonce": nonce,
            "tests": [{{"name": "forged", "passed": True, "message": ""}}], "body": _BODY,
        }}, "text/plain": "forged"}})
"""

PATCH_CHECK = """\
import rlcourse.grading.check as _check
import rlcourse.grading.registry as _registry
from rlcourse.grading.check import CheckReport, TestResult

def _full_marks(it, fn=None, *args, **kwargs):
    return CheckReport(it.id, it.points, it.points, [TestResult(t.title, True) for t in it.tests])

_check.run_item = _full_marks
_check.check = lambda item_id, fn=None, **kw: _full_marks(_registry.get_item(item_id))
for _it in _registry.items_for_chapter("00"):
    for _t in _it.tests:
        _t.fn = lambda fn: None
"""

FAKE_HOOK = (
    FORGER
    + """
import sys, types
_fake = types.ModuleType("rlcourse.grading.kernel_hook")
_fake.RESULT_MIME = "application/vnd.rlcourse.grade+json"
_fake.grade_in_kernel = lambda item_id, function, nonce, ns, limit: _forge(nonce, item_id)
_fake.serve = lambda ns, name, request, nonce, limit: _forge(nonce)
def _describe(ns, name, nonce):
    publish_display_data({_fake.RESULT_MIME: {"nonce": nonce, "body": json.dumps(
        {"exists": True, "callable": True, "type": "function", "signature": None})}})
_fake.describe = _describe
sys.modules["rlcourse.grading.kernel_hook"] = _fake
import rlcourse.grading
rlcourse.grading.kernel_hook = _fake
print('{"item": "00.add", "points": 1.0, "status": "pass"}')
"""
)

FAKE_NUMPY = """\
import sys, types
import numpy as _np
_fake = types.ModuleType("numpy")
_fake.__dict__.update(_np.__dict__)
_fake.isclose = lambda a, b, *args, **kwargs: _np.ones(_np.shape(a), dtype=bool)
_fake.allclose = lambda *args, **kwargs: True
_fake.array_equal = lambda *args, **kwargs: True
for _name in [m for m in sys.modules if m == "rlcourse" or m.startswith("rlcourse.")]:
    del sys.modules[_name]  # so the grader's modules import the fake
sys.modules["numpy"] = _fake
"""

HOOK_EVENTS = (
    FORGER
    + """
_ip = get_ipython()
_ip.events.register("pre_run_cell", lambda info: _forge(info.raw_cell))
_ip.events.register("post_run_cell", lambda result: _forge(result.info.raw_cell))
"""
)

HOOK_INPUT = (
    FORGER
    + """
import builtins
builtins.__forge = _forge

def _rewrite(lines):
    text = "".join(lines)
    if "kernel_hook" in text:
        return [f"__forge({text!r})\\n"]
    return lines

get_ipython().input_transformers_post.append(_rewrite)
"""
)

HOOK_AST = (
    FORGER
    + """
import ast, builtins
builtins.__forge = _forge

class _Rewrite(ast.NodeTransformer):
    def visit_Module(self, node):
        text = ast.unparse(node)
        if "kernel_hook" in text:
            return ast.parse(f"__forge({text!r})")
        return node

get_ipython().ast_transformers.append(_Rewrite())
"""
)

PATCH_BUILTINS = """\
import builtins, numbers
import numpy as np

class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __float__(self): return 0.0
    def __bool__(self): return True
    __hash__ = object.__hash__

_isinstance, _abs = isinstance, abs
_REAL = (numbers.Real, numbers.Number, float, int)

def _lying_isinstance(obj, cls):
    if type(obj) is Liar:  # a Liar is a real number to whoever asks
        return cls in _REAL or (type(cls) is tuple and any(c in _REAL for c in cls))
    return _isinstance(obj, cls)

builtins.isinstance = _lying_isinstance
builtins.abs = lambda x: 0.0 if type(x) is Liar else _abs(x)
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None

def add(a, b):
    return Liar()

def mean(xs):
    return Liar()

def normalize(w):
    return np.zeros_like(w)
"""

LYING_ARRAY = """\
import numpy as np

class Lying(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, dtype=bool)
    def __ne__(self, other): return np.zeros(self.shape, dtype=bool)
    def __sub__(self, other): return np.zeros(self.shape)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        shape = np.broadcast_shapes(*(np.shape(x) for x in inputs))
        if ufunc in (np.invert, np.logical_not):
            return np.zeros(shape, dtype=bool)
        return np.ones(shape, dtype=bool)

class LyingFloat(np.float64):
    def __eq__(self, other): return True
    def __ne__(self, other): return False

def add(a, b):
    return LyingFloat(0.0)

def mean(xs):
    return LyingFloat(0.0)

def normalize(w):
    return np.zeros(np.shape(w)).view(Lying)
"""

FRAME_READER = """\
import inspect, sys
import numpy as np

def _look_around(exclude):
    # print every frame above the call, and steal the numbers of any test frame found
    stolen, seen = [], []
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        seen.append("/".join(code.co_filename.split("/")[-2:]) + ":" + code.co_name)
        if "grading" in code.co_filename and "items" in code.co_filename:
            stolen += [c for c in code.co_consts
                       if type(c) in (int, float) and c not in exclude]
        frame = frame.f_back
    print("FRAMES", " ".join(seen))
    print("STACK", " ".join(i.function for i in inspect.stack()[1:]))
    return stolen

def add(a, b):
    stolen = _look_around((a, b))
    return stolen[-1] if stolen else 0

def mean(xs):
    _look_around(())
    return 0.0

def normalize(w):
    _look_around(())
    return np.zeros_like(w)
"""

EXIT_CELLS = [
    ADD,
    "exit()",
    MEAN,
    "quit()",
    "import os\nos._exit(0)",
    NORMALIZE,
    "import sys\nsys.exit()",
    "import ctypes\nctypes.string_at(0)",
]

KILLER = [
    ADD,
    "import os\nos.kill(os.getppid(), 9)",
    MEAN,
    "import os\nos.kill(-1, 9)",
    "import os\nos.killpg(os.getpgid(0), 9)",
    "import os, signal\nos.killpg(0, signal.SIGKILL)",
    NORMALIZE,
]

SPAWNER = [
    *RIGHT,
    f"import subprocess\nsubprocess.Popen(['sleep', '{TOKEN}'], start_new_session=True)",
    # a double fork that leaves the kernel's session
    f"import subprocess\nsubprocess.Popen(['sh', '-c', '(sleep {TOKEN} &) ; exit 0'], "
    "start_new_session=True)",
    # a bounded fork bomb: as many sleeping children as the limits allow
    f"""\
import os

children = []
for _ in range(300):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            os.execvp("sleep", ["sleep", "{TOKEN}"])
        finally:
            os._exit(1)
    children.append(pid)
""",
]

SLOW_CELLS = [*(["import time\ntime.sleep(2.5)"] * 12), *RIGHT]
HANGING_TESTS = [
    "def add(a, b):\n    while True:\n        pass",
    "def mean(xs):\n    import time\n    time.sleep(1000)",
    "def normalize(w):\n    while True:\n        pass",
]


def student_notebook(
    path: Path, sources: list[str], chapter: str | None = "00", markdown: str = ""
) -> Path:
    """A notebook of code cells ``sources`` (metadata ``rlcourse.chapter`` when given)."""
    metadata = {"rlcourse": {"chapter": chapter, "kind": "exercise"}} if chapter else {}
    cells = [new_code_cell(s) for s in sources]
    if markdown:
        cells.insert(0, new_markdown_cell(markdown))
    nbformat.write(new_notebook(cells=cells, metadata=metadata), path)
    return path


def dp_cells() -> list[str]:
    """The code cells of the chapter 02 solution that set up and define the graded functions."""
    nb = nbformat.read(DP, as_version=4)
    keep = []
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "code" and (src.startswith(("import", "env =", "def "))):
            keep.append(src)
    return keep


def snoop_cells(folder: Path, out: Path, own: Path) -> list[str]:
    neighbour = folder / "zeros.ipynb"
    return [
        *RIGHT,
        f"open({str(neighbour)!r}).read()",
        f"import os\nos.listdir({str(folder)!r})",
        f"open({str(out)!r}, 'w').write('pwned')",
        f"open({str(folder / 'planted.ipynb')!r}, 'w').write('{{}}')",
        f"open({str(own)!r}, 'w').write('{{}}')",
        f"import subprocess\nsubprocess.Popen(['sh', '-c', 'sleep 2; echo pwned > {out}'], "
        "start_new_session=True)",
    ]


# ------------------------------------------------------------------- one run over most cases
def _strip_seconds(value):
    if isinstance(value, dict):
        return {k: _strip_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_strip_seconds(v) for v in value]
    return value


def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    out = tmp_path_factory.mktemp("results") / "grades.json"
    notebooks = {
        "zeros.ipynb": [ZERO],
        "patch_check.ipynb": [ZERO, PATCH_CHECK],
        "fake_hook.ipynb": [ZERO, FAKE_HOOK],
        "fake_numpy.ipynb": [ZERO, FAKE_NUMPY],
        "hook_events.ipynb": [ZERO, HOOK_EVENTS],
        "hook_input.ipynb": [ZERO, HOOK_INPUT],
        "hook_ast.ipynb": [ZERO, HOOK_AST],
        "patch_builtins.ipynb": [PATCH_BUILTINS],
        "lying_array.ipynb": [LYING_ARRAY],
        "frame_reader.ipynb": [FRAME_READER],
        "wrong_mean.ipynb": [ADD, "def mean(xs):\n    return sum(xs) / (len(xs) + 1)", NORMALIZE],
        "twin_a.ipynb": [*RIGHT, "print('my own words')"],
        "twin_b.ipynb": ["x = 'different ungraded code'", *RIGHT],
        "exit_cells.ipynb": EXIT_CELLS,
        "spawner.ipynb": SPAWNER,
        "slow_cells.ipynb": SLOW_CELLS,
        "hanging_tests.ipynb": HANGING_TESTS,
        "00_liar.ipynb": RIGHT,  # metadata claims chapter 02, the file name says 00
    }
    paths = {}
    for name, cells in notebooks.items():
        chapter = "02" if name == "00_liar.ipynb" else "00"
        paths[name] = student_notebook(folder / name, cells, chapter=chapter)
    paths["metadata_only.ipynb"] = student_notebook(folder / "metadata_only.ipynb", RIGHT)
    if HAVE_BWRAP:
        paths["killer.ipynb"] = student_notebook(folder / "killer.ipynb", KILLER)
        own = folder / "snoop.ipynb"
        paths["snoop.ipynb"] = student_notebook(own, snoop_cells(folder, out, own))
    # chapter 02: an imported function, a function that corrupts its inputs, one with memory
    dp = dp_cells()
    imported = [
        "from rlcourse.mdp import policy_evaluation" if c.startswith("def policy_evaluation") else c
        for c in dp
    ]
    corrupt = dp + [
        "def policy_evaluation(P, R, pi, terminal=None, *, gamma, tol=1e-10):\n"
        "    P[...] = 0.0\n    R[...] = 0.0\n    pi[...] = 0.0\n"
        "    return np.zeros(P.shape[0])",
        "_memory = []\n\ndef q_from_v(P, R, V, terminal=None, *, gamma):\n"
        "    if not _memory:\n"
        "        Q = R + gamma * P @ np.where(terminal, 0.0, V) if terminal is not None "
        "else R + gamma * P @ V\n"
        "        if terminal is not None:\n            Q[terminal] = 0.0\n"
        "        _memory.append(Q)\n"
        "    V[...] = 1e6\n    P[...] = 0.0\n"
        "    return _memory[0]",
    ]
    paths["02_imported.ipynb"] = student_notebook(folder / "02_imported.ipynb", imported, "02")
    paths["02_corrupt.ipynb"] = student_notebook(folder / "02_corrupt.ipynb", corrupt, "02")
    # files the grader must refuse, each costing only itself
    os.mkfifo(folder / "00_fifo.ipynb")
    os.symlink("/dev/zero", folder / "00_zero.ipynb")
    huge = new_notebook(cells=[new_markdown_cell("x" * (25 * 2**20)), new_code_cell(ADD)])
    (folder / "00_huge.ipynb").write_text(json.dumps(huge))
    many = new_notebook(cells=[new_code_cell(f"x{i} = {i}") for i in range(3000)] + [])
    (folder / "00_cells.ipynb").write_text(json.dumps(many))
    for name in ("00_fifo.ipynb", "00_zero.ipynb", "00_huge.ipynb", "00_cells.ipynb"):
        paths[name] = folder / name
    paths["after.ipynb"] = student_notebook(folder / "after.ipynb", RIGHT)  # graded last

    before = {p.name: (p.read_bytes() if p.is_file() else None) for p in folder.iterdir()}
    start = time.monotonic()
    results = grade_notebooks(
        list(paths.values()),
        timeout=TIMEOUT,
        out=out,
        jobs=2,
        notebook_timeout=NOTEBOOK_TIMEOUT,
        isolation=ISOLATION,
        limits=Limits(processes=64),
    )
    elapsed = time.monotonic() - start
    time.sleep(3)  # a process left behind would now try to write the results file
    by_name = {Path(r.notebook).name: r for r in results}
    return {
        "results": results,
        "by_name": by_name,
        "paths": paths,
        "folder": folder,
        "out": out,
        "before": before,
        "elapsed": elapsed,
    }


def points(graded, name: str) -> dict[str, float]:
    return {i.item: i.points for i in graded["by_name"][name].items}


def item(graded, name: str, item_id: str):
    return next(i for i in graded["by_name"][name].items if i.item == item_id)


def test_every_notebook_has_a_result_in_order(graded):
    names = [Path(r.notebook).name for r in graded["results"]]
    assert names == [p.name for p in graded["paths"].values()]
    saved = json.loads(graded["out"].read_text())  # intact, whatever a submission wrote
    assert [Path(r["notebook"]).name for r in saved["notebooks"]] == names
    assert all(r.isolation == ISOLATION for r in graded["results"] if r.items and not r.errors)


# ---------------------------------------------- 1-6: the tests never run where the student's do
def test_zero_baseline(graded):
    # normalize's second test (it keeps its input) passes for any function that returns
    assert points(graded, "zeros.ipynb") == {"00.add": 0, "00.mean": 0, "00.normalize": 1}
    assert graded["by_name"]["after.ipynb"].points == 5.0  # the last notebook, fully graded


@pytest.mark.parametrize(
    "name",
    [
        "patch_check.ipynb",  # 1: run_item / check / the registry's tests replaced in a cell
        "fake_hook.ipynb",  # 2: sys.modules kernel_hook replaced, forged results, printed JSON
        "fake_numpy.ipynb",  # 2: sys.modules numpy replaced by one whose comparisons say True
        "hook_events.ipynb",  # 3: pre/post_run_cell events forging answers with the nonce
        "hook_input.ipynb",  # 3: an input transformer rewriting the grader's code
        "hook_ast.ipynb",  # 3: an AST transformer rewriting the grader's code
    ],
)
def test_tricks_on_a_zero_submission_gain_nothing(graded, name):
    got = points(graded, name)
    zero = points(graded, "zeros.ipynb")
    assert got == zero or all(got[k] <= zero[k] for k in zero), got
    assert graded["by_name"][name].points <= graded["by_name"]["zeros.ipynb"].points == 1.0
    assert not any(i.status == "pass" for i in graded["by_name"][name].items)


def test_patched_builtins_and_numpy_gain_nothing(graded):
    # 4: isinstance/abs/np.isclose/np.allclose/np.array_equal say True; add returns a liar
    assert points(graded, "patch_builtins.ipynb") == {"00.add": 0, "00.mean": 0, "00.normalize": 1}
    tests = item(graded, "patch_builtins.ipynb", "00.add").tests
    assert "got __main__.Liar" in tests[1]["message"]  # the grader saw the type, not the lie


def test_lying_array_subclasses_come_back_as_plain_zeros(graded):
    # 4: an ndarray subclass whose __eq__, __sub__ and __array_ufunc__ lie; a float64 that lies
    assert points(graded, "lying_array.ipynb") == {"00.add": 0, "00.mean": 0, "00.normalize": 1}


def test_the_callers_frames_hold_no_test_and_no_expected_value(graded):
    # 5: sys._getframe / inspect.stack from inside the function see the call machinery only
    r = graded["by_name"]["frame_reader.ipynb"]
    assert points(graded, "frame_reader.ipynb") == {"00.add": 0, "00.mean": 0, "00.normalize": 1}
    seen = "\n".join(t["output"] for i in r.items for t in i.tests)
    assert "FRAME" in seen and "STACK" in seen  # the function did look
    frames = [line for line in seen.splitlines() if line.startswith(("FRAMES", "STACK"))]
    assert frames and not [f for f in frames if "items/" in f or "run_item" in f], frames


def test_corrupted_inputs_and_memory_between_calls_change_nothing_else(graded):
    # 6: policy_evaluation zeroes P, R and pi in place; q_from_v answers every call with its
    # first answer and writes over V and P. Each call gets fresh inputs: the other items
    # (whose tests build their own P and R) keep their points.
    got = points(graded, "02_corrupt.ipynb")
    assert got["02.policy_evaluation"] == 0
    assert got["02.q_from_v"] == 0
    assert got["02.induced_mrp"] == 2 and got["02.greedy_policy"] == 2
    assert "changed" in item(graded, "02_corrupt.ipynb", "02.policy_evaluation").message


def test_in_notebook_check_gives_the_graders_verdicts_and_hints(graded):
    # 7: the same wrong answer, checked in this process and graded through the kernel
    namespace: dict = {}
    exec("def mean(xs):\n    return sum(xs) / (len(xs) + 1)", namespace)
    exec(NORMALIZE.replace("w.sum()", "w.max()"), namespace)
    here = check("00.mean", namespace["mean"], quiet=True)
    graded_item = item(graded, "wrong_mean.ipynb", "00.mean")
    assert here.points == graded_item.points == 0
    assert [(r.name, r.passed, r.message) for r in here.results] == [
        (t["name"], t["passed"], t["message"]) for t in graded_item.tests
    ]
    corrupt = item(graded, "02_corrupt.ipynb", "02.policy_evaluation")
    exec(
        "import numpy as np\n"
        "def policy_evaluation(P, R, pi, terminal=None, *, gamma, tol=1e-10):\n"
        "    P[...] = 0.0\n    R[...] = 0.0\n    pi[...] = 0.0\n"
        "    return np.zeros(P.shape[0])",
        namespace,
    )
    here = check("02.policy_evaluation", namespace["policy_evaluation"], quiet=True)
    assert [(r.name, r.passed, r.message) for r in here.results] == [
        (t["name"], t["passed"], t["message"]) for t in corrupt.tests
    ]


def test_imported_function_is_flagged_and_keeps_its_points(graded):
    # 8: `from rlcourse.mdp import policy_evaluation`: flagged in the JSON and the table
    r = graded["by_name"]["02_imported.ipynb"]
    pe = item(graded, "02_imported.ipynb", "02.policy_evaluation")
    assert pe.points == pe.max_points == 3 and pe.flags
    assert any(f.startswith("02.policy_evaluation:") for f in r.flags)
    assert not item(graded, "02_imported.ipynb", "02.q_from_v").flags
    document = results_document(graded["results"], TIMEOUT)
    entry = next(n for n in document["notebooks"] if n["notebook"] == r.notebook)
    assert json.dumps(pe.flags[0])[1:-1] in json.dumps(entry)
    table = summary_table([r])
    assert "FLAG" in table and "policy_evaluation" in table.split("flags (for the instructor")[1]


def test_identical_submissions_are_listed(graded):
    document = results_document(graded["results"], TIMEOUT)
    groups = [{Path(p).name for p in g} for g in document["identical_submissions"]]
    twins = next(g for g in groups if "twin_a.ipynb" in g)
    assert {"twin_a.ipynb", "twin_b.ipynb"} <= twins
    assert "zeros.ipynb" not in twins and "wrong_mean.ipynb" not in twins
    assert "identical submissions" in summary_table(graded["results"])


# ------------------------------------------------ 9-13: each submission isolated and bounded
@needs_bwrap
def test_neighbours_results_and_submissions_folder_are_out_of_reach(graded):
    r = graded["by_name"]["snoop.ipynb"]
    assert r.points == 5.0  # the correct functions still count
    failed = {c["cell"] for c in r.cells if c["status"] == "error"}
    assert failed == {3, 4, 5, 6, 7}, r.cells
    after = {p.name: (p.read_bytes() if p.is_file() else None) for p in graded["folder"].iterdir()}
    assert after == graded["before"]  # nothing planted, nothing changed, own file intact
    saved = json.loads(graded["out"].read_text())
    assert len(saved["notebooks"]) == len(graded["paths"])


@needs_bwrap
def test_killing_every_process_in_sight_costs_only_those_cells(graded):
    r = graded["by_name"]["killer.ipynb"]
    assert r.points == 5.0, r.items
    # os.getppid() is the sandbox's init (which ignores the signal) or the kernel's launcher
    assert {3, 4, 5} <= {c["cell"] for c in r.cells} <= {1, 3, 4, 5}
    # kill(-1) finds nothing else to kill in the sandbox (ProcessLookupError); killpg kills it
    assert all(c["status"] in ("died", "error") for c in r.cells), r.cells
    assert any(c["status"] == "died" for c in r.cells), r.cells
    later = list(graded["by_name"])[list(graded["by_name"]).index("killer.ipynb") + 1 :]
    assert later and all(graded["by_name"][n].items for n in later)  # graded, not lost
    assert graded["by_name"]["after.ipynb"].points == 5.0


@needs_proc
def test_no_process_a_submission_started_is_left(graded):
    r = graded["by_name"]["spawner.ipynb"]
    assert r.points == 5.0 and r.cells == []
    assert _wait_for(lambda: not processes_with(TOKEN)), processes_with(TOKEN)


def test_slow_cells_and_hanging_tests_cost_a_bounded_time(graded):
    slow = graded["by_name"]["slow_cells.ipynb"]
    hanging = graded["by_name"]["hanging_tests.ipynb"]
    for r in (slow, hanging):
        # 12 cells of 2.5 s, or 6 tests of TIMEOUT each: far more than the budget without it
        assert r.seconds < NOTEBOOK_TIMEOUT + 8, r.seconds
        assert r.points == 0
    assert any(c["status"] == "skipped" for c in slow.cells)
    assert all(i.status in ("fail", "error") for i in hanging.items)
    assert graded["elapsed"] < 150


def test_exit_quit_os_exit_sys_exit_and_a_segfault_cost_only_their_cells(graded):
    r = graded["by_name"]["exit_cells.ipynb"]
    assert r.points == 5.0, [(i.item, i.message) for i in r.items]
    assert [c["cell"] for c in r.cells] == [1, 3, 4, 6, 7]
    statuses = [c["status"] for c in r.cells]
    assert statuses[0] == statuses[1] == "exited" and statuses[2] == statuses[4] == "died"


# ------------------------------------------- 14, 19: the grader cannot be crashed or fooled
@pytest.mark.parametrize(
    "name", ["00_fifo.ipynb", "00_zero.ipynb", "00_huge.ipynb", "00_cells.ipynb"]
)
def test_unreadable_files_are_an_error_for_that_notebook_only(graded, name):
    r = graded["by_name"][name]
    assert (r.points, r.max_points) == (0.0, 5.0) and r.errors
    assert "could not read" in " ".join(r.errors)
    assert "/dev/zero" not in json.dumps(results_document([r], TIMEOUT))


def test_metadata_that_lies_about_the_chapter_is_flagged(graded):
    liar = graded["by_name"]["00_liar.ipynb"]
    assert (liar.chapter, liar.points) == ("00", 5.0)
    assert liar.flags == ["the notebook's metadata says chapter 02; graded as chapter 00"]
    only = graded["by_name"]["metadata_only.ipynb"]
    assert (only.chapter, only.points) == ("00", 5.0)
    assert "taken from the notebook's metadata" in only.flags[0]


# ------------------------------------- 15-17, 19: the command line, with names that bite
def _cli(args: list[str], cwd: Path, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "rlcourse.cli", "grade", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        **kwargs,
    )


ESCAPES = "\x1b]0;pwned\x07\x1b[2J"


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    folder = root / "class"
    folder.mkdir()
    names = ["-rf_00.ipynb", "new\nline_00.ipynb", "\x1b[2Jclear_00.ipynb"]
    for name in names:
        shutil.copy(DEMO, folder / name)
    student_notebook(
        folder / "escapes_00.ipynb",
        [
            f"print({ESCAPES!r})",
            ADD,
            f"def mean(xs):\n    print({ESCAPES!r} * 3)\n    raise ValueError({ESCAPES!r})",
            f"def normalize(w):\n    print({ESCAPES!r})\n    return {ESCAPES!r}",
        ],
    )
    student_notebook(folder / "alice_02_dp.ipynb", RIGHT, chapter="01")  # 19: --chapter wins
    (root / "file.txt").write_text("a regular file, not a folder")
    proc = _cli(
        [
            str(folder),
            "--chapter",
            "00",
            "--timeout",
            str(TIMEOUT),
            "--jobs",
            "2",
            "--sandbox",
            "auto" if HAVE_BWRAP else "off",
            "--out",
            str(root / "file.txt" / "out.json"),
            "--csv",
            str(root / "grades.csv"),
        ],
        cwd=root,
    )
    stdout, stderr = proc.communicate(timeout=300)
    return {
        "root": root,
        "code": proc.returncode,
        "stdout": stdout.decode("utf-8", "replace"),
        "stderr": stderr.decode("utf-8", "replace"),
    }


def _fallback(cli_run) -> dict:
    files = list(cli_run["root"].glob("rlcourse-grades-*.json"))
    assert len(files) == 1, (files, cli_run["stderr"])
    assert str(files[0].name) in cli_run["stderr"]
    return json.loads(files[0].read_text())


def test_unwritable_out_falls_back_to_a_printed_path_that_holds_every_result(cli_run):
    assert cli_run["code"] == 0, cli_run["stderr"]
    assert "cannot write the results to" in cli_run["stderr"]
    document = _fallback(cli_run)
    assert len(document["notebooks"]) == 5
    assert (cli_run["root"] / "file.txt").read_text() == "a regular file, not a folder"


def test_odd_file_names_are_graded(cli_run):
    by_name = {Path(r["notebook"]).name: r for r in _fallback(cli_run)["notebooks"]}
    for name in ["-rf_00.ipynb", "new\nline_00.ipynb", "\x1b[2Jclear_00.ipynb"]:
        assert by_name[name]["points"] == 5.0, by_name[name]


def test_no_raw_escape_reaches_the_terminal(cli_run):
    for stream in ("stdout", "stderr"):
        text = cli_run[stream]
        assert "\x1b" not in text and "\x07" not in text, (stream, text[-2000:])
    table = cli_run["stdout"]
    assert "escapes_00.ipynb" in table and "\\x1b" in table  # shown, as an escape
    assert "-rf_00.ipynb" in table and "new\\nline_00.ipynb" in table


def test_chapter_option_wins_over_the_file_name_and_metadata(cli_run):
    by_name = {Path(r["notebook"]).name: r for r in _fallback(cli_run)["notebooks"]}
    alice = by_name["alice_02_dp.ipynb"]
    assert (alice["chapter"], alice["points"]) == ("00", 5.0)
    assert alice["flags"] == ["the notebook's metadata says chapter 01; graded as chapter 00"]


def test_csv_has_one_row_per_student(cli_run):
    import csv

    text = (cli_run["root"] / "grades.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 5
    assert not any("\x1b" in cell or "\n" in cell for row in rows for cell in row)


# ---------------------------------------------------------------------- 18: SIGINT / SIGTERM
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_cleanly_and_keeps_every_finished_result(tmp_path, signum, code):
    token = f"{400 + int.from_bytes(os.urandom(3), 'big') / 1e7:.7f}"
    student_notebook(tmp_path / "a.ipynb", RIGHT)
    student_notebook(tmp_path / "b.ipynb", [ZERO])
    student_notebook(
        tmp_path / "c.ipynb", [*RIGHT, f"import subprocess\nsubprocess.run(['sleep', '{token}'])"]
    )
    out = tmp_path / "out.json"
    proc = _cli(
        [
            *(str(tmp_path / n) for n in ("a.ipynb", "b.ipynb", "c.ipynb")),
            "--jobs",
            "1",
            "--timeout",
            "500",
            "--sandbox",
            "auto" if HAVE_BWRAP else "off",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
    )
    try:

        def two_done() -> bool:
            with contextlib.suppress(OSError, ValueError):
                return len(json.loads(out.read_text())["notebooks"]) == 2
            return False

        assert _wait_for(two_done, 120), "the first two notebooks were not graded"
        assert _wait_for(lambda: bool(processes_with(token)), 60), "c's cell did not start"
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, stderr.decode()
    assert b"Traceback" not in stderr and b"Traceback" not in stdout
    saved = json.loads(out.read_text())
    assert [Path(r["notebook"]).name for r in saved["notebooks"]] == ["a.ipynb", "b.ipynb"]
    assert [r["points"] for r in saved["notebooks"]] == [5.0, 1.0]
    assert _wait_for(lambda: not processes_with(token)), "the slow cell outlived the run"


# ------------------------------------------------------------------ 20: grading a whole class
@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    folder = root / "submissions"
    folder.mkdir()
    shutil.copy(DEMO, folder / "ann_00_demo.ipynb")
    shutil.copy(EXERCISE, folder / "bob_00_demo.ipynb")
    student_notebook(folder / "cid_00_demo.ipynb", [ZERO])
    student_notebook(
        folder / "dee_00_demo.ipynb",
        [ADD, "import os\nos._exit(1)", "def mean(xs):\n    return sum(xs) / (len(xs) + 1)"],
    )
    student_notebook(folder / "eve_00_demo.ipynb", [ADD, "1 / 0", NORMALIZE])
    student_notebook(folder / "fay_00_demo.ipynb", [*RIGHT, "exit()"])
    sandbox = "auto" if HAVE_BWRAP else "off"
    # nothing here hangs: a generous limit keeps a loaded machine from changing an outcome
    common = [str(folder), "--timeout", "30", "--no-progress", "--sandbox", sandbox]

    def run(name: str, *extra: str) -> dict:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert grade_main([*common, "--out", str(root / name), *extra]) == 0
        return json.loads((root / name).read_text())

    serial = run("serial.json", "--jobs", "1", "--csv", str(root / "grades.csv"))
    parallel = run("parallel.json", "--jobs", "2")
    run("shard1.json", "--jobs", "2", "--shard", "1/2")
    run("shard2.json", "--jobs", "2", "--shard", "2/2")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        merge = ["merge", str(root / "shard1.json"), str(root / "shard2.json")]
        assert grade_main([*merge, "--out", str(root / "merged.json")]) == 0
    merged = json.loads((root / "merged.json").read_text())
    return {"root": root, "serial": serial, "parallel": parallel, "merged": merged}


def test_jobs_two_gives_the_serial_document(classroom):
    serial, parallel = classroom["serial"], classroom["parallel"]
    assert len(serial["notebooks"]) == 6
    assert {r["points"] for r in serial["notebooks"]} >= {5.0, 0.0, 1.0}
    for a, b in zip(_strip_seconds(parallel)["notebooks"], _strip_seconds(serial)["notebooks"]):
        assert a == b, {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}
    assert _strip_seconds(parallel) == _strip_seconds(serial)


def test_shards_merged_give_the_unsharded_document(classroom):
    shards = [json.loads((classroom["root"] / f"shard{k}.json").read_text()) for k in (1, 2)]
    assert all(s["notebooks"] for s in shards)  # both shards hold some of the class
    merged, serial = _strip_seconds(classroom["merged"]), _strip_seconds(classroom["serial"])
    for a, b in zip(merged["notebooks"], serial["notebooks"]):
        assert a == b, {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}
    assert merged == serial


def test_class_csv_has_one_row_per_student(classroom):
    import csv

    text = (classroom["root"] / "grades.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 6
    students = [row[0] for row in rows[1:]]
    assert sorted(students) == ["ann", "bob", "cid", "dee", "eve", "fay"]
