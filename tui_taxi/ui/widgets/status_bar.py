"""One line, always on screen: what runs (or that it is paused), how fast, the learner and its
parameters, the counters and the policy's optimality. Every key's effect shows here."""

from __future__ import annotations

import time

from rich.text import Text

from tui_taxi.checks import diverging_words
from tui_taxi.core.optimal import scorable
from tui_taxi.protocol import Snapshot
from tui_taxi.ui.agent_views import agent_view
from tui_taxi.ui.format import count, plural, signed
from tui_taxi.ui.widgets.line_cache import LineCache

INTERVAL = 0.1  # seconds between redraws while training runs fast
DIM = "#8a8a96"
RUN, PAUSE, PLAY, BAD = "#3aa655", "#e3b505", "#d670d6", "#d64545"


class StatusBar(LineCache):
    DEFAULT_CSS = """
    StatusBar { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: Snapshot | None = None
        self.starting: str | None = "starting…"
        self._drawn_at = 0.0

    def show(self, snapshot: Snapshot) -> None:
        """At once when a setting changed or when stepping; at most every INTERVAL seconds
        while training runs fast (the counters change on every frame)."""
        old, self.snapshot, self.starting = self.snapshot, snapshot, None
        now = time.monotonic()
        if (
            old is None
            or snapshot.step_by_step
            or _settings(old) != _settings(snapshot)
            or now - self._drawn_at >= INTERVAL
        ):
            self._drawn_at = now
            self.refresh_text()

    def show_starting(self, text: str) -> None:
        self.starting = text
        self.refresh_text()

    def text(self) -> Text:
        width = max(20, self.size.width)
        if self.snapshot is None:
            return Text(f"⏳ {self.starting}  (space: start paused · ? help · q quit)", style=PAUSE)
        return status_text(self.snapshot, width)


def _settings(snap: Snapshot) -> tuple:
    return (
        snap.config,
        tuple(s.brief for s in snap.settings),
        snap.paused,
        snap.speed_index,
        snap.manual,
        snap.practice > 0,
        snap.report is None,
    )


def status_text(snap: Snapshot, width: int) -> Text:
    """Segments in order of importance; the least important are dropped to fit ``width``."""
    if snap.manual:
        head = Text("● PLAY MODE ", style=f"bold {PLAY}")
        if snap.practice:
            head.append(
                f"the agent trains first: {count(snap.practice)} {snap.unit} to go", style=PLAY
            )
        else:
            head.append(
                f"your trip {plural(snap.trip_steps, 'steps')}, return {signed(snap.trip_return)}",
                style="bold",
            )
    elif snap.paused:
        head = Text("‖ paused", style=f"bold {PAUSE}")
        head.append(f" · {snap.speed.label}", style=DIM)
    else:
        head = Text("▶ ", style=f"bold {RUN}")
        head.append(snap.speed.label, style="bold")
        if not snap.speed.animated:  # flat out: the rate reached (animated: the label says it)
            head.append(f" {count(snap.steps_per_second)} steps/s", style=DIM)
    params = Text(snap.variant, style="bold")
    for setting in snap.settings:  # as the kind names them: ε α γ, or ε lr γ
        params.append(f"  {setting.symbol} {setting.brief}", style="bold")
    counters = Text(f"episode {count(snap.episode)} · step {snap.t}", style="")
    steps = Text(f"{count(snap.total_steps)} steps total", style=DIM)
    report = snap.report
    if report is None and (snap.model is None or not scorable(snap.model)):
        optimal = None  # no exact optimum for a continuous world, nor one too large to score
    elif report is None:
        optimal = Text("optimal …", style=DIM)
    else:
        colour = RUN if report.optimality == 1.0 else PAUSE if report.optimality > 0.5 else BAD
        optimal = Text(f"optimal {report.n_optimal}/{report.n_start}", style=f"bold {colour}")
    # (segment, priority): lower numbers stay longest
    memory = agent_view(snap.kind).status(snap)  # a network's replay buffer and target
    check, warning = check_status(snap.check)
    segments = [
        (head, 0),
        (warning, 0.5),  # before the settings: it says what to change
        (params, 1),
        (check, 2),  # a network's "solved at": before the episode's counters
        (counters, 2.5),
        (optimal, 3),
        (memory, 4),
        (steps, 5),
    ]
    segments = [(segment, rank) for segment, rank in segments if segment is not None]
    sep = Text(" │ ", style=DIM)
    while True:
        parts = [s for s, _ in segments]
        line = sep.join(parts)
        if line.cell_len <= width or len(segments) == 1:
            line.truncate(width, overflow="ellipsis")
            return line
        segments.remove(max(segments, key=lambda item: item[1]))


def check_status(check) -> tuple[Text | None, Text | None]:
    """A network's live greedy check against a reward threshold ("solved at 87,500 · greedy
    500.0", or the last figure against the threshold), and a warning when its Q-values are past
    any possible return."""
    if check is None:
        return None, None
    warning = Text(diverging_words(check), style=f"bold {BAD}") if check.diverging else None
    if check.threshold is None or check.steps < 0:
        return None, warning
    if check.reached_at >= 0:
        shown = Text(f"solved at {count(check.reached_at)}", style=f"bold {RUN}")
        shown.append(f" · greedy {check.figure:.1f}", style="bold")
    else:
        shown = Text(f"greedy {check.figure:.1f}", style="bold")
        shown.append(f" of {check.threshold:g}", style=DIM)
    return shown, warning
