"""Counters, settings and how close the greedy policy is to the optimum."""

from __future__ import annotations

import math

from rich.text import Text

from tui_taxi.trainer import Snapshot
from tui_taxi.ui.widgets.snapshot_view import SnapshotView


class StatsPanel(SnapshotView):
    DEFAULT_CSS = """
    StatsPanel { height: auto; }
    """

    def get_content_height(self, container, viewport, width: int) -> int:
        return 11  # the last line is for a failure message

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("starting…", style="dim")
        return stats_table(snap)


def _number(value: float, digits: int = 2) -> str:
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:,.{0 if abs(value) >= 1000 else digits}f}"  # big numbers: no decimals


def stats_table(snap: Snapshot) -> Text:
    """Short labelled lines that fit a 34-column pane."""
    c = snap.config
    r = snap.report
    colour = "#3aa655" if r.optimality == 1.0 else "#e3b505" if r.optimality > 0.5 else "#d64545"
    rows: list[tuple[str, str | Text]] = [
        ("episode", f"{snap.episode:,}  step {snap.t:,}"),
        (
            "steps",
            f"{snap.total_steps:,} · "
            + ("paused" if snap.paused else f"{snap.steps_per_second:,.0f}/s"),
        ),
        ("learner", c.learner),
        ("params", f"ε {snap.epsilon:.2f}  α {snap.alpha:.2f}  γ {c.gamma:.2f}"),
        ("speed", snap.speed.label),
        ("return", f"{snap.episode_return:+g} · {snap.episode_penalties} penalties"),
        (
            "last 100",
            f"{_number(snap.recent_mean_return)} mean · {_percent(snap.recent_success_rate)} ok",
        ),
        (
            "optimal",
            Text(f"{r.n_optimal}/{r.n_start} starts ({r.optimality:.0%})", style=f"bold {colour}"),
        ),
        ("greedy", f"{_number(r.mean_steps)} steps · {_number(r.mean_return)}"),
        ("optimum", f"{_number(r.optimal_mean_steps)} steps · {_number(r.optimal_mean_return)}"),
    ]
    if snap.failed:
        rows.append(("failed", Text(snap.failed, style="bold #d64545")))
    text = Text()
    for i, (label, value) in enumerate(rows):
        text.append(f"{label:>8} ", style="#8a8a96")
        text.append_text(value if isinstance(value, Text) else Text(value, style="bold"))
        if i < len(rows) - 1:
            text.append("\n")
    return text


def _percent(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.0%}"
