"""``rlcourse grade``: execute submitted notebooks in fresh kernels and grade every item.

For each notebook:

1. Read it (an unreadable or invalid file scores 0 with an error; the others are graded).
   The command line first turns each folder it is given into the notebooks inside it
   (:func:`find_notebooks`) and refuses a path that does not exist.
2. Find its chapter: ``--chapter`` when given (it wins), else notebook metadata
   ``rlcourse.chapter``, else a ``NN_`` prefix anywhere in the file name
   (``alice_02_dynamic_programming.ipynb``).
3. Start a fresh kernel (this interpreter's ipykernel, cwd = the notebook's folder, environment
   ``RLCOURSE_GRADING=1`` so the student's own ``check()`` calls are skipped, ``MPLBACKEND=Agg``)
   and run every code cell with a per-cell time limit. A cell that raises is recorded and the
   next cell runs. A cell that runs past the limit is interrupted; if the kernel does not answer
   the interrupt, or if a cell kills the kernel (``os._exit``, ``exit()``, a crash), the kernel
   is restarted and the cells that had finished before (with or without an exception) are
   replayed, then execution goes on after the offending cell.
4. Grade each item of the chapter inside the kernel (:mod:`rlcourse.grading.kernel_hook`) on the
   function the student defined under the item's name. The result comes back as a
   ``display_data`` message of a private MIME type carrying a random per-run nonce, which
   printing cannot forge. A test is limited to ``timeout`` seconds by an alarm in the kernel;
   an item that still hangs, or kills the kernel, scores 0 and the kernel is restarted and
   replayed for the next item.

Output of cells and tests is truncated (bounded buffers), so a student printing megabytes costs
only time. Results are :class:`NotebookResult` dataclasses; :func:`grade_notebooks` writes them
to ``out`` as JSON after every notebook (temporary file + atomic rename).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 60.0
_FILENAME_CHAPTER = re.compile(r"(?<!\d)(\d{2})_")


@dataclass
class ItemResult:
    """Points for one item of one notebook."""

    item: str
    function: str
    points: float
    max_points: float
    status: str
    """"pass" (full points), "partial", "fail" or "error" (could not be graded)."""
    message: str = ""
    """The first failing test's hint, or why the item could not be graded."""
    tests: list[dict] = field(default_factory=list)


@dataclass
class NotebookResult:
    """Everything the grader found out about one submitted notebook."""

    notebook: str
    chapter: str | None
    points: float
    max_points: float
    items: list[ItemResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Problems with the notebook as a whole (unreadable, no chapter, kernel did not start)."""
    cells: list[dict] = field(default_factory=list)
    """One entry per code cell that did not finish cleanly: index, status, error."""
    restarts: int = 0
    seconds: float = 0.0


def detect_chapter(nb: Any, path: str | os.PathLike, fallback: str | None = None) -> str | None:
    """Chapter "NN" from metadata rlcourse.chapter, else the file name's NN_ prefix, else
    ``fallback``."""
    try:
        meta = nb.get("metadata", {}).get("rlcourse", {}).get("chapter") if nb is not None else None
    except AttributeError:
        meta = None
    if meta is not None and re.fullmatch(r"\d{1,2}", str(meta).strip()):
        return f"{int(str(meta).strip()):02d}"
    m = _FILENAME_CHAPTER.search(Path(path).name)
    if m:
        return m.group(1)
    if fallback is not None:
        return f"{int(fallback):02d}"
    return None


def find_notebooks(paths: list[str | os.PathLike]) -> list[Path]:
    """The notebooks to grade: each file as given, each folder's ``*.ipynb`` files.

    A folder is searched recursively (per-student subfolders are common in a class's export),
    skipping hidden folders and files such as ``.ipynb_checkpoints``; its notebooks come in
    sorted order. A file is taken as it is, whatever its name (a file that is not a notebook
    scores 0 with an error when graded). A path given twice is graded once. Raises
    :class:`FileNotFoundError` naming the path when a path does not exist or a folder holds no
    notebook, before anything is graded.
    """
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                inside += [
                    Path(folder) / f
                    for f in files
                    if f.endswith(".ipynb") and not f.startswith(".")
                ]
            if not inside:
                raise FileNotFoundError(
                    f"{os.fspath(given)}: no notebook (*.ipynb) in this folder or its subfolders"
                )
            found += sorted(inside)
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{os.fspath(given)}: no such file or folder")
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def read_submission(path: Path) -> Any:
    """The notebook as a dict-like with a list of cells; lenient about schema details.

    Editors other than Jupyter sometimes save notebooks that nbformat's validator rejects (a
    missing field here and there); those are still graded from their raw JSON, as long as it has
    a list of cells. Anything that is not JSON, or has no cells, raises.
    """
    import nbformat

    text = Path(path).read_text(encoding="utf-8")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - fall back to the raw JSON when it has cells
        try:
            nb = json.loads(text)
        except ValueError:
            raise exc from None
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            raise exc from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError("the file has no list of cells")
    nb["cells"] = [c for c in nb["cells"] if isinstance(c, dict)]
    return nb


def _cell_source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _kernel_env() -> dict[str, str]:
    import rlcourse

    env = dict(os.environ)
    env["RLCOURSE_GRADING"] = "1"
    env["MPLBACKEND"] = "Agg"  # never open a window while grading
    package_root = str(Path(rlcourse.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [package_root, env.get("PYTHONPATH", "")] if p)
    return env


class _Submission:
    """Runs one notebook's cells in a kernel, remembering what to replay after a restart."""

    def __init__(self, session, timeout: float, result: NotebookResult):
        self.session, self.timeout, self.result = session, timeout, result
        self.finished: list[str] = []  # cells that completed (ok or error), in order

    def recover(self) -> None:
        """Fresh kernel, then replay the finished cells; drop any that no longer finish."""
        self.session.restart()
        self.result.restarts += 1
        replay, self.finished = self.finished, []
        for i, code in enumerate(replay):
            run = self.session.execute(code, self.timeout)
            if run.status in ("ok", "error"):
                self.finished.append(code)
            elif not run.responsive:
                self.finished.extend(replay[i + 1 :])
                return self.recover()

    def run_cells(self, nb: Any) -> None:
        for index, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            code = _cell_source(cell)
            if not code.strip():
                continue
            run = self.session.execute(code, self.timeout)
            if run.status in ("ok", "error"):
                self.finished.append(code)
            if run.status != "ok":
                entry = {"cell": index, "status": run.status}
                if run.status == "error":
                    entry["error"] = f"{run.ename}: {run.evalue}"[:300]
                elif run.status == "timeout":
                    entry["error"] = f"ran longer than {self.timeout:g} s and was interrupted"
                else:
                    entry["error"] = (
                        "the kernel stopped (os._exit, exit() or a crash) and was restarted"
                    )
                self.result.cells.append(entry)
            if not run.responsive:
                self.recover()

    def grade_item(self, it) -> ItemResult:
        nonce = secrets.token_hex(16)
        code = (
            "__import__('rlcourse.grading.kernel_hook', fromlist=['grade_in_kernel'])"
            f".grade_in_kernel({it.id!r}, {it.function!r}, {nonce!r}, globals(), "
            f"{float(self.timeout)!r})"
        )
        budget = len(it.tests) * (self.timeout + 1.0) + 10.0
        run = self.session.execute(code, budget)
        payload = next(
            (p for p in run.results if p.get("nonce") == nonce and p.get("item") == it.id), None
        )
        if not run.responsive:
            self.recover()
        base = {"item": it.id, "function": it.function, "max_points": it.points}
        if payload is not None and "error" not in payload:
            tests = payload.get("tests", [])
            points = float(payload.get("points", 0.0))
            status = (
                "pass" if points >= it.points and tests else "partial" if points > 0 else "fail"
            )
            message = next((t.get("message", "") for t in tests if not t.get("passed")), "")
            return ItemResult(points=points, status=status, message=message, tests=tests, **base)
        if payload is not None:
            reason = f"could not be graded: {payload['error']}"
        elif run.status == "died":
            reason = "the kernel stopped while this item was checked (os._exit, exit() or a crash)"
        elif run.status == "timeout":
            reason = f"checking took longer than {budget:g} s and was stopped"
        elif run.status == "error":
            reason = f"could not be graded: {run.ename}: {run.evalue}"[:300]
        else:
            reason = "no result came back from the kernel"
        return ItemResult(points=0.0, status="error", message=reason, **base)


def _zero_items(items, message: str) -> list[ItemResult]:
    return [ItemResult(it.id, it.function, 0.0, it.points, "error", message) for it in items]


def grade_notebook(
    path: str | os.PathLike, timeout: float = DEFAULT_TIMEOUT, chapter: str | None = None
) -> NotebookResult:
    """Execute and grade one notebook; never raises for anything in the notebook.

    ``chapter`` ("NN" or "N"), when given, is the chapter graded whatever the notebook's
    metadata or file name say; otherwise the chapter is detected (:func:`detect_chapter`).
    """
    from rlcourse.grading.kernel import KernelSession
    from rlcourse.grading.registry import items_for_chapter

    start = time.monotonic()
    path = Path(path)
    result = NotebookResult(str(path), None, 0.0, 0.0)
    nb, read_error = None, None
    try:
        nb = read_submission(path)
    except Exception as exc:  # noqa: BLE001 - a broken file is the student's, not ours
        nb, read_error = None, f"could not read the notebook: {type(exc).__name__}: {exc}"[:500]
    result.chapter = f"{int(chapter):02d}" if chapter is not None else detect_chapter(nb, path)
    items = []
    if result.chapter is None:
        result.errors.append(
            "cannot tell the chapter: no rlcourse.chapter metadata and no NN_ "
            "prefix in the file name; pass --chapter NN."
        )
    else:
        try:
            items = items_for_chapter(result.chapter)
        except Exception as exc:  # noqa: BLE001
            result.errors.append(f"the items of chapter {result.chapter} failed to load: {exc}")
        if not items and not result.errors:
            result.errors.append(f"chapter {result.chapter} has no graded items.")
    result.max_points = float(sum(it.points for it in items))
    if read_error is not None:
        result.errors.append(read_error)
        result.items = _zero_items(items, "not graded: the notebook could not be read")
    elif items:
        try:
            with KernelSession(cwd=path.resolve().parent, env=_kernel_env()) as session:
                submission = _Submission(session, float(timeout), result)
                submission.run_cells(nb)
                result.items = [submission.grade_item(it) for it in items]
        except Exception as exc:  # noqa: BLE001 - e.g. the kernel failed to start
            message = f"grading stopped: {type(exc).__name__}: {exc}"[:500]
            result.errors.append(message)
            done = {r.item for r in result.items}
            result.items += _zero_items([it for it in items if it.id not in done], message)
    result.points = round(sum(r.points for r in result.items), 4)
    result.seconds = round(time.monotonic() - start, 2)
    return result


def results_document(results: list[NotebookResult], timeout: float) -> dict:
    """The JSON written by --json / --out."""
    return {
        "format": "rlcourse-grades",
        "version": 1,
        "timeout": timeout,
        "notebooks": [asdict(r) for r in results],
    }


def write_json_atomic(path: str | os.PathLike, document: dict) -> None:
    """Write ``document`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def grade_notebooks(
    paths: Iterable[str | os.PathLike],
    timeout: float = DEFAULT_TIMEOUT,
    chapter: str | None = None,
    out: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[NotebookResult]:
    """Grade each notebook in turn; ``out`` (JSON) is rewritten after every notebook.

    ``paths`` are notebook files (see :func:`find_notebooks` for folders); ``chapter``, when
    given, is graded for every notebook whatever its metadata or file name say.
    """
    results: list[NotebookResult] = []
    for path in paths:
        if progress:
            progress(f"grading {path} ...")
        try:
            r = grade_notebook(path, timeout=timeout, chapter=chapter)
        except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the other results
            r = NotebookResult(
                str(path),
                None,
                0.0,
                0.0,
                errors=[f"internal grader error: {type(exc).__name__}: {exc}"],
            )
            traceback.print_exc(file=sys.stderr)
        results.append(r)
        if progress:
            progress(f"  {r.points:g}/{r.max_points:g} points ({r.seconds:.1f} s)")
        if out is not None:
            write_json_atomic(out, results_document(results, timeout))
    return results


def summary_table(results: list[NotebookResult], width: int = 70) -> str:
    """A plain-text table: notebook, item, points, max, status/hint."""
    rows = [("notebook", "item", "points", "max", "status / hint")]
    for r in results:
        name = r.notebook if len(r.notebook) <= 40 else "..." + r.notebook[-37:]
        for e in r.errors:
            rows.append((name, "-", "", "", f"error: {e}"))
        for i in r.items:
            note = i.status if not i.message else f"{i.status}: {i.message}"
            rows.append((name, i.item, f"{i.points:g}", f"{i.max_points:g}", note))
        rows.append(
            (
                name,
                "TOTAL",
                f"{r.points:g}",
                f"{r.max_points:g}",
                f"{len(r.cells)} cell(s) failed" if r.cells else "",
            )
        )
    rows = [tuple(c if len(c) <= width else c[: width - 3] + "..." for c in row) for row in rows]
    widths = [max(len(row[k]) for row in rows) for k in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                c.ljust(w) if k in (0, 1, 4) else c.rjust(w)
                for k, (c, w) in enumerate(zip(row, widths))
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
