"""The shell every snapshot-drawing widget shares: keep the latest snapshot, redraw on show."""

from __future__ import annotations

from textual.widget import Widget

from tui_taxi.protocol import Snapshot


class SnapshotView(Widget):
    """A widget that draws the latest :class:`~tui_taxi.protocol.Snapshot` it was shown."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: Snapshot | None = None
        self.max_rows = 0  # a world view may grow to this many rows (0: its own choice)

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh()
