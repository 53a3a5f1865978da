"""Schedules at hand-computed episodes, and the settings a run refuses."""

from __future__ import annotations

import numpy as np
import pytest
from mdps import make_session

from tui_taxi.core.errors import ConfigError
from tui_taxi.core.schedules import Schedule, ScheduleError, parse_schedule
from tui_taxi.core.tabular import TrainConfig


@pytest.mark.parametrize(
    ("episode", "value"),
    [(0, 1.0), (50, 0.55), (99, 1.0 - 0.9 * 0.99), (100, 0.1), (1000, 0.1)],
)
def test_linear_decays_over_exactly_its_episodes(episode, value):
    # 1.0 -> 0.1 over 100 episodes: 1 - 0.9 * episode / 100, then 0.1 for good
    assert Schedule("linear", 1.0, 0.1, 100).value(episode) == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize(
    ("episode", "value"),
    [(0, 1.0), (1, 0.99), (100, 0.36603234127322950), (298, 0.05003662286632561)],
)
def test_exp_decays_by_its_rate_per_episode(episode, value):
    # 0.99**100 = 0.366032341273229...; 0.99**298 = 0.0500366... is still above the floor
    assert Schedule("exp", 1.0, 0.05, 0.99).value(episode) == pytest.approx(value, rel=1e-12)


def test_exp_stops_at_its_floor_from_the_first_episode_below_it():
    # 0.99**k <= 0.05 first at k = ceil(ln 0.05 / ln 0.99) = ceil(298.07) = 299
    schedule = Schedule("exp", 1.0, 0.05, 0.99)
    assert schedule.value(298) > 0.05
    assert [schedule.value(k) for k in (299, 300, 10_000, 10**9)] == [0.05] * 4


def test_constant_is_constant():
    schedule = parse_schedule("0.3")
    assert [schedule.value(k) for k in (0, 1, 10**6)] == [0.3, 0.3, 0.3]


def test_the_kernel_uses_the_schedule_at_the_current_episode(taxi):
    # the epsilon the kernel records for a step is the schedule's value at that episode
    session = make_session(taxi, epsilon=Schedule("linear", 1.0, 0.1, 100), seed=3)
    session.train(episodes=50)
    record, _ = session.step()
    assert record.episode == 50 and record.epsilon == pytest.approx(0.55, abs=1e-12)


@pytest.mark.parametrize("text", ["exp:0.1:1:0.99", "exp:0.05:0.5:0.9"])
def test_exp_upwards_is_refused_in_one_line(text):
    with pytest.raises(ConfigError, match="exp decays from START down to END") as info:
        TrainConfig(epsilon=parse_schedule(text, "epsilon"))
    message = str(info.value)
    assert text in message and "\n" not in message


def test_exp_with_equal_ends_is_a_constant():
    config = TrainConfig(epsilon=parse_schedule("exp:0.2:0.2:0.5", "epsilon"))
    assert config.epsilon.value(0) == config.epsilon.value(1000) == 0.2


@pytest.mark.parametrize("code", [1.5, -1.0, 3.0, np.nan])
def test_schedule_codes_must_be_exact(code):
    with pytest.raises(ScheduleError, match="unknown schedule kind code"):
        Schedule.from_array(np.array([code, 0.1, 0.1, 0.0]))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"gamma": True}, "gamma must be a number in [0, 1], got True"),
        ({"gamma": float("nan")}, "gamma must be in [0, 1], got nan"),
        ({"gamma": float("inf")}, "gamma must be in [0, 1], got inf"),
        ({"seed": True}, "seed must be a whole number >= 0 and < 2**64, got True"),
        ({"seed": 2**64}, "seed must be a whole number >= 0 and < 2**64, got 18446744073709551616"),
        ({"seed": -1}, "seed must be a whole number >= 0"),
        ({"seed": 1.0}, "seed must be a whole number"),
        ({"max_steps": False}, "max-steps must be a whole number >= 0 and < 2**63"),
        ({"max_steps": 2**63}, "max-steps must be a whole number >= 0 and < 2**63"),
        ({"learner": 3}, "learner must be a name, got 3"),
        ({"alpha": "0.1"}, "alpha must be a number in (0, 1], got '0.1'"),
        ({"epsilon": np.nan}, "epsilon must be in [0, 1], got nan"),
        ({"env_kwargs": (("is_rainy",),)}, "env kwargs must be (name, value) pairs"),
    ],
)
def test_bad_settings_are_one_line_config_errors(changes, message):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**changes)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_largest_seed_and_numpy_numbers_are_accepted_as_plain_numbers():
    config = TrainConfig(
        seed=np.uint64(2**64 - 1),
        gamma=np.float32(0.5),
        max_steps=np.int64(7),
        alpha=np.float64(0.2),
    )
    assert (config.seed, config.gamma, config.max_steps) == (2**64 - 1, 0.5, 7)
    assert config.alpha == Schedule.constant(0.2)
    assert (
        type(config.seed) is int and type(config.gamma) is float and type(config.max_steps) is int
    )


def test_time_limit_cannot_drop_to_or_below_the_current_episodes_step(taxi):
    session = make_session(taxi, max_steps=0, epsilon=1.0, seed=4)
    session.train(steps=30)  # the random agent is mid-episode after 30 steps
    t = session.t
    assert t > 5
    with pytest.raises(ConfigError, match=f"above the current episode's {t} steps, got {t}"):
        session.reconfigure(max_steps=t)
    session.reconfigure(max_steps=t + 1)
    session.train(steps=1)
    assert session.t == 0  # the next step was the last one allowed
