"""The fallback world view for envs without a grid: the state's number and the last action."""

from __future__ import annotations

from rich.text import Text

from tui_taxi.ui.widgets.last_action import last_action_text
from tui_taxi.ui.widgets.snapshot_view import SnapshotView


class StateText(SnapshotView):
    DEFAULT_CSS = """
    StateText { height: 3; }
    """

    def text(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        text = Text(f"{snap.model.env_id}\n", style="bold")
        text.append(f"state {snap.state} of {snap.model.n_states}\n")
        text.append_text(last_action_text(snap))
        return text
