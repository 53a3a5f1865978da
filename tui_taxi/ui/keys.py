"""Every key of the app, once: the bindings, the key bar, the help screen and the command
palette are all made from this table, per mode (training, play, tour)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from textual.binding import Binding

TRAIN, PLAY, TOUR = "train", "play", "tour"
#: Who handles a key's action: the App (intents for the trainer, screens, the app's own), or
#: the live screen (its view state: nothing reaches the trainer).
APP, SCREEN = "app", "screen"
ALL = frozenset((TRAIN, PLAY, TOUR))
MODE_NAMES = {TRAIN: "training", PLAY: "play mode", TOUR: "tour"}


@dataclass(frozen=True)
class Key:
    keys: str  # Textual key names, comma-separated
    action: str
    label: str  # short, for the key bar
    help: str  # for people: the help screen and the command palette
    group: str
    modes: frozenset[str]
    display: str | None = None  # how the key is written
    bar: int = 0  # the key bar shows keys with bar > 0, lowest first; 0: help and palette only
    bar_text: tuple[str, str] | None = None  # (keys, label) on the key bar, if not shown/label
    owner: str = APP

    @property
    def shown(self) -> str:
        return self.display or self.keys.split(",")[0]


#: The live screen's own actions (its view state).
SCREEN_ACTIONS = frozenset(
    (
        "toggle_view",
        "chart_metric",
        "smoothing",
        "chart_range",
        "explain",
        "per_action",
        "hint",
        "table_source",
    )
)


def action_name(action: str) -> str:
    return action.split("(")[0]


def _k(keys, action, label, help, group, modes, display=None, bar=0, bar_text=None) -> Key:  # noqa: A002
    owner = SCREEN if action_name(action) in SCREEN_ACTIONS else APP
    return Key(keys, action, label, help, group, frozenset(modes), display, bar, bar_text, owner)


KEYS: tuple[Key, ...] = (
    # the tour first: its keys mean other things outside it
    _k("space,right,pagedown", "tour(1)", "Next", "Next slide of the tour", "Tour", {TOUR}, "→", 1),
    _k("left,backspace,pageup", "tour(-1)", "Back", "Previous slide", "Tour", {TOUR}, "←", 2),
    _k("home", "tour(0)", "Restart", "Back to the first slide", "Tour", {TOUR}, None, 3),
    # play mode
    _k("up,k", "move('up')", "Up", "Move up (north)", "Play", {PLAY}, "↑", 1, ("↑↓←→", "Move")),
    _k("down,j", "move('down')", "Down", "Move down (south)", "Play", {PLAY}, "↓"),
    _k("left,h", "move('left')", "Left", "Move left (west)", "Play", {PLAY}, "←"),
    _k("right,l", "move('right')", "Right", "Move right (east)", "Play", {PLAY}, "→"),
    _k(
        "y,7",
        "move('up-left')",
        "Up-left",
        "Move up and left (king's moves)",
        "Play",
        {PLAY},
        "↖ y",
        2,
        ("y u b n", "Diagonals"),
    ),
    _k("u,9", "move('up-right')", "Up-right", "Move up and right", "Play", {PLAY}, "↗ u"),
    _k("b,1", "move('down-left')", "Down-left", "Move down and left", "Play", {PLAY}, "↙ b"),
    _k("n,3", "move('down-right')", "Down-right", "Move down and right", "Play", {PLAY}, "↘ n"),
    _k("full_stop,5", "move('stay')", "Stay", "Stay where you are", "Play", {PLAY}, ".", 3),
    _k("p", "move('pickup')", "Pick up", "Pick the passenger up", "Play", {PLAY}, None, 2),
    _k("d", "move('dropoff')", "Drop off", "Drop the passenger off", "Play", {PLAY}, None, 3),
    _k("t", "hint", "Hint", "Hint: show or hide the agent's Q-values", "Play", {PLAY}, None, 5),
    _k(
        "i",
        "per_action",
        "Per action",
        "Grid worlds: each action's value in each cell",
        "View",
        ALL,
    ),
    _k(
        "asterisk",
        "table_source",
        "Q*",
        "A network on a grid world: its Q-table, the exact Q*, or its error |Q − Q*|",
        "View",
        ALL,
        "*",
    ),
    _k(
        "L",
        "learn_from_human",
        "Teach",
        "Your moves teach the agent (or not)",
        "Play",
        {PLAY},
        None,
        6,
    ),
    _k(
        "m",
        "manual",
        "Play/agent",
        "Play yourself or let the agent drive",
        "Play",
        {TRAIN, PLAY},
        None,
        4,
    ),
    # training
    _k("space", "toggle_pause", "Run/pause", "Run or pause training", "Training", {TRAIN}, None, 1),
    _k(
        "n,right",
        "step",
        "Step",
        "Take one step and show its TD update",
        "Training",
        {TRAIN, TOUR},
        "n",
        2,
    ),
    _k(
        "right_square_bracket",
        "speed(1)",
        "Faster",
        "Speed up (up to turbo)",
        "Training",
        {TRAIN},
        "]",
        3,
        ("[ ]", "Speed"),
    ),
    _k(
        "left_square_bracket",
        "speed(-1)",
        "Slower",
        "Slow down (to 1 step/s)",
        "Training",
        {TRAIN},
        "[",
    ),
    _k(
        "l",
        "next_variant",
        "Variant",
        "Next learner (4 TD methods, 2 that plan)",
        "Training",
        {TRAIN},
    ),
    _k(
        "B",
        "restore_best",
        "Best",
        "A network: bring back the best one its greedy checks found",
        "Training",
        {TRAIN},
    ),
    _k("e", "adjust('explore', -1)", "ε−", "Explore less: epsilon − 0.05", "Parameters", {TRAIN}),
    _k("E", "adjust('explore', 1)", "ε+", "Explore more: epsilon + 0.05", "Parameters", {TRAIN}),
    _k("a", "adjust('rate', -1)", "α−", "Learn slower: alpha − 0.05", "Parameters", {TRAIN}),
    _k("A", "adjust('rate', 1)", "α+", "Learn faster: alpha + 0.05", "Parameters", {TRAIN}),
    _k("g", "adjust('discount', -1)", "γ−", "Discount more: gamma − 0.05", "Parameters", {TRAIN}),
    _k("G", "adjust('discount', 1)", "γ+", "Discount less: gamma + 0.05", "Parameters", {TRAIN}),
    _k(
        "N",
        "adjust('plan', 1)",
        "n",
        "Plan: planning steps n of Dyna-Q, 0 → 5 → 50 as in Figure 8.2",
        "Parameters",
        {TRAIN},
    ),
    # views
    _k(
        "c",
        "toggle_view",
        "View",
        "Q-table or chart (enlarge the chart)",
        "View",
        ALL,
        None,
        5,
    ),
    _k(
        "v",
        "chart_metric",
        "Metric",
        "Chart: next metric (return, steps, …)",
        "View",
        ALL,
    ),
    _k("w", "smoothing", "Smoothing", "Chart: the next smoothing weight", "View", ALL),
    _k(
        "K",
        "keep_curve",
        "Keep curve",
        "Chart: keep this curve to compare with the next run (K again: drop it)",
        "View",
        {TRAIN, PLAY},
    ),
    _k(
        "z",
        "chart_range",
        "Range",
        "Chart: whole range or the learnt part",
        "View",
        ALL,
    ),
    _k("x", "explain", "Explain/stats", "TD explainer or statistics", "View", ALL),
    _k("R", "replay", "Replay", "Replay recent episodes step by step", "View", ALL),
    _k(
        "P",
        "plan",
        "Plan",
        "Plan with the world's model: value iteration, policy evaluation, backup by backup",
        "View",
        {TRAIN},
    ),
    _k("T", "presenter", "Presenter", "Presenter theme (high contrast)", "View", ALL),
    _k("S", "screenshot", "Screenshot", "Save a screenshot (SVG)", "View", ALL),
    # session
    _k("W", "world", "World", "Switch to another world (a fresh agent)", "Session", {TRAIN, PLAY}),
    _k("r", "reset", "Reset", "Reset the agent (asks first)", "Session", {TRAIN, PLAY}),
    _k("s", "save", "Save", "Save the agent to a file", "Session", {TRAIN, PLAY}),
    _k("o", "load", "Load", "Load a saved agent (any kind)", "Session", {TRAIN, PLAY}),
    # always
    _k("question_mark", "help", "Help", "Keys and how to read the screen", "App", ALL, "?", 90),
    _k("q", "quit", "Quit", "Quit", "App", ALL, None, 91),
)

#: Play mode's move names, mapped to each world's actions by the world's view.
MOVES = ("up", "down", "left", "right", "pickup", "dropoff")


def bindings(owner: str) -> list[Binding]:
    """Textual bindings for the keys ``owner`` handles (all hidden: the key bar shows the
    essentials)."""
    return [
        Binding(k.keys, k.action, k.label, show=False, key_display=k.display)
        for k in KEYS
        if k.owner == owner
    ]


#: What the keys of a setting's role say, down and up.
ROLE_VERBS = {
    "explore": ("Explore less", "Explore more"),
    "rate": ("Learn slower", "Learn faster"),
    "discount": ("Discount more", "Discount less"),
    "plan": ("Plan", "Plan"),
}


def agent_help(settings, variant_help: str) -> dict[str, str]:
    """What the parameter keys and `l` do to the agent on screen, named as its kind names them
    ("Learn slower: learning rate ÷ 2" for a network, "... alpha − 0.05" for a table)."""
    help_for = {"next_variant": variant_help}
    for setting in settings:
        verbs = ROLE_VERBS.get(setting.role)
        if verbs is None:
            continue
        name = setting.name.replace("_", " ")
        down, up = setting.change
        help_for[f"adjust('{setting.role}', -1)"] = f"{verbs[0]}: {name} {down}"
        help_for[f"adjust('{setting.role}', 1)"] = f"{verbs[1]}: {name} {up}"
    return help_for


def keys_for(
    mode: str,
    moves: list[str] | None = None,
    hidden: frozenset[str] = frozenset(),
    help_for: dict[str, str] | None = None,
) -> list[Key]:
    """The keys of ``mode``; with ``moves`` (the world's play moves), only the move keys the
    world has (no Pickup outside Taxi, diagonals only with king's moves); none of the
    ``hidden`` actions (those the world does not have); ``help_for``: what some keys do to the
    agent on screen (see :func:`agent_help`)."""
    keys = [
        k
        for k in KEYS
        if mode in k.modes
        and (moves is None or _move_ok(k, moves))
        and action_name(k.action) not in hidden
    ]
    if not help_for:
        return keys
    return [
        dataclasses.replace(k, help=help_for[k.action]) if k.action in help_for else k for k in keys
    ]


def _move_ok(key: Key, moves: list[str]) -> bool:
    if action_name(key.action) != "move":
        return True
    return key.action.split("'")[1] in moves


def allowed(action: str, parameters: tuple, mode: str) -> bool:
    """Whether ``action`` (with ``parameters``) has a key in ``mode``."""
    return any(action_name(k.action) == action and mode in k.modes for k in KEYS)


#: Every action a key can run (others, e.g. the palette's own, are always allowed).
ACTIONS = frozenset(action_name(k.action) for k in KEYS)
