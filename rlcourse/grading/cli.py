"""``rlcourse grade`` and ``rlcourse exercises``: their options and what they do.

:mod:`rlcourse.cli` builds the parser from ``add_grade_arguments`` / ``add_exercises_arguments``
and calls ``grade_command`` / ``exercises_command``; the grader and the exercise generator are
imported only when a command runs. ``grade_main(argv)`` and ``exercises_main(argv)`` run the
same commands from Python.
"""

from __future__ import annotations

import argparse
import json
import re
import sys


def add_grade_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlcourse grade`` (the parser itself is built by :mod:`rlcourse.cli`)."""
    from rlcourse.grading.grader import DEFAULT_TIMEOUT

    parser.description = (
        "Execute submitted exercise notebooks in fresh kernels and grade every item of their "
        "chapter. Exit status 0 when every notebook was processed (whatever the scores), "
        "2 on usage errors (a path that does not exist, a chapter without graded items)."
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a notebook, or a folder: its *.ipynb files and those of its "
        "subfolders, sorted (hidden folders such as .ipynb_checkpoints "
        "are skipped)",
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
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"limit per cell and per test (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--chapter",
        metavar="NN",
        help="grade every notebook as chapter NN (2 or 02), whatever its "
        "metadata or file name say (default: read from the notebook's "
        "metadata, else an NN_ in its file name)",
    )


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


def grade_command(args: argparse.Namespace) -> int:
    """Run ``rlcourse grade``: 0 when every notebook was processed, 2 on a usage error."""
    from rlcourse.grading.grader import (
        find_notebooks,
        grade_notebooks,
        results_document,
        summary_table,
    )

    if not args.timeout > 0:  # also rejects nan
        print(
            f"rlcourse grade: --timeout must be a positive number of seconds, "
            f"got {args.timeout:g}.",
            file=sys.stderr,
        )
        return 2
    try:
        chapter = None if args.chapter is None else _chapter_option(args.chapter)
        notebooks = find_notebooks(args.paths)
    except (ValueError, FileNotFoundError) as exc:
        print(f"rlcourse grade: {exc}", file=sys.stderr)
        return 2
    results = grade_notebooks(
        notebooks,
        timeout=args.timeout,
        chapter=chapter,
        out=args.out,
        progress=lambda s: print(s, file=sys.stderr),
    )
    if args.json:
        print(json.dumps(results_document(results, args.timeout), indent=1, ensure_ascii=False))
    else:
        print(summary_table(results))
    return 0


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
