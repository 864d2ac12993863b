"""MineGrid: the robot / mines / power / end grid world of [D003] (Q-learning example).

One small world threads through the tabular chapters: DP solves it exactly (``to_mdp``),
MC / TD / SARSA / Q-learning learn it from ``step``, and ``rlcourse.plots.plot_values`` draws
its values and policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rlcourse._types import ArrayLike
from rlcourse.grid import ACTION_NAMES, ARROW_GLYPHS, MOVES, PERPENDICULAR
from rlcourse.validation import check_action, check_number, check_positive_int

if TYPE_CHECKING:
    from rlcourse.mdp.mdp import MDP

__all__ = ["MineGrid", "LAYOUTS", "ACTION_NAMES", "TILES", "Outcome", "Route", "parse_layout"]

TILES = {
    "S": "start (a blank tile where every episode begins)",
    ".": "blank",
    "P": "power (+1 the first time it is entered, then blank)",
    "M": "mine (-100, episode ends)",
    "E": "end (+100, episode ends)",
    "#": "wall (cannot be entered)",
}

# Rewards on entering a tile ([D003]: "the robot loses 1 point at each step", mine -100,
# power +1, end +100).
STEP_REWARD = -1.0
POWER_REWARD = 1.0
MINE_REWARD = -100.0
END_REWARD = 100.0

LAYOUTS: dict[str, str] = {
    # [D003]'s world. With slip=0 the optimal route threads between the mines to collect
    # the power tile at (1, 2); with slip=0.1 it takes the safe top row and right column
    # instead and skips the power. The power tile at (3, 0) is never worth its detour.
    "default": """
        S . . . .
        . M P M .
        . . . M .
        P M . . .
        . . . M E
    """,
    # Sutton & Barto Example 6.6 (4 x 12): a row of mines between S and E. Unlike the book, a
    # mine ends the episode (-100) instead of sending the robot back to the start.
    "cliff": """
        . . . . . . . . . . . .
        . . . . . . . . . . . .
        . . . . . . . . . . . .
        S M M M M M M M M M M E
    """,
    # 3 x 3, for fast tests: the power route (right, right, down, down) beats the plain one.
    "small": """
        S . P
        . M .
        . . E
    """,
    # 5 x 5 with walls, for the wall rules and the plots.
    "walls": """
        S . . # E
        . # . # .
        . # . . .
        . . . # M
        P # . . .
    """,
}

MAX_POWER_TILES = 10  # the state space grows as 2**K with K power tiles


class Outcome(NamedTuple):
    """One possible result of ``step``: probability, next state, reward, terminated."""

    prob: float
    next_state: int
    reward: float
    terminated: bool


def parse_layout(layout: str) -> np.ndarray:
    """Turn an ASCII map into a (H, W) array of one-character tiles.

    Rows are separated by newlines; all whitespace (around and inside rows) is ignored, so
    ``"S . E"`` and ``"S.E"`` are the same row. Exactly one 'S' and at least one 'E' are
    required; the allowed characters are the keys of ``TILES``.
    """
    if not isinstance(layout, str):
        raise TypeError(
            f"the layout must be a str (an ASCII map, rows separated by newlines), "
            f"got {type(layout).__name__}."
        )
    rows = ["".join(line.split()) for line in layout.splitlines()]
    rows = [row for row in rows if row]
    if not rows:
        raise ValueError(
            "the layout is empty; pass a key of LAYOUTS "
            f"({', '.join(repr(k) for k in LAYOUTS)}) or an ASCII map such as 'S.P\\n.M.\\n..E'."
        )
    allowed = ", ".join(f"'{c}' {d.split(' (')[0]}" for c, d in TILES.items())
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch not in TILES:
                raise ValueError(
                    f"unknown tile {ch!r} at row {r}, col {c} of the layout; "
                    f"allowed tiles are {allowed}."
                )
    width = len(rows[0])
    for r, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(
                f"ragged layout: row {r} has {len(row)} tiles but row 0 has {width}; "
                "every row must have the same number of tiles (whitespace is ignored)."
            )
    grid = np.array([list(row) for row in rows])  # (H, W) of str
    n_start = int((grid == "S").sum())
    if n_start != 1:
        where = [tuple(map(int, rc)) for rc in np.argwhere(grid == "S")]
        raise ValueError(
            f"the layout needs exactly one start 'S', found {n_start}"
            + (f" at (row, col) {where}" if where else "")
            + "; mark a single start tile with 'S'."
        )
    if not (grid == "E").any():
        raise ValueError(
            "the layout has no end tile 'E'; add at least one 'E' so episodes can end."
        )
    n_power = int((grid == "P").sum())
    if n_power > MAX_POWER_TILES:
        raise ValueError(
            f"the layout has {n_power} power tiles 'P'; at most {MAX_POWER_TILES} are allowed "
            "because the state space grows as 2**(number of power tiles)."
        )
    return grid


def _check_options(options) -> None:
    """reset()'s options: None or a dict whose only key is "state"."""
    if options is None:
        return
    if not isinstance(options, dict):
        raise TypeError(
            f"options must be a dict such as {{'state': s}}, got {type(options).__name__}."
        )
    unknown = sorted(set(options) - {"state"})
    if unknown:
        raise ValueError(
            f"unknown reset option(s) {unknown}; the only option is 'state' "
            "(start there instead of the usual start state)."
        )


@dataclass(frozen=True)
class Route:
    """A path through the grid: S_0, A_0, R_1, S_1, ..., S_T (see :meth:`MineGrid.greedy_route`)."""

    states: tuple[int, ...]
    """S_0 .. S_T (T + 1 states)."""
    actions: tuple[int, ...]
    """A_0 .. A_{T-1}."""
    rewards: tuple[float, ...]
    """R_1 .. R_T."""
    terminated: bool
    """True when S_T is a mine or the end; False when the route was cut at ``max_steps``."""

    @property
    def steps(self) -> int:
        """T, the number of moves."""
        return len(self.actions)

    @property
    def arrows(self) -> str:
        """The moves as arrows, e.g. "→→↓↓↓→→↓"."""
        return "".join(ARROW_GLYPHS[a] for a in self.actions)

    @property
    def total_reward(self) -> float:
        """The undiscounted return R_1 + ... + R_T (the game's score)."""
        return float(sum(self.rewards))

    def discounted_return(self, gamma: float) -> float:
        """G_0 = sum_t gamma^t R_{t+1} of the route."""
        from rlcourse.mdp import discounted_return

        return discounted_return(self.rewards, gamma=gamma)


class MineGrid(gym.Env):
    """A robot walks a grid to the end tile, collecting power and avoiding mines ([D003]).

    ## Description
    The robot starts on 'S' and moves one tile per step. Each step costs 1 point, so the
    robot should reach the end 'E' quickly; a mine 'M' costs 100 points and ends the game;
    a power tile 'P' gives 1 point the first time it is entered (afterwards it is a blank
    tile); the end gives 100 points and ends the game. Walls '#' and the border cannot be
    entered: the robot stays where it is and pays the step cost.

    Default layout (``LAYOUTS["default"]``, 5 x 5, rows top to bottom)::

        S . . . .
        . M P M .
        . . . M .
        P M . . .
        . . . M E

    What dynamic programming says (``value_iteration(env.to_mdp(gamma=0.9))``):

    * ``slip=0``: V*(start) = 44.2327 = -1 - 0.9 + 0.9**2 - 0.9**3 - ... - 0.9**6
      + 100 * 0.9**7. The optimal route (8 steps) threads between the mines to collect the
      power tile at (1, 2): right, right, down (+1), down, down, right, right, down (+100).
      The other shortest routes (8 steps) collect no power. The power tile at (3, 0) lies
      only on 10-step routes (undiscounted return 93 against 95 here), so it is never worth
      the detour.
    * ``slip=0.1``: V*(start) = 16.4600. Walking between mines is now too risky: the
      optimal route goes along the top row and down the right column (right x4, down x4)
      and skips the power.

    ## Action Space
    ``Discrete(4)``: 0 up, 1 right, 2 down, 3 left (``ACTION_NAMES``).
    With probability ``slip`` the robot moves in one of the two directions perpendicular to
    the chosen one (``slip / 2`` each) instead.

    ## Observation Space
    ``Discrete(n_rows * n_cols * 2**K)`` with K power tiles. The state encodes the robot's
    position and which power tiles it has collected (a bit mask, bit i for the i-th 'P' in
    row-major order), so the state is Markov::

        s = mask * (n_rows * n_cols) + row * n_cols + col      # env.encode / env.decode

    With no power tiles this is ``row * n_cols + col``, as in gymnasium's CliffWalking.
    Some states can never occur (a wall tile, an uncollected power tile under the robot);
    they stay in the state space and in ``to_mdp()`` (they are harmless for DP).

    ## Starting State
    The robot starts on 'S' with nothing collected: ``env.start_state == encode(*S, 0)``.
    ``reset(options={"state": s})`` starts from any non-terminal state s instead (exploring
    starts, Monte Carlo control).

    ## Rewards
    On entering a tile: blank / start / already-collected power -1, uncollected power +1,
    mine -100, end +100. Bumping into the border or a wall: the robot stays, -1.

    ## Episode End
    * terminated: the robot enters a mine or the end.
    * truncated: ``max_steps`` steps have been taken without terminating (the env truncates
      itself; the registered id sets no ``max_episode_steps``). ``terminated`` takes
      precedence: a step that both terminates and reaches ``max_steps`` has truncated=False.
    Calling ``step`` after the episode ended (or before ``reset``) raises a RuntimeError:
    call ``reset()`` first.

    ## Information
    ``info = {"tile": tile entered ('P' only when collected now), "position": (row, col),
    "power_mask": mask, "steps": steps taken}``.

    ## Arguments
    ```python
    import gymnasium as gym
    import rlcourse  # registers the id
    env = gym.make("rlcourse/MineGrid-v0", layout="default", slip=0.0, max_steps=100,
                   render_mode="ansi")
    ```
    * ``layout``: a key of ``LAYOUTS`` ("default", "cliff", "small", "walls") or an ASCII
      map (rows separated by newlines, whitespace ignored, tiles ``S . P M E #``).
    * ``slip``: probability in [0, 1) of moving perpendicular to the chosen direction.
    * ``max_steps``: steps before truncation (>= 1).
    * ``render_mode``: None, "ansi" (text grid, robot 'R', collected power '.') or
      "rgb_array" ((H, W, 3) uint8 image, 32 pixels per tile).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    CELL = 32  # pixels per tile in "rgb_array"

    def __init__(
        self,
        layout: str = "default",
        slip: float = 0.0,
        max_steps: int = 100,
        render_mode: str | None = None,
    ):
        if not isinstance(layout, str):
            raise TypeError(
                "layout must be a str (a key of LAYOUTS or an ASCII map), got "
                f"{type(layout).__name__}."
            )
        if layout in LAYOUTS:
            self.layout_name: str | None = layout
            text = LAYOUTS[layout]
        elif "\n" in layout or set(layout.replace(" ", "")) <= set(TILES):
            self.layout_name, text = None, layout
        else:
            raise ValueError(
                f"unknown layout name {layout!r}; choose one of "
                f"{', '.join(repr(k) for k in LAYOUTS)} or pass an ASCII map of tiles "
                f"{' '.join(TILES)} (rows separated by newlines)."
            )
        if not 0.0 <= check_number(slip, "slip", "slip=0.2") < 1.0:
            raise ValueError(
                f"slip must be a probability in [0, 1), got {slip!r}; "
                "use slip=0.0 for a deterministic grid or e.g. slip=0.2."
            )
        check_positive_int(max_steps, "max_steps", 100)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode {render_mode!r} is not supported; use None, "
                + " or ".join(repr(m) for m in self.metadata["render_modes"])
                + "."
            )
        self.grid = parse_layout(text)  # (H, W) of one-character tiles
        self.n_rows, self.n_cols = self.grid.shape
        self.slip = float(slip)
        self.max_steps = int(max_steps)
        self.render_mode = render_mode

        # power tile i -> (row, col), row-major order; bit i of the mask is set once collected
        self.power_tiles: list[tuple[int, int]] = [
            (int(r), int(c)) for r, c in np.argwhere(self.grid == "P")
        ]
        self._power_index = {rc: i for i, rc in enumerate(self.power_tiles)}
        self.n_masks = 2 ** len(self.power_tiles)
        self.n_cells = self.n_rows * self.n_cols
        self.n_states = self.n_cells * self.n_masks
        self.n_actions = 4
        start_rc = np.argwhere(self.grid == "S")[0]
        self.start_position = (int(start_rc[0]), int(start_rc[1]))
        self.start_state = self.encode(*self.start_position, 0)
        self._ends = {(int(r), int(c)) for r, c in np.argwhere(np.isin(self.grid, ["M", "E"]))}

        self.observation_space = spaces.Discrete(self.n_states)
        self.action_space = spaces.Discrete(self.n_actions)

        self.s: int | None = None  # current state; None until reset
        self.steps = 0
        self._done = True
        self.last_action: int | None = None

    # ------------------------------------------------------------------ state encoding
    def encode(self, row: int, col: int, mask: int = 0) -> int:
        """s = mask * (n_rows * n_cols) + row * n_cols + col."""
        if not (type(row) is int and type(col) is int and type(mask) is int):  # fast path
            for name, x in (("row", row), ("col", col), ("mask", mask)):
                if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
                    raise TypeError(f"{name} must be an int, got {type(x).__name__} {x!r}.")
        if not (0 <= row < self.n_rows and 0 <= col < self.n_cols and 0 <= mask < self.n_masks):
            raise ValueError(
                f"(row={row}, col={col}, mask={mask}) is outside the grid: need 0 <= row < "
                f"{self.n_rows}, 0 <= col < {self.n_cols}, 0 <= mask < {self.n_masks}."
            )
        return int(mask * self.n_cells + row * self.n_cols + col)

    def decode(self, s: int) -> tuple[int, int, int]:
        """Inverse of ``encode``: s -> (row, col, mask)."""
        self._check_state(s)
        mask, cell = divmod(int(s), self.n_cells)
        row, col = divmod(cell, self.n_cols)
        return row, col, mask

    def position_of(self, s: int) -> tuple[int, int]:
        """The robot's (row, col) in state s."""
        row, col, _ = self.decode(s)
        return row, col

    def state_name(self, s: int) -> str:
        """'r0c1', with '|p01' appended when there are power tiles (char i: tile i collected)."""
        row, col, mask = self.decode(s)
        name = f"r{row}c{col}"
        if self.power_tiles:
            name += "|p" + "".join(str((mask >> i) & 1) for i in range(len(self.power_tiles)))
        return name

    @property
    def state_names(self) -> list[str]:
        return [self.state_name(s) for s in range(self.n_states)]

    def tile_at(self, row: int, col: int, mask: int = 0) -> str:
        """The tile the robot sees at (row, col) given the mask: collected power reads '.'."""
        tile = str(self.grid[row, col])
        if tile == "P" and (mask >> self._power_index[(row, col)]) & 1:
            return "."
        return tile

    def is_terminal(self, s: int) -> bool:
        """True for states on a mine or the end (absorbing, value 0)."""
        row, col, _ = self.decode(s)
        return bool(self.grid[row, col] in "ME")

    def _check_state(self, s) -> None:
        if type(s) is int and 0 <= s < self.n_states:  # the common case, fast
            return
        if (
            isinstance(s, (bool, np.bool_))
            or not isinstance(s, (int, np.integer))
            or not 0 <= s < self.n_states
        ):
            raise ValueError(
                f"state {s!r} is not a valid state index; states are integers in "
                f"[0, {self.n_states}) (use env.encode(row, col, mask))."
            )

    # ------------------------------------------------------------------ dynamics
    def move(self, s: int, direction: int) -> Outcome:
        """The deterministic result of moving in ``direction`` from non-terminal state s.

        This is the only place the rules live; ``step`` samples the direction (slip) and
        calls it, ``outcomes`` / ``to_mdp`` enumerate the directions with their probabilities.
        """
        row, col, mask = self.decode(s)
        direction = check_action(direction, self.n_actions, "direction")
        if (row, col) in self._ends:
            raise ValueError(
                f"state {self.state_name(s)!r} (index {s}) is terminal (a mine or the "
                "end): the episode is over there, nothing moves."
            )
        d_row, d_col = MOVES[direction]
        r2, c2 = row + int(d_row), col + int(d_col)
        if not (0 <= r2 < self.n_rows and 0 <= c2 < self.n_cols) or self.grid[r2, c2] == "#":
            return Outcome(1.0, s, STEP_REWARD, False)  # bump: stay, pay the step
        tile = self.tile_at(r2, c2, mask)
        if tile == "M":
            return Outcome(1.0, self.encode(r2, c2, mask), MINE_REWARD, True)
        if tile == "E":
            return Outcome(1.0, self.encode(r2, c2, mask), END_REWARD, True)
        if tile == "P":
            mask2 = mask | (1 << self._power_index[(r2, c2)])
            return Outcome(1.0, self.encode(r2, c2, mask2), POWER_REWARD, False)
        return Outcome(1.0, self.encode(r2, c2, mask), STEP_REWARD, False)

    def direction_probs(self, action: int) -> dict[int, float]:
        """P(actual direction | chosen action): 1 - slip ahead, slip/2 to each side."""
        action = check_action(action, self.n_actions, "action")
        probs = {action: 1.0 - self.slip}
        if self.slip > 0:
            for side in PERPENDICULAR[int(action)]:
                probs[side] = self.slip / 2
        return probs

    def outcomes(self, s: int, action: int) -> list[Outcome]:
        """All results of taking ``action`` in non-terminal state s, with probabilities."""
        return [self.move(s, d)._replace(prob=p) for d, p in self.direction_probs(action).items()]

    DENSE_LIMIT_BYTES = 2**30
    """to_mdp() refuses a dense P larger than this (1 GiB) and suggests sparse=True."""

    def to_mdp(self, *, gamma: float = 0.9, sparse: bool = False) -> MDP:
        """The exact model as an ``rlcourse.mdp.MDP``: P (S, A, S') dense, or CSR (S*A, S').

        P(s'|s,a) sums the slip outcomes; R(s,a) = sum_{s'} P(s'|s,a) r(s,a,s') is the expected
        reward on leaving s with a. Mine and end states are terminal (absorbing, self-loop with
        reward 0). Unreachable states (walls, an uncollected power tile under the robot)
        remain in the model with the same rules; they do not affect reachable values. gamma
        defaults to 0.9: the +100 of the end is then still worth chasing from anywhere on the
        default grid, and a 2-step detour for +2 is not.

        The state remembers which power tiles were collected, so a layout with K power tiles has
        n_rows * n_cols * 2**K states. A dense P larger than 1 GiB is refused with a message that
        says so; ``sparse=True`` builds a scipy.sparse CSR matrix of shape (S*A, S') instead
        (at most 3 entries per row).
        """
        import scipy.sparse as sp

        from rlcourse.mdp import MDP

        S, A = self.n_states, self.n_actions
        dense_bytes = S * A * S * 8
        if not sparse and dense_bytes > self.DENSE_LIMIT_BYTES:
            raise ValueError(
                f"this layout has {len(self.power_tiles)} power tiles, so its state (position and "
                f"which power tiles are collected) takes {self.n_cells} cells x 2**"
                f"{len(self.power_tiles)} masks = {S:,} values, and a dense P (S, A, S') would "
                f"need {dense_bytes / 2**30:.1f} GiB. Use to_mdp(sparse=True) (a CSR matrix of "
                f"about {S * A * 3 * 12 / 2**20:.0f} MiB) or a layout with fewer power tiles."
            )
        rows, cols, vals = [], [], []  # (s * A + a, s', p) triples
        R = np.zeros((S, A))  # (S, A)
        terminal = np.array([self.is_terminal(s) for s in range(S)])  # (S,)
        for s in range(S):
            for a in range(A):
                if terminal[s]:
                    rows.append(s * A + a), cols.append(s), vals.append(1.0)
                    continue
                for o in self.outcomes(s, a):
                    rows.append(s * A + a), cols.append(o.next_state), vals.append(o.prob)
                    R[s, a] += o.prob * o.reward
        P = sp.csr_matrix((vals, (rows, cols)), shape=(S * A, S))  # duplicates are summed
        if not sparse:
            P = P.toarray().reshape(S, A, S)  # (S, A, S')
        return MDP(P, R, terminal, gamma=gamma, states=self.state_names, actions=list(ACTION_NAMES))

    def greedy_route(self, Q_or_pi: ArrayLike, *, max_steps: int = 40) -> Route:
        """Follow argmax_a Q(s, a) (or a policy's most likely action) from the start.

        ``Q_or_pi`` is an (S, A) Q-table or policy; ties go to the lowest action index. Every
        move is taken as intended (no slip): with ``slip > 0`` this is the most likely path. Stops
        on a mine or the end, or after ``max_steps`` moves (a route that never ends, e.g. one
        that bumps into a wall forever, has ``terminated=False``).
        """
        from rlcourse.mdp import greedy_policy

        max_steps = check_positive_int(max_steps, "max_steps", 40)
        pi = greedy_policy(Q_or_pi)  # (S, A) one-hot, ties to the lowest index
        if pi.shape != (self.n_states, self.n_actions):
            raise ValueError(
                f"Q_or_pi must have shape (S, A) = ({self.n_states}, "
                f"{self.n_actions}), got {pi.shape}."
            )
        s, states, actions, rewards, terminated = (
            self.start_state,
            [self.start_state],
            [],
            [],
            False,
        )
        for _ in range(max_steps):
            a = int(pi[s].argmax())
            o = self.move(s, a)
            actions.append(a)
            rewards.append(o.reward)
            states.append(o.next_state)
            s = o.next_state
            if o.terminated:
                terminated = True
                break
        return Route(tuple(states), tuple(actions), tuple(rewards), terminated)

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start an episode on 'S' (or on ``options["state"]``); returns (obs, info)."""
        super().reset(seed=seed)
        s = self.start_state
        _check_options(options)
        if options and options.get("state") is not None:
            s = options["state"]
            self._check_state(s)
            if self.is_terminal(s):
                raise ValueError(
                    f"cannot start in terminal state {self.state_name(s)!r} (index {s}); "
                    "pick a state that is not on a mine or the end."
                )
            row, col, _ = self.decode(s)
            if self.grid[row, col] == "#":
                raise ValueError(
                    f"cannot start in state {self.state_name(s)!r} (index {s}): it is a wall."
                )
        self.s = int(s)
        self.steps = 0
        self._done = False
        self.last_action = None
        row, col, mask = self.decode(self.s)
        return self.s, {
            "tile": self.tile_at(row, col, mask),
            "position": (row, col),
            "power_mask": mask,
            "steps": 0,
        }

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Move (maybe slipping); returns (obs, reward, terminated, truncated, info)."""
        if self._done:
            raise RuntimeError(
                "the episode has ended (or reset() was never called); call env.reset() "
                "before env.step()."
            )
        if isinstance(action, (bool, np.bool_)) or not self.action_space.contains(action):
            raise ValueError(
                f"action {action!r} is not valid; use 0 up, 1 right, 2 down or 3 left."
            )
        action = int(action)
        directions = self.direction_probs(action)
        if len(directions) == 1:
            direction = action
        else:  # all randomness through self.np_random (reset(seed=...))
            keys = list(directions)
            direction = keys[int(self.np_random.choice(len(keys), p=list(directions.values())))]
        prev_mask = self.decode(self.s)[2]
        o = self.move(self.s, direction)
        self.s = o.next_state
        self.steps += 1
        self.last_action = action
        terminated = o.terminated
        truncated = (not terminated) and self.steps >= self.max_steps
        self._done = terminated or truncated
        row, col, mask = self.decode(self.s)
        tile = "P" if mask != prev_mask else self.tile_at(row, col, mask)
        info = {"tile": tile, "position": (row, col), "power_mask": mask, "steps": self.steps}
        return self.s, float(o.reward), bool(terminated), bool(truncated), info

    # ------------------------------------------------------------------ rendering
    def render(self) -> str | np.ndarray | None:
        """ "ansi": the grid as text; "rgb_array": a (H*32, W*32, 3) uint8 image."""
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; create the env with "
                'render_mode="ansi" or render_mode="rgb_array".'
            )
            return None
        if self.render_mode == "ansi":
            return self._render_text()
        return self._render_rgb()

    def _robot(self) -> tuple[int, int, int]:
        s = self.start_state if self.s is None else self.s
        return self.decode(s)

    def _render_text(self) -> str:
        row, col, mask = self._robot()
        lines = []
        for r in range(self.n_rows):
            chars = [
                "R" if (r, c) == (row, col) else self.tile_at(r, c, mask)
                for c in range(self.n_cols)
            ]
            lines.append(" ".join(chars))
        header = f"({ACTION_NAMES[self.last_action]})\n" if self.last_action is not None else ""
        return header + "\n".join(lines) + "\n"

    COLOURS = {
        "S": (170, 200, 255),  # light blue
        ".": (235, 235, 235),  # light grey
        "P": (250, 210, 40),  # yellow
        "M": (200, 40, 40),  # red
        "E": (60, 170, 80),  # green
        "#": (70, 70, 70),  # dark grey
    }
    ROBOT_COLOUR = (30, 60, 200)

    def _render_rgb(self) -> np.ndarray:
        k = self.CELL
        row, col, mask = self._robot()
        img = np.zeros((self.n_rows * k, self.n_cols * k, 3), dtype=np.uint8)  # (H, W, 3)
        yy, xx = np.mgrid[0:k, 0:k]  # (k, k) pixel coordinates inside a tile
        centre = (k - 1) / 2
        for r in range(self.n_rows):
            for c in range(self.n_cols):
                tile = self.tile_at(r, c, mask)
                cell = img[r * k : (r + 1) * k, c * k : (c + 1) * k]  # (k, k, 3) view
                cell[:] = self.COLOURS[tile]
                if tile == "M":  # a black disc marks a mine
                    cell[(yy - centre) ** 2 + (xx - centre) ** 2 <= (k / 5) ** 2] = (0, 0, 0)
                cell[0, :] = cell[:, 0] = (150, 150, 150)  # grid lines
        rr, cc = slice(row * k, (row + 1) * k), slice(col * k, (col + 1) * k)
        robot = (yy - centre) ** 2 + (xx - centre) ** 2 <= (k / 3) ** 2
        img[rr, cc][robot] = self.ROBOT_COLOUR
        return img

    def close(self) -> None:
        pass
