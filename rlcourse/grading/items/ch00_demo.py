"""Chapter 00 (demo): three tiny items that exercise the grading machinery.

They double as the example for chapter authors: one item per student function, tests that
compute the expected value independently and fail with a hint, never with the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rlcourse.grading import assert_array_close, assert_scalar_close, item

add = item("00.add", function="add", points=1, description="add two numbers")


@add.test
def adds_two_integers(add: Callable[..., Any]) -> None:
    """add(2, 3) is the sum of its arguments."""
    assert add(2, 3) == 2 + 3, "add(a, b) should return a + b."


@add.test
def adds_negative_floats(add: Callable[..., Any]) -> None:
    """add works for negative floats."""
    assert_scalar_close(
        add(-1.5, 0.25), -1.25, name="add(-1.5, 0.25)", hint="do not round or convert to int."
    )


mean = item("00.mean", function="mean", points=2, description="the average of a list")


@mean.test
def mean_of_a_list(mean: Callable[..., Any]) -> None:
    """mean of a short list."""
    xs = [1.0, 2.0, 6.0]
    assert_scalar_close(
        mean(xs),
        sum(xs) / len(xs),
        name="mean([1, 2, 6])",
        hint="divide the sum by the number of elements.",
    )


@mean.test
def mean_of_one_element(mean: Callable[..., Any]) -> None:
    """mean of a single element is that element."""
    assert_scalar_close(mean([4.5]), 4.5, name="mean([4.5])")


normalize = item(
    "00.normalize",
    function="normalize",
    points=2,
    description="turn non-negative weights into probabilities",
)


@normalize.test
def normalize_returns_probabilities(normalize: Callable[..., Any]) -> None:
    """normalize(w) returns an array of probabilities summing to 1."""
    w = np.array([1.0, 3.0, 0.0, 4.0, 2.0])  # (5,)
    assert_array_close(
        normalize(w.copy()),
        w / 10.0,
        name="normalize(w)",
        hint="divide every weight by the total weight.",
    )


@normalize.test
def normalize_keeps_the_input(normalize: Callable[..., Any]) -> None:
    """normalize does not modify its argument."""
    w = np.array([2.0, 2.0])
    normalize(w)
    assert np.array_equal(w, [2.0, 2.0]), "normalize changed its input array: work on a copy."
