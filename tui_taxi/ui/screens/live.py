"""The live screen: the status line (or a tour's caption), the dashboard of panels and the key
bar, and the view state a person sets with keys (the Q-table or the chart, the explainer or the
statistics, the chart's metric, smoothing and range, each action's value per cell, the play
hint) as reactive fields. The App hands it snapshots; these keys never reach the trainer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from tui_taxi.protocol import Snapshot, World
from tui_taxi.ui import keys
from tui_taxi.ui.toasts import show_toasts
from tui_taxi.ui.views import missing, play_moves
from tui_taxi.ui.widgets.dashboard import Dashboard
from tui_taxi.ui.widgets.key_bar import KeyBar
from tui_taxi.ui.widgets.planning_panel import PlanningPanel
from tui_taxi.ui.widgets.reward_chart import RewardChart
from tui_taxi.ui.widgets.status_bar import StatusBar
from tui_taxi.ui.widgets.tour_caption import TourCaption

MIN_SIZE = (100, 30)


class LiveScreen(Screen):
    BINDINGS = keys.bindings(keys.SCREEN)

    chart_view = reactive(False)  # `c`: the chart instead of (compact) or over (else) the Q-table
    prefer_stats = reactive(False)  # `x`: the statistics instead of the explainer, where one fits
    hint = reactive(True)  # play mode: the agent's Q-values and greedy arrows (`t` hides them)

    def __init__(self, world: World, tour=None) -> None:
        super().__init__()
        self.world = world
        self.tour = tour

    # -- the panels ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        if self.tour is not None:
            yield TourCaption(self.tour, id="caption")
            yield PlanningPanel(keys=False, reserve=5, id="planning")  # a planning slide's
        else:
            yield StatusBar(id="status")
        yield Dashboard(self.world, id="dashboard")
        yield KeyBar(self.app.mode, play_moves(self.world), missing(self.world), id="keys")
        yield Static(id="too-small")

    def on_mount(self) -> None:
        self.app.live_ready()

    @property
    def dashboard(self) -> Dashboard:
        return self.query_one(Dashboard)

    def show(self, snap: Snapshot) -> None:
        """Hand a snapshot to the panels (a new world first gets its own)."""
        panel = self.query(TourCaption if self.tour is not None else StatusBar)
        dashboard = self.query(Dashboard)
        if not (self.is_mounted and panel and dashboard):  # closing: a late one is dropped
            return
        with self.app.batch_update():
            panel.first().show(snap)
            dashboard.first().show(snap)
            if self.has_class("-planning"):  # the run beside the planner, as the caption says
                self.query_one(PlanningPanel).draw()

    def show_starting(self, text: str) -> None:
        for status in self.query(StatusBar):  # (none in a tour, nor while closing)
            status.show_starting(text)

    def set_mode(self, mode: str) -> None:
        for bar in self.query(KeyBar):
            bar.set_mode(mode)

    async def switch_world(self, world: World) -> None:
        """Another world: a dashboard of its own, the view state kept."""
        old = self.dashboard
        old_chart = old.query_one(RewardChart)
        self.world = world
        await old.remove()
        dashboard = Dashboard(world, id="dashboard")
        dashboard.presenter, dashboard.chart_view, dashboard.hint = (
            old.presenter,
            self.chart_view,
            self.hint,
        )
        dashboard.prefer_stats, dashboard.tour_panel = old.prefer_stats, old.tour_panel
        await self.mount(dashboard, before=self.query_one(KeyBar))
        dashboard.query_one(RewardChart).adopt_view(old_chart)
        key_bar = self.query_one(KeyBar)
        key_bar.moves, key_bar.hidden = play_moves(world), missing(world)
        key_bar.refresh()

    # -- view state ----------------------------------------------------------------------------
    def watch_chart_view(self, on: bool) -> None:
        if self.query(Dashboard):
            self.dashboard.set_chart_view(on)

    def watch_prefer_stats(self, on: bool) -> None:
        if self.query(Dashboard):
            self.dashboard.set_prefer_stats(on)

    def watch_hint(self, on: bool) -> None:
        if self.query(Dashboard):
            self.dashboard.set_hint(on)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Each mode has its own keys (a world without a grid has no per-action view, nor
        replay, nor play: their keys say so when pressed)."""
        if action in keys.ACTIONS:
            return keys.allowed(action, parameters, self.app.mode)
        return True

    def action_toggle_view(self) -> None:
        plan = self.dashboard.layout_plan
        if plan is not None and not plan.table_fits:
            self.notify(
                "the Q-table needs a wider terminal in the presenter layout (T leaves it)",
                timeout=3,
            )
            return
        self.chart_view = not self.chart_view

    def action_explain(self) -> None:
        plan = self.dashboard.layout_plan
        if self.tour is not None:
            self.app.toasts.say("each slide shows the panel it talks about", topic="explain")
            return
        snap = self.app.snapshot
        if plan is not None and not plan.values and snap is not None and snap.manual and self.hint:
            self.app.toasts.say(
                "while you play, the agent's hint has the panel under the world (t hides it)",
                topic="explain",
            )
            return
        if plan is not None and plan.both_panels:
            self.app.toasts.say(
                "the TD explainer and the statistics are both on screen at this size",
                topic="explain",
            )
            return
        self.prefer_stats = not self.prefer_stats

    def action_hint(self) -> None:
        self.hint = not self.hint
        self.app.toasts.say("hint shown" if self.hint else "hint hidden", timeout=1.5, topic="hint")

    def action_table_source(self) -> None:
        """A network's Q-table, the exact Q*, or the error between them, in turn."""
        from tui_taxi.ui.widgets.dashboard import TABLE_SOURCES

        snap = self.app.snapshot
        if snap is None or snap.q_star is None:
            self.app.toasts.say(
                "the exact Q* is shown beside a network's Q-table, on a world small enough to "
                "score (a table's values are compared with it in the statistics)",
                topic="table-source",
            )
            return
        dashboard = self.dashboard
        source = (dashboard.table_source + 1) % len(TABLE_SOURCES)
        dashboard.set_table_source(source)
        self.app.toasts.say(f"Q-table: {TABLE_SOURCES[source][1]}", topic="table-source")

    def action_per_action(self) -> None:
        if self.app._refused("per_action"):
            return
        on = self.query_one("#qtable").toggle_per_action()
        self.app.toasts.say(
            "each action's value in each cell" if on else "max Q and the greedy action",
            topic="per-action",
        )

    def action_chart_metric(self) -> None:
        chart = self.query_one(RewardChart)
        self.app.toasts.say(f"chart: {chart.cycle_metric()}", timeout=1.5, topic="chart")

    def action_smoothing(self) -> None:
        chart = self.query_one(RewardChart)
        self.app.toasts.say(
            f"chart smoothing: {chart.cycle_smoothing():g}", timeout=1.5, topic="chart"
        )

    def action_chart_range(self) -> None:
        self.app.toasts.say(f"chart: {self.query_one(RewardChart).toggle_range()}", topic="chart")

    # -- layout --------------------------------------------------------------------------------
    def on_resize(self, event: Resize) -> None:
        width, height = event.size
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.set_class(too_small, "-too-small")
        show_toasts(self, not too_small)  # (they would draw over the message)
        if too_small:
            self.query_one("#too-small", Static).update(
                f"The terminal is {width}x{height}.\n"
                f"Enlarge it to at least {MIN_SIZE[0]}x{MIN_SIZE[1]} for tui-taxi."
            )
