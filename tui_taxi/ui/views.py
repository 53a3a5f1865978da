"""Which widgets draw which world: one small registry, keyed by the compiled env.

A world view names the widget that draws the world, the one that shows the current slice of Q
(if the world has one), and how play mode's moves map to the env's actions (from the env's own
action names, never Taxi's). A new world adds an entry here and its widgets; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.widget import Widget

from tui_taxi.core.envs import CompiledEnv

#: Play mode's moves and the action names that mean them, in any env.
MOVE_NAMES = {
    "up": ("North", "Up"),
    "down": ("South", "Down"),
    "left": ("West", "Left"),
    "right": ("East", "Right"),
    "pickup": ("Pickup",),
    "dropoff": ("Dropoff",),
}


@dataclass(frozen=True)
class WorldView:
    name: str
    world: Callable[..., Widget]  # draws the world and the last action
    zoom: Callable[..., Widget] | None  # the current slice of Q as a map, if the world has one
    guide: str  # how to read the world, for the help screen
    describe: Callable[[CompiledEnv, int], str]  # a state in words, at most 24 characters


def _taxi() -> WorldView:
    from tui_taxi.ui.widgets.q_zoom import QZoom
    from tui_taxi.ui.widgets.taxi_grid import TaxiGrid

    return WorldView(
        "taxi",
        TaxiGrid,
        QZoom,
        "[b]Grid[/b]: pads R G Y B; ☺ waiting passenger; ⚑ destination; yellow T: empty taxi; "
        "green T☺: carrying.\n[b]Slice[/b]: the current (passenger, destination) as the map, "
        "coloured by max Q, arrow = greedy action.",
        _taxi_state,
    )


def _taxi_state(model: CompiledEnv, state: int) -> str:
    from tui_taxi.core.envs import TAXI_IN_TAXI, TAXI_PADS, taxi_decode

    row, col, passenger, dest = taxi_decode(state)
    where = "in taxi" if passenger == TAXI_IN_TAXI else TAXI_PADS[passenger]
    return f"taxi {row},{col} · {where} → {TAXI_PADS[dest]}"


def _fallback() -> WorldView:
    from tui_taxi.ui.widgets.state_text import StateText

    return WorldView("state", StateText, None, "[b]World[/b]: the current state's number.",
                     lambda model, state: f"state {state}")  # fmt: skip


#: (predicate, view factory), first match wins; the fallback draws any env.
REGISTRY: list[tuple[Callable[[CompiledEnv], bool], Callable[[], WorldView]]] = [
    (lambda model: model.is_taxi, _taxi),
]


def view_for(model: CompiledEnv) -> WorldView:
    for matches, make in REGISTRY:
        if matches(model):
            return make()
    return _fallback()


def move_action(model: CompiledEnv, move: str) -> int | None:
    """The env's action for a play-mode move (None: this world has no such action)."""
    for name in MOVE_NAMES[move]:
        if name in model.action_names:
            return model.action_names.index(name)
    return None


def play_moves(model: CompiledEnv) -> list[str]:
    """The moves this world offers, in key order."""
    return [move for move in MOVE_NAMES if move_action(model, move) is not None]
