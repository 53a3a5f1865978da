"""Drive an agent (a tabular :class:`~tui_taxi.core.session.Session` or a DQN, see
:mod:`tui_taxi.core.agent`) from a worker thread.

The trainer owns the agent: only its thread touches it. Other threads send intents (see
:mod:`tui_taxi.protocol`) through a queue; the worker resolves each against the session and
answers with immutable snapshots (at most ``max_fps`` per second) and events. It knows nothing of
widgets or Textual. Nothing a command, a file or a bug does may end the worker: a failure becomes
an error notice, the session goes back to how it was before, and the next command is handled.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable

from tui_taxi.core import agent as agents
from tui_taxi.core.defaults import config_for, diagnose
from tui_taxi.core.dqn.agent import SOLVED_CHECK
from tui_taxi.core.dqn.config import config_for as dqn_config_for
from tui_taxi.core.envs import normalize_kwargs
from tui_taxi.core.learners import LEARNERS
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.session import PARAM_RANGES, Session, TrainConfig, check_param
from tui_taxi.demo import run_tour
from tui_taxi.play import Balance, Recorder, Trip
from tui_taxi.protocol import (
    DEFAULT_SPEED,
    SPEEDS,
    Adjust,
    ChangeSpeed,
    Command,
    Compare,
    Event,
    Frame,
    Load,
    Move,
    NextLearner,
    Notice,
    Refresh,
    Reset,
    RunTour,
    Save,
    SetLearnFromHuman,
    SetManual,
    SetParam,
    SetPaused,
    SetSpeed,
    SetWorld,
    Shutdown,
    Snapshot,
    Starting,
    Step,
    TripFinished,
)
from tui_taxi.snapshots import BackgroundReport, SnapshotMaker, WorkerState, compare

FRAME_RATE = 20.0  # frames per second when fast-forwarding
TURBO_CHUNK = 0.005  # seconds of kernel time per turbo call (commands wait at most this)
PRETRAIN_CHUNK = 0.02  # seconds per call while the agent trains before play starts
CHECKPOINT_INTERVAL = 1.0  # seconds between copies of the session kept to recover from a failure
TOUR_SPEED = 2  # the animated steps of a tour play at this speed level (5 steps/s)
PLAY_PRETRAIN = 100_000  # episodes the agent trains before a person plays against it
LR_FACTOR = 2.0  # a DQN's learning rate doubles or halves per key press (a log scale)
LR_RANGE = (1e-6, 1.0)

_REFRESHED, _PACED = 1, 2  # what _drain handled: background results only, or a command

SnapshotCallback = Callable[[Snapshot], None]
EventCallback = Callable[[Event], None]


class Trainer:
    """Owns a session; call :meth:`start` (or :meth:`run` in a thread) and :meth:`send` from
    anywhere. ``session`` may be a function that builds it: it then runs on the worker (the first
    run compiles the numba kernels, which takes seconds), while the screen is already up."""

    def __init__(
        self,
        session: agents.Agent | Callable[[], agents.Agent],
        on_snapshot: SnapshotCallback,
        on_event: EventCallback,
        *,
        paused: bool = False,
        speed_index: int = DEFAULT_SPEED,
        manual: bool = False,
        pretrain: int = 0,
        max_fps: float = 30.0,
    ) -> None:
        self.agent: agents.Agent | None = None if callable(session) else session
        self._open = session if callable(session) else None
        self._on_snapshot = on_snapshot
        self._on_event = on_event
        self._commands: queue.Queue[Command] = queue.Queue()
        self._stopped = threading.Event()
        self.paused = paused
        self.speed_index = speed_index
        self.manual = manual
        self.learn_from_human = False
        self.min_frame = 1.0 / max_fps
        self.thread: threading.Thread | None = None
        self.sent = 0  # commands sent; snapshots carry how many were handled
        self._handled = 0
        self._count_lock = threading.Lock()
        self._snapshots = SnapshotMaker(lambda: self.send(Refresh()), self._emit)
        self._last_publish = -math.inf
        self._turbo_steps = 10_000
        self._min_chunk = 1_000  # the fewest steps a flat-out call takes
        self._chunk_updates = 4
        self._human_at = -1  # total_steps just after the person's last move
        self._trip: Trip | Balance | None = None
        self._recorder = Recorder()
        self._pretrain = pretrain  # episodes (a DQN: steps) to train before play starts
        self._play_to = 0  # an animated tour step pauses when total_steps reaches this
        self._checkpoint: agents.Agent | None = None
        self._checkpoint_time = -math.inf
        self._diagnosed: object = None

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
        self._start_session()
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

    def _start_session(self) -> None:
        if self.agent is None:
            self._emit(Starting("compiling the kernels (the first run only: a few seconds)…"))
            try:
                self.agent = self._open()
            except Exception as exc:  # noqa: BLE001 - fall back to a fresh default session
                self._emit(
                    Notice(f"could not start that session ({exc}); a new one instead", "error")
                )
                self.agent = Session(TrainConfig())
        self._new_session(self.agent)
        if self.manual:
            self._pretrain = self._pretrain if self.agent.episode == 0 else 0
            if not self._pretrain:
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
        if self._pretrain:
            return False
        if self._play_to:
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
        """Handle one command; if it fails, the session is as it was before the command."""
        if isinstance(command, (Refresh, Shutdown, SetPaused, ChangeSpeed, SetSpeed)):
            self._handle(command)  # nothing of the session changes
            return
        self._checkpoint = self.agent.copy()
        self._checkpoint_time = time.perf_counter()
        try:
            self._handle(command)
        except (ValueError, OSError) as exc:  # a bad value or file: the user's, said plainly
            self._restore()
            self._emit(Notice(str(exc), "error"))
        except Exception as exc:  # noqa: BLE001 - a bug: say so, keep going
            self._restore()
            self._emit(Notice(f"{_describe(command)} failed: {type(exc).__name__}: {exc}", "error"))

    def _recover(self, exc: Exception) -> None:
        """Training, stepping or publishing failed: back to the last good copy, paused."""
        self.paused = True
        self._play_to = 0
        self._pretrain = 0
        self._restore()
        self._emit(Notice(f"training paused: {type(exc).__name__}: {exc}", "error"))
        try:
            self._publish(force=True)
        except Exception as again:  # noqa: BLE001 - even the good copy cannot be shown
            self._emit(Notice(f"the screen cannot show this session: {again}", "error"))

    def _restore(self) -> None:
        if self._checkpoint is not None:
            self.agent = self._checkpoint.copy()

    def _emit(self, event: Event) -> None:
        self._on_event(event)

    def _advance(self) -> float:
        """One frame of work at the current speed; returns the seconds until the next frame."""
        now = time.perf_counter()
        if now - self._checkpoint_time >= CHECKPOINT_INTERVAL:
            self._checkpoint, self._checkpoint_time = self.agent.copy(), now
        if self._pretrain:
            return self._pretrain_chunk()
        speed = SPEEDS[TOUR_SPEED if self._play_to else self.speed_index]
        if speed.animated:
            self._step_once()
            if self._play_to and self.agent.total_steps >= self._play_to:
                self._play_to = 0
                self.paused = True
            self._publish(force=True)
            return 1.0 / speed.steps_per_second
        self._recorder.drop_partial()  # whole episodes at once: not recorded
        if speed.episodes_per_frame and not agents.is_network(self.agent):  # a network's
            # episodes are too long to take whole per frame: it trains in timed chunks instead
            self.agent.train(episodes=speed.episodes_per_frame, steps=1_000_000)
            self._publish(force=True)
            return 1.0 / FRAME_RATE
        self._turbo_steps = self._timed_train(None, self._turbo_steps, TURBO_CHUNK)
        self._publish()
        return 0.0

    def _timed_train(self, episodes: int | None, steps: int, seconds: float) -> int:
        """Train up to ``episodes`` / ``steps``; returns the step count that takes ``seconds``.
        A network's gradient steps have a budget of their own (a training round of a hundred
        of them is tens of milliseconds: the call stops midway and the next one goes on)."""
        agent = self.agent
        network = agents.is_network(agent)
        before = agent.updates if network else 0
        start = time.perf_counter()
        if network:
            agent.train(episodes=episodes, steps=steps, updates=self._chunk_updates)
        else:
            agent.train(episodes=episodes, steps=steps)
        elapsed = time.perf_counter() - start
        if elapsed <= 0:
            return steps
        scale = min(4.0, max(0.25, seconds / elapsed))
        if network:
            done = agent.updates - before
            if done:  # the time a gradient step takes, measured on the last call
                self._chunk_updates = int(min(100_000, max(1, done * seconds / elapsed)))
            if agent.in_step:  # cut by the update budget: the step count did not set the time
                return steps
        return int(min(5_000_000, max(self._min_chunk, steps * scale)))

    def _pretrain_chunk(self) -> float:
        """The agent trains before a person plays against it: a tabular agent a number of
        episodes, a network a number of steps (its budget), or until its greedy policy solves
        the env (checked every SOLVED_CHECK steps, as ``train`` does)."""
        agent = self.agent
        solved = ""
        if agents.is_network(agent):
            before = agent.total_steps
            # a chunk ends at the next check (every SOLVED_CHECK steps exactly, as train's)
            to_check = max(0, self._solved_check - agent.total_steps)
            steps = min(self._turbo_steps, self._pretrain)
            chunk = self._timed_train(None, min(steps, to_check), PRETRAIN_CHUNK)
            if to_check >= steps:  # a cut chunk says nothing of the time a full one takes
                self._turbo_steps = chunk
            self._pretrain = max(0, self._pretrain - (agent.total_steps - before))
            if agent.total_steps >= self._solved_check and not agent.in_step:
                self._solved_check = (agent.total_steps // SOLVED_CHECK + 1) * SOLVED_CHECK
                done, mean = agent.solved()
                if done:
                    self._pretrain = 0
                    solved = f", solved (greedy mean return {mean:.1f})"
        else:
            before = agent.episode
            self._turbo_steps = self._timed_train(self._pretrain, self._turbo_steps, PRETRAIN_CHUNK)
            self._pretrain = max(0, self._pretrain - (agent.episode - before))
        if not self._pretrain:
            self._recorder.drop_partial()
            agent.new_episode()
            self._begin_trip()
            self._emit(Notice(f"the agent trained {self._practice()}{solved}: your turn"))
        self._publish(force=not self._pretrain)
        return 0.0

    def _practice(self) -> str:
        agent = self.agent
        if agents.is_network(agent):
            return f"{agent.total_steps:,} steps ({agent.episode:,} episodes)"
        return f"{agent.episode:,} episodes"

    def _handle(self, command: Command) -> None:
        match command:
            case Shutdown():
                self._stopped.set()
            case Refresh():
                pass
            case SetPaused(paused=paused):
                self.paused = (not self.paused) if paused is None else paused
                self._play_to = 0
                self._snapshots.rate.reset(self.agent.total_steps)
            case Step():
                self.paused, self._play_to = True, 0
                if self.manual:
                    self._emit(Notice("play mode: move with the arrow keys (m gives it back)"))
                else:
                    self._step_once()
            case ChangeSpeed(delta=delta):
                self._set_speed(self.speed_index + delta)
            case SetSpeed(index=index):
                self._set_speed(index, quiet=True)
            case Adjust(name=name, delta=delta):
                self._adjust(name, delta)
            case SetParam(name=name, value=value):
                self.set_param(name, value)
                self._emit(Notice(self._param_text(name), topic=name))
            case NextLearner() if agents.is_network(self.agent):
                double = not self.agent.config.double
                self.agent.reconfigure(double=double)
                self._emit(
                    Notice(
                        "Double DQN: the online network picks a', the target network values it"
                        if double
                        else "DQN: the target network's max over a'",
                        topic="learner",
                    )
                )
            case NextLearner():
                learner = LEARNERS[(LEARNERS.index(self.agent.config.learner) + 1) % len(LEARNERS)]
                self.set_learner(learner)
                self._emit(Notice(f"learner: {learner}", topic="learner"))
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
                self.reset_agent()
                what = "network, replay buffer" if agents.is_network(self.agent) else "Q-table"
                self._emit(Notice(f"agent reset: {what}, counters and history cleared"))
            case Save(path=path):
                self._emit(Notice(f"saved to {agents.save(self.agent, path)}"))
            case Load(path=path):
                self._new_session(agents.load(path))
                self._emit(Notice(f"loaded {path}: {self.agent.episode:,} episodes"))
            case SetWorld(env_id=env_id, env_kwargs=env_kwargs):
                config = world_config(
                    env_id,
                    env_kwargs,
                    seed=self.agent.config.seed,
                    network=agents.is_network(self.agent),
                )
                self._new_session(agents.new_agent(config))
                self._emit(Notice(f"{describe_world(config)}: a fresh agent"))
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
        self._snapshots.rate.reset(self.agent.total_steps)

    def _adjust(self, name: str, delta: float) -> None:
        """Move a parameter by ``delta`` from its current value, within its range; a schedule
        becomes the constant it has reached. A network's learning rate (the alpha keys) moves
        by a factor instead: it spans orders of magnitude."""
        if name == "alpha" and agents.is_network(self.agent):
            current = self.agent.config.learning_rate
            value = current * LR_FACTOR if delta > 0 else current / LR_FACTOR
            value = float(f"{min(LR_RANGE[1], max(LR_RANGE[0], value)):.3g}")
            self.agent.reconfigure(learning_rate=value)
            edge = (
                " (its maximum)"
                if value >= LR_RANGE[1]
                else " (its minimum)"
                if value <= LR_RANGE[0]
                else ""
            )
            self._emit(Notice(self._param_text(name) + edge, topic=name))
            return
        low, high, low_open = PARAM_RANGES[name]
        current = self._current(name)
        value = round(min(high, max(low, current + delta)), 4)
        stuck = low_open and value <= low  # alpha cannot reach 0: it stays where it is
        if stuck:
            value = current
        self.set_param(name, value)
        at_low = stuck or (not low_open and value <= low)
        edge = " (its maximum)" if value >= high else " (its minimum)" if at_low else ""
        self._emit(Notice(self._param_text(name) + edge, topic=name))

    def _current(self, name: str) -> float:
        session = self.agent
        if name == "gamma":
            return session.config.gamma
        return session.epsilon_now() if name == "epsilon" else agents.learning_rate(session)

    def _param_text(self, name: str) -> str:
        value = self._current(name)
        if agents.is_network(self.agent):
            if name == "alpha":
                return f"learning rate = {value:.3g}"
            return f"{name} {'ε' if name == 'epsilon' else 'γ'} = {value:.2f}"
        symbol = {"epsilon": "ε", "alpha": "α", "gamma": "γ"}[name]
        setting = getattr(self.agent.config, name)
        shown = (
            setting.describe()
            if isinstance(setting, Schedule) and setting.kind != "constant"
            else f"{value:.2f}"
        )
        return f"{name} {symbol} = {shown}"

    # TourTarget (tui_taxi.demo), used by the commands too
    def set_param(self, name: str, value: float | Schedule) -> None:
        """gamma is a number; epsilon and alpha a number (a constant) or a schedule."""
        check_param(name, value)
        if agents.is_network(self.agent):  # epsilon: a constant from now on (the schedule ends)
            self.agent.reconfigure(**{name: float(value)})
            return
        if name != "gamma" and not isinstance(value, Schedule):
            value = Schedule.constant(value)
        self.agent.reconfigure(**{name: value})

    def set_learner(self, name: str) -> None:
        self.agent.reconfigure(learner=name)

    def take_step(self) -> None:
        self._step_once()

    def train_episodes(self, n: int) -> None:
        self._recorder.drop_partial()
        self.agent.train(episodes=n)

    def reset_agent(self) -> None:
        self._new_session(agents.new_agent(self.agent.config, self.agent.model))

    def train_steps(self, n: int) -> None:
        self._recorder.drop_partial()
        self.agent.train(steps=n)

    def switch_env(self, env_id: str, env_kwargs: tuple) -> None:
        config = self.agent.config.replace(env_id=env_id, env_kwargs=env_kwargs)
        self._new_session(Session(config))

    def _run_tour(self, tour, index: int) -> None:
        model = self.agent.model
        same = (model.env_id, model.env_kwargs) == (tour.env_id, tour.env_kwargs)
        fresh = TrainConfig(env_id=tour.env_id, env_kwargs=tour.env_kwargs, seed=tour.seed)
        self._new_session(Session(fresh, model=model if same else None))
        self.paused, self.manual = True, False
        animate = run_tour(self, tour, index)
        if animate:
            self._play_to = self.agent.total_steps + animate

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
            self._emit(Notice("play mode: you drive (arrow keys); m gives the taxi back"))
        else:
            self._pretrain = 0
            self.paused = False  # the agent takes over from where the person left
            self._snapshots.rate.reset(self.agent.total_steps)
            self._emit(Notice("the agent drives again"))

    def _begin_trip(self) -> None:
        self._trip = Trip.begin(self.agent)

    def _move(self, action: int) -> None:
        if not self.manual:
            return
        if self._pretrain:
            unit = "steps" if agents.is_network(self.agent) else "episodes"
            self._emit(Notice(f"the agent is still learning ({self._pretrain:,} {unit} to go)"))
            return
        self._step_once(action)

    def _step_once(self, action: int | None = None) -> None:
        """One step (the person's when ``action`` is given), recorded for replay and trips."""
        session = self.agent
        row = tuple(agents.action_values(session).tolist())  # the values as they were
        human = action is not None
        record, batch = session.step(action, learn=self.learn_from_human if human else True)
        if human:
            self._human_at = session.total_steps
        ended = len(batch) > 0
        if session.model is not None:  # replay draws a discrete world's states (not obs)
            self._recorder.add(Frame(record, row, human), ended)
        if human and self._trip is not None:
            self._trip.add(record)
            if session.model is not None:
                self._trip.count_penalty(record, session.model.penalty_reward)
            if ended:
                outcome = bool(batch.success[0]) if session.model is not None else record.terminated
                self._emit(TripFinished(self._trip.result(session, outcome)))
                self._begin_trip()

    def _diagnose(self) -> None:
        """Say when the settings cannot reach the goal (a gamma that discounts it to nothing,
        a time limit shorter than the way there), once per setting."""
        config = self.agent.config
        if agents.is_network(self.agent):
            return  # the diagnoses read a tabular config
        key = (id(self.agent.model), config.gamma, config.max_steps, config.epsilon)
        if key == self._diagnosed:
            return
        self._diagnosed = key
        problem = diagnose(self.agent.model, config)
        if problem:
            self._emit(Notice(problem, "warning"))

    @property
    def report(self) -> BackgroundReport:
        return self._snapshots.report

    @property
    def _generation(self) -> int:
        return self._snapshots.generation

    def _new_session(self, session: agents.Agent) -> None:
        """A new session (start, reset, load, tour): nothing of the old one carries over."""
        self.agent = session
        network = agents.is_network(session)
        self._turbo_steps = 200 if network else 10_000  # a network's step costs ~100 times more
        self._min_chunk = 8 if network else 1_000
        self._chunk_updates = 4  # a network's gradient steps per call, until measured
        self._solved_check = SOLVED_CHECK  # the step of a pretraining network's next check
        self._snapshots.new_session(session)
        self._trip = None
        if self.manual:  # a person playing starts a trip from the new session's state
            self._begin_trip()
        self._human_at = -1
        self._play_to = 0
        self._recorder.clear()
        self._checkpoint, self._checkpoint_time = session.copy(), time.perf_counter()

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
            pretraining=self._pretrain,
            replays=self._recorder.episodes,
            playing_to=self._play_to,
        )
        return self._snapshots.make(self.agent, state, now)


def world_config(
    env_id: str, env_kwargs: tuple, seed: int, network: bool = False
) -> agents.AgentConfig:
    """A new session's settings on a world: the world's defaults (a network's own), the seed
    kept."""
    if network:
        return dqn_config_for(env_id, normalize_kwargs(env_kwargs), seed=seed)
    return config_for(env_id, normalize_kwargs(env_kwargs), seed=seed)


def describe_world(config: agents.AgentConfig) -> str:
    kwargs = ", ".join(f"{k}={v}" for k, v in config.env_kwargs)
    return f"{config.env_id}" + (f" ({kwargs})" if kwargs else "")


def _describe(command: Command) -> str:
    return type(command).__name__.lower()
