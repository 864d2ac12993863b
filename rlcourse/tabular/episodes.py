"""Experience: run one episode of a policy in an environment or a known model.

Part II learns from *samples*. The samples come from one of two sources, and every
algorithm in ``rlcourse.tabular`` accepts either:

- a gymnasium environment with ``Discrete`` observation and action spaces (e.g. MineGrid);
  we step ``env.unwrapped`` directly (no wrapper overhead; the episode length limit is our
  ``max_steps`` and the environment's own truncation);
- a known model from ``rlcourse.mdp`` (``MRP`` or ``MDP``), sampled directly:
  S' ~ P(. | S, A) and R = R(S, A), the model's (expected) reward. An MRP has no actions:
  it behaves like an MDP with a single action and ``pi`` is not needed.

Time indexing follows [D001] and [SB18]: after action A_t in state S_t we observe R_{t+1} and
S_{t+1}. An :class:`Episode` stores ``states = [S_0, ..., S_T]`` (T+1 entries, the last one
is where the episode stopped), ``actions = [A_0, ..., A_{T-1}]`` and
``rewards = [R_1, ..., R_T]`` (so ``rewards[t]`` follows ``actions[t]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcourse._types import ArrayLike, EnvOrModel, EpisodeLike, StartLike
from rlcourse.utils import SeedLike, as_generator
from rlcourse.validation import (
    check_array,
    check_policy,
    check_positive_int,
    check_rows,
    check_state,
)

__all__ = ["Episode", "sample_episode", "make_stepper", "as_episode", "refuse_terminal_start"]


@dataclass(frozen=True)
class Episode:
    """One episode S_0, A_0, R_1, S_1, A_1, R_2, ..., S_T."""

    states: np.ndarray  # (T+1,) int: S_0 .. S_T
    actions: np.ndarray  # (T,)   int: A_0 .. A_{T-1}
    rewards: np.ndarray  # (T,)   float: R_1 .. R_T
    terminated: bool  # S_T is terminal (value 0, nothing to bootstrap from)
    truncated: bool  # stopped by a step limit: S_T is not terminal

    @property
    def length(self) -> int:
        """T, the number of transitions."""
        return len(self.rewards)


def as_episode(episode: EpisodeLike) -> tuple[list[int], list[float]]:
    """(states, rewards) of an :class:`Episode` or of a ``(states, rewards)`` pair, checked.

    ``states`` has one entry more than ``rewards`` (S_0 .. S_T and R_1 .. R_T).
    """
    if isinstance(episode, Episode):
        return episode.states.tolist(), episode.rewards.tolist()
    try:
        states, rewards = episode
    except (TypeError, ValueError):
        raise TypeError(
            "an episode must be an Episode or a pair (states, rewards), got "
            f"{type(episode).__name__}."
        ) from None
    s = check_array(states, "states", "a list of state indices S_0 .. S_T")
    r = check_array(rewards, "rewards", "a list of rewards R_1 .. R_T")
    if s.ndim == 0:
        raise TypeError(
            f"an episode must be an Episode or a pair (states, rewards) of lists, got "
            f"the pair of numbers ({states!r}, {rewards!r}); was one episode passed "
            "where a list of episodes is expected? Wrap it: [(states, rewards)]."
        )
    if s.ndim != 1 or r.ndim != 1:
        raise ValueError(
            f"states and rewards must be 1-D lists, got shapes {s.shape} and {r.shape}."
        )
    if len(s) != len(r) + 1:
        raise ValueError(
            f"an episode has one state more than rewards (S_0 .. S_T and R_1 .. R_T), "
            f"got {len(s)} states and {len(r)} rewards."
        )
    if not np.all(s == np.round(s)):
        t = int(np.flatnonzero(s != np.round(s))[0])
        raise TypeError(f"states must be state indices (integers), got states[{t}] = {s[t]}.")
    if not np.all(np.isfinite(r)):
        t = int(np.flatnonzero(~np.isfinite(r))[0])
        raise ValueError(f"rewards[{t}] is {r[t]}; every reward must be a finite number.")
    return s.astype(np.int64).tolist(), r.tolist()


# ----------------------------------------------------------------------------------------
# Steppers: one tiny interface (reset / step) over gymnasium envs and known models.
# ----------------------------------------------------------------------------------------
class _EnvStepper:
    """Steps ``env.unwrapped`` of a gymnasium env with Discrete spaces."""

    def __init__(self, env: Any):
        from gymnasium import spaces

        raw = getattr(env, "unwrapped", env)
        for which in ("observation_space", "action_space"):
            space = getattr(raw, which, None)
            if not isinstance(space, spaces.Discrete):
                raise ValueError(
                    f"tabular methods need a gymnasium environment whose {which} is Discrete, "
                    f"but {type(raw).__name__} has {which} = {space!r}. Use a tabular env "
                    "(e.g. rlcourse's MineGrid, FrozenLake, CliffWalking); for continuous states "
                    "use features (rlcourse.tabular.linear) or the deep methods of Part III."
                )
            if int(space.start) != 0:
                raise ValueError(
                    f"{which} of {type(raw).__name__} is Discrete(start={space.start}); tabular "
                    "methods index arrays by state/action, so wrap the env to start at 0."
                )
        self.env = raw
        self.n_states = int(raw.observation_space.n)
        self.n_actions = int(raw.action_space.n)
        self.terminal = None  # unknown without a model

    def reset(self, rng: np.random.Generator, reseed: bool) -> int:
        # Reseed the env's own np_random from our generator on the first episode of a run,
        # so one `seed` fixes everything (slip included).
        seed = int(rng.integers(2**31 - 1)) if reseed else None
        s, _ = self.env.reset(seed=seed)
        return int(s)

    def step(self, a: int, rng: np.random.Generator):
        s_next, r, terminated, truncated, _ = self.env.step(a)
        return int(s_next), float(r), bool(terminated), bool(truncated)


class _ModelStepper:
    """Samples S' ~ P(.|S, A) and R = R(S, A) from an rlcourse MRP or MDP."""

    def __init__(self, model, start: StartLike | None = None):
        P, R = model.P, np.asarray(model.R, dtype=float)
        if R.ndim == 1:  # MRP: one implicit action
            R = R[:, None]  # (S, 1)
        S, A = R.shape
        self.n_states, self.n_actions = S, A
        self.R = R  # (S, A)
        terminal = getattr(model, "terminal", None)
        self.terminal = (
            np.zeros(S, bool) if terminal is None else np.asarray(terminal, dtype=bool)
        )  # (S,)
        if hasattr(P, "tocsr"):  # scipy.sparse (S*A, S')
            P = P.tocsr()
            self.sparse = True
            self.indptr, self.indices = P.indptr, P.indices
            self.cum = np.cumsum(P.data)  # global running sum; row sums by difference
        else:
            self.sparse = False
            P = np.asarray(P, dtype=float).reshape(S * A, S)  # (S*A, S')
            self.cdf = np.cumsum(P, axis=1)  # (S*A, S')
        self.start = self._start_distribution(model, start)  # (S,)
        self.start_cdf = np.cumsum(self.start)
        self.s = 0

    def _start_distribution(self, model, start) -> np.ndarray:
        S = self.n_states
        names = list(model.states) if getattr(model, "states", None) is not None else []
        if start is None:  # uniform over the non-terminal states
            mu = (~self.terminal).astype(float)
            if mu.sum() == 0:
                raise ValueError(
                    "every state of the model is terminal: there is nothing to sample."
                )
            return mu / mu.sum()
        if isinstance(start, str):
            if start not in names:
                raise ValueError(
                    f"start state {start!r} is not a state of the model; states are {names}."
                )
            start = names.index(start)
        if np.ndim(start) == 0:
            mu = np.zeros(S)
            mu[check_state(start, S, "start")] = 1.0
            return mu
        mu = check_array(
            start, "start", f"a state (index or name) or a distribution of shape ({S},)"
        )
        if mu.shape != (S,):
            raise ValueError(
                f"start must be a state (index or name) or a distribution of shape ({S},) summing "
                f"to 1, got an array of shape {mu.shape}."
            )
        check_rows(
            mu[None, :],
            lambda i: "the start distribution",
            "start probabilities",
            "Fix: pass a distribution over states (non-negative, summing to 1).",
        )
        return mu

    def reset(self, rng: np.random.Generator, reseed: bool) -> int:
        if self.start.max() == 1.0:
            self.s = int(self.start.argmax())
        else:
            self.s = min(
                int(np.searchsorted(self.start_cdf, rng.random(), side="right")), self.n_states - 1
            )
        return self.s

    def step(self, a: int, rng: np.random.Generator):
        s = self.s
        i = s * self.n_actions + a  # row of P for the pair (s, a)
        u = rng.random()
        if self.sparse:
            lo, hi = self.indptr[i], self.indptr[i + 1]
            base = self.cum[lo - 1] if lo > 0 else 0.0
            row = self.cum[lo:hi] - base  # cumulative P(.|s, a) over stored entries
            k = min(int(np.searchsorted(row, u * row[-1], side="right")), hi - lo - 1)
            s_next = int(self.indices[lo + k])
        else:
            row = self.cdf[i]
            s_next = min(int(np.searchsorted(row, u * row[-1], side="right")), self.n_states - 1)
        self.s = s_next
        return s_next, float(self.R[s, a]), bool(self.terminal[s_next]), False


def _is_model(obj) -> bool:
    return hasattr(obj, "P") and hasattr(obj, "R") and not hasattr(obj, "step")


def refuse_terminal_start(stepper: Any, everywhere: bool) -> None:
    """ValueError when episodes would start in a terminal state (known models only).

    ``everywhere=True`` (prediction): only when *every* start is terminal (no episode would have
    a step); ``everywhere=False`` (control): when *any* start is terminal.
    """
    start = getattr(stepper, "start", None)
    if start is None or stepper.terminal is None:
        return
    bad = np.flatnonzero(stepper.terminal & (start > 0))
    if bad.size == 0 or (everywhere and start[~stepper.terminal].sum() > 0):
        return
    where = (
        f"the start state {int(bad[0])} is terminal"
        if start.max() == 1.0
        else f"the start distribution puts probability {start[bad].sum():.3g} on terminal "
        f"state(s) {bad[:5].tolist()}"
    )
    raise ValueError(
        f"{where}: an episode that starts there has already ended, so there is nothing to act "
        "on or learn. Pass a non-terminal start (or start=None for uniform over the "
        "non-terminal states)."
    )


def make_stepper(env_or_model: EnvOrModel, start: StartLike | None = None) -> Any:
    """A reset/step interface over a gymnasium env (Discrete spaces) or an rlcourse MRP/MDP.

    ``start`` (models only): a state index or name, a distribution (S,), or None for uniform
    over the non-terminal states. An environment picks its own start state in ``reset()``.
    """
    if _is_model(env_or_model):
        return _ModelStepper(env_or_model, start)
    if start is not None:
        raise ValueError(
            "start= applies to known models (MRP/MDP) only; a gymnasium env chooses its start "
            "state in reset(). Drop start=, or pass env.to_mdp() to sample the model instead."
        )
    if not hasattr(env_or_model, "step"):
        raise ValueError(
            f"expected a gymnasium env (with reset/step) or an rlcourse MRP/MDP (with P and R), "
            f"got {type(env_or_model).__name__}."
        )
    return _EnvStepper(env_or_model)


class _PolicySampler:
    """Draws A ~ pi(.|S); deterministic rows use no random numbers."""

    def __init__(self, pi: ArrayLike, n_states: int, n_actions: int):
        if pi is None:
            if n_actions != 1:
                raise ValueError(
                    f"a policy pi of shape (S, A) = ({n_states}, {n_actions}) is needed to act in "
                    "this environment/MDP (only an MRP, which has no actions, can go without one); "
                    "e.g. pi = np.full((S, A), 1 / A) for the uniform random policy."
                )
            pi = np.ones((n_states, 1))
        self.pi = check_policy(pi, n_states, n_actions)  # (S, A)
        self.cdf = np.cumsum(self.pi, axis=1)  # (S, A)
        self.greedy = self.pi.argmax(axis=1)  # (S,)
        self.deterministic = self.pi.max(axis=1) == 1.0  # (S,)
        self.n_actions = n_actions

    def __call__(self, s: int, rng: np.random.Generator) -> int:
        if self.deterministic[s]:
            return int(self.greedy[s])
        a = int(np.searchsorted(self.cdf[s], rng.random() * self.cdf[s, -1], side="right"))
        return min(a, self.n_actions - 1)


def _run_episode(stepper, policy: _PolicySampler, rng, max_steps: int, reseed: bool) -> Episode:
    s = stepper.reset(rng, reseed)
    states, actions, rewards = [s], [], []
    terminated = truncated = False
    if stepper.terminal is not None and stepper.terminal[s]:
        terminated = True  # started in a terminal state: T = 0
    while not (terminated or truncated):
        a = policy(s, rng)
        s, r, terminated, truncated = stepper.step(a, rng)
        states.append(s)
        actions.append(a)
        rewards.append(r)
        if len(rewards) >= max_steps and not terminated:
            truncated = True
    return Episode(
        np.array(states, dtype=np.int64),
        np.array(actions, dtype=np.int64),
        np.array(rewards, dtype=float),
        terminated,
        truncated,
    )


def sample_episode(
    env_or_model: EnvOrModel,
    pi: ArrayLike | None = None,
    *,
    seed: SeedLike = None,
    start: StartLike | None = None,
    max_steps: int = 1000,
) -> Episode:
    """Run one episode of policy ``pi`` (S, A) and return it as an :class:`Episode`.

    ``env_or_model``: a gymnasium env with Discrete spaces, or an rlcourse ``MRP``/``MDP``
    (``pi`` may be omitted for an MRP). ``start``: models only, see :func:`make_stepper`.
    Stops at a terminal state, at the env's own truncation, or after ``max_steps`` steps
    (then ``truncated=True``).
    """
    max_steps = check_positive_int(max_steps, "max_steps", 1000)
    rng = as_generator(seed)
    stepper = make_stepper(env_or_model, start)
    policy = _PolicySampler(pi, stepper.n_states, stepper.n_actions)
    return _run_episode(stepper, policy, rng, max_steps, reseed=True)
