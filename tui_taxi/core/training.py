"""The one training loop: train in calls of bounded length, check the goal every so often, stop
when it is reached or at the budget. The CLI's ``train``, the sweep's trials, the Python API's
``learn`` and the app's practice before play all run it; progress leaves it through a callback
(the core never prints), and Ctrl-C between two calls leaves the agent whole.

:class:`TrainingRun` is the loop as an object that advances one call at a time (the app's
trainer interleaves it with a person's keys); :func:`train` runs one to the end. :class:`Pace`
sizes each call to last about a given time, for any kind (a network's gradient steps have a
budget of their own). :func:`goal_for` is the goal a world gives: optimal from every start state
where the exact optimum is known, the env's reward threshold elsewhere.
"""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np

from tui_taxi.core.agent import STEPS, Budget, Goal

#: The most steps one call may take, however fast the kind is.
MAX_CALL_STEPS = 50_000_000
#: Evaluation episodes of a check against a reward threshold (the benchmark's solved test).
THRESHOLD_EPISODES = 100
#: Units between checks when none are asked for: episodes of a table, steps of a network.
CHECK_EVERY = {"episodes": 250, "steps": 2_500}


class Pace:
    """How many steps (and units of costly work: a network's gradient steps) one call takes so
    that it lasts about ``seconds``, learnt from the calls made so far."""

    def __init__(self, agent, seconds: float) -> None:
        self.seconds = seconds
        first = max(1, int(agent.steps_per_second * seconds))
        self.steps = first
        self.least = max(1, first // 100)
        self.work = 4

    def train(self, agent, episodes: int | None = None, steps: int | None = None):
        """One call: at most ``episodes`` episodes and ``steps`` steps (None: no bound of that
        kind but the pace's); returns the kernel's batch."""
        limit = self.steps if steps is None else min(steps, self.steps)
        if limit == 0:  # only the end of a step left half done: nothing to learn from
            return agent.train(episodes=episodes, steps=0, work=self.work)
        before_steps, before_work = agent.total_steps, agent.work_done
        start = time.perf_counter()
        batch = agent.train(episodes=episodes, steps=limit, work=self.work)
        elapsed = time.perf_counter() - start
        if elapsed <= 0:
            return batch
        done = agent.work_done - before_work
        if done:  # the time a unit of work takes, measured on this call
            self.work = int(min(100_000, max(1, done * self.seconds / elapsed)))
        taken = agent.total_steps - before_steps
        if agent.in_step:  # cut by the work budget: the step count did not set the time
            return batch
        if taken >= limit or elapsed > self.seconds:  # the steps (or too many of them) set it
            scale = min(4.0, max(0.25, self.seconds / elapsed))
            self.steps = int(min(MAX_CALL_STEPS, max(self.least, max(taken, 1) * scale)))
        return batch


class Progress(Protocol):
    """What the loop reports to (a progress bar, a sweep's line): after each call, and once
    when the run ends or is interrupted."""

    def update(self, run: TrainingRun) -> None: ...
    def close(self) -> None: ...


class TrainingRun:
    """``agent`` trains for ``budget`` (counted from now), checking ``goal`` every
    ``goal.every`` of the agent's units; with ``stop_at_goal`` the run ends at the first check
    that passes, otherwise it trains on without checking again (a sweep's trial). ``reached``
    is ``(episode, total_steps, figure)`` at that check, or None."""

    def __init__(
        self,
        agent,
        budget: Budget,
        *,
        goal: Goal | None = None,
        stop_at_goal: bool = True,
        check_at_start: bool = False,
        check_at_end: bool = False,
    ) -> None:
        self.agent = agent
        self.budget = budget
        self.goal = goal
        self.stop_at_goal = stop_at_goal
        self.check_at_end = check_at_end
        self._checked_at: tuple[int, int] | None = None
        self.first_episode, self.first_step = agent.episode, agent.total_steps
        self.reached: tuple[int, int, float] | None = None
        self.last_check: tuple[bool, float] | None = None
        self.started = time.perf_counter()
        self.stalled = False
        if goal is not None and check_at_start:
            self._check()

    # -- counts ---------------------------------------------------------------------------
    @property
    def episodes_done(self) -> int:
        return self.agent.episode - self.first_episode

    @property
    def steps_done(self) -> int:
        return self.agent.total_steps - self.first_step

    def _left(self) -> tuple[int | None, int | None]:
        b = self.budget
        episodes = None if b.episodes is None else b.episodes - self.episodes_done
        steps = None if b.steps is None else b.steps - self.steps_done
        return episodes, steps

    @property
    def checking(self) -> bool:
        return self.goal is not None and (self.reached is None or self.stop_at_goal)

    def _done_in_unit(self) -> int:
        return self.steps_done if self.agent.unit == STEPS else self.episodes_done

    @property
    def finished(self) -> bool:
        """The budget is spent, or the goal reached (with ``stop_at_goal``). A step a work
        budget left half done may still be open: ``agent.settle()`` closes it."""
        episodes, steps = self._left()
        if episodes == 0 or steps == 0 or self.stalled:
            return True
        return self.stop_at_goal and self.reached is not None

    # -- running --------------------------------------------------------------------------
    def advance(self, pace: Pace, steps: int | None = None) -> bool:
        """One call (at most ``steps`` steps, and what ``pace`` allows), ending at the next
        check; returns whether the run is finished."""
        if self.agent.in_step:  # a step left half done by a work budget: finish it first
            pace.train(self.agent, steps=0)
            if self.agent.in_step:
                return False
        elif self.finished:
            return True
        else:
            episodes, left = self._left()
            if steps is not None:
                left = steps if left is None else min(left, steps)
            if self.checking:  # a call ends at each check
                to_check = self.goal.every - self._done_in_unit() % self.goal.every
                if self.agent.unit == STEPS:
                    left = to_check if left is None else min(left, to_check)
                else:
                    episodes = to_check if episodes is None else min(episodes, to_check)
            before = (self.agent.total_steps, self.agent.work_done)
            pace.train(self.agent, episodes=episodes, steps=left)
            if self.agent.in_step:  # the check waits for the step's end
                return False
            if (self.agent.total_steps, self.agent.work_done) == before:  # nothing was left
                self.stalled = True
        if self.checking and self._done_in_unit() % self.goal.every == 0:
            self._check()
        elif self.checking and self.check_at_end and self.finished:
            self._check()  # the budget ended between two checks: one more, where it ended
        return self.finished

    def _check(self) -> None:
        where = (self.agent.episode, self.agent.total_steps)
        if where == self._checked_at:  # (a zero budget after a check: nothing new to judge)
            return
        self._checked_at = where
        passed, figure = self.goal.test(self.agent)
        self.last_check = (passed, figure)
        if passed and self.reached is None:
            self.reached = (self.agent.episode, self.agent.total_steps, figure)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def train(
    agent,
    budget: Budget,
    *,
    progress: Progress | None = None,
    seconds: float = 0.1,
    **run_options,
) -> TrainingRun:
    """Run the loop to its end (the budget, or the goal with ``stop_at_goal``: ``run_options``
    are :class:`TrainingRun`'s), in calls of about ``seconds`` each so that ``progress`` moves
    and Ctrl-C is heard even when one episode is very long; returns the run (its counts, its
    wall time, when the goal was reached)."""
    run = TrainingRun(agent, budget, **run_options)
    pace = Pace(agent, seconds)
    try:
        while not run.advance(pace):
            if progress is not None:
                progress.update(run)
        agent.settle()
        if progress is not None:
            progress.update(run)
    finally:  # Ctrl-C included: what follows starts on a line of its own
        if progress is not None:
            progress.close()
    return run


# -- goals ------------------------------------------------------------------------------------
class OptimalityCheck:
    """Is ``q``'s greedy policy (ties: every tied action) optimal from every start state?

    A quick necessary test first: every greedy action at the start states must be an optimal
    one. Only when it passes does the full :func:`policy_report` (the greedy policy's values
    from each start, loops included) decide; most checks early in a run stop at the first."""

    def __init__(self, model, gamma: float) -> None:
        from tui_taxi.core.optimal import solve

        self.model, self.gamma = model, gamma
        self.optimal = solve(model, gamma).optimal_actions
        self.starts = model.start_states
        self._last: tuple[bytes, bool] | None = None  # (greedy mask, verdict) judged last

    def report(self, q: np.ndarray):
        from tui_taxi.core.optimal import policy_report

        return policy_report(self.model, q, self.gamma)

    def __call__(self, q: np.ndarray) -> bool:
        masked = self.model.masked(q)
        greedy = masked == masked.max(axis=1, keepdims=True)
        if np.any(greedy[self.starts] & ~self.optimal[self.starts]):
            return False
        # the verdict is the greedy policy's (ties as policy_report takes them): a planner's
        # sweeps mostly keep it, and Jack's report costs 16 ms
        key = np.packbits(greedy).tobytes()
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        report = self.report(q)
        verdict = report.n_optimal == report.n_start
        self._last = (key, verdict)
        return verdict


def goal_for(agent, every: int | None = None) -> Goal | None:
    """The goal of ``agent``'s world, checked every ``every`` units (default: 250 episodes or
    2,500 steps): its greedy policy optimal from every start state, judged against the exact
    optimum for its gamma (a discrete world small enough to score); or its greedy mean return
    over 100 episodes at the env's reward threshold (a continuous world, or a discrete one too
    large to score, that has one: "solved"); None otherwise."""
    from tui_taxi.core.optimal import scorable

    every = every or CHECK_EVERY[agent.unit]
    if agent.model is not None and scorable(agent.model) and agent.q_table() is not None:
        check = OptimalityCheck(agent.model, agent.config.gamma)

        def optimal(a) -> tuple[bool, float]:
            q = a.q_table()
            if not check(q):
                return False, np.nan
            return True, 1.0

        def score(a) -> tuple[float, bool]:
            report = check.report(a.q_table())
            return report.optimality, report.n_optimal == report.n_start

        return Goal(
            every,
            optimal,
            score,
            "optimal from every start state",
            explain=lambda figure: (
                "the greedy policy is optimal from every start state, "
                f"against the exact optimum for gamma {agent.config.gamma:g}"
            ),
        )
    from tui_taxi.core.worlds import reward_threshold

    threshold = reward_threshold(agent.config.env_id)
    if threshold is None:
        return None

    def solved(a) -> tuple[bool, float]:
        mean = a.evaluate(THRESHOLD_EPISODES).mean_return
        return mean >= threshold, mean

    def solved_score(a) -> tuple[float, bool]:
        done, _ = solved(a)
        return (1.0 if done else 0.0), done

    env_id = agent.config.env_id
    return Goal(
        every,
        solved,
        solved_score,
        "solved",
        "greedy mean return",
        lambda mean: (
            f"the greedy policy's mean return {mean:.2f} >= {threshold:g}, "
            f"{env_id}'s reward threshold"
        ),
        threshold,
    )
