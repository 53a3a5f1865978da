"""The last TD update with its real numbers, as a teacher writes it on the board (each kind of
agent writes its own: see :mod:`tui_taxi.ui.agent_views`)."""

from __future__ import annotations

from rich.text import Text

from tui_taxi.ui.agent_views import agent_view
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

DIM = "#8a8a96"


class TDExplainer(SnapshotView):
    DEFAULT_CSS = """
    TDExplainer { height: 11; }
    """

    def text(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        if snap.last_step is None or (snap.manual and snap.trip_steps == 0):
            hint = "your move shows one" if snap.manual else "n takes a step"
            return Text(f"TD update: {hint}", style=DIM)
        return agent_view(snap.kind).explain(snap)
