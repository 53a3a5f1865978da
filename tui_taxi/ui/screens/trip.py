"""A finished trip: the person beside the optimum and the agent, from the same start."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_taxi.protocol import BalanceResult, TripResult


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
        verdict = (
            "optimal!"
            if extra <= 0 and t.delivered
            else f"{extra:g} step{'' if extra == 1 else 's'} more than the best"
        )
        table = Table(box=None, padding=(0, 2))
        table.add_column("")
        table.add_column("steps", justify="right")
        table.add_column("penalties", justify="right")
        table.add_column("return", justify="right")
        table.add_row("you", str(t.steps), str(t.penalties), f"{t.episodic_return:+g}")
        table.add_row("best possible", f"{t.optimal_steps:g}", "0", f"{t.optimal_return:+g}")
        cut = t.agent.truncated
        table.add_row(
            "the agent",
            f"{t.agent.steps}+" if cut else str(t.agent.steps),
            str(t.agent_penalties),
            f"{t.agent.episodic_return:+g}",
        )
        with Vertical():
            yield Static(
                f"[b]Trip over[/b]: you took {t.steps} steps; the best possible is "
                f"{t.optimal_steps:g} ({verdict})"
            )
            yield Static(table)
            if t.agent.loops:
                yield Static(
                    f"[b #d64545]The agent loops[/]: from your start its greedy policy "
                    f"goes round in circles (stopped after {t.agent.steps} steps)."
                )
            elif cut:
                yield Static(
                    f"[b #d64545]The agent did not finish[/] within {t.agent.steps} "
                    "steps from your start."
                )
            yield Static("[dim]a: replay the agent's run from your start · enter: next trip[/dim]")


class BalanceScreen(ModalScreen[None]):
    """A finished run on CartPole: how long the person kept the pole up, beside the agent's
    greedy run from the same start."""

    BINDINGS = [Binding("escape,enter,space", "dismiss", "Continue")]
    DEFAULT_CSS = """
    BalanceScreen { align: center middle; }
    BalanceScreen > Vertical {
        width: 64; height: auto; border: thick $success; background: $surface; padding: 1 2;
    }
    """

    def __init__(self, result: BalanceResult) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        r = self.result
        you = "the pole fell" if r.fell else "you reached the time limit!"
        agent = "fell" if r.agent_fell else "reached the time limit"
        table = Table(box=None, padding=(0, 2))
        table.add_column("")
        table.add_column("steps balanced", justify="right")
        table.add_column("", justify="left")
        table.add_row("you", str(r.steps), "fell" if r.fell else "time limit")
        table.add_row("the agent", str(r.agent_steps), agent)
        with Vertical():
            yield Static(
                f"[b]Run over[/b]: {you} after {r.steps} steps "
                f"({r.steps * 0.02:.2f} s of simulated time)"
            )
            yield Static(table)
            yield Static(
                "[dim]The agent's greedy run starts from your start. enter: next run[/dim]"
            )
