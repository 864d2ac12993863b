"""Model-free prediction: estimate V^pi from sampled episodes (deck 001, "Policy evaluation").

Monte Carlo waits for the end of the episode and moves V(S_t) toward the return G_t;
TD(0) moves V(S_t) after one step toward the bootstrapped target R_{t+1} + gamma V(S_{t+1}).

    Monte Carlo:  V(S_t) <- V(S_t) + alpha [G_t - V(S_t)]
    TD(0):        V(S_t) <- V(S_t) + alpha [R_{t+1} + gamma V(S_{t+1}) - V(S_t)]

The deck's worked numbers (V starts at 0, alpha = 0.1, gamma = 1):
    G_0 = 1 + 0 + 0 + 0 + 0 + 0 + 1 + 1 + 0 + 0 = 3,  MC:  V(S_0) = 0 + 0.1 * (3 - 0) = 0.3
    R_1 = 1, V(S_1) = 0,                               TD:  V(S_0) = 0 + 0.1 * (1 + 1 * 0 - 0) = 0.1

| symbol | code | shape |
|---|---|---|
| V(s) | ``V`` | (S,) |
| G_t | ``G`` | scalar (``episode_returns`` gives all t) |
| alpha, gamma | ``alpha``, ``gamma`` | scalars |
| N(s) | ``N`` | (S,) number of updates of each state (sample averages use alpha = 1/N(s)) |
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rlcourse.tabular._checks import (check_alpha, check_gamma, check_positive_int,
                                      make_config)
from rlcourse.tabular.episodes import (Episode, _is_model, _PolicySampler, _run_episode,
                                       episode_returns, make_stepper)
from rlcourse.utils import as_generator, progress_bar

__all__ = ["mc_update", "td0_update", "mc_episode_update", "td0_episode_update",
           "mc_prediction", "td0_prediction", "MCConfig", "TD0Config", "PredictionResult",
           "rms_error"]


# ----------------------------------------------------------------------------------------
# The two updates, exactly as on the slide.
# ----------------------------------------------------------------------------------------
def mc_update(V: np.ndarray, s: int, G: float, alpha: float) -> np.ndarray:
    """Monte Carlo update V(S_t) <- V(S_t) + alpha [G_t - V(S_t)] (deck 001). Changes V in place and returns it."""
    V[s] += alpha * (G - V[s])
    return V


def td0_update(V: np.ndarray, s: int, r: float, s_next: int, alpha: float, gamma: float,
               terminal: bool = False) -> np.ndarray:
    """TD(0) update V(S_t) <- V(S_t) + alpha [R_{t+1} + gamma V(S_{t+1}) - V(S_t)] (deck 001).

    ``terminal=True`` when S_{t+1} is terminal: its value is 0 by definition, so the target is
    R_{t+1} alone. Changes V in place and returns it.
    """
    V_next = 0.0 if terminal else V[s_next]
    V[s] += alpha * (r + gamma * V_next - V[s])
    return V


# ----------------------------------------------------------------------------------------
# One episode at a time.
# ----------------------------------------------------------------------------------------
def mc_episode_update(V: np.ndarray, episode: Episode, gamma: float, alpha: float | None = None,
                      N: np.ndarray | None = None, first_visit: bool = True) -> np.ndarray:
    """Apply the Monte Carlo update for every (first) visit of an episode, in time order.

    For t = 0 .. T-1 with return G_t = R_{t+1} + gamma G_{t+1}:
    - first-visit MC skips S_t if it already occurred earlier in the episode;
    - every-visit MC updates at every occurrence.
    ``alpha=None`` is the sample average: N(s) += 1, V(s) += (G_t - V(s)) / N(s), so V(s) is
    exactly the mean of the returns seen so far. Changes V (and N) in place; returns V.
    """
    if N is None:
        N = np.zeros(len(V), dtype=np.int64)
    G = episode_returns(episode.rewards, gamma)      # (T,)
    seen: set[int] = set()
    for t in range(episode.length):
        s = int(episode.states[t])
        if first_visit and s in seen:
            continue                                  # first-visit: a later visit adds nothing
        seen.add(s)
        N[s] += 1
        mc_update(V, s, G[t], 1.0 / N[s] if alpha is None else alpha)
    return V


def td0_episode_update(V: np.ndarray, episode: Episode, gamma: float, alpha: float,
                       N: np.ndarray | None = None) -> np.ndarray:
    """Apply TD(0) to every transition (S_t, R_{t+1}, S_{t+1}) of an episode, in time order.

    Only the last transition of a *terminated* episode has a terminal S_{t+1} (target R_{t+1});
    a truncated episode still bootstraps from V(S_T). Changes V (and N) in place; returns V.
    """
    T = episode.length
    for t in range(T):
        s, s_next = int(episode.states[t]), int(episode.states[t + 1])
        terminal = episode.terminated and t == T - 1
        td0_update(V, s, episode.rewards[t], s_next, alpha, gamma, terminal)
        if N is not None:
            N[s] += 1
    return V


# ----------------------------------------------------------------------------------------
# Configs and results.
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MCConfig:
    """Monte Carlo prediction (deck 001). Defaults estimate V^pi of a small chain in a blink."""

    n_episodes: int = 100
    """number of episodes sampled with pi"""
    alpha: float | None = None
    """constant step size in (0, 1]; None = sample average (alpha = 1/N(s), V(s) = mean return)"""
    first_visit: bool = True
    """True: only the first visit to s in an episode is used; False: every visit"""
    gamma: float | None = None
    """discount factor; None = the model's gamma (1.0, undiscounted, for a gymnasium env)"""
    max_steps: int = 1000
    """cap on the episode length (a truncated episode gives truncated returns)"""
    seed: int | None = 0
    """one seed for everything random: start states, actions, transitions"""

    def __post_init__(self):
        check_positive_int(self.n_episodes, "n_episodes", 100)
        check_positive_int(self.max_steps, "max_steps", 1000)
        if self.alpha is not None:
            check_alpha(self.alpha)
        if self.gamma is not None:
            check_gamma(self.gamma)


@dataclass(frozen=True)
class TD0Config:
    """TD(0) prediction (deck 001)."""

    n_episodes: int = 100
    """number of episodes sampled with pi"""
    alpha: float = 0.1
    """constant step size in (0, 1] (the deck uses 0.1)"""
    gamma: float | None = None
    """discount factor; None = the model's gamma (1.0, undiscounted, for a gymnasium env)"""
    max_steps: int = 1000
    """cap on the episode length (TD bootstraps from the last state of a truncated episode)"""
    seed: int | None = 0
    """one seed for everything random: start states, actions, transitions"""

    def __post_init__(self):
        check_positive_int(self.n_episodes, "n_episodes", 100)
        check_positive_int(self.max_steps, "max_steps", 1000)
        check_alpha(self.alpha)
        if self.gamma is not None:
            check_gamma(self.gamma)


@dataclass(frozen=True)
class PredictionResult:
    """What a prediction run learned and how it got there."""

    V: np.ndarray                     # (S,) final estimate of V^pi
    N: np.ndarray                     # (S,) number of updates each state received
    episodes: int                     # number of episodes used
    episode_lengths: np.ndarray       # (n_episodes,) T of each episode
    rms: np.ndarray | None            # (n_episodes,) RMS error vs V_true after each episode
    V_history: np.ndarray | None      # (n_episodes + 1, S) V before training and after each episode
    config: object = field(repr=False, default=None)


def rms_error(V: np.ndarray, V_true: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Root mean squared error sqrt(mean_s (V(s) - V_true(s))^2) over the states in ``mask``."""
    diff = np.asarray(V, float) - np.asarray(V_true, float)    # (S,)
    if mask is not None:
        diff = diff[mask]
    return float(np.sqrt(np.mean(diff**2)))


def _resolve_gamma(gamma: float | None, env_or_model, default: float = 1.0) -> float:
    if gamma is not None:
        return float(gamma)
    if _is_model(env_or_model):
        return float(env_or_model.gamma)
    return default


def _check_vector(x, S: int, name: str) -> np.ndarray:
    x = np.array(x, dtype=float)   # a copy: we never write into the caller's array
    if x.shape != (S,):
        raise ValueError(f"{name} must have shape (S,) = ({S},), one value per state; got {x.shape}.")
    return x


def _run_prediction(stepper, policy, cfg, learn, values, V_true, keep_history, progress):
    """Sample cfg.n_episodes episodes; call learn(episode) after each; record rms/V snapshots."""
    rng = as_generator(cfg.seed)
    S = stepper.n_states
    mask = None if stepper.terminal is None else ~stepper.terminal
    if V_true is not None:
        V_true = _check_vector(V_true, S, "V_true")
    lengths = np.zeros(cfg.n_episodes, dtype=np.int64)
    rms = np.zeros(cfg.n_episodes) if V_true is not None else None
    history = [values().copy()] if keep_history else None
    bar = progress_bar(cfg.n_episodes, progress, type(cfg).__name__.removesuffix("Config"))
    for k in range(cfg.n_episodes):
        episode = _run_episode(stepper, policy, rng, cfg.max_steps, reseed=(k == 0))
        learn(episode)
        bar.update()
        lengths[k] = episode.length
        if rms is not None:
            rms[k] = rms_error(values(), V_true, mask)
        if history is not None:
            history.append(values().copy())
    bar.close()
    return lengths, rms, (np.array(history) if history is not None else None)


def mc_prediction(env_or_model, pi=None, config: MCConfig | None = None, *, V_true=None,
                  V0=None, start=None, keep_history: bool = False, progress: bool = False,
                  **overrides) -> PredictionResult:
    """Monte Carlo prediction of V^pi: V(S_t) <- V(S_t) + alpha [G_t - V(S_t)] (deck 001).

    Samples ``n_episodes`` episodes of ``pi`` (S, A) in ``env_or_model`` (a gymnasium env with
    Discrete spaces, or an rlcourse MRP/MDP sampled directly; ``pi`` may be omitted for an MRP)
    and applies :func:`mc_episode_update` after each. ``config`` is an :class:`MCConfig`; keyword
    ``overrides`` replace its fields, e.g. ``mc_prediction(mrp, n_episodes=500, alpha=0.05)``.

    ``V_true`` (S,): if given, ``result.rms[k]`` is the RMS error after episode k (over the
    non-terminal states of a model, over all states of an env). ``V0``: initial V (default 0).
    ``start``: models only, a start state (index or name) or distribution; default uniform over
    the non-terminal states. ``keep_history``: store V after every episode in ``V_history``.
    ``progress=True``: a tqdm bar over the episodes.
    """
    cfg = make_config(MCConfig, config, overrides)
    stepper = make_stepper(env_or_model, start)
    policy = _PolicySampler(pi, stepper.n_states, stepper.n_actions)
    gamma = _resolve_gamma(cfg.gamma, env_or_model)
    check_gamma(gamma)
    S = stepper.n_states
    V = np.zeros(S) if V0 is None else _check_vector(V0, S, "V0")   # (S,)
    N = np.zeros(S, dtype=np.int64)                                  # (S,)

    def learn(episode):
        mc_episode_update(V, episode, gamma, cfg.alpha, N, cfg.first_visit)

    lengths, rms, history = _run_prediction(stepper, policy, cfg, learn, lambda: V, V_true,
                                            keep_history, progress)
    return PredictionResult(V, N, cfg.n_episodes, lengths, rms, history, cfg)


def td0_prediction(env_or_model, pi=None, config: TD0Config | None = None, *, V_true=None,
                   V0=None, start=None, keep_history: bool = False, progress: bool = False,
                  **overrides) -> PredictionResult:
    """TD(0) prediction of V^pi: V(S_t) <- V(S_t) + alpha [R_{t+1} + gamma V(S_{t+1}) - V(S_t)] (deck 001).

    Same arguments as :func:`mc_prediction` with a :class:`TD0Config`. The updates are applied
    in time order along each sampled episode (identical to updating online while acting, since
    the policy does not depend on V).
    """
    cfg = make_config(TD0Config, config, overrides)
    stepper = make_stepper(env_or_model, start)
    policy = _PolicySampler(pi, stepper.n_states, stepper.n_actions)
    gamma = _resolve_gamma(cfg.gamma, env_or_model)
    check_gamma(gamma)
    S = stepper.n_states
    V = np.zeros(S) if V0 is None else _check_vector(V0, S, "V0")   # (S,)
    N = np.zeros(S, dtype=np.int64)                                  # (S,)

    def learn(episode):
        td0_episode_update(V, episode, gamma, cfg.alpha, N)

    lengths, rms, history = _run_prediction(stepper, policy, cfg, learn, lambda: V, V_true,
                                            keep_history, progress)
    return PredictionResult(V, N, cfg.n_episodes, lengths, rms, history, cfg)
