"""Counters and how close the greedy policy is to the optimum (the settings and the speed are
on the status line)."""

from __future__ import annotations

import math

from rich.text import Text

from tui_taxi.core.optimal import scorable
from tui_taxi.core.worlds import penalty_words
from tui_taxi.protocol import Snapshot
from tui_taxi.ui.agent_views import agent_view
from tui_taxi.ui.format import mean, percent, plural, precise, value
from tui_taxi.ui.views import has_penalties
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

DIM = "#8a8a96"
GOOD, WARN, BAD = "#3aa655", "#e3b505", "#d64545"
LABEL = 9
STALE_EPISODES = 1_000  # a report this many episodes (and a tenth) behind: "updating…"


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
    if snap.counts_penalties and has_penalties(snap.world):  # (Taxi's, Cliff Walking's falls)
        rows.append(("", plural(snap.episode_penalties, penalty_words(snap.world))))
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
    undiscounted steps and return (and, on a stochastic world, how often it succeeds) against
    that optimum's, in a small table; a policy that loops from some starts says so, and both
    rows are then over the starts it finishes from. Short of optimal, the value gap says by how
    much (a tiny gap explains identical rounded figures). A report of a table far older than
    the one on screen (a speed jump) says it is updating."""
    r = snap.report
    if r is None and not scorable(snap.model):
        return [("optimal", Text(f"not scored: {snap.model.n_states:,} states", style=DIM))]
    if r is None:
        return [("optimal", Text("computing…", style=DIM))]
    colour = GOOD if r.optimality == 1.0 else WARN if r.optimality > 0.5 else BAD
    behind = snap.episode - snap.report_episode
    if behind > max(STALE_EPISODES, snap.episode // 10):
        shown = Text(f"{r.n_optimal}/{r.n_start}", style=f"bold {colour}")
        shown.append(" · updating…", style=DIM)
    else:
        shown = Text(
            f"{r.n_optimal}/{r.n_start} starts ({r.optimality:.0%})", style=f"bold {colour}"
        )
    rows: list[tuple[str, str | Text]] = [("optimal", shown)]
    if r.n_loop == r.n_start:
        rows.append(("", Text("loops from every start", style=f"bold {BAD}")))
    elif r.n_loop:  # the figures below are then over the starts it finishes from
        rows.append(("", Text(f"loops from {r.n_loop} starts", style=f"bold {BAD}")))
    elif r.n_optimal < r.n_start:  # how far from optimal: its value against the optimum's
        rows.append(("value", f"{precise(r.mean_value)} of {precise(r.optimal_mean_value)}"))
    model = snap.model  # a success column where luck decides it (not where every end counts)
    stochastic = not model.is_deterministic and model.success_reward > -math.inf
    # the figures: undiscounted; over the starts it finishes from when it loops from others
    header = f"(n={r.n_finish})" if 0 < r.n_loop < r.n_start else "undisc."  # the starts it ends
    heads = f"{'steps':>8} {'return':>8}" + (f" {'goal':>4}" if stochastic else "")
    rows.append((header, Text(heads, style=DIM)))
    if r.n_loop == 0:
        rows.append(("greedy", _row(r.mean_steps, r.mean_return, r.success_rate, stochastic)))
        rows.append(
            (
                "optimum",
                _row(
                    r.optimal_mean_steps, r.optimal_mean_return, r.optimal_success_rate, stochastic
                ),
            )
        )
    elif r.n_loop < r.n_start:
        rows.append(
            (
                "greedy",
                _row(r.finish_mean_steps, r.finish_mean_return, r.finish_success_rate, stochastic),
            )
        )
        rows.append(
            (
                "optimum",
                _row(
                    r.finish_optimal_mean_steps,
                    r.finish_optimal_mean_return,
                    r.finish_optimal_success_rate,
                    stochastic,
                ),
            )
        )
    else:
        rows.append(
            (
                "optimum",
                _row(
                    r.optimal_mean_steps, r.optimal_mean_return, r.optimal_success_rate, stochastic
                ),
            )
        )
    return rows


def _row(steps: float, episodic_return: float, success: float, stochastic: bool) -> str:
    row = f"{mean(steps):>8} {mean(episodic_return):>8}"
    return row + f" {percent(success):>4}" if stochastic else row
