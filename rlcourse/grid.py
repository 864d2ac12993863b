"""The four moves of the course's grid worlds, in one place.

``MineGrid`` (:mod:`rlcourse.envs.minegrid`), the large benchmark grids of
:func:`rlcourse.mdp.examples.grid_mdp` and the policy arrows of :mod:`rlcourse.plots` all use
these actions, in this order:

| action | name | (d_row, d_col) | arrow (dx, dy) on an image, y pointing down |
|---|---|---|---|
| 0 | up    | (-1, 0) | (0, -1) |
| 1 | right | (0, 1)  | (1, 0)  |
| 2 | down  | (1, 0)  | (0, 1)  |
| 3 | left  | (0, -1) | (-1, 0) |
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "UP",
    "RIGHT",
    "DOWN",
    "LEFT",
    "ACTION_NAMES",
    "MOVES",
    "ARROWS",
    "ARROW_GLYPHS",
    "PERPENDICULAR",
]

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
ACTION_NAMES: tuple[str, ...] = ("up", "right", "down", "left")
"""Name of each action, indexed by action."""
MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])
"""(A, 2) array: the (d_row, d_col) step of each action."""
MOVES.setflags(write=False)
ARROWS: dict[int, tuple[float, float]] = {
    a: (float(dc), float(dr)) for a, (dr, dc) in enumerate(MOVES.tolist())
}
"""Arrow direction (dx, dy) of each action in image coordinates (x = column, y = row, downwards)."""
PERPENDICULAR: dict[int, tuple[int, int]] = {
    UP: (LEFT, RIGHT),
    RIGHT: (UP, DOWN),
    DOWN: (RIGHT, LEFT),
    LEFT: (DOWN, UP),
}
"""The two directions at right angles to each action (where a slip sends the robot)."""
ARROW_GLYPHS = "↑→↓←"
"""One character per action, for printing routes."""
