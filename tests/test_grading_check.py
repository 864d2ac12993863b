"""check(), the item registry and the assertion helpers (no kernels; the demo chapter 00)."""

from __future__ import annotations

import numpy as np
import pytest

from rlcourse.grading import (
    CheckReport,
    assert_array_close,
    assert_array_equal,
    assert_scalar_close,
    check,
    get_item,
    item,
    items_for_chapter,
)
from rlcourse.grading.asserts import as_array, assert_unchanged, fresh_copy
from rlcourse.grading.check import BoundedBuffer, format_report, run_item
from rlcourse.grading.items import chapter_modules
from rlcourse.grading.registry import _REGISTRY


def good_add(a, b):
    return a + b


def good_mean(xs):
    return sum(xs) / len(xs)


def good_normalize(w):
    return w / w.sum()


# -- the registry ------------------------------------------------------------------------------


def test_demo_chapter_is_discovered_and_ordered():
    assert "00" in chapter_modules()
    items = items_for_chapter("00")
    assert [it.id for it in items] == ["00.add", "00.mean", "00.normalize"]
    assert [it.function for it in items] == ["add", "mean", "normalize"]
    assert [it.points for it in items] == [1.0, 2.0, 2.0]
    assert all(len(it.tests) == 2 for it in items)
    assert items_for_chapter(0) == items  # an int chapter works too


def test_unknown_item_lists_the_chapter_items():
    with pytest.raises(KeyError, match=r"00\.add, 00\.mean, 00\.normalize"):
        get_item("00.nope")
    with pytest.raises(ValueError, match="NN.name"):
        get_item("add")


def test_item_declaration_validates_and_weights_tests():
    with pytest.raises(ValueError, match="two-digit chapter"):
        item("1.x", function="x")
    with pytest.raises(ValueError, match="identifier"):
        item("99.x", function="not a name")
    it = item("99.weighted", function="f", points=3)
    try:

        @it.test
        def first(f):
            """f(1) is 1."""
            assert f(1) == 1, "look at f(1)"

        @it.test(weight=2)
        def second_test(f):
            assert f(2) == 4, "look at f(2)"

        assert [t.title for t in it.tests] == ["f(1) is 1.", "second test"]
        report = run_item(it, lambda x: x)  # passes the first (weight 1 of 3) only
        assert report.points == pytest.approx(1.0)
        assert [r.passed for r in report.results] == [True, False]
    finally:
        _REGISTRY.pop("99.weighted")


# -- check(): output format and points ---------------------------------------------------------


def test_check_full_marks(capsys):
    report = check("00.normalize", good_normalize)
    out = capsys.readouterr().out
    assert isinstance(report, CheckReport)
    assert (report.item, report.points, report.max_points) == ("00.normalize", 2.0, 2.0)
    assert report.passed and len(report.results) == 2
    assert out.splitlines()[0] == "check 00.normalize: 2/2 points"
    assert out.count("  PASS  ") == 2 and "FAIL" not in out


def test_check_wrong_answer_prints_hint_but_not_the_answer(capsys):
    def normalize(w):
        return w / (w.sum() + 1.0)

    report = check("00.normalize", normalize)
    out = capsys.readouterr().out
    assert report.points == 1.0  # the second test (input untouched) still passes
    assert "  FAIL  normalize(w) returns an array of probabilities summing to 1." in out
    assert "  PASS  normalize does not modify its argument." in out
    assert "hint:" in out and "divide every weight by the total weight" in out
    for leaked in ("0.1", "0.3", "0.4", "0.2 ", "[0.1"):  # w / 10 = [.1 .3 0 .4 .2]
        assert leaked not in out
    assert repr(report) == "CheckReport('00.normalize', points=1/2)"


def test_check_stub_counts_as_fail_with_a_helpful_message(capsys):
    def add(a, b):
        raise NotImplementedError("Exercise 00: implement add")

    report = check("00.add", add)
    out = capsys.readouterr().out
    assert report.points == 0 and not report.passed
    assert out.count("FAIL") == 2
    assert "your function raised NotImplementedError: replace the stub" in out


def test_check_wrong_type_and_shape_messages(capsys):
    check("00.normalize", lambda w: {"p": w / w.sum()})
    out = capsys.readouterr().out
    assert "expected `normalize(w)` to be a numpy array of shape (5,), got dict" in out
    check("00.normalize", lambda w: (w / w.sum())[:4])
    assert "has shape (4,), expected shape (5,)" in capsys.readouterr().out
    check("00.mean", lambda xs: "3.0")
    assert "to be a number (float), got str" in capsys.readouterr().out


def test_check_other_exceptions_are_fails(capsys):
    def mean(xs):
        return xs[10]

    report = check("00.mean", mean)
    out = capsys.readouterr().out
    assert report.points == 0
    assert "your function raised IndexError" in out

    def mean_exits(xs):
        raise SystemExit(0)

    assert check("00.mean", mean_exits).points == 0
    assert "sys.exit()" in capsys.readouterr().out


def test_check_time_limit_stops_an_endless_loop(capsys):
    def mean(xs):
        while True:
            pass

    report = check("00.mean", mean, time_limit=0.3)
    assert report.points == 0
    assert all("time limit" in r.message for r in report.results)
    assert "stopped after 0.3 s" in capsys.readouterr().out


def test_check_caps_what_the_student_prints(capsys):
    def add(a, b):
        for _ in range(1000):
            print("x" * 1000)  # 1 MB per call
        return a - b

    report = check("00.add", add)
    out = capsys.readouterr().out
    assert report.points == 0
    assert len(out) < 5000
    assert "more characters not shown" in report.results[0].output
    assert len(report.results[0].output) < 2200
    assert "your function printed:" in out and "(truncated)" in out


def test_check_missing_or_not_callable_function(capsys):
    report = check("00.add", None)
    assert report.points == 0
    assert "no function named `add`" in report.results[0].message
    report = check("00.add", 5)
    assert "not a function (got int)" in report.results[0].message
    capsys.readouterr()


def test_check_is_skipped_while_grading(capsys, monkeypatch):
    monkeypatch.setenv("RLCOURSE_GRADING", "1")
    calls = []
    report = check("00.add", lambda a, b: calls.append(1))
    assert report.skipped and report.points == 0 and report.results == []
    assert calls == []
    assert capsys.readouterr().out.strip() == "check 00.add: (grading: skipped)"


def test_format_report_is_deterministic():
    a = format_report(run_item(get_item("00.mean"), good_mean))
    b = format_report(run_item(get_item("00.mean"), good_mean))
    assert (
        a
        == b
        == (
            "check 00.mean: 2/2 points\n  PASS  mean of a short list.\n"
            "  PASS  mean of a single element is that element."
        )
    )


def test_bounded_buffer_counts_what_it_drops():
    buf = BoundedBuffer(10)
    for _ in range(3):
        buf.write("abcdef")
    assert buf.getvalue() == "abcdefabcd\n... [8 more characters not shown]"


# -- assertion helpers -------------------------------------------------------------------------


def test_assert_array_close_never_prints_expected_values():
    expected = np.array([0.123456, 7.654321])
    with pytest.raises(AssertionError) as e:
        assert_array_close(np.array([0.5, 7.654321]), expected, name="V", hint="check gamma.")
    msg = str(e.value)
    assert "`V` is wrong at 1 of 2 entries (first: V[0] = 0.5)" in msg and "check gamma." in msg
    assert "0.123" not in msg and "7.65" not in msg


@pytest.mark.parametrize(
    "actual, fragment",
    [
        ([0.1, 0.2], "wrong at 2 of 2 entries (first: V[0] = 0.1)"),
        ([[1.0, 2.0], [3.0]], "is a list that is not a table of numbers (rows of different"),
        ([1.0, "2"], "is a list of <U32 values; expected numbers"),
        ([1.0, None], "is a list that is not a table of numbers"),
        ((np.zeros(2), np.zeros(3)), "is a tuple that is not a table of numbers"),
        ("12", "got str"),
        (np.zeros((2, 1)), "has shape (2, 1), expected shape (2,)"),
        (np.array([np.nan, 1.0]), "contains NaN or inf (first at V[0])"),
        (np.array(["a", "b"]), "has dtype <U1"),
        (None, "got NoneType"),
    ],
)
def test_assert_array_close_explains_each_kind_of_mistake(actual, fragment):
    with pytest.raises(AssertionError, match=None) as e:
        assert_array_close(actual, np.array([1.0, 2.0]), name="V")
    assert fragment in str(e.value)


def test_assert_helpers_accept_right_answers():
    assert_array_close([1.0, 2.0], np.array([1.0, 2.0]), allow_list=True)
    assert_array_close([1.0, 2.0], np.array([1.0, 2.0]))  # lists are accepted by default
    assert_array_close((1, 2), np.array([1.0, 2.0]))
    assert_array_close([[1.0, 0.0], [0.5, 0.5]], np.array([[1.0, 0.0], [0.5, 0.5]]))
    assert_array_equal([[0, 1], [1, 0]], np.eye(2)[[1, 0]])
    assert_array_close([np.float64(1.0), np.int64(2)], np.array([1.0, 2.0]))
    assert_array_close(np.array([1.0, 2.0 + 1e-9]), np.array([1.0, 2.0]))
    assert_array_equal(np.array([0, 1]), np.array([0, 1]))
    assert_scalar_close(np.float64(0.5), 0.5)
    assert_scalar_close(np.array([0.5]), 0.5)
    with pytest.raises(AssertionError, match="expected `x` to be a number"):
        assert_scalar_close(True, 1.0, name="x")
    with pytest.raises(AssertionError, match="not the expected value"):
        assert_scalar_close(0.4, 0.5)
    with pytest.raises(AssertionError, match="wrong at 1 of 2"):
        assert_array_equal(np.array([0, 2]), np.array([0, 1]))


def test_allow_list_false_still_insists_on_an_array():
    with pytest.raises(AssertionError, match=r"got list \(wrap it in np.asarray"):
        assert_array_close([1.0, 2.0], np.array([1.0, 2.0]), name="V", allow_list=False)


def test_a_list_answer_is_still_checked_entry_by_entry():
    with pytest.raises(AssertionError, match=r"has shape \(3,\), expected shape \(2,\)"):
        assert_array_close([1.0, 2.0, 3.0], np.array([1.0, 2.0]), name="V")
    with pytest.raises(AssertionError, match="contains NaN or inf"):
        assert_array_close([1.0, float("nan")], np.array([1.0, 2.0]), name="V")
    with pytest.raises(AssertionError, match="complex"):
        assert_array_close([1.0 + 1j, 2.0], np.array([1.0, 2.0]), name="V")


def test_as_array_converts_lists_and_explains_what_it_cannot():
    assert as_array([[1, 2], [3, 4]]).shape == (2, 2)
    x = np.zeros(3)
    assert as_array(x) is x
    with pytest.raises(AssertionError, match="forget `return`"):
        as_array(None, name="Q")
    with pytest.raises(AssertionError, match="rows of different lengths"):
        as_array([[1.0], [1.0, 2.0]], name="Q", hint="look at the rows.")


def test_fresh_copy_is_deep_and_assert_unchanged_names_the_argument():
    original = {"V": np.arange(3.0), "episodes": [([0, 1], [1.0])], "gamma": 0.5}
    copy = fresh_copy(original)
    assert_unchanged("f", "x", original, copy)  # equal, nothing raised
    copy["V"][0] = 9.0
    assert original["V"][0] == 0.0
    with pytest.raises(AssertionError) as e:
        assert_unchanged("q_from_v", "R", original, copy, hint="extra words.")
    msg = str(e.value)
    assert "`q_from_v` changed its argument `R`" in msg
    assert "q_from_v must not change its inputs" in msg and msg.endswith("extra words.")
    copy = fresh_copy(original)
    copy["episodes"][0][0].reverse()  # a list inside a tuple inside a list
    with pytest.raises(AssertionError, match="changed its argument"):
        assert_unchanged("mc", "episodes", original, copy)
    nan = np.array([np.nan, 1.0])
    assert_unchanged("f", "x", nan, fresh_copy(nan))  # NaN equals NaN here
    with pytest.raises(AssertionError):
        assert_unchanged("f", "x", np.zeros(2), np.zeros(3))


def test_tensors_are_copied_and_compared_like_arrays_and_calls_follow_the_header():
    import torch

    from rlcourse.grading.asserts import call_as_header, header_names

    t = torch.tensor([1.0, 2.0, 3.0])
    copy = fresh_copy(t)
    assert copy is not t and torch.equal(copy, t)
    assert_unchanged("f", "r", t, copy)
    copy[0] = 5.0
    assert t[0] == 1.0
    with pytest.raises(AssertionError, match="`td_target` changed its argument `r`"):
        assert_unchanged("td_target", "r", t, copy)
    with pytest.raises(AssertionError, match="changed its argument"):
        assert_unchanged("f", "r", t, t.numpy())  # a tensor is not its array

    assert header_names("td_target(r, q_next, terminated=False, *, gamma)") == [
        "r",
        "q_next",
        "terminated",
    ]

    def in_place(r, q_next, *, gamma):
        r += gamma
        return r

    with pytest.raises(AssertionError, match="changed its argument `r`") as e:
        call_as_header(in_place, "in_place(r, q_next, *, gamma)", t, t, gamma=1.0, hint="H.")
    assert str(e.value).endswith("H.") and t[0] == 1.0  # the test's own tensor is intact
    # the replaced argument (an update's w) is left to the item's own test
    out = call_as_header(in_place, "in_place(r, q_next, *, gamma)", t, t, gamma=1.0, replaced="r")
    assert out.tolist() == [2.0, 3.0, 4.0]
    with pytest.raises(AssertionError, match="Keep the header exactly: f"):
        call_as_header(lambda r, gamma: r, "f(r, *, gamma)", t, gamma=1.0, alpha=2)


def test_a_header_that_does_not_fit_the_call_is_explained_as_such(capsys):
    """A student who changes the exercise's header (e.g. alpha back to positional) is told to
    keep the header, not that the value returned has the wrong type; an error raised inside the
    student's own code is still reported as theirs."""
    from rlcourse.grading.check import explain_exception

    def q_learning_update(Q, s, a, r, s_next, alpha, gamma, terminal=False):
        return Q

    try:
        q_learning_update(np.zeros((2, 2)), 0, 1, 1.0, 1, True, alpha=0.5, gamma=0.9)
    except TypeError as exc:
        message = explain_exception(exc, q_learning_update)
    assert "could not call your function" in message and "keep the header line" in message

    def td0_update(V, s, r, s_next, terminal=False, *, alpha, gamma):
        raise TypeError("td0_update() got an unexpected keyword argument 'x'")  # their own bug

    try:
        td0_update(np.zeros(2), 0, 1.0, 1, alpha=0.1, gamma=1.0)
    except TypeError as exc:
        message = explain_exception(exc, td0_update)
    assert message.startswith("your function raised TypeError")
