"""Figures of the course: value heat maps with policy arrows, convergence and learning curves,
Q-tables.

Every function draws on an ``ax`` you pass (or a new figure's), returns that ``Axes`` and never
calls ``plt.show()`` or ``matplotlib.use()``: notebooks show the figure, tests inspect it.
matplotlib is imported when a function is called, not when ``rlcourse`` is imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rlcourse._types import ArrayLike, Axes
from rlcourse.grid import ACTION_NAMES, ARROWS
from rlcourse.validation import check_array, check_positive_int

__all__ = [
    "plot_values",
    "plot_convergence",
    "plot_learning_curve",
    "plot_q_table",
    "moving_average",
    "TILE_KEY",
]

TILE_KEY = "S start   P power (+1 once)   M mine (-100, ends)   E end (+100, ends)"
"""The caption plot_values writes under a MineGrid, so a figure explains its own letters."""


def _axes(ax, figsize=(5, 4)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def _grid_slice(env, mask: int, n_values: int, what: str) -> slice:
    if not 0 <= mask < env.n_masks:
        raise ValueError(
            f"mask={mask} is not a power mask of this grid; use 0 <= mask < {env.n_masks} "
            f"(bit i set = power tile i at {env.power_tiles} collected)."
        )
    if n_values not in (env.n_states, env.n_cells):
        raise ValueError(
            f"{what} has {n_values} states but the MineGrid has {env.n_states} states "
            f"({env.n_rows} x {env.n_cols} cells x {env.n_masks} power masks); pass one value "
            "per state (e.g. solve_value_iteration(env.to_mdp()).V)."
        )
    start = mask * env.n_cells if n_values == env.n_states else 0
    return slice(start, start + env.n_cells)


def plot_values(
    env_or_shape: Any,
    V: ArrayLike,
    policy: ArrayLike | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    *,
    mask: int = 0,
    visited: ArrayLike | None = None,
    cbar_label: str = "V",
    annotate: bool = True,
    cmap: str = "viridis",
    fmt: str = "{:.1f}",
) -> Axes:
    r"""Heat map of V over the grid, with the value in each cell and arrows for a policy.

    env_or_shape:
        * a ``MineGrid``: V has one value per state (``env.n_states``); the cells show the
          slice of power mask ``mask`` (mask=0: nothing collected yet). Mines 'M', the end
          'E' and uncollected power 'P' are labelled, walls are hatched grey and left empty;
          an uncollected power tile (the robot cannot stand there: entering collects it) is
          left uncoloured, with no value;
          terminal cells get no arrow, nor do uncollected power tiles (the robot cannot
          stand on one: entering collects it).
        * a shape ``(H, W)``: V has H*W values in row-major order, or shape (H, W).
        * ``None``: V is a 2-D (H, W) array.
    policy: optional (S, A) array over actions up, right, down, left. A one-hot row draws
        one arrow; a stochastic row draws an arrow for every action tied at the maximum
        probability (a uniform row draws four).
    visited: optional (S,) bool mask or counts (e.g. ``result.N.sum(axis=1)`` of a trainer):
        states with False / 0 are drawn faded and get no arrow, since a learner knows nothing
        there (its greedy "choice" in an unvisited state is only the tie-breaking rule). Mines
        and the end are never faded: a terminal state is worth 0 whatever the learner saw.
    cbar_label: the colour bar's label (e.g. r"$\max_a Q(s, a)$" for a learned table).
    On a MineGrid the start cell is marked "S" and the x label explains S, P, M and E.
    Returns the Axes (one image, one arrow patch per arrow).
    """
    from matplotlib.patches import FancyArrow, Rectangle  # noqa: F401  (FancyArrow: tests)

    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string such as '{{:.1f}}', got {fmt!r}.")
    V = check_array(V, "V", "an array of state values")
    env = env_or_shape if hasattr(env_or_shape, "n_masks") else None
    if env is not None and V.ndim != 1:
        raise ValueError(f"V must be one value per state, a 1-D array, got shape {V.shape}.")
    ax = _axes(ax)
    if env is not None:
        H, W = env.n_rows, env.n_cols
        cells = _grid_slice(env, mask, V.size, "V")
        grid = V.reshape(-1)[cells].reshape(H, W)  # (H, W)
        tiles = np.array([[env.tile_at(r, c, mask) for c in range(W)] for r in range(H)])
    else:
        if env_or_shape is None:
            if V.ndim != 2:
                raise ValueError(
                    f"without a grid shape V must be 2-D (H, W), got shape {V.shape}; pass "
                    "plot_values((H, W), V) or a MineGrid."
                )
            H, W = V.shape
        else:
            H, W = (int(n) for n in env_or_shape)
        if V.size != H * W:
            raise ValueError(
                f"V has {V.size} values but the grid {H} x {W} has {H * W} cells; pass one "
                "value per cell in row-major order."
            )
        grid = V.reshape(H, W)
        tiles = np.full((H, W), ".")

    walls = tiles == "#"
    seen = np.ones((H, W), dtype=bool)  # (H, W) cells the learner has visited
    if visited is not None:
        vis = np.asarray(visited).reshape(-1)
        if env is not None:
            seen = (vis[_grid_slice(env, mask, vis.size, "visited")] > 0).reshape(H, W)
        elif vis.size == H * W:
            seen = (vis > 0).reshape(H, W)
        else:
            raise ValueError(f"visited has {vis.size} entries but the grid has {H * W} cells.")
    # the robot never stands on an uncollected power tile (entering collects it): that state is
    # impossible, so like a wall it gets no colour and no value
    impossible = walls | (tiles == "P")
    shown = np.ma.masked_array(grid, mask=impossible)  # walls are not coloured
    image = ax.imshow(shown, cmap=cmap, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=cbar_label)
    finite = shown.compressed()
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0

    for r in range(H):
        for c in range(W):
            if walls[r, c]:
                ax.add_patch(
                    Rectangle(
                        (c - 0.5, r - 0.5), 1, 1, facecolor="0.35", hatch="//", edgecolor="0.2"
                    )
                )
                continue
            if impossible[r, c]:  # an uncollected power tile: light yellow, no value
                ax.add_patch(
                    Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="#fbeaa0", edgecolor="none")
                )
            colour = "black" if grid[r, c] > mid or impossible[r, c] else "white"
            if not seen[r, c] and tiles[r, c] not in "ME":  # terminal cells are known: worth 0
                ax.add_patch(
                    Rectangle(
                        (c - 0.5, r - 0.5), 1, 1, facecolor="white", alpha=0.6, edgecolor="none"
                    )
                )
                colour = "0.4"
            label = tiles[r, c] if tiles[r, c] in "MEPS" else ""
            if label:
                ax.text(
                    c,
                    r - 0.3,
                    label,
                    ha="center",
                    va="center",
                    fontsize=9,
                    fontweight="bold",
                    color=colour,
                )
            if annotate and not impossible[r, c]:
                ax.text(
                    c,
                    r + 0.3,
                    fmt.format(grid[r, c]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=colour,
                )

    if policy is not None:
        pi = np.asarray(policy, dtype=float)
        if pi.ndim != 2 or pi.shape[1] != 4:
            raise ValueError(
                f"policy must be an (S, 4) array of action probabilities (up, right, down, "
                f"left), got shape {pi.shape}."
            )
        if env is not None and pi.shape[0] == env.n_states:
            pi_cells = pi[mask * env.n_cells : (mask + 1) * env.n_cells]  # (H*W, 4)
        elif pi.shape[0] == H * W:
            pi_cells = pi  # (H*W, 4)
        else:
            raise ValueError(
                f"policy has {pi.shape[0]} rows but V has {V.size} states; pass one row per state."
            )
        for r in range(H):
            for c in range(W):
                if walls[r, c] or tiles[r, c] in "MEP" or not seen[r, c]:
                    continue
                row = pi_cells[r * W + c]
                for a in np.flatnonzero(row >= row.max() - 1e-9):
                    dx, dy = ARROWS[int(a)]
                    ax.arrow(
                        c - 0.18 * dx,
                        r - 0.18 * dy,
                        0.3 * dx,
                        0.3 * dy,
                        width=0.03,
                        head_width=0.15,
                        head_length=0.1,
                        length_includes_head=True,
                        color="red",
                    )

    ax.set_xticks(range(W))
    ax.set_yticks(range(H))
    ax.set_xlabel("col" if env is None else "col\n" + TILE_KEY, fontsize=None if env is None else 8)
    ax.set_ylabel("row")
    if title is None and env is not None and env.n_masks > 1:
        flags = "".join(str((mask >> i) & 1) for i in range(len(env.power_tiles)))
        title = f"V, power collected |p{flags} (power tiles {env.power_tiles})"
    if title:
        ax.set_title(title)
    return ax


def _series(history, key: str) -> np.ndarray:
    if hasattr(history, "history"):  # a DPResult / EvaluationResult
        history = history.history
    if isinstance(history, Mapping):
        if key not in history:
            raise ValueError(f"history has no key {key!r}; its keys are {sorted(history)}.")
        return check_array(history[key], f"history[{key!r}]", "one number per iteration")
    if history is None or isinstance(history, str) or not hasattr(history, "__iter__"):
        raise TypeError(
            f"history must be a solver's result, a list of dicts, a dict of "
            f"sequences or a sequence of numbers, got {type(history).__name__}."
        )
    history = list(history)
    if history and isinstance(history[0], Mapping):
        if key not in history[0]:
            raise ValueError(
                f"history entries have no key {key!r}; they have {sorted(history[0])}. "
                "Pass key=... to choose the quantity to plot."
            )
        return check_array(
            [h[key] for h in history], f"history[...][{key!r}]", "one number per iteration"
        )
    return check_array(history, "history", "one number per iteration")


def plot_convergence(
    history: Any,
    key: str = "delta",
    ax: Axes | None = None,
    log: bool = True,
    label: str | None = None,
    **line_kwargs: Any,
) -> Axes:
    """Plot a per-iteration quantity, e.g. delta_k = max_s |V_{k+1}(s) - V_k(s)|.

    history: a DPResult / EvaluationResult (its ``.history``), a list of dicts (one per
    iteration; ``key`` picks the entry), a dict of sequences, or a plain sequence.
    With ``log=True`` the y axis is logarithmic (semilogy): a straight line means geometric
    convergence, with slope log10(gamma) per iteration for value iteration. Call it again on
    the same ``ax`` with another ``label`` to compare runs. On a log axis, values that are
    exactly 0 are left out. Returns the Axes.
    """
    y = _series(history, key)  # (K,)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(
            f"history must hold one number per iteration, got {y.size} values of "
            f"shape {y.shape}; pass e.g. result.history of a solver."
        )
    ax = _axes(ax)
    k = np.arange(1, y.size + 1)
    if log:  # an exact 0 (deterministic worlds converge exactly) has no place on a log axis
        y = np.where(y > 0, y, np.nan)
    ax.plot(k, y, label=label, **line_kwargs)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel(key)
    if label is not None:
        ax.legend()
    return ax


def _per_episode(values) -> np.ndarray:
    y = check_array(values, "values", 'one number per episode (e.g. result.history["return"])')
    if y.ndim != 1:
        raise ValueError(
            f"values must be one number per episode, a 1-D array, got shape "
            f"{y.shape}; for several runs (rows) plot their mean, "
            "values.mean(axis=0), or call once per run."
        )
    if y.size == 0:
        raise ValueError(
            "values is empty; pass one number per episode (e.g. "
            'result.history["return"] of a trainer).'
        )
    return y


def moving_average(values: ArrayLike, window: int) -> np.ndarray:
    """Mean of each run of ``window`` consecutive values: length len(values) - window + 1."""
    x = _per_episode(values)  # (T,)
    window = check_positive_int(window, "window", 10)
    if window > x.size:
        raise ValueError(f"window={window} is longer than the {x.size} values.")
    kernel = np.ones(window) / window
    return np.convolve(x, kernel, mode="valid")  # (T - window + 1,)


def plot_learning_curve(
    values: ArrayLike,
    ax: Axes | None = None,
    window: int | None = None,
    label: str | None = None,
    xlabel: str = "episode",
    ylabel: str = "return",
    **line_kwargs: Any,
) -> Axes:
    """Raw per-episode values drawn faint, and their moving average over ``window`` episodes.

    ``window=None`` picks max(1, len(values) // 20). The average at episode t is the mean of
    episodes t - window + 1 .. t, so it starts at episode ``window - 1``; the legend says
    "moving average over ``window`` episodes". If ``values`` is itself a mean over several runs,
    say so in the title or the ``label`` (e.g. "Q-learning, mean of 10 seeds"). Several runs on
    one ``ax`` each get their own colour and ``label``. Returns the Axes.
    """
    y = _per_episode(values)  # (T,)
    if window is None:
        window = max(1, y.size // 20)
    window = check_positive_int(window, "window", 10)
    ax = _axes(ax)
    if not 1 <= window <= y.size:
        raise ValueError(f"window={window} must be between 1 and the number of values ({y.size}).")
    t = np.arange(y.size)
    (raw,) = ax.plot(t, y, alpha=0.25, linewidth=0.8, **line_kwargs)
    if window > 1:
        ax.plot(
            t[window - 1 :],
            moving_average(y, window),
            color=raw.get_color(),
            label=None if label is None else f"{label} ({window}-episode moving average)",
        )
    elif label is not None:
        raw.set_label(label)
        raw.set_alpha(1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if label is not None:
        ax.legend()
    return ax


def plot_q_table(
    Q: ArrayLike,
    states: Sequence[str] | None = None,
    actions: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    annotate: bool | None = None,
    fmt: str = "{:.1f}",
    cmap: str = "coolwarm",
) -> Axes:
    """The Q-table of [D003]: one row per state S_i, one column per action A_j, Q(S_i, A_j).

    ``states`` / ``actions`` name the rows / columns (e.g. ``env.state_names`` and
    ``ACTION_NAMES``; four columns default to up, right, down, left). The best action of each
    row is outlined. Values are written in the cells when ``annotate`` (default: at most 60
    rows). Returns the Axes (one image).
    """
    from matplotlib.patches import Rectangle

    Q = check_array(Q, "Q", "an (S, A) table of action values")
    if Q.ndim != 2 or 0 in Q.shape:
        raise ValueError(f"Q must be an (S, A) table with S, A >= 1, got shape {Q.shape}.")
    S, A = Q.shape
    if actions is None:
        actions = list(ACTION_NAMES) if A == 4 else [f"a{j}" for j in range(A)]
    if states is None:
        states = [f"s{i}" for i in range(S)]
    if len(states) != S or len(actions) != A:
        raise ValueError(
            f"Q has shape ({S}, {A}) but {len(states)} state names and {len(actions)} action "
            "names were given; pass one name per row and per column."
        )
    ax = _axes(ax, figsize=(1.2 * A + 2, min(0.3 * S + 1.5, 30)))
    image = ax.imshow(Q, cmap=cmap, aspect="auto", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="Q(s, a)")
    if annotate is None:
        annotate = S <= 60
    if annotate:
        for i in range(S):
            for j in range(A):
                ax.text(j, i, fmt.format(Q[i, j]), ha="center", va="center", fontsize=7)
    for i, j in enumerate(Q.argmax(axis=1)):
        if np.ptp(Q[i]) == 0:
            continue  # all actions equal (e.g. a terminal state): no best action to mark
        ax.add_patch(
            Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.2)
        )
    ax.set_xticks(range(A), labels=list(actions))
    ax.set_yticks(range(S), labels=list(states), fontsize=7 if S > 20 else None)
    ax.set_xlabel("action")
    ax.set_ylabel("state")
    if title:
        ax.set_title(title)
    return ax
