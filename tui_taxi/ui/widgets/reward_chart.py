"""Return per episode (the whole run, downsampled), its debiased EMA, and optionally steps and
penalties per episode. plotext is slow, so the chart is rebuilt at most every REDRAW seconds."""

from __future__ import annotations

import time

from textual_plotext import PlotextPlot

from tui_taxi.core.history import debiased_ema, downsample
from tui_taxi.trainer import ChartSeries

REDRAW = 0.5  # seconds between rebuilds
SMOOTHING = (0.0, 0.6, 0.9, 0.99)  # TensorBoard-style weights the user cycles through


class RewardChart(PlotextPlot):
    DEFAULT_CSS = """
    RewardChart { min-height: 10; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.series: ChartSeries | None = None
        self.smoothing_index = 2
        self.show_extra = False
        self._drawn: ChartSeries | None = None
        self._drawn_at = 0.0

    @property
    def up_to_date(self) -> bool:
        """True when the chart shows the latest series it was given."""
        return self.series is None or self._drawn is self.series

    @property
    def smoothing(self) -> float:
        return SMOOTHING[self.smoothing_index]

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REDRAW, self._redraw_if_stale)

    def show(self, series: ChartSeries) -> None:
        self.series = series
        if time.monotonic() - self._drawn_at >= REDRAW:
            self._redraw_if_stale()

    def on_resize(self) -> None:
        self._drawn = None  # the point count follows the width
        self._redraw_if_stale()

    def cycle_smoothing(self) -> None:
        self.smoothing_index = (self.smoothing_index + 1) % len(SMOOTHING)
        self._drawn = None
        self._redraw_if_stale()

    def toggle_extra(self) -> None:
        self.show_extra = not self.show_extra
        self._drawn = None
        self._redraw_if_stale()

    def _redraw_if_stale(self) -> None:
        series = self.series
        if series is None or series is self._drawn:
            return
        self._drawn, self._drawn_at = series, time.monotonic()
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"return per episode · smoothing {self.smoothing:g}")
        plt.xlabel("episode")
        if len(series.episode):
            # about two points per column is plenty (before the first layout: a wide guess)
            points = 2 * self.size.width if self.size.width else 300
            series = ChartSeries(
                *(
                    downsample(series.episode, y, points)[1]
                    for y in (
                        series.episode,
                        series.episodic_return,
                        series.episodic_length,
                        series.penalties,
                    )
                )
            )
            x = list(series.episode)
            plt.scatter(
                x, list(series.episodic_return), marker="dot", color=(110, 110, 130), label="return"
            )
            if self.smoothing > 0:
                smooth = debiased_ema(series.episodic_return, self.smoothing)
                plt.plot(x, list(smooth), marker="braille", color=(242, 193, 46), label="smoothed")
            if self.show_extra:
                plt.plot(x, list(series.episodic_length), marker="braille", color=(63, 127, 217),
                         label="steps", yside="right")  # fmt: skip
                plt.plot(x, list(series.penalties), marker="braille", color=(214, 69, 69),
                         label="penalties", yside="right")  # fmt: skip
        self.refresh()
