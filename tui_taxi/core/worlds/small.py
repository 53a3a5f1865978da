"""Sutton & Barto's small gridworld (Example 4.1), the world of Figure 4.1, as a Gymnasium env
with an exact transition model ``P[s][a] -> [(p, s', r, terminated)]`` like the toy-text envs.

The grid is 4x4; state ``s`` is the cell ``divmod(s, 4)`` (row 0 at the top). The two shaded
corners, states 0 and 15, are terminal: an episode ends on reaching one. Every step costs -1; a
move off the grid leaves the state unchanged (and costs -1). An episode starts in any of the 14
other states, equally likely. A terminal state's rows are absorbing (reward 0, terminated), as
FrozenLake's holes are, so a planner's value of it is 0, as the book draws it.
"""

from __future__ import annotations

import numpy as np

from tui_taxi.core.worlds.model_env import ModelEnv

SIZE = 4
TERMINALS = (0, SIZE * SIZE - 1)
STEP_REWARD = -1.0
#: (name, (d_row, d_col)) in action order.
MOVES = (("Up", (-1, 0)), ("Right", (0, 1)), ("Down", (1, 0)), ("Left", (0, -1)))

Outcome = tuple[float, int, float, bool]


class SmallGridworldEnv(ModelEnv):
    """Example 4.1's 4x4 gridworld: two terminal corners, -1 a step, moves off the grid stay."""

    def __init__(self, render_mode: str | None = None) -> None:
        self._set_render_mode(render_mode)
        self.shape = (SIZE, SIZE)
        self.action_names = tuple(name for name, _ in MOVES)
        self.terminal_states = TERMINALS
        self.success_reward = STEP_REWARD  # reaching a corner is the goal, at the step's cost
        # the map, as FrozenLake's: G a terminal corner, F floor (an episode starts on any F)
        rows = ["F" * SIZE for _ in range(SIZE)]
        for s in TERMINALS:
            r, c = divmod(s, SIZE)
            rows[r] = rows[r][:c] + "G" + rows[r][c + 1 :]
        self.desc = np.asarray([list(row) for row in rows], dtype="c")
        P = {s: {a: self._outcomes(s, a) for a in range(len(MOVES))} for s in range(SIZE * SIZE)}
        starts = np.array([0.0 if s in TERMINALS else 1.0 for s in range(SIZE * SIZE)])
        self._set_model(P, starts / starts.sum())  # any cell but the corners

    def _outcomes(self, s: int, a: int) -> list[Outcome]:
        if s in TERMINALS:  # absorbing: never a current state of an episode
            return [(1.0, s, 0.0, True)]
        row, col = divmod(s, SIZE)
        d_row, d_col = MOVES[a][1]
        r, c = row + d_row, col + d_col
        if not (0 <= r < SIZE and 0 <= c < SIZE):  # off the grid: the state is unchanged
            r, c = row, col
        s_next = r * SIZE + c
        return [(1.0, s_next, STEP_REWARD, s_next in TERMINALS)]

    def _render_text(self) -> str:
        lines = []
        for row in range(SIZE):
            cells = []
            for col in range(SIZE):
                s = row * SIZE + col
                cells.append("x" if s == self.s else "T" if s in TERMINALS else ".")
            lines.append(" ".join(cells))
        return "\n".join(lines + self._last_action_line()) + "\n"
