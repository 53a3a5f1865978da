"""Envs with a Box observation and Discrete actions that the kernel cannot step (Acrobot,
MountainCar, ...): Gymnasium steps them, in Python, between kernel calls."""

from __future__ import annotations

import functools

import numpy as np

from tui_taxi.core.session import ConfigError

#: Names of the actions of some Box-observation envs (others: "action 0", "action 1", ...).
GYM_ACTIONS = {
    "Acrobot-v1": ("torque -1", "torque 0", "torque +1"),
    "MountainCar-v0": ("Left", "None", "Right"),
    "LunarLander-v3": ("None", "Left engine", "Main engine", "Right engine"),
}


#: Names of the observation's components of some Box-observation envs (others: "obs[i]").
OBS_NAMES = {
    "Acrobot-v1": ("cos θ1", "sin θ1", "cos θ2", "sin θ2", "θ1'", "θ2'"),
    "MountainCar-v0": ("position x", "velocity x'"),
}


def obs_names(env_id: str, obs_dim: int) -> tuple[str, ...]:
    names = OBS_NAMES.get(env_id, ())
    return names if len(names) == obs_dim else tuple(f"obs[{i}]" for i in range(obs_dim))


@functools.lru_cache(maxsize=16)
def observation_bounds(env_id: str, env_kwargs: tuple = ()) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each observation component of a Box env, flattened (inf: no bound)."""
    env = make_gym_env(env_id, env_kwargs)
    try:
        space = env.observation_space
        low = np.asarray(space.low, np.float64).ravel()
        high = np.asarray(space.high, np.float64).ravel()
    finally:
        env.close()
    low.setflags(write=False)
    high.setflags(write=False)
    return low, high


def make_gym_env(env_id: str, env_kwargs=()):
    """The Gymnasium env itself, unwrapped (the time limit is the agent's own), or a one-line
    error."""
    import gymnasium as gym

    try:
        return gym.make(env_id, **dict(env_kwargs)).unwrapped
    except Exception as exc:  # noqa: BLE001 - unknown ids, bad kwargs, missing extras alike
        raise ConfigError(f"cannot make {env_id}: {exc}".splitlines()[0]) from None


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
