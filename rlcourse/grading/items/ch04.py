"""Chapter 04 (Q-learning and SARSA, [D003]): epsilon-greedy action selection, the two TD
control updates, the epsilon-greedy policy of a Q-table and a whole Q-learning loop.

The contract is the package's (``rlcourse.tabular``): data positional, hyperparameters
keyword-only (``alpha``, ``gamma``, ``epsilon``), ``terminal`` positional with default False,
updates return a NEW table and leave the one they were given untouched, ties go to the lowest
action index.

Expected values are independent of the student's code: update targets worked out by hand (the
arithmetic is in the comments), sampling frequencies against their exact probabilities with a
tolerance of a few binomial standard deviations, policy probabilities from the formula
1 - epsilon + epsilon/A by hand, the optimal policy of a small MineGrid from
``rlcourse.mdp.solve_value_iteration``, and the fixed point of a truncated one-step episode
solved by hand. Each item has a test aimed at a common mistake, named in its docstring:
exploration that never picks the greedy action, random tie-breaking, updating the caller's
table in place, bootstrapping from a terminal state, ``max`` in SARSA, ``Q[s_next, a]`` instead
of ``Q[s_next, a_next]``, forgetting that the greedy action can also be drawn while exploring,
returning action indices instead of a policy matrix, ignoring ``max_steps``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from rlcourse.grading import assert_array_close, assert_array_equal, assert_scalar_close, item
from rlcourse.grading.asserts import as_array, assert_unchanged, fresh_copy

# A 3-state, 2-action table used by the update tests. Its rows are chosen so that, from
# s_next = 1, max_a Q(1, a) = Q(1, 0) = 4 differs from Q(1, 1) = -3: a test whose a_next (or a)
# is 1 tells max, Q[s_next, a] and Q[s_next, a_next] apart.
Q_HAND = np.array(
    [
        [1.0, 2.0],
        [4.0, -3.0],
        [5.0, 7.0],
    ]
)  # (S, A) = (3, 2)


def _as_action(a, name: str) -> int:
    """The student's action as an int, or a failure that says what type is expected."""
    if isinstance(a, np.ndarray) and a.shape == ():
        a = a.item()
    if isinstance(a, bool) or not isinstance(a, numbers.Integral):
        raise AssertionError(
            f"expected `{name}` to be an action index (an int), got {type(a).__name__}. "
            "Return an action index such as int(np.argmax(q)), not the value Q or an array."
        )
    return int(a)


UPDATE_CONTRACT = (
    "An update returns a NEW table and leaves the one it was given as it was: copy the "
    "table first, change the copy, return the copy."
)


def _updated(Q_out, name: str):
    if Q_out is None:
        raise AssertionError(
            f"`{name}` returned None. " + UPDATE_CONTRACT + " (Changing Q in place and "
            "returning nothing breaks that contract: the caller keeps what you return.)"
        )
    return Q_out


def _leaves_input_alone(update, args, name: str):
    """Call ``update(Q, *args)`` on a copy of Q_HAND; fail if that copy was changed."""
    Q_in = fresh_copy(Q_HAND)
    Q_out = _updated(update(Q_in, *args[0], **args[1]), name)
    assert_unchanged(name, "Q", Q_HAND, Q_in, hint=UPDATE_CONTRACT)
    return Q_out


# --------------------------------------------------------------------------- 04.epsilon_greedy
eg = item(
    "04.epsilon_greedy",
    function="epsilon_greedy",
    points=2,
    description="SELECT-ACTION(Q, S, epsilon): explore with probability epsilon",
)

N_DRAWS = 8000


def _actions(epsilon_greedy, n, q, epsilon, rng):
    """n actions of ``epsilon_greedy(q, epsilon=epsilon, rng=rng)`` (one shared rng), each
    checked to be an int in range."""
    actions = []
    # one round trip for the n calls: each gets a fresh q, the one rng is shared in sequence
    for a in epsilon_greedy.repeat(n, q, epsilon=epsilon, rng=rng):
        a = _as_action(a, f"epsilon_greedy(q, epsilon={epsilon}, rng=rng)")
        if not 0 <= a < len(q):
            raise AssertionError(f"epsilon_greedy returned action {a}, outside 0..{len(q) - 1}.")
        actions.append(a)
    return actions


def _frequencies(epsilon_greedy, q, epsilon, seed):
    actions = _actions(epsilon_greedy, N_DRAWS, q, epsilon, np.random.default_rng(seed))
    return np.bincount(actions, minlength=len(q)).astype(float)


def _binomial_ok(count, p, n=N_DRAWS, z=5.0):
    """|count - n p| <= z standard deviations sqrt(n p (1 - p)) (z = 5: a false alarm ~ 1e-6)."""
    return abs(count - n * p) <= z * np.sqrt(n * p * (1 - p))


@eg.test
def epsilon_zero_is_greedy(epsilon_greedy: Callable[..., Any]) -> None:
    """epsilon = 0 always returns argmax_a Q(S, a), as an int."""
    rng = np.random.default_rng(0)
    for q, best in (
        (np.array([0.5, 3.0, -1.0, 2.0]), 1),
        (np.array([-2.0, -7.0, -0.5]), 2),
        (np.array([10.0, 9.0]), 0),
    ):
        given = fresh_copy(q)  # one call on a copy we keep: q must come back unchanged
        first = epsilon_greedy(given, epsilon=0.0, rng=rng)
        assert_unchanged(
            "epsilon_greedy",
            "q",
            q,
            given,
            hint="(In the Q-learning loop q is the row Q[s], a view: changing it changes Q.)",
        )
        actions = [_as_action(first, "epsilon_greedy(q, epsilon=0.0, rng=rng)")]
        actions += _actions(epsilon_greedy, 19, q, 0.0, rng)
        assert all(a == best for a in actions), (
            "with epsilon = 0 the action must be the greedy one, "
            "argmax_a q[a] (the largest value, not the smallest)."
        )


@eg.test
def ties_go_to_the_lowest_index(epsilon_greedy: Callable[..., Any]) -> None:
    """epsilon = 0 with tied values: always the lowest tied action (the course's one rule)."""
    rng = np.random.default_rng(3)
    for q, first in (
        (np.array([2.0, 5.0, 5.0, 5.0]), 1),
        (np.zeros(4), 0),
        (np.array([-1.0, -4.0, -1.0]), 0),
    ):
        # random tie-breaking would pick another tied action sooner or later in 50 calls
        for a in _actions(epsilon_greedy, 50, q, 0.0, rng):
            assert a == first, (
                "when several actions share the largest value, the greedy choice must be the one "
                "with the lowest index, every time (np.argmax returns the first maximiser); do "
                "not draw among the tied actions at random."
            )


@eg.test
def epsilon_one_is_uniform_over_all_actions(epsilon_greedy: Callable[..., Any]) -> None:
    """epsilon = 1 picks each of the |A| actions, the greedy one included, with prob. 1/|A|."""
    q = np.array([0.0, 5.0, 1.0, -2.0])  # greedy action 1
    counts = _frequencies(epsilon_greedy, q, 1.0, seed=1)
    for a in range(4):
        assert _binomial_ok(counts[a], 0.25), (
            f"with epsilon = 1 action {a} was chosen {int(counts[a])} times in {N_DRAWS} draws, "
            "far from uniform. Explore by drawing from ALL actions, rng.integers(len(q)); "
            "do not leave the greedy action out."
        )


@eg.test
def greedy_probability_in_between(epsilon_greedy: Callable[..., Any]) -> None:
    """epsilon = 0.2, |A| = 4: P(greedy) = 1 - epsilon + epsilon/|A|, each other epsilon/|A|."""
    # P(greedy) = 0.8 + 0.2/4 = 0.85; P(other) = 0.2/4 = 0.05 each.
    q = np.array([-1.0, -3.0, -2.0, 4.0])  # greedy action 3
    counts = _frequencies(epsilon_greedy, q, 0.2, seed=2)
    assert _binomial_ok(counts[3], 0.85), (
        f"the greedy action was chosen {int(counts[3])} times in {N_DRAWS} draws with "
        "epsilon = 0.2; it should win with probability 1 - epsilon + epsilon/|A| (it can also "
        "be drawn while exploring). Compare rng.random() < epsilon once per call."
    )
    for a in range(3):
        assert _binomial_ok(counts[a], 0.05), (
            f"non-greedy action {a} was chosen {int(counts[a])} times in {N_DRAWS} draws with "
            "epsilon = 0.2; each should have probability epsilon/|A|."
        )


@eg.test
def uses_the_rng_it_is_given(epsilon_greedy: Callable[..., Any]) -> None:
    """all randomness comes from `rng`: the same seed gives the same actions."""
    q = np.array([1.0, 0.0, 0.5])
    runs = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)  # a function that uses np.random.* would now differ
        runs.append(_actions(epsilon_greedy, 60, q, 0.5, np.random.default_rng(7)))
    assert runs[0] == runs[1], (
        "two runs with the same rng seed chose different actions: draw with rng.random() / "
        "rng.integers(...), not np.random.* or random.*."
    )


# --------------------------------------------------------------------------- 04.q_learning_update
qu = item(
    "04.q_learning_update",
    function="q_learning_update",
    points=2,
    description="Q(S,A) <- Q(S,A) + alpha [R + gamma max_a Q(S',a) - Q(S,A)], as a new table",
)


@qu.test
def hand_worked_update(q_learning_update: Callable[..., Any]) -> None:
    """one update from a non-terminal S' (terminal left at its default) uses the max over S'."""
    # target = 1 + 0.9 * max(4, -3) = 4.6; Q(0, 1) = 2 + 0.5 * (4.6 - 2) = 3.3
    Q = _updated(
        q_learning_update(Q_HAND.copy(), 0, 1, 1.0, 1, alpha=0.5, gamma=0.9), "q_learning_update"
    )
    expected = Q_HAND.copy()
    expected[0, 1] = 3.3
    assert_array_close(
        Q,
        expected,
        name="q_learning_update(Q, 0, 1, 1.0, 1, alpha=0.5, gamma=0.9)",
        hint="the target is R + gamma * max_a Q[s_next, a] (the max over the row, "
        "not the action a you took); move Q[s, a] by alpha times the TD error "
        "and leave every other entry alone.",
    )


@qu.test
def no_bootstrap_from_terminal(q_learning_update: Callable[..., Any]) -> None:
    """when S' is terminal the target is R alone (Q(terminal, .) = 0), whatever Q[s_next] holds."""
    # target = 10 (no gamma * max Q[2] = 0.9 * 7); Q(1, 0) = 4 + 0.5 * (10 - 4) = 7
    Q = _updated(
        q_learning_update(Q_HAND.copy(), 1, 0, 10.0, 2, True, alpha=0.5, gamma=0.9),
        "q_learning_update",
    )
    expected = Q_HAND.copy()
    expected[1, 0] = 7.0
    assert_array_close(
        Q,
        expected,
        name="the table after an update into a terminal state",
        hint="if terminal is True, do not add gamma * max Q[s_next]: the episode "
        "is over, so the target is just R.",
    )


@qu.test
def step_size_and_discount(q_learning_update: Callable[..., Any]) -> None:
    """alpha and gamma enter as in [D003]'s update: alpha = 0.1, gamma = 0.5 on a second entry."""
    # target = -1 + 0.5 * max(5, 7) = 2.5; Q(1, 1) = -3 + 0.1 * (2.5 + 3) = -2.45
    Q = _updated(
        q_learning_update(Q_HAND.copy(), 1, 1, -1.0, 2, False, alpha=0.1, gamma=0.5),
        "q_learning_update",
    )
    assert_scalar_close(
        np.asarray(Q)[1, 1],
        -2.45,
        name="Q[1, 1] after the update",
        hint="Q[s, a] + alpha * (R + gamma * max_a Q[s_next, a] - Q[s, a]); "
        "alpha multiplies the whole TD error, gamma only the next value.",
    )


@qu.test
def returns_a_new_table(q_learning_update: Callable[..., Any]) -> None:
    """the update returns a new table and leaves the table it was given unchanged."""
    # the same update as hand_worked_update: only the returned table holds Q(0, 1) = 3.3
    Q = _leaves_input_alone(
        q_learning_update, ((0, 1, 1.0, 1), {"alpha": 0.5, "gamma": 0.9}), "q_learning_update"
    )
    expected = Q_HAND.copy()
    expected[0, 1] = 3.3
    assert_array_close(
        Q,
        expected,
        name="the returned table",
        hint="return the copy with Q_new[s, a] moved towards the target.",
    )


# --------------------------------------------------------------------------- 04.sarsa_update
su = item(
    "04.sarsa_update",
    function="sarsa_update",
    points=2,
    description="Q(S,A) <- Q(S,A) + alpha [R + gamma Q(S',A') - Q(S,A)], as a new table",
)


@su.test
def uses_the_next_action_not_the_max(sarsa_update: Callable[..., Any]) -> None:
    """the target uses Q(S', A') for the action A' actually chosen next, not max_a Q(S', a)."""
    # s=0, a=0, s_next=1, a_next=1: target = 1 + 0.9 * Q(1, 1) = 1 - 2.7 = -1.7;
    # Q(0, 0) = 1 + 0.5 * (-1.7 - 1) = -0.35.  (max or Q[s_next, a] would give Q(1, 0) = 4.)
    Q = _updated(sarsa_update(Q_HAND.copy(), 0, 0, 1.0, 1, 1, alpha=0.5, gamma=0.9), "sarsa_update")
    expected = Q_HAND.copy()
    expected[0, 0] = -0.35
    assert_array_close(
        Q,
        expected,
        name="sarsa_update(Q, 0, 0, 1.0, 1, 1, alpha=0.5, gamma=0.9)",
        hint="SARSA bootstraps from Q[s_next, a_next], the action it will really "
        "take - not the max over actions (that is Q-learning) and not "
        "Q[s_next, a].",
    )


@su.test
def second_hand_worked_update(sarsa_update: Callable[..., Any]) -> None:
    """alpha = 0.1, gamma = 0.5, A' = 0 where the max would pick action 1."""
    # target = 0 + 0.5 * Q(2, 0) = 2.5; Q(1, 1) = -3 + 0.1 * (2.5 + 3) = -2.45
    Q = _updated(
        sarsa_update(Q_HAND.copy(), 1, 1, 0.0, 2, 0, False, alpha=0.1, gamma=0.5), "sarsa_update"
    )
    expected = Q_HAND.copy()
    expected[1, 1] = -2.45
    assert_array_close(
        Q,
        expected,
        name="sarsa_update(Q, 1, 1, 0.0, 2, 0, False, alpha=0.1, gamma=0.5)",
        hint="Q[s, a] + alpha * (R + gamma * Q[s_next, a_next] - Q[s, a]).",
    )


@su.test
def sarsa_no_bootstrap_from_terminal(sarsa_update: Callable[..., Any]) -> None:
    """when S' is terminal the target is R alone; A' is ignored."""
    # target = -100; Q(0, 1) = 2 + 0.5 * (-100 - 2) = -49
    Q = _updated(
        sarsa_update(Q_HAND.copy(), 0, 1, -100.0, 2, 1, True, alpha=0.5, gamma=0.9), "sarsa_update"
    )
    expected = Q_HAND.copy()
    expected[0, 1] = -49.0
    assert_array_close(
        Q,
        expected,
        name="the table after an update into a terminal state",
        hint="if terminal is True the target is just R: no gamma * Q[s_next, a_next].",
    )


@su.test
def sarsa_returns_a_new_table(sarsa_update: Callable[..., Any]) -> None:
    """the update returns a new table and leaves the table it was given unchanged."""
    # the same update as uses_the_next_action_not_the_max: Q(0, 0) = -0.35 in the returned table
    Q = _leaves_input_alone(
        sarsa_update, ((0, 0, 1.0, 1, 1), {"alpha": 0.5, "gamma": 0.9}), "sarsa_update"
    )
    expected = Q_HAND.copy()
    expected[0, 0] = -0.35
    assert_array_close(
        Q,
        expected,
        name="the returned table",
        hint="return the copy with Q_new[s, a] moved towards the target.",
    )


# ------------------------------------------------------------------- 04.epsilon_greedy_policy
ep = item(
    "04.epsilon_greedy_policy",
    function="epsilon_greedy_policy",
    points=1,
    description="pi(a|s) of the epsilon-greedy policy as an (S, A) matrix",
)

# Q_POLICY has no ties: greedy actions 1, 3, 0. By hand, with |A| = 4:
#   epsilon = 0.2: 1 - 0.2 + 0.2/4 = 0.85 on the greedy action, 0.2/4 = 0.05 elsewhere
#   epsilon = 0.4: 1 - 0.4 + 0.4/4 = 0.7  on the greedy action, 0.4/4 = 0.1  elsewhere
Q_POLICY = np.array(
    [
        [1.0, 3.0, 2.0, -1.0],
        [-1.0, -4.0, -0.5, 0.5],
        [7.0, 0.0, 6.9, 6.0],
    ]
)  # (S, A) = (3, 4)
GREEDY_POLICY = np.array([1, 3, 0])


def _policy(epsilon_greedy_policy, Q, epsilon):
    given = fresh_copy(Q)
    pi = epsilon_greedy_policy(given, epsilon=epsilon)
    assert_unchanged("epsilon_greedy_policy", "Q", Q, given)
    S, A = Q.shape
    name = f"epsilon_greedy_policy(Q, epsilon={epsilon})"
    pi = as_array(pi, name, "return the policy as an (S, A) matrix of probabilities pi[s, a].")
    if pi.shape != (S, A):
        got = pi.shape
        raise AssertionError(
            f"epsilon_greedy_policy returned {got}; return the policy as an (S, A) = ({S}, {A}) "
            "matrix of probabilities pi[s, a] (not the vector of greedy actions)."
        )
    return pi


def _by_hand(greedy, A, epsilon):
    pi = np.full((len(greedy), A), epsilon / A)
    pi[np.arange(len(greedy)), greedy] = 1 - epsilon + epsilon / A
    return pi


@ep.test
def rows_are_probabilities(epsilon_greedy_policy: Callable[..., Any]) -> None:
    """every row is a distribution over the actions: entries in [0, 1] that sum to 1."""
    for epsilon in (0.1, 0.3, 0.5):
        pi = _policy(epsilon_greedy_policy, Q_POLICY, epsilon)
        if np.any(pi < 0) or np.any(pi > 1) or not np.allclose(pi.sum(axis=1), 1.0):
            raise AssertionError(
                f"with epsilon = {epsilon} a row of the policy does not sum to 1 (or has an entry "
                "outside [0, 1]). Account for all the probability: the greedy action gets the "
                "exploiting 1 - epsilon AND its share of the exploring epsilon."
            )


@ep.test
def greedy_probability_formula(epsilon_greedy_policy: Callable[..., Any]) -> None:
    """epsilon = 0.2, |A| = 4: 1 - epsilon + epsilon/|A| on the greedy action, epsilon/|A| on
    the others."""
    for epsilon in (0.2, 0.4):
        assert_array_close(
            _policy(epsilon_greedy_policy, Q_POLICY, epsilon),
            _by_hand(GREEDY_POLICY, 4, epsilon),
            name=f"epsilon_greedy_policy(Q, epsilon={epsilon})",
            hint="exploring draws uniformly from ALL |A| actions, the greedy one "
            "included; exploiting takes the greedy action.",
        )


@ep.test
def epsilon_zero_is_one_hot(epsilon_greedy_policy: Callable[..., Any]) -> None:
    """epsilon = 0 gives the greedy policy: one 1 per row, at the largest Q."""
    assert_array_equal(
        _policy(epsilon_greedy_policy, Q_POLICY, 0.0),
        np.eye(4)[GREEDY_POLICY],
        name="epsilon_greedy_policy(Q, epsilon=0.0)",
        hint="without exploration all the probability sits on argmax_a Q[s, a].",
    )


@ep.test
def epsilon_one_is_uniform(epsilon_greedy_policy: Callable[..., Any]) -> None:
    """epsilon = 1 gives the uniform policy 1/|A| whatever Q holds."""
    assert_array_close(
        _policy(epsilon_greedy_policy, Q_POLICY, 1.0),
        np.full((3, 4), 0.25),
        name="epsilon_greedy_policy(Q, epsilon=1.0)",
        hint="with epsilon = 1 every action is drawn uniformly from all |A|.",
    )


@ep.test
def ties_go_to_the_lowest_action(epsilon_greedy_policy: Callable[..., Any]) -> None:
    """ties in Q: the extra 1 - epsilon goes to the lowest tied action, the same on every call."""
    Q = np.zeros((3, 4))
    Q[1] = [-1.0, 2.0, 2.0, 2.0]
    Q[2] = [5.0, 1.0, 5.0, 0.0]
    expected = _by_hand(np.array([0, 1, 0]), 4, 0.2)  # lowest tied actions 0, 1, 0
    for _ in range(3):  # random tie-breaking would differ between calls
        assert_array_close(
            _policy(epsilon_greedy_policy, Q, 0.2),
            expected,
            name="epsilon_greedy_policy(Q, epsilon=0.2) with ties",
            hint="break ties toward the lowest action index (as SELECT-ACTION "
            "does) and give the greedy share to that one action, not split "
            "over the tied ones.",
        )


@ep.test
def does_not_modify_Q(epsilon_greedy_policy: Callable[..., Any]) -> None:
    """the Q-table given is left as it was."""
    Q = fresh_copy(Q_POLICY)
    epsilon_greedy_policy(Q, epsilon=0.2)
    assert_unchanged(
        "epsilon_greedy_policy",
        "Q",
        Q_POLICY,
        Q,
        hint="Build the policy in a new array (np.full, np.zeros) and leave Q alone.",
    )


# --------------------------------------------------------------------------- 04.q_learning
ql = item(
    "04.q_learning",
    function="q_learning",
    points=3,
    description="a whole epsilon-greedy Q-learning loop ([D003], Algorithm 1)",
)

_SMALL = {}


def _small_minegrid():
    """MineGrid 'small' (3 x 3) as plain arrays, and its Q* from value iteration (cached)."""
    if not _SMALL:
        from rlcourse.envs import MineGrid
        from rlcourse.mdp import solve_value_iteration

        env = MineGrid("small")
        mdp = env.to_mdp(gamma=0.9)
        _SMALL.update(
            env=env,
            mdp=mdp,
            P=np.asarray(mdp.P),
            R=np.asarray(mdp.R),
            terminal=np.asarray(mdp.terminal),
            start=env.start_state,
            Q_star=solve_value_iteration(mdp, tol=1e-12).Q,
        )
    return _SMALL


def _learn(q_learning, model, seed, *, n_episodes, epsilon, alpha=0.5, gamma=0.9, **kwargs):
    """``q_learning(P, R, terminal, start, ...)`` on fresh copies of the model's arrays; the
    result checked to be a finite (S, A) table (a list of lists is converted), and P, R,
    terminal checked to be unchanged."""
    P, R, terminal, start = model
    given = fresh_copy((P, R, terminal))
    Q = q_learning(
        *given,
        start,
        alpha=alpha,
        gamma=gamma,
        epsilon=epsilon,
        n_episodes=n_episodes,
        seed=seed,
        **kwargs,
    )
    for name, before, after in zip(("P", "R", "terminal"), (P, R, terminal), given):
        assert_unchanged("q_learning", name, before, after)
    S, A = R.shape
    if Q is None:
        raise AssertionError("q_learning returned None: `return Q` at the end.")
    Q = as_array(Q, "the Q-table returned by q_learning")
    if Q.shape != (S, A):
        raise AssertionError(
            f"q_learning returned an array of shape {Q.shape}; return the whole "
            f"Q-table, shape (S, A) = ({S}, {A}) (not V or the greedy actions)."
        )
    if not np.all(np.isfinite(Q)):
        raise AssertionError("Q contains NaN or inf; check the update and the initial table.")
    return Q


def _run(q_learning, seed, n_episodes=300, epsilon=0.1, **kwargs):
    m = _small_minegrid()
    model = (m["P"], m["R"], m["terminal"], m["start"])
    return _learn(q_learning, model, seed, n_episodes=n_episodes, epsilon=epsilon, **kwargs)


def _model(P, R, terminal, start=0):
    """(P, R, terminal, start) of a hand-made model, P rows checked to be distributions."""
    P, R, terminal = np.asarray(P, float), np.asarray(R, float), np.asarray(terminal, bool)
    assert np.allclose(P.sum(axis=-1), 1.0), "a test model's rows must be distributions"
    return P, R, terminal, start


def _fork():
    """Start 0 forks at random: to state 2 with probability 0.6, to state 3 with 0.4, whatever
    the action (reward 0). States 2 and 3 then end the episode (reward 1 and 2) in the terminal
    state 1. A loop that samples S' reaches both; one that does not, at most one of them (and
    one that walks to s + 1 runs into the terminal state 1 at once)."""
    S, A = 4, 2
    P = np.zeros((S, A, S))
    P[0, :, 2], P[0, :, 3] = 0.6, 0.4
    P[1:, :, 1] = 1.0
    R = np.zeros((S, A))
    R[2], R[3] = 1.0, 2.0
    return _model(P, R, [False, True, False, False])


def _chain(n=5):
    """States 0..n-1 in a row and the goal n (terminal). Action 0 stays put, action 1 moves one
    step right; every reward is 0 except +1 for entering the goal. With a zero table the greedy
    choice (the lowest tied action) is "stay" in every state, so only exploration finds the goal."""
    S, A = n + 1, 2
    P = np.zeros((S, A, S))
    for s in range(S):
        P[s, 0, s] = 1.0
        P[s, 1, min(s + 1, n)] = 1.0
    R = np.zeros((S, A))
    R[n - 1, 1] = 1.0
    return _model(P, R, np.arange(S) == n)


def _rewarding_terminal():
    """Start 0 always moves into the terminal state 1 (reward 1). The terminal state's rows are
    junk that a correct loop never reads: they lead to state 2 (reward +10), which loops on
    itself with +10 per step. Only a loop that goes on after a terminal state reaches state 2."""
    S, A = 3, 2
    P = np.zeros((S, A, S))
    P[0, :, 1] = 1.0
    P[1:, :, 2] = 1.0
    R = np.array([[1.0, 1.0], [10.0, 10.0], [10.0, 10.0]])
    return _model(P, R, [False, True, False])


@ql.test
def greedy_policy_is_optimal_on_small_minegrid(q_learning: Callable[..., Any]) -> None:
    """MineGrid 'small', 300 episodes: the greedy policy is optimal (vs value iteration) wherever
    it goes."""
    from rlcourse.mdp import suboptimal_reachable_states

    m = _small_minegrid()
    for seed in (0, 1):
        Q = _run(q_learning, seed)
        bad = suboptimal_reachable_states(Q, m["Q_star"], m["mdp"], m["start"])
        assert bad.size == 0, (
            f"with seed {seed} the greedy policy of your Q takes a suboptimal action at "
            f"{[m['env'].state_name(int(s)) for s in bad]}. Check the update target "
            "(R + gamma * max_a Q[s_next, a]), that each episode starts at `start`, and that "
            "S' is sampled from P[s, a]."
        )


@ql.test
def value_of_the_start_matches_dp(q_learning: Callable[..., Any]) -> None:
    """max_a Q(start, a) has converged to V*(start), the value of the best route (from DP)."""
    m = _small_minegrid()
    Q = _run(q_learning, seed=2)
    # route right (-1), right (+1 power), down (-1), down (+100): -1 + 0.9*1 - 0.81*1 + 0.729*100
    assert_scalar_close(
        Q[m["start"]].max(),
        -1 + 0.9 - 0.81 + 72.9,
        name="max_a Q[start, a]",
        rtol=0,
        atol=0.05,
        hint="use gamma in the target, use the reward R[s, a] of the step you "
        "took, and end the episode (no bootstrap) when S' is terminal.",
    )


@ql.test
def max_steps_cuts_episodes_and_bootstraps(q_learning: Callable[..., Any]) -> None:
    """max_steps = 1: only the start's row learns, and the cut episode still bootstraps from S'."""
    # On 'small' the start is (0, 0): right and down enter blank squares (reward -1), up and left
    # bump into the border and stay at the start (reward -1). With max_steps = 1 every episode is
    # one step from the start, so only Q[start] changes; the cut is not a terminal state, so the
    # target bootstraps: right/down -> -1 + 0.9 * max Q[blank] = -1 + 0 = -1, and up/left ->
    # -1 + 0.9 * max_a Q[start, a], whose fixed point with max_a Q[start, a] = -1 is -1.9.
    # epsilon = 1 tries the four actions about 50 times each; alpha = 0.5 halves the error each
    # time.
    m = _small_minegrid()
    Q = _run(q_learning, seed=4, n_episodes=200, epsilon=1.0, max_steps=1)
    expected = np.zeros_like(Q)
    expected[m["start"]] = [-1.9, -1.0, -1.0, -1.9]
    assert_array_close(
        Q,
        expected,
        name="Q after 200 episodes of max_steps=1",
        atol=1e-6,
        hint="stop each episode after max_steps steps (not only at a terminal "
        "state); a cut episode did not end in a terminal state, so its last "
        "update still adds gamma * max_a Q[s_next, a].",
    )


@ql.test
def terminal_rows_stay_zero_and_seed_reproduces(q_learning: Callable[..., Any]) -> None:
    """Q(terminal, .) = 0, and the same seed gives the same Q-table."""
    m = _small_minegrid()
    Q1, Q2 = _run(q_learning, seed=3, n_episodes=50), _run(q_learning, seed=3, n_episodes=50)
    assert np.all(np.asarray(Q1)[m["terminal"]] == 0.0), (
        "Q has non-zero entries in terminal states: start from zeros and never update a terminal "
        "state (stop the episode when S' is terminal)."
    )
    assert np.array_equal(Q1, Q2), (
        "two runs with the same seed gave different Q-tables: create one "
        "rng = np.random.default_rng(seed) and draw everything from it."
    )


@ql.test
def samples_the_next_state_from_P(q_learning: Callable[..., Any]) -> None:
    """S' is sampled from P: both branches of a random fork (60 % / 40 %) get visited."""
    # A correct loop misses state 2 in all 40 episodes with probability 0.4^40 ~ 1e-16 (state
    # 3: 0.6^40 ~ 1e-9). Visiting state s updates Q[s, a] towards its reward (1 or 2), so a
    # visited branch has a non-zero row. Taking the most likely S' (argmax of P[s, a]) visits
    # state 2 only; s + 1 ends every episode in the terminal state 1 at once; a generator
    # re-created with the same seed in every episode draws the same numbers in every episode,
    # so it makes the same first move every time and visits one branch only.
    for seed in (0, 1):
        Q = _learn(q_learning, _fork(), seed, n_episodes=40, epsilon=0.1)
        visited = [bool(np.any(Q[s] != 0.0)) for s in (2, 3)]
        assert all(visited), (
            f"with seed {seed}, one of the two states that follow the start at random (with "
            "probabilities 0.6 and 0.4) was never visited in 40 episodes. Draw S' at random "
            "from P[s, a] at every step, with the one generator made from `seed` before the "
            "first episode (not a new generator per episode: that repeats the same draws), "
            "and never pick the most likely state instead."
        )


@ql.test
def explores_with_probability_epsilon(q_learning: Callable[..., Any]) -> None:
    """epsilon explores: on a chain that the greedy choice of a zero table never leaves."""
    # Greedy ties go to action 0 ("stay"), and staying earns 0, so Q stays zero and a loop that
    # never explores never leaves the start. With epsilon = 0.5 the move right is drawn with
    # probability 1/4 per step while Q is zero; 5 of them in the 100 steps of the first episode
    # are all but certain, and then the +1 of the goal flows back to the start in later
    # episodes (gamma = 0.9, alpha = 0.5, 30 episodes).
    for seed in (0, 1):
        Q = _learn(q_learning, _chain(), seed, n_episodes=30, epsilon=0.5)
        assert Q[0].max() > 0.0, (
            f"with seed {seed} and epsilon = 0.5 the reward of the goal never reached the "
            "start's row of Q. Choose each action with epsilon_greedy(Q[s], epsilon=epsilon, "
            "rng=rng): with probability epsilon it tries an action at random, which is how "
            "the loop finds a goal that the greedy choice of a zero table never reaches."
        )


@ql.test
def stops_at_a_terminal_state(q_learning: Callable[..., Any]) -> None:
    """The episode ends at a terminal state, even one whose (junk) rows lead somewhere rewarding."""
    # Every episode is one step: start -> terminal (reward 1). Q[0, a] = 1 - 0.5^k after k
    # updates of action a (alpha = 0.5); the greedy action 0 is updated in almost every one of
    # the 30 episodes. The terminal row and state 2 (reachable only by going on from the
    # terminal state, +10 per step) must stay exactly 0.
    Q = _learn(q_learning, _rewarding_terminal(), 5, n_episodes=30, epsilon=0.1)
    hint = (
        "stop the episode as soon as S' is terminal (break out of the step loop), "
        "whatever P and R say about the terminal state: an episode that goes on from there "
        "learns rewards it can never get."
    )
    assert_array_equal(
        Q[1:], np.zeros((2, 2)), name="Q[1:] (the terminal state and beyond)", hint=hint
    )
    assert_scalar_close(
        Q[0].max(),
        1.0,
        name="max_a Q[start, a]",
        rtol=0.0,
        atol=1e-6,
        hint="the one step of each episode enters a terminal state, so its target is the "
        "reward alone.",
    )
