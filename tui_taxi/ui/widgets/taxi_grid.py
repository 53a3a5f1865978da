"""The 5x5 Taxi map: walls, the four pads, passenger and destination, the taxi; cells grow with
the space the widget is given (a projector gets big cells)."""

from __future__ import annotations

import functools

from rich.console import Console
from rich.text import Text
from textual.strip import Strip

from tui_taxi.core.envs import TAXI_IN_TAXI, TAXI_LOCS, TAXI_PADS, taxi_decode, taxi_walls
from tui_taxi.protocol import Snapshot
from tui_taxi.ui.colors import PAD_COLORS, TAXI_EMPTY, TAXI_FULL, WALL, text_on
from tui_taxi.ui.widgets.last_action import last_action_text
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

FLOOR = "#1c1c22"
PASSENGER = "☺"
FLAG = "⚑"


class TaxiGrid(SnapshotView):
    """Drawn with the Line API from cached strips: a map depends only on the state and the cell
    size, and converting styled text anew each frame was the costliest part of a turbo frame."""

    DEFAULT_CSS = """
    TaxiGrid { height: auto; min-height: 8; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[Strip] = []
        self._lines_for: tuple = ()  # (snapshot, size) the cached lines were drawn for

    def render_line(self, y: int) -> Strip:
        if self.snapshot is not None and self._lines_for != (self.snapshot, self.size):
            self._lines = self._strips(self.snapshot)  # new data or a new size (cells follow it)
            self._lines_for = (self.snapshot, self.size)
        width, style = self.size.width, self.rich_style
        if y < len(self._lines):
            return self._lines[y].apply_style(style).extend_cell_length(width, style).crop(0, width)
        return Strip.blank(width, style)

    def _strips(self, snap: Snapshot) -> list[Strip]:
        width = self.size.width or 32
        cell_w, cell_h = self._cell_size(width, self.size.height or 8)
        return [*_map_strips(snap.state, cell_w, cell_h, width),
                *_to_strips(last_action_text(snap), width)]  # fmt: skip

    def get_content_height(self, container, viewport, width: int) -> int:
        _, cell_h = self._cell_size(width, self.max_rows or 8)
        return 5 * cell_h + 3

    def _cell_size(self, width: int, height: int) -> tuple[int, int]:
        """Cells as wide as the column allows and as tall as the rows given allow, about twice
        as wide as tall in characters (terminal cells are about twice as tall as wide)."""
        cell_w = max(5, min(13, (width - 6) // 5))
        cell_h = max(1, min(3, (height - 3) // 5, cell_w // 3))
        return cell_w, cell_h


@functools.lru_cache(maxsize=2048)
def _map_strips(state: int, cell_w: int, cell_h: int, width: int) -> tuple[Strip, ...]:
    return tuple(_to_strips(map_text(state, cell_w, cell_h), width))


def _to_strips(text: Text, width: int) -> list[Strip]:
    console = Console(width=width, color_system="truecolor", legacy_windows=False)
    lines = console.render_lines(text, console.options.update(width=width), pad=False)
    return [Strip(line).crop(0, width) for line in lines]


def map_text(state: int, cell_w: int, cell_h: int) -> Text:
    """The map for one Taxi state, with cells ``cell_w`` x ``cell_h`` characters."""
    row, col, passenger, dest = taxi_decode(state)
    walls = taxi_walls()
    pads = {loc: i for i, loc in enumerate(TAXI_LOCS)}
    border = f"bold {WALL}"
    text = Text()
    text.append("┏" + "━" * (5 * cell_w + 4) + "┓\n", style=border)
    for r in range(5):
        lines = [Text("┃", style=border) for _ in range(cell_h)]
        for c in range(5):
            cell = _cell(
                r, c, pads.get((r, c)), (r, c) == (row, col), passenger, dest, cell_w, cell_h
            )
            for i in range(cell_h):
                lines[i].append_text(cell[i])
                if c < 4:
                    wall = (r, c) in walls
                    lines[i].append("┃" if wall else "┆", style=border if wall else "#44444c")
        for line in lines:
            line.append("┃\n", style=border)
            text.append_text(line)
    text.append("┗" + "━" * (5 * cell_w + 4) + "┛", style=border)
    return text


def _cell(r, c, pad, has_taxi, passenger, dest, cell_w, cell_h) -> list[Text]:
    """One cell as ``cell_h`` lines: pad letter and passenger/flag on top, the taxi at the bottom
    (the same line when the cell is one line tall)."""
    bg = PAD_COLORS[pad] if pad is not None else FLOOR
    plain = f"on {bg}"
    rows = [[(" ", plain)] * cell_w for _ in range(cell_h)]
    if pad is not None:
        mark = f"bold {text_on(bg)} on {bg}"
        rows[0][0] = (TAXI_PADS[pad], mark)
        if pad == passenger:
            rows[0][-1] = (PASSENGER, mark)
        elif pad == dest:
            rows[0][-1] = (FLAG, mark)
    if has_taxi:
        carrying = passenger == TAXI_IN_TAXI
        style = f"bold #000000 on {TAXI_FULL if carrying else TAXI_EMPTY}"
        width = max(3, cell_w - 2)
        start = (cell_w - width) // 2
        label = ("T" + PASSENGER) if carrying else "T"
        for i, char in enumerate(f"{label:^{width}}"):
            rows[-1][start + i] = (char, style)
    return [Text.assemble(*row) for row in rows]
