"""``tui-taxi plan``: Figure 4.1's values and greedy arrows printed after three sweeps and at
convergence (the book's numbers, by hand), value iteration on FrozenLake with its holes and goal
marked where its map has them, and bad input as one-line errors."""

from __future__ import annotations

import pytest

from tui_taxi.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _block(out: str, heading: str, rows: int) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading)) + 1
    return [line.split() for line in lines[start : start + rows]]


def test_plan_prints_figure_4_1_after_three_sweeps(capsys):
    code, out, err = run(capsys, "plan", "--sweeps", "3")
    assert code == 0, err
    assert "policy evaluation on tui_taxi/SmallGridworld-v0 (16 states, 4 actions)" in out
    assert "3 sweeps, 42 backups" in out and "Delta per sweep: 1, 1, 1" in out
    # by hand (see tests/core/test_planning.py): -2.4375, -2.9375, -2.875, -3 to two decimals
    assert _block(out, "V(s)", 4) == [
        ["0.00", "-2.44", "-2.94", "-3.00"],
        ["-2.44", "-2.88", "-3.00", "-2.94"],
        ["-2.94", "-3.00", "-2.88", "-2.44"],
        ["-3.00", "-2.94", "-2.44", "0.00"],
    ]
    # the book's k = 3 policy (already optimal), with its ties as pairs of arrows
    assert _block(out, "greedy actions", 4) == [
        ["G", "←", "←", "↓←"],
        ["↑", "↑←", "↓←", "↓"],
        ["↑", "↑→", "→↓", "↓"],
        ["↑→", "→", "→", "G"],
    ]


def test_plan_prints_figure_4_1_at_convergence(capsys):
    code, out, err = run(capsys, "plan", "--theta", "1e-6")
    assert code == 0, err
    assert "converged" in out
    assert _block(out, "V(s)", 4) == [
        ["0.00", "-14.00", "-20.00", "-22.00"],
        ["-14.00", "-18.00", "-20.00", "-20.00"],
        ["-20.00", "-20.00", "-18.00", "-14.00"],
        ["-22.00", "-20.00", "-14.00", "0.00"],
    ]
    code, out, err = run(capsys, "plan", "--theta", "1e-6", "--in-place")
    in_place = int(out.splitlines()[1].split()[0])
    code, out, err = run(capsys, "plan", "--theta", "1e-6")
    assert in_place < int(out.splitlines()[1].split()[0])


def test_value_iteration_on_frozenlake_marks_its_holes_and_goal(capsys):
    code, out, err = run(
        capsys, "--env", "FrozenLake-v1", "plan", "--method", "value-iteration", "--gamma", "0.9"
    )
    assert code == 0, err
    arrows = _block(out, "greedy actions", 4)
    # the map SFFF / FHFH / FFFH / HFFG: episodes end in the holes and at the goal
    holes = {(r, c) for r, row in enumerate(arrows) for c, cell in enumerate(row) if cell == "○"}
    assert holes == {(1, 1), (1, 3), (2, 3), (3, 0)} and arrows[3][3] == "G"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["plan", "--gamma", "2"], "gamma must be in [0, 1]"),
        (["plan", "--theta", "0"], "must be > 0"),
        (["plan", "--env", "CartPole-v1"], "needs Discrete observation"),
        (["plan", "--method", "monte-carlo"], "invalid choice"),
        (["--learner", "sarsa", "plan"], "--learner does not apply to 'plan'"),
    ],
)
def test_bad_plan_input_is_a_one_line_error(capsys, argv, words):
    with pytest.raises(SystemExit) as exit_info:
        code = main(argv)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_planning_against_learning_sets_backups_beside_samples(capsys):
    """Value iteration on Example 4.1: after two sweeps a cell three moves from both corners
    still ties 'stay' with the good moves; after the third every greedy move is optimal (by
    hand), 42 backups (the corners are never backed up). Q-learning on the same world needs samples: it is trained and counted."""
    code, out, err = run(
        capsys, "plan", "--method", "value-iteration", "--against-learning", "--until-optimal"
    )
    assert code == 0, err
    assert "greedy policy optimal from every start after sweep 3 (42 backups)" in out
    assert "value-iteration    42 backups (3 sweeps)" in out
    learnt = next(line for line in out.splitlines() if line.strip().startswith("q-learning"))
    samples = int(learnt.split()[1].replace(",", ""))
    assert samples > 48 and "environment samples" in learnt


def test_plan_draws_jacks_policy_as_figure_4_2(capsys):
    code, out, err = run(
        capsys,
        "plan",
        "--env",
        "tui_taxi/JacksCarRental-v0",
        "--method",
        "policy-iteration",
        "--gamma",
        "0.9",
    )
    assert code == 0, err
    lines = out.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith(" 20 "))
    rows = {int(line.split()[0]): line.split()[1:] for line in lines[top : top + 21]}
    # the figure's corners: 20 cars here and none there: move 5; none here, 20 there: 4 back
    assert rows[20][0] == "5" and rows[0][20] == "-4" and rows[20][20] == "0"
    assert "V(s) from 421" in out


def test_a_world_that_never_ends_refuses_gamma_1_at_once(capsys):
    """Jack's car rental continues forever: gamma 1 has no finite values (refused before any
    sweep); without --gamma the world's 0.9 is taken, as train takes it."""
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(["plan", "--env", "tui_taxi/JacksCarRental-v0", "--gamma", "1"]))
    assert exit_info.value.code == 2
    assert "never ends" in capsys.readouterr().err
    code, out, err = run(
        capsys, "plan", "--env", "tui_taxi/JacksCarRental-v0", "--method", "value-iteration"
    )
    assert code == 0, err
    assert "gamma 0.9" in out.splitlines()[0]


def test_a_planner_learner_plans_five_steps_unless_told(capsys):
    code, out, err = run(
        capsys,
        "train",
        "--env",
        "tui_taxi/DynaMaze-v0",
        "--learner",
        "prioritized-sweeping",
        "--no-chart",
    )
    assert code == 0, err
    assert "settings: alpha 0.1, gamma 0.95, epsilon 0.1, planning steps 5" in out


def test_train_draws_the_mazes_steps_per_episode_as_figure_8_2(capsys):
    """The maze's return is +1 in every episode: the curve that tells is steps per episode."""
    code, out, err = run(capsys, "train", "--env", "tui_taxi/DynaMaze-v0", "--learner", "dyna-q")
    assert code == 0, err
    assert "steps per episode" in out and "return per episode" not in out
