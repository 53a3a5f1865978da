"""A tour's slide: its number and title, the run's counters and settings, the keys, and its
caption, whose ``{figures}`` are filled in from the run (see
:data:`tui_taxi.demo.CAPTION_FIELDS`), each written as the panel that shows it writes it."""

from __future__ import annotations

import math
import re

import numpy as np
from rich.text import Text
from textual.widget import Widget

from tui_taxi.demo import Tour
from tui_taxi.protocol import Comparison, Snapshot
from tui_taxi.ui.format import count, mean, percent, value
from tui_taxi.ui.widgets.compare_table import compare_cell

DIM = "#8a8a96"
KEY_STYLE = "bold #f2c12e"
FIGURE_STYLE = "bold #f2c12e"
UNKNOWN = "…"  # a figure not known yet (the slide's run still replaying, a report computing)
_FIELD = re.compile(r"\{([^{}]*)\}")


class TourCaption(Widget):
    DEFAULT_CSS = """
    TourCaption { height: auto; padding: 0 1; background: $primary-background; }
    """

    def __init__(self, tour: Tour, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tour = tour
        self.index = 0
        self.snapshot: Snapshot | None = None
        self.comparison: Comparison | None = None
        self._fresh_from = 0  # commands the trainer must have handled for this slide's run
        self.planning = None  # the planning panel, on a planning slide (its figures)

    def go(self, move: int, sent: int = 0) -> int:
        """Next (1), back (-1) or the first slide (0); returns the slide to show. ``sent``: the
        trainer's commands sent by then: the figures wait for a snapshot that has them all."""
        last = len(self.tour.steps) - 1
        self.index = 0 if move == 0 else min(max(self.index + move, 0), last)
        self._fresh_from = sent
        self.comparison = None
        self.refresh(layout=True)
        return self.index

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh(layout=True)

    def show_comparison(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.refresh(layout=True)

    def figures(self) -> dict[str, str]:
        """The caption's figures of the run on screen (only those known)."""
        snap = self.snapshot
        if snap is None or snap.handled < self._fresh_from:
            return {}
        figures = caption_figures(snap, self.comparison)
        if self.planning is not None:
            figures.update(self.planning.figures())
        return figures

    def caption(self) -> Text:
        """The slide's caption with its figures filled in (``…`` where not known yet)."""
        figures = self.figures()
        text = Text()
        at = 0
        source = self.tour.steps[self.index].caption
        for match in _FIELD.finditer(source):
            text.append(source[at : match.start()])
            text.append(figures.get(match.group(1), UNKNOWN), style=FIGURE_STYLE)
            at = match.end()
        text.append(source[at:])
        return text

    def render(self) -> Text:
        step = self.tour.steps[self.index]
        width = max(20, self.size.width - 2)
        title = Text(f"{self.index + 1}/{len(self.tour.steps)} · {step.title}", style="bold")
        settings, counters, state = Text(), Text(), Text()
        snap = self.snapshot
        if snap is not None:
            shown = " ".join(f"{s.symbol} {s.figure}" for s in snap.settings)
            settings.append(f"{shown} · ", style=DIM)
            counters.append(f"episode {count(snap.episode)}", style=DIM)
            if snap.unit == "steps":  # a network counts steps: its budgets and checks do
                counters.append(f" · {count(snap.total_steps)} steps", style=DIM)
            if snap.handled < self._fresh_from:  # the slide's run is being made (a network
                state.append(" · ⏳ preparing…", style="bold")  # trains for seconds)
            else:
                state.append(" · ▶ playing" if snap.playing_to else " · ‖ paused ", style=DIM)
        keys = Text.assemble(
            ("  → ", KEY_STYLE),
            "next ",
            ("← ", KEY_STYLE),
            "back ",
            ("n ", KEY_STYLE),
            "step ",
            ("? ", KEY_STYLE),
            "help ",
            ("q ", KEY_STYLE),
            "quit",
        )

        def fits(*parts: Text) -> bool:
            return sum(p.cell_len for p in (title, *parts)) + 3 <= width

        # what gives way when the line is narrow: the keys' words, whether it plays, the
        # settings, the counters
        if not fits(settings, counters, state, keys):
            keys = Text.assemble(("  → ← n ? q", KEY_STYLE))
        if not fits(settings, counters, state, keys) and "preparing" not in state.plain:
            state = Text()
        if not fits(settings, counters, keys):
            settings = Text()
        if not fits(counters, keys):
            counters = Text()
        right = Text.assemble(settings, counters, state)
        gap = max(1, width - title.cell_len - right.cell_len - keys.cell_len)
        line = Text.assemble(title, " " * gap, right, keys)
        line.truncate(width)
        return Text.assemble(line, "\n", self.caption())


def caption_figures(snap: Snapshot, comparison: Comparison | None = None) -> dict[str, str]:
    """Each figure a caption may state, as its panel writes it: the header's counters and
    settings, the statistics' last 100 episodes and policy rows, the policy panel's π(a|s),
    the comparison's table, the chart's kept curve."""
    figures = {"episodes": count(snap.episode), "actions": f"{snap.world.n_actions}"}
    if snap.model is not None:
        figures["states"] = f"{snap.model.n_states}"
    for setting in snap.settings:
        figures[setting.name] = setting.figure
    if snap.episode:
        figures["last100"] = value(snap.recent_mean_return)
        figures["last100_steps"] = value(snap.recent_mean_length)
        figures["success"] = percent(snap.recent_success_rate)
    r = snap.report
    if r is not None:
        figures["optimal"] = f"{r.n_optimal}/{r.n_start}"
        if r.n_loop == r.n_start:
            figures["greedy_steps"] = figures["greedy_return"] = "loops"
            greedy = None
            optimum = (r.optimal_mean_steps, r.optimal_mean_return, r.optimal_success_rate)
        elif r.n_loop:  # the statistics' rows are over the starts it finishes from
            greedy = (r.finish_mean_steps, r.finish_mean_return, r.finish_success_rate)
            optimum = (
                r.finish_optimal_mean_steps,
                r.finish_optimal_mean_return,
                r.finish_optimal_success_rate,
            )
        else:
            greedy = (r.mean_steps, r.mean_return, r.success_rate)
            optimum = (r.optimal_mean_steps, r.optimal_mean_return, r.optimal_success_rate)
        for name, figures_of in (("greedy", greedy), ("optimum", optimum)):
            if figures_of is not None:
                steps, episodic_return, success = figures_of
                figures[f"{name}_steps"] = mean(steps)
                figures[f"{name}_return"] = mean(episodic_return)
                if snap.model is not None and not snap.model.is_deterministic:
                    figures[f"{name}_success"] = percent(success)
    n = snap.world.n_actions
    figures["pi_greedy"] = f"{1 - snap.epsilon + snap.epsilon / n:.1%}"
    figures["pi_other"] = f"{snap.epsilon / n:.1%}"
    if comparison is not None:
        figures["random_steps"] = compare_cell(comparison.random.mean_steps)
        figures["trained_steps"] = compare_cell(comparison.trained.mean_steps)
        if comparison.optimum is not None:
            figures["optimum_trip"] = compare_cell(comparison.optimum.mean_steps)
    figures.update(network_figures(snap))
    if snap.kept:
        kept = snap.kept[0]
        figures["kept_return"] = value(kept.recent_return)
        figures["kept_episodes"] = count(kept.episodes)
        figures["kept_steps"] = value(kept.recent_length)
        figures.update({f"kept_{s.name}": s.figure for s in kept.settings})
    return figures


def network_figures(snap: Snapshot) -> dict[str, str]:
    """A network's figures, as its statistics write them: the steps taken (the header), the
    replay buffer and the target's copies, its error against Q*, and the greedy check's."""
    net, check = snap.details, snap.check
    if net is None or not hasattr(net, "buffer_fill"):
        return {}
    figures = {
        "steps": count(snap.total_steps),
        "buffer": count(net.buffer_fill),
        "syncs": count(net.target_syncs),
        "n_step": f"{getattr(snap.config, 'n_step', 1)}-step",
    }
    if snap.q_star is not None and snap.q.shape == snap.q_star.shape:
        figures["q_error"] = f"{np.abs(snap.q - snap.q_star).mean():.2f}"
    if check is not None and check.steps >= 0:
        if check.threshold is not None:
            figures["greedy"] = f"{check.figure:.1f}"
        if check.reached_at >= 0:
            figures["solved_at"] = count(check.reached_at)
        if check.q_bound is not None and not math.isnan(check.q_max):
            figures["q_max"] = f"{check.q_max:.1f}"
            figures["q_bound"] = f"{check.q_bound:.0f}"
    return figures
