"""Generate ``exercises/NN_name.ipynb`` from ``solutions/NN_name.ipynb`` (the single source).

Marking a solution notebook
---------------------------
Code cells: the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (marker lines
included) become, at the indentation of the BEGIN marker::

    # YOUR CODE HERE
    raise NotImplementedError("Exercise 02: implement policy_evaluation")

Everything outside the markers stays, so inside a function the signature, docstring and any
lines after ``### END SOLUTION`` (e.g. ``return V``) remain for the student. The text after
``implement`` is the marker's own description when it has one (``### BEGIN SOLUTION: the TD
error``), else the name of the enclosing ``def``, else ``this cell``. A cell may hold several
regions. A BEGIN without END (or the reverse) is an error naming the cell.

Whole cells that exist only in the solution: a code cell whose first non-blank line is
``# SOLUTION-ONLY``, a markdown cell whose first non-blank line is ``<!-- SOLUTION-ONLY -->``,
or any cell tagged ``solution-only``, is left out of the exercise.

Markdown answers: text between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->`` is
replaced by ``*Your answer here.*``.

What the exercise gets
----------------------
Outputs and execution counts cleared; per-cell ``execution``/``ExecuteTime`` metadata dropped;
notebook metadata = the solution's ``kernelspec`` and language name (not the Python version that
last ran the solution, so re-running it does not change the exercise) plus
``{"rlcourse": {"chapter": "NN", "kind": "exercise"}}`` (the grader reads the chapter there).
Cell ids are the solution's (stable), or derived from the chapter and position when missing.
Output is written with ``nbformat.writes`` (sorted keys, one-space indent) plus a newline:
generating twice gives the same bytes, which is what ``rlcourse exercises --check`` relies on.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BEGIN = re.compile(
    r"^(?P<indent>[ \t]*)###\s*BEGIN SOLUTION\b[ \t]*[:\-\u2013\u2014]?[ \t]*(?P<what>.*?)\s*$"
)
END = re.compile(r"^[ \t]*###\s*END SOLUTION\b")
CODE_ONLY = re.compile(r"^\s*#\s*SOLUTION-ONLY\b")
MD_ONLY = re.compile(r"^\s*<!--\s*SOLUTION-ONLY\s*-->")
MD_REGION = re.compile(r"<!--\s*BEGIN SOLUTION\s*-->.*?<!--\s*END SOLUTION\s*-->", re.S)
DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?def[ \t]+(?P<name>\w+)")
SOLUTION_NAME = re.compile(r"^(\d{2})_.*\.ipynb$")
ANSWER_HERE = "*Your answer here.*"
_DROPPED_CELL_METADATA = {"execution", "ExecuteTime", "collapsed", "scrolled"}
_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


class ExerciseMarkupError(ValueError):
    """A solution notebook's BEGIN/END SOLUTION markers do not pair up."""


def _first_line(source: str) -> str:
    return next((line for line in source.splitlines() if line.strip()), "")


def _enclosing_function(lines: list[str], index: int, indent: str) -> str | None:
    for line in reversed(lines[:index]):
        m = DEF.match(line)
        if m and len(m.group("indent").expandtabs()) < len(indent.expandtabs()):
            return m.group("name")
    return None


def stub_source(source: str, chapter: str, where: str = "a cell") -> str:
    """Replace every BEGIN/END SOLUTION region of a code cell's source by a raising stub."""
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        if END.match(lines[i]):
            raise ExerciseMarkupError(
                f"{where}: '### END SOLUTION' on line {i + 1} without a "
                "'### BEGIN SOLUTION' before it."
            )
        if not m:
            out.append(lines[i])
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if END.match(lines[j])), None)
        if end is None:
            raise ExerciseMarkupError(
                f"{where}: '### BEGIN SOLUTION' on line {i + 1} has no "
                "matching '### END SOLUTION'; add one after the solution."
            )
        if any(BEGIN.match(line) for line in lines[i + 1 : end]):
            raise ExerciseMarkupError(
                f"{where}: nested '### BEGIN SOLUTION' inside the region "
                f"starting on line {i + 1}; regions cannot nest."
            )
        indent = m.group("indent")
        what = m.group("what") or _enclosing_function(lines, i, indent) or "this cell"
        message = f"Exercise {chapter}: implement {what}".replace("\\", "\\\\").replace('"', '\\"')
        out += [f"{indent}# YOUR CODE HERE", f'{indent}raise NotImplementedError("{message}")']
        i = end + 1
    return "\n".join(out)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _is_solution_only(cell) -> bool:
    if "solution-only" in cell.get("metadata", {}).get("tags", []):
        return True
    first = _first_line(_source(cell))
    pattern = CODE_ONLY if cell.get("cell_type") == "code" else MD_ONLY
    return bool(pattern.match(first))


def _cell_id(cell, chapter: str, index: int) -> str:
    cid = cell.get("id")
    if isinstance(cid, str) and _ID.match(cid):
        return cid
    return hashlib.sha1(f"rlcourse-{chapter}-{index}".encode()).hexdigest()[:12]


def exercise_notebook(solution: Any, chapter: str, name: str = "solution") -> Any:
    """The exercise NotebookNode for a solution NotebookNode (pure; nothing is written)."""
    import nbformat
    from nbformat.v4 import new_notebook

    cells = []
    for index, cell in enumerate(solution.cells):
        if _is_solution_only(cell):
            continue
        where = f"{name}, cell {index}"
        metadata = {
            k: v for k, v in cell.get("metadata", {}).items() if k not in _DROPPED_CELL_METADATA
        }
        new = nbformat.NotebookNode(
            cell_type=cell.cell_type,
            id=_cell_id(cell, chapter, index),
            metadata=nbformat.from_dict(metadata),
        )
        source = _source(cell)
        if cell.cell_type == "code":
            new.source = stub_source(source, chapter, where)
            new.outputs, new.execution_count = [], None
        elif cell.cell_type == "markdown":
            new.source = MD_REGION.sub(ANSWER_HERE, source)
            if re.search(r"<!--\s*(BEGIN|END) SOLUTION\s*-->", new.source):
                raise ExerciseMarkupError(f"{where}: unpaired <!-- BEGIN/END SOLUTION --> marker.")
            if "attachments" in cell:
                new.attachments = cell.attachments
        else:
            new.source = source
        cells.append(new)
    nb = new_notebook(cells=cells)
    nb.nbformat_minor = max(5, nb.nbformat_minor)
    meta = solution.get("metadata", {})
    if "kernelspec" in meta:
        nb.metadata["kernelspec"] = meta["kernelspec"]
    if "name" in meta.get("language_info", {}):  # not the version: re-saving must not drift
        nb.metadata["language_info"] = {"name": meta["language_info"]["name"]}
    nb.metadata["rlcourse"] = {"chapter": chapter, "kind": "exercise"}
    nbformat.validate(nb)
    return nb


def generate_exercise(solution_path: str | Path) -> str:
    """The exercise notebook's text (exact bytes, UTF-8) for ``solutions/NN_name.ipynb``."""
    import nbformat

    path = Path(solution_path)
    m = SOLUTION_NAME.match(path.name)
    if not m:
        raise ValueError(
            f"{path.name}: solution notebooks are named NN_name.ipynb (two-digit "
            "chapter first) so the exercise knows its chapter; rename it."
        )
    with open(path, encoding="utf-8") as f:
        solution = nbformat.read(f, as_version=4)
    nb = exercise_notebook(solution, m.group(1), name=path.name)
    return nbformat.writes(nb, version=4) + "\n"


def find_root(start: str | Path | None = None, search_up: bool = True) -> Path:
    """The repository root: the first folder from ``start`` (default cwd) upwards with solutions/.

    With ``search_up=False`` only ``start`` itself is accepted (``--root DIR``).
    """
    here = Path(start or Path.cwd()).resolve()
    if not search_up:
        if (here / "solutions").is_dir():
            return here
        raise FileNotFoundError(
            f"{here} has no solutions/ folder; --root must be the course repository's root."
        )
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir():
            return folder
    raise FileNotFoundError(
        f"no solutions/ folder in {here} or above; run from the course repository or pass --root."
    )


@dataclass
class SyncReport:
    """What ``sync_exercises`` wrote or found out of date (paths relative to the root)."""

    written: list[str] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)
    """Exercises missing, different from what would be generated, or without a solution."""
    removed: list[str] = field(default_factory=list)


def sync_exercises(root: str | Path, check: bool = False) -> SyncReport:
    """Regenerate ``root/exercises`` from ``root/solutions`` (``check=True``: only compare)."""
    root = Path(root)
    solutions, exercises = root / "solutions", root / "exercises"
    report = SyncReport()
    expected = {
        p.name: generate_exercise(p)
        for p in sorted(solutions.glob("*.ipynb"))
        if SOLUTION_NAME.match(p.name)
    }
    for name, text in expected.items():
        target = exercises / name
        data = text.encode("utf-8")
        current = target.read_bytes() if target.exists() else None
        if current == data:
            continue
        rel = str(target.relative_to(root))
        report.drifted.append(rel + (" (missing)" if current is None else " (differs)"))
        if not check:
            exercises.mkdir(exist_ok=True)
            target.write_bytes(data)
            report.written.append(rel)
    for stale in sorted(exercises.glob("*.ipynb")) if exercises.is_dir() else []:
        if stale.name in expected or not SOLUTION_NAME.match(stale.name):
            continue
        rel = str(stale.relative_to(root))
        report.drifted.append(rel + " (no solution)")
        if not check and '"kind": "exercise"' in stale.read_text(
            encoding="utf-8", errors="replace"
        ):
            stale.unlink()
            report.removed.append(rel)
    return report
