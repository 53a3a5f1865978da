"""Choose a world: the grid worlds of the course and Taxi, each starting a fresh session."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_taxi.core.worlds import COURSE_WORLDS


def available_worlds() -> list[tuple[str, str, tuple]]:
    """The worlds whose env is registered here."""
    import gymnasium as gym

    return [w for w in COURSE_WORLDS if w[1] in gym.registry]


class WorldPicker(ModalScreen[tuple[str, tuple] | None]):
    """Dismisses with (env id, env kwargs), or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    WorldPicker { align: center middle; }
    WorldPicker > Vertical {
        width: 60; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    WorldPicker OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, current: tuple[str, tuple]) -> None:
        super().__init__()
        self.worlds = available_worlds()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Choose a world[/b] (a fresh agent, with that world's defaults)")
            options = [
                Option(("● " if (env, kw) == self.current else "  ") + label, id=str(i))
                for i, (label, env, kw) in enumerate(self.worlds)
            ]
            yield OptionList(*options)
            yield Static("[dim]↑ ↓ choose · enter start · escape cancel[/dim]")

    def on_mount(self) -> None:
        """The cursor starts on the current world (enter keeps it: a fresh agent there)."""
        here = [i for i, (_, env, kw) in enumerate(self.worlds) if (env, kw) == self.current]
        if here:
            self.query_one(OptionList).highlighted = here[0]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        _, env_id, kwargs = self.worlds[int(event.option.id)]
        self.dismiss((env_id, kwargs))
