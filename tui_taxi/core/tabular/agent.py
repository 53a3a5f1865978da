"""The tabular kind of agent: a Q-table (two for Double Q) learnt by a TD learner (Q-learning,
SARSA, Expected SARSA or Double Q-learning) in one numba kernel, with its counters, generator and
history in one place.

Not thread-safe: one thread owns an agent. Changing a hyperparameter swaps the frozen
:class:`TrainConfig` for a new one.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tui_taxi.core.agent import (
    EPISODES,
    AgentBase,
    Budget,
    Option,
    Setting,
    SweepParam,
    figure_of,
    register,
)
from tui_taxi.core.envs import DEFAULT_ENV_ID, CompiledEnv, compile_env
from tui_taxi.core.episodes import EpisodeBatch, History
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.evaluate import EvalResult, evaluate
from tui_taxi.core.rng import make_rng
from tui_taxi.core.schedules import Schedule, parse_schedule
from tui_taxi.core.tabular import defaults, kernel, persist
from tui_taxi.core.tabular.config import (
    LEARNERS,
    MAX_PLANNING_STEPS,
    PARAM_RANGES,
    TrainConfig,
    canonical_learner,
    check_param,
)
from tui_taxi.core.tabular.kernel import PLANNERS
from tui_taxi.core.worlds import is_cartpole

#: Episodes a table trains before a person plays against it.
PRACTICE_EPISODES = 100_000
#: How each setting reads and which keys move it (see :class:`~tui_taxi.core.agent.Setting`).
_SETTINGS = (("epsilon", "ε", "explore"), ("alpha", "α", "rate"), ("gamma", "γ", "discount"))


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
    learner: int = -1  # the learner that took the step (its index in LEARNERS)
    planned: int = 0  # the updates from the model that followed it (Dyna-Q, sweeping)

    @classmethod
    def from_array(cls, record: np.ndarray) -> StepRecord:
        kinds = {f.name: f.type for f in dataclasses.fields(cls)}
        values = {}
        for name, raw in zip(kernel.RECORD_FIELDS, record, strict=True):
            kind = kinds[name]
            values[name] = (
                bool(raw) if kind == "bool" else int(raw) if kind == "int" else float(raw)
            )
        return cls(**values)


@register
class TabularAgent(AgentBase):
    """One learner's run on one env. ``train`` and ``step`` may be mixed freely: the result
    depends only on the seed, the configuration and the total number of steps taken."""

    name = "tabular"
    label = "tabular"
    title = "a Q-table learnt by TD (Q-learning, SARSA, Expected SARSA, Double Q)"
    unit = EPISODES
    default_env = DEFAULT_ENV_ID
    config_type = TrainConfig
    formats = (persist.FORMAT,)
    variant_help = "Next learner (4 TD methods, 2 that plan)"
    resets = "Q-table"
    steps_per_second = 2e7
    options_title = "tabular TD learning (--agent tabular, the default)"
    options = (
        Option(
            "learner",
            f"the TD learner: {', '.join(LEARNERS)} (default: q-learning)",
            "name",
            "NAME",
        ),
        Option(
            "planning_steps",
            "the planners' updates from their learnt model after each real step (--learner "
            "dyna-q or prioritized-sweeping; default: 5; dyna-q with 0 is Q-learning)",
            "whole",
            "N",
        ),
        Option(
            "alpha",
            "learning rate alpha, in (0, 1] (default: "
            f"{defaults.describe_defaults('alpha')}); or a schedule: linear:START:END:EPISODES "
            "goes from START to END over EPISODES episodes, exp:START:END:DECAY decays from "
            "START down to END (so START >= END), times DECAY per episode",
            "schedule",
            "A",
        ),
        Option(
            "epsilon",
            "exploration rate epsilon, in [0, 1] (default: "
            f"{defaults.describe_defaults('epsilon')}); or a schedule, as for --alpha",
            "schedule",
            "E",
        ),
    )
    sweep_space = (
        SweepParam("alpha", "0.05,0.1,0.5", log=True),
        SweepParam("gamma", "0.6,0.9,0.99"),
        SweepParam("epsilon", "0.1,exp:1:0.01:0.999", log=True),
        SweepParam("learner", "q-learning,sarsa", choices=LEARNERS),
    )

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
        record: np.ndarray | None = None,
        dyna: kernel.Dyna | None = None,
    ) -> None:
        self.config = config
        self.model = model if model is not None else compile_env(config.env_id, config.env_kwargs)
        self.action_names = self.model.action_names
        shape = (self.model.n_states, self.model.n_actions)
        self.q_a = np.zeros(shape) if q_a is None else q_a
        self.q_b = q_b
        self._link_tables()
        new_cursor, new_fcursor = kernel.new_cursor()
        self.cursor = new_cursor if cursor is None else cursor
        self.fcursor = new_fcursor if fcursor is None else fcursor
        self.rng = make_rng(config.seed) if rng is None else rng
        self.history = History() if history is None else history
        self.record = np.full(kernel.N_RECORD, np.nan) if record is None else record
        # Dyna-Q's learnt model (kept for every learner: the learner can change live)
        self.dyna = kernel.Dyna.empty(*shape) if dyna is None else dyna
        self._refresh_params()
        if (
            self.cursor[kernel.C_STATE] < 0
        ):  # draw the first start state so the state is always valid
            self._run(episodes=0, steps=0)

    # -- the kind -------------------------------------------------------------------------
    @classmethod
    def configure(cls, env_id: str, env_kwargs: tuple = (), **changes) -> TrainConfig:
        """The world's alpha, gamma and epsilon (see :mod:`~tui_taxi.core.tabular.defaults`),
        then ``changes``."""
        return defaults.config_for(env_id, env_kwargs, **changes)

    @classmethod
    def open_env(cls, config: TrainConfig) -> tuple[CompiledEnv, tuple[str, ...], int]:
        """The compiled world; one with continuous observations is refused in one line."""
        if _continuous(config.env_id):
            raise ConfigError(
                f"{config.env_id} has continuous observations, which a Q-table cannot index; "
                "a DQN learns it: --agent dqn (train, eval, the app)"
            )
        model = compile_env(config.env_id, config.env_kwargs)
        return model, model.action_names, 0

    @classmethod
    def load(cls, path) -> TabularAgent:
        return cls(**persist.load(path))

    @classmethod
    def describe(cls, config: TrainConfig) -> tuple[str, str]:
        return config.learner, defaults.settings_text(config)

    @classmethod
    def default_of(cls, name: str) -> str:
        return defaults.describe_defaults(name)

    @classmethod
    def sweep_value(cls, name: str, text: str):
        """alpha and epsilon: a number or a schedule; gamma: a number; a learner's name."""
        if name == "learner":
            if text not in LEARNERS:
                raise ValueError(f"unknown learner; choose from {', '.join(LEARNERS)}")
            return text
        if name == "gamma":
            gamma = float(text)
            if not (math.isfinite(gamma) and 0.0 <= gamma <= 1.0):
                raise ValueError(f"gamma must be in [0, 1], got {text}")
            return gamma
        schedule = parse_schedule(text, name)
        TrainConfig(**{name: schedule})  # the config's own range check
        return schedule

    @classmethod
    def sweep_defaults(cls, env_id: str) -> dict[str, str]:
        """The tutorial's neighbourhood (and, on Taxi, its gamma's)."""
        grid = {"alpha": "0.05,0.1,0.2,0.5", "epsilon": "0.05,0.1,0.2"}
        if env_id.startswith("Taxi"):
            grid["gamma"] = "0.6,0.8,0.9"
        return grid

    def save(self, path) -> Path:
        """Save atomically to ``path`` (.npz, no pickle); returns the path written."""
        return persist.save(self, path)

    @classmethod
    def default_budget_of(cls, config: TrainConfig) -> Budget:
        """The world's episode budget (100,000 for Taxi: the tutorial's)."""
        return Budget(episodes=defaults.defaults_for(config.env_id, config.env_kwargs)["episodes"])

    def practice(self) -> tuple[Budget, None]:
        """Before a person plays: the tutorial's 100,000 episodes (well under a second)."""
        return Budget(episodes=PRACTICE_EPISODES), None

    def diagnosis(self) -> str | None:
        return defaults.diagnose(self.model, self.config)

    # -- settings --------------------------------------------------------------------------
    def settings(self) -> tuple[Setting, ...]:
        out = []
        for name, symbol, role in _SETTINGS:
            setting = getattr(self.config, name)
            value = self.config.gamma if name == "gamma" else setting.value(self.episode)
            moving = isinstance(setting, Schedule) and setting.kind != "constant"
            text = setting.describe() if moving else figure_of(value)
            decaying = moving and value != setting.end and setting.end < value
            low, high, low_open = PARAM_RANGES[name]
            out.append(
                Setting(
                    name,
                    f"{name} {symbol}",
                    symbol,
                    role,
                    value,
                    text,
                    f"{figure_of(value)}{'↘' if decaying else ''}",
                    low=low,
                    high=high,
                    low_open=low_open,
                )
            )
        if self.config.learner in PLANNERS:  # Figure 8.2's n: 0, 5, 50
            n = self.config.planning_steps
            out.append(
                Setting(
                    "planning_steps",
                    "planning steps n",
                    "n",
                    "plan",
                    float(n),
                    f"{n}",
                    f"{n}",
                    low=0,
                    high=MAX_PLANNING_STEPS,
                    ladder=PLANNING_LADDER,
                )
            )
        return tuple(out)

    @classmethod
    def parse_setting(cls, name: str, text: str):
        """A setting's value from its text (a tour's ``set``): epsilon and alpha a number or a
        schedule, gamma a number, the learner a name."""
        if name == "learner":
            return canonical_learner(text)
        if name == "planning_steps":
            if not text.strip().isdigit():
                raise ConfigError(f"planning steps must be a whole number, got {text!r}")
            TrainConfig(learner="dyna-q", planning_steps=int(text))  # its range, checked
            return int(text)
        _known(name)
        try:
            value = parse_schedule(text, name) if name != "gamma" else float(text)
        except ValueError as exc:
            raise ConfigError(
                str(exc) if name != "gamma" else f"{text!r} is not a number"
            ) from None
        check_param(name, value)
        if isinstance(value, Schedule) and value.kind == "constant":
            return value.start
        return value

    def set_setting(self, name: str, value) -> None:
        """epsilon, alpha (a number: a constant, or a schedule), gamma (a number) or the
        learner (a name)."""
        if name == "learner":
            self._switch_learner(canonical_learner(value))
            return
        if name == "planning_steps":
            if isinstance(value, bool) or float(value) != int(value):
                raise ConfigError(f"planning steps must be a whole number, got {value!r}")
            self.reconfigure(planning_steps=int(value))
            return
        _known(name)
        check_param(name, value)
        if name != "gamma" and not isinstance(value, Schedule):
            value = Schedule.constant(value)
        self.reconfigure(**{name: value})

    def next_variant(self) -> str:
        learner = LEARNERS[(LEARNERS.index(self.config.learner) + 1) % len(LEARNERS)]
        self._switch_learner(learner)
        if learner in PLANNERS:
            return f"learner: {learner}, n {self.config.planning_steps} (N: 0, 5, 50)"
        return f"learner: {learner}"

    def _switch_learner(self, learner: str) -> None:
        """Another learner, with planning steps that suit it: a planner's n (5 if it had none:
        n = 0 plans nothing), none for the others."""
        if learner not in PLANNERS:
            self.reconfigure(learner=learner, planning_steps=0)
        elif self.config.planning_steps == 0:
            self.reconfigure(learner=learner, planning_steps=int(PLANNING_LADDER[1]))
        else:
            self.reconfigure(learner=learner)

    # -- settings --------------------------------------------------------------------------
    def _refresh_params(self) -> None:
        c = self.config
        self._params = kernel.kernel_params(self.model, c.gamma, c.epsilon, c.alpha)
        self._iparams = np.array(
            [
                kernel.LEARNERS.index(self.config.learner),
                self.config.time_limit(self.model),
                1,
                self.config.planning_steps,
            ],
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
    def _run(self, episodes: int | None, steps: int | None) -> EpisodeBatch:
        tables = (self.q_a, self.q_b, self.q_act)
        carried = (self.cursor, self.fcursor, self.rng)
        return kernel.run_model(
            self.model,
            tables,
            self._params,
            self._iparams,
            carried,
            episodes,
            steps,
            self.record,
            self.dyna,
        )

    def train(
        self, episodes: int | None = None, steps: int | None = None, work: int | None = None
    ) -> EpisodeBatch:
        """Run flat out until ``episodes`` more episodes end or ``steps`` more steps are taken
        (``work``: a network's budget of gradient steps; a table's steps are all its work)."""
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
    ) -> tuple[StepRecord, EpisodeBatch]:
        """One environment step with its TD update; the batch holds the episode it ended, if any.

        ``action`` overrides the agent's choice (a person at the keyboard); ``learn=False`` takes
        the step without updating Q (the person's moves need not teach the agent).
        """
        if action is not None:
            if not 0 <= action < self.model.n_actions:
                raise ConfigError(f"action must be 0-{self.model.n_actions - 1}, got {action}")
            self.cursor[kernel.C_ACTION] = action
            self.cursor[kernel.C_PENDING] = 1
            self.cursor[kernel.C_PENDING_EXPLORED] = 0
        self._iparams[kernel.I_LEARN] = 1 if learn else 0
        try:
            batch = self.train(steps=1)
        finally:
            self._iparams[kernel.I_LEARN] = 1
        return StepRecord.from_array(self.record), batch

    def new_episode(self) -> None:
        """Abandon the episode in progress (it is not counted) and draw a fresh start state
        from the run's generator."""
        self.cursor[kernel.C_STATE] = -1
        self._run(episodes=0, steps=0)

    # -- views -----------------------------------------------------------------------------
    @property
    def q(self) -> np.ndarray:
        """The action values shown and evaluated (Double Q: the mean of both tables)."""
        if self.config.learner == "double-q":
            return (self.q_a + self.q_b) / 2.0
        return self.q_a

    @property
    def state(self) -> int:
        return int(self.cursor[kernel.C_STATE])

    @property
    def episode(self) -> int:
        """Episodes finished so far."""
        return int(self.cursor[kernel.C_EPISODE])

    @property
    def total_steps(self) -> int:
        return int(self.cursor[kernel.C_TOTAL])

    @property
    def q_updates(self) -> int:
        """Q-updates so far (of a run with one learner): one per real step, but prioritized
        sweeping's (it learns only through its queue), and every update from the model."""
        real = 0 if self.config.learner == "prioritized-sweeping" else self.total_steps
        return real + int(self.dyna.backups[0])

    @property
    def t(self) -> int:
        """Steps taken in the current episode."""
        return int(self.cursor[kernel.C_T])

    @property
    def episode_return(self) -> float:
        return float(self.fcursor[kernel.F_RETURN])

    @property
    def episode_penalties(self) -> int:
        """Penalties (wrong pickups and drop-offs, for Taxi) in the current episode so far."""
        return int(self.cursor[kernel.C_PENALTIES])

    @property
    def last_step(self) -> StepRecord | None:
        return (
            None if math.isnan(self.record[kernel.R_STATE]) else StepRecord.from_array(self.record)
        )

    def epsilon_now(self) -> float:
        return self.config.epsilon.value(self.episode)

    def alpha_now(self) -> float:
        return self.config.alpha.value(self.episode)

    # -- values -----------------------------------------------------------------------------
    @property
    def obs(self) -> None:
        """A discrete world's agent sees its state (:attr:`state`), not an observation."""
        return None

    def action_values(self) -> np.ndarray:
        return self.q[self.state]

    def q_table(self) -> np.ndarray:
        return self.q

    def values_of(self, observations: np.ndarray) -> np.ndarray:
        """Q of each state in ``observations`` (a column of state indices)."""
        states = np.asarray(observations, dtype=np.float64).reshape(-1).astype(np.int64)
        return self.q[states]

    def evaluate(
        self, episodes: int = 100, seed: int | None = None, time_limit: int | None = None
    ) -> EvalResult:
        """The greedy policy (ties broken at random) from ``episodes`` fresh starts, no
        learning; the run's time limit unless ``time_limit`` is given (0: none)."""
        limit = self.config.time_limit(self.model) if time_limit is None else time_limit
        return evaluate(self.model, self.q, episodes=episodes, time_limit=limit, seed=seed or 0)


@functools.lru_cache(maxsize=64)
def _continuous(env_id: str) -> bool:
    """A registered env with a Box observation (CartPole, Acrobot, ...)."""
    import gymnasium as gym

    if is_cartpole(env_id):
        return True
    spec = gym.registry.get(env_id)
    if spec is None:
        return False
    try:
        env = gym.make(env_id)
    except Exception:  # noqa: BLE001 - a third-party constructor: the compiler's message stands
        return False
    try:
        return type(env.observation_space).__name__ == "Box"
    finally:
        env.close()


#: What the planning-steps key steps through: Figure 8.2's n.
PLANNING_LADDER = (0.0, 5.0, 50.0)


def _known(name: str) -> None:
    if name not in PARAM_RANGES:
        settings = ", ".join((*PARAM_RANGES, "learner", "planning_steps"))
        raise ConfigError(f"a table has no setting {name!r}; it has {settings}")


#: The name this kind had before there were others (``tui_taxi.Session``).
Session = TabularAgent
