"""The Python API in Stable-Baselines3's shape: a saved agent, loaded by tui_taxi.load, drives a
plain gymnasium.make env in the user's own loop."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import tui_taxi
from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.optimal import solve
from tui_taxi.core.session import Session, TrainConfig


@pytest.fixture(scope="module")
def balanced(tmp_path_factory):
    """The DQN defaults trained on CartPole-v1 until greedy evaluation reaches the env's reward
    threshold (475) or 60,000 steps pass, then saved."""
    agent = DQNAgent(DQNConfig(seed=1))
    best = 0.0
    while agent.total_steps < 60_000 and best < 475:
        agent.learn(total_timesteps=5_000)
        best = float(agent.evaluate(100).episodic_return.mean())
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
    session = Session(TrainConfig(seed=0)).learn(total_timesteps=3_000_000)
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
    session = Session(TrainConfig(seed=0))
    with pytest.raises(ValueError, match="0-499"):
        session.predict(500)
    session.reconfigure(epsilon=session.config.epsilon.constant(1.0))
    actions = {session.predict(0, deterministic=False)[0] for _ in range(200)}
    assert actions == set(range(6))  # epsilon 1: every action, from predict's own generator
    before = session.rng.copy()
    session.predict(3, deterministic=False)
    np.testing.assert_array_equal(session.rng, before)  # training's generator untouched
