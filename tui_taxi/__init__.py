"""tui_taxi: watch, steer and play a tabular RL agent on Gymnasium's Taxi.

Importing the package registers its own grid worlds with Gymnasium (``tui_taxi/WindyGridworld-v0``,
see :mod:`tui_taxi.core.worlds`), so ``gymnasium.make`` finds them in a user's code too.
"""

from importlib.metadata import PackageNotFoundError, version

from tui_taxi.core import worlds as _worlds  # noqa: F401  (registers the envs)

try:
    __version__ = version("tui-taxi")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"


def load(path):
    """The agent of any tui-taxi save (a tabular session or a DQN), with
    ``predict(observation, deterministic=True) -> (action, None)`` as Stable-Baselines3's models
    have, to drive a plain ``gymnasium.make(...)`` env in your own loop."""
    from tui_taxi.core.agent import load as load_agent

    return load_agent(path)
