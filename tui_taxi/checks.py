"""The live run's greedy check: what ``tui-taxi train`` checks, at the same cadence, made by the
trainer's thread between two training calls (never on the UI's).

A network's epsilon-greedy training returns say little of its greedy policy, and a network can
unlearn after it solved: the watch checks the kind's goal every ``goal.every`` steps exactly
where ``train`` does (so "solved at 87,500 steps" is the step ``train`` prints), keeps the best
network seen, and says when the goal is reached, when the budget is spent and when the
Q-values have grown past anything a return could be. The network checked is the one on
screen: the trainer stops at each check, so a save made when the app pauses holds it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tui_taxi.core.rng import NETWORK_EVAL_STREAM, make_rng
from tui_taxi.core.training import THRESHOLD_EPISODES, goal_for
from tui_taxi.protocol import GoalCheck

#: Greedy episodes per slice of a reward threshold's check: the trainer handles the keys between
#: two slices (a whole check of 100 CartPole episodes takes about 50 ms).
SLICE = 10


class GoalWatch:
    """The checks of one agent's run (a new agent: a new watch)."""

    def __init__(self, agent, goal) -> None:
        self.goal = goal
        self.every = goal.every
        budget = agent.default_budget().steps
        self.state = GoalCheck(
            goal.what,
            self.every,
            goal.threshold,  # (None: the optimum is the goal; its figure is the optimality)
            THRESHOLD_EPISODES,
            budget=budget or 0,
            q_bound=agent.q_bound(),
        )
        self.best_network = None
        self._said_budget = agent.total_steps >= self.state.budget > 0
        self.pending = False  # a check is under way (the network must not change meanwhile)
        self._slices: tuple | None = None  # (its generator, the returns so far)

    @classmethod
    def of(cls, agent) -> GoalWatch | None:
        """A watch for a kind that checks its goal as it trains (a network), else None."""
        if not agent.stop_at_goal or not hasattr(agent, "network"):
            return None
        goal = goal_for(agent)
        return None if goal is None else cls(agent, goal)

    def steps_to_next(self, agent) -> int:
        """Steps the next training call may take: up to the next check, or the budget."""
        total = agent.total_steps
        left = self.every - total % self.every
        if self.state.budget and not self._said_budget:
            left = min(left, max(1, self.state.budget - total))
        return left

    def due(self, agent) -> bool:
        total = agent.total_steps
        return not agent.in_step and total != self.state.steps and total % self.every == 0

    def begin(self, agent) -> None:
        """Start the check of this step: a reward threshold's in slices (:meth:`step`), the
        same episodes as ``agent.evaluate(100)`` (its generator, carried from slice to slice),
        so the same mean as ``train``'s check."""
        self.pending = True
        self._slices = None
        if self.state.threshold is not None and hasattr(agent, "greedy_episodes"):
            self._slices = (make_rng(agent.config.seed, NETWORK_EVAL_STREAM), [])

    def step(self, agent) -> list[str] | None:
        """One slice of the check under way; its news (see :meth:`check`) once it is done."""
        if self._slices is None:
            self.pending = False
            return self.check(agent)
        rng, parts = self._slices
        done = sum(len(p) for p in parts)
        n = min(SLICE, THRESHOLD_EPISODES - done)
        parts.append(agent.greedy_episodes(n, rng=rng).episodic_return)
        if done + n < THRESHOLD_EPISODES:
            return None
        returns = np.concatenate(parts)
        mean = float(returns.sum()) / len(returns)  # (as EvalResult's mean)
        self.pending, self._slices = False, None
        return self.check(agent, result=(mean >= self.state.threshold, mean))

    def finish(self, agent) -> list[str]:
        """The check under way, to its end at once."""
        while (news := self.step(agent)) is None:
            pass
        return news

    def check(self, agent, again: bool = False, result: tuple | None = None) -> list[str]:
        """The goal's test on the agent now (or its ``result``, computed in slices); returns
        what is news to say (the goal reached), the figures in it. ``again``: the network
        changed at this step (the best brought back): the figures are its own, and nothing
        is news."""
        passed, figure = self.goal.test(agent) if result is None else result
        merit = figure if self.state.threshold is not None else self.goal.score(agent)[0]
        s = self.state
        total = agent.total_steps
        changes: dict = {"steps": total, "figure": merit, "passed": passed}
        news = []
        if passed and s.reached_at < 0 and not again:
            changes.update(reached_at=total, reached_figure=merit)
            news.append(self.reached_words(merit, total))
        if s.best_at < 0 or merit > s.best_figure:
            changes.update(best_at=total, best_figure=merit)
            self.best_network = agent.network()
        if s.q_bound is not None:
            changes["q_max"] = agent.recent_q_max()
        self.state = dataclasses.replace(s, **changes)
        return news

    def budget_spent(self, agent) -> bool:
        """The run just reached its step budget (said once)."""
        if self._said_budget or not self.state.budget or agent.total_steps < self.state.budget:
            return False
        self._said_budget = True
        return True

    def figure_words(self, figure: float) -> str:
        if self.state.threshold is not None:
            return f"greedy {figure:.1f} over {THRESHOLD_EPISODES} episodes"
        return f"greedy policy optimal from {figure:.0%} of the starts"

    def reached_words(self, figure: float, total: int) -> str:
        if self.state.threshold is not None:
            return (
                f"Solved at {total:,} steps: {self.figure_words(figure)} "
                f"(the threshold is {self.state.threshold:g})"
            )
        return f"Optimal from every start state at {total:,} steps"

    def best_words(self) -> str:
        s = self.state
        return f"{self.figure_words(s.best_figure)}, at {s.best_at:,} steps"


#: Q this many times past the bound: no longer an overestimate but a run away
DIVERGED = 3.0


def diverging_words(check: GoalCheck) -> str:
    """The status line's warning: Q past any possible return (with the bound), and the cure
    to try; "diverging" once it is far past."""
    how = "diverging" if check.q_max > DIVERGED * check.q_bound else "overestimated"
    return f"Q {check.q_max:,.0f} > {check.q_bound:,.0f}, any return's bound: {how} (l: Double DQN)"
