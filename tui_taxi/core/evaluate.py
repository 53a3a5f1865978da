"""Greedy and random evaluation with the classic tutorial's metrics.

The same numba kernel as training runs with learning switched off: epsilon 0 is the greedy
policy (ties broken at random), epsilon 1 the random agent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tui_taxi.core import learners as K
from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.rng import make_rng
from tui_taxi.core.schedules import Schedule

POLICIES = ("greedy", "random")
#: Without a time limit an episode still stops here, so a looping greedy policy cannot hang.
SAFETY_CAP = 100_000
_STREAM = {"greedy": 1, "random": 2}


@dataclass(frozen=True)
class EvalResult:
    """The tutorial's table, per policy."""

    policy: str
    episodes: int
    mean_steps: float  # average timesteps per episode
    mean_penalties: float  # average penalties per episode
    reward_per_move: float  # total reward / total steps
    mean_return: float
    success_rate: float
    truncated: int  # episodes stopped by the time limit (or the safety cap)
    time_limit: int  # 0 = none (the safety cap still applies)


def evaluate(
    model: CompiledEnv,
    q: np.ndarray | None,
    *,
    policy: str = "greedy",
    episodes: int = 100,
    time_limit: int = 0,
    seed: int = 0,
) -> EvalResult:
    """Run ``episodes`` episodes of the greedy policy on ``q`` (or the random agent), no learning."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if q is None:
        q = np.zeros((model.n_states, model.n_actions))
    batch = _PolicyRun(model, q, policy, time_limit, seed).run(episodes, None)
    total_steps = int(batch.episodic_length.sum())
    return EvalResult(
        policy=policy,
        episodes=episodes,
        mean_steps=float(batch.episodic_length.mean()),
        mean_penalties=float(batch.penalties.mean()),
        reward_per_move=float(batch.episodic_return.sum() / total_steps),
        mean_return=float(batch.episodic_return.mean()),
        success_rate=float(batch.success.mean()),
        truncated=int(batch.truncated.sum()),
        time_limit=time_limit,
    )


class _PolicyRun:
    """A fixed policy on the kernel with learning off: epsilon 0 (greedy, ties at random) or
    1 (random). Time limit 0 still stops at SAFETY_CAP steps."""

    def __init__(self, model: CompiledEnv, q: np.ndarray, policy: str, time_limit: int,
                 seed: int, start_state: int | None = None) -> None:  # fmt: skip
        self.model = model
        self.q = np.ascontiguousarray(q, dtype=np.float64)
        epsilon = Schedule.constant(0.0 if policy == "greedy" else 1.0)
        self.params = K.kernel_params(model, 0.0, epsilon, Schedule.constant(1.0))
        limit = time_limit if time_limit > 0 else SAFETY_CAP
        self.iparams = np.array([K.Q_LEARNING, limit, 0], dtype=np.int64)
        self.cursor, self.fcursor = K.new_cursor()
        if start_state is not None:
            self.cursor[K.C_STATE] = start_state
        self.rng = make_rng(seed, _STREAM[policy])
        self.record = np.zeros(K.N_RECORD)

    def run(self, episodes: int | None, steps: int | None) -> K.EpisodeBatch:
        q = self.q
        return K.run_model(self.model, (q, q, q), self.params, self.iparams,
                           (self.cursor, self.fcursor, self.rng), episodes, steps,
                           self.record)  # fmt: skip


@dataclass(frozen=True)
class Trajectory:
    """One episode, step by step: ``states[i]`` --``actions[i]``--> reward ``rewards[i]``."""

    states: tuple[int, ...]
    actions: tuple[int, ...]
    rewards: tuple[float, ...]
    final_state: int
    terminated: bool

    @property
    def steps(self) -> int:
        return len(self.actions)

    @property
    def episodic_return(self) -> float:
        return float(sum(self.rewards))

    def penalties(self, model: CompiledEnv) -> int:
        return sum(1 for r in self.rewards if r <= model.penalty_reward)


def greedy_rollout(
    model: CompiledEnv, q: np.ndarray, start_state: int, *, time_limit: int = 0, seed: int = 0
) -> Trajectory:
    """The greedy policy's episode from ``start_state`` (ties at random with ``seed``), no
    learning: the trained agent's answer to a player's trip from the same start."""
    if not 0 <= start_state < model.n_states:
        raise ValueError(f"start state must be 0-{model.n_states - 1}, got {start_state}")
    walk = _PolicyRun(model, q, "greedy", time_limit, seed, start_state)
    record = walk.record
    states, actions, rewards = [], [], []
    while True:
        batch = walk.run(None, 1)
        states.append(int(record[K.R_STATE]))
        actions.append(int(record[K.R_ACTION]))
        rewards.append(float(record[K.R_REWARD]))
        if len(batch):
            return Trajectory(tuple(states), tuple(actions), tuple(rewards), int(record[K.R_NEXT_STATE]),
                              bool(record[K.R_TERMINATED]))  # fmt: skip
