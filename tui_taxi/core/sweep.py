"""Hyperparameter sweeps of the tabular learners, scored by the exact optimum.

A sweep is a list of :class:`Trial`\\ s (one configuration, one seed, one budget) and one
function, :func:`run_trial`, that any ``concurrent.futures`` executor can run: a process pool on
one machine, or a Dask cluster's executor. A trial is pure: the same trial gives the same
record (but for its wall time) wherever it runs.

Each trial trains and, every ``check_every`` episodes until it happens, checks whether the
greedy policy is optimal from every start state (against the optimum for the trial's gamma):
the episodes and steps it took are the sweep's headline metric ("never" within the budget).
Records are plain JSON; :func:`aggregate` groups them by configuration over seeds and ranks
them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from tui_taxi.core.defaults import config_for
from tui_taxi.core.envs import EnvKwargs, compile_env
from tui_taxi.core.history import downsample
from tui_taxi.core.learners import LEARNERS
from tui_taxi.core.optimal import policy_report, solve
from tui_taxi.core.schedules import parse_schedule
from tui_taxi.core.session import ConfigError, Session, TrainConfig

#: What a sweep varies, per agent, and all of them in the order tables show them.
TABULAR_PARAMS = ("alpha", "gamma", "epsilon", "learner")
DQN_PARAMS = (
    "learning_rate",
    "gamma",
    "exploration_fraction",
    "target_network_frequency",
    "batch_size",
    "double",
)
PARAMS = (
    "alpha",
    "learning_rate",
    "gamma",
    "epsilon",
    "exploration_fraction",
    "target_network_frequency",
    "batch_size",
    "learner",
    "double",
)
AGENTS = ("tabular", "dqn")
#: Parameters drawn log-uniformly from a range (they span orders of magnitude).
LOG_UNIFORM = ("alpha", "epsilon", "learning_rate", "target_network_frequency", "batch_size")
_WHOLE = ("target_network_frequency", "batch_size")
CURVE_POINTS = 60  # the learning curve kept per trial
FORMAT = "tui-taxi-sweep"
VERSION = 1
MAX_TRIALS = 1_000_000


class SweepError(ValueError):
    """A bad sweep specification or results file; the message is one line for people."""


# -- the specification ------------------------------------------------------------------------
def _opt(name: str) -> str:
    """A parameter as its option is spelt (learning_rate: learning-rate)."""
    return name.replace("_", "-")


def params_of(agent: str) -> tuple[str, ...]:
    return DQN_PARAMS if agent == "dqn" else TABULAR_PARAMS


def parse_values(name: str, text: str, agent: str = "tabular") -> tuple[str, ...]:
    """A comma-separated list of one parameter's values, each checked (as the CLI's own
    options are), kept as the text given so results name them as the user did."""
    if name not in params_of(agent):
        raise SweepError(
            f"unknown parameter {name!r}; a {agent} sweep varies {', '.join(params_of(agent))}"
        )
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


def typed_value(name: str, text: str, agent: str = "tabular"):
    """One parameter value from its text (a ConfigError-free check: SweepError names it)."""
    try:
        if agent == "dqn":
            return _dqn_value(name, text)
        if name == "learner":
            if text not in LEARNERS:
                raise ValueError(f"unknown learner; choose from {', '.join(LEARNERS)}")
            return text
        if name == "gamma":
            gamma = float(text)
            if not (math.isfinite(gamma) and 0.0 <= gamma <= 1.0):
                raise ValueError(f"gamma must be in [0, 1], got {text}")
            return gamma
        schedule = parse_schedule(text, name)
        TrainConfig(**{name: schedule})  # the config's own range check
        return schedule
    except (ValueError, ConfigError) as exc:
        raise SweepError(f"--{_opt(name)} {text!r}: {exc}") from None


def _dqn_value(name: str, text: str):
    from tui_taxi.core.dqn.config import DQNConfig

    if name == "double":
        if text.lower() not in ("true", "false"):
            raise ValueError("double is true or false")
        return text.lower() == "true"
    if name in _WHOLE and not text.strip().isdigit():
        raise ValueError(f"{_opt(name)} must be a whole number, got {text}")
    value = int(text) if name in _WHOLE else float(text)
    DQNConfig(**{name: value})  # the config's own range check
    return value


def parse_range(
    name: str, text: str, agent: str = "tabular"
) -> tuple[float, float] | tuple[str, ...]:
    """Random search: ``LOW..HIGH`` for a number (log-uniform for alpha, epsilon, the learning
    rate and the whole-number settings), or a comma-separated list to pick from (a learner,
    or a few values)."""
    if ".." not in text:
        return parse_values(name, text, agent)
    if name in ("learner", "double"):
        raise SweepError(f"--{_opt(name)} takes a list, not a range")
    if name not in params_of(agent):
        parse_values(name, "0", agent)  # the unknown-parameter error
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
    if name in LOG_UNIFORM and low <= 0:
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
    agent: str = "tabular"

    def __post_init__(self) -> None:
        if self.seeds < 1 or self.check_every < 1 or self.samples < 0:
            raise SweepError("seeds and check-every must be at least 1")
        if self.agent not in AGENTS:
            raise SweepError(f"unknown agent {self.agent!r}; choose from {', '.join(AGENTS)}")
        if self.agent == "dqn" and (self.steps is None or self.episodes is not None):
            raise SweepError("a DQN sweep's budget is in steps: --steps N")
        if self.episodes is None and self.steps is None:
            raise SweepError("a sweep needs a budget: --episodes N or --steps N")

    @property
    def judged_by_threshold(self) -> bool:
        """A DQN on a world with no transition model (CartPole, Acrobot, ...): "optimal" is
        "solved", the greedy mean reaching the env's reward threshold."""
        if self.agent != "dqn":
            return False
        from tui_taxi.core.dqn.config import CONTINUOUS_ENVS
        from tui_taxi.core.dqn.gym_env import box_env

        return self.env_id in CONTINUOUS_ENVS or box_env(self.env_id, self.env_kwargs) is not None

    @property
    def unit(self) -> str:
        """What the time to the optimum is counted in: episodes, or a DQN's steps."""
        return "steps" if self.agent == "dqn" else "episodes"

    def configurations(self) -> list[tuple[tuple[str, str], ...]]:
        """Each configuration as sorted (name, value text) pairs."""
        grid = dict(self.grid)
        if not self.samples:
            ranged = [name for name, v in grid.items() if _is_range(v)]
            if ranged:
                raise SweepError(
                    f"--{ranged[0]} is a range: ranges are for random search (--samples N)"
                )
            combos: list[tuple[tuple[str, str], ...]] = [()]
            for name in PARAMS:
                if name in grid:
                    combos = [(*c, (name, v)) for c in combos for v in grid[name]]
            return combos
        rng = np.random.default_rng(self.sample_seed)
        configs = []
        for _ in range(self.samples):
            config = []
            for name in PARAMS:
                if name not in grid:
                    continue
                choice = grid[name]
                if _is_range(choice):
                    low, high = choice
                    if name in LOG_UNIFORM:
                        value = math.exp(rng.uniform(math.log(low), math.log(high)))
                    else:
                        value = rng.uniform(low, high)
                    text = str(round(value)) if name in _WHOLE else f"{value:.4g}"
                    config.append((name, text))
                else:
                    config.append((name, choice[int(rng.integers(len(choice)))]))
            configs.append(tuple(config))
        return list(dict.fromkeys(configs))  # a repeated draw is one configuration

    def trials(self) -> list[Trial]:
        configs = self.configurations()
        if len(configs) * self.seeds > MAX_TRIALS:
            raise SweepError(f"{len(configs) * self.seeds:,} trials: more than {MAX_TRIALS:,}")
        trials = [
            Trial(
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
            for params in configs
            for seed in range(self.seeds)
        ]
        if self.agent == "dqn":  # a world the agent cannot learn: one line, now
            from tui_taxi.core.dqn.agent import env_kind

            env_kind(trials[0].config())
        else:
            compile_env(self.env_id, self.env_kwargs)
            trials[0].config()
        return trials

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
    agent: str = "tabular"

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
        return json.dumps(parts + ([self.agent] if self.agent != "tabular" else []))

    def config(self):
        """The run: the world's defaults, then this trial's parameters and seed (a
        TrainConfig, or a DQNConfig for a DQN trial)."""
        given = {name: typed_value(name, text, self.agent) for name, text in self.params}
        if self.agent == "dqn":
            from tui_taxi.core.dqn.config import config_for as dqn_config_for

            return dqn_config_for(
                self.env_id,
                self.env_kwargs,
                seed=self.seed,
                total_timesteps=self.steps,
                max_steps=self.max_steps or None,
                **given,
            )
        return config_for(
            self.env_id, self.env_kwargs, seed=self.seed, max_steps=self.max_steps, **given
        )


def run_trial(trial: Trial) -> dict:
    """Train one trial and measure it: the record a results file holds (JSON-able). A trial
    that fails is a record with its error, so a sweep goes on."""
    start = time.perf_counter()
    record = {"key": trial.key, "params": dict(trial.params), "seed": trial.seed}
    try:
        if trial.agent == "dqn":
            from tui_taxi.core.dqn.agent import DQNAgent

            agent = DQNAgent(trial.config())
            metrics, curve = measure_dqn(agent, trial.steps, trial.check_every)
        else:
            session = Session(trial.config())
            metrics, curve = measure(session, trial.episodes, trial.steps, trial.check_every)
    except Exception as exc:  # noqa: BLE001 - recorded with the trial; the sweep goes on
        return {
            **record,
            "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
            "metrics": None,
            "curve": None,
        }
    metrics["wall_time"] = time.perf_counter() - start
    return {**record, "error": None, "metrics": metrics, "curve": curve}


def measure(
    session: Session, episodes: int | None, steps: int | None, check_every: int
) -> tuple[dict, list[list[float]]]:
    """Train ``session`` to the budget (``episodes`` and/or ``steps``), checking every
    ``check_every`` episodes, until it first holds, whether its greedy policy is optimal from
    every start state. Returns (metrics, the downsampled learning curve as [episode, return])."""
    model, gamma = session.model, session.config.gamma
    check = OptimalityCheck(model, gamma)
    reached: tuple[int, int] | None = (0, 0) if check(session.q) else None
    while True:
        left_episodes = math.inf if episodes is None else episodes - session.episode
        left_steps = math.inf if steps is None else steps - session.total_steps
        if left_episodes <= 0 or left_steps <= 0:
            break
        chunk = int(min(check_every, left_episodes)) if reached is None else left_episodes
        before = session.total_steps
        session.train(
            episodes=None if chunk == math.inf else int(chunk),
            steps=None if left_steps == math.inf else int(left_steps),
        )
        if reached is None and check(session.q):
            reached = (session.episode, session.total_steps)
        if session.total_steps == before:  # nothing moved (a zero budget): done
            break
    report = policy_report(model, session.q, gamma)
    return _metrics(session, reached, report.optimality, report.n_optimal == report.n_start)


def measure_dqn(agent, steps: int, check_every: int) -> tuple[dict, list[list[float]]]:
    """:func:`measure` for a DQN, in steps: on a discrete world the network's Q-table is
    checked against the optimum; on CartPole (and other Box envs) "optimal" is "solved" (the
    greedy policy's mean over 100 episodes reaches the env's reward threshold)."""
    check = OptimalityCheck(agent.model, agent.config.gamma) if agent.model is not None else None

    def ok() -> bool:
        return check(agent.q_table()) if check is not None else agent.solved()[0]

    reached = (0, 0) if ok() else None
    while agent.total_steps < steps:
        agent.train(steps=min(check_every, steps - agent.total_steps))
        if reached is None and ok():
            reached = (agent.episode, agent.total_steps)
    if check is not None:
        report = policy_report(agent.model, agent.q_table(), agent.config.gamma)
        return _metrics(agent, reached, report.optimality, report.n_optimal == report.n_start)
    solved, _ = agent.solved()
    return _metrics(agent, reached, 1.0 if solved else 0.0, solved)


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


class OptimalityCheck:
    """Is ``q``'s greedy policy (ties: every tied action) optimal from every start state?

    A quick necessary test first: every greedy action at the start states must be an optimal
    one. Only when it passes does the full :func:`policy_report` (the greedy policy's values
    from each start, loops included) decide; most checks early in a run stop at the first."""

    def __init__(self, model, gamma: float) -> None:
        self.model, self.gamma = model, gamma
        self.optimal = solve(model, gamma).optimal_actions
        self.starts = model.start_states

    def __call__(self, q: np.ndarray) -> bool:
        rows = q[self.starts]
        greedy = rows == rows.max(axis=1, keepdims=True)
        if np.any(greedy & ~self.optimal[self.starts]):
            return False
        report = policy_report(self.model, q, self.gamma)
        return report.n_optimal == report.n_start


# -- results -----------------------------------------------------------------------------------
def header_line(spec: SweepSpec) -> str:
    return json.dumps({"format": FORMAT, "version": VERSION, "sweep": spec.to_json()})


def read_results(path) -> tuple[SweepSpec, dict[str, dict], int]:
    """(the sweep, its records by trial key (the last one of a key wins), the byte length of
    the file's whole lines). A last line cut off mid-write (kill -9) is left out; any other
    bad line is a SweepError naming it."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise SweepError(f"{path}: cannot read ({exc.strerror or exc})") from None
    whole = data.rfind(b"\n") + 1  # a last line without its newline was cut off: ignored
    lines = data[:whole].split(b"\n")[:-1]
    if not lines:
        raise SweepError(f"{path}: empty: not a tui-taxi sweep results file")
    try:
        head = json.loads(lines[0])
    except (ValueError, UnicodeDecodeError):
        head = None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise SweepError(f"{path}: not a tui-taxi sweep results file (line 1)")
    if head.get("version") != VERSION:
        raise SweepError(f"{path}: unsupported version {head.get('version')!r}")
    spec = SweepSpec.from_json(head.get("sweep") or {})
    records: dict[str, dict] = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            record = json.loads(line)
            _check_record(record)
        except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise SweepError(f"{path}: line {number} is not a trial record ({exc})"[:300]) from None
        records[record["key"]] = record
    return spec, records, whole


def _check_record(record: dict) -> None:
    if not isinstance(record, dict) or not isinstance(record["key"], str):
        raise ValueError("no key")
    if not isinstance(record["params"], dict) or type(record["seed"]) is not int:
        raise ValueError("bad params or seed")
    if record["error"] is None:
        metrics = record["metrics"]
        for name in ("episodes_to_optimal", "steps_to_optimal"):
            if metrics[name] is not None and type(metrics[name]) is not int:
                raise ValueError(f"{name} must be a whole number or null")
        for name in ("final_optimality", "last100_return", "auc", "wall_time"):
            if not isinstance(metrics[name], (int, float)):
                raise ValueError(f"{name} must be a number")
        if not isinstance(record["curve"], list):
            raise ValueError("no curve")


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
    optimality and the last 100 episodes' return."""
    records = list(records)
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        params = tuple(sorted(record["params"].items(), key=lambda kv: PARAMS.index(kv[0])))
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
    """The top configuration as a run (seed 0) of the sweep's world: a TrainConfig, or a
    DQNConfig for a DQN sweep."""
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
