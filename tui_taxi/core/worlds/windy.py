"""Sutton & Barto's Windy Gridworld (Example 6.5), with king's moves and a stay action
(Exercise 6.9) and stochastic wind (Exercise 6.10), as a Gymnasium env with an exact
transition model ``P[s][a] -> [(p, s', r, terminated), ...]`` like the toy-text envs.

The grid has 7 rows and 10 columns; state ``s`` is the cell ``divmod(s, 10)`` (row 0 at the
top), as in Gymnasium's CliffWalking. An episode starts at (3, 0) and ends (``terminated``) on
reaching the goal (3, 7); every step costs -1. The wind of the column the agent is in *before*
it moves pushes it up by that many cells; move and push are added and the result is clipped
to the grid (a push into the top edge leaves the agent on the top row).

Stochastic wind (Exercise 6.10: "the effect of the wind, if there is any, is stochastic"):
in a column with wind ``w > 0`` the push is ``w - 1``, ``w`` or ``w + 1``, each with
probability 1/3, so each such (s, a) has three outcomes in ``P`` (two may reach the same cell
at the top edge). Columns without wind stay calm: one outcome.

No time limit is registered (the book has none, nor has CliffWalking-v1): an episode runs
until the goal; ``gymnasium.make(..., max_episode_steps=N)`` or tui-taxi's ``--max-steps``
cap it.
"""

from __future__ import annotations

import numpy as np

from tui_taxi.core.worlds.model_env import ModelEnv

SHAPE = (7, 10)
WIND = (0, 0, 0, 1, 1, 1, 2, 2, 1, 0)  # upward push per column
START = (3, 0)
GOAL = (3, 7)
STEP_REWARD = -1.0

#: (name, (d_row, d_col)) in action order: the four moves, the king's diagonals, stay.
MOVES = (("Up", (-1, 0)), ("Right", (0, 1)), ("Down", (1, 0)), ("Left", (0, -1)))
KING_MOVES = (
    ("Up-Right", (-1, 1)),
    ("Down-Right", (1, 1)),
    ("Down-Left", (1, -1)),
    ("Up-Left", (-1, -1)),
)
STAY = (("Stay", (0, 0)),)

Outcome = tuple[float, int, float, bool]


class WindyGridworldEnv(ModelEnv):
    """Windy Gridworld. ``king_moves`` adds the four diagonal moves (8 actions), ``stay`` an
    action that moves only with the wind (after the others: 5 actions, or 9 with king's
    moves), ``stochastic_wind`` makes a windy column's push vary by one either way."""

    def __init__(
        self,
        render_mode: str | None = None,
        king_moves: bool = False,
        stay: bool = False,
        stochastic_wind: bool = False,
    ) -> None:
        for name, value in (
            ("king_moves", king_moves),
            ("stay", stay),
            ("stochastic_wind", stochastic_wind),
        ):
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"WindyGridworld {name} must be True or False, got {value!r}")
        self._set_render_mode(render_mode)
        self.shape = SHAPE
        self.wind = np.array(WIND, dtype=np.int64)
        self.start = START
        self.goal = GOAL
        self.king_moves = bool(king_moves)
        self.stay = bool(stay)
        self.stochastic_wind = bool(stochastic_wind)
        moves = MOVES + (KING_MOVES if self.king_moves else ()) + (STAY if self.stay else ())
        self.action_names = tuple(name for name, _ in moves)
        self._deltas = tuple(delta for _, delta in moves)

        n_rows, n_cols = self.shape
        P = {
            s: {
                a: self._outcomes(*divmod(s, n_cols), *delta)
                for a, delta in enumerate(self._deltas)
            }
            for s in range(n_rows * n_cols)
        }
        self._set_model(P, self.to_state(*self.start))

    def to_state(self, row: int, col: int) -> int:
        return row * self.shape[1] + col

    def pushes(self, col: int) -> tuple[int, ...]:
        """The upward pushes the wind of column ``col`` may give (equally likely)."""
        w = int(self.wind[col])
        return (w - 1, w, w + 1) if self.stochastic_wind and w > 0 else (w,)

    def _outcomes(self, row: int, col: int, d_row: int, d_col: int) -> list[Outcome]:
        """The outcomes of a move from (row, col). The goal cell is never a current state (the
        episode ends there); its rows are computed like any other, as CliffWalking does."""
        n_rows, n_cols = self.shape
        pushes = self.pushes(col)
        outcomes = []
        for push in pushes:
            r = min(max(row + d_row - push, 0), n_rows - 1)
            c = min(max(col + d_col, 0), n_cols - 1)
            outcomes.append(
                (1.0 / len(pushes), self.to_state(r, c), STEP_REWARD, (r, c) == self.goal)
            )
        return outcomes

    def _render_text(self) -> str:
        """The grid (x the agent, S start, G goal, . floor), the wind under its columns, and
        the last action."""
        n_rows, n_cols = self.shape
        here = divmod(int(self.s), n_cols)
        lines = []
        for r in range(n_rows):
            cells = []
            for c in range(n_cols):
                if (r, c) == here:
                    cells.append("x")
                elif (r, c) == self.goal:
                    cells.append("G")
                elif (r, c) == self.start:
                    cells.append("S")
                else:
                    cells.append(".")
            lines.append(" ".join(cells))
        lines.append(" ".join(str(int(w)) for w in self.wind) + "  (wind)")
        return "\n".join(lines + self._last_action_line()) + "\n"
