"""Which widgets draw which world: one small registry, keyed by the compiled env.

A world view names the widget that draws the world, the one that draws its Q-table (and the room
that takes), the slice of Q beside it (if the world has one), how a state reads in words and as a
picture (for replay), and how play mode's moves map to the env's actions (from the env's own
action names, never Taxi's). A new world adds an entry here and its widgets; nothing else changes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from tui_taxi.core.worlds import JACKS_CAR_RENTAL_ID, MAXIMIZATION_BIAS_ID
from tui_taxi.protocol import World

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
class PlanView:
    """How the planning screen draws a planner's values on this world."""

    #: (model, V, greedy mask with ties, state backed up last, next in sweep order, part,
    #: rows it may take) -> the values drawn
    draw: Callable[..., Text]
    parts: int = 1  # the slices of the world drawn one at a time (Taxi's 20 maps)
    part_name: Callable[[int], str] = lambda part: ""
    describe: Callable[[int], str] = lambda state: ""  # a state in words (the backup's)
    #: a map of the policy (no numbers: V's range said above it): the policy evaluated, as
    #: Figure 4.2 draws pi_0..pi_4 (the random one, or value iteration: the greedy one)
    policy_map: bool = False


@dataclass(frozen=True)
class WorldView:
    name: str
    world: Callable[..., Widget]  # (world, id=...) -> draws the world and the last action
    table: Callable[..., Widget]  # (world, id=...) -> draws the Q-table
    table_size: Callable[[World, int, int], tuple[int, int]]  # (world, w, h) -> its size
    zoom: Callable[..., Widget] | None  # (world, id=...) -> the current slice of Q, if any
    guide: str  # how to read the world, for the help screen
    describe: Callable[[World, int], str]  # a state in words, at most 24 characters
    picture: Callable[[World, int], Text] | None  # a state drawn small (replay)
    world_rows: Callable[[World], int] = lambda world: 8  # the world's rows, at the least
    #: a state as Q(s, ·) names it: its index, or the name the world gives it (A, B)
    state_name: Callable[[World, int], int | str] = lambda world, state: state
    plan: PlanView | None = None  # planning on screen (P), if drawn for this world


def _taxi() -> WorldView:
    from tui_taxi.ui.widgets.planner_grid import taxi_planner_text, taxi_slice_name, taxi_slices
    from tui_taxi.ui.widgets.q_heatmap import QHeatmap, heatmap_size
    from tui_taxi.ui.widgets.q_zoom import QZoom
    from tui_taxi.ui.widgets.taxi_grid import TaxiGrid, map_text

    return WorldView(
        "taxi",
        lambda world, **kw: TaxiGrid(**kw),
        lambda world, **kw: QHeatmap(**kw),
        lambda world, width, height: heatmap_size(world.model),
        lambda world, **kw: QZoom(**kw),
        "[b]Grid[/b]: pads R G Y B; ☺ waiting passenger; ⚑ destination; yellow T: empty taxi; "
        "green T☺: carrying.\n[b]Slice[/b]: the current (passenger, destination) as the map, "
        "coloured by max Q, arrow = greedy action (· where actions tie: a random pick among "
        "them).\n[b]Q-table[/b]: every state as three cells "
        "(top halves South North East, bottom halves West Pickup Dropoff); a row per taxi cell, "
        "a group per passenger (p=) and destination.",
        _taxi_state,
        lambda world, state: map_text(state, 9, 2),
        plan=PlanView(
            lambda model, v, greedy, last, following, part, rows: taxi_planner_text(
                model, v, greedy, last, following, part
            ),
            len(taxi_slices()),
            taxi_slice_name,
            lambda state: _taxi_state(None, state),
        ),
    )


def _taxi_state(world: World, state: int) -> str:
    from tui_taxi.core.envs import TAXI_IN_TAXI, TAXI_PADS, taxi_decode

    row, col, passenger, dest = taxi_decode(state)
    where = "in taxi" if passenger == TAXI_IN_TAXI else TAXI_PADS[passenger]
    return f"taxi {row},{col} · {where} → {TAXI_PADS[dest]}"


def _grid() -> WorldView:
    from tui_taxi.ui.widgets.grid_world import GridWorldMap, ValueGrid, map_text, value_grid_size
    from tui_taxi.ui.widgets.planner_grid import planner_grid_text

    return WorldView(
        "grid",
        lambda world, **kw: GridWorldMap(world.model, **kw),
        lambda world, **kw: ValueGrid(**kw),
        lambda world, width, height: value_grid_size(world.model, width, height),
        None,
        "[b]Map[/b]: S start, G goal, ○ hole, ▒ cliff, ● the agent; ↑ under a column: its wind "
        "(each ↑ pushes one row up).\n[b]Value grid[/b]: each cell coloured by max Q(s,·) "
        "(red low, green high) with its greedy action (· where actions tie); i splits each cell "
        "into a compass of its "
        "actions, each on its own value's colour.",
        _grid_state,
        lambda world, state: map_text(world.model.grid, state, 3),
        lambda world: world.model.grid.n_rows + (1 if world.model.grid.wind else 0) + 1,
        plan=PlanView(
            lambda model, v, greedy, last, following, part, rows: planner_grid_text(
                model, v, greedy, last, following
            ),
        ),
    )


_KIND_WORDS = {
    "S": " (start)",
    "G": " (goal)",
    "H": " (hole)",
    "C": " (cliff)",
    "W": " (wall)",
    "F": "",
}


def _grid_state(world: World, state: int) -> str:
    grid = world.model.grid
    row, col = grid.cell(state)
    return f"row {row}, col {col}{_KIND_WORDS[grid.kind(row, col)]}"


def _bias() -> WorldView:
    from tui_taxi.ui.widgets.bias_view import BiasTable, BiasWorld, bias_table_size

    return WorldView(
        "bias",
        lambda world, **kw: BiasWorld(**kw),
        lambda world, **kw: BiasTable(**kw),
        lambda world, width, height: bias_table_size(width),
        None,
        "[b]World[/b]: Example 6.7: from A, Right ends the episode (reward 0), Left goes to B "
        "(reward 0); each of B's ten actions ends it with a reward drawn from a normal of mean "
        "-0.1.\n[b]Q-values[/b]: A's two and B's ten, as bars from 0; │ marks B's true value, "
        "-0.1: the largest of B's noisy estimates is above it (the maximization bias).",
        lambda world, state: ("A (start)", "B", "the end")[state],
        None,
        lambda world: 4,
        lambda world, state: "ABE"[state] if 0 <= state < 3 else state,
    )


def _fallback() -> WorldView:
    from tui_taxi.ui.widgets.q_heatmap import QHeatmap, heatmap_size
    from tui_taxi.ui.widgets.state_text import StateText

    return WorldView(
        "state",
        lambda world, **kw: StateText(**kw),
        lambda world, **kw: QHeatmap(**kw),
        lambda world, width, height: heatmap_size(world.model, width),
        None,
        "[b]World[/b]: the current state's number.",
        lambda world, state: f"state {state}",
        None,
        lambda world: 3,
    )


def _jack() -> WorldView:
    """Jack's car rental (Example 4.2): the fallback's views, and its policy drawn as the book's
    Figure 4.2 maps it."""
    from tui_taxi.ui.widgets.planner_grid import JACK_SIDE, jack_policy_text

    def describe(state: int) -> str:
        first, second = divmod(state, JACK_SIDE)
        return f"{first} cars at the first, {second} at the second"

    return dataclasses.replace(
        _fallback(),
        name="jack",
        describe=lambda world, state: "cars {} and {}".format(*divmod(state, JACK_SIDE)),
        plan=PlanView(
            lambda model, v, greedy, last, following, part, rows: jack_policy_text(greedy, rows),
            describe=describe,
            policy_map=True,
        ),
    )


def _continuous(
    name: str,
    describe: str,
    world_widget: Callable[..., Widget],
    guide: str,
    rows: Callable[[World], int],
) -> WorldView:
    """A world with continuous observations: its own picture, and the network's policy map
    where a discrete world's Q-table goes."""
    from tui_taxi.ui.widgets.policy_map import PolicyMap, policy_map_size

    return WorldView(
        name,
        lambda world, **kw: world_widget(**kw),
        lambda world, **kw: PolicyMap(**kw),
        lambda world, width, height: policy_map_size(width, height),
        None,
        guide,
        lambda world, state: describe,
        None,
        rows,
    )


def _cartpole() -> WorldView:
    from tui_taxi.ui.widgets.cartpole import CartPoleView

    return _continuous(
        "cartpole",
        "cart and pole",
        CartPoleView,
        "[b]Cart and pole[/b]: the red posts are the track's limits (±2.4), the faint lines "
        "the pole's (±12°); past either the episode ends. Every step the pole stays up earns "
        "+1.\n[b]Policy map[/b]: the network's greedy action for each pole angle θ (across) "
        "and angular velocity θ' (up), the cart's position and speed held at their current "
        "values; brighter where the network is surer (a wider gap between its two Q-values); "
        "the dot is now.",
        lambda world: 9,
    )


def _box() -> WorldView:
    from tui_taxi.ui.widgets.observation import ObservationView

    return _continuous(
        "observation",
        "observation",
        ObservationView,
        "[b]Observation[/b]: each number the network sees, on a gauge over its range (the "
        "env's bounds, or the largest value seen so far where it sets none).\n[b]Policy "
        "map[/b]: the network's greedy action over two of the observation's numbers, the "
        "others held at their current values; brighter where the network is surer; the dot is "
        "now.",
        lambda world: world.obs_dim + 2,
    )


#: (predicate, view factory), first match wins; the fallback draws any discrete env.
REGISTRY: list[tuple[Callable[[World], bool], Callable[[], WorldView]]] = [
    (lambda world: world.cartpole, _cartpole),
    (lambda world: world.model is None, _box),
    (lambda world: world.model is not None and world.model.is_taxi, _taxi),
    (lambda world: world.model is not None and world.model.grid is not None, _grid),
    (lambda world: world.model is not None and world.model.env_id == MAXIMIZATION_BIAS_ID, _bias),
    (lambda world: world.model is not None and world.model.env_id == JACKS_CAR_RENTAL_ID, _jack),
]


def view_for(world: World) -> WorldView:
    for matches, make in REGISTRY:
        if matches(world):
            return make()
    return _fallback()


def has_penalties(world: World) -> bool:
    """The world has penalties to count (Taxi's wrong pickups and drop-offs)."""
    return world.model is not None and math.isfinite(world.model.penalty_reward)


def missing(world: World) -> frozenset[str]:
    """The actions (of :mod:`tui_taxi.ui.keys`) this world does not have: the one place that
    says so, for the bindings, the key bar, the help and the palette. Each view of actions
    per cell needs a grid; replay draws a discrete world's states; play needs a game (a
    discrete world's trip, or CartPole's balance)."""
    hidden = set()
    if world.model is None or world.model.grid is None:
        hidden.add("per_action")
    if world.model is None or view_for(world).plan is None:
        hidden.add("plan")
    if world.model is None:
        hidden.add("replay")
    if not world.playable:
        hidden.add("manual")
    return frozenset(hidden)


#: Why a world lacks an action, said when its key is pressed anyway (palette, muscle memory).
MISSING_WHY = {
    "per_action": "each action's value per cell needs a grid world",
    "plan": "planning on screen draws the grid worlds, Taxi and Jack's car rental; not {env} "
    "(any world with a model: tui-taxi plan --env ID)",
    "replay": "replay draws the grid worlds' states; {env}'s are not recorded",
    "manual": "play: CartPole and the grid worlds; {env} is watched, not played",
}


def move_action(world: World, move: str) -> int | None:
    """The env's action for a play-mode move (None: this world has no such action)."""
    for name in MOVE_NAMES[move]:
        if name in world.action_names:
            return world.action_names.index(name)
    return None


def play_moves(world: World) -> list[str]:
    """The moves this world offers, in key order."""
    return [move for move in MOVE_NAMES if move_action(world, move) is not None]
