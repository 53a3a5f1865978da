"""The one agent interface, and the registry of kinds.

A *kind* of agent (a Q-table, a Q-network, the planners to come) is a class that meets
:class:`Agent` and registers itself with :func:`register` when its package is imported. The
trainer, the CLI, the sweep, the tours and the app drive any kind through this interface and
never ask which kind they hold: what differs (how a key changes a setting, the next variant, the
unit a budget counts, the goal, the evaluation, the chart's extra curves, saving and loading) is
a method or an attribute of the kind. A save's header names its kind's format, so :func:`load`
opens any of them.

Adding a kind: a folder under ``core/`` with a frozen config dataclass and an agent class that
subclasses :class:`AgentBase` (SB3's ``predict``/``learn``/``save`` come with it), decorated with
``@register``; import its agent module in :func:`_builtin` (or, for a kind of your own,
anywhere before it is used).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from tui_taxi.core.errors import ConfigError, SaveFileError
from tui_taxi.core.rng import PREDICT_STREAM

#: The kind the app, the CLI and a tour use when none is named (and old sweep files hold).
DEFAULT_KIND = "tabular"
#: What a budget and a check count: whole episodes, or time steps.
EPISODES, STEPS = "episodes", "steps"
#: The roles of the settings the keys move: e/E explore, a/A rate (how fast it learns), g/G
#: discount.
ROLES = ("explore", "rate", "discount", "plan")


@dataclass(frozen=True)
class Budget:
    """How long to train: ``episodes`` more episodes or ``steps`` more time steps, whichever
    runs out first (None: no bound of that kind; at least one is given)."""

    episodes: int | None = None
    steps: int | None = None

    def __post_init__(self) -> None:
        if self.episodes is None and self.steps is None:
            raise ConfigError("a budget needs episodes, steps or both")
        for name in ("episodes", "steps"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0
            ):
                raise ConfigError(f"{name} must be a whole number >= 0, got {value!r}")


def available_memory() -> int | None:
    """Bytes this machine can still give a process without swapping (Linux's MemAvailable),
    or None where it cannot tell."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def byte_size(n: float) -> str:
    """1,536 MiB -> "1.5 GiB"; for messages."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} bytes"


def check_memory(need: int, what: str) -> None:
    """A ConfigError, before anything is allocated, when ``what`` needs more memory than the
    machine has available (nothing is said where that cannot be told)."""
    available = available_memory()
    if available is not None and need > available:
        raise ConfigError(
            f"{what} needs {byte_size(need)}, and this machine has {byte_size(available)} available"
        )


def figure_of(value: float, spans_decades: bool = False) -> str:
    """A setting's value with the digits it needs: two decimals ("0.10"), or two significant
    digits for a setting that spans decades or a value below a hundredth ("1e-05", not 0.00)."""
    small = value != 0 and abs(value) < 0.01
    return f"{value:.2g}" if spans_decades or small else f"{value:.2f}"


@dataclass(frozen=True)
class Setting:
    """A setting a key moves live, as the kind names it: epsilon, alpha or gamma for a table,
    the learning rate for a network (``role``: which keys move it, see :data:`ROLES`). One key
    press adds ``step`` or, for a setting that spans decades, multiplies by ``factor``; the
    value stays in ``[low, high]`` (``low`` itself excluded when ``low_open``)."""

    name: str  # the config field it sets
    label: str  # in notices: "epsilon ε", "learning rate"
    symbol: str  # on the status line: "ε", "lr"
    role: str
    value: float  # what it is now
    text: str  # the value as a notice shows it ("0.10", a schedule's description)
    brief: str  # the value as the status line shows it ("0.53↘" while a schedule decays it)
    step: float = 0.05
    factor: float = 0.0
    low: float = 0.0
    high: float = 1.0
    low_open: bool = False
    ladder: tuple[float, ...] = ()  # values a press steps through, round and round (Dyna's n)

    def moved(self, direction: int) -> tuple[float, str]:
        """The value one key press in ``direction`` (+1 or -1) makes of it, and " (its maximum)"
        or " (its minimum)" when it stops at an end of its range."""
        if self.ladder:  # the next rung up (down), from the top back to the bottom
            rungs = [
                v for v in self.ladder if (v > self.value if direction > 0 else v < self.value)
            ]
            if not rungs:
                return (self.ladder[0] if direction > 0 else self.ladder[-1]), ""
            return (rungs[0] if direction > 0 else rungs[-1]), ""
        if self.factor:
            raw = self.value * self.factor if direction > 0 else self.value / self.factor
            value = float(f"{min(self.high, max(self.low, raw)):.3g}")
            edge = " (its maximum)" if value >= self.high else ""
            return value, edge or (" (its minimum)" if value <= self.low else "")
        value = round(min(self.high, max(self.low, self.value + direction * self.step)), 4)
        stuck = self.low_open and value <= self.low  # an open end is never reached
        if stuck:
            value = self.value
        at_low = stuck or (not self.low_open and value <= self.low)
        edge = " (its maximum)" if value >= self.high else " (its minimum)" if at_low else ""
        return value, edge

    @property
    def figure(self) -> str:
        """The value now with the digits it needs (see :func:`figure_of`); a count (a ladder's
        rung: Dyna's n) as a whole number."""
        if self.ladder and float(self.value).is_integer():
            return f"{int(self.value)}"
        return figure_of(self.value, spans_decades=bool(self.factor))

    @property
    def change(self) -> tuple[str, str]:
        """How one press changes it, down and up, for the keys' help: ("− 0.05", "+ 0.05")."""
        if self.ladder:
            rungs = " → ".join(f"{v:g}" for v in self.ladder)
            return f"{rungs}, backwards", f"{rungs}, round again"
        if self.factor:
            return f"÷ {self.factor:g}", f"× {self.factor:g}"
        return f"− {self.step:g}", f"+ {self.step:g}"


@dataclass(frozen=True)
class Goal:
    """What a run aims at, checked every ``every`` units (the kind's :attr:`Agent.unit`):
    ``test(agent)`` says whether it is reached and the figure it judged (the greedy policy's
    optimality, or its mean return), ``score(agent)`` the final (optimality in [0, 1], reached)
    a sweep records, ``what`` says it in words."""

    every: int
    test: Callable[[Any], tuple[bool, float]]
    score: Callable[[Any], tuple[float, bool]]
    what: str
    figure: str = ""  # what the figure test gives is ("greedy mean return"), if it says
    explain: Callable[[float], str] = lambda figure: ""  # the check that passed, in words
    threshold: float | None = None  # the figure to reach (a reward threshold), if it is one


@dataclass(frozen=True)
class SweepParam:
    """A setting a sweep can vary (see :mod:`tui_taxi.core.sweep`): drawn log-uniformly from a
    range when it spans decades (``log``), a whole number (``whole``), or one of ``choices``
    (a list, never a range); ``example`` is for the option's help."""

    name: str
    example: str
    log: bool = False
    whole: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Option:
    """A command-line option of a kind's (``--learning-rate``): the config field it sets, its
    help (the field's, with its defaults), and how its value is written: ``number``, ``whole``
    (a whole number), ``schedule`` (a number or ``linear:``/``exp:`` schedule), ``name``,
    ``sizes`` (comma-separated whole numbers) or ``flag`` (``--x`` / ``--no-x``)."""

    name: str
    help: str
    value: str = "number"
    metavar: str = "X"


class Agent(Protocol):
    """What the trainer, the CLI, the sweep and the API ask of an agent of any kind.

    Class-level facts: ``name`` (the registry's key and ``--agent``'s value), ``title``,
    ``unit`` (:data:`EPISODES` or :data:`STEPS`: what its budgets and checks count),
    ``default_env`` (its world when none is given), ``config_type``, ``formats`` (the save
    formats it reads), ``variant_help`` (what ``l`` does), ``resets`` (what a reset clears),
    ``steps_per_second`` (a first guess, for pacing), ``counts_penalties``, ``stop_at_goal``
    (``train``'s default), ``save_options``, ``train_charts``. :class:`AgentBase` gives every
    optional part a default; a kind writes what differs.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    unit: ClassVar[str]
    default_env: ClassVar[str]
    config_type: ClassVar[type]
    formats: ClassVar[tuple[str, ...]]
    variant_help: ClassVar[str]
    resets: ClassVar[str]
    steps_per_second: ClassVar[float]

    config: Any  # a frozen dataclass with env_id, env_kwargs, gamma and seed
    model: Any  # the compiled env of a discrete world, None for a continuous one
    history: Any  # tui_taxi.core.episodes.History
    action_names: tuple[str, ...]
    obs_dim: int  # a continuous observation's length (0 for a discrete world)

    # -- building -------------------------------------------------------------------------
    @classmethod
    def configure(cls, env_id: str, env_kwargs: tuple = (), **changes) -> Any:
        """The world's defaults for this kind, then ``changes``."""

    @classmethod
    def budgeted(cls, config: Any, budget: Budget) -> Any:
        """The config for a run of ``budget`` (a network's schedule spans its step budget)."""

    @classmethod
    def open_env(cls, config: Any) -> tuple[Any, tuple[str, ...], int]:
        """(compiled model or None, action names, a continuous observation's length or 0) of
        the config's world; a world this kind cannot run is a one-line ConfigError."""

    @classmethod
    def load(cls, path: str | Path) -> Agent: ...

    @classmethod
    def describe(cls, config: Any) -> tuple[str, str]:
        """(the variant's name, its settings in words) of a config, for headers and notes."""

    @classmethod
    def parse_setting(cls, name: str, text: str) -> Any:
        """A setting's value from its text (a tour's ``set``), checked."""

    # -- running --------------------------------------------------------------------------
    def train(self, episodes=None, steps=None, work=None): ...
    def step(self, action: int | None = None, learn: bool = True) -> tuple[Any, Any]: ...
    def new_episode(self) -> None: ...
    def settle(self) -> None: ...
    def copy(self) -> Agent: ...

    @property
    def in_step(self) -> bool: ...
    @property
    def work_done(self) -> int: ...

    # -- state ----------------------------------------------------------------------------
    @property
    def state(self) -> int: ...
    @property
    def obs(self) -> np.ndarray | None: ...
    @property
    def total_steps(self) -> int: ...
    @property
    def episode(self) -> int: ...
    @property
    def t(self) -> int: ...
    @property
    def episode_return(self) -> float: ...
    @property
    def episode_penalties(self) -> int: ...
    @property
    def last_step(self) -> Any: ...
    @property
    def variant(self) -> str: ...

    def action_values(self) -> np.ndarray: ...
    def values_of(self, observations: np.ndarray) -> np.ndarray: ...
    def q_table(self) -> np.ndarray | None: ...
    def epsilon_now(self) -> float: ...

    # -- the command line ---------------------------------------------------------------------
    label: ClassVar[str]  # as messages name it: "tabular", "DQN"
    options: ClassVar[tuple[Option, ...]]  # its own options (beyond env, seed, gamma, ...)
    options_title: ClassVar[str]  # the heading of its options in --help
    instead: ClassVar[dict[str, str]]  # other kinds' options, and what this one has instead
    presets: ClassVar[dict[str, Any]]  # named configs to start from (--preset)

    # -- sweeps ---------------------------------------------------------------------------
    sweep_space: ClassVar[tuple[SweepParam, ...]]

    @classmethod
    def sweep_value(cls, name: str, text: str) -> Any:
        """One value of a swept setting from its text (a ValueError says what is wrong)."""

    @classmethod
    def sweep_defaults(cls, env_id: str) -> dict[str, str]:
        """The grid swept when none is given (name -> comma-separated values)."""

    # -- settings, goals, evaluation --------------------------------------------------------
    def settings(self) -> tuple[Setting, ...]: ...
    def set_setting(self, name: str, value: Any) -> None: ...
    def next_variant(self) -> str: ...
    def goal(self, every: int | None = None) -> Goal | None: ...
    def practice(self) -> tuple[Budget, Goal | None]: ...
    def evaluate(self, episodes: int = 100, seed: int | None = None, time_limit=None): ...
    def default_budget(self) -> Budget: ...
    def diagnosis(self) -> str | None: ...
    def details(self) -> Any: ...
    def chart_extras(self, means: dict, time_step: np.ndarray) -> tuple: ...
    def chart_marks(self, most: int) -> tuple[str, int, np.ndarray | None] | None: ...
    def observed_range(self, dim: int) -> tuple[float, float] | None: ...
    def summary(self) -> str: ...
    def trained(self) -> str: ...
    def save(self, path, **options) -> Path: ...
    def predict(self, observation, state=None, episode_start=None, deterministic=True): ...
    def learn(self, total_timesteps: int | None = None, progress_bar: bool = False) -> Agent: ...


class AgentBase:
    """What every kind shares: SB3's ``predict`` (batches too) and ``learn``, ``copy``, and
    the defaults of the optional parts of :class:`Agent`."""

    unit: ClassVar[str] = EPISODES
    variant_help: ClassVar[str] = "Next variant"
    resets: ClassVar[str] = "its values"
    steps_per_second: ClassVar[float] = 1e6
    stop_at_goal: ClassVar[bool] = False  # `train` stops once the goal is reached (by default)
    save_options: ClassVar[tuple[str, ...]] = ()  # what its save takes beyond the path
    train_charts: ClassVar[tuple[str, ...]] = ()  # its own curves `train` prints by default
    counts_penalties: ClassVar[bool] = True  # its episodes count a world's penalties
    #: the app's speed level when none is asked for (None: the app's default, every step
    #: visible; a network learns nothing worth seeing at that pace)
    opening_speed: ClassVar[int | None] = None
    #: its values approximate Q (a network): the app shows the exact Q* beside them
    approximates: ClassVar[bool] = False
    obs_dim: int = 0

    sweep_space: ClassVar[tuple[SweepParam, ...]] = ()
    options: ClassVar[tuple[Option, ...]] = ()
    options_title: ClassVar[str] = "an agent's own options"
    instead: ClassVar[dict[str, str]] = {}
    presets: ClassVar[dict[str, Any]] = {}

    @classmethod
    def budgeted(cls, config, budget: Budget):
        return config

    @classmethod
    def sweep_value(cls, name: str, text: str):
        raise ValueError(f"{cls.name} sweeps nothing")

    @classmethod
    def default_of(cls, name: str) -> str:
        """A setting's default in words, for the help (``gamma``: "0.99 (0.9 on a grid)")."""
        field = cls.config_type.__dataclass_fields__.get(name)
        return "" if field is None else f"{field.default}"

    @classmethod
    def parse_setting(cls, name: str, text: str):
        """A setting's value from its text (a tour's ``set``); a ValueError says what is wrong."""
        raise ConfigError(f"{cls.name} has no setting {name!r}")

    @classmethod
    def sweep_defaults(cls, env_id: str) -> dict[str, str]:
        return {}

    @property
    def n_actions(self) -> int:
        return len(self.action_names)

    @property
    def in_step(self) -> bool:
        """A step left half done (a network's training round cut by a work budget)."""
        return False

    @property
    def work_done(self) -> int:
        """Units of costly work done so far (a network's gradient steps); 0 for a kind whose
        steps are all its work."""
        return 0

    def settle(self) -> None:
        """Finish a step left half done (nothing to do for most kinds)."""

    def copy(self):
        """An independent copy (the compiled model is shared: it is read-only)."""
        return copy.deepcopy(self, memo={id(self.model): self.model})

    def details(self):
        """The kind's own state for its panels (a network's buffer and target), or None."""
        return None

    def chart_extras(self, means: dict, time_step: np.ndarray) -> tuple:
        """The kind's own chart curves, as (name, title, per-bin values) over the history's
        bins (``means``: the history's per-bin means; ``time_step``: the step each bin ends)."""
        return ()

    def chart_marks(self, most: int) -> tuple[str, int, np.ndarray | None] | None:
        """Events the chart marks above the curve: (what they are, the steps between them, the
        step of each so far, or None when there are more than ``most``); None: no such events."""
        return None

    def observed_range(self, dim: int) -> tuple[float, float] | None:
        """The range of continuous observation component ``dim`` seen so far, if known."""
        return None

    def settings(self) -> tuple[Setting, ...]:
        return ()

    def setting(self, role: str) -> Setting | None:
        """The setting the keys of ``role`` move, if this kind has one."""
        return next((s for s in self.settings() if s.role == role), None)

    def next_variant(self) -> str:
        raise ConfigError(f"{self.title} has no other variant")

    @property
    def variant(self) -> str:
        return self.describe(self.config)[0]

    def summary(self) -> str:
        """Its settings in words."""
        return self.describe(self.config)[1]

    def trained(self) -> str:
        """How much it has trained, in its unit."""
        if self.unit == STEPS:
            return f"{self.total_steps:,} steps ({self.episode:,} episodes)"
        return f"{self.episode:,} episodes ({self.total_steps:,} steps)"

    def goal(self, every: int | None = None) -> Goal | None:
        from tui_taxi.core.training import goal_for

        return goal_for(self, every)

    def diagnosis(self) -> str | None:
        """Why the settings cannot reach the goal, if they cannot (a kind that can tell)."""
        return None

    # -- the Python API, in Stable-Baselines3's shape ----------------------------------------
    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        """The action for an observation, as SB3's ``predict``: ``(action, None)``; for a batch
        of observations (a vector env's), an array of actions, one per row. A discrete world's
        observation is a state index (an int, a numpy integer, a 0-d array; a batch: a 1-d
        integer array); a continuous world's is its ``obs_dim`` numbers (a batch: ``(n,
        obs_dim)``). Deterministic: the action of the highest value, the lowest-numbered one on
        a tie (``np.argmax``; training breaks ties at random). ``deterministic=False``:
        epsilon-greedy at the current epsilon, drawn from a generator of predict's own, so
        predicting never changes training. ``state`` and ``episode_start`` are SB3's
        recurrent-policy arguments, unused here."""
        rows, batched = self._observation_rows(observation)
        values = self.values_of(rows)
        legal = self.n_actions
        if self.model is not None and self.model.legal is not None:  # (Example 6.7's A)
            states = rows.ravel().astype(np.int64)  # (rows: floats, a column)
            values = np.where(self.model.legal_mask[states], values, -np.inf)
            legal = self.model.n_legal[states]
        actions = np.argmax(values, axis=1)
        if not deterministic:
            if not hasattr(self, "_predict_rng"):
                self._predict_rng = np.random.default_rng([PREDICT_STREAM, self.config.seed])
            explore = self._predict_rng.random(len(actions)) < self.epsilon_now()
            random_actions = self._predict_rng.integers(legal, size=len(actions))
            actions = np.where(explore, random_actions, actions)
        if batched:
            return actions.astype(np.int64), None
        return int(actions[0]), None

    def _observation_rows(self, observation) -> tuple[np.ndarray, bool]:
        """``observation`` as rows for :meth:`values_of` (state indices as a column, or
        observations as rows), and whether it was a batch; anything else is a ValueError."""
        if self.model is not None:
            n = self.model.n_states
            value = (
                np.asarray(observation) if not isinstance(observation, np.ndarray) else observation
            )
            if (
                isinstance(observation, (bool, np.bool_))
                or value.ndim > 1
                or value.dtype.kind not in "iu"
            ):
                shown = (
                    f"an array of shape {value.shape}"
                    if isinstance(observation, np.ndarray)
                    else repr(observation)
                )
                raise ValueError(
                    f"observation must be a state index (an integer in 0-{n - 1}) or a 1-d "
                    f"array of them, got {shown}"
                )
            states = value.reshape(-1).astype(np.int64)
            bad = states[(states < 0) | (states >= n)]
            if len(bad):
                raise ValueError(f"observation must be a state in 0-{n - 1}, got {bad[0]}")
            return states[:, None].astype(np.float64), value.ndim == 1
        x = np.asarray(observation, dtype=np.float64)
        if x.ndim == 1 and x.shape == (self.obs_dim,):
            rows, batched = x[None, :], False
        elif x.ndim == 2 and x.shape[1] == self.obs_dim:
            rows, batched = x, True
        else:
            raise ValueError(
                f"observation must be {self.obs_dim} numbers or rows of them, got shape {x.shape}"
            )
        if not np.isfinite(rows).all():
            shown = x.tolist() if x.size <= 8 else f"shape {x.shape}"
            raise ValueError(f"observation must be finite numbers, got {shown}")
        return rows, batched

    def learn(self, total_timesteps: int | None = None, progress_bar: bool = False):
        """Train ``total_timesteps`` more steps (default: the kind's own budget) and return the
        agent, as SB3's ``learn``; ``progress_bar``: a bar on stderr (the run is the same
        either way). It trains in calls of about 0.1 s, so memory stays bounded however long
        the run is."""
        from tui_taxi.core.training import train

        if total_timesteps is None:
            budget = self.default_budget()
        elif (
            isinstance(total_timesteps, bool)
            or not isinstance(total_timesteps, (int, np.integer))
            or total_timesteps < 0
        ):
            raise ConfigError(
                f"total_timesteps must be a whole number >= 0, got {total_timesteps!r}"
            )
        else:
            budget = Budget(steps=int(total_timesteps))
        progress = None
        if progress_bar:
            from tui_taxi.progress import ProgressBar  # the display is not the core's

            progress = ProgressBar(always=True)
        train(self, budget, progress=progress)
        return self

    def default_budget(self) -> Budget:
        """How long this kind trains when nobody says (``train``, ``learn()``)."""
        return self.default_budget_of(self.config)

    @classmethod
    def default_budget_of(cls, config) -> Budget:
        raise ConfigError("give a budget: total_timesteps, episodes or steps")


# -- the registry -----------------------------------------------------------------------------
_KINDS: dict[str, type] = {}


def register(cls: type) -> type:
    """Register a kind of agent (a class decorator); a name registered again is replaced."""
    for attribute in ("name", "label", "title", "unit", "default_env", "config_type", "formats"):
        if not hasattr(cls, attribute):
            raise TypeError(f"{cls.__name__} lacks {attribute!r}: not a kind of agent")
    if cls.unit not in (EPISODES, STEPS):
        raise TypeError(f"{cls.__name__}.unit must be {EPISODES!r} or {STEPS!r}")
    _KINDS[cls.name] = cls
    return cls


def _builtin() -> None:
    """Import the kinds that ship with tui-taxi (they register themselves)."""
    import tui_taxi.core.dqn.agent  # noqa: F401
    import tui_taxi.core.tabular.agent  # noqa: F401


def kinds() -> dict[str, type]:
    """Every registered kind, by name (the shipped ones first)."""
    _builtin()
    order = ["tabular", "dqn"]
    return dict(sorted(_KINDS.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 9))


def kind_named(name: str) -> type:
    found = kinds().get(name)
    if found is None:
        raise ConfigError(f"unknown agent {name!r}; choose one of {', '.join(kinds())}")
    return found


def kind_of(config) -> type:
    """The kind a config belongs to."""
    for cls in kinds().values():
        if isinstance(config, cls.config_type):
            return cls
    raise ConfigError(f"no kind of agent takes a {type(config).__name__}")


def default_config():
    """The first kind's config on its own world, with its defaults (the tutorial's Taxi)."""
    cls = next(iter(kinds().values()))
    return cls.configure(cls.default_env)


def default_agent():
    """A fresh agent of :func:`default_config`."""
    return new_agent(default_config())


def new_agent(config, model=None):
    """A fresh agent of the config's kind (``model``: its world compiled already, if it is)."""
    return kind_of(config)(config, model=model)


def open_env(config) -> tuple[Any, tuple[str, ...], int]:
    return kind_of(config).open_env(config)


def load(path: str | Path):
    """The agent of any tui-taxi save (its header names the kind), validated before use; a
    missing, corrupt or foreign file is a one-line :class:`SaveFileError`."""
    from tui_taxi.core.archive import read_format

    found = read_format(path)
    for cls in kinds().values():
        if found in cls.formats:
            return cls.load(path)
    raise SaveFileError(f"{path}: not a tui-taxi save (unknown format {found[:40]!r})")


def save(agent, path: str | Path, **options) -> Path:
    """Save any agent atomically (``options``: its kind's, e.g. a network's ``buffer``)."""
    return Path(agent.save(path, **options))
