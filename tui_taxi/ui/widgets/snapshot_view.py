"""The shell every snapshot-drawing widget shares: keep the latest snapshot, redraw on show."""

from __future__ import annotations

from tui_taxi.protocol import Snapshot
from tui_taxi.ui.widgets.line_cache import LineCache


class SnapshotView(LineCache):
    """A widget that draws the latest :class:`~tui_taxi.protocol.Snapshot` it was shown (as
    the rich Text its ``text()`` makes, or as lines)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: Snapshot | None = None
        self.max_rows = 0  # a world view may grow to this many rows (0: its own choice)

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh_text()
