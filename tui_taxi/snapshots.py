"""What the worker publishes, assembled: an agent's snapshot with the worker's own state, the
chart series rebuilt and the policy report computed (in a thread of its own, off the command
path) only when they are due. Owned by the trainer's thread; knows nothing of widgets, nor of
which kind of agent it holds."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tui_taxi.core.episodes import downsample
from tui_taxi.core.evaluate import evaluate
from tui_taxi.core.optimal import PolicyReport, policy_report, scorable, solve
from tui_taxi.core.worlds import POLICY_MAP_AXES, is_cartpole
from tui_taxi.protocol import (
    ChartSeries,
    Comparison,
    Curve,
    Event,
    Frame,
    KeptCurve,
    Landscape,
    Marks,
    Notice,
    Snapshot,
    World,
)

CHART_INTERVAL = 0.25  # seconds between rebuilt chart series
REPORT_INTERVAL = 0.5  # seconds between policy-optimality reports
FLAT_OUT_SLOWER = 2.0  # flat out, both come half as often: they share a core with the screen
CHART_POINTS = 400  # the chart series is downsampled to at most this many points
CHEAP_TABLE = 0.001  # seconds: a Q-table this quick to build is copied into every snapshot

EventCallback = Callable[[Event], None]


@dataclass(frozen=True)
class WorkerState:
    """What the trainer adds to the session's own state in a snapshot."""

    handled: int
    paused: bool
    speed_index: int
    running: bool  # training goes on (not paused, not waiting for a person)
    flat_out: bool  # whole episodes per frame: the chart and report come less often
    stepping: bool  # every step is read: the report follows each one
    manual: bool
    learn_from_human: bool
    human_step: bool
    trip_steps: int
    trip_return: float
    practice: int
    replays: tuple[tuple[Frame, ...], ...]
    playing_to: int
    walking: bool = False
    last_step: object = None  # a finished walk's last step, shown instead of the agent's
    check: object = None  # a network's live greedy check (protocol.GoalCheck)


class BackgroundReport:
    """Policy optimality, computed off the worker's command path (5-30 ms, more than a frame)
    in a daemon thread of its own. Results are tagged with the session they were computed for,
    so a report of a previous session never shows; failures are reported, not swallowed."""

    def __init__(self, on_done: Callable[[], None], on_event: EventCallback) -> None:
        self._on_done = on_done
        self._on_event = on_event
        self._latest: tuple[int, PolicyReport, int] | None = None  # (generation, it, episode)
        self._key: object = None
        self._thread: threading.Thread | None = None

    def latest(self, generation: int) -> PolicyReport | None:
        latest = self._latest
        return latest[1] if latest is not None and latest[0] == generation else None

    def latest_of(self, generation: int) -> tuple[PolicyReport | None, int]:
        """The latest report and the episode count of the Q-table it judged (None, 0: none)."""
        latest = self._latest  # (one read: the thread replaces the tuple whole)
        return (
            (latest[1], latest[2]) if latest is not None and latest[0] == generation else (None, 0)
        )

    def request(
        self, generation: int, key: object, model, q: np.ndarray, gamma: float, episode: int = 0
    ) -> None:
        """Recompute for a Q-table that changed (``key`` differs from the last one), unless a
        computation is already running; ``on_done`` is called when the result is in."""
        if (generation, key) == self._key or (self._thread is not None and self._thread.is_alive()):
            return
        self._key = (generation, key)
        args = (generation, model, q.copy(), gamma, episode)
        self._thread = threading.Thread(
            target=self._compute, args=args, daemon=True, name="tui-taxi-report"
        )
        self._thread.start()

    def _compute(self, generation: int, model, q: np.ndarray, gamma: float, episode: int) -> None:
        try:  # judged against the optimum for the session's own gamma
            self._latest = (generation, policy_report(model, q, gamma), episode)
        except Exception as exc:  # noqa: BLE001 - a thread's failure must be seen, not lost
            self._on_event(Notice(f"policy report failed: {type(exc).__name__}: {exc}", "error"))
            return
        self._on_done()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()


@dataclass
class Rate:
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


class SnapshotMaker:
    """Snapshots of the trainer's agent, with their chart series and report kept between them."""

    def __init__(self, on_report_done: Callable[[], None], on_event: EventCallback) -> None:
        self.report = BackgroundReport(on_report_done, on_event)
        self.rate = Rate()
        self.generation = 0  # a new one for every new agent (reset, load, tour)
        self._seq = 0
        self._chart: ChartSeries | None = None
        self._chart_key: object = None
        self._chart_time = self._report_time = -math.inf
        self._world: World | None = None  # the agent's
        self._table: np.ndarray | None = None  # the Q-table, rebuilt when due if it is costly
        self._table_key: object = None
        self._table_cost = 0.0  # seconds the last build took
        self._landscape: Landscape | None = None
        self.kept: tuple[KeptCurve, ...] = ()  # earlier runs' curves (they outlive an agent)
        self._q_star_key: object = None
        self._q_star_values: np.ndarray | None = None

    def keep(self, agent, label: str | None) -> None:
        """Keep ``agent``'s curve for comparison, named ``label`` (the last kept one replaced;
        ``{gamma}`` in it: that setting's value now); None lets the kept curve go."""
        if label is None:
            self.kept = ()
            return
        settings = agent.settings()
        figures = {s.name: s.figure for s in settings}
        label = re.sub(r"\{(\w+)\}", lambda m: figures.get(m[1], m[0]), label)  # "γ {gamma}"
        recent = agent.history.recent_mean_return()
        length = agent.history.recent_mean_length()
        self.kept = (
            KeptCurve(
                label,
                chart_series(agent),
                recent,
                episodes=agent.episode,
                recent_length=length,
                settings=settings,
            ),
        )

    def new_session(self, agent) -> None:
        """Nothing of the previous agent carries over (a late report of it is dropped)."""
        self.generation += 1
        self._chart = None
        self._chart_time = self._report_time = -math.inf
        self._table = self._landscape = None
        self._table_cost = 0.0
        self._world = World.of_agent(agent)
        self.rate.reset(agent.total_steps)

    def _q_star(self, agent) -> np.ndarray | None:
        """The exact Q* (value iteration) for the run's gamma, for a kind whose values
        approximate it, on a world small enough to score; solved once per world and gamma."""
        model = agent.model
        if not agent.approximates or model is None or not scorable(model):
            return None
        key = (id(model), agent.config.gamma)
        if self._q_star_key != key:
            from tui_taxi.core.optimal import solve

            q = solve(model, agent.config.gamma).q.copy()
            q.flags.writeable = False
            self._q_star_key, self._q_star_values = key, q
        return self._q_star_values

    def make(self, agent, state: WorkerState, now: float | None = None) -> Snapshot:
        now = time.perf_counter() if now is None else now
        self._seq += 1
        slower = FLAT_OUT_SLOWER if state.flat_out else 1.0
        chart_key = (self.generation, agent.history.episodes)
        # while training runs, at most every CHART_INTERVAL; once it stops, the last snapshot
        # before the wait must show every episode (practice done, paused, a person to move)
        due = now - self._chart_time >= CHART_INTERVAL * slower or not state.running
        if self._chart is None or (due and chart_key != self._chart_key):
            self._chart = chart_series(agent)  # a new object only when episodes were added
            self._chart_time, self._chart_key = now, chart_key
        q = self._values(agent, due or state.stepping)
        if (
            agent.model is not None
            and scorable(agent.model)
            and (now - self._report_time >= REPORT_INTERVAL * slower or state.stepping)
        ):
            key = (agent.total_steps, agent.variant, agent.config.gamma)
            self.report.request(
                self.generation, key, agent.model, q, agent.config.gamma, agent.episode
            )
            self._report_time = now
        continuous = agent.model is None
        report, report_episode = self.report.latest_of(self.generation)
        q_star = self._q_star(agent)
        return Snapshot(
            seq=self._seq,
            handled=state.handled,
            kind=agent.name,
            variant=agent.variant,
            config=agent.config,
            settings=agent.settings(),
            world=self._world,
            state=agent.state,
            episode=agent.episode,
            t=agent.t,
            total_steps=agent.total_steps,
            episode_return=agent.episode_return,
            episode_penalties=agent.episode_penalties,
            counts_penalties=agent.counts_penalties,
            q=q,
            last_step=state.last_step if state.last_step is not None else agent.last_step,
            epsilon=agent.epsilon_now(),
            paused=state.paused,
            speed_index=state.speed_index,
            steps_per_second=self.rate.update(agent.total_steps) if state.running else 0.0,
            recent_mean_return=agent.history.recent_mean_return(),
            recent_success_rate=agent.history.recent_success_rate(),
            recent_mean_length=agent.history.recent_mean_length(),
            chart=self._chart,
            report=report,
            report_episode=report_episode,
            manual=state.manual,
            learn_from_human=state.learn_from_human,
            human_step=state.human_step,
            trip_steps=state.trip_steps,
            trip_return=state.trip_return,
            practice=state.practice,
            unit=agent.unit,
            replays=state.replays,
            playing_to=state.playing_to,
            obs=_frozen(agent.obs) if continuous else None,
            landscape=self._landscape if continuous else None,
            details=agent.details(),
            kept=self.kept,
            walking=state.walking,
            check=state.check,
            q_star=q_star,
        )

    def _values(self, agent, due: bool) -> np.ndarray:
        """The Q-table (S x A) of a discrete world, or the current observation's row (1 x A).
        A table that takes long to build (a network's: every state through it) and a continuous
        world's policy map are rebuilt only when due (at the chart's rate, or at every step
        read); a quick one (a table's copy) is copied every time."""
        if agent.model is None:
            if due or self._landscape is None:
                self._landscape = landscape_of(agent)
            return _frozen(agent.action_values()[None, :])
        key = (self.generation, agent.total_steps, agent.config)
        cheap = self._table_cost < CHEAP_TABLE
        if self._table is None or ((due or cheap) and key != self._table_key):
            start = time.perf_counter()
            self._table, self._table_key = _frozen(agent.q_table()), key
            self._table_cost = time.perf_counter() - start
        return self._table


def _frozen(array: np.ndarray) -> np.ndarray:
    copy = np.array(array, dtype=np.float64)
    copy.setflags(write=False)
    return copy


#: CartPole's policy map: the pole's angle (degrees) across, its angular velocity (rad/s) up.
LANDSCAPE_ANGLE = 12.0  # degrees either side: the episode ends past it
LANDSCAPE_SPIN = 2.0  # rad/s either side
LANDSCAPE_SIZE = (48, 24)  # (nx, ny) points; the widget resamples them to its pixels


def cartpole_landscape(agent) -> Landscape:
    """The network's Q over θ (across) and θ' (up), x and x' held at the current observation."""
    nx, ny = LANDSCAPE_SIZE
    degrees = np.linspace(-LANDSCAPE_ANGLE, LANDSCAPE_ANGLE, nx)
    spin = np.linspace(-LANDSCAPE_SPIN, LANDSCAPE_SPIN, ny)
    obs = np.asarray(agent.obs, dtype=np.float64)
    grid = np.repeat(obs[None, :], nx * ny, axis=0)
    theta, theta_dot = np.meshgrid(np.radians(degrees), spin)  # (ny, nx) each
    grid[:, 2], grid[:, 3] = theta.ravel(), theta_dot.ravel()
    q = np.asarray(agent.values_of(grid), dtype=np.float64).reshape(ny, nx, -1)
    q.setflags(write=False)
    at = (math.degrees(float(obs[2])), float(obs[3]))
    return Landscape(
        degrees, spin, q, at, "θ", "θ'", "the pole's angle θ", "its angular velocity θ'", "°"
    )


def landscape_of(agent) -> Landscape | None:
    """The policy map of an agent on a world with continuous observations."""
    if is_cartpole(agent.config.env_id):
        return cartpole_landscape(agent)
    if agent.obs_dim < 2:
        return None
    default = ((0, "obs[0]", "observation 0"), (1, "obs[1]", "observation 1"))
    (i, x_name, x_label), (j, y_name, y_label) = POLICY_MAP_AXES.get(agent.config.env_id, default)
    nx, ny = LANDSCAPE_SIZE
    xs, ys = (np.linspace(*_axis_range(agent, d), n) for d, n in ((i, nx), (j, ny)))
    obs = np.asarray(agent.obs, dtype=np.float64)
    grid = np.repeat(obs[None, :], nx * ny, axis=0)
    gx, gy = np.meshgrid(xs, ys)  # (ny, nx) each
    grid[:, i], grid[:, j] = gx.ravel(), gy.ravel()
    q = np.asarray(agent.values_of(grid), dtype=np.float64).reshape(ny, nx, -1)
    q.setflags(write=False)
    return Landscape(xs, ys, q, (float(obs[i]), float(obs[j])), x_name, y_name, x_label, y_label)


def _axis_range(agent, dim: int) -> tuple[float, float]:
    """The observation space's bounds on ``dim`` where finite, else the range the replay buffer
    has seen (a tenth wider), else -1 to 1."""
    low, high = agent.obs_bounds
    lo, hi = float(low[dim]), float(high[dim])
    if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
        return lo, hi
    seen = agent.arrays["buf_obs"][: agent.buffer_fill, dim]
    if len(seen) and seen.max() > seen.min():
        pad = 0.05 * float(seen.max() - seen.min())
        return float(seen.min()) - pad, float(seen.max()) + pad
    return -1.0, 1.0


def compare(agent, episodes: int) -> Comparison:
    """The random agent and the greedy agent, no learning and no time limit (as the tutorial),
    beside the exact optimum: the numbers of ``tui-taxi compare``."""
    model = agent.model
    return Comparison(
        random=evaluate(model, None, policy="random", episodes=episodes),
        trained=evaluate(model, agent.q_table(), episodes=episodes),
        optimum=solve(model) if scorable(model) else None,
        episode=agent.episode,
    )


def chart_series(agent) -> ChartSeries:
    """The history's bins as chart points: per-episode means at each bin's centre, the book's
    staircase (episodes completed at each bin's end against the time step it ended), and the
    kind's own curves and marks."""
    history = agent.history
    means = history.means()
    counts = history.counts()
    episode = means["episode"] + history.width / 2
    done = np.cumsum(counts)
    time_step = np.cumsum(means["episodic_length"] * counts)
    columns = [
        episode,
        time_step,
        done,
        means["episodic_return"],
        means["episodic_length"],
        means["penalties"],
    ]
    points = [downsample(episode, y, CHART_POINTS)[1] for y in columns]
    extras = tuple(
        Curve(name, title, downsample(episode, values, CHART_POINTS)[1])
        for name, title, values in agent.chart_extras(means, time_step)
    )
    return ChartSeries(*points, extras=extras, marks=marks_of(agent, time_step, done))


MAX_MARKS = 120  # more target updates than this are a note on the chart, not marks


def marks_of(agent, time_step: np.ndarray, done: np.ndarray) -> Marks | None:
    """A kind's events, placed at the episode (as the chart counts them) of their step."""
    found = agent.chart_marks(MAX_MARKS)
    if found is None:
        return None
    label, every, steps = found
    if steps is None or not len(steps):
        return Marks(label, every, steps)
    if not len(time_step):
        return Marks(label, every, np.zeros(len(steps)))
    at = np.interp(steps, np.concatenate(([0.0], time_step)), np.concatenate(([0.0], done)))
    return Marks(label, every, at)
