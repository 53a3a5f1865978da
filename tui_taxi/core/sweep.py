"""Hyperparameter sweeps of any kind of agent, scored by the exact optimum (or, where a world
has none, by its reward threshold).

A sweep is a list of :class:`Trial`\\ s (one configuration, one seed, one budget) and one
function, :func:`run_trial`, that any ``concurrent.futures`` executor can run: a process pool on
one machine, or a Dask cluster's executor. A trial is pure: the same trial gives the same
record (but for its wall time) wherever it runs.

Each trial trains and, every ``check_every`` of its kind's units until it happens, checks its
goal (:func:`~tui_taxi.core.training.goal_for`: the greedy policy optimal from every start
state, against the optimum for the trial's gamma): the episodes and steps it took are the
sweep's headline metric ("never" within the budget). What a kind sweeps, and how each value is
read, is the kind's (``sweep_space``, ``sweep_value``).
Records are plain JSON; :func:`aggregate` groups them by configuration over seeds and ranks
them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import stat
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from tui_taxi.core.agent import DEFAULT_KIND, Budget, SweepParam, kind_named, kinds
from tui_taxi.core.envs import EnvKwargs
from tui_taxi.core.episodes import downsample
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.training import train

CURVE_POINTS = 60  # the learning curve kept per trial
FORMAT = "tui-taxi-sweep"
VERSION = 1
MAX_TRIALS = 1_000_000
#: Adaptive searches (Optuna's samplers), beside the grid and random search.
ADAPTIVE = ("tpe",)
#: What stops a hopeless configuration of an adaptive search between its seeds.
PRUNERS = ("median", "hyperband", "none")


class SweepError(ValueError):
    """A bad sweep specification or results file; the message is one line for people."""


# -- the specification ------------------------------------------------------------------------
def _opt(name: str) -> str:
    """A parameter as its option is spelt (learning_rate: learning-rate)."""
    return name.replace("_", "-")


def _kind(agent: str):
    try:
        return kind_named(agent)
    except ConfigError as exc:
        raise SweepError(str(exc)) from None


def space_of(agent: str) -> tuple[SweepParam, ...]:
    return _kind(agent).sweep_space


def params_of(agent: str) -> tuple[str, ...]:
    """What a sweep of ``agent`` varies, in the order its tables show them."""
    return tuple(p.name for p in space_of(agent))


def all_params() -> tuple[str, ...]:
    """Every parameter any kind sweeps (the CLI's options), each once."""
    return tuple(dict.fromkeys(p.name for cls in kinds().values() for p in cls.sweep_space))


def _param(agent: str, name: str) -> SweepParam:
    for p in space_of(agent):
        if p.name == name:
            return p
    raise SweepError(
        f"unknown parameter {name!r}; a {agent} sweep varies {', '.join(params_of(agent))}"
    )


def parse_values(name: str, text: str, agent: str = DEFAULT_KIND) -> tuple[str, ...]:
    """A comma-separated list of one parameter's values, each checked (as the CLI's own
    options are), kept as the text given so results name them as the user did."""
    _param(agent, name)
    if ".." in text:
        raise SweepError(f"--{_opt(name)} is a range: ranges are for random search (--samples N)")
    values = tuple(v.strip() for v in text.split(","))
    if not text.strip() or any(not v for v in values):
        raise SweepError(f"--{_opt(name)} {text!r}: an empty value; give a comma-separated list")
    for value in values:
        typed_value(name, value, agent)
    if len(set(values)) != len(values):
        raise SweepError(f"--{_opt(name)} {text!r}: a value is given twice")
    return values


def typed_value(name: str, text: str, agent: str = DEFAULT_KIND):
    """One parameter value from its text (its kind's check: a SweepError names it)."""
    try:
        return _kind(agent).sweep_value(name, text)
    except (ValueError, ConfigError) as exc:
        raise SweepError(f"--{_opt(name)} {text!r}: {exc}") from None


def parse_range(
    name: str, text: str, agent: str = DEFAULT_KIND
) -> tuple[float, float] | tuple[str, ...]:
    """Random search: ``LOW..HIGH`` for a number (log-uniform for alpha, epsilon, the learning
    rate and the whole-number settings), or a comma-separated list to pick from (a learner,
    or a few values)."""
    if ".." not in text:
        return parse_values(name, text, agent)
    param = _param(agent, name)
    if param.choices:
        raise SweepError(f"--{_opt(name)} takes a list, not a range")
    low_text, _, high_text = text.partition("..")
    for end in (low_text, high_text):
        try:
            float(end)
        except ValueError:
            raise SweepError(
                f"--{_opt(name)} {text!r}: a range's ends are numbers, got {end!r}"
            ) from None
    low, high = (_number(typed_value(name, t, agent)) for t in (low_text, high_text))
    if not low < high:
        raise SweepError(f"--{_opt(name)} {text!r}: the range's low end must be below its high end")
    if param.log and low <= 0:
        raise SweepError(f"--{_opt(name)} {text!r}: {name} is drawn log-uniformly; start above 0")
    return (float(low), float(high))


def _number(value) -> float:
    return float(value.start) if hasattr(value, "start") else float(value)


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep runs: the world, the budget, and either a grid (every combination) or
    ``samples`` random draws from ranges, each with ``seeds`` seeds (0, 1, ...)."""

    env_id: str
    env_kwargs: EnvKwargs = ()
    grid: tuple[tuple[str, tuple], ...] = ()  # (name, values or (low, high)) per parameter
    samples: int = 0  # 0: the grid's every combination
    sample_seed: int = 0
    seeds: int = 3
    episodes: int | None = 100_000
    steps: int | None = None
    check_every: int = 250  # episodes (a DQN: steps) between optimality checks
    max_steps: int | None = None
    agent: str = DEFAULT_KIND
    # an adaptive search (Optuna's, see tui_taxi.search): "tpe", with ``n_trials``
    # configurations drawn one after another from the ranges and lists, ``pruner`` stopping
    # a hopeless one between its seeds, ``storage`` its resumable journal file (or none)
    search: str = ""
    n_trials: int = 0
    pruner: str = "median"
    storage: str | None = None

    def __post_init__(self) -> None:
        if self.seeds < 1 or self.check_every < 1 or self.samples < 0:
            raise SweepError("seeds and check-every must be at least 1")
        if self.search not in ("", *ADAPTIVE):
            raise SweepError(f"unknown search {self.search!r}; choose grid, random or tpe")
        if self.search and (self.n_trials < 1 or self.samples):
            raise SweepError(f"a {self.search} search needs --trials N (and no --samples)")
        if self.pruner not in PRUNERS:
            raise SweepError(f"unknown pruner {self.pruner!r}; choose {', '.join(PRUNERS)}")
        kind = _kind(self.agent)
        if kind.unit == "steps" and (self.steps is None or self.episodes is not None):
            raise SweepError(f"a {self.agent} sweep's budget is in steps: --steps N")
        if self.episodes is None and self.steps is None:
            raise SweepError("a sweep needs a budget: --episodes N or --steps N")

    @property
    def judged_by_threshold(self) -> bool:
        """A world with no exact optimum (CartPole, Acrobot, ...): "optimal" is "solved", the
        greedy mean reaching the env's reward threshold."""
        kind = _kind(self.agent)
        model, _, _ = kind.open_env(
            kind.configure(self.env_id, self.env_kwargs, max_steps=self.max_steps)
        )
        return model is None

    @property
    def unit(self) -> str:
        """What the time to the optimum is counted in: the kind's unit (episodes or steps)."""
        return _kind(self.agent).unit

    @property
    def params(self) -> tuple[str, ...]:
        return params_of(self.agent)

    def configurations(self) -> list[tuple[tuple[str, str], ...]]:
        """Each configuration as sorted (name, value text) pairs."""
        if self.search:
            raise SweepError(f"a {self.search} search draws its configurations as it goes")
        grid = dict(self.grid)
        if not self.samples:
            ranged = [name for name, v in grid.items() if _is_range(v)]
            if ranged:
                raise SweepError(
                    f"--{ranged[0]} is a range: ranges are for random search (--samples N)"
                )
            combos: list[tuple[tuple[str, str], ...]] = [()]
            for name in self.params:
                if name in grid:
                    combos = [(*c, (name, v)) for c in combos for v in grid[name]]
            return combos
        rng = np.random.default_rng(self.sample_seed)
        configs = []
        for _ in range(self.samples):
            config = []
            for param in space_of(self.agent):
                name = param.name
                if name not in grid:
                    continue
                choice = grid[name]
                if _is_range(choice):
                    low, high = choice
                    if param.log:
                        value = math.exp(rng.uniform(math.log(low), math.log(high)))
                    else:
                        value = rng.uniform(low, high)
                    text = str(round(value)) if param.whole else f"{value:.4g}"
                    config.append((name, text))
                else:
                    config.append((name, choice[int(rng.integers(len(choice)))]))
            configs.append(tuple(config))
        return list(dict.fromkeys(configs))  # a repeated draw is one configuration

    def trials(self) -> list[Trial]:
        configs = self.configurations()
        if len(configs) * self.seeds > MAX_TRIALS:
            raise SweepError(f"{len(configs) * self.seeds:,} trials: more than {MAX_TRIALS:,}")
        trials = [self.trial_for(params, seed) for params in configs for seed in range(self.seeds)]
        _kind(self.agent).open_env(trials[0].config())  # a world it cannot learn: one line, now
        return trials

    def trial_for(self, params: tuple[tuple[str, str], ...], seed: int) -> Trial:
        """The trial of one configuration (sorted (name, value text) pairs) and one seed."""
        return Trial(
            self.env_id,
            self.env_kwargs,
            params,
            seed,
            self.episodes,
            self.steps,
            self.check_every,
            self.max_steps,
            self.agent,
        )

    def drawn_trial(self, params: dict, seed: int) -> Trial:
        """A trial of an adaptive search: its configuration checked against the search's
        space (each parameter one the sweep varies, each value its kind reads, within a
        range or one of a list)."""
        space = dict(self.grid)
        if set(params) != set(space):
            raise ValueError("its parameters are not the search's")
        for name, text in params.items():
            if not isinstance(text, str):
                raise ValueError(f"{name}'s value must be text")
            value = typed_value(name, text, self.agent)
            choices = space[name]
            if _is_range(choices):
                low, high = choices
                if not low * (1 - 1e-9) <= _number(value) <= high * (1 + 1e-9):
                    raise ValueError(f"{name} {text} is outside its range")
            elif text not in choices:
                raise ValueError(f"{name} {text} is not one of its values")
        ordered = tuple((n, params[n]) for n in self.params if n in params)
        if type(seed) is not int or not 0 <= seed < self.seeds:
            raise ValueError("its seed is not one of the search's")
        return self.trial_for(ordered, seed)

    def to_json(self) -> dict:
        out = dataclasses.asdict(self)
        out["env_kwargs"] = [list(kv) for kv in self.env_kwargs]
        out["grid"] = [[name, list(values)] for name, values in self.grid]
        return out

    @classmethod
    def from_json(cls, raw: dict) -> SweepSpec:
        try:
            values = dict(raw)
            values["env_kwargs"] = tuple(tuple(kv) for kv in raw["env_kwargs"])
            values["grid"] = tuple((name, tuple(v)) for name, v in raw["grid"])
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise SweepError(f"the sweep's header is invalid ({exc})") from None


def _is_range(values: tuple) -> bool:
    return len(values) == 2 and all(isinstance(v, float) for v in values)


# -- one trial ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trial:
    """One configuration with one seed and one budget: a unit of work for any executor."""

    env_id: str
    env_kwargs: EnvKwargs
    params: tuple[tuple[str, str], ...]  # sorted (name, value text)
    seed: int
    episodes: int | None
    steps: int | None
    check_every: int
    max_steps: int | None = None
    agent: str = DEFAULT_KIND

    @property
    def key(self) -> str:
        """The trial's identity in a results file (what --resume skips)."""
        parts = [
            self.env_id,
            [list(kv) for kv in self.env_kwargs],
            [list(p) for p in self.params],
            self.seed,
            self.episodes,
            self.steps,
            self.check_every,
            self.max_steps,
        ]
        # (the default kind's keys name no kind: files written before there were others)
        return json.dumps(parts + ([self.agent] if self.agent != DEFAULT_KIND else []))

    def config(self):
        """The run: the world's defaults for the trial's kind, then its parameters, its seed
        and its budget."""
        kind = _kind(self.agent)
        given = {name: typed_value(name, text, self.agent) for name, text in self.params}
        config = kind.configure(
            self.env_id, self.env_kwargs, seed=self.seed, max_steps=self.max_steps, **given
        )
        return kind.budgeted(config, self.budget)

    @property
    def budget(self) -> Budget:
        return Budget(self.episodes, self.steps)


def run_trial(trial: Trial) -> dict:
    """Train one trial and measure it: the record a results file holds (JSON-able). A trial
    that fails is a record with its error, so a sweep goes on."""
    start = time.perf_counter()
    record = {"key": trial.key, "params": dict(trial.params), "seed": trial.seed}
    try:
        agent = _kind(trial.agent)(trial.config())
        metrics, curve = measure(agent, trial.budget, trial.check_every)
    except Exception as exc:  # noqa: BLE001 - recorded with the trial; the sweep goes on
        return {
            **record,
            "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
            "metrics": None,
            "curve": None,
        }
    metrics["wall_time"] = time.perf_counter() - start
    return {**record, "error": None, "metrics": metrics, "curve": curve}


def measure(agent, budget: Budget, check_every: int) -> tuple[dict, list[list[float]]]:
    """Train ``agent`` to ``budget``, checking its goal every ``check_every`` of its units (and
    at the start and at the end) until it first holds. Returns (metrics, the downsampled
    learning curve as [episode, return])."""
    goal = agent.goal(check_every)
    run = train(
        agent, budget, goal=goal, stop_at_goal=False, check_at_start=True, check_at_end=True
    )
    optimality, optimal = goal.score(agent) if goal is not None else (math.nan, False)
    reached = run.reached[:2] if run.reached is not None else None
    return _metrics(agent, reached, optimality, optimal)


def _metrics(run, reached, optimality: float, optimal: bool) -> tuple[dict, list[list[float]]]:
    history = run.history
    n = history.episodes
    means = history.means()
    counts = history.counts()
    total_return = float(np.sum(means["episodic_return"] * counts)) if n else math.nan
    metrics = {
        "episodes_to_optimal": None if reached is None else reached[0],
        "steps_to_optimal": None if reached is None else reached[1],
        "final_optimality": optimality,
        "final_optimal": bool(optimal),
        "last100_return": history.recent_mean_return() if n else math.nan,
        "auc": total_return / n if n else math.nan,  # the curve's area, per episode
        "episodes": run.episode,
        "steps": run.total_steps,
    }
    x = means["episode"] + history.width / 2
    cx, cy = downsample(x, means["episodic_return"], CURVE_POINTS) if n else ([], [])
    curve = [[float(a), float(b)] for a, b in zip(cx, cy, strict=True)]
    return metrics, curve


# -- results -----------------------------------------------------------------------------------
def header_line(spec: SweepSpec, driver: str | None = None) -> str:
    head = {"format": FORMAT, "version": VERSION, "sweep": spec.to_json()}
    if driver is not None:  # (an adaptive search's: which journal trials are this file's)
        head["driver"] = driver
    return json.dumps(head)


def read_results(path) -> tuple[SweepSpec, dict[str, dict], int]:
    """(the sweep, its records by trial key (the last one of a key wins), the byte length of
    the file's whole lines). A last line cut off mid-write (kill -9) is left out; any other
    bad line is a SweepError naming it, as is a record of another sweep (its trial is not one
    of the header's) and a value no trial could have written. Only a regular file is read
    (a FIFO or a device would block or never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SweepError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SweepError(f"{path}: not a regular file: not a tui-taxi sweep results file")
        with os.fdopen(fd, "rb") as f:
            fd = -1
            data = f.read()
    except OSError as exc:
        raise SweepError(f"{path}: cannot read ({exc.strerror or exc})") from None
    finally:
        if fd >= 0:
            os.close(fd)
    whole = data.rfind(b"\n") + 1  # a last line without its newline was cut off: ignored
    lines = data[:whole].split(b"\n")[:-1]
    if not lines:
        raise SweepError(f"{path}: empty: not a tui-taxi sweep results file")
    try:
        head = json.loads(lines[0])
    except (ValueError, UnicodeDecodeError, RecursionError):
        head = None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise SweepError(f"{path}: not a tui-taxi sweep results file (line 1)")
    if head.get("version") != VERSION:
        raise SweepError(f"{path}: unsupported version {head.get('version')!r}")
    spec = SweepSpec.from_json(head.get("sweep") or {})
    try:
        trials = {trial.key: trial for trial in spec.trials()} if not spec.search else None
    except (ConfigError, ValueError, TypeError) as exc:
        raise SweepError(f"{path}: the sweep's header is invalid ({exc})"[:300]) from None
    records: dict[str, dict] = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            record = json.loads(line)
            if trials is None:  # an adaptive search: its trial from the record, checked
                if not isinstance(record, dict):
                    raise ValueError("not an object")
                trial = spec.drawn_trial(record["params"], record["seed"])
                _check_record(record, {trial.key: trial})
                _check_search_fields(record)
            else:
                _check_record(record, trials)
        except (ValueError, UnicodeDecodeError, KeyError, TypeError, RecursionError) as exc:
            raise SweepError(f"{path}: line {number} is not a trial record ({exc})"[:300]) from None
        records[record["key"]] = record
    return spec, records, whole


#: The largest count a record may hold (episodes, steps): more than any run could take.
MAX_COUNT = 2**53


def _count_or_none(value, name: str) -> None:
    if value is not None and (type(value) is not int or not 0 <= value <= MAX_COUNT):
        raise ValueError(f"{name} must be a whole number from 0 to 2**53, or null")


def _number_or_nan(value, name: str, low: float = -math.inf, high: float = math.inf) -> None:
    """A finite number in [low, high], or NaN (JSON's NaN: a figure a run could not measure)."""
    if type(value) not in (int, float) or not (math.isnan(value) or low <= value <= high):
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}")
    if math.isinf(value):
        raise ValueError(f"{name} must be finite")


def _check_search_fields(record: dict) -> None:
    """An adaptive search's record also names its Optuna trial, and may say it was pruned."""
    number = record.get("trial")
    if type(number) is not int or not 0 <= number <= MAX_COUNT:
        raise ValueError("trial must be the search's trial number")
    if type(record.get("pruned", False)) is not bool:
        raise ValueError("pruned must be true or false")


def _check_record(record, trials: dict[str, Trial]) -> None:
    """Every value of a record as :func:`run_trial` writes it, and its trial one of the
    sweep's (its params and seed those of its key)."""
    if not isinstance(record, dict) or not isinstance(record.get("key"), str):
        raise ValueError("no key")
    trial = trials.get(record["key"])
    if trial is None:
        raise ValueError("a trial of another sweep: its key is not one of this sweep's")
    if record["params"] != dict(trial.params) or record["seed"] != trial.seed:
        raise ValueError("its params or seed are not its key's")
    if record["error"] is not None:
        if not isinstance(record["error"], str) or len(record["error"]) > 10_000:
            raise ValueError("error must be a message or null")
        if record["metrics"] is not None or record["curve"] is not None:
            raise ValueError("a failed trial has no metrics")
        return
    metrics = record["metrics"]
    if not isinstance(metrics, dict):
        raise ValueError("metrics must be an object")
    for name in ("episodes_to_optimal", "steps_to_optimal"):
        _count_or_none(metrics[name], name)
    for name in ("episodes", "steps"):
        _count_or_none(metrics[name], name)
        if metrics[name] is None:
            raise ValueError(f"{name} must be a whole number")
    if type(metrics["final_optimal"]) is not bool:
        raise ValueError("final_optimal must be true or false")
    _number_or_nan(metrics["final_optimality"], "final_optimality", 0.0, 1.0)
    _number_or_nan(metrics["last100_return"], "last100_return")
    _number_or_nan(metrics["auc"], "auc")
    _number_or_nan(metrics["wall_time"], "wall_time", 0.0)
    curve = record["curve"]
    if not isinstance(curve, list) or len(curve) > CURVE_POINTS:
        raise ValueError(f"curve must be a list of at most {CURVE_POINTS} points")
    for point in curve:
        if not isinstance(point, list) or len(point) != 2:
            raise ValueError("each point of the curve must be [episode, return]")
        _number_or_nan(point[0], "a curve point's episode", 0.0)
        _number_or_nan(point[1], "a curve point's return")


# -- aggregation -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    """One configuration over its seeds; the time to the optimum is in the sweep's ``unit``
    (episodes; a DQN's steps)."""

    params: tuple[tuple[str, str], ...]
    seeds: int  # records (failed ones included)
    failed: int
    reached: int  # seeds whose greedy policy became optimal from every start
    reach_mean: float  # time to optimal over the seeds that reached it (nan: none)
    reach_min: float
    reach_max: float
    other_mean: float  # the same in the other unit (steps; a DQN's episodes)
    score: float  # time to optimal, a seed that never reached it counted at its budget
    final_optimality: float  # mean over seeds
    last100_return: float
    auc: float
    wall_time: float
    curves: tuple  # each seed's [[episode, return], ...]

    @property
    def label(self) -> str:
        return " ".join(f"{name} {value}" for name, value in self.params)

    def metric(self, name: str) -> float:
        """A metric over the seeds (to_optimal is the ranking itself: see :func:`aggregate`)."""
        return {
            "final_optimality": self.final_optimality,
            "last100_return": self.last100_return,
            "auc": self.auc,
            "wall_time": self.wall_time,
        }[name]


METRICS = ("to_optimal", "final_optimality", "last100_return", "auc", "wall_time")
#: Metrics where less is better (the others: more is better).
LOWER_IS_BETTER = ("to_optimal", "wall_time")


def aggregate(records: Iterable[dict], spec: SweepSpec) -> list[Summary]:
    """Records grouped by configuration, ranked: most seeds reaching the optimum first, then
    the least time to it (a seed that never did counts as the whole budget), then the final
    optimality and the last 100 episodes' return. An adaptive search's pruned configurations
    (stopped between seeds) are never ranked."""
    records = list(records)
    pruned = {r.get("trial") for r in records if r.get("pruned")}
    records = [r for r in records if not (r.get("pruned") or r.get("trial", -1) in pruned)]
    groups: dict[tuple, list[dict]] = {}
    order = spec.params
    for record in records:
        params = tuple(sorted(record["params"].items(), key=lambda kv: order.index(kv[0])))
        groups.setdefault(params, []).append(record)
    unit = spec.unit
    other = "episodes" if unit == "steps" else "steps"
    budget = spec.steps if unit == "steps" else spec.episodes
    done = [r["metrics"][unit] for r in records if r["error"] is None]
    # a seed that never got there counts as the budget (or, under the other unit's budget,
    # as the most any trial ran): one ceiling for every configuration, so ranks are fair
    ceiling = max([budget or 0, *done])
    summaries = []
    for params, group in groups.items():
        ok = [r for r in group if r["error"] is None]
        reached = [
            r["metrics"][f"{unit}_to_optimal"]
            for r in ok
            if r["metrics"][f"{unit}_to_optimal"] is not None
        ]
        others = [
            r["metrics"][f"{other}_to_optimal"]
            for r in ok
            if r["metrics"][f"{other}_to_optimal"] is not None
        ]
        censored = [
            r["metrics"][f"{unit}_to_optimal"]
            if r["metrics"][f"{unit}_to_optimal"] is not None
            else ceiling
            for r in ok
        ]

        def mean(name: str, rows: Sequence[dict] = ok) -> float:
            values = [r["metrics"][name] for r in rows]
            return float(np.mean(values)) if values else math.nan

        summaries.append(
            Summary(
                params=params,
                seeds=len(group),
                failed=len(group) - len(ok),
                reached=len(reached),
                reach_mean=float(np.mean(reached)) if reached else math.nan,
                reach_min=float(min(reached)) if reached else math.nan,
                reach_max=float(max(reached)) if reached else math.nan,
                other_mean=float(np.mean(others)) if others else math.nan,
                score=float(np.mean(censored)) if censored else math.inf,
                final_optimality=mean("final_optimality"),
                last100_return=mean("last100_return"),
                auc=mean("auc"),
                wall_time=mean("wall_time"),
                curves=tuple(tuple(map(tuple, r["curve"])) for r in ok),
            )
        )
    summaries.sort(key=_rank)
    return summaries


def _rank(s: Summary) -> tuple:
    share = s.reached / s.seeds if s.seeds else 0.0
    return (-share, s.score, -_num(s.final_optimality), -_num(s.last100_return))


def _num(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def best_config(spec: SweepSpec, summaries: list[Summary]):
    """The top configuration as a run (seed 0) of the sweep's world, a config of its kind."""
    if not summaries:
        raise SweepError("the results hold no finished trial")
    top = summaries[0]
    return Trial(
        spec.env_id,
        spec.env_kwargs,
        top.params,
        0,
        spec.episodes,
        spec.steps,
        spec.check_every,
        spec.max_steps,
        spec.agent,
    ).config()
