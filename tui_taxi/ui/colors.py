"""Colour scales as hex (Textual's themes remap named colours, so hues are given exactly)."""

from __future__ import annotations

import numpy as np

#: Taxi's pads R, G, Y, B.
PAD_COLORS = ("#d64545", "#3aa655", "#e3b505", "#3f7fd9")
TAXI_EMPTY = "#f2c12e"
TAXI_FULL = "#3aa655"
WALL = "#c8c8c8"

_NEG = np.array([0xD7, 0x30, 0x27])  # most negative: red
_MID = np.array([0x26, 0x26, 0x2E])  # zero: near black
_POS = np.array([0x1A, 0xC8, 0x6A])  # most positive: green


class DivergingScale:
    """Maps values to red (negative) .. dark (zero) .. green (positive), each side scaled to its
    own extreme so both the penalties and the +20 stay readable."""

    def __init__(self, low: float, high: float, worse_up: bool = False) -> None:
        self.low = min(low, 0.0)
        self.high = max(high, 0.0)
        self.worse_up = worse_up  # an error: the larger, the redder

    @classmethod
    def of(cls, values: np.ndarray, worse_up: bool = False) -> DivergingScale:
        finite = values[np.isfinite(values)]
        if not finite.size:
            return cls(0.0, 0.0, worse_up)
        return cls(float(finite.min()), float(finite.max()), worse_up)

    def rgb(self, value: float) -> np.ndarray:
        neg, pos = (_POS, _NEG) if self.worse_up else (_NEG, _POS)
        if value < 0 and self.low < 0:
            f = min(1.0, value / self.low) ** 0.6
            return _MID + (neg - _MID) * f
        if value > 0 and self.high > 0:
            f = min(1.0, value / self.high) ** 0.6
            return _MID + (pos - _MID) * f
        return _MID.astype(float)

    def hex(self, value: float) -> str:
        r, g, b = (int(round(c)) for c in self.rgb(value))
        return f"#{r:02x}{g:02x}{b:02x}"


def text_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb)."""
    r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


class SequentialScale:
    """Maps values from worst (red) through dark to best (green) along the range that holds
    most of them: the few far below (a cliff's -100) all take the reddest colour, so the rest
    keep their contrast. For grid worlds, where every value may share one sign."""

    def __init__(self, low: float, high: float, worse_up: bool = False) -> None:
        self.low, self.high = low, high
        self.worse_up = worse_up  # an error: the larger, the redder

    @classmethod
    def of(cls, values: np.ndarray, worse_up: bool = False) -> SequentialScale:
        finite = values[np.isfinite(values)]
        if not finite.size:
            return cls(0.0, 0.0, worse_up)
        low, high = np.percentile(finite, [10, 100])
        return cls(float(min(low, high)), float(high), worse_up)

    def rgb(self, value: float) -> np.ndarray:
        if self.high <= self.low:
            return _MID.astype(float)
        f = min(1.0, max(0.0, (value - self.low) / (self.high - self.low)))
        if self.worse_up:
            f = 1.0 - f
        if f < 0.5:
            return _NEG + (_MID - _NEG) * (f / 0.5) ** 0.8
        return _MID + (_POS - _MID) * ((f - 0.5) / 0.5) ** 0.8

    def hex(self, value: float) -> str:
        r, g, b = (int(round(c)) for c in self.rgb(value))
        return f"#{r:02x}{g:02x}{b:02x}"
