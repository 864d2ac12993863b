"""Linear value-function approximation: v_hat(s, w) = phi(s)^T w (deck 001).

Deck 001 minimises J(w) = E_pi[(v_hat(s, w) - v_pi(s))^2] by gradient descent,
w <- w - alpha (v_hat(s, w) - v_pi(s)) grad_w v_hat(s, w), and for a linear v_hat the gradient
is phi(s). v_pi(s) is unknown, so it is replaced by a sample target:

    gradient MC:         w <- w - alpha [phi(s)^T w - G_t] phi(s)
                           = w + alpha [G_t - phi(s)^T w] phi(s)
    semi-gradient TD(0): w <- w + alpha [R_{t+1} + gamma phi(S_{t+1})^T w - phi(S_t)^T w] phi(S_t)

"Semi"-gradient: the TD target also depends on w, but we do not differentiate through it.
With one-hot features (Phi = I) both reduce *exactly* to the tabular updates of
``rlcourse.tabular.prediction`` (w = V).

| symbol | code | shape |
|---|---|---|
| phi(s) | ``phi_s`` = ``Phi[s]`` | (d,) |
| Phi | ``Phi`` | (S, d) |
| w | ``w`` | (d,) |
| v_hat(s, w) | ``v_hat(phi_s, w)``; all states ``Phi @ w`` | scalar; (S,) |
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rlcourse.tabular._checks import check_gamma, make_config
from rlcourse.tabular.episodes import Episode, _PolicySampler, episode_returns, make_stepper
from rlcourse.tabular.features import as_feature_matrix
from rlcourse.tabular.prediction import MCConfig, TD0Config, _resolve_gamma, _run_prediction

__all__ = ["v_hat", "gradient_mc_update", "semi_gradient_td0_update", "gradient_mc",
           "semi_gradient_td0", "LinearPredictionResult"]


def v_hat(phi_s: np.ndarray, w: np.ndarray) -> float:
    """v_hat(s, w) = phi(s)^T w."""
    return phi_s @ w


def gradient_mc_update(w: np.ndarray, phi_s: np.ndarray, G: float, alpha: float) -> np.ndarray:
    """w <- w - alpha [phi(s)^T w - G_t] phi(s) (deck 001). Changes w in place and returns it."""
    w += alpha * (G - v_hat(phi_s, w)) * phi_s       # (d,)
    return w


def semi_gradient_td0_update(w: np.ndarray, phi_s: np.ndarray, r: float, phi_next: np.ndarray,
                             alpha: float, gamma: float, terminal: bool = False) -> np.ndarray:
    """w <- w + alpha [R + gamma phi(S')^T w - phi(S)^T w] phi(S); v_hat(terminal) = 0. In place; returns w."""
    v_next = 0.0 if terminal else v_hat(phi_next, w)
    delta = r + gamma * v_next - v_hat(phi_s, w)     # TD error
    w += alpha * delta * phi_s                       # (d,)  no gradient through the target
    return w


@dataclass(frozen=True)
class LinearPredictionResult:
    """What a linear prediction run learned."""

    w: np.ndarray                  # (d,) weights
    V: np.ndarray                  # (S,) v_hat(s, w) = Phi @ w for every state
    episodes: int                  # number of episodes used
    episode_lengths: np.ndarray    # (n_episodes,)
    rms: np.ndarray | None         # (n_episodes,) RMS error of Phi @ w vs V_true after each episode
    V_history: np.ndarray | None   # (n_episodes + 1, S) Phi @ w before training and after each episode
    config: object = field(repr=False, default=None)


def _gradient_mc_episode(w, Phi, episode: Episode, gamma, alpha, first_visit):
    G = episode_returns(episode.rewards, gamma)      # (T,)
    seen: set[int] = set()
    for t in range(episode.length):
        s = int(episode.states[t])
        if first_visit and s in seen:
            continue
        seen.add(s)
        gradient_mc_update(w, Phi[s], G[t], alpha)


def _semi_gradient_td0_episode(w, Phi, episode: Episode, gamma, alpha):
    T = episode.length
    for t in range(T):
        s, s_next = int(episode.states[t]), int(episode.states[t + 1])
        terminal = episode.terminated and t == T - 1
        semi_gradient_td0_update(w, Phi[s], episode.rewards[t], Phi[s_next], alpha, gamma, terminal)


def _setup(env_or_model, pi, phi, w0, start):
    stepper = make_stepper(env_or_model, start)
    policy = _PolicySampler(pi, stepper.n_states, stepper.n_actions)
    Phi = as_feature_matrix(phi, stepper.n_states)                 # (S, d)
    if w0 is None:
        w = np.zeros(Phi.shape[1])                                  # (d,)
    else:
        w = np.array(w0, dtype=float)
        if w.shape != (Phi.shape[1],):
            raise ValueError(f"w0 must have shape (d,) = ({Phi.shape[1]},), got {w.shape}.")
    return stepper, policy, Phi, w


def gradient_mc(env_or_model, pi, phi, config: MCConfig | None = None, *, V_true=None,
                w0=None, start=None, keep_history: bool = False, progress: bool = False,
                **overrides) -> LinearPredictionResult:
    """Gradient Monte Carlo prediction with v_hat(s, w) = phi(s)^T w (deck 001).

    Samples episodes of ``pi`` exactly as :func:`~rlcourse.tabular.prediction.mc_prediction`
    (same config, same seed -> same episodes) and applies w <- w + alpha [G_t - phi(S_t)^T w] phi(S_t)
    for every (first) visit in time order. ``phi``: (S, d) matrix or callable s -> (d,).
    Needs a constant ``alpha`` (the sample average 1/N(s) is a tabular idea).
    """
    cfg = make_config(MCConfig, config, overrides)
    if cfg.alpha is None:
        raise ValueError("gradient_mc needs a constant step size: pass alpha=..., e.g. alpha=0.01.")
    stepper, policy, Phi, w = _setup(env_or_model, pi, phi, w0, start)
    gamma = _resolve_gamma(cfg.gamma, env_or_model)
    check_gamma(gamma)

    def learn(episode):
        _gradient_mc_episode(w, Phi, episode, gamma, cfg.alpha, cfg.first_visit)

    lengths, rms, history = _run_prediction(stepper, policy, cfg, learn, lambda: Phi @ w,
                                            V_true, keep_history, progress)
    return LinearPredictionResult(w, Phi @ w, cfg.n_episodes, lengths, rms, history, cfg)


def semi_gradient_td0(env_or_model, pi, phi, config: TD0Config | None = None, *, V_true=None,
                      w0=None, start=None, keep_history: bool = False, progress: bool = False,
                      **overrides) -> LinearPredictionResult:
    """Semi-gradient TD(0) with v_hat(s, w) = phi(s)^T w (Sutton & Barto 9.3; deck 001's update with a TD target).

    w <- w + alpha [R_{t+1} + gamma phi(S_{t+1})^T w - phi(S_t)^T w] phi(S_t) for every step,
    with v_hat(terminal) = 0. Same episodes as
    :func:`~rlcourse.tabular.prediction.td0_prediction` for the same config and seed.
    """
    cfg = make_config(TD0Config, config, overrides)
    stepper, policy, Phi, w = _setup(env_or_model, pi, phi, w0, start)
    gamma = _resolve_gamma(cfg.gamma, env_or_model)
    check_gamma(gamma)

    def learn(episode):
        _semi_gradient_td0_episode(w, Phi, episode, gamma, cfg.alpha)

    lengths, rms, history = _run_prediction(stepper, policy, cfg, learn, lambda: Phi @ w,
                                            V_true, keep_history, progress)
    return LinearPredictionResult(w, Phi @ w, cfg.n_episodes, lengths, rms, history, cfg)
