"""A network's live run tells the truth: the trainer checks the greedy policy where `train` does,
pauses at the first check that passes (or at the budget) and says so, keeps the best network and
brings it back, and says when the Q-values are past any possible return."""

from __future__ import annotations

import queue

import numpy as np
import pytest

import tui_taxi.checks as checks_module
from tui_taxi.core.agent import Goal
from tui_taxi.core.dqn import DQNAgent, DQNConfig
from tui_taxi.protocol import TURBO, GoalCheck, Notice, RestoreBest, SetPaused, Snapshot
from tui_taxi.trainer import Trainer

EVERY, THRESHOLD = 500, 30.0
CONFIG = DQNConfig(seed=3, learning_starts=500, total_timesteps=20_000)


def _easy_goal(agent, every=None) -> Goal:
    """CartPole's check at a lower bar, so that a few thousand steps reach it."""

    def test(a):
        mean = a.evaluate(100).mean_return
        return mean >= THRESHOLD, mean

    return Goal(EVERY, test, lambda a: (0.0, False), "solved", "greedy mean", threshold=THRESHOLD)


class Seen:
    def __init__(self) -> None:
        self.snapshots: queue.Queue[Snapshot] = queue.Queue()
        self.events: queue.Queue = queue.Queue()

    def notice(self, topic: str, timeout: float = 60.0) -> Notice:
        while True:
            event = self.events.get(timeout=timeout)
            if isinstance(event, Notice) and event.topic == topic:
                return event

    def snapshot(self, predicate, timeout: float = 60.0) -> Snapshot:
        while True:
            snap = self.snapshots.get(timeout=timeout)
            if predicate(snap):
                return snap


def _trainer(config, **kwargs) -> tuple[Trainer, Seen]:
    seen = Seen()
    trainer = Trainer(
        DQNAgent(config), seen.snapshots.put, seen.events.put, speed_index=TURBO, **kwargs
    )
    trainer.start()
    return trainer, seen


def _first_pass(config) -> tuple[int, float]:
    """Independently: train in steps of EVERY and evaluate after each, as the goal says."""
    agent = DQNAgent(config)
    while True:
        agent.train(steps=EVERY)
        mean = agent.evaluate(100).mean_return
        if mean >= THRESHOLD:
            return agent.total_steps, mean


def test_the_run_pauses_at_the_first_check_that_passes_with_that_networks_figure(monkeypatch):
    monkeypatch.setattr(checks_module, "goal_for", _easy_goal)
    expected_at, expected_mean = _first_pass(CONFIG)
    trainer, seen = _trainer(CONFIG)
    try:
        notice = seen.notice("goal")
        assert notice.text.startswith(
            f"Solved at {expected_at:,} steps: greedy {expected_mean:.1f}"
        )
        assert "Paused" in notice.text and "B brings back the best" in notice.text
        snap = seen.snapshot(lambda s: s.paused and s.check and s.check.reached_at >= 0)
        assert snap.total_steps == expected_at == snap.check.reached_at  # no step past it
        assert snap.check.figure == expected_mean and snap.check.passed
        # the network on screen is the one checked: evaluating it now gives the same figure
        assert trainer.agent.evaluate(100).mean_return == expected_mean
    finally:
        trainer.stop()


def test_the_best_network_comes_back_with_its_figure(monkeypatch):
    monkeypatch.setattr(checks_module, "goal_for", _easy_goal)
    trainer, seen = _trainer(CONFIG, stop_when_solved=False)
    try:
        seen.notice("goal")  # solved, said without pausing
        snap = seen.snapshot(lambda s: s.check and s.check.steps >= s.check.reached_at + 3 * EVERY)
        assert not snap.paused
        trainer.send(SetPaused(True))
        best = snap.check
        trainer.send(RestoreBest())
        said = seen.notice("best")
        paused = seen.snapshot(lambda s: s.handled >= trainer.sent)
        best = paused.check
        assert said.text == (
            f"the best network is back: greedy {best.best_figure:.1f} over 100 episodes, "
            f"at {best.best_at:,} steps"
        )
        assert trainer.agent.evaluate(100).mean_return == best.best_figure
        assert best.figure == best.best_figure  # the screen's check is the network brought back
    finally:
        trainer.stop()


def test_the_run_pauses_at_its_budget_and_says_so(monkeypatch):
    def never(agent, every=None) -> Goal:
        return Goal(
            EVERY, lambda a: (False, 0.0), lambda a: (0.0, False), "solved", "greedy", threshold=1e9
        )

    monkeypatch.setattr(checks_module, "goal_for", never)
    trainer, seen = _trainer(CONFIG.replace(total_timesteps=3_000))
    try:
        notice = seen.notice("goal")
        assert notice.text.startswith("The run's budget of 3,000 steps is spent: paused")
        snap = seen.snapshot(lambda s: s.paused)
        assert snap.total_steps == 3_000
        trainer.send(SetPaused(False))  # space trains on past it, without a word more
        seen.snapshot(lambda s: s.total_steps > 3_000 + EVERY)
    finally:
        trainer.stop()


def test_no_return_can_exceed_r_over_1_minus_gamma_and_past_it_the_status_says_so():
    agent = DQNAgent(DQNConfig(seed=0, gamma=0.9))
    assert agent.q_bound() == pytest.approx(10.0)  # CartPole: +1 a step, 1 / (1 - 0.9)
    assert DQNAgent(DQNConfig(seed=0, gamma=1.0)).q_bound() is None
    from tui_taxi.core.dqn.config import config_for

    taxi = DQNAgent(config_for("Taxi-v4", gamma=0.6))
    assert taxi.q_bound() == pytest.approx(20 / 0.4)  # Taxi's largest reward in size: +20
    # the largest |Q| over what it saw: the network's values of those observations, by hand
    agent.train(steps=600)
    seen = agent.arrays["buf_obs"][: 256 if agent.buffer_fill >= 256 else agent.buffer_fill]
    assert agent.recent_q_max() >= np.abs(agent.q_values(agent.obs[None])).max()
    assert agent.recent_q_max() <= max(
        np.abs(agent.q_values(agent.arrays["buf_obs"][: agent.buffer_fill])).max(),
        np.abs(agent.q_values(agent.obs[None])).max(),
    )
    assert len(seen)

    from tui_taxi.ui.widgets.status_bar import check_status

    over = GoalCheck("solved", 2500, 475.0, 100, steps=2500, figure=40.0, q_max=130.0, q_bound=100)
    _, warning = check_status(over)
    assert warning.plain == "Q 130 > 100, any return's bound: overestimated (l: Double DQN)"
    far = GoalCheck("solved", 2500, 475.0, 100, steps=2500, figure=40.0, q_max=3540, q_bound=100)
    assert "diverging" in check_status(far)[1].plain
    under = GoalCheck("solved", 2500, 475.0, 100, steps=2500, figure=40.0, q_max=99, q_bound=100)
    assert check_status(under)[1] is None


def test_a_check_in_slices_gives_the_whole_checks_figure():
    """The trainer checks 10 episodes at a time (keys are handled between slices): the same
    episodes, and the same mean, as `evaluate(100)`, which `train`'s check uses."""
    from tui_taxi.checks import SLICE, GoalWatch
    from tui_taxi.core.training import goal_for

    agent = DQNAgent(DQNConfig(seed=1, learning_starts=300))
    agent.train(steps=2_500)
    watch = GoalWatch(agent, goal_for(agent))
    watch.begin(agent)
    slices = 1
    while watch.step(agent) is None:
        slices += 1
    assert slices == 100 // SLICE and not watch.pending
    assert watch.state.figure == agent.evaluate(100).mean_return
    assert watch.state.passed == (watch.state.figure >= 475)
