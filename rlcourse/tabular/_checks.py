"""Input checks shared by Part II: every message says what was wrong and how to fix it."""
from __future__ import annotations

import dataclasses

import numpy as np


def check_alpha(alpha: float, name: str = "alpha") -> None:
    """Step size alpha in (0, 1]."""
    if not (np.isfinite(alpha) and 0.0 < alpha <= 1.0):
        raise ValueError(
            f"{name} (the step size) must be in (0, 1], got {alpha!r}; "
            f"try {name}=0.1 (larger learns faster but noisier, 1.0 overwrites the old estimate)."
        )


def check_gamma(gamma: float) -> None:
    """Discount gamma in [0, 1]."""
    if not (np.isfinite(gamma) and 0.0 <= gamma <= 1.0):
        raise ValueError(
            f"gamma (the discount factor) must be in [0, 1], got {gamma!r}; "
            "use e.g. gamma=0.9, or gamma=1.0 for undiscounted episodic tasks."
        )


def check_epsilon(epsilon: float, name: str = "epsilon") -> None:
    """Exploration rate epsilon in [0, 1]."""
    if not (np.isfinite(epsilon) and 0.0 <= epsilon <= 1.0):
        raise ValueError(
            f"{name} (the exploration probability) must be in [0, 1], got {epsilon!r}; "
            "epsilon=0.1 explores a random action 10% of the time, 0 is purely greedy."
        )


def check_positive_int(value: int, name: str, example: int) -> None:
    if not (isinstance(value, (int, np.integer)) and value >= 1):
        raise ValueError(f"{name} must be a positive integer, got {value!r}; e.g. {name}={example}.")


def check_policy(pi, n_states: int, n_actions: int) -> np.ndarray:
    """pi must be an (S, A) matrix of probabilities whose rows sum to 1."""
    pi = np.asarray(pi, dtype=float)
    if pi.shape != (n_states, n_actions):
        raise ValueError(
            f"the policy pi has shape {pi.shape}, but this environment has {n_states} states and "
            f"{n_actions} actions; pass an (S, A) = ({n_states}, {n_actions}) matrix with "
            "pi[s, a] = probability of action a in state s (e.g. np.full((S, A), 1 / A) for uniform)."
        )
    if np.any(pi < 0) or not np.all(np.isfinite(pi)):
        s, a = np.argwhere(~(pi >= 0))[0]
        raise ValueError(
            f"the policy pi has a negative or non-finite entry pi[{s}, {a}] = {pi[s, a]!r}; "
            "probabilities must be >= 0."
        )
    sums = pi.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-8)
    if bad.size:
        s = int(bad[0])
        raise ValueError(
            f"row {s} of the policy pi sums to {sums[s]:.6g}, not 1 (state index {s}); "
            "normalise each row, e.g. pi = pi / pi.sum(axis=1, keepdims=True)."
        )
    return pi


def make_config(cls, config, overrides: dict):
    """``config`` (or ``cls()``) with the keyword ``overrides`` applied, e.g. alpha=0.5."""
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise TypeError(
            f"unknown {cls.__name__} field(s) {unknown}; the fields are {sorted(fields)}."
        )
    if config is None:
        return cls(**overrides)
    if not isinstance(config, cls):
        raise TypeError(f"config must be a {cls.__name__}, got {type(config).__name__}.")
    return dataclasses.replace(config, **overrides) if overrides else config
