"""Envs with a Box observation and Discrete actions that the kernel cannot step (Acrobot,
MountainCar, ...): Gymnasium steps them, in Python, between kernel calls."""

from __future__ import annotations

import numpy as np

from tui_taxi.core.envs import make_gym_env
from tui_taxi.core.errors import ConfigError


def box_env(env_id: str, env_kwargs=()) -> tuple[int, int] | None:
    """(actions, observation length) when ``env_id`` has a Box observation and Discrete
    actions; None when its observations are discrete (a compiled env's) or it is not known."""
    import gymnasium as gym
    from gymnasium import spaces

    try:
        gym.spec(env_id)
    except gym.error.Error:
        return None
    env = make_gym_env(env_id, env_kwargs)
    try:
        obs, act = env.observation_space, env.action_space
        if isinstance(obs, spaces.Discrete):
            return None
        if not (isinstance(obs, spaces.Box) and isinstance(act, spaces.Discrete)):
            raise ConfigError(
                f"DQN cannot run {env_id} ({type(obs).__name__} observations, "
                f"{type(act).__name__} actions): it runs envs with a Box observation and "
                "Discrete actions (CartPole-v1, Acrobot-v1, MountainCar-v0, ...) and the "
                "discrete worlds (Taxi-v4, FrozenLake-v1, CliffWalking-v1, "
                "tui_taxi/WindyGridworld-v0)"
            )
        return int(act.n), int(np.prod(obs.shape))
    finally:
        env.close()
