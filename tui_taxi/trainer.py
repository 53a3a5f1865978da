"""Drive a :class:`~tui_taxi.core.session.Session` from a worker thread.

The trainer owns the session: only its thread touches it. Other threads send frozen command
objects through a queue and receive immutable :class:`Snapshot` objects through a callback, at
most ``max_fps`` of them per second. It knows nothing of widgets or Textual.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tui_taxi.core.evaluate import Trajectory, greedy_rollout
from tui_taxi.core.history import downsample
from tui_taxi.core.learners import LEARNERS
from tui_taxi.core.optimal import Optimum, PolicyReport, policy_report, solve
from tui_taxi.core.persist import load_session, save_session
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.session import Session, StepRecord, TrainConfig


@dataclass(frozen=True)
class Speed:
    """How fast the worker runs: ``steps_per_second`` animates every step; ``episodes_per_frame``
    fast-forwards whole episodes; neither is turbo (flat out, frames sampled)."""

    label: str
    steps_per_second: float = 0.0
    episodes_per_frame: int = 0

    @property
    def animated(self) -> bool:
        return self.steps_per_second > 0


SPEEDS = (
    *(Speed(f"{n} step/s", steps_per_second=n) for n in (1, 2, 5, 10, 20, 30, 60)),
    Speed("fast-forward: 1 episode/frame", episodes_per_frame=1),
    Speed("fast-forward: 20 episodes/frame", episodes_per_frame=20),
    Speed("turbo"),
)
DEFAULT_SPEED = 3  # 10 steps/s: every step visible
FRAME_RATE = 20.0  # frames per second when fast-forwarding
TURBO_CHUNK = 0.005  # seconds of kernel time per turbo call (commands wait at most this)
CHART_INTERVAL = 0.25  # seconds between rebuilt chart series
REPORT_INTERVAL = 0.5  # seconds between policy-optimality reports
CHART_POINTS = 400  # the chart series is downsampled to at most this many points
PARAM_LIMITS = {"epsilon": (0.0, 1.0), "alpha": (0.05, 1.0), "gamma": (0.0, 1.0)}


# -- commands (sent from any thread) ----------------------------------------------------------
@dataclass(frozen=True)
class SetPaused:
    paused: bool | None = None  # None toggles


@dataclass(frozen=True)
class Step:
    """One environment step (pauses first)."""


@dataclass(frozen=True)
class SetSpeed:
    index: int


@dataclass(frozen=True)
class Adjust:
    """Add ``delta`` to epsilon, alpha or gamma (clamped to its range), applied at once."""

    name: str
    delta: float


@dataclass(frozen=True)
class SetLearner:
    learner: str


@dataclass(frozen=True)
class Reset:
    """A fresh agent with the current settings (zero Q-table, counters and history)."""


@dataclass(frozen=True)
class Save:
    path: str


@dataclass(frozen=True)
class Load:
    path: str


@dataclass(frozen=True)
class Shutdown:
    pass


@dataclass(frozen=True)
class SetManual:
    """A person drives (training stops); off hands the taxi back and training resumes."""

    on: bool | None = None  # None toggles


@dataclass(frozen=True)
class Move:
    """The person's move (manual mode only)."""

    action: int


@dataclass(frozen=True)
class SetLearnFromHuman:
    """Whether the person's moves update the Q-table (learning from demonstration)."""

    on: bool | None = None  # None toggles


@dataclass(frozen=True)
class RunTour:
    """A fresh session with the tour's seed and the tutorial's settings, then ``actions`` in
    order (see tui_taxi.demo); the result depends on nothing else, so a tour is repeatable."""

    seed: int
    actions: tuple[tuple, ...]


@dataclass(frozen=True)
class Refresh:
    """Publish a snapshot (a background result is ready)."""


Command = (
    SetPaused | Step | SetSpeed | Adjust | SetLearner | Reset | Save | Load | Shutdown | Refresh
    | SetManual | Move | SetLearnFromHuman | RunTour
)  # fmt: skip
REPLAY_EPISODES = 20  # recorded episodes kept for replay
REPLAY_STEPS = 1000  # frames kept per recorded episode (a random walk can be much longer)


# -- what the worker publishes ----------------------------------------------------------------
@dataclass(frozen=True)
class ChartSeries:
    """The whole run's per-episode means, downsampled to at most CHART_POINTS points."""

    episode: np.ndarray
    episodic_return: np.ndarray
    episodic_length: np.ndarray
    penalties: np.ndarray


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything the screen shows, copied out of the worker. Never mutated."""

    seq: int
    config: TrainConfig
    env_id: str
    action_names: tuple[str, ...]
    is_taxi: bool
    state: int
    episode: int
    t: int
    total_steps: int
    episode_return: float
    episode_penalties: int
    q: np.ndarray  # read-only copy
    last_step: StepRecord | None
    epsilon: float
    alpha: float
    paused: bool
    speed_index: int
    steps_per_second: float
    recent_mean_return: float
    recent_success_rate: float
    chart: ChartSeries
    report: PolicyReport
    optimum: Optimum
    failed: str | None = None
    manual: bool = False
    learn_from_human: bool = False
    human_step: bool = False  # the last step was the person's
    trip_steps: int = 0  # the person's current trip so far
    trip_return: float = 0.0
    last_trip: TripResult | None = None
    replays: tuple[tuple[Frame, ...], ...] = ()  # recent episodes taken one step at a time
    handled: int = 0  # commands handled before this snapshot (compare with Trainer.sent)

    @property
    def speed(self) -> Speed:
        return SPEEDS[self.speed_index]


@dataclass(frozen=True)
class Event:
    """A one-off fact for a notification: ``kind`` is "saved", "loaded", "error" or "failed"
    (a finished trip arrives in the snapshot, as ``last_trip``)."""

    kind: str
    text: str


class BackgroundReport:
    """Policy optimality, computed off the worker's command path (5-30 ms, more than a frame)
    in a daemon thread of its own; the latest finished result is kept."""

    def __init__(self, model, q: np.ndarray, on_done: Callable[[], None]) -> None:
        self.model = model
        self.latest: PolicyReport = policy_report(model, q)
        self._on_done = on_done
        self._key: object = None
        self._thread: threading.Thread | None = None

    def request(self, key: object, model, q: np.ndarray) -> None:
        """Recompute for a Q-table that changed (``key`` differs from the last one), unless a
        computation is already running; ``on_done`` is called when the result is in."""
        if key == self._key or (self._thread is not None and self._thread.is_alive()):
            return
        self._key = key
        if model is not self.model:  # a loaded session on another env: compute now
            self.model, self.latest = model, policy_report(model, q)
            return
        self._thread = threading.Thread(target=self._compute, args=(model, q.copy()), daemon=True,
                                        name="tui-taxi-report")  # fmt: skip
        self._thread.start()

    def _compute(self, model, q: np.ndarray) -> None:
        self.latest = policy_report(model, q)
        self._on_done()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()


@dataclass(frozen=True)
class Frame:
    """One recorded step, with the state's Q-values as they were before its update."""

    state: int
    action: int
    reward: float
    next_state: int
    q_row: tuple[float, ...]
    explored: bool
    human: bool


@dataclass(frozen=True)
class TripResult:
    """A person's trip beside the best possible and the trained agent's, from the same start."""

    start_state: int
    steps: int
    episodic_return: float
    penalties: int
    delivered: bool
    optimal_steps: float
    optimal_return: float
    agent: Trajectory  # the greedy agent from the same start, with the Q-table of the trip's start
    agent_penalties: int
    agent_frames: tuple[Frame, ...]


SnapshotCallback = Callable[[Snapshot], None]
EventCallback = Callable[[Event], None]


@dataclass
class _Rate:
    """Steps per second, smoothed over about a second."""

    last_time: float = field(default_factory=time.perf_counter)
    last_steps: int = 0
    value: float = 0.0

    def update(self, total_steps: int) -> float:
        now = time.perf_counter()
        dt = now - self.last_time
        if dt >= 0.2:
            rate = (total_steps - self.last_steps) / dt
            self.value = rate if self.value == 0 else 0.5 * self.value + 0.5 * rate
            self.last_time, self.last_steps = now, total_steps
        return self.value

    def reset(self, total_steps: int) -> None:
        self.last_time, self.last_steps, self.value = time.perf_counter(), total_steps, 0.0


class Trainer:
    """Owns a session; call :meth:`run` in a worker thread and :meth:`send` from anywhere."""

    def __init__(
        self,
        session: Session,
        on_snapshot: SnapshotCallback,
        on_event: EventCallback,
        *,
        paused: bool = False,
        speed_index: int = DEFAULT_SPEED,
        max_fps: float = 30.0,
    ) -> None:
        self.session = session  # the worker's; other threads read snapshots only
        self._on_snapshot = on_snapshot
        self._on_event = on_event
        self._commands: queue.Queue[Command] = queue.Queue()
        self._stopped = threading.Event()
        self.paused = paused
        self.speed_index = speed_index
        self.min_frame = 1.0 / max_fps
        self.failed: str | None = None
        self._seq = 0
        self._rate = _Rate(last_steps=session.total_steps)
        self._chart: ChartSeries | None = None
        self._chart_time = -math.inf
        self._chart_key: object = None
        self.report = BackgroundReport(session.model, session.q, lambda: self.send(Refresh()))
        self._report_time = -math.inf
        self._last_publish = -math.inf
        self._turbo_steps = 10_000
        self.thread: threading.Thread | None = None
        self.sent = 0  # commands sent; snapshots carry how many were handled
        self._handled = 0
        self._count_lock = threading.Lock()
        self.manual = False
        self.learn_from_human = False
        self._human_at = -1  # total_steps just after the person's last move
        self._trip: _Trip | None = None
        self.last_trip: TripResult | None = None
        self._frames: list[Frame] = []
        self._replays: deque[tuple[Frame, ...]] = deque(maxlen=REPLAY_EPISODES)

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
        self._publish(force=True)
        next_frame = time.perf_counter()
        while not self._stopped.is_set():
            idle = self.paused or self.manual or self.failed is not None
            timeout = None if idle else max(0.0, next_frame - time.perf_counter())
            try:
                if self._drain(timeout):
                    next_frame = time.perf_counter()  # a command was handled: restart the clock
                    continue
                if self._stopped.is_set() or self.paused or self.manual or self.failed is not None:
                    continue
                next_frame += self._advance()
            except Exception as exc:  # noqa: BLE001 - shown to the user; training stops
                self.failed = f"{type(exc).__name__}: {exc}"
                self._on_event(Event("failed", f"training stopped: {self.failed}"))
                self._publish(force=True)
                continue
            if next_frame < time.perf_counter() - 0.5:  # fell behind: do not try to catch up
                next_frame = time.perf_counter()

    def _drain(self, timeout: float | None) -> bool:
        """Handle every queued command, waiting up to ``timeout`` for the first one."""
        try:
            command = (
                self._commands.get(timeout=timeout) if timeout != 0 else self._commands.get_nowait()
            )
        except queue.Empty:
            return False
        while True:
            self._handle(command)
            self._handled += 1
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                break
        self._publish(force=True)
        return True

    def _advance(self) -> float:
        """One frame of work at the current speed; returns the seconds until the next frame."""
        speed = SPEEDS[self.speed_index]
        if speed.animated:
            self._step_once()
            self._publish(force=True)
            return 1.0 / speed.steps_per_second
        self._frames = []  # whole episodes at once: not recorded
        if speed.episodes_per_frame:
            self.session.train(episodes=speed.episodes_per_frame, steps=1_000_000)
            self._publish(force=True)
            return 1.0 / FRAME_RATE
        start = time.perf_counter()
        self.session.train(steps=self._turbo_steps)
        elapsed = time.perf_counter() - start
        if elapsed > 0:  # keep each kernel call near TURBO_CHUNK seconds
            scale = min(4.0, max(0.25, TURBO_CHUNK / elapsed))
            self._turbo_steps = int(min(5_000_000, max(1_000, self._turbo_steps * scale)))
        self._publish()
        return 0.0

    def _handle(self, command: Command) -> None:
        session = self.session
        match command:
            case Shutdown():
                self._stopped.set()
            case Refresh():
                pass
            case SetPaused(paused=paused):
                self.paused = (not self.paused) if paused is None else paused
                if not self.paused:
                    self.failed = None  # resuming after a failure tries again
                self._rate.reset(session.total_steps)
            case Step():
                self.paused = True
                if self.failed is None and not self.manual:
                    self._step_once()
            case SetManual(on=on):
                self._set_manual((not self.manual) if on is None else on)
            case Move(action=action):
                if self.manual and self.failed is None:
                    self._guard(lambda: self._step_once(action))
            case RunTour(seed=seed, actions=actions):
                self._run_tour(seed, actions)
            case SetLearnFromHuman(on=on):
                self.learn_from_human = (not self.learn_from_human) if on is None else on
            case SetSpeed(index=index):
                self.speed_index = min(max(index, 0), len(SPEEDS) - 1)
            case Adjust(name=name, delta=delta):
                self._adjust(name, delta)
            case SetLearner(learner=learner):
                self._guard(lambda: session.reconfigure(learner=learner))
            case Reset():
                self.session = Session(session.config, model=session.model)
                self.failed = None
                self._after_new_session()
            case Save(path=path):
                self._guard(
                    lambda: self._on_event(
                        Event("saved", f"saved to {save_session(session, path)}")
                    )
                )
            case Load(path=path):
                self._guard(lambda: self._load(path))

    def _run_tour(self, seed: int, actions: tuple[tuple, ...]) -> None:
        config = self.session.config
        self.session = Session(TrainConfig(env_id=config.env_id, env_kwargs=config.env_kwargs,
                                           seed=seed), model=self.session.model)  # fmt: skip
        self.paused, self.manual, self.failed = True, False, None
        self._after_new_session()
        for action in actions:
            match action:
                case ("set", name, value):
                    self._set_param(name, value)
                case ("learner", name):
                    self.session.reconfigure(learner=name)
                case ("steps", n):
                    for _ in range(n):
                        self._step_once()
                case ("train", n):
                    self._frames = []
                    self.session.train(episodes=n)

    def _set_manual(self, on: bool) -> None:
        if on == self.manual:
            return
        self.manual = on
        if on:
            self._begin_trip()
        else:
            self._trip = None
            self.paused = False  # the agent takes over from where the person left the taxi
            self._rate.reset(self.session.total_steps)

    def _begin_trip(self) -> None:
        session = self.session
        agent = greedy_rollout(session.model, session.q, session.state,
                               time_limit=session.config.time_limit(session.model))  # fmt: skip
        self._trip = _Trip(session.state, agent, _frames_of(agent, session.q))

    def _step_once(self, action: int | None = None) -> None:
        """One step (the person's when ``action`` is given), recorded for replay and trips."""
        session = self.session
        row = tuple(session.q[session.state].tolist())  # the values as they were at this step
        human = action is not None
        record, batch = session.step(action, learn=self.learn_from_human if human else True)
        if human:
            self._human_at = session.total_steps
        if len(self._frames) < REPLAY_STEPS:
            self._frames.append(Frame(record.state, record.action, record.reward, record.next_state,
                                      row, record.explored, human))  # fmt: skip
        if human and self._trip is not None:
            self._trip.add(record.reward, record.reward <= session.model.penalty_reward)
        if len(batch):  # the episode ended
            self._replays.append(tuple(self._frames))
            self._frames = []
            if human and self._trip is not None:
                self.last_trip = self._trip.result(session.model, bool(batch.success[0]))
                self._begin_trip()

    def _guard(self, action: Callable[[], object]) -> None:
        """Run a command; a bad value or file becomes an "error" event, never a dead worker."""
        try:
            action()
        except (ValueError, OSError) as exc:
            self._on_event(Event("error", str(exc)))

    def _adjust(self, name: str, delta: float) -> None:
        low, high = PARAM_LIMITS[name]
        current = {
            "epsilon": self.session.epsilon_now,
            "alpha": self.session.alpha_now,
            "gamma": lambda: self.session.config.gamma,
        }[name]()
        value = round(min(high, max(low, current + delta)), 4)
        self._guard(lambda: self._set_param(name, value))

    def _set_param(self, name: str, value: float) -> None:
        """gamma is a number; epsilon and alpha become constant schedules."""
        new = value if name == "gamma" else Schedule.constant(value)
        self.session.reconfigure(**{name: new})

    def _load(self, path: str) -> None:
        self.session = load_session(path)
        self.failed = None
        self._after_new_session()
        self._on_event(Event("loaded", f"loaded {path}: {self.session.episode:,} episodes"))

    def _after_new_session(self) -> None:
        """Reset, load or a tour replaced the session: nothing of the old one carries over."""
        self._trip = None
        if self.manual:  # a person playing starts a trip from the new session's state
            self._begin_trip()
        self._human_at = -1
        self._rate.reset(self.session.total_steps)
        self._frames = []
        self._replays.clear()
        self.last_trip = None
        self._chart_time = self._report_time = -math.inf

    def _publish(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_publish < self.min_frame:
            return
        self._last_publish = now
        self._seq += 1
        self._on_snapshot(self.snapshot(now))

    def snapshot(self, now: float | None = None) -> Snapshot:
        """A frozen copy of everything on screen (rebuilding chart and report when they are due)."""
        now = time.perf_counter() if now is None else now
        session = self.session
        chart_key = (id(session), session.history.episodes)
        due = now - self._chart_time >= CHART_INTERVAL or self.paused
        if self._chart is None or (due and chart_key != self._chart_key):
            self._chart = chart_series(session)  # a new object only when episodes were added
            self._chart_time, self._chart_key = now, chart_key
        if now - self._report_time >= REPORT_INTERVAL or self.paused:
            key = (id(session), session.total_steps, session.config.learner)
            self.report.request(key, session.model, session.q)
            self._report_time = now
        q = session.q.copy()
        q.setflags(write=False)
        model = session.model
        return Snapshot(
            seq=self._seq,
            config=session.config,
            env_id=model.env_id,
            action_names=model.action_names,
            is_taxi=model.is_taxi,
            state=session.state,
            episode=session.episode,
            t=session.t,
            total_steps=session.total_steps,
            episode_return=session.episode_return,
            episode_penalties=session.episode_penalties,
            q=q,
            last_step=session.last_step,
            epsilon=session.epsilon_now(),
            alpha=session.alpha_now(),
            paused=self.paused,
            speed_index=self.speed_index,
            steps_per_second=0.0 if self.paused else self._rate.update(session.total_steps),
            recent_mean_return=session.history.recent_mean_return(),
            recent_success_rate=session.history.recent_success_rate(),
            chart=self._chart,
            report=self.report.latest,
            optimum=solve(model),
            failed=self.failed,
            manual=self.manual,
            learn_from_human=self.learn_from_human,
            human_step=self._human_at == session.total_steps,
            trip_steps=self._trip.steps if self._trip else 0,
            trip_return=self._trip.episodic_return if self._trip else 0.0,
            last_trip=self.last_trip,
            replays=tuple(self._replays),
            handled=self._handled,
        )


def chart_series(session: Session) -> ChartSeries:
    means = session.history.means()
    x = means["episode"] + session.history.width / 2
    series = {}
    for name in ("episodic_return", "episodic_length", "penalties"):
        x_down, series[name] = downsample(x, means[name], CHART_POINTS)
    return ChartSeries(x_down, **series)


@dataclass
class _Trip:
    """A person's trip in progress (the worker's own, mutable)."""

    start_state: int
    agent: Trajectory
    agent_frames: tuple[Frame, ...]
    steps: int = 0
    episodic_return: float = 0.0
    penalties: int = 0

    def add(self, reward: float, penalty: bool) -> None:
        self.steps += 1
        self.episodic_return += reward
        self.penalties += int(penalty)

    def result(self, model, delivered: bool) -> TripResult:
        optimum = solve(model)
        return TripResult(
            start_state=self.start_state,
            steps=self.steps,
            episodic_return=self.episodic_return,
            penalties=self.penalties,
            delivered=delivered,
            optimal_steps=float(optimum.steps[self.start_state]),
            optimal_return=float(optimum.v[self.start_state]),
            agent=self.agent,
            agent_penalties=self.agent.penalties(model),
            agent_frames=self.agent_frames,
        )


def _frames_of(trajectory: Trajectory, q: np.ndarray) -> tuple[Frame, ...]:
    nexts = (*trajectory.states[1:], trajectory.final_state)
    return tuple(
        Frame(s, a, r, s2, tuple(q[s].tolist()), False, False)
        for s, a, r, s2 in zip(
            trajectory.states, trajectory.actions, trajectory.rewards, nexts, strict=True
        )
    )


def next_learner(current: str) -> str:
    return LEARNERS[(LEARNERS.index(current) + 1) % len(LEARNERS)]
