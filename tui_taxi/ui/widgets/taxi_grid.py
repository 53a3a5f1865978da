"""The 5x5 Taxi map: walls, the four pads, passenger and destination, the taxi; cells grow with
the space the widget is given (a projector gets big cells)."""

from __future__ import annotations

import functools

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui_taxi.core.envs import TAXI_IN_TAXI, TAXI_LOCS, TAXI_PADS, taxi_decode, taxi_walls
from tui_taxi.protocol import Snapshot
from tui_taxi.ui.colors import PAD_COLORS, TAXI_EMPTY, TAXI_FULL, WALL, text_on
from tui_taxi.ui.widgets.last_action import last_action_text
from tui_taxi.ui.widgets.line_cache import text_strips
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
        self._lines_for: tuple = ()  # (snapshot, size) the lines were drawn for

    def render_lines(self, crop):
        if self.snapshot is not None and self._lines_for != (self.snapshot, self.size):
            self._lines_for = (self.snapshot, self.size)  # new data or size (cells follow it)
            self._raw, self._finished_for = self._strips(self.snapshot), None
        return super().render_lines(crop)

    def _strips(self, snap: Snapshot) -> list[Strip]:
        width = self.size.width or 32
        cell_w, cell_h = self._cell_size(width, self.size.height or 8)
        return [
            *_map_strips(snap.state, cell_w, cell_h, width),
            *text_strips(last_action_text(snap), width),
        ]

    def get_content_height(self, container, viewport, width: int) -> int:
        _, cell_h = self._cell_size(width, self.max_rows or 8)
        return 5 * cell_h + 3

    def _cell_size(self, width: int, height: int) -> tuple[int, int]:
        """Cells as wide as the column allows and as tall as the rows given allow, about twice
        as wide as tall in characters (terminal cells are about twice as tall as wide)."""
        cell_w = max(5, min(13, (width - 6) // 5))
        cell_h = max(1, min(3, (height - 3) // 5, cell_w // 3))
        return cell_w, cell_h


def _map_strips(state: int, cell_w: int, cell_h: int, width: int) -> tuple[Strip, ...]:
    """The map as strips, built from segments directly (0.6 ms; a console render took 20 ms).
    Not cached: a cache of every state's strips kept tens of thousands of objects alive, and
    each full garbage collection then took 50 ms (a key's latency)."""
    return tuple(
        Strip([Segment(text, _style(style)) for text, style in row]).crop(0, width)
        for row in map_rows(state, cell_w, cell_h)
    )


@functools.lru_cache(maxsize=256)
def _style(style: str) -> Style:
    return Style.parse(style)


def map_text(state: int, cell_w: int, cell_h: int) -> Text:
    """The map for one Taxi state, with cells ``cell_w`` x ``cell_h`` characters."""
    return Text("\n").join(Text.assemble(*row) for row in map_rows(state, cell_w, cell_h))


def map_rows(state: int, cell_w: int, cell_h: int) -> list[list[tuple[str, str]]]:
    """The map as lines of (text, style) runs: walls, pads, passenger, destination, taxi."""
    row, col, passenger, dest = taxi_decode(state)
    walls = taxi_walls()
    pads = {loc: i for i, loc in enumerate(TAXI_LOCS)}
    border = f"bold {WALL}"
    lines = [[("┏" + "━" * (5 * cell_w + 4) + "┓", border)]]
    for r in range(5):
        rows: list[list[tuple[str, str]]] = [[("┃", border)] for _ in range(cell_h)]
        for c in range(5):
            cell = _cell(
                r, c, pads.get((r, c)), (r, c) == (row, col), passenger, dest, cell_w, cell_h
            )
            for i in range(cell_h):
                rows[i].extend(cell[i])
                if c < 4:
                    wall = (r, c) in walls
                    rows[i].append(("┃", border) if wall else ("┆", "#44444c"))
        for line in rows:
            line.append(("┃", border))
        lines.extend(rows)
    lines.append([("┗" + "━" * (5 * cell_w + 4) + "┛", border)])
    return lines


def _cell(r, c, pad, has_taxi, passenger, dest, cell_w, cell_h) -> list[list[tuple[str, str]]]:
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
    return [_runs(row) for row in rows]


def _runs(cells: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Neighbouring characters of one style as one run."""
    runs: list[tuple[str, str]] = []
    for char, style in cells:
        if runs and runs[-1][1] == style:
            runs[-1] = (runs[-1][0] + char, style)
        else:
            runs.append((char, style))
    return runs
