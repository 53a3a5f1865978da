"""The network's policy as a map: for a world with continuous observations (CartPole), the
greedy action over two observation dimensions (the pole's angle across, its angular velocity up),
the other dimensions held at the current observation. Each pixel is coloured by its greedy action
and is brighter where the network prefers it more (the gap between the best and the second-best
Q-value); the current observation is the white dot. A Q-table of a continuous world, in effect."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.strip import Strip

from tui_taxi.protocol import Landscape, Snapshot
from tui_taxi.ui.widgets.cartpole import canvas_strips
from tui_taxi.ui.widgets.line_cache import LineCache, text_strips

#: One hue per action (CartPole: left blue, right orange), then more for envs with more actions.
ACTION_RGB = ((63, 127, 217), (230, 140, 40), (58, 166, 85), (214, 112, 214), (227, 181, 5))
DARK = np.array((28, 28, 34), dtype=float)
DOT = (245, 245, 245)
DIM = "#8a8a96"
LABEL = 7  # the y axis' labels


def policy_image(landscape: Landscape, width: int, rows: int) -> np.ndarray:
    """An RGB image (2 * rows, width, 3) of the greedy action over the landscape's grid,
    resampled to the widget's pixels (nearest), with the current observation as a dot."""
    q = landscape.q  # (ny, nx, A): y grows upward
    ny, nx, n_actions = q.shape
    height = 2 * rows
    ys = np.minimum(ny - 1, ((height - 1 - np.arange(height)) * ny) // height)  # top row: max y
    xs = np.minimum(nx - 1, (np.arange(width) * nx) // width)
    cells = q[ys][:, xs]  # (height, width, A)
    greedy = cells.argmax(axis=2)
    ordered = np.sort(cells, axis=2)
    gap = ordered[..., -1] - ordered[..., -2] if n_actions > 1 else np.ones(greedy.shape)
    top = float(gap.max())
    strength = np.sqrt(gap / top) if top > 0 else np.zeros(gap.shape)
    colours = np.array([ACTION_RGB[a % len(ACTION_RGB)] for a in range(n_actions)], dtype=float)
    mix = 0.25 + 0.75 * strength[..., None]
    image = (DARK + (colours[greedy] - DARK) * mix).astype(np.uint8)
    col = _position(landscape.at[0], landscape.x, width)
    row = height - 1 - _position(landscape.at[1], landscape.y, height)
    if 0 <= col < width and 0 <= row < height:
        image[row, col] = DOT
    return image


def _position(value: float, axis: np.ndarray, pixels: int) -> int:
    """The pixel of ``value`` on ``axis`` (outside the axis: -1, not drawn)."""
    low, high = float(axis[0]), float(axis[-1])
    if not low <= value <= high:
        return -1
    return min(pixels - 1, int((value - low) / (high - low) * pixels))


def _label(value: float) -> str:
    """An axis end, signed, to three significant digits (+12, -2, +0.6, -0.07)."""
    return f"{float(value):+.3g}"


def policy_lines(snap: Snapshot, width: int, height: int) -> list[Strip]:
    """A title, the map with its y axis, the x axis and a legend."""
    land = snap.landscape
    over = f"  greedy action over {land.x_label} and {land.y_label}"
    if len("policy map") + len(over) > width:  # narrow: the axes' short names
        over = f"  greedy action over {land.x_name} (across) and {land.y_name} (up)"
    lines = text_strips(Text.assemble(("policy map", "bold"), (over, DIM)), width)
    rows = max(3, height - 4)
    map_width = max(8, width - LABEL)
    strips = canvas_strips(policy_image(land, map_width, rows))
    for r, strip in enumerate(strips):
        label = ""
        if r == 0:
            label = _label(land.y[-1])
        elif r == rows - 1:
            label = _label(land.y[0])
        elif r == rows // 2:
            label = land.y_name
        lines.append(
            Strip.join([*text_strips(Text(f"{label:>{LABEL - 1}} ", style=DIM), LABEL), strip])
        )
    low, high = _label(land.x[0]) + land.x_unit, _label(land.x[-1]) + land.x_unit
    axis = f"{low}{land.x_name:^{max(1, map_width - len(low) - len(high))}}{high}"
    lines += text_strips(Text(" " * LABEL + axis, style=DIM), width)
    legend = Text(" " * LABEL)
    for a, name in enumerate(snap.action_names):
        rgb = ACTION_RGB[a % len(ACTION_RGB)]
        legend.append("██", style=f"#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}")
        legend.append(f" {name}  ", style="")
    legend.append("brighter: surer · ", style=DIM)
    legend.append("●", style="bold")
    legend.append(" now", style=DIM)
    return lines + text_strips(legend, width)


class PolicyMap(LineCache):
    """Where the Q-table goes for a world with continuous observations."""

    DEFAULT_CSS = """
    PolicyMap { height: 20; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: Snapshot | None = None
        self._drawn: tuple = ()  # (landscape, size) drawn last

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        snap = self.snapshot
        if snap is None or snap.landscape is None or not self.size.width:
            return
        key = (snap.landscape, tuple(self.size))
        if key == self._drawn:
            return
        self._drawn = key
        width, height = self.size
        self.set_lines(policy_lines(snap, width, height))


def policy_map_size(width: int, height: int) -> tuple[int, int]:
    """(columns, rows): the room on the right, up to a square-ish map."""
    return max(30, min(width - 1, 90)), max(10, min(height, 24))
