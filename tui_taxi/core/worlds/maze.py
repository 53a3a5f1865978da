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

from tui_taxi.core.worlds.model_env import ModelEnv

SHAPE = (6, 9)
START = (2, 0)
GOAL = (0, 8)
WALLS = ((1, 2), (2, 2), (3, 2), (4, 5), (0, 7), (1, 7), (2, 7))
GOAL_REWARD = 1.0
#: (name, (d_row, d_col)) in action order.
MOVES = (("Up", (-1, 0)), ("Right", (0, 1)), ("Down", (1, 0)), ("Left", (0, -1)))

Outcome = tuple[float, int, float, bool]


class DynaMazeEnv(ModelEnv):
    """Example 8.1's maze: 6x9, seven wall cells, +1 at the goal, 0 otherwise."""

    def __init__(self, render_mode: str | None = None) -> None:
        self._set_render_mode(render_mode)
        self.shape = SHAPE
        self.start, self.goal, self.walls = START, GOAL, WALLS
        self.action_names = tuple(name for name, _ in MOVES)
        n_rows, n_cols = SHAPE
        P = {
            s: {a: self._outcomes(*divmod(s, n_cols), *delta) for a, (_, delta) in enumerate(MOVES)}
            for s in range(n_rows * n_cols)
        }
        self._set_model(P, self.to_state(*START))

    def to_state(self, row: int, col: int) -> int:
        return row * SHAPE[1] + col

    def _outcomes(self, row: int, col: int, d_row: int, d_col: int) -> list[Outcome]:
        r, c = row + d_row, col + d_col
        if not (0 <= r < SHAPE[0] and 0 <= c < SHAPE[1]) or (r, c) in WALLS:
            r, c = row, col  # blocked: the agent stays
        at_goal = (r, c) == GOAL
        return [(1.0, self.to_state(r, c), GOAL_REWARD if at_goal else 0.0, at_goal)]

    def _render_text(self) -> str:
        lines = []
        for row in range(SHAPE[0]):
            cells = []
            for col in range(SHAPE[1]):
                here = self.to_state(row, col) == self.s
                mark = "#" if (row, col) in WALLS else "S" if (row, col) == START else "."
                cells.append("x" if here else "G" if (row, col) == GOAL else mark)
            lines.append(" ".join(cells))
        return "\n".join(lines + self._last_action_line()) + "\n"
