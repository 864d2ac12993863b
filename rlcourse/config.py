"""The one switch that shrinks training budgets: ``RLCOURSE_QUICK``.

Notebooks and the tour ask ``budget(full, quick)`` for every episode count, step count or
number of seeds. Normally they get ``full``; when the environment variable
``RLCOURSE_QUICK=1`` is set (the test suite sets it, see the Makefile), they get ``quick``, so
every notebook still runs top to bottom but in seconds. Cells whose printed numbers depend on
the budget carry ``# NBVAL_IGNORE_OUTPUT`` so the stored (full-budget) outputs stay in the
notebook for readers while the test run checks everything else.
"""

from __future__ import annotations

import os

from rlcourse._types import T

_TRUE = {"1", "true", "yes", "on"}


def is_quick() -> bool:
    """True when ``RLCOURSE_QUICK`` is set to 1/true/yes/on (read at call time)."""
    return os.environ.get("RLCOURSE_QUICK", "").strip().lower() in _TRUE


def budget(full: T, quick: T) -> T:
    """Return ``quick`` under ``RLCOURSE_QUICK=1`` and ``full`` otherwise."""
    return quick if is_quick() else full
