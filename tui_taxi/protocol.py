"""The contract between the trainer (a worker thread) and the UI, for any kind of agent.

Data walks one way: a key (or a tour's slide) becomes an *intent* (a frozen command); the worker
resolves it against the agent it owns and answers with immutable :class:`Snapshot` objects (what
the screen shows) and one-off *events* (:class:`Notice`, :class:`TripFinished`, ...). Events
carry facts; the UI words the ones that name keys, so a key that changes never makes the worker
lie. The UI never computes a new state from an old snapshot, so quick key presses all count.
Nothing here imports Textual, or knows which kinds of agent there are.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from tui_taxi.core.agent import Budget, Setting
from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.evaluate import EvalResult, Trajectory
from tui_taxi.core.optimal import Optimum, PolicyReport
from tui_taxi.core.worlds import is_cartpole, success_words


# -- speeds -----------------------------------------------------------------------------------
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

    @property
    def step_by_step(self) -> bool:
        """Slow enough (at most 10 steps/s) for every step to be read: the TD explainer shows."""
        return self.animated and self.steps_per_second <= 10


SPEEDS = (
    *(Speed(f"{n} step/s", steps_per_second=n) for n in (1, 2, 5, 10, 20, 30, 60)),
    Speed("1 episode/frame", episodes_per_frame=1),
    Speed("20 episodes/frame", episodes_per_frame=20),
    Speed("turbo"),
)
DEFAULT_SPEED = 3  # 10 steps/s: every step visible
TURBO = len(SPEEDS) - 1


# -- intents (sent from any thread) -----------------------------------------------------------
@dataclass(frozen=True)
class SetPaused:
    paused: bool | None = None  # None toggles


@dataclass(frozen=True)
class Step:
    """``count`` environment steps by the agent, each shown and recorded (pauses first)."""

    count: int = 1


@dataclass(frozen=True)
class ChangeSpeed:
    """One or more levels faster (+) or slower (-), from whatever the speed is when it arrives."""

    delta: int


@dataclass(frozen=True)
class SetSpeed:
    index: int


@dataclass(frozen=True)
class Adjust:
    """Move the setting of ``role`` (explore, rate, discount: see
    :data:`~tui_taxi.core.agent.ROLES`) one step in ``direction`` (+1 or -1), as the agent's
    kind moves it: alpha by 0.05, a network's learning rate by a factor of two, ..."""

    role: str
    direction: int


@dataclass(frozen=True)
class SetSetting:
    """Set one of the agent's settings by name (epsilon, alpha, gamma, learning_rate, a
    table's learner, ...), as its kind allows (a schedule for a table's epsilon and alpha)."""

    name: str
    value: object


@dataclass(frozen=True)
class NextVariant:
    """The kind's next variant, keeping what it learnt: the next TD learner of a table,
    Double DQN on or off for a network."""


@dataclass(frozen=True)
class Walk:
    """The agent's policy walked from a fresh start, without learning, at a pace the room can
    follow, until the episode ends: what the stats score is what the screen shows (a tour's
    ``walk``; set epsilon 0 first for the greedy path)."""


@dataclass(frozen=True)
class KeepCurve:
    """Keep the run's learning curve on the chart as a labelled second series, to compare
    with what comes next (another learner, other settings); None lets it go."""

    label: str | None = None


@dataclass(frozen=True)
class RestoreBest:
    """Bring back the network of the best greedy check so far (its weights and optimizer
    state; the replay buffer and the counters go on): a lecture need not end on a collapse."""


@dataclass(frozen=True)
class Train:
    """Train flat out for ``budget`` (a tour's ``train``), unrecorded; ``until_goal``: stop at
    the first check that the world's goal is reached (optimal from every start, checked every
    ``check_every`` of the agent's units)."""

    budget: Budget
    until_goal: bool = False
    check_every: int = 10


@dataclass(frozen=True)
class Reset:
    """A fresh agent with the current settings (its values, counters and history cleared)."""


@dataclass(frozen=True)
class Save:
    path: str


@dataclass(frozen=True)
class Load:
    path: str


@dataclass(frozen=True)
class SetManual:
    """A person drives (training stops; each trip starts from a fresh start state); off hands
    the world back to the agent and training resumes."""

    on: bool | None = None  # None toggles


@dataclass(frozen=True)
class Move:
    """The person's move (play mode only)."""

    action: int


@dataclass(frozen=True)
class SetLearnFromHuman:
    """Whether the person's moves update the Q-table (learning from demonstration)."""

    on: bool | None = None  # None toggles


@dataclass(frozen=True)
class RunTour:
    """A fresh agent with the tour's kind, world and seed, then the intents of every slide up
    to ``index`` (see :mod:`tui_taxi.demo`), handled as the keys' are: the result depends on
    nothing else, so going back or restarting lands on the same screen. The last slide's
    closing steps play at a visible pace."""

    tour: object  # tui_taxi.demo.Tour
    index: int


@dataclass(frozen=True)
class SetWorld:
    """A fresh agent of the same kind on another world, with that world's default settings
    (the seed kept); ``keep_settings``: the settings so far instead (a tour's ``env``)."""

    env_id: str
    env_kwargs: tuple = ()
    keep_settings: bool = False


@dataclass(frozen=True)
class Compare:
    """Evaluate the random agent and the greedy agent (no learning) beside the exact optimum:
    the tutorials' table; answered with a :class:`Comparison` event."""

    episodes: int = 100


@dataclass(frozen=True)
class Refresh:
    """Publish a snapshot (a background result is ready)."""


@dataclass(frozen=True)
class Shutdown:
    pass


Command = (
    SetPaused
    | Step
    | ChangeSpeed
    | SetSpeed
    | Adjust
    | SetSetting
    | NextVariant
    | Train
    | Walk
    | KeepCurve
    | RestoreBest
    | Reset
    | Save
    | Load
    | SetManual
    | Move
    | SetLearnFromHuman
    | RunTour
    | SetWorld
    | Compare
    | Refresh
    | Shutdown
)


# -- the world on screen ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class World:
    """What the screen needs of an env: its id, its actions and, for a discrete env, the
    compiled MDP (None for an env with continuous observations, such as CartPole)."""

    env_id: str
    env_kwargs: tuple
    action_names: tuple[str, ...]
    model: CompiledEnv | None = None
    obs_dim: int = 0  # the length of a continuous observation

    @classmethod
    def of(cls, model: CompiledEnv) -> World:
        """The world of a compiled env: one object per model, so a change of world is a change
        of object."""
        return _world_of(model)

    @classmethod
    def continuous(
        cls, env_id: str, env_kwargs: tuple, action_names: tuple[str, ...], obs_dim: int
    ) -> World:
        """The world of an env with continuous observations (one object per env, too)."""
        return _continuous_world(env_id, tuple(env_kwargs), tuple(action_names), int(obs_dim))

    @classmethod
    def of_agent(cls, agent) -> World:
        """The world an agent (of any kind) acts in."""
        if agent.model is not None:
            return cls.of(agent.model)
        c = agent.config
        return cls.continuous(c.env_id, c.env_kwargs, agent.action_names, len(agent.obs))

    @property
    def n_actions(self) -> int:
        return len(self.action_names)

    @property
    def cartpole(self) -> bool:
        """CartPole (a world fact: its own picture, and its play mode balances the pole)."""
        return self.model is None and is_cartpole(self.env_id)

    @property
    def success_words(self) -> str:
        """How its episodes end well, in words ("delivered", "balanced to the limit", ...)."""
        return success_words(self.env_id, self.model)

    @property
    def playable(self) -> bool:
        """Play mode has a game here: a discrete world's trip, or CartPole's balance."""
        return self.model is not None or self.cartpole


@functools.lru_cache(maxsize=64)
def _world_of(model: CompiledEnv) -> World:
    return World(model.env_id, model.env_kwargs, model.action_names, model)


@functools.lru_cache(maxsize=64)
def _continuous_world(
    env_id: str, env_kwargs: tuple, action_names: tuple[str, ...], obs_dim: int
) -> World:
    return World(env_id, env_kwargs, action_names, None, obs_dim)


# -- what the worker publishes ----------------------------------------------------------------
@dataclass(frozen=True)
class Curve:
    """A chart metric of the agent's kind's own (a network's TD loss, its epsilon), per point."""

    name: str
    title: str
    values: np.ndarray


@dataclass(frozen=True)
class Marks:
    """Events to mark above the curve (``label``: a network's "target update"): ``every`` steps
    apart, at these episodes (as the chart counts them), or None when too many to mark."""

    label: str
    every: int
    at: np.ndarray | None


@dataclass(frozen=True)
class ChartSeries:
    """The whole run's per-episode means, downsampled: x is the episode and, for the book's
    staircase, the time step at which each point's episodes ended."""

    episode: np.ndarray  # each point's episode (the centre of the episodes it averages)
    time_step: np.ndarray  # total steps taken when those episodes had ended
    episodes_done: np.ndarray  # episodes completed by then
    episodic_return: np.ndarray
    episodic_length: np.ndarray
    penalties: np.ndarray
    extras: tuple[Curve, ...] = ()  # the kind's own metrics
    marks: Marks | None = None


@dataclass(frozen=True)
class KeptCurve:
    """An earlier run's chart series, kept for comparison, what it was, and, when it was kept,
    the mean return of its last 100 episodes, its episodes and its settings."""

    label: str
    series: ChartSeries
    recent_return: float
    episodes: int = 0
    recent_length: float = float("nan")  # the mean steps of its last 100 episodes
    settings: tuple = ()  # its Settings (tui_taxi.core.agent.Setting)


@dataclass(frozen=True, eq=False)
class Landscape:
    """A network's action values over a grid of two observation dimensions, the others held at
    the current observation (CartPole: the pole's angle across, its angular velocity up). The
    axes are in the units shown (degrees, not radians)."""

    x: np.ndarray  # (nx,) increasing
    y: np.ndarray  # (ny,) increasing
    q: np.ndarray  # (ny, nx, A): row 0 is the lowest y
    at: tuple[float, float]  # the current observation on these axes
    x_name: str  # short, for the axis ("θ")
    y_name: str
    x_label: str  # for the title ("the pole's angle θ")
    y_label: str
    x_unit: str = ""


@dataclass(frozen=True)
class Frame:
    """One recorded step, with the state's Q-values as they were before its update."""

    record: object  # the kind's step record (state, action, reward, next_state, ...)
    q_row: tuple[float, ...]
    human: bool


@dataclass(frozen=True)
class TripResult:
    """A person's trip beside the best possible and the trained agent's, from the same start."""

    start_state: int
    steps: int
    episodic_return: float
    penalties: int
    delivered: bool
    optimal_steps: float  # expected, from the start (a stochastic world: a mean)
    optimal_return: float
    agent: Trajectory  # the greedy agent from the same start (cut off if it loops)
    agent_penalties: int
    agent_frames: tuple[Frame, ...]
    optimal_success: float = 1.0  # the probability that the best policy succeeds from the start
    stochastic: bool = False  # the world's moves may go astray: the best is an expectation
    counts_penalties: bool = True  # the world has penalties (Taxi's, Cliff Walking's falls)
    final_state: int = 0  # where the person's trip ended
    agent_success: bool = False  # the agent's run ended in success (delivered, the goal)


@dataclass(frozen=True)
class BalanceResult:
    """A person's run on a continuous world (CartPole) beside the trained agent's greedy run
    from the same start: steps the pole stayed up, and whether each run fell or lasted."""

    steps: int
    episodic_return: float
    fell: bool  # False: the person reached the time limit
    agent_steps: int
    agent_fell: bool


@dataclass(frozen=True)
class GoalCheck:
    """The live run's greedy check, as ``train`` makes it (the same goal, every ``every``
    steps): its last result, when the goal was first reached, the best network seen (which
    ``B`` brings back), the run's budget and how far its Q-values are past any return."""

    what: str  # the goal: "solved", "optimal from every start state"
    every: int
    threshold: float | None  # a reward threshold's value (None: the optimum is the goal)
    episodes: int  # evaluation episodes of a threshold's check
    steps: int = -1  # total_steps at the last check (-1: none yet)
    figure: float = math.nan  # its greedy mean return (a threshold's), or its optimality
    passed: bool = False
    reached_at: int = -1  # total_steps at the first check that passed
    reached_figure: float = math.nan
    best_at: int = -1  # total_steps of the best check so far
    best_figure: float = math.nan
    budget: int = 0  # the run's step budget (0: none)
    q_max: float = math.nan  # the largest |Q| over recent observations, at the last check
    q_bound: float | None = None  # what no return can exceed: r_max / (1 - gamma)

    @property
    def diverging(self) -> bool:
        return self.q_bound is not None and self.q_max > self.q_bound


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything the screen shows, copied out of the worker. Never mutated."""

    seq: int
    handled: int  # commands handled before this snapshot (compare with Trainer.sent)
    kind: str  # the agent's kind (tui_taxi.core.agent.kinds()), for the views of its own
    variant: str  # the kind's variant: the learner, "Double DQN", ...
    config: object  # the agent's frozen config
    settings: tuple[Setting, ...]  # what the keys move, with their values now
    world: World  # immutable: a compiled model's arrays are read-only
    state: int
    episode: int
    t: int
    total_steps: int
    episode_return: float
    episode_penalties: int
    counts_penalties: bool  # the agent counts the world's penalties (a network does not)
    q: np.ndarray  # read-only copy: the action values (S x A), or the current observation's row
    last_step: object | None  # the kind's record of the last step (and its update)
    epsilon: float
    paused: bool
    speed_index: int
    steps_per_second: float
    recent_mean_return: float
    recent_success_rate: float
    recent_mean_length: float
    chart: ChartSeries
    report: PolicyReport | None  # None while the first one is computed
    report_episode: int  # the episode count of the Q-table the report judged (it lags behind)
    manual: bool = False
    learn_from_human: bool = False
    human_step: bool = False  # the last step was the person's
    trip_steps: int = 0  # the person's current trip so far
    trip_return: float = 0.0
    practice: int = 0  # what the agent still trains before play starts, in its kind's unit
    unit: str = "episodes"  # the kind's unit: what a budget and a check count
    replays: tuple[tuple[Frame, ...], ...] = ()  # recent episodes taken one step at a time
    playing_to: int = 0  # total_steps at which an animated tour step pauses (0: none)
    obs: np.ndarray | None = None  # a continuous observation (CartPole), else None
    landscape: Landscape | None = None  # a continuous world's policy map
    details: object = None  # the kind's own state for its panels (a network's buffer, ...)
    kept: tuple[KeptCurve, ...] = ()  # earlier runs' curves, drawn beside this one's
    walking: bool = False  # the policy walks without learning (a tour's walk)
    check: GoalCheck | None = None  # a network's live greedy check
    #: the exact Q* for the run's gamma, beside a network's Q-table on a world small enough
    #: to score (read-only; None elsewhere)
    q_star: np.ndarray | None = None
    q_label: str = ""  # what ``q`` holds when it is not the agent's values ("Q*", "|Q−Q*|")

    @property
    def speed(self) -> Speed:
        return SPEEDS[self.speed_index]

    def value(self, name: str) -> float:
        """A setting's value now, by its name (``"alpha"``, ``"learning_rate"``, ...)."""
        for setting in self.settings:
            if setting.name == name:
                return setting.value
        raise KeyError(f"{self.kind} has no setting {name!r}")

    @property
    def model(self) -> CompiledEnv | None:
        return self.world.model

    @property
    def action_names(self) -> tuple[str, ...]:
        return self.world.action_names

    @property
    def q_row(self) -> np.ndarray:
        """The current state's (or observation's) action values (its legal actions')."""
        if self.model is None:
            return self.q[0]
        return self.q[self.state][: int(self.model.n_legal[self.state])]

    @property
    def state_action_names(self) -> tuple[str, ...]:
        """The names of the current state's actions (a world whose states differ: its own)."""
        return self.model.action_names_in(self.state) if self.model else self.action_names

    def action_name(self, state: int, action: int) -> str:
        """What ``action`` is called in ``state``."""
        if self.model is None:
            return self.action_names[action]
        names = self.model.action_names_in(state)
        return names[action] if action < len(names) else self.action_names[action]

    @property
    def step_by_step(self) -> bool:
        """Paused or slow: every frame redraws everything, and the TD explainer shows."""
        return self.paused or self.speed.step_by_step


# -- events -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Notice:
    """A one-off message for a notification: a command's outcome ("speed: turbo"), a saved or
    loaded file, a bad value, or a failure (``severity`` "error")."""

    text: str
    severity: str = "information"
    topic: str | None = None  # a newer notice on the same topic replaces this one on screen
    timeout: float | None = None  # seconds on screen (None: 2, a warning or error 8)


@dataclass(frozen=True)
class Starting:
    """The worker is building the session (the first run compiles the numba kernels)."""

    text: str


@dataclass(frozen=True)
class TripFinished:
    trip: TripResult | BalanceResult


@dataclass(frozen=True)
class PlayModeChanged:
    """A person drives now (``on``), or the agent again; the UI says which keys do what."""

    on: bool


@dataclass(frozen=True)
class StepInPlayMode:
    """A step was asked for while a person drives: the UI says how to move instead."""


@dataclass(frozen=True)
class Comparison:
    """The tutorials' table: the random agent, the greedy agent and the exact optimum."""

    random: EvalResult
    trained: EvalResult
    optimum: Optimum | None  # None: a world too large to score
    episode: int  # episodes the agent had trained


Event = Notice | Starting | TripFinished | Comparison | PlayModeChanged | StepInPlayMode
