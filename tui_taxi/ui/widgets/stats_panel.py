"""Counters and how close the greedy policy is to the optimum (the settings and the speed are
on the status line)."""

from __future__ import annotations

from rich.text import Text

from tui_taxi.protocol import Snapshot
from tui_taxi.ui.agent_views import agent_view
from tui_taxi.ui.format import count, mean, percent, value
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

DIM = "#8a8a96"
GOOD, WARN, BAD = "#3aa655", "#e3b505", "#d64545"
LABEL = 9


class StatsPanel(SnapshotView):
    DEFAULT_CSS = """
    StatsPanel { height: 9; }
    """

    def text(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("starting…", style=DIM)
        return stats_table(snap)


def stats_table(snap: Snapshot) -> Text:
    """Short labelled lines that fit a 32-column pane, at most 9 of them (the episode and step
    counters are on the status line)."""
    success = snap.world.success_words
    rows: list[tuple[str, str | Text]] = [("this ep.", f"return {value(snap.episode_return, 0)}")]
    if snap.counts_penalties:
        rows.append(("", f"{count(snap.episode_penalties)} penalties"))
    if snap.episode == 0:
        rows.append(("last 100", Text("no episode finished yet", style=DIM)))
    else:
        rows.append(("last 100", f"mean return {value(snap.recent_mean_return)}"))
        rows.append(("", f"{percent(snap.recent_success_rate)} {success}"))
    rows.extend(agent_view(snap.kind).stats_rows(snap))
    if snap.model is not None:
        rows.extend(_policy_rows(snap))
    text = Text()
    for i, (label, shown) in enumerate(rows):
        text.append(f"{label:<{LABEL}}", style=DIM)
        text.append_text(shown if isinstance(shown, Text) else Text(shown, style="bold"))
        if i < len(rows) - 1:
            text.append("\n")
    return text


def _policy_rows(snap: Snapshot) -> list[tuple[str, str | Text]]:
    """Policy optimality (against the optimum for the session's gamma), then the greedy policy's
    undiscounted steps and return against that optimum's, in a small table; a policy that loops
    from some starts says so, and both rows are then over the starts it finishes from."""
    r = snap.report
    if r is None:
        return [("optimal", Text("computing…", style=DIM))]
    colour = GOOD if r.optimality == 1.0 else WARN if r.optimality > 0.5 else BAD
    rows: list[tuple[str, str | Text]] = [
        (
            "optimal",
            Text(f"{r.n_optimal}/{r.n_start} starts ({r.optimality:.0%})", style=f"bold {colour}"),
        ),
    ]
    if r.n_loop == r.n_start:
        rows.append(("", Text("loops from every start", style=f"bold {BAD}")))
    elif r.n_loop:  # the figures below are then over the starts it finishes from
        rows.append(("", Text(f"loops from {r.n_loop} starts", style=f"bold {BAD}")))
    # the figures: undiscounted; over the starts it finishes from when it loops from others
    header = f"over {r.n_finish}" if 0 < r.n_loop < r.n_start else "undisc."
    rows.append((header, Text(f"{'steps':>9} {'return':>8}", style=DIM)))
    if r.n_loop == 0:
        rows.append(("greedy", _pair(r.mean_steps, r.mean_return)))
        rows.append(("optimum", _pair(r.optimal_mean_steps, r.optimal_mean_return)))
    elif r.n_loop < r.n_start:
        rows.append(("greedy", _pair(r.finish_mean_steps, r.finish_mean_return)))
        rows.append(("optimum", _pair(r.finish_optimal_mean_steps, r.finish_optimal_mean_return)))
    else:
        rows.append(("optimum", _pair(r.optimal_mean_steps, r.optimal_mean_return)))
    return rows


def _pair(steps: float, episodic_return: float) -> str:
    return f"{mean(steps):>9} {mean(episodic_return):>8}"
