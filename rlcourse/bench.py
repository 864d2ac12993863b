"""``rlcourse bench NAME [ARGS...]``: run ``benchmarks/bench_NAME.py`` of a course checkout.

The benchmarks are plain scripts (they print markdown tables and are never timed tests);
this command only finds and runs them, passing ``ARGS`` on, e.g. ``rlcourse bench dp --quick``
(``rlcourse bench dp --help`` shows the script's own options). The ``benchmarks/`` folder is
looked for in the current directory, its parents, then next to the installed package.
"""

from __future__ import annotations

import argparse
import ast
import runpy
import sys
from pathlib import Path


def benchmarks_folder() -> Path | None:
    """The first ``benchmarks/`` folder from the current directory upwards, else the checkout's."""
    here = Path.cwd()
    roots = [here, *here.parents, Path(__file__).resolve().parents[1]]
    return next((r / "benchmarks" for r in roots if (r / "benchmarks").is_dir()), None)


def available_benchmarks(folder: Path | None = None) -> dict[str, Path]:
    """``{name: script}`` for every ``bench_NAME.py`` in ``folder`` (default: found as above)."""
    folder = benchmarks_folder() if folder is None else folder
    if folder is None:
        return {}
    return {p.stem[len("bench_") :]: p for p in sorted(folder.glob("bench_*.py"))}


def _summary(script: Path) -> str:
    """The first line of a script's docstring, read without running it ("" if none)."""
    try:
        doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, ValueError):
        return ""
    return doc.strip().splitlines()[0] if doc else ""


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlcourse bench``; its help lists the benchmarks found."""
    folder = benchmarks_folder()
    found = available_benchmarks(folder)
    names = "{" + ",".join(found) + "}" if found else "NAME"
    parser.add_argument("name", metavar=names, help="the benchmark to run")
    rest = parser.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        metavar="ARGS",
        help="passed on to the benchmark script (e.g. --quick; "
        "`rlcourse bench NAME --help` shows them)",
    )
    rest.required = False  # argparse marks REMAINDER required: `rlcourse bench` names only NAME
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keep the epilog's table
    parser.usage = f"%(prog)s [-h] {names} [ARGS ...]"
    if found:
        width = max(len(n) for n in found)
        lines = [f"  {n.ljust(width)}  {_summary(p)}" for n, p in found.items()]
        parser.epilog = f"benchmarks in {folder}:\n" + "\n".join(lines)
    else:
        parser.epilog = (
            "no benchmarks/ folder found: run `rlcourse bench` from a course "
            "checkout (the folder that holds benchmarks/bench_*.py)."
        )


def bench_command(args: argparse.Namespace) -> int:
    """Run the benchmark script ``args.name`` with ``args.args``; 2 when there is no such script."""
    folder = benchmarks_folder()
    found = available_benchmarks(folder)
    if args.name not in found:
        where = (
            f"benchmarks in {folder}: {', '.join(found) or 'none'}"
            if folder
            else "no benchmarks/ folder found: run from a course checkout"
        )
        print(f"rlcourse bench: no benchmark {args.name!r}; {where}", file=sys.stderr)
        return 2
    script = found[args.name]
    saved_argv = sys.argv
    sys.argv = [str(script), *args.args]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:  # the script's argparse (--help, bad option) or its own exit
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)  # sys.exit("message"), as the interpreter would
        return 1
    finally:
        sys.argv = saved_argv
    return 0


def bench_main(argv: list[str]) -> int:
    """``rlcourse bench ARGV...``: the same as ``rlcourse.cli.main(["bench", *argv])``."""
    from rlcourse.cli import main

    return main(["bench", *argv])
