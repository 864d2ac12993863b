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

    rlcourse grade submissions/ --out grades.json --csv grades.csv   # table, JSON, CSV
    rlcourse grade alice.ipynb --json --timeout 120                   # JSON on stdout

Each notebook is graded by a worker process of its own (``--jobs N`` at once,
:mod:`rlcourse.grading.batch`): the notebook runs top to bottom in a private kernel (private
directories, resource limits, bubblewrap when it works: :mod:`rlcourse.grading.sandbox`), then
every item of its chapter is graded *in the worker*: the tests call the student's function in the
kernel through plain data (:mod:`rlcourse.grading.calls`, :mod:`rlcourse.grading.remote`), so
nothing the student's code does can change a verdict. The chapter is ``--chapter NN`` when given,
else the ``NN_`` in the file name (:func:`rlcourse.grading.grader.decide_chapter`). Items whose
function was imported or calls the package are flagged (:mod:`rlcourse.grading.provenance`);
identical submissions are listed. The student's own ``check(...)`` calls are skipped while
grading. See the README's instructors' section for every promise and option.

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

A test receives (a stand-in for) the student's function and raises ``AssertionError(hint)`` on
failure; compute the expected value independently and never put it in a message. Pass only plain
data to the function (CONTRIBUTING.md, "Graded items"). See ``items/ch00_demo.py``.

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
