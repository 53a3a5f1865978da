"""The learning curve: one metric at a time (return, steps or penalties per episode, or the book's
episodes against time steps), the whole run downsampled, its debiased EMA, round ticks, and a
range that shows the learnt part when the first episodes would flatten it (and says so).
plotext is slow, so the chart is rebuilt at most every REDRAW seconds."""

from __future__ import annotations

import time

import numpy as np
from textual_plotext import PlotextPlot

from tui_taxi.charts import (
    METRICS,
    TITLES,
    YRange,
    clip_line,
    nice_ticks,
    readable_range,
    tick_labels,
)
from tui_taxi.core.history import debiased_ema, downsample
from tui_taxi.protocol import ChartSeries, Snapshot

REDRAW = 0.5  # seconds between rebuilds
SMOOTHING = (0.0, 0.6, 0.9, 0.99)  # TensorBoard-style weights the user cycles through
RANGES = ("learnt part", "whole range")
POINTS, LINE = (110, 110, 130), (242, 193, 46)


class RewardChart(PlotextPlot):
    DEFAULT_CSS = """
    RewardChart { min-height: 8; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.series: ChartSeries | None = None
        self.success_word = "delivered"
        self.smoothing_index = 2
        self.metric_index = 0
        self.range_index = 0
        self._drawn: ChartSeries | None = None
        self._drawn_at = 0.0
        self.title_text = ""
        self.y_note = ""  # what the clipped range leaves out, in words

    @property
    def up_to_date(self) -> bool:
        """True when the chart shows the latest series it was given."""
        return self.series is None or self._drawn is self.series

    @property
    def smoothing(self) -> float:
        return SMOOTHING[self.smoothing_index]

    @property
    def metric(self) -> str:
        return METRICS[self.metric_index]

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REDRAW, self._redraw_if_stale)

    def show(self, snap: Snapshot) -> None:
        self.series = snap.chart
        if time.monotonic() - self._drawn_at >= REDRAW:
            self._redraw_if_stale()

    def on_resize(self) -> None:
        self._redraw(force=True)  # the point count follows the width

    def cycle_smoothing(self) -> float:
        self.smoothing_index = (self.smoothing_index + 1) % len(SMOOTHING)
        self._redraw(force=True)
        return self.smoothing

    def cycle_metric(self) -> str:
        self.metric_index = (self.metric_index + 1) % len(METRICS)
        self._redraw(force=True)
        return TITLES[self.metric]

    def toggle_range(self) -> str:
        self.range_index = (self.range_index + 1) % len(RANGES)
        self._redraw(force=True)
        return RANGES[self.range_index]

    def set_view(self, metric: str, clipped: bool) -> None:
        """The metric and range to show (a tour's step chooses them)."""
        self.metric_index = METRICS.index(metric)
        self.range_index = 0 if clipped else 1
        self._redraw(force=True)

    def _redraw_if_stale(self) -> None:
        if self.series is not None and self.series is not self._drawn:
            self._redraw()

    def _redraw(self, force: bool = False) -> None:
        series = self.series
        if series is None or (series is self._drawn and not force):
            return
        self._drawn, self._drawn_at = series, time.monotonic()
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        points = 2 * self.size.width if self.size.width else 300  # about two per column
        staircase = self.metric == "staircase"
        if staircase:
            x, y = series.time_step, series.episodes_done
        else:
            x, y = series.episode, getattr(series, self.metric)
        view: YRange | None = None
        if len(x):
            x_all = np.asarray(x, dtype=np.float64)
            x, y = downsample(x_all, np.asarray(y, dtype=np.float64), points)
            smooth = (
                debiased_ema(y, self.smoothing) if self.smoothing > 0 and not staircase else None
            )
            view = self._y_range(y)
            plt.scatter(list(x), list(y), marker="dot", color=POINTS)  # plotext clips to ylim
            if smooth is not None:
                for run_x, run_y in clip_line(x, smooth, view.lo, view.hi):
                    plt.plot(run_x, run_y, marker="braille", color=LINE)
            x_hi = float(x_all[-1])
            x_lo = 0.0 if staircase else float(x_all[0])
            self._ticks(plt, x_lo, x_hi, view)
        parts = [TITLES[self.metric]]
        if view is not None and view.clipped:
            parts.append("y clipped (z: all)")
        if not staircase:
            parts.append(f"smoothing {self.smoothing:g}")
        width = (self.size.width or 80) - 4
        while len(" · ".join(parts)) > width and len(parts) > 1:
            parts.pop()  # plotext drops a title that does not fit: keep what fits
        self.title_text = " · ".join(parts)
        self.y_note = view.note if view is not None else ""
        plt.title(self.title_text)
        plt.xlabel("time steps" if staircase else "episode")
        self.refresh()

    def _y_range(self, y: np.ndarray) -> YRange:
        max_ticks = max(2, (self.size.height or 12) // 3)
        if RANGES[self.range_index] == "learnt part":
            return readable_range(y, max_ticks=max_ticks)
        lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
        if lo == hi:
            lo, hi = lo - 1.0, hi + 1.0
        return YRange(lo, hi, tuple(nice_ticks(lo, hi, max_ticks)))

    def _ticks(self, plt, x_lo: float, x_hi: float, view: YRange) -> None:
        width = self.size.width or 80
        if x_hi > x_lo:
            plt.xlim(x_lo, x_hi)
            xs = nice_ticks(x_lo, x_hi, max(2, width // 10), integer=True)
            plt.xticks(xs, tick_labels(xs))
        plt.ylim(view.lo, view.hi)
        plt.yticks(list(view.ticks), tick_labels(list(view.ticks)))
