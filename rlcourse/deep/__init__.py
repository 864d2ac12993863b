"""Part III: deep reinforcement learning with torch, [D003].

The foundations every deep chapter uses (:mod:`rlcourse.deep.core`: device, seeding, MLP,
evaluation, progress bar; :mod:`rlcourse.deep.envs`: vector envs with explicit autoreset;
:mod:`rlcourse.deep.checkpoint`: safe checkpoints) and DQN (:mod:`rlcourse.deep.dqn`).
"""

from rlcourse.deep.checkpoint import load_checkpoint, save_checkpoint
from rlcourse.deep.core import (
    default_device,
    evaluate,
    mlp,
    progress_bar,
    seed_env,
    seeded,
    torch_threads,
)
from rlcourse.deep.dqn import (
    DQNConfig,
    DQNResult,
    ReplayBuffer,
    double_td_target,
    dqn_loss,
    hard_update,
    linear_epsilon,
    load_dqn,
    soft_update,
    td_target,
    train_dqn,
)
from rlcourse.deep.envs import check_box_discrete, make_vector_env, step_transitions

__all__ = [
    "default_device",
    "seeded",
    "seed_env",
    "mlp",
    "evaluate",
    "progress_bar",
    "torch_threads",
    "check_box_discrete",
    "make_vector_env",
    "step_transitions",
    "save_checkpoint",
    "load_checkpoint",
    "linear_epsilon",
    "td_target",
    "double_td_target",
    "dqn_loss",
    "hard_update",
    "soft_update",
    "ReplayBuffer",
    "DQNConfig",
    "DQNResult",
    "train_dqn",
    "load_dqn",
]
