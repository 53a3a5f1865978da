"""A one-line progress bar for the training loop (:mod:`tui_taxi.core.training`), which reports
to it and never prints itself: ``tui-taxi train`` shows it on a terminal, the Python API's
``learn(progress_bar=True)`` always."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    """``[####----] 12,000/100,000 episodes | 1.2M steps/s | ETA 3.1s | mean return ...``,
    toward an episode budget, a step budget or both (the bar shows whichever is nearer its
    end); silent off a terminal unless ``always``."""

    def __init__(self, out: TextIO | None = None, *, always: bool = False) -> None:
        self.out = out if out is not None else sys.stderr
        self.live = always or self.out.isatty()
        self.shown = False

    @staticmethod
    def fraction(run) -> float:
        b = run.budget
        parts = [
            done / total
            for done, total in ((run.episodes_done, b.episodes), (run.steps_done, b.steps))
            if total
        ]
        return min(1.0, max(parts, default=1.0))

    def update(self, run) -> None:
        if not self.live:
            return
        b = run.budget
        elapsed = run.elapsed
        done = self.fraction(run)
        eta = elapsed * (1 - done) / done if done > 0 else float("inf")
        filled = int(24 * done)
        bar = "#" * filled + "-" * (24 - filled)
        episodes, steps = run.episodes_done, run.steps_done
        counts = [
            f"{episodes:,}/{b.episodes:,} episodes" if b.episodes else f"{episodes:,} episodes"
        ]
        if b.steps:
            counts.append(f"{steps:,}/{b.steps:,} steps")
        if elapsed <= 0:
            rate = "-"
        elif b.steps:
            rate = f"{steps / elapsed:,.0f} steps/s"
        else:
            rate = f"{episodes / elapsed:,.0f} ep/s"
        mean = run.agent.history.recent_mean_return()
        self.shown = True  # (first: a Ctrl-C during the write still ends the line in close)
        self.out.write(
            f"\r[{bar}] {', '.join(counts)} | {rate} | ETA {eta:.1f}s | "
            f"mean return (last 100) {mean:.2f} "
        )
        self.out.flush()

    def close(self) -> None:
        if self.live and self.shown:
            self.out.write("\n")
            self.out.flush()
