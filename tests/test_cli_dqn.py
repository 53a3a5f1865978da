"""The command line with --agent dqn: train, eval and compare of DQN saves, the app's options,
the help made from DQNConfig's fields, and bad input (one line, exit status 2, nothing
overwritten). Driven in-process, with budgets of a few thousand steps."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re

import gymnasium as gym
import numpy as np
import pytest

import tui_taxi
from tui_taxi.cli import main
from tui_taxi.core.agent import Budget
from tui_taxi.core.dqn.agent import CLI_OPTIONS as DQN_OPTIONS
from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.tabular import TabularAgent
from tui_taxi.core.training import train
from tui_taxi.progress import ProgressBar


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def exit_status(argv):
    """main's return value, or argparse's exit status for malformed flags."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def quietly(*argv) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(list(argv)) == 0


@pytest.fixture(scope="module")
def cartpole_save(tmp_path_factory):
    """A DQN trained 2,000 steps on CartPole-v1 by the CLI (learning from step 200)."""
    path = tmp_path_factory.mktemp("dqn") / "cart.npz"
    quietly(
        "train",
        "--agent",
        "dqn",
        "--total-timesteps",
        "2000",
        "--learning-starts",
        "200",
        "--no-chart",
        "--save",
        str(path),
    )
    return path


@pytest.fixture(scope="module")
def taxi_save(tmp_path_factory):
    """A one-hot DQN on Taxi, 2,000 steps (far from trained: the files are what is tested)."""
    path = tmp_path_factory.mktemp("dqn") / "taxi.npz"
    quietly(
        "train",
        "--agent",
        "dqn",
        "--env",
        "Taxi-v4",
        "--total-timesteps",
        "2000",
        "--no-chart",
        "--save",
        str(path),
    )
    return path


# -- train -----------------------------------------------------------------------------------
def test_train_prints_both_curves_an_evaluation_and_saves_what_was_asked(capsys, tmp_path):
    path = tmp_path / "run.npz"
    code, out, err = run(
        capsys,
        "train",
        "--agent",
        "dqn",
        "--total-timesteps",
        "1500",
        "--learning-starts",
        "200",
        "--hidden",
        "32",
        "--double",
        "--learning-rate",
        "1e-3",
        "--seed",
        "4",
        "--save",
        str(path),
        "--save-buffer",
    )
    assert code == 0, err
    assert "return per episode" in out and "mean TD loss (Huber) per episode" in out
    loss_chart = out[out.index("mean TD loss") :]
    assert "loss" in loss_chart.splitlines()[2]  # the legend names the losses, not returns
    assert "trained Double DQN + 3-step on CartPole-v1 for 1,500 steps" in out
    assert "greedy evaluation over 100 episodes (time limit 500 steps):" in out
    # CartPole pays 1 a step: the mean return and the mean length are one number
    mean_return = float(re.search(r"mean return per episode\s+([\d.]+)", out).group(1))
    mean_steps = float(re.search(r"mean steps per episode\s+([\d.]+)", out).group(1))
    assert mean_return == mean_steps
    agent = tui_taxi.load(path)
    assert isinstance(agent, DQNAgent)
    c = agent.config
    assert (c.hidden, c.double, c.learning_rate, c.seed, c.total_timesteps) == (
        (32,),
        True,
        1e-3,
        4,
        1500,
    )
    assert agent.total_steps == 1500
    assert agent.buffer_fill == 1500  # every transition kept (the buffer holds 100,000)
    assert f"saved to {path}" in out


def test_without_save_buffer_the_replay_buffer_stays_behind(cartpole_save):
    agent = tui_taxi.load(cartpole_save)
    assert agent.total_steps == 2000 and agent.buffer_fill == 0


def test_steps_and_total_timesteps_are_one_budget(capsys, tmp_path):
    code, out, err = run(
        capsys,
        "train",
        "--total-timesteps",
        "5000",
        "--no-chart",
        "--save",
        str(tmp_path / "table.npz"),
    )
    assert code == 0, err
    session = tui_taxi.load(tmp_path / "table.npz")
    assert isinstance(session, TabularAgent) and session.total_steps == 5000  # as --steps 5000
    code, out, err = run(
        capsys,
        "train",
        "--agent",
        "dqn",
        "--steps",
        "700",
        "--no-chart",
        "--save",
        str(tmp_path / "net.npz"),
    )
    assert code == 0, err
    agent = tui_taxi.load(tmp_path / "net.npz")
    assert agent.total_steps == agent.config.total_timesteps == 700
    assert "epsilon 1->0.04 over 56 steps" in out  # the schedule spans 0.08 of 700 steps


def test_the_keras_rl_preset_is_the_courses_run_and_options_refine_it(capsys, tmp_path):
    path = tmp_path / "keras.npz"
    code, out, err = run(
        capsys,
        "train",
        "--agent",
        "dqn",
        "--preset",
        "keras-rl",
        "--total-timesteps",
        "300",
        "--no-chart",
        "--save",
        str(path),
    )
    assert code == 0, err
    c = tui_taxi.load(path).config
    # the course's recipe (the words): CartPole-v0, one hidden layer of 16 units,
    # epsilon 0.1, a memory of 50,000, a warm-up of 10 steps, a soft update of 0.01, lr 1e-3
    assert (
        c.env_id,
        c.hidden,
        c.start_e,
        c.end_e,
        c.buffer_size,
        c.learning_starts,
        c.tau,
        c.learning_rate,
    ) == ("CartPole-v0", (16,), 0.1, 0.1, 50_000, 10, 0.01, 1e-3)
    assert "time limit 200" in out  # CartPole-v0's
    code, out, err = run(
        capsys,
        "train",
        "--agent",
        "dqn",
        "--preset",
        "keras-rl",
        "--hidden",
        "8,8",
        "--steps",
        "100",
        "--no-chart",
        "--save",
        str(path),
    )
    assert code == 0, err
    assert tui_taxi.load(path).config.hidden == (8, 8)


def test_a_dqn_on_taxi_is_judged_against_the_exact_optimum(capsys, taxi_save):
    code, out, err = run(capsys, "eval", str(taxi_save))
    assert code == 0, err
    assert "DQN on Taxi-v4, 2,000 steps trained" in out
    assert "success rate" in out
    assert re.search(r"policy optimality: greedy policy optimal for gamma 0\.9 from \d+/300", out)
    code, out, err = run(capsys, "compare", str(taxi_save))
    assert code == 0, err
    rows = {line[:29].strip(): line[29:].split() for line in out.splitlines() if "average" in line}
    # the optimum column, by value iteration (as for the tabular agent): 13.07 steps a trip
    assert float(rows["average timesteps per episode"][2]) == 13.07
    assert "trained agent: DQN" in out


def test_eval_and_compare_read_a_cartpole_save(capsys, cartpole_save):
    code, out, err = run(capsys, "eval", str(cartpole_save), "--episodes", "20")
    assert code == 0, err
    assert "DQN + 3-step on CartPole-v1, 2,000 steps trained" in out
    assert "greedy evaluation over 20 episodes (time limit 500 steps)" in out
    code, out, err = run(capsys, "compare", str(cartpole_save))
    assert code == 0, err
    random_steps = float(re.search(r"random agent\s+([\d.]+)", out).group(1))
    # a random policy on Gymnasium's own CartPole-v1, other starts and other coin flips: about
    # 22 steps, episodes spread about 12 (a difference of two means of 100 within 6)
    env, rng, lengths = gym.make("CartPole-v1"), np.random.default_rng(99), []
    for seed in range(1000, 1100):
        env.reset(seed=seed)
        done, t = False, 0
        while not done:
            _, _, terminated, truncated, _ = env.step(int(rng.integers(2)))
            done, t = terminated or truncated, t + 1
        lengths.append(t)
    assert random_steps == pytest.approx(np.mean(lengths), abs=6)
    assert "DQN + 3-step (greedy)" in out and "2,000 steps trained" in out


def test_the_progress_bar_counts_a_dqns_steps():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    agent = DQNAgent(DQNConfig(total_timesteps=600, learning_starts=100))
    train(agent, Budget(steps=600), progress=ProgressBar(out))
    assert agent.total_steps == 600
    last = out.getvalue().split("\r")[-1]
    assert "600/600 steps" in last and "[########################]" in last
    assert f"mean return (last 100) {agent.history.recent_mean_return():.2f}" in last


# -- help ------------------------------------------------------------------------------------
def test_help_has_a_dqn_heading_with_each_fields_help_and_default(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    section = out[out.index("deep Q-learning (--agent dqn") :].split("\n\n")[0]
    entries = {
        entry.split()[0].rstrip(","): " ".join(entry.split())
        for entry in re.split(r"\n  (?=--)", section)[1:]
    }
    fields = {f.name: f for f in dataclasses.fields(DQNConfig)}
    for name in DQN_OPTIONS:
        flag = "--" + name.replace("_", "-")
        assert fields[name].metadata["help"] in entries[flag], flag
        assert "(default: " in entries[flag], flag
    assert "--agent {tabular,dqn}" in out and "--preset NAME" in out and "--save-buffer" in out
    assert entries["--double"].startswith("--double, --no-double")
    assert "(default: 0.0023 [0.001])" in entries["--learning-rate"]  # CartPole's [a table's]
    assert "(default: 64,64 [64])" in entries["--hidden"]


# -- the app ---------------------------------------------------------------------------------
def _fake_app(monkeypatch):
    import tui_taxi.cli as cli
    import tui_taxi.ui.app as ui_app

    seen = {}

    class FakeApp:
        return_code = 0

        def run(self):
            pass

    def create_app(config, **options):
        seen["call"] = (config, options)
        return FakeApp()

    monkeypatch.setattr(cli.app, "require_terminal", lambda: None)
    monkeypatch.setattr(ui_app, "create_app", create_app)
    return seen


def test_the_app_and_play_get_a_dqn_config(monkeypatch):
    seen = _fake_app(monkeypatch)
    assert main(["--agent", "dqn", "--env", "CartPole-v1", "--hidden", "32", "--tau", "0.5"]) == 0
    config, options = seen["call"]
    assert isinstance(config, DQNConfig)
    assert (config.env_id, config.hidden, config.tau) == ("CartPole-v1", (32,), 0.5)
    assert not options["manual"]
    assert main(["play", "--agent", "dqn", "--preset", "keras-rl"]) == 0
    config, options = seen["call"]
    assert config.env_id == "CartPole-v0" and options["manual"]
    assert main(["--agent", "dqn", "play", "--env", "FrozenLake-v1"]) == 0
    assert seen["call"][0].env_id == "FrozenLake-v1"  # one-hot states


def test_the_app_loads_a_dqn_save_and_names_the_options_it_ignores(
    monkeypatch, capsys, cartpole_save
):
    seen = _fake_app(monkeypatch)
    assert main(["--load", str(cartpole_save), "--learning-rate", "0.01", "--agent", "dqn"]) == 0
    assert seen["call"][0] is None and seen["call"][1]["load"] == str(cartpole_save)
    assert "ignoring --agent, --learning-rate" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--agent", "dqn", "--alpha", "0.5"],
            "--alpha is a tabular setting; DQN's is --learning-rate",
        ),
        (["play", "--tau", "0.5"], "--tau is a DQN setting: add --agent dqn"),
        (["--total-timesteps", "500"], "--total-timesteps is a DQN setting"),
        (["--agent", "dqn", "--env", "Pendulum-v1"], "Pendulum-v1"),
        (["play", "--agent", "dqn", "--batch-size", "0"], "batch-size must be an integer in [1,"),
    ],
)
def test_the_app_refuses_bad_dqn_options_before_it_starts(monkeypatch, capsys, argv, message):
    seen = _fake_app(monkeypatch)
    assert exit_status(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert "call" not in seen


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--", "--agent", "dqn", "--env", "Blackjack-v1"], "Blackjack-v1"),
        (["serve", "--", "--agent", "dqn", "--hidden", "0"], "hidden must be 1-4 layer sizes"),
        (["serve", "--", "--learning-rate", "0.1"], "--learning-rate is a DQN setting"),
    ],
)
def test_serve_checks_a_dqn_run_before_serving(capsys, argv, message):
    assert exit_status(argv) == 2
    assert message in capsys.readouterr().err


# -- bad input -------------------------------------------------------------------------------
DQN = ["train", "--agent", "dqn"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*DQN, "--env", "Blackjack-v1"], "cannot run Blackjack-v1 (Tuple observations, Discrete"),
        ([*DQN, "--env", "Pendulum-v1"], "cannot run Pendulum-v1 (Box observations, Box actions)"),
        (
            [*DQN, "--env", "Acrobot-v1", "--env-kwarg", "spin=1"],
            "does not accept keyword argument 'spin'",
        ),
        (
            [*DQN, "--env", "LunarLander-v3"],
            "LunarLander-v3 cannot be loaded: DependencyNotInstalled: Box2D is not installed",
        ),
        (["train", "--env", "Acrobot-v1"], "a DQN learns it: --agent dqn"),
        (["compare", "--agent", "dqn"], "for a DQN: 'tui-taxi train --agent dqn --save run.npz'"),
        (["play", "--agent", "dqn", "--env", "Acrobot-v1"], "play: CartPole and the grid worlds"),
        ([*DQN, "--env", "Taxi-v9"], "unknown env id 'Taxi-v9'"),
        (
            [*DQN, "--env-kwarg", "is_rainy=true"],
            "CartPole-v1 does not accept keyword argument 'is_rainy'",
        ),
        (
            [*DQN, "--env-kwarg", "sutton_barto_reward=true"],
            "CartPole-v1 takes no env keyword arguments here",
        ),
        ([*DQN, "--alpha", "0.1"], "--alpha is a tabular setting; DQN's is --learning-rate"),
        ([*DQN, "--epsilon", "0.1"], "--epsilon is a tabular setting; DQN's is --start-e"),
        ([*DQN, "--learner", "sarsa"], "--learner is a tabular setting; DQN's is --double"),
        (["train", "--learning-rate", "0.1"], "--learning-rate is a DQN setting: add --agent dqn"),
        (["train", "--preset", "keras-rl"], "--preset is a DQN setting: add --agent dqn"),
        (["train", "--env", "CartPole-v1"], "a DQN learns it: --agent dqn"),
        ([*DQN, "--preset", "sb3"], "argument --preset: invalid choice: 'sb3'"),
        ([*DQN, "--learning-rate", "0"], "learning-rate must be in (0, 1], got 0.0"),
        ([*DQN, "--learning-rate", "1.5"], "learning-rate must be in (0, 1], got 1.5"),
        ([*DQN, "--learning-rate", "nan"], "learning-rate must be a number in (0, 1], got nan"),
        ([*DQN, "--learning-rate", "fast"], "--learning-rate: 'fast' is not a number"),
        ([*DQN, "--gamma", "1.01"], "gamma must be in [0, 1], got 1.01"),
        ([*DQN, "--tau", "0"], "tau must be in (0, 1], got 0.0"),
        ([*DQN, "--buffer-size", "0"], "buffer-size must be an integer in [1, 10,000,000], got 0"),
        ([*DQN, "--buffer-size", "1e8"], "buffer-size must be an integer in [1, 10,000,000]"),
        ([*DQN, "--batch-size", "2.5"], "--batch-size: '2.5' is not a whole number"),
        ([*DQN, "--start-e", "-0.1"], "start-e must be in [0, 1], got -0.1"),
        ([*DQN, "--exploration-fraction", "1.5"], "exploration-fraction must be in [0, 1]"),
        ([*DQN, "--target-network-frequency", "0"], "target-network-frequency must be an integer"),
        ([*DQN, "--train-frequency", "0"], "train-frequency must be an integer in [1,"),
        ([*DQN, "--max-grad-norm", "-1"], "max-grad-norm must be in [0, 1e+12], got -1.0"),
        ([*DQN, "--hidden", "0"], "hidden must be 1-4 layer sizes in [1, 1024]"),
        ([*DQN, "--hidden", "2000"], "hidden must be 1-4 layer sizes in [1, 1024]"),
        ([*DQN, "--hidden", "8,8,8,8,8"], "hidden must be 1-4 layer sizes"),
        ([*DQN, "--hidden", "64,x"], "--hidden: hidden layer sizes must be whole numbers"),
        ([*DQN, "--total-timesteps", "0"], "total-timesteps must be an integer in [1,"),
        ([*DQN, "--episodes", "10"], "--episodes: a DQN's budget is in steps"),
        ([*DQN, "--steps", "10", "--total-timesteps", "20"], "are the same budget; give one"),
        ([*DQN, "--save-buffer"], "--save-buffer goes with --agent dqn and --save FILE"),
        (["train", "--save-buffer", "--save", "x.npz"], "--save-buffer goes with --agent dqn"),
        (["--agent", "dqn", "compare"], "--agent does not apply to 'compare'"),
        (["eval", "x.npz", "--agent", "dqn"], "unrecognized arguments for 'eval'"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert exit_status(argv) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.startswith("tui-taxi: error: ") and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_eval_of_a_dqn_save_takes_a_time_limit_as_a_tables_does(capsys, cartpole_save):
    code, out, err = run(capsys, "eval", str(cartpole_save), "--max-steps", "10")
    assert code == 0, err
    assert "(time limit 10 steps)" in out
    assert "mean steps per episode         10.00" in out  # the greedy pole lasts 10 steps


def _damaged(source, target, damage: str):
    arrays = dict(np.load(source))
    if damage == "truncated":
        raw = source.read_bytes()
        target.write_bytes(raw[: len(raw) // 2])
        return
    if damage == "short weights":
        arrays["theta"] = arrays["theta"][:-1]
    elif damage == "a matrix for a vector":
        arrays["target"] = arrays["target"].reshape(1, -1)
    elif damage == "NaN weights":
        arrays["theta"][7] = np.nan
    elif damage == "no optimizer state":
        del arrays["adam_m"]
    np.savez(target, **arrays)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncated", "corrupt or truncated"),
        ("short weights", "theta has shape"),
        ("a matrix for a vector", "target has shape (1, "),
        ("NaN weights", "theta contains NaN"),
        ("no optimizer state", "adam_m"),
    ],
)
@pytest.mark.parametrize("command", ["eval", "compare"])
def test_a_damaged_dqn_save_is_one_line(capsys, tmp_path, cartpole_save, damage, message, command):
    path = tmp_path / "bad.npz"
    _damaged(cartpole_save, path, damage)
    assert exit_status([command, str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_nothing_is_overwritten_and_the_target_is_checked_before_training(
    capsys, tmp_path, monkeypatch
):
    target = tmp_path / "keep.npz"
    target.write_bytes(b"precious")
    for bad in (["--learning-rate", "0"], ["--env", "Pendulum-v1"], ["--hidden", "0"]):
        assert exit_status([*DQN, *bad, "--save", str(target)]) == 2
        assert target.read_bytes() == b"precious"
    import tui_taxi.cli as cli

    def refuse(*args, **kwargs):
        raise AssertionError("training started before the save target was checked")

    monkeypatch.setattr(cli.train, "new_agent", refuse)
    capsys.readouterr()
    for where in (tmp_path / "missing" / "run.npz", tmp_path):
        code, _, err = run(capsys, *DQN, "--save", str(where))
        assert code == 2 and err.startswith("tui-taxi: error: ")
        assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.npz"]


def test_training_stops_once_the_greedy_policy_reaches_the_reward_threshold(capsys, tmp_path):
    """Non-slippery FrozenLake (Gymnasium's threshold: success 0.7) is learnt in a few thousand
    steps: the run stops at the first check (every 2,500 steps) that finds the greedy policy
    there, and what it saved walks Gymnasium's lake to the goal by the 6-move shortest path."""
    lake = [
        "--env",
        "FrozenLake-v1",
        "--env-kwarg",
        "is_slippery=false",
        "--target-network-frequency",
        "100",
        "--learning-starts",
        "200",
        "--no-chart",
    ]
    path = tmp_path / "lake.npz"
    code, out, err = run(capsys, *DQN, *lake, "--total-timesteps", "20000", "--save", str(path))
    assert code == 0, err
    model = tui_taxi.load(path)
    assert model.total_steps % 2500 == 0 and model.total_steps < 20_000
    # a discrete world's goal: the greedy policy optimal from every start (the exact optimum)
    assert f"optimal from every start state at {model.total_steps:,} steps: the greedy" in out
    assert "success rate                   100.0%" in out
    env = gym.make("FrozenLake-v1", is_slippery=False)
    obs, _ = env.reset(seed=0)
    for _ in range(6):
        obs, reward, terminated, _, _ = env.step(model.predict(obs)[0])
    assert terminated and reward == 1.0
    code, out, err = run(
        capsys,
        *DQN,
        *lake,
        "--total-timesteps",
        "6000",
        "--no-stop-when-solved",
        "--save",
        str(path),
    )
    assert code == 0, err
    assert tui_taxi.load(path).total_steps == 6000 and "stopped there" not in out
