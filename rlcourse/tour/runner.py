"""The tour's runner: find the chapter modules, run their demos, print the summary.

    rlcourse tour [--quick] [--out DIR] [--chapters 01,02]

The chapters are the modules ``rlcourse/tour/chNN.py``, found with :mod:`pkgutil` when the tour
runs (nothing is registered by hand). They are imported one at a time, so a chapter module
that fails to import, or whose ``demo`` raises, becomes a ``FAILED`` row of the summary table
and the other chapters still run.

``--quick`` (or ``RLCOURSE_QUICK=1``) shrinks the training budgets of the learning chapters.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

_MODULE = re.compile(r"^ch(\d{2})$")


@dataclass
class TourRow:
    """One line of the tour's summary table."""

    chapter: str
    """Two-digit chapter number, e.g. "02"."""
    topic: str
    """What the demo shows, in a few words."""
    result: str
    """The headline figure(s) the demo computed."""
    check: str = "-"
    """"ok" when the demo's answer matched its exact / independent reference, else what failed."""
    seconds: float = 0.0
    """Wall time of the demo."""
    figures: list[str] = field(default_factory=list)
    """Paths of the figures the demo saved."""


# ---------------------------------------------------------------- finding the chapters
def available_chapters() -> list[str]:
    """The sorted two-digit numbers of every ``rlcourse/tour/chNN.py`` module (none imported)."""
    import rlcourse.tour as package  # read at call time: tests may add a folder to __path__

    found = {
        m.group(1)
        for info in pkgutil.iter_modules(package.__path__)
        if (m := _MODULE.match(info.name))
    }
    return sorted(found)


def parse_chapters(chapters: str | list[str] | None) -> list[str]:
    """Two-digit chapter numbers from ``"1,02"`` or ``["1", "02"]``; ``None`` means every chapter.

    ``1`` is read as ``01``; duplicates are dropped; the order is the order given. Raises
    :class:`ValueError` with a one-line message naming the chapters that have a tour when an
    item is empty, not a number, or a chapter without a ``rlcourse/tour/chNN.py`` module.
    """
    available = available_chapters()
    if chapters is None:
        return available
    items = chapters.split(",") if isinstance(chapters, str) else [str(c) for c in chapters]
    known = f"chapters with a tour: {', '.join(available) or 'none'}"
    wanted: list[str] = []
    for raw in items:
        item = raw.strip()
        if not item:
            raise ValueError(
                f"empty chapter number in {','.join(items)!r}; give numbers "
                f"separated by commas, e.g. 01,02; {known}"
            )
        if not re.fullmatch(r"[0-9]+", item):
            raise ValueError(f"{item!r} is not a chapter number (e.g. 02); {known}")
        nn = f"{int(item):02d}"
        if nn not in available:
            raise ValueError(f"no chapter {nn}; {known}")
        if nn not in wanted:
            wanted.append(nn)
    return wanted


def load_chapter(chapter: str) -> ModuleType:
    """Import ``rlcourse.tour.chNN`` (once; later calls get the same module)."""
    return importlib.import_module(f"rlcourse.tour.ch{chapter}")


# ---------------------------------------------------------------- running them
def save_figure(fig: Any, out_dir: str | Path, name: str) -> str:
    """Save a matplotlib figure as ``out_dir / name``, close it and return the path."""
    import matplotlib.pyplot as plt

    path = Path(out_dir) / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return str(path)


def _failed(chapter: str, topic: str, what: str, exc: BaseException) -> TourRow:
    traceback.print_exception(exc, file=sys.stderr)
    return TourRow(chapter, topic, f"{what}: {type(exc).__name__}: {exc}", "FAILED")


def run_chapter(chapter: str, out_dir: str | Path) -> TourRow:
    """Import chapter ``NN``'s tour module and run its demo; never raises for its faults."""
    where = f"rlcourse/tour/ch{chapter}.py"
    try:
        module = load_chapter(chapter)
    except Exception as exc:  # noqa: BLE001 - one broken chapter must not hide the others
        return _failed(chapter, f"({where} did not import)", "import failed", exc)
    topic = str(getattr(module, "TOPIC", f"({where} has no TOPIC)"))
    demo = getattr(module, "demo", None)
    if not callable(demo):
        return TourRow(chapter, topic, f"{where} defines no demo(out_dir) function", "FAILED")
    try:
        row = demo(Path(out_dir))
    except Exception as exc:  # noqa: BLE001
        import matplotlib.pyplot as plt

        plt.close("all")  # whatever the broken demo had opened
        return _failed(chapter, topic, "demo failed", exc)
    if not isinstance(row, TourRow):
        return TourRow(
            chapter, topic, f"demo() returned {type(row).__name__}, not a TourRow", "FAILED"
        )
    return row


def run_tour(
    out_dir: str | Path = "tour-output", chapters: str | list[str] | None = None
) -> list[TourRow]:
    """Run the demos of ``chapters`` (default: every chapter with a tour module), in that order.

    A chapter whose module fails to import or whose demo raises gives a ``FAILED`` row (the
    traceback goes to stderr); the others still run. Raises :class:`ValueError` for a chapter
    that has no tour module (see :func:`parse_chapters`), before running anything.
    """
    import matplotlib

    matplotlib.use("Agg")  # the tour only saves figures; called at run time, not import time
    wanted = parse_chapters(chapters)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for chapter in wanted:
        start = time.perf_counter()
        row = run_chapter(chapter, out)
        row.seconds = time.perf_counter() - start
        rows.append(row)
        print(f"  chapter {row.chapter} done in {row.seconds:.1f} s", flush=True)
    return rows


def format_table(rows: list[TourRow]) -> str:
    """The summary table as markdown (a ``|`` inside a cell is escaped as ``\\|``)."""

    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| ch | topic | result | check | s |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.chapter} | {cell(r.topic)} | {cell(r.result)} | {cell(r.check)} "
            f"| {r.seconds:.1f} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- the command
def add_tour_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``rlcourse tour`` (the parser itself is built by :mod:`rlcourse.cli`)."""
    parser.add_argument(
        "--quick", action="store_true", help="small training budgets (same as RLCOURSE_QUICK=1)"
    )
    parser.add_argument(
        "--out",
        default="tour-output",
        metavar="DIR",
        help="folder for the figures (default: tour-output)",
    )
    parser.add_argument(
        "--chapters",
        default=None,
        metavar="NN,NN",
        help="comma-separated chapter numbers, run in that order (default: all; "
        f"chapters with a tour: {', '.join(available_chapters())})",
    )


def tour_command(args: argparse.Namespace) -> int:
    """Run ``rlcourse tour``: 0 when every check passed, 1 when one failed, 2 on bad input."""
    try:
        chapters = parse_chapters(args.chapters)
    except ValueError as exc:
        print(f"rlcourse tour: {exc}", file=sys.stderr)
        return 2
    saved = os.environ.get("RLCOURSE_QUICK")
    if args.quick:
        os.environ["RLCOURSE_QUICK"] = "1"
    try:
        print(f"rlcourse tour: chapters {', '.join(chapters)}", flush=True)
        rows = run_tour(args.out, chapters)
    finally:  # leave the environment of an in-process caller (a test) as it was
        if saved is None:
            os.environ.pop("RLCOURSE_QUICK", None)
        else:
            os.environ["RLCOURSE_QUICK"] = saved
    print()
    print(format_table(rows))
    figures = [f for r in rows for f in r.figures]
    print(f"\nfigures saved ({len(figures)}):")
    for f in figures:
        print(f"  {f}")
    return 0 if all(r.check == "ok" for r in rows) else 1


def tour_main(argv: list[str]) -> int:
    """``rlcourse tour ARGV...``: the same as ``rlcourse.cli.main(["tour", *argv])``."""
    from rlcourse.cli import main

    return main(["tour", *argv])
