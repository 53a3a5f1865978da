"""The headless command line, driven in-process (plus one real subprocess per entry point)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tui_taxi.cli import main
from tui_taxi.core.persist import load_session


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_the_commands_and_the_app_options(capsys):
    assert exit_status(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("train", "eval", "compare"):
        assert command in out
    assert "--load FILE" in out and "--speed" in out


def test_the_app_refuses_to_start_without_a_terminal(capsys):
    assert exit_status([]) == 2  # pytest captures stdin/stdout: not a terminal
    assert "needs a terminal" in capsys.readouterr().err


def test_train_with_the_tutorial_defaults_reaches_the_optimum(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--save", str(tmp_path / "run.npz"))
    assert code == 0, err
    assert "100,000 episodes" in out
    assert "optimal from 300/300 start states (100.0%)" in out
    assert "return per episode" in out  # the learning curve
    session = load_session(tmp_path / "run.npz")
    assert session.episode == 100_000
    assert (session.config.alpha.start, session.config.gamma, session.config.epsilon.start) == (
        0.1, 0.6, 0.1,
    )  # fmt: skip


def test_eval_reports_the_tutorial_metrics(capsys, tmp_path):
    run(capsys, "train", "--episodes", "3000", "--no-chart", "--save", str(tmp_path / "s.npz"))
    code, out, err = run(capsys, "eval", str(tmp_path / "s.npz"), "--episodes", "20")
    assert code == 0, err
    for metric in ("average timesteps per episode", "average penalties per episode",
                   "average reward per move", "policy optimality"):  # fmt: skip
        assert metric in out
    assert "3,000 episodes trained" in out


def test_compare_reproduces_the_tutorial_table(capsys):
    code, out, err = run(capsys, "compare")
    assert code == 0, err
    rows = {line[:29].strip(): line[29:].split() for line in out.splitlines() if "average" in line}
    random_steps, trained_steps, optimum_steps = map(float, rows["average timesteps per episode"])
    random_pen, trained_pen, _ = map(float, rows["average penalties per episode"])
    assert random_steps > 1000 and random_pen > 100  # thousands of steps, hundreds of penalties
    assert trained_steps == pytest.approx(13, abs=1.0) and trained_pen == 0.0
    assert optimum_steps == 13.07
    assert "no time limit (as in the tutorial" in out


def test_compare_with_a_file_and_the_time_limit(capsys, tmp_path):
    run(capsys, "train", "--episodes", "100", "--no-chart", "--save", str(tmp_path / "s.npz"))
    code, out, _ = run(
        capsys, "compare", str(tmp_path / "s.npz"), "--time-limit", "--episodes", "10"
    )
    assert code == 0
    assert "time limit 200 steps" in out
    random_steps = float(next(line for line in out.splitlines() if "timesteps" in line).split()[-3])
    assert random_steps <= 200


def test_old_env_ids_train_with_a_notice(capsys):
    code, _, err = run(capsys, "train", "--env", "Taxi-v3", "--episodes", "10", "--no-chart")
    assert code == 0
    assert "Taxi-v3 is registered as Taxi-v4" in err


def test_env_kwargs_pass_through(capsys, tmp_path):
    path = tmp_path / "rainy.npz"
    code, _, err = run(capsys, "train", "--env-kwarg", "is_rainy=true", "--episodes", "10",
                       "--no-chart", "--learner", "sarsa", "--save", str(path))  # fmt: skip
    assert code == 0, err
    session = load_session(path)
    assert session.config.env_kwargs == (("is_rainy", True),)
    assert session.config.learner == "sarsa"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--alpha", "0"], "alpha must be in (0, 1], got 0"),
        (["train", "--alpha", "1.5"], "alpha must be in (0, 1], got 1.5"),
        (["train", "--gamma", "1.1"], "gamma must be in [0, 1], got 1.1"),
        (["train", "--epsilon", "-0.1"], "epsilon must be in [0, 1], got -0.1"),
        (["train", "--epsilon", "linear:1:0:0"], "whole number of episodes >= 1"),
        (["train", "--episodes", "0"], "--episodes: must be a whole number >= 1, got 0"),
        (["train", "--episodes", "ten"], "'ten' is not a whole number"),
        (["train", "--max-steps", "-1"], "--max-steps: must be a whole number >= 0"),
        (["train", "--env", "Taxi-v9"], "unknown env id 'Taxi-v9'; supported: "),
        (["train", "--env", "Blackjack-v1"], "Discrete"),
        (["train", "--env-kwarg", "rainy"], "NAME=VALUE"),
        (["train", "--learner", "dqn"], "unknown learner 'dqn'; choose one of q-learning"),
        (["eval", "nowhere.npz"], "nowhere.npz: no such file"),
        (["eval"], "the following arguments are required: FILE"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(capsys, argv, message):
    assert exit_status(argv) == 2
    _, err = capsys.readouterr()
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def exit_status(argv):
    """main's return value, or argparse's exit status for malformed flags."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_a_bad_file_never_overwrites_the_save_target(capsys, tmp_path):
    target = tmp_path / "keep.npz"
    target.write_bytes(b"precious")
    code, _, err = run(capsys, "train", "--alpha", "2", "--save", str(target))
    assert code == 2
    assert target.read_bytes() == b"precious"
    code, _, err = run(capsys, "train", "--episodes", "5", "--save", str(tmp_path / "no/dir.npz"))
    assert code == 2 and "does not exist" in err


@pytest.mark.parametrize(
    "entry", [["-m", "tui_taxi"], ["-c", "from tui_taxi.cli import main; raise SystemExit(main())"]]
)
def test_entry_points_run_as_processes(entry):
    out = subprocess.run(
        [sys.executable, *entry, "train", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "--epsilon" in out.stdout and "default: 0.1" in out.stdout


def test_every_command_has_help(capsys):
    for command in ("train", "eval", "compare"):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert "usage: tui-taxi " + command in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--", "--epsilon", "5"], "epsilon must be in [0, 1], got 5"),
        (["serve", "train"], "serve runs the app (play, demo or no command), not 'train'"),
        (["serve", "--port", "0"], "--port: must be a whole number >= 1"),
    ],
)
def test_serve_checks_what_it_will_run_before_serving(capsys, argv, message):
    assert exit_status(argv) == 2
    assert message in capsys.readouterr().err
