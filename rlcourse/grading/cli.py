"""``rlcourse grade`` and ``rlcourse exercises`` (dispatched from :mod:`rlcourse.cli`)."""
from __future__ import annotations

import argparse
import json
import sys


def _parse(parser: argparse.ArgumentParser, argv: list[str]):
    try:
        return parser.parse_args(argv), None
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return None, int(exc.code or 0)


def grade_main(argv: list[str]) -> int:
    """rlcourse grade NOTEBOOK... [--json] [--out FILE] [--timeout S] [--chapter NN]"""
    from rlcourse.grading.grader import (DEFAULT_TIMEOUT, grade_notebooks, results_document,
                                         summary_table)

    parser = argparse.ArgumentParser(
        prog="rlcourse grade",
        description="Execute submitted exercise notebooks in fresh kernels and grade every item "
                    "of their chapter. Exit status 0 when every notebook was processed (whatever "
                    "the scores), 2 on usage errors.")
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON instead of the summary table")
    parser.add_argument("--out", metavar="FILE",
                        help="write the results as JSON to FILE, rewritten after every notebook")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"limit per cell and per test (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--chapter", metavar="NN",
                        help="chapter for notebooks whose metadata and file name do not say")
    args, code = _parse(parser, argv)
    if args is None:
        return code
    if args.timeout <= 0:
        print("rlcourse grade: --timeout must be positive.", file=sys.stderr)
        return 2
    if args.chapter is not None and not args.chapter.isdigit():
        print(f"rlcourse grade: --chapter takes a number like 02, got {args.chapter!r}.",
              file=sys.stderr)
        return 2
    results = grade_notebooks(args.notebooks, timeout=args.timeout, chapter=args.chapter,
                              out=args.out, progress=lambda s: print(s, file=sys.stderr))
    if args.json:
        print(json.dumps(results_document(results, args.timeout), indent=1, ensure_ascii=False))
    else:
        print(summary_table(results))
    return 0


def exercises_main(argv: list[str]) -> int:
    """rlcourse exercises [--check] [--root DIR]"""
    from rlcourse.grading.exercises import ExerciseMarkupError, find_root, sync_exercises

    parser = argparse.ArgumentParser(
        prog="rlcourse exercises",
        description="Regenerate exercises/ from solutions/ (### BEGIN/END SOLUTION regions "
                    "become NotImplementedError stubs).")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and list the files that differ")
    parser.add_argument("--root", metavar="DIR",
                        help="repository root (default: the first folder with solutions/ "
                             "from the current directory upwards)")
    args, code = _parse(parser, argv)
    if args is None:
        return code
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
