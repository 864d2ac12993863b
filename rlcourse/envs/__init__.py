"""Environments of the course.

``MineGrid`` (deck 003's robot / mines / power / end grid) with its ``LAYOUTS``. Importing this
package registers the gymnasium id ``"rlcourse/MineGrid-v0"`` (no ``max_episode_steps``: the env
truncates itself after ``max_steps``); registering twice is a no-op.
"""
import gymnasium as _gym

from rlcourse.envs.minegrid import ACTION_NAMES, LAYOUTS, TILES, MineGrid, Outcome, parse_layout

__all__ = ["MineGrid", "LAYOUTS", "ACTION_NAMES", "TILES", "Outcome", "parse_layout"]

MINEGRID_ID = "rlcourse/MineGrid-v0"

if MINEGRID_ID not in _gym.registry:
    _gym.register(id=MINEGRID_ID, entry_point="rlcourse.envs.minegrid:MineGrid")

from rlcourse.envs.random_walk import RandomWalk  # noqa: E402  (chapter 03; registers rlcourse/RandomWalk-v0)
if "rlcourse/RandomWalk-v0" not in _gym.registry:
    _gym.register(id="rlcourse/RandomWalk-v0", entry_point="rlcourse.envs.random_walk:RandomWalk")
