"""The live app: compose, bindings and actions; it wires a :class:`~tui_taxi.trainer.Trainer`
(in its own thread) to the widgets. Keys become intents; snapshots and events come back."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.events import Resize
from textual.notifications import Notification
from textual.widgets import Static

from tui_taxi.core import agent as agents
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.session import ConfigError, TrainConfig
from tui_taxi.demo import Tour
from tui_taxi.protocol import (
    DEFAULT_SPEED,
    Adjust,
    ChangeSpeed,
    Compare,
    Comparison,
    Load,
    Move,
    NextLearner,
    Notice,
    Reset,
    RunTour,
    Save,
    SetLearnFromHuman,
    SetManual,
    SetPaused,
    SetWorld,
    Snapshot,
    Starting,
    Step,
    TripFinished,
    TripResult,
    World,
)
from tui_taxi.trainer import PLAY_PRETRAIN, Trainer
from tui_taxi.ui import keys
from tui_taxi.ui.messages import SnapshotReady, TrainerEvent
from tui_taxi.ui.screens.confirm import ConfirmScreen
from tui_taxi.ui.screens.help import HelpScreen
from tui_taxi.ui.screens.path_prompt import PathPrompt
from tui_taxi.ui.screens.replay import ReplayScreen
from tui_taxi.ui.screens.trip import BalanceScreen, TripScreen
from tui_taxi.ui.screens.world_picker import WorldPicker
from tui_taxi.ui.theme import PRESENTER
from tui_taxi.ui.views import move_action, play_moves
from tui_taxi.ui.widgets.compare_table import CompareTable
from tui_taxi.ui.widgets.dashboard import Dashboard
from tui_taxi.ui.widgets.key_bar import KeyBar
from tui_taxi.ui.widgets.reward_chart import RewardChart
from tui_taxi.ui.widgets.status_bar import StatusBar
from tui_taxi.ui.widgets.tour_caption import TourCaption

MIN_SIZE = (100, 30)
STEP = 0.05  # epsilon / alpha / gamma change per key press
GIL_SWITCH_INTERVAL = 0.001  # seconds
GC_FULL_EVERY = 100  # generation-1 collections between full ones (CPython's default: 10)


class TaxiApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "tui-taxi"
    BINDINGS = keys.bindings()

    def __init__(
        self,
        session: agents.Agent | Callable[[], agents.Agent],
        *,
        world: World | None = None,
        paused: bool = False,
        speed_index: int = DEFAULT_SPEED,
        save_path: str = "tui-taxi-session.npz",
        manual: bool = False,
        pretrain: int = 0,
        presenter: bool = False,
        tour: Tour | None = None,
    ) -> None:
        super().__init__()
        self.world = world if world is not None else World.of(session.model)
        self.tour = tour
        self.register_theme(PRESENTER)
        self.presenter = presenter
        self.trainer = Trainer(
            session,
            on_snapshot=lambda snap: self.post_message(SnapshotReady(snap)),
            on_event=lambda event: self.post_message(TrainerEvent(event)),
            paused=paused,
            speed_index=speed_index,
            manual=manual,
            pretrain=pretrain,
        )
        self.snapshot: Snapshot | None = None
        self._toasts: dict[str, Notification] = {}  # the toast shown for each topic
        self.save_path = save_path
        self.mode = keys.TOUR if tour is not None else keys.PLAY if manual else keys.TRAIN
        self.moves = play_moves(self.world)

    @property
    def tour_index(self) -> int:
        return self.query_one(TourCaption).index if self.tour is not None else 0

    def compose(self) -> ComposeResult:
        if self.tour is not None:
            yield TourCaption(self.tour, id="caption")
        else:
            yield StatusBar(id="status")
        yield Dashboard(self.world, id="dashboard")
        yield KeyBar(self.mode, play_moves(self.world), self._hidden(), id="keys")
        yield Static(id="too-small")

    def on_mount(self) -> None:
        # The trainer's thread holds the GIL between kernel calls; hand it back to the UI
        # thread every 1 ms instead of CPython's 5 ms so key presses are not kept waiting.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        # The objects built so far live as long as the app: keep the collector from scanning
        # them again and again (its full passes were 100-200 ms pauses while training ran).
        gc.freeze()
        # Full collections scan every live object (about 20 ms here, a key's whole budget);
        # the young generations still collect often, so only long-lived cycles wait longer.
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(self._gc_threshold[0], self._gc_threshold[1], GC_FULL_EVERY)
        self._handle_signals()
        if self.presenter:
            self._set_presenter(True)
        self.set_class(self.tour is not None, "-demo")
        self.trainer.start()
        if self.tour is not None:
            self.action_tour(0)

    def _handle_signals(self) -> None:
        """SIGTERM and SIGHUP quit cleanly, so the terminal is left as it was (the handlers go
        when the app does)."""
        self._signals: list[signal.Signals] = []
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError):  # Windows: no loop signal handlers
                loop.add_signal_handler(sig, lambda: self.call_later(self._quit_on_signal))
                self._signals.append(sig)

    # -- trainer -> screen -------------------------------------------------------------------
    async def on_snapshot_ready(self, message: SnapshotReady) -> None:
        panel = TourCaption if self.tour is not None else StatusBar
        if not self.query(Dashboard) or not self.query(panel):  # closing: a late one is dropped
            return
        snap = message.snapshot
        if snap.world is not self.world:  # another world: its own widgets
            await self._switch_world(snap.world)
        self.snapshot = snap
        self.set_class(snap.paused, "-paused")
        mode = keys.TOUR if self.tour is not None else keys.PLAY if snap.manual else keys.TRAIN
        if mode != self.mode:
            self.mode = mode
            self.set_class(mode == keys.PLAY, "-manual")
            self.query_one(KeyBar).set_mode(mode)
            self.refresh_bindings()
        with self.batch_update():
            if self.tour is not None:
                self.query_one(TourCaption).show(snap)
            else:
                self.query_one(StatusBar).show(snap)
            self.query_one(Dashboard).show(snap)

    def say(
        self,
        text: str,
        *,
        severity: str = "information",
        timeout: float = 2,
        topic: str | None = None,
    ) -> None:
        """A toast; a newer one on the same ``topic`` (a setting, the speed, a chart option)
        replaces the last, so a burst of key presses leaves one toast, not a stack."""
        old = self._toasts.get(topic) if topic else None
        if old is not None and old in self._notifications:
            self._unnotify(old, refresh=False)
        notification = Notification(text, "", severity, timeout, markup=True)
        # What App.notify's message handler does, done now rather than posted: a posted toast
        # is not yet in the collection when the next key of a burst looks for it to replace.
        self._notifications.add(notification)
        self._refresh_notifications()
        if topic:
            self._toasts[topic] = notification

    async def _switch_world(self, world: World) -> None:
        old = self.query_one(Dashboard)
        presenter, chart_view, hint = old.presenter, old.chart_view, old.hint
        self.world, self.moves = world, play_moves(world)
        await old.remove()
        dashboard = Dashboard(world, id="dashboard")
        dashboard.presenter, dashboard.chart_view, dashboard.hint = presenter, chart_view, hint
        await self.mount(dashboard, before=self.query_one(KeyBar))
        key_bar = self.query_one(KeyBar)
        key_bar.moves, key_bar.hidden = self.moves, self._hidden()
        key_bar.refresh()
        self.refresh_bindings()

    def on_trainer_event(self, message: TrainerEvent) -> None:
        match message.event:
            case Notice(text=text, severity=severity, topic=topic):
                timeout = 8 if severity in ("error", "warning") else 2
                self.say(text, severity=severity, timeout=timeout, topic=topic)
            case Starting(text=text):
                if self.tour is None:
                    self.query_one(StatusBar).show_starting(text)
            case Comparison() as comparison:
                self.query_one(CompareTable).show(comparison)
            case TripFinished(trip=TripResult() as trip):
                self.push_screen(TripScreen(trip), lambda watch: self._after_trip(trip, watch))
            case TripFinished(trip=balance):
                self.push_screen(BalanceScreen(balance))

    def _after_trip(self, trip, watch_agent: bool | None) -> None:
        if watch_agent:
            self.push_screen(
                ReplayScreen([trip.agent_frames], self.world, "the agent from your start")
            )

    # -- layout ------------------------------------------------------------------------------
    @on(Resize)
    def _fit(self, event: Resize) -> None:
        width, height = event.size
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.set_class(too_small, "-too-small")
        if too_small:
            self.query_one("#too-small", Static).update(
                f"The terminal is {width}x{height}.\n"
                f"Enlarge it to at least {MIN_SIZE[0]}x{MIN_SIZE[1]} for tui-taxi."
            )

    # -- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Each mode has its own keys (see tui_taxi.ui.keys)."""
        if action == "move" and parameters and parameters[0] not in self.moves:
            return False  # this world has no such action (Pickup outside Taxi, diagonals)
        if action == "per_action":
            return self.world.model is not None and self.world.model.grid is not None
        if action in keys.ACTIONS:
            return keys.allowed(action, parameters, self.mode)
        return True

    def action_tour(self, move: int) -> None:
        """Next (1), back (-1) or the first slide (0) of the tour."""
        caption = self.query_one(TourCaption)
        index = caption.go(move)
        self.trainer.send(RunTour(self.tour, index))
        panel = self.tour.panel_at(index)
        if panel == "compare":
            self.trainer.send(Compare())
        dashboard = self.query_one(Dashboard)
        dashboard.set_chart_view(self.tour.view_at(index) == "chart")
        dashboard.set_tour_panel(panel)
        metric, shown = self.tour.chart_at(index)
        self.query_one(RewardChart).set_view(metric, shown == "clipped")

    def action_world(self) -> None:
        def chosen(world: tuple[str, tuple] | None) -> None:
            if world is None:
                return
            if self.snapshot is not None and self.snapshot.total_steps:
                self.push_screen(
                    ConfirmScreen(
                        "Start a fresh agent on that world? This one's "
                        "Q-table, counters and history go."
                    ),
                    lambda yes: yes and self.trainer.send(SetWorld(*world)),
                )
            else:
                self.trainer.send(SetWorld(*world))

        current = (self.world.env_id, self.world.env_kwargs)
        self.push_screen(WorldPicker(current), chosen)

    def action_manual(self) -> None:
        if not self.world.playable:
            self.notify(unplayable(self.world), timeout=3)
            return
        self.trainer.send(SetManual())

    def action_move(self, move: str) -> None:
        action = move_action(self.world, move)
        if action is None:
            self.notify(f"{self.world.env_id} has no {move} action", timeout=2)
            return
        self.trainer.send(Move(action))

    def action_hint(self) -> None:
        dashboard = self.query_one(Dashboard)
        dashboard.set_hint(not dashboard.hint)
        self.say("hint shown" if dashboard.hint else "hint hidden", timeout=1.5, topic="hint")

    def action_learn_from_human(self) -> None:
        self.trainer.send(SetLearnFromHuman())

    def action_explain(self) -> None:
        dashboard = self.query_one(Dashboard)
        if dashboard.layout_plan is not None and dashboard.layout_plan.both_panels:
            self.say(
                "the TD explainer and the statistics are both on screen at this size",
                topic="explain",
            )
            return
        dashboard.set_prefer_stats(not dashboard.prefer_stats)

    def action_replay(self) -> None:
        if self.world.model is None:
            self.notify(
                f"replay draws the grid worlds' states; {self.world.env_id}'s are not recorded",
                timeout=3,
            )
            return
        replays = list(self.snapshot.replays) if self.snapshot else []
        self.push_screen(ReplayScreen(replays, self.world, "recent episodes"))

    def action_screenshot(self) -> None:
        name = f"tui-taxi-{time.strftime('%Y%m%d-%H%M%S')}.svg"
        try:
            path = self.save_screenshot(filename=name)
        except OSError as exc:
            self.notify(f"screenshot not saved: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"screenshot saved to {Path(path).resolve()}", timeout=4)

    def action_presenter(self) -> None:
        self._set_presenter(not self.has_class("-presenter"))

    def _set_presenter(self, on: bool) -> None:
        self.set_class(on, "-presenter")
        if on:
            self._theme_before = self.theme
        self.theme = PRESENTER.name if on else getattr(self, "_theme_before", "textual-dark")
        self.query_one(Dashboard).set_presenter(on)

    def action_toggle_pause(self) -> None:
        self.trainer.send(SetPaused())

    def action_step(self) -> None:
        self.trainer.send(Step())

    def action_speed(self, change: int) -> None:
        self.trainer.send(ChangeSpeed(change))

    def action_adjust(self, name: str, sign: int) -> None:
        self.trainer.send(Adjust(name, sign * STEP))

    def action_cycle_learner(self) -> None:
        self.trainer.send(NextLearner())

    def action_toggle_view(self) -> None:
        dashboard = self.query_one(Dashboard)
        if dashboard.layout_plan is not None and not dashboard.layout_plan.table_fits:
            self.notify(
                "the Q-table needs a wider terminal in the presenter layout (T leaves it)",
                timeout=3,
            )
            return
        dashboard.set_chart_view(not dashboard.chart_view)

    def action_per_action(self) -> None:
        on = self.query_one("#qtable").toggle_per_action()
        self.say(
            "each action's value in each cell" if on else "max Q and the greedy action",
            topic="per-action",
        )

    def action_chart_metric(self) -> None:
        self.say(f"chart: {self.query_one(RewardChart).cycle_metric()}", timeout=1.5, topic="chart")

    def action_smoothing(self) -> None:
        self.say(
            f"chart smoothing: {self.query_one(RewardChart).cycle_smoothing():g}",
            timeout=1.5,
            topic="chart",
        )

    def action_chart_range(self) -> None:
        self.say(f"chart: {self.query_one(RewardChart).toggle_range()}", topic="chart")

    def action_reset(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.trainer.send(Reset())

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

        default = self.save_path if Path(self.save_path).is_file() else ""
        self.push_screen(PathPrompt("Load a session from:", default), chosen)

    def action_help(self) -> None:
        view = self.query_one(Dashboard).view
        self.push_screen(HelpScreen(self.mode, self._keys(), view.guide))

    def _keys(self) -> list[keys.Key]:
        """The keys of the current mode that this world has."""
        network = self.snapshot is not None and self.snapshot.network is not None
        return keys.keys_for(self.mode, self.moves, self._hidden(), network)

    def _hidden(self) -> frozenset[str]:
        """The actions this world does not have: the per-action view without a grid, replay
        without states, play mode without a game."""
        model = self.world.model
        hidden = {"per_action"} if model is None or model.grid is None else set()
        if model is None:  # replay draws a grid world's states
            hidden.add("replay")
        if not self.world.playable:
            hidden.add("manual")
        return frozenset(hidden)

    def _quit_on_signal(self) -> None:
        """SIGTERM / SIGHUP: quit cleanly, with the status a killed program conventionally has."""
        self.trainer.stop()
        self.exit(return_code=143)

    async def action_quit(self) -> None:
        self.trainer.stop()
        self.exit()

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._signals:
            loop.remove_signal_handler(sig)
        self.trainer.stop()
        sys.setswitchinterval(self._switch_interval)
        gc.set_threshold(*self._gc_threshold)
        gc.unfreeze()

    def get_system_commands(self, screen):
        """The palette: Textual's own commands, then every key of the current mode, named for
        people (with its key)."""
        for command in super().get_system_commands(screen):
            if command.title != "Keys":  # ours (?) shows the keys of the mode, by group
                yield command
        for key in self._keys():
            if key.action == "quit":
                continue
            yield SystemCommand(
                key.help,
                f"key: {key.shown}",
                lambda action=key.action: self.run_action(action),
            )


def unplayable(world: World) -> str:
    return f"play: CartPole and the grid worlds; {world.env_id} is watched, not played"


def create_app(
    config: TrainConfig | DQNConfig | None = None,
    *,
    load: str | Path | None = None,
    paused: bool = False,
    speed_index: int = DEFAULT_SPEED,
    manual: bool = False,
    presenter: bool = False,
    tour: Tour | None = None,
) -> TaxiApp:
    """The factory the CLI and the tests share: a tabular agent for a :class:`TrainConfig`, a
    DQN for a :class:`DQNConfig`. A saved agent of either kind is read (and validated) now; a
    new one is built on the trainer's thread, so the screen is up before the kernels compile."""
    if load is not None:
        session: agents.Agent | Callable[[], agents.Agent] = agents.load(load)
        world = World.of_agent(session)
        save_path = str(load)
    else:
        config = config or TrainConfig()
        model, names, obs_dim = agents.open_env(config)
        world = (
            World.of(model)
            if model is not None
            else World.continuous(config.env_id, config.env_kwargs, names, obs_dim)
        )
        session = lambda: agents.new_agent(config, model)  # noqa: E731
        save_path = f"tui-taxi-{time.strftime('%Y%m%d-%H%M%S')}.npz"
    if manual and not world.playable:
        raise ConfigError(f"{unplayable(world)} (tui-taxi --agent dqn --env {world.env_id})")
    pretrain = 0
    if manual and load is None:  # a person plays against a trained agent
        pretrain = config.total_timesteps if isinstance(config, DQNConfig) else PLAY_PRETRAIN
    return TaxiApp(
        session,
        world=world,
        paused=paused,
        speed_index=speed_index,
        save_path=save_path,
        manual=manual,
        pretrain=pretrain,
        presenter=presenter,
        tour=tour,
    )
