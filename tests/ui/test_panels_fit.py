"""The text panels never wrap in their 32-column pane, whatever the numbers."""

from __future__ import annotations

import dataclasses

import pytest

from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.core.tabular.kernel import LEARNERS
from tui_taxi.trainer import Trainer
from tui_taxi.ui.agent_views import explain_table
from tui_taxi.ui.format import precise
from tui_taxi.ui.widgets.stats_panel import stats_table
from tui_taxi.ui.widgets.status_bar import status_text

WIDTH = 32


def _snapshot(session: TabularAgent, **changes):
    trainer = Trainer(session, lambda s: None, lambda e: None)
    trainer._new_agent(session)
    snap = trainer.snapshot()
    trainer.report.wait()
    report = trainer.report.latest(trainer._generation)
    snap = dataclasses.replace(snap, report=report, report_episode=session.episode)
    return dataclasses.replace(snap, **changes)


def _lines(text) -> list[str]:
    return text.plain.split("\n")


@pytest.mark.parametrize("learner", LEARNERS)
def test_the_explainer_fits_for_every_learner_and_kind_of_step(learner):
    planning = 50 if learner in ("dyna-q", "prioritized-sweeping") else 0
    session = TabularAgent(TrainConfig(learner=learner, planning_steps=planning, seed=2))
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


def test_a_report_far_behind_the_table_on_screen_says_it_is_updating():
    """After a speed jump the report judged a table of episode 0 while the screen counts
    778,593: its figures are marked as updating until a fresh one is in."""
    session = TabularAgent(TrainConfig(seed=1))
    fresh = _snapshot(session)
    optimal = next(line for line in _lines(stats_table(fresh)) if line.startswith("optimal"))
    assert "starts (" in optimal and "updating" not in optimal
    stale = dataclasses.replace(fresh, episode=778_593, report_episode=0)
    optimal = next(line for line in _lines(stats_table(stale)) if line.startswith("optimal"))
    assert optimal.endswith("· updating…") and f"{fresh.report.n_optimal}/300" in optimal
    near = dataclasses.replace(fresh, episode=778_593, report_episode=770_000)  # a frame behind
    assert "updating" not in stats_table(near).plain


def test_short_of_optimal_the_value_gap_is_shown():
    """FrozenLake 8x8 barely trained: not optimal, no loops; the value row states its mean
    value against the optimum's, four significant digits each (0.4145 against 0.4146 is why
    two policies with equal rounded figures are not both optimal)."""
    session = TabularAgent(
        TrainConfig(env_id="FrozenLake-v1", env_kwargs=(("map_name", "8x8"),), seed=0)
    )
    session.train(episodes=3000)
    snap = _snapshot(session)
    r = snap.report
    assert r.n_optimal < r.n_start and r.n_loop == 0
    lines = _lines(stats_table(snap))
    assert f"value    {precise(r.mean_value)} of {precise(r.optimal_mean_value)}" in lines
    assert max(len(line) for line in lines) <= WIDTH and len(lines) <= 9
    assert not any("penalt" in line for line in lines)  # FrozenLake has none
    assert any(line.split()[-1].endswith("%") for line in lines if line.startswith("optimum"))


def test_a_setting_shows_the_digits_it_needs():
    from tui_taxi.core.agent import figure_of

    assert figure_of(0.1) == "0.10" and figure_of(0.0) == "0.00" and figure_of(1.0) == "1.00"
    assert figure_of(1e-5) == "1e-05"  # not "0.00" (alpha decayed by a schedule)
    assert figure_of(0.0031) == "0.0031"
    assert figure_of(0.00025, spans_decades=True) == "0.00025"
    from tui_taxi.core.schedules import parse_schedule

    alpha = parse_schedule("exp:0.5:0.00001:0.5", "alpha")
    session = TabularAgent(TrainConfig(alpha=alpha, seed=0))
    session.train(episodes=50)
    alpha = next(s for s in session.settings() if s.name == "alpha")
    assert alpha.brief.startswith("1e-05")


def test_a_world_too_large_to_score_says_so_instead_of_computing_forever():
    from gymnasium.envs.toy_text.frozen_lake import generate_random_map

    desc = tuple(generate_random_map(60, seed=1))
    session = TabularAgent(TrainConfig(env_id="FrozenLake-v1", env_kwargs=(("desc", desc),)))
    snap = _snapshot(session)
    assert snap.report is None
    lines = _lines(stats_table(snap))
    assert "optimal  not scored: 3,600 states" in lines
    assert "optimal" not in status_text(snap, 100).plain  # no "optimal …" waiting forever
