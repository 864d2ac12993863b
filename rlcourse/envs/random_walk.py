"""RandomWalk: Sutton & Barto's random walk (Example 6.2) as a gymnasium environment.

The chain that shows Monte Carlo's variance against TD(0)'s bias (chapter 03). Unlike
sampling the model ``rlcourse.mdp.examples.random_walk_mrp`` (whose R(s) is the *expected*
reward, 1/2 on leaving the rightmost state), this environment pays the actual +1 on reaching
the right end, so the returns are 0 or 1 as in the book.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rlcourse.envs.minegrid import _check_options

if TYPE_CHECKING:
    from rlcourse.mdp.mdp import MDP
    from rlcourse.mdp.mrp import MRP

__all__ = ["RandomWalk"]


class RandomWalk(gym.Env):
    """n states in a row between two terminals; each step goes left or right with probability 1/2.

    For ``n_states=5`` (the book's A, B, C, D, E)::

        T_left  A  B  C  D  E  T_right        observation 0  1  2  3  4  5  6
                      ^ start                 reward +1 only on entering T_right

    There is nothing to decide: the single action (0) is a dummy, and the policy that
    evaluates it is ``np.ones((n_states + 2, 1))`` (``rlcourse.tabular`` uses that when
    ``pi`` is omitted). With gamma = 1, V(k) is the probability of leaving on the right from
    state k, ``V(k) = k / (n + 1)``: 1/6, 2/6, ..., 5/6 for n = 5 (``to_mrp`` / ``to_mdp``
    give the exact model).

    ## Action Space
    ``Discrete(1)``: action 0, "walk". The move does not depend on it.

    ## Observation Space
    ``Discrete(n_states + 2)``: 0 is the left terminal, 1 .. n the inner states from left to
    right, n + 1 the right terminal.

    ## Starting State
    The middle inner state, ``(n_states + 1) // 2`` (3 = C for n = 5; the left one of the
    two middle states when n is even). ``reset(options={"state": k})`` starts in any inner
    state k instead.

    ## Rewards
    +1 on entering the right terminal n + 1, 0 on every other step.

    ## Episode End
    * terminated: the walk enters state 0 or n + 1.
    * truncated: never (the walk ends with probability 1; the mean episode length from
      state k is k (n + 1 - k), 9 steps from the middle of 5 states).
    Calling ``step`` after the episode ended (or before ``reset``) raises a RuntimeError.

    ## Information
    ``info = {"steps": steps taken}``.

    ## Arguments
    ```python
    import gymnasium as gym
    import rlcourse  # registers the id
    env = gym.make("rlcourse/RandomWalk-v0", n_states=5, render_mode="ansi")
    ```
    * ``n_states``: number of inner states (>= 1).
    * ``render_mode``: None, "ansi" (a line of letters with the walker ``*``) or
      "rgb_array" ((32, 32 (n + 2), 3) uint8 image).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    CELL = 32  # pixels per state in "rgb_array"

    def __init__(self, n_states: int = 5, render_mode: str | None = None):
        if (
            not isinstance(n_states, (int, np.integer))
            or isinstance(n_states, bool)
            or n_states < 1
        ):
            raise ValueError(
                f"n_states must be an integer >= 1 (the inner states), got {n_states!r}; "
                "e.g. n_states=5 for the book's A..E."
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode {render_mode!r} is not supported; use None, 'ansi' or 'rgb_array'."
            )
        self.n = int(n_states)
        self.n_states = self.n + 2  # terminals included
        self.n_actions = 1
        self.start_state = (self.n + 1) // 2
        self.render_mode = render_mode
        self.observation_space = spaces.Discrete(self.n_states)
        self.action_space = spaces.Discrete(1)
        self.s: int | None = None
        self.steps = 0
        self._done = True

    # ------------------------------------------------------------------ states
    @property
    def state_names(self) -> list[str]:
        """ "T_left", A .. E (n = 5) or s1 .. sn, "T_right"."""
        inner = list("ABCDE") if self.n == 5 else [f"s{k}" for k in range(1, self.n + 1)]
        return ["T_left", *inner, "T_right"]

    def is_terminal(self, s: int) -> bool:
        """True for the two ends, 0 and n + 1."""
        return s == 0 or s == self.n + 1

    def outcomes(self, s: int) -> list[tuple[float, int, float, bool]]:
        """(probability, next state, reward, terminated) of the two moves from inner state s."""
        if (
            isinstance(s, (bool, np.bool_))
            or not isinstance(s, (int, np.integer))
            or not (1 <= s <= self.n)
        ):
            raise ValueError(f"state {s} is not an inner state; inner states are 1..{self.n}.")
        return [
            (0.5, s2, 1.0 if s2 == self.n + 1 else 0.0, self.is_terminal(s2))
            for s2 in (s - 1, s + 1)
        ]

    # ------------------------------------------------------------------ exact model
    def to_mrp(self, *, gamma: float = 1.0) -> MRP:
        """The exact model as an ``rlcourse.mdp.MRP`` (P (S, S'), R (S,) expected reward).

        It is :func:`rlcourse.mdp.random_walk_mrp` (the one definition of this chain), which the
        tests check against :meth:`outcomes` and :meth:`step`. R(s) is the expected reward on
        leaving s (1/2 for the rightmost inner state, 0 elsewhere); the two ends are terminal.
        ``to_mrp().value_closed_form()`` is V(k) = k / (n + 1) on the inner states (gamma = 1).
        """
        from rlcourse.mdp import random_walk_mrp

        return random_walk_mrp(self.n, gamma=gamma)

    def to_mdp(self, *, gamma: float = 1.0) -> MDP:
        """The exact model as an ``rlcourse.mdp.MDP`` with one action "walk": P (S, 1, S')."""
        from rlcourse.mdp import MDP

        mrp = self.to_mrp(gamma=gamma)
        return MDP(
            mrp.P[:, None, :],
            mrp.R[:, None],
            mrp.terminal,
            gamma=gamma,
            states=self.state_names,
            actions=["walk"],
        )

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start in the middle (or in ``options["state"]``); returns (obs, info)."""
        super().reset(seed=seed)
        s = self.start_state
        _check_options(options)
        if options and options.get("state") is not None:
            s = options["state"]
            if not (isinstance(s, (int, np.integer)) and 1 <= s <= self.n):
                raise ValueError(f"options['state'] must be an inner state 1..{self.n}, got {s!r}.")
        self.s = int(s)
        self.steps = 0
        self._done = False
        return self.s, {"steps": 0}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Walk one state left or right (probability 1/2 each).

        Returns (obs, reward, terminated, truncated, info).
        """
        if self._done:
            raise RuntimeError(
                "the episode has ended (or reset() was never called); call env.reset() "
                "before env.step()."
            )
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not valid; the random walk has one action, 0.")
        # all randomness through self.np_random (seeded by reset(seed=...))
        self.s = self.s + (1 if self.np_random.random() < 0.5 else -1)
        self.steps += 1
        reward = 1.0 if self.s == self.n + 1 else 0.0
        terminated = self.is_terminal(self.s)
        self._done = terminated
        return self.s, reward, terminated, False, {"steps": self.steps}

    # ------------------------------------------------------------------ rendering
    def render(self) -> str | np.ndarray | None:
        """ "ansi": the row of states with the walker '*'; "rgb_array": an image of the row."""
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; create the env with "
                'render_mode="ansi" or render_mode="rgb_array".'
            )
            return None
        if self.render_mode == "ansi":
            names = ["|"] + (list("ABCDE") if self.n == 5 else ["o"] * self.n) + ["|"]
            if self.s is not None:
                names[self.s] = "*"
            return " ".join(names) + "\n"
        c = self.CELL
        img = np.full((c, c * self.n_states, 3), 230, dtype=np.uint8)  # (H, W, 3)
        img[:, :c] = (200, 60, 60)  # left end
        img[:, -c:] = (60, 160, 60)  # right end (+1)
        img[:, ::c] = 120  # cell borders
        if self.s is not None:
            x0 = self.s * c
            img[c // 4 : 3 * c // 4, x0 + c // 4 : x0 + 3 * c // 4] = (40, 40, 200)  # walker
        return img

    def close(self) -> None:
        pass
