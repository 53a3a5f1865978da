"""Axes for learning curves, shared by ``tui-taxi train`` and the app: round ticks with short
labels, and a y-range that shows the learnt part of a curve the first episodes would flatten.
Pure functions: no plotting library is imported here."""

from __future__ import annotations

import math

import numpy as np

#: The chart's metrics, in the order `v` cycles through them.
METRICS = ("episodic_return", "episodic_length", "penalties", "staircase")
_TITLES = {
    "episodic_return": "return per episode",
    "episodic_length": "steps per episode",
    "penalties": "penalties per episode",
    "staircase": "episodes completed against time steps",
}


def chart_title(metric: str) -> str:
    return _TITLES[metric]


def nice_step(span: float, max_ticks: int) -> float:
    """The smallest 1-2-5 step that puts at most ``max_ticks`` ticks over ``span``."""
    if span <= 0 or max_ticks < 2:
        return 1.0
    raw = span / (max_ticks - 1)
    power = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if mult * power >= raw:
            return mult * power
    return 10 * power  # pragma: no cover


def nice_ticks(lo: float, hi: float, max_ticks: int) -> list[float]:
    """Round ticks (multiples of a 1-2-5 step) inside [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    step = nice_step(hi - lo, max_ticks)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = first
    while value <= hi + 1e-9 * step and len(ticks) < 2 * max_ticks:
        ticks.append(0.0 if abs(value) < 1e-12 * step else value)
        value = first + len(ticks) * step
    return ticks


def tick_labels(ticks: list[float]) -> list[str]:
    """``0 25k 50k``, ``0 0.5M 1M 1.5M``, ``-2.5k``, ``0.5``: one unit for the whole axis, and
    as few decimals as the step needs."""
    if not ticks:
        return []
    step = ticks[1] - ticks[0] if len(ticks) > 1 else max(abs(ticks[0]), 1.0)
    largest = max(abs(t) for t in ticks)
    scale, suffix = 1.0, ""
    for s, name in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if largest >= s and step >= s / 10:
            scale, suffix = s, name
            break
    unit_step = step / scale
    decimals = 0
    while decimals < 6 and abs(round(unit_step, decimals) - unit_step) > 1e-9 * unit_step:
        decimals += 1
    labels = []
    for t in ticks:
        text = f"{t / scale:.{decimals}f}"
        labels.append("0" if float(text) == 0 else text + suffix)
    return labels


def ticks_for(lo: float, hi: float, max_ticks: int) -> tuple[list[float], list[str]]:
    ticks = nice_ticks(lo, hi, max_ticks)
    return ticks, tick_labels(ticks)


def readable_range(curve: np.ndarray, points: np.ndarray, clip: bool = True
                   ) -> tuple[float, float, str]:  # fmt: skip
    """The y-range to draw and a note for the title. With ``clip``, the range covers the curve
    after its first tenth (the learnt part) with a margin, when the first episodes would
    otherwise take more than half the height; the note says how far the hidden part goes."""
    values = np.asarray(points, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0, 1.0, ""
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        return lo - 1.0, hi + 1.0, ""
    if not clip or len(curve) < 10:
        return lo, hi, ""
    tail = np.asarray(curve, dtype=np.float64)[len(curve) // 10 :]
    tail = tail[np.isfinite(tail)]
    if not tail.size:
        return lo, hi, ""
    t_lo, t_hi = float(tail.min()), float(tail.max())
    margin = max(0.25 * (t_hi - t_lo), 1e-6 * max(1.0, abs(t_hi)), 0.5)
    c_lo, c_hi = max(lo, t_lo - margin), min(hi, t_hi + margin)
    if (c_hi - c_lo) > 0.5 * (hi - lo):
        return lo, hi, ""
    hidden = []
    if c_lo > lo:
        hidden.append(f"min {_round(lo)}")
    if c_hi < hi:
        hidden.append(f"max {_round(hi)}")
    return c_lo, c_hi, f"y clipped ({', '.join(hidden)})"


def _round(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"
