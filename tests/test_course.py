"""The course as a whole: the quick switch, the tour, the command line, the setup promises."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rlcourse import config
from rlcourse.cli import main as cli_main
from rlcourse.grading.items import chapter_modules
from rlcourse.grading.registry import items_for_chapter
from rlcourse.tour import CHAPTERS, format_table, run_tour

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
    assert [r.chapter for r in rows] == list(CHAPTERS)
    failed = {r.chapter: r.result for r in rows if r.check != "ok"}
    assert not failed, f"tour demos disagree with their references: {failed}"
    for r in rows:
        assert r.figures, f"chapter {r.chapter} saved no figure"
        for f in r.figures:
            assert Path(f).stat().st_size > 5_000, f"{f} looks empty"
    table = format_table(rows)
    assert table.count("\n") == len(rows) + 1 and "| 02 |" in table


def test_tour_rejects_an_unknown_chapter(tmp_path):
    with pytest.raises(ValueError, match="finished chapters"):
        run_tour(tmp_path, ["99"])


def test_cli_help_and_unknown_command(capsys):
    assert cli_main(["--help"]) == 0
    assert "rlcourse grade" in capsys.readouterr().out
    assert cli_main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_console_script_runs_the_tour(tmp_path):
    exe = Path(sys.executable).with_name("rlcourse")
    if not exe.exists():
        pytest.skip("the rlcourse console script is not installed next to this python")
    proc = subprocess.run([str(exe), "tour", "--quick", "--chapters", "01", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
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
        assert (REPO / "notebooks" / sol.name).exists(), f"notebooks/{sol.name} (the lecture) missing"


def test_every_tour_chapter_has_its_lecture_notebook():
    names = {p.name[:2] for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert set(CHAPTERS) <= names


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
