"""Environments of the course.

- ``MineGrid`` ([D003]'s robot / mines / power / end grid) with its ``LAYOUTS``, registered as
  ``"rlcourse/MineGrid-v0"`` (no ``max_episode_steps``: the env truncates itself after
  ``max_steps``);
- ``RandomWalk`` (Sutton & Barto's Example 6.2), registered as ``"rlcourse/RandomWalk-v0"``.

Importing this package registers both ids; registering twice is a no-op.
"""

import gymnasium as _gym

from rlcourse.envs.minegrid import (
    ACTION_NAMES,
    LAYOUTS,
    TILES,
    MineGrid,
    Outcome,
    Route,
    parse_layout,
)
from rlcourse.envs.random_walk import RandomWalk

__all__ = [
    "MineGrid",
    "LAYOUTS",
    "ACTION_NAMES",
    "TILES",
    "Outcome",
    "Route",
    "parse_layout",
    "RandomWalk",
    "MINEGRID_ID",
    "RANDOM_WALK_ID",
]

MINEGRID_ID = "rlcourse/MineGrid-v0"
RANDOM_WALK_ID = "rlcourse/RandomWalk-v0"

for _id, _entry in (
    (MINEGRID_ID, "rlcourse.envs.minegrid:MineGrid"),
    (RANDOM_WALK_ID, "rlcourse.envs.random_walk:RandomWalk"),
):
    if _id not in _gym.registry:
        _gym.register(id=_id, entry_point=_entry)
