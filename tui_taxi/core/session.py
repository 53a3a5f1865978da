"""A training session: configuration, Q-table(s), counters, generator and history in one place.

The CLI and the app's trainer both drive a :class:`Session`; it is not thread-safe, so one
thread owns it. Changing a hyperparameter swaps the frozen :class:`TrainConfig` for a new one.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tui_taxi.core import learners as K
from tui_taxi.core.envs import (
    DEFAULT_ENV_ID,
    CompiledEnv,
    EnvKwargs,
    compile_env,
)
from tui_taxi.core.history import History
from tui_taxi.core.rng import make_rng
from tui_taxi.core.schedules import Schedule

LEARNER_ALIASES = {
    "q": "q-learning",
    "qlearning": "q-learning",
    "q_learning": "q-learning",
    "expected_sarsa": "expected-sarsa",
    "expectedsarsa": "expected-sarsa",
    "double": "double-q",
    "double_q": "double-q",
    "double-q-learning": "double-q",
}


class ConfigError(ValueError):
    """A setting out of range; the message is one line naming the value and what is allowed."""


#: The one source of the ranges of epsilon, alpha and gamma: (low, high, low excluded).
PARAM_RANGES = {
    "epsilon": (0.0, 1.0, False),
    "alpha": (0.0, 1.0, True),
    "gamma": (0.0, 1.0, False),
}
#: Seeds alias beyond this: the generator is seeded from the seed modulo 2**64.
SEED_LIMIT = 2**64
#: The kernel holds the time limit in an int64.
MAX_TIME_LIMIT = 2**63 - 1


def check_param(name: str, value) -> None:
    """Raise a one-line ConfigError unless ``value`` is allowed for ``name``: gamma a number,
    epsilon and alpha a number or a :class:`Schedule` whose every value is in range. A bool is
    not a number here (``True`` would pass for 1)."""
    low, high, low_open = PARAM_RANGES[name]
    if isinstance(value, Schedule):
        if name == "gamma":
            raise ConfigError("gamma must be a number, not a schedule")
        try:
            value.check(name, low, high, low_open=low_open)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return
    interval = f"({low:g}, {high:g}]" if low_open else f"[{low:g}, {high:g}]"
    if not _is_real(value):
        raise ConfigError(f"{name} must be a number in {interval}, got {value!r}")
    if not (math.isfinite(value) and (low < value if low_open else low <= value) and value <= high):
        raise ConfigError(f"{name} must be in {interval}, got {value:g}")


def _is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _shown(value) -> str:
    """A value as a person typed it: numbers plainly, anything else with its quotes."""
    return str(value) if _is_real(value) else repr(value)


def canonical_learner(name: str) -> str:
    key = name.strip().lower()
    key = LEARNER_ALIASES.get(key, key)
    if key not in K.LEARNERS:
        raise ConfigError(f"unknown learner {name!r}; choose one of {', '.join(K.LEARNERS)}")
    return key


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run. Defaults are the classic Taxi tutorial's."""

    env_id: str = field(default=DEFAULT_ENV_ID, metadata={"help": "Gymnasium env id"})
    env_kwargs: EnvKwargs = field(default=(), metadata={"help": "env keyword arguments"})
    learner: str = field(default="q-learning", metadata={"help": "the TD learner"})
    alpha: Schedule = field(
        default=Schedule.constant(0.1), metadata={"help": "learning rate alpha, in (0, 1]"}
    )
    gamma: float = field(default=0.6, metadata={"help": "discount factor gamma, in [0, 1]"})
    epsilon: Schedule = field(
        default=Schedule.constant(0.1), metadata={"help": "exploration rate epsilon, in [0, 1]"}
    )
    max_steps: int | None = field(
        default=None,
        metadata={"help": "time limit per episode; 0 = none; default: the env's registered limit"},
    )
    seed: int = field(default=0, metadata={"help": "seed of the run's random generator"})

    def __post_init__(self) -> None:
        if not isinstance(self.env_id, str):
            raise ConfigError(f"env id must be a name, got {self.env_id!r}")
        if not (
            isinstance(self.env_kwargs, tuple)
            and all(
                isinstance(i, tuple) and len(i) == 2 and isinstance(i[0], str)
                for i in self.env_kwargs
            )
        ):
            raise ConfigError(f"env kwargs must be (name, value) pairs, got {self.env_kwargs!r}")
        if not isinstance(self.learner, str):
            raise ConfigError(f"learner must be a name, got {self.learner!r}")
        object.__setattr__(self, "learner", canonical_learner(self.learner))
        for name in PARAM_RANGES:
            check_param(name, getattr(self, name))
        for name in ("alpha", "epsilon"):  # a plain number is a constant schedule
            if not isinstance(getattr(self, name), Schedule):
                object.__setattr__(self, name, Schedule.constant(float(getattr(self, name))))
        gamma = self.gamma
        if self.max_steps is not None and not (
            _is_whole(self.max_steps) and 0 <= self.max_steps <= MAX_TIME_LIMIT
        ):
            raise ConfigError(
                "max-steps must be a whole number >= 0 and < 2**63 (0 = no limit), "
                f"got {_shown(self.max_steps)}"
            )
        if not (_is_whole(self.seed) and 0 <= self.seed < SEED_LIMIT):
            raise ConfigError(
                f"seed must be a whole number >= 0 and < 2**64, got {_shown(self.seed)}"
            )
        # numpy scalars are accepted, stored as plain Python numbers (the header is JSON)
        object.__setattr__(self, "gamma", gamma.item() if isinstance(gamma, np.generic) else gamma)
        if self.max_steps is not None:
            object.__setattr__(self, "max_steps", int(self.max_steps))
        object.__setattr__(self, "seed", int(self.seed))

    def time_limit(self, model: CompiledEnv) -> int:
        return model.max_episode_steps if self.max_steps is None else self.max_steps

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class StepRecord:
    """One environment step and the TD update it caused, with the numbers a teacher shows."""

    state: int
    action: int
    reward: float
    next_state: int
    terminated: bool
    truncated: bool
    explored: bool
    q_old: float
    bootstrap: float
    td_target: float
    td_error: float
    q_new: float
    epsilon: float
    alpha: float
    gamma: float
    table: int  # Double Q: 0 updated Q_A, 1 updated Q_B
    episode: int
    t: int

    @classmethod
    def from_array(cls, record: np.ndarray) -> StepRecord:
        kinds = {f.name: f.type for f in dataclasses.fields(cls)}
        values = {}
        for name, raw in zip(K.RECORD_FIELDS, record, strict=True):
            kind = kinds[name]
            values[name] = (
                bool(raw) if kind == "bool" else int(raw) if kind == "int" else float(raw)
            )
        return cls(**values)


class Session:
    """One learner's run on one env. ``train`` and ``step`` may be mixed freely: the result
    depends only on the seed, the configuration and the total number of steps taken."""

    def __init__(
        self,
        config: TrainConfig,
        *,
        model: CompiledEnv | None = None,
        q_a: np.ndarray | None = None,
        q_b: np.ndarray | None = None,
        cursor: np.ndarray | None = None,
        fcursor: np.ndarray | None = None,
        rng: np.ndarray | None = None,
        history: History | None = None,
    ) -> None:
        self.config = config
        self.model = model if model is not None else compile_env(config.env_id, config.env_kwargs)
        shape = (self.model.n_states, self.model.n_actions)
        self.q_a = np.zeros(shape) if q_a is None else q_a
        self.q_b = q_b
        self._link_tables()
        new_cursor, new_fcursor = K.new_cursor()
        self.cursor = new_cursor if cursor is None else cursor
        self.fcursor = new_fcursor if fcursor is None else fcursor
        self.rng = make_rng(config.seed) if rng is None else rng
        self.history = History() if history is None else history
        self.record = np.full(K.N_RECORD, np.nan)
        self._refresh_params()
        if self.cursor[K.C_STATE] < 0:  # draw the first start state so the state is always valid
            self._run(episodes=0, steps=0)

    # -- settings --------------------------------------------------------------------------
    def _refresh_params(self) -> None:
        c = self.config
        self._params = K.kernel_params(self.model, c.gamma, c.epsilon, c.alpha)
        self._iparams = np.array(
            [K.LEARNERS.index(self.config.learner), self.config.time_limit(self.model), 1],
            dtype=np.int64,
        )

    def reconfigure(self, **changes) -> None:
        """Apply new settings at once (validated: raises ConfigError). Env and seed are fixed."""
        if {"env_id", "env_kwargs", "seed"} & changes.keys():
            raise ConfigError("env and seed cannot change during a session; start a new one")
        new = self.config.replace(**changes)
        limit = new.time_limit(self.model)
        if 0 < limit <= self.t:  # the episode would be past its limit (and a save invalid)
            raise ConfigError(
                f"max-steps must be above the current episode's {self.t} steps, got {limit}"
            )
        if new.learner != self.config.learner and self.config.learner == "double-q":
            self.q_a = self.q  # the mean of both tables carries over
            self.q_b = None
        self.config = new
        self._link_tables()
        self._refresh_params()

    def _link_tables(self) -> None:
        """Double Q: a second table (a copy of the first unless given), and the table it acts on,
        kept equal to Q_A + Q_B by the kernel. Otherwise all three names are the one table."""
        if self.config.learner == "double-q":
            if self.q_b is None or self.q_b is self.q_a:
                self.q_b = self.q_a.copy()
            self.q_act = self.q_a + self.q_b
        else:
            self.q_b = self.q_act = self.q_a

    # -- running ---------------------------------------------------------------------------
    def _run(self, episodes: int | None, steps: int | None) -> K.EpisodeBatch:
        tables = (self.q_a, self.q_b, self.q_act)
        carried = (self.cursor, self.fcursor, self.rng)
        return K.run_model(
            self.model, tables, self._params, self._iparams, carried, episodes, steps, self.record
        )

    def train(self, episodes: int | None = None, steps: int | None = None) -> K.EpisodeBatch:
        """Run flat out until ``episodes`` more episodes end or ``steps`` more steps are taken."""
        for name, value in (("episodes", episodes), ("steps", steps)):
            if value is not None and value < 0:
                raise ConfigError(f"{name} must be >= 0, got {value}")
        batch = self._run(episodes, steps)
        if len(batch):
            self.history.extend(
                batch.episodic_return, batch.episodic_length, batch.penalties, batch.success
            )
        return batch

    def step(
        self, action: int | None = None, learn: bool = True
    ) -> tuple[StepRecord, K.EpisodeBatch]:
        """One environment step with its TD update; the batch holds the episode it ended, if any.

        ``action`` overrides the agent's choice (a person at the keyboard); ``learn=False`` takes
        the step without updating Q (the person's moves need not teach the agent).
        """
        if action is not None:
            if not 0 <= action < self.model.n_actions:
                raise ConfigError(f"action must be 0-{self.model.n_actions - 1}, got {action}")
            self.cursor[K.C_ACTION] = action
            self.cursor[K.C_PENDING] = 1
            self.cursor[K.C_PENDING_EXPLORED] = 0
        self._iparams[K.I_LEARN] = 1 if learn else 0
        try:
            batch = self.train(steps=1)
        finally:
            self._iparams[K.I_LEARN] = 1
        return StepRecord.from_array(self.record), batch

    def new_episode(self) -> None:
        """Abandon the episode in progress (it is not counted) and draw a fresh start state
        from the session's generator."""
        self.cursor[K.C_STATE] = -1
        self._run(episodes=0, steps=0)

    def copy(self) -> Session:
        """An independent copy (the compiled model is shared: it is read-only)."""
        return copy.deepcopy(self, memo={id(self.model): self.model})

    # -- views -----------------------------------------------------------------------------
    @property
    def q(self) -> np.ndarray:
        """The action values shown and evaluated (Double Q: the mean of both tables)."""
        if self.config.learner == "double-q":
            return (self.q_a + self.q_b) / 2.0
        return self.q_a

    @property
    def state(self) -> int:
        return int(self.cursor[K.C_STATE])

    @property
    def episode(self) -> int:
        """Episodes finished so far."""
        return int(self.cursor[K.C_EPISODE])

    @property
    def total_steps(self) -> int:
        return int(self.cursor[K.C_TOTAL])

    @property
    def t(self) -> int:
        """Steps taken in the current episode."""
        return int(self.cursor[K.C_T])

    @property
    def episode_return(self) -> float:
        return float(self.fcursor[K.F_RETURN])

    @property
    def episode_penalties(self) -> int:
        """Penalties (wrong pickups and drop-offs, for Taxi) in the current episode so far."""
        return int(self.cursor[K.C_PENALTIES])

    @property
    def last_step(self) -> StepRecord | None:
        return None if math.isnan(self.record[K.R_STATE]) else StepRecord.from_array(self.record)

    def epsilon_now(self) -> float:
        return self.config.epsilon.value(self.episode)

    # -- the Python API, in Stable-Baselines3's shape ----------------------------------------
    def predict(
        self, observation, state=None, episode_start=None, deterministic: bool = True
    ) -> tuple[int, None]:
        """The action for a state index, as SB3's ``predict``: ``(action, None)``.

        ``observation`` is a state index as ``env.reset()`` and ``env.step()`` give it (an int,
        a numpy integer or a 0-d integer array). Deterministic: the action of the highest
        Q-value, the lowest-numbered one when several tie (``np.argmax``; training breaks ties
        at random). ``deterministic=False``: epsilon-greedy at the session's current epsilon,
        drawn from a generator of predict's own, so predicting never changes training.
        ``state`` and ``episode_start`` are SB3's recurrent-policy arguments, unused here."""
        s = state_index(observation, self.model.n_states)
        action = int(np.argmax(self.q[s]))
        if not deterministic:
            if not hasattr(self, "_predict_rng"):
                self._predict_rng = np.random.default_rng([PREDICT_STREAM, self.config.seed])
            if self._predict_rng.random() < self.epsilon_now():
                action = int(self._predict_rng.integers(self.model.n_actions))
        return action, None

    def learn(self, total_timesteps: int, progress_bar: bool = False) -> Session:
        """Train ``total_timesteps`` more steps and return the session, as SB3's ``learn``
        (``progress_bar``: a bar on stderr; the run is the same either way)."""
        learn_steps(self, total_timesteps, progress_bar)
        return self

    def save(self, path) -> Path:
        """Save atomically to ``path`` (.npz, no pickle); returns the path written."""
        from tui_taxi.core.persist import save_session

        return save_session(self, path)

    def alpha_now(self) -> float:
        return self.config.alpha.value(self.episode)


# -- the Python API's helpers, for either kind of agent -------------------------------------
#: predict's own generator stream (``deterministic=False``), apart from training's.
PREDICT_STREAM = 0x5052_4544


def state_index(observation, n_states: int) -> int:
    """A discrete env's observation as a state index: an int, a numpy integer or a 0-d integer
    array in ``0..n_states-1``; anything else is a one-line ValueError."""
    value = observation
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        shown = f"an array of shape {value.shape}" if isinstance(value, np.ndarray) else repr(value)
        raise ValueError(
            f"observation must be a state index (an integer in 0-{n_states - 1}), got {shown}"
        )
    if not 0 <= value < n_states:
        raise ValueError(f"observation must be a state in 0-{n_states - 1}, got {value}")
    return int(value)


def learn_steps(agent, total_timesteps: int, progress_bar: bool = False) -> None:
    """Train ``agent`` (a Session or a DQNAgent) ``total_timesteps`` more steps; with
    ``progress_bar``, in a hundred calls with a bar on stderr after each (chunked runs equal one
    long run, so the result is the same)."""
    if (
        isinstance(total_timesteps, bool)
        or not isinstance(total_timesteps, (int, np.integer))
        or total_timesteps < 0
    ):
        raise ConfigError(f"total_timesteps must be a whole number >= 0, got {total_timesteps!r}")
    total = int(total_timesteps)
    if not progress_bar:
        agent.train(steps=total)
        return
    done, chunk = 0, max(1, -(-total // 100))
    while done < total:
        agent.train(steps=min(chunk, total - done))
        done += min(chunk, total - done)
        filled = 24 * done // total
        sys.stderr.write(
            f"\r[{'#' * filled}{'-' * (24 - filled)}] {done:,}/{total:,} steps | "
            f"{agent.episode:,} episodes | mean return (last 100) "
            f"{agent.history.recent_mean_return():.2f} "
        )
        sys.stderr.flush()
    sys.stderr.write("\n")
