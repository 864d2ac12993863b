"""Model-free prediction: estimate V^pi from sampled episodes ([D001], "Policy evaluation").

Monte Carlo waits for the end of the episode and moves V(S_t) toward the return G_t;
TD(0) moves V(S_t) after one step toward the bootstrapped target R_{t+1} + gamma V(S_{t+1}).

    Monte Carlo:  V(S_t) <- V(S_t) + alpha [G_t - V(S_t)]
    TD(0):        V(S_t) <- V(S_t) + alpha [R_{t+1} + gamma V(S_{t+1}) - V(S_t)]

The worked numbers of [D001] (V starts at 0, alpha = 0.1, gamma = 1):
    G_0 = 1 + 0 + 0 + 0 + 0 + 0 + 1 + 1 + 0 + 0 = 3,  MC:  V(S_0) = 0 + 0.1 * (3 - 0) = 0.3
    R_1 = 1, V(S_1) = 0,                               TD:  V(S_0) = 0 + 0.1 * (1 + 1 * 0 - 0) = 0.1

| symbol | code | shape |
|---|---|---|
| V(s) | ``V`` | (S,) |
| S_0 .. S_T, R_1 .. R_T | ``states``, ``rewards`` | T + 1 ints, T floats |
| G_t | ``G`` | scalar (``rlcourse.mdp.returns`` gives every t) |
| alpha, gamma | ``alpha``, ``gamma`` | scalars, keyword-only |
| N(s) | ``N`` | (S,) number of updates of each state (sample averages use alpha = 1/N(s)) |

Contract of every update function of the course: it returns a new array and leaves its inputs
as they were. A loop that wants speed passes ``out=V`` to write the result into V itself (as
numpy's ``out=``); the trainers do that.

On arrays (the exercises' functions): :func:`mc_update`, :func:`td0_update`,
:func:`first_visit_mc`, :func:`every_visit_mc`, :func:`td0_episode`. Trainers that sample
episodes from an environment or a model and return a record with the config and the history:
:func:`train_mc_prediction`, :func:`train_td0_prediction`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlcourse._types import ArrayLike, EnvOrModel, EpisodeLike, StartLike
from rlcourse.mdp.chain import returns
from rlcourse.tabular.episodes import (
    Episode,
    _is_model,
    _PolicySampler,
    _run_episode,
    as_episode,
    make_stepper,
    refuse_terminal_start,
)
from rlcourse.utils import SeedLike, as_generator, progress_bar
from rlcourse.validation import (
    check_alpha,
    check_array,
    check_gamma,
    check_number,
    check_positive_int,
    check_state,
    check_vector,
    make_config,
)

__all__ = [
    "mc_update",
    "td0_update",
    "first_visit_mc",
    "every_visit_mc",
    "td0_episode",
    "train_mc_prediction",
    "train_td0_prediction",
    "MCConfig",
    "TD0Config",
    "PredictionResult",
    "rms_error",
]


def _target_array(
    V,
    out,
    name: str = "V",
    what: str = "an array of shape (S,), one value per state",
    ndim: int = 1,
) -> np.ndarray:
    """Where an update writes: a new copy of V, or ``out`` (which may be V itself).

    Checks that V is an array of numbers with ``ndim`` dimensions and that ``out`` is a float
    array of V's shape (an int array would silently round every update).
    """
    if out is V and type(out) is np.ndarray and out.ndim == ndim and out.dtype.kind == "f":
        return out  # the trainers' loop: update in place, fast
    if out is None:
        target = np.array(check_array(V, name, what), dtype=float)  # a new array: V stays
    else:
        if not isinstance(out, np.ndarray) or out.dtype.kind != "f":
            raise TypeError(
                f"out must be a float numpy array to write the new {name} into (e.g. "
                f"out={name} to update {name} itself), got "
                f"{getattr(out, 'dtype', type(out).__name__)}."
            )
        if out is not V:
            source = check_array(V, name, what)
            if source.shape != out.shape:
                raise ValueError(
                    f"out has shape {out.shape} but {name} has shape "
                    f"{source.shape}; out must be an array of {name}'s shape."
                )
            out[...] = source
        target = out
    if target.ndim != ndim or target.size == 0:
        raise ValueError(f"{name} must be {what}, got shape {target.shape}.")
    return target


# ----------------------------------------------------------------------------------------
# The two updates, exactly as on the slide.
# ----------------------------------------------------------------------------------------
def mc_update(
    V: ArrayLike, s: int, G: float, *, alpha: float, out: np.ndarray | None = None
) -> np.ndarray:
    """Monte Carlo update V(S_t) <- V(S_t) + alpha [G_t - V(S_t)] ([D001]).

    Returns the updated values as a new (S,) array; ``V`` is not changed (pass ``out=V`` to
    update V itself). ``alpha = 1 / N(s)`` makes V(s) the running mean of the returns.
    """
    V_new = _target_array(V, out)  # (S,)
    s = check_state(s, V_new.shape[0], "s")
    G = check_number(G, "G", "G=1.0")
    alpha = check_alpha(alpha)
    V_new[s] = V_new[s] + alpha * (G - V_new[s])
    return V_new


def td0_update(
    V: ArrayLike,
    s: int,
    r: float,
    s_next: int,
    terminal: bool = False,
    *,
    alpha: float,
    gamma: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """TD(0) update V(S_t) <- V(S_t) + alpha [R_{t+1} + gamma V(S_{t+1}) - V(S_t)] ([D001]).

    ``terminal=True`` when S_{t+1} is terminal: its value is 0 by definition, so the target is
    R_{t+1} alone, whatever V holds there. Returns a new (S,) array; ``V`` is not changed (pass
    ``out=V`` to update V itself).
    """
    V_new = _target_array(V, out)  # (S,)
    s = check_state(s, V_new.shape[0], "s")
    s_next = check_state(s_next, V_new.shape[0], "s_next")
    r = check_number(r, "r", "r=1.0")
    alpha, gamma = check_alpha(alpha), check_gamma(gamma)
    target = r if terminal else r + gamma * V_new[s_next]  # computed before V(s) changes
    V_new[s] = V_new[s] + alpha * (target - V_new[s])
    return V_new


# ----------------------------------------------------------------------------------------
# Whole episodes.
# ----------------------------------------------------------------------------------------
def _mc_episode(
    V: np.ndarray,
    N: np.ndarray,
    states,
    rewards,
    gamma: float,
    alpha: float | None,
    first_visit: bool,
) -> None:
    """In place: the MC update for every (first) visit of one episode, in time order."""
    G = returns(rewards, gamma=gamma).tolist()  # T floats, G_t = R_{t+1} + gamma G_{t+1}
    seen: set[int] = set()
    for t in range(len(rewards)):
        s = int(states[t])
        if first_visit and s in seen:
            continue  # first-visit: a later visit of s in this episode adds nothing
        seen.add(s)
        N[s] += 1
        mc_update(V, s, G[t], alpha=1.0 / N[s] if alpha is None else alpha, out=V)


def _mc_batch(episodes, n_states: int, gamma: float, first_visit: bool) -> np.ndarray:
    n_states = check_positive_int(n_states, "n_states", 5)
    gamma = check_gamma(gamma)
    V = np.zeros(n_states)  # (S,)
    N = np.zeros(n_states, dtype=np.int64)  # (S,)
    if (
        episodes is None
        or isinstance(episodes, (str, Episode))
        or not hasattr(episodes, "__iter__")
    ):
        raise TypeError(
            f"episodes must be a list of episodes (each an Episode or a pair "
            f"(states, rewards)), got {type(episodes).__name__}; for one episode "
            "pass [episode]."
        )
    for k, episode in enumerate(episodes):
        states, rewards = as_episode(episode)
        bad = [s for s in states if not 0 <= s < n_states]
        if bad:
            raise ValueError(
                f"episode {k} visits state {bad[0]}, but n_states = {n_states} "
                f"(states 0..{n_states - 1}); pass the model's number of states."
            )
        _mc_episode(V, N, states, rewards, gamma, None, first_visit)
    return V


def first_visit_mc(episodes: Iterable[EpisodeLike], n_states: int, *, gamma: float) -> np.ndarray:
    """First-visit Monte Carlo: V(s) = the mean of the returns G_t from the first visit of s in
    each episode ([D001]).

    ``episodes`` is a list of ``(states, rewards)`` pairs (S_0 .. S_T and R_1 .. R_T) or of
    :class:`~rlcourse.tabular.Episode`. Each episode's returns are computed backwards from its
    end, G_t = R_{t+1} + gamma G_{t+1} with G_T = 0. Returns V, shape (n_states,); a state that
    is never visited (terminal states included) gets 0.
    """
    return _mc_batch(episodes, n_states, gamma, first_visit=True)


def every_visit_mc(episodes: Iterable[EpisodeLike], n_states: int, *, gamma: float) -> np.ndarray:
    """Every-visit Monte Carlo: V(s) = the mean of the returns G_t of every visit of s.

    Arguments and result as for :func:`first_visit_mc`.
    """
    return _mc_batch(episodes, n_states, gamma, first_visit=False)


def td0_episode(
    V: ArrayLike,
    states: ArrayLike,
    rewards: ArrayLike,
    terminated: bool = True,
    *,
    alpha: float,
    gamma: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """TD(0) on every transition (S_t, R_{t+1}, S_{t+1}) of one episode, in time order.

    Each update sees the values already changed by the earlier ones. When the episode
    ``terminated``, S_T is terminal and the last target is R_T alone; when it was truncated by a
    step limit (``terminated=False``), S_T is an ordinary state and the last target still
    bootstraps from V(S_T). Returns a new (S,) array; ``V`` is not changed (pass ``out=V`` to
    update V itself).
    """
    states, rewards = as_episode((states, rewards))
    V_new = _target_array(V, out)  # (S,) updated in place transition by transition
    T = len(rewards)
    for t in range(T):
        last = terminated and t == T - 1  # only a terminated episode's S_T is terminal
        td0_update(
            V_new, states[t], rewards[t], states[t + 1], last, alpha=alpha, gamma=gamma, out=V_new
        )
    return V_new


# ----------------------------------------------------------------------------------------
# Configs and results.
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class MCConfig:
    """Monte Carlo prediction ([D001]). Defaults estimate V^pi of a small chain in a blink."""

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

    def __post_init__(self):
        check_positive_int(self.n_episodes, "n_episodes", 100)
        check_positive_int(self.max_steps, "max_steps", 1000)
        if self.alpha is not None:
            check_alpha(self.alpha)
        if self.gamma is not None:
            check_gamma(self.gamma)
        if not isinstance(self.first_visit, (bool, np.bool_)):
            raise TypeError(f"first_visit must be True or False, got {self.first_visit!r}.")


@dataclass(frozen=True, kw_only=True)
class TD0Config:
    """TD(0) prediction ([D001])."""

    n_episodes: int = 100
    """number of episodes sampled with pi"""
    alpha: float = 0.1
    """constant step size in (0, 1] ([D001] uses 0.1)"""
    gamma: float | None = None
    """discount factor; None = the model's gamma (1.0, undiscounted, for a gymnasium env)"""
    max_steps: int = 1000
    """cap on the episode length (TD bootstraps from the last state of a truncated episode)"""

    def __post_init__(self):
        check_positive_int(self.n_episodes, "n_episodes", 100)
        check_positive_int(self.max_steps, "max_steps", 1000)
        check_alpha(self.alpha)
        if self.gamma is not None:
            check_gamma(self.gamma)


@dataclass(frozen=True, kw_only=True)
class PredictionResult:
    """What a prediction run learned and how it got there."""

    V: np.ndarray = field(repr=False)
    """(S,) final estimate of V^pi"""
    N: np.ndarray = field(repr=False)
    """(S,) number of updates each state received"""
    config: MCConfig | TD0Config = field(repr=False)
    """the configuration the run used"""
    seed: SeedLike = None
    """the seed the run used"""
    history: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    """one entry per episode: "episode" (1, 2, ...), "length" (T), and "rms" (RMS error
    against ``V_true`` after the episode) when V_true was given"""
    V_history: np.ndarray | None = field(default=None, repr=False)
    """(n_episodes + 1, S) V before training and after each episode (``keep_history=True``)"""


def rms_error(V: ArrayLike, V_true: ArrayLike, mask: np.ndarray | None = None) -> float:
    """Root mean squared error sqrt(mean_s (V(s) - V_true(s))^2) over the states in ``mask``
    (a boolean array (S,); default all states)."""
    V = check_array(V, "V", "an array of state values (S,)")
    V_true = check_vector(V_true, V.shape[0] if V.ndim == 1 else -1, "V_true")
    diff = V - V_true  # (S,)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != diff.shape:
            raise ValueError(
                f"mask must be a boolean array of shape {diff.shape} (True for the "
                f"states to include), got dtype {mask.dtype} and shape {mask.shape}."
            )
        if not mask.any():
            raise ValueError("mask selects no state; the RMS error over no states is undefined.")
        diff = diff[mask]
    return float(np.sqrt(np.mean(diff**2)))


def resolve_gamma(gamma: float | None, env_or_model: EnvOrModel, default: float = 1.0) -> float:
    """The config's gamma, else the model's gamma, else ``default`` (an env has none)."""
    if gamma is not None:
        return check_gamma(gamma)
    if _is_model(env_or_model):
        return check_gamma(env_or_model.gamma)
    return default


def run_prediction(
    stepper: Any,
    policy: Any,
    cfg: Any,
    seed: SeedLike,
    learn: Callable[[Any], None],
    values: Callable[[], np.ndarray],
    V_true: ArrayLike,
    keep_history: bool,
    progress: bool,
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Sample cfg.n_episodes episodes; call learn(episode) after each; return the history."""
    rng = as_generator(seed)
    S = stepper.n_states
    refuse_terminal_start(stepper, everywhere=True)
    mask = None if stepper.terminal is None else ~stepper.terminal
    if V_true is not None:
        V_true = check_vector(V_true, S, "V_true")
    n = cfg.n_episodes
    history = {"episode": np.arange(1, n + 1), "length": np.zeros(n, dtype=np.int64)}
    if V_true is not None:
        history["rms"] = np.zeros(n)
    snapshots = [values().copy()] if keep_history else None
    bar = progress_bar(n, progress, type(cfg).__name__.removesuffix("Config"))
    for k in range(n):
        episode = _run_episode(stepper, policy, rng, cfg.max_steps, reseed=(k == 0))
        learn(episode)
        bar.update()
        history["length"][k] = episode.length
        if V_true is not None:
            history["rms"][k] = rms_error(values(), V_true, mask)
        if snapshots is not None:
            snapshots.append(values().copy())
    bar.close()
    return history, (np.array(snapshots) if snapshots is not None else None)


def _train_prediction(
    learner, cfg, env_or_model, pi, seed, V_true, V0, start, keep_history, progress
) -> PredictionResult:
    """What both prediction trainers do around their update: V, N, the episodes, the history.

    ``learner(V, N, gamma)`` returns the function that learns from one episode (in place).
    """
    stepper = make_stepper(env_or_model, start)
    policy = _PolicySampler(pi, stepper.n_states, stepper.n_actions)
    gamma = resolve_gamma(cfg.gamma, env_or_model)
    S = stepper.n_states
    V = np.zeros(S) if V0 is None else check_vector(V0, S, "V0")  # (S,)
    N = np.zeros(S, dtype=np.int64)  # (S,) updates of each state
    history, snapshots = run_prediction(
        stepper, policy, cfg, seed, learner(V, N, gamma), lambda: V, V_true, keep_history, progress
    )
    return PredictionResult(V=V, N=N, config=cfg, seed=seed, history=history, V_history=snapshots)


def train_mc_prediction(
    env_or_model: EnvOrModel,
    pi: ArrayLike | None = None,
    config: MCConfig | None = None,
    *,
    seed: SeedLike,
    V_true: ArrayLike | None = None,
    V0: ArrayLike | None = None,
    start: StartLike | None = None,
    keep_history: bool = False,
    progress: bool = False,
    **overrides,
) -> PredictionResult:
    """Monte Carlo prediction of V^pi: V(S_t) <- V(S_t) + alpha [G_t - V(S_t)] ([D001]).

    Samples ``n_episodes`` episodes of ``pi`` (S, A) in ``env_or_model`` (a gymnasium env with
    Discrete spaces, or an rlcourse MRP / MDP sampled directly; ``pi`` may be omitted for an
    MRP or a one-action env) and applies the MC update to every (first) visit of each episode,
    in time order. ``config`` is an :class:`MCConfig`; keyword ``overrides`` replace its
    fields, e.g. ``train_mc_prediction(mrp, seed=0, n_episodes=500, alpha=0.05)``.

    ``seed``: one seed for everything random (start states, actions, transitions, the env's
    own ``np_random``). ``V_true`` (S,): if given, ``history["rms"][k]`` is the RMS error after
    episode k (over the non-terminal states of a model, over all states of an env). ``V0``:
    initial V (default 0). ``start``: models only, a start state (index or name) or
    distribution; default uniform over the non-terminal states. ``keep_history``: store V after
    every episode in ``V_history``. ``progress=True``: a tqdm bar over the episodes.
    """
    cfg = make_config(MCConfig, config, overrides)

    def learner(V, N, gamma):  # the MC update of every (first) visit, in time order
        return lambda ep: _mc_episode(
            V, N, ep.states, ep.rewards, gamma, cfg.alpha, cfg.first_visit
        )

    return _train_prediction(
        learner, cfg, env_or_model, pi, seed, V_true, V0, start, keep_history, progress
    )


def train_td0_prediction(
    env_or_model: EnvOrModel,
    pi: ArrayLike | None = None,
    config: TD0Config | None = None,
    *,
    seed: SeedLike,
    V_true: ArrayLike | None = None,
    V0: ArrayLike | None = None,
    start: StartLike | None = None,
    keep_history: bool = False,
    progress: bool = False,
    **overrides,
) -> PredictionResult:
    """TD(0) prediction of V^pi: V(S_t) <- V(S_t) + alpha [R_{t+1} + gamma V(S_{t+1}) - V(S_t)].

    Same arguments as :func:`train_mc_prediction`, with a :class:`TD0Config`. The updates are
    applied in time order along each sampled episode (:func:`td0_episode`; identical to
    updating while acting, since the policy does not depend on V).
    """
    cfg = make_config(TD0Config, config, overrides)

    def learner(V, N, gamma):  # TD(0) along the episode, V updated in place (out=V)
        def learn(ep):
            td0_episode(
                V, ep.states, ep.rewards, ep.terminated, alpha=cfg.alpha, gamma=gamma, out=V
            )
            np.add.at(N, ep.states[:-1], 1)

        return learn

    return _train_prediction(
        learner, cfg, env_or_model, pi, seed, V_true, V0, start, keep_history, progress
    )
