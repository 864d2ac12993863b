"""Vector environments with gymnasium 1.x's autoreset made explicit.

A vector env steps n copies of an environment at once and resets a copy by itself when its
episode ends. Two traps hide there, and every deep trainer of the course avoids them here:

1. ``terminated`` (the MDP reached a terminal state: its value is 0) and ``truncated`` (a time
   limit stopped the episode: the state still has a value) are kept apart everywhere. Only
   ``terminated`` cuts the bootstrap: y = r + gamma (1 - terminated) max_a Q(s', a).
2. After an episode ends the env has already moved on to the next episode. The transition that
   ended the episode must be stored with its TRUE final observation s'. Bootstrapping a
   truncated transition from the next episode's first observation is silently wrong, and on
   CartPole-v1 (truncated at 500 steps, right at the 475 threshold) it shows in the results.

We use ``autoreset_mode=SAME_STEP``: the step that ends an episode returns the next episode's
first observation as ``obs`` and the true final observation in ``infos["final_obs"]``;
:func:`step_transitions` puts the two together so that the caller gets ``next_obs`` (to store)
and ``obs`` (to act on next) as separate arrays.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from rlcourse.deep.core import EnvLike, _make_env
from rlcourse.validation import check_positive_int

__all__ = ["check_box_discrete", "make_vector_env", "step_transitions"]


def check_box_discrete(observation_space: gym.Space, action_space: gym.Space) -> tuple[int, int]:
    """``(obs_dim, n_actions)`` for a Box observation and Discrete actions; else a ValueError.

    DQN outputs one Q-value per action, so it needs a finite set of actions; the network reads a
    flat vector of numbers, so it needs a Box observation.
    """
    if not isinstance(observation_space, gym.spaces.Box):
        raise ValueError(
            f"the observation space is {observation_space}; this trainer needs a Box observation "
            "(a vector of numbers), e.g. CartPole-v1. Wrap the env (e.g. "
            "gymnasium.wrappers.FlattenObservation) to turn it into one."
        )
    if not isinstance(action_space, gym.spaces.Discrete):
        raise ValueError(
            f"the action space is {action_space}; this trainer needs Discrete actions (DQN: one "
            "Q-value per action; PPO and A2C here: a categorical policy), e.g. CartPole-v1's "
            "Discrete(2). A continuous Box action space needs a Gaussian policy or a "
            "discretising wrapper."
        )
    return int(np.prod(observation_space.shape)), int(action_space.n)


def make_vector_env(env: EnvLike, n_envs: int = 1) -> gym.vector.SyncVectorEnv:
    """``n_envs`` copies of ``env`` (an id or a factory) stepped in this process, SAME_STEP
    autoreset (see the module docstring); refuses anything but Box observations and Discrete
    actions with a ValueError that names the space.
    """
    n_envs = check_positive_int(n_envs, "n_envs", 1)
    probe = _make_env(env)
    try:
        check_box_discrete(probe.observation_space, probe.action_space)
    finally:
        probe.close()
    return gym.vector.SyncVectorEnv(
        [lambda: _make_env(env) for _ in range(n_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )


def step_transitions(
    envs: gym.vector.VectorEnv, actions: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step a SAME_STEP vector env; returns ``obs, next_obs, reward, terminated, truncated``.

    ``next_obs[i]`` is s' of the transition just made by copy i: the TRUE final observation when
    its episode ended (terminated or truncated), so a truncated transition bootstraps from the
    state the time limit stopped at. ``obs`` is what to act on next: the new episode's first
    observation for the copies that were reset.
    """
    if envs.metadata.get("autoreset_mode") is not gym.vector.AutoresetMode.SAME_STEP:
        raise ValueError(
            "step_transitions needs a vector env with autoreset_mode=SAME_STEP (make it with "
            "rlcourse.deep.envs.make_vector_env); in NEXT_STEP mode the step after an episode's "
            "end is a reset, not a transition."
        )
    obs, reward, terminated, truncated, infos = envs.step(actions)
    next_obs = obs
    # THE TRAP: for a copy whose episode just ended, `obs` is already the NEXT episode's first
    # observation (the env reset itself). The transition's s' is infos["final_obs"][i].
    done = np.logical_or(terminated, truncated)
    if done.any():
        next_obs = obs.copy()
        final: Any = infos["final_obs"]
        for i in np.flatnonzero(done):
            next_obs[i] = final[i]
    return obs, next_obs, reward, terminated, truncated
