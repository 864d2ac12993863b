"""Grading a class: student names, a CSV gradebook, shards across machines, merging, progress.

What ``rlcourse grade`` needs once there are forty notebooks instead of one:

- :func:`student_name`: who a notebook belongs to, from its file name (or a ``--student-from``
  regular expression).
- :func:`csv_table` / :func:`write_csv`: one row per student, one column per item, for a
  spreadsheet or an LMS gradebook, safe against formula injection.
- :func:`parse_shard` / :func:`in_shard`: ``--shard K/N`` grades a stable share of the
  notebooks, the same share on every machine, so a cluster job array or a CI matrix can do the
  distribution; :func:`merge_documents` (``rlcourse grade merge``) joins the shards' JSON
  documents into the document one run would have written.
- :class:`Progress`: a progress line on stderr for ``--jobs``.

The JSON document (``format: rlcourse-grades``) is written by
:func:`rlcourse.grading.grader.results_document`; this module reads the fields it needs and
tolerates the ones it does not know.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from rlcourse.grading.safety import read_regular_file, safe_text

FORMAT = "rlcourse-grades"
"""The ``format`` field of a grades document."""

KNOWN_VERSIONS = (1,)
"""The ``version`` fields this module reads; a document of another version is refused."""

MAX_DOCUMENT_BYTES = 512 * 2**20
"""A grades document larger than this is refused by :func:`load_document`."""

# Keys of a document that describe one run rather than the class's results: dropped when
# shards are merged (each shard has its own; the merged document is the whole).
PER_RUN_KEYS = frozenset({"shard", "jobs", "seconds", "started", "finished", "host"})

# --- points -----------------------------------------------------------------------------------


def round_points(x: float) -> float:
    """``x`` rounded to two decimals as a gradebook does: half away from zero, on the decimal
    number the value prints as.

    Python's :func:`round` rounds half to even on the binary value, so ``round(2.675, 2)`` is
    2.67 and ``round(0.125, 2)`` is 0.12; a gradebook (and a person) says 2.68 and 0.13. Here
    the shortest decimal that prints as ``x`` (``repr``) is rounded with ROUND_HALF_UP (which
    the :mod:`decimal` module defines as away from zero). ``-0.0`` never comes out. A value that
    is not a finite number raises ValueError.
    """
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"points must be a finite number, got {x!r}.")
    r = float(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return r if r != 0 else 0.0


def _fmt_points(x: float) -> str:
    return f"{round_points(x):.2f}"


# --- student names ----------------------------------------------------------------------------

CHAPTER_TOPICS: dict[str, str] = {
    "01": "markov_processes",
    "02": "dynamic_programming",
    "03": "mc_td_prediction",
    "04": "q_learning",
    "05": "function_approximation",
    "06": "dqn",
    "07": "policy_gradient",
    "08": "actor_critic",
    "09": "ppo",
    "10": "reward_models_rlhf",
    "11": "dpo",
    "12": "grpo",
    "13": "mcts_alphazero",
}
"""The ``topic`` of each chapter's ``notebooks/NN_topic.ipynb`` (the curriculum map of
DESIGN.md). Kept here because an installed package has no ``notebooks/`` folder to read; a
test checks it against the repository. :func:`chapter_topics` adds any chapter the
repository's folders have that this table lacks."""

_TOPIC_FOLDERS = ("notebooks", "solutions", "exercises")
_NOTEBOOK_NAME = re.compile(r"^(\d{2})_([A-Za-z0-9_]+)\.ipynb$")
# Characters that separate a student's name from the chapter part of a file name.
_SEPARATORS = " \t_-.,;+~\u2013\u2014"
# What Jupyter, browsers and LMS downloads append to a duplicated file name.
_COPY_SUFFIX = re.compile(r"(?:[\s_-]*(?:\(\d+\)|-?copy\d*|\bcopy\b))+$", re.IGNORECASE)


@lru_cache(maxsize=1)
def chapter_topics() -> dict[str, str]:
    """Chapter ``"NN"`` -> topic (``"dynamic_programming"``): :data:`CHAPTER_TOPICS` plus the
    ``NN_topic.ipynb`` names found in the repository's ``notebooks/``, ``solutions/`` and
    ``exercises/`` folders when the package runs from a checkout."""
    topics = dict(CHAPTER_TOPICS)
    root = Path(__file__).resolve().parents[2]
    for folder in _TOPIC_FOLDERS:
        try:
            names = os.listdir(root / folder)
        except OSError:
            continue
        for name in sorted(names):
            m = _NOTEBOOK_NAME.match(name)
            if m:
                topics.setdefault(m.group(1), m.group(2))
    return topics


def _chapter_part(stem: str) -> tuple[int, int] | None:
    """Where (start, end) the chapter part ``NN_topic`` is in a file name's stem.

    ``NN_`` is two digits and an underscore, at the start or after a character that is not a
    letter or digit (``alice_02_``, ``Carol - 02_``); only when there is none, two digits
    after a letter count too (``alice02_``), never after a digit. ``NN_`` followed by that
    chapter's known topic (any case; an underscore of the topic may also be a space or a
    hyphen) wins. Otherwise the first ``NN_`` and the letters, digits and underscores that
    come next, up to a separator that is not an underscore (``-``, a space, a dot, ...).
    So ``s07_03_mc_td_prediction`` is ``s07`` of chapter 03, not chapter 07.
    """
    topics = chapter_topics()
    for start in (r"(?<![A-Za-z0-9])", r"(?<![0-9])"):
        generic = None
        for m in re.finditer(start + r"(\d{2})_", stem):
            topic = topics.get(m.group(1))
            if topic:
                words = r"[_\s-]+".join(re.escape(w) for w in topic.split("_"))
                known = re.compile(words + r"(?![A-Za-z0-9])", re.IGNORECASE).match(stem, m.end())
                if known:
                    return m.start(), known.end()
            if generic is None:
                generic = (m.start(), re.compile(r"[A-Za-z0-9_]*").match(stem, m.end()).end())
        if generic is not None:
            return generic
    return None


def chapter_of_name(path: str | os.PathLike) -> str | None:
    """The chapter ``"NN"`` a file name names (its chapter part, :func:`_chapter_part`), or
    None. The grader decides a notebook's chapter by this same rule, so the chapter part that
    is cut from a student's name is the chapter graded."""
    name = os.path.basename(os.fsdecode(path))
    stem = name[: -len(".ipynb")] if name.lower().endswith(".ipynb") else name
    span = _chapter_part(stem)
    return stem[span[0] : span[0] + 2] if span else None


def _default_name(path: str) -> str:
    posix = path.replace(os.sep, "/") if os.sep != "/" else path
    parts = [p for p in posix.split("/") if p]
    file = parts[-1] if parts else posix
    stem = file[: -len(".ipynb")] if file.lower().endswith(".ipynb") else file
    stem = _COPY_SUFFIX.sub("", stem) or stem
    span = _chapter_part(stem)
    if span is None:
        name = stem.strip()
    else:
        before = stem[: span[0]].rstrip(_SEPARATORS).strip()
        after = stem[span[1] :].lstrip(_SEPARATORS).strip()
        name = before or after
    if name:
        return name
    folders = [p for p in parts[:-1] if p not in (".", "..")]
    return folders[-1] if folders else (stem or file)


@lru_cache(maxsize=64)
def compile_student_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled ``--student-from`` regular expression; ValueError quoting it when it is not
    one (call it once up front so that a typo stops the run before grading starts)."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(
            f"--student-from {pattern!r} is not a valid regular expression: {exc}. Example: "
            r"--student-from '(?P<student>[^/]+)/[^/]+\.ipynb$' takes the folder's name."
        ) from None


def student_name(path: str | os.PathLike, *, pattern: str | None = None) -> tuple[str, str | None]:
    """``(name, flag)``: the student a notebook belongs to, and ``None`` or a flag text.

    Default rule, on the file name without ``.ipynb`` (and without a copy suffix such as
    ``" (1)"`` or ``-Copy1``): remove the chapter part (see below), then the name is what comes
    before it, or what comes after it when nothing comes before, without the separators
    (spaces, ``_``, ``-``, ``.``, ...) next to the chapter part::

        alice_02_dynamic_programming.ipynb          -> alice
        02_dynamic_programming_bob.ipynb            -> bob
        Carol Smith - 02_dynamic_programming.ipynb  -> Carol Smith
        alice/02_dynamic_programming.ipynb          -> alice  (nothing left: the folder's name)

    The chapter part is ``NN_topic`` where ``topic`` is chapter NN's notebook topic
    (:func:`chapter_topics`, matched in any case); for a chapter whose topic is not known, or
    a file whose words differ from the topic (``alice_02_dp``), it is ``NN_`` plus the letters,
    digits and underscores up to the next other separator, so ``02_dp_bob`` gives the folder's
    name, not ``bob``: name such files ``bob - 02_dp`` or use ``pattern``. When nothing is left
    the parent folder's name is used, and when there is none the file name itself.

    ``pattern`` (``--student-from``) is searched (:func:`re.search`) in the path as given with
    ``/`` separators; the name is its group ``student``, else its group 1, else the whole
    match. When it does not match (or matches an empty name) the default rule gives the name
    and the flag says so. A pattern that is not a regular expression raises ValueError.
    """
    text = os.fsdecode(path)
    if os.sep != "/":
        text = text.replace(os.sep, "/")
    flag = None
    if pattern is not None:
        rx = compile_student_pattern(pattern)
        m = rx.search(text)
        if m is not None:
            if "student" in rx.groupindex:
                name = m.group("student")
            elif rx.groups >= 1:
                name = m.group(1)
            else:
                name = m.group(0)
            if name:
                return name, None
            flag = (
                f"--student-from {pattern!r} matched an empty name; name taken from the file name"
            )
        else:
            flag = f"--student-from {pattern!r} did not match; name taken from the file name"
    return _default_name(text), flag


# --- shards -----------------------------------------------------------------------------------

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> ``(K, N)`` for ``--shard K/N``, with ``1 <= K <= N``; ValueError saying the
    form otherwise."""
    m = _SHARD.match(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(
            f"--shard expects K/N (this machine's share K of N, 1 <= K <= N), e.g. --shard 2/5; "
            f"got {text!r}."
        )
    k, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= k <= n:
        raise ValueError(
            f"--shard {k}/{n}: K must be between 1 and N (and N at least 1); the shards of "
            f"--shard K/{max(n, 1)} are 1/{max(n, 1)} ... {max(n, 1)}/{max(n, 1)}."
        )
    return k, n


def shard_of(path: str | os.PathLike, n: int) -> int:
    """The shard (1..n) that ``path`` belongs to: sha256 of the path as given (``/``
    separators, UTF-8, undecodable bytes as they were) modulo ``n``, plus 1.

    Not :func:`hash`, which changes from one Python run to the next: every machine given the
    same path list computes the same shares, and each path is in exactly one shard.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of shards must be an int >= 1, got {n!r}.")
    text = os.fsdecode(path)
    if os.sep != "/":
        text = text.replace(os.sep, "/")
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def in_shard(path: str | os.PathLike, k: int, n: int) -> bool:
    """Whether ``path`` is in shard ``k`` of ``n`` (see :func:`shard_of`)."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= max(n, 1):
        raise ValueError(f"shard {k!r} of {n!r}: K must be an int with 1 <= K <= N.")
    return shard_of(path, n) == k


# --- documents --------------------------------------------------------------------------------


class GradesFileError(ValueError):
    """A file given as a grades document that is not one (missing, not JSON, wrong format)."""


def check_document(document: Any, name: str) -> dict:
    """``document`` when it is a grades document (``format: rlcourse-grades``, a known
    ``version``, a list of notebook entries each with a ``notebook`` path); else
    :class:`GradesFileError` naming ``name`` (the file it came from)."""
    where = safe_text(str(name))
    if not isinstance(document, dict):
        raise GradesFileError(f"{where}: not a grades file (the JSON is not an object).")
    if document.get("format") != FORMAT:
        raise GradesFileError(
            f"{where}: not a grades file (format is {safe_text(repr(document.get('format')))}, "
            f"expected {FORMAT!r}); give the JSON that `rlcourse grade --out FILE` wrote."
        )
    version = document.get("version")
    if isinstance(version, bool) or version not in KNOWN_VERSIONS:
        raise GradesFileError(
            f"{where}: grades file version {safe_text(repr(version))} is not one this rlcourse "
            f"reads ({', '.join(map(str, KNOWN_VERSIONS))}); merge files written by the same "
            "rlcourse version."
        )
    notebooks = document.get("notebooks")
    if not isinstance(notebooks, list) or not all(
        isinstance(nb, dict) and isinstance(nb.get("notebook"), str) for nb in notebooks
    ):
        raise GradesFileError(
            f"{where}: damaged grades file ('notebooks' must be a list of entries that each "
            "name their notebook)."
        )
    return document


def load_document(path: str | os.PathLike) -> dict:
    """The grades document in the JSON file ``path``; :class:`GradesFileError` naming the file
    when it cannot be read, is not JSON, or is not a grades document."""
    where = safe_text(os.fsdecode(path))
    try:
        data = read_regular_file(path, max_bytes=MAX_DOCUMENT_BYTES)
    except ValueError as exc:
        raise GradesFileError(f"{where}: {exc}") from None
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GradesFileError(
            f"{where}: not a grades file (not JSON: {safe_text(str(exc), limit=200)})."
        ) from None
    return check_document(document, os.fsdecode(path))


def _path_key(notebook: str) -> tuple[str, ...]:
    return PurePosixPath(notebook.replace(os.sep, "/") if os.sep != "/" else notebook).parts


def identical_groups(notebooks: list[dict]) -> list[list[str]]:
    """Notebook paths grouped by equal ``fingerprint`` (entries whose fingerprint is missing or
    ``None`` are left out), as :func:`rlcourse.grading.provenance.identical_groups` groups them
    for a single run, so a merge lists the same groups."""
    from rlcourse.grading.provenance import identical_groups as groups_of

    return groups_of(
        {
            nb["notebook"]: nb["fingerprint"] if isinstance(nb.get("fingerprint"), str) else None
            for nb in notebooks
        }
    )


def _without_seconds(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_seconds(v) for v in value]
    return value


def merge_documents(documents: list[dict], names: list[str]) -> dict:
    """One grades document from the documents of several shards (``rlcourse grade merge``).

    ``names`` are the files the documents came from, for the messages. Each document is
    checked (:func:`check_document`); all must have the same version. The notebooks of all
    documents are put in path order (folder by folder, as ``rlcourse grade FOLDER`` grades a
    folder), so merging the shards of a folder gives the document a single run over it
    writes. A notebook found in two documents (or twice in one) raises ValueError naming it
    and both files, unless the two entries are identical apart from their ``seconds`` timings
    (a shard graded twice), when one is kept. ``identical_submissions`` is recomputed across
    all shards from the notebooks' ``fingerprint`` (:func:`identical_groups`).

    Settings (every other top-level key, e.g. ``timeout``) are kept when all documents agree.
    When they differ, the first document's value is kept and a line in the top-level
    ``flags`` list names the setting and each file's value, so the instructor sees that the
    shards were not graded alike. Per-run keys (:data:`PER_RUN_KEYS`, e.g. ``shard``) are
    dropped.
    """
    if len(documents) != len(names):
        raise ValueError(f"{len(documents)} documents but {len(names)} names; give one per file.")
    if not documents:
        raise ValueError("nothing to merge: give at least one grades file.")
    for document, name in zip(documents, names):
        check_document(document, name)
    versions = {d["version"] for d in documents}
    if len(versions) > 1:
        listing = ", ".join(
            f"{safe_text(str(n))}: {d['version']}" for d, n in zip(documents, names)
        )
        raise ValueError(
            f"the grades files have different versions ({listing}); grade every shard with the "
            "same rlcourse version."
        )

    seen: dict[str, tuple[dict, str]] = {}
    for document, name in zip(documents, names):
        for nb in document["notebooks"]:
            key = nb["notebook"]
            if key in seen:
                first, first_name = seen[key]
                if _without_seconds(first) == _without_seconds(nb):
                    continue
                raise ValueError(
                    f"notebook {safe_text(key)} is graded in both {safe_text(str(first_name))} "
                    f"and {safe_text(str(name))}, with different results; were the shards made "
                    "with the same --shard N and the same notebook list? Remove one of its "
                    "entries (or grade it again) and merge again."
                )
            seen[key] = (nb, name)
    notebooks = sorted((nb for nb, _ in seen.values()), key=lambda nb: _path_key(nb["notebook"]))

    merged: dict[str, Any] = {"format": FORMAT, "version": documents[0]["version"]}
    flags: list[str] = []
    skip = {"format", "version", "notebooks", "identical_submissions", "flags"} | PER_RUN_KEYS
    setting_keys: list[str] = []
    for document in documents:
        setting_keys += [k for k in document if k not in skip and k not in setting_keys]
    for key in setting_keys:
        values = [(n, d[key]) for d, n in zip(documents, names) if key in d]
        merged[key] = values[0][1]
        if any(v != values[0][1] for _, v in values):
            listing = ", ".join(
                f"{safe_text(str(n))}: {safe_text(json.dumps(v))}" for n, v in values
            )
            flags.append(f"setting {key!r} differs between the merged files ({listing})")
    for document in documents:
        for f in document.get("flags") or []:
            if isinstance(f, str) and f not in flags:
                flags.append(f)
    merged["notebooks"] = notebooks
    merged["identical_submissions"] = identical_groups(notebooks)
    if flags:
        merged["flags"] = flags
    return merged


# --- CSV --------------------------------------------------------------------------------------

_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def _text_cell(value: Any) -> str:
    """A text cell: printable (no control characters, one line) and never a formula."""
    text = safe_text(str(value))
    stripped = text.lstrip(" \t\r\n")
    if text and (text[0] in _FORMULA_START or (stripped and stripped[0] in _FORMULA_START)):
        return "'" + text
    return text


def _item_order(notebooks: Iterable[dict]) -> list[str]:
    """Item ids by chapter, then in the order the documents list them (declaration order)."""
    order: list[str] = []
    for nb in notebooks:
        previous = None
        for it in nb.get("items") or []:
            item_id = it.get("item") if isinstance(it, dict) else None
            if not isinstance(item_id, str):
                continue
            if item_id not in order:
                order.insert(
                    order.index(previous) + 1 if previous in order else len(order), item_id
                )
            previous = item_id
    chapters: list[str] = []
    for item_id in order:
        ch = item_id.split(".", 1)[0]
        if ch not in chapters:
            chapters.append(ch)
    chapters.sort()
    return [i for ch in chapters for i in order if i.split(".", 1)[0] == ch]


def _number(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


def _add_notebook(
    row: dict[str, Any], nb: dict, identical: dict[str, list[str]], several: bool
) -> None:
    """Add one notebook entry to a student's gradebook row (flags named by file when the
    student has several notebooks)."""
    path = nb["notebook"]
    row["notebooks"].append(path)
    flags: list[str] = row["flags"]
    prefix = f"{Path(path).name}: " if several else ""
    for f in nb.get("flags") or []:
        flags.append(f"{prefix}{f}")
    for e in nb.get("errors") or []:
        flags.append(f"{prefix}error: {e}")
    if path in identical:
        flags.append(f"{prefix}identical to {', '.join(identical[path])}")
    for it in nb.get("items") or []:
        if not isinstance(it, dict) or not isinstance(it.get("item"), str):
            continue
        item_id = it["item"]
        points, max_points = _number(it.get("points")), _number(it.get("max_points"))
        row["graded_in"].setdefault(item_id, []).append(path)
        best = row["best"].get(item_id)
        if best is None or points > best[0]:
            row["best"][item_id] = (points, max_points)
        for f in it.get("flags") or []:
            flags.append(f"{prefix}{item_id}: {f}")


def csv_table(document: dict) -> list[list[str]]:
    """The gradebook of ``document`` as rows of strings, the header first.

    Columns: ``student``, ``notebooks`` (the student's notebooks, ``; ``-separated), one column
    per item id (by chapter, then in the order the items are declared), ``total``, ``max``,
    ``flags``. One row per student (the notebook entry's ``student``, else
    :func:`student_name` of its path), rows sorted by name (case-insensitive). A student who
    handed in notebooks of several chapters gets all their items in one row; an item of a
    chapter they did not hand in is an empty cell. When one item is graded in two of a
    student's notebooks, the better score is kept and a flag says so.

    Points are written with two decimals (:func:`round_points`); ``total`` is the sum of the
    row's item cells as written (so a spreadsheet's sum agrees) and ``max`` the sum of those
    items' maximum points. ``flags`` joins, with ``; ``: the notebooks' flags and errors, the
    items' flags (``item: flag``), the identical-submission groups the notebook is in, and the
    duplicate-item notes. Text cells are made printable (:func:`safe_text`: control characters
    and bidi overrides escaped, one line) and a text cell starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a CR (or their full-width forms, or any of them after leading spaces) gets
    a ``'`` in front, so a spreadsheet shows it instead of running it as a formula.
    """
    check_document(document, "the grades document")
    notebooks = document["notebooks"]
    items = _item_order(notebooks)
    identical: dict[str, list[str]] = {}
    for group in document.get("identical_submissions") or []:
        if isinstance(group, list):
            for path in group:
                if isinstance(path, str):
                    identical[path] = [p for p in group if p != path and isinstance(p, str)]

    owners: dict[str, list[dict]] = {}
    for nb in notebooks:
        name = nb.get("student")
        if not isinstance(name, str) or not name:
            name = student_name(nb["notebook"])[0]
        owners.setdefault(name, []).append(nb)

    students: dict[str, dict[str, Any]] = {}
    for name, own in owners.items():
        row = students[name] = {"notebooks": [], "best": {}, "graded_in": {}, "flags": []}
        for nb in own:
            _add_notebook(row, nb, identical, several=len(own) > 1)

    table = [[*(_text_cell(h) for h in ("student", "notebooks", *items)), "total", "max", "flags"]]
    for name in sorted(students, key=lambda s: (s.casefold(), s)):
        row = students[name]
        cells, total, max_total = [], 0.0, 0.0
        for item_id in items:
            if item_id in row["best"]:
                points, max_points = row["best"][item_id]
                total += round_points(points)
                max_total += max_points
                cells.append(_fmt_points(points))
            else:
                cells.append("")
        flags = list(row["flags"])
        for item_id, paths in row["graded_in"].items():
            if len(paths) > 1:
                flags.append(
                    f"{item_id} graded in {len(paths)} notebooks ({', '.join(paths)}): "
                    "the better score is kept"
                )
        table.append(
            [
                _text_cell(name),
                _text_cell("; ".join(row["notebooks"])),
                *cells,
                _fmt_points(total),
                _fmt_points(max_total),
                _text_cell("; ".join(dict.fromkeys(flags))),
            ]
        )
    return table


def write_csv(path: str | os.PathLike, document: dict) -> None:
    """Write :func:`csv_table` of ``document`` to ``path`` atomically (a temporary file in the
    same folder, then :func:`os.replace`: a reader never sees half a file).

    UTF-8 with a byte-order mark and CRLF line ends: Excel opens a CSV without a BOM in the
    machine's legacy code page and mangles accented names (``José`` -> ``JosÃ©``), while
    LibreOffice, Google Sheets and the LMS importers (Canvas, Moodle) accept the BOM; Python
    reads it with ``encoding="utf-8-sig"``. The file is readable by its owner only (grades are
    personal data), as :func:`tempfile.mkstemp` creates it.
    """
    table = csv_table(document)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
            f.write(buffer.getvalue())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- progress ---------------------------------------------------------------------------------


class Progress:
    """Progress of a class being graded, on stderr (``--jobs``).

    On a terminal: one line redrawn in place, e.g.
    ``[12/40] 30%  2 running  last: alice_02.ipynb 7.5/10``. Elsewhere (a log file, CI): one
    plain line per finished notebook, e.g. ``[12/40] alice_02.ipynb 7.5/10 (3.2 s)``. Names go
    through :func:`safe_text`, so a file name cannot drive the terminal. Thread-safe, cheap,
    and it never raises: a broken stream must not stop grading.
    """

    def __init__(self, total: int, *, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = sys.stderr if stream is None else stream
        self.done = 0
        self.running: dict[str, int] = {}
        self._lock = threading.Lock()
        self._drawn = 0
        self._last = ""
        self._columns = 80
        self._width_at = -1e9
        try:
            self.tty = bool(self.stream.isatty())
        except Exception:  # noqa: BLE001 - a stream without isatty is not a terminal
            self.tty = False

    def start(self, name: str) -> None:
        """A notebook starts grading."""
        try:
            with self._lock:
                key = str(name)
                self.running[key] = self.running.get(key, 0) + 1
                if self.tty:
                    self._draw()
        except Exception:  # noqa: BLE001 - progress must never stop grading
            pass

    def finish(
        self,
        name: str,
        points: float | None,
        max_points: float | None,
        seconds: float | None = None,
    ) -> None:
        """A notebook has been graded: ``points`` of ``max_points`` in ``seconds``."""
        try:
            with self._lock:
                key = str(name)
                if self.running.get(key, 0) > 1:
                    self.running[key] -= 1
                else:
                    self.running.pop(key, None)
                self.done += 1
                score = f"{_short_points(points)}/{_short_points(max_points)}"
                if self.tty:
                    self._last = f"last: {safe_text(os.path.basename(key), limit=40)} {score}"
                    self._draw()
                else:
                    took = f" ({seconds:.1f} s)" if isinstance(seconds, int | float) else ""
                    line = f"[{self.done}/{self.total}] {safe_text(key, limit=200)} {score}{took}"
                    self.stream.write(line + "\n")
                    self.stream.flush()
        except Exception:  # noqa: BLE001 - progress must never stop grading
            pass

    def close(self) -> None:
        """End the progress line (on a terminal) so that what is printed next starts clean."""
        try:
            with self._lock:
                if self.tty and self._drawn:
                    self.stream.write("\n")
                    self.stream.flush()
                    self._drawn = 0
        except Exception:  # noqa: BLE001 - progress must never stop grading
            pass

    def _draw(self) -> None:
        percent = int(100 * self.done / self.total) if self.total > 0 else 100
        running = sum(self.running.values())
        line = f"[{self.done}/{self.total}] {percent}%  {running} running"
        if self._last:
            line += f"  {self._last}"
        width = self._width() - 1
        if len(line) > width:
            line = line[: max(width - 3, 0)] + "..."
        pad = " " * max(self._drawn - len(line), 0)
        self.stream.write("\r" + line + pad)
        self.stream.flush()
        self._drawn = len(line)

    def _width(self) -> int:
        now = time.monotonic()
        if now - self._width_at > 1.0:  # asking the terminal is a system call: once a second
            try:
                self._columns = os.get_terminal_size(self.stream.fileno()).columns or 80
            except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
                self._columns = 80
            self._width_at = now
        return max(self._columns, 20)


def _short_points(x: Any) -> str:
    try:
        return f"{round_points(x):g}"
    except (TypeError, ValueError):
        return "?"
