"""A planner's value grid: each cell of a grid world with V(s) to two decimals, its greedy
arrows (every tie: several arrows, as the book's Figure 4.1), coloured by value; the state
backed up last and the next in sweep order marked."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.planning.dp import end_states
from tui_taxi.core.worlds import ARROWS
from tui_taxi.ui.colors import SequentialScale, text_on
from tui_taxi.ui.widgets.grid_world import KIND

CELL_W = 7  # "-14.00" and a space


def planner_grid_text(
    model: CompiledEnv, v: np.ndarray, greedy: np.ndarray, last: int | None, following: int
) -> Text:
    """Two lines a row of cells: V(s), then its greedy arrows; ``last`` (backed up last) in
    bold reverse, ``following`` (next in sweep order) underlined."""
    grid = model.grid
    ends = end_states(model)
    live = v[~ends] if np.any(~ends) else v
    scale = SequentialScale.of(live)
    text = Text()
    for r in range(grid.n_rows):
        for line in range(2):
            if r or line:
                text.append("\n")
            for c in range(grid.n_cols):
                s = r * grid.n_cols + c
                kind = grid.kind(r, c)
                if ends[s]:
                    bg = KIND[kind][2] if kind in KIND else KIND["F"][2]
                    body = KIND[kind][0] if line == 0 and kind in "GWCH" else ""
                else:
                    bg = scale.hex(float(v[s]))
                    if line == 0:
                        body = f"{v[s]:.2f}"
                    else:
                        names = [model.action_names[a] for a in np.flatnonzero(greedy[s])]
                        body = "".join(ARROWS.get(n, "?") for n in names)
                style = f"{text_on(bg)} on {bg}"
                if s == last:
                    style = f"bold reverse {style}"
                elif s == following and line == 1:
                    style = f"underline {style}"
                text.append(f"{body[: CELL_W - 1]:^{CELL_W}}", style=style)
    return text
