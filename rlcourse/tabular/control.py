"""Model-free control: epsilon-greedy Q-learning (off-policy) and SARSA (on-policy), deck 003.

Both learn a Q-table Q(s, a) (S, A) from steps S, A, R, S' of an environment:

    Q-learning:  Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)]
    SARSA:       Q(S, A) <- Q(S, A) + alpha [R + gamma Q(S', A')      - Q(S, A)],  A' ~ eps-greedy(Q, S')

Q(terminal, .) = 0 (deck 003's pseudocode): when S' is terminal the target is R alone. When an
episode is *truncated* by a step limit, S' is an ordinary state and we still bootstrap from it.

Q-learning's target uses the greedy action (max) whatever the behaviour did, so it learns Q*
while exploring (off-policy); SARSA's target uses the action A' it will actually take, so it
learns the value of the epsilon-greedy policy itself (on-policy) - on the cliff layout that is
the difference between walking the edge (Q-learning) and keeping a safe distance (SARSA).

| symbol | code | shape |
|---|---|---|
| Q(s, a) | ``Q`` | (S, A) |
| S, A, R, S', A' | ``s, a, r, s_next, a_next`` | ints / float |
| alpha, gamma, epsilon | ``alpha, gamma, epsilon`` | scalars |
| pi (greedy) | ``result.policy`` | (S, A) one-hot |
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rlcourse.tabular._checks import (check_alpha, check_epsilon, check_gamma,
                                      check_positive_int, make_config)
from rlcourse.tabular.episodes import make_stepper
from rlcourse.utils import SeedLike, as_generator, progress_bar

__all__ = ["epsilon_greedy", "greedy_action", "q_learning_update", "sarsa_update",
           "q_learning", "sarsa", "QLearningConfig", "SarsaConfig", "ControlResult",
           "greedy_policy_from_q", "reachable_states", "suboptimal_reachable_states",
           "greedy_is_optimal"]


# ----------------------------------------------------------------------------------------
# Acting.
# ----------------------------------------------------------------------------------------
def greedy_action(q: np.ndarray, rng: np.random.Generator) -> int:
    """argmax_a q[a], ties broken uniformly at random among the maximisers.

    Random tie-breaking matters with Q initialised to 0: "always the lowest index" would send
    a fresh agent the same way (e.g. always "up") until something changes the table.
    """
    values = q.tolist() if hasattr(q, "tolist") else list(q)   # plain floats: faster for few actions
    q_max = max(values)
    best = [a for a, v in enumerate(values) if v == q_max]     # all maximisers
    if len(best) == 1:
        return best[0]
    return best[int(rng.integers(len(best)))]


def epsilon_greedy(Q: np.ndarray, s: int | None, epsilon: float, rng: SeedLike = None) -> int:
    """SELECT-ACTION(Q, S, epsilon) of deck 003's pseudocode.

    With probability epsilon: an action drawn uniformly from all A actions (the greedy one
    included); otherwise a greedy action argmax_a Q(S, a), ties broken uniformly at random.
    ``Q`` is the (S, A) table and ``s`` the state, or ``Q`` is one row (A,) and ``s`` is None.
    Pass a ``numpy.random.Generator`` as ``rng`` inside a loop (an int seeds a new one).
    """
    q = Q if s is None else Q[s]          # (A,)
    rng = as_generator(rng)
    if rng.random() < epsilon:
        return int(rng.integers(len(q)))  # explore
    return greedy_action(q, rng)          # exploit


def greedy_policy_from_q(Q: np.ndarray) -> np.ndarray:
    """One-hot greedy policy pi(s) = argmax_a Q(s, a) (S, A); ties go to the lowest action index
    (the convention of ``rlcourse.mdp.greedy_policy``, so the two can be compared)."""
    Q = np.asarray(Q)
    pi = np.zeros_like(Q, dtype=float)                 # (S, A)
    pi[np.arange(len(Q)), Q.argmax(axis=1)] = 1.0
    return pi


# ----------------------------------------------------------------------------------------
# The two updates.
# ----------------------------------------------------------------------------------------
def q_learning_update(Q, s, a, r, s_next, alpha, gamma, terminal=False) -> np.ndarray:
    """Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)] (deck 003); Q(terminal, .) = 0."""
    target = r if terminal else r + gamma * Q[s_next].max()
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def sarsa_update(Q, s, a, r, s_next, a_next, alpha, gamma, terminal=False) -> np.ndarray:
    """Q(S, A) <- Q(S, A) + alpha [R + gamma Q(S', A') - Q(S, A)] (on-policy TD control); Q(terminal, .) = 0."""
    target = r if terminal else r + gamma * Q[s_next, a_next]
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


# ----------------------------------------------------------------------------------------
# Configs and results.
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QLearningConfig:
    """epsilon-greedy Q-learning (deck 003). Defaults learn the default MineGrid in ~100 episodes."""

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
    seed: int | None = 0
    """one seed for everything random: exploration, tie-breaking, the env's reset/slip"""

    def __post_init__(self):
        check_positive_int(self.n_episodes, "n_episodes", 500)
        check_positive_int(self.max_steps, "max_steps", 100)
        check_alpha(self.alpha)
        check_gamma(self.gamma)
        check_epsilon(self.epsilon)
        check_epsilon(self.epsilon_min, "epsilon_min")
        if not (0.0 < self.epsilon_decay <= 1.0):
            raise ValueError(
                f"epsilon_decay must be in (0, 1], got {self.epsilon_decay!r}; 1.0 keeps epsilon "
                "constant, 0.99 shrinks it by 1% per episode."
            )


@dataclass(frozen=True)
class SarsaConfig(QLearningConfig):
    """SARSA, on-policy TD control: the same fields as :class:`QLearningConfig`."""


@dataclass(frozen=True)
class ControlResult:
    """What a TD-control run learned and how it got there."""

    Q: np.ndarray                  # (S, A) learned action values
    policy: np.ndarray             # (S, A) one-hot greedy policy (ties -> lowest action index)
    episode_returns: np.ndarray    # (n,) undiscounted sum of rewards of each training episode
    episode_lengths: np.ndarray    # (n,) steps of each training episode
    epsilons: np.ndarray           # (n,) epsilon used in each episode
    stopped_at: int | None         # episodes done when stop_when(Q) first returned True
    n_updates: int                 # total Q updates (= environment steps)
    wall_seconds: float            # training time, stop_when checks included
    check_seconds: float           # time spent inside stop_when
    config: object = field(repr=False, default=None)


# ----------------------------------------------------------------------------------------
# The training loops.
# ----------------------------------------------------------------------------------------
def _q_learning_episode(Q, env, alpha, gamma, epsilon, rng, max_steps, reseed):
    """One episode of deck 003's Algorithm 1; returns (sum of rewards, steps)."""
    s = env.reset(rng, reseed)                           # Initialize state S
    total, t = 0.0, 0
    while t < max_steps:
        a = epsilon_greedy(Q, s, epsilon, rng)           # A <- SELECT-ACTION(Q, S, epsilon)
        s_next, r, terminated, truncated = env.step(a, rng)
        # off-policy target: the greedy value of S', whatever we do next
        q_learning_update(Q, s, a, r, s_next, alpha, gamma, terminal=terminated)
        total += r
        t += 1
        if terminated or truncated:
            break
        s = s_next                                       # S <- S'
    return total, t


def _sarsa_episode(Q, env, alpha, gamma, epsilon, rng, max_steps, reseed):
    """One SARSA episode: S, A, R, S', A' with A' chosen before the update; returns (sum of rewards, steps)."""
    s = env.reset(rng, reseed)
    a = epsilon_greedy(Q, s, epsilon, rng)
    total, t = 0.0, 0
    while t < max_steps:
        s_next, r, terminated, truncated = env.step(a, rng)
        # on-policy target: the action we will really take in S' (unused if S' is terminal)
        a_next = epsilon_greedy(Q, s_next, epsilon, rng)
        sarsa_update(Q, s, a, r, s_next, a_next, alpha, gamma, terminal=terminated)
        total += r
        t += 1
        if terminated or truncated:
            break
        s, a = s_next, a_next
    return total, t


def _td_control(episode_fn, env_or_model, cfg, Q0, start, stop_when, check_every, progress):
    stepper = make_stepper(env_or_model, start)
    S, A = stepper.n_states, stepper.n_actions
    if Q0 is None:
        Q = np.zeros((S, A))                                           # (S, A)
    else:
        Q = np.array(Q0, dtype=float)
        if Q.shape != (S, A):
            raise ValueError(f"Q0 must have shape (S, A) = ({S}, {A}), got {Q.shape}.")
    if stepper.terminal is not None:
        Q[stepper.terminal] = 0.0                                      # Q(terminal, .) = 0
    check_positive_int(check_every, "check_every", 10)
    rng = as_generator(cfg.seed)
    n = cfg.n_episodes
    returns, lengths, epsilons = np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros(n)
    stopped_at, check_seconds = None, 0.0
    epsilon = cfg.epsilon
    t0 = time.perf_counter()
    k = -1
    bar = progress_bar(n, progress, type(cfg).__name__.removesuffix("Config"))
    for k in range(n):
        epsilons[k] = epsilon
        returns[k], lengths[k] = episode_fn(Q, stepper, cfg.alpha, cfg.gamma, epsilon, rng,
                                            cfg.max_steps, reseed=(k == 0))
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
    return ControlResult(Q, greedy_policy_from_q(Q), returns[:m], lengths[:m], epsilons[:m],
                         stopped_at, int(lengths[:m].sum()), wall, check_seconds, cfg)


def q_learning(env_or_model, config: QLearningConfig | None = None, *, Q0=None, start=None,
               stop_when: Callable[[np.ndarray], bool] | None = None, check_every: int = 10,
               progress: bool = False, **overrides) -> ControlResult:
    """epsilon-greedy Q-learning, deck 003's Algorithm 1 (off-policy TD control).

    for each episode: S <- reset; repeat: A <- epsilon-greedy(Q, S); take A, observe R, S';
    Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)]; S <- S'; until S terminal.

    ``env_or_model``: a gymnasium env with Discrete spaces (stepped through ``env.unwrapped``)
    or an rlcourse ``MDP`` sampled directly (``start``: its start state/distribution).
    ``config``: a :class:`QLearningConfig`; keyword ``overrides`` replace fields, e.g.
    ``q_learning(env, n_episodes=200, seed=3)``. ``Q0``: initial table (default zeros).
    ``stop_when(Q) -> bool`` is called every ``check_every`` episodes; training stops the first
    time it returns True and ``result.stopped_at`` records the episode count.
    ``progress=True`` shows a tqdm bar over the episodes.
    """
    cfg = make_config(QLearningConfig, config, overrides)
    return _td_control(_q_learning_episode, env_or_model, cfg, Q0, start, stop_when, check_every,
                       progress)


def sarsa(env_or_model, config: SarsaConfig | None = None, *, Q0=None, start=None,
          stop_when: Callable[[np.ndarray], bool] | None = None, check_every: int = 10,
          progress: bool = False, **overrides) -> ControlResult:
    """SARSA (on-policy TD control): Q(S, A) <- Q(S, A) + alpha [R + gamma Q(S', A') - Q(S, A)].

    A' is drawn epsilon-greedily from Q in S' *before* the update and is then taken, so Q
    follows the exploring policy itself. Arguments as for :func:`q_learning`, with a
    :class:`SarsaConfig`.
    """
    if isinstance(config, QLearningConfig) and not isinstance(config, SarsaConfig):
        config = SarsaConfig(**{f: getattr(config, f) for f in config.__dataclass_fields__})
    cfg = make_config(SarsaConfig, config, overrides)
    return _td_control(_sarsa_episode, env_or_model, cfg, Q0, start, stop_when, check_every,
                       progress)


# ----------------------------------------------------------------------------------------
# Comparing a learned greedy policy with DP's optimum.
# ----------------------------------------------------------------------------------------
def _successors(P, s: int, a: int, n_actions: int) -> np.ndarray:
    if hasattr(P, "tocsr"):                       # sparse (S*A, S')
        row = P.getrow(s * n_actions + a)
        return row.indices[row.data > 0]
    return np.flatnonzero(np.asarray(P[s, a]) > 0)


def reachable_states(mdp, pi: np.ndarray, start: int) -> np.ndarray:
    """States reachable from ``start`` when acting with ``pi`` (S, A) in ``mdp`` (any positive
    probability), in order of discovery; terminal states are included but not expanded."""
    A = np.asarray(mdp.R).shape[1]
    terminal = np.asarray(mdp.terminal, dtype=bool)
    pi = np.asarray(pi)
    order, seen, frontier = [], {int(start)}, [int(start)]
    while frontier:
        s = frontier.pop()
        order.append(s)
        if terminal[s]:
            continue
        for a in np.flatnonzero(pi[s] > 0):
            for s_next in _successors(mdp.P, s, int(a), A):
                if int(s_next) not in seen:
                    seen.add(int(s_next))
                    frontier.append(int(s_next))
    return np.array(order, dtype=np.int64)


def suboptimal_reachable_states(Q: np.ndarray, Q_star: np.ndarray, mdp, start: int,
                                tol: float = 1e-9) -> np.ndarray:
    """Non-terminal states, reachable from ``start`` under the greedy policy of ``Q``, whose
    greedy action is not optimal: Q*(s, argmax_a Q(s, a)) < max_a Q*(s, a) - tol.

    Ties in Q* are fine (any optimal action counts). Empty array = the learned greedy policy
    is optimal everywhere it goes. Greedy ties in Q go to the lowest action index.
    """
    pi = greedy_policy_from_q(Q)                                   # (S, A)
    states = reachable_states(mdp, pi, start)
    states = states[~np.asarray(mdp.terminal, dtype=bool)[states]]
    a = pi[states].argmax(axis=1)
    bad = Q_star[states, a] < Q_star[states].max(axis=1) - tol
    return np.sort(states[bad])


def greedy_is_optimal(Q: np.ndarray, Q_star: np.ndarray, mdp, start: int, tol: float = 1e-9) -> bool:
    """True when Q's greedy policy takes an optimal action (under Q*) at every state it reaches from ``start``."""
    return len(suboptimal_reachable_states(Q, Q_star, mdp, start, tol)) == 0
