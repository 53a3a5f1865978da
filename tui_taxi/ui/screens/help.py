"""The `?` screen: every key, what it does, and how to read the screen."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

GUIDE = """\
[b]Reading the screen[/b]
[b]Grid[/b]: pads R G Y B; ☺ waiting passenger; ⚑ destination; yellow T: empty taxi; green T☺: carrying.
[b]Q-table[/b]: every state as 3 cells (top S N E, bottom W P D); a row per taxi cell, a column group
per (passenger, destination); red negative, green positive; ▶ ▲ point at the current state.
[b]Slice[/b]: the current (passenger, destination) as the map, coloured by max Q, arrow = greedy action.
[b]Optimal[/b]: start states (of 300) from which the greedy policy earns the optimal return.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = bindings

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold #f2c12e", justify="right")
        table.add_column()
        for key, description in self.keys:
            table.add_row(key, description)
        with VerticalScroll():
            yield Static("[b]Keys[/b]  (also in the footer and the command palette, ctrl+p)")
            yield Static(table)
            yield Static(GUIDE)
            yield Static("[dim]escape or ? closes this screen[/dim]")
