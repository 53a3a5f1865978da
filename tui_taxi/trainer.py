"""Drive an agent of any kind (see :mod:`tui_taxi.core.agent`) from a worker thread.

The trainer owns the agent: only its thread touches it. Other threads send intents (see
:mod:`tui_taxi.protocol`) through a queue; the worker resolves each against the agent and answers
with immutable snapshots (at most ``max_fps`` per second) and events. It knows nothing of widgets
or Textual, nor which kind of agent it holds: what differs between kinds is asked of the agent.
Nothing a command, a file or a bug does may end the worker: a failure becomes an error notice,
the agent goes back to how it was before, and the next command is handled. A tour's slides are
replayed through the same intents as the keys.
"""

from __future__ import annotations

import copy
import math
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tui_taxi.checks import GoalWatch
from tui_taxi.core.agent import STEPS, Budget, default_agent, kind_named, load, new_agent
from tui_taxi.core.envs import normalize_kwargs
from tui_taxi.core.training import CHECK_EVERY, Pace, TrainingRun, goal_for, train
from tui_taxi.play import Balance, Recorder, Trip, surprise
from tui_taxi.protocol import (
    DEFAULT_SPEED,
    SPEEDS,
    Adjust,
    ChangeSpeed,
    Command,
    Compare,
    Event,
    Frame,
    KeepCurve,
    Load,
    Move,
    NextVariant,
    Notice,
    PlayModeChanged,
    Refresh,
    Reset,
    RestoreBest,
    RunTour,
    Save,
    SetLearnFromHuman,
    SetManual,
    SetPaused,
    SetSetting,
    SetSpeed,
    SetWorld,
    Shutdown,
    Snapshot,
    Starting,
    Step,
    StepInPlayMode,
    Train,
    TripFinished,
    Walk,
)
from tui_taxi.snapshots import BackgroundReport, SnapshotMaker, WorkerState, compare

FRAME_RATE = 20.0  # frames per second when fast-forwarding
TURBO_CHUNK = 0.005  # seconds of kernel time per turbo call (commands wait at most this)
PRACTICE_CHUNK = 0.02  # seconds per call while the agent trains before play starts
CHECKPOINT_INTERVAL = 1.0  # seconds between copies of the agent kept to recover from a failure
TOUR_SPEED = 2  # the animated steps of a tour play at this speed level (5 steps/s)
WALK_CAP = 1_000  # a walk stops here in a world without a time limit (a policy may loop)

_REFRESHED, _PACED = 1, 2  # what _drain handled: background results only, or a command

SnapshotCallback = Callable[[Snapshot], None]
EventCallback = Callable[[Event], None]


class Trainer:
    """Owns an agent; call :meth:`start` (or :meth:`run` in a thread) and :meth:`send` from
    anywhere. ``agent`` may be a function that builds it: it then runs on the worker (the first
    run compiles the numba kernels, which takes seconds), while the screen is already up. With
    ``manual`` and ``practice``, a fresh agent trains first (its kind's practice: a table's
    100,000 episodes, a network's budget or until solved) and then a person plays against it."""

    def __init__(
        self,
        agent,
        on_snapshot: SnapshotCallback,
        on_event: EventCallback,
        *,
        paused: bool = False,
        speed_index: int | None = DEFAULT_SPEED,
        manual: bool = False,
        practice: bool = False,
        max_fps: float = 30.0,
        stop_when_solved: bool = True,
    ) -> None:
        self.agent = None if callable(agent) else agent
        self._open = agent if callable(agent) else None
        self._on_snapshot = on_snapshot
        self._on_event = on_event
        self._commands: queue.Queue[Command] = queue.Queue()
        self._stopped = threading.Event()
        self.paused = paused
        self.speed_index = speed_index  # None: the kind's opening speed, once it is known
        self.stop_when_solved = stop_when_solved  # a network's run pauses at its goal
        self._watch: GoalWatch | None = None  # a network's live greedy check
        self.manual = manual
        self.learn_from_human = False
        self.min_frame = 1.0 / max_fps
        self.thread: threading.Thread | None = None
        self.sent = 0  # commands sent; snapshots carry how many were handled
        self._handled = 0
        self._count_lock = threading.Lock()
        self._snapshots = SnapshotMaker(lambda: self.send(Refresh()), self._emit)
        self._last_publish = -math.inf
        self._pace: Pace | None = None
        self._frame_left = 0  # episodes of the current fast-forward frame still to train
        self._human_at = -1  # total_steps just after the person's last move
        self._trip: Trip | Balance | None = None
        self._recorder = Recorder()
        self._wants_practice = practice and manual
        self._practice: TrainingRun | None = None  # training before play starts
        self._practice_pace: Pace | None = None
        self._play_to = 0  # an animated tour step pauses when total_steps reaches this
        self._walking = False  # the animated steps walk the policy without learning
        self._walk_from = None  # the agent a walk's copy walks for (it neither learns nor counts)
        self._walked = None  # the last walk's last step, shown until the next command
        self._checkpoint = None
        self._checkpoint_time = -math.inf
        self._diagnosed: str | None = None  # the last problem said
        self._diagnosed_for: object = None
        self._quiet = False  # replaying a tour: its intents' notices are not shown
        self._tour_of: object = None  # the tour whose slides are cached
        self._tour_cache: dict[int, tuple] = {}  # slide -> (agent, kept curves, check) after it

    # -- any thread ------------------------------------------------------------------------
    def start(self) -> None:
        """Run :meth:`run` in a thread of its own (a daemon: it can never keep the process up)."""
        self.thread = threading.Thread(target=self.run, name="tui-taxi-trainer", daemon=True)
        self.thread.start()

    def send(self, command: Command) -> None:
        with self._count_lock:
            self.sent += 1
        self._commands.put(command)

    def stop(self, timeout: float | None = 1.0) -> None:
        """Ask the worker to finish (it does within one kernel call) and wait for it."""
        self._stopped.set()
        self._commands.put(Shutdown())
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    # -- the worker thread -----------------------------------------------------------------
    def run(self) -> None:
        """The worker's loop: commands first, then as much training as the speed asks for."""
        self._start_agent()
        next_frame = time.perf_counter()
        while not self._stopped.is_set():
            try:
                timeout = None if self._idle() else max(0.0, next_frame - time.perf_counter())
                handled = self._drain(timeout)
                if handled == _PACED:
                    next_frame = time.perf_counter()  # a command was handled: restart the clock
                if handled:
                    continue
                if self._stopped.is_set() or self._idle():
                    continue
                next_frame += self._advance()
            except Exception as exc:  # noqa: BLE001 - shown to the user; the worker goes on
                self._recover(exc)
                next_frame = time.perf_counter()
            if next_frame < time.perf_counter() - 0.5:  # fell behind: do not try to catch up
                next_frame = time.perf_counter()

    def _start_agent(self) -> None:
        if self.agent is None:
            self._emit(Starting("compiling the kernels (the first run only: a few seconds)…"))
            try:
                self.agent = self._open()
            except Exception as exc:  # noqa: BLE001 - fall back to a fresh default agent
                self._emit(
                    Notice(f"could not start that agent ({exc}); a new one instead", "error")
                )
                self.agent = default_agent()
        if self.speed_index is None:
            opening = self.agent.opening_speed
            self.speed_index = DEFAULT_SPEED if opening is None else opening
            if opening is not None and not self.manual:
                self._emit(
                    Notice(
                        f"{self.agent.label} opens at {SPEEDS[opening].label} (a network "
                        "learns nothing worth watching at 10 steps/s): [ slower, ] faster",
                        topic="speed",
                        timeout=6,
                    )
                )
        self._new_agent(self.agent)
        if self.manual:
            if self._wants_practice and self.agent.episode == 0:
                budget, goal = self.agent.practice()
                self._practice = TrainingRun(self.agent, budget, goal=goal)
                self._practice_pace = Pace(self.agent, PRACTICE_CHUNK)
            else:
                self._begin_trip()
        try:
            self._diagnose()
            self._publish(force=True)
        except Exception as exc:  # noqa: BLE001
            self._recover(exc)

    def _flat_out(self) -> bool:
        """Training whole episodes per frame (fast-forward or turbo), not step by step."""
        return not (self._idle() or self._play_to or SPEEDS[self.speed_index].animated)

    def _idle(self) -> bool:
        if self.agent is None:
            return True
        if self._practice is not None or self._play_to:
            return False
        return self.paused or self.manual

    def _drain(self, timeout: float | None) -> int:
        """Handle every queued command, waiting up to ``timeout`` for the first one. Returns 0
        (none), _REFRESHED (only background results came in: the pace goes on) or _PACED (a
        person's command: the next frame is timed from now)."""
        try:
            command = (
                self._commands.get(timeout=timeout) if timeout != 0 else self._commands.get_nowait()
            )
        except queue.Empty:
            return 0
        outcome = _REFRESHED
        while True:
            if not isinstance(command, Refresh):
                outcome = _PACED
            self._handle_safely(command)
            self._handled += 1
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                break
        if outcome == _PACED:
            self._diagnose()
        self._publish(force=True)
        return outcome

    def _handle_safely(self, command: Command) -> None:
        """Handle one command; if it fails, the agent is as it was before the command."""
        if isinstance(command, (Refresh, Shutdown, SetPaused, ChangeSpeed, SetSpeed)):
            self._handle(command)  # nothing of the agent changes
            return
        self._finish_check()
        self._checkpoint = self.agent.copy()
        self._checkpoint_time = time.perf_counter()
        try:
            self._handle(command)
        except (ValueError, OSError) as exc:  # a bad value or file: the user's, said plainly
            self._restore()
            self._quiet = False
            self._emit(Notice(str(exc), "error"))
        except Exception as exc:  # noqa: BLE001 - a bug: say so, keep going
            self._restore()
            self._quiet = False
            self._emit(Notice(f"{_describe(command)} failed: {type(exc).__name__}: {exc}", "error"))

    def _recover(self, exc: Exception) -> None:
        """Training, stepping or publishing failed: back to the last good copy, paused."""
        self.paused = True
        self._play_to = 0
        self._practice = None
        self._restore()
        self._emit(Notice(f"training paused: {type(exc).__name__}: {exc}", "error"))
        try:
            self._publish(force=True)
        except Exception as again:  # noqa: BLE001 - even the good copy cannot be shown
            self._emit(Notice(f"the screen cannot show this agent: {again}", "error"))

    def _restore(self) -> None:
        self._end_walk()
        if self._checkpoint is not None:
            self.agent = self._checkpoint.copy()

    def _emit(self, event: Event) -> None:
        if self._quiet and isinstance(event, Notice) and event.severity == "information":
            return
        self._on_event(event)

    def _advance(self) -> float:
        """One frame of work at the current speed; returns the seconds until the next frame."""
        now = time.perf_counter()
        if now - self._checkpoint_time >= CHECKPOINT_INTERVAL and self._walk_from is None:
            self._checkpoint, self._checkpoint_time = self.agent.copy(), now
        if self._practice is not None:
            return self._practice_chunk()
        speed = SPEEDS[TOUR_SPEED if self._play_to else self.speed_index]
        if speed.animated:
            self._play_step()
            self._watch_check()
            self._publish(force=True)
            return 1.0 / speed.steps_per_second
        self._recorder.drop_partial()  # whole episodes at once: not recorded
        if self._watch is not None and self._watch.pending:  # a slice of the check, then keys
            if not self._watch_check():
                self._publish()
            return 0.0
        if speed.episodes_per_frame:  # so many episodes a frame, in calls of a turbo's length
            if self._frame_left <= 0:
                self._frame_left = speed.episodes_per_frame
            before = self.agent.episode
            self._pace.train(self.agent, episodes=self._frame_left, steps=self._to_check())
            self._frame_left -= self.agent.episode - before
            if self._watch_check():
                return 0.0
            if self._frame_left > 0 or self.agent.in_step:
                self._publish()
                return 0.0
            self._publish(force=True)
            return 1.0 / FRAME_RATE
        self._pace.train(self.agent, steps=self._to_check())
        if not self._watch_check():
            self._publish()
        return 0.0

    # -- a network's live greedy check ---------------------------------------------------------
    def _to_check(self) -> int | None:
        """Steps the next call may take before the next check (None: no check to stop at;
        0 while a check is under way)."""
        w = self._watch
        if w is None:
            return None
        return 0 if w.pending else w.steps_to_next(self.agent)

    def _watch_check(self) -> bool:
        """At a check's step, the kind's goal tested on the network now on screen, as
        ``train`` tests it; pauses when the goal is first reached (``stop_when_solved``) or
        the budget is spent, and says so. Returns whether it paused."""
        w, agent = self._watch, self.agent
        if w is None or self._walk_from is not None or self.manual:
            return False
        if w.pending:  # a slice of the check under way (no training until it is done)
            news = w.step(agent)
            return False if news is None else self._checked(news)
        if not w.due(agent):
            return self._stop_at_budget()
        w.begin(agent)
        news = w.step(agent) if self._flat_out() else w.finish(agent)  # (stepping: at once)
        return False if news is None else self._checked(news)

    def _finish_check(self) -> None:
        """A command may change the network: the check under way ends first, on the network
        it began with."""
        w = self._watch
        if w is not None and w.pending:
            self._checked(w.finish(self.agent))

    def _checked(self, news: list[str]) -> bool:
        """A check is done: say what is news, pause where ``train`` would stop (the goal
        first reached, with ``stop_when_solved``; the budget spent). Returns whether it
        paused."""
        paused = False
        if news and self.stop_when_solved:
            paused = self._stop(f"{news[0]}. Paused: space trains on, B brings back the best")
        elif news:
            self._emit(Notice(news[0], topic="goal", timeout=6))
        return self._stop_at_budget() or paused

    def _stop_at_budget(self) -> bool:
        """Pause, once, when the run's step budget is spent (as ``train`` stops there)."""
        w = self._watch
        if not w.budget_spent(self.agent):
            return False
        best = f"; the best: {w.best_words()}, B brings it back" if w.best_network else ""
        return self._stop(
            f"The run's budget of {w.state.budget:,} steps is spent: paused (space trains on{best})"
        )

    def _stop(self, text: str) -> bool:
        self.paused, self._frame_left = True, 0
        self._emit(Notice(text, topic="goal", timeout=10))
        self._publish(force=True)
        return True

    def _play_step(self) -> None:
        """One step at a visible pace: training, a tour's closing steps or its walk (which
        ends at the episode's end or its cap, and then gives the walked agent back)."""
        ended = self._step_once(learn=not self._walking)
        if self._play_to and (self.agent.total_steps >= self._play_to or (self._walking and ended)):
            self._play_to = 0
            self._end_walk()
            self.paused = True

    def _end_walk(self) -> None:
        """A walk over (or cut short): its copy goes, the agent it walked for comes back, as it
        was: the walk learnt nothing and counts no episode. Its last step stays on screen."""
        if self._walk_from is not None:
            self._walked = self.agent.last_step
            self.agent, self._walk_from = self._walk_from, None
        self._walking = False

    def _practice_chunk(self) -> float:
        """The agent trains before a person plays against it (its kind's practice), then the
        person's first trip begins."""
        run = self._practice
        if not run.advance(self._practice_pace):
            self._publish()
            return 0.0
        self._practice = None
        agent = self.agent
        self._recorder.drop_partial()
        agent.new_episode()
        self._begin_trip()
        reached = ""
        if run.reached is not None:
            reached = f", {run.goal.what}"
            if run.goal.figure and math.isfinite(run.reached[2]):
                reached += f" ({run.goal.figure} {run.reached[2]:.1f})"
        self._emit(Notice(f"the agent trained {agent.trained()}{reached}: your turn"))
        self._publish(force=True)
        return 0.0

    def _practice_left(self) -> int:
        """What the agent still trains before play starts, in its kind's unit."""
        run = self._practice
        if run is None:
            return 0
        budget, done = (
            (run.budget.steps, run.steps_done)
            if self.agent.unit == "steps"
            else (run.budget.episodes, run.episodes_done)
        )
        return max(1, (budget or 0) - done)

    def _handle(self, command: Command) -> None:
        if not isinstance(command, Refresh | Walk | Compare):  # a command ends a walk
            self._end_walk()
            self._walked = None
        match command:
            case Shutdown():
                self._stopped.set()
            case Refresh():
                pass
            case SetPaused(paused=paused):
                self.paused = (not self.paused) if paused is None else paused
                self._play_to = 0
                self._snapshots.rate.reset(self.agent.total_steps)
            case Step(count=count):
                self.paused, self._play_to = True, 0
                if self.manual:
                    self._emit(StepInPlayMode())
                else:
                    for _ in range(count):
                        self._step_once()
                        self._watch_check()
            case ChangeSpeed(delta=delta):
                self._set_speed(self.speed_index + delta)
            case SetSpeed(index=index):
                self._set_speed(index, quiet=True)
            case Adjust(role=role, direction=direction):
                self._adjust(role, direction)
            case SetSetting(name=name, value=value):
                self.agent.set_setting(name, value)
                shown = next((s for s in self.agent.settings() if s.name == name), None)
                text = f"{shown.label} = {shown.text}" if shown else f"{name}: {value}"
                self._emit(Notice(text, topic=name))
            case NextVariant():
                self._emit(Notice(self.agent.next_variant(), topic="variant"))
            case Train(budget=budget, until_goal=until_goal, check_every=every):
                self._recorder.drop_partial()
                goal = None
                if until_goal and self.agent.unit == STEPS:  # checked where `train` checks
                    every, budget = None, self._to_check_step(budget)
                if until_goal:
                    goal = goal_for(self.agent, every)
                if budget.steps != 0:
                    train(self.agent, budget, goal=goal)
                if self._watch is not None and self._watch.due(self.agent):
                    self._watch.check(self.agent)  # (a network's greedy check, where it ended)
            case Walk():
                self._end_walk()
                self._walked = None
                self._recorder.drop_partial()
                self.agent.new_episode()
                self._walk_from, self.agent = self.agent, self.agent.copy()
                limit = getattr(self.agent.config, "max_steps", None) or WALK_CAP
                self.paused, self._walking = True, True
                self._play_to = self.agent.total_steps + limit
            case KeepCurve(label=label):
                self._snapshots.keep(self.agent, label)
            case RestoreBest():
                self._restore_best()
            case SetManual(on=on):
                self._set_manual((not self.manual) if on is None else on)
            case Move(action=action):
                self._move(action)
            case SetLearnFromHuman(on=on):
                self.learn_from_human = (not self.learn_from_human) if on is None else on
                self._emit(
                    Notice(
                        "your moves now teach the agent"
                        if self.learn_from_human
                        else "your moves no longer teach the agent",
                        topic="teach",
                    )
                )
            case RunTour(tour=tour, index=index):
                self._run_tour(tour, index)
            case Reset():
                self._new_agent(new_agent(self.agent.config, self.agent.model))
                self._emit(
                    Notice(f"agent reset: {self.agent.resets}, counters and history cleared")
                )
            case Save(path=path):
                saved = Path(self.agent.save(path)).resolve()
                self._emit(Notice(f"saved to {saved}", topic="save", timeout=6))
            case Load(path=path):
                self._new_agent(load(path))
                self._emit(Notice(f"loaded {path}: {self.agent.trained()}"))
            case SetWorld(env_id=env_id, env_kwargs=env_kwargs, keep_settings=keep):
                self._set_world(env_id, normalize_kwargs(env_kwargs), keep)
            case Compare() if self.agent.model is None:
                self._emit(
                    Notice(
                        "compare needs a discrete world (its exact optimum); for "
                        "CartPole: tui-taxi compare FILE",
                        "warning",
                    )
                )
            case Compare(episodes=episodes):
                self._emit(compare(self.agent, episodes))

    # -- commands --------------------------------------------------------------------------
    def _set_speed(self, index: int, quiet: bool = False) -> None:
        clamped = min(max(index, 0), len(SPEEDS) - 1)
        if not quiet:
            edge = " (fastest)" if index > clamped else " (slowest)" if index < clamped else ""
            self._emit(Notice(f"speed: {SPEEDS[clamped].label}{edge}", topic="speed"))
        self.speed_index = clamped
        self._frame_left = 0
        self._snapshots.rate.reset(self.agent.total_steps)

    def _adjust(self, role: str, direction: int) -> None:
        """Move the setting of ``role`` one step, as the agent's kind moves it (a schedule
        becomes the constant it has reached), within its range."""
        setting = self.agent.setting(role)
        if setting is None:
            self._emit(Notice(f"{self.agent.variant} has no such setting", "warning", topic=role))
            return
        value, edge = setting.moved(direction)
        self.agent.set_setting(setting.name, value)
        now = self.agent.setting(role)
        self._emit(Notice(f"{now.label} = {now.text}{edge}", topic=role))

    def _set_world(self, env_id: str, env_kwargs: tuple, keep_settings: bool) -> None:
        """A fresh agent of the same kind on another world: its defaults (the seed kept), or
        the settings so far."""
        config = self.agent.config
        if keep_settings:
            config = config.replace(env_id=env_id, env_kwargs=env_kwargs)
        else:
            config = type(self.agent).configure(env_id, env_kwargs, seed=config.seed)
        self._new_agent(new_agent(config))
        kwargs = ", ".join(f"{k}={v}" for k, v in env_kwargs)
        self._emit(Notice(f"{env_id}{f' ({kwargs})' if kwargs else ''}: a fresh agent"))

    def _run_tour(self, tour, index: int) -> None:
        """A fresh agent of the tour's kind, world and seed, then every slide's intents up to
        ``index``, handled as the keys' are (quietly); the shown slide's closing steps play at
        a visible pace. What the slides before ``index`` did is kept (the agent, the kept
        curves, the greedy check), so a slide that trains a network for seconds does so once,
        not again for every slide after it: the same intents from the same state, the same
        screen."""
        if self._tour_of is not tour:
            self._tour_cache, self._tour_of = {}, tour
        start = max((j for j in self._tour_cache if j < index), default=-1)
        if start >= 0:
            agent, kept, watch = self._tour_cache[start]
            self._new_agent(agent.copy())
            self._snapshots.kept, self._watch = kept, copy.copy(watch)
        else:
            kind = kind_named(tour.agent)
            model = self.agent.model
            same = model is not None and (model.env_id, model.env_kwargs) == (
                tour.env_id,
                tour.env_kwargs,
            )
            config = kind.configure(tour.env_id, tour.env_kwargs, seed=tour.seed)
            self._new_agent(new_agent(config, model if same else None))
            self._snapshots.kept = ()  # what the slides keep, they keep again
        self.paused, self.manual = True, False
        wait = None
        self._quiet = True
        try:
            for j in range(start + 1, index + 1):
                actions = tour.steps[j].actions
                if j == index and actions and isinstance(actions[-1], Step | Walk):
                    actions, wait = actions[:-1], actions[-1]  # played at a visible pace
                for intent in actions:
                    if isinstance(intent, Walk):  # an earlier slide's walk: it changed nothing
                        self.agent.new_episode()
                        continue
                    self._handle(intent)
                if j < index or wait is None:  # (a slide's closing steps play live)
                    self._tour_cache[j] = (
                        self.agent.copy(),
                        self._snapshots.kept,
                        copy.copy(self._watch),
                    )
        finally:
            self._quiet = False
        # the tour's settings are chosen (epsilon 0 to show a learnt policy): no warning
        self._diagnosed_for = (id(self.agent.model), self.agent.config)
        match wait:
            case Step(count=count):
                self._play_to = self.agent.total_steps + count
            case Walk():
                self._handle(wait)

    def _to_check_step(self, budget: Budget) -> Budget:
        """Train a step budget up to the next multiple of the goal's cadence (a network's
        greedy check falls on those steps, in ``train`` and live); the rest of the budget."""
        lead = -self.agent.total_steps % CHECK_EVERY[STEPS]
        if not lead or budget.steps is None or budget.episodes is not None:
            return budget
        first = min(lead, budget.steps)
        train(self.agent, Budget(steps=first))
        return Budget(steps=budget.steps - first)

    def _restore_best(self) -> None:
        w = self._watch
        if w is None or w.best_network is None:
            why = (
                "no greedy check has run yet"
                if w is not None
                else f"a {self.agent.label} keeps no best network"
            )
            self._emit(Notice(f"nothing to bring back: {why}", "warning", topic="best"))
            return
        self.agent.restore_network(w.best_network)
        w.check(self.agent, again=True)  # what is on screen is the network brought back
        self._emit(Notice(f"the best network is back: {w.best_words()}", topic="best"))

    def _set_manual(self, on: bool) -> None:
        if on == self.manual:
            return
        self.manual = on
        self._trip = None
        self._play_to = 0
        if on:
            self._recorder.drop_partial()
            self.agent.new_episode()  # the person's trip starts afresh, not mid-episode
            self._begin_trip()
        else:
            self._practice = None
            self.paused = False  # the agent takes over from where the person left
            self._snapshots.rate.reset(self.agent.total_steps)
        self._emit(PlayModeChanged(on))

    def _begin_trip(self) -> None:
        self._trip = Trip.begin(self.agent)

    def _move(self, action: int) -> None:
        if not self.manual:
            return
        if self._practice is not None:
            self._emit(
                Notice(  # (one notice, replaced; the status line counts down, not it)
                    "the agent is still learning: your turn comes when it has trained (the "
                    "status line counts down; reaching its goal ends it sooner)",
                    topic="practice",
                )
            )
            return
        self._step_once(action)
        record = self.agent.last_step
        if self.agent.model is not None and record is not None:
            said = surprise(self.agent.model, record.state, record.action, record.next_state)
            # a move that went as meant takes the last one's word away (an empty notice)
            self._emit(Notice(said or "", topic="surprise"))

    def _step_once(self, action: int | None = None, learn: bool = True) -> bool:
        """One step (the person's when ``action`` is given), recorded for replay and trips;
        returns whether it ended an episode."""
        agent = self.agent
        row = tuple(agent.action_values().tolist())  # the values as they were
        human = action is not None
        record, batch = agent.step(action, learn=self.learn_from_human if human else learn)
        if human:
            self._human_at = agent.total_steps
        ended = len(batch) > 0
        if agent.model is not None:  # replay draws a discrete world's states (not obs)
            self._recorder.add(Frame(record, row, human), ended)
        if human and self._trip is not None:
            self._trip.add(record)
            if agent.model is not None:
                self._trip.count_penalty(record, agent.model.penalty_reward)
            if ended:
                outcome = bool(batch.success[0]) if agent.model is not None else record.terminated
                self._emit(TripFinished(self._trip.result(agent, outcome)))
                self._begin_trip()
        return ended

    def _diagnose(self) -> None:
        """Say when the settings cannot reach the goal (a gamma that discounts it to nothing,
        a time limit shorter than the way there): asked when the settings change, said once
        per problem."""
        key = (id(self.agent.model), self.agent.config)
        if key == self._diagnosed_for:
            return
        self._diagnosed_for = key
        problem = self.agent.diagnosis()
        if problem and problem != self._diagnosed:
            self._emit(Notice(problem, "warning"))
        self._diagnosed = problem

    @property
    def report(self) -> BackgroundReport:
        return self._snapshots.report

    @property
    def _generation(self) -> int:
        return self._snapshots.generation

    def _new_agent(self, agent) -> None:
        """A new agent (start, reset, load, tour): nothing of the old one carries over."""
        self.agent = agent
        self._pace = Pace(agent, TURBO_CHUNK)
        self._frame_left = 0
        self._snapshots.new_session(agent)
        self._trip = None
        if self.manual and self._practice is None:  # a person playing starts a trip
            self._begin_trip()
        self._human_at = -1
        self._play_to = 0
        self._recorder.clear()
        self._checkpoint, self._checkpoint_time = agent.copy(), time.perf_counter()
        self._watch = GoalWatch.of(agent)

    # -- snapshots -------------------------------------------------------------------------
    def _publish(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_publish < self.min_frame:
            return
        self._last_publish = now
        self._on_snapshot(self.snapshot(now))

    def snapshot(self, now: float | None = None) -> Snapshot:
        """A frozen copy of everything on screen (the chart and the report when they are due)."""
        trip = self._trip
        state = WorkerState(
            handled=self._handled,
            paused=self.paused and not self._play_to,
            speed_index=TOUR_SPEED if self._play_to else self.speed_index,
            running=not self._idle(),
            flat_out=self._flat_out(),
            stepping=(self.paused and not self._play_to) or self.manual,  # every step is read
            manual=self.manual,
            learn_from_human=self.learn_from_human,
            human_step=self._human_at == self.agent.total_steps,
            trip_steps=trip.steps if trip else 0,
            trip_return=trip.episodic_return if trip else 0.0,
            practice=self._practice_left(),
            replays=self._recorder.episodes,
            playing_to=self._play_to,
            walking=self._walking,
            check=self._watch.state if self._watch is not None else None,
            last_step=self._walked,
        )
        return self._snapshots.make(self.agent, state, now)


def _describe(command: Command) -> str:
    return type(command).__name__.lower()
