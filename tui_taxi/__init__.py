"""tui_taxi: watch, steer and play a tabular RL agent on Gymnasium's Taxi, and a deep Q-network.

Importing the package registers its own grid worlds with Gymnasium (``tui_taxi/WindyGridworld-v0``,
see :mod:`tui_taxi.core.worlds`), so ``gymnasium.make`` finds them in a user's code too.

Training from Python mirrors the command line, in Stable-Baselines3's shape (``learn``, ``save``,
``load``, ``predict``); a saved agent drives a plain Gymnasium env in your own loop::

    import gymnasium as gym
    import tui_taxi

    model = tui_taxi.TabularAgent(tui_taxi.TrainConfig(seed=0)).learn(total_timesteps=3_000_000)
    model.save("taxi.npz")                      # tui-taxi train --steps 3e6 --save taxi.npz
    model = tui_taxi.load("taxi.npz")           # any save: a Q-table, a DQN, ...
    env = gym.make("Taxi-v4")                   # Taxi-v3 before Gymnasium 1.3 (same dynamics)
    obs, _ = env.reset(seed=42)
    terminated = truncated = False
    while not (terminated or truncated):
        action, _ = model.predict(obs, deterministic=True)
        obs, reward, terminated, truncated, _ = env.step(action)

A deep Q-network is trained the same way: ``tui_taxi.DQNAgent(tui_taxi.DQNConfig(seed=0))
.learn(total_timesteps=50_000)`` on CartPole-v1 (``DQNConfig``'s fields are CleanRL's names).

The names above load on first use, so ``import tui_taxi`` stays light (no Textual, no numba
compilation).
"""

from importlib.metadata import PackageNotFoundError, version

from tui_taxi.core import worlds as _worlds  # noqa: F401  (registers the envs)

try:
    __version__ = version("tui-taxi")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

#: The names for training from Python, and the module each comes from (imported on first use).
_EXPORTS = {
    "TrainConfig": "tui_taxi.core.tabular.config",
    "TabularAgent": "tui_taxi.core.tabular.agent",
    "Session": "tui_taxi.core.tabular.agent",  # TabularAgent's name before there were others
    "DQNConfig": "tui_taxi.core.dqn.config",
    "DQNAgent": "tui_taxi.core.dqn.agent",
}
__all__ = ["load", "__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tui_taxi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


def load(path):
    """The agent of any tui-taxi save (a :class:`TabularAgent`, a :class:`DQNAgent`, ...; the
    file says which), with ``predict(observation, deterministic=True) -> (action, None)`` as
    Stable-Baselines3's models have (a batch of observations too), ``learn(total_timesteps)``
    and ``save(path)``. A missing, corrupt or foreign file is a one-line ``SaveFileError`` (a
    ``ValueError``); nothing is unpickled."""
    from tui_taxi.core.agent import load as load_agent

    return load_agent(path)
