"""The live app: wires a :class:`~tui_taxi.trainer.Trainer` (in a worker thread) to the widgets.

The App holds no model: it sends commands to the trainer and hands each snapshot it receives to
the widgets. Layout adapts to the terminal: compact (100x30: Q-table or chart, `c` switches),
tall (stacked) or wide (side by side); below the minimum it asks for a larger terminal.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.events import Resize
from textual.widgets import Footer, Static

from tui_taxi.core.persist import load_session
from tui_taxi.core.session import Session, TrainConfig
from tui_taxi.demo import Tour
from tui_taxi.trainer import (
    DEFAULT_SPEED,
    SPEEDS,
    Adjust,
    Load,
    Move,
    Reset,
    RunTour,
    Save,
    SetLearner,
    SetLearnFromHuman,
    SetManual,
    SetPaused,
    SetSpeed,
    Snapshot,
    Step,
    Trainer,
    next_learner,
)
from tui_taxi.ui.messages import SnapshotReady, TrainerEvent
from tui_taxi.ui.screens.confirm import ConfirmScreen
from tui_taxi.ui.screens.help import HelpScreen
from tui_taxi.ui.screens.path_prompt import PathPrompt
from tui_taxi.ui.screens.replay import ReplayScreen
from tui_taxi.ui.screens.trip import TripScreen
from tui_taxi.ui.theme import PRESENTER
from tui_taxi.ui.widgets.q_heatmap import QHeatmap
from tui_taxi.ui.widgets.q_values import QValues
from tui_taxi.ui.widgets.q_zoom import QZoom
from tui_taxi.ui.widgets.reward_chart import RewardChart
from tui_taxi.ui.widgets.stats_panel import StatsPanel
from tui_taxi.ui.widgets.taxi_grid import TaxiGrid
from tui_taxi.ui.widgets.td_explainer import TDExplainer

MIN_SIZE = (100, 30)
WIDE = 160  # columns from which the Q-table and the chart sit side by side
TALL = 46  # rows from which they are stacked
STEP = 0.05  # epsilon / alpha / gamma change per key press
GIL_SWITCH_INTERVAL = 0.001  # seconds
TEXT_INTERVAL = 0.08  # while training runs fast, the Q-values and stats are redrawn this often
HEAVY_INTERVAL = 0.07  # while training runs, one big widget is updated this often, in turn


class TaxiApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "tui-taxi"
    BINDINGS = [
        # a demo tour first, then play mode: the same keys mean other things when the agent drives
        Binding("space,right,n", "tour(1)", "Next", key_display="→"),
        Binding("left,backspace", "tour(-1)", "Back", key_display="←"),
        Binding("home", "tour(0)", "Restart"),
        Binding("m", "manual", "Play/agent"),
        Binding("up,k", "move(1)", "North", key_display="↑"),
        Binding("down,j", "move(0)", "South", key_display="↓"),
        Binding("left,h", "move(3)", "West", key_display="←"),
        Binding("right,l", "move(2)", "East", key_display="→"),
        Binding("p", "move(4)", "Pickup"),
        Binding("d", "move(5)", "Dropoff"),
        Binding("t", "hint", "Hint"),
        Binding("L", "learn_from_human", "Learn from me"),
        Binding("space", "toggle_pause", "Pause/run"),
        Binding("n,right", "step", "Step"),
        Binding("right_square_bracket", "speed(1)", "Faster", key_display="]"),
        Binding("left_square_bracket", "speed(-1)", "Slower", key_display="["),
        Binding("e", "adjust('epsilon', -1)", "ε−", key_display="e"),
        Binding("E", "adjust('epsilon', 1)", "ε+", key_display="E"),
        Binding("a", "adjust('alpha', -1)", "α−"),
        Binding("A", "adjust('alpha', 1)", "α+"),
        Binding("g", "adjust('gamma', -1)", "γ−"),
        Binding("G", "adjust('gamma', 1)", "γ+"),
        Binding("l", "cycle_learner", "Learner"),
        Binding("c", "toggle_view", "Q/chart"),
        Binding("w", "smoothing", "Smoothing"),
        Binding("v", "extra_series", "Steps+penalties"),
        Binding("r", "reset", "Reset"),
        Binding("s", "save", "Save"),
        Binding("o", "load", "Load"),
        Binding("x", "explain", "Explain/stats"),
        Binding("R", "replay", "Replay"),
        Binding("S", "screenshot", "Screenshot"),
        Binding("T", "presenter", "Presenter"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        session: Session,
        *,
        paused: bool = False,
        speed_index: int = DEFAULT_SPEED,
        save_path: str = "tui-taxi-session.npz",
        manual: bool = False,
        presenter: bool = False,
        tour: Tour | None = None,
    ) -> None:
        super().__init__()
        self.tour = tour
        self.tour_index = 0
        self.register_theme(PRESENTER)
        self.start_manual = manual
        self.presenter = presenter
        self.prefer_stats = False  # `x`: the stats instead of the TD explainer
        self._seen_trip = None
        self.trainer = Trainer(
            session,
            on_snapshot=lambda snap: self.post_message(SnapshotReady(snap)),
            on_event=lambda event: self.post_message(TrainerEvent(event)),
            paused=paused,
            speed_index=speed_index,
        )
        self.snapshot: Snapshot | None = None
        self.save_path = save_path
        self._heavy_at = self._text_at = -1.0
        self._settings: tuple = ()
        self._heavy_turn = 0

    def compose(self) -> ComposeResult:
        if self.tour is not None:
            yield Static(id="caption")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield TaxiGrid(id="grid")
                yield QValues(id="values")
                yield TDExplainer(id="explainer")
                yield StatsPanel(id="stats")
            with Container(id="right"):
                yield QHeatmap(id="heatmap")
                with Container(id="side"):
                    yield QZoom(id="zoom")
                    yield RewardChart(id="chart")
        yield Static(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        # The trainer's thread holds the GIL between kernel calls; hand it back to the UI
        # thread every 1 ms instead of CPython's 5 ms so key presses are not kept waiting.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        # The objects built so far live as long as the app: keep the collector from scanning
        # them again and again (its full passes were 100-200 ms pauses while training ran).
        gc.freeze()
        if self.start_manual:
            self.trainer.send(SetManual(True))
        if self.presenter:
            self._set_presenter(True)
        self.trainer.start()
        if self.tour is not None:
            self.add_class("-demo")
            self._show_tour_step(0)

    # -- trainer -> screen -------------------------------------------------------------------
    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        snap = message.snapshot
        self.snapshot = snap
        self.set_class(snap.paused, "-paused")
        if snap.manual != self.has_class("-manual"):
            self.set_class(snap.manual, "-manual")
            self.refresh_bindings()  # the footer shows the play keys, or the agent's
        every_frame = _step_by_step(snap)
        settings = (
            snap.config,
            snap.epsilon,
            snap.alpha,
            snap.paused,
            snap.speed_index,
            snap.failed,
        )
        changed, self._settings = settings != self._settings, settings  # a key's effect: show now
        now = time.monotonic()
        with self.batch_update():
            self.query_one(TaxiGrid).show(snap)
            self._choose_panel(snap)
            if every_frame or changed or now - self._text_at >= TEXT_INTERVAL:
                self._text_at = now
                self.query_one(QValues).show(snap)
                self.query_one(StatsPanel).show(snap)
                self.query_one(TDExplainer).show(snap)
            self._show_heavy(snap, every_frame, now)
        if snap.last_trip is not None and snap.last_trip is not self._seen_trip:
            self._seen_trip = snap.last_trip
            self.push_screen(TripScreen(snap.last_trip), self._after_trip)

    def _choose_panel(self, snap: Snapshot) -> None:
        """The TD explainer when stepping, playing or slow (unless `x` chose the stats)."""
        wanted = _step_by_step(snap) or snap.manual
        self.set_class(wanted and not self.prefer_stats, "-explain")

    def _show_heavy(self, snap: Snapshot, every_frame: bool, now: float) -> None:
        """The Q-table, slice and chart are costly to draw and change slowly: while training
        runs, each frame updates at most one of them, in turn (each about 5 times a second), so
        no single frame delays a key press for long. Paused or slow, all of them, every time."""
        heavy = (
            lambda: self.query_one(QHeatmap).show(snap),
            lambda: self.query_one(QZoom).show(snap),
            lambda: self.query_one(RewardChart).show(snap.chart),
        )
        if every_frame:
            for show in heavy:
                show()
            return
        if now - self._heavy_at >= HEAVY_INTERVAL:
            self._heavy_at = now
            heavy[self._heavy_turn % len(heavy)]()
            self._heavy_turn += 1

    def _after_trip(self, watch_agent: bool | None) -> None:
        trip = self._seen_trip
        if watch_agent and trip is not None and self.snapshot is not None:
            self.push_screen(ReplayScreen([trip.agent_frames], self.snapshot.action_names,
                                          "the agent from your start"))  # fmt: skip

    def on_trainer_event(self, message: TrainerEvent) -> None:
        event = message.event
        severity = "error" if event.kind in ("error", "failed") else "information"
        self.notify(event.text, severity=severity, timeout=6 if severity == "error" else 3)

    # -- layout ------------------------------------------------------------------------------
    @on(Resize)
    def _fit(self, event: Resize) -> None:
        width, height = event.size
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.set_class(too_small, "-too-small")
        self.set_class(width >= WIDE, "-wide")
        self.set_class(width < WIDE and height >= TALL, "-tall")
        if too_small:
            self.query_one("#too-small", Static).update(
                f"The terminal is {width}x{height}.\n"
                f"Enlarge it to at least {MIN_SIZE[0]}x{MIN_SIZE[1]} for tui-taxi."
            )

    # -- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tour keys in a tour; play keys in play mode; the agent's keys when the agent drives."""
        if action == "tour":
            return self.tour is not None
        manual = self.snapshot.manual if self.snapshot else self.start_manual
        if action in ("move", "hint", "learn_from_human"):
            return manual
        if action in ("step", "cycle_learner", "toggle_pause", "speed"):
            return not manual
        return True

    def action_tour(self, move: int) -> None:
        """Next (1), back (-1) or the first step (0) of the tour."""
        index = 0 if move == 0 else min(max(self.tour_index + move, 0), len(self.tour.steps) - 1)
        self._show_tour_step(index)

    def _show_tour_step(self, index: int) -> None:
        tour = self.tour
        self.tour_index = index
        step = tour.steps[index]
        self.trainer.send(RunTour(tour.seed, tour.actions_until(index)))
        self.set_class(tour.view_at(index) == "chart", "-chart-view")
        self.prefer_stats = tour.panel_at(index) == "stats"
        keys = "[dim]space/→ next · ← back · home restart · q quit[/dim]"
        self.query_one("#caption", Static).update(
            f"[b]{index + 1}/{len(tour.steps)} · {step.title}[/b]   {keys}\n{step.caption}"
        )

    def action_manual(self) -> None:
        self.trainer.send(SetManual())

    def action_move(self, action: int) -> None:
        self.trainer.send(Move(action))

    def action_hint(self) -> None:
        self.toggle_class("-no-hint")

    def action_learn_from_human(self) -> None:
        self.trainer.send(SetLearnFromHuman())
        learning = not (self.snapshot and self.snapshot.learn_from_human)
        self.notify("your moves now teach the agent" if learning else "your moves no longer teach the agent",
                    timeout=2)  # fmt: skip

    def action_explain(self) -> None:
        self.prefer_stats = not self.prefer_stats
        if self.snapshot is not None:
            self._choose_panel(self.snapshot)

    def action_replay(self) -> None:
        if self.snapshot is not None:
            self.push_screen(ReplayScreen(list(self.snapshot.replays), self.snapshot.action_names,
                                          "recent episodes"))  # fmt: skip

    def action_screenshot(self) -> None:
        name = f"tui-taxi-{time.strftime('%Y%m%d-%H%M%S')}.svg"
        try:
            path = self.save_screenshot(filename=name)
        except OSError as exc:
            self.notify(f"screenshot not saved: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"screenshot saved to {path}", timeout=4)

    def action_presenter(self) -> None:
        self._set_presenter(not self.has_class("-presenter"))

    def _set_presenter(self, on: bool) -> None:
        self.set_class(on, "-presenter")
        if on:
            self._theme_before = self.theme
        self.theme = PRESENTER.name if on else getattr(self, "_theme_before", "textual-dark")

    def action_toggle_pause(self) -> None:
        self.trainer.send(SetPaused())

    def action_step(self) -> None:
        self.trainer.send(Step())

    def action_speed(self, change: int) -> None:
        current = self.snapshot.speed_index if self.snapshot else self.trainer.speed_index
        index = min(max(current + change, 0), len(SPEEDS) - 1)
        self.trainer.send(SetSpeed(index))
        self.notify(f"speed: {SPEEDS[index].label}", timeout=1.5)

    def action_adjust(self, name: str, sign: int) -> None:
        self.trainer.send(Adjust(name, sign * STEP))

    def action_cycle_learner(self) -> None:
        if self.snapshot is None:
            return
        learner = next_learner(self.snapshot.config.learner)
        self.trainer.send(SetLearner(learner))
        self.notify(f"learner: {learner}", timeout=2)

    def action_toggle_view(self) -> None:
        self.toggle_class("-chart-view")

    def action_smoothing(self) -> None:
        self.query_one(RewardChart).cycle_smoothing()

    def action_extra_series(self) -> None:
        self.query_one(RewardChart).toggle_extra()

    def action_reset(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.trainer.send(Reset())
                self.notify("agent reset: Q-table, counters and history cleared", timeout=3)

        self.push_screen(
            ConfirmScreen("Reset the agent? Its Q-table, counters and history go."), answered
        )

    def action_save(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.save_path = path
                self.trainer.send(Save(path))

        self.push_screen(PathPrompt("Save the session to:", self.save_path), chosen)

    def action_load(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.trainer.send(Load(path))

        self.push_screen(PathPrompt("Load a session from:", self.save_path), chosen)

    def action_help(self) -> None:
        keys = [(b.key_display or b.key, b.description) for b in self.BINDINGS]
        keys.insert(0, ("ctrl+p", "command palette"))
        self.push_screen(HelpScreen(keys))

    async def action_quit(self) -> None:
        self.trainer.stop()
        self.exit()

    def on_unmount(self) -> None:
        self.trainer.stop()
        sys.setswitchinterval(self._switch_interval)
        gc.unfreeze()

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.action in ("quit",):
                continue
            yield SystemCommand(
                f"{binding.description} ({binding.key_display or binding.key})",
                f"Run '{binding.action}'",
                lambda action=binding.action: self.run_action(action),
            )


def _step_by_step(snap: Snapshot) -> bool:
    """Paused or at most 10 steps/s: every frame redraws everything, and the explainer shows."""
    return snap.paused or (snap.speed.animated and snap.speed.steps_per_second <= 10)


def create_app(
    config: TrainConfig | None = None,
    *,
    load: str | Path | None = None,
    paused: bool = False,
    speed_index: int = DEFAULT_SPEED,
    manual: bool = False,
    presenter: bool = False,
    tour: Tour | None = None,
) -> TaxiApp:
    """The factory the CLI and the tests share: a new session from ``config`` or a saved one."""
    session = load_session(load) if load is not None else Session(config or TrainConfig())
    save_path = str(load) if load is not None else f"tui-taxi-{time.strftime('%Y%m%d-%H%M%S')}.npz"
    return TaxiApp(session, paused=paused, speed_index=speed_index, save_path=save_path,
                   manual=manual, presenter=presenter, tour=tour)  # fmt: skip
