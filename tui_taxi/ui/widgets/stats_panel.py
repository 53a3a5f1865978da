"""Counters and how close the greedy policy is to the optimum (the settings and the speed are
on the status line)."""

from __future__ import annotations

from rich.text import Text

from tui_taxi.protocol import Snapshot
from tui_taxi.ui.format import percent, value
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

DIM = "#8a8a96"
GOOD, WARN, BAD = "#3aa655", "#e3b505", "#d64545"
LABEL = 9


class StatsPanel(SnapshotView):
    DEFAULT_CSS = """
    StatsPanel { height: 9; }
    """

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("starting…", style=DIM)
        return stats_table(snap)


def stats_table(snap: Snapshot) -> Text:
    """Short labelled lines that fit a 32-column pane, at most 9 of them (the episode and step
    counters are on the status line)."""
    success = "delivered" if snap.model.is_taxi else "reached the goal"
    rows: list[tuple[str, str | Text]] = [
        ("this ep.", f"return {snap.episode_return:+g} · {snap.episode_penalties} penalties"),
    ]
    if snap.episode == 0:
        rows.append(("last 100", Text("no episode finished yet", style=DIM)))
    else:
        rows.append(("last 100", f"mean return {value(snap.recent_mean_return)}"))
        rows.append(("", f"{percent(snap.recent_success_rate)} {success}"))
    rows.extend(_policy_rows(snap))
    text = Text()
    for i, (label, shown) in enumerate(rows):
        text.append(f"{label:<{LABEL}}", style=DIM)
        text.append_text(shown if isinstance(shown, Text) else Text(shown, style="bold"))
        if i < len(rows) - 1:
            text.append("\n")
    return text


def _policy_rows(snap: Snapshot) -> list[tuple[str, str | Text]]:
    """Policy optimality, then greedy against optimum in a small table; a policy that loops
    from some starts says so, and its figures are over the starts it finishes from."""
    r = snap.report
    if r is None:
        return [("optimal", Text("computing…", style=DIM))]
    colour = GOOD if r.optimality == 1.0 else WARN if r.optimality > 0.5 else BAD
    r = _ReportView(r)  # TEMP until the core's report names loops
    rows: list[tuple[str, str | Text]] = [
        (
            "optimal",
            Text(f"{r.n_optimal}/{r.n_start} starts ({r.optimality:.0%})", style=f"bold {colour}"),
        ),  # fmt: skip
    ]
    if r.n_loop:
        rows.append(("", Text(f"loops from {r.n_loop} starts", style=f"bold {BAD}")))
    rows.append(("", Text(f"{'steps':>9} {'return':>8}", style=DIM)))
    if r.n_loop < r.n_start:
        mark = "greedy*" if r.n_loop else "greedy"
        rows.append((mark, _pair(r.finish_mean_steps, r.finish_mean_return)))
    rows.append(("optimum", _pair(r.optimal_mean_steps, r.optimal_mean_return)))
    if r.n_loop and r.n_loop < r.n_start:
        rows.append(("", Text(f"* the {r.n_start - r.n_loop} starts it finishes", style=DIM)))
    return rows


def _pair(steps: float, episodic_return: float) -> str:
    return f"{value(steps):>9} {value(episodic_return):>8}"


class _ReportView:  # TEMP
    def __init__(self, r):
        self.__dict__.update(r.__dict__)
        self.n_loop = getattr(r, "n_loop", 0)
        self.finish_mean_steps = getattr(r, "finish_mean_steps", r.mean_steps)
        self.finish_mean_return = getattr(r, "finish_mean_return", r.mean_return)
