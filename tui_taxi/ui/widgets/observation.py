"""Any env with a Box observation and Discrete actions (Acrobot, MountainCar, ...): each
component of the observation as a gauge over its range, then the last action. The world of an
env that has no picture of its own here."""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text

from tui_taxi.core.envs import observation_bounds
from tui_taxi.core.worlds import observation_names
from tui_taxi.ui.widgets.last_action import last_action_text
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

DIM, MARK, TRACK = "#8a8a96", "bold #e3b505", "#4a4a56"


def gauge(value: float, low: float, high: float, width: int) -> Text:
    """A track from ``low`` to ``high`` with ``value`` marked (clipped to the ends)."""
    width = max(3, width)
    share = 0.0 if high <= low else (min(high, max(low, value)) - low) / (high - low)
    at = min(width - 1, int(share * width))
    text = Text("─" * at, style=TRACK)
    text.append("●", style=MARK)
    text.append("─" * (width - at - 1), style=TRACK)
    return text


def observation_lines(
    obs: np.ndarray,
    names: tuple[str, ...],
    low: np.ndarray,
    high: np.ndarray,
    seen: np.ndarray,
    width: int,
) -> Text:
    """One line per component: its name, value and gauge (over the env's bounds where they are
    finite, else over the largest magnitude seen so far, ``seen``)."""
    label = max(len(n) for n in names)
    text = Text()
    for i, (name, value) in enumerate(zip(names, obs, strict=True)):
        lo, hi = float(low[i]), float(high[i])
        if not (math.isfinite(lo) and math.isfinite(hi)):
            lo, hi = -float(seen[i]), float(seen[i])
        if i:
            text.append("\n")
        text.append(f"{name:>{label}} ", style=DIM)
        text.append(f"{value:+8.3f} ", style="bold")
        text.append_text(gauge(float(value), lo, hi, width - label - 11))
    return text


class ObservationView(SnapshotView):
    """The world of a Box-observation env: the observation as gauges, the last action."""

    DEFAULT_CSS = """
    ObservationView { height: auto; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._seen: np.ndarray | None = None  # the largest |value| of each unbounded component

    def get_content_height(self, container, viewport, width: int) -> int:
        snap = self.snapshot
        return (len(snap.obs) if snap is not None and snap.obs is not None else 4) + 2

    def text(self) -> Text:
        snap = self.snapshot
        if snap is None or snap.obs is None:
            return Text("")
        world = snap.world
        obs = np.asarray(snap.obs, dtype=np.float64)
        magnitude = np.maximum(np.abs(obs), 1e-9)
        self._seen = (
            magnitude
            if self._seen is None or len(self._seen) != len(obs)
            else (np.maximum(self._seen, magnitude))
        )
        low, high = observation_bounds(world.env_id, world.env_kwargs)
        text = observation_lines(
            obs,
            observation_names(world.env_id, len(obs)),
            low,
            high,
            self._seen,
            self.size.width or 40,
        )
        text.append("\n\n")
        return text.append_text(last_action_text(snap))
