"""The tour script: parsing, its errors (file and line), and the shipped copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_taxi.cli import main
from tui_taxi.demo import (
    TOURS,
    SetValue,
    TakeSteps,
    TourError,
    TrainEpisodes,
    UseLearner,
    builtin_tour_text,
    load_tour,
    parse_tour,
)

GOOD = """\
seed 3
# a comment
== First
> Hello
> world
>
> second paragraph
set epsilon 1
steps 5
== Second
> More.
train 100
view chart
panel stats
learner sarsa
"""


def test_a_tour_parses_into_steps_and_actions():
    tour = parse_tour(GOOD, "t.tour")
    assert tour.seed == 3 and [s.title for s in tour.steps] == ["First", "Second"]
    assert tour.steps[0].caption == "Hello world\nsecond paragraph"
    assert tour.actions_until(0) == (SetValue("epsilon", 1.0), TakeSteps(5))
    assert tour.actions_until(1)[-2:] == (TrainEpisodes(100), UseLearner("sarsa"))
    assert (tour.view_at(0), tour.view_at(1)) == ("qtable", "chart")
    assert (tour.panel_at(0), tour.panel_at(1)) == ("explain", "stats")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("== A\n> x\nsteps many\n", "t.tour:3: steps needs a whole number, got 'many'"),
        ("== A\n> x\nsteps 0\n", "t.tour:3: steps must be 1 to"),
        ("== A\n> x\nset epsilon 2\n", "t.tour:3: epsilon must be in [0, 1], got 2"),
        ("== A\n> x\nset alpha 0\n", "t.tour:3: alpha must be in"),
        ("== A\n> x\nset speed 2\n", "t.tour:3: expected 'set epsilon|alpha|gamma VALUE'"),
        ("== A\n> x\nlearner dqn\n", "t.tour:3: unknown learner 'dqn'"),
        ("== A\n> x\nfly 3\n", "t.tour:3: unknown command 'fly'"),
        ("== A\n> x\nview map\n", "t.tour:3: expected 'view qtable|chart'"),
        ("steps 3\n== A\n> x\n", "t.tour:1: 'steps' before the first '== step'"),
        ("> x\n", "t.tour:1: caption before the first '== step'"),
        ("== A\n> x\nseed 4\n", "t.tour:3: 'seed' must come before the first step"),
        ("==\n", "t.tour:1: a step needs a title"),
        ("== A\nsteps 3\n", "t.tour:1: step 'A' has no '>' caption"),
        ("# nothing\n", "t.tour: no steps"),
    ],
)
def test_malformed_tours_name_the_line_and_the_problem(text, message):
    with pytest.raises(TourError) as info:
        parse_tour(text, "t.tour")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", list(TOURS))
def test_every_shipped_tour_parses_and_assets_holds_the_same_copy(name):
    tour = load_tour(name=name)
    assert len(tour.steps) >= 5
    assets = Path(__file__).resolve().parents[1] / "assets" / "tours" / f"{name}.tour"
    if (assets.parents[1] / "pyproject.toml").exists():  # in a source checkout
        assert assets.read_text("utf-8") == builtin_tour_text(name)


def test_demo_with_a_bad_script_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.tour"
    bad.write_text("== A\n> x\nsteps many\n")
    assert main(["demo", "--script", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"tui-taxi: error: {bad}:3: steps needs a whole number, got 'many'"
    assert main(["demo", "--script", str(tmp_path / "missing.tour")]) == 2
    assert "cannot read" in capsys.readouterr().err
