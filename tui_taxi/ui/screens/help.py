"""The `?` screen: the keys of the current mode, grouped, and how to read the screen."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_taxi.ui.keys import MODE_NAMES, Key


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 104; max-width: 96%; height: auto; max-height: 92%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    HelpScreen #help-keys { height: auto; }
    HelpScreen #help-keys > Static { width: 1fr; }
    """

    def __init__(self, mode: str, keys: list[Key], world_guide: str, agent_guide: str) -> None:
        super().__init__()
        self.mode = mode
        self.keys = keys
        self.world_guide = world_guide
        self.agent_guide = agent_guide

    def compose(self) -> ComposeResult:
        groups: dict[str, list[Key]] = {}
        for key in self.keys:
            groups.setdefault(key.group, []).append(key)
        first = {"train": "Training", "play": "Play", "tour": "Tour"}[self.mode]
        left = sorted((g for g in groups if g not in RIGHT), key=lambda g: g != first)
        right = [g for g in groups if g in RIGHT]
        with VerticalScroll():
            yield Static(
                f"[b]Keys in {MODE_NAMES[self.mode]}[/b]  (also in the command palette, ctrl+p)"
            )
            with Horizontal(id="help-keys"):
                yield Static(_table(groups, left))
                yield Static(_table(groups, right))
            yield Static(self.world_guide + "\n" + self.agent_guide)
            yield Static("[dim]escape or ? closes this screen[/dim]")


#: Groups shown in the right-hand table (the mode's own keys go left).
RIGHT = ("View", "Session", "App")


def _table(groups: dict[str, list[Key]], names: list[str]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold #f2c12e", justify="right", no_wrap=True, min_width=6)
    table.add_column()  # wraps where the column is narrow: nothing is cut
    for name in names:
        table.add_row("", f"[b u]{name}[/b u]")
        for key in groups[name]:
            table.add_row(_keys(key), key.help)
    return table


def _keys(key: Key) -> str:
    """All the keys of a binding, as people write them."""
    names = {
        "right_square_bracket": "]",
        "left_square_bracket": "[",
        "question_mark": "?",
        "space": "space",
        "right": "→",
        "left": "←",
        "up": "↑",
        "down": "↓",
        "pagedown": "pgdn",
        "pageup": "pgup",
        "backspace": "⌫",
    }
    return " ".join(names.get(k, k) for k in key.keys.split(","))
