"""The tutorials' table: the random agent against the trained (greedy) agent and the optimum."""

from __future__ import annotations

import math

from rich.text import Text

from tui_taxi.protocol import Comparison
from tui_taxi.ui.format import count, percent, value
from tui_taxi.ui.widgets.line_cache import LineCache

DIM, GOOD, BAD = "#8a8a96", "#3aa655", "#d64545"


class CompareTable(LineCache):
    DEFAULT_CSS = """
    CompareTable { height: 9; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.comparison: Comparison | None = None

    def show(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.refresh_text()

    def text(self) -> Text:
        c = self.comparison
        if c is None:
            return Text("evaluating the random and the trained agent…", style=DIM)
        return compare_text(c)


def compare_text(c: Comparison) -> Text:
    """At most 9 lines of 32 characters (a world too large to score: "—" for the best)."""
    opt = c.optimum
    nan = math.nan
    rows = [
        ("steps/trip", c.random.mean_steps, c.trained.mean_steps, opt and opt.mean_steps),
        (
            "penalties",
            c.random.mean_penalties,
            c.trained.mean_penalties,
            opt and opt.mean_penalties,
        ),
        (
            "reward/step",
            c.random.reward_per_move,
            c.trained.reward_per_move,
            opt and opt.mean_return / opt.mean_steps,
        ),
        ("success", c.random.success_rate, c.trained.success_rate, opt and opt.success_rate),
    ]
    rows = [(label, *(nan if x is None else x for x in cells)) for label, *cells in rows]
    text = Text(f"{c.random.episodes} episodes each, no learning\n", style="bold")
    text.append(f"after {count(c.episode)} training episodes\n", style=DIM)
    text.append(f"{'':<11}{'random':>7}{'agent':>7}{'best':>7}\n", style=DIM)
    for label, *cells in rows:
        text.append(f"{label:<11}", style=DIM)
        for i, cell in enumerate(cells):
            shown = (
                percent(cell)
                if label == "success"
                else compare_cell(cell, 3 if label == "reward/step" else 2)
            )
            style = BAD if i == 0 else GOOD if i == 1 else ""
            text.append(f"{shown:>7}", style=style)
        text.append("\n")
    text.rstrip()
    return text


def compare_cell(x: float, digits: int = 2) -> str:
    """A cell of 7 characters at most: ``digits`` decimals (13.13 steps beside the optimum's
    13.07, 0.603 a step beside 0.607: rounded further, the agent would look optimal in one
    row and not in the next), fewer for larger numbers."""
    if math.isnan(x):
        return "—"
    if abs(x) >= 1000:
        return count(x)
    return value(x, digits if abs(x) < 10 else min(digits, 2) if abs(x) < 100 else 1)
