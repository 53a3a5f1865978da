"""Learning curves for the terminal: round ticks, a readable y-range, no colour off a terminal.

The tick and range logic are plain functions of numbers (no plotext at module level), shared
with the app's chart; only :func:`learning_curve` draws (any of :data:`METRICS`, the book's
staircase included), each chart its own plotext figure.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from tui_taxi.core.episodes import LENGTH, History, debiased_ema, downsample

#: The learning-curve metrics, in the order the app's `v` cycles through them, and their titles.
METRICS = ("episodic_return", "episodic_length", "penalties", "staircase")
TITLES = {
    "episodic_return": "return per episode",
    "episodic_length": "steps per episode",
    "penalties": "penalties per episode",
    "staircase": "episodes completed against time steps",
}

#: The charts' names as people type them (``train --plot``, a tour's ``chart``) and the metric
#: each draws.
CHART_NAMES = {
    "return": "episodic_return",
    "steps": "episodic_length",
    "penalties": "penalties",
    "staircase": "staircase",
}

#: Tick steps are these mantissas times a power of ten (1-2-5, with 2.5 for quarters).
MANTISSAS = (1.0, 2.0, 2.5, 5.0)
_SUFFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def nice_step(lo: float, hi: float, max_ticks: int = 5, *, integer: bool = False) -> float:
    """The smallest round step (1, 2, 2.5 or 5 times a power of ten; whole numbers only when
    ``integer``) that puts at most ``max_ticks`` multiples of itself in ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or max_ticks < 1:
        raise ValueError(f"cannot place ticks in [{lo}, {hi}] with max_ticks={max_ticks}")
    lo, hi = min(lo, hi), max(lo, hi)
    span = hi - lo
    if span == 0:
        return 1.0
    exponent = math.floor(math.log10(span / max_ticks)) - 1
    while True:
        for mantissa in MANTISSAS:
            step = mantissa * 10.0**exponent
            if integer and (step < 1 or not float(step).is_integer()):
                continue
            if _count(lo, hi, step) <= max_ticks:
                return step
        exponent += 1


def _count(lo: float, hi: float, step: float) -> int:
    return math.floor(hi / step + 1e-9) - math.ceil(lo / step - 1e-9) + 1


def nice_ticks(lo: float, hi: float, max_ticks: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values inside ``[lo, hi]``: every multiple of :func:`nice_step` there.

    ``nice_ticks(0, 100_000)`` is ``[0, 25000, 50000, 75000, 100000]``; ``lo == hi`` gives the
    one value. Values are exact to the step's decimals (no ``0.30000000000000004``).
    """
    lo, hi = min(lo, hi), max(lo, hi)
    if lo == hi:
        return [float(lo)] if math.isfinite(lo) else []
    step = nice_step(lo, hi, max_ticks, integer=integer)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    digits = max(0, 1 - math.floor(math.log10(step)))
    return [round(k * step, digits) + 0.0 for k in range(first, last + 1)]  # + 0.0: no -0.0


def tick_label(value: float) -> str:
    """A short label: ``0``, ``25k``, ``1.5M``, ``-200``, ``-2.5k``, ``0.5``."""
    if value == 0:
        return "0"
    size = abs(value)
    for scale, suffix in _SUFFIXES:
        if size >= scale * (1 - 1e-12):
            return f"{value / scale:.4g}{suffix}"
    return f"{value:.4g}"


def tick_labels(values: list[float]) -> list[str]:
    """Labels for evenly spaced ticks, with as many decimals as their step needs, all alike
    (``2.36 2.38 2.40 2.42``, never ``2.4`` beside ``2.42``)."""
    if len(values) < 2:
        return [tick_label(v) for v in values]
    step = abs(values[1] - values[0])
    largest = max(abs(v) for v in values)
    if largest >= 1000 or step >= 1:
        return [tick_label(v) for v in values]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if abs(round(step, decimals) - step) > 1e-9 * step:
        decimals += 1
    return ["0" if v == 0 else f"{v:.{decimals}f}" for v in values]


def amount(value: float) -> str:
    """A number for a sentence: ``-2,480``, ``-84.3``, ``7.5``."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


@dataclass(frozen=True)
class YRange:
    """The y-range to draw, its ticks and, when some points fall outside it, a note saying so."""

    lo: float
    hi: float
    ticks: tuple[float, ...]
    note: str = ""

    @property
    def clipped(self) -> bool:
        return bool(self.note)


#: A clipped y-range spans at least these shares of the whole range and of its own level: steps
#: of 14.68 to 14.76 are drawn as the flat line they are, not as a jagged one.
MIN_SPAN_OF_ALL, MIN_SPAN_OF_LEVEL = 0.002, 0.05


def readable_range(values, *, spread: float = 3.0, gain: float = 2.0, max_ticks: int = 5) -> YRange:
    """A y-range in which the bulk of ``values`` (a series in run order) is readable, rounded
    out to round ticks.

    Points further than ``spread`` interquartile ranges beyond the quartiles (the first
    episodes of a run, at -2,000 when the learnt policy earns about 8) are left outside when
    that makes the range at least ``gain`` times narrower, and the note says where they went:
    ``"y clipped to -30..10; means of the first episodes go down to -2,480"``. Otherwise the series is
    shown whole, with an empty note.
    """
    y = np.asarray(values, dtype=np.float64)
    y = y[np.isfinite(y)]
    if len(y) == 0:
        return YRange(0.0, 1.0, tuple(nice_ticks(0.0, 1.0, max_ticks)))
    low, high = float(y.min()), float(y.max())
    q1, q3 = (float(q) for q in np.percentile(y, [25, 75]))
    lo, hi = max(low, q1 - spread * (q3 - q1)), min(high, q3 + spread * (q3 - q1))
    if not 0 < (hi - lo) * gain <= high - low:  # clipping would not help enough: show all
        lo, hi = low, high
    else:  # not so narrow that noise in a flat, learnt part looks like a jagged climb
        least = max(MIN_SPAN_OF_ALL * (high - low), MIN_SPAN_OF_LEVEL * abs(lo + hi) / 2)
        if hi - lo < least:
            pad = (least - (hi - lo)) / 2
            lo, hi = lo - pad, hi + pad
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step(lo, hi, 4 * max_ticks)  # round the ends out, by a finer step than the ticks'
    lo = math.floor(lo / step + 1e-9) * step + 0.0
    hi = math.ceil(hi / step - 1e-9) * step + 0.0
    ticks = tuple(nice_ticks(lo, hi, max_ticks))
    below, above = np.flatnonzero(y < lo), np.flatnonzero(y > hi)
    parts = []
    if len(below):
        parts.append(f"{_which(below, len(y))} go down to {amount(low)}")
    if len(above):
        parts.append(f"{_which(above, len(y))} go up to {amount(high)}")
    note = f"y clipped to {tick_label(lo)}..{tick_label(hi)}; " + "; ".join(parts) if parts else ""
    return YRange(lo, hi, ticks, note)


def _which(indices: np.ndarray, n: int) -> str:
    """Which points fell outside: each is a mean of consecutive episodes, not one episode."""
    return "means of the first episodes" if indices.max() < n / 4 else "means of some episodes"


def clip_line(x, y, lo: float, hi: float) -> list[tuple[list[float], list[float]]]:
    """The parts of the polyline ``(x, y)`` inside ``lo <= y <= hi``, each run ending where the
    line crosses the edge (plotext walks a line point by point across its whole extent, so a
    line reaching 1000 times past the limits would take seconds to draw)."""
    runs: list[tuple[list[float], list[float]]] = []
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(y) == 1 and lo <= y[0] <= hi:
        return [([float(x[0])], [float(y[0])])]
    for i in range(len(y) - 1):
        (x0, x1), (y0, y1) = x[i : i + 2], y[i : i + 2]
        t0, t1 = 0.0, 1.0
        if y0 != y1:  # the part of the segment, as a fraction t of it, inside the limits
            ta, tb = (lo - y0) / (y1 - y0), (hi - y0) / (y1 - y0)
            t0, t1 = max(0.0, min(ta, tb)), min(1.0, max(ta, tb))
        elif not lo <= y0 <= hi:
            continue
        if t0 > t1:
            continue
        start = (float(x0 + t0 * (x1 - x0)), float(y0 + t0 * (y1 - y0)))
        end = (float(x0 + t1 * (x1 - x0)), float(y0 + t1 * (y1 - y0)))
        if runs and t0 == 0.0 and runs[-1][0][-1] == start[0]:
            runs[-1][0].append(end[0])
            runs[-1][1].append(end[1])
        else:
            runs.append(([start[0], end[0]], [start[1], end[1]]))
    return runs


def use_color(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def curve_points(
    history: History,
    n_points: int,
    metric: str = "episodic_return",
    values: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``n_points`` points of ``metric`` (one of :data:`METRICS`), or of ``values``
    (one per history bin: a kind's own curve, such as a network's TD loss).

    Per-episode metrics: the mean per episode of each stretch, x the number of episodes done at
    its end (so the axis runs from 0 to the last episode). ``"staircase"``: the book's episodes
    completed (y) against time steps (x), exact at the end of each history bin (the cumulative
    sums of its episode counts and lengths), from (0, 0), evenly thinned out."""
    if values is None and metric not in METRICS:
        raise ValueError(f"unknown chart metric {metric!r}; choose from {', '.join(METRICS)}")
    if values is None and metric == "staircase":
        x, y = staircase(history)
        if len(x) > n_points:
            keep = np.unique(np.linspace(0, len(x) - 1, n_points).round().astype(np.int64))
            x, y = x[keep], y[keep]
        return x, y
    means = history.means()
    done = means["episode"] + history.counts()
    return downsample(done, means[metric] if values is None else values, n_points)


def staircase(history: History) -> tuple[np.ndarray, np.ndarray]:
    """Time steps taken (x) and episodes completed (y) at the end of each history bin, from
    (0, 0): exact, since the bins keep the sums of their episodes' lengths."""
    sums = history.sums()
    steps = np.concatenate([[0.0], np.cumsum(sums[:, LENGTH])])
    episodes = np.concatenate([[0.0], np.cumsum(history.counts()).astype(np.float64)])
    return steps, episodes


def learning_curve(
    history: History,
    width: int = 80,
    height: int = 18,
    smoothing: float = 0.9,
    *,
    metric: str = "episodic_return",
    color: bool = False,
    title: str | None = None,
    label: str | None = None,
    values: np.ndarray | None = None,
) -> str:
    """One chart of the run: ``metric`` per episode with its debiased EMA, y clipped to the
    readable part (a last line says what was clipped); or, for ``"staircase"``, episodes
    completed against time steps, whole. Round ticks; ANSI colour only if ``color``;
    ``values``, one per history bin, draw a kind's own curve instead (a DQN's losses), which
    ``title`` and ``label`` (the points' legend) name."""
    from plotext._figure import _figure_class

    stairs = metric == "staircase" and values is None
    x, y = curve_points(history, width * 2, metric, values)
    if stairs:
        x_hi = max(float(x[-1]), 1.0)
        view = YRange(
            0.0,
            max(float(y[-1]), 1.0),
            tuple(nice_ticks(0.0, max(float(y[-1]), 1.0), 5, integer=True)),
        )
        smooth = None
    else:
        x_hi = max(history.episodes, 1)
        view = readable_range(y)
        smooth = debiased_ema(y, smoothing) if len(y) > 1 else None
    x_ticks = nice_ticks(0, x_hi, 6, integer=True)
    fig = _figure_class()
    fig.plot_size(width, height)
    fig.theme("clear")
    fig.title(title or TITLES[metric])
    fig.xlabel("time steps" if stairs else "episodes trained")
    fig.xlim(0, x_hi)
    fig.xticks(x_ticks, tick_labels(x_ticks))
    fig.ylim(view.lo, view.hi)
    fig.yticks(list(view.ticks), tick_labels(list(view.ticks)))
    if stairs:
        fig.plot(
            list(x),
            list(y),
            marker="braille",
            label="episodes",
            color="orange" if color else "default",
        )
    else:
        label = label or {"episodic_return": "return", "episodic_length": "steps"}.get(
            metric, metric
        )
        fig.scatter(list(x), list(y), marker="dot", label=label)  # plotext clips to the limits
    if smooth is not None:
        for i, (run_x, run_y) in enumerate(clip_line(x, smooth, view.lo, view.hi)):
            fig.plot(
                run_x,
                run_y,
                marker="braille",
                label=None if i else "smoothed",
                color="orange" if color else "default",
            )
    chart = fig.build().rstrip("\n")
    if not color:
        chart = strip_ansi(chart)
    return chart + (f"\n{view.note}" if view.note else "")


def band_curves(
    series: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    width: int = 80,
    height: int = 20,
    *,
    color: bool = False,
    title: str = "",
) -> str:
    """Curves with a band each: ``(label, x, mean, low, high)``; the mean as a line, the band's
    edges as dots in the same colour. y clipped to the readable part of the means (a last line
    says what was clipped); round ticks. The legend goes under the chart, never over a curve;
    without colour each curve has a marker of its own (``+``, ``x``, ``o``, ...), named there."""
    from plotext._figure import _figure_class

    colours = ("orange", "cyan", "magenta", "green", "red")
    markers = ("+", "x", "o", "*", "#")  # without colour: one per curve
    means = np.concatenate([m for _, _, m, _, _ in series]) if series else np.zeros(1)
    view = readable_range(means)
    x_hi = max(float(max(x[-1] for _, x, _, _, _ in series)), 1.0) if series else 1.0
    x_ticks = nice_ticks(0, x_hi, 6, integer=True)
    fig = _figure_class()
    fig.plot_size(width, height)
    fig.theme("clear")
    fig.title(title)
    fig.xlabel("episode")
    fig.xlim(0, x_hi)
    fig.xticks(x_ticks, tick_labels(x_ticks))
    fig.ylim(view.lo, view.hi)
    fig.yticks(list(view.ticks), tick_labels(list(view.ticks)))
    legend = []
    for k, (label, x, mean, low, high) in enumerate(series):
        c = colours[k % len(colours)] if color else "default"
        marker = "braille" if color else markers[k % len(markers)]
        for edge in (low, high):
            for run_x, run_y in clip_line(x, edge, view.lo, view.hi):
                fig.scatter(run_x, run_y, marker="dot", color=c)
        for run_x, run_y in clip_line(x, mean, view.lo, view.hi):
            fig.plot(run_x, run_y, marker=marker, color=c)
        key = (
            f"\x1b[1m{_ANSI_COLOUR[c]}━━\x1b[0m"
            if color
            else f"{markers[k % len(markers)]} {markers[k % len(markers)]}"
        )
        legend.append(f"  {key} {label}")
    chart = fig.build().rstrip("\n")
    if not color:
        chart = strip_ansi(chart)
    return "\n".join([chart, *legend]) + (f"\n{view.note}" if view.note else "")


#: The ANSI foreground of plotext's colour names used above (for the legend under a chart).
_ANSI_COLOUR = {
    "orange": "\x1b[38;5;208m",
    "cyan": "\x1b[36m",
    "magenta": "\x1b[35m",
    "green": "\x1b[32m",
    "red": "\x1b[31m",
}


def heatmap_table(
    level: np.ndarray,
    rows: list[str],
    cols: list[str],
    cells: list[list[str]],
    corner: str,
    *,
    color: bool,
) -> str:
    """A grid of ``cells`` (texts) with row and column labels; with colour, each cell shaded by
    ``level`` from dark (0, worst) to bright green (1, best); NaN cells are left unshaded."""
    width = max(len(c) for row in cells for c in row + cols) + 2
    label = max(len(corner), *(len(r) for r in rows)) + 1
    lines = [f"{corner:>{label}}" + "".join(f"{c:>{width}}" for c in cols)]
    for i, name in enumerate(rows):
        line = f"{name:>{label}}"
        for j, text in enumerate(cells[i]):
            cell = f"{text:>{width - 1}} "
            share = level[i, j]
            if color and np.isfinite(share):
                g = int(40 + 150 * share)
                back = (20, g, 40 + int(30 * share))
                line += f"\x1b[48;2;{back[0]};{back[1]};{back[2]}m\x1b[97m{cell}\x1b[0m"
            else:
                line += cell
        lines.append(line)
    return "\n".join(lines)


def heatmap_plot(
    level: np.ndarray,
    cols: list[str],
    rows: list[str],
    title: str,
    x_name: str,
    y_name: str,
    cell: tuple[int, int] = (10, 3),
) -> str:
    """A plotext matrix plot of ``level`` (rows x cols, 0 worst to 1 best, NaN blank) as
    shaded cells ``cell`` characters wide and high, rows top to bottom in ``rows``' order."""
    from plotext._figure import _figure_class

    cw, ch = cell
    shade = np.where(np.isfinite(level), 40 + 215 * np.nan_to_num(level), 0)
    big = np.kron(shade.round().astype(int), np.ones((ch, cw), dtype=int))
    fig = _figure_class()
    fig.theme("dark")
    fig.matrix_plot(big.tolist())
    label = max(len(r) for r in rows)
    fig.plot_size(big.shape[1] + label + 2, big.shape[0] + 5)
    fig.xlim(-0.5, big.shape[1] - 0.5)
    fig.ylim(-0.5, big.shape[0] - 0.5)
    fig.xticks([cw * j + (cw - 1) / 2 for j in range(len(cols))], cols)
    fig.yticks([ch * (len(rows) - 1 - i) + (ch - 1) / 2 for i in range(len(rows))], rows)
    fig.title(title)
    fig.xlabel(x_name)
    fig.ylabel(y_name)
    return fig.build().rstrip("\n")


def history_plot(
    numbers: list[int],
    scores: list[float],
    best: list[float],
    title: str,
    color: bool = False,
    width: int = 80,
    height: int = 16,
) -> str:
    """An adaptive search's optimisation history: each configuration's score as a dot (by its
    trial number), the best so far as a line (Optuna's plot_optimization_history, in the
    terminal); y over the range that holds the scores. The legend under the chart."""
    from plotext._figure import _figure_class

    fig = _figure_class()
    fig.plot_size(width, height)
    fig.theme("clear")
    fig.title(title)
    fig.xlabel("trial")
    lo, hi = float(min(scores)), float(max(scores))
    if hi <= lo:  # (every configuration alike: a band around it)
        lo, hi = lo - max(1.0, abs(lo) * 0.1), hi + max(1.0, abs(hi) * 0.1)
    ticks = nice_ticks(lo, hi, 5)
    fig.ylim(min(lo, ticks[0]), max(hi, ticks[-1]))
    fig.yticks(ticks, tick_labels(ticks))
    x_ticks = nice_ticks(0, max(numbers[-1], 1), 6, integer=True)
    fig.xticks(x_ticks, tick_labels(x_ticks))
    dots, line = ("cyan", "orange") if color else ("default", "default")
    # the best so far as steps (it changes only at a better configuration), under the dots
    step_x = [x for i, x in enumerate(numbers) for _ in range(2 if i else 1)]
    step_y = [best[0]] + [y for i in range(1, len(best)) for y in (best[i - 1], best[i])]
    fig.plot(step_x, step_y, marker="braille" if color else "+", color=line)
    fig.scatter(numbers, scores, marker="•" if color else "o", color=dots)
    chart = fig.build().rstrip("\n")
    if not color:
        chart = strip_ansi(chart)
    key_dot = f"{_ANSI_COLOUR['cyan']}•\x1b[0m" if color else "o"
    key_line = f"\x1b[1m{_ANSI_COLOUR['orange']}━━\x1b[0m" if color else "+ +"
    return f"{chart}\n  {key_dot} a configuration's score   {key_line} the best so far"
