"""Part III: deep reinforcement learning with torch, [D003].

The foundations every deep chapter uses (:mod:`rlcourse.deep.core`: device, seeding, MLP,
evaluation, progress bar; :mod:`rlcourse.deep.envs`: vector envs with explicit autoreset;
:mod:`rlcourse.deep.checkpoint`: safe checkpoints), DQN (:mod:`rlcourse.deep.dqn`) and the runs
behind chapter 06's figures (:mod:`rlcourse.deep.experiments`); for chapters 07-09, returns and
advantages (:mod:`rlcourse.deep.advantages`: TD errors, GAE, n-step returns), the policy-gradient
pieces (:mod:`rlcourse.deep.policy_gradient`), PPO's surrogates (:mod:`rlcourse.deep.ppo_losses`)
the PPO trainer (:mod:`rlcourse.deep.ppo`) and REINFORCE (:mod:`rlcourse.deep.reinforce`).
"""

from rlcourse.deep import (
    advantages,
    checkpoint,
    core,
    dqn,
    envs,
    experiments,
    policy_gradient,
    ppo,
    ppo_losses,
    reinforce,
)
from rlcourse.deep.advantages import *  # noqa: F403
from rlcourse.deep.checkpoint import *  # noqa: F403 - each module's __all__ is the package's
from rlcourse.deep.core import *  # noqa: F403
from rlcourse.deep.dqn import *  # noqa: F403
from rlcourse.deep.envs import *  # noqa: F403
from rlcourse.deep.experiments import *  # noqa: F403
from rlcourse.deep.policy_gradient import *  # noqa: F403
from rlcourse.deep.ppo import *  # noqa: F403
from rlcourse.deep.ppo_losses import *  # noqa: F403
from rlcourse.deep.reinforce import *  # noqa: F403

__all__ = [
    *core.__all__,
    *envs.__all__,
    *checkpoint.__all__,
    *dqn.__all__,
    *experiments.__all__,
    *advantages.__all__,
    *policy_gradient.__all__,
    *ppo_losses.__all__,
    *ppo.__all__,
    *reinforce.__all__,
]
