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
                _cell(text, body, bg, s == last, s == following and line == 1)
    return text


def _cell(text: Text, body: str, bg: str, last: bool, following: bool) -> None:
    """One line of a cell on its value's colour: the state backed up last in bold reverse,
    the next in sweep order underlined (its second line)."""
    style = f"{text_on(bg)} on {bg}"
    if last:
        style = f"bold reverse {style}"
    elif following:
        style = f"underline {style}"
    text.append(f"{body[: CELL_W - 1]:^{CELL_W}}", style=style)


#: Taxi's actions in a cell's arrow line (Pickup and Dropoff as letters).
TAXI_MARKS = {"Pickup": "p", "Dropoff": "d"}


def taxi_slices() -> list[tuple[int, int]]:
    """Taxi's (passenger, destination) pairs, each a map of 25 taxi cells: the passenger at a
    pad (0-3) or in the taxi (4), the destination another pad."""
    return [(p, d) for p in range(5) for d in range(4) if p != d]


def taxi_slice_name(part: int) -> str:
    from tui_taxi.core.envs import TAXI_PADS

    passenger, dest = taxi_slices()[part % len(taxi_slices())]
    where = "in the taxi" if passenger == 4 else f"at {TAXI_PADS[passenger]}"
    return f"passenger {where}, destination {TAXI_PADS[dest]}"


def taxi_planner_text(
    model: CompiledEnv,
    v: np.ndarray,
    greedy: np.ndarray,
    last: int | None,
    following: int,
    part: int = 0,
) -> Text:
    """Taxi's values for one (passenger, destination) slice as its map: each of the 25 taxi
    cells with V(s) and its greedy moves (p pick up, d drop off; ties: every one), walls as
    walls, the pads lettered."""
    from tui_taxi.core.envs import TAXI_LOCS, TAXI_PADS, taxi_encode, taxi_walls

    passenger, dest = taxi_slices()[part % len(taxi_slices())]
    states = [taxi_encode(r, c, passenger, dest) for r in range(5) for c in range(5)]
    scale = SequentialScale.of(v[states])
    walls = taxi_walls()
    pads = {loc: TAXI_PADS[i] for i, loc in enumerate(TAXI_LOCS)}
    border = "bold #c8c8c8"
    text = Text("┏" + "━" * (5 * CELL_W + 4) + "┓", style=border)
    for r in range(5):
        for line in range(2):
            text.append("\n┃", style=border)
            for c in range(5):
                s = states[r * 5 + c]
                if line == 0:
                    body = f"{v[s]:.2f}"
                else:
                    names = [model.action_names[a] for a in np.flatnonzero(greedy[s])]
                    body = "".join(TAXI_MARKS.get(n) or ARROWS.get(n, "?") for n in names)
                    pad = pads.get((r, c))
                    body = f"{pad}{body}" if pad else body
                _cell(text, body, scale.hex(float(v[s])), s == last, s == following and line == 1)
                if c < 4:
                    text.append("┃" if (r, c) in walls else "┆", style=border)
            text.append("┃", style=border)
    text.append("\n┗" + "━" * (5 * CELL_W + 4) + "┛", style=border)
    return text


JACK_SIDE = 21  # cars 0..20 at each location
#: A colour per move, -5..5 (ColorBrewer's RdBu, 0 a dark grey): one move away from 0 is
#: already a clear tint, so the contours of Figure 4.2 read on a projector.
JACK_COLORS = (
    "#2166ac", "#4393c3", "#6baed6", "#92c5de", "#c6dbef", "#3a3a44",
    "#fcd3bc", "#f4a582", "#e7765a", "#d6604d", "#b2182b",
)  # fmt: skip


def jack_policy_text(greedy: np.ndarray, rows: int) -> Text:
    """Jack's policy as the book's Figure 4.2 maps it: the cars at the first location up (20
    at the top), at the second across; each move (+: from the first location to the second)
    a colour, with its number where there are ``rows`` for a line a count, else two counts a
    line in half blocks under a legend of the colours. Ties: the smallest move."""
    moves = (greedy.argmax(axis=1) - 5).reshape(JACK_SIDE, JACK_SIDE)

    def colour(m: int) -> str:
        return JACK_COLORS[int(m) + 5]

    numbers = rows >= JACK_SIDE + 3  # (its title, the axis, the axis's words)
    text = Text("cars moved overnight from the first location to the second (−: back):\n")
    if not numbers:
        text.append("moves ")
        for m in range(-5, 6):
            bg = colour(m)
            text.append(f"{m:+d}"[-2:] if m else " 0", style=f"{text_on(bg)} on {bg}")
            text.append(" ")
        text.append("\n")
    if numbers:
        for n1 in range(JACK_SIDE - 1, -1, -1):
            text.append(f"{n1:>3} ")
            for n2 in range(JACK_SIDE):
                bg = colour(moves[n1, n2])
                text.append(f"{int(moves[n1, n2]):>3}", style=f"{text_on(bg)} on {bg}")
            text.append("\n")
        text.append("    " + "".join(f"{n2:>3}" for n2 in range(JACK_SIDE)))
        text.append("\n    ↑ cars at the first location · → cars at the second")
        return text
    for top in range(JACK_SIDE - 1, -1, -2):  # two counts a line: top half, bottom half
        label = f"{top:>2}-{top - 1:<2}" if top else " 0"
        text.append(f"{label:<5} ")
        for n2 in range(JACK_SIDE):
            upper = colour(moves[top, n2])
            style = f"{upper} on {colour(moves[top - 1, n2])}" if top else upper
            text.append("▀▀", style=style)
        text.append("\n")
    axis = [" "] * (6 + 2 * JACK_SIDE)
    for n2 in (0, 10, 20):
        axis[6 + 2 * n2 : 6 + 2 * n2 + len(str(n2))] = str(n2)
    text.append("".join(axis) + " ↑ cars at the first · → at the second")
    return text
