"""Gymnasium toy-text environments compiled into arrays.

Gymnasium's transition model ``env.unwrapped.P[s][a] -> [(p, s', r, terminated), ...]`` is the
source of truth. :func:`compile_env` turns it into dense arrays padded to the largest number of
outcomes ``K`` so that the numba kernels can step any such env without calling Python.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import re
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_taxi.core.errors import EnvError

DEFAULT_ENV_ID = "Taxi-v4"
#: Ids from older tutorials that Gymnasium >= 1.3 no longer registers, with the same default dynamics.
ENV_ALIASES = {"Taxi-v2": DEFAULT_ENV_ID, "Taxi-v3": DEFAULT_ENV_ID}

#: Taxi's four pads (row, col), in Gymnasium's index order, and their letters.
TAXI_LOCS = ((0, 0), (0, 4), (4, 0), (4, 3))
TAXI_PADS = ("R", "G", "Y", "B")
TAXI_IN_TAXI = 4  # passenger location index meaning "in the taxi"

_ACTION_NAMES = {
    "TaxiEnv": ("South", "North", "East", "West", "Pickup", "Dropoff"),
    "FrozenLakeEnv": ("Left", "Down", "Right", "Up"),
    "CliffWalkingEnv": ("Up", "Right", "Down", "Left"),
}

EnvKwargs = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class GridGeometry:
    """A grid world's layout, for the views that draw it. State ``s`` is the cell
    ``divmod(s, n_cols)`` (as in Gymnasium's FrozenLake and CliffWalking). ``kinds`` holds one
    string per row, a letter per cell: ``S`` start, ``G`` goal, ``H`` hole, ``C`` cliff, ``F``
    floor. ``wind`` is the upward push of each column (Windy Gridworld), else None."""

    n_rows: int
    n_cols: int
    kinds: tuple[str, ...]
    wind: tuple[int, ...] | None = None

    def cell(self, state: int) -> tuple[int, int]:
        return divmod(int(state), self.n_cols)

    def kind(self, row: int, col: int) -> str:
        return self.kinds[row][col]


@dataclass(frozen=True, eq=False)
class CompiledEnv:
    """A finite MDP as arrays. Outcome ``k`` of ``(s, a)`` happens with ``prob[s, a, k]``."""

    env_id: str
    env_kwargs: EnvKwargs
    n_states: int
    n_actions: int
    prob: np.ndarray  # (S, A, K) float64, zero-padded
    cum_prob: np.ndarray  # (S, A, K) float64, cumulative over k
    next_state: np.ndarray  # (S, A, K) int64
    reward: np.ndarray  # (S, A, K) float64
    terminated: np.ndarray  # (S, A, K) bool
    n_outcomes: np.ndarray  # (S, A) int64
    initial_distribution: np.ndarray  # (S,) float64
    cum_initial: np.ndarray  # (S,) float64
    max_episode_steps: int  # the registered time limit; 0 = none
    penalty_reward: float  # rewards <= this count as penalties (-inf: the env has none)
    success_reward: float  # a terminating step with reward >= this is a success
    action_names: tuple[str, ...]
    grid: GridGeometry | None = None  # the layout of a grid world, for its views
    # states with fewer actions than the others (Example 6.7's A): each state's count of legal
    # actions, 0 .. n-1 (None: every action everywhere), and their names there
    legal: np.ndarray | None = None
    state_action_names: tuple[tuple[str, ...], ...] | None = None

    @property
    def n_legal(self) -> np.ndarray:
        """Per state, how many actions are legal there (actions 0 .. n-1)."""
        if self.legal is not None:
            return self.legal
        return np.full(self.n_states, self.n_actions, dtype=np.int64)

    @property
    def legal_mask(self) -> np.ndarray:
        """(S, A) True where the action is legal in the state."""
        return np.arange(self.n_actions)[None, :] < self.n_legal[:, None]

    def action_names_in(self, state: int) -> tuple[str, ...]:
        """The names of the legal actions of ``state``."""
        if self.state_action_names is not None and self.state_action_names[state]:
            return self.state_action_names[state]
        return self.action_names[: int(self.n_legal[state])]

    def masked(self, q: np.ndarray) -> np.ndarray:
        """``q`` with its illegal actions at -inf (no max, argmax or tie ever picks them)."""
        if self.legal is None:
            return q
        return np.where(self.legal_mask, q, -np.inf)

    @property
    def start_states(self) -> np.ndarray:
        """The support of the initial-state distribution."""
        return np.flatnonzero(self.initial_distribution > 0)

    @property
    def is_deterministic(self) -> bool:
        return bool(np.all(self.n_outcomes == 1))

    @property
    def is_taxi(self) -> bool:
        return self.env_id.startswith("Taxi-")


def supported_env_ids() -> list[str]:
    """Registered Gymnasium envs that ship a transition model: the toy-text family (but
    Blackjack) and tui-taxi's own grid worlds (:mod:`tui_taxi.core.worlds`)."""
    import gymnasium as gym

    ids = []
    for env_id, spec in gym.registry.items():
        entry = spec.entry_point if isinstance(spec.entry_point, str) else ""
        toy_text = "toy_text" in entry and "blackjack" not in entry
        if toy_text or entry.startswith("tui_taxi.core.worlds."):
            ids.append(env_id)
    return sorted(ids)


def resolve_env_id(env_id: str) -> tuple[str, str | None]:
    """The id to make, and a one-line notice when an old tutorial alias was given."""
    if env_id in ENV_ALIASES:
        new = ENV_ALIASES[env_id]
        return new, (
            f"{env_id} is registered as {new} since Gymnasium 1.3 (same default dynamics); "
            f"using {new}"
        )
    return env_id, None


def parse_env_kwarg(text: str) -> tuple[str, Any]:
    """``"is_rainy=true"`` -> ``("is_rainy", True)``; numbers become int/float, else strings."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise EnvError(
            f"env keyword argument {text!r} must look like NAME=VALUE, e.g. is_rainy=true"
        )
    raw = raw.strip()
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return key, lowered == "true"
    if lowered in ("none", "null"):
        return key, None
    for cast in (int, float):
        try:
            return key, cast(raw)
        except ValueError:
            pass
    return key, raw


def normalize_kwargs(kwargs: dict[str, Any] | EnvKwargs | None) -> EnvKwargs:
    items = kwargs.items() if isinstance(kwargs, dict) else (kwargs or ())
    return tuple(sorted((str(k), v) for k, v in items))


#: Constructor arguments that tui-taxi sets itself (it draws the env; it never renders it).
_RESERVED = ("self", "render_mode")


@dataclass(frozen=True)
class EnvParameter:
    """One keyword argument of an env's constructor that can be given as ``NAME=VALUE``.

    ``kind`` is ``"bool"``, ``"int"``, ``"float"`` or ``"str"`` (from the constructor's
    default), or ``None`` when the value is not a plain scalar (a custom map, a tuple): such
    arguments cannot be given as text. ``choices`` lists the allowed strings when known.
    """

    name: str
    kind: str | None
    default: Any
    choices: tuple[str, ...] = ()

    @property
    def is_probability(self) -> bool:
        return self.kind == "float" and ("probability" in self.name or self.name.endswith("_rate"))

    def check(self, env_id: str, value: Any) -> Any:
        """``value`` converted to the parameter's type, or a one-line EnvError."""
        where = f"{env_id} keyword argument {self.name}"
        if self.kind == "map":
            return _grid_map(where, value)
        if self.kind is None:
            raise EnvError(
                f"{where} takes a structured value (default {self.default!r}) and cannot be "
                "set as NAME=VALUE"
            )
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise EnvError(f"{where} must be true or false, got {value!r}")
        if self.kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            raise EnvError(f"{where} must be a whole number, got {value!r}")
        if self.kind == "float":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise EnvError(f"{where} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise EnvError(f"{where} must be a finite number, got {value!r}")
            if self.is_probability and not 0.0 <= value <= 1.0:
                raise EnvError(f"{where} is a probability and must be in [0, 1], got {value!r}")
            return float(value)
        if not isinstance(value, str) or (self.choices and value not in self.choices):
            allowed = f"one of {', '.join(self.choices)}" if self.choices else "a text value"
            raise EnvError(f"{where} must be {allowed}, got {value!r}")
        return value


def env_parameters(env_id: str) -> dict[str, EnvParameter] | None:
    """The keyword arguments ``env_id``'s constructor takes, by name (``render_mode`` left out),
    with the defaults its registration sets; ``None`` when the constructor takes ``**kwargs``
    (then any name may be valid and only ``gymnasium.make`` can tell)."""
    import gymnasium as gym
    from gymnasium.envs.registration import load_env_creator

    spec = _spec(env_id)
    try:
        creator = (
            load_env_creator(spec.entry_point)
            if isinstance(spec.entry_point, str)
            else spec.entry_point
        )
        signature = inspect.signature(creator)
    except (ImportError, AttributeError, ValueError, TypeError, gym.error.Error) as exc:
        raise EnvError(f"{env_id} cannot be loaded: {_one_line(exc)}") from None
    params = {}
    for p in signature.parameters.values():
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if p.name in _RESERVED or p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            continue
        default = p.default
        kind = next(
            (name for name, t in _KINDS if isinstance(default, t)),
            "map" if p.name in _MAP_PARAMETERS else None,
        )
        params[p.name] = EnvParameter(
            p.name,
            kind,
            spec.kwargs.get(p.name, default),
            _choices(creator, p.name) if kind == "str" else (),
        )
    return params


_KINDS = (("bool", bool), ("int", int), ("float", float), ("str", str))  # bool before int
#: Parameters that take a grid world's map, as Gymnasium's FrozenLake takes ``desc``: rows of
#: S (start), F (frozen), H (hole), G (goal); as text, rows separated by "/" or ",".
_MAP_PARAMETERS = ("desc",)
MAP_CELLS = "SFHG"
MAX_MAP_CELLS = 10_000  # 100 x 100


def _grid_map(where: str, value: Any) -> tuple[str, ...]:
    """A map given as text ("SFFF/FHFH/FFFH/HFFG") or rows (Python): checked and returned as a
    tuple of rows, or a one-line EnvError saying what is wrong."""
    if isinstance(value, str):
        rows = [row.strip() for row in value.replace(",", "/").split("/")]
    elif isinstance(value, (list, tuple)) and all(isinstance(r, (str, bytes)) for r in value):
        rows = [r.decode() if isinstance(r, bytes) else r for r in value]
    else:
        raise EnvError(f"{where} must be a map: rows of {MAP_CELLS} separated by /, got {value!r}")
    example = "e.g. desc=SFFF/FHFH/FFFH/HFFG"
    if not rows or not rows[0] or any(len(row) != len(rows[0]) for row in rows):
        raise EnvError(f"{where}: the map's rows must all have the same length ({example})")
    cells = "".join(rows)
    if set(cells) - set(MAP_CELLS):
        bad = sorted(set(cells) - set(MAP_CELLS))[0]
        raise EnvError(f"{where}: {bad!r} is not a cell; the cells are S F H G ({example})")
    if cells.count("S") != 1 or "G" not in cells:
        raise EnvError(f"{where}: the map needs one S (start) and at least one G ({example})")
    if len(cells) > MAX_MAP_CELLS:
        raise EnvError(f"{where}: {len(rows)}x{len(rows[0])} cells, more than {MAX_MAP_CELLS:,}")
    return tuple(rows)


def _choices(creator, name: str) -> tuple[str, ...]:
    """The strings a parameter allows, where the env's module says (FrozenLake's maps)."""
    module = sys.modules.get(getattr(creator, "__module__", ""), None)
    maps = getattr(module, "MAPS", None)
    if name == "map_name" and isinstance(maps, dict):
        return tuple(str(key) for key in maps)
    return ()


def check_env_kwargs(env_id: str, env_kwargs: dict[str, Any] | EnvKwargs | None) -> EnvKwargs:
    """``env_kwargs`` checked against ``env_id``'s constructor and normalised (sorted, numbers
    for float parameters as floats); raises a one-line EnvError naming the bad name or value
    and what is allowed. The app and the CLI both go through here (via :func:`make_gym_env`)."""
    kwargs = normalize_kwargs(env_kwargs)
    params = env_parameters(env_id)
    if params is None:
        return kwargs
    settable = [p.name for p in params.values() if p.kind is not None]
    checked = []
    for name, value in kwargs:
        if name not in params:
            takes = f"it takes {', '.join(settable)}" if settable else "it takes none"
            raise EnvError(f"{env_id} does not accept keyword argument {name!r}; {takes}")
        checked.append((name, params[name].check(env_id, value)))
    return tuple(checked)


def _spec(env_id: str):
    import gymnasium as gym

    if env_id not in gym.registry:
        raise EnvError(f"unknown env id {env_id!r}; supported: {', '.join(supported_env_ids())}")
    return gym.registry[env_id]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def make_gym_env(env_id: str, env_kwargs: EnvKwargs = ()):
    """``gymnasium.make`` after :func:`check_env_kwargs`; any error it raises becomes a one-line
    :class:`EnvError`."""
    import gymnasium as gym

    kwargs = check_env_kwargs(env_id, env_kwargs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gym.make(env_id, **dict(kwargs))
    except Exception as exc:  # a third-party constructor: whatever it raises, say it in one line
        bad = re.search(r"unexpected keyword argument '(\w+)'", str(exc))
        if isinstance(exc, TypeError) and bad:
            raise EnvError(f"{env_id} does not accept keyword argument {bad.group(1)!r}") from None
        raise EnvError(
            f"{env_id} with {_describe_kwargs(kwargs)} could not be made: {_one_line(exc)}"
        ) from None


@functools.lru_cache(maxsize=16)
def observation_bounds(env_id: str, env_kwargs: tuple = ()) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each observation component of a Box env, flattened (inf: no bound)."""
    env = make_gym_env(env_id, env_kwargs).unwrapped
    try:
        space = env.observation_space
        low = np.asarray(space.low, np.float64).ravel()
        high = np.asarray(space.high, np.float64).ravel()
    finally:
        env.close()
    low.setflags(write=False)
    high.setflags(write=False)
    return low, high


def _describe_kwargs(kwargs: EnvKwargs) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in kwargs) or "no keyword arguments"


@functools.lru_cache(maxsize=16)
def compile_env(env_id: str = DEFAULT_ENV_ID, env_kwargs: EnvKwargs = ()) -> CompiledEnv:
    """Compile a registered env with Discrete spaces and a transition model into a CompiledEnv.

    ``env_id`` must already be resolved (see :func:`resolve_env_id`); the result is cached and
    its arrays are read-only.
    """
    import gymnasium as gym

    env = make_gym_env(env_id, env_kwargs)
    base = env.unwrapped
    if not (
        isinstance(env.observation_space, gym.spaces.Discrete)
        and isinstance(env.action_space, gym.spaces.Discrete)
    ):
        raise EnvError(
            f"{env_id} needs Discrete observation and action spaces to be tabular; "
            f"supported: {', '.join(supported_env_ids())}"
        )
    spec_steps = env.spec.max_episode_steps if env.spec is not None else None
    if hasattr(base, "model_arrays"):  # a model too large for a P dict (Jack's car rental)
        names = action_names(base, int(env.action_space.n))
        prob, next_state, reward, terminated = base.model_arrays()
        isd = base.initial_state_distrib
        env.close()
        return model_from_arrays(
            prob,
            next_state,
            reward,
            terminated,
            np.count_nonzero(prob > 0, axis=2),
            isd,
            env_id=env_id,
            env_kwargs=env_kwargs,
            max_episode_steps=int(spec_steps or 0),
            action_names=names,
        )
    transitions = getattr(base, "P", None)
    if not isinstance(transitions, dict):
        raise EnvError(
            f"{env_id} has no transition model (env.unwrapped.P); "
            f"supported: {', '.join(supported_env_ids())}"
        )
    if getattr(base, "fickle_passenger", False):
        raise EnvError(
            f"{env_id} with fickle_passenger=True changes destinations outside its transition "
            "model and cannot be compiled; use is_rainy=true for a stochastic Taxi"
        )
    isd = getattr(base, "initial_state_distrib", None)
    if isd is None:
        raise EnvError(f"{env_id} exposes no initial-state distribution (initial_state_distrib)")

    names = action_names(base, int(env.action_space.n))
    grid = grid_geometry(base)
    extra = _model_extras(base, int(env.observation_space.n), int(env.action_space.n))
    env.close()
    model = model_from_transitions(
        transitions,
        isd,
        n_states=int(env.observation_space.n),
        n_actions=int(env.action_space.n),
        env_id=env_id,
        env_kwargs=env_kwargs,
        max_episode_steps=int(spec_steps or 0),
        action_names=names,
    )
    if grid is not None:
        extra["grid"] = grid
    return dataclasses.replace(model, **extra) if extra else model


def _model_extras(base, n_states: int, n_actions: int) -> dict:
    """What an env of ours says beyond Gymnasium's model: per-state legal action counts and
    names (``legal_actions``, ``state_action_names``), and its success and penalty rewards
    where the model's rewards cannot tell them."""
    extra: dict = {}
    legal = getattr(base, "legal_actions", None)
    if legal is not None:
        counts = np.asarray(legal, dtype=np.int64)
        if counts.shape != (n_states,) or counts.min() < 1 or counts.max() > n_actions:
            raise EnvError(f"legal_actions must give 1 to {n_actions} actions for each state")
        counts.setflags(write=False)
        extra["legal"] = counts
    names = getattr(base, "state_action_names", None)
    if names is not None:
        extra["state_action_names"] = tuple(tuple(str(n) for n in row) for row in names)
    for name in ("success_reward", "penalty_reward"):
        value = getattr(base, name, None)
        if value is not None:
            extra[name] = float(value)
    return extra


def action_names(base, n_actions: int) -> tuple[str, ...] | None:
    """The env's own ``action_names`` when it has one name per action (ours do), else the
    toy-text names by class; None: unknown (the model then numbers them)."""
    names = getattr(base, "action_names", None)
    if names is not None and len(names) == n_actions:
        return tuple(str(name) for name in names)
    return _ACTION_NAMES.get(type(base).__name__)


def grid_geometry(base) -> GridGeometry | None:
    """The layout of a grid world, read from the env: FrozenLake's ``desc``, CliffWalking's
    ``shape`` and, from its transition model, its cliff, or an env of ours with ``shape``,
    ``start``, ``goal`` and ``wind``."""
    desc = getattr(base, "desc", None)
    if desc is not None and getattr(desc, "ndim", 0) == 2:  # FrozenLake: S F H G
        rows = tuple(
            "".join(c.decode() if isinstance(c, bytes) else str(c) for c in row) for row in desc
        )
        if set("".join(rows)) <= set("SFHG"):  # (Taxi has a desc too: its map, not a grid world)
            return GridGeometry(len(rows), len(rows[0]), rows)
        return None
    shape = getattr(base, "shape", None)
    if not (isinstance(shape, tuple) and len(shape) == 2):
        return None
    n_rows, n_cols = (int(x) for x in shape)
    kinds = [["F"] * n_cols for _ in range(n_rows)]
    if getattr(base, "start", None) is None and hasattr(base, "start_state_index"):
        # CliffWalking: its start, and the goal and the cliff read from its transition model
        # (Gymnasium keeps the cliff private): a step into the cliff returns to the start, so
        # a cliff cell is never a next state; the goal is where episodes terminate
        start_state = int(base.start_state_index)
        reached, ends = set(), set()
        for outcomes_by_action in base.P.values():
            for outcomes in outcomes_by_action.values():
                for p, s_next, _, terminated in outcomes:
                    if p > 0:
                        reached.add(int(s_next))
                        if terminated:
                            ends.add(int(s_next))
        for s in range(n_rows * n_cols):
            if s not in reached and s != start_state:
                r, c = divmod(s, n_cols)
                kinds[r][c] = "C"
        start = divmod(start_state, n_cols)
        goal = divmod(min(ends), n_cols) if ends else (n_rows - 1, n_cols - 1)
    else:
        start, goal = getattr(base, "start", None), getattr(base, "goal", None)
        if start is None or goal is None:
            return None
    for row, col in getattr(base, "walls", ()):  # (the Dyna maze's)
        kinds[row][col] = "W"
    kinds[start[0]][start[1]] = "S"
    kinds[goal[0]][goal[1]] = "G"
    wind = getattr(base, "wind", None)
    return GridGeometry(
        n_rows,
        n_cols,
        tuple("".join(row) for row in kinds),
        tuple(int(w) for w in wind) if wind is not None else None,
    )


def model_from_transitions(
    transitions,
    initial_distribution,
    *,
    n_states: int,
    n_actions: int,
    env_id: str,
    env_kwargs: EnvKwargs = (),
    max_episode_steps: int = 0,
    action_names: tuple[str, ...] | None = None,
) -> CompiledEnv:
    """Arrays from a Gymnasium-style model ``P[s][a] -> [(p, s', r, terminated), ...]``."""
    k_max = max(len(transitions[s][a]) for s in range(n_states) for a in range(n_actions))
    shape = (n_states, n_actions, k_max)
    prob = np.zeros(shape)
    next_state = np.zeros(shape, dtype=np.int64)
    reward = np.zeros(shape)
    terminated = np.zeros(shape, dtype=bool)
    n_outcomes = np.zeros(shape[:2], dtype=np.int64)
    for s in range(n_states):
        for a in range(n_actions):
            outcomes = transitions[s][a]
            n_outcomes[s, a] = len(outcomes)
            for k, (p, s_next, r, term) in enumerate(outcomes):
                prob[s, a, k] = p
                next_state[s, a, k] = s_next
                reward[s, a, k] = r
                terminated[s, a, k] = term
            # padded slots repeat the last outcome with probability 0
            next_state[s, a, len(outcomes) :] = next_state[s, a, len(outcomes) - 1]
    return model_from_arrays(
        prob,
        next_state,
        reward,
        terminated,
        n_outcomes,
        initial_distribution,
        env_id=env_id,
        env_kwargs=env_kwargs,
        max_episode_steps=max_episode_steps,
        action_names=action_names,
    )


def model_from_arrays(
    prob,
    next_state,
    reward,
    terminated,
    n_outcomes,
    initial_distribution,
    *,
    env_id: str,
    env_kwargs: EnvKwargs = (),
    max_episode_steps: int = 0,
    action_names: tuple[str, ...] | None = None,
) -> CompiledEnv:
    """A CompiledEnv from its arrays, (S, A, K) each, the outcomes of each (s, a) first and
    the padding after them at probability 0 (checked: every row a distribution)."""
    n_states, n_actions = n_outcomes.shape
    _check_model(env_id, prob, next_state, reward, n_states, initial_distribution)
    cum_prob = np.cumsum(prob, axis=2)
    cum_prob[:, :, -1] = np.maximum(cum_prob[:, :, -1], 1.0)  # guard against rounding below 1
    initial = np.asarray(initial_distribution, dtype=np.float64)
    initial = initial / initial.sum()
    cum_initial = np.cumsum(initial)
    cum_initial[-1] = 1.0

    real = prob > 0
    values, counts = np.unique(reward[real], return_counts=True)
    modal = values[np.argmax(counts)]
    penalty = float(values[0]) if values[0] < modal else float("-inf")
    ends = real & terminated
    success = float(reward[ends].max()) if ends.any() else float("inf")

    arrays = (prob, cum_prob, next_state, reward, terminated, n_outcomes, initial, cum_initial)
    for arr in arrays:
        arr.setflags(write=False)
    return CompiledEnv(
        env_id=env_id,
        env_kwargs=env_kwargs,
        n_states=n_states,
        n_actions=n_actions,
        prob=prob,
        cum_prob=cum_prob,
        next_state=next_state,
        reward=reward,
        terminated=terminated,
        n_outcomes=n_outcomes,
        initial_distribution=initial,
        cum_initial=cum_initial,
        max_episode_steps=max_episode_steps,
        penalty_reward=penalty,
        success_reward=success,
        action_names=action_names or tuple(f"a{i}" for i in range(n_actions)),
    )


def _check_model(env_id, prob, next_state, reward, n_states, initial_distribution) -> None:
    """A one-line EnvError unless every row is a probability distribution over valid states
    (a constructor given, say, a success rate of 1.5 builds negative probabilities)."""
    bad = ~np.isfinite(prob) | (prob < 0) | (prob > 1)
    sums = prob.sum(axis=2)
    off = np.abs(sums - 1.0) > 1e-6
    if bad.any() or off.any():
        s, a = np.argwhere(bad.any(axis=2) | off)[0]
        raise EnvError(
            f"{env_id}: the outcomes of state {s}, action {a} are not a probability "
            f"distribution (probabilities {np.round(prob[s, a], 6).tolist()})"
        )
    if np.any((next_state < 0) | (next_state >= n_states)) or not np.all(np.isfinite(reward)):
        raise EnvError(f"{env_id}: the transition model has next states or rewards out of range")
    initial = np.asarray(initial_distribution, dtype=np.float64)
    if initial.shape != (n_states,) or not (np.all(initial >= 0) and initial.sum() > 0):
        raise EnvError(f"{env_id}: the initial-state distribution is not a distribution")


def taxi_decode(state: int) -> tuple[int, int, int, int]:
    """Taxi state -> (taxi_row, taxi_col, passenger_location, destination), as Gymnasium encodes it."""
    state, dest = divmod(int(state), 4)
    state, passenger = divmod(state, 5)
    row, col = divmod(state, 5)
    return row, col, passenger, dest


def taxi_encode(row: int, col: int, passenger: int, dest: int) -> int:
    return ((row * 5 + col) * 5 + passenger) * 4 + dest


@functools.cache
def taxi_walls() -> frozenset[tuple[int, int]]:
    """Cells (row, col) with a wall on their east side, read from Gymnasium's Taxi map."""
    from gymnasium.envs.toy_text.taxi import MAP

    return frozenset(
        (row, col)
        for row, line in enumerate(MAP[1:-1])
        for col in range(4)
        if line[2 * col + 2] == "|"
    )
