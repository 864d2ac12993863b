"""Exercises, self-checks and the grader.

Students
--------
In an exercise notebook, after writing a function::

    from rlcourse.grading import check
    check("02.policy_evaluation", policy_evaluation)

prints ``PASS``/``FAIL`` for each test with a hint (never the answer) and returns a
:class:`CheckReport` (``item``, ``points``, ``max_points``, ``results``). Each test runs under a
time limit (``item(..., time_limit=60)``; a SIGALRM alarm, so only on the main thread on POSIX)
and whatever the function prints is captured and truncated.

Instructors: grading a class
----------------------------
::

    rlcourse grade submissions/*.ipynb --out grades.json          # summary table + JSON file
    rlcourse grade alice.ipynb --json --timeout 120                 # JSON on stdout

Each notebook runs top to bottom in a fresh Python kernel of the current environment with a
per-cell time limit (``--timeout``, default 60 s, also the limit for each test); then every item
of the notebook's chapter is graded inside that kernel on the student's function, found by name.
The chapter is ``--chapter NN`` when given (it wins), else the notebook's metadata
(``rlcourse.chapter``, written by the exercise generator), else a ``NN_`` prefix in the file
name; a folder grades the notebooks in it. A cell that raises,
hangs, exits the kernel or prints megabytes costs only the items that depend on it; an unreadable
file scores 0 with an error; ``--out`` is rewritten after every notebook, so an interrupted run
keeps everything graded so far. The student's own ``check(...)`` calls are skipped while grading.

Chapter authors: adding graded items
------------------------------------
Create ``rlcourse/grading/items/chNN.py`` (it is found automatically)::

    from rlcourse.grading import item, assert_array_close

    pe = item("02.policy_evaluation", function="policy_evaluation", points=3,
              description="iterative policy evaluation")

    @pe.test
    def matches_closed_form(policy_evaluation):
        '''V on the 3-state chain matches (I - gamma P^pi)^-1 R^pi.'''   # title shown to students
        V = policy_evaluation(...)
        assert_array_close(V, V_exact, name="V", hint="back up from every state each sweep.")

A test receives the student's function and raises ``AssertionError(hint)`` on failure; compute
the expected value independently and never put it in a message. See ``items/ch00_demo.py``.

Exercises are generated from solutions (``rlcourse exercises``, see
:mod:`rlcourse.grading.exercises`): mark the student's part of a solution cell with
``### BEGIN SOLUTION`` / ``### END SOLUTION``.
"""

from rlcourse.grading.asserts import assert_array_close, assert_array_equal, assert_scalar_close
from rlcourse.grading.check import CheckReport, TestResult, check
from rlcourse.grading.registry import Item, get_item, item, items_for_chapter

__all__ = [
    "check",
    "CheckReport",
    "TestResult",
    "item",
    "Item",
    "get_item",
    "items_for_chapter",
    "assert_array_close",
    "assert_array_equal",
    "assert_scalar_close",
]
