"""The course's own checks can fail: every solution scores full marks, every untouched exercise
scores zero on every graded item (DESIGN.md, "Exercises and grading"), graded as a class is:
in isolated kernels, from the grader's process, with no flag on either.

One case per ``solutions/NN_*.ipynb`` whose chapter has graded items; each executes the solution
and the exercise in fresh kernels, so it costs about twice the notebook's run time (the suite sets
RLCOURSE_QUICK=1, which the kernels inherit).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rlcourse.grading.batch import grade_notebooks
from rlcourse.grading.items import chapter_modules
from rlcourse.grading.sandbox import resolve_sandbox

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((REPO / "solutions").glob("[0-9][0-9]_*.ipynb"))
GRADED = [p for p in SOLUTIONS if p.name[:2] in chapter_modules()]


@pytest.mark.skipif(not GRADED, reason="no solution notebook has graded items yet")
@pytest.mark.parametrize("solution", GRADED, ids=[p.name for p in GRADED])
def test_solution_full_marks_and_exercise_zero(solution):
    exercise = REPO / "exercises" / solution.name
    assert exercise.exists(), f"{exercise} is missing: run `rlcourse exercises`"
    isolation = resolve_sandbox("auto")  # bubblewrap where it works (CI installs it)
    sol, ex = grade_notebooks([solution, exercise], timeout=600, jobs=2, isolation=isolation)
    assert sol.errors == [] and ex.errors == []
    assert sol.flags == [] and ex.flags == []  # nothing imported, nothing called from the package
    assert sol.items and sol.max_points > 0
    not_full = {i.item: i.message for i in sol.items if i.points != i.max_points}
    assert not not_full, f"{solution.name} loses points: {not_full}"
    not_zero = {i.item: i.points for i in ex.items if i.points != 0}
    assert not not_zero, f"the untouched exercise {exercise.name} earns points: {not_zero}"
