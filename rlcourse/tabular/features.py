"""Feature maps phi(s) for linear value-function approximation ([D001]).

[D001]: phi(s) = (phi_1(s), ..., phi_n(s))^T encodes a state as a feature vector and
v_hat(s, w) = phi(s)^T w. Here every feature map is a matrix ``Phi`` of shape (S, d) whose row
s is phi(s), so ``Phi @ w`` is v_hat for all states at once.

- :func:`one_hot_features`: phi(s) = e_s, d = S. Linear VFA with these *is* the table
  (w = V), the bridge between the tabular and the approximate chapters.
- :func:`state_aggregation_features`: neighbouring states share one weight.
- :func:`rbf_features`: Gaussian bumps over the position of s in a 1-D chain.
- :func:`tile_features`: overlapping binary tilings of a 1-D chain (coarse coding).
- :func:`coordinate_features`: (row, col, power bits, 1) of a MineGrid state, normalised.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcourse._types import FeatureMap
from rlcourse.validation import check_array, check_number, check_positive_int

__all__ = [
    "one_hot_features",
    "state_aggregation_features",
    "rbf_features",
    "tile_features",
    "coordinate_features",
    "as_feature_matrix",
]


def _check_n(n: int, name: str) -> int:
    return check_positive_int(n, name, 10)


def one_hot_features(n_states: int) -> np.ndarray:
    """phi(s) = e_s, the s-th unit vector: Phi = I (S, S)."""
    _check_n(n_states, "n_states")
    return np.eye(n_states)


def state_aggregation_features(n_states: int, n_groups: int) -> np.ndarray:
    """phi_j(s) = 1 if s falls in group j = floor(s * n_groups / n_states), else 0: (S, n_groups).

    The groups are consecutive blocks of states whose sizes differ by at most one; with
    n_groups == n_states this is the identity (one-hot features).
    """
    n_states = _check_n(n_states, "n_states")
    n_groups = _check_n(n_groups, "n_groups")
    if n_groups > n_states:
        raise ValueError(
            f"n_groups = {n_groups} is more than n_states = {n_states}: some groups "
            "would be empty (a weight no state uses). Use n_groups <= n_states."
        )
    group = np.arange(n_states) * n_groups // n_states  # (S,) group index of each state
    Phi = np.zeros((n_states, n_groups))  # (S, d)
    Phi[np.arange(n_states), group] = 1.0
    return Phi


def rbf_features(
    n_states: int, n_centers: int, *, width: float | None = None, bias: bool = True
) -> np.ndarray:
    """Radial basis functions over the position x(s) = s / (S - 1) in [0, 1] of a 1-D chain.

    phi_j(s) = exp(-(x(s) - c_j)^2 / (2 width^2)), centres c_j evenly spaced on [0, 1];
    ``width`` defaults to the spacing of the centres. ``bias`` appends a constant 1:
    (S, n_centers [+1]).
    """
    _check_n(n_states, "n_states")
    _check_n(n_centers, "n_centers")
    x = np.arange(n_states) / max(n_states - 1, 1)  # (S,)
    c = np.linspace(0.0, 1.0, n_centers)  # (k,)
    if width is None:
        width = 1.0 / max(n_centers - 1, 1)
    width = check_number(width, "width", "width=0.1")
    if width <= 0:
        raise ValueError(
            f"width must be > 0, got {width!r}; e.g. the centre spacing 1/(n_centers-1)."
        )
    Phi = np.exp(-((x[:, None] - c[None, :]) ** 2) / (2 * width**2))  # (S, k)
    if bias:
        Phi = np.hstack([Phi, np.ones((n_states, 1))])  # (S, k+1)
    return Phi


def tile_features(n_states: int, *, n_tilings: int = 4, tile_width: int = 4) -> np.ndarray:
    """Tile coding of a 1-D chain: ``n_tilings`` tilings of tiles ``tile_width`` states wide,
    tiling i shifted by i * tile_width / n_tilings states. Each state activates exactly one tile per
    tiling, so every row of Phi has ``n_tilings`` ones: (S, total number of tiles)."""
    _check_n(n_states, "n_states")
    _check_n(n_tilings, "n_tilings")
    _check_n(tile_width, "tile_width")
    s = np.arange(n_states)
    blocks = []
    for i in range(n_tilings):
        offset = i * tile_width / n_tilings
        tile = np.floor((s + offset) / tile_width).astype(int)  # (S,) tile index in tiling i
        B = np.zeros((n_states, tile.max() + 1))
        B[s, tile] = 1.0
        blocks.append(B)
    return np.hstack(blocks)  # (S, d)


def coordinate_features(env: Any) -> np.ndarray:
    """phi(s) = (row / (H-1), col / (W-1), power bit 1, ..., power bit k, 1) for a MineGrid.

    Uses ``env.decode(s) -> (row, col, mask)`` for s = 0 .. S-1; H, W and k (number of power
    tiles) are read off the decoded states. Few features, so it generalises a lot and can
    represent only values that are linear in the coordinates: (S, 3 + k).
    """
    raw = getattr(env, "unwrapped", env)
    if not hasattr(raw, "decode"):
        raise ValueError(
            f"coordinate_features needs an env with decode(s) -> (row, col, mask) (e.g. MineGrid); "
            f"{type(raw).__name__} has none. Build Phi by hand or use one_hot_features(S)."
        )
    S = int(raw.observation_space.n)
    rcm = np.array([tuple(int(v) for v in raw.decode(s)) for s in range(S)])  # (S, 3)
    rows, cols, masks = rcm[:, 0], rcm[:, 1], rcm[:, 2]
    n_bits = int(masks.max()).bit_length()
    bits = (masks[:, None] >> np.arange(n_bits)[None, :]) & 1  # (S, k)
    return np.column_stack(
        [rows / max(rows.max(), 1), cols / max(cols.max(), 1), bits.astype(float), np.ones(S)]
    )  # (S, 3 + k)


def as_feature_matrix(phi: FeatureMap, n_states: int) -> np.ndarray:
    """Phi (S, d) from a matrix or from a callable phi(s) -> (d,) evaluated at every state."""
    if callable(phi):
        rows = [
            check_array(phi(s), f"phi({s})", "a feature vector (d,)").ravel()
            for s in range(n_states)
        ]
        sizes = {row.size for row in rows}
        if len(sizes) > 1:
            raise ValueError(
                f"phi(s) returns vectors of different lengths {sorted(sizes)}; every "
                "state needs the same number of features d."
            )
        Phi = np.stack(rows)  # (S, d)
    else:
        Phi = check_array(phi, "the features phi", "an (S, d) matrix or a function s -> phi(s)")
    if Phi.ndim != 2 or Phi.shape[0] != n_states:
        raise ValueError(
            f"features must form an (S, d) matrix with one row phi(s) per state (S = {n_states}); "
            f"got shape {Phi.shape}. E.g. one_hot_features({n_states})."
        )
    if not np.all(np.isfinite(Phi)):
        raise ValueError("the feature matrix contains NaN or inf; every phi(s) must be finite.")
    return Phi
