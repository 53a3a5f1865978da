"""The two kinds of agent, behind the one small protocol the trainer, the CLI and the API drive.

A tabular :class:`~tui_taxi.core.session.Session` and a :class:`~tui_taxi.core.dqn.agent.DQNAgent`
both have ``config``, ``model`` (the compiled env, or None for a continuous world), ``history``,
``train(episodes=, steps=)``, ``step(action, learn)``, ``new_episode()``, ``copy()``, ``state``,
``total_steps``, ``episode``, ``t``, ``episode_return``, ``episode_penalties``, ``last_step``,
``epsilon_now()``, ``reconfigure(**changes)`` and ``predict(obs, deterministic)``. What differs
between them (how one is built from its config, its file, its values for the screen) is here,
so no caller asks which kind it holds more than once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tui_taxi.core.dqn.agent import DQNAgent, env_kind
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.dqn.persist import load_any, save_agent
from tui_taxi.core.envs import CompiledEnv, compile_env
from tui_taxi.core.persist import save_session
from tui_taxi.core.session import Session, TrainConfig

Agent = Session | DQNAgent
AgentConfig = TrainConfig | DQNConfig


def new_agent(config: AgentConfig, model: CompiledEnv | None = None) -> Agent:
    """A fresh agent of the config's kind (``model``: the env already compiled, if it is)."""
    if isinstance(config, DQNConfig):
        return DQNAgent(config)
    return Session(config, model=model)


def open_env(config: AgentConfig) -> tuple[CompiledEnv | None, tuple[str, ...], int]:
    """The world a config runs on, before any agent is built: (the compiled model of a discrete
    env or None, the action names, a continuous observation's length or 0)."""
    if isinstance(config, DQNConfig):
        _, model, names, obs_dim = env_kind(config)
        return model, names, obs_dim if model is None else 0
    model = compile_env(config.env_id, config.env_kwargs)
    return model, model.action_names, 0


def is_network(agent: Agent) -> bool:
    return isinstance(agent, DQNAgent)


def action_values(agent: Agent) -> np.ndarray:
    """The action values of the current state (or observation), as the agent sees them."""
    if isinstance(agent, DQNAgent):
        if agent.model is not None:  # a discrete world: the network takes the state's index
            return agent.q_values(np.array([[agent.state]], dtype=np.float64))[0]
        return agent.q_values(agent.obs[None, :])[0]
    return agent.q[agent.state]


def value_table(agent: Agent) -> np.ndarray | None:
    """Every state's action values (S x A) for a discrete world: the Q-table, or the network's
    values of every one-hot state; None for a continuous world."""
    if isinstance(agent, DQNAgent):
        return agent.q_table() if agent.model is not None else None
    return agent.q


def learning_rate(agent: Agent) -> float:
    """alpha now (tabular), or the optimizer's learning rate (DQN)."""
    return agent.config.learning_rate if isinstance(agent, DQNAgent) else agent.alpha_now()


def save(agent: Agent, path: str | Path, *, buffer: bool = False) -> Path:
    """Save either kind atomically (``buffer``: a DQN's replay buffer too)."""
    if isinstance(agent, DQNAgent):
        return Path(save_agent(agent, path, buffer=buffer))
    return Path(save_session(agent, path))


def load(path: str | Path) -> Agent:
    """Load a save of either kind, validated (the file says which it is)."""
    return load_any(path)
