"""A third kind of agent, defined only here: a uniform random policy that learns nothing. It
meets :class:`tui_taxi.core.agent.Agent` through :class:`~tui_taxi.core.agent.AgentBase` and
nothing else of tui_taxi knows it, so the tests that drive it through the trainer, the app,
``train``, ``eval`` and a sweep show that a new kind needs no other edit."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np

from tui_taxi.core.agent import EPISODES, AgentBase, Budget, Option, SweepParam
from tui_taxi.core.archive import check, read_archive, read_header, write_archive
from tui_taxi.core.envs import compile_env
from tui_taxi.core.episodes import SUCCESS, TERMINATED, TRUNCATED, EpisodeBatch, History
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.evaluate import evaluate

FORMAT = "test-random-agent"


@dataclass(frozen=True)
class RandomConfig:
    env_id: str = "Taxi-v4"
    env_kwargs: tuple = ()
    gamma: float = 0.9
    max_steps: int | None = None
    seed: int = 0
    patience: int = 1  # an option of its own, for the command line (unused by the policy)

    def __post_init__(self) -> None:
        if not 0.0 <= self.gamma <= 1.0:
            raise ConfigError(f"gamma must be in [0, 1], got {self.gamma}")

    def replace(self, **changes) -> RandomConfig:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class RandomStep:
    state: int
    action: int
    reward: float
    next_state: int
    terminated: bool
    truncated: bool
    explored: bool
    episode: int
    t: int


class RandomAgent(AgentBase):
    name = "random"
    label = "random"
    title = "a uniform random policy (a test's kind)"
    unit = EPISODES
    default_env = "Taxi-v4"
    config_type = RandomConfig
    formats = (FORMAT,)
    variant_help = "Nothing: it has one variant"
    resets = "counters"
    steps_per_second = 1e5
    options = (Option("patience", "how patient it is (default: 1)", "whole", "N"),)
    options_title = "a random policy (--agent random)"
    sweep_space = (SweepParam("gamma", "0.5,0.9"),)

    def __init__(self, config: RandomConfig, model=None, *, state: dict | None = None) -> None:
        self.config = config
        self.model = model if model is not None else compile_env(config.env_id, config.env_kwargs)
        self.action_names = self.model.action_names
        self.history = History()
        self.rng = np.random.default_rng(config.seed)
        self.total_steps = self.episode = self.t = 0
        self.episode_return = 0.0
        self.last_step = None
        self.state = self._start()
        if state is not None:
            self.rng.bit_generator.state = state["rng"]
            self.total_steps, self.episode = state["total_steps"], state["episode"]

    # -- the kind ---------------------------------------------------------------------------
    @classmethod
    def configure(cls, env_id: str, env_kwargs: tuple = (), **changes) -> RandomConfig:
        return RandomConfig(env_id=env_id, env_kwargs=env_kwargs, **changes)

    @classmethod
    def open_env(cls, config: RandomConfig):
        model = compile_env(config.env_id, config.env_kwargs)
        return model, model.action_names, 0

    @classmethod
    def describe(cls, config: RandomConfig) -> tuple[str, str]:
        return "random", f"gamma {config.gamma:g}, seed {config.seed}"

    @classmethod
    def default_budget_of(cls, config: RandomConfig) -> Budget:
        return Budget(episodes=50)

    @classmethod
    def sweep_value(cls, name: str, text: str) -> float:
        RandomConfig(gamma=float(text))
        return float(text)

    def practice(self) -> tuple[Budget, None]:
        return Budget(episodes=5), None

    # -- running ------------------------------------------------------------------------------
    def _start(self) -> int:
        return int(self.rng.choice(self.model.n_states, p=self.model.initial_distribution))

    @property
    def time_limit(self) -> int:
        return (
            self.config.max_steps
            if self.config.max_steps is not None
            else self.model.max_episode_steps
        )

    def _one(self, action: int | None = None) -> tuple[RandomStep, tuple | None]:
        m = self.model
        s = self.state
        a = int(self.rng.integers(m.n_actions)) if action is None else int(action)
        n = m.n_outcomes[s, a]
        k = int(self.rng.choice(n, p=m.prob[s, a, :n])) if n > 1 else 0
        s2, r, term = (
            int(m.next_state[s, a, k]),
            float(m.reward[s, a, k]),
            bool(m.terminated[s, a, k]),
        )
        self.t += 1
        self.total_steps += 1
        self.episode_return += r
        trunc = not term and 0 < self.time_limit <= self.t
        record = RandomStep(s, a, r, s2, term, trunc, action is None, self.episode, self.t)
        self.last_step = record
        ended = None
        if term or trunc:
            outcome = TRUNCATED if trunc else SUCCESS if r >= m.success_reward else TERMINATED
            ended = (self.episode_return, self.t, outcome)
            self.history.extend([self.episode_return], [self.t], [0], [outcome == SUCCESS])
            self.episode += 1
            self.t, self.episode_return = 0, 0.0
            self.state = self._start()
        else:
            self.state = s2
        return record, ended

    def train(self, episodes=None, steps=None, work=None) -> EpisodeBatch:
        done: list[tuple] = []
        taken = 0
        while (episodes is None or len(done) < episodes) and (steps is None or taken < steps):
            _, ended = self._one()
            taken += 1
            if ended is not None:
                done.append(ended)
        return _batch(done)

    def step(self, action=None, learn=True):
        record, ended = self._one(action)
        return record, _batch([ended] if ended else [])

    def new_episode(self) -> None:
        self.t, self.episode_return, self.state = 0, 0.0, self._start()

    # -- values, settings, evaluation -----------------------------------------------------------
    @property
    def obs(self):
        return None

    @property
    def episode_penalties(self) -> int:
        return 0

    def action_values(self) -> np.ndarray:
        return np.zeros(self.model.n_actions)

    def q_table(self) -> np.ndarray:
        return np.zeros((self.model.n_states, self.model.n_actions))

    def values_of(self, observations) -> np.ndarray:
        return np.zeros((len(observations), self.model.n_actions))

    def epsilon_now(self) -> float:
        return 1.0

    def set_setting(self, name: str, value) -> None:
        raise ConfigError(f"a random policy has no setting {name!r}")

    def evaluate(self, episodes=100, seed=None, time_limit=None):
        limit = self.time_limit if time_limit is None else time_limit
        return evaluate(
            self.model, None, policy="random", episodes=episodes, time_limit=limit, seed=seed or 0
        )

    # -- saving ------------------------------------------------------------------------------
    def save(self, path):
        header = {
            "format": FORMAT,
            "config": {
                **dataclasses.asdict(self.config),
                "env_kwargs": list(map(list, self.config.env_kwargs)),
            },
            "total_steps": self.total_steps,
            "episode": self.episode,
            "rng": self.rng.bit_generator.state,
        }
        return write_archive(path, {"header": np.array(json.dumps(header))})

    @classmethod
    def load(cls, path) -> RandomAgent:
        def build(archive) -> RandomAgent:
            header = read_header(archive, (FORMAT,))
            check(isinstance(header.get("config"), dict), "no config")
            raw = dict(header["config"])
            raw["env_kwargs"] = tuple(tuple(kv) for kv in raw["env_kwargs"])
            return cls(RandomConfig(**raw), state=header)

        return read_archive(path, {"header": None}, build)


def _batch(ended: list[tuple]) -> EpisodeBatch:
    returns = np.array([e[0] for e in ended], dtype=np.float64)
    lengths = np.array([e[1] for e in ended], dtype=np.int64)
    outcome = np.array([e[2] for e in ended], dtype=np.int8)
    return EpisodeBatch(returns, lengths, np.zeros(len(ended), np.int64), outcome)
