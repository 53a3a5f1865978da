"""A finished trip: the person beside the optimum and the agent, from the same start."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_taxi.protocol import TripResult


class TripScreen(ModalScreen[bool]):
    """Dismisses with True when the person asks to watch the agent's run."""

    BINDINGS = [
        Binding("a", "dismiss(True)", "Replay the agent"),
        Binding("escape,enter,space", "dismiss(False)", "Continue"),
    ]
    DEFAULT_CSS = """
    TripScreen { align: center middle; }
    TripScreen > Vertical {
        width: 70; height: auto; border: thick $success; background: $surface; padding: 1 2;
    }
    """

    def __init__(self, trip: TripResult) -> None:
        super().__init__()
        self.trip = trip

    def compose(self) -> ComposeResult:
        t = self.trip
        extra = t.steps - t.optimal_steps
        verdict = ("optimal!" if extra <= 0 and t.delivered
                   else f"{extra:g} step{'' if extra == 1 else 's'} more than the best")  # fmt: skip
        table = Table(box=None, padding=(0, 2))
        table.add_column("")
        table.add_column("steps", justify="right")
        table.add_column("penalties", justify="right")
        table.add_column("return", justify="right")
        table.add_row("you", str(t.steps), str(t.penalties), f"{t.episodic_return:+g}")
        table.add_row("best possible", f"{t.optimal_steps:g}", "0", f"{t.optimal_return:+g}")
        cut = t.agent.truncated
        table.add_row("the agent", f"{t.agent.steps}+" if cut else str(t.agent.steps),
                      str(t.agent_penalties), f"{t.agent.episodic_return:+g}")  # fmt: skip
        with Vertical():
            yield Static(f"[b]Trip over[/b]: you took {t.steps} steps; the best possible is "
                         f"{t.optimal_steps:g} ({verdict})")  # fmt: skip
            yield Static(table)
            if t.agent.loops:
                yield Static(f"[b #d64545]The agent loops[/]: from your start its greedy policy "
                             f"goes round in circles (stopped after {t.agent.steps} steps).")  # fmt: skip
            elif cut:
                yield Static(f"[b #d64545]The agent did not finish[/] within {t.agent.steps} "
                             "steps from your start.")  # fmt: skip
            yield Static("[dim]a: replay the agent's run from your start · enter: next trip[/dim]")
