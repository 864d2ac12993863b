"""Graded items: what a chapter author declares, and the registry that finds them.

An *item* is one function a student writes in an exercise notebook. It has

- an id ``"NN.name"`` (``NN`` = the two-digit chapter, e.g. ``"02.policy_evaluation"``),
- the name of the function the student defines (``function="policy_evaluation"``),
- the points it is worth,
- a list of tests. A test is a plain function that receives the student's function, calls it
  and raises ``AssertionError(hint)`` when the answer is wrong. The hint is shown to the
  student, so it must say what to look at, never what the answer is (use
  :func:`rlcourse.grading.assert_array_close`, which never prints the reference values).

Declaring an item in ``rlcourse/grading/items/chNN.py``::

    from rlcourse.grading import item, assert_array_close

    add = item("00.add", function="add", points=1)

    @add.test
    def adds_two_integers(add):
        '''add(2, 3) returns the sum.'''          # first docstring line = the test's title
        assert add(2, 3) == 5, "add(a, b) should return a + b"

Points are shared out over the tests (each test weighs 1 unless ``@add.test(weight=2)``), so
an item whose tests half pass earns half of its points.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ITEM_ID = re.compile(r"^(\d{2})\.([A-Za-z_][A-Za-z0-9_]*)$")

TestFunction = Callable[[Callable], object]


@dataclass
class Test:
    """One test of an item: ``fn(student_function)`` raises AssertionError(hint) on failure."""

    __test__ = False  # not a pytest test class

    fn: TestFunction
    """The test itself; receives the student's function."""
    title: str
    """What the student reads next to PASS/FAIL (the first line of the test's docstring)."""
    weight: float = 1.0
    """Share of the item's points this test carries, relative to the other tests."""


@dataclass
class Item:
    """A graded exercise: one student function and the tests that check it."""

    id: str
    """``"NN.name"``; ``NN`` is the chapter (two digits)."""
    function: str
    """Name of the function the student defines in the notebook (the grader looks it up)."""
    points: float = 1.0
    """Points for passing every test; partial credit is proportional to the passed weight."""
    description: str = ""
    """One line saying what the student implements (shown by check())."""
    time_limit: float = 60.0
    """Seconds each test may run inside ``check()`` before it counts as FAIL."""
    tests: list[Test] = field(default_factory=list)

    @property
    def chapter(self) -> str:
        return self.id.split(".", 1)[0]

    def test(
        self, fn: TestFunction | None = None, *, title: str | None = None, weight: float = 1.0
    ) -> Any:
        """Decorator adding a test: ``@my_item.test`` or ``@my_item.test(weight=2)``."""

        def register(f: TestFunction) -> TestFunction:
            doc = (f.__doc__ or "").strip().splitlines()
            name = title or (doc[0].strip() if doc else f.__name__.replace("_", " "))
            self.tests.append(Test(fn=f, title=name, weight=float(weight)))
            return f

        return register(fn) if fn is not None else register


_REGISTRY: dict[str, Item] = {}


def item(
    id: str,
    *,
    function: str,
    points: float = 1.0,
    description: str = "",
    time_limit: float = 60.0,
    tests: list[TestFunction] | None = None,
) -> Item:
    """Declare (register) a graded item and return it; add tests with ``@it.test``.

    ``id`` is ``"NN.name"``. Registering the same id twice replaces the earlier item (so that
    re-importing a chapter module in a notebook does not duplicate its tests).
    """
    if not ITEM_ID.match(id):
        raise ValueError(
            f"item id {id!r} is not of the form 'NN.name' (two-digit chapter, a dot, a Python "
            "identifier), e.g. '02.policy_evaluation'."
        )
    if not function.isidentifier():
        raise ValueError(
            f"item {id!r}: function={function!r} is not a Python identifier; give "
            "the name of the function the student defines."
        )
    if points < 0:
        raise ValueError(f"item {id!r}: points must be >= 0, got {points}.")
    it = Item(
        id=id,
        function=function,
        points=float(points),
        description=description,
        time_limit=float(time_limit),
    )
    for fn in tests or []:
        it.test(fn)
    _REGISTRY[id] = it
    return it


def get_item(item_id: str) -> Item:
    """The registered item ``"NN.name"`` (imports chapter NN's item module on first use)."""
    from rlcourse.grading.items import load_chapter

    m = ITEM_ID.match(item_id) if isinstance(item_id, str) else None
    if m is None:
        raise ValueError(
            f"{item_id!r} is not an item id; item ids are 'NN.name', e.g. '02.policy_evaluation'."
        )
    load_chapter(m.group(1))
    if item_id not in _REGISTRY:
        known = sorted(i for i in _REGISTRY if i.startswith(m.group(1) + "."))
        raise KeyError(
            f"no graded item {item_id!r}. Items of chapter {m.group(1)}: "
            f"{', '.join(known) if known else '(none)'}. Check the spelling in your "
            "check(...) call."
        )
    return _REGISTRY[item_id]


def items_for_chapter(chapter: str | int) -> list[Item]:
    """Every registered item of a chapter, in the order its module declared them."""
    from rlcourse.grading.items import load_chapter

    nn = f"{int(chapter):02d}"
    load_chapter(nn)
    return [it for it in _REGISTRY.values() if it.chapter == nn]
