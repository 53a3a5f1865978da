"""Session-wide fixtures: the compiled Taxi and the tutorial's trained agent."""

from __future__ import annotations

import pytest

from tui_taxi.core.envs import compile_env
from tui_taxi.core.tabular import TabularAgent, TrainConfig


@pytest.fixture(scope="session")
def taxi():
    return compile_env("Taxi-v4")


@pytest.fixture(scope="session")
def trained_taxi():
    """The tutorial's run: 100k episodes, alpha 0.1, gamma 0.6, epsilon 0.1 (about 0.2 s)."""
    session = TabularAgent(TrainConfig())
    session.train(episodes=100_000)
    return session
