"""The current state's action values, one bar each, the greedy action marked."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from tui_taxi.ui.widgets.snapshot_view import SnapshotView

POSITIVE, NEGATIVE = "#3aa655", "#d64545"


class QValues(SnapshotView):
    DEFAULT_CSS = """
    QValues { height: auto; }
    """

    def get_content_height(self, container, viewport, width: int) -> int:
        return 1 + (len(self.snapshot.action_names) if self.snapshot else 6)

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        return values_text(snap.q[snap.state], snap.action_names, snap.state, self.size.width or 32)


def values_text(values: np.ndarray, names: tuple[str, ...], state: int, width: int) -> Text:
    best = values.max()
    greedy = np.flatnonzero(values == best)
    text = Text(f"Q(s={state}, ·)", style="bold")
    text.append("   ★ greedy" if len(greedy) == 1 else "   tie: random pick", style="#8a8a96")
    bar_width = max(4, width - 20)
    top = max(1e-12, np.abs(values).max())
    for a, (name, value) in enumerate(zip(names, values, strict=True)):
        mark = "★" if a in greedy and len(greedy) == 1 else " "
        text.append(f"\n{mark} {name:<8}{value:>8.3f} ", style="bold" if mark == "★" else "")
        n = int(round(abs(value) / top * bar_width))
        text.append("█" * n, style=POSITIVE if value > 0 else NEGATIVE)
    return text
