"""A tour's slide: its number and title, the settings it runs with, the keys, and its caption."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui_taxi.demo import Tour
from tui_taxi.protocol import Snapshot

DIM = "#8a8a96"
KEY_STYLE = "bold #f2c12e"


class TourCaption(Widget):
    DEFAULT_CSS = """
    TourCaption { height: auto; padding: 0 1; background: $primary-background; }
    """

    def __init__(self, tour: Tour, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tour = tour
        self.index = 0
        self.snapshot: Snapshot | None = None

    def go(self, move: int) -> int:
        """Next (1), back (-1) or the first slide (0); returns the slide to show."""
        last = len(self.tour.steps) - 1
        self.index = 0 if move == 0 else min(max(self.index + move, 0), last)
        self.refresh(layout=True)
        return self.index

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh()

    def render(self) -> Text:
        step = self.tour.steps[self.index]
        width = max(20, self.size.width - 2)
        title = Text(f"{self.index + 1}/{len(self.tour.steps)} · {step.title}", style="bold")
        right = Text()
        snap = self.snapshot
        if snap is not None:
            shown = " ".join(
                f"{s.symbol} {s.value:{'.2g' if s.factor else '.2f'}}" for s in snap.settings
            )
            right.append(f"{shown} · ", style=DIM)
            right.append("▶ playing" if snap.playing_to else "‖ paused ", style=DIM)
        keys = Text.assemble(
            ("  → ", KEY_STYLE),
            "next ",
            ("← ", KEY_STYLE),
            "back ",
            ("n ", KEY_STYLE),
            "step ",
            ("? ", KEY_STYLE),
            "help ",
            ("q ", KEY_STYLE),
            "quit",
        )
        if title.cell_len + right.cell_len + keys.cell_len + 3 > width:
            keys = Text.assemble(("  → ← n ? q", KEY_STYLE))
        if title.cell_len + right.cell_len + keys.cell_len + 3 > width:
            right = Text()
        gap = max(1, width - title.cell_len - right.cell_len - keys.cell_len)
        line = Text.assemble(title, " " * gap, right, keys)
        line.truncate(width)
        return Text.assemble(line, "\n", step.caption)
