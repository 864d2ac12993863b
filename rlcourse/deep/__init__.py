"""Part III: deep reinforcement learning with torch, [D003].

The foundations every deep chapter uses (:mod:`rlcourse.deep.core`: device, seeding, MLP,
evaluation, progress bar; :mod:`rlcourse.deep.envs`: vector envs with explicit autoreset;
:mod:`rlcourse.deep.checkpoint`: safe checkpoints), DQN (:mod:`rlcourse.deep.dqn`) and the runs
behind chapter 06's figures (:mod:`rlcourse.deep.experiments`).
"""

from rlcourse.deep import checkpoint, core, dqn, envs, experiments
from rlcourse.deep.checkpoint import *  # noqa: F403 - each module's __all__ is the package's
from rlcourse.deep.core import *  # noqa: F403
from rlcourse.deep.dqn import *  # noqa: F403
from rlcourse.deep.envs import *  # noqa: F403
from rlcourse.deep.experiments import *  # noqa: F403

__all__ = [*core.__all__, *envs.__all__, *checkpoint.__all__, *dqn.__all__, *experiments.__all__]
