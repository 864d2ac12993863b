"""``rlcourse tour``: run every finished chapter's demo briefly and check its answer.

    rlcourse tour [--quick] [--out DIR] [--chapters 01,02]

The tour is a runner (:mod:`rlcourse.tour.runner`) plus one small module per chapter,
``rlcourse/tour/chNN.py``. Each demo runs the chapter's main algorithm on a small problem,
checks its answer against an exact or independent one, saves its figure under ``--out`` and
returns one row of the summary table (:class:`TourRow`). The command prints that table and
the list of figures, and exits 1 when a check failed.

Adding a chapter's demo
-----------------------
Create ``rlcourse/tour/chNN.py``; the runner finds it by its name (``pkgutil``), so nothing
else changes. It defines two names::

    \"\"\"Chapter 06: ...\"\"\"
    from pathlib import Path

    from rlcourse.tour import TourRow, save_figure

    TOPIC = "DQN on CartPole"              # a few words: the "topic" column of the table


    def demo(out_dir: Path) -> TourRow:
        import matplotlib.pyplot as plt    # inside demo(): importing a chapter stays cheap
        ...                                # call the package's functions (the notebook's)
        ok = ...                           # compare with an exact or independent answer
        fig, ax = plt.subplots()
        ...
        return TourRow("06", TOPIC, "headline numbers", "ok" if ok else "MISMATCH",
                       figures=[save_figure(fig, out_dir, "06_dqn.png")])

Budgets that take time come from ``rlcourse.config.budget(full, quick=...)`` so that
``--quick`` and the test run stay short. Keep the demo a few dozen lines: the lecture notebook
is where the chapter is explained. A module that fails to import, or a demo that raises, gives
a ``FAILED`` row with the error and does not stop the other chapters. The test suite fails
when a chapter has a lecture notebook ``notebooks/NN_*.ipynb`` but no tour module.
"""

from rlcourse.tour.runner import (
    TourRow,
    add_tour_arguments,
    available_chapters,
    format_table,
    load_chapter,
    parse_chapters,
    run_chapter,
    run_tour,
    save_figure,
    tour_command,
    tour_main,
)

__all__ = [
    "TourRow",
    "add_tour_arguments",
    "available_chapters",
    "format_table",
    "load_chapter",
    "parse_chapters",
    "run_chapter",
    "run_tour",
    "save_figure",
    "tour_command",
    "tour_main",
]
