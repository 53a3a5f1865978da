"""A DQN's settings, named as in CleanRL's ``dqn.py`` (plus ``gradient_steps``, ``hidden``,
``double``, ``max_grad_norm``), frozen; the defaults solve CartPole-v1 (``bench/bench_dqn.py``).

CartPole's defaults are rl-zoo3's tuned ones (epsilon falls over the first 8,000 steps, as
their 16% of 50,000) with two layers of 64 instead of 256, and 3-step returns: with one-step
targets (``n_step=1``, DQN as first published) 8 of 10 benchmark seeds solve, at a median of
30,000 steps; with three, 10 of 10 at 13,750 (``bench/bench_dqn_variants.py``; Stable-Baselines3
with the same settings gains as much). The budget is 100,000 steps, which ``train`` ends early
once the greedy policy is solved."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from tui_taxi.core.dqn.gym_env import box_env
from tui_taxi.core.dqn.kernel import MAX_N_STEP
from tui_taxi.core.envs import EnvKwargs
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.rng import SEED_LIMIT
from tui_taxi.core.worlds import is_cartpole

MAX_HIDDEN = 1024  # units per layer
MAX_LAYERS = 4
MAX_BUFFER = 10_000_000


def _h(text: str) -> dict:
    return {"help": text}


@dataclass(frozen=True)
class DQNConfig:
    env_id: str = field(default="CartPole-v1", metadata=_h("Gymnasium env id"))
    env_kwargs: EnvKwargs = field(default=(), metadata=_h("env keyword arguments"))
    total_timesteps: int = field(
        default=100_000, metadata=_h("the step budget (the epsilon schedule spans a fraction)")
    )
    learning_rate: float = field(default=2.3e-3, metadata=_h("Adam's learning rate, in (0, 1]"))
    buffer_size: int = field(default=100_000, metadata=_h("replay buffer capacity (transitions)"))
    gamma: float = field(default=0.99, metadata=_h("discount factor gamma, in [0, 1]"))
    tau: float = field(
        default=1.0, metadata=_h("target update: 1 copies the online net, less averages it")
    )
    target_network_frequency: int = field(
        default=10, metadata=_h("steps between target-network updates")
    )
    batch_size: int = field(default=64, metadata=_h("transitions per gradient step"))
    start_e: float = field(default=1.0, metadata=_h("epsilon at the start"))
    end_e: float = field(default=0.04, metadata=_h("epsilon at the end of the schedule"))
    exploration_fraction: float = field(
        default=0.08, metadata=_h("fraction of total-timesteps over which epsilon falls")
    )
    learning_starts: int = field(default=1000, metadata=_h("steps before learning starts"))
    train_frequency: int = field(default=256, metadata=_h("steps between training rounds"))
    gradient_steps: int = field(default=128, metadata=_h("gradient steps per training round"))
    hidden: tuple[int, ...] = field(default=(64, 64), metadata=_h("hidden layer sizes"))
    double: bool = field(default=False, metadata=_h("Double DQN targets"))
    dueling: bool = field(
        default=False,
        metadata=_h("a dueling head: V(s) and A(s, a) streams, Q = V + A - mean A"),
    )
    prioritized: bool = field(
        default=False,
        metadata=_h("prioritized replay: draw transitions in proportion to |TD error|^alpha"),
    )
    prioritized_alpha: float = field(
        default=0.6, metadata=_h("prioritized replay's priority exponent alpha, in [0, 1]")
    )
    prioritized_beta0: float = field(
        default=0.4,
        metadata=_h("importance-sampling exponent beta at the start, annealed to 1 by the budget"),
    )
    prioritized_eps: float = field(
        default=1e-6, metadata=_h("added to |TD error| so no transition's priority is 0")
    )
    n_step: int = field(
        default=3,
        metadata=_h(f"n-step returns: rewards summed over n steps (1-{MAX_N_STEP}; 1: DQN's own)"),
    )
    max_grad_norm: float = field(
        default=10.0, metadata=_h("clip the gradient's global norm (0: no clipping)")
    )
    max_steps: int | None = field(
        default=None, metadata=_h("episode time limit (default: the env's)")
    )
    seed: int = field(default=0, metadata=_h("random seed"))
    epsilon: float | None = field(
        default=None, metadata=_h("a constant epsilon instead of the schedule (set live)")
    )

    def __post_init__(self) -> None:
        def bad(name: str, allowed: str) -> ConfigError:
            return ConfigError(
                f"{name.replace('_', '-')} must be {allowed}, got {getattr(self, name)!r}"
            )

        def number(name: str, low: float, high: float, low_open: bool = False) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise bad(name, f"a number in {'(' if low_open else '['}{low:g}, {high:g}]")
            if v > high or v < low or (low_open and v <= low):
                raise bad(name, f"in {'(' if low_open else '['}{low:g}, {high:g}]")

        def integer(name: str, low: int, high: int) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise bad(name, f"an integer in [{low:,}, {high:,}]")

        integer("total_timesteps", 1, 10**12)
        number("learning_rate", 0.0, 1.0, low_open=True)
        integer("buffer_size", 1, MAX_BUFFER)
        number("gamma", 0.0, 1.0)
        number("tau", 0.0, 1.0, low_open=True)
        integer("target_network_frequency", 1, 10**12)
        integer("batch_size", 1, 65_536)
        number("start_e", 0.0, 1.0)
        number("end_e", 0.0, 1.0)
        number("exploration_fraction", 0.0, 1.0)
        integer("learning_starts", 0, 10**12)
        integer("train_frequency", 1, 10**12)
        integer("gradient_steps", 0, 65_536)
        number("max_grad_norm", 0.0, 1e12)
        integer("seed", 0, SEED_LIMIT - 1)
        if self.max_steps is not None:
            integer("max_steps", 1, 2**62)
        if self.epsilon is not None:
            number("epsilon", 0.0, 1.0)
        if not isinstance(self.double, bool):
            raise bad("double", "true or false")
        for name in ("dueling", "prioritized"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "true or false")
        number("prioritized_alpha", 0.0, 1.0)
        number("prioritized_beta0", 0.0, 1.0)
        number("prioritized_eps", 0.0, 1.0, low_open=True)
        integer("n_step", 1, MAX_N_STEP)
        hidden = self.hidden
        if (
            not isinstance(hidden, tuple)
            or not 1 <= len(hidden) <= MAX_LAYERS
            or any(
                isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= MAX_HIDDEN
                for h in hidden
            )
        ):
            raise bad("hidden", f"1-{MAX_LAYERS} layer sizes in [1, {MAX_HIDDEN}], e.g. 64,64")

    def replace(self, **changes) -> DQNConfig:
        return dataclasses.replace(self, **changes)

    @property
    def exploration_steps(self) -> int:
        """Steps over which epsilon falls linearly from start_e to end_e."""
        return int(self.exploration_fraction * self.total_timesteps)

    def epsilon_at(self, total_steps):
        """CleanRL's linear schedule (or the constant set live) after ``total_steps`` steps (a
        number, or an array of them); the kernel's ``choose`` is its numba twin."""
        if self.epsilon is not None:
            return (
                self.epsilon
                if np.ndim(total_steps) == 0
                else np.full(np.shape(total_steps), self.epsilon)
            )
        span = self.exploration_steps
        t = np.asarray(total_steps, dtype=np.float64)
        ramp = self.start_e + (self.end_e - self.start_e) * t / max(span, 1)
        values = np.where((span <= 0) | (t >= span), self.end_e, ramp)
        return float(values) if values.ndim == 0 else values


#: A discrete world's defaults (Taxi, FrozenLake, CliffWalking, Windy Gridworld): one update per
#: step, a hard target copy every 500, and gamma 0.9 (0.99's far horizon learns Taxi slowly);
#: on Taxi-v4 they reach the exact optimum from all 300 starts within 100,000 steps.
DISCRETE_DEFAULTS = {
    "total_timesteps": 100_000,
    "train_frequency": 1,
    "gradient_steps": 1,
    "target_network_frequency": 500,
    "learning_rate": 1e-3,
    "hidden": (64,),
    "exploration_fraction": 0.3,
    "end_e": 0.05,
    "gamma": 0.9,
    "n_step": 1,
}


def config_for(env_id: str, env_kwargs: EnvKwargs = (), **changes) -> DQNConfig:
    """The defaults for a world (CartPole's for any env with a Box observation, or a discrete
    world's), then ``changes``."""
    continuous = is_cartpole(env_id) or box_env(env_id, env_kwargs) is not None
    base = {} if continuous else DISCRETE_DEFAULTS
    return DQNConfig(env_id=env_id, env_kwargs=env_kwargs, **{**base, **changes})


#: The course's keras-rl recipe: CartPole-v0's 200-step limit, one hidden layer of 16 ReLU
#: units, epsilon-greedy with epsilon 0.1, a memory of 50,000, a warm-up of 10 steps, a soft
#: target update of 0.01, Adam with lr 1e-3, 5,000 steps.
PRESETS = {
    "keras-rl": DQNConfig(
        env_id="CartPole-v0",
        total_timesteps=5_000,
        hidden=(16,),
        start_e=0.1,
        end_e=0.1,
        exploration_fraction=0.0,
        buffer_size=50_000,
        learning_starts=10,
        tau=0.01,
        target_network_frequency=1,
        learning_rate=1e-3,
        train_frequency=1,
        gradient_steps=1,
        batch_size=32,
        n_step=1,
    ),
}
