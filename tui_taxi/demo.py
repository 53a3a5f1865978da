"""Presentation tours: a small line-based script of captioned, deterministic steps, and the
runner that plays them on a session.

    # a comment
    seed 7                      (before the first step: the tour's seed, default 0)
    == Meet the taxi            (a step and its title)
    > The yellow T is the taxi. (caption lines, joined with spaces; "> " alone breaks the line)
    > It learnt for {episodes} episodes.   (a figure of the run, filled in as it is shown)
    set epsilon 1.0             (commands, run in order when the step is shown)
    steps 40

A caption states the run's figures as ``{name}`` (see :data:`CAPTION_FIELDS`): each is filled
in from the run when the step is shown, written as the panel that shows it writes it, so a
caption cannot drift from the screen beside it when a seed, a tie or a default changes.

Before the first step: ``seed N``, ``agent KIND`` (tabular by default, or dqn) and
``env ID [NAME=VALUE ...]`` (the world; the kind's own by default: Taxi for a table).
Commands (each becomes an intent of :mod:`tui_taxi.protocol`, handled as a key's is):

- ``set NAME VALUE``: one of the agent's settings (a table's epsilon, alpha and gamma, epsilon
  and alpha also a schedule, e.g. ``exp:1:0.05:0.999``; a network's epsilon, learning_rate and
  gamma), ``learner NAME`` (a table's);
- ``steps N``: environment steps, one by one, each shown in the explainer and kept for replay;
  when they end the step being shown they play at a visible pace;
- ``walk``: the agent's policy from a fresh start, without learning, at a visible pace, to the
  episode's end (set epsilon 0 first: the greedy path the statistics score);
- ``keep LABEL``: keep the run's learning curve on the chart, named LABEL, beside the next
  run's (after a ``reset`` and another learner, say); ``{gamma}`` (any setting's name) in
  LABEL is that setting's value when kept;
- ``train N`` (episodes flat out), ``train N steps`` (time steps flat out); either with
  ``until optimal`` stops at the first check (every ten episodes) that finds the greedy policy
  optimal from every start state (a world without an exact optimum: its reward threshold);
- ``reset``: a fresh agent with the settings so far and the tour's seed; ``env ID [...]``:
  another world from this step on, the settings so far kept; ``world ID [...]``: another
  world with its own defaults (a network's for CartPole after Taxi's);
- ``view qtable|chart``; ``chart return|steps|penalties|staircase [clipped|whole]`` (the chart,
  showing that metric); ``panel explain|stats|policy|compare`` (the TD explainer, the
  statistics, Q and π(a|s), or random vs trained vs optimum).

Planning (dynamic programming on the world's model, shown on the planning panel instead of the
dashboard, as ``P`` shows it; the run goes on behind it, its max Q and samples beside the planner):

- ``plan policy-evaluation|value-iteration [in-place] [from ACTION]``: a fresh planner on the
  tour's world at that point, with the tour's gamma then, evaluating the random policy (or the
  one that always takes ACTION, e.g. ``from move +0``: Jack's pi_0) or iterating values;
- ``sweep N``, ``sweep until optimal`` (the greedy policy optimal from every start),
  ``sweep until converged`` (Delta below 1e-4); ``backup N`` (states in sweep order, the last
  one explained); ``improve`` (policy improvement); ``iterate`` (policy iteration: evaluate and
  improve until the policy is stable); ``grid v|maxq|gap`` (what the cells show); ``slice N``
  (a world drawn a slice at a time: the N-th, counted from 0; Taxi's 20 maps, passenger then
  destination, R G Y B and in the taxi: the panel names the one shown).

Step k is shown by replaying the intents of steps 1..k on a fresh agent with the tour's seed,
so going back or restarting lands on exactly the same screen; ``steps N`` at the end of the step
shown is a wait: its steps play at a pace the room can follow.
"""

from __future__ import annotations

import errno
import importlib.resources
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from tui_taxi.core.agent import DEFAULT_KIND, Budget, kind_named
from tui_taxi.core.envs import (
    EnvError,
    normalize_kwargs,
    parse_env_kwarg,
    resolve_env_id,
)
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.schedules import ScheduleError
from tui_taxi.protocol import KeepCurve, Reset, SetSetting, SetWorld, Step, Train, Walk

VIEWS = ("qtable", "chart")  # (a planning verb shows the planning panel)
PLAN_METHODS = ("policy-evaluation", "value-iteration")
PLAN_UNTIL = ("optimal", "converged")
PLAN_GRIDS = ("v", "maxq", "gap")
PANELS = ("explain", "stats", "policy", "compare")
CHART_METRICS = {
    "return": "episodic_return",
    "steps": "episodic_length",
    "penalties": "penalties",
    "staircase": "staircase",
}
CHART_RANGES = ("clipped", "whole")
MAX_COUNT = 10_000_000


class TourError(ValueError):
    """A malformed tour: the message names the file, the line and what is wrong."""


#: What a tour's slide does: intents, as the keys send them.
TourIntent = SetSetting | Step | Train | SetWorld | Reset | KeepCurve | Walk

#: The run's figures a caption may state, as ``{name}``, and the panel that shows each (a step
#: that states one shows that panel: tests check the caption against the screen).
CAPTION_FIELDS = {
    "episodes": "episodes trained (the caption's header)",
    "epsilon": "epsilon now (the caption's header)",
    "alpha": "alpha now (the caption's header)",
    "gamma": "gamma (the caption's header)",
    "planning_steps": "Dyna-Q's planning steps n a real step (the caption's header)",
    "last100": "the mean return of the last 100 episodes (statistics)",
    "last100_steps": "the mean steps of the last 100 episodes (the steps chart's legend)",
    "success": "the share of the last 100 episodes that succeeded (statistics)",
    "optimal": "start states the greedy policy serves optimally, as n/N (statistics)",
    "greedy_steps": "the greedy policy's mean steps, or 'loops' (statistics)",
    "greedy_return": "the greedy policy's mean return, or 'loops' (statistics)",
    "optimum_steps": "the optimal policy's mean steps (statistics)",
    "optimum_return": "the optimal policy's mean return (statistics)",
    "greedy_success": "how often the greedy policy succeeds, a stochastic world's (statistics)",
    "optimum_success": "how often the optimal policy succeeds, a stochastic world's (statistics)",
    "pi_greedy": "pi(a|s) of the greedy action at epsilon (the policy panel)",
    "pi_other": "pi(a|s) of each other action at epsilon (the policy panel)",
    "random_steps": "the random agent's steps per episode (the comparison)",
    "trained_steps": "the trained agent's steps per episode (the comparison)",
    "optimum_trip": "the optimum's steps per episode (the comparison)",
    "kept_return": "the kept curve's mean return of its last 100 episodes (the chart)",
    "kept_episodes": "the kept curve's episodes (the chart's legend)",
    "kept_steps": "the kept curve's mean steps of its last 100 episodes (the steps chart's legend)",
    "kept_epsilon": "epsilon of the kept run when it was kept (the chart's legend, if named)",
    "kept_alpha": "alpha of the kept run when it was kept (the chart's legend, if named)",
    "kept_gamma": "gamma of the kept run when it was kept (the chart's legend, if named)",
    # a network's
    "steps": "a network's steps taken (the caption's header)",
    "buffer": "transitions in a network's replay buffer (statistics)",
    "syncs": "the target network's copies so far (statistics)",
    "q_error": "a network's mean |Q - Q*| over every state and action (statistics)",
    "greedy": "the greedy check's mean return over 100 episodes (statistics)",
    "solved_at": "the step of the first greedy check that passed (statistics)",
    "q_max": "the largest |Q| over recent observations, at the last check (statistics)",
    "q_bound": "what no return can exceed, r / (1 - gamma) (statistics)",
    "n_step": "a network's returns, as '3-step' (the status line)",
    # a planning slide's, as the planning panel writes them
    "k": "the planner's sweeps so far (the planning panel)",
    "delta": "the last sweep's Delta, max |V_k+1 - V_k| (the planning panel)",
    "backups": "the planner's backups so far (the planning panel)",
    "optimal_k": "the sweep since which the greedy policy is optimal from every start",
    "optimal_backups": "the backups done when it first was (the planning panel)",
    "policy": "the policy evaluated, as 'π2' (the planning panel)",
    "changed": "the states the last policy improvement changed (the planning panel)",
    "v_min": "the smallest V(s) (the planning panel, a world drawn without numbers)",
    "v_max": "the largest V(s) (the planning panel, a world drawn without numbers)",
    "samples": "the run's environment steps beside the planner (the planning panel)",
    "gap": "the mean |V - max Q| between the planner and the run (the planning panel)",
    "gap_max": "the largest |V - max Q| over the states an episode can be in (the grid's gap)",
    "run_optimal": "start states the run's greedy policy serves optimally, n/N (the panel)",
    # the world's own facts, from its compiled model
    "states": "the world's states (its model)",
    "actions": "the world's actions (its model)",
}
#: The figures that are the world's, not the run's: they come from the compiled model.
WORLD_FIELDS = ("states", "actions")
_FIELD = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class PlanStart:
    """``plan METHOD ...``: a fresh planner on the tour's world and gamma at that point."""

    env_id: str
    env_kwargs: tuple
    gamma: float
    greedy: bool  # value iteration, else policy evaluation
    in_place: bool = False
    start: int | None = None  # evaluate the policy always taking this action (else random)


@dataclass(frozen=True)
class PlanStep:
    """What a slide does to the planner: ``sweep`` N (``until`` "optimal" or "converged"),
    ``backup`` N, ``improve``, ``iterate`` (policy iteration until stable), ``grid`` N (the
    cells show V, the run's max Q or the gap: 0, 1, 2), ``slice`` N (which slice is drawn)."""

    verb: str
    count: int = 1
    until: str = ""


PlanAction = PlanStart | PlanStep


@dataclass(frozen=True)
class PlanOutcome:
    """What a slide's planning steps left beside the planner's own state."""

    last: object | None  # the last backup (a planning.Backup), if the steps ended on one
    changed: int | None  # states the last improvement changed (0: the policy was stable)
    policy: int  # the policy now evaluated: pi_0, then one more per improvement that changed it


def improve_counted(planner) -> tuple[bool, int]:
    """Policy improvement: whether the policy was stable, and how many states it changed in;
    the sweeps so far no longer say whether V has converged."""
    import numpy as np

    before = planner.pi > 0
    stable = planner.improve()
    changed = int(np.any(before != (planner.pi > 0), axis=1).sum())
    planner.forget_convergence()
    return stable, changed


def play_plan(planner, steps, theta: float, since: PlanOutcome | None = None) -> PlanOutcome:
    """A slide's planning steps on ``planner`` (a :class:`tui_taxi.core.planning.Planner`),
    in order, as the app shows them and the tests check them; ``since``: what the steps
    before these left (the planner is as they left it)."""
    last, changed, policy = (since.last, since.changed, since.policy) if since else (None, None, 0)
    for step in steps:
        if step.verb == "sweep":
            if step.until:
                planner.run(theta, until_optimal=step.until == "optimal")
            else:
                for _ in range(step.count):
                    planner.sweep()
            last = None
        elif step.verb == "backup":
            for _ in range(step.count):
                last = planner.backup()
        elif step.verb == "improve":
            changed = improve_counted(planner)[1]
            policy += changed > 0
        elif step.verb == "iterate":  # until stable: the last improvement changes nothing
            stable, policies = planner.iterate(theta)
            policy += len(policies) - stable
            changed = 0 if stable else None
    return PlanOutcome(last, changed, policy)


@dataclass(frozen=True)
class TourStep:
    title: str
    caption: str
    actions: tuple[TourIntent, ...]
    view: str | None
    panel: str | None
    chart: tuple[str, str] | None = None  # (metric, range) when the step shows a chart
    plan: tuple[PlanAction, ...] = ()  # what it does to the planner, in order


@dataclass(frozen=True)
class Tour:
    seed: int
    steps: tuple[TourStep, ...]
    source: str
    env_id: str = "Taxi-v4"
    env_kwargs: tuple = ()
    agent: str = DEFAULT_KIND

    def intents_until(self, index: int) -> tuple[tuple[TourIntent, ...], Step | Walk | None]:
        """What showing step ``index`` replays: every intent of steps 0..index, in order, but
        for the closing ``steps N`` or ``walk`` of step ``index`` itself: a wait (the second
        value, else None), whose steps play at a visible pace."""
        intents = tuple(a for step in self.steps[: index + 1] for a in step.actions)
        shown = self.steps[index].actions
        if shown and isinstance(shown[-1], Step | Walk):
            return intents[:-1], shown[-1]
        return intents, None

    def plan_at(self, index: int) -> tuple[PlanStart, tuple[PlanStep, ...]] | None:
        """What the planner shows at step ``index``: the last ``plan`` so far and what the
        steps did to it since (None before any)."""
        actions = [a for step in self.steps[: index + 1] for a in step.plan]
        starts = [i for i, a in enumerate(actions) if isinstance(a, PlanStart)]
        if not starts:
            return None
        return actions[starts[-1]], tuple(actions[starts[-1] + 1 :])

    def view_at(self, index: int) -> str:
        """The last view chosen up to step ``index`` (the Q-table by default)."""
        views = [step.view for step in self.steps[: index + 1] if step.view]
        return views[-1] if views else "qtable"

    def panel_at(self, index: int) -> str:
        """The last panel chosen up to step ``index`` (the TD explainer by default)."""
        panels = [step.panel for step in self.steps[: index + 1] if step.panel]
        return panels[-1] if panels else "explain"

    def chart_at(self, index: int) -> tuple[str, str]:
        """The last chart chosen up to step ``index`` (return per episode, clipped)."""
        charts = [step.chart for step in self.steps[: index + 1] if step.chart]
        return charts[-1] if charts else ("episodic_return", "clipped")


#: The shipped tours, by name, and what each is about (``tui-taxi demo --list``).
TOURS = {
    "taxi": "Q-learning on Taxi, a 10-minute lecture: explore or exploit, TD updates, the optimum",
    "windy": "Sutton & Barto's Windy Gridworld: Sarsa, the episodes-vs-steps staircase, king's moves",
    "cliff": "Cliff Walking: Sarsa's safe path against Q-learning's optimal one (Example 6.6)",
    "frozen": "FrozenLake: learning on slippery ice, where even the best policy may fall",
    "bias": "Maximization bias (Example 6.7): Q-learning and Expected SARSA against Double Q",
    "dqn": "From the Q-table to a Q-network: replay, the target network, Taxi, CartPole solved",
    "planning": "Planning with the model against learning from samples: Figure 4.1, value "
    "iteration on Taxi, Dyna-Q, Jack's car rental",
}
DEFAULT_TOUR = "taxi"


def builtin_tour_text(name: str = DEFAULT_TOUR) -> str:
    if name not in TOURS:
        raise TourError(f"no tour named {name!r}; the tours: {', '.join(TOURS)}")
    return (
        importlib.resources.files("tui_taxi").joinpath(f"data/tours/{name}.tour").read_text("utf-8")
    )


def export_tour(path: str | Path, *, force: bool = False, name: str = DEFAULT_TOUR) -> Path:
    """Write the built-in tour ``name`` to ``path`` (to edit and run with ``demo --script``), atomically:
    a temporary file in the same folder, then linked (or, with ``force``, renamed) into place,
    so an existing file is never clobbered without ``force`` nor left half-written."""
    from tui_taxi.core.archive import check_save_target  # the one check of a target path

    path = Path(path)
    folder = check_save_target(path)
    if path.exists() and not force:
        raise TourError(f"{path} exists; use --force to overwrite it")
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # mode as umask says
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(builtin_tour_text(name))
            f.flush()
            os.fsync(f.fileno())
        if force:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    except OSError as exc:
        raise TourError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _link_new(tmp: Path, path: Path) -> None:
    """Put ``tmp`` at ``path`` unless something is there (atomically where hard links work)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise TourError(f"{path} exists; use --force to overwrite it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if path.exists():  # no hard links on this file system: check, then rename
            raise TourError(f"{path} exists; use --force to overwrite it") from None
        os.replace(tmp, path)


def load_tour(path: str | Path | None = None, name: str = DEFAULT_TOUR) -> Tour:
    """The shipped tour ``name``, or the one in ``path``; raises TourError with file and line."""
    if path is None:
        return parse_tour(builtin_tour_text(name), f"{name}.tour (built in)")
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise TourError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise TourError(f"{path}: not a UTF-8 text file") from None
    return parse_tour(text, str(path))


def parse_tour(text: str, source: str = "<tour>") -> Tour:
    seed = 0
    agent = DEFAULT_KIND
    env: tuple[str, tuple] | None = None
    steps: list[dict] = []
    world: tuple[str, tuple] | None = None  # the world and gamma at this line (for 'plan')
    gamma: float | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"{source}:{number}"
        if not line or line.startswith("#"):
            continue
        if line.startswith("=="):
            title = line[2:].strip()
            if not title:
                raise TourError(f"{where}: a step needs a title after '=='")
            steps.append(
                {
                    "title": title,
                    "caption": [],
                    "actions": [],
                    "view": None,
                    "panel": None,
                    "chart": None,
                    "plan": [],
                    "line": number,
                }
            )
            continue
        if line.startswith(">"):
            if not steps:
                raise TourError(f"{where}: caption before the first '== step'")
            caption = line[1:].strip()
            for name in _FIELD.findall(caption):
                if name not in CAPTION_FIELDS:
                    raise TourError(
                        f"{where}: unknown figure {{{name}}} in a caption; the figures: "
                        + ", ".join(CAPTION_FIELDS)
                    )
            steps[-1]["caption"].append(caption)
            continue
        words = line.split()
        verb, args = words[0].lower(), words[1:]
        if verb == "seed":
            if steps:
                raise TourError(f"{where}: 'seed' must come before the first step")
            seed = _count(args, where, "seed", minimum=0)
            continue
        if verb == "agent" and not steps:  # the tour's kind of agent
            if len(args) != 1:
                raise TourError(f"{where}: expected 'agent KIND'")
            try:
                agent = kind_named(args[0]).name
            except ConfigError as exc:
                raise TourError(f"{where}: {exc}") from None
            continue
        if verb == "env" and not steps:  # the tour's world
            env = _env(args, where, agent)
            continue
        if world is None:  # the first step: the tour's world, its gamma
            world = env if env is not None else (kind_named(agent).default_env, ())
            gamma = _gamma_of(agent, *world)
        if not steps:
            raise TourError(f"{where}: '{verb}' before the first '== step'")
        step = steps[-1]
        if verb == "set":
            if len(args) != 2:
                raise TourError(f"{where}: expected 'set NAME VALUE', got {line!r}")
            value = _setting(agent, args[0], args[1], where)
            step["actions"].append(SetSetting(args[0], value))
            if args[0] == "gamma":
                gamma = float(value)
        elif verb == "env":  # another world from this step on, the settings so far kept
            world = _env(args, where, agent)
            step["actions"].append(SetWorld(*world, keep_settings=True))
        elif verb == "world":  # another world from this step on, with its own defaults
            world = _env(args, where, agent)
            gamma = _gamma_of(agent, *world)
            step["actions"].append(SetWorld(*world, keep_settings=False))
        elif verb in PLAN_VERBS:
            started = any(isinstance(a, PlanStart) for st in steps for a in st["plan"])
            step["plan"].append(_plan(verb, args, where, world, gamma, started))
            step["view"] = "planning"
        elif verb == "reset":
            if args:
                raise TourError(f"{where}: 'reset' takes nothing after it")
            step["actions"].append(Reset())
        elif verb == "learner":
            if len(args) != 1:
                raise TourError(f"{where}: expected 'learner NAME'")
            step["actions"].append(
                SetSetting("learner", _setting(agent, "learner", args[0], where))
            )
        elif verb == "train":
            until = args[-2:] == ["until", "optimal"]
            count_args = args[:-2] if until else args
            if len(count_args) == 2 and count_args[1] == "steps":
                budget = Budget(steps=_count(count_args[:1], where, verb, minimum=1))
            elif len(count_args) == 1:
                budget = Budget(episodes=_count(count_args, where, verb, minimum=1))
            else:
                raise TourError(
                    f"{where}: expected 'train N [steps] [until optimal]', got {line!r}"
                )
            step["actions"].append(Train(budget, until_goal=until))
        elif verb == "steps":
            step["actions"].append(Step(_count(args, where, verb, minimum=1)))
        elif verb == "walk":
            if args:
                raise TourError(f"{where}: 'walk' takes nothing after it")
            step["actions"].append(Walk())
        elif verb == "keep":
            if not args:
                raise TourError(f"{where}: expected 'keep LABEL' (what the kept curve is)")
            step["actions"].append(KeepCurve(" ".join(args)))
        elif verb == "view":
            if len(args) != 1 or args[0] not in VIEWS:
                raise TourError(f"{where}: expected 'view {'|'.join(VIEWS)}', got {line!r}")
            step["view"] = args[0]
        elif verb == "chart":
            if (
                not 1 <= len(args) <= 2
                or args[0] not in CHART_METRICS
                or (len(args) == 2 and args[1] not in CHART_RANGES)
            ):
                raise TourError(
                    f"{where}: expected 'chart {'|'.join(CHART_METRICS)} "
                    f"[{'|'.join(CHART_RANGES)}]', got {line!r}"
                )
            step["chart"] = (CHART_METRICS[args[0]], args[1] if len(args) == 2 else "clipped")
            step["view"] = "chart"
        elif verb == "panel":
            if len(args) != 1 or args[0] not in PANELS:
                raise TourError(f"{where}: expected 'panel {'|'.join(PANELS)}', got {line!r}")
            step["panel"] = args[0]
        else:
            raise TourError(
                f"{where}: unknown command {verb!r}; use set, learner, steps, walk, train, "
                "keep, view, chart, panel, reset, env, agent, seed, or to plan: "
                + ", ".join(PLAN_VERBS)
            )
    if not steps:
        raise TourError(f"{source}: no steps; start one with a line '== Title'")
    for step in steps:
        if not step["caption"]:
            raise TourError(f"{source}:{step['line']}: step {step['title']!r} has no '>' caption")
    env_id, env_kwargs = env if env is not None else (kind_named(agent).default_env, ())
    return Tour(
        seed,
        tuple(
            TourStep(
                s["title"],
                _join(s["caption"]),
                tuple(s["actions"]),
                s["view"],
                s["panel"],
                s["chart"],
                tuple(s["plan"]),
            )
            for s in steps
        ),
        source,
        env_id,
        env_kwargs,
        agent,
    )


def _env(args: list[str], where: str, agent: str = DEFAULT_KIND) -> tuple[str, tuple]:
    """``env ID [NAME=VALUE ...]``: a registered env the tour's kind of agent can run (a
    table: one with a transition model; a network: CartPole too), checked now."""
    if not args:
        raise TourError(f"{where}: expected 'env ID [NAME=VALUE ...]'")
    env_id, _ = resolve_env_id(args[0])
    kind = kind_named(agent)
    try:
        kwargs = normalize_kwargs(dict(parse_env_kwarg(a) for a in args[1:]))
        kind.open_env(kind.configure(env_id, kwargs))
    except (EnvError, ConfigError) as exc:
        raise TourError(f"{where}: {exc}") from None
    return env_id, kwargs


PLAN_VERBS = ("plan", "sweep", "backup", "improve", "iterate", "grid", "slice")


def _gamma_of(agent: str, env_id: str, env_kwargs: tuple) -> float:
    return float(kind_named(agent).configure(env_id, env_kwargs).gamma)


def _plan(verb: str, args: list[str], where: str, world, gamma, started: bool) -> PlanAction:
    """A planning verb (see the module's doc), checked now: its world has a model, its action
    exists, a planner was started before it is stepped."""
    from tui_taxi.core.envs import compile_env

    if verb == "plan":
        usage = f"expected 'plan {'|'.join(PLAN_METHODS)} [in-place] [from ACTION]'"
        if not args or args[0] not in PLAN_METHODS:
            raise TourError(f"{where}: {usage}")
        rest = args[1:]
        in_place = bool(rest) and rest[0] == "in-place"
        rest = rest[1:] if in_place else rest
        try:
            model = compile_env(*world)
        except (EnvError, ConfigError) as exc:
            raise TourError(f"{where}: planning needs a world with a model: {exc}") from None
        start = None
        if rest:
            name = " ".join(rest[1:])
            if rest[0] != "from" or name not in model.action_names:
                raise TourError(
                    f"{where}: {usage}; {world[0]}'s actions: {', '.join(model.action_names)}"
                )
            start = model.action_names.index(name)
        return PlanStart(*world, gamma, args[0] == "value-iteration", in_place, start)
    if not started:
        raise TourError(f"{where}: '{verb}' before a 'plan' (which starts a planner)")
    if verb == "sweep":
        if len(args) == 2 and args[0] == "until" and args[1] in PLAN_UNTIL:
            step = PlanStep("sweep", until=args[1])
        elif len(args) == 1 and args[0].isdigit():
            step = PlanStep("sweep", _count(args, where, verb, minimum=1))
        else:
            raise TourError(f"{where}: expected 'sweep N' or 'sweep until optimal|converged'")
    elif verb == "backup":
        step = PlanStep("backup", _count(args, where, verb, minimum=1))
    elif verb == "slice":
        step = PlanStep("slice", _count(args, where, verb, minimum=0))
    elif verb == "grid":
        if len(args) != 1 or args[0] not in PLAN_GRIDS:
            raise TourError(f"{where}: expected 'grid {'|'.join(PLAN_GRIDS)}'")
        step = PlanStep("grid", PLAN_GRIDS.index(args[0]))
    else:  # improve, iterate
        if args:
            raise TourError(f"{where}: '{verb}' takes nothing after it")
        step = PlanStep(verb)
    return step


def _join(lines: list[str]) -> str:
    paragraphs, current = [], []
    for line in lines:
        if line:
            current.append(line)
        else:
            paragraphs.append(" ".join(current))
            current = []
    paragraphs.append(" ".join(current))
    return "\n".join(p for p in paragraphs if p)


def _setting(agent: str, name: str, text: str, where: str):
    """A value for ``set`` (or ``learner``), read and checked by the tour's kind of agent."""
    try:
        return kind_named(agent).parse_setting(name, text)
    except (ScheduleError, ConfigError, ValueError) as exc:
        raise TourError(f"{where}: {exc}") from None


def _count(args: list[str], where: str, verb: str, minimum: int) -> int:
    if len(args) != 1:
        raise TourError(f"{where}: expected '{verb} N'")
    try:
        value = int(args[0])
    except ValueError:
        raise TourError(f"{where}: {verb} needs a whole number, got {args[0]!r}") from None
    if not minimum <= value <= MAX_COUNT:
        raise TourError(f"{where}: {verb} must be {minimum} to {MAX_COUNT:,}, got {value}")
    return value
