"""Grid worlds (FrozenLake, CliffWalking, Windy Gridworld and any env with a GridGeometry):
a compact map of the world, and the value grid that colours each cell by max Q(s, ·) with its
greedy action, or (the per-action view) splits each cell into its actions' values."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from tui_taxi.core.envs import CompiledEnv, GridGeometry
from tui_taxi.core.worlds import ARROWS
from tui_taxi.ui.colors import SequentialScale, text_on
from tui_taxi.ui.widgets.last_action import last_action_text
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

AGENT = "●"
DIM = "#8a8a96"
#: How each kind of cell looks on the map: (glyph, foreground, background).
KIND = {
    "S": ("S", "#000000", "#7fb3ff"),
    "G": ("G", "#000000", "#3aa655"),
    "H": ("○", "#9ec9ff", "#17324d"),
    "C": ("▒", "#ff8a80", "#5a1d1d"),
    "W": ("█", "#6a6a78", "#2a2a33"),
    "F": ("·", "#55555f", "#1c1c22"),
}
AGENT_COLOUR = "#f2c12e"
#: Where each action sits in a 3x3 compass (the per-action view).
COMPASS = {
    "Up-Left": (0, 0),
    "Up": (0, 1),
    "North": (0, 1),
    "Up-Right": (0, 2),
    "Left": (1, 0),
    "West": (1, 0),
    "Stay": (1, 1),
    "Right": (1, 2),
    "East": (1, 2),
    "Down-Left": (2, 0),
    "Down": (2, 1),
    "South": (2, 1),
    "Down-Right": (2, 2),
}


def wind_text(grid: GridGeometry, cell_w: int, indent: int, width: int | None = None) -> Text:
    """The wind of each column under the grid: ↑ once per unit, nothing where it is calm; its
    label where ``width`` leaves room for it (the help names the arrows anyway)."""
    text = Text(" " * indent)
    for strength in grid.wind or ():
        mark = "↑" * strength if strength else "·"
        text.append(f"{mark:^{cell_w}}", style="bold #7fb3ff" if strength else DIM)
    if width is None or text.cell_len + 6 <= width:
        text.append("  wind", style=DIM)
    return text


class GridWorldMap(SnapshotView):
    """The world itself, small: the cells' meaning, the agent, the wind, the last action."""

    def __init__(self, model: CompiledEnv, **kwargs) -> None:
        super().__init__(**kwargs)
        grid = model.grid
        self.styles.height = grid.n_rows + (1 if grid.wind else 0) + 1  # map, wind, last action

    def text(self) -> Text | None:
        snap = self.snapshot
        if snap is None or snap.model.grid is None:
            return None
        grid = snap.model.grid
        cell_w = max(1, min(3, (self.size.width or 32) // grid.n_cols))
        text = map_text(grid, snap.state, cell_w)
        if grid.wind:
            text.append("\n")
            text.append_text(wind_text(grid, cell_w, 0, self.size.width or None))
        text.append("\n")
        text.append_text(last_action_text(snap))
        return text


def map_text(grid: GridGeometry, state: int, cell_w: int) -> Text:
    """The map with cells ``cell_w`` characters wide, the agent on its cell."""
    here = grid.cell(state)
    text = Text()
    for r in range(grid.n_rows):
        if r:
            text.append("\n")
        for c in range(grid.n_cols):
            glyph, fg, bg = KIND[grid.kind(r, c)]
            if (r, c) == here:
                glyph, fg = AGENT, AGENT_COLOUR
            text.append(f"{glyph:^{cell_w}}", style=f"bold {fg} on {bg}")
    return text


class ValueGrid(SnapshotView):
    """Every state of the grid as a cell coloured by max Q(s, ·) with its greedy action as an
    arrow (ties: a dot), the agent and the special cells marked; ``per_action`` splits each
    cell into a compass of its actions, each coloured by its own Q-value."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.per_action = False

    def toggle_per_action(self) -> bool:
        self.per_action = not self.per_action
        self.refresh_text()
        return self.per_action

    def text(self) -> Text | None:
        snap = self.snapshot
        if snap is None or snap.model.grid is None:
            return None
        cell_w, cell_h = value_cell_size(snap.model, self.size.width or 66, self.size.height or 27)
        return value_grid_text(
            snap.model, snap.q, snap.state, cell_w, cell_h, self.per_action, snap.q_label
        )


def value_cell_size(model: CompiledEnv, width: int, height: int) -> tuple[int, int]:
    """Cells as big as the space allows, about twice as wide as tall, at least a 3x3 compass."""
    grid = model.grid
    extra = 2 + (1 if grid.wind else 0)  # legend and title lines, the wind row
    cell_w = max(5, min(11, width // grid.n_cols))
    cell_h = max(3, min(5, (height - extra) // grid.n_rows, cell_w // 2))
    return cell_w, cell_h


def value_grid_size(model: CompiledEnv, width: int, height: int) -> tuple[int, int]:
    """(columns, rows) the value grid takes in a ``width`` x ``height`` space."""
    grid = model.grid
    cell_w, cell_h = value_cell_size(model, width, height)
    return grid.n_cols * cell_w, grid.n_rows * cell_h + 2 + (1 if grid.wind else 0)


def value_grid_text(
    model: CompiledEnv,
    q: np.ndarray,
    state: int,
    cell_w: int,
    cell_h: int,
    per_action: bool,
    label: str = "",
) -> Text:
    """The grid of values (``label``: what ``q`` holds when not the agent's values: "Q*", or
    "|Q−Q*|", an error, drawn without greedy arrows)."""
    grid = model.grid
    best = q.max(axis=1)
    walkable = np.array([k not in "HCGW" for k in "".join(grid.kinds)])  # where actions matter
    scale = SequentialScale.of(
        (q if per_action else best)[walkable], worse_up=label.startswith("|")
    )
    names = model.action_names
    here = grid.cell(state)
    name = label or "Q"
    title = (
        f"{name} per action (compass: each action's value)"
        if per_action
        else f"max {name}(s,·) and greedy action (· a tie)"
    )
    if label.startswith("|") and not per_action:  # an error: the arrow is the worst action
        title = f"max {label}(s,·), the network's error; arrow: the action most wrong"
    text = Text(f"{title}\n", style="bold")
    for r in range(grid.n_rows):
        lines = [Text() for _ in range(cell_h)]
        for c in range(grid.n_cols):
            s = r * grid.n_cols + c
            cell = (_compass_cell if per_action else _value_cell)(
                grid.kind(r, c), q[s], names, scale, cell_w, cell_h, (r, c) == here
            )
            for line, part in zip(lines, cell, strict=True):
                line.append_text(part)
        for line in lines:
            text.append_text(line)
            text.append("\n")
    if grid.wind:
        text.append_text(wind_text(grid, cell_w, 0))
        text.append("\n")
    text.append_text(_legend(scale, grid))
    return text


def _value_cell(kind, values, names, scale, cell_w, cell_h, here) -> list[Text]:
    """A cell coloured by max Q, its greedy arrow in the middle; the kind of cell in the top
    left corner, the agent in the top right."""
    bg = scale.hex(float(values.max())) if kind not in "HCGW" else KIND[kind][2]
    fg = text_on(bg)
    rows = [[" "] * cell_w for _ in range(cell_h)]
    if kind in "HCGW":  # no action is taken there: no arrow
        rows[cell_h // 2][cell_w // 2] = KIND[kind][0]
    else:
        greedy = np.flatnonzero(values == values.max())
        rows[cell_h // 2][cell_w // 2] = (
            ARROWS.get(names[greedy[0]], "?") if len(greedy) == 1 else "·"
        )
    if kind == "S":
        rows[0][0] = kind
    if here:
        rows[0][-1] = AGENT
    out = []
    for i, row in enumerate(rows):
        line = Text("".join(row), style=f"{fg} on {bg}")
        if here and i == 0:
            line.stylize(f"bold {AGENT_COLOUR} on {bg}", cell_w - 1, cell_w)
        if i == cell_h // 2:
            line.stylize(f"bold {fg} on {bg}", cell_w // 2, cell_w // 2 + 1)
        out.append(line)
    return out


def _compass_cell(kind, values, names, scale, cell_w, cell_h, here) -> list[Text]:
    """Each action's arrow where it points, on its own value's colour; the best ones bold."""
    floor = KIND["F"][2] if kind not in "HCW" else KIND[kind][2]
    rows = [Text(" " * cell_w, style=f"on {floor}") for _ in range(cell_h)]
    top, mid = (cell_h - 3) // 2, cell_w // 2
    best = values.max()
    if kind in "HCGW":
        rows[top + 1] = _put(rows[top + 1], mid, KIND[kind][0], f"bold {KIND[kind][1]} on {floor}")
    else:
        for a, name in enumerate(names):
            r, c = COMPASS.get(name, (1, 1))
            bg = scale.hex(float(values[a]))
            style = f"{'bold ' if values[a] == best else ''}{text_on(bg)} on {bg}"
            rows[top + r] = _put(rows[top + r], mid + (c - 1), ARROWS.get(name, "?"), style)
    if here:
        rows[0] = _put(rows[0], cell_w - 1, AGENT, f"bold {AGENT_COLOUR} on {floor}")
    return rows


def _put(line: Text, at: int, glyph: str, style: str) -> Text:
    plain = line.plain
    out = Text(plain[:at], style=line.style)
    out.append(glyph, style=style)
    out.append(plain[at + 1 :], style=line.style)
    return out


#: The legend's words for each kind of cell.
KIND_NAMES = {"S": "start", "G": "goal", "H": "hole", "C": "cliff", "W": "wall"}


def _legend(scale: SequentialScale, grid: GridGeometry) -> Text:
    """The colour scale, then the kinds of cell this world has."""
    low, high = ("#3aa655", "#d64545") if scale.worse_up else ("#d64545", "#3aa655")
    text = Text(f"≤{scale.low:+.1f} ", style=low)
    for value in np.linspace(scale.low, scale.high, 9):
        text.append("█", style=scale.hex(float(value)))
    text.append(f" {scale.high:+.1f}", style=high)
    present = set("".join(grid.kinds))
    for kind, name in KIND_NAMES.items():
        if kind in present:
            text.append(f" {KIND[kind][0] if kind in 'HCW' else kind} {name}", style=DIM)
    text.append(f" {AGENT} agent", style=DIM)
    return text
