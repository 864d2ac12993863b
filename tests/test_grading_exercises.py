"""The exercise generator: solutions/NN_name.ipynb -> exercises/NN_name.ipynb."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from rlcourse.grading.cli import exercises_main
from rlcourse.grading.exercises import (
    ExerciseMarkupError,
    find_root,
    generate_exercise,
    stub_source,
)

FIXTURE_REPO = Path(__file__).parent / "fixtures" / "grading" / "repo"
REPO = Path(__file__).resolve().parent.parent


def test_region_inside_a_function_becomes_a_stub_and_the_rest_stays():
    source = (
        'def mean(xs):\n    """Average."""\n    n = len(xs)\n'
        "    ### BEGIN SOLUTION\n    total = sum(xs)\n    ### END SOLUTION\n"
        "    return total / n"
    )
    assert stub_source(source, "03") == (
        'def mean(xs):\n    """Average."""\n    n = len(xs)\n'
        "    # YOUR CODE HERE\n"
        '    raise NotImplementedError("Exercise 03: implement mean")\n'
        "    return total / n"
    )


def test_stub_indentation_description_and_several_regions():
    source = (
        "class Agent:\n    def act(self, s):\n        if s:\n"
        "            ### BEGIN SOLUTION: the greedy action\n            return 1\n"
        "            ### END SOLUTION\n        return 0\n\n"
        "x = 1\n### BEGIN SOLUTION\ny = x + 1\n### END SOLUTION\n"
    )
    assert stub_source(source, "04").split("\n") == [
        "class Agent:",
        "    def act(self, s):",
        "        if s:",
        "            # YOUR CODE HERE",
        '            raise NotImplementedError("Exercise 04: implement the greedy action")',
        "        return 0",
        "",
        "x = 1",
        "# YOUR CODE HERE",
        'raise NotImplementedError("Exercise 04: implement this cell")',
        "",
    ]


def test_unmarked_code_is_untouched():
    source = "import numpy as np\n\n\ndef f(x):  # ### not a marker\n    return x  \n"
    assert stub_source(source, "01") == source


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "no matching '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION\n", "without a '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
    ],
)
def test_unpaired_markers_are_errors_naming_the_cell(source, fragment):
    with pytest.raises(ExerciseMarkupError, match=fragment) as e:
        stub_source(source, "01", where="01_x.ipynb, cell 4")
    assert "01_x.ipynb, cell 4" in str(e.value)


def test_generated_fixture_exercise(tmp_path):
    solution = nbformat.read(FIXTURE_REPO / "solutions" / "00_demo.ipynb", as_version=4)
    text = generate_exercise(FIXTURE_REPO / "solutions" / "00_demo.ipynb")
    exercise = nbformat.reads(text, as_version=4)
    assert exercise.metadata["rlcourse"] == {"chapter": "00", "kind": "exercise"}
    assert exercise.metadata["kernelspec"] == solution.metadata["kernelspec"]
    # the SOLUTION-ONLY cell is gone, every other cell keeps its solution id, in order
    kept = [c.id for c in solution.cells if c.id != "sanity"]
    assert [c.id for c in exercise.cells] == kept
    by_id = {c.id: c for c in exercise.cells}
    for c in exercise.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
            assert "execution" not in c.metadata
            assert "SOLUTION" not in c.source
    assert "return a + b" not in by_id["add"].source
    assert 'raise NotImplementedError("Exercise 00: implement add")' in by_id["add"].source
    assert by_id["mean"].source.endswith("    return total / n")  # after END stays
    assert "n = len(xs)  # given to the student" in by_id["mean"].source
    assert "divide by the total weight" in by_id["normalize"].source
    for cid in ("imports", "check-add", "check-mean", "check-normalize"):  # unmarked code
        assert by_id[cid].source == next(c.source for c in solution.cells if c.id == cid)
    assert "So that the probabilities" not in by_id["question"].source
    assert by_id["question"].source.endswith("*Your answer here.*")


def test_generation_is_deterministic_and_matches_the_committed_fixture():
    path = FIXTURE_REPO / "solutions" / "00_demo.ipynb"
    first, second = generate_exercise(path), generate_exercise(path)
    assert first == second
    assert first.encode() == (FIXTURE_REPO / "exercises" / "00_demo.ipynb").read_bytes()
    json.loads(first)  # plain JSON, sorted keys
    assert first.index('"cell_type"') < first.index('"id"') < first.index('"metadata"')


def test_check_detects_drift_and_regeneration_fixes_it(tmp_path, capsys):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE_REPO, root)
    assert exercises_main(["--check", "--root", str(root)]) == 0
    assert "up to date" in capsys.readouterr().out

    # a maintainer edits a solution but forgets to regenerate
    sol = root / "solutions" / "00_demo.ipynb"
    nb = nbformat.read(sol, as_version=4)
    nb.cells[1].source += "\nimport math"
    nbformat.write(nb, sol)
    # a second solution without its exercise, and an exercise whose solution is gone
    shutil.copy(sol, root / "solutions" / "01_more.ipynb")
    (root / "exercises" / "07_old.ipynb").write_text(
        (root / "exercises" / "00_demo.ipynb").read_text()
    )
    assert exercises_main(["--check", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "exercises/00_demo.ipynb (differs)" in out
    assert "exercises/01_more.ipynb (missing)" in out
    assert "exercises/07_old.ipynb (no solution)" in out

    before = (root / "exercises" / "00_demo.ipynb").read_bytes()
    assert exercises_main(["--root", str(root)]) == 0
    assert "wrote exercises/00_demo.ipynb" in capsys.readouterr().out
    assert (root / "exercises" / "00_demo.ipynb").read_bytes() != before
    assert not (root / "exercises" / "07_old.ipynb").exists()
    assert exercises_main(["--check", "--root", str(root)]) == 0
    snapshot = {p.name: p.read_bytes() for p in (root / "exercises").iterdir()}
    assert exercises_main(["--root", str(root)]) == 0  # idempotent: nothing rewritten
    assert {p.name: p.read_bytes() for p in (root / "exercises").iterdir()} == snapshot
    assert "up to date" in capsys.readouterr().out


def test_root_is_found_from_the_working_directory(tmp_path, monkeypatch, capsys):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE_REPO, root)
    (root / "solutions" / "deep").mkdir()
    monkeypatch.chdir(root / "solutions" / "deep")
    assert find_root() == root.resolve()
    assert exercises_main(["--check"]) == 0
    monkeypatch.chdir(tmp_path)
    assert exercises_main(["--check"]) == 2
    assert "no solutions/ folder" in capsys.readouterr().err
    assert exercises_main(["--check", "--root", str(root / "solutions")]) == 2


def test_bad_markup_is_reported_not_raised(tmp_path, capsys):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE_REPO, root)
    sol = root / "solutions" / "00_demo.ipynb"
    nb = nbformat.read(sol, as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace("    ### END SOLUTION", "")
    nbformat.write(nb, sol)
    assert exercises_main(["--root", str(root)]) == 2
    assert "00_demo.ipynb, cell 2" in capsys.readouterr().err


def test_course_exercises_are_up_to_date(capsys):
    """The repository's exercises/ is exactly what solutions/ generates."""
    code = exercises_main(["--check", "--root", str(REPO)])
    assert code == 0, capsys.readouterr().out
