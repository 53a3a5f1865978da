"""Tiny hand-made MDPs whose TD updates can be computed by hand, and a session helper."""

from __future__ import annotations

import numpy as np

from tui_taxi.core.envs import model_from_transitions
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular import TabularAgent, TrainConfig

LEFT, RIGHT = 0, 1
#: A DQN small enough to step by hand: learning from step 20, an update every 2 steps on 8 of
#: 64 transitions, a target copy every 10, one hidden layer of 8.
DQN_SMALL = {
    "learning_starts": 20,
    "train_frequency": 2,
    "gradient_steps": 1,
    "batch_size": 8,
    "buffer_size": 64,
    "target_network_frequency": 10,
    "hidden": (8,),
}


def chain_model(start: int = 0, max_episode_steps: int = 0):
    """States 0-1-2-3 in a row. RIGHT from 2 reaches 3 with +10 and terminates; every other
    move costs -1 (LEFT from 0 stays at 0). State 3 is absorbing but never reached alive."""
    transitions = {s: {} for s in range(4)}
    for s in range(4):
        transitions[s][LEFT] = [(1.0, max(s - 1, 0), -1.0, False)]
        if s == 2:
            transitions[s][RIGHT] = [(1.0, 3, 10.0, True)]
        else:
            transitions[s][RIGHT] = [(1.0, min(s + 1, 3), -1.0, False)]
    isd = np.zeros(4)
    isd[start] = 1.0
    return model_from_transitions(
        transitions,
        isd,
        n_states=4,
        n_actions=2,
        env_id="Chain",
        max_episode_steps=max_episode_steps,
    )


def make_session(model, q=None, q_b=None, **config) -> TabularAgent:
    """A session on ``model`` with alpha/epsilon given as plain numbers."""
    for name in ("alpha", "epsilon"):
        if name in config and not isinstance(config[name], Schedule):
            config[name] = Schedule.constant(config[name])
    q_a = None if q is None else np.array(q, dtype=np.float64)
    q_b = None if q_b is None else np.array(q_b, dtype=np.float64)
    return TabularAgent(TrainConfig(**config), model=model, q_a=q_a, q_b=q_b)
