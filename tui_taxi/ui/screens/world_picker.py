"""Choose a world: the grid worlds of the course and Taxi, each starting a fresh session."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

#: (label, env id, env keyword arguments) of the worlds the app offers.
WORLDS: tuple[tuple[str, str, tuple], ...] = (
    ("Taxi (the tutorial's)", "Taxi-v4", ()),
    ("Taxi, rainy (stochastic moves)", "Taxi-v4", (("is_rainy", True),)),
    ("FrozenLake 4x4, slippery", "FrozenLake-v1", ()),
    ("FrozenLake 4x4, not slippery", "FrozenLake-v1", (("is_slippery", False),)),
    ("FrozenLake 8x8, slippery", "FrozenLake-v1", (("map_name", "8x8"),)),
    (
        "FrozenLake 8x8, not slippery",
        "FrozenLake-v1",
        (("is_slippery", False), ("map_name", "8x8")),
    ),
    ("Cliff Walking (Example 6.6)", "CliffWalking-v1", ()),
    ("Windy Gridworld (Example 6.5)", "tui_taxi/WindyGridworld-v0", ()),
    (
        "Windy Gridworld, king's moves (Ex. 6.9)",
        "tui_taxi/WindyGridworld-v0",
        (("king_moves", True),),
    ),
    (
        "Windy Gridworld, king's moves and stay",
        "tui_taxi/WindyGridworld-v0",
        (("king_moves", True), ("stay", True)),
    ),
    (
        "Windy Gridworld, stochastic wind (Ex. 6.10)",
        "tui_taxi/WindyGridworld-v0",
        (("king_moves", True), ("stochastic_wind", True)),
    ),
)


def available_worlds() -> list[tuple[str, str, tuple]]:
    """The worlds whose env is registered here."""
    import gymnasium as gym

    return [w for w in WORLDS if w[1] in gym.registry]


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

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        _, env_id, kwargs = self.worlds[int(event.option.id)]
        self.dismiss((env_id, kwargs))
