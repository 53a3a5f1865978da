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


def tick_label(value: float, step: float) -> str:
    """``25k``, ``1.5M``, ``-2.5k``, ``0.5``: as short as the step allows."""
    magnitude = max(abs(value), step)
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= scale and step >= scale / 10:
            return _trim(value / scale, step / scale) + suffix
    return _trim(value, step)


def _trim(value: float, step: float) -> str:
    decimals = 0 if step >= 1 else min(6, max(0, -math.floor(math.log10(step) + 1e-9)))
    if decimals and not float(round(step, decimals)).is_integer():
        decimals = max(decimals, len(f"{step:g}".split(".")[-1]) if "." in f"{step:g}" else 0)
    return f"{value:.{decimals}f}"


def ticks_for(lo: float, hi: float, max_ticks: int) -> tuple[list[float], list[str]]:
    ticks = nice_ticks(lo, hi, max_ticks)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else max(abs(hi - lo), 1.0)
    return ticks, [tick_label(t, step) for t in ticks]


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
        hidden.append(f"down to {_round(lo)}")
    if c_hi < hi:
        hidden.append(f"up to {_round(hi)}")
    return c_lo, c_hi, f"y clipped (first episodes {' and '.join(hidden)}; z: whole range)"


def _round(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"
