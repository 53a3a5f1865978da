"""The tour script: parsing, its errors (file and line), and the shipped copies."""

from __future__ import annotations

import pytest

from tui_taxi.cli import main
from tui_taxi.core.agent import Budget
from tui_taxi.demo import TOURS, TourError, load_tour, parse_tour
from tui_taxi.protocol import KeepCurve, Reset, SetSetting, SetWorld, Step, Train, Walk

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


def test_a_tour_parses_into_steps_of_intents_and_waits():
    tour = parse_tour(GOOD, "t.tour")
    assert tour.seed == 3 and [s.title for s in tour.steps] == ["First", "Second"]
    assert tour.steps[0].caption == "Hello world\nsecond paragraph"
    # the shown slide's closing steps are a wait (played at a visible pace), not an intent
    assert tour.intents_until(0) == ((SetSetting("epsilon", 1.0),), Step(5))
    intents, wait = tour.intents_until(1)
    assert intents[:2] == (SetSetting("epsilon", 1.0), Step(5)) and wait is None
    assert intents[-2:] == (Train(Budget(episodes=100)), SetSetting("learner", "sarsa"))
    assert (tour.view_at(0), tour.view_at(1)) == ("qtable", "chart")
    assert (tour.panel_at(0), tour.panel_at(1)) == ("explain", "stats")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("== A\n> x\nsteps many\n", "t.tour:3: steps needs a whole number, got 'many'"),
        ("== A\n> x\nsteps 0\n", "t.tour:3: steps must be 1 to"),
        ("== A\n> x\nset epsilon 2\n", "t.tour:3: epsilon must be in [0, 1], got 2"),
        ("== A\n> x\nset alpha 0\n", "t.tour:3: alpha must be in"),
        ("== A\n> x\nset speed 2\n", "t.tour:3: a table has no setting 'speed'; it has epsilon"),
        ("== A\n> x\nset epsilon\n", "t.tour:3: expected 'set NAME VALUE'"),
        ("agent robot\n== A\n> x\n", "t.tour:1: unknown agent 'robot'"),
        ("== A\n> x\nlearner dqn\n", "t.tour:3: unknown learner 'dqn'"),
        ("== A\n> x\nfly 3\n", "t.tour:3: unknown command 'fly'"),
        ("== A\n> x\nview map\n", "t.tour:3: expected 'view qtable|chart'"),
        ("steps 3\n== A\n> x\n", "t.tour:1: 'steps' before the first '== step'"),
        ("> x\n", "t.tour:1: caption before the first '== step'"),
        ("== A\n> x\nseed 4\n", "t.tour:3: 'seed' must come before the first step"),
        ("==\n", "t.tour:1: a step needs a title"),
        ("== A\nsteps 3\n", "t.tour:1: step 'A' has no '>' caption"),
        ("# nothing\n", "t.tour: no steps"),
        ("== A\n> {nope} x\n", "t.tour:2: unknown figure {nope} in a caption; the figures: "),
        ("== A\n> x\nwalk 3\n", "t.tour:3: 'walk' takes nothing after it"),
        ("== A\n> x\nkeep\n", "t.tour:3: expected 'keep LABEL'"),
        ("== A\n> x\ntrain 5 until\n", "t.tour:3: expected 'train N [steps] [until optimal]'"),
        ("== A\n> x\ntrain until optimal\n", "t.tour:3: expected 'train N [steps] [until"),
        ("== A\n> x\ntrain 5 until best\n", "t.tour:3: expected 'train N [steps] [until"),
        ("== A\n> x\nsweep 3\n", "t.tour:3: 'sweep' before a 'plan' (which starts a planner)"),
        ("== A\n> x\nplan fast\n", "t.tour:3: expected 'plan policy-evaluation|value-iteration"),
        ("== A\n> x\nplan value-iteration from Fly\n", "t.tour:3: expected 'plan policy-eval"),
        ("agent dqn\nenv CartPole-v1\n== A\n> x\nplan value-iteration\n", "planning needs"),
        ("== A\n> x\nplan value-iteration\nsweep until done\n", "expected 'sweep N' or"),
        ("== A\n> x\nplan value-iteration\nsweep 0\n", "t.tour:4: sweep must be 1 to"),
        ("== A\n> x\nplan value-iteration\ngrid q\n", "t.tour:4: expected 'grid v|maxq|gap'"),
        ("== A\n> x\nplan value-iteration\nimprove 2\n", "'improve' takes nothing after it"),
    ],
)
def test_malformed_tours_name_the_line_and_the_problem(text, message):
    with pytest.raises(TourError) as info:
        parse_tour(text, "t.tour")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_planning_verbs_start_a_planner_on_the_world_and_gamma_of_their_line():
    tour = parse_tour(
        "env tui_taxi/SmallGridworld-v0\n== A\n> x\nplan policy-evaluation in-place\nsweep 3\n"
        "== B\n> y\nset gamma 0.5\nsweep until optimal\nview qtable\n"
        "== C\n> z\nworld tui_taxi/JacksCarRental-v0\nplan policy-evaluation from move +0\n"
        "improve\niterate\ngrid gap\n"
    )
    start, steps = tour.plan_at(1)
    assert (start.env_id, start.gamma, start.greedy, start.in_place) == (
        "tui_taxi/SmallGridworld-v0",
        1.0,
        False,
        True,
    )  # the world's own gamma (Example 4.1: 1), not the later 'set gamma'
    assert [(s.verb, s.count, s.until) for s in steps] == [
        ("sweep", 3, ""),
        ("sweep", 1, "optimal"),
    ]
    assert [tour.view_at(i) for i in range(3)] == ["planning", "qtable", "planning"]
    start, steps = tour.plan_at(2)
    assert (start.env_id, start.gamma, start.start) == ("tui_taxi/JacksCarRental-v0", 0.9, 5)
    assert [s.verb for s in steps] == ["improve", "iterate", "grid"] and steps[2].count == 2
    assert tour.steps[2].actions[0].env_id == "tui_taxi/JacksCarRental-v0"  # the run's world


@pytest.mark.parametrize("name", list(TOURS))
def test_every_shipped_tour_parses(name):
    tour = load_tour(name=name)
    assert len(tour.steps) >= 5


def test_demo_with_a_bad_script_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.tour"
    bad.write_text("== A\n> x\nsteps many\n")
    assert main(["demo", "--script", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"tui-taxi: error: {bad}:3: steps needs a whole number, got 'many'"
    assert main(["demo", "--script", str(tmp_path / "missing.tour")]) == 2
    assert "cannot read" in capsys.readouterr().err
    # a tour's name beside --script: which one was meant? (it was silently ignored)
    assert main(["demo", "windy", "--script", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"tui-taxi: error: --script runs the tour in {bad}; drop the tour name 'windy' (or drop --script to run the built-in one)"
    )


def test_demo_lists_its_tours_and_refuses_an_unknown_one(capsys):
    assert main(["demo", "--list"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == list(TOURS)
    assert main(["demo", "ppo"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "tui-taxi: error: no tour named 'ppo'; the tours: taxi, windy, cliff, frozen, bias, dqn, "
        "planning"
    )


def test_train_until_optimal_and_keep_parse_into_their_intents():
    tour = parse_tour(
        "== A\n> x\ntrain 900 until optimal\nkeep γ {gamma}\ntrain 50 steps until optimal\nwalk\n",
        "t.tour",
    )
    intents, wait = tour.intents_until(0)
    assert intents == (
        Train(Budget(episodes=900), until_goal=True),
        KeepCurve("γ {gamma}"),
        Train(Budget(steps=50), until_goal=True),
    )
    assert wait == Walk()


def test_a_tour_sets_its_world_resets_and_trains_by_steps():
    tour = parse_tour(
        "seed 2\nenv CliffWalking-v1\n== A\n> x\ntrain 100 steps\n"
        "== B\n> y\nreset\nenv tui_taxi/WindyGridworld-v0 king_moves=true\n",
        "t.tour",
    )
    assert (tour.env_id, tour.env_kwargs) == ("CliffWalking-v1", ())
    assert tour.intents_until(0) == ((Train(Budget(steps=100)),), None)
    assert tour.intents_until(1)[0][1:] == (
        Reset(),
        SetWorld("tui_taxi/WindyGridworld-v0", (("king_moves", True),), keep_settings=True),
    )
    with pytest.raises(TourError, match="t.tour:2: .*does not accept"):
        parse_tour("seed 1\nenv CliffWalking-v1 windy=1\n== A\n> x\n", "t.tour")
