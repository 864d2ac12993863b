"""``rlcourse bench NAME [ARGS]``: run ``benchmarks/bench_NAME.py`` of a course checkout.

The benchmarks are plain scripts (they print markdown tables and are never timed tests);
this command only finds and runs them, e.g. ``rlcourse bench dp --quick``.
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path


def bench_main(argv: list[str]) -> int:
    here = Path.cwd()
    roots = [here, *here.parents, Path(__file__).resolve().parents[1]]
    folder = next((r / "benchmarks" for r in roots if (r / "benchmarks").is_dir()), None)
    available = sorted(p.stem[len("bench_"):] for p in folder.glob("bench_*.py")) if folder else []
    if not argv or argv[0] not in available:
        where = f"in {folder}" if folder else "(no benchmarks/ folder found: run from a course checkout)"
        print(f"usage: rlcourse bench NAME [ARGS]; benchmarks {where}: {', '.join(available) or 'none'}",
              file=sys.stderr)
        return 2
    script = folder / f"bench_{argv[0]}.py"
    sys.argv = [str(script), *argv[1:]]
    runpy.run_path(str(script), run_name="__main__")
    return 0
