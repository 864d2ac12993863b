"""Chapter 03 (MC and TD prediction): the two update rules, first-visit and every-visit Monte
Carlo over a batch of episodes, and TD(0) along one episode, all on plain numpy arrays.

The contracts are those of ``rlcourse.tabular`` (one contract per name): data positional,
hyperparameters keyword-only, ``terminal`` / ``terminated`` data with their defaults::

    mc_update(V, s, G, *, alpha) -> V
    td0_update(V, s, r, s_next, terminal=False, *, alpha, gamma) -> V
    first_visit_mc(episodes, n_states, *, gamma) -> V
    every_visit_mc(episodes, n_states, *, gamma) -> V
    td0_episode(V, states, rewards, terminated=True, *, alpha, gamma) -> V

Episode convention (as in the exercise notebook): ``states = [S_0, ..., S_T]`` (T+1 entries)
and ``rewards = [R_1, ..., R_T]`` (T entries, ``rewards[t]`` follows ``states[t]``). S_T is
terminal when the episode terminated, and an ordinary state when a step limit truncated it.
Every function returns a new array and leaves the ``V`` it was given unchanged.

Expected values are worked out by hand in the comments, or computed by a second, independent
implementation in this file (direct sums of discounted rewards, not the backward recursion).
Each item has a test aimed at a common mistake, named in its docstring.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from rlcourse.grading import assert_array_close, item
from rlcourse.grading.asserts import assert_unchanged, fresh_copy

# the positional data of each function (the contracts above); every call gets fresh copies of
# them and all but V (which the update functions replace, and whose contract has its own tests)
# must come back unchanged
_DATA = {
    "mc_update": ("V", "s", "G"),
    "td0_update": ("V", "s", "r", "s_next", "terminal"),
    "first_visit_mc": ("episodes", "n_states"),
    "every_visit_mc": ("episodes", "n_states"),
    "td0_episode": ("V", "states", "rewards", "terminated"),
}


UPDATE_CONTRACT = (
    "An update returns a NEW array and leaves the V it was given as it was: start from a "
    "copy, change the copy, return the copy."
)


def _call(fn, name: str, *args, contract: bool = False, **kwargs):
    """fn(*args, **kwargs) on fresh copies of the arguments, or a failure that says the header
    was changed (a TypeError raised while binding the arguments would otherwise read as a bug in
    the returned value), or that the function changed one of its data arguments other than V
    (``contract=True``: V too, the update contract, which a few tests check)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin or an odd callable: just call it
        signature = None
    if signature is not None:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise AssertionError(
                f"`{name}` cannot be called the way the exercise's header says ({exc}). Keep "
                f"the header line `def {name}(...)` exactly as given: data arguments first, "
                "the hyperparameters alpha and gamma keyword-only after the `*`."
            ) from None
    given = fresh_copy(args)
    result = fn(*given, **kwargs)
    for arg, before, after in zip(_DATA.get(name, ()), args, given):
        if arg != "V":
            assert_unchanged(name, arg, before, after)
        elif contract:
            assert_unchanged(name, arg, before, after, hint=UPDATE_CONTRACT)
    if result is None and "V" in _DATA.get(name, ()):
        raise AssertionError(f"`{name}` returned None. " + UPDATE_CONTRACT)
    return result


def _returns_by_direct_sums(rewards, gamma):
    """G_t = sum_{k >= 0} gamma^k R_{t+k+1}, each t summed from scratch (no recursion)."""
    r = np.asarray(rewards, dtype=float)  # (T,)
    T = len(r)
    return np.array([np.sum(gamma ** np.arange(T - t) * r[t:]) for t in range(T)])  # (T,)


def _mc_reference(episodes, gamma, n_states, first_visit):
    """Sample average of (first-visit or every-visit) returns, from lists of returns."""
    seen_returns = [[] for _ in range(n_states)]
    for states, rewards in episodes:
        G = _returns_by_direct_sums(rewards, gamma)  # (T,)
        for t in range(len(rewards)):
            s = states[t]
            if first_visit and s in list(states[:t]):
                continue
            seen_returns[s].append(G[t])
    return np.array([np.mean(g) if g else 0.0 for g in seen_returns])  # (S,)


def _random_episodes(seed, n_episodes=6, n_states=4):
    """Short random episodes over states 0..n_states-1 with revisits, ending in n_states."""
    rng = np.random.default_rng(seed)
    episodes = []
    for _ in range(n_episodes):
        T = int(rng.integers(2, 9))
        states = [int(s) for s in rng.integers(0, n_states, size=T)] + [n_states]
        rewards = [float(x) for x in rng.integers(-3, 4, size=T)]
        episodes.append((states, rewards))
    return episodes


# ----------------------------------------------------------------------------- 03.mc_update
mc_item = item(
    "03.mc_update",
    function="mc_update",
    points=1,
    description="V(s) <- V(s) + alpha [G - V(s)] for one state",
)


@mc_item.test
def mc_deck_example(mc_update: Callable[..., Any]) -> None:
    """the lecture's example [D001]: V(S_0) = 0, G = 3, alpha = 0.1."""
    # 0 + 0.1 * (3 - 0) = 0.3; the other states keep their 0
    V = _call(mc_update, "mc_update", np.zeros(3), 0, 3.0, alpha=0.1)
    assert_array_close(
        V,
        [0.3, 0.0, 0.0],
        name="mc_update(zeros(3), s=0, G=3, alpha=0.1)",
        hint="return the updated value array (shape (S,)): "
        "V[s] + alpha * (G - V[s]) at s, the other entries unchanged.",
    )


@mc_item.test
def only_state_s_moves(mc_update: Callable[..., Any]) -> None:
    """only V(s) changes, and the caller's V is left as it was."""
    # common mistake: V + alpha * (G - V) moves every state toward G
    V_in = np.array([1.0, 2.0, 3.0])
    V = _call(mc_update, "mc_update", V_in, 1, 10.0, alpha=0.5, contract=True)
    # V[1] = 2 + 0.5 * (10 - 2) = 6
    assert_array_close(
        V,
        [1.0, 6.0, 3.0],
        name="mc_update([1, 2, 3], s=1, G=10, alpha=0.5)",
        hint="update the single entry V[s]; the return G says nothing about the other states.",
    )


@mc_item.test
def moves_toward_G(mc_update: Callable[..., Any]) -> None:
    """V(s) moves toward G (also downwards), and alpha = 1 jumps to G."""
    # 4 + 0.25 * (0 - 4) = 3;   with alpha = 1: 4 + (-2 - 4) = -2
    assert_array_close(
        _call(mc_update, "mc_update", np.array([4.0]), 0, 0.0, alpha=0.25),
        [3.0],
        name="mc_update([4], s=0, G=0, alpha=0.25)",
        hint="the error is G - V[s] (target minus estimate), not V[s] - G.",
    )
    assert_array_close(
        _call(mc_update, "mc_update", np.array([4.0]), 0, -2.0, alpha=1.0),
        [-2.0],
        name="mc_update([4], s=0, G=-2, alpha=1)",
        hint="with alpha = 1 the new V[s] is G itself.",
    )


# ----------------------------------------------------------------------------- 03.td0_update
td_item = item(
    "03.td0_update",
    function="td0_update",
    points=2,
    description="V(s) <- V(s) + alpha [r + gamma V(s') - V(s)] for one transition",
)


@td_item.test
def td_deck_example(td0_update: Callable[..., Any]) -> None:
    """the lecture's example [D001]: R = 1, V(S_1) = 0, gamma = 1, alpha = 0.1."""
    # 0 + 0.1 * (1 + 1 * 0 - 0) = 0.1; terminal left at its default, False
    V = _call(td0_update, "td0_update", np.zeros(2), 0, 1.0, 1, alpha=0.1, gamma=1.0)
    assert_array_close(
        V,
        [0.1, 0.0],
        name="td0_update(zeros(2), s=0, r=1, s_next=1, alpha=0.1, gamma=1)",
        hint="return the updated value array (shape (S,)) with "
        "V[s] + alpha * (r + gamma * V[s_next] - V[s]) at s; terminal is "
        "False unless the caller says otherwise.",
    )


@td_item.test
def gamma_discounts_only_the_next_value(td0_update: Callable[..., Any]) -> None:
    """gamma multiplies V(s'), not the reward."""
    # target = 2 + 0.5 * 10 = 7;  V[0] = 0 + 0.5 * (7 - 0) = 3.5
    # (gamma * (r + V[s_next]) = 6 would give 3.0)
    V = _call(
        td0_update, "td0_update", np.array([0.0, 10.0]), 0, 2.0, 1, False, alpha=0.5, gamma=0.5
    )
    assert_array_close(
        V,
        [3.5, 10.0],
        name="td0_update([0, 10], s=0, r=2, s_next=1, terminal=False, alpha=0.5, gamma=0.5)",
        hint="the TD target is r + gamma * V[s_next]: the reward is received "
        "now and is not discounted.",
    )


@td_item.test
def no_bootstrap_from_terminal(td0_update: Callable[..., Any]) -> None:
    """terminal=True: the target is r alone, whatever V holds for s'."""
    # common mistake: r + gamma * V[s_next] even when s_next is terminal
    # target = 2;  V[0] = 1 + 0.5 * (2 - 1) = 1.5  (bootstrapping would give 24)
    V_in = np.array([1.0, 50.0])
    V = _call(td0_update, "td0_update", V_in, 0, 2.0, 1, True, alpha=0.5, gamma=0.9, contract=True)
    assert_array_close(
        V,
        [1.5, 50.0],
        name="td0_update([1, 50], s=0, r=2, s_next=1, terminal=True, alpha=0.5, gamma=0.9)",
        hint="a terminal state is worth 0 by definition: when terminal is True "
        "use the target r, ignoring V[s_next].",
    )


@td_item.test
def self_loop_uses_old_value(td0_update: Callable[..., Any]) -> None:
    """s' = s: the target uses V(s) from before the update."""
    # target = 3 + 0.5 * 2 = 4;  V[0] = 2 + 0.5 * (4 - 2) = 3
    V = _call(td0_update, "td0_update", np.array([2.0, 0.0]), 0, 3.0, 0, alpha=0.5, gamma=0.5)
    assert_array_close(
        V,
        [3.0, 0.0],
        name="td0_update([2, 0], s=0, r=3, s_next=0, alpha=0.5, gamma=0.5)",
        hint="compute the target r + gamma * V[s_next] first, from the values "
        "before the update, then change V[s] once.",
    )


# ----------------------------------------------------------------------------- MC batches
# Two hand-worked episodes (gamma = 0.5, n_states = 5, state 3 terminal, state 4 never visited).
# Episode 1: S = 0, 1, 0, 2, 3   R = 1, 0, 2, 4
#   G_3 = 4, G_2 = 2 + 0.5 * 4 = 4, G_1 = 0 + 0.5 * 4 = 2, G_0 = 1 + 0.5 * 2 = 2
#   first visits: V(0) <- G_0 = 2, V(1) <- G_1 = 2, V(2) <- G_3 = 4
#   every visit:  state 0 at t = 0 and t = 2: (2 + 4) / 2 = 3
# Episode 2: S = 1, 2, 3   R = 3, -1
#   G_1 = -1, G_0 = 3 + 0.5 * (-1) = 2.5
EP1 = ([0, 1, 0, 2, 3], [1.0, 0.0, 2.0, 4.0])
EP2 = ([1, 2, 3], [3.0, -1.0])
FIRST_EP1 = [2.0, 2.0, 4.0, 0.0, 0.0]
EVERY_EP1 = [3.0, 2.0, 4.0, 0.0, 0.0]
# both episodes: V(1) = (2 + 2.5) / 2 = 2.25, V(2) = (4 + (-1)) / 2 = 1.5, V(0) as in episode 1
FIRST_BOTH = [2.0, 2.25, 1.5, 0.0, 0.0]
EVERY_BOTH = [3.0, 2.25, 1.5, 0.0, 0.0]
# constant rewards, gamma = 0.9: G_2 = 1, G_1 = 1 + 0.9 = 1.9, G_0 = 1 + 0.9 * 1.9 = 2.71
EP_DISCOUNT = ([0, 1, 2, 3], [1.0, 1.0, 1.0])
V_DISCOUNT = [2.71, 1.9, 1.0, 0.0]


def _mc_tests(mc_item_, first_visit: bool):
    fn_name = "first_visit_mc" if first_visit else "every_visit_mc"
    one, both = (FIRST_EP1, FIRST_BOTH) if first_visit else (EVERY_EP1, EVERY_BOTH)

    @mc_item_.test(
        title="one episode with a revisited state"
        + (" (only the first visit counts)" if first_visit else " (every visit counts)")
    )
    def revisits(fn):
        V = _call(fn, fn_name, [EP1], 5, gamma=0.5)
        if first_visit:
            hint = (
                "state 0 is visited twice in this episode: first-visit MC uses only the "
                "return from its first visit, t = 0."
            )
        else:
            hint = (
                "state 0 is visited twice in this episode: every-visit MC averages the "
                "returns from both visits."
            )
        assert_array_close(
            V,
            one,
            name=f"{fn_name}([episode], n_states=5, gamma=0.5)",
            hint="return a numpy array of shape (n_states,), 0 for states never visited; " + hint,
        )

    @mc_item_.test(
        title="two episodes: a sample average per state, the return restarts in each episode"
    )
    def two_episodes(fn):
        # common mistakes: carrying G over from the previous episode; dividing by the number of
        # episodes instead of the number of returns collected for the state
        episodes = [EP1, EP2]
        V = _call(fn, fn_name, episodes, 5, gamma=0.5)
        assert_array_close(
            V,
            both,
            name=f"{fn_name}([ep1, ep2], n_states=5, gamma=0.5)",
            hint="start each episode's return from 0 at its end, and divide each "
            "state's sum of returns by the number of returns it got, not by "
            "the number of episodes.",
        )

    @mc_item_.test(title="discounting: G_t = R_{t+1} + gamma G_{t+1}")
    def discounting(fn):
        # wrong variants: G = gamma * (G + r) gives 0.9 for the last state; discounting from the
        # start of the episode (gamma^k R_{k+1} summed from k = t) shrinks the later returns
        V = _call(fn, fn_name, [EP_DISCOUNT], 4, gamma=0.9)
        assert_array_close(
            V,
            V_DISCOUNT,
            name=f"{fn_name}([episode], n_states=4, gamma=0.9)",
            hint="the first reward after S_t, R_{t+1}, is not discounted in G_t; "
            "the one after it gets gamma, and so on.",
        )

    @mc_item_.test(title="random episodes agree with a direct computation of the returns")
    def random_episodes(fn):
        for seed in (3, 4):
            episodes = _random_episodes(seed)
            expected = _mc_reference(episodes, 0.8, 5, first_visit)
            assert_array_close(
                _call(fn, fn_name, episodes, 5, gamma=0.8),
                expected,
                name=f"{fn_name}(random episodes, n_states=5, gamma=0.8)",
                hint="compute G_t for every step of an episode (backwards from "
                "its end), then average per state over all episodes.",
            )


# ----------------------------------------------------------------------------- 03.first_visit_mc
first_item = item(
    "03.first_visit_mc",
    function="first_visit_mc",
    points=3,
    description="first-visit MC: V(s) = mean of the returns from first visits",
)
_mc_tests(first_item, first_visit=True)

# ----------------------------------------------------------------------------- 03.every_visit_mc
every_item = item(
    "03.every_visit_mc",
    function="every_visit_mc",
    points=2,
    description="every-visit MC: V(s) = mean of the returns from every visit",
)
_mc_tests(every_item, first_visit=False)


# ----------------------------------------------------------------------------- 03.td0_episode
tde_item = item(
    "03.td0_episode",
    function="td0_episode",
    points=2,
    description="TD(0) along one episode, transition by transition; a truncated "
    "episode bootstraps from its last state",
)


@tde_item.test
def random_walk_episode(td0_episode: Callable[..., Any]) -> None:
    """a random-walk episode C, D, E, T_right (+1): only E changes; T_right is not bootstrapped."""
    # V = 0.5 on A..E; V[6] (the terminal) holds 0.8 on purpose: it must be ignored.
    # terminated left at its default, True.
    # t=0: C: 0 + 1 * V(D) = 0.5 -> no change; t=1: D: same; t=2: E: target 1 (terminal)
    #      V(E) = 0.5 + 0.1 * (1 - 0.5) = 0.55   (bootstrapping from V[6] would give 0.63)
    V_in = np.array([0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.8])
    V = _call(
        td0_episode,
        "td0_episode",
        V_in,
        [3, 4, 5, 6],
        [0.0, 0.0, 1.0],
        alpha=0.1,
        gamma=1.0,
        contract=True,
    )
    assert_array_close(
        V,
        [0.0, 0.5, 0.5, 0.5, 0.5, 0.55, 0.8],
        name="td0_episode(V, states=[3, 4, 5, 6], rewards=[0, 0, 1], alpha=0.1, gamma=1)",
        hint="return the updated array (shape (S,)); by default the episode "
        "terminated, so its last state is terminal and the last "
        "transition's target is its reward alone.",
    )


@tde_item.test
def updates_in_time_order(td0_episode: Callable[..., Any]) -> None:
    """each transition sees the values changed by the earlier ones in the same episode."""
    # S = 1, 2, 1, 0 (0 terminal), R = 1, 0, 2, alpha = 0.5, gamma = 1, V = [0, 1, 2]
    # t=0: s=1, target 1 + V(2) = 3,             V(1) = 1 + 0.5 * (3 - 1) = 2
    # t=1: s=2, target 0 + V(1) = 2 (updated!),  V(2) = 2 + 0.5 * (2 - 2) = 2
    # t=2: s=1, target 2 (terminal),             V(1) = 2 + 0.5 * (2 - 2) = 2
    # (targets from the values before the episode would give V(2) = 1.5)
    V = _call(
        td0_episode,
        "td0_episode",
        np.array([0.0, 1.0, 2.0]),
        [1, 2, 1, 0],
        [1.0, 0.0, 2.0],
        True,
        alpha=0.5,
        gamma=1.0,
    )
    assert_array_close(
        V,
        [0.0, 2.0, 2.0],
        name="td0_episode([0, 1, 2], states=[1, 2, 1, 0], rewards=[1, 0, 2], "
        "terminated=True, alpha=0.5, gamma=1)",
        hint="apply the TD(0) update for t = 0, 1, ..., T-1 one after another on "
        "the same array, so a later target uses the values already updated.",
    )


@tde_item.test
def gamma_and_reward_of_each_step(td0_episode: Callable[..., Any]) -> None:
    """gamma multiplies V(S_{t+1}) only, and rewards[t] belongs to the transition from states[t]."""
    # S = 1, 2, 0 (0 terminal), R = 2, 1, alpha = 1, gamma = 0.5, V = [0, 0, 4]
    # t=0: V(1) = 2 + 0.5 * V(2) = 2 + 2 = 4;   t=1: V(2) = 1 (terminal)
    # (gamma * (r + V) would give 3 and 0.5; an off-by-one rewards[t+1] would give V(1) = 3)
    V = _call(
        td0_episode,
        "td0_episode",
        np.array([0.0, 0.0, 4.0]),
        [1, 2, 0],
        [2.0, 1.0],
        alpha=1.0,
        gamma=0.5,
    )
    assert_array_close(
        V,
        [0.0, 4.0, 1.0],
        name="td0_episode([0, 0, 4], states=[1, 2, 0], rewards=[2, 1], alpha=1, gamma=0.5)",
        hint="the target of step t is rewards[t] + gamma * V[states[t+1]] "
        "(just rewards[t] on the last step of a terminated episode).",
    )


@tde_item.test
def truncated_episode_bootstraps(td0_episode: Callable[..., Any]) -> None:
    """terminated=False (cut off by a step limit): the last target still bootstraps from V(S_T)."""
    # S = 1, 2, 3, R = 1, 1, alpha = 0.5, gamma = 0.5, V = [0, 1, 2, 4]; S_T = 3 is NOT terminal
    # t=0: s=1, target 1 + 0.5 * V(2) = 2,  V(1) = 1 + 0.5 * (2 - 1) = 1.5
    # t=1: s=2, target 1 + 0.5 * V(3) = 3,  V(2) = 2 + 0.5 * (3 - 2) = 2.5
    # V(3) itself is not updated: no transition leaves it in this episode.
    # (ignoring `terminated`, the last target would be 1 and V(2) = 1.5)
    V_in = np.array([0.0, 1.0, 2.0, 4.0])
    V = _call(
        td0_episode,
        "td0_episode",
        V_in,
        [1, 2, 3],
        [1.0, 1.0],
        False,
        alpha=0.5,
        gamma=0.5,
        contract=True,
    )
    assert_array_close(
        V,
        [0.0, 1.5, 2.5, 4.0],
        name="td0_episode([0, 1, 2, 4], states=[1, 2, 3], rewards=[1, 1], "
        "terminated=False, alpha=0.5, gamma=0.5)",
        hint="terminated=False means a step limit cut the episode short: its "
        "last state is an ordinary state with a value, so the last "
        "transition is updated like the others, bootstrapping from "
        "V[states[-1]]; only a terminated episode drops that term.",
    )
