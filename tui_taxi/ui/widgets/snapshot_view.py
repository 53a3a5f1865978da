"""The shell every snapshot-drawing widget shares: keep the latest snapshot, redraw on show."""

from __future__ import annotations

from textual.widget import Widget

from tui_taxi.trainer import Snapshot


class SnapshotView(Widget):
    """A widget that draws the latest :class:`~tui_taxi.trainer.Snapshot` it was shown."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: Snapshot | None = None

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh()
