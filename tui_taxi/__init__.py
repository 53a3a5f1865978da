"""tui_taxi: watch, steer and play a tabular RL agent on Gymnasium's Taxi."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tui-taxi")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
