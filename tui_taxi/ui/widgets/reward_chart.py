"""The learning curve: one metric at a time (return, steps or penalties per episode, or the book's
episodes against time steps), the whole run downsampled, its debiased EMA, round ticks, and a
range that shows the learnt part when the first episodes would flatten it (and says so).
plotext is slow, so the chart is rebuilt at most every REDRAW seconds, in a worker thread."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.text import Text
from textual.message import Message
from textual.strip import Strip
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from tui_taxi.charts import (
    METRICS,
    TITLES,
    YRange,
    clip_line,
    nice_ticks,
    readable_range,
    tick_labels,
)
from tui_taxi.core.episodes import debiased_ema, downsample
from tui_taxi.core.worlds import penalty_words
from tui_taxi.protocol import ChartSeries, KeptCurve, Snapshot
from tui_taxi.ui.format import count, value
from tui_taxi.ui.views import has_penalties
from tui_taxi.ui.widgets.line_cache import LineCache, text_strips

REDRAW = 0.5  # seconds between rebuilds
SMOOTHING = (0.0, 0.6, 0.9, 0.99)  # TensorBoard-style weights the user cycles through
RANGES = ("learnt part", "whole range")


def metrics_of(series: ChartSeries | None, penalties: bool = True) -> tuple[str, ...]:
    """The metrics a series has, in the order `v` cycles them: return, steps, penalties (where
    the agent counts them), the kind's own curves (a network's TD loss and epsilon), then the
    book's staircase."""
    extras = tuple(curve.name for curve in series.extras) if series is not None else ()
    base = METRICS[:-1] if penalties else tuple(m for m in METRICS[:-1] if m != "penalties")
    return (*base, *extras, METRICS[-1])


def title_of(series: ChartSeries | None, metric: str, penalties: str = "penalties") -> str:
    """The chart's title for ``metric`` (a world's penalties as it calls them)."""
    for curve in series.extras if series is not None else ():
        if curve.name == metric:
            return curve.title
    return f"{penalties} per episode" if metric == "penalties" else TITLES[metric]


POINTS, LINE, SYNC, KEPT = (110, 110, 130), (242, 193, 46), (214, 112, 214), (80, 160, 255)


class RewardChart(LineCache, PlotextPlot):
    DEFAULT_CSS = """
    RewardChart { min-height: 8; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.series: ChartSeries | None = None
        self.kept: tuple[KeptCurve, ...] = ()  # earlier runs, drawn beside this one
        self.variant = ""  # what this run is (the legend names it beside a kept run)
        self.recent: tuple = ()  # this run's last 100 episodes' means, per metric (the legend)
        self.penalties = True  # the agent counts the world's penalties, and it has some
        self.penalty_words = "penalties"  # what they are called (Cliff Walking: cliff falls)
        self.smoothing_index = 2
        self.metric_name = METRICS[0]
        self.range_index = 0
        self._drawn: ChartSeries | None = None
        self._drawn_at = 0.0
        self.title_text = ""
        self.y_note = ""  # what the clipped range leaves out, in words
        self._generation = 0  # of the newest build asked for
        self._building = 0  # builds running in worker threads

    @property
    def up_to_date(self) -> bool:
        """True when the chart shows the latest series it was given."""
        return self.series is None or (self._drawn is self.series and not self._building)

    @property
    def smoothing(self) -> float:
        return SMOOTHING[self.smoothing_index]

    @property
    def metric(self) -> str:
        metrics = metrics_of(self.series, self.penalties)
        return self.metric_name if self.metric_name in metrics else metrics[0]

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(2 * REDRAW, self._redraw_if_stale)

    def show(self, snap: Snapshot) -> None:
        self.series = snap.chart
        self.penalties = snap.counts_penalties and has_penalties(snap.world)  # (FrozenLake: none)
        self.penalty_words = penalty_words(snap.world)
        self.variant = snap.variant
        self.recent = (
            ("episodic_return", snap.recent_mean_return),
            ("episodic_length", snap.recent_mean_length),
        )
        if snap.kept is not self.kept:  # (the same tuple until a curve is kept or let go)
            self.kept = snap.kept
            self._drawn = None  # redraw with (or without) the kept curve
        wait = REDRAW if snap.step_by_step or snap.speed.animated else 2 * REDRAW  # flat out
        if time.monotonic() - self._drawn_at >= wait:
            self._redraw_if_stale()

    def on_resize(self) -> None:
        self._redraw(force=True)  # the point count follows the width

    def cycle_smoothing(self) -> float:
        self.smoothing_index = (self.smoothing_index + 1) % len(SMOOTHING)
        self._redraw(force=True)
        return self.smoothing

    def cycle_metric(self) -> str:
        metrics = metrics_of(self.series, self.penalties)
        self.metric_name = metrics[(metrics.index(self.metric) + 1) % len(metrics)]
        self._redraw(force=True)
        return title_of(self.series, self.metric, self.penalty_words)

    def toggle_range(self) -> str:
        self.range_index = (self.range_index + 1) % len(RANGES)
        self._redraw(force=True)
        return RANGES[self.range_index]

    def set_view(self, metric: str, clipped: bool) -> None:
        """The metric and range to show (a tour's step chooses them)."""
        self.metric_name = metric
        self.range_index = 0 if clipped else 1
        self._redraw(force=True)

    def adopt_view(self, other: RewardChart) -> None:
        """Show what ``other`` showed (metric, range, smoothing): a new world's chart."""
        self.metric_name, self.range_index = other.metric_name, other.range_index
        self.smoothing_index = other.smoothing_index
        self._drawn = None

    def _redraw_if_stale(self) -> None:
        if self.series is not None and self.series is not self._drawn:
            self._redraw()

    def _redraw(self, force: bool = False) -> None:
        """Build the chart in a worker thread (plotext takes tens of milliseconds for a big
        chart); the UI thread only swaps in the finished text."""
        series = self.series
        if series is None or (series is self._drawn and not force) or not self.size.width:
            return
        self._drawn, self._drawn_at = series, time.monotonic()
        self._generation += 1
        spec = ChartSpec(
            series,
            self.metric,
            self.smoothing,
            self.range_index == 0,
            self.size.width,
            self.size.height,
            self._get_plotext_theme_name(self.app.theme),
            self.kept,
            self.variant,
            self.recent,
            self.penalty_words,
        )
        generation = self._generation
        self._building += 1
        self.run_worker(
            lambda: self._build(generation, spec), thread=True, group="chart", exit_on_error=False
        )

    def _build(self, generation: int, spec: ChartSpec) -> None:
        try:
            built = build_chart(spec)
        except Exception as exc:  # noqa: BLE001 - shown in the chart's place, never lost
            text = Text(f"the chart could not be drawn: {type(exc).__name__}: {exc}", style="red")
            built = (text_strips(text, spec.width, Console(width=spec.width)), "", "")
        self.post_message(ChartBuilt(generation, built))

    def on_chart_built(self, message: ChartBuilt) -> None:
        self._building -= 1
        if message.generation != self._generation:
            return  # superseded by a newer build
        lines, self.title_text, self.y_note = message.built
        self.set_lines(lines)


class ChartBuilt(Message):
    def __init__(self, generation: int, built: tuple[list[Strip], str, str]) -> None:
        super().__init__()
        self.generation = generation
        self.built = built


@dataclass(frozen=True)
class ChartSpec:
    """Everything a chart is built from (so a worker thread can build it alone)."""

    series: ChartSeries
    metric: str
    smoothing: float
    clipped: bool
    width: int
    height: int
    theme: str
    kept: tuple[KeptCurve, ...] = ()
    variant: str = ""
    recent: tuple = ()  # (metric, this run's mean over its last 100 episodes)
    penalty_words: str = "penalties"


def _points(series: ChartSeries, metric: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A series' x and y for ``metric`` (None: the series has no such metric)."""
    if metric == "staircase":
        return series.time_step, series.episodes_done
    extras = {curve.name: curve.values for curve in series.extras}
    y = extras.get(metric, getattr(series, metric, None))
    return None if y is None else (series.episode, y)


def _same_points(a, b) -> bool:
    """Two series' points are the same (a curve kept from this very run, nothing since)."""
    return (
        a is not None
        and b is not None
        and all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(a, b, strict=True))
    )


def _rgb(colour: tuple[int, int, int]) -> str:
    """A Rich colour for an RGB triple: "rgb(242,193,46)" (Rich reads no spaces in it)."""
    return "rgb({},{},{})".format(*colour)


def _kept_recent(k: KeptCurve, metric: str) -> float:
    """The kept run's mean over its last 100 episodes of ``metric`` (its return otherwise)."""
    return k.recent_length if metric == "episodic_length" else k.recent_return


def _legend(spec: ChartSpec, kept: list[KeptCurve], this_one: str | None = None) -> list[Text]:
    """Which line is which (and the kept runs' last 100 episodes): one line, or one line per
    run where one line does not fit. ``this_one``: the label of a kept curve that is this run
    as it is now (just kept: one line, named both ways)."""
    now = dict(spec.recent).get(spec.metric)
    name = spec.variant or "this run"
    kept_as = "" if not this_one else ", kept" if this_one == name else f", kept as {this_one}"
    head = f"{name} (now{kept_as})"
    if now is not None and not math.isnan(now):
        head += f": last 100 {value(now)}"
    entries = [Text.assemble(("━━ ", _rgb(LINE)), head)]
    wrapped = False
    for k in kept:
        label = f"{k.label} (kept): {count(k.episodes)} episodes,"
        figure = f"last 100 {value(_kept_recent(k, spec.metric))}"
        entry = Text.assemble(("━━ ", _rgb(KEPT)), label, " ", figure)
        if entry.cell_len <= spec.width:
            entries.append(entry)
        else:  # too narrow: its figure on a line of its own
            entries += [Text.assemble(("━━ ", _rgb(KEPT)), label), Text(f"   {figure}")]
            wrapped = True
    one = Text("   ").join(entries)
    return [one] if one.cell_len <= spec.width and not wrapped else entries


def build_chart(spec: ChartSpec) -> tuple[list[Strip], str, str]:
    """The chart as lines, its title and what a clipped y-range leaves out (thread-safe: a
    plotext figure and a console of its own, so the UI thread only shows the lines); with a
    kept curve, its line too, and a legend line under the chart naming both."""
    kept = [(k, _points(k.series, spec.metric)) for k in spec.kept]
    kept = [(k, p) for k, p in kept if p is not None and len(p[0])]
    now = _points(spec.series, spec.metric)
    this_one = next((k.label for k, p in kept if _same_points(p, now)), None)
    kept = [(k, p) for k, p in kept if not _same_points(p, now)]  # (one line, not two alike)
    legend = _legend(spec, [k for k, _ in kept], this_one) if kept or this_one else []
    height = spec.height - len(legend)
    plt = Plot()
    plt.plotsize(spec.width, height)
    plt._set_size(spec.width, height)
    plt.theme(spec.theme)
    series = spec.series
    staircase = spec.metric == "staircase"
    x, y = _points(series, spec.metric)
    view: YRange | None = None
    if len(x):
        x_all, y_all = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        smooth = None
        if spec.smoothing > 0 and not staircase:  # smoothed at the finer resolution: less lag
            smooth = downsample(x_all, debiased_ema(y_all, spec.smoothing), spec.width)[1]
        x, y = downsample(x_all, y_all, spec.width)  # one point per column
        others = [downsample(*map(np.asarray, p), spec.width) for _, p in kept]
        view = _y_range(np.concatenate([y, *(oy for _, oy in others)]), spec)
        plt.scatter(list(x), list(y), marker="dot", color=POINTS)  # plotext clips to ylim
        for ox, oy in others:  # a kept run: its smoothed line (or its points, unsmoothed)
            line = debiased_ema(oy, spec.smoothing) if spec.smoothing > 0 and not staircase else oy
            for run_x, run_y in clip_line(ox, line, view.lo, view.hi):
                plt.plot(run_x, run_y, marker="braille", color=KEPT)
        if smooth is not None:
            for run_x, run_y in clip_line(x, smooth, view.lo, view.hi):
                plt.plot(run_x, run_y, marker="braille", color=LINE)
        x_hi = max([float(x_all[-1]), *(float(ox[-1]) for ox, _ in others)])
        x_lo = 0.0 if staircase else float(x_all[0])
        if not staircase and x_hi - x_lo < 2:  # a first episode or two: whole episodes apart
            x_lo, x_hi = min(0.0, x_lo), max(x_lo, 0.0) + 2
        if x_hi > x_lo:
            plt.xlim(x_lo, x_hi)
            xs = nice_ticks(x_lo, x_hi, max(2, spec.width // 10), integer=True)
            plt.xticks(xs, tick_labels(xs))
        top = view.hi
        marks = series.marks.at if series.marks is not None else None
        if marks is not None and len(marks) and not staircase:  # a row of their own on top
            top = view.hi + (view.hi - view.lo) / max(1, spec.height - 6)
            plt.scatter(list(marks), [top] * len(marks), marker="▾", color=SYNC)
        plt.ylim(view.lo, top)
        plt.yticks(list(view.ticks), tick_labels(list(view.ticks)))
    parts = [title_of(series, spec.metric, spec.penalty_words)]
    if view is not None and view.clipped:
        parts.append("y clipped (z: all)")
    marks = series.marks
    if marks is not None and not staircase:  # each one marked, or how often they come
        parts.append(
            f"▾ {marks.label}"
            if marks.at is not None
            else f"{marks.label} every {marks.every:,} steps"
        )
    if not staircase:
        parts.append(f"smoothing {spec.smoothing:g}")
    while len(" · ".join(parts)) > spec.width - 4 and len(parts) > 1:
        parts.pop()  # plotext drops a title that does not fit: keep what fits
    title = " · ".join(parts)
    plt.title(title)
    plt.xlabel("time steps" if staircase else "episode")
    text = Text.from_ansi(plt.build().rstrip("\n"))
    for line in legend:
        text.append("\n")
        text.append_text(line)
    lines = text_strips(
        text, spec.width, Console(width=spec.width, color_system="truecolor", force_terminal=True)
    )
    return lines, title, view.note if view is not None else ""


def _y_range(y: np.ndarray, spec: ChartSpec) -> YRange:
    max_ticks = max(2, spec.height // 3)
    if spec.clipped:
        return readable_range(y, max_ticks=max_ticks)
    lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
    if lo == hi:
        lo, hi = lo - 1.0, hi + 1.0
    return YRange(lo, hi, tuple(nice_ticks(lo, hi, max_ticks)))
