"""The experiments that chapters 03-05 reproduce, named after the figure or example they follow.

The lecture notebooks and ``rlcourse tour`` call these same functions, so a figure in a lecture
and the tour's check of it cannot drift apart.

- :func:`example_6_2_random_walk` (chapter 03): RMS error of MC and TD(0) on the 5-state random
  walk, [SB18] Example 6.2;
- :func:`minegrid_q_learning` (chapter 04): episodes until epsilon-greedy Q-learning acts
  optimally on [D003]'s robot grid;
- :func:`example_6_6_cliff_walking` (chapter 04): SARSA vs Q-learning on the cliff, [SB18]
  Example 6.6;
- :func:`example_9_1_random_walk` (chapter 05): the 1000-state random walk for linear prediction,
  [SB18] Example 9.1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from rlcourse._types import ArrayLike
from rlcourse.mdp import MRP, jump_random_walk_mrp, on_policy_distribution, solve_value_iteration
from rlcourse.mdp.evaluation import greedy_is_optimal
from rlcourse.tabular.control import ControlResult, train_q_learning, train_sarsa
from rlcourse.tabular.linear import least_squares_weights, td_fixed_point
from rlcourse.tabular.prediction import rms_error, train_mc_prediction, train_td0_prediction
from rlcourse.validation import check_positive_int

__all__ = [
    "example_6_2_random_walk",
    "minegrid_q_learning",
    "example_6_6_cliff_walking",
    "example_9_1_random_walk",
    "LinearPredictionTask",
]


def example_6_2_random_walk(
    methods: Mapping[str, tuple[str, float | None]],
    *,
    n_episodes: int = 100,
    seeds: Iterable[int] = range(100),
    n_states: int = 5,
) -> dict[str, np.ndarray]:
    """RMS error of V against the exact V = k / (n + 1), before and after every episode.

    Sutton & Barto, Example 6.2: the random walk of ``n_states`` inner states starts every
    estimate at V = 0.5 (0 at the two ends) and pays +1 on the right exit, gamma = 1.
    ``methods`` maps a label to ``("mc", alpha)`` or ``("td", alpha)``; ``alpha=None`` with
    "mc" is the sample average. Every method sees the same episodes for the same seed.

    Returns ``{label: errors}`` with ``errors`` of shape (number of seeds, n_episodes + 1): the
    RMS error over the inner states before training (column 0) and after each episode, one
    row per seed.
    """
    from rlcourse.envs import RandomWalk

    n_episodes = check_positive_int(n_episodes, "n_episodes", 100)
    seeds = list(seeds)
    walk = RandomWalk(n_states)
    mrp = walk.to_mrp()
    V_true = mrp.value_closed_form()  # (S,) k / (n + 1) on the inner states
    inner = ~mrp.terminal  # (S,)
    V0 = np.where(inner, 0.5, 0.0)  # (S,)
    learners = {"mc": train_mc_prediction, "td": train_td0_prediction}
    curves = {}
    for label, (method, alpha) in methods.items():
        if method not in learners:
            raise ValueError(f"method {method!r} of {label!r} must be 'mc' or 'td'.")
        rows = []
        for seed in seeds:
            run = learners[method](
                walk, n_episodes=n_episodes, alpha=alpha, V0=V0, seed=seed, keep_history=True
            )
            rows.append([rms_error(V, V_true, inner) for V in run.V_history])
        curves[label] = np.array(rows)  # (seeds, n_episodes + 1)
    return curves


def minegrid_q_learning(
    seeds: Iterable[int] = range(5),
    *,
    n_episodes: int = 500,
    alpha: float = 0.5,
    gamma: float = 0.9,
    epsilon: float = 0.1,
    check_every: int = 1,
    layout: str = "default",
) -> list[ControlResult]:
    """Q-learning on [D003]'s robot grid until its greedy policy is optimal where it goes.

    One run per seed; each stops the first time (checked after every ``check_every`` episodes,
    default every episode: a greedy policy can be optimal for a while and then lose it) the
    greedy policy of Q takes an optimal action, by value iteration's Q*, in every state it
    reaches from the start (``greedy_is_optimal``). ``result.stopped_at`` is that episode count,
    or None when ``n_episodes`` were not enough.
    """
    from rlcourse.envs import MineGrid

    env = MineGrid(layout)
    mdp = env.to_mdp(gamma=gamma)
    Q_star = solve_value_iteration(mdp, tol=1e-12).Q
    start = env.start_state
    return [
        train_q_learning(
            env,
            seed=seed,
            n_episodes=n_episodes,
            alpha=alpha,
            gamma=gamma,
            epsilon=epsilon,
            check_every=check_every,
            stop_when=lambda Q: greedy_is_optimal(Q, Q_star, mdp, start),
        )
        for seed in seeds
    ]


def example_6_6_cliff_walking(
    seeds: Iterable[int] = range(10),
    *,
    n_episodes: int = 500,
    alpha: float = 0.5,
    gamma: float = 1.0,
    epsilon: float = 0.1,
) -> dict[str, list[ControlResult]]:
    """SARSA and Q-learning on the cliff layout (Sutton & Barto, Example 6.6), one run per seed.

    Returns ``{"Q-learning": [results], "SARSA": [results]}``. Unlike the book, stepping on the
    cliff (a row of mines) ends the episode with -100 instead of sending the robot back to the
    start.
    """
    from rlcourse.envs import MineGrid

    cliff = MineGrid("cliff")
    settings = {"n_episodes": n_episodes, "alpha": alpha, "gamma": gamma, "epsilon": epsilon}
    seeds = list(seeds)
    return {
        "Q-learning": [train_q_learning(cliff, seed=s, **settings) for s in seeds],
        "SARSA": [train_sarsa(cliff, seed=s, **settings) for s in seeds],
    }


@dataclass(frozen=True)
class LinearPredictionTask:
    """A chain with its exact values and on-policy distribution, for linear prediction."""

    mrp: MRP
    """the chain (P (S, S), R (S,), terminal, gamma)"""
    start: int
    """every episode starts here"""
    V: np.ndarray
    """(S,) exact v_pi, from the closed form of Part I"""
    mu: np.ndarray
    """(S,) on-policy distribution (0 at the terminal states)"""

    def features(self, F: ArrayLike) -> np.ndarray:
        """Phi (S, d): the rows of ``F`` (n_inner, d) for the non-terminal states, 0 at the ends."""
        F = np.asarray(F, dtype=float)
        inner = ~self.mrp.terminal
        if F.ndim != 2 or F.shape[0] != inner.sum():
            raise ValueError(
                f"F must have one row per non-terminal state, shape ({inner.sum()}, d);"
                f" got {F.shape}."
            )
        Phi = np.zeros((self.mrp.n_states, F.shape[1]))  # (S, d)
        Phi[inner] = F
        return Phi

    def rms(self, V_hat: ArrayLike) -> float:
        """RMS_mu = sqrt(sum_s mu(s) (V_hat(s) - v_pi(s))^2), the error gradient MC minimises."""
        return float(np.sqrt(self.mu @ (np.asarray(V_hat, dtype=float) - self.V) ** 2))

    def best_fit(self, Phi: ArrayLike) -> np.ndarray:
        """The weights of the best linear fit under mu (where gradient MC converges)."""
        return least_squares_weights(Phi, self.V, self.mu)

    def td_fixed_point(self, Phi: ArrayLike) -> np.ndarray:
        """The weights semi-gradient TD(0) converges to."""
        return td_fixed_point(
            Phi, self.mrp.P, self.mrp.R, self.mu, self.mrp.terminal, gamma=self.mrp.gamma
        )


def example_9_1_random_walk(
    n_states: int = 1000, *, jump: int = 100, start: int | None = None
) -> LinearPredictionTask:
    """Sutton & Barto's 1000-state random walk (Example 9.1) with its exact answers.

    From inner state i the walk jumps to i + k, k uniform over {-jump, .., -1, 1, .., jump}; past
    an end it stops on that end, paying -1 on the left and +1 on the right; gamma = 1. Episodes
    start in the middle state (500). The task carries the exact V and the on-policy
    distribution mu, against which learned weights are measured (``task.rms(Phi @ w)``).
    """
    mrp = jump_random_walk_mrp(n_states, jump)
    start = n_states // 2 if start is None else start
    V = mrp.value_closed_form()  # (S,)
    mu = on_policy_distribution(mrp.P, mrp.terminal, start)  # (S,)
    return LinearPredictionTask(mrp, start, V, mu)
