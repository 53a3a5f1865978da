"""Which widgets draw which world: one small registry, keyed by the compiled env.

A world view names the widget that draws the world, the one that draws its Q-table (and the room
that takes), the slice of Q beside it (if the world has one), how a state reads in words and as a
picture (for replay), and how play mode's moves map to the env's actions (from the env's own
action names, never Taxi's). A new world adds an entry here and its widgets; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from tui_taxi.core.envs import CompiledEnv

#: Play mode's moves and the action names that mean them, in any env.
MOVE_NAMES = {
    "up": ("North", "Up"),
    "down": ("South", "Down"),
    "left": ("West", "Left"),
    "right": ("East", "Right"),
    "up-left": ("Up-Left",),
    "up-right": ("Up-Right",),
    "down-left": ("Down-Left",),
    "down-right": ("Down-Right",),
    "stay": ("Stay",),
    "pickup": ("Pickup",),
    "dropoff": ("Dropoff",),
}


@dataclass(frozen=True)
class WorldView:
    name: str
    world: Callable[..., Widget]  # (model, id=...) -> draws the world and the last action
    table: Callable[..., Widget]  # (model, id=...) -> draws the Q-table
    table_size: Callable[[CompiledEnv, int, int], tuple[int, int]]  # (model, w, h) -> its size
    zoom: Callable[..., Widget] | None  # (model, id=...) -> the current slice of Q, if any
    guide: str  # how to read the world, for the help screen
    describe: Callable[[CompiledEnv, int], str]  # a state in words, at most 24 characters
    picture: Callable[[CompiledEnv, int], Text] | None  # a state drawn small (replay)
    world_rows: Callable[[CompiledEnv], int] = lambda model: 8  # the world's rows, at the least


def _taxi() -> WorldView:
    from tui_taxi.ui.widgets.q_heatmap import QHeatmap, heatmap_size
    from tui_taxi.ui.widgets.q_zoom import QZoom
    from tui_taxi.ui.widgets.taxi_grid import TaxiGrid, map_text

    return WorldView(
        "taxi",
        lambda model, **kw: TaxiGrid(**kw),
        lambda model, **kw: QHeatmap(**kw),
        lambda model, width, height: heatmap_size(model),
        lambda model, **kw: QZoom(**kw),
        "[b]Grid[/b]: pads R G Y B; ☺ waiting passenger; ⚑ destination; yellow T: empty taxi; "
        "green T☺: carrying.\n[b]Slice[/b]: the current (passenger, destination) as the map, "
        "coloured by max Q, arrow = greedy action.\n[b]Q-table[/b]: every state as three cells "
        "(top halves South North East, bottom halves West Pickup Dropoff); a row per taxi cell, "
        "a group per passenger (p=) and destination.",
        _taxi_state,
        lambda model, state: map_text(state, 9, 2),
    )


def _taxi_state(model: CompiledEnv, state: int) -> str:
    from tui_taxi.core.envs import TAXI_IN_TAXI, TAXI_PADS, taxi_decode

    row, col, passenger, dest = taxi_decode(state)
    where = "in taxi" if passenger == TAXI_IN_TAXI else TAXI_PADS[passenger]
    return f"taxi {row},{col} · {where} → {TAXI_PADS[dest]}"


def _grid() -> WorldView:
    from tui_taxi.ui.widgets.grid_world import GridWorldMap, ValueGrid, map_text, value_grid_size

    return WorldView(
        "grid",
        lambda model, **kw: GridWorldMap(model, **kw),
        lambda model, **kw: ValueGrid(**kw),
        value_grid_size,
        None,
        "[b]Map[/b]: S start, G goal, ○ hole, ▒ cliff, ● the agent; ↑ under a column: its wind "
        "(each ↑ pushes one row up).\n[b]Value grid[/b]: each cell coloured by max Q(s,·) "
        "(red low, green high) with its greedy action; i splits each cell into a compass of its "
        "actions, each on its own value's colour.",
        _grid_state,
        lambda model, state: map_text(model.grid, state, 3),
        lambda model: model.grid.n_rows + (1 if model.grid.wind else 0) + 1,
    )


_KIND_WORDS = {"S": " (start)", "G": " (goal)", "H": " (hole)", "C": " (cliff)", "F": ""}


def _grid_state(model: CompiledEnv, state: int) -> str:
    row, col = model.grid.cell(state)
    return f"row {row}, col {col}{_KIND_WORDS[model.grid.kind(row, col)]}"


def _fallback() -> WorldView:
    from tui_taxi.ui.widgets.q_heatmap import QHeatmap, heatmap_size
    from tui_taxi.ui.widgets.state_text import StateText

    return WorldView(
        "state",
        lambda model, **kw: StateText(**kw),
        lambda model, **kw: QHeatmap(**kw),
        lambda model, width, height: heatmap_size(model, width),
        None,
        "[b]World[/b]: the current state's number.",
        lambda model, state: f"state {state}",
        None,
        lambda model: 3,
    )


#: (predicate, view factory), first match wins; the fallback draws any env.
REGISTRY: list[tuple[Callable[[CompiledEnv], bool], Callable[[], WorldView]]] = [
    (lambda model: model.is_taxi, _taxi),
    (lambda model: model.grid is not None, _grid),
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
