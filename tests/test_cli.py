"""The ``rlcourse`` command line: help, version, usage errors and exit statuses.

Almost everything goes through ``rlcourse.cli.main([...])`` in this process (it returns the exit
status); a few checks run the installed console script. Only one test grades notebooks (it
starts two Jupyter kernels); the tour's demos are run by test_course.py.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import rlcourse
from rlcourse.bench import bench_main
from rlcourse.cli import build_parser, main
from rlcourse.grading.cli import grade_main
from rlcourse.grading.grader import find_notebooks
from rlcourse.grading.items import chapter_modules
from rlcourse.tour import available_chapters, parse_chapters, tour_main

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = sorted(p.stem.removeprefix("bench_") for p in (REPO / "benchmarks").glob("bench_*.py"))
GRADE_OPTIONS = ["--json", "--out FILE", "--timeout SECONDS", "--chapter NN", "PATH"]
CONSOLE_SCRIPT = Path(sys.executable).with_name("rlcourse")


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``rlcourse ARGV...`` run in this process."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, prefix: str) -> str:
    """The single line a usage error prints; fails on a traceback or several lines."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), err
    return lines[0]


# ---------------------------------------------------------------- rlcourse itself
def test_help_lists_every_command_and_every_option_of_grade(capsys):
    code, out, err = run(["--help"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("usage: rlcourse [-h] [--version] COMMAND ...")
    for line in (
        "rlcourse tour [--quick] [--out DIR] [--chapters NN,NN]",
        "rlcourse exercises [--check] [--root DIR]",
        "rlcourse bench {" + ",".join(BENCHMARKS) + "} [ARGS ...]",
    ):
        assert line in out
    grade = next(line for line in out.splitlines() if line.strip().startswith("rlcourse grade"))
    for option in GRADE_OPTIONS:
        assert option in grade


def test_no_arguments_is_a_usage_error_that_prints_the_help(capsys):
    code, out, err = run([], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("usage: rlcourse") and "rlcourse grade" in err


def test_version(capsys):
    assert run(["--version"], capsys) == (0, f"rlcourse {rlcourse.__version__}\n", "")
    assert rlcourse.__version__ == "0.1.0"


def test_unknown_command_is_argparse_one_line_error(capsys):
    code, out, err = run(["frobnicate"], capsys)
    assert (code, out) == (2, "")
    usage, error = err.splitlines()
    assert usage.startswith("usage: rlcourse")
    assert error.startswith("rlcourse: error: argument COMMAND: invalid choice: 'frobnicate'")


@pytest.mark.parametrize(
    "command, options",
    [
        ("tour", ["--quick", "--out DIR", "--chapters NN,NN"]),
        ("grade", GRADE_OPTIONS),
        ("exercises", ["--check", "--root DIR"]),
        ("bench", ["ARGS", *BENCHMARKS]),
    ],
)
def test_every_command_has_its_own_help(command, options, capsys):
    code, out, err = run([command, "--help"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: rlcourse {command} [-h]")
    for option in options:
        assert option in out, f"`rlcourse {command} --help` does not mention {option}"


def test_help_imports_nothing_heavy():
    code = (
        "import sys\nfrom rlcourse.cli import main\nassert main(['--help']) == 0\n"
        "heavy = {'matplotlib', 'torch', 'scipy', 'nbformat', 'nbclient', 'jupyter_client'}\n"
        "loaded = {m.split('.')[0] for m in sys.modules} & heavy\n"
        "loaded |= {m for m in sys.modules if m.startswith('rlcourse.tour.ch')}\n"
        "assert not loaded, loaded\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr


def test_parser_builds_without_running_anything():
    parser = build_parser()
    args = parser.parse_args(["grade", "a.ipynb", "b", "--chapter", "2", "--json"])
    assert (args.command, args.paths, args.chapter, args.json) == (
        "grade",
        ["a.ipynb", "b"],
        "2",
        True,
    )


# ---------------------------------------------------------------- tour
@pytest.mark.parametrize("chapters", ["07", "7", "99", "abc", "01,,02", "", "1,x"])
def test_tour_rejects_bad_chapters_in_one_line(chapters, tmp_path, capsys):
    out_dir = tmp_path / "figures"
    code, out, err = run(["tour", "--chapters", chapters, "--out", str(out_dir)], capsys)
    assert (code, out) == (2, "")
    line = one_error_line(err, "rlcourse tour: ")
    assert line.endswith("chapters with a tour: " + ", ".join(available_chapters()))
    assert not out_dir.exists()  # nothing ran


def test_tour_unknown_chapter_message():
    with pytest.raises(ValueError) as info:
        parse_chapters("07")
    assert str(info.value) == (
        "no chapter 07; chapters with a tour: " + ", ".join(available_chapters())
    )


def test_tour_chapter_numbers_are_normalised_deduplicated_and_keep_their_order():
    assert available_chapters()[:2] == ["01", "02"]
    assert parse_chapters("1,2") == ["01", "02"]
    assert parse_chapters(" 2, 01 ,2,1") == ["02", "01"]
    assert parse_chapters(["02", "1"]) == ["02", "01"]
    assert parse_chapters(None) == available_chapters()


def test_tour_main_is_the_tour_command(capsys):
    assert tour_main(["--chapters", "abc"]) == 2
    one_error_line(capsys.readouterr().err, "rlcourse tour: 'abc' is not a chapter number")


# ---------------------------------------------------------------- bench
def test_bench_help_lists_the_benchmarks_of_the_checkout(capsys):
    code, out, _ = run(["bench", "--help"], capsys)
    assert code == 0
    assert out.startswith("usage: rlcourse bench [-h] {" + ",".join(BENCHMARKS) + "} [ARGS ...]")
    for name in BENCHMARKS:
        script = REPO / "benchmarks" / f"bench_{name}.py"
        summary = ast.get_docstring(ast.parse(script.read_text())).splitlines()[0]
        assert f"  {name}" in out and summary in out


def test_bench_without_a_known_name_is_a_usage_error(capsys):
    code, _, err = run(["bench", "nope"], capsys)
    assert code == 2
    one_error_line(err, "rlcourse bench: no benchmark 'nope'; benchmarks in ")
    assert err.rstrip().endswith(", ".join(BENCHMARKS))
    code, _, err = run(["bench"], capsys)
    assert code == 2 and "the following arguments are required" in err


def test_bench_runs_the_script_with_its_arguments(tmp_path, monkeypatch, capsys):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "bench_echo.py").write_text(
        textwrap.dedent('''\
        """Echo benchmark: prints its arguments."""
        import sys
        print("args:", sys.argv[1:])
        sys.exit(int(sys.argv[-1]))
    ''')
    )
    monkeypatch.chdir(tmp_path)  # the benchmarks/ folder is looked for from here upwards
    argv = list(sys.argv)
    code, out, _ = run(["bench", "echo", "--quick", "-n", "3"], capsys)
    assert (code, out) == (3, "args: ['--quick', '-n', '3']\n")
    assert sys.argv == argv
    assert bench_main(["echo", "0"]) == 0
    assert "echo  Echo benchmark: prints its arguments." in run(["bench", "-h"], capsys)[1]


# ---------------------------------------------------------------- grade: usage errors
def test_grade_missing_path_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["grade", "missing.ipynb"], capsys)
    assert (code, out, err) == (2, "", "rlcourse grade: missing.ipynb: no such file or folder\n")
    # one missing path among real ones: nothing is graded, no results file is written
    (tmp_path / "real.ipynb").write_text("{}")
    code, out, err = run(["grade", "real.ipynb", "gone/", "--out", "grades.json"], capsys)
    assert (code, out) == (2, "")
    line = one_error_line(err, "rlcourse grade: ")
    assert line == "rlcourse grade: gone/: no such file or folder"
    assert not (tmp_path / "grades.json").exists()


def test_grade_folder_without_notebooks_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty" / ".ipynb_checkpoints").mkdir(parents=True)
    (tmp_path / "empty" / ".ipynb_checkpoints" / "01_x-checkpoint.ipynb").write_text("{}")
    (tmp_path / "empty" / "notes.txt").write_text("not a notebook")
    code, out, err = run(["grade", "empty/"], capsys)
    assert (code, out) == (2, "")
    line = one_error_line(err, "rlcourse grade: empty/: no notebook (*.ipynb)")
    assert "folder" in line


@pytest.mark.parametrize("chapter", ["7", "07", "98", "abc", "", "-1"])
def test_grade_rejects_a_chapter_without_graded_items(chapter, tmp_path, capsys):
    notebook = tmp_path / "01_x.ipynb"
    notebook.write_text("{}")
    code, out, err = run(["grade", str(notebook), f"--chapter={chapter}"], capsys)
    assert (code, out) == (2, "")
    line = one_error_line(err, "rlcourse grade: ")
    assert line.endswith("chapters with graded items: " + ", ".join(chapter_modules()))


def test_grade_rejects_a_timeout_that_is_not_positive(tmp_path, capsys):
    notebook = tmp_path / "01_x.ipynb"
    notebook.write_text("{}")
    for timeout in ("0", "-3", "nan"):
        code, _, err = run(["grade", str(notebook), "--timeout", timeout], capsys)
        assert code == 2
        one_error_line(err, "rlcourse grade: --timeout must be a positive number")
    assert grade_main([]) == 2  # the Python entry point is the same command


def test_find_notebooks_expands_folders(tmp_path):
    (tmp_path / "class" / "bob").mkdir(parents=True)
    (tmp_path / "class" / ".ipynb_checkpoints").mkdir()
    for rel in (
        "class/b.ipynb",
        "class/a.ipynb",
        "class/bob/02_dp.ipynb",
        "class/notes.txt",
        "class/.ipynb_checkpoints/a-checkpoint.ipynb",
        "class/.hidden.ipynb",
        "report.pdf",
    ):
        (tmp_path / rel).write_text("{}")
    found = find_notebooks(
        [tmp_path / "report.pdf", tmp_path / "class", tmp_path / "class" / "a.ipynb"]
    )
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "report.pdf",
        "class/a.ipynb",
        "class/b.ipynb",
        "class/bob/02_dp.ipynb",
    ]


# ---------------------------------------------------------------- grade: a real run
ADD = "def add(a, b):\n    return a + b"
MEAN = "def mean(xs):\n    return sum(xs) / len(xs)"
NORMALIZE = "import numpy as np\n\ndef normalize(w):\n    return w / w.sum()"


def write_notebook(path: Path, sources: list[str], chapter: str | None) -> Path:
    """A tiny submission: one code cell per source, chapter in the rlcourse metadata."""
    metadata = {"rlcourse": {"chapter": chapter, "kind": "exercise"}} if chapter else {}
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources], metadata=metadata), path)
    return path


def test_grade_a_folder_with_an_explicit_chapter(tmp_path, capsys):
    """--chapter 0 wins over metadata (05) and file name (03_); a folder's notebooks, sorted."""
    folder = tmp_path / "class"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    write_notebook(folder / "b.ipynb", [ADD, MEAN, NORMALIZE], chapter="05")
    write_notebook(folder / "03_a.ipynb", [ADD, "1 / 0"], chapter=None)
    (folder / ".ipynb_checkpoints" / "b-checkpoint.ipynb").write_text("not graded")
    not_a_notebook = tmp_path / "essay.txt"  # exists, so it is graded: 0 points with an error
    not_a_notebook.write_text("I did the homework in my head.")
    code, out, err = run(
        ["grade", str(folder), str(not_a_notebook), "--chapter", "0", "--json", "--timeout", "30"],
        capsys,
    )
    assert code == 0, err
    graded = json.loads(out)["notebooks"]
    assert [Path(r["notebook"]).name for r in graded] == ["03_a.ipynb", "b.ipynb", "essay.txt"]
    assert [r["chapter"] for r in graded] == ["00", "00", "00"]
    assert [(r["points"], r["max_points"]) for r in graded] == [(1.0, 5.0), (5.0, 5.0), (0.0, 5.0)]
    assert any("could not read the notebook" in e for e in graded[2]["errors"])


# ---------------------------------------------------------------- the installed command
@pytest.mark.skipif(
    not CONSOLE_SCRIPT.exists(),
    reason="the rlcourse console script is not installed next to this python",
)
def test_console_script_exit_statuses(tmp_path):
    def rlcourse_cmd(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(CONSOLE_SCRIPT), *args], capture_output=True, text=True, timeout=120, cwd=tmp_path
        )

    proc = rlcourse_cmd("grade", "missing.ipynb")
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2,
        "",
        "rlcourse grade: missing.ipynb: no such file or folder\n",
    )
    proc = rlcourse_cmd("--version")
    assert (proc.returncode, proc.stdout) == (0, "rlcourse 0.1.0\n")
    proc = rlcourse_cmd()
    assert proc.returncode == 2 and "rlcourse bench" in proc.stderr
