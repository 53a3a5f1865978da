"""The Python API in Stable-Baselines3's shape: a saved agent, loaded by tui_taxi.load, drives a
plain gymnasium.make env in the user's own loop."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap

import gymnasium as gym
import numpy as np
import pytest

import tui_taxi
from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.optimal import solve
from tui_taxi.core.tabular import TabularAgent, TrainConfig


@pytest.fixture(scope="module")
def balanced(tmp_path_factory):
    """The DQN defaults trained on CartPole-v1 until greedy evaluation reaches the env's reward
    threshold (475) or 60,000 steps pass, then saved."""
    agent = DQNAgent(DQNConfig(seed=1))
    best = 0.0
    while agent.total_steps < 60_000 and best < 475:
        agent.learn(total_timesteps=5_000)
        best = agent.evaluate(100).mean_return
    path = tmp_path_factory.mktemp("api") / "cart.npz"
    agent.save(path)
    return best, path


def test_the_defaults_balance_cartpole(balanced):
    best, _ = balanced
    assert best >= 475


def test_a_saved_dqn_drives_gymnasiums_cartpole(balanced):
    _, path = balanced
    model = tui_taxi.load(path)
    env = gym.make("CartPole-v1")
    lengths = []
    for seed in range(5):
        obs, _ = env.reset(seed=seed)
        done, steps = False, 0
        while not done:
            action, state = model.predict(obs, deterministic=True)
            assert state is None
            obs, _, terminated, truncated, _ = env.step(action)
            done, steps = terminated or truncated, steps + 1
        lengths.append(steps)
    assert sum(length == 500 for length in lengths) >= 4  # most starts balanced to the limit


def test_a_saved_tabular_agent_drives_gymnasiums_taxi_optimally(tmp_path):
    session = TabularAgent(TrainConfig(seed=0)).learn(total_timesteps=3_000_000)
    session.save(tmp_path / "taxi.npz")
    model = tui_taxi.load(tmp_path / "taxi.npz")
    optimum = solve(model.model)
    env = gym.make("Taxi-v4")
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        start, done, steps = obs, False, 0
        while not done:
            action, _ = model.predict(obs)
            obs, _, terminated, truncated, _ = env.step(action)
            done, steps = terminated or truncated, steps + 1
        assert terminated and steps == optimum.steps[start]  # delivered by the shortest route


def test_predict_checks_its_observation_and_samples_when_asked():
    session = TabularAgent(TrainConfig(seed=0))
    with pytest.raises(ValueError, match="0-499"):
        session.predict(500)
    session.reconfigure(epsilon=session.config.epsilon.constant(1.0))
    actions = {session.predict(0, deterministic=False)[0] for _ in range(200)}
    assert actions == set(range(6))  # epsilon 1: every action, from predict's own generator
    before = session.rng.copy()
    session.predict(3, deterministic=False)
    np.testing.assert_array_equal(session.rng, before)  # training's generator untouched


# -- the package's surface -------------------------------------------------------------------
def test_the_package_exports_what_training_from_python_needs():
    assert tui_taxi.TabularAgent is TabularAgent and tui_taxi.TrainConfig is TrainConfig
    assert tui_taxi.DQNAgent is DQNAgent and tui_taxi.DQNConfig is DQNConfig
    assert {"load", "Session", "TrainConfig", "DQNAgent", "DQNConfig"} <= set(dir(tui_taxi))
    with pytest.raises(AttributeError, match="no attribute 'Sesion'"):
        tui_taxi.Sesion  # noqa: B018


def test_importing_the_package_stays_light():
    code = (
        "import sys, tui_taxi; heavy = ('numba', 'textual', 'tui_taxi.core.tabular.agent', 'tui_taxi.core.dqn.agent'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_docstring_example_runs_and_delivers_the_passenger(tmp_path, monkeypatch):
    after = tui_taxi.__doc__.split("::\n\n")[1].splitlines()
    example = "\n".join(itertools.takewhile(lambda line: not line or line[0] == " ", after))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(textwrap.dedent(example), namespace)  # noqa: S102  (our own docstring)
    assert namespace["terminated"] and namespace["reward"] == 20  # the drop-off's reward
    assert (tmp_path / "taxi.npz").exists()


# -- Session.predict, learn, save --------------------------------------------------------------
@pytest.mark.parametrize(
    "observation", [7, np.int64(7), np.uint8(7), np.array(7), np.array(7, np.int32)]
)
def test_predict_takes_a_state_index_as_gymnasium_gives_it(observation):
    session = TabularAgent(TrainConfig(seed=0))
    session.q[7] = [1.0, 3.0, 3.0, 0.0, 3.0, 2.0]
    assert session.predict(observation) == (1, None)  # tied best: the lowest index


@pytest.mark.parametrize(
    ("observation", "shown"),
    [
        (2.5, "got 2.5"),
        (np.float64(3.0), "got np.float64(3.0)"),
        (True, "got True"),
        ("3", "got '3'"),
        (None, "got None"),
        (np.array([[3]]), "got an array of shape (1, 1)"),
        (-1, "got -1"),
        (500, "got 500"),
        (np.int64(10**6), "got 1000000"),
    ],
)
def test_predict_refuses_what_is_not_a_state_in_one_line(observation, shown):
    session = TabularAgent(TrainConfig(seed=0))
    with pytest.raises(ValueError, match="0-499") as info:
        session.predict(observation)
    assert shown in str(info.value) and "\n" not in str(info.value)


def test_learn_trains_exactly_the_steps_asked_and_returns_the_session(capsys):
    session = TabularAgent(TrainConfig(seed=3))
    assert session.learn(total_timesteps=12_345) is session
    assert session.total_steps == 12_345  # episodes end on the way; the count is of steps
    session.learn(655)
    assert session.total_steps == 13_000
    shown = TabularAgent(TrainConfig(seed=3)).learn(13_000, progress_bar=True)
    np.testing.assert_array_equal(shown.q, session.q)  # the bar changes nothing of the run
    bar = capsys.readouterr().err
    assert "13,000/13,000 steps" in bar.split("\r")[-1] and bar.endswith("\n")
    for bad in (-1, 2.5, True, "10"):
        with pytest.raises(ConfigError, match="total_timesteps must be a whole number >= 0"):
            session.learn(bad)
    assert session.total_steps == 13_000


def test_save_returns_the_path_it_wrote(tmp_path):
    session = TabularAgent(TrainConfig(seed=0)).learn(1000)
    path = session.save(tmp_path / "s.npz")
    assert path == tmp_path / "s.npz" and tui_taxi.load(path).total_steps == 1000


# -- a DQN through the same API ----------------------------------------------------------------
def test_a_dqn_learns_saves_and_checks_its_observations(tmp_path):
    agent = DQNAgent(DQNConfig(seed=0, learning_starts=100)).learn(total_timesteps=300)
    assert agent.total_steps == 300
    path = agent.save(tmp_path / "cart.npz")
    assert tui_taxi.load(path).total_steps == 300
    for bad, shown in (
        ([0.0, 0.0, 0.0], "must be 4 numbers or rows of them, got shape (3,)"),
        ([0.0, np.nan, 0.0, 0.0], "must be finite numbers, got [0.0, nan, 0.0, 0.0]"),
    ):
        with pytest.raises(ValueError) as info:
            agent.predict(bad)
        assert str(info.value) == f"observation {shown}"
    action, state = agent.predict(np.zeros(4, np.float32))
    assert action in (0, 1) and state is None


def test_a_one_hot_dqn_walks_gymnasiums_frozen_lake_by_the_shortest_path(tmp_path):
    """Non-slippery FrozenLake 4x4 (SFFF/FHFH/FFFH/HFFG): the goal is 6 moves away (3 down, 3
    right: no shorter path exists), and a DQN learns that within 10,000 steps."""
    lake = (("is_slippery", False),)
    config = DQNConfig(
        env_id="FrozenLake-v1",
        env_kwargs=lake,
        total_timesteps=10_000,
        train_frequency=1,
        gradient_steps=1,
        target_network_frequency=100,
        learning_starts=200,
        learning_rate=1e-3,
        hidden=(64,),
        gamma=0.9,
        exploration_fraction=0.3,
        end_e=0.05,
        seed=0,
    )
    DQNAgent(config).learn().save(tmp_path / "lake.npz")
    model = tui_taxi.load(tmp_path / "lake.npz")
    env = gym.make("FrozenLake-v1", is_slippery=False)
    obs, _ = env.reset(seed=0)
    done, steps = False, 0
    while not done:
        action, _ = model.predict(obs)
        obs, reward, terminated, truncated, _ = env.step(action)
        done, steps = terminated or truncated, steps + 1
    assert (terminated, reward, steps) == (True, 1.0, 6)


def test_a_one_hot_dqn_on_taxi_drives_gymnasiums_taxi_as_its_network_says(tmp_path):
    """A DQN on Taxi, saved and loaded, drives gymnasium.make's Taxi: each episode is the walk
    that the network's greedy actions (before saving) take through Gymnasium's own transition
    table P, to the drop-off or to the 200-step limit. (Training a DQN to Taxi's optimum takes
    about 90,000 steps, 30 s here: too long for a test; the file and the loop are tested.)"""
    agent = DQNAgent(
        DQNConfig(
            env_id="Taxi-v4",
            total_timesteps=1500,
            train_frequency=1,
            gradient_steps=1,
            learning_starts=500,
            seed=2,
        )
    )
    agent.learn()
    greedy = agent.q_table().argmax(axis=1)
    agent.save(tmp_path / "taxi.npz")
    model = tui_taxi.load(tmp_path / "taxi.npz")
    env = gym.make("Taxi-v4")
    P = env.unwrapped.P
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        expected, s = [], int(obs)
        for _ in range(200):  # the registered time limit
            [(_, s, _, terminated)] = P[s][int(greedy[s])]
            expected.append(s)
            if terminated:
                break
        visited, done = [], False
        while not done:
            action, _ = model.predict(obs)
            obs, _, terminated, truncated, _ = env.step(action)
            visited.append(int(obs))
            done = terminated or truncated
        assert visited == expected


def test_load_refuses_a_missing_or_damaged_file_in_one_line(tmp_path):
    from tui_taxi.core.errors import SaveFileError

    path = TabularAgent(TrainConfig(seed=0)).learn(100).save(tmp_path / "s.npz")
    path.write_bytes(path.read_bytes()[:200])  # cut short
    (tmp_path / "text.npz").write_text("not an archive")
    for bad, said in (
        (tmp_path / "none.npz", "no such file"),
        (path, "corrupt or truncated"),
        (tmp_path / "text.npz", "not an .npz archive"),
    ):
        with pytest.raises(SaveFileError, match=said) as info:
            tui_taxi.load(bad)
        assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


@pytest.mark.parametrize("kind", ["table on Taxi", "network on CartPole"])
def test_predict_drives_gymnasiums_vector_envs_one_action_per_row(kind):
    """What SB3's helpers and vectorized envs pass: a batch of observations (Taxi's (n,) state
    indices, CartPole's (n, 4) rows), answered with one action per row, each the action the
    single observation gets; the vector env steps with them."""
    from tui_taxi.core.dqn import DQNConfig
    from tui_taxi.core.tabular import TabularAgent, TrainConfig

    if kind == "table on Taxi":
        agent = TabularAgent(TrainConfig(seed=0)).learn(50_000)
    else:
        agent = DQNAgent(DQNConfig(seed=0, learning_starts=100)).learn(2_000)
    envs = gym.make_vec(agent.config.env_id, num_envs=4, vectorization_mode="sync")
    try:
        obs, _ = envs.reset(seed=0)
        for _ in range(20):
            actions, state = agent.predict(obs, episode_start=np.zeros(4, bool))
            assert state is None and actions.shape == (4,)
            assert list(actions) == [agent.predict(row)[0] for row in obs]
            obs, *_ = envs.step(actions)
    finally:
        envs.close()


def test_the_readmes_python_example_runs_as_written():
    import re
    from pathlib import Path

    readme = Path(__file__).resolve().parents[1] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), re.S)  # (indented in a list)
    assert blocks, "the README has a Python example"
    for block in blocks:
        exec(compile(textwrap.dedent(block), "README.md", "exec"), {})
