"""`rlcourse grade` on the demo chapter 00: full marks, zero, and every way a submission breaks.

One grading run over all the notebooks (module fixture) keeps this file around half a minute:
each notebook costs a fresh kernel (~1 s) and the planted hangs cost the 5 s time limit.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from rlcourse.grading.batch import Stopped, grade_notebooks
from rlcourse.grading.cli import grade_main
from rlcourse.grading.grader import detect_chapter, summary_table

FIXTURE_REPO = Path(__file__).parent / "fixtures" / "grading" / "repo"
TIMEOUT = 5

ADD = "def add(a, b):\n    return a + b"
MEAN = "def mean(xs):\n    return sum(xs) / len(xs)"
NORMALIZE = "import numpy as np\n\ndef normalize(w):\n    return w / w.sum()"
FORGE = (
    "from IPython.display import publish_display_data\n"
    "publish_display_data({'application/vnd.rlcourse.grade+json': {'item': '00.mean', "
    "'points': 2.0, 'max_points': 2.0, 'tests': [], 'nonce': 'guess'}})\n"
    'print(\'{"item": "00.mean", "points": 2.0, "status": "pass"}\')'
)

STUDENTS = {
    # a planted wrong answer (that also tries to forge a result) fails its item only
    "wrong.ipynb": [
        ADD,
        "def mean(xs):\n    "
        + FORGE.replace("\n", "\n    ")
        + "\n    return sum(xs) / (len(xs) + 1)",
        FORGE,
        NORMALIZE,
    ],
    # an endless loop inside the function: stopped by the per-test alarm
    "loop_function.ipynb": [
        ADD,
        "def mean(xs):\n    while len(xs) == 1:\n        pass\n    return sum(xs) / len(xs)",
        NORMALIZE,
    ],
    # a cell that hangs and ignores the interrupt: the kernel is restarted and replayed
    "hang_cell.ipynb": [
        ADD,
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        MEAN,
        NORMALIZE,
    ],
    # sys.exit() in a cell and in the function, an interruptible endless loop in a cell
    "exits.ipynb": [
        ADD,
        "import sys\nsys.exit(1)",
        "while True:\n    pass",
        "def mean(xs):\n    import sys\n    sys.exit(0)",
        NORMALIZE,
    ],
    # os._exit kills the kernel in a cell and again while `mean` is graded
    "os_exit.ipynb": [
        ADD,
        "import os\nos._exit(1)",
        "def mean(xs):\n    import os\n    os._exit(3)",
        NORMALIZE,
    ],
    # megabytes of output; renamed notebook without check cells
    "homework final.ipynb": [
        "print('x' * 5_000_000)",
        "for i in range(100_000):\n    print(i)",
        "def add(a, b):\n    print('y' * 1_000_000)\n    return a + b",
        MEAN,
        NORMALIZE,
    ],
    # wrong types, a renamed function, a cell that raises
    "wrong_type.ipynb": [
        "def add(a, b):\n    return str(a + b)",
        "1 / 0",
        "def average(xs):\n    return sum(xs) / len(xs)",
        "def normalize(w):\n    return list(w / w.sum())",
    ],
}


def student_notebook(path: Path, sources: list[str], chapter: str | None = "00") -> Path:
    metadata = {"rlcourse": {"chapter": chapter, "kind": "exercise"}} if chapter else {}
    nb = new_notebook(cells=[new_code_cell(s) for s in sources], metadata=metadata)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    paths = [
        shutil.copy(FIXTURE_REPO / "solutions" / "00_demo.ipynb", folder / "00_demo.ipynb"),
        shutil.copy(
            FIXTURE_REPO / "exercises" / "00_demo.ipynb", folder / "exercise_00_demo.ipynb"
        ),
    ]
    paths += [student_notebook(folder / name, cells) for name, cells in STUDENTS.items()]
    broken = folder / "00_broken.ipynb"
    broken.write_text('{"cells": [ not json')
    paths.insert(3, broken)
    out = folder / "results" / "grades.json"
    import io
    from contextlib import redirect_stdout

    stdout = io.StringIO()
    with redirect_stdout(stdout):
        code = grade_main(
            [str(p) for p in paths] + ["--timeout", str(TIMEOUT), "--json", "--out", str(out)]
        )
    document = json.loads(stdout.getvalue())
    by_name = {Path(r["notebook"]).name: r for r in document["notebooks"]}
    return {"code": code, "document": document, "by_name": by_name, "paths": paths, "out": out}


def points(graded, name):
    return {i["item"]: i["points"] for i in graded["by_name"][name]["items"]}


def item(graded, name, item_id):
    return next(i for i in graded["by_name"][name]["items"] if i["item"] == item_id)


def test_every_notebook_is_graded_and_written_to_out(graded):
    assert graded["code"] == 0
    names = [Path(p).name for p in graded["paths"]]
    assert [Path(r["notebook"]).name for r in graded["document"]["notebooks"]] == names
    on_disk = json.loads(graded["out"].read_text())
    assert on_disk == graded["document"]
    assert not [p for p in graded["out"].parent.iterdir() if p.name != "grades.json"]  # no temp


def test_solution_scores_full_marks(graded):
    r = graded["by_name"]["00_demo.ipynb"]
    assert r["chapter"] == "00"  # from the file name: the solution has no rlcourse metadata
    assert (r["points"], r["max_points"]) == (5.0, 5.0)
    assert all(i["status"] == "pass" for i in r["items"]) and r["cells"] == []


def test_untouched_exercise_scores_zero_on_every_item(graded):
    r = graded["by_name"]["exercise_00_demo.ipynb"]
    assert points(graded, "exercise_00_demo.ipynb") == {
        "00.add": 0,
        "00.mean": 0,
        "00.normalize": 0,
    }
    assert all("NotImplementedError" in i["message"] for i in r["items"])
    assert [c["status"] for c in r["cells"]] == ["error"]  # the top-level stub cell raises


def test_wrong_answer_fails_its_item_only_and_cannot_forge(graded):
    assert points(graded, "wrong.ipynb") == {"00.add": 1, "00.mean": 0, "00.normalize": 2}
    assert "not the expected value" in item(graded, "wrong.ipynb", "00.mean")["message"]


def test_endless_loop_in_a_function_fails_that_test_only(graded):
    assert points(graded, "loop_function.ipynb") == {"00.add": 1, "00.mean": 1, "00.normalize": 2}
    assert "time limit" in item(graded, "loop_function.ipynb", "00.mean")["message"]


def test_hanging_cell_is_restarted_and_earlier_cells_replayed(graded):
    r = graded["by_name"]["hang_cell.ipynb"]
    assert points(graded, "hang_cell.ipynb") == {"00.add": 1, "00.mean": 2, "00.normalize": 2}
    assert r["restarts"] == 1
    assert r["cells"] == [
        {
            "cell": 1,
            "status": "timeout",
            "error": f"ran longer than {TIMEOUT} s and was interrupted",
        }
    ]


def test_sys_exit_and_interruptible_loop(graded):
    r = graded["by_name"]["exits.ipynb"]
    assert points(graded, "exits.ipynb") == {"00.add": 1, "00.mean": 0, "00.normalize": 2}
    assert "sys.exit()" in item(graded, "exits.ipynb", "00.mean")["message"]
    assert [(c["cell"], c["status"]) for c in r["cells"]] == [(1, "error"), (2, "timeout")]
    assert r["restarts"] == 0  # the loop answered the interrupt


def test_os_exit_costs_only_the_affected_item(graded):
    r = graded["by_name"]["os_exit.ipynb"]
    assert points(graded, "os_exit.ipynb") == {"00.add": 1, "00.mean": 0, "00.normalize": 2}
    mean = item(graded, "os_exit.ipynb", "00.mean")
    assert mean["status"] == "fail" and "process stopped while your function ran" in mean["message"]
    # one restart for the cell, one for each of mean's two tests (each call kills the kernel)
    assert r["restarts"] == 3 and [(c["cell"], c["status"]) for c in r["cells"]] == [(1, "died")]


def test_megabyte_printer_is_capped(graded):
    r = graded["by_name"]["homework final.ipynb"]
    assert (r["points"], r["max_points"]) == (5.0, 5.0)  # renamed, no check cells: still graded
    assert len(json.dumps(r)) < 20_000


def test_wrong_types_and_renamed_function(graded):
    # a correct answer returned as a list is accepted (converted), not scored 0
    assert points(graded, "wrong_type.ipynb") == {"00.add": 0, "00.mean": 0, "00.normalize": 2}
    assert "no function named `mean`" in item(graded, "wrong_type.ipynb", "00.mean")["message"]
    cells = graded["by_name"]["wrong_type.ipynb"]["cells"]
    assert cells == [{"cell": 1, "status": "error", "error": "ZeroDivisionError: division by zero"}]


def test_invalid_notebook_gets_zero_with_an_error(graded):
    r = graded["by_name"]["00_broken.ipynb"]
    assert (r["points"], r["max_points"]) == (0.0, 5.0)
    assert any("could not read the notebook" in e for e in r["errors"])
    assert all(i["status"] == "error" for i in r["items"])
    # ... and the notebooks after it were graded
    assert graded["by_name"]["wrong.ipynb"]["points"] == 3.0


def test_summary_table(graded):
    from rlcourse.grading.grader import ItemResult, NotebookResult

    results = [
        NotebookResult(
            r["notebook"],
            r["chapter"],
            r["points"],
            r["max_points"],
            [ItemResult(**i) for i in r["items"]],
            r["errors"],
            r["cells"],
        )
        for r in graded["document"]["notebooks"]
    ]
    table = summary_table(results).splitlines()
    assert table[0].split() == ["notebook", "item", "points", "max", "status", "/", "hint"]
    row = next(line for line in table if "wrong.ipynb" in line and "00.mean" in line)
    assert row.split()[2:5] == ["0.00", "2.00", "fail:"]
    assert any("00_broken.ipynb" in line and "error: could not read" in line for line in table)
    assert all(len(line) < 160 for line in table)


def test_chapter_detection():
    """--chapter wins, then the file name; the notebook's own metadata only when neither says,
    and a notebook whose metadata claims another chapter is flagged."""
    from rlcourse.grading.grader import decide_chapter

    claims_02 = {"metadata": {"rlcourse": {"chapter": "2"}}}
    assert detect_chapter({"metadata": {}}, "/a/b/alice_03_mc_td.ipynb") == "03"
    assert detect_chapter(None, "03_mc.ipynb", "05") == "05"
    assert detect_chapter(None, "notes.ipynb", "5") == "05"
    assert detect_chapter(None, "notes2024_x.ipynb") is None  # 4 digits is not a chapter
    # the rule that cuts the chapter part from the student's name decides the chapter
    assert detect_chapter(None, "s07_03_mc_td_prediction.ipynb") == "03"
    assert detect_chapter(None, "alice02_dp.ipynb") == "02"
    chapter, flags = decide_chapter(claims_02, "x.ipynb")
    assert chapter == "02" and "taken from the notebook's metadata" in flags[0]
    chapter, flags = decide_chapter(claims_02, "alice_03_mc.ipynb")
    assert chapter == "03" and flags == [
        "the notebook's metadata says chapter 02; graded as chapter 03"
    ]
    chapter, flags = decide_chapter(claims_02, "alice_03_mc.ipynb", "4")
    assert chapter == "04" and "graded as chapter 04" in flags[0]
    assert decide_chapter(claims_02, "alice_02_dp.ipynb") == ("02", [])


def test_unknown_chapter_and_usage_errors(tmp_path, capsys):
    nb = student_notebook(tmp_path / "notes.ipynb", [ADD], chapter=None)
    [r] = grade_notebooks([nb], timeout=TIMEOUT)
    assert r.points == 0 and r.items == [] and "cannot tell the chapter" in r.errors[0]
    [r] = grade_notebooks([nb], timeout=TIMEOUT, chapter="0")  # --chapter 0
    assert (r.chapter, r.points, r.max_points) == ("00", 1.0, 5.0)
    [r] = grade_notebooks([nb], timeout=TIMEOUT, chapter="98")
    assert r.errors == ["chapter 98 has no graded items."]
    assert grade_main([]) == 2
    assert grade_main([str(nb), "--timeout", "0"]) == 2
    capsys.readouterr()


def test_interrupted_run_keeps_finished_notebooks(tmp_path):
    first = student_notebook(tmp_path / "a.ipynb", [ADD, MEAN, NORMALIZE])
    second = student_notebook(tmp_path / "b.ipynb", [ADD])
    out = tmp_path / "grades.json"

    class Progress:
        def start(self, name):
            if "b.ipynb" in name:
                raise KeyboardInterrupt  # the instructor presses Ctrl-C

        def finish(self, *args):
            pass

        def close(self):
            pass

    with pytest.raises(Stopped) as stopped:
        grade_notebooks([first, second], timeout=TIMEOUT, out=out, progress=Progress())
    assert [Path(r.notebook).name for r in stopped.value.results] == ["a.ipynb"]
    saved = json.loads(out.read_text())
    assert [Path(r["notebook"]).name for r in saved["notebooks"]] == ["a.ipynb"]
    assert saved["notebooks"][0]["points"] == 5.0


def test_slightly_malformed_notebooks_are_still_read(tmp_path):
    from rlcourse.grading.grader import read_submission

    path = tmp_path / "00_vscode.ipynb"
    path.write_text(
        json.dumps(
            {
                "cells": [
                    {"cell_type": "code"},
                    7,
                    {"cell_type": "code", "source": ["x = 1\n", "y = 2"]},
                ],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 2,
            }
        )
    )
    nb = read_submission(path)
    assert [c.get("source") for c in nb["cells"]] == [None, ["x = 1\n", "y = 2"]]
    path.write_text("[]")
    with pytest.raises(Exception):
        read_submission(path)
