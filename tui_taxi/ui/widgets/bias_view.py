"""Example 6.7's world (tui_taxi/MaximizationBias-v0): the chain end ← B ← A → end with the
agent on it, and its Q-values: A's Right and Left, and B's actions as bars around their true
value, -0.1 (each a normal reward's mean), so the overestimate max_b Q(B, b) is seen at once."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from tui_taxi.core.worlds.bias import MEAN, A, B
from tui_taxi.ui.widgets.last_action import last_action_text
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

DIM, AGENT, LEFT, RIGHT = "#8a8a96", "bold #f2c12e", "#d64545", "#3aa655"


class BiasWorld(SnapshotView):
    DEFAULT_CSS = """
    BiasWorld { height: 4; }
    """

    def text(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        text = Text()
        cells = {B: " B ", A: " A "}
        text.append("end ◀── ", style=DIM)
        for state in (B, A):
            text.append(f"[{cells[state]}]", style=AGENT if snap.state == state else "bold")
            text.append(" ──" if state == B else " ── ▶ end", style=DIM)
        text.append("\n")
        pad = {B: 8, A: 17}.get(snap.state, 0)
        text.append(" " * pad + ("  ●" if pad else ""), style=AGENT)
        text.append("\n")
        text.append_text(last_action_text(snap))
        return text


class BiasTable(SnapshotView):
    """Q(A, ·) and Q(B, ·), each action a bar on one scale; B's true value marked."""

    def text(self) -> Text:
        snap = self.snapshot
        if snap is None or snap.model is None:
            return Text("")
        model = snap.model
        width = max(20, (self.size.width or 60) - 16)
        rows = [
            (state, name, float(snap.q[state, a]))
            for state in (A, B)
            for a, name in enumerate(model.action_names_in(state))
        ]
        values = np.array([v for _, _, v in rows] + [MEAN, 0.0])
        lo, hi = float(values.min()), float(values.max())
        span = hi - lo or 1.0

        def at(v: float) -> int:
            return int(round((v - lo) / span * (width - 1)))

        text = Text("Q(s, a): A's two actions, B's ten", style="bold")
        text.append(f"  (B's true value {MEAN:+g} each: │)\n", style=DIM)
        for state, name, v in rows:
            if name == model.action_names_in(state)[0]:
                text.append(f"{'A' if state == A else 'B'}\n", style="bold")
            zero, bar = at(0.0), at(v)
            line = [" "] * width
            for i in range(min(zero, bar), max(zero, bar) + 1):
                line[i] = "█"
            mark = at(MEAN) if state == B else None
            if mark is not None and line[mark] == " ":
                line[mark] = "│"
            colour = LEFT if (state == A and name == "Left") else RIGHT if state == A else "#7fb3ff"
            text.append(f"  {name:<6}{v:>+7.3f} ", style="bold" if state == snap.state else "")
            text.append("".join(line) + "\n", style=colour)
        best = max(v for state, _, v in rows if state == B)
        text.append(
            f"max_b Q(B, b) {best:+.3f}: what Q-learning's target for Left takes", style=DIM
        )
        return text


def bias_table_size(width: int) -> tuple[int, int]:
    return width, 17
