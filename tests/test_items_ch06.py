"""Every graded item of chapter 06 can pass and can fail (in-process, no kernels).

The solution notebook's functions score full marks, the exercise stub scores 0, and each planted
wrong answer below (a mistake students really make with DQN's pieces) loses points, caught by the
item's test aimed at it, without check() printing the correct values. Right answers written
differently from the solution (another way to take the max, F.smooth_l1_loss, rng.choice ...)
score full marks.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 (torch's own convention)

from rlcourse.grading import items_for_chapter

from _solutions import Planted, item_tests, run_check

CHAPTER = "06"
ITEMS = items_for_chapter(CHAPTER)


# ------------------------------------------------------------------ 06.linear_epsilon
def epsilon_never_clamped(step, *, start, end, duration):
    """The straight line goes on past duration: epsilon keeps falling, below 0."""
    if duration == 0:
        return end
    return start + (step / duration) * (end - start)


def epsilon_start_end_swapped(step, *, start, end, duration):
    """Decays from end to start."""
    done = 1.0 if duration == 0 else min(step / duration, 1.0)
    return end + done * (start - end)


def epsilon_integer_division(step, *, start, end, duration):
    """step // duration: 0 until the end, so epsilon jumps from start to end at once."""
    done = 1 if duration == 0 else min(step // duration, 1)
    return start + done * (end - start)


def epsilon_divides_by_zero(step, *, start, end, duration):
    """Right for duration > 0; ZeroDivisionError for duration = 0."""
    return start + min(step / duration, 1.0) * (end - start)


# ------------------------------------------------------------------ 06.td_target
def td_bootstraps_terminal(r, q_next, terminated, *, gamma):
    """Ignores terminated: bootstraps from terminal states too."""
    return r + gamma * q_next.max(dim=1).values


def td_mask_reversed(r, q_next, terminated, *, gamma):
    """Uses terminated as a 'not done' mask: bootstraps only from terminal states."""
    return r + gamma * terminated.float() * q_next.max(dim=1).values


def td_min(r, q_next, terminated, *, gamma):
    """min over the actions instead of max."""
    return r + gamma * (1.0 - terminated.float()) * q_next.min(dim=1).values


def td_mean(r, q_next, terminated, *, gamma):
    """The mean over the actions (an expected-SARSA-like target) instead of the max."""
    return r + gamma * (1.0 - terminated.float()) * q_next.mean(dim=1)


def td_without_gamma(r, q_next, terminated, *, gamma):
    """r + max Q^: the discount left out."""
    return r + (1.0 - terminated.float()) * q_next.max(dim=1).values


def td_wrong_axis(r, q_next, terminated, *, gamma):
    """The max over the batch (dim=0) instead of over the actions."""
    return r + gamma * (1.0 - terminated.float()) * q_next.max(dim=0).values


def td_keepdim(r, q_next, terminated, *, gamma):
    """max(dim=1, keepdim=True) is (B, 1): added to r (B,) it broadcasts to (B, B)."""
    return r + gamma * (1.0 - terminated.float()) * q_next.max(dim=1, keepdim=True).values


def td_bool_minus(r, q_next, terminated, *, gamma):
    """1 - terminated: right for 0/1 floats, a RuntimeError for a bool tensor."""
    return r + gamma * (1 - terminated) * q_next.max(dim=1).values


def td_masks_in_place(r, q_next, terminated, *, gamma):
    """Right values, but zeroes the terminal rows of the caller's q_next."""
    q_next[terminated.bool()] = 0.0
    return r + gamma * q_next.max(dim=1).values


# ------------------------------------------------------------------ 06.double_td_target
def double_roles_swapped(r, q_next_online, q_next_target, terminated, *, gamma):
    """The target network chooses, the online network values."""
    a_star = q_next_target.argmax(dim=1, keepdim=True)
    value = q_next_online.gather(1, a_star).squeeze(1)
    return r + gamma * (1.0 - terminated.float()) * value


def double_plain_max(r, q_next_online, q_next_target, terminated, *, gamma):
    """max of the target network's values: plain DQN, the online values unused."""
    return r + gamma * (1.0 - terminated.float()) * q_next_target.max(dim=1).values


def double_argmax_of_sum(r, q_next_online, q_next_target, terminated, *, gamma):
    """argmax of online + target (a mix of the two networks), valued by the target."""
    a_star = (q_next_online + q_next_target).argmax(dim=1, keepdim=True)
    value = q_next_target.gather(1, a_star).squeeze(1)
    return r + gamma * (1.0 - terminated.float()) * value


def double_ignores_terminal(r, q_next_online, q_next_target, terminated, *, gamma):
    """Bootstraps from terminal states."""
    a_star = q_next_online.argmax(dim=1, keepdim=True)
    return r + gamma * q_next_target.gather(1, a_star).squeeze(1)


def double_last_tie(r, q_next_online, q_next_target, terminated, *, gamma):
    """The last maximiser on ties (argmax over the reversed columns)."""
    n_actions = q_next_online.shape[1]
    a_star = n_actions - 1 - q_next_online.flip(1).argmax(dim=1, keepdim=True)
    value = q_next_target.gather(1, a_star).squeeze(1)
    return r + gamma * (1.0 - terminated.float()) * value


# ------------------------------------------------------------------ 06.dqn_loss
def _taken(q, actions):
    return q.gather(1, actions.long().unsqueeze(1)).squeeze(1)


def _info(value, q_taken, error):
    return {
        "loss": value.item(),
        "q_mean": q_taken.mean().item(),
        "td_abs": error.abs().mean().item(),
    }


def loss_summed(q, actions, y, *, loss="huber"):
    """Sums the per-transition losses instead of averaging them."""
    q_taken = _taken(q, actions)
    reduction = "sum"
    if loss == "huber":
        value = F.smooth_l1_loss(q_taken, y, reduction=reduction)
    else:
        value = F.mse_loss(q_taken, y, reduction=reduction)
    return value, _info(value, q_taken, y - q_taken)


def loss_huber_delta_2(q, actions, y, *, loss="huber"):
    """Huber with delta = 2: quadratic up to |e| = 2."""
    q_taken = _taken(q, actions)
    if loss == "huber":
        value = F.huber_loss(q_taken, y, delta=2.0)
    else:
        value = F.mse_loss(q_taken, y)
    return value, _info(value, q_taken, y - q_taken)


def loss_max_q(q, actions, y, *, loss="huber"):
    """Compares y with max_a Q(s_j, a) instead of Q(s_j, a_j)."""
    q_taken = q.max(dim=1).values
    value = F.smooth_l1_loss(q_taken, y) if loss == "huber" else F.mse_loss(q_taken, y)
    return value, _info(value, q_taken, y - q_taken)


def loss_indexes_columns(q, actions, y, *, loss="huber"):
    """q[:, actions] is (B, B), not one value per row; y broadcasts against it."""
    q_taken = q[:, actions]
    error = y - q_taken
    value = torch.where(error.abs() <= 1, 0.5 * error**2, error.abs() - 0.5)
    value = value.mean() if loss == "huber" else (error**2).mean()
    return value, {"loss": value.item(), "q_mean": q_taken.mean().item(), "td_abs": 0.0}


def loss_q_mean_of_table(q, actions, y, *, loss="huber"):
    """info["q_mean"] is the mean of the whole (B, A) table, not of the actions taken."""
    q_taken = _taken(q, actions)
    value = F.smooth_l1_loss(q_taken, y) if loss == "huber" else F.mse_loss(q_taken, y)
    info = _info(value, q_taken, y - q_taken)
    info["q_mean"] = q.mean().item()
    return value, info


def loss_td_signed(q, actions, y, *, loss="huber"):
    """info["td_abs"] is the mean signed TD error (the absolute value forgotten)."""
    q_taken = _taken(q, actions)
    value = F.smooth_l1_loss(q_taken, y) if loss == "huber" else F.mse_loss(q_taken, y)
    info = _info(value, q_taken, y - q_taken)
    info["td_abs"] = (y - q_taken).mean().item()
    return value, info


def loss_as_float(q, actions, y, *, loss="huber"):
    """Returns loss.item(): right number, but nothing to call backward() on."""
    q_taken = _taken(q, actions)
    value = F.smooth_l1_loss(q_taken, y) if loss == "huber" else F.mse_loss(q_taken, y)
    return value.item(), _info(value, q_taken, y - q_taken)


def loss_without_info(q, actions, y, *, loss="huber"):
    """Returns the loss alone, not the pair (loss, info)."""
    q_taken = _taken(q, actions)
    return F.smooth_l1_loss(q_taken, y) if loss == "huber" else F.mse_loss(q_taken, y)


# ------------------------------------------------------------------ 06.ring_slots
def ring_no_modulo(pos, n, *, capacity):
    """pos .. pos + n - 1 without wrapping: rows past the end of the buffer."""
    return pos + np.arange(n)


def ring_clamped(pos, n, *, capacity):
    """Stops at the last row instead of wrapping: writes it again and again."""
    return np.minimum(pos + np.arange(n), capacity - 1)


def ring_modulo_capacity_minus_one(pos, n, *, capacity):
    """% (capacity - 1): the last row is never used."""
    return (pos + np.arange(n)) % (capacity - 1)


def ring_starts_after_pos(pos, n, *, capacity):
    """Off by one: starts at pos + 1 (as if pos were the last row written)."""
    return (pos + 1 + np.arange(n)) % capacity


def ring_float_rows(pos, n, *, capacity):
    """Float row numbers (np.arange with a float start), which cannot index an array."""
    return (np.arange(float(pos), pos + n)) % capacity


# ------------------------------------------------------------------ 06.sample_indices
def sample_inclusive(size, batch_size, *, rng):
    """endpoint=True (like random.randint): row `size`, not filled yet, can be drawn."""
    return rng.integers(0, size, size=batch_size, endpoint=True)


def sample_one_based(size, batch_size, *, rng):
    """Rows 1 .. size: row 0 never, the unfilled row `size` sometimes."""
    return rng.integers(1, size + 1, size=batch_size)


def sample_without_replacement(size, batch_size, *, rng):
    """rng.choice(..., replace=False): fails when the batch is larger than what is stored."""
    return rng.choice(size, batch_size, replace=False)


def sample_global_generator(size, batch_size, *, rng):
    """np.random.randint: the global generator, rng unused."""
    return np.random.randint(0, size, batch_size)


def sample_own_generator(size, batch_size, *, rng):
    """A fresh generator of its own with a fixed seed: rng unused, every batch the same."""
    return np.random.default_rng(0).integers(0, size, size=batch_size)


def sample_rounded(size, batch_size, *, rng):
    """round(u * (size - 1)): the first and last rows half as likely as the others."""
    return np.round(rng.random(batch_size) * (size - 1)).astype(np.int64)


def sample_misses_last_row(size, batch_size, *, rng):
    """rng.integers(0, size - 1): the newest row of a growing buffer is never drawn."""
    return rng.integers(0, size - 1, size=batch_size)


def sample_float(size, batch_size, *, rng):
    """rng.random() * size: floats, not row indices."""
    return rng.random(batch_size) * size


# ----------------------------------------------------------------------------- the planted cases
# answer: the correct values the catching test checks (worked out in ch06.py's comments); left
# out where they also appear among the inputs or titles
PLANTED = [
    Planted("06.linear_epsilon", epsilon_never_clamped, "constant_after_the_end"),
    Planted("06.linear_epsilon", epsilon_start_end_swapped, "the_ends_of_the_schedule"),
    Planted(
        "06.linear_epsilon",
        epsilon_integer_division,
        "a_straight_line_in_between",
        answer=(0.7625, 0.525, 0.2875, 0.75, 0.25),
    ),
    Planted("06.linear_epsilon", epsilon_divides_by_zero, "duration_zero_means_end_at_once"),
    Planted(
        "06.td_target",
        td_bootstraps_terminal,
        "terminal_next_state_is_worth_zero",
        answer=(3.7, -0.55),
    ),
    Planted(
        "06.td_target", td_mask_reversed, "a_truncated_transition_still_bootstraps", answer=(30.7,)
    ),
    Planted("06.td_target", td_min, "targets_by_hand", answer=(3.7, 3.8, -0.55, -0.4)),
    Planted("06.td_target", td_mean, "targets_by_hand", answer=(3.7, 3.8, -0.55, -0.4)),
    Planted("06.td_target", td_without_gamma, "targets_by_hand", answer=(3.7, 3.8, -0.55, -0.4)),
    Planted("06.td_target", td_wrong_axis, "max_over_the_actions_of_each_row", answer=(4.0, 3.0)),
    Planted("06.td_target", td_keepdim, "targets_by_hand"),
    Planted("06.td_target", td_bool_minus, "terminated_as_bools_or_floats", answer=(3.5,)),
    Planted("06.td_target", td_masks_in_place, "terminal_next_state_is_worth_zero"),
    Planted(
        "06.double_td_target",
        double_roles_swapped,
        "online_chooses_target_values",
        answer=(1.75, -1.0, 2.5),
    ),
    Planted(
        "06.double_td_target",
        double_plain_max,
        "online_chooses_target_values",
        answer=(1.75, -1.0, 2.5),
    ),
    Planted(
        "06.double_td_target",
        double_argmax_of_sum,
        "online_chooses_target_values",
        answer=(1.75, -1.0, 2.5),
    ),
    Planted("06.double_td_target", double_ignores_terminal, "terminal_rows_are_r_alone"),
    Planted("06.double_td_target", double_last_tie, "ties_go_to_the_lowest_index"),
    Planted("06.dqn_loss", loss_summed, "a_mean_over_the_batch", answer=(1.03625,)),
    Planted("06.dqn_loss", loss_huber_delta_2, "huber_by_hand", answer=(1.03625,)),
    Planted("06.dqn_loss", loss_max_q, "uses_q_of_the_action_taken"),
    Planted("06.dqn_loss", loss_indexes_columns, "uses_q_of_the_action_taken"),
    Planted("06.dqn_loss", loss_q_mean_of_table, "info_by_hand", answer=(1.375,)),
    Planted("06.dqn_loss", loss_td_signed, "info_by_hand", answer=(1.425,)),
    Planted("06.dqn_loss", loss_as_float, "the_loss_is_a_tensor"),
    Planted("06.dqn_loss", loss_without_info, "huber_by_hand"),
    Planted("06.ring_slots", ring_no_modulo, "wraps_around_by_hand"),
    Planted("06.ring_slots", ring_clamped, "a_full_ring_writes_every_row_once"),
    Planted("06.ring_slots", ring_modulo_capacity_minus_one, "wraps_around_by_hand"),
    Planted("06.ring_slots", ring_starts_after_pos, "wraps_around_by_hand"),
    Planted("06.ring_slots", ring_float_rows, "integer_row_indices"),
    Planted("06.sample_indices", sample_inclusive, "only_stored_rows"),
    Planted("06.sample_indices", sample_one_based, "only_stored_rows"),
    Planted("06.sample_indices", sample_without_replacement, "more_draws_than_stored_rows"),
    Planted("06.sample_indices", sample_global_generator, "draws_from_the_rng_it_is_given"),
    Planted("06.sample_indices", sample_own_generator, "draws_from_the_rng_it_is_given"),
    Planted("06.sample_indices", sample_rounded, "uniform_over_the_stored_rows"),
    Planted("06.sample_indices", sample_misses_last_row, "uniform_over_the_stored_rows"),
    Planted("06.sample_indices", sample_float, "shape_and_integer_dtype"),
]


# ----------------------------------------------------------------------------- right answers
def epsilon_by_branches(step, *, start, end, duration):
    """if/else instead of min(): the package's own shape."""
    if duration == 0 or step >= duration:
        return end
    return start + (step / duration) * (end - start)


def td_with_where(r, q_next, terminated, *, gamma):
    """torch.where on the terminal flag, torch.amax for the max."""
    bootstrap = torch.where(terminated.bool(), 0.0, q_next.amax(dim=1))
    return r + gamma * bootstrap


def td_with_logical_not(r, q_next, terminated, *, gamma):
    """~terminated.bool() as the mask, returned detached."""
    return (r + gamma * (~terminated.bool()).float() * q_next.max(1)[0]).detach()


def double_with_indexing(r, q_next_online, q_next_target, terminated, *, gamma):
    """Advanced indexing instead of gather."""
    rows = torch.arange(len(r))
    value = q_next_target[rows, q_next_online.argmax(dim=1)]
    return r + gamma * torch.where(terminated.bool(), 0.0, value)


def loss_with_functional(q, actions, y, *, loss="huber"):
    """F.smooth_l1_loss / F.mse_loss on q[arange(B), actions]."""
    q_taken = q[torch.arange(q.shape[0]), actions]
    value = F.smooth_l1_loss(q_taken, y) if loss == "huber" else F.mse_loss(q_taken, y)
    return value, _info(value, q_taken, y - q_taken)


def loss_huber_loss_delta_1(q, actions, y, *, loss="huber"):
    """F.huber_loss with delta = 1, returned as a list pair."""
    q_taken = _taken(q, actions)
    value = F.huber_loss(q_taken, y, delta=1.0) if loss == "huber" else ((y - q_taken) ** 2).mean()
    return [value, _info(value, q_taken, y - q_taken)]


def ring_by_list(pos, n, *, capacity):
    """A list comprehension, returned as an int array."""
    return np.array([(pos + i) % capacity for i in range(n)], dtype=int)


def ring_two_pieces(pos, n, *, capacity):
    """The rows up to the end, then the rest from row 0."""
    first = np.arange(pos, min(pos + n, capacity))
    return np.concatenate([first, np.arange(0, n - len(first))])


def sample_with_choice(size, batch_size, *, rng):
    """rng.choice(size, batch_size): with replacement by default."""
    return rng.choice(size, batch_size)


def sample_with_integers_high_only(size, batch_size, *, rng):
    """rng.integers(size, size=...): low defaults to 0."""
    return rng.integers(size, size=batch_size)


def sample_by_flooring(size, batch_size, *, rng):
    """floor(u * size) for u uniform on [0, 1)."""
    return (rng.random(batch_size) * size).astype(np.int64)


ALSO_RIGHT = [
    ("06.linear_epsilon", epsilon_by_branches),
    ("06.td_target", td_with_where),
    ("06.td_target", td_with_logical_not),
    ("06.double_td_target", double_with_indexing),
    ("06.dqn_loss", loss_with_functional),
    ("06.dqn_loss", loss_huber_loss_delta_1),
    ("06.ring_slots", ring_by_list),
    ("06.ring_slots", ring_two_pieces),
    ("06.sample_indices", sample_with_choice),
    ("06.sample_indices", sample_with_integers_high_only),
    ("06.sample_indices", sample_by_flooring),
]


@pytest.mark.parametrize(
    "item_id, fn", ALSO_RIGHT, ids=[f"{i}:{fn.__name__}" for i, fn in ALSO_RIGHT]
)
def test_right_answers_written_differently_score_full_marks(item_id, fn, capsys):
    report, printed = run_check(item_id, fn, capsys)
    assert report.points == report.max_points > 0, printed


def test_the_uniformity_test_has_a_safe_bound():
    """Hoeffding: P(|frequency - p| >= t) <= 2 exp(-2 N t^2), over 5 rows: below 1e-5."""
    from rlcourse.grading.items import ch06

    n, t = ch06.N_UNIFORM, ch06.TOLERANCE
    assert 5 * 2 * np.exp(-2 * n * t**2) < 1e-5
    # and the bound is not so loose that a biased sampler passes: rounding makes the end rows'
    # probability 1/8, which is 0.075 below 1/5, far beyond t
    assert 3 * t < 1 / 5 - 1 / 8


# ----------------------------------------------------------------------------- tests
globals().update(item_tests(CHAPTER, ITEMS, PLANTED))  # the eight checks every chapter gets
