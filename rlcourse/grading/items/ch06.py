"""Chapter 06 (DQN, [D003]): the epsilon schedule, the TD target y_j (and Double DQN's), the
loss on (y_j - Q(s_j, a_j; theta)), and the replay memory D's two index functions, each written
by the student with exactly the contract of the function of the same name in
``rlcourse.deep`` (``rlcourse/deep/dqn.py``): data positional, hyperparameters keyword-only
(``td_target(r, q_next, terminated, *, gamma)``, ``ring_slots(pos, n, *, capacity)``), torch
tensors in and out for the slide's symbols, numpy for the buffer's rows, inputs never changed.

Every expected value below is worked out by hand (the arithmetic is in the comments), or is a
property with a computed bound (the frequency test of ``sample_indices`` uses Hoeffding's
inequality). Each item has a test aimed at a common mistake, named in its docstring: epsilon that
keeps falling after ``duration``, integer division, bootstrapping from a terminal s', a mask of
the wrong sense (a time-limit truncation must bootstrap), ``1 - terminated`` on a bool tensor,
max over the wrong axis, Double DQN with the networks' roles swapped, Huber with another
threshold, a sum instead of a mean, Q of the wrong action, a ring that does not wrap, indices of
rows that hold nothing yet, sampling without replacement, a global random generator.

Calls cross a wire (:mod:`rlcourse.grading.calls`): tensors arrive as plain tensors without
autograd history, so whether a loss can be backpropagated is shown in the exercise notebook's
"Putting it together" (one optimiser step), not here.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from rlcourse.grading import assert_array_close, assert_array_equal, assert_scalar_close, item
from rlcourse.grading.asserts import as_array, call_as_header

RTOL = 1e-5  # float32 tensors: about 7 significant digits


def _tensor(values, dtype=torch.float32) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype)


_INPUT_HINT = (
    "With tensors: `q_next[terminated] = 0`, `r += ...` or `x.masked_fill_(...)` write into the "
    "caller's tensor; build the result from expressions (`torch.where`, `r + ...`) instead."
)


def _call(fn, header: str, *args, **kwargs):
    """fn(*args, **kwargs) on fresh copies, as the exercise's header calls it; fails when the
    arguments do not fit the header or the call changed a tensor or array argument."""
    return call_as_header(fn, header, *args, hint=_INPUT_HINT, **kwargs)


# --------------------------------------------------------------------------- 06.linear_epsilon
eps = item(
    "06.linear_epsilon",
    function="linear_epsilon",
    points=1,
    description="epsilon_t = start + min(t / duration, 1) (end - start)",
)
EPS_HEADER = "linear_epsilon(step, *, start, end, duration)"
# the schedule used below: start = 1, end = 0.05, duration = 1000 (end - start = -0.95)
SCHEDULE = {"start": 1.0, "end": 0.05, "duration": 1000}


def _epsilon(linear_epsilon, step, **schedule):
    return _call(linear_epsilon, EPS_HEADER, step, **schedule)


@eps.test
def the_ends_of_the_schedule(linear_epsilon: Callable[..., Any]) -> None:
    """start = 1, end = 0.05, duration = 1000: step 0 gives start, step 1000 gives end."""
    assert_scalar_close(
        _epsilon(linear_epsilon, 0, **SCHEDULE),
        1.0,
        name="linear_epsilon(0, ...)",
        hint="at step 0 nothing has decayed yet: epsilon is `start` (are start and end the "
        "right way round?).",
    )
    assert_scalar_close(
        _epsilon(linear_epsilon, 1000, **SCHEDULE),
        0.05,
        name="linear_epsilon(duration, ...)",
        hint="after `duration` steps the decay is complete: epsilon has reached `end`.",
    )


@eps.test
def a_straight_line_in_between(linear_epsilon: Callable[..., Any]) -> None:
    """a quarter, half and three quarters of the way, and a second schedule 1 -> 0 in 4 steps."""
    # start + (t / 1000) (0.05 - 1): t = 250: 1 - 0.2375 = 0.7625; t = 500: 1 - 0.475 = 0.525;
    # t = 750: 1 - 0.7125 = 0.2875
    for step, expected in ((250, 0.7625), (500, 0.525), (750, 0.2875)):
        assert_scalar_close(
            _epsilon(linear_epsilon, step, **SCHEDULE),
            expected,
            name=f"linear_epsilon({step}, start=1.0, end=0.05, duration=1000)",
            hint="epsilon falls on a straight line: start + (step / duration) * (end - start). "
            "`step // duration` is integer division (0 until the end): use `/`.",
        )
    # start = 1, end = 0, duration = 4: t = 1: 1 - 1/4 = 0.75; t = 3: 1 - 3/4 = 0.25
    for step, expected in ((1, 0.75), (3, 0.25)):
        assert_scalar_close(
            _epsilon(linear_epsilon, step, start=1.0, end=0.0, duration=4),
            expected,
            name=f"linear_epsilon({step}, start=1.0, end=0.0, duration=4)",
            hint="the fraction of the decay done is step / duration, a float between 0 and 1.",
        )


@eps.test
def constant_after_the_end(linear_epsilon: Callable[..., Any]) -> None:
    """past duration epsilon stays at end: steps 1001, 5000 and 10**6 of the same schedule."""
    for step in (1001, 5000, 10**6):
        assert_scalar_close(
            _epsilon(linear_epsilon, step, **SCHEDULE),
            0.05,
            name=f"linear_epsilon({step}, ...)",
            hint="once step >= duration the schedule is over and epsilon stays at `end`: "
            "clamp the fraction, min(step / duration, 1) (without it epsilon keeps falling, "
            "below 0).",
        )


@eps.test
def duration_zero_means_end_at_once(linear_epsilon: Callable[..., Any]) -> None:
    """duration = 0: no decay at all, epsilon = end from step 0 (no division by zero)."""
    for step in (0, 10):
        assert_scalar_close(
            _epsilon(linear_epsilon, step, start=1.0, end=0.1, duration=0),
            0.1,
            name=f"linear_epsilon({step}, start=1.0, end=0.1, duration=0)",
            hint="a schedule of length 0 is already over: return `end` before dividing by "
            "duration.",
        )


# --------------------------------------------------------------------------- 06.td_target
td = item(
    "06.td_target",
    function="td_target",
    points=3,
    description="y_j = r_j + gamma (1 - terminated_j) max_a' Q^(s_{j+1}, a')",
)
TD_HEADER = "td_target(r, q_next, terminated, *, gamma)"

# B = 4 transitions, A = 3 actions. Row by row: max, min and mean all differ.
R4 = [1.0, 2.0, -1.0, 0.5]
Q_NEXT4 = [
    [1.0, 3.0, 2.0],  # max 3
    [2.0, -1.0, 0.0],  # max 2
    [0.5, 0.25, -2.0],  # max 0.5
    [-1.0, -3.0, -2.0],  # max -1
]
# gamma = 0.9, nothing terminal: y = (1 + 2.7, 2 + 1.8, -1 + 0.45, 0.5 - 0.9)
Y4 = [3.7, 3.8, -0.55, -0.4]

_TERMINAL_HINT = (
    "terminated_j = 1 means s_{j+1} is a terminal state, worth 0: then y_j = r_j alone. "
    "terminated_j = 0 means s_{j+1} is a real state (a time-limit truncation included) and "
    "y_j = r_j + gamma max_a' q_next[j, a']: multiply the bootstrap by (1 - terminated)."
)


def _y(td_target, r, q_next, terminated, gamma, name="y"):
    y = _call(td_target, TD_HEADER, r, q_next, terminated, gamma=gamma)
    return as_array(y, name, "return y as a tensor of shape (B,), one target per transition.")


@td.test
def targets_by_hand(td_target: Callable[..., Any]) -> None:
    """B = 4 transitions, A = 3 actions, gamma = 0.9, no terminal state."""
    y = _y(td_target, _tensor(R4), _tensor(Q_NEXT4), _tensor([0.0, 0.0, 0.0, 0.0]), 0.9)
    assert_array_close(
        y,
        Y4,
        name="td_target(r, q_next, terminated, gamma=0.9)",
        rtol=RTOL,
        hint="y_j = r_j + gamma * max_a' q_next[j, a']: the max (not the min or mean) over the "
        "actions of row j, times gamma, one target per transition: shape (B,) (`.max(dim=1)` "
        "returns values and indices; keepdim=True would give (B, 1) and broadcast to (B, B)).",
    )


@td.test
def max_over_the_actions_of_each_row(td_target: Callable[..., Any]) -> None:
    """B = A = 2, r = 0, gamma = 1: y_j is the largest entry of ROW j of q_next."""
    # row maxima: row 0 (1, 4) -> 4, row 1 (3, 2) -> 3; column maxima would be (3, 4)
    y = _y(
        td_target, _tensor([0.0, 0.0]), _tensor([[1.0, 4.0], [3.0, 2.0]]), _tensor([0.0, 0.0]), 1.0
    )
    assert_array_close(
        y,
        [4.0, 3.0],
        name="td_target(0, q_next, 0, gamma=1)",
        rtol=RTOL,
        hint="q_next has one row per transition and one column per action a': take the max "
        "over the actions, dim=1 (dim=0 is the max over the batch).",
    )


@td.test
def terminal_next_state_is_worth_zero(td_target: Callable[..., Any]) -> None:
    """the same batch with s' terminal for transitions 1 and 3: their targets are r alone."""
    # y = (1 + 0.9 * 3, 2, -1 + 0.9 * 0.5, 0.5) = (3.7, 2.0, -0.55, 0.5)
    y = _y(td_target, _tensor(R4), _tensor(Q_NEXT4), _tensor([0.0, 1.0, 0.0, 1.0]), 0.9)
    assert_array_close(
        y,
        [3.7, 2.0, -0.55, 0.5],
        name="td_target(r, q_next, terminated, gamma=0.9)",
        rtol=RTOL,
        hint=_TERMINAL_HINT + " Whatever q_next holds in a terminal row is ignored.",
    )


@td.test
def a_truncated_transition_still_bootstraps(td_target: Callable[..., Any]) -> None:
    """a terminated transition and a time-limit truncated one (terminated = 0), gamma = 0.99."""
    # CartPole: reward 1 per step. Row 0: the pole fell (terminated): y = 1.
    # Row 1: the 500-step limit cut the episode (terminated = 0); q_next holds the values of the
    # true final observation: y = 1 + 0.99 * max(30, 28) = 30.7
    y = _y(
        td_target,
        _tensor([1.0, 1.0]),
        _tensor([[20.0, 25.0], [30.0, 28.0]]),
        _tensor([1.0, 0.0]),
        0.99,
    )
    assert_array_close(
        y,
        [1.0, 30.7],
        name="td_target(r, q_next, terminated, gamma=0.99)",
        rtol=RTOL,
        hint=_TERMINAL_HINT + " terminated is 1 where the episode really ended (not a 'keep "
        "going' mask).",
    )


@td.test
def terminated_as_bools_or_floats(td_target: Callable[..., Any]) -> None:
    """terminated given as a bool tensor (as the env returns it) or as 0/1 floats (the buffer)."""
    # r = (1, 1), q_next rows (2, 5) and (4, 3), gamma = 0.5, row 1 terminal:
    # y = (1 + 0.5 * 5, 1) = (3.5, 1)
    r, q_next = _tensor([1.0, 1.0]), _tensor([[2.0, 5.0], [4.0, 3.0]])
    for terminated in (torch.tensor([False, True]), _tensor([0.0, 1.0])):
        y = _y(td_target, r, q_next, terminated, 0.5)
        assert_array_close(
            y,
            [3.5, 1.0],
            name=f"y (terminated as {terminated.dtype})",
            rtol=RTOL,
            hint="torch refuses `1 - t` for a bool tensor t: convert first, "
            "`1.0 - terminated.float()`, or use `torch.where(terminated.bool(), ...)`.",
        )


# --------------------------------------------------------------------------- 06.double_td_target
dd = item(
    "06.double_td_target",
    function="double_td_target",
    points=2,
    description="y_j = r_j + gamma (1 - terminated_j) Q^(s', argmax_a' Q(s', a'; theta); theta-)",
)
DD_HEADER = "double_td_target(r, q_next_online, q_next_target, terminated, *, gamma)"

# B = 3, A = 3. Online argmax per row: 1, 2, 1; target argmax per row: 0, 1, 2 (all different).
ONLINE3 = [[1.0, 5.0, 2.0], [0.0, -1.0, 3.0], [4.0, 4.5, 0.0]]
TARGET3 = [[6.0, 1.5, 3.0], [1.0, 8.0, -2.0], [0.0, 1.0, 7.0]]
R3 = [1.0, 0.0, 2.0]
# gamma = 0.5: the target network values the online network's choice:
# y = (1 + 0.5 * TARGET3[0][1], 0 + 0.5 * TARGET3[1][2], 2 + 0.5 * TARGET3[2][1])
#   = (1 + 0.75, 0 - 1, 2 + 0.5) = (1.75, -1.0, 2.5)
Y3 = [1.75, -1.0, 2.5]

_DOUBLE_HINT = (
    "two networks, two roles: the ONLINE values pick the action, a* = argmax_a' "
    "q_next_online[j, a'], and the TARGET values price it, q_next_target[j, a*] (e.g. "
    "`q_next_target.gather(1, a_star.unsqueeze(1))`). Not the max of q_next_target (that is "
    "plain DQN), and not the argmax of the sum of both."
)


def _double(double_td_target, r, online, target, terminated, gamma, name):
    y = _call(double_td_target, DD_HEADER, r, online, target, terminated, gamma=gamma)
    return as_array(y, name, "return y as a tensor of shape (B,), one target per transition.")


@dd.test
def online_chooses_target_values(double_td_target: Callable[..., Any]) -> None:
    """B = 3, A = 3, gamma = 0.5; in every row the two networks prefer different actions."""
    y = _double(
        double_td_target,
        _tensor(R3),
        _tensor(ONLINE3),
        _tensor(TARGET3),
        _tensor([0.0, 0.0, 0.0]),
        0.5,
        "double_td_target(...)",
    )
    assert_array_close(y, Y3, name="double_td_target(...)", rtol=RTOL, hint=_DOUBLE_HINT)


@dd.test
def terminal_rows_are_r_alone(double_td_target: Callable[..., Any]) -> None:
    """the same batch with transitions 0 and 2 terminal."""
    # y = (1, -1.0, 2): rows 0 and 2 are r alone, row 1 as above
    y = _double(
        double_td_target,
        _tensor(R3),
        _tensor(ONLINE3),
        _tensor(TARGET3),
        _tensor([1.0, 0.0, 1.0]),
        0.5,
        "y (rows 0 and 2 terminal)",
    )
    assert_array_close(
        y,
        [1.0, -1.0, 2.0],
        name="y (rows 0 and 2 terminal)",
        rtol=RTOL,
        hint="where terminated_j = 1 the target is r_j alone: (1 - terminated) multiplies the "
        "bootstrap, as in td_target (a bool terminated needs .float() first).",
    )


@dd.test
def ties_go_to_the_lowest_index(double_td_target: Callable[..., Any]) -> None:
    """tied online values: the lowest tied action is the one the target network values."""
    # online rows (2, 2, 0) and (1, 3, 3): a* = 0 and 1 (first maximiser); r = 0, gamma = 1:
    # y = (TARGET[0][0], TARGET[1][1]) = (5, 4); the last maximiser would give (9, 6)
    y = _double(
        double_td_target,
        _tensor([0.0, 0.0]),
        _tensor([[2.0, 2.0, 0.0], [1.0, 3.0, 3.0]]),
        _tensor([[5.0, 9.0, 1.0], [0.0, 4.0, 6.0]]),
        _tensor([0.0, 0.0]),
        1.0,
        "y (tied online values)",
    )
    assert_array_close(
        y,
        [5.0, 4.0],
        name="y (tied online values)",
        rtol=RTOL,
        hint="the course's one rule: ties go to the lowest action index (torch.argmax and "
        "np.argmax return the first maximiser).",
    )


# --------------------------------------------------------------------------- 06.dqn_loss
dl = item(
    "06.dqn_loss",
    function="dqn_loss",
    points=3,
    description="mean_j l(y_j - Q(s_j, a_j; theta)), Huber (delta = 1) or squared; (loss, info)",
)
DL_HEADER = 'dqn_loss(q, actions, y, *, loss="huber")'

# B = 4, A = 2. Taken actions (0, 0, 1, 1): Q(s_j, a_j) = (1, 0.5, 0, 4); rows 0 and 2 took the
# smaller value, so max_a Q differs from Q(s_j, a_j) there.
Q_B4 = [[1.0, 2.0], [0.5, -1.0], [3.0, 0.0], [-2.0, 4.0]]
ACTIONS_B4 = [0, 0, 1, 1]
Y_B4 = [1.5, 0.3, 2.0, 1.0]
# TD errors y - Q(s, a) = (0.5, -0.2, 2.0, -3.0): two inside |e| <= 1, two outside.
# Huber (delta = 1): 0.5 e^2 inside, |e| - 0.5 outside: 0.125, 0.02, 1.5, 2.5; mean 4.145 / 4
HUBER_B4 = 1.03625
# squared error: 0.25, 0.04, 4, 9; mean 13.29 / 4
MSE_B4 = 3.3225
Q_MEAN_B4 = 1.375  # (1 + 0.5 + 0 + 4) / 4
TD_ABS_B4 = 1.425  # (0.5 + 0.2 + 2 + 3) / 4


def _batch4() -> tuple:
    return _tensor(Q_B4), _tensor(ACTIONS_B4, torch.int64), _tensor(Y_B4)


def _unpack(result: Any, what: str) -> tuple:
    """(loss, info) of a dqn_loss call, with a message saying what shape of answer is expected."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(
            f"{what} returned {type(result).__name__}; return a pair `(loss, info)`: the loss "
            "tensor and a dict of floats (Spinning Up's `loss, info` convention)."
        )
    return result[0], result[1]


def _loss_value(loss: Any, name: str) -> float:
    """The loss as a float, from a one-element tensor or a number."""
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise AssertionError(
                f"`{name}` is a tensor of shape {tuple(loss.shape)}; the loss is ONE number, "
                "the mean over the batch (the per-transition losses still have to be averaged)."
            )
        return float(loss.reshape(()).item())
    if isinstance(loss, numbers.Real) and not isinstance(loss, bool):
        return float(loss)
    raise AssertionError(
        f"`{name}` is a {type(loss).__name__}; the loss is a torch tensor of one number "
        "(loss.backward() is called on it)."
    )


def _loss(dqn_loss, q, actions, y, name, **kwargs) -> tuple:
    loss, info = _unpack(_call(dqn_loss, DL_HEADER, q, actions, y, **kwargs), name)
    return _loss_value(loss, name), loss, info


@dl.test
def huber_by_hand(dqn_loss: Callable[..., Any]) -> None:
    """B = 4 TD errors, two inside |e| <= 1 and two outside; the default loss is Huber."""
    value, _, _ = _loss(dqn_loss, *_batch4(), "dqn_loss(q, actions, y)")
    assert_scalar_close(
        value,
        HUBER_B4,
        name="dqn_loss(q, actions, y) (Huber)",
        rtol=RTOL,
        hint="e_j = y_j - Q(s_j, a_j); Huber with delta = 1 is 0.5 e^2 where |e| <= 1 and "
        "|e| - 0.5 beyond (F.smooth_l1_loss with its default beta = 1; F.huber_loss with "
        "delta = 1); then the MEAN over the batch.",
    )


@dl.test
def squared_error_by_hand(dqn_loss: Callable[..., Any]) -> None:
    """the same batch with loss="mse": the slide's (y_j - Q(s_j, a_j; theta))^2, averaged."""
    value, _, _ = _loss(dqn_loss, *_batch4(), 'dqn_loss(..., loss="mse")', loss="mse")
    assert_scalar_close(
        value,
        MSE_B4,
        name='dqn_loss(q, actions, y, loss="mse")',
        rtol=RTOL,
        hint='loss="mse" is mean_j (y_j - Q(s_j, a_j))^2, without a factor 1/2 and without '
        "Huber's clipping.",
    )


@dl.test
def uses_q_of_the_action_taken(dqn_loss: Callable[..., Any]) -> None:
    """q rows (0, 10) and (7, -3), actions (0, 1): the loss compares y with Q(s_j, a_j)."""
    # Q(s, a) = (0, -3); y = (0.5, -3.5): errors (0.5, -0.5): squared mean (0.25 + 0.25) / 2
    value, _, _ = _loss(
        dqn_loss,
        _tensor([[0.0, 10.0], [7.0, -3.0]]),
        _tensor([0, 1], torch.int64),
        _tensor([0.5, -3.5]),
        'dqn_loss(..., loss="mse")',
        loss="mse",
    )
    assert_scalar_close(
        value,
        0.25,
        name='dqn_loss(q, actions, y, loss="mse")',
        rtol=RTOL,
        hint="pick ONE value per row, the action taken: q[j, actions[j]], e.g. "
        "`q.gather(1, actions.unsqueeze(1)).squeeze(1)` or `q[torch.arange(B), actions]` "
        "(not `q[:, actions]`, which is (B, B), and not the max over the row).",
    )


@dl.test
def a_mean_over_the_batch(dqn_loss: Callable[..., Any]) -> None:
    """the batch of huber_by_hand written twice (B = 8): a mean does not change."""
    q, actions, y = _batch4()
    value, _, _ = _loss(
        dqn_loss, torch.cat([q, q]), torch.cat([actions, actions]), torch.cat([y, y]), "dqn_loss"
    )
    assert_scalar_close(
        value,
        HUBER_B4,
        name="dqn_loss of the batch repeated twice",
        rtol=RTOL,
        hint="average the per-transition losses (`.mean()`), do not sum them: the size of a "
        "step must not grow with the batch size.",
    )


@dl.test
def info_by_hand(dqn_loss: Callable[..., Any]) -> None:
    """info = {"loss", "q_mean", "td_abs"} as floats, for the batch of huber_by_hand."""
    _, _, info = _loss(dqn_loss, *_batch4(), "dqn_loss(q, actions, y)")
    if not isinstance(info, dict):
        raise AssertionError(
            f"info is a {type(info).__name__}; return a dict with the keys 'loss', 'q_mean' "
            "and 'td_abs'."
        )
    missing = [k for k in ("loss", "q_mean", "td_abs") if k not in info]
    if missing:
        raise AssertionError(f"info has no key {missing}; it needs 'loss', 'q_mean', 'td_abs'.")
    for key, expected, hint in (
        ("loss", HUBER_B4, "the loss's value as a float (`loss.item()`)."),
        (
            "q_mean",
            Q_MEAN_B4,
            "the mean of Q(s_j, a_j; theta) over the batch: the values of the actions "
            "taken, not of the whole (B, A) table.",
        ),
        (
            "td_abs",
            TD_ABS_B4,
            "the mean of |y_j - Q(s_j, a_j)|: absolute values first, then the mean.",
        ),
    ):
        value = info[key]
        if isinstance(value, torch.Tensor):
            raise AssertionError(
                f"info[{key!r}] is a tensor; info holds plain floats (`.item()`), so logging "
                "it keeps no tensor (or autograd graph) alive."
            )
        assert_scalar_close(value, expected, name=f"info[{key!r}]", rtol=RTOL, hint=hint)


@dl.test
def the_loss_is_a_tensor(dqn_loss: Callable[..., Any]) -> None:
    """the loss is returned as a torch tensor holding one number, so loss.backward() works."""
    _, loss, _ = _loss(dqn_loss, *_batch4(), "dqn_loss(q, actions, y)")
    if not isinstance(loss, torch.Tensor):
        raise AssertionError(
            f"the loss is a {type(loss).__name__}; return the tensor itself (not `.item()` or "
            "a float): the optimiser step needs loss.backward(). Floats go in info."
        )


# --------------------------------------------------------------------------- 06.ring_slots
rs = item(
    "06.ring_slots",
    function="ring_slots",
    points=2,
    description="the rows pos, pos + 1, ..., pos + n - 1 (mod capacity) that n transitions fill",
)
RS_HEADER = "ring_slots(pos, n, *, capacity)"

_RING_HINT = (
    "slot i of the n new transitions is (pos + i) % capacity, for i = 0 .. n - 1: past the last "
    "row, capacity - 1, the ring continues at row 0, overwriting the oldest transitions."
)


def _slots(ring_slots, pos, n, capacity):
    return _call(ring_slots, RS_HEADER, pos, n, capacity=capacity)


@rs.test
def wraps_around_by_hand(ring_slots: Callable[..., Any]) -> None:
    """capacity 5: 3 rows from pos 0; 4 rows from pos 3 (which wrap past the last row)."""
    assert_array_equal(
        _slots(ring_slots, 0, 3, 5),
        [0, 1, 2],
        name="ring_slots(0, 3, capacity=5)",
        hint="from pos, n consecutive rows: pos, pos + 1, ..., pos + n - 1 (n of them).",
    )
    # rows 3, 4, then 5 % 5 = 0 and 6 % 5 = 1
    assert_array_equal(
        _slots(ring_slots, 3, 4, 5),
        [3, 4, 0, 1],
        name="ring_slots(3, 4, capacity=5)",
        hint=_RING_HINT,
    )


@rs.test
def a_full_ring_writes_every_row_once(ring_slots: Callable[..., Any]) -> None:
    """n = capacity = 4 from pos 2: every row exactly once, oldest first."""
    # 2, 3, 4 % 4 = 0, 5 % 4 = 1
    assert_array_equal(
        _slots(ring_slots, 2, 4, 4),
        [2, 3, 0, 1],
        name="ring_slots(2, 4, capacity=4)",
        hint=_RING_HINT,
    )


@rs.test
def nothing_to_write(ring_slots: Callable[..., Any]) -> None:
    """n = 0: no rows (an empty array), from any pos."""
    for pos in (0, 3):
        slots = as_array(_slots(ring_slots, pos, 0, 5), f"ring_slots({pos}, 0, capacity=5)")
        assert slots.shape == (0,), (
            f"ring_slots({pos}, 0, capacity=5) returned shape {slots.shape}; with n = 0 there "
            "is no slot to write: an empty array of shape (0,)."
        )


@rs.test
def integer_row_indices(ring_slots: Callable[..., Any]) -> None:
    """the slots are integers, so that buffer[slots] = ... can use them as row indices."""
    slots = as_array(_slots(ring_slots, 1, 3, 5), "ring_slots(1, 3, capacity=5)")
    assert slots.dtype.kind in "iu", (
        f"the slots have dtype {slots.dtype}; row indices must be integers (np.arange(n) is "
        "integer; a float array cannot index the buffer's rows)."
    )


# --------------------------------------------------------------------------- 06.sample_indices
si = item(
    "06.sample_indices",
    function="sample_indices",
    points=2,
    description="batch_size rows drawn uniformly, with replacement, from the size stored ones",
)
SI_HEADER = "sample_indices(size, batch_size, *, rng)"

N_UNIFORM = 20_000
TOLERANCE = 0.02
# Hoeffding: a correct sampler's frequency of one row, over N draws, is further than t from 1/5
# with probability at most 2 exp(-2 N t^2) = 2 exp(-2 * 20000 * 0.0004) = 2 exp(-16) ~ 2.3e-7;
# over the 5 rows at most ~ 1.1e-6: a right answer fails about once in a million.


def _indices(sample_indices, size, batch_size, rng, name):
    idx = _call(sample_indices, SI_HEADER, size, batch_size, rng=rng)
    return as_array(idx, name, "return the indices as a numpy array of shape (batch_size,).")


@si.test
def shape_and_integer_dtype(sample_indices: Callable[..., Any]) -> None:
    """size = 10, batch_size = 64: an integer array of shape (64,)."""
    idx = _indices(sample_indices, 10, 64, np.random.default_rng(0), "sample_indices(10, 64, ...)")
    assert idx.shape == (64,), (
        f"sample_indices(10, 64, rng=rng) returned shape {idx.shape}; return one index per "
        "transition of the minibatch, shape (batch_size,)."
    )
    assert idx.dtype.kind in "iu", (
        f"the indices have dtype {idx.dtype}; they index rows, so they must be integers "
        "(rng.integers gives integers; rng.random() * size needs flooring to int)."
    )


@si.test
def only_stored_rows(sample_indices: Callable[..., Any]) -> None:
    """size = 3 of a larger buffer, 2000 draws: every index in 0 .. 2, never an unfilled row."""
    idx = _indices(
        sample_indices, 3, 2000, np.random.default_rng(1), "sample_indices(3, 2000, ...)"
    )
    assert idx.size and idx.min() >= 0 and idx.max() < 3, (
        "an index outside 0 .. size - 1: rows from `size` on hold no transition yet (zeros). "
        "rng.integers(0, size) excludes `size` (Python's random.randint(a, b) includes b)."
    )


@si.test
def more_draws_than_stored_rows(sample_indices: Callable[..., Any]) -> None:
    """size = 4, batch_size = 32: drawn WITH replacement, so a small buffer can fill a batch."""
    idx = _indices(sample_indices, 4, 32, np.random.default_rng(2), "sample_indices(4, 32, ...)")
    assert idx.shape == (32,), (
        f"sample_indices(4, 32, rng=rng) returned shape {idx.shape}; draw with replacement: "
        "the same row may appear several times in a minibatch (rng.choice(..., replace=False) "
        "cannot draw 32 from 4)."
    )


@si.test
def uniform_over_the_stored_rows(sample_indices: Callable[..., Any]) -> None:
    """size = 5, 20000 draws: every row has frequency 1/5 (within 0.02; Hoeffding bound)."""
    idx = _indices(sample_indices, 5, N_UNIFORM, np.random.default_rng(3), "sample_indices(5, ...)")
    if idx.shape != (N_UNIFORM,) or idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() > 4:
        raise AssertionError(
            "sample_indices(5, 20000, rng=rng) must return 20000 integer indices in 0 .. 4."
        )
    freq = np.bincount(idx, minlength=5) / N_UNIFORM
    worst = int(np.argmax(np.abs(freq - 0.2)))
    assert np.all(np.abs(freq - 0.2) <= TOLERANCE), (
        f"row {worst} was drawn with frequency {freq[worst]:.3f} in 20000 draws, far from "
        "uniform. Every stored row, the first and the last included, must be equally likely: "
        "rng.integers(0, size, size=batch_size) (rounding rng.random() * (size - 1) halves the "
        "chance of the end rows)."
    )


@si.test
def draws_from_the_rng_it_is_given(sample_indices: Callable[..., Any]) -> None:
    """two generators in the same state give the same indices, and the rng moves on."""
    runs = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)  # a function that draws from np.random.* now differs
        rng = np.random.default_rng(7)
        runs.append(_indices(sample_indices, 50, 40, rng, "sample_indices(50, 40, ...)").tolist())
        assert rng.bit_generator.state != np.random.default_rng(7).bit_generator.state, (
            "the rng you were given did not move: draw from it (rng.integers(...), "
            "rng.choice(...)), not from np.random.* or a generator of your own."
        )
    assert runs[0] == runs[1], (
        "two generators in the same state gave different indices: draw every random number "
        "from `rng`, not from np.random.* or random.*, so a seed fixes the minibatches."
    )
