"""A person's trips and the replay recorder: what the worker keeps of the steps it takes one at a
time. Owned and mutated by the trainer's thread only; what leaves it is frozen (see protocol)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from tui_taxi.core.evaluate import Trajectory, greedy_rollout
from tui_taxi.core.optimal import scorable, solve
from tui_taxi.core.tabular.agent import StepRecord
from tui_taxi.protocol import BalanceResult, Frame, TripResult

REPLAY_EPISODES = 20  # recorded episodes kept for replay
BALANCE_CAP = 10_000  # the agent's run is cut here in a world without a time limit
REPLAY_STEPS = 1000  # frames kept per recorded episode (a random walk can be much longer)


#: Where each named move goes on a grid: (rows down, columns right).
MOVE_DELTAS = {
    "Up": (-1, 0),
    "Down": (1, 0),
    "Left": (0, -1),
    "Right": (0, 1),
    "Up-Right": (-1, 1),
    "Down-Right": (1, 1),
    "Down-Left": (1, -1),
    "Up-Left": (-1, -1),
    "Stay": (0, 0),
}


def surprise(model, state: int, action: int, next_state: int) -> str | None:
    """What a person's move did that the move itself does not say, on a grid world: "slipped:
    moved Down" (slippery ice), "the wind pushed you 2 up", "fell off the cliff: back to the
    start"; None when it went where it was meant to (or the world is not a grid)."""
    grid = model.grid
    delta = MOVE_DELTAS.get(model.action_names[action])
    if grid is None or delta is None:
        return None
    row, col = grid.cell(state)
    meant = (
        min(max(row + delta[0], 0), grid.n_rows - 1),
        min(max(col + delta[1], 0), grid.n_cols - 1),
    )
    went = grid.cell(next_state)
    if went == meant:
        return None
    if grid.kind(*meant) == "C":
        return "fell off the cliff: back to the start"
    if grid.wind is not None and went[1] == meant[1] and went[0] < meant[0]:
        push = meant[0] - went[0]
        return f"the wind pushed you {push} up"
    step = (went[0] - row, went[1] - col)
    name = next((n for n, d in MOVE_DELTAS.items() if d == step), None)
    if name is None or name == "Stay":
        return "slipped: stayed put (against the edge)"
    return f"slipped: moved {name}"


class Recorder:
    """Steps taken one at a time, kept per episode for replay (the last REPLAY_EPISODES)."""

    def __init__(self) -> None:
        self._frames: list[Frame] = []
        self._episodes: deque[tuple[Frame, ...]] = deque(maxlen=REPLAY_EPISODES)

    def add(self, frame: Frame, episode_ended: bool) -> None:
        if len(self._frames) < REPLAY_STEPS:
            self._frames.append(frame)
        if episode_ended:
            self._episodes.append(tuple(self._frames))
            self._frames = []

    def drop_partial(self) -> None:
        """Whole episodes ran unrecorded: the episode in progress is no longer complete."""
        self._frames = []

    def clear(self) -> None:
        self._frames = []
        self._episodes.clear()

    @property
    def episodes(self) -> tuple[tuple[Frame, ...], ...]:
        return tuple(self._episodes)


@dataclass
class Trip:
    """A person's trip in progress (the worker's own, mutable), with the greedy agent's run
    from the same start computed when it began."""

    start_state: int
    agent: Trajectory
    agent_frames: tuple[Frame, ...]
    steps: int = 0
    episodic_return: float = 0.0
    penalties: int = 0
    final_state: int = 0

    @classmethod
    def begin(cls, agent) -> Trip | Balance:
        """A trip from the agent's current state (on a continuous world, a :class:`Balance`)."""
        if agent.model is None:
            return Balance.begin(agent)
        start = agent.state
        q = agent.q_table()  # a network's: every one-hot state through it
        limit = agent.config.max_steps or agent.model.max_episode_steps  # caps a loop
        run = greedy_rollout(agent.model, q, start, time_limit=limit)
        return cls(start, run, frames_of(run, q))

    def add(self, record: StepRecord) -> None:
        self.final_state = int(record.next_state)
        self.steps += 1
        self.episodic_return += record.reward

    def count_penalty(self, record: StepRecord, penalty_reward: float) -> None:
        self.penalties += int(record.reward <= penalty_reward)

    def result(self, agent, delivered: bool) -> TripResult:
        model = agent.model
        optimum = solve(model) if scorable(model) else None  # (too large: no best to show)
        start = self.start_state

        def best(figures) -> float:
            return math.nan if optimum is None else float(figures(optimum)[start])

        return TripResult(
            start_state=self.start_state,
            steps=self.steps,
            episodic_return=self.episodic_return,
            penalties=self.penalties,
            delivered=delivered,
            optimal_steps=best(lambda o: o.steps),
            optimal_return=best(lambda o: o.v),
            agent=self.agent,
            agent_penalties=self.agent.penalties(model),
            agent_frames=self.agent_frames,
            optimal_success=best(lambda o: o.success),
            stochastic=not model.is_deterministic,
            counts_penalties=math.isfinite(model.penalty_reward),
            final_state=self.final_state,
            agent_success=bool(
                self.agent.terminated
                and self.agent.rewards
                and self.agent.rewards[-1] >= model.success_reward
            ),
        )


@dataclass
class Balance:
    """A person's run on a continuous world (CartPole: how many steps the pole stays up),
    beside the trained agent's greedy run from the same start, run on a copy of the agent."""

    agent_steps: int
    agent_fell: bool  # the agent's run ended before the time limit
    steps: int = 0
    episodic_return: float = 0.0

    @classmethod
    def begin(cls, agent) -> Balance:
        ghost = agent.copy()  # the same start, the same env state; nothing leaks back
        for steps in range(1, BALANCE_CAP + 1):
            action = int(np.argmax(ghost.action_values()))
            record, batch = ghost.step(action, learn=False)
            if len(batch):  # the env ends every episode (CartPole-v1: at 500 steps)
                return cls(steps, bool(record.terminated))
        return cls(BALANCE_CAP, False)

    def add(self, record) -> None:
        self.steps += 1
        self.episodic_return += record.reward

    def result(self, agent, fell: bool) -> BalanceResult:
        return BalanceResult(
            self.steps, self.episodic_return, fell, self.agent_steps, self.agent_fell
        )


def frames_of(trajectory: Trajectory, q: np.ndarray) -> tuple[Frame, ...]:
    """The agent's run as replay frames (greedy, not learned: Q stays as it was)."""
    nexts = (*trajectory.states[1:], trajectory.final_state)
    last = trajectory.steps - 1
    frames = []
    for t, (s, a, r, s2) in enumerate(
        zip(trajectory.states, trajectory.actions, trajectory.rewards, nexts, strict=True)
    ):
        value = float(q[s, a])
        record = StepRecord(
            state=s,
            action=a,
            reward=r,
            next_state=s2,
            terminated=t == last and trajectory.terminated,
            truncated=t == last and not trajectory.terminated,
            explored=False,
            q_old=value,
            bootstrap=0.0,
            td_target=value,
            td_error=0.0,
            q_new=value,
            epsilon=0.0,
            alpha=0.0,
            gamma=0.0,
            table=0,
            episode=0,
            t=t + 1,
        )
        frames.append(Frame(record, tuple(q[s].tolist()), human=False))
    return tuple(frames)
