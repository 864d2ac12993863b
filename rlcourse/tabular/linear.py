"""Linear value-function approximation: v_hat(s, w) = phi(s)^T w ([D001]).

[D001] minimises J(w) = E_pi[(v_hat(s, w) - v_pi(s))^2] by gradient descent,
w <- w - alpha (v_hat(s, w) - v_pi(s)) grad_w v_hat(s, w), and for a linear v_hat the gradient
is phi(s). v_pi(s) is unknown, so it is replaced by a sample target:

    gradient MC:         w <- w - alpha [phi(s)^T w - G_t] phi(s)
                           = w + alpha [G_t - phi(s)^T w] phi(s)
    semi-gradient TD(0): w <- w + alpha [R_{t+1} + gamma phi(S_{t+1})^T w - phi(S_t)^T w] phi(S_t)

"Semi"-gradient: the TD target also depends on w, but we do not differentiate through it.
With one-hot features (Phi = I) both reduce *exactly* to the tabular updates of
:mod:`rlcourse.tabular.prediction` (w = V).

Where they end up, with the on-policy distribution mu (``rlcourse.mdp.on_policy_distribution``)
and D = diag(mu) (Sutton & Barto, sections 9.2 and 9.4):

    gradient MC   -> the best fit      w_MC = argmin_w sum_s mu(s) (phi(s)^T w - v_pi(s))^2
                                       (:func:`least_squares_weights`)
    semi-gradient -> the TD fixed point  Phi^T D (Phi - gamma P Phi) w_TD = Phi^T D R
                                       (:func:`td_fixed_point`)

| symbol | code | shape |
|---|---|---|
| phi(s) | ``phi_s`` = ``Phi[s]`` | (d,) |
| Phi | ``Phi`` | (S, d) |
| w | ``w`` | (d,) |
| v_hat(s, w) | ``v_hat(phi_s, w)``; all states ``Phi @ w`` | scalar; (S,) |
| mu(s) | ``mu`` | (S,) |

Update functions return new weights and leave ``w`` unchanged (``out=w`` updates in place).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rlcourse._types import ArrayLike, EnvOrModel, FeatureMap, StartLike, Transitions
from rlcourse.mdp.chain import returns
from rlcourse.tabular.episodes import Episode, _PolicySampler, make_stepper
from rlcourse.tabular.features import as_feature_matrix
from rlcourse.tabular.prediction import (
    MCConfig,
    TD0Config,
    _target_array,
    resolve_gamma,
    run_prediction,
)
from rlcourse.utils import SeedLike
from rlcourse.validation import (
    check_alpha,
    check_array,
    check_gamma,
    check_number,
    check_terminal,
    check_vector,
    make_config,
)

__all__ = [
    "v_hat",
    "gradient_mc_update",
    "semi_gradient_td0_update",
    "least_squares_weights",
    "td_fixed_point",
    "train_gradient_mc",
    "train_semi_gradient_td0",
    "LinearPredictionResult",
]


def _features(phi_s, d: int, name: str = "phi_s") -> np.ndarray:
    """phi(s) as a float array (d,), the length of w."""
    if isinstance(phi_s, np.ndarray) and phi_s.dtype == np.float64 and phi_s.shape == (d,):
        return phi_s  # the common case, fast
    phi = check_array(phi_s, name, f"a feature vector phi(s) of shape ({d},), like w")
    if phi.shape != (d,):
        raise ValueError(
            f"{name} has shape {phi.shape} but w has shape ({d},); phi(s) needs one "
            "feature per weight (a row Phi[s] of the feature matrix)."
        )
    return phi


def v_hat(phi_s: ArrayLike, w: ArrayLike) -> float:
    """v_hat(s, w) = phi(s)^T w, a float."""
    w = check_array(w, "w", "a weight vector of shape (d,)")
    if w.ndim != 1:
        raise ValueError(f"w must be a weight vector of shape (d,), got shape {w.shape}.")
    return float(np.dot(_features(phi_s, w.shape[0]), w))


def gradient_mc_update(
    w: ArrayLike, phi_s: ArrayLike, G: float, *, alpha: float, out: np.ndarray | None = None
) -> np.ndarray:
    """w' = w - alpha [phi(s)^T w - G_t] phi(s) ([D001]).

    Returns new weights (d,); ``w`` is not changed (pass ``out=w`` to update w itself).
    """
    w_new = _target_array(w, out, "w", "a weight vector of shape (d,)")  # (d,)
    phi = _features(phi_s, w_new.shape[0])  # (d,)
    G = check_number(G, "G", "G=1.0")
    alpha = check_alpha(alpha)
    error = float(np.dot(phi, w_new)) - G  # prediction error v_hat(s, w) - G_t
    w_new -= alpha * error * phi  # (d,) a step toward G_t
    return w_new


def semi_gradient_td0_update(
    w: ArrayLike,
    phi_s: ArrayLike,
    r: float,
    phi_next: ArrayLike,
    terminal: bool = False,
    *,
    alpha: float,
    gamma: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """w' = w + alpha [R + gamma phi(S')^T w - phi(S)^T w] phi(S); v_hat(terminal) = 0.

    No gradient through the target: the step direction is phi(S) only. Returns new weights
    (d,); ``w`` is not changed (pass ``out=w`` to update w itself).
    """
    w_new = _target_array(w, out, "w", "a weight vector of shape (d,)")  # (d,)
    phi = _features(phi_s, w_new.shape[0])  # (d,)
    phi_next = _features(phi_next, w_new.shape[0], "phi_next")  # (d,)
    r = check_number(r, "r", "r=1.0")
    alpha, gamma = check_alpha(alpha), check_gamma(gamma)
    v_next = 0.0 if terminal else float(np.dot(phi_next, w_new))  # v_hat(S', w); 0 if terminal
    delta = r + gamma * v_next - float(np.dot(phi, w_new))  # the TD error
    w_new += alpha * delta * phi  # (d,)
    return w_new


def _feature_matrix(Phi) -> np.ndarray:
    Phi = check_array(Phi, "Phi", "an (S, d) feature matrix, row s = phi(s)")
    if Phi.ndim != 2 or 0 in Phi.shape:
        raise ValueError(
            f"Phi must be an (S, d) feature matrix with S, d >= 1, row s = phi(s); "
            f"got shape {Phi.shape}."
        )
    if not np.isfinite(Phi).all():
        s, j = np.argwhere(~np.isfinite(Phi))[0]
        raise ValueError(f"Phi[{s}, {j}] is {Phi[s, j]}; features must be finite numbers.")
    return Phi


def _weights(mu, S: int) -> np.ndarray:
    mu = check_vector(mu, S, "mu", "a weight per state")
    if np.any(mu < 0) or mu.sum() == 0:
        raise ValueError(
            "mu must be non-negative weights, not all 0 (e.g. the on-policy "
            "distribution, rlcourse.mdp.on_policy_distribution)."
        )
    return mu


def least_squares_weights(Phi: ArrayLike, V: ArrayLike, mu: ArrayLike | None = None) -> np.ndarray:
    """The best linear fit of known values: w = argmin_w sum_s mu(s) (phi(s)^T w - V(s))^2.

    ``Phi`` (S, d), ``V`` (S,), ``mu`` (S,) non-negative weights (default: uniform). Solved as
    the least-squares problem sqrt(mu) Phi w ~ sqrt(mu) V; with linearly dependent features the
    minimum-norm solution is returned. This is where gradient MC converges (with mu the
    on-policy distribution).
    """
    Phi = _feature_matrix(Phi)
    S = Phi.shape[0]
    V = check_vector(V, S, "V")
    mu = np.ones(S) if mu is None else _weights(mu, S)
    root = np.sqrt(mu)  # (S,)
    w, *_ = np.linalg.lstsq(root[:, None] * Phi, root * V, rcond=None)  # (d,)
    return w


def td_fixed_point(
    Phi: ArrayLike,
    P: Transitions,
    R: ArrayLike,
    mu: ArrayLike,
    terminal: ArrayLike | None = None,
    *,
    gamma: float,
) -> np.ndarray:
    """The weights semi-gradient TD(0) converges to: A w = b (Sutton & Barto, eq. 9.12) with

        A = Phi^T D (Phi - gamma P Phi),   b = Phi^T D R,   D = diag(mu).

    ``Phi`` (S, d), ``P`` (S, S) the chain of the policy, ``R`` (S,) the expected reward on
    leaving each state, ``mu`` (S,) the on-policy distribution, ``terminal`` the terminal
    states (their value, and so their features, count as 0 in P Phi).

    A feature that is 0 on every state with mu(s) > 0 (e.g. the one-hot feature of a terminal
    state, where mu = 0) is never updated by TD: it gets weight 0 (the minimum-norm solution,
    as :func:`least_squares_weights`); if next states use such a feature (a terminal state not
    passed as ``terminal``), or A w = b has no solution at all, a ValueError says why instead
    of returning junk.
    """
    Phi = _feature_matrix(Phi)
    S = Phi.shape[0]
    P = np.asarray(P.toarray() if hasattr(P, "toarray") else P, dtype=float)
    if P.shape != (S, S):
        raise ValueError(f"P must have shape (S, S) = ({S}, {S}), got {P.shape}.")
    R = check_vector(R, S, "R")
    mu = _weights(mu, S)
    gamma = check_gamma(gamma)
    Phi_next = np.where(check_terminal(terminal, S)[:, None], 0.0, Phi)  # (S, d) v_hat(T) = 0
    PPhi = P @ Phi_next  # (S, d) expected next features
    on = mu > 0  # (S,) the states TD updates
    unused = ~np.any(Phi[on] != 0, axis=0)  # (d,) features TD never updates
    bad = np.flatnonzero(unused & np.any(PPhi[on] != 0, axis=0))
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"feature {j} is 0 on every state with mu > 0, so TD never updates its weight, yet "
            "the next states of those states use it: the TD fixed point is undetermined. If "
            f"the states where feature {j} is on are terminal, pass terminal=... (their value "
            "is 0); otherwise check mu (rlcourse.mdp.on_policy_distribution)."
        )
    A = Phi.T @ (mu[:, None] * (Phi - gamma * PPhi))  # (d, d)
    b = Phi.T @ (mu * R)  # (d,)
    # lstsq, not solve: A is singular when a feature is unused under mu (one-hot features of
    # terminal states) or features are linearly dependent; the minimum-norm solution gives an
    # unused feature weight 0
    w, *_ = np.linalg.lstsq(A, b, rcond=None)  # (d,)
    if not np.allclose(A @ w, b, rtol=1e-8, atol=1e-10 * max(1.0, float(np.abs(b).max()))):
        raise ValueError(
            "the TD fixed point does not exist: A = Phi^T D (Phi - gamma P Phi) is singular and "
            "A w = b has no solution. This happens with gamma = 1 when states weighted by mu "
            "never reach a terminal state (pass terminal=..., or use gamma < 1), or when mu is "
            "not the on-policy distribution of P (use rlcourse.mdp.on_policy_distribution)."
        )
    return w


@dataclass(frozen=True, kw_only=True)
class LinearPredictionResult:
    """What a linear prediction run learned."""

    w: np.ndarray = field(repr=False)
    """(d,) weights"""
    V: np.ndarray = field(repr=False)
    """(S,) v_hat(s, w) = Phi @ w for every state"""
    config: MCConfig | TD0Config = field(repr=False)
    """the configuration the run used"""
    seed: SeedLike = None
    """the seed the run used"""
    history: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    """one entry per episode: "episode", "length", and "rms" (of Phi @ w against ``V_true``)"""
    V_history: np.ndarray | None = field(default=None, repr=False)
    """(n_episodes + 1, S) Phi @ w before training and after each episode"""


def _gradient_mc_episode(w, Phi, episode: Episode, gamma, alpha, first_visit):
    G = returns(episode.rewards, gamma=gamma)  # (T,)
    seen: set[int] = set()
    for t in range(episode.length):
        s = int(episode.states[t])
        if first_visit and s in seen:
            continue
        seen.add(s)
        gradient_mc_update(w, Phi[s], G[t], alpha=alpha, out=w)


def _semi_gradient_td0_episode(w, Phi, episode: Episode, gamma, alpha):
    T = episode.length
    for t in range(T):
        s, s_next = int(episode.states[t]), int(episode.states[t + 1])
        terminal = episode.terminated and t == T - 1
        semi_gradient_td0_update(
            w, Phi[s], episode.rewards[t], Phi[s_next], terminal, alpha=alpha, gamma=gamma, out=w
        )


def _setup(env_or_model, pi, phi, w0, start):
    stepper = make_stepper(env_or_model, start)
    policy = _PolicySampler(pi, stepper.n_states, stepper.n_actions)
    Phi = as_feature_matrix(phi, stepper.n_states)  # (S, d)
    w = (
        np.zeros(Phi.shape[1])
        if w0 is None
        else check_vector(w0, Phi.shape[1], "w0", "one weight per feature")
    )
    return stepper, policy, Phi, w


def train_gradient_mc(
    env_or_model: EnvOrModel,
    pi: ArrayLike,
    phi: FeatureMap,
    config: MCConfig | None = None,
    *,
    seed: SeedLike,
    V_true: ArrayLike | None = None,
    w0: ArrayLike | None = None,
    start: StartLike | None = None,
    keep_history: bool = False,
    progress: bool = False,
    **overrides,
) -> LinearPredictionResult:
    """Gradient Monte Carlo prediction with v_hat(s, w) = phi(s)^T w ([D001]).

    Samples episodes of ``pi`` exactly as :func:`~rlcourse.tabular.train_mc_prediction` (same
    config, same seed -> same episodes) and applies w <- w + alpha [G_t - phi(S_t)^T w] phi(S_t)
    for every (first) visit in time order. ``phi``: (S, d) matrix or callable s -> (d,).
    Needs a constant ``alpha`` (the sample average 1/N(s) is a tabular idea).
    """
    cfg = make_config(MCConfig, config, overrides)
    if cfg.alpha is None:
        raise ValueError(
            "train_gradient_mc needs a constant step size: pass alpha=..., e.g. alpha=0.01."
        )
    stepper, policy, Phi, w = _setup(env_or_model, pi, phi, w0, start)
    gamma = resolve_gamma(cfg.gamma, env_or_model)

    def learn(episode):
        _gradient_mc_episode(w, Phi, episode, gamma, cfg.alpha, cfg.first_visit)

    history, snapshots = run_prediction(
        stepper, policy, cfg, seed, learn, lambda: Phi @ w, V_true, keep_history, progress
    )
    return LinearPredictionResult(
        w=w, V=Phi @ w, config=cfg, seed=seed, history=history, V_history=snapshots
    )


def train_semi_gradient_td0(
    env_or_model: EnvOrModel,
    pi: ArrayLike,
    phi: FeatureMap,
    config: TD0Config | None = None,
    *,
    seed: SeedLike,
    V_true: ArrayLike | None = None,
    w0: ArrayLike | None = None,
    start: StartLike | None = None,
    keep_history: bool = False,
    progress: bool = False,
    **overrides,
) -> LinearPredictionResult:
    """Semi-gradient TD(0) with v_hat(s, w) = phi(s)^T w (Sutton & Barto 9.3; [D001]'s
    update with a TD target).

    w <- w + alpha [R_{t+1} + gamma phi(S_{t+1})^T w - phi(S_t)^T w] phi(S_t) for every step,
    with v_hat(terminal) = 0. Same episodes as :func:`~rlcourse.tabular.train_td0_prediction`
    for the same config and seed.
    """
    cfg = make_config(TD0Config, config, overrides)
    stepper, policy, Phi, w = _setup(env_or_model, pi, phi, w0, start)
    gamma = resolve_gamma(cfg.gamma, env_or_model)

    def learn(episode):
        _semi_gradient_td0_episode(w, Phi, episode, gamma, cfg.alpha)

    history, snapshots = run_prediction(
        stepper, policy, cfg, seed, learn, lambda: Phi @ w, V_true, keep_history, progress
    )
    return LinearPredictionResult(
        w=w, V=Phi @ w, config=cfg, seed=seed, history=history, V_history=snapshots
    )
