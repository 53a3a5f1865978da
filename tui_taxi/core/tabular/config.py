"""A tabular agent's settings: :class:`TrainConfig` (frozen; its defaults are the classic Taxi
tutorial's), the learners' names, and the one source of the ranges of alpha, epsilon and gamma."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from tui_taxi.core.envs import DEFAULT_ENV_ID, CompiledEnv, EnvKwargs
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.rng import SEED_LIMIT
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular.kernel import LEARNERS

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


#: The one source of the ranges of epsilon, alpha and gamma: (low, high, low excluded).
PARAM_RANGES = {
    "epsilon": (0.0, 1.0, False),
    "alpha": (0.0, 1.0, True),
    "gamma": (0.0, 1.0, False),
}
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


#: Dyna-Q's planning updates per real step at most (the book's Figure 8.2 goes to 50).
MAX_PLANNING_STEPS = 100_000


def canonical_learner(name: str) -> str:
    key = name.strip().lower()
    key = LEARNER_ALIASES.get(key, key)
    if key not in LEARNERS:
        raise ConfigError(f"unknown learner {name!r}; choose one of {', '.join(LEARNERS)}")
    return key


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run. Defaults are the classic Taxi tutorial's."""

    env_id: str = field(default=DEFAULT_ENV_ID, metadata={"help": "Gymnasium env id"})
    env_kwargs: EnvKwargs = field(default=(), metadata={"help": "env keyword arguments"})
    learner: str = field(default="q-learning", metadata={"help": "the TD learner"})
    planning_steps: int = field(
        default=0, metadata={"help": "Dyna-Q's simulated updates from its model per real step"}
    )
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
        if not (_is_whole(self.planning_steps) and 0 <= self.planning_steps <= MAX_PLANNING_STEPS):
            raise ConfigError(
                f"planning-steps must be a whole number from 0 to {MAX_PLANNING_STEPS:,}, "
                f"got {_shown(self.planning_steps)}"
            )
        object.__setattr__(self, "planning_steps", int(self.planning_steps))
        if self.learner == "prioritized-sweeping" and self.planning_steps == 0:
            raise ConfigError(
                "prioritized-sweeping learns only through its queue: planning-steps must be 1 "
                "or more (the book's Example 8.4 uses 5)"
            )
        if self.planning_steps and self.learner not in ("dyna-q", "prioritized-sweeping"):
            raise ConfigError(
                f"planning-steps is for dyna-q and prioritized-sweeping, not {self.learner}"
            )
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
