"""Grid worlds of Sutton & Barto that Gymnasium does not ship, registered with Gymnasium on
import (``import tui_taxi`` does it), so ``gymnasium.make`` finds them by id:

- ``tui_taxi/WindyGridworld-v0``: :class:`~tui_taxi.core.worlds.windy.WindyGridworldEnv`
  (Example 6.5; keyword arguments ``king_moves``, ``stay``, ``stochastic_wind``).
"""

from __future__ import annotations

import gymnasium as gym

WINDY_GRIDWORLD_ID = "tui_taxi/WindyGridworld-v0"

#: id -> (entry point, registered time limit or None).
WORLDS = {
    WINDY_GRIDWORLD_ID: ("tui_taxi.core.worlds.windy:WindyGridworldEnv", None),
}


def register_worlds() -> None:
    """Register the worlds that are not registered yet (calling it again does nothing)."""
    for env_id, (entry_point, max_episode_steps) in WORLDS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, max_episode_steps=max_episode_steps)


register_worlds()
