"""Numbers for people, short enough for a narrow column: 1,234 · 102.3M · 16.0M/s · —."""

from __future__ import annotations

import math


def count(n: float) -> str:
    """Whole counts: exact up to 999,999, then M / G with one decimal."""
    if math.isnan(n):
        return "—"
    if abs(n) < 1_000_000:
        return f"{n:,.0f}"
    for scale, suffix in ((1e9, "G"), (1e6, "M")):
        if abs(n) >= scale:
            return f"{n / scale:.1f}{suffix}"
    return f"{n:,.0f}"  # pragma: no cover - unreachable


def value(x: float, digits: int = 2) -> str:
    """A measured value: decimals while small, none from 1,000 on, — when unknown."""
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.{0 if abs(x) >= 1000 else digits}f}"


def mean(x: float) -> str:
    """A mean that may be whole (one start, a deterministic world): 7, not 7.00; else a value."""
    return f"{x:,.0f}" if math.isfinite(x) and x == round(x) else value(x)


def precise(x: float) -> str:
    """A value to compare closely (0.4145 against 0.4146): four significant digits, whole
    numbers and large ones as counts (-65,380, -13), never an exponent above a thousandth."""
    if not math.isfinite(x):
        return value(x)
    if abs(x) >= 1000 or x == round(x):
        return f"{x:,.0f}"
    return f"{x:.4g}" if abs(x) >= 1e-3 else f"{x:.1e}"


def plural(n: float, word: str) -> str:
    """``n`` and ``word`` agreeing: "1 step", "2 steps", "1 cliff fall", "1 penalty"."""
    if n == 1:
        word = word[:-3] + "y" if word.endswith("ies") else word.removesuffix("s")
    return f"{count(n)} {word}"


def signed(x: float) -> str:
    """A return with its sign: +20, -7, +0.82 (two decimals unless whole)."""
    if not math.isfinite(x):
        return value(x)
    return f"{x:+,.0f}" if x == round(x) else f"{x:+,.2f}"


def percent(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.0%}"
