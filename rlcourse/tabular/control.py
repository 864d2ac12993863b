"""Model-free control: epsilon-greedy Q-learning (off-policy) and SARSA (on-policy), [D003].

Both learn a Q-table Q(s, a) (S, A) from steps S, A, R, S' of an environment:

    Q-learning:  Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)]
    SARSA:       Q(S, A) <- Q(S, A) + alpha [R + gamma Q(S', A')      - Q(S, A)]
                 with A' ~ eps-greedy(Q, S'), the action taken next

Q(terminal, .) = 0 ([D003]'s pseudocode): when S' is terminal the target is R alone. When an
episode is *truncated* by a step limit, S' is an ordinary state and we still bootstrap from it.

Q-learning's target uses the greedy action (max) whatever the behaviour did, so it learns Q*
while exploring (off-policy); SARSA's target uses the action A' it will actually take, so it
learns the value of the epsilon-greedy policy itself (on-policy) - on the cliff layout that is
the difference between walking the edge (Q-learning) and keeping a safe distance (SARSA).

One tie-breaking rule for the whole course: among equally good actions, the lowest index
(``np.argmax``). Acting greedily on a fresh all-zero table therefore tries action 0 first; the
-1 it earns makes another action the best, so a zero-initialised agent still explores.

| symbol | code | shape |
|---|---|---|
| Q(s, a) | ``Q`` | (S, A) |
| S, A, R, S', A' | ``s, a, r, s_next, a_next`` | ints / float |
| alpha, gamma, epsilon | ``alpha, gamma, epsilon`` | scalars, keyword-only |
| pi (greedy) | ``result.policy`` | (S, A) one-hot |

On arrays (the exercises' functions): :func:`epsilon_greedy`, :func:`epsilon_greedy_policy`,
:func:`q_learning_update`, :func:`sarsa_update`, and the whole loops on a model
:func:`q_learning`, :func:`sarsa`. Trainers on an environment or a model that return a record
with the config and the history: :func:`train_q_learning`, :func:`train_sarsa`. Update
functions return a new table; the loops pass ``out=Q`` to update in place.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rlcourse._types import ArrayLike, EnvOrModel, StartLike, Transitions
from rlcourse.mdp._common import arrays_only
from rlcourse.mdp.bellman import greedy_policy
from rlcourse.tabular.episodes import make_stepper, refuse_terminal_start
from rlcourse.tabular.prediction import _target_array
from rlcourse.utils import SeedLike, as_generator, progress_bar
from rlcourse.validation import (
    check_action,
    check_alpha,
    check_array,
    check_epsilon,
    check_gamma,
    check_number,
    check_positive_int,
    check_state,
    make_config,
)

__all__ = [
    "epsilon_greedy",
    "epsilon_greedy_policy",
    "q_learning_update",
    "sarsa_update",
    "q_learning",
    "sarsa",
    "train_q_learning",
    "train_sarsa",
    "QLearningConfig",
    "SarsaConfig",
    "ControlResult",
]


# ----------------------------------------------------------------------------------------
# Acting.
# ----------------------------------------------------------------------------------------
def epsilon_greedy(q: ArrayLike, *, epsilon: float, rng: np.random.Generator) -> int:
    """SELECT-ACTION(Q, S, epsilon) of [D003]'s pseudocode, for one row q = Q(S, .) (A,).

    With probability epsilon: an action drawn uniformly from all A actions (the greedy one
    included); otherwise the greedy action argmax_a q[a], ties to the lowest index. So the
    greedy action has probability 1 - epsilon + epsilon / A. All randomness comes from ``rng``
    (a ``numpy.random.Generator``): one ``rng.random()`` per call, plus ``rng.integers(A)``
    when exploring. Returns a Python int.
    """
    if not (isinstance(q, np.ndarray) and q.ndim == 1 and q.size):
        q = _action_values(q)
    epsilon = check_epsilon(epsilon)
    if not hasattr(rng, "integers"):  # a numpy Generator (or anything that draws like one)
        raise TypeError(
            f"rng must be a numpy.random.Generator, e.g. rng = "
            f"np.random.default_rng(0), got {type(rng).__name__}."
        )
    if rng.random() < epsilon:
        return int(rng.integers(len(q)))  # explore: any of the A actions
    return int(q.argmax())  # exploit: the first maximiser (ties: the lowest index)


def _action_values(q) -> np.ndarray:
    q = check_array(q, "q", "one row Q[s] of the Q-table, shape (A,)")
    if q.ndim != 1 or q.size == 0:
        raise ValueError(
            f"q must be one row Q[s] of the Q-table, shape (A,), got shape {q.shape}; "
            "pass Q[s], not the whole table."
        )
    return q


def epsilon_greedy_policy(Q: ArrayLike, *, epsilon: float) -> np.ndarray:
    """The epsilon-greedy policy of a Q-table as probabilities pi(a|s), shape (S, A).

        pi(a|s) = 1 - epsilon + epsilon / A   for a = argmax_a Q(s, a) (lowest index on ties)
                = epsilon / A                 for every other action

    This is the policy :func:`epsilon_greedy` samples from, and the one SARSA evaluates;
    ``rlcourse.mdp.evaluate_policy`` gives its exact value.
    """
    epsilon = check_epsilon(epsilon)
    greedy = greedy_policy(Q)  # (S, A) one-hot
    A = greedy.shape[1]
    return (1.0 - epsilon) * greedy + epsilon / A  # (S, A)


# ----------------------------------------------------------------------------------------
# The two updates.
# ----------------------------------------------------------------------------------------
def _target_table(Q, out) -> np.ndarray:
    return _target_array(Q, out, "Q", "an (S, A) table of action values", ndim=2)


def _check_step(Q, s, a, s_next, r):
    """(s, a, s_next, r) checked against the table Q (S, A)."""
    S, A = Q.shape
    if (
        type(s) is int
        and type(a) is int
        and type(s_next) is int
        and type(r) is float
        and 0 <= s < S
        and 0 <= a < A
        and 0 <= s_next < S
        and math.isfinite(r)
    ):
        return s, a, s_next, r  # the common case (the trainers' loop), fast
    return (
        check_state(s, S, "s"),
        check_action(a, A, "a"),
        check_state(s_next, S, "s_next"),
        check_number(r, "r", "r=1.0"),
    )


def q_learning_update(
    Q: ArrayLike,
    s: int,
    a: int,
    r: float,
    s_next: int,
    terminal: bool = False,
    *,
    alpha: float,
    gamma: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)] ([D003]).

    ``terminal=True`` when S' is terminal (Q(terminal, .) = 0): the target is R alone. Returns
    a new (S, A) table; ``Q`` is not changed (pass ``out=Q`` to update Q itself).
    """
    Q_new = _target_table(Q, out)  # (S, A)
    s, a, s_next, r = _check_step(Q_new, s, a, s_next, r)
    alpha, gamma = check_alpha(alpha), check_gamma(gamma)
    target = r if terminal else r + gamma * Q_new[s_next].max()  # off-policy: the greedy value
    Q_new[s, a] = Q_new[s, a] + alpha * (target - Q_new[s, a])
    return Q_new


def sarsa_update(
    Q: ArrayLike,
    s: int,
    a: int,
    r: float,
    s_next: int,
    a_next: int,
    terminal: bool = False,
    *,
    alpha: float,
    gamma: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Q(S, A) <- Q(S, A) + alpha [R + gamma Q(S', A') - Q(S, A)] (on-policy TD control).

    A' is the action that will really be taken in S'. ``terminal=True``: target R alone.
    Returns a new (S, A) table; ``Q`` is not changed (pass ``out=Q`` to update Q itself).
    """
    Q_new = _target_table(Q, out)  # (S, A)
    s, a, s_next, r = _check_step(Q_new, s, a, s_next, r)
    if not (type(a_next) is int and 0 <= a_next < Q_new.shape[1]):
        a_next = check_action(a_next, Q_new.shape[1], "a_next")
    alpha, gamma = check_alpha(alpha), check_gamma(gamma)
    target = r if terminal else r + gamma * Q_new[s_next, a_next]  # on-policy: the action taken
    Q_new[s, a] = Q_new[s, a] + alpha * (target - Q_new[s, a])
    return Q_new


# ----------------------------------------------------------------------------------------
# Configs and results.
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class QLearningConfig:
    """epsilon-greedy Q-learning ([D003]). Defaults learn the default MineGrid in ~100 episodes."""

    n_episodes: int = 500
    """number of training episodes (fewer if ``stop_when`` fires)"""
    alpha: float = 0.5
    """step size in (0, 1]; the grid is deterministic (slip=0), so a large step is safe"""
    gamma: float = 0.9
    """discount factor in [0, 1]; 0.9 = MineGrid.to_mdp()'s default, so DP gives the same Q*"""
    epsilon: float = 0.1
    """exploration probability in [0, 1] (a random action 10% of the time)"""
    epsilon_decay: float = 1.0
    """epsilon is multiplied by this after every episode (1.0 = constant epsilon)"""
    epsilon_min: float = 0.0
    """epsilon never decays below this"""
    max_steps: int = 100
    """cap on the episode length; a capped episode bootstraps from its last state"""

    def __post_init__(self):
        check_positive_int(self.n_episodes, "n_episodes", 500)
        check_positive_int(self.max_steps, "max_steps", 100)
        check_alpha(self.alpha)
        check_gamma(self.gamma)
        check_epsilon(self.epsilon)
        check_epsilon(self.epsilon_min, "epsilon_min")
        if not (
            0.0 < check_number(self.epsilon_decay, "epsilon_decay", "epsilon_decay=0.99") <= 1.0
        ):
            raise ValueError(
                f"epsilon_decay must be in (0, 1], got {self.epsilon_decay!r}; 1.0 keeps epsilon "
                "constant, 0.99 shrinks it by 1% per episode."
            )


@dataclass(frozen=True, kw_only=True)
class SarsaConfig(QLearningConfig):
    """SARSA, on-policy TD control: the same fields as :class:`QLearningConfig`."""


@dataclass(frozen=True, kw_only=True)
class ControlResult:
    """What a TD-control run learned and how it got there."""

    Q: np.ndarray = field(repr=False)
    """(S, A) learned action values"""
    policy: np.ndarray = field(repr=False)
    """(S, A) one-hot greedy policy of Q (ties to the lowest action index)"""
    N: np.ndarray = field(repr=False)
    """(S, A) number of updates of each pair (N.sum(axis=1) > 0: the states ever visited)"""
    config: QLearningConfig = field(repr=False)
    """the configuration the run used"""
    seed: SeedLike = None
    """the seed the run used"""
    history: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    """one entry per training episode: "episode" (1, 2, ...), "return" (undiscounted sum of
    rewards), "length" (steps) and "epsilon" (the exploration rate used)"""
    stopped_at: int | None = None
    """episodes done when stop_when(Q) first returned True (None: it never did)"""
    wall_seconds: float = 0.0
    """training time, stop_when checks included"""
    check_seconds: float = 0.0
    """time spent inside stop_when"""

    @property
    def n_updates(self) -> int:
        """Total Q updates (= environment steps)."""
        return int(self.history["length"].sum())


# ----------------------------------------------------------------------------------------
# The training loops.
# ----------------------------------------------------------------------------------------
def _q_learning_episode(Q, N, env, alpha, gamma, epsilon, rng, max_steps, reseed):
    """One episode of [D003]'s Algorithm 1 (Q and the counts N updated in place); returns
    (sum of rewards, steps)."""
    s = env.reset(rng, reseed)  # Initialize state S
    total, t = 0.0, 0
    while t < max_steps:
        a = epsilon_greedy(Q[s], epsilon=epsilon, rng=rng)  # A <- SELECT-ACTION(Q, S, epsilon)
        s_next, r, terminated, truncated = env.step(a, rng)
        q_learning_update(Q, s, a, r, s_next, terminated, alpha=alpha, gamma=gamma, out=Q)
        N[s, a] += 1
        total += r
        t += 1
        if terminated or truncated:
            break
        s = s_next  # S <- S'
    return total, t


def _sarsa_episode(Q, N, env, alpha, gamma, epsilon, rng, max_steps, reseed):
    """One SARSA episode, A' chosen before the update (Q in place); returns (sum of rewards,
    steps)."""
    s = env.reset(rng, reseed)
    a = epsilon_greedy(Q[s], epsilon=epsilon, rng=rng)
    total, t = 0.0, 0
    while t < max_steps:
        s_next, r, terminated, truncated = env.step(a, rng)
        # on-policy target: the action we will really take in S' (unused if S' is terminal)
        a_next = epsilon_greedy(Q[s_next], epsilon=epsilon, rng=rng)
        sarsa_update(Q, s, a, r, s_next, a_next, terminated, alpha=alpha, gamma=gamma, out=Q)
        N[s, a] += 1
        total += r
        t += 1
        if terminated or truncated:
            break
        s, a = s_next, a_next
    return total, t


def _td_control(
    episode_fn, env_or_model, cfg, seed, Q0, start, stop_when, check_every, progress
) -> ControlResult:
    stepper = make_stepper(env_or_model, start)
    S, A = stepper.n_states, stepper.n_actions
    refuse_terminal_start(stepper, everywhere=False)
    if stop_when is not None and not callable(stop_when):
        raise TypeError(
            f"stop_when must be a function of the Q-table returning True to stop "
            f"(e.g. stop_when=lambda Q: ...), got {type(stop_when).__name__}."
        )
    if Q0 is None:
        Q = np.zeros((S, A))  # (S, A)
    else:
        Q = np.array(check_array(Q0, "Q0", "an (S, A) table of initial action values"))
        if Q.shape != (S, A):
            raise ValueError(f"Q0 must have shape (S, A) = ({S}, {A}), got {Q.shape}.")
    if stepper.terminal is not None:
        Q[stepper.terminal] = 0.0  # Q(terminal, .) = 0
    N = np.zeros((S, A), dtype=np.int64)  # (S, A) updates of each pair
    check_every = check_positive_int(check_every, "check_every", 10)
    rng = as_generator(seed)
    n = cfg.n_episodes
    returns_, lengths, epsilons = np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros(n)
    stopped_at, check_seconds = None, 0.0
    epsilon = cfg.epsilon
    t0 = time.perf_counter()
    k = -1
    bar = progress_bar(n, progress, type(cfg).__name__.removesuffix("Config"))
    for k in range(n):
        epsilons[k] = epsilon
        returns_[k], lengths[k] = episode_fn(
            Q, N, stepper, cfg.alpha, cfg.gamma, epsilon, rng, cfg.max_steps, reseed=(k == 0)
        )
        bar.update()
        epsilon = max(cfg.epsilon_min, epsilon * cfg.epsilon_decay)
        if stop_when is not None and (k + 1) % check_every == 0:
            c0 = time.perf_counter()
            done = bool(stop_when(Q))
            check_seconds += time.perf_counter() - c0
            if done:
                stopped_at = k + 1
                break
    bar.close()
    wall = time.perf_counter() - t0
    m = k + 1
    history = {
        "episode": np.arange(1, m + 1),
        "return": returns_[:m],
        "length": lengths[:m],
        "epsilon": epsilons[:m],
    }
    return ControlResult(
        Q=Q,
        policy=greedy_policy(Q),
        N=N,
        config=cfg,
        seed=seed,
        history=history,
        stopped_at=stopped_at,
        wall_seconds=wall,
        check_seconds=check_seconds,
    )


def train_q_learning(
    env_or_model: EnvOrModel,
    config: QLearningConfig | None = None,
    *,
    seed: SeedLike,
    Q0: ArrayLike | None = None,
    start: StartLike | None = None,
    stop_when: Callable[[np.ndarray], bool] | None = None,
    check_every: int = 10,
    progress: bool = False,
    **overrides,
) -> ControlResult:
    """epsilon-greedy Q-learning, [D003]'s Algorithm 1 (off-policy TD control).

    for each episode: S <- reset; repeat: A <- epsilon-greedy(Q, S); take A, observe R, S';
    Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)]; S <- S'; until S terminal.

    ``env_or_model``: a gymnasium env with Discrete spaces (stepped through ``env.unwrapped``)
    or an rlcourse ``MDP`` sampled directly (``start``: its start state or distribution; a
    terminal start is refused). ``config``: a :class:`QLearningConfig`; keyword ``overrides``
    replace fields, e.g. ``train_q_learning(env, seed=3, n_episodes=200)``. ``seed``: one seed
    for exploration, transitions and the env's own ``np_random``. ``Q0``: initial table
    (default zeros). ``stop_when(Q) -> bool`` is called every ``check_every`` episodes; training
    stops the first time it returns True and ``result.stopped_at`` records the episode count.
    ``progress=True`` shows a tqdm bar over the episodes.
    """
    cfg = make_config(QLearningConfig, config, overrides)
    return _td_control(
        _q_learning_episode, env_or_model, cfg, seed, Q0, start, stop_when, check_every, progress
    )


def train_sarsa(
    env_or_model: EnvOrModel,
    config: SarsaConfig | None = None,
    *,
    seed: SeedLike,
    Q0: ArrayLike | None = None,
    start: StartLike | None = None,
    stop_when: Callable[[np.ndarray], bool] | None = None,
    check_every: int = 10,
    progress: bool = False,
    **overrides,
) -> ControlResult:
    """SARSA (on-policy TD control): Q(S, A) <- Q(S, A) + alpha [R + gamma Q(S', A') - Q(S, A)].

    A' is drawn epsilon-greedily from Q in S' *before* the update and is then taken, so Q
    follows the exploring policy itself. Arguments as for :func:`train_q_learning`, with a
    :class:`SarsaConfig`.
    """
    if isinstance(config, QLearningConfig) and not isinstance(config, SarsaConfig):
        config = SarsaConfig(**{f: getattr(config, f) for f in config.__dataclass_fields__})
    cfg = make_config(SarsaConfig, config, overrides)
    return _td_control(
        _sarsa_episode, env_or_model, cfg, seed, Q0, start, stop_when, check_every, progress
    )


# ----------------------------------------------------------------------------------------
# The loops on plain arrays (the exercises' contract).
# ----------------------------------------------------------------------------------------
def _model_loop(
    train, P, R, terminal, start, alpha, gamma, epsilon, n_episodes, max_steps, seed
) -> np.ndarray:
    from rlcourse.mdp import MDP

    mdp = MDP(P, R, terminal, gamma=gamma)
    result = train(
        mdp,
        seed=seed,
        start=start,
        alpha=alpha,
        gamma=gamma,
        epsilon=epsilon,
        n_episodes=n_episodes,
        max_steps=max_steps,
    )
    return result.Q


@arrays_only(use_instead="train_q_learning(mdp, seed=..., start=...)")
def q_learning(
    P: Transitions,
    R: ArrayLike,
    terminal: ArrayLike,
    start: int,
    *,
    alpha: float,
    gamma: float,
    epsilon: float,
    n_episodes: int,
    max_steps: int = 100,
    seed: SeedLike,
) -> np.ndarray:
    """epsilon-greedy Q-learning on a known model, sampled step by step; returns Q (S, A).

    ``P`` (S, A, S'), ``R`` (S, A), ``terminal`` (S,): every episode starts in ``start`` and
    runs until S' is terminal or ``max_steps`` steps; each step takes
    A = epsilon_greedy(Q[S], epsilon, rng), samples S' ~ P(.|S, A), receives R(S, A) and applies
    :func:`q_learning_update`. Q starts at 0. :func:`train_q_learning` runs the same loop on a
    model or an environment and returns the history too.
    """
    return _model_loop(
        train_q_learning, P, R, terminal, start, alpha, gamma, epsilon, n_episodes, max_steps, seed
    )


@arrays_only(use_instead="train_sarsa(mdp, seed=..., start=...)")
def sarsa(
    P: Transitions,
    R: ArrayLike,
    terminal: ArrayLike,
    start: int,
    *,
    alpha: float,
    gamma: float,
    epsilon: float,
    n_episodes: int,
    max_steps: int = 100,
    seed: SeedLike,
) -> np.ndarray:
    """SARSA on a known model, sampled step by step; returns Q (S, A).

    As :func:`q_learning`, with A' drawn epsilon-greedily in S' before the update and then
    taken (:func:`sarsa_update`).
    """
    return _model_loop(
        train_sarsa, P, R, terminal, start, alpha, gamma, epsilon, n_episodes, max_steps, seed
    )
