"""The text panels never wrap in their 32-column pane, whatever the numbers."""

from __future__ import annotations

import dataclasses

import pytest

from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.trainer import Trainer
from tui_taxi.ui.agent_views import explain_table
from tui_taxi.ui.widgets.stats_panel import stats_table
from tui_taxi.ui.widgets.status_bar import status_text

WIDTH = 32


def _snapshot(session: TabularAgent, **changes):
    trainer = Trainer(session, lambda s: None, lambda e: None)
    trainer._new_agent(session)
    snap = trainer.snapshot()
    trainer.report.wait()
    snap = dataclasses.replace(snap, report=trainer.report.latest(trainer._generation))
    return dataclasses.replace(snap, **changes)


def _lines(text) -> list[str]:
    return text.plain.split("\n")


@pytest.mark.parametrize("learner", ["q-learning", "sarsa", "expected-sarsa", "double-q"])
def test_the_explainer_fits_for_every_learner_and_kind_of_step(learner):
    session = TabularAgent(TrainConfig(learner=learner, seed=2))
    session.train(episodes=300)
    seen_terminal = False
    base = _snapshot(session)
    for _ in range(2000):
        record, batch = session.step()
        for human, learn in ((False, True), (True, False), (True, True)):
            snap = dataclasses.replace(
                base, human_step=human, learn_from_human=learn, last_step=record
            )
            lines = _lines(explain_table(snap))
            assert len(lines) <= 11
            assert max(len(line) for line in lines) <= WIDTH, lines
        if record.terminated:
            seen_terminal = True
            break
    assert seen_terminal


def test_the_stats_fit_with_huge_counts_and_a_looping_policy():
    session = TabularAgent(TrainConfig(seed=1))
    session.train(episodes=30)  # a greedy policy that still loops from some starts
    snap = _snapshot(
        session,
        episode=123_456_789,
        total_steps=9_876_543_210,
        episode_return=-12_345.0,
        episode_penalties=1234,
        recent_mean_return=-2_479.123,
    )
    assert snap.report.n_loop > 0
    lines = _lines(stats_table(snap))
    assert len(lines) <= 9
    assert max(len(line) for line in lines) <= WIDTH, lines
    r = snap.report
    said = "loops from every start" if r.n_loop == r.n_start else f"loops from {r.n_loop} starts"
    assert any(said in line for line in lines)
    assert not any("∞" in line for line in lines)


@pytest.mark.parametrize("width", [98, 118, 158])
def test_the_status_line_fits_and_keeps_the_parameters(width):
    session = TabularAgent(TrainConfig(learner="expected-sarsa", seed=1))
    session.train(episodes=30)
    snap = _snapshot(
        session,
        episode=1_234_567,
        total_steps=98_765_432,
        paused=False,
        speed_index=9,
        steps_per_second=18_200_000.0,
    )
    text = status_text(snap, width).plain
    assert len(text) <= width
    for shown in ("ε 0.10", "α 0.10", "γ 0.60", "turbo", "expected-sarsa"):
        assert shown in text
