"""The panels of the live screen, laid out for the terminal's size, and the fan-out of each
snapshot to them (with the redraw throttling that keeps keys responsive while training runs flat
out). The App only hands it snapshots and says which view the user chose."""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Container, Vertical

from tui_taxi.core.envs import CompiledEnv
from tui_taxi.protocol import Snapshot
from tui_taxi.ui.views import view_for
from tui_taxi.ui.widgets.compare_table import CompareTable
from tui_taxi.ui.widgets.q_heatmap import QHeatmap, heatmap_size
from tui_taxi.ui.widgets.q_values import QValues
from tui_taxi.ui.widgets.reward_chart import RewardChart
from tui_taxi.ui.widgets.stats_panel import StatsPanel
from tui_taxi.ui.widgets.td_explainer import TDExplainer

TEXT_INTERVAL = 0.15  # while training runs fast, the text panels are redrawn this often
HEAVY_INTERVAL = 0.12  # while training runs, one big widget is updated this often, in turn
EXPLAINER_ROWS = 11
STATS_ROWS = 9
ZOOM_SIZE = (28, 7)


@dataclass(frozen=True)
class Layout:
    """Where the panels go for a given screen: computed, not guessed, so tests can assert it."""

    size: str  # "compact" (one right panel at a time), "medium" or "wide"
    left_width: int
    world_rows: int  # rows the world may use (its cells grow with them)
    both_panels: bool  # the TD explainer and the statistics together
    heatmap_fits: bool  # False: the presenter's big world leaves the Q-table no room


def plan_layout(width: int, height: int, model: CompiledEnv, *, presenter: bool = False,
                has_zoom: bool = True) -> Layout:  # fmt: skip
    """The layout for a dashboard of ``width`` x ``height`` cells: compact (the Q-table or, with
    `c`, the chart), medium (the Q-table over the slice and the chart) or wide (the Q-table and
    the slice over the chart); the left column widens, and the world grows, when there is room."""
    heat_w, heat_h = heatmap_size(model)
    left = 34 if width < 120 else 36
    if height >= 44 and width >= 150:
        left = 46 if width < 190 else 58
    if presenter:
        left = 58
    right = width - left
    zoom_w = ZOOM_SIZE[0] + 1 if has_zoom else 0
    if right >= heat_w + 1 + zoom_w and height >= heat_h + 10:
        size = "wide"
    elif right >= heat_w and height >= heat_h + 9:
        size = "medium"
    else:
        size = "compact"
    text_rows = model.n_actions + 2 + EXPLAINER_ROWS + 1
    both = height - text_rows - STATS_ROWS >= 8
    spare = height - text_rows - (STATS_ROWS if both else 0) - 1
    return Layout(size, left, max(8, spare), both, right >= heat_w + 1)


class Dashboard(Container):
    """Left: the world, its Q-values, the TD explainer and the statistics. Right: the Q-table,
    the current slice of it (where the world has one) and the chart."""

    DEFAULT_CSS = """
    Dashboard { height: 1fr; layout: horizontal; }
    """

    def __init__(self, model: CompiledEnv, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.view = view_for(model)
        self.layout_plan: Layout | None = None
        self.chart_view = False  # `c`: the chart instead of (compact) or over (else) the Q-table
        self.prefer_stats = False  # `x`: the statistics instead of the explainer, where one fits
        self.presenter = False
        self.tour_panel: str | None = None  # a tour shows this one panel under the world
        self._heavy_at = self._text_at = -1.0
        self._heavy_turn = 0
        self._settings: tuple = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="left"):
            yield self.view.world(id="world")
            yield QValues(id="values")
            yield TDExplainer(id="explainer")
            yield StatsPanel(id="stats")
            yield CompareTable(id="compare")
        with Container(id="right"):
            yield QHeatmap(id="heatmap")
            if self.view.zoom is not None:
                yield self.view.zoom(id="zoom")
            yield RewardChart(id="chart")

    # -- layout ----------------------------------------------------------------------------
    def on_resize(self) -> None:
        self.relayout()

    def relayout(self) -> None:
        width, height = self.size
        if not width or not height:
            return
        plan = plan_layout(width, height, self.model, presenter=self.presenter,
                           has_zoom=self.view.zoom is not None)  # fmt: skip
        self.layout_plan = plan
        left = self.query_one("#left")
        left.styles.width = plan.left_width
        world = self.query_one("#world")
        if world.max_rows != plan.world_rows:
            world.max_rows = plan.world_rows
            world.refresh(layout=True)
        self.query_one(QValues).styles.height = self.model.n_actions + 1
        right = self.query_one("#right")
        for size in ("compact", "medium", "wide"):
            right.set_class(plan.size == size, f"-{size}")
        right.set_class(self.chart_view or not plan.heatmap_fits, "-chart-view")
        right.set_class(self.view.zoom is None, "-no-zoom")
        heat_w, heat_h = heatmap_size(self.model)
        heatmap = self.query_one(QHeatmap)
        heatmap.styles.width, heatmap.styles.height = heat_w + 1, heat_h
        self._choose_panels()

    def _choose_panels(self, snap: Snapshot | None = None) -> None:
        """Both text panels where they fit; otherwise the explainer when stepping, playing or
        slow, the statistics when training runs (``x`` swaps)."""
        plan = self.layout_plan
        snap = snap or self.query_one(StatsPanel).snapshot
        if plan is None:
            return
        if self.tour_panel is not None:
            for panel, name in (("#values", "policy"), ("#explainer", "explain"),
                                ("#stats", "stats"), ("#compare", "compare")):  # fmt: skip
                self.query_one(panel).display = self.tour_panel == name
            return
        self.query_one("#compare").display = False
        if plan.both_panels:
            explain = stats = True
        else:
            wanted = snap is None or snap.step_by_step or snap.manual
            explain = wanted != self.prefer_stats
            stats = not explain
        self.query_one("#explainer").display = explain
        self.query_one("#stats").display = stats

    def set_chart_view(self, on: bool) -> None:
        self.chart_view = on
        self.relayout()

    def set_prefer_stats(self, on: bool) -> None:
        self.prefer_stats = on
        self._choose_panels()

    def set_tour_panel(self, panel: str) -> None:
        self.tour_panel = panel
        self._choose_panels()

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        self.relayout()

    def visible_panels(self) -> set[str]:
        """Ids of the panels on screen (for tests and the tour)."""
        return {w.id for w in self.query("#left > *, #right > *") if w.display and w.id}

    # -- snapshots -------------------------------------------------------------------------
    def show(self, snap: Snapshot) -> None:
        """Hand ``snap`` to the panels: everything when stepping or when a key changed a setting;
        while training runs, the text panels at about 12 Hz and one big panel per frame, in turn."""
        every_frame = snap.step_by_step
        settings = (snap.config, snap.epsilon, snap.alpha, snap.paused, snap.speed_index,
                    snap.manual, snap.learn_from_human)  # fmt: skip
        changed, self._settings = settings != self._settings, settings
        now = time.monotonic()
        self.query_one("#world").show(snap)
        self._choose_panels(snap)
        heavy = [self.query_one(QHeatmap).show, self.query_one(RewardChart).show]
        if self.view.zoom is not None:
            heavy.append(self.query_one("#zoom").show)
        texts = (QValues, StatsPanel, TDExplainer)
        if every_frame:
            for show in (*heavy, *(self.query_one(panel).show for panel in texts)):
                show(snap)
        elif changed:  # a key's effect, drawn alone so it shows soonest: π(a|s) follows ε
            self.query_one(QValues).show(snap)
        elif now - self._text_at >= TEXT_INTERVAL:  # text and big panels in different frames
            self._text_at = now
            for panel in texts:
                self.query_one(panel).show(snap)
        elif now - self._heavy_at >= HEAVY_INTERVAL:
            self._heavy_at = now
            heavy[self._heavy_turn % len(heavy)](snap)
            self._heavy_turn += 1
