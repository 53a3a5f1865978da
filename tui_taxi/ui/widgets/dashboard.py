"""The panels of the live screen, laid out for the terminal's size, and the fan-out of each
snapshot to them (with the redraw throttling that keeps keys responsive while training runs flat
out). The App only hands it snapshots and says which view the user chose."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
from textual.app import ComposeResult
from textual.containers import Container, Vertical

from tui_taxi.protocol import Snapshot, World
from tui_taxi.ui.views import WorldView, view_for
from tui_taxi.ui.widgets.compare_table import CompareTable
from tui_taxi.ui.widgets.q_values import QValues
from tui_taxi.ui.widgets.reward_chart import RewardChart
from tui_taxi.ui.widgets.stats_panel import StatsPanel
from tui_taxi.ui.widgets.td_explainer import TDExplainer

TEXT_INTERVAL = 0.15  # while training runs fast, the text panels are redrawn this often
HEAVY_INTERVAL = 0.12  # while training runs, one big widget is updated this often, in turn
EXPLAINER_ROWS = 11
STATS_ROWS = 9
ZOOM_SIZE = (28, 7)


CHART_MIN_ROWS = 10  # a chart under the Q-table gets at least this many rows


@dataclass(frozen=True)
class Layout:
    """Where the panels go for a given screen: computed, not guessed, so tests can assert it."""

    size: str  # "compact" (one right panel at a time), "medium" or "wide"
    left_width: int
    world_rows: int  # rows the world may use (its cells grow with them)
    both_panels: bool  # the TD explainer and the statistics together
    table: tuple[int, int]  # the Q-table's (columns, rows)
    table_fits: bool  # False: the presenter's big world leaves the Q-table no room
    values: bool = True  # room for the Q-values beside the explainer (else: in its place)


def plan_layout(
    width: int,
    height: int,
    world: World,
    view: WorldView,
    *,
    presenter: bool = False,
    table_wanted: bool = False,
) -> Layout:
    """The layout for a dashboard of ``width`` x ``height`` cells: compact (the Q-table or, with
    `c`, the chart), medium (the Q-table over the slice and the chart) or wide (the Q-table and
    the slice over the chart); the left column widens, and the world grows, when there is room.
    The presenter's left column is wide (a big world) unless a slide names the Q-table and it would
    not fit beside it: then it gives the table the room it needs."""
    left = 34 if width < 120 else 36
    if height >= 44 and width >= 150:
        left = 46 if width < 190 else 58
    if presenter:
        big = 58
        if table_wanted:
            needed = view.table_size(world, width - left - 1, height)[0] + 1
            big = max(left, min(big, width - needed - 1))
        left = big
    right = width - left - 1
    zoom_w = ZOOM_SIZE[0] + 1 if view.zoom is not None else 0
    chart_rows = max(CHART_MIN_ROWS, height // 3)  # a chart under the table: a third at least
    shared = view.table_size(world, right, height - chart_rows)
    alone = view.table_size(world, right, height)
    if shared[0] <= right and shared[1] <= height - CHART_MIN_ROWS:
        size, table = ("wide" if zoom_w and right >= shared[0] + zoom_w else "medium"), shared
    else:
        size, table = "compact", alone
    values_rows = world.n_actions + 2
    world_rows = view.world_rows(world)
    values = world_rows + 1 + values_rows + EXPLAINER_ROWS <= height  # each with its margin
    text_rows = (values_rows if values else 0) + EXPLAINER_ROWS + 1
    both = height - text_rows - STATS_ROWS >= 8
    spare = height - text_rows - (STATS_ROWS if both else 0) - 1
    return Layout(size, left, max(world_rows, spare), both, table, table[0] <= right, values)


class Dashboard(Container):
    """Left: the world, its Q-values, the TD explainer and the statistics. Right: the Q-table,
    the current slice of it (where the world has one) and the chart."""

    DEFAULT_CSS = """
    Dashboard { height: 1fr; layout: horizontal; }
    """

    def __init__(self, world: World, **kwargs) -> None:
        super().__init__(**kwargs)
        self.world = world
        self.view = view_for(world)
        self.layout_plan: Layout | None = None
        self.chart_view = False  # `c`: the chart instead of (compact) or over (else) the Q-table
        self.prefer_stats = False  # `x`: the statistics instead of the explainer, where one fits
        self.presenter = False
        self.tour_panel: str | None = None  # a tour shows this one panel under the world
        self.hint = True  # play mode: the agent's Q-values and greedy arrows shown (t hides them)
        self.table_source = 0  # `*`: the network's Q, the exact Q*, or the error (TABLE_SOURCES)
        self._last: Snapshot | None = None
        self._heavy_at = self._text_at = -1.0
        self._heavy_turn = 0
        self._settings: tuple = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="left"):
            yield self.view.world(self.world, id="world")
            yield QValues(id="values")
            yield TDExplainer(id="explainer")
            yield StatsPanel(id="stats")
            yield CompareTable(id="compare")
        with Container(id="right"):
            yield self.view.table(self.world, id="qtable")
            if self.view.zoom is not None:
                yield self.view.zoom(self.world, id="zoom")
            yield RewardChart(id="chart")

    # -- layout ----------------------------------------------------------------------------
    def on_resize(self) -> None:
        self.relayout()

    def relayout(self) -> None:
        width, height = self.size
        if not width or not height:
            return
        plan = plan_layout(
            width,
            height,
            self.world,
            self.view,
            presenter=self.presenter,
            table_wanted=self.tour_panel is not None and not self.chart_view,  # a slide's
        )
        self.layout_plan = plan
        left = self.query_one("#left")
        left.styles.width = plan.left_width
        world = self.query_one("#world")
        if world.max_rows != plan.world_rows:
            world.max_rows = plan.world_rows
            world.refresh(layout=True)
        self.query_one(QValues).styles.height = self.world.n_actions + 1
        self._arrange_right(plan)
        self._choose_panels()

    def _arrange_right(self, plan: Layout) -> None:
        """The right-hand grid: which of the Q-table, slice and chart show, and where."""
        table = self.query_one("#qtable")
        chart = self.query_one(RewardChart)
        zoom = self.query("#zoom").first() if self.view.zoom is not None else None
        if zoom is not None and not self.hint:  # play mode without the hint: no slice at all
            zoom.display = False
            zoom = None
        table.styles.width, table.styles.height = plan.table[0] + 1, plan.table[1]
        chart_view = self.chart_view or not plan.table_fits
        table.display = not chart_view
        chart.display = plan.size != "compact" or chart_view
        if zoom is not None:
            zoom.display = self.hint and (plan.size != "compact" or chart_view)
        right = self.query_one("#right")
        zoom_col = f"{ZOOM_SIZE[0]}" if zoom is not None else ""
        table.styles.column_span = chart.styles.column_span = 1
        if chart_view and zoom is not None and plan.size == "compact":  # the slice above it
            columns, rows = "1fr", f"{ZOOM_SIZE[1] + 1} 1fr"
        elif chart_view:  # the slice beside the chart, or the chart alone
            columns, rows = (f"{zoom_col} 1fr" if zoom is not None else "1fr"), "1fr"
        elif plan.size == "compact":
            columns, rows = "1fr", f"{plan.table[1]}"
        elif zoom is None:  # the Q-table above the chart
            columns, rows = "1fr", f"{plan.table[1]} 1fr"
        elif plan.size == "medium":  # the Q-table above the slice and the chart
            columns, rows = f"{zoom_col} 1fr", f"{plan.table[1]} 1fr"
            table.styles.column_span = 2
        else:  # wide: the Q-table and the slice above the chart
            columns, rows = f"{plan.table[0] + 1} 1fr", f"{plan.table[1]} 1fr"
            chart.styles.column_span = 2
        right.styles.grid_size_columns = len(columns.split())
        right.styles.grid_size_rows = len(rows.split())
        right.styles.grid_columns, right.styles.grid_rows = columns, rows

    def _choose_panels(self, snap: Snapshot | None = None) -> None:
        """Both text panels where they fit; otherwise the explainer when stepping, playing or
        slow, the statistics when training runs (``x`` swaps)."""
        plan = self.layout_plan
        snap = snap or self.query_one(StatsPanel).snapshot
        if plan is None:
            return
        if self.tour_panel is not None:
            for panel, name in (
                ("#values", "policy"),
                ("#explainer", "explain"),
                ("#stats", "stats"),
                ("#compare", "compare"),
            ):
                self.query_one(panel).display = self.tour_panel == name
            return
        self.query_one("#compare").display = False
        if not plan.values:  # one panel under the world: the hint when playing
            playing = snap is not None and snap.manual and self.hint
            self.query_one("#values").display = playing
            self.query_one("#explainer").display = not playing and not self.prefer_stats
            self.query_one("#stats").display = not playing and self.prefer_stats
            return
        self.query_one("#values").display = self.hint
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

    def set_hint(self, on: bool) -> None:
        self.hint = on
        self.relayout()

    def _show_table(self, snap: Snapshot) -> None:
        """The Q-table panel: the agent's values, or (a network's, on a scored world) the exact
        Q* or the error |Q − Q*|, as ``table_source`` says."""
        self.query_one("#qtable").show(table_snapshot(snap, self.table_source))

    def set_table_source(self, source: int) -> None:
        self.table_source = source
        if self._last is not None:
            self._show_table(self._last)

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
        settings = (
            snap.config,
            round(snap.epsilon, 2),
            tuple(s.brief for s in snap.settings),
            snap.paused,
            snap.speed_index,
            snap.manual,
            snap.learn_from_human,
        )
        changed, self._settings = settings != self._settings, settings
        now = time.monotonic()
        self.query_one("#world").show(snap)
        self._choose_panels(snap)
        self._last = snap
        heavy = [self._show_table, self.query_one(RewardChart).show]
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


#: What the Q-table panel shows of a network on a scored world (`*` cycles them).
TABLE_SOURCES = (
    ("", "the network's Q-values"),
    ("Q*", "the exact Q* (value iteration, the run's gamma)"),
    ("|Q−Q*|", "the network's error per state and action, |Q − Q*|"),
)


def table_snapshot(snap: Snapshot, source: int) -> Snapshot:
    """``snap`` with ``q`` replaced by the chosen source (the agent's own where there is no
    Q* to compare with)."""
    if source == 0 or snap.q_star is None or snap.q.shape != snap.q_star.shape:
        return snap
    q = snap.q_star if source == 1 else np.abs(snap.q - snap.q_star)
    return dataclasses.replace(snap, q=q, q_label=TABLE_SOURCES[source][0])
