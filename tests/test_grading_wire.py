"""The plain-data boundary between the grader and a student's kernel (wire + calls).

What crosses is data of a few agreed forms, decoded into fresh objects of the base types; a
student's function sees fresh inputs on every call; what it raised comes back as a record, never
as its own exception class; check() in a notebook goes through the very same round trip.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from rlcourse.grading import wire
from rlcourse.grading.calls import LocalFunction, StudentRaised, invoke, student_exception
from rlcourse.grading.check import explain_exception


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        10**40,
        -2.5,
        float("nan"),
        float("-inf"),
        "text",
        [1, [2.0, "x"]],
        (1, 2),
        {"a": 1, "b": (None,)},
        np.arange(6, dtype=np.int32).reshape(2, 3),
        np.array([True, False]),
        np.zeros((0, 4)),
        np.float32(1.5),
        np.int64(-7),
        np.array([1 + 2j]),
    ],
)
def test_round_trip_keeps_values_and_types(value):
    back = wire.loads(wire.dumps(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert np.array_equal(back, value) and back is not value
    elif isinstance(value, float) and value != value:
        assert back != back
    else:
        assert back == value


def test_generators_cross_by_their_state():
    rng = np.random.default_rng(5)
    rng.random(3)
    back = wire.loads(wire.dumps(rng))
    assert back is not rng and np.array_equal(back.random(4), rng.random(4))


def test_a_subclass_or_a_lying_object_comes_back_as_plain_data_or_unsupported():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    liar = np.zeros(3).view(Liar)
    back = wire.loads(wire.dumps(liar))
    assert type(back) is np.ndarray and not (back == np.ones(3)).any()

    class Answer:
        pass

    odd = wire.loads(wire.dumps([Answer(), lambda: 1, {1: 2}, np.array(["a"], dtype=object)]))
    assert all(isinstance(x, wire.Unsupported) for x in odd)
    assert "Answer" in repr(odd[0])


@pytest.mark.parametrize(
    "tree",
    [
        {"$array": "AAAA", "dtype": "<f8", "shape": [3], "readonly": False},  # bytes != shape
        {"$array": "AAAAAAAAAAA=", "dtype": "|O", "shape": [1], "readonly": False},  # objects
        {"$array": "AAAAAAAAAAA=", "dtype": "<f8", "shape": [-1], "readonly": False},
        {"$array": "not base64!", "dtype": "<f8", "shape": [1], "readonly": False},
        {"$scalar": "AA==", "dtype": "<f8"},
        {"$generator": "os.system", "state": {"$dict": []}},
        {"$generator": "PCG64", "state": {"$dict": [["state", 1]]}},
        {"$pickle": "gASVAAAA"},
        {"$f": "1e999"},
        {"$dict": [[1, 2]]},
        {"plain": "dict"},
        {},
    ],
)
def test_decode_refuses_everything_but_the_agreed_forms(tree):
    with pytest.raises(wire.WireError):
        wire.decode(tree)


def test_decode_refuses_deep_nesting_huge_arrays_and_oversized_text():
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.loads(json.dumps(deep))
    huge = {"$array": "", "dtype": "<f8", "shape": [10**9, 10**9], "readonly": False}
    with pytest.raises(wire.WireError):
        wire.decode(huge)
    with pytest.raises(wire.WireError):
        wire.loads(" " * (wire.MAX_TEXT + 1))
    with pytest.raises(wire.WireError):
        wire.loads("[" * 100_000)  # would be a RecursionError in json


def request(*args, repeat=None, **kwargs):
    return wire.dumps({"args": list(args), "kwargs": kwargs, "repeat": repeat})


def test_invoke_calls_on_fresh_copies_and_reports_the_state_after():
    seen = []

    def corrupting(P, *, scale):
        seen.append(P)
        P[:] = -1.0  # corrupts its input
        return P.sum() * scale

    P = np.ones((2, 2))
    response = wire.loads(invoke(corrupting, request(P, scale=2.0)))
    assert response["ok"] and response["values"] == [-8.0]
    assert seen[0] is not P and np.array_equal(P, np.ones((2, 2)))  # the caller's P untouched
    assert np.array_equal(response["after"]["args"][0], -np.ones((2, 2)))

    # through a LocalFunction the test sees the change, as it would in its own process
    fn = LocalFunction(corrupting)
    Q = np.ones((2, 2))
    fn(Q, scale=1.0)
    assert np.array_equal(Q, -np.ones((2, 2)))
    frozen = np.ones(2)
    frozen.setflags(write=False)
    with pytest.raises(ValueError):  # read-only in, read-only on the other side
        fn(frozen, scale=1.0)


def test_repeat_gives_every_call_fresh_arrays_and_one_generator_in_sequence():
    def draw(q, *, rng):
        q[0] += 100  # would leak into the next call without fresh copies
        return int(np.argmax(q)) if rng.random() > 0.5 else -1

    rng = np.random.default_rng(0)
    mine = np.random.default_rng(0)
    got = LocalFunction(draw).repeat(50, np.array([0.0, 1.0]), rng=rng)
    expected = [0 if mine.random() > 0.5 else -1 for _ in range(50)]
    assert got == expected  # each call: q[0] = 100 > 1, so argmax 0; one shared stream
    assert np.array_equal(rng.random(3), mine.random(3))  # the test's rng moved on too


def test_what_the_student_raised_is_a_record_never_their_class():
    class Sneaky(Exception):
        def __str__(self):
            raise RuntimeError("no message for you")

    def raises_own(x):
        raise Sneaky()

    def raises_value_error(x):
        raise ValueError("bad x")

    with pytest.raises(Exception) as info:
        LocalFunction(raises_own)(1)
    assert isinstance(info.value, StudentRaised) and type(info.value).__name__ == "StudentException"
    assert info.value.record["type"] == "Sneaky"
    with pytest.raises(ValueError) as info:  # a built-in class keeps its class for the test
        LocalFunction(raises_value_error)(1)
    assert info.value.record["where"] == "student"
    assert "your function raised ValueError: bad x" in explain_exception(info.value, None)

    def stub(x):
        raise NotImplementedError("replace this line")

    with pytest.raises(NotImplementedError) as info:
        LocalFunction(stub)(1)
    assert "replace the stub" in explain_exception(info.value, None)


def test_header_mismatch_and_exit_are_explained():
    def wrong_header(Q, s, alpha):
        return Q

    fn = LocalFunction(wrong_header)
    with pytest.raises(TypeError) as info:
        fn(np.zeros(2), 0, alpha=0.1, gamma=0.9)
    assert "keep the header line `def wrong_header(...)`" in explain_exception(info.value, fn)

    def exits(x):
        raise SystemExit(0)

    with pytest.raises(Exception) as info:
        LocalFunction(exits)(1)
    assert "sys.exit()" in explain_exception(info.value, None)
    died = student_exception({"type": "SystemExit", "where": "died", "message": ""})
    assert "process stopped" in explain_exception(died, None)


def test_a_forged_or_broken_response_is_an_error_not_a_pass():
    class Forger(LocalFunction):
        def __init__(self, text):
            super().__init__(lambda: None)
            self.text = text

        def _send(self, request_text):
            return self.text

    for text in ["{}", "null", '{"ok": true}', '{"ok": true, "values": [1, 2]}', "[" * 5000]:
        with pytest.raises(wire.WireError):
            Forger(text)()


def test_torch_tensors_cross_as_their_data_and_are_written_back():
    """Deep chapters pass tensors: their data crosses (no autograd history, no subclass), an
    in-place change is seen by the test, and the asserts read a tensor like an array."""
    import torch

    from rlcourse.grading import assert_array_close

    for t in (torch.arange(6, dtype=torch.float32).reshape(2, 3), torch.tensor([True, False])):
        back = wire.loads(wire.dumps(t))
        assert type(back) is torch.Tensor and back.dtype == t.dtype and torch.equal(back, t)
    w = torch.nn.Parameter(torch.ones(3))
    back = wire.loads(wire.dumps(w * 2))
    assert type(back) is torch.Tensor and not back.requires_grad
    assert type(wire.loads(wire.dumps(w))) is torch.Tensor

    def scale_in_place(x, *, by):
        x.mul_(by)
        return x.sum()

    x = torch.ones(4)
    total = LocalFunction(scale_in_place)(x, by=3.0)
    assert torch.equal(x, torch.full((4,), 3.0)) and float(total) == 12.0
    assert_array_close(torch.tensor([0.5, 1.0]), [0.5, 1.0])
    with pytest.raises(AssertionError, match="wrong at 1 of 2"):
        assert_array_close(torch.tensor([0.5, 2.0]), [0.5, 1.0])
