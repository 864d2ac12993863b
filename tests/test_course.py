"""The course as a whole: the quick switch, the tour, the setup promises.

The command line's own behaviour (usage errors, help, exit statuses) is tested in test_cli.py.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import rlcourse.tour
from rlcourse import config
from rlcourse.cli import main as cli_main
from rlcourse.grading.items import chapter_modules
from rlcourse.grading.registry import items_for_chapter
from rlcourse.tour import TourRow, available_chapters, format_table, run_tour

REPO = Path(__file__).resolve().parent.parent


def test_budget_switch_reads_the_environment(monkeypatch):
    monkeypatch.delenv("RLCOURSE_QUICK", raising=False)
    assert config.budget(1000, quick=10) == 1000 and not config.is_quick()
    for on in ("1", "true", "YES", " on "):
        monkeypatch.setenv("RLCOURSE_QUICK", on)
        assert config.budget(1000, quick=10) == 10
    monkeypatch.setenv("RLCOURSE_QUICK", "0")
    assert config.budget(1000, quick=10) == 1000


def test_tour_runs_every_chapter_and_checks_its_answers(tmp_path):
    rows = run_tour(tmp_path, None)
    assert [r.chapter for r in rows] == available_chapters() == ["01", "02", "03", "04", "05", "06"]
    failed = {r.chapter: r.result for r in rows if r.check != "ok"}
    assert not failed, f"tour demos disagree with their references: {failed}"
    for r in rows:
        assert r.figures, f"chapter {r.chapter} saved no figure"
        for f in r.figures:
            assert Path(f).stat().st_size > 5_000, f"{f} looks empty"
    table = format_table(rows)
    assert table.count("\n") == len(rows) + 1 and "| 02 |" in table


def test_tour_rejects_an_unknown_chapter(tmp_path):
    with pytest.raises(ValueError, match="no chapter 99; chapters with a tour: 01, 02"):
        run_tour(tmp_path, ["99"])
    assert not list(tmp_path.iterdir())  # rejected before anything ran


def test_tour_chapter_modules_define_a_topic_and_a_demo():
    for nn in available_chapters():
        module = importlib.import_module(f"rlcourse.tour.ch{nn}")
        assert isinstance(module.TOPIC, str) and 0 < len(module.TOPIC) <= 80, nn
        assert callable(module.demo) and module.__doc__, nn


@pytest.fixture
def extra_tour_modules(tmp_path, monkeypatch):
    """Write ``chNN.py`` tour modules into a temporary folder the runner also searches."""
    folder = tmp_path / "extra_tour"
    folder.mkdir()
    monkeypatch.setattr(rlcourse.tour, "__path__", [*rlcourse.tour.__path__, str(folder)])
    written = []

    def add(chapter: str, source: str) -> None:
        (folder / f"ch{chapter}.py").write_text(textwrap.dedent(source))
        written.append(chapter)
        importlib.invalidate_caches()

    yield add
    for chapter in written:
        sys.modules.pop(f"rlcourse.tour.ch{chapter}", None)


GOOD_DEMO = """
    from rlcourse.tour import TourRow
    TOPIC = "a demo that works"

    def demo(out_dir):
        return TourRow("{nn}", TOPIC, "1 + 1 = 2", "ok")
"""


def test_a_broken_tour_module_gives_a_failed_row_and_the_others_still_run(
    tmp_path, extra_tour_modules, capsys
):
    extra_tour_modules("95", "raise RuntimeError('this chapter module is broken')\n")
    extra_tour_modules("96", GOOD_DEMO.replace("{nn}", "96"))
    extra_tour_modules(
        "97",
        """
        TOPIC = "a demo that raises"

        def demo(out_dir):
            return 1 / 0
    """,
    )
    extra_tour_modules("98", "TOPIC = 'no demo function'\n")
    extra_tour_modules("99", GOOD_DEMO.replace("{nn}", "99"))
    assert available_chapters()[-5:] == ["95", "96", "97", "98", "99"]
    rows = run_tour(tmp_path / "out", ["95", "96", "97", "98", "99"])
    assert [(r.chapter, r.check) for r in rows] == [
        ("95", "FAILED"),
        ("96", "ok"),
        ("97", "FAILED"),
        ("98", "FAILED"),
        ("99", "ok"),
    ]
    assert "import failed: RuntimeError: this chapter module is broken" in rows[0].result
    assert "ch95.py did not import" in rows[0].topic
    assert (rows[2].topic, rows[2].result) == (
        "a demo that raises",
        "demo failed: ZeroDivisionError: division by zero",
    )
    assert "defines no demo(out_dir) function" in rows[3].result
    err = capsys.readouterr().err
    assert "RuntimeError: this chapter module is broken" in err and "ZeroDivisionError" in err
    # through the command: the table is printed and a failed check makes the exit status 1
    assert cli_main(["tour", "--chapters", "96,99", "--out", str(tmp_path / "out")]) == 0
    assert cli_main(["tour", "--chapters", "96,95", "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "| 96 | a demo that works | 1 + 1 = 2 | ok |" in out and "| 95 |" in out


def test_summary_table_escapes_pipes():
    row = TourRow("01", "topic", "|V - V*| = 0", "ok", seconds=1.25)
    assert format_table([row]).splitlines()[-1] == "| 01 | topic | \\|V - V*\\| = 0 | ok | 1.2 |"


def test_console_script_runs_the_tour(tmp_path):
    exe = Path(sys.executable).with_name("rlcourse")
    if not exe.exists():
        pytest.skip("the rlcourse console script is not installed next to this python")
    proc = subprocess.run(
        [str(exe), "tour", "--quick", "--chapters", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| 01 |" in proc.stdout and (tmp_path / "01_mrp_convergence.png").exists()


def test_every_solution_has_an_exercise_and_at_least_four_graded_items():
    solutions = sorted((REPO / "solutions").glob("[0-9][0-9]_*.ipynb"))
    assert solutions, "no solution notebooks"
    for sol in solutions:
        ch = sol.name[:2]
        assert (REPO / "exercises" / sol.name).exists(), f"exercises/{sol.name} missing"
        assert ch in chapter_modules(), f"chapter {ch} has no rlcourse/grading/items/ch{ch}.py"
        assert len(items_for_chapter(ch)) >= 4, f"chapter {ch} has fewer than 4 graded items"
        assert (REPO / "notebooks" / sol.name).exists(), (
            f"notebooks/{sol.name} (the lecture) missing"
        )


LECTURES = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("lecture", LECTURES, ids=[p.name[:2] for p in LECTURES])
def test_every_lecture_has_a_tour_module_and_graded_items(lecture):
    nn = lecture.name[:2]
    assert nn in available_chapters(), (
        f"notebooks/{lecture.name} has no tour demo: add rlcourse/tour/ch{nn}.py "
        "(see the docstring of rlcourse/tour/__init__.py)"
    )
    assert nn in chapter_modules(), (
        f"notebooks/{lecture.name} has no graded items: add rlcourse/grading/items/ch{nn}.py"
    )


def test_every_tour_chapter_has_its_lecture_notebook():
    names = {p.name[:2] for p in LECTURES}
    assert LECTURES and set(available_chapters()) <= names


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    assert blocks[0].strip() == "make tour" and blocks[1].strip() == "make test"
    assert "make test" in (REPO / ".ci" / "run").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^tour:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)
    assert "-c constraints.txt" in makefile


def test_torch_is_pinned_to_the_cpu_build():
    pins = (REPO / "constraints.txt").read_text()
    assert re.search(r"^torch==[\d.]+\+cpu$", pins, flags=re.M)
