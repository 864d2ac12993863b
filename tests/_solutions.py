"""Load the reference student functions of ``solutions/NN_*.ipynb`` in-process (no kernel).

Used by ``tests/test_items_chNN.py``: every graded item must give the solution full marks, the
stub zero, and a planted wrong answer less than full marks. Running a whole notebook would need
a kernel and its slow demo cells, so only definitions are executed, in one fresh namespace:

* from every code cell: its top-level ``import`` statements;
* from cells holding ``### BEGIN SOLUTION``: also their function/class definitions and plain
  assignments (later solutions call earlier ones, e.g. policy_iteration calls induced_mrp).

Top-level calls (``check(...)``, prints, demo runs) and loops are never executed.

It also holds what every chapter's item tests share: :class:`Planted` wrong answers, the
:func:`stub`, and helpers to run check() and read its report.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat
import numpy as np

from rlcourse.grading import check, get_item

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
MARK = "### BEGIN SOLUTION"

_ALWAYS = (ast.Import, ast.ImportFrom)
_DEFINITIONS = _ALWAYS + (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
)


def solution_notebook(chapter: str) -> Path:
    """``solutions/NN_*.ipynb`` of a two-digit chapter (exactly one must exist)."""
    found = sorted(SOLUTIONS.glob(f"{chapter}_*.ipynb"))
    if len(found) != 1:
        raise FileNotFoundError(f"expected one solutions/{chapter}_*.ipynb, found {found}")
    return found[0]


def _python_only(source: str) -> str:
    """Drop IPython magics and shell lines (``%matplotlib``, ``!pip``), which ast can't parse."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


@cache
def load_solutions(chapter: str) -> dict:
    """Namespace (name -> object) holding the solution notebook's definitions of ``chapter``."""
    path = solution_notebook(chapter)
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": f"solutions_{chapter}"}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(_python_only(cell.source))
        keep = _DEFINITIONS if MARK in cell.source else _ALWAYS
        tree.body = [node for node in tree.body if isinstance(node, keep)]
        if tree.body:
            exec(compile(tree, f"{path.name} (cell {index})", "exec"), namespace)
    return namespace


def solution_function(chapter: str, name: str):
    """The solution notebook's function ``name`` (KeyError naming the notebook if missing)."""
    namespace = load_solutions(chapter)
    if name not in namespace:
        raise KeyError(f"{solution_notebook(chapter).name} defines no `{name}` in a solution cell")
    return namespace[name]


# ----------------------------------------------------------------------------- shared test helpers
@dataclass(frozen=True)
class Planted:
    """A realistic wrong answer for an item: it must score less than full marks.

    ``catches``: name of the item's test function (in ``rlcourse/grading/items/chNN.py``) that
    must FAIL on it (the test aimed at this mistake), or None when any lost point will do.
    ``answer``: the correct values of the case the catching test checks; none of them may appear
    in what check() prints for this wrong answer.
    """

    item: str
    fn: Callable
    catches: str | None = None
    answer: tuple = ()

    @property
    def id(self) -> str:
        return f"{self.item}:{self.fn.__name__}"


def stub(*args, **kwargs):
    """The untouched exercise: what the generated notebook's function does."""
    raise NotImplementedError("replace this line with your code")


def run_check(item_id: str, fn, capsys) -> tuple:
    """(report, printed text) of ``check(item_id, fn)``; the captured text is consumed."""
    capsys.readouterr()
    report = check(item_id, fn)
    return report, capsys.readouterr().out


def failed_titles(report) -> list[str]:
    return [r.name for r in report.results if not r.passed]


def title_of(item_id: str, test_name: str) -> str:
    """The title check() prints for the test function ``test_name`` of an item."""
    titles = {t.fn.__name__: t.title for t in get_item(item_id).tests}
    if test_name not in titles:
        raise KeyError(f"{item_id} has no test function {test_name!r}; it has {sorted(titles)}")
    return titles[test_name]


# the student's own value, which the assertion helpers quote on purpose (rlcourse.grading.asserts):
# "(first: V[3] = -1.25)" and "`G` = 0.9375 is not the expected value"
_OWN_VALUE = re.compile(r"(\(first: .*?\] = )[^)]*\)|(` = )\S+( is not the expected value)")


_HEADER = re.compile(r"^check \d{2}\.\w+: \S+/\S+ points$")


def printed_hints(printed: str) -> str:
    """check()'s text without its points header and the student's own quoted values (which may
    equal a correct entry elsewhere in the array by chance; that gives nothing away)."""
    body = "\n".join(
        line for line in printed.splitlines() if not _HEADER.match(line)
    )  # "check NN.x: 1.5/3 points"
    return _OWN_VALUE.sub(
        lambda m: (m.group(1) or m.group(2)) + "<own>" + (m.group(3) or ")"), body
    )


def answer_tokens(values, item_id: str) -> set[str]:
    """The correct values written as a student might spot them (several precisions).

    Left out: tokens the item prints anyway (in its test titles, e.g. "gamma = 0.5"), and bare
    one- or two-digit integers ("3" is in "3 of 4 entries" whatever the answer).
    """
    static = " ".join(t.title for t in get_item(item_id).tests)
    tokens = set()
    for x in np.ravel(np.asarray(values, dtype=float)):
        for text in (f"{x:.2f}", f"{x:.3f}", f"{x:.4f}", f"{x:.6g}", f"{x:.8g}", repr(float(x))):
            if text not in static and ("." in text or len(text.lstrip("-")) >= 3):
                tokens.add(text)
    return tokens


PACKAGE_MODULES = ("rlcourse.mdp", "rlcourse.tabular", "rlcourse.deep")
"""Where the package's twin of every exercise function lives (one contract per name)."""


def package_function(name: str):
    """The package function named like an exercise function (None if there is none)."""
    import importlib

    for module in PACKAGE_MODULES:
        fn = getattr(importlib.import_module(module), name, None)
        if callable(fn):
            return fn
    return None


def same_contract(student, package) -> list[str]:
    """Differences between two signatures: the student's parameters must be the package's,
    in order, with the same kinds (positional / keyword-only) and defaults; the package may add
    optional keyword-only parameters after them (such as ``out=``). Empty list: same contract."""
    import inspect

    mine = list(inspect.signature(student).parameters.values())
    theirs = list(inspect.signature(package).parameters.values())
    problems = []
    for i, p in enumerate(mine):
        if i >= len(theirs):
            problems.append(f"the exercise has an extra parameter {p.name!r}")
            continue
        q = theirs[i]
        if (p.name, p.kind, p.default) != (q.name, q.kind, q.default):
            problems.append(
                f"parameter {i}: exercise {p} vs package {q} ({p.kind.description} "
                f"vs {q.kind.description})"
            )
    for q in theirs[len(mine) :]:
        if q.default is inspect.Parameter.empty or q.kind is not inspect.Parameter.KEYWORD_ONLY:
            problems.append(f"the package has an extra required or positional parameter {q}")
    return problems


def _as_lists(x):
    """``x`` with every numpy array turned into (nested) Python lists, tuples kept."""
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, tuple):
        return tuple(_as_lists(v) for v in x)
    return x


def item_tests(chapter: str, items, planted):
    """The eight checks every chapter's items get, as pytest test functions for its module:

    the solution scores full marks; the stub scores zero; every item has a planted wrong answer;
    each planted answer loses points (failing the test it names); a wrong answer's report never
    prints the correct value; the package's function of the same name has the exercise's
    signature and scores full marks too (one contract per name, so the two can be swapped); the
    solution's values returned as Python lists score full marks (lists are accepted).
    Use: ``globals().update(item_tests(CHAPTER, ITEMS, PLANTED))`` (name -> test function).
    """
    import pytest

    @pytest.mark.parametrize("it", items, ids=lambda it: it.id)
    def test_solution_scores_full_marks(it, capsys):
        report, printed = run_check(it.id, solution_function(chapter, it.function), capsys)
        assert report.points == report.max_points > 0, printed

    @pytest.mark.parametrize("it", items, ids=lambda it: it.id)
    def test_stub_scores_zero(it, capsys):
        report, printed = run_check(it.id, stub, capsys)
        assert report.points == 0 and len(report.results) == len(it.tests)
        assert "NotImplementedError" in printed

    def test_every_item_has_a_planted_wrong_answer():
        caught = {case.item for case in planted if case.catches}
        assert {it.id for it in items} <= caught

    @pytest.mark.parametrize("case", planted, ids=lambda case: case.id)
    def test_planted_wrong_answer_loses_points(case, capsys):
        report, printed = run_check(case.item, case.fn, capsys)
        assert report.points < report.max_points, f"{case.id} earns full marks:\n{printed}"
        if case.catches:
            assert title_of(case.item, case.catches) in failed_titles(report), printed
        assert "FAIL" in printed and "hint:" in printed

    @pytest.mark.parametrize("case", [c for c in planted if len(c.answer)], ids=lambda c: c.id)
    def test_wrong_answer_report_does_not_print_the_answer(case, capsys):
        _, printed = run_check(case.item, case.fn, capsys)
        hints = printed_hints(printed)
        leaked = {t for t in answer_tokens(case.answer, case.item) if t in hints}
        assert not leaked, f"check() printed the correct value(s) {leaked}:\n{printed}"

    @pytest.mark.parametrize("it", items, ids=lambda it: it.id)
    def test_package_function_has_the_exercise_signature(it):
        package = package_function(it.function)
        assert package is not None, (
            f"the package has no `{it.function}` (looked in "
            f"{PACKAGE_MODULES}): every exercise function has a twin"
        )
        problems = same_contract(solution_function(chapter, it.function), package)
        assert not problems, f"{it.function}: " + "; ".join(problems)

    @pytest.mark.parametrize("it", items, ids=lambda it: it.id)
    def test_package_function_scores_full_marks(it, capsys):
        package = package_function(it.function)
        assert package is not None, f"the package has no `{it.function}`"
        report, printed = run_check(it.id, package, capsys)
        assert report.points == report.max_points > 0, printed

    @pytest.mark.parametrize("it", items, ids=lambda it: it.id)
    def test_solution_returning_lists_scores_full_marks(it, capsys):
        """A right answer returned as Python lists (``.tolist()``) is right: converted, not 0."""
        solution = solution_function(chapter, it.function)

        def as_lists(*args, **kwargs):
            return _as_lists(solution(*args, **kwargs))

        as_lists.__signature__ = inspect.signature(solution)
        report, printed = run_check(it.id, as_lists, capsys)
        assert report.points == report.max_points > 0, printed

    return {
        name: value
        for name, value in locals().items()
        if name.startswith("test_") and callable(value)
    }
