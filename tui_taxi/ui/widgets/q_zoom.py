"""The current (passenger, destination) slice of Q as the 5x5 map: each cell coloured by
max_a Q(s, a), with the greedy action drawn in it (ties: a dot)."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from tui_taxi.core.envs import TAXI_IN_TAXI, TAXI_PADS, taxi_decode, taxi_encode, taxi_walls
from tui_taxi.protocol import Snapshot
from tui_taxi.ui.colors import WALL, DivergingScale, text_on
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

ARROWS = ("↓", "↑", "→", "←", "P", "D")  # South North East West Pickup Dropoff


class QZoom(SnapshotView):
    DEFAULT_CSS = """
    QZoom { height: 8; width: 28; }
    """

    def show(self, snapshot: Snapshot) -> None:
        old = self.snapshot
        if old is None or old.state != snapshot.state or not np.array_equal(old.q, snapshot.q):
            super().show(snapshot)
        self.snapshot = snapshot

    def text(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        return slice_text(snap.q, snap.state)


def slice_text(q: np.ndarray, state: int) -> Text:
    row, col, passenger, dest = taxi_decode(state)
    where = "in taxi" if passenger == TAXI_IN_TAXI else TAXI_PADS[passenger]
    text = Text(f"passenger {where} → {TAXI_PADS[dest]}\n", style="bold")
    states = [[taxi_encode(r, c, passenger, dest) for c in range(5)] for r in range(5)]
    scale = DivergingScale.of(q[np.ravel(states)].max(axis=1))
    walls = taxi_walls()
    for r in range(5):
        for c in range(5):
            values = q[states[r][c]]
            best = values.max()
            greedy = np.flatnonzero(values == best)
            glyph = ARROWS[greedy[0]] if len(greedy) == 1 else "·"
            bg = scale.hex(best)
            here = (r, c) == (row, col)
            cell = f"[{glyph}]" if here else f" {glyph} "
            text.append(
                cell, style=f"bold {text_on(bg)} on {bg}" if here else f"{text_on(bg)} on {bg}"
            )
            if c < 4:
                text.append("┃" if (r, c) in walls else " ", style=f"bold {WALL}")
        text.append("\n")
    text.append("arrow: greedy · dot: a tie", style="#8a8a96")  # (colour: the scale above)
    return text
