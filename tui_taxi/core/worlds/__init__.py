"""One home for the worlds' facts, and the grid worlds of Sutton & Barto that Gymnasium does not
ship, registered with Gymnasium on import (``import tui_taxi`` does it), so ``gymnasium.make``
finds them by id:

- ``tui_taxi/WindyGridworld-v0``: :class:`~tui_taxi.core.worlds.windy.WindyGridworldEnv`
  (Example 6.5; keyword arguments ``king_moves``, ``stay``, ``stochastic_wind``).
- ``tui_taxi/MaximizationBias-v0``: :class:`~tui_taxi.core.worlds.bias.MaximizationBiasEnv`
  (Example 6.7; keyword argument ``b_actions``, the actions in B, 10 by default).
- ``tui_taxi/SmallGridworld-v0``: :class:`~tui_taxi.core.worlds.small.SmallGridworldEnv`
  (Example 4.1, the world of Figure 4.1: 4x4, two terminal corners, -1 a step).
- ``tui_taxi/DynaMaze-v0``: :class:`~tui_taxi.core.worlds.maze.DynaMazeEnv` (Example 8.1, the
  maze of Figure 8.2: 6x9 with walls, +1 at the goal).
- ``tui_taxi/JacksCarRental-v0``: :class:`~tui_taxi.core.worlds.jack.JacksCarRentalEnv`
  (Example 4.2, Figure 4.2: 21 x 21 states, -5..5 cars moved, Poisson rentals and returns).

The facts: CartPole's (stepped in a kernel of ours, so its time limits and actions are ours to
know), the names of the actions and the observation of some continuous envs, which two numbers
a policy map draws, and an env's reward threshold (Gymnasium's "solved").
"""

from __future__ import annotations

import gymnasium as gym

WINDY_GRIDWORLD_ID = "tui_taxi/WindyGridworld-v0"
MAXIMIZATION_BIAS_ID = "tui_taxi/MaximizationBias-v0"
SMALL_GRIDWORLD_ID = "tui_taxi/SmallGridworld-v0"
DYNA_MAZE_ID = "tui_taxi/DynaMaze-v0"
JACKS_CAR_RENTAL_ID = "tui_taxi/JacksCarRental-v0"

#: id -> (entry point, registered time limit or None).
WORLDS = {
    WINDY_GRIDWORLD_ID: ("tui_taxi.core.worlds.windy:WindyGridworldEnv", None),
    MAXIMIZATION_BIAS_ID: ("tui_taxi.core.worlds.bias:MaximizationBiasEnv", None),
    SMALL_GRIDWORLD_ID: ("tui_taxi.core.worlds.small:SmallGridworldEnv", None),
    DYNA_MAZE_ID: ("tui_taxi.core.worlds.maze:DynaMazeEnv", None),
    JACKS_CAR_RENTAL_ID: ("tui_taxi.core.worlds.jack:JacksCarRentalEnv", 100),
}

#: (label, env id, env keyword arguments) of the course's worlds, as the app offers them.
COURSE_WORLDS: tuple[tuple[str, str, tuple], ...] = (
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
    ("Windy Gridworld (Example 6.5)", WINDY_GRIDWORLD_ID, ()),
    (
        "Windy Gridworld, king's moves (Ex. 6.9)",
        WINDY_GRIDWORLD_ID,
        (("king_moves", True),),
    ),
    (
        "Windy Gridworld, king's moves and stay",
        WINDY_GRIDWORLD_ID,
        (("king_moves", True), ("stay", True)),
    ),
    (
        "Windy Gridworld, stochastic wind (Ex. 6.10)",
        WINDY_GRIDWORLD_ID,
        (("king_moves", True), ("stochastic_wind", True)),
    ),
    ("Maximization bias (Example 6.7)", MAXIMIZATION_BIAS_ID, ()),
    ("Small gridworld (Example 4.1)", SMALL_GRIDWORLD_ID, ()),
    ("Dyna maze (Example 8.1)", DYNA_MAZE_ID, ()),
)


#: CartPole, the one table: id -> its time limit (a kernel of ours steps it).
CARTPOLE_LIMITS = {"CartPole-v0": 200, "CartPole-v1": 500}
CARTPOLE_ACTIONS = ("Left", "Right")

#: Names of the actions of some Box-observation envs (others: "action 0", "action 1", ...).
ACTION_NAMES = {
    "Acrobot-v1": ("torque -1", "torque 0", "torque +1"),
    "MountainCar-v0": ("Left", "None", "Right"),
    "LunarLander-v3": ("None", "Left engine", "Main engine", "Right engine"),
}
#: The curve `train` draws for a world when none is asked for, where returns tell nothing (the
#: maze's is +1 every episode; Figure 8.2 plots steps per episode): "return" elsewhere.
DEFAULT_CHARTS = {DYNA_MAZE_ID: "steps"}

#: Arrows by action name (any grid world's, not only Taxi's).
ARROWS = {
    "Up": "↑",
    "Down": "↓",
    "Left": "←",
    "Right": "→",
    "North": "↑",
    "South": "↓",
    "West": "←",
    "East": "→",
    "Up-Right": "↗",
    "Down-Right": "↘",
    "Down-Left": "↙",
    "Up-Left": "↖",
    "Stay": "•",
}
#: Names of the observation's components of some Box-observation envs (others: "obs[i]").
OBSERVATION_NAMES = {
    "Acrobot-v1": ("cos θ1", "sin θ1", "cos θ2", "sin θ2", "θ1'", "θ2'"),
    "MountainCar-v0": ("position x", "velocity x'"),
}
#: A continuous world's policy map: (dimension, short name, long name) across, then up; worlds
#: not named here map their first two dimensions (CartPole's map is its own: angle and spin).
POLICY_MAP_AXES = {
    "MountainCar-v0": ((0, "x", "position x"), (1, "x'", "velocity x'")),
    "Acrobot-v1": ((4, "θ1'", "θ1'"), (5, "θ2'", "θ2'")),
}


def is_cartpole(env_id: str) -> bool:
    return env_id in CARTPOLE_LIMITS


def action_names(env_id: str, n_actions: int) -> tuple[str, ...]:
    names = ACTION_NAMES.get(env_id, ())
    return names if len(names) == n_actions else tuple(f"action {a}" for a in range(n_actions))


def observation_names(env_id: str, obs_dim: int) -> tuple[str, ...]:
    names = OBSERVATION_NAMES.get(env_id, ())
    return names if len(names) == obs_dim else tuple(f"obs[{i}]" for i in range(obs_dim))


def success_words(env_id: str, model=None) -> str:
    """How a world's episodes end well, in words: CartPole's pole balanced to the time limit,
    Taxi's passenger delivered, a grid world's goal reached, or another continuous world's own
    end (its goal, for Acrobot and MountainCar) before the time limit cut it."""
    if model is not None:
        if model.success_reward == -float("inf"):  # every end counts: no goal (Example 6.7)
            return "ended"
        return "delivered" if model.is_taxi else "reached the goal"
    return "lasted to the limit" if is_cartpole(env_id) else "ended by the env"


def penalty_words(world) -> str:
    """What a world's penalties are called: Cliff Walking's are falls off the cliff, Taxi's
    (and any other world's) wrong pickups and drop-offs, "penalties"."""
    model = getattr(world, "model", None)
    grid = getattr(model, "grid", None)
    return "cliff falls" if grid is not None and "C" in "".join(grid.kinds) else "penalties"


def reward_threshold(env_id: str) -> float | None:
    """The mean return at which Gymnasium calls the env solved (its spec's), if it says."""
    try:
        return gym.spec(env_id).reward_threshold
    except gym.error.Error:
        return None


def register_worlds() -> None:
    """Register the worlds that are not registered yet (calling it again does nothing)."""
    for env_id, (entry_point, max_episode_steps) in WORLDS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, max_episode_steps=max_episode_steps)


register_worlds()
