"""The ``rlcourse`` command: one argparse parser, one subcommand per job.

    rlcourse tour       run every finished chapter's demo briefly      (rlcourse.tour)
    rlcourse grade      grade submitted exercise notebooks             (rlcourse.grading.cli)
    rlcourse exercises  regenerate exercises/ from solutions/          (rlcourse.grading.cli)
    rlcourse bench      run a benchmark script of benchmarks/          (rlcourse.bench)

Each subcommand's options and implementation live with its subject, in the module named
above; this module only assembles the parser. Those modules import nothing heavy at their
top level (numpy, matplotlib, Jupyter and the chapters are imported when a command runs),
so ``rlcourse --help`` stays instant. :func:`main` returns the exit status: 0 success,
1 a check failed (``tour``, ``exercises --check``), 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

_HINT = "Run `rlcourse COMMAND --help` for everything a command takes."


def _subcommands() -> list[tuple[str, str, Callable, Callable]]:
    """(name, one-line summary, add_arguments(parser), command(args) -> int) per subcommand."""
    from rlcourse.bench import add_bench_arguments, bench_command
    from rlcourse.grading.cli import (
        add_exercises_arguments,
        add_grade_arguments,
        exercises_command,
        grade_command,
    )
    from rlcourse.tour import add_tour_arguments, tour_command

    return [
        (
            "tour",
            "run every finished chapter's demo briefly and check its answers",
            add_tour_arguments,
            tour_command,
        ),
        (
            "grade",
            "grade submitted exercise notebooks (files, or folders of *.ipynb)",
            add_grade_arguments,
            grade_command,
        ),
        (
            "exercises",
            "regenerate exercises/ from solutions/ (or --check that they agree)",
            add_exercises_arguments,
            exercises_command,
        ),
        (
            "bench",
            "run a benchmark script benchmarks/bench_NAME.py of the course checkout",
            add_bench_arguments,
            bench_command,
        ),
    ]


def build_parser() -> argparse.ArgumentParser:
    """The ``rlcourse`` parser; its help lists every subcommand with all of its options."""
    from rlcourse import __version__

    parser = argparse.ArgumentParser(
        prog="rlcourse",
        usage="rlcourse [-h] [--version] COMMAND ...",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The course's command line: lecture demos, grading, exercises, benchmarks.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"rlcourse {__version__}",
        help="print the version and exit",
    )
    # the commands are listed in the epilog, each with its full usage, instead of argparse's
    # list of bare names
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS)
    commands = []
    for name, summary, add_arguments, command in _subcommands():
        p = sub.add_parser(
            name, prog=f"rlcourse {name}", description=summary[0].upper() + summary[1:] + "."
        )
        add_arguments(p)
        p.set_defaults(command_function=command)
        usage = " ".join(p.format_usage().split()).removeprefix("usage: ").replace(" [-h]", "")
        commands.append(f"  {usage}\n      {summary}")
    parser.epilog = "commands:\n" + "\n".join(commands) + "\n\n" + _HINT
    return parser


def _exit_status(exc: SystemExit) -> int:
    """The integer status of a SystemExit raised by argparse (``None`` is 0)."""
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def main(argv: list[str] | None = None) -> int:
    """Run ``rlcourse ARGV...`` and return its exit status (the console script exits with it).

    No arguments at all is a usage error: the help goes to stderr and the status is 2.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        parser.print_help(sys.stderr)
        return 2
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return _exit_status(exc)
    if args.command is None:  # e.g. `rlcourse --`: options only, no command
        parser.print_help(sys.stderr)
        return 2
    return args.command_function(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
