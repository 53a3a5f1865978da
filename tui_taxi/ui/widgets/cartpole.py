"""CartPole drawn in the terminal: the track with its limits (±2.4), the cart, the pole and the
angle limits (±12°) on a half-block canvas (each cell is two square-ish pixels), with the
observation written under it. A pure function of the observation, so it is tested directly."""

from __future__ import annotations

import functools
import math

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui_taxi.ui.widgets.last_action import last_action_text
from tui_taxi.ui.widgets.line_cache import text_strips
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

X_LIMIT = 2.4  # Gymnasium's x_threshold: the episode ends past it
THETA_LIMIT = 12 * 2 * math.pi / 360  # Gymnasium's theta_threshold_radians
POLE_LENGTH = 1.0  # twice Gymnasium's half-length 0.5, in world units
CART_W, CART_H = 0.5, 0.25  # world units (Gymnasium draws 50x30 pixels on a 600-pixel 4.8 track)

BACK = (24, 24, 30)
TRACK, LIMIT, ANGLE = (120, 120, 135), (214, 69, 69), (90, 70, 40)
CART, POLE, AXLE = (63, 127, 217), (242, 193, 46), (230, 230, 230)
DIM = "#8a8a96"


def canvas(obs: np.ndarray, width: int, rows: int) -> np.ndarray:
    """An RGB image (2 * rows, width, 3) of the cart and pole for observation ``obs``
    (x, x_dot, theta, theta_dot)."""
    height = 2 * rows
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = BACK
    x, _, theta, _ = (float(v) for v in obs[:4])
    span = 2 * X_LIMIT + 2 * CART_W  # the track and half a cart beyond each limit
    scale = (width - 1) / span  # pixels per world unit, horizontally and vertically
    ground = height - 2

    def col(world_x: float) -> int:
        return int(round((world_x + span / 2) * scale))

    image[ground, :] = TRACK
    for limit in (-X_LIMIT, X_LIMIT):  # the track limits: a red post each
        c = col(limit)
        if 0 <= c < width:
            image[max(0, ground - 3) : ground + 1, c] = LIMIT
    cart_top = ground - max(2, int(round(CART_H * scale)))
    pivot = (col(x), cart_top)
    pole_px = POLE_LENGTH * scale
    for edge in (-THETA_LIMIT, THETA_LIMIT):  # the angle limits: faint lines from the pivot
        _line(image, pivot, _end(pivot, edge, pole_px), ANGLE)
    left, right = col(x - CART_W / 2), col(x + CART_W / 2)
    image[cart_top:ground, max(0, left) : max(0, min(width, right + 1))] = CART
    _line(image, pivot, _end(pivot, theta, pole_px), POLE)
    if 0 <= pivot[0] < width and 0 <= pivot[1] < height:
        image[pivot[1], pivot[0]] = AXLE
    return image


def _end(pivot: tuple[int, int], theta: float, length: float) -> tuple[int, int]:
    """The pole's top for angle ``theta`` (radians, positive leaning right)."""
    return (
        int(round(pivot[0] + length * math.sin(theta))),
        int(round(pivot[1] - length * math.cos(theta))),
    )


def _line(image: np.ndarray, a: tuple[int, int], b: tuple[int, int], colour) -> None:
    steps = max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)
    for i in range(steps + 1):
        c = int(round(a[0] + (b[0] - a[0]) * i / steps))
        r = int(round(a[1] + (b[1] - a[1]) * i / steps))
        if 0 <= r < image.shape[0] and 0 <= c < image.shape[1]:
            image[r, c] = colour


def canvas_strips(image: np.ndarray) -> list[Strip]:
    """Each terminal row is two pixel rows: '▀' with the top pixel as foreground, the bottom as
    background; runs of one colour pair become one segment."""
    strips = []
    for r in range(0, image.shape[0] - 1, 2):
        top, bottom = image[r], image[r + 1]
        segments: list[Segment] = []
        run, start = None, 0
        for c in range(image.shape[1] + 1):
            pair = None if c == image.shape[1] else (tuple(top[c]), tuple(bottom[c]))
            if pair != run:
                if run is not None:
                    segments.append(Segment("▀" * (c - start), _style(*run)))
                run, start = pair, c
        strips.append(Strip(segments))
    return strips


def _style(top: tuple, bottom: tuple) -> Style:
    """The style of a '▀' cell: its colours rounded to 8 levels a channel apart (the eye sees no
    difference; a policy map's blended colours would otherwise make a new Style for nearly
    every cell, churning Rich's caches and the app's memory), made once per pair."""
    return _style_of(tuple(int(c) & ~7 for c in top), tuple(int(c) & ~7 for c in bottom))


@functools.lru_cache(maxsize=8192)
def _style_of(top: tuple, bottom: tuple) -> Style:
    return Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom))


def observation_text(obs: np.ndarray) -> Text:
    """x, x', θ (degrees), θ' with the limits the episode ends at."""
    x, x_dot, theta, theta_dot = (float(v) for v in obs[:4])
    text = Text()
    text.append("x ", style=DIM)
    text.append(f"{x:+.2f}", style="bold #d64545" if abs(x) > 0.8 * X_LIMIT else "bold")
    text.append(f"/±{X_LIMIT:g}  ", style=DIM)
    text.append("θ ", style=DIM)
    degrees = math.degrees(theta)
    text.append(
        f"{degrees:+.1f}°", style="bold #d64545" if abs(theta) > 0.8 * THETA_LIMIT else "bold"
    )
    text.append("/±12°\n", style=DIM)
    text.append("x' ", style=DIM)
    text.append(f"{x_dot:+.2f}  ", style="bold")
    text.append("θ' ", style=DIM)
    text.append(f"{theta_dot:+.2f}", style="bold")
    return text


class CartPoleView(SnapshotView):
    """The world of CartPole: the cart and pole, the observation, the last action."""

    DEFAULT_CSS = """
    CartPoleView { height: auto; }
    """

    def get_content_height(self, container, viewport, width: int) -> int:
        return self._canvas_rows(width) + 3

    def _canvas_rows(self, width: int) -> int:
        return max(5, min(12, (self.max_rows or 10) - 3, width // 4))

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines_for: tuple = ()  # (snapshot, size) the lines were drawn for

    def render_lines(self, crop):
        snap = self.snapshot
        if snap is not None and snap.obs is not None and self._lines_for != (snap, self.size):
            self._lines_for = (snap, self.size)
            width = self.size.width or 32
            lines = canvas_strips(canvas(snap.obs, width, self._canvas_rows(width)))
            lines += text_strips(observation_text(snap.obs), width)
            lines += text_strips(last_action_text(snap), width)
            self._raw, self._finished_for = lines, None
        return super().render_lines(crop)
