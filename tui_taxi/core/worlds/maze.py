"""Sutton & Barto's Dyna maze (Example 8.1, Figure 8.2) as a Gymnasium env with an exact
transition model ``P[s][a] -> [(p, s', r, terminated)]`` like the toy-text envs.

The grid has 6 rows and 9 columns; state ``s`` is the cell ``divmod(s, 9)`` (row 0 at the
top). An episode starts at S, (2, 0), and ends on reaching G, (0, 8), with reward +1; every
other step gives 0. Walls (as the book's figure and its authors' code place them) block moves:
a move into a wall or off the grid leaves the state unchanged. The shortest path takes 14
steps. A wall cell is never a state of an episode (its rows are computed like any other's, as
CliffWalking's cliff cells are). No time limit is registered, as in the book.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import Env, logger, spaces
from gymnasium.envs.toy_text.utils import categorical_sample

SHAPE = (6, 9)
START = (2, 0)
GOAL = (0, 8)
WALLS = ((1, 2), (2, 2), (3, 2), (4, 5), (0, 7), (1, 7), (2, 7))
GOAL_REWARD = 1.0
#: (name, (d_row, d_col)) in action order.
MOVES = (("Up", (-1, 0)), ("Right", (0, 1)), ("Down", (1, 0)), ("Left", (0, -1)))

Outcome = tuple[float, int, float, bool]


class DynaMazeEnv(Env):
    """Example 8.1's maze: 6x9, seven wall cells, +1 at the goal, 0 otherwise."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"DynaMaze render_mode must be 'ansi' or None, got {render_mode!r}")
        self.shape = SHAPE
        self.start, self.goal, self.walls = START, GOAL, WALLS
        self.action_names = tuple(name for name, _ in MOVES)
        n_rows, n_cols = SHAPE
        self.nS, self.nA = n_rows * n_cols, len(MOVES)
        self.P = {
            s: {a: self._outcomes(*divmod(s, n_cols), *MOVES[a][1]) for a in range(self.nA)}
            for s in range(self.nS)
        }
        self.start_state_index = self.to_state(*START)
        self.initial_state_distrib = np.zeros(self.nS)
        self.initial_state_distrib[self.start_state_index] = 1.0
        self.observation_space = spaces.Discrete(self.nS)
        self.action_space = spaces.Discrete(self.nA)
        self.render_mode = render_mode
        self.s = self.start_state_index
        self.lastaction: int | None = None

    def to_state(self, row: int, col: int) -> int:
        return row * SHAPE[1] + col

    def _outcomes(self, row: int, col: int, d_row: int, d_col: int) -> list[Outcome]:
        r, c = row + d_row, col + d_col
        if not (0 <= r < SHAPE[0] and 0 <= c < SHAPE[1]) or (r, c) in WALLS:
            r, c = row, col  # blocked: the agent stays
        at_goal = (r, c) == GOAL
        return [(1.0, self.to_state(r, c), GOAL_REWARD if at_goal else 0.0, at_goal)]

    def step(self, a: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        p, s, r, terminated = self.P[self.s][int(a)][0]
        self.s = s
        self.lastaction = int(a)
        return int(s), float(r), bool(terminated), False, {"prob": p}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.s = int(categorical_sample(self.initial_state_distrib, self.np_random))
        self.lastaction = None
        return int(self.s), {"prob": 1.0}

    def render(self) -> str | None:
        if self.render_mode is None:
            logger.warn(
                "You are calling render method without specifying any render mode, e.g. "
                'gymnasium.make("tui_taxi/DynaMaze-v0", render_mode="ansi")'
            )
            return None
        lines = []
        for row in range(SHAPE[0]):
            cells = []
            for col in range(SHAPE[1]):
                here = self.to_state(row, col) == self.s
                mark = "#" if (row, col) in WALLS else "S" if (row, col) == START else "."
                cells.append("x" if here else "G" if (row, col) == GOAL else mark)
            lines.append(" ".join(cells))
        if self.lastaction is not None:
            lines.append(f"  ({self.action_names[self.lastaction]})")
        return "\n".join(lines) + "\n"
