"""The headless command line, driven in-process (plus one real subprocess per entry point)."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from tui_taxi.cli import main
from tui_taxi.cli.serve import make_server
from tui_taxi.core.agent import Budget
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular import TabularAgent
from tui_taxi.demo import load_tour
from tui_taxi.progress import ProgressBar

ROOT = Path(__file__).resolve().parents[1]


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
    assert "optimal for gamma 0.6 from 300/300 start states (100.0%)" in out
    assert "return per episode" in out  # the learning curve
    session = TabularAgent.load(tmp_path / "run.npz")
    assert session.episode == 100_000
    assert (session.config.alpha.start, session.config.gamma, session.config.epsilon.start) == (
        0.1,
        0.6,
        0.1,
    )


def test_eval_reports_the_tutorial_metrics(capsys, tmp_path):
    run(capsys, "train", "--episodes", "3000", "--no-chart", "--save", str(tmp_path / "s.npz"))
    code, out, err = run(capsys, "eval", str(tmp_path / "s.npz"), "--episodes", "20")
    assert code == 0, err
    for metric in (
        "average timesteps per episode",
        "average penalties per episode",
        "average reward per move",
        "policy optimality",
    ):
        assert metric in out
    assert "3,000 episodes trained" in out


def test_eval_of_the_tutorials_agent_gives_its_numbers(capsys, tmp_path):
    run(capsys, "train", "--no-chart", "--save", str(tmp_path / "s.npz"))  # 100k episodes
    code, out, err = run(capsys, "eval", str(tmp_path / "s.npz"), "--episodes", "200")
    assert code == 0, err
    values = {
        line.strip().split("  ")[0]: line.split()[-1]
        for line in out.splitlines()
        if line.startswith("  ")
    }
    assert float(values["average timesteps per episode"]) == pytest.approx(13.07, abs=0.6)
    assert float(values["average penalties per episode"]) == 0.0
    assert values["success rate"] == "100.0%"
    assert "optimal for gamma 0.6 from 300/300 start states" in out


def test_compare_reproduces_the_tutorial_table(capsys):
    code, out, err = run(capsys, "compare")
    assert code == 0, err
    rows = {line[:29].strip(): line[29:].split() for line in out.splitlines() if "average" in line}
    random_steps, trained_steps, optimum_steps = map(float, rows["average timesteps per episode"])
    random_pen, trained_pen, _ = map(float, rows["average penalties per episode"])
    _, trained_per_move, optimum_per_move = map(float, rows["average reward per move"])
    # The random agent's exact expectations, from a linear solve on Gymnasium's P (see
    # tests/core/test_evaluate_values.py): 2479.1 steps and 802.6 penalties a trip; the mean of
    # 100 trips lies within about 3.5 standard errors of them (one is about 250 steps).
    assert random_steps == pytest.approx(2479.1, abs=900)
    assert random_pen == pytest.approx(802.6, abs=300)
    # Trained: optimal from every start (13.07 steps, return 7.93 on average, by value
    # iteration), so 100 greedy trips average about 13 steps with no penalty.
    assert trained_steps == pytest.approx(13.07, abs=0.8) and trained_pen == 0.0
    assert trained_per_move == pytest.approx(7.93 / 13.07, abs=0.05)
    assert optimum_steps == 13.07 and optimum_per_move == pytest.approx(0.607, abs=0.001)
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
    code, _, err = run(
        capsys,
        "train",
        "--env-kwarg",
        "is_rainy=true",
        "--episodes",
        "10",
        "--no-chart",
        "--learner",
        "sarsa",
        "--save",
        str(path),
    )
    assert code == 0, err
    session = TabularAgent.load(path)
    assert session.config.env_kwargs == (("is_rainy", True),)
    assert session.config.learner == "sarsa"


WHOLE = "must be a whole number from"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--alpha", "0"], "alpha must be in (0, 1], got 0"),
        (["train", "--alpha", "1.5"], "alpha must be in (0, 1], got 1.5"),
        (["train", "--gamma", "1.1"], "gamma must be in [0, 1], got 1.1"),
        (["train", "--epsilon", "-0.1"], "epsilon must be in [0, 1], got -0.1"),
        (["train", "--epsilon", "linear:1:0:0"], "whole number of episodes >= 1"),
        (["train", "--episodes", "0"], f"--episodes: {WHOLE} 1 to 1,000,000,000, got 0"),
        (["train", "--episodes", "ten"], "'ten' is not a whole number"),
        (["train", "--episodes", "2.5"], "'2.5' is not a whole number"),
        (["train", "--episodes", "nan"], "'nan' is not a whole number"),
        (["train", "--episodes", "9223372036854775808"], "got 9223372036854775808"),  # 2**63
        (["train", "--episodes", "1e999999999"], f"{WHOLE} 1 to 1,000,000,000, got 1e999999999"),
        (["train", "--max-steps", "-1"], f"--max-steps: {WHOLE} 0 to 1,000,000,000, got -1"),
        (["train", "--max-steps", "9223372036854775808"], "got 9223372036854775808"),
        (["train", "--seed", str(2**64)], f"--seed: {WHOLE} 0 to 2**64 - 1, got {2**64}"),
        (["train", "--seed", "-1"], "--seed: must be a whole number from 0 to 2**64 - 1"),
        (["eval", "x.npz", "--episodes", "1e30"], f"{WHOLE} 1 to 10,000,000, got 1e30"),
        (["eval", "x.npz", "--seed", str(2**64)], "--seed: must be a whole number"),
        (["compare", "--train-episodes", "1e10"], f"{WHOLE} 1 to 1,000,000,000, got 1e10"),
        (["--speed", "11"], f"--speed: {WHOLE} 1 to 10, got 11"),
        (["play", "--speed", "0"], f"--speed: {WHOLE} 1 to 10, got 0"),
        (["train", "--env", "Taxi-v9"], "unknown env id 'Taxi-v9'; supported: "),
        (["train", "--env", "Blackjack-v1"], "Discrete"),
        (["train", "--env-kwarg", "rainy"], "NAME=VALUE"),
        (
            ["train", "--env", "FrozenLake-v1", "--env-kwarg", "map_name=16x16"],
            "map_name must be one of 4x4, 8x8, got '16x16'",
        ),
        (["train", "--env-kwarg", "is_rainy=maybe"], "is_rainy must be true or false, got 'maybe'"),
        (
            ["train", "--env", "FrozenLake-v1", "--env-kwarg", "is_slippery=3.5"],
            "is_slippery must be true or false, got 3.5",
        ),
        (
            ["train", "--env-kwarg", "is_rainy=true", "--env-kwarg", "is_rainy=false"],
            "--env-kwarg is_rainy is given more than once",
        ),
        (["train", "--learner", "dqn"], "unknown learner 'dqn'; choose one of q-learning"),
        (["eval", "nowhere.npz"], "nowhere.npz: no such file"),
        (["eval"], "the following arguments are required: FILE"),
        (["eval", "x.npz", "--alpha", "0.5"], "unrecognized arguments for 'eval': --alpha 0.5"),
        (["fly"], "invalid choice: 'fly'"),
        (["--alpha", "0.5", "eval", "x.npz"], "--alpha does not apply to 'eval'"),
        (["--seed", "9", "train", "--seed", "3"], "--seed is given both before and after 'train'"),
        (["--presenter", "train"], "--presenter does not apply to 'train'"),
        (
            ["compare", "x.npz", "--alpha", "0.5", "--train-episodes", "5"],
            "--alpha, --train-episodes: only for compare without FILE",
        ),
        (["demo", "--force"], "--force only applies with --export FILE"),
        (["train", "--steps", "0"], f"--steps: {WHOLE} 1 to 1,000,000,000,000, got 0"),
        (["train", "--steps", "2.5"], "--steps: '2.5' is not a whole number"),
        (
            ["train", "--plot", "bogus"],
            "--plot: 'bogus' is not a chart; choose from return, steps, penalties, staircase",
        ),
        (["train", "--plot", "return,"], "--plot: 'return,' is not a chart"),
        (["train", "--plot", "steps", "--no-chart"], "--plot and --no-chart contradict"),
        (["compare", "x.npz", "--plot", "return"], "unrecognized arguments for 'compare'"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(capsys, argv, message):
    assert exit_status(argv) == 2
    _, err = capsys.readouterr()
    assert message in err
    assert err.startswith("tui-taxi: error: ")
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
        (["serve", "--port", "0"], "--port: must be a whole number from 1 to 65535, got 0"),
        (["serve", "--port", "70000"], "--port: must be a whole number from 1 to 65535, got 70000"),
        (["serve", "--", "--speed", "99"], "--speed: must be a whole number from 1 to 10, got 99"),
        (["serve", "--", "--seed", "9", "demo"], "--seed does not apply to 'demo'"),
        (["serve", "demo", "--export", "x.tour"], "run 'tui-taxi demo --export/--list' by itself"),
    ],
)
def test_serve_checks_what_it_will_run_before_serving(capsys, argv, message):
    assert exit_status(argv) == 2
    assert message in capsys.readouterr().err


def test_serve_on_a_port_in_use_is_one_line(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == f"tui-taxi: error: cannot serve at 127.0.0.1:{port}: Address already in use\n"


# -- options before the command ---------------------------------------------------------------
def test_options_before_the_command_apply_to_it(capsys, tmp_path):
    path = tmp_path / "run.npz"
    code, _, err = run(
        capsys,
        "--seed",
        "9",
        "--alpha",
        "0.5",
        "--env-kwarg",
        "is_rainy=true",
        "train",
        "--episodes",
        "10",
        "--no-chart",
        "--save",
        str(path),
        "--env-kwarg",
        "rainy_probability=0.9",
    )
    assert code == 0, err
    config = TabularAgent.load(path).config
    assert (config.seed, config.alpha.start) == (9, 0.5)
    assert config.env_kwargs == (("is_rainy", True), ("rainy_probability", 0.9))


def test_options_before_the_command_reach_the_app(monkeypatch):
    seen = _fake_app(monkeypatch, return_code=0)
    assert main(["--seed", "9", "--speed", "2", "play", "--paused"]) == 0
    config, options = seen["call"]
    assert config.seed == 9
    assert options["speed_index"] == 1 and options["paused"] and options["manual"]


def test_load_says_which_given_options_it_ignores(monkeypatch, capsys, tmp_path):
    run(capsys, "train", "--episodes", "10", "--no-chart", "--save", str(tmp_path / "s.npz"))
    seen = _fake_app(monkeypatch, return_code=0)
    assert main(["--seed", "3", "--load", str(tmp_path / "s.npz"), "--gamma", "0.6"]) == 0
    assert seen["call"][1]["load"] == str(tmp_path / "s.npz")
    # --gamma 0.6 equals the default, but it was given: it is named too
    assert "ignoring --gamma, --seed" in capsys.readouterr().err


def test_episode_counts_may_be_written_1e2_style(capsys):
    code, out, err = run(capsys, "train", "--episodes", "1e2", "--no-chart")
    assert code == 0, err
    assert "for 100 episodes" in out


# -- the app's exit status -------------------------------------------------------------------
def _fake_app(monkeypatch, return_code=None, crash=None):
    """The app stands in for Textual: main must report what App.run left in return_code."""
    import tui_taxi.cli as cli
    import tui_taxi.ui.app as ui_app

    seen = {}

    class FakeApp:
        def __init__(self):
            self.return_code = None

        def run(self):
            if crash:
                raise crash
            self.return_code = return_code

    def create_app(config, **options):
        seen["call"] = (config, options)
        return FakeApp()

    monkeypatch.setattr(cli.options, "require_terminal", lambda: None)
    monkeypatch.setattr(cli.app, "require_terminal", lambda: None)
    monkeypatch.setattr(cli.demo, "require_terminal", lambda: None)
    monkeypatch.setattr(ui_app, "create_app", create_app)
    return seen


@pytest.mark.parametrize("argv", [[], ["play"], ["demo"]])
def test_the_app_exit_status_is_non_zero_when_it_crashed(monkeypatch, argv):
    _fake_app(monkeypatch, return_code=1)  # Textual sets 1 after an unhandled exception
    assert main(argv) == 1
    _fake_app(monkeypatch, return_code=0)
    assert main(argv) == 0
    _fake_app(monkeypatch, crash=RuntimeError("boom"))
    with pytest.raises(RuntimeError):  # not swallowed: the process exits 1 with the traceback
        main(argv)


# -- save targets are checked before any training ----------------------------------------------
@pytest.fixture
def no_training(monkeypatch):
    import tui_taxi.cli as cli

    def refuse(*args, **kwargs):
        raise AssertionError("training started before the save target was checked")

    monkeypatch.setattr(cli.train, "new_agent", refuse)


@pytest.mark.parametrize(
    "target",
    [
        "",  # was: nothing saved, no message
        "newdir/",  # was: a file named newdir
        "x" * 300 + ".npz",  # was: an OSError traceback after training
        "missing/run.npz",
        ".",  # a folder
    ],
)
def test_bad_save_targets_fail_before_training(capsys, tmp_path, monkeypatch, no_training, target):
    """Some cases need persist.check_save_target's refusals of '', 'dir/' and long names."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "train", "--save", target)
    assert code == 2, err
    assert err.startswith("tui-taxi: error: ") and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_an_unwritable_save_folder_fails_before_training(capsys, tmp_path, no_training):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    code, _, err = run(capsys, "train", "--save", str(folder / "run.npz"))
    assert code == 2 and len(err.strip().splitlines()) == 1


# -- help ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command", [[], ["train"], ["eval"], ["compare"], ["play"], ["demo"], ["serve"]]
)
def test_help_says_what_each_command_does_and_each_default_once(capsys, command):
    assert exit_status([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "(default: None)" not in out and "SUPPRESS" not in out
    assert "example" in out
    if "--max-steps" in out:
        assert out.count("default: the env's registered limit") <= 1
    if "--alpha" in out:
        assert "exp:START:END:DECAY decays from START down to END" in " ".join(out.split())


def test_demo_help_points_to_export_not_to_the_source_tree(capsys):
    exit_status(["demo", "--help"])
    out = capsys.readouterr().out
    assert "assets/" not in out and "--export FILE" in out


# -- demo --export ---------------------------------------------------------------------------
SHIPPED_TOUR = Path(__file__).resolve().parents[1] / "tui_taxi" / "data" / "tours" / "taxi.tour"


def test_demo_export_writes_the_shipped_tour_and_never_clobbers(capsys, tmp_path):
    path = tmp_path / "my.tour"
    code, out, err = run(capsys, "demo", "--export", str(path))
    assert code == 0, err
    assert path.read_text("utf-8") == SHIPPED_TOUR.read_text("utf-8")
    assert "tui-taxi demo --script" in out
    load_tour(path)  # it runs as a script

    path.write_text("my edits")
    code, _, err = run(capsys, "demo", "--export", str(path))
    assert code == 2 and "exists; use --force to overwrite it" in err
    assert path.read_text() == "my edits"
    assert run(capsys, "demo", "--export", str(path), "--force")[0] == 0
    assert path.read_text("utf-8") == SHIPPED_TOUR.read_text("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my.tour"]  # no temporary files left

    code, _, err = run(capsys, "demo", "--export", str(tmp_path / "no" / "my.tour"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "does not exist" in err


# -- serve -----------------------------------------------------------------------------------
URL = re.compile(r"""\b(?:https?|wss?)://[^\s"'<>)]+""")


async def test_the_served_page_loads_nothing_from_the_internet():
    from aiohttp.test_utils import TestClient, TestServer

    server = make_server("true", "127.0.0.1", 8123)
    async with TestClient(TestServer(await server._make_app())) as client:
        response = await client.get("/")
        assert response.status == 200
        page = await response.text()
        urls = URL.findall(page)
        own = ("http://127.0.0.1:8123/", "ws://127.0.0.1:8123/")
        assert urls and all(url.startswith(own) for url in urls), urls
        for url in urls:  # the font, styles and script it names are served here
            if url.startswith("http"):
                path = url.removeprefix("http://127.0.0.1:8123")
                assert (await client.get(path)).status == 200, path
    assert "fonts/RobotoMono" in page and "googleapis" not in page


# -- each world's defaults, a step budget, the charts, the diagnosis ---------------------------
GAMMAS = (
    "0.6 for Taxi, 0.99 for FrozenLake, 1 for CliffWalking, WindyGridworld, MaximizationBias and "
    "SmallGridworld, 0.95 for DynaMaze, 0.9 for JacksCarRental"
)


@pytest.mark.parametrize("command", [[], ["train"], ["compare"], ["play"]])
def test_help_shows_each_worlds_defaults(capsys, command):
    assert exit_status([*command, "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert GAMMAS in out
    assert "(default: 0.1 in every world)" in out  # epsilon


def test_train_takes_the_worlds_defaults_for_what_is_not_given(capsys, tmp_path):
    path = tmp_path / "lake.npz"
    code, out, err = run(
        capsys, "train", "--env", "FrozenLake-v1", "--no-chart", "--save", str(path)
    )
    assert code == 0, err
    config = TabularAgent.load(path).config
    assert config.gamma == 0.99 and config.alpha == Schedule("linear", 0.1, 0.001, 100_000)
    assert "for 100,000 episodes" in out  # FrozenLake 4x4's budget, 0.1 s
    assert "settings: alpha linear:0.1:0.001:100000, gamma 0.99, epsilon 0.1" in out
    assert "optimal for gamma 0.99 from 1/1 start states (100.0%)" in out
    assert "note:" not in out  # nothing to diagnose

    code, _, err = run(
        capsys,
        "--gamma",
        "0.9",
        "train",
        "--env",
        "FrozenLake-v1",
        "--episodes",
        "10",
        "--no-chart",
        "--save",
        str(path),
    )
    assert code == 0, err
    config = TabularAgent.load(path).config
    assert config.gamma == 0.9 and config.alpha == Schedule("linear", 0.1, 0.001, 100_000)


def test_compare_trains_the_worlds_budget(capsys):
    code, out, err = run(capsys, "compare", "--env", "CliffWalking-v1", "--episodes", "3")
    assert code == 0, err
    assert "trained 500 episodes" in out  # the book's 500 (Example 6.6)
    assert "optimal for gamma 1 from 1/1 start states" in out


@pytest.mark.parametrize(
    ("budget", "episodes", "steps"),
    [
        (["--steps", "8000"], None, 8000),  # the book's Figure 6.3 counts 8,000 steps
        (["--episodes", "5", "--steps", "100000"], 5, None),  # 5 episodes come first
        (["--episodes", "100000", "--steps", "300"], None, 300),  # 300 steps come first
    ],
)
def test_train_by_steps_episodes_or_whichever_runs_out_first(
    capsys, tmp_path, budget, episodes, steps
):
    path = tmp_path / "cliff.npz"
    code, out, err = run(
        capsys, "train", "--env", "CliffWalking-v1", *budget, "--no-chart", "--save", str(path)
    )
    assert code == 0, err
    session = TabularAgent.load(path)
    if steps is not None:
        assert session.total_steps == steps and f"({steps:,} steps)" in out
    else:
        assert session.episode == episodes and f"for {episodes} episodes" in out


def test_serve_without_its_extra_says_how_to_install_it(capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "textual_serve" else real(name, *a),
    )
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err == "tui-taxi: error: serve needs textual-serve: pip install 'tui-taxi[serve]'\n"


def test_the_progress_bar_counts_toward_either_budget():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    def run_at(episodes, steps, budget):
        history = types.SimpleNamespace(recent_mean_return=lambda: -20.0)
        return types.SimpleNamespace(
            budget=budget,
            episodes_done=episodes,
            steps_done=steps,
            elapsed=1.0,
            agent=types.SimpleNamespace(history=history),
        )

    out = Terminal()
    bar = ProgressBar(out)
    bar.update(run_at(45, 2000, Budget(steps=8000)))
    assert "[######------------------] 45 episodes, 2,000/8,000 steps" in out.getvalue()
    both = Budget(episodes=100, steps=8000)
    assert ProgressBar.fraction(run_at(50, 2000, both)) == 0.5  # the nearer end: the episodes
    assert ProgressBar.fraction(run_at(10, 6000, both)) == 0.75
    assert ProgressBar.fraction(run_at(25, 10**9, Budget(episodes=100))) == 0.25


def test_train_prints_the_charts_asked_for_in_order(capsys):
    code, out, err = run(
        capsys,
        "train",
        "--env",
        "CliffWalking-v1",
        "--plot",
        "staircase,return",
        "--plot",
        "steps",
        "--plot",
        "return",
    )
    assert code == 0, err
    titles = ["episodes completed against time steps", "return per episode", "steps per episode"]
    positions = [out.index(title) for title in titles]
    assert positions == sorted(positions)
    assert out.count("return per episode") == 1  # asked twice, drawn once
    assert "time steps" in out and "episodes trained" in out


def test_train_and_eval_say_why_a_setting_cannot_reach_the_goal(capsys, tmp_path):
    path = tmp_path / "lake8.npz"
    code, out, err = run(
        capsys,
        "train",
        "--env",
        "FrozenLake8x8-v1",
        "--gamma",
        "0.6",
        "--episodes",
        "100",
        "--no-chart",
        "--save",
        str(path),
    )
    assert code == 0, err
    note = (
        "note: with gamma 0.6 the +1 at the goal, 14 steps from the start, is worth "
        "0.6**13 = 0.0013 there"
    )
    assert note in out and "try gamma 0.99" in out
    code, out, err = run(capsys, "eval", str(path), "--episodes", "2")
    assert code == 0, err
    assert note in out


def test_a_step_budget_shows_its_progress_and_stops_on_ctrl_c():
    """On a terminal the bar counts steps toward the budget; Ctrl-C ends the run with status
    130 and a line of its own (a run of 10**11 steps would take an hour)."""
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    argv = [
        sys.executable,
        "-m",
        "tui_taxi",
        "train",
        "--env",
        "FrozenLake8x8-v1",
        "--steps",
        "1e11",
        "--no-chart",
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"/100,000,000,000 steps" not in seen:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no progress bar: {seen!r}"
            seen += os.read(master, 4096)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert b" episodes, " in seen and b"steps/s" in seen
    assert b"\ntui-taxi: interrupted" in seen.replace(b"\r\n", b"\n")
