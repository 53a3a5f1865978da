"""The live app: it runs a :class:`~tui_taxi.trainer.Trainer` in its own thread, turns keys into
intents, and hands the trainer's snapshots to the live screen and its events to toasts and
screens. The view state lives on the screen that shows the views (:mod:`.screens.live`)."""

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

from textual.app import App, SystemCommand

from tui_taxi.core.agent import default_config, kind_named, kind_of, new_agent, open_env
from tui_taxi.core.agent import load as load_agent
from tui_taxi.core.envs import compile_env
from tui_taxi.core.errors import ConfigError
from tui_taxi.demo import Tour
from tui_taxi.protocol import (
    DEFAULT_SPEED,
    Adjust,
    ChangeSpeed,
    Compare,
    Comparison,
    KeepCurve,
    Load,
    Move,
    NextVariant,
    Notice,
    PlayModeChanged,
    Reset,
    RestoreBest,
    RunTour,
    Save,
    SetLearnFromHuman,
    SetManual,
    SetPaused,
    SetWorld,
    Snapshot,
    Starting,
    Step,
    StepInPlayMode,
    TripFinished,
    TripResult,
    World,
)
from tui_taxi.trainer import Trainer
from tui_taxi.ui import keys
from tui_taxi.ui.agent_views import agent_view
from tui_taxi.ui.messages import SnapshotReady, TrainerEvent
from tui_taxi.ui.screens.confirm import ConfirmScreen
from tui_taxi.ui.screens.help import HelpScreen
from tui_taxi.ui.screens.live import LiveScreen
from tui_taxi.ui.screens.path_prompt import PathPrompt
from tui_taxi.ui.screens.replay import ReplayScreen
from tui_taxi.ui.screens.trip import BalanceScreen, TripScreen
from tui_taxi.ui.screens.world_picker import WorldPicker
from tui_taxi.ui.theme import PRESENTER
from tui_taxi.ui.toasts import Toasts
from tui_taxi.ui.views import MISSING_WHY, missing, move_action, play_moves, view_for
from tui_taxi.ui.widgets.compare_table import CompareTable
from tui_taxi.ui.widgets.planning_panel import PlanningPanel
from tui_taxi.ui.widgets.reward_chart import RewardChart
from tui_taxi.ui.widgets.tour_caption import TourCaption

GIL_SWITCH_INTERVAL = 0.001  # seconds
GC_FULL_EVERY = 100  # generation-1 collections between full ones (CPython's default: 10)
GC_FULL_INTERVAL = 20.0  # seconds: a full collection at least this often


#: Moves whose keys do nothing else: pressed where they cannot move (another world, training),
#: the app says why instead of ignoring them.
SAID_MOVES = ("stay", "pickup", "dropoff")


class TaxiApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "tui-taxi"
    BINDINGS = keys.bindings(keys.APP)

    def __init__(
        self,
        agent,
        *,
        world: World | None = None,
        paused: bool = False,
        speed_index: int | None = DEFAULT_SPEED,
        stop_when_solved: bool = True,
        save_path: str = "tui-taxi-session.npz",
        manual: bool = False,
        practice: bool = False,
        presenter: bool = False,
        tour: Tour | None = None,
    ) -> None:
        super().__init__()
        self.world = world if world is not None else World.of_agent(agent)
        self.tour = tour
        self.register_theme(PRESENTER)
        self.presenter = presenter
        self.trainer = Trainer(
            agent,
            on_snapshot=lambda snap: self.post_message(SnapshotReady(snap)),
            on_event=lambda event: self.post_message(TrainerEvent(event)),
            paused=paused,
            speed_index=speed_index,
            manual=manual,
            practice=practice,
            stop_when_solved=stop_when_solved,
        )
        self.snapshot: Snapshot | None = None
        self.toasts = Toasts(self)
        self.save_path = save_path
        self.mode = keys.TOUR if tour is not None else keys.PLAY if manual else keys.TRAIN
        self.moves = play_moves(self.world)
        self.live = LiveScreen(self.world, tour)

    @property
    def tour_index(self) -> int:
        return self.live.query_one("#caption").index if self.tour is not None else 0

    def get_default_screen(self) -> LiveScreen:
        return self.live

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
        # ... but not minutes: every line drawn leaves a small reference cycle (a Strip keeps
        # itself in its own divide cache), so a full pass comes at least this often
        self.set_interval(GC_FULL_INTERVAL, self.collect_garbage)
        self._handle_signals()
        self.set_class(self.tour is not None, "-demo")

    def collect_garbage(self) -> None:
        """A full collection (a method: Textual's timers cannot call a C function such as
        ``gc.collect``, whose parameters they fail to count)."""
        gc.collect()

    def live_ready(self) -> None:
        """The live screen is composed and mounted (its ``on_mount`` calls this): the trainer
        starts, so its snapshots have panels to go to, and a tour shows its first slide."""
        if self.presenter:
            self._set_presenter(True)
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
        snap = message.snapshot
        if not self.live.is_mounted:  # closing: a late one is dropped
            return
        if snap.world is not self.world:  # another world: its own widgets
            self.world, self.moves = snap.world, play_moves(snap.world)
            await self.live.switch_world(snap.world)
            self.refresh_bindings()
        self.snapshot = snap
        self.set_class(snap.paused, "-paused")
        mode = keys.TOUR if self.tour is not None else keys.PLAY if snap.manual else keys.TRAIN
        if mode != self.mode:
            self.mode = mode
            self.set_class(mode == keys.PLAY, "-manual")
            self.live.set_mode(mode)
            self.refresh_bindings()
        self.live.show(snap)

    def on_trainer_event(self, message: TrainerEvent) -> None:
        match message.event:
            case Notice(text="", topic=topic) if topic:
                self.toasts.clear(topic)  # (what it said no longer holds)
            case Notice(text=text, severity=severity, topic=topic, timeout=timeout):
                if timeout is None:
                    timeout = 8 if severity in ("error", "warning") else 2
                self.toasts.say(text, severity=severity, timeout=timeout, topic=topic)
            case Starting(text=text):
                self.live.show_starting(text)
            case Comparison() as comparison:
                for table in self.live.query(CompareTable):
                    table.show(comparison)
                for caption in self.live.query(TourCaption):  # a tour's figures of it
                    caption.show_comparison(comparison)
            case TripFinished(trip=TripResult() as trip):
                self.push_screen(
                    TripScreen(trip, self.world), lambda watch: self._after_trip(trip, watch)
                )
            case TripFinished(trip=balance):
                self.push_screen(BalanceScreen(balance))
            case PlayModeChanged(on=on):
                thing = (
                    "the taxi"
                    if self.world.model is not None and self.world.model.is_taxi
                    else "it"
                )
                self.toasts.say(
                    f"play mode: you drive ({self._move_keys()}); m gives {thing} back"
                    if on
                    else "the agent drives again",
                    topic="play",
                )
            case StepInPlayMode():
                self.toasts.say(
                    f"play mode: move with {self._move_keys()} (m gives it back)", topic="play"
                )

    def _move_keys(self) -> str:
        return "the arrow keys" if "up" in self.moves else "the keys of its moves"

    def _after_trip(self, trip, watch_agent: bool | None) -> None:
        if watch_agent:
            self.push_screen(
                ReplayScreen([trip.agent_frames], self.world, "the agent from your start")
            )

    # -- keys -> intents -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Each mode has its own keys (see tui_taxi.ui.keys), each world its own moves."""
        if action == "move" and parameters and parameters[0] in SAID_MOVES:
            return self.mode != keys.TOUR  # keys of their own: action_move says why not
        if action == "move" and parameters and parameters[0] not in self.moves:
            return self.mode == keys.PLAY  # playing: action_move says the world has none
        if action in keys.ACTIONS:
            return keys.allowed(action, parameters, self.mode)
        return True

    def _refused(self, action: str) -> bool:
        """Say why this world has no such action, if it has none."""
        if action not in missing(self.world):
            return False
        self.notify(MISSING_WHY[action].format(env=self.world.env_id), timeout=3)
        return True

    def action_tour(self, move: int) -> None:
        """Next (1), back (-1) or the first slide (0) of the tour."""
        caption = self.live.query_one(TourCaption)
        index = caption.go(move, self.trainer.sent + 1)
        self.trainer.send(RunTour(self.tour, index))
        panel = self.tour.panel_at(index)
        if panel == "compare":
            self.trainer.send(Compare())
        self.live.chart_view = self.tour.view_at(index) == "chart"
        self.live.dashboard.set_tour_panel(panel)
        metric, shown = self.tour.chart_at(index)
        self.live.query_one(RewardChart).set_view(metric, shown == "clipped")
        self._tour_planning(index, caption)

    def _tour_planning(self, index: int, caption: TourCaption) -> None:
        """A planning slide: the planner as the tour's steps leave it, instead of the
        dashboard, the run beside it; its figures in the caption."""
        plan = self.tour.plan_at(index) if self.tour.view_at(index) == "planning" else None
        self.live.set_class(plan is not None, "-planning")
        panel = self.live.query_one(PlanningPanel)
        caption.planning = panel if plan is not None else None
        if plan is None:
            return
        start, steps = plan
        model = compile_env(start.env_id, start.env_kwargs)  # (compiled when the tour was read)
        panel.drawn = lambda: caption.refresh(layout=True)
        panel.replay(model, view_for(World.of(model)).plan, start, steps, self._run_values)

    def _run_values(self):
        """The run on the trainer's thread, as its latest snapshot shows it (beside a planner)."""
        snap = self.snapshot
        return (snap.q, snap.total_steps, snap.variant) if snap else (None, 0, "")

    def action_world(self) -> None:
        def chosen(world: tuple[str, tuple] | None) -> None:
            if world is None:
                return
            if self.snapshot is not None and self.snapshot.total_steps:
                self.push_screen(
                    ConfirmScreen(
                        "Start a fresh agent on that world? This one's values, counters and "
                        "history go."
                    ),
                    lambda yes: yes and self.trainer.send(SetWorld(*world)),
                )
            else:
                self.trainer.send(SetWorld(*world))

        self.push_screen(WorldPicker((self.world.env_id, self.world.env_kwargs)), chosen)

    def action_manual(self) -> None:
        if not self._refused("manual"):
            self.trainer.send(SetManual())

    def action_move(self, move: str) -> None:
        action = move_action(self.world, move)
        if action is None:
            self.toasts.say(
                f"{self.world.env_id} has no {move} move; its moves: {', '.join(self.moves)}",
                topic="move",
            )
            return
        if self.mode != keys.PLAY:
            self.toasts.say(f"{move} is a move of play mode: m to play", topic="move")
            return
        self.trainer.send(Move(action))

    def action_learn_from_human(self) -> None:
        self.trainer.send(SetLearnFromHuman())

    def action_plan(self) -> None:
        """Dynamic programming on this world's model, on a screen of its own (the run on the
        trainer's thread goes on untouched)."""
        if self._refused("plan"):
            return
        from tui_taxi.ui.screens.planning import PlanningScreen

        gamma = self.snapshot.config.gamma if self.snapshot is not None else 1.0
        view = view_for(self.world).plan
        self.push_screen(
            PlanningScreen(self.world.model, gamma, self.world.env_id, view, self._run_values)
        )

    def action_replay(self) -> None:
        if self._refused("replay"):
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
        self.live.dashboard.set_presenter(on)

    def action_toggle_pause(self) -> None:
        self.trainer.send(SetPaused())

    def action_step(self) -> None:
        self.trainer.send(Step())

    def action_speed(self, change: int) -> None:
        self.trainer.send(ChangeSpeed(change))

    def action_adjust(self, role: str, direction: int) -> None:
        self.trainer.send(Adjust(role, direction))

    def action_next_variant(self) -> None:
        self.trainer.send(NextVariant())

    def action_restore_best(self) -> None:
        """A network's best greedy check so far: its weights back (the trainer says which)."""
        self.trainer.send(RestoreBest())

    def action_keep_curve(self) -> None:
        """Keep the run's curve on the chart (named by its variant and settings), or let a
        kept one go."""
        snap = self.snapshot
        if snap is None:
            return
        if snap.kept:
            self.trainer.send(KeepCurve(None))
            self.toasts.say("the kept curve is gone", topic="keep")
            return
        label = " ".join([snap.variant, *(f"{s.symbol} {s.brief}" for s in snap.settings)])
        self.trainer.send(KeepCurve(label))
        self.toasts.say(
            f"kept on the chart: {label}; reset or change the agent to compare", topic="keep"
        )

    def action_reset(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.trainer.send(Reset())

        what = self._kind().resets if self.snapshot is not None else "values"
        self.push_screen(
            ConfirmScreen(f"Reset the agent? Its {what}, counters and history go."), answered
        )

    def action_save(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.save_path = path
                self.trainer.send(Save(path))

        self.push_screen(PathPrompt("Save the agent to:", self.save_path), chosen)

    def action_load(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.trainer.send(Load(path))

        default = self.save_path if Path(self.save_path).is_file() else ""
        self.push_screen(PathPrompt("Load a tui-taxi save from:", default), chosen)

    def action_help(self) -> None:
        kind = self.snapshot.kind if self.snapshot is not None else ""
        guide = agent_view(kind).guide
        self.push_screen(HelpScreen(self.mode, self._keys(), self.live.dashboard.view.guide, guide))

    def _kind(self):
        return kind_named(self.snapshot.kind)

    def _keys(self) -> list[keys.Key]:
        """The keys of the current mode that this world has, said as the agent's kind does."""
        help_for = None
        if self.snapshot is not None:
            help_for = keys.agent_help(self.snapshot.settings, self._kind().variant_help)
        return keys.keys_for(self.mode, self.moves, missing(self.world), help_for)

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
            action = f"screen.{key.action}" if key.owner == keys.SCREEN else key.action
            yield SystemCommand(
                key.help, f"key: {key.shown}", lambda action=action: self.run_action(action)
            )


def create_app(
    config=None,
    *,
    load: str | Path | None = None,
    paused: bool = False,
    speed_index: int | None = DEFAULT_SPEED,
    manual: bool = False,
    presenter: bool = False,
    tour: Tour | None = None,
    stop_when_solved: bool = True,
) -> TaxiApp:
    """The factory the CLI and the tests share: an agent of the config's kind (the default
    kind's defaults when none is given). A saved agent of any kind is read (and validated)
    now; a new one is built on the trainer's thread, so the screen is up before the kernels
    compile. ``manual``: play mode, a fresh agent practising first."""
    if load is not None:
        agent = load_agent(load)
        world = World.of_agent(agent)
        save_path = str(load)
    else:
        config = config if config is not None else default_config()
        kind_of(config)  # a config of no kind fails here
        model, names, obs_dim = open_env(config)
        world = (
            World.of(model)
            if model is not None
            else World.continuous(config.env_id, config.env_kwargs, names, obs_dim)
        )
        agent: object | Callable = lambda: new_agent(config, model)  # noqa: E731
        save_path = f"tui-taxi-{time.strftime('%Y%m%d-%H%M%S')}.npz"
    if manual and "manual" in missing(world):
        raise ConfigError(
            f"{MISSING_WHY['manual'].format(env=world.env_id)} "
            f"(tui-taxi --agent dqn --env {world.env_id})"
        )
    return TaxiApp(
        agent,
        world=world,
        paused=paused,
        speed_index=speed_index,
        stop_when_solved=stop_when_solved,
        save_path=save_path,
        manual=manual,
        practice=manual and load is None,
        presenter=presenter,
        tour=tour,
    )
