"""Each world's default settings, and a diagnosis of settings that keep an agent from the goal.

The tutorial's alpha 0.1, gamma 0.6 and epsilon 0.1 suit Taxi, whose -1 a step tells the agent
to hurry. FrozenLake pays only +1 at the goal and nothing else: with gamma 0.6 that +1, 14 steps
away on the 8x8 map, is worth 0.6**13 = 0.0013 at the start, and even the exact optimum for
gamma 0.6 reaches the goal only 58% of the time. So each world has its own defaults
(:data:`WORLD_DEFAULTS`, looked up by :func:`defaults_for`), chosen by training them and scoring
the greedy policy against the exact optimum; :func:`diagnose` says in one line when a setting
cannot work, from the exact solution of the env.

The CLI and the app fill in the settings a person did not give through :func:`config_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_taxi.core.envs import DEFAULT_ENV_ID, CompiledEnv, EnvKwargs, normalize_kwargs
from tui_taxi.core.optimal import (
    optimal_greedy_policy,
    scorable,
    shortest_steps,
    solve,
    success_within,
)
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular.config import TrainConfig
from tui_taxi.core.tabular.kernel import PLANNERS

#: A planner's planning steps when none are given (Figure 8.2's middle n).
PLANNING_DEFAULT = 5


@dataclass(frozen=True)
class WorldDefaults:
    """A world's hyperparameters and its training budget (for ``tui-taxi train``/``compare``)."""

    alpha: Schedule
    gamma: float
    epsilon: Schedule
    episodes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "gamma": self.gamma,
            "epsilon": self.epsilon,
            "episodes": self.episodes,
        }


def _linear(start: float, end: float, episodes: int) -> Schedule:
    return Schedule("linear", start, end, float(episodes))


#: By world (see :func:`world_of`). Taxi: the tutorial's. FrozenLake: gamma 0.99 (the optimum
#: for it reaches the goal within the time limit about as often as any policy can; gamma 1
#: gives no reason to hurry), alpha decaying over the budget so that the stochastic returns
#: average out. CliffWalking and Windy Gridworld: Sutton and Barto's alpha 0.5, epsilon 0.1,
#: gamma 1 (Examples 6.5 and 6.6); on the slippery cliff and in the stochastic wind alpha decays
#: for the same reason.
WORLD_DEFAULTS: dict[str, WorldDefaults] = {
    "Taxi": WorldDefaults(Schedule.constant(0.1), 0.6, Schedule.constant(0.1), 100_000),
    "FrozenLake 4x4": WorldDefaults(
        _linear(0.1, 0.001, 100_000), 0.99, Schedule.constant(0.1), 100_000
    ),
    "FrozenLake 8x8": WorldDefaults(
        _linear(0.1, 0.00001, 1_000_000), 0.99, Schedule.constant(0.1), 1_000_000
    ),
    "CliffWalking": WorldDefaults(Schedule.constant(0.5), 1.0, Schedule.constant(0.1), 500),
    "CliffWalking slippery": WorldDefaults(
        _linear(0.2, 0.0001, 100_000), 1.0, Schedule.constant(0.1), 100_000
    ),
    "WindyGridworld": WorldDefaults(Schedule.constant(0.5), 1.0, Schedule.constant(0.1), 500),
    "WindyGridworld stochastic": WorldDefaults(
        _linear(0.2, 0.0001, 100_000), 1.0, Schedule.constant(0.1), 100_000
    ),
    # Example 6.7 (Figure 6.5): alpha 0.1, epsilon 0.1, gamma 1, 300 episodes
    "MaximizationBias": WorldDefaults(Schedule.constant(0.1), 1.0, Schedule.constant(0.1), 300),
    # Example 4.1's gridworld (undiscounted, as the book's Figure 4.1), learnt as the
    # gridworlds of chapter 6 are
    "SmallGridworld": WorldDefaults(Schedule.constant(0.5), 1.0, Schedule.constant(0.1), 500),
    # Example 8.1 (Figure 8.2): alpha 0.1, epsilon 0.1, gamma 0.95, 50 episodes
    "DynaMaze": WorldDefaults(Schedule.constant(0.1), 0.95, Schedule.constant(0.1), 50),
    # Example 4.2: gamma 0.9 (a task that never ends: gamma 1 has no finite values)
    "JacksCarRental": WorldDefaults(Schedule.constant(0.1), 0.9, Schedule.constant(0.1), 1000),
}
#: For an env that is none of these: the tutorial's.
FALLBACK = "Taxi"
#: A gamma whose exact optimum reaches the goal less often than this fraction of the best
#: policy's rate is diagnosed.
SUCCESS_SHORTFALL = 0.9


def world_of(env_id: str, env_kwargs: EnvKwargs | dict | None = ()) -> str | None:
    """The world an env is, for its defaults: ``"Taxi"``, ``"FrozenLake 4x4"``,
    ``"FrozenLake 8x8"``, ``"CliffWalking"``, ``"CliffWalking slippery"``, ``"WindyGridworld"``,
    ``"WindyGridworld stochastic"``, ``"MaximizationBias"``, ``"SmallGridworld"``, ``"DynaMaze"``, ``"JacksCarRental"`` (from the id, the keyword arguments and those the id
    registers); None if none of these."""
    name = env_id.split("/")[-1]
    if name.startswith("Taxi-"):
        return "Taxi"
    kwargs = {**_registered_kwargs(env_id), **dict(normalize_kwargs(env_kwargs))}
    if name.startswith("WindyGridworld"):
        return "WindyGridworld stochastic" if kwargs.get("stochastic_wind") else "WindyGridworld"
    if name.startswith("CliffWalking"):
        return "CliffWalking slippery" if kwargs.get("is_slippery") else "CliffWalking"
    if name.startswith("MaximizationBias"):
        return "MaximizationBias"
    if name.startswith("SmallGridworld"):
        return "SmallGridworld"
    if name.startswith("DynaMaze"):
        return "DynaMaze"
    if name.startswith("JacksCarRental"):
        return "JacksCarRental"
    if name.startswith("FrozenLake"):
        return "FrozenLake 8x8" if kwargs.get("map_name") == "8x8" else "FrozenLake 4x4"
    return None


def _registered_kwargs(env_id: str) -> dict[str, Any]:
    import gymnasium as gym

    spec = gym.registry.get(env_id)
    return dict(spec.kwargs) if spec is not None else {}


def defaults_for(env_id: str = DEFAULT_ENV_ID, env_kwargs: EnvKwargs | dict | None = ()) -> dict:
    """The world's defaults as ``{"alpha", "gamma", "epsilon", "episodes"}`` (alpha and
    epsilon as :class:`Schedule`): what the CLI and the app use for an option not given."""
    return WORLD_DEFAULTS[world_of(env_id, env_kwargs) or FALLBACK].as_dict()


def config_for(env_id: str = DEFAULT_ENV_ID, env_kwargs: EnvKwargs = (), **given) -> TrainConfig:
    """A TrainConfig for ``env_id`` with the world's alpha, gamma and epsilon where ``given``
    does not set them (``given`` holds any other TrainConfig field too)."""
    defaults = defaults_for(env_id, env_kwargs)
    settings = {name: defaults[name] for name in ("alpha", "gamma", "epsilon")}
    settings.update(given)
    if settings.get("learner") in PLANNERS and "planning_steps" not in given:
        settings["planning_steps"] = PLANNING_DEFAULT  # (n = 0 would be no planning at all)
    return TrainConfig(env_id=env_id, env_kwargs=env_kwargs, **settings)


def describe_defaults(name: str) -> str:
    """``"0.6 for Taxi, 0.99 for FrozenLake, 1 for CliffWalking and WindyGridworld"``: one
    setting across the worlds, worlds with the same value together (a family once, when all
    its worlds agree); ``"0.1 in every world"`` when they all do."""
    groups: dict[str, list[str]] = {}
    for world, defaults in WORLD_DEFAULTS.items():
        value = getattr(defaults, name)
        family = world.split()[0]
        whole_family = all(
            getattr(d, name) == value for w, d in WORLD_DEFAULTS.items() if w.split()[0] == family
        )
        members = groups.setdefault(format_setting(value), [])
        label = family if whole_family else world
        if label not in members:
            members.append(label)
    if len(groups) == 1:
        return f"{next(iter(groups))} in every world"
    parts = []
    for shown, worlds in groups.items():
        names = worlds[0] if len(worlds) == 1 else f"{', '.join(worlds[:-1])} and {worlds[-1]}"
        parts.append(f"{shown} for {names}")
    return ", ".join(parts)


def settings_text(config: TrainConfig) -> str:
    """ "alpha 0.1, gamma 0.6, epsilon 0.1" (and a planner's "planning steps 5"), each as a
    person would type it."""
    text = ", ".join(
        f"{name} {format_setting(getattr(config, name))}" for name in ("alpha", "gamma", "epsilon")
    )
    return text + (
        f", planning steps {config.planning_steps}" if config.learner in PLANNERS else ""
    )


def format_setting(value) -> str:
    """A setting as a person would type it: ``0.00001``, ``linear:0.1:0.001:100000``, ``1``
    for gamma 1.0, ``100,000`` episodes (what :meth:`Schedule.describe` writes ``1e-05``)."""
    if isinstance(value, Schedule):
        if value.kind == "constant":
            return format_setting(value.start)
        return ":".join(
            [value.kind, *(format_setting(x) for x in (value.start, value.end, value.param))]
        )
    if isinstance(value, int):
        return f"{value:,}"
    return np.format_float_positional(value, trim="-")


# -- diagnosis ------------------------------------------------------------------------------------
def diagnose(model: CompiledEnv, config: TrainConfig) -> str | None:
    """One line saying why ``config`` cannot learn to reach the goal of ``model`` (or its
    optimum), or None when nothing is wrong that the exact solution shows:

    - the time limit is shorter than the shortest way to the goal from some starts;
    - gamma makes even the exact optimal Q-table's greedy policy (ties broken at random, as a
      learner breaks them) reach the goal, within the time limit, less than 90% as often as
      the best policy can: a reward that gamma discounts to next to nothing, or gamma 1 that
      makes a slow way as good as a fast one;
    - epsilon is 0 throughout while the values to learn are all above Q's starting 0, so the
      agent keeps to the first way it finds.
    """
    limit = config.time_limit(model)
    if not scorable(model):  # no exact solution to show it (the time limit's check needs none)
        return _time_limit(model, limit)
    return _time_limit(model, limit) or _gamma(model, config, limit) or _epsilon(model, config)


def _time_limit(model: CompiledEnv, limit: int) -> str | None:
    if limit <= 0:
        return None
    dist = shortest_steps(model)[model.start_states]
    short = np.isfinite(dist) & (dist > limit)
    if not short.any():
        return None
    way = (
        f"{dist[short].min():.0f} steps"
        if dist[short].min() == dist[short].max()
        else (f"{dist[short].min():.0f} to {dist[short].max():.0f} steps")
    )
    if short.all():
        where = "from the start" if len(dist) == 1 else "from every start"
        return (
            f"the time limit of {limit} steps is shorter than the shortest way to the goal "
            f"({way} {where}): no episode can reach it"
        )
    return (
        f"the time limit of {limit} steps is shorter than the shortest way to the goal "
        f"({way}) from {short.sum()} of {len(dist)} starts: episodes from them never reach "
        "it"
    )


def reach_rates(model: CompiledEnv, gamma: float, limit: int) -> tuple[float, float]:
    """How often, over the initial distribution and within ``limit`` steps (0: ever), the exact
    optimal Q-table's greedy policy for ``gamma`` reaches the goal, and the best any policy
    can."""
    isd = model.initial_distribution
    policy = optimal_greedy_policy(solve(model, gamma))
    return float(isd @ success_within(model, limit, policy)), float(
        isd @ success_within(model, limit)
    )


def _falls_short(model: CompiledEnv, gamma: float, limit: int) -> tuple[float, float] | None:
    reached, best = reach_rates(model, gamma, limit)
    return (reached, best) if best > 0 and reached < SUCCESS_SHORTFALL * best else None


def _gamma(model: CompiledEnv, config: TrainConfig, limit: int) -> str | None:
    gamma = config.gamma
    short = _falls_short(model, gamma, limit)
    if short is None:
        return None
    reached, best = short
    within = f"within the {limit}-step limit " if limit else ""
    rates = (
        f"the optimal policy for gamma {gamma:g} reaches the goal {within}only "
        f"{reached:.0%} of the time, against {best:.0%} for the best one"
    )
    if gamma >= 1.0:
        why = "with gamma 1 a slow way to the goal is worth as much as a fast one"
    else:
        dist = shortest_steps(model)[model.start_states]
        steps = int(dist.max()) if np.all(np.isfinite(dist)) else 0
        reward = model.success_reward
        if steps >= 1 and reward > 0:
            far = f"{steps} steps from the start" if len(dist) == 1 else f"up to {steps} steps away"
            why = (
                f"with gamma {gamma:g} the {reward:+g} at the goal, {far}, is worth "
                f"{gamma:g}**{steps - 1} = {reward * gamma ** (steps - 1):.2g} there"
            )
        else:
            why = f"gamma {gamma:g} discounts the goal to too little"
    suggestion = defaults_for(model.env_id, model.env_kwargs)["gamma"]
    better = suggestion != gamma and _falls_short(model, suggestion, limit) is None
    return f"{why}: {rates}" + (f"; try gamma {suggestion:g}" if better else "")


def _epsilon(model: CompiledEnv, config: TrainConfig) -> str | None:
    epsilon = config.epsilon
    if epsilon.start != 0.0 or epsilon.end != 0.0:
        return None
    v = solve(model, config.gamma).v[model.start_states]
    if not np.all(v > 0):
        return None  # Q's starting 0 is above some values: the agent tries what it has not
    at = "at the start" if len(v) == 1 else "at every start"
    suggestion = defaults_for(model.env_id, model.env_kwargs)["epsilon"]
    return (
        f"epsilon 0: the agent never explores, and its Q-values start at 0, below every "
        f"value to learn (V* {v.min():.2g} or more {at}), so it keeps to the first way it "
        f"finds to the goal; try epsilon {suggestion.describe()}"
    )
