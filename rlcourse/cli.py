"""The ``rlcourse`` command: ``tour``, ``grade``, ``exercises``, ``bench``.

    rlcourse tour [--quick] [--out DIR]      run every finished chapter's demo briefly
    rlcourse grade NOTEBOOK... [--json]      grade submitted exercise notebooks
    rlcourse exercises [--check]             regenerate exercises/ from solutions/
    rlcourse bench dp                        the dynamic-programming benchmark table

Each sub-command is implemented where its subject lives and imported only when it runs,
so ``rlcourse --help`` is instant.
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = __doc__.split("\n\n")[1]
    if not argv or argv[0] in {"-h", "--help"}:
        print("usage:\n" + usage)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "tour":
        from rlcourse.tour import tour_main
        return tour_main(rest)
    if command == "grade":
        from rlcourse.grading.cli import grade_main
        return grade_main(rest)
    if command == "exercises":
        from rlcourse.grading.cli import exercises_main
        return exercises_main(rest)
    if command == "bench":
        from rlcourse.bench import bench_main
        return bench_main(rest)
    print(f"rlcourse: unknown command {command!r}.\nusage:\n{usage}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
