"""Part III: deep reinforcement learning with torch, [D003].

The foundations every deep chapter uses (:mod:`rlcourse.deep.core`: device, seeding, MLP,
evaluation, progress bar; :mod:`rlcourse.deep.envs`: vector envs with explicit autoreset;
:mod:`rlcourse.deep.checkpoint`: safe checkpoints) and DQN (:mod:`rlcourse.deep.dqn`).
"""

from rlcourse.deep import checkpoint, core, dqn, envs
from rlcourse.deep.checkpoint import *  # noqa: F403 - each module's __all__ is the package's
from rlcourse.deep.core import *  # noqa: F403
from rlcourse.deep.dqn import *  # noqa: F403
from rlcourse.deep.envs import *  # noqa: F403

__all__ = [*core.__all__, *envs.__all__, *checkpoint.__all__, *dqn.__all__]
