"""``rlcourse grade`` and ``rlcourse exercises``: their options and what they do.

:mod:`rlcourse.cli` builds the parser from ``add_grade_arguments`` / ``add_exercises_arguments``
and calls ``grade_command`` / ``exercises_command``; the grader and the exercise generator are
imported only when a command runs. ``grade_main(argv)`` and ``exercises_main(argv)`` run the
same commands from Python.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys


def _size_mb(text: str) -> int:
    """``4G``, ``512M``, ``4096`` (MiB) -> MiB; ValueError saying the form."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*", str(text))
    if m is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: give a number with a unit, e.g. 4G, 512M (or MiB alone)"
        )
    factor = {"": 1, "k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}[m.group(2).lower()]
    return max(1, int(float(m.group(1)) * factor))


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"--jobs takes a whole number >= 1, got {text!r}")
    return n


def add_grade_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlcourse grade`` (the parser itself is built by :mod:`rlcourse.cli`)."""
    from rlcourse.grading.grader import DEFAULT_NOTEBOOK_TIMEOUT, DEFAULT_TIMEOUT

    parser.description = (
        "Run submitted exercise notebooks, each in its own isolated kernel, and grade every "
        "item of their chapter from outside the student's process. "
        "'rlcourse grade merge A.json B.json ...' joins the results of shards. Exit status 0 "
        "when every notebook was processed (whatever the scores), 2 on usage errors, 130/143 "
        "when stopped by SIGINT/SIGTERM (the finished results are written)."
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a notebook, or a folder: its *.ipynb files and those of its "
        "subfolders, sorted (hidden folders such as .ipynb_checkpoints "
        "are skipped); with 'merge' first: the JSON files of the shards",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the results as JSON instead of the summary table"
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the results as JSON to FILE, rewritten after every notebook",
    )
    parser.add_argument(
        "--csv",
        metavar="FILE",
        help="write one row per student (a column per item, total, flags) to FILE",
    )
    parser.add_argument(
        "--student-from",
        metavar="REGEX",
        help="take the student's name from the notebook's path: the regex's group 'student' "
        "(or group 1); default: the file name without its chapter part, or its folder",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"limit per cell and per test (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=float,
        default=DEFAULT_NOTEBOOK_TIMEOUT,
        metavar="SECONDS",
        help="wall-time budget of one notebook: its cells, restarts and tests "
        f"(default {DEFAULT_NOTEBOOK_TIMEOUT:g})",
    )
    parser.add_argument(
        "--chapter",
        metavar="NN",
        help="grade every notebook as chapter NN (2 or 02) (default: the NN_ in its file "
        "name; the notebook's own metadata only when the name has none, flagged)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=os.cpu_count() or 1,
        metavar="N",
        help="grade N notebooks at once (default: the number of cores, here "
        f"{os.cpu_count() or 1}); results are the same as a serial run's",
    )
    parser.add_argument(
        "--shard",
        metavar="K/N",
        help="grade only the K-th of N stable shares of the notebooks (for a job array); "
        "join the shards' --out files with 'rlcourse grade merge'",
    )
    parser.add_argument(
        "--sandbox",
        choices=("auto", "require", "off"),
        default="auto",
        help="bubblewrap isolation: auto (when it works, else a warning), require (refuse "
        "to grade without it), off (private directories and limits only)",
    )
    parser.add_argument(
        "--memory",
        type=_size_mb,
        default=4096,
        metavar="SIZE",
        help="memory limit of each submission's kernel, e.g. 4G or 512M (default 4G)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=256,
        metavar="N",
        help="processes a submission may run (default 256; enforced for non-root graders and "
        "by dropping root)",
    )
    parser.add_argument(
        "--file-size",
        type=_size_mb,
        default=256,
        metavar="SIZE",
        help="largest file a submission may write (default 256M)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _chapter_option(value: str) -> str:
    """``--chapter`` as "NN"; :class:`ValueError` naming the chapters that have graded items."""
    from rlcourse.grading.items import chapter_modules

    known = f"chapters with graded items: {', '.join(chapter_modules()) or 'none'}"
    if not re.fullmatch(r"[0-9]+", value.strip()):
        raise ValueError(f"--chapter takes a chapter number like 02, got {value!r}; {known}")
    nn = f"{int(value):02d}"
    if nn not in chapter_modules():
        raise ValueError(
            f"chapter {nn} has no graded items (no rlcourse/grading/items/ch{nn}.py); {known}"
        )
    return nn


def _say(text: str) -> None:
    from rlcourse.grading.safety import safe_text

    print(f"rlcourse grade: {safe_text(text, newlines=True)}", file=sys.stderr)


def _write_outputs(args: argparse.Namespace, document: dict) -> None:
    """``--csv``: written at the end (a fallback file, printed, when the path cannot be)."""
    from rlcourse.grading.batch import fallback_path
    from rlcourse.grading.classroom import write_csv

    if not args.csv:
        return
    try:
        write_csv(args.csv, document)
    except OSError as exc:
        other = fallback_path(".csv")
        _say(f"cannot write the CSV to {args.csv} ({exc.strerror or exc}); writing it to {other}")
        write_csv(other, document)


def merge_command(args: argparse.Namespace) -> int:
    """``rlcourse grade merge A.json B.json ... [--out FILE] [--csv FILE] [--json]``."""
    from rlcourse.grading.classroom import load_document, merge_documents
    from rlcourse.grading.grader import write_json_atomic

    files = args.paths[1:]
    if not files:
        _say("merge: give the JSON files written by the shards' --out")
        return 2
    try:
        document = merge_documents([load_document(f) for f in files], files)
    except (ValueError, OSError) as exc:
        _say(f"merge: {exc}")
        return 2
    if args.out:
        write_json_atomic(args.out, document)
    _write_outputs(args, document)
    if args.json or not (args.out or args.csv):
        print(json.dumps(document, indent=1, ensure_ascii=False))
    else:
        _say(f"merged {len(document['notebooks'])} notebooks from {len(files)} files")
    return 0


def grade_command(args: argparse.Namespace) -> int:
    """Run ``rlcourse grade``: 0 when every notebook was processed, 2 on a usage error."""
    import signal

    if args.paths and args.paths[0] == "merge":
        return merge_command(args)
    from rlcourse.grading.batch import Stopped, grade_notebooks
    from rlcourse.grading.classroom import (
        Progress,
        compile_student_pattern,
        in_shard,
        parse_shard,
        student_name,
    )
    from rlcourse.grading.grader import find_notebooks, results_document, summary_table
    from rlcourse.grading.sandbox import INSTALL_HINT, Limits, SandboxUnavailable, resolve_sandbox

    for option in ("timeout", "notebook_timeout"):
        value = getattr(args, option)
        if not value > 0:  # also rejects nan
            _say(
                f"--{option.replace('_', '-')} must be a positive number of seconds, got {value:g}."
            )
            return 2
    try:
        chapter = None if args.chapter is None else _chapter_option(args.chapter)
        if args.student_from is not None:
            compile_student_pattern(args.student_from)
        shard = None if args.shard is None else parse_shard(args.shard)
        limits = Limits(
            memory_mb=args.memory,
            processes=args.processes,
            file_size_mb=args.file_size,
            notebook_timeout=args.notebook_timeout,
        )
        notebooks = find_notebooks(args.paths)
        isolation = resolve_sandbox(args.sandbox)
    except (SandboxUnavailable, ValueError, FileNotFoundError) as exc:
        _say(str(exc))
        return 2
    if shard is not None:
        notebooks = [p for p in notebooks if in_shard(p, *shard)]
    if isolation == "none" and args.sandbox == "auto":
        _say(
            "warning: bubblewrap (bwrap) is not available, so submissions are NOT isolated: "
            "they run with private directories and resource limits, but can read this "
            f"machine's files and use the network. To isolate them, {INSTALL_HINT}; "
            "--sandbox=require refuses to grade without it."
        )
    students = [student_name(p, pattern=args.student_from) for p in notebooks]
    settings = {
        "notebook_timeout": args.notebook_timeout,
        "isolation": isolation,
        "limits": {
            "memory_mb": limits.memory_mb,
            "processes": limits.processes,
            "file_size_mb": limits.file_size_mb,
        },
    }
    if shard is not None:
        settings["shard"] = f"{shard[0]}/{shard[1]}"
    progress = None if args.no_progress else Progress(len(notebooks))
    code = 0
    try:
        results = grade_notebooks(
            notebooks,
            timeout=args.timeout,
            chapter=chapter,
            out=args.out,
            jobs=args.jobs,
            notebook_timeout=args.notebook_timeout,
            isolation=isolation,
            limits=limits,
            students=students,
            progress=progress,
            warn=_say,
            settings=settings,
        )
    except Stopped as stop:
        results = stop.results
        code = 128 + int(stop.signum)
        name = "SIGTERM" if stop.signum == signal.SIGTERM else "SIGINT"
        _say(
            f"stopped by {name}: {len(results)} of {len(notebooks)} notebooks graded"
            + (f"; their results are in {args.out}" if args.out else "")
        )
    document = results_document(results, args.timeout, **settings)
    _write_outputs(args, document)
    if args.json:
        print(json.dumps(document, indent=1, ensure_ascii=True))
    else:
        print(summary_table(results))
    return code


def grade_main(argv: list[str]) -> int:
    """``rlcourse grade ARGV...``: the same as ``rlcourse.cli.main(["grade", *argv])``."""
    from rlcourse.cli import main

    return main(["grade", *argv])


def add_exercises_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``rlcourse exercises``."""
    parser.description = (
        "Regenerate exercises/ from solutions/ (### BEGIN/END SOLUTION "
        "regions become NotImplementedError stubs)."
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 and list the files that differ"
    )
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="repository root (default: the first folder with solutions/ "
        "from the current directory upwards)",
    )


def exercises_command(args: argparse.Namespace) -> int:
    """Run ``rlcourse exercises``: 0 done or up to date, 1 ``--check`` found drift, 2 an error."""
    from rlcourse.grading.exercises import ExerciseMarkupError, find_root, sync_exercises

    try:
        root = find_root(args.root, search_up=args.root is None)
        report = sync_exercises(root, check=args.check)
    except (FileNotFoundError, ExerciseMarkupError, ValueError) as exc:
        print(f"rlcourse exercises: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if report.drifted:
            print("exercises/ is out of date with solutions/ (run `rlcourse exercises`):")
            for line in report.drifted:
                print(f"  {line}")
            return 1
        print("exercises/ is up to date.")
        return 0
    for rel in report.written:
        print(f"wrote {rel}")
    for rel in report.removed:
        print(f"removed {rel} (its solution is gone)")
    if not report.written and not report.removed:
        print("exercises/ is up to date.")
    return 0


def exercises_main(argv: list[str]) -> int:
    """``rlcourse exercises ARGV...``: the same as ``rlcourse.cli.main(["exercises", *argv])``."""
    from rlcourse.cli import main

    return main(["exercises", *argv])
