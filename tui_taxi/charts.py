"""Learning curves drawn with plotext for the terminal (each chart its own figure, no globals)."""

from __future__ import annotations

from tui_taxi.core.history import History, debiased_ema, downsample


def learning_curve(
    history: History, width: int = 80, height: int = 18, smoothing: float = 0.9
) -> str:
    """The run's mean return per episode, downsampled to the width, with a debiased EMA line."""
    from plotext._figure import _figure_class

    means = history.means()
    x, y = downsample(means["episode"] + history.width / 2, means["episodic_return"], width * 2)
    fig = _figure_class()
    fig.plot_size(width, height)
    fig.theme("clear")
    fig.title("return per episode")
    fig.xlabel("episode")
    fig.scatter(list(x), list(y), marker="dot", label="return")
    if len(y) > 1:
        fig.plot(list(x), list(debiased_ema(y, smoothing)), marker="braille", label="smoothed")
    return fig.build()
