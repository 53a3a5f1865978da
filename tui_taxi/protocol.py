"""The contract between the trainer (a worker thread) and the UI.

Data walks one way: a key becomes an *intent* (a frozen command); the worker resolves it against
the session it owns and answers with immutable :class:`Snapshot` objects (what the screen shows)
and one-off *events* (:class:`Notice`, :class:`TripFinished`). The UI never computes a new state
from an old snapshot, so quick key presses all count. Nothing here imports Textual.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from tui_taxi.core.dqn.agent import DQNRecord
from tui_taxi.core.dqn.config import CONTINUOUS_ENVS
from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.evaluate import EvalResult, Trajectory
from tui_taxi.core.optimal import Optimum, PolicyReport
from tui_taxi.core.session import StepRecord, TrainConfig


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
    """One environment step by the agent (pauses first)."""


@dataclass(frozen=True)
class ChangeSpeed:
    """One or more levels faster (+) or slower (-), from whatever the speed is when it arrives."""

    delta: int


@dataclass(frozen=True)
class SetSpeed:
    index: int


@dataclass(frozen=True)
class Adjust:
    """Add ``delta`` to epsilon, alpha or gamma, clamped to the range the config allows."""

    name: str
    delta: float


@dataclass(frozen=True)
class SetParam:
    """Set epsilon, alpha or gamma (a number) or epsilon / alpha to a schedule."""

    name: str
    value: object


@dataclass(frozen=True)
class NextLearner:
    """The next TD learner in the cycle, keeping the Q-table."""


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
    """A fresh session with the tour's seed and settings, then the actions of every step up to
    ``index`` (see :mod:`tui_taxi.demo`): the result depends on nothing else, so going back or
    restarting lands on the same screen. The last step's animated steps play at a visible pace."""

    tour: object  # tui_taxi.demo.Tour
    index: int


@dataclass(frozen=True)
class SetWorld:
    """A fresh session on another world, with that world's default settings (the seed kept)."""

    env_id: str
    env_kwargs: tuple = ()


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
    | SetParam
    | NextLearner
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
        """The world an agent (tabular or DQN) acts in."""
        if agent.model is not None:
            return cls.of(agent.model)
        c = agent.config
        return cls.continuous(c.env_id, c.env_kwargs, agent.action_names, len(agent.obs))

    @property
    def n_actions(self) -> int:
        return len(self.action_names)

    @property
    def cartpole(self) -> bool:
        return self.model is None and self.env_id in CONTINUOUS_ENVS

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
class ChartSeries:
    """The whole run's per-episode means, downsampled: x is the episode and, for the book's
    staircase, the time step at which each point's episodes ended."""

    episode: np.ndarray  # each point's episode (the centre of the episodes it averages)
    time_step: np.ndarray  # total steps taken when those episodes had ended
    episodes_done: np.ndarray  # episodes completed by then
    episodic_return: np.ndarray
    episodic_length: np.ndarray
    penalties: np.ndarray
    loss: np.ndarray | None = None  # a network's mean TD loss per episode (DQN), else None
    epsilon: np.ndarray | None = None  # the exploration rate each point's episodes ended at
    sync_every: int = 0  # a network's steps between target-network updates (0: no network)
    syncs: np.ndarray | None = None  # the episode of each target update, if few enough to mark


@dataclass(frozen=True)
class NetworkState:
    """What a DQN agent's learning machinery is doing (its settings are in the config)."""

    buffer_fill: int  # transitions in the replay buffer
    target_syncs: int  # times the target network was updated (hard copy or soft average)
    last_sync_step: int  # total_steps at the last update of the target network (-1: never)
    recent_loss: float  # mean TD loss of the recent episodes (NaN before the first update)
    updates: int = 0  # gradient steps taken


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

    record: StepRecord | DQNRecord  # a tabular step, or a network's on a discrete world
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
    optimal_steps: float
    optimal_return: float
    agent: Trajectory  # the greedy agent from the same start (cut off if it loops)
    agent_penalties: int
    agent_frames: tuple[Frame, ...]


@dataclass(frozen=True)
class BalanceResult:
    """A person's run on a continuous world (CartPole) beside the trained agent's greedy run
    from the same start: steps the pole stayed up, and whether each run fell or lasted."""

    steps: int
    episodic_return: float
    fell: bool  # False: the person reached the time limit
    agent_steps: int
    agent_fell: bool


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything the screen shows, copied out of the worker. Never mutated."""

    seq: int
    handled: int  # commands handled before this snapshot (compare with Trainer.sent)
    config: TrainConfig
    world: World  # immutable: a compiled model's arrays are read-only
    state: int
    episode: int
    t: int
    total_steps: int
    episode_return: float
    episode_penalties: int
    q: np.ndarray  # read-only copy: the Q-table (S x A), or the current observation's row (1 x A)
    last_step: StepRecord | None
    epsilon: float
    alpha: float
    paused: bool
    speed_index: int
    steps_per_second: float
    recent_mean_return: float
    recent_success_rate: float
    chart: ChartSeries
    report: PolicyReport | None  # None while the first one is computed
    manual: bool = False
    learn_from_human: bool = False
    human_step: bool = False  # the last step was the person's
    trip_steps: int = 0  # the person's current trip so far
    trip_return: float = 0.0
    pretraining: int = 0  # episodes the agent still trains before play starts
    replays: tuple[tuple[Frame, ...], ...] = ()  # recent episodes taken one step at a time
    playing_to: int = 0  # total_steps at which an animated tour step pauses (0: none)
    obs: np.ndarray | None = None  # a continuous observation (CartPole), else None
    agent: str = "tabular"  # or "dqn"
    landscape: Landscape | None = None  # a continuous world's policy map (DQN on CartPole)
    network: NetworkState | None = None  # a DQN agent's buffer and target network, else None

    @property
    def speed(self) -> Speed:
        return SPEEDS[self.speed_index]

    @property
    def model(self) -> CompiledEnv | None:
        return self.world.model

    @property
    def action_names(self) -> tuple[str, ...]:
        return self.world.action_names

    @property
    def q_row(self) -> np.ndarray:
        """The current state's (or observation's) action values."""
        return self.q[self.state] if self.model is not None else self.q[0]

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


@dataclass(frozen=True)
class Starting:
    """The worker is building the session (the first run compiles the numba kernels)."""

    text: str


@dataclass(frozen=True)
class TripFinished:
    trip: TripResult | BalanceResult


@dataclass(frozen=True)
class Comparison:
    """The tutorials' table: the random agent, the greedy agent and the exact optimum."""

    random: EvalResult
    trained: EvalResult
    optimum: Optimum
    episode: int  # episodes the agent had trained


Event = Notice | Starting | TripFinished | Comparison
