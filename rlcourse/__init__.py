"""rlcourse: reinforcement learning from Markov chains to DPO.

Parts (one sub-package each): ``rlcourse.mdp`` (Part I, known model), ``rlcourse.tabular``
(Part II, learning from experience), ``rlcourse.deep`` (Part III), ``rlcourse.rlhf``
(Part IV), ``rlcourse.search`` (MCTS / AlphaZero); ``rlcourse.envs`` holds the environments,
``rlcourse.grading`` the exercise checks and the grader, ``rlcourse.plots`` the figures.

Importing the package registers the course's gymnasium environments (``rlcourse/MineGrid-v0``)
and nothing else; torch is only imported by the parts that need it.
"""

__version__ = "0.1.0"

from rlcourse import envs as _envs  # noqa: F401  (registers rlcourse/* gymnasium ids)
