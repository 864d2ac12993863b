"""Result records of Part I's solvers (named fields, never bare tuples)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class EvaluationResult:
    """What a policy (or MRP) evaluation returns."""

    V: np.ndarray
    """State values, shape (S,); V[terminal] == 0."""
    Q: np.ndarray | None
    """Action values Q = R + gamma P V, shape (S, A); None for an MRP (no actions)."""
    iterations: int
    """Sweeps made (0 for the exact linear solve)."""
    history: list[dict] = field(default_factory=list)
    """One dict per sweep: {"iteration", "delta"} with delta = ||V_{k+1} - V_k||_inf."""
    converged: bool = True
    """False when max_iter ran out before the tolerance was met."""


@dataclass(frozen=True)
class DPResult:
    """What policy iteration and value iteration return."""

    V: np.ndarray
    """Value estimate, shape (S,); V[terminal] == 0."""
    Q: np.ndarray
    """Q = R + gamma P V, shape (S, A); Q[terminal] == 0."""
    policy: np.ndarray
    """Greedy deterministic policy, one-hot (S, A)."""
    iterations: int
    """Policy-iteration steps or value-iteration sweeps."""
    history: list[dict]
    """One dict per iteration (see the solver's docstring for the keys)."""
    error_bound: float | None
    """Guaranteed bound on ||V - V*||_inf (0.0 for policy iteration: exact up to round-off;
    None when no bound is claimed, value iteration with gamma = 1)."""
    converged: bool = True
    """False when max_iter ran out before the stopping rule was met."""
