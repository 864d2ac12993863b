"""``rlcourse grade``: run each submitted notebook in an isolated kernel and grade it from outside.

For each notebook (one short-lived worker process per notebook, :mod:`rlcourse.grading.worker`;
``--jobs N`` runs N at once, with results identical to a serial run):

1. Read it safely (:func:`rlcourse.grading.safety.read_regular_file`: regular files only, at
   most 20 MiB and 2000 cells; anything else scores 0 with an error, the others are graded).
2. Decide its chapter: ``--chapter`` when given, else a ``NN_`` prefix in the file name, else
   (flagged) the notebook's own metadata. A notebook whose metadata names another chapter is
   graded as the instructor's chapter and flagged.
3. Copy it alone into a private space (:class:`rlcourse.grading.sandbox.PrivateSpace`: working
   directory, HOME, IPython/Jupyter directories, temp) and start a kernel there, inside
   bubblewrap when it works (read-only system, no network, own PID namespace, dies with the
   grader) and always under resource limits (memory, processes, file size). Run every code
   cell with a per-cell time limit (``--timeout``) inside the notebook's wall-time budget
   (``--notebook-timeout``). A cell that raises is recorded and the next one runs; a cell that
   hangs is interrupted; a cell that stops the kernel (``exit()``, ``quit()``, ``os._exit``, a
   crash) costs only itself: the kernel is restarted, the cells that had finished are replayed
   (never the one that stopped it), and execution goes on.
4. Grade every item of the chapter *in the grader's process*: the item's tests run here and
   call the student's function through :class:`rlcourse.grading.remote.RemoteFunction`, which
   sends plain data to the kernel and gets plain data back. The kernel never holds a test, a
   reference value, the registry or a verdict.
5. Flag, for the instructor, an item whose function was imported or calls the package's own
   implementation (:mod:`rlcourse.grading.provenance`); the points stay. Notebooks whose graded
   code is identical are listed (``identical_submissions``).

Results are :class:`NotebookResult` dataclasses; :func:`grade_notebooks` keeps them in memory
and writes them to ``out`` as JSON after every notebook (temporary file + atomic rename).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 60.0
"""Seconds one cell, and one test, may run."""

DEFAULT_NOTEBOOK_TIMEOUT = 1200.0
"""Seconds one notebook may take in all: its cells, replays and tests."""


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
    flags: list[str] = field(default_factory=list)
    """For the instructor: the function was imported, or calls the package's implementation."""


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
    flags: list[str] = field(default_factory=list)
    """For the instructor: chapter metadata that disagrees, items flagged, and the like."""
    student: str = ""
    """Who submitted it (from the file name, or ``--student-from``)."""
    fingerprint: str | None = None
    """Hash of the graded functions' code (equal for identical submissions; None: untouched)."""
    isolation: str = ""
    """"bwrap" (isolated) or "none" (private directories and limits only)."""
    restarts: int = 0
    seconds: float = 0.0


def filename_chapter(path: str | os.PathLike) -> str | None:
    """The ``NN`` of the file name's chapter part (``alice_02_dp.ipynb`` -> ``"02"``), by the
    rule that also cuts it from the student's name
    (:func:`rlcourse.grading.classroom.chapter_of_name`)."""
    from rlcourse.grading.classroom import chapter_of_name

    return chapter_of_name(path)


def metadata_chapter(nb: Any) -> str | None:
    """The chapter a notebook's own metadata claims (``rlcourse.chapter``), or None."""
    try:
        meta = nb.get("metadata", {}).get("rlcourse", {}).get("chapter")
    except AttributeError:
        return None
    if meta is not None and re.fullmatch(r"\d{1,2}", str(meta).strip()):
        return f"{int(str(meta).strip()):02d}"
    return None


def decide_chapter(
    nb: Any, path: str | os.PathLike, chapter: str | None = None
) -> tuple[str | None, list[str]]:
    """(chapter "NN", flags): the instructor decides, not the student.

    ``chapter`` (``--chapter``) wins, then the file name's ``NN_``; only when neither gives one
    is the notebook's metadata used, with a flag. A notebook whose metadata claims another
    chapter than the one graded is flagged.
    """
    claimed = metadata_chapter(nb) if nb is not None else None
    flags = []
    decided = f"{int(chapter):02d}" if chapter is not None else filename_chapter(path)
    if decided is None and claimed is not None:
        decided = claimed
        flags.append(
            f"chapter {claimed} taken from the notebook's metadata (no NN_ in the file name): "
            "pass --chapter to decide it"
        )
    elif claimed is not None and claimed != decided:
        flags.append(f"the notebook's metadata says chapter {claimed}; graded as chapter {decided}")
    return decided, flags


def detect_chapter(nb: Any, path: str | os.PathLike, fallback: str | None = None) -> str | None:
    """The chapter :func:`decide_chapter` grades ``nb`` as, with ``fallback`` as ``--chapter``."""
    return decide_chapter(nb, path, fallback)[0]


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


def read_submission(path: str | os.PathLike, data: bytes | None = None) -> Any:
    """The notebook as a dict with a list of cells; lenient about schema details, strict about
    the file (regular, at most MAX_NOTEBOOK_BYTES) and its size (at most MAX_CELLS cells).

    Editors other than Jupyter sometimes save notebooks that nbformat's validator rejects (a
    missing field here and there); those are still graded from their raw JSON, as long as it has
    a list of cells. Anything else raises with a message that can be shown as it is.
    """
    import nbformat

    from rlcourse.grading.safety import MAX_CELLS, MAX_NOTEBOOK_BYTES, read_regular_file

    if data is None:
        data = read_regular_file(path, max_bytes=MAX_NOTEBOOK_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text (is it a notebook?)") from None
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - fall back to the raw JSON when it has cells
        try:
            nb = json.loads(text)
        except (ValueError, RecursionError):
            raise ValueError(f"not a notebook: {type(exc).__name__}: {str(exc)[:200]}") from None
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            raise ValueError("not a notebook: the file has no list of cells") from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError("the file has no list of cells")
    if len(nb["cells"]) > MAX_CELLS:
        raise ValueError(
            f"the notebook has {len(nb['cells'])} cells, more than the {MAX_CELLS} a "
            "submission may have"
        )
    nb["cells"] = [c for c in nb["cells"] if isinstance(c, dict)]
    return nb


def cell_source(cell: Any) -> str:
    """A cell's source as one string (lists of lines joined; anything odd as empty)."""
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(x for x in src if isinstance(x, str))
    return src if isinstance(src, str) else ""


def code_sources(nb: Any) -> list[str]:
    """The source of every code cell, in order."""
    return [cell_source(c) for c in nb.get("cells", []) if c.get("cell_type") == "code"]


class _Submission:
    """Runs one notebook's cells in a kernel and grades its items from outside.

    ``finished`` holds the cells that completed (with or without an exception) and left the
    kernel alive: they are what a restarted kernel replays.
    """

    def __init__(self, session: Any, timeout: float, deadline: float, result: NotebookResult):
        self.session, self.timeout, self.deadline, self.result = session, timeout, deadline, result
        self.finished: list[str] = []
        self.facts: dict[str, dict] = {}
        """What the kernel reported for each graded name (for the provenance flags)."""

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def recover(self) -> None:
        """Fresh kernel, then replay the finished cells; drop any that no longer finish."""
        self.session.restart()
        self.result.restarts += 1
        replay, self.finished = self.finished, []
        for i, code in enumerate(replay):
            if self.left() <= 0:
                return
            run = self.session.execute(code, min(self.timeout, self.left()))
            if run.status in ("ok", "error") and run.responsive:
                self.finished.append(code)
            elif not run.responsive:
                self.finished.extend(replay[i + 1 :])
                return self.recover()

    def run_cells(self, nb: Any) -> None:
        for index, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            code = cell_source(cell)
            if not code.strip():
                continue
            if self.left() <= 0:
                self.result.cells.append(
                    {
                        "cell": index,
                        "status": "skipped",
                        "error": "not run: the notebook's time budget was used up",
                    }
                )
                continue
            limit = min(self.timeout, self.left())
            run = self.session.execute(code, limit)
            exited = getattr(run, "exited", False)
            if run.status in ("ok", "error") and not exited and run.responsive:
                self.finished.append(code)
            if run.status != "ok" or exited:
                entry = {"cell": index, "status": "exited" if exited else run.status}
                if exited:
                    entry["error"] = "the cell stopped the kernel (exit() or quit()); not replayed"
                elif run.status == "error":
                    entry["error"] = f"{run.ename}: {run.evalue}"[:300]
                elif run.status == "timeout":
                    entry["error"] = f"ran longer than {limit:g} s and was interrupted"
                else:
                    entry["error"] = (
                        "the kernel stopped (os._exit, a crash, or out of memory) and was "
                        "restarted; the cell is not replayed"
                    )
                self.result.cells.append(entry)
            if not run.responsive:
                self.recover()

    def lookup(self, name: str) -> dict:
        """What the notebook bound to ``name``, as the kernel reports it."""
        import secrets

        from rlcourse.grading.remote import HOOK, answer

        for _attempt in range(2):
            if self.left() <= 0:
                break
            nonce = secrets.token_hex(16)
            code = f"{HOOK}.describe(globals(), {name!r}, {nonce!r})"
            run = self.session.execute(code, min(30.0, self.left()))
            body = answer(run, nonce)
            if not run.responsive:
                self.recover()
            if body is not None:
                try:
                    facts = json.loads(body)
                except ValueError:
                    facts = None
                if isinstance(facts, dict) and isinstance(facts.get("exists"), bool):
                    return facts
        return {"exists": None}

    def grade_item(self, it: Any) -> ItemResult:
        from rlcourse.grading.calls import NotCallable, signature_from
        from rlcourse.grading.check import run_item
        from rlcourse.grading.remote import RemoteFunction

        base = {"item": it.id, "function": it.function, "max_points": it.points}
        if self.left() <= 0:
            return ItemResult(
                points=0.0,
                status="error",
                message="not graded: the notebook's time budget was used up",
                **base,
            )
        facts = self.facts[it.function] = self.lookup(it.function)
        if facts.get("exists") is None:
            return ItemResult(
                points=0.0,
                status="error",
                message="could not be graded: the kernel did not answer",
                **base,
            )
        if not facts["exists"]:
            fn = None
        elif not facts.get("callable"):
            fn = NotCallable(str(facts.get("type", "object")))
        else:
            fn = RemoteFunction(self, it.function, signature_from(facts.get("signature")))
        report = run_item(it, fn, min(self.timeout, max(self.left(), 0.001)))
        tests = report.to_dict()["tests"]
        points = float(report.points)
        status = "pass" if points >= it.points and tests else "partial" if points > 0 else "fail"
        message = next((t["message"] for t in tests if not t["passed"]), "")
        return ItemResult(points=points, status=status, message=message, tests=tests, **base)


def _zero_items(items: list, message: str) -> list[ItemResult]:
    return [ItemResult(it.id, it.function, 0.0, it.points, "error", message) for it in items]


def grade_notebook(
    path: str | os.PathLike,
    timeout: float = DEFAULT_TIMEOUT,
    chapter: str | None = None,
    *,
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT,
    isolation: str = "none",
    limits: Any = None,
    student: str = "",
) -> NotebookResult:
    """Execute and grade one notebook; never raises for anything in the notebook.

    ``chapter`` ("NN" or "N"), when given, is the chapter graded whatever the notebook says
    (:func:`decide_chapter`). ``isolation`` is "bwrap" or "none"
    (:func:`rlcourse.grading.sandbox.resolve_sandbox`); ``limits`` a
    :class:`rlcourse.grading.sandbox.Limits` (its ``notebook_timeout`` is replaced by
    ``notebook_timeout``).
    """
    import dataclasses

    from rlcourse.grading import provenance
    from rlcourse.grading.kernel import KernelSession
    from rlcourse.grading.limits import UNPRIVILEGED_ID
    from rlcourse.grading.registry import items_for_chapter
    from rlcourse.grading.safety import MAX_NOTEBOOK_BYTES, read_regular_file
    from rlcourse.grading.sandbox import Limits, PrivateSpace, drop_root_works

    start = time.monotonic()
    limits = dataclasses.replace(limits or Limits(), notebook_timeout=float(notebook_timeout))
    path = Path(path)
    result = NotebookResult(str(path), None, 0.0, 0.0, student=student, isolation=isolation)
    nb, data, read_error = None, None, None
    try:
        data = read_regular_file(path, max_bytes=MAX_NOTEBOOK_BYTES)
        nb = read_submission(path, data)
    except Exception as exc:  # noqa: BLE001 - a broken file is the student's, not ours
        nb, read_error = None, f"could not read the notebook: {exc}"[:500]
    result.chapter, chapter_flags = decide_chapter(nb, path, chapter)
    result.flags += chapter_flags
    items = []
    if result.chapter is None:
        result.errors.append(
            "cannot tell the chapter: no NN_ in the file name and no rlcourse.chapter "
            "metadata; pass --chapter NN."
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
        sources = code_sources(nb)
        runtime: dict[str, dict] = {}
        result.fingerprint = provenance.fingerprint(sources, [it.function for it in items])
        try:
            # a grader running as root runs the student's code as nobody when it can, so the
            # process limit holds (root is exempt from it) and the code owns nothing of root's
            owner = UNPRIVILEGED_ID if drop_root_works() else None
            with PrivateSpace(owner=owner) as space:
                space.place_notebook(data)
                with KernelSession(
                    space, isolation=isolation, limits=limits, drop_root=owner is not None
                ) as session:
                    submission = _Submission(
                        session, float(timeout), start + float(notebook_timeout), result
                    )
                    submission.facts = runtime
                    submission.run_cells(nb)
                    result.items = [submission.grade_item(it) for it in items]
        except Exception as exc:  # noqa: BLE001 - e.g. the kernel failed to start
            message = f"grading stopped: {type(exc).__name__}: {exc}"[:500]
            result.errors.append(message)
            done = {r.item for r in result.items}
            result.items += _zero_items([it for it in items if it.id not in done], message)
        for r in result.items:
            facts = runtime.get(r.function)
            r.flags = provenance.function_flags(sources, r.function, runtime=facts)
            result.flags += [f"{r.item}: {flag}" for flag in r.flags]
    result.points = round(sum(r.points for r in result.items), 4)
    result.seconds = round(time.monotonic() - start, 2)
    return result


def result_from_dict(d: dict) -> NotebookResult:
    """A :class:`NotebookResult` back from its JSON form (``asdict``)."""
    fields = {f.name for f in NotebookResult.__dataclass_fields__.values()}
    item_fields = {f.name for f in ItemResult.__dataclass_fields__.values()}
    data = {k: v for k, v in d.items() if k in fields}
    data["items"] = [
        ItemResult(**{k: v for k, v in i.items() if k in item_fields}) for i in d.get("items", [])
    ]
    return NotebookResult(**data)


def identical_submissions(results: list[NotebookResult]) -> list[list[str]]:
    """Groups of notebooks whose graded code is identical (see provenance.fingerprint)."""
    from rlcourse.grading.provenance import identical_groups

    return identical_groups({r.notebook: r.fingerprint for r in results})


def results_document(results: list[NotebookResult], timeout: float, **settings: Any) -> dict:
    """The JSON written by --json / --out."""
    return {
        "format": "rlcourse-grades",
        "version": 1,
        "timeout": timeout,
        **settings,
        "identical_submissions": identical_submissions(results),
        "notebooks": [asdict(r) for r in results],
    }


def write_json_atomic(path: str | os.PathLike, document: dict) -> None:
    """Write ``document`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1, ensure_ascii=True)  # odd bytes in names survive
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def summary_table(results: list[NotebookResult], width: int = 70) -> str:
    """A plain-text table: notebook, item, points, max, status/hint, then the flags and the
    identical submissions. Points have two decimals; every name and message is made safe for
    a terminal (:func:`rlcourse.grading.safety.safe_text`)."""
    from rlcourse.grading.classroom import round_points
    from rlcourse.grading.safety import safe_path, safe_text

    def pts(x: float) -> str:
        return f"{round_points(x):.2f}"

    rows = [("notebook", "item", "points", "max", "status / hint")]
    for r in results:
        name = safe_path(r.notebook)
        name = name if len(name) <= 40 else "..." + name[-37:]
        for e in r.errors:
            rows.append((name, "-", "", "", f"error: {safe_text(e)}"))
        for i in r.items:
            note = i.status if not i.message else f"{i.status}: {i.message}"
            if i.flags:
                note = f"FLAG {'; '.join(i.flags)} | {note}"
            rows.append((name, i.item, pts(i.points), pts(i.max_points), safe_text(note)))
        cells = f"{len(r.cells)} cell(s) failed" if r.cells else ""
        rows.append((name, "TOTAL", pts(r.points), pts(r.max_points), cells))
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
    flagged = [(r, f) for r in results for f in r.flags]
    if flagged:
        lines += ["", "flags (for the instructor; the points stay):"]
        lines += [f"  {safe_path(r.notebook)}: {safe_text(f)}" for r, f in flagged]
    groups = identical_submissions(results)
    if groups:
        lines += ["", "identical submissions (same code in the graded functions):"]
        lines += ["  " + ", ".join(safe_path(p) for p in group) for group in groups]
    return "\n".join(lines)
