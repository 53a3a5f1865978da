"""The one entry point: ``tui-taxi`` and ``python -m tui_taxi``.

Headless commands (``train``, ``eval``, ``compare``) call the same core functions the app's
trainer calls. Every error a person can cause ends in one line on stderr and exit status 2,
before any work is done; options given before the command apply to it (or are refused).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import decimal
import importlib.resources
import math
import os
import shlex
import socket
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from tui_taxi import __version__
from tui_taxi.core import agent as agents
from tui_taxi.core.tabular.defaults import defaults_for, describe_defaults, diagnose, format_setting
from tui_taxi.core.dqn.agent import SOLVED_CHECK, DQNAgent, reward_threshold
from tui_taxi.core.dqn.config import CONTINUOUS_ENVS, DISCRETE_DEFAULTS, PRESETS, DQNConfig
from tui_taxi.core.dqn.config import config_for as dqn_config_for
from tui_taxi.core.envs import (
    EnvError,
    check_env_kwargs,
    compile_env,
    parse_env_kwarg,
    resolve_env_id,
)
from tui_taxi.core.evaluate import SAFETY_CAP, EvalResult, evaluate
from tui_taxi.core.episodes import RECENT
from tui_taxi.core.tabular.kernel import LEARNERS
from tui_taxi.core.optimal import PolicyReport, SolveError, policy_report, solve
from tui_taxi.core.persist import (
    SaveFileError,
    check_save_target,
    save_session,
)
from tui_taxi.core.schedules import ScheduleError, parse_schedule
from tui_taxi.core.session import ConfigError, Session, TrainConfig
from tui_taxi.core.sweep import AGENTS as SWEEP_AGENTS
from tui_taxi.core.sweep import METRICS as SWEEP_METRIC_NAMES
from tui_taxi.core.sweep import PARAMS as SWEEP_PARAMS
from tui_taxi.core.sweep import (
    SweepError,
    SweepSpec,
    aggregate,
    best_config,
    parse_range,
    parse_values,
    read_results,
)
from tui_taxi.core.sweep import params_of as sweep_params_of
from tui_taxi.demo import DEFAULT_TOUR, TOURS, TourError, export_tour, load_tour
from tui_taxi.protocol import DEFAULT_SPEED, SPEEDS

PROG = "tui-taxi"
EVAL_EPISODES = 100
#: Upper bounds of the whole-number options: far beyond any useful run, far below what would
#: overflow the kernel's 64-bit counters or allocate without limit.
MAX_TRAIN_EPISODES = 10**9
MAX_TRAIN_STEPS = 10**12
MAX_EVAL_EPISODES = 10**7
MAX_STEPS = 10**9
MAX_SEED = 2**64 - 1  # the generator is seeded from 64 bits; larger seeds would alias smaller
COMMANDS = {
    "demo": "a scripted, seeded tour of Q-learning for presenting (space: next, left: back)",
    "play": "drive the taxi yourself in the app, then compare with the optimum and the agent",
    "serve": "serve the app to a web browser (textual-serve), for projectors",
    "train": "train an agent headless, show its learning curve and how close it is to optimal",
    "eval": "evaluate a saved session's greedy policy (tutorial metrics + optimality)",
    "compare": "random agent vs trained agent vs the exact optimum, as the tutorial's table",
    "sweep": "grid or random search of alpha, gamma, epsilon and the learner over seeds, "
    "scored by when the greedy policy becomes exactly optimal",
}
#: Options given before the command are parsed into ``LEADING + dest`` and then applied.
LEADING = "leading_"


class CliError(Exception):
    """A one-line error for people; exits with status 2."""


class _Formatter(argparse.HelpFormatter):
    """Wraps paragraphs; keeps text that has its own line breaks (examples) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """One-line errors, and options whose defaults are filled in by :func:`parse_args`, so that
    it can tell a given option from a default one."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self.late_defaults: dict[str, Any] = {}
        self.commands: dict[str, _Parser] = {}

    def error(self, message: str) -> None:  # one line, no usage dump
        self.exit(2, f"{PROG}: error: {message} (see '{self.prog} --help')\n")

    def option(self, group, *flags: str, default: Any = None, leading: bool = False, **kwargs):
        """``group.add_argument`` with the default kept aside (see :func:`parse_args`)."""
        dest = kwargs.pop("dest", None) or flags[0].lstrip("-").replace("-", "_")
        action = group.add_argument(
            *flags, dest=LEADING + dest if leading else dest, default=argparse.SUPPRESS, **kwargs
        )
        self.late_defaults[dest] = default
        return action


def _whole(minimum: int, maximum: int, shown: str | None = None):
    """A whole number in [minimum, maximum]; ``1e6`` and ``100_000`` count when they are
    whole numbers (``1.5e3`` is 1500, ``2.5`` is refused)."""
    allowed = shown or f"from {minimum:,} to {maximum:,}"

    def parse(text: str) -> int:
        try:
            value = decimal.Decimal(text.strip())
        except decimal.InvalidOperation:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not value.is_finite() or value != value.to_integral_value():
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        if not minimum <= value <= maximum:  # compared as decimals: 1e999999 is never expanded
            raise argparse.ArgumentTypeError(f"must be a whole number {allowed}, got {text}")
        return int(value)

    return parse


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _schedule(name: str):
    def parse(text: str):
        try:
            return parse_schedule(text, name)
        except ScheduleError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


#: ``--plot`` names and the chart metric each draws (see :data:`tui_taxi.charts.METRICS`).
PLOTS = {
    "return": "episodic_return",
    "steps": "episodic_length",
    "penalties": "penalties",
    "staircase": "staircase",
}
_PLOT_HELP = (
    "return (per episode), steps (episode length), penalties, staircase (episodes completed "
    "against time steps, the book's Figure 6.3)"
)


def _plots(text: str) -> list[str]:
    names = [name.strip().lower() for name in text.split(",")]
    for name in names:
        if name not in PLOTS:
            raise argparse.ArgumentTypeError(
                f"{name or text!r} is not a chart; choose from {', '.join(PLOTS)}"
            )
    return names


def _env_kwarg(text: str):
    try:
        return parse_env_kwarg(text)
    except EnvError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _help(name: str, detail: str = "", extra: str = "", *, per_world: bool = False) -> str:
    """The help text of a TrainConfig field (one source for the CLI and the code), then
    ``detail``, the default (shown once: not when the text says it or there is none; each
    world's when ``per_world``), ``extra``."""
    field = next(f for f in dataclasses.fields(TrainConfig) if f.name == name)
    text = field.metadata["help"] + detail
    default = field.default
    if per_world:
        text += f" (default: {describe_defaults(name)})"
    elif default is not None and "default:" not in text:
        shown = default.describe() if hasattr(default, "describe") else default
        text += f" (default: {shown})"
    return text + extra


CONFIG_OPTIONS = ("env", "env_kwarg", "learner", "alpha", "gamma", "epsilon", "max_steps", "seed")
SCHEDULES = (
    "; or a schedule: linear:START:END:EPISODES goes from START to END over EPISODES episodes, "
    "exp:START:END:DECAY decays from START down to END (so START >= END), times DECAY per episode"
)


def _add_config_options(parser: _Parser, leading: bool = False) -> None:
    group = parser.add_argument_group("agent and environment")

    def option(*flags: str, **kwargs):
        parser.option(group, *flags, leading=leading, **kwargs)

    option(
        "--env",
        default=TrainConfig.env_id,
        metavar="ID",
        help=_help("env_id", ", a toy-text one such as FrozenLake-v1 (a wrong id lists them)"),
    )
    option(
        "--env-kwarg",
        action="append",
        type=_env_kwarg,
        default=[],
        metavar="NAME=VALUE",
        help="a keyword argument of the env's constructor, repeatable, checked against it "
        "(e.g. is_rainy=true, map_name=8x8)",
    )
    option(
        "--learner",
        default=TrainConfig.learner,
        metavar="NAME",
        help=_help("learner", f": {', '.join(LEARNERS)}"),
    )
    option(  # alpha, gamma and epsilon default to the world's (see config_from_args)
        "--alpha",
        type=_schedule("alpha"),
        metavar="A",
        help=_help("alpha", extra=SCHEDULES, per_world=True),
    )
    option("--gamma", type=_number, metavar="G", help=_help("gamma", per_world=True))
    option(
        "--epsilon",
        type=_schedule("epsilon"),
        metavar="E",
        help=_help("epsilon", extra="; or a schedule, as for --alpha", per_world=True),
    )
    option(
        "--max-steps",
        type=_whole(0, MAX_STEPS),
        default=None,
        metavar="N",
        help=_help("max_steps", extra=f"; at most {MAX_STEPS:,}"),
    )
    option(
        "--seed",
        type=_whole(0, MAX_SEED, "from 0 to 2**64 - 1"),
        default=TrainConfig.seed,
        metavar="N",
        help=_help("seed", ", 0 to 2**64 - 1"),
    )


#: DQN's options, one per DQNConfig field (its help text is the field's).
DQN_OPTIONS = (
    "total_timesteps",
    "learning_rate",
    "buffer_size",
    "tau",
    "target_network_frequency",
    "batch_size",
    "start_e",
    "end_e",
    "exploration_fraction",
    "learning_starts",
    "train_frequency",
    "gradient_steps",
    "hidden",
    "double",
    "max_grad_norm",
)
#: Tabular settings and what DQN has instead.
TABULAR_ONLY = {
    "alpha": "--learning-rate",
    "epsilon": "--start-e, --end-e, --exploration-fraction",
    "learner": "--double",
}


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"hidden layer sizes must be whole numbers like 64,64, got {text!r}"
        ) from None
    return sizes


def _add_dqn_options(parser: _Parser, leading: bool = False, train: bool = False) -> None:
    """The DQN options, one per :data:`DQN_OPTIONS` field (``train``: with ``--save-buffer``,
    and ``--total-timesteps`` also the tabular agent's step budget)."""
    group = parser.add_argument_group(
        "deep Q-learning (--agent dqn; defaults: CartPole's, a discrete world's in brackets)"
    )

    def option(*flags: str, **kwargs):
        parser.option(group, *flags, leading=leading, **kwargs)

    option(
        "--agent",
        choices=("tabular", "dqn"),
        default="tabular",
        help="tabular Q-learning (default) or a deep Q-network with a replay buffer and a "
        "target network (default env: CartPole-v1)",
    )
    option(
        "--preset",
        choices=tuple(PRESETS),
        metavar="NAME",
        help="a recipe to start from: keras-rl (the course's: CartPole-v0, 16 units, "
        "epsilon 0.1, soft target tau 0.01, 5,000 steps)",
    )
    fields = {f.name: f for f in dataclasses.fields(DQNConfig)}
    for name in DQN_OPTIONS:
        f = fields[name]
        default = getattr(DQNConfig, name) if name != "hidden" else "64,64"
        other = DISCRETE_DEFAULTS.get(name)
        other = ",".join(map(str, other)) if isinstance(other, tuple) else other
        shown = f"default: {default:g}" if isinstance(default, float) else f"default: {default}"
        text = f"{f.metadata['help']} ({shown}{f' [{other:g}]' if isinstance(other, float) else f' [{other}]' if other is not None else ''})"
        flag = "--" + name.replace("_", "-")
        if name == "total_timesteps" and train:
            text += "; with the tabular agent, the same as --steps"
        if name == "double":
            option(flag, action=argparse.BooleanOptionalAction, help=text)
        elif name == "hidden":
            option(flag, type=_hidden, metavar="N,N", help=text)
        elif f.type == "int":
            option(flag, type=_whole(0, MAX_TRAIN_STEPS), metavar="N", help=text)
        else:
            option(flag, type=_number, metavar="X", help=text)
    if train:
        option(
            "--save-buffer",
            action="store_true",
            default=False,
            help="with --save: the replay buffer too (exact resumption; larger)",
        )
        option(
            "--stop-when-solved",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=f"every {SOLVED_CHECK:,} steps, evaluate the greedy policy ({EVAL_EPISODES} "
            "episodes) and stop once its mean return reaches the env's reward threshold "
            "(CartPole-v1: 475, v0: 195), as bench/bench_dqn.py counts a solve; a DQN can "
            "unlearn after it (default: stop)",
        )


def _add_app_options(parser: _Parser, leading: bool = False) -> None:
    group = parser.add_argument_group("the live app")

    def option(*flags: str, **kwargs):
        parser.option(group, *flags, leading=leading, **kwargs)

    option("--load", metavar="FILE", help="continue a saved session (its settings win)")
    option(
        "--from-sweep",
        metavar="FILE",
        help="start from the best configuration of a sweep's results file (its world, "
        "alpha, gamma, epsilon and learner; seed 0)",
    )
    option(
        "--presenter",
        action="store_true",
        default=False,
        help="high-contrast theme and a big grid, for a projector (T toggles)",
    )
    option(
        "--paused", action="store_true", default=False, help="start paused (space runs, n steps)"
    )
    option(
        "--speed",
        type=_whole(1, len(SPEEDS)),
        default=DEFAULT_SPEED + 1,
        metavar=f"1-{len(SPEEDS)}",
        help="starting speed level: "
        + ", ".join(f"{i}={s.label}" for i, s in enumerate(SPEEDS, 1))
        + f" (default: {DEFAULT_SPEED + 1})",
    )


def build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Watch, steer and play a Q-learning agent on Gymnasium's Taxi. Without a "
        "COMMAND, opens the live app (press ? in it for the keys) with the options below; "
        "given before a COMMAND, they apply to it.",
        epilog="examples:\n"
        "  tui-taxi                                the live app, the tutorial's settings\n"
        "  tui-taxi --learner sarsa --seed 7       the app with SARSA and seed 7\n"
        "  tui-taxi --agent dqn                    a deep Q-network balancing CartPole-v1\n"
        "  tui-taxi train --episodes 20000         train headless: chart and report\n"
        "  tui-taxi demo --presenter               the captioned tour, for a projector\n"
        "Run 'tui-taxi COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_config_options(parser, leading=True)
    _add_dqn_options(parser, leading=True)
    _add_app_options(parser, leading=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser.commands = sub.choices

    def command(name: str, description: str = "", epilog: str | None = None) -> _Parser:
        summary = COMMANDS[name][0].upper() + COMMANDS[name][1:] + "."
        text = summary + (f" {description}" if description else "")
        return sub.add_parser(name, help=COMMANDS[name], description=text, epilog=epilog)

    play = command(
        "play",
        "Arrows or hjkl drive, p picks up, d drops off, t shows a hint; m hands the wheel "
        "back to the agent and again to you.",
        "examples:\n  tui-taxi play\n  tui-taxi play --load run.npz --presenter",
    )
    _add_config_options(play)
    _add_dqn_options(play)
    _add_app_options(play)
    demo = command(
        "demo",
        "Each step is replayed from the tour's seed, so back and restart land on the same screen.",
        "examples:\n  tui-taxi demo --presenter\n  tui-taxi demo windy\n  tui-taxi demo --list\n"
        "  tui-taxi demo cliff --export my.tour    (edit it, then:)\n"
        "  tui-taxi demo --script my.tour",
    )
    demo.add_argument(
        "name",
        nargs="?",
        default=DEFAULT_TOUR,
        metavar="NAME",
        help=f"the built-in tour to run: {', '.join(TOURS)} (default: {DEFAULT_TOUR}; --list "
        "says what each is about)",
    )
    demo.option(
        demo, "--list", action="store_true", default=False, help="list the built-in tours and exit"
    )
    demo.option(
        demo,
        "--script",
        metavar="FILE",
        help="run the tour in FILE instead of the built-in one (write a copy of that "
        "to edit with --export)",
    )
    demo.option(
        demo,
        "--export",
        metavar="FILE",
        help="write the built-in tour NAME to FILE, to edit and run with --script, and exit",
    )
    demo.option(
        demo,
        "--force",
        action="store_true",
        default=False,
        help="with --export: overwrite FILE if it exists",
    )
    demo.option(
        demo,
        "--presenter",
        action="store_true",
        default=False,
        help="high-contrast theme, big grid",
    )
    serve = command(
        "serve",
        "Each browser tab runs its own app; the page needs no internet (fonts and "
        "scripts are served locally).",
        "examples:\n  tui-taxi serve --port 8000 demo --presenter\n"
        "  tui-taxi serve -- --load run.npz --presenter    (app options go after --)",
    )
    serve.option(
        serve,
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)",
    )
    serve.option(
        serve,
        "--port",
        type=_whole(1, 65535, "from 1 to 65535"),
        default=8000,
        metavar="PORT",
        help="port, 1 to 65535 (default: 8000)",
    )
    serve.add_argument(
        "app_args",
        nargs=argparse.REMAINDER,
        metavar="APP-ARGS",
        help="what the app runs, as for tui-taxi itself: e.g. 'demo --presenter', "
        "'play', '--load run.npz'",
    )
    _add_headless(command)
    return parser


def _add_headless(command) -> None:
    train = command(
        "train",
        "Prints the learning curve (y clipped to the learnt part when the first "
        "episodes would flatten it, and says so), the speed, the greedy policy's optimality "
        "for the run's gamma, and why a setting cannot reach the goal when it cannot. Options "
        "not given take the world's defaults.",
        "examples:\n  tui-taxi train --save run.npz\n"
        "  tui-taxi train --learner double-q --epsilon linear:1:0.05:20000 --episodes 5e4\n"
        "  tui-taxi train --env FrozenLake8x8-v1                   the world's own defaults\n"
        "  tui-taxi train --env CliffWalking-v1 --steps 8000 --plot staircase,return\n"
        "  tui-taxi train --agent dqn --save cart.npz              DQN on CartPole-v1\n"
        "  tui-taxi train --agent dqn --preset keras-rl            the course's keras-rl run\n"
        "  tui-taxi train --agent dqn --env Taxi-v4                one-hot states, exact optimum",
    )
    _add_config_options(train)
    _add_dqn_options(train, train=True)
    train.option(
        train,
        "--episodes",
        type=_whole(1, MAX_TRAIN_EPISODES),
        metavar="N",
        help=f"episodes to train, 1 to {MAX_TRAIN_EPISODES:,}; 1e6 style is fine "
        f"(default: {describe_defaults('episodes')}; none with --steps alone)",
    )
    train.option(
        train,
        "--steps",
        type=_whole(1, MAX_TRAIN_STEPS),
        metavar="N",
        help=f"time steps to train, 1 to {MAX_TRAIN_STEPS:,}, as the book's plots count them; "
        "with --episodes too, training stops at whichever budget runs out first",
    )
    train.option(
        train,
        "--save",
        metavar="FILE",
        help="save the session to FILE (.npz); checked before training starts",
    )
    train.option(
        train,
        "--plot",
        action="append",
        type=_plots,
        default=[],
        metavar="CHART",
        help=f"the charts to print at the end, repeatable or a comma list: {_PLOT_HELP} "
        "(default: return)",
    )
    train.option(
        train,
        "--no-chart",
        action="store_true",
        default=False,
        help="print no chart",
    )

    ev = command(
        "eval",
        "Greedy: the best action in every state, ties broken at random.",
        "example:\n  tui-taxi eval run.npz --episodes 1000 --seed 3",
    )
    ev.add_argument(
        "file", metavar="FILE", help="a session or a DQN saved by 'tui-taxi train --save'"
    )
    ev.option(
        ev,
        "--episodes",
        type=_whole(1, MAX_EVAL_EPISODES),
        default=EVAL_EPISODES,
        metavar="N",
        help=f"evaluation episodes, 1 to {MAX_EVAL_EPISODES:,} (default: {EVAL_EPISODES})",
    )
    ev.option(
        ev,
        "--max-steps",
        type=_whole(0, MAX_STEPS),
        metavar="N",
        help="time limit per episode; 0 = none (default: the session's)",
    )
    ev.option(
        ev,
        "--seed",
        type=_whole(0, MAX_SEED, "from 0 to 2**64 - 1"),
        default=0,
        metavar="N",
        help="evaluation seed (default: 0)",
    )

    cmp = command(
        "compare",
        "Without FILE it first trains with the options below (the world's "
        "defaults: the tutorial's for Taxi). Like the tutorial, episodes run without the time limit unless --time-limit.",
        "examples:\n  tui-taxi compare\n  tui-taxi compare run.npz --time-limit",
    )
    cmp.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="a saved session or DQN (default: train a tabular agent)",
    )
    _add_config_options(cmp)
    cmp.option(
        cmp,
        "--train-episodes",
        type=_whole(1, MAX_TRAIN_EPISODES),
        metavar="N",
        help=f"episodes to train when no FILE is given (default: {describe_defaults('episodes')})",
    )
    cmp.option(
        cmp,
        "--episodes",
        type=_whole(1, MAX_EVAL_EPISODES),
        default=EVAL_EPISODES,
        metavar="N",
        help=f"evaluation episodes per agent, 1 to {MAX_EVAL_EPISODES:,} "
        f"(default: {EVAL_EPISODES})",
    )
    cmp.option(
        cmp,
        "--time-limit",
        action="store_true",
        default=False,
        help="apply the env's registered time limit during evaluation",
    )
    _add_sweep_command(command)


def _add_sweep_command(command) -> None:
    sw = command(
        "sweep",
        "Give a comma-separated list per parameter for a grid (every combination), or "
        "LOW..HIGH ranges with --samples N for random search (alpha and epsilon drawn "
        "log-uniformly). Each trial trains one configuration with one seed and checks, every "
        "--check-every episodes, whether its greedy policy is optimal from every start state "
        "against the exact optimum for its gamma. Records are appended to --out as each trial "
        "ends; --resume FILE goes on after an interruption.",
        "examples:\n"
        "  tui-taxi sweep                                      the tutorial's neighbourhood\n"
        "  tui-taxi sweep --alpha 0.05,0.1,0.5 --gamma 0.6,0.9,0.99 "
        "--epsilon 0.1,exp:1:0.01:0.999 --learner q-learning,sarsa\n"
        "  tui-taxi sweep --samples 40 --alpha 0.01..1 --gamma 0.5..0.99 --epsilon 0.01..0.3\n"
        "  tui-taxi sweep --heatmap alpha,gamma --out s.jsonl;  tui-taxi sweep --show s.jsonl\n"
        "  tui-taxi sweep --cluster tcp://scheduler:8786      on a Dask cluster\n"
        "  tui-taxi --from-sweep s.jsonl                       the app, from the best one",
    )
    grid = sw.add_argument_group("what to search")
    sw.option(
        grid, "--env", default=TrainConfig.env_id, metavar="ID", help="the world (default: Taxi-v4)"
    )
    sw.option(
        grid,
        "--env-kwarg",
        action="append",
        type=_env_kwarg,
        default=[],
        metavar="NAME=VALUE",
        help="an env keyword argument (repeatable)",
    )
    sw.option(
        grid,
        "--agent",
        choices=SWEEP_AGENTS,
        default="tabular",
        help="sweep the tabular learners (default) or the DQN (its budget in steps, a "
        "smaller default grid)",
    )
    for name, example in (
        ("alpha", "0.05,0.1,0.5"),
        ("gamma", "0.6,0.9,0.99"),
        ("epsilon", "0.1,exp:1:0.01:0.999"),
        ("learner", "q-learning,sarsa"),
        ("learning-rate", "DQN: 5e-4,1e-3,2.3e-3"),
        ("exploration-fraction", "DQN: 0.08,0.16"),
        ("target-network-frequency", "DQN: 10,100,500"),
        ("batch-size", "DQN: 32,64"),
        ("double", "DQN: false,true"),
    ):
        dest = "sweep_" + name.replace("-", "_")
        sw.option(
            grid,
            f"--{name}",
            dest=dest,
            metavar="LIST",
            help=f"{name} values, e.g. {example}"
            + ("" if name in ("learner", "double") else "; with --samples, LOW..HIGH"),
        )
    sw.option(
        grid,
        "--samples",
        type=_whole(1, 100_000),
        metavar="N",
        help="random search: N configurations drawn from the ranges",
    )
    sw.option(
        grid,
        "--sample-seed",
        type=_whole(0, MAX_SEED),
        default=0,
        metavar="N",
        help="the seed of the random search's draws (default: 0)",
    )
    run = sw.add_argument_group("each trial")
    sw.option(
        run,
        "--seeds",
        type=_whole(1, 1000),
        default=3,
        metavar="K",
        help="seeds per configuration, 0 to K-1 (default: 3)",
    )
    sw.option(
        run,
        "--episodes",
        type=_whole(1, MAX_TRAIN_EPISODES),
        metavar="N",
        help="episodes per trial (default: the world's, 100,000 for Taxi)",
    )
    sw.option(
        run,
        "--steps",
        type=_whole(1, MAX_STEPS * 1000),
        metavar="N",
        help="a step budget per trial (with --episodes: whichever comes first)",
    )
    sw.option(
        run,
        "--check-every",
        type=_whole(1, MAX_TRAIN_EPISODES),
        metavar="M",
        help="episodes between optimality checks (default: 250; a DQN: steps, 2,500)",
    )
    sw.option(
        run,
        "--max-steps",
        type=_whole(0, MAX_STEPS),
        metavar="N",
        help="time limit per episode; 0 = none (default: the env's)",
    )
    where = sw.add_argument_group("where it runs, where results go")
    sw.option(
        where,
        "--workers",
        type=_whole(1, 4096),
        default=os.cpu_count() or 1,
        metavar="N",
        help="local worker processes (default: one per core; 1: this process)",
    )
    sw.option(
        where,
        "--cluster",
        metavar="ADDRESS",
        help="run the trials on a Dask cluster (tcp://HOST:8786); needs "
        "pip install 'tui-taxi[cluster]'",
    )
    sw.option(
        where,
        "--out",
        metavar="FILE",
        help="the results file, JSON lines (default: sweep-DATE-TIME.jsonl)",
    )
    sw.option(
        where,
        "--resume",
        metavar="FILE",
        help="go on with an interrupted sweep: the trials not in FILE run, and are appended to it",
    )
    sw.option(
        where,
        "--show",
        metavar="FILE",
        help="print a results file's table, heatmap and curves again, and exit",
    )
    out = sw.add_argument_group("what is printed")
    sw.option(
        out,
        "--top",
        type=_whole(1, 10_000),
        default=10,
        metavar="N",
        help="configurations in the table (default: 10)",
    )
    sw.option(
        out,
        "--heatmap",
        metavar="A,B",
        help="a heatmap of --metric over two parameters, e.g. alpha,gamma",
    )
    sw.option(
        out,
        "--metric",
        choices=SWEEP_METRIC_NAMES,
        default="to_optimal",
        help="the heatmap's metric (default: to_optimal, the episodes, or a DQN's "
        "steps, until optimal)",
    )
    sw.option(
        out,
        "--curves",
        type=_whole(0, 5),
        default=3,
        metavar="K",
        help="learning curves of the best K configurations, 0 for none (default: 3)",
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse like ``build_parser().parse_args``, then apply options given before the command
    (``tui-taxi --seed 9 train`` trains seed 9), refuse those that do not apply to it, and fill
    in the defaults. ``args.given`` holds the names of the options given explicitly."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    command = args.command
    target = parser if command is None else parser.commands[command]
    helps = f"see '{PROG} {command} --help'" if command else f"see '{PROG} --help'"
    if unknown:
        agent = any(u.split("=")[0] == "--agent" for u in unknown)
        if command == "compare" and agent:
            _refuse(
                f"compare takes no --agent: a FILE brings its own, and without one it "
                f"trains a tabular agent; for a DQN: '{PROG} train --agent dqn --save "
                f"run.npz', then '{PROG} compare run.npz'"
            )
        where = f" for '{command}'" if command else ""
        _refuse(f"unrecognized arguments{where}: {' '.join(unknown)} ({helps})")
    leading = {
        name.removeprefix(LEADING): value
        for name, value in vars(args).items()
        if name.startswith(LEADING)
    }
    for name, value in leading.items():
        delattr(args, LEADING + name)
        flag = "--" + name.replace("_", "-")
        if name not in target.late_defaults:
            _refuse(f"{flag} does not apply to '{command}' ({helps})")
        if hasattr(args, name):
            if name != "env_kwarg":
                _refuse(f"{flag} is given both before and after '{command}'; give it once")
            value = value + args.env_kwarg
        setattr(args, name, value)
    args.given = frozenset(name for name in target.late_defaults if hasattr(args, name))
    for name, default in target.late_defaults.items():
        if not hasattr(args, name):
            setattr(args, name, copy.copy(default))
    return args


def _refuse(message: str) -> None:
    """argparse's way out for usage errors: one line, exit status 2."""
    sys.stderr.write(f"{PROG}: error: {message}\n")
    raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command in (None, "play"):
            return cmd_app(args)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "serve":
            return cmd_serve(args)
        if args.command == "sweep":
            return cmd_sweep(args)
        return {"train": cmd_train, "eval": cmd_eval, "compare": cmd_compare}[args.command](args)
    except (
        CliError,
        EnvError,
        ConfigError,
        ScheduleError,
        SaveFileError,
        SolveError,
        TourError,
        SweepError,
    ) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # 'tui-taxi train | head': the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:  # a path the system refuses (too long, no permission, ...)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


def cmd_app(args: argparse.Namespace) -> int:
    """The live app (also ``play``); its exit status is the app's: 0 on a normal quit,
    non-zero when it crashed."""
    if args.load:
        ignored = [
            _flag(name)
            for name in (*CONFIG_OPTIONS, "agent", "preset", *DQN_OPTIONS)
            if name in args.given
        ]
        if ignored:
            print(
                f"{PROG}: note: --load uses the saved settings; ignoring {', '.join(ignored)}",
                file=sys.stderr,
            )
    config = None if args.load else agent_config_from_args(args)
    from tui_taxi.ui.app import create_app  # Textual loads only for the app

    app = create_app(
        config,
        load=args.load,
        paused=args.paused,
        speed_index=args.speed - 1,
        manual=args.command == "play",
        presenter=args.presenter,
    )
    _require_terminal()  # (after the settings are checked: their errors come first)
    app.run()
    return app.return_code or 0


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def cmd_demo(args: argparse.Namespace) -> int:
    if args.name not in TOURS:
        raise CliError(f"no tour named {args.name!r}; the tours: {', '.join(TOURS)}")
    if args.list:
        width = max(len(name) for name in TOURS)
        for name, about in TOURS.items():
            print(f"{name:<{width}}  {about}")
        return 0
    if args.export is not None:
        if args.script is not None or args.presenter:
            raise CliError("--export writes the built-in tour and exits; drop --script/--presenter")
        path = export_tour(args.export, force=args.force, name=args.name)
        print(
            f"wrote the built-in tour {args.name!r} to {path}; run it with: "
            f"{PROG} demo --script {shlex.quote(str(path))}"
        )
        return 0
    if args.force:
        raise CliError("--force only applies with --export FILE")
    # a bad script fails here, before the screen changes
    tour = load_tour(args.script) if args.script is not None else load_tour(name=args.name)
    _require_terminal()
    from tui_taxi.ui.app import create_app

    config = TrainConfig(env_id=tour.env_id, env_kwargs=tour.env_kwargs, seed=tour.seed)
    app = create_app(config, paused=True, presenter=args.presenter, tour=tour)
    app.run()
    return app.return_code or 0


SERVE_TEMPLATES = "data/serve"  # our page for textual-serve: no fonts or scripts from the web


def make_server(command: str, host: str, port: int):
    """A textual-serve Server for ``command`` whose page loads nothing from the internet: our
    template (``tui_taxi/data/serve/app_index.html``) instead of textual-serve's, which fetches
    a Google web font; the font, script and styles come from textual-serve's own static files."""
    try:
        from textual_serve.server import Server
    except ImportError:
        raise CliError("serve needs textual-serve: pip install textual-serve") from None
    templates = importlib.resources.files("tui_taxi").joinpath(SERVE_TEMPLATES)
    return Server(command, host=host, port=port, title="tui-taxi", templates_path=str(templates))


def cmd_serve(args: argparse.Namespace) -> int:
    app_args = list(args.app_args)
    if app_args[:1] == ["--"]:
        app_args = app_args[1:]
    inner = parse_args(app_args)  # a bad option fails now, not in the browser
    if inner.command not in (None, "play", "demo"):
        raise CliError(f"serve runs the app (play, demo or no command), not {inner.command!r}")
    if inner.command == "demo":
        if inner.export is not None or inner.list:
            raise CliError("serve runs a tour; run 'tui-taxi demo --export/--list' by itself")
        if inner.script is not None:
            load_tour(inner.script)
        elif inner.name not in TOURS:
            raise CliError(f"no tour named {inner.name!r}; the tours: {', '.join(TOURS)}")
    elif inner.load:
        agents.load(inner.load)  # either kind of save
    else:
        agent_config_from_args(inner)  # out-of-range values fail here
    _check_can_listen(args.host, args.port)
    command = shlex.join([sys.executable, "-m", "tui_taxi", *app_args])
    server = make_server(command, args.host, args.port)
    print(
        f"{PROG}: serving '{' '.join(['tui-taxi', *app_args])}' at http://{args.host}:{args.port}",
        file=sys.stderr,
    )
    try:
        server.serve()
    except OSError as exc:  # the address is taken, or not this machine's
        raise CliError(f"cannot serve at {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0


def _check_can_listen(host: str, port: int) -> None:
    """Bind the address once, so a port in use or a wrong host is one line, not a traceback
    after textual-serve's banner."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
            sock.bind(address)
    except OSError as exc:
        raise CliError(f"cannot serve at {host}:{port}: {exc.strerror or exc}") from None


def _require_terminal() -> None:
    if os.environ.get("TEXTUAL_DRIVER"):  # another driver (textual-serve's web driver) draws it
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("the live app needs a terminal; for headless runs use 'tui-taxi train'")


def agent_config_from_args(args: argparse.Namespace) -> TrainConfig | DQNConfig:
    """The tabular or the DQN run the options describe; an option of the other agent is
    refused with one line saying what this one has instead."""
    if getattr(args, "from_sweep", None):
        return config_from_sweep(args)
    dqn = getattr(args, "agent", "tabular") == "dqn"
    if dqn:
        for name, instead in TABULAR_ONLY.items():
            if name in args.given:
                raise CliError(f"--{name} is a tabular setting; DQN's is {instead}")
        return dqn_config_from_args(args)
    steps_too = hasattr(args, "steps")  # train: --total-timesteps is --steps for a table
    for name in (*DQN_OPTIONS, "preset"):
        if name in args.given and not (name == "total_timesteps" and steps_too):
            raise CliError(f"{_flag(name)} is a DQN setting: add --agent dqn")
    return config_from_args(args)


def config_from_sweep(args: argparse.Namespace) -> TrainConfig | DQNConfig:
    """``--from-sweep FILE``: the best configuration of a sweep's results, seed 0."""
    clash = [
        _flag(n)
        for n in (*CONFIG_OPTIONS, "agent", "preset", *DQN_OPTIONS, "load")
        if n in args.given
    ]
    if clash:
        raise CliError(f"--from-sweep sets the world and its settings; drop {', '.join(clash)}")
    spec, records, _ = read_results(args.from_sweep)
    config = best_config(spec, aggregate(records.values(), spec))
    print(
        f"{PROG}: note: from {args.from_sweep}: {config.env_id}, {_config_summary(config)}",
        file=sys.stderr,
    )
    return config


def _config_summary(c: TrainConfig | DQNConfig) -> str:
    return (
        f"DQN, {_dqn_settings(c)}" if isinstance(c, DQNConfig) else f"{c.learner}, {_settings(c)}"
    )


def dqn_config_from_args(args: argparse.Namespace) -> DQNConfig:
    """A DQN run: a preset's or the world's defaults (CartPole's when no --env is given), then
    the options given; the env is checked (one DQN can run) before anything trains."""
    base = PRESETS[args.preset] if args.preset else None
    env_id = args.env if "env" in args.given else base.env_id if base else CONTINUOUS_ENVS[0]
    if env_id not in CONTINUOUS_ENVS:
        env_id, notice = resolve_env_id(env_id)
        if notice:
            print(f"{PROG}: note: {notice}", file=sys.stderr)
    if env_id in CONTINUOUS_ENVS and args.env_kwarg:
        raise CliError(f"{env_id} takes no --env-kwarg here")
    env_kwargs = check_env_kwargs(env_id, args.env_kwarg) if args.env_kwarg else ()
    changes = {name: getattr(args, name) for name in (*DQN_OPTIONS, "gamma") if name in args.given}
    if getattr(args, "steps", None) is not None:  # train --steps: the same budget
        changes["total_timesteps"] = args.steps
    if "max_steps" in args.given:
        changes["max_steps"] = args.max_steps or None
    changes["seed"] = args.seed
    if base is not None:
        config = base.replace(env_id=env_id, env_kwargs=env_kwargs, **changes)
    else:
        config = dqn_config_for(env_id, env_kwargs, **changes)
    agents.open_env(config)  # an env DQN cannot run fails now, in one line
    return config


def _spaces(env_id: str) -> tuple[str, str] | None:
    """The kinds of a registered env's observation and action spaces, or None when it cannot
    be made here."""
    import gymnasium as gym

    if env_id not in gym.registry:
        return None
    try:
        env = gym.make(env_id)
    except Exception:  # a third-party constructor may raise anything: the core's message stands
        return None
    try:
        return type(env.observation_space).__name__, type(env.action_space).__name__
    finally:
        env.close()


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The run the options describe, checked through: env id, env keyword arguments (against
    the env's constructor), hyperparameters (the world's defaults for those not given: see
    :func:`tui_taxi.core.tabular.defaults.defaults_for`), and the env itself (compiled, and cached)."""
    if args.env in CONTINUOUS_ENVS or _spaces(args.env) in (("Box", "Discrete"),):
        raise CliError(
            f"{args.env} has continuous observations, which a Q-table cannot index; "
            "a DQN learns it: --agent dqn (train, eval, the app)"
        )
    env_id, notice = resolve_env_id(args.env)
    if notice:
        print(f"{PROG}: note: {notice}", file=sys.stderr)
    names = [name for name, _ in args.env_kwarg]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise CliError(f"--env-kwarg {', '.join(twice)} is given more than once; give it once")
    env_kwargs = check_env_kwargs(env_id, args.env_kwarg)
    defaults = defaults_for(env_id, env_kwargs)
    settings = {
        name: defaults[name] if getattr(args, name) is None else getattr(args, name)
        for name in ("alpha", "gamma", "epsilon")
    }
    config = TrainConfig(
        env_id=env_id,
        env_kwargs=env_kwargs,
        learner=args.learner,
        max_steps=args.max_steps,
        seed=args.seed,
        **settings,
    )
    compile_env(config.env_id, config.env_kwargs)  # an env that cannot be made fails now
    return config


# -- train ----------------------------------------------------------------------------------
class Progress:
    """A one-line progress bar on a terminal; silent elsewhere. It counts toward an episode
    budget, a step budget, or both (the bar shows whichever is nearer its end)."""

    def __init__(self, out: TextIO, episodes: int | None = None, steps: int | None = None) -> None:
        self.episodes = episodes
        self.steps = steps
        self.out = out
        self.live = out.isatty()
        self.start = time.perf_counter()

    def fraction(self, episodes_done: int, steps_done: int) -> float:
        parts = [
            done / total
            for done, total in ((episodes_done, self.episodes), (steps_done, self.steps))
            if total
        ]
        return min(1.0, max(parts, default=1.0))

    def update(self, episodes_done: int, steps_done: int, mean_return: float) -> None:
        if not self.live:
            return
        elapsed = time.perf_counter() - self.start
        done = self.fraction(episodes_done, steps_done)
        eta = elapsed * (1 - done) / done if done > 0 else float("inf")
        filled = int(24 * done)
        bar = "#" * filled + "-" * (24 - filled)
        counts = []
        if self.episodes or not self.steps:
            counts.append(
                f"{episodes_done:,}/{self.episodes:,} episodes"
                if self.episodes
                else f"{episodes_done:,} episodes"
            )
        else:
            counts.append(f"{episodes_done:,} episodes")
        if self.steps:
            counts.append(f"{steps_done:,}/{self.steps:,} steps")
        rate = (
            (
                f"{steps_done / elapsed:,.0f} steps/s"
                if self.steps
                else f"{episodes_done / elapsed:,.0f} ep/s"
            )
            if elapsed > 0
            else "-"
        )
        self.out.write(
            f"\r[{bar}] {', '.join(counts)} | {rate} | ETA {eta:.1f}s | "
            f"mean return (last 100) {mean_return:.2f} "
        )
        self.out.flush()

    def close(self) -> None:
        if self.live:
            self.out.write("\n")
            self.out.flush()


def train_session(
    session: Session,
    episodes: int | None = None,
    steps: int | None = None,
    progress: Progress | None = None,
    *,
    check_every: int = 0,
    stop: Callable[[], bool] | None = None,
) -> float:
    """Train ``episodes`` more episodes or ``steps`` more time steps, whichever runs out first
    (at least one of them), in calls of about 0.1 s each (so the progress bar moves and Ctrl-C
    is heard even when one episode is very long); returns the wall time. With ``check_every``,
    ``stop()`` is asked after each such number of steps, and training ends when it says so."""
    if episodes is None and steps is None:
        raise ValueError("give episodes, steps or both")
    start = time.perf_counter()
    first_episode, first_step = session.episode, session.total_steps
    network = agents.is_network(session)  # a network's step costs ~1,000 times a table's
    chunk, least = (1_000, 100) if network else (1_000_000, 10_000)
    try:
        while True:
            episodes_left = None if episodes is None else first_episode + episodes - session.episode
            steps_left = None if steps is None else first_step + steps - session.total_steps
            if episodes_left == 0 or steps_left == 0:
                break
            limit = chunk if steps_left is None else min(chunk, steps_left)
            if check_every:  # a call ends at each check
                limit = min(limit, check_every - (session.total_steps - first_step) % check_every)
            t0 = time.perf_counter()
            session.train(episodes=episodes_left, steps=limit)
            dt = time.perf_counter() - t0
            chunk = max(least, min(50_000_000, int(chunk * 0.1 / dt))) if dt > 0 else chunk * 2
            if progress:
                progress.update(
                    session.episode - first_episode,
                    session.total_steps - first_step,
                    session.history.recent_mean_return(),
                )
            if check_every and (session.total_steps - first_step) % check_every == 0 and stop():
                break
    finally:  # Ctrl-C included: what follows starts on a line of its own
        if progress:
            progress.close()
    return time.perf_counter() - start


def _budget(args: argparse.Namespace, config: TrainConfig) -> tuple[int | None, int | None]:
    """``--episodes`` and ``--steps``; neither: the world's episode budget."""
    if args.episodes is None and args.steps is None:
        return defaults_for(config.env_id, config.env_kwargs)["episodes"], None
    return args.episodes, args.steps


def cmd_train(args: argparse.Namespace) -> int:
    if args.no_chart and args.plot:
        raise CliError("--plot and --no-chart contradict each other; give one")
    if "total_timesteps" in args.given:  # one step budget, two names
        if args.steps is not None and args.steps != args.total_timesteps:
            raise CliError(
                f"--steps {args.steps:,} and --total-timesteps "
                f"{args.total_timesteps:,} are the same budget; give one"
            )
        args.steps = args.total_timesteps
    config = agent_config_from_args(args)
    if args.save_buffer and (args.save is None or not isinstance(config, DQNConfig)):
        raise CliError("--save-buffer goes with --agent dqn and --save FILE")
    if args.save is not None:
        check_save_target(args.save)  # fail before training, not after ('' included)
    if isinstance(config, DQNConfig):
        return train_dqn(args, config)
    session = Session(config)
    episodes, steps = _budget(args, config)
    seconds = train_session(session, episodes, steps, Progress(sys.stderr, episodes, steps))
    if not args.no_chart:
        from tui_taxi.charts import learning_curve, use_color

        for name in dict.fromkeys(name for names in args.plot or [["return"]] for name in names):
            print(learning_curve(session.history, metric=PLOTS[name], color=use_color(sys.stdout)))
    rate = session.total_steps / seconds / 1e6 if seconds > 0 else math.inf
    print(
        f"trained {config.learner} on {config.env_id} for {session.episode:,} episodes "
        f"({session.total_steps:,} steps) in {seconds:.2f} s: {rate:.1f}M steps/s"
    )
    print(f"settings: {_settings(config)}")
    recent = min(RECENT, session.history.episodes)
    print(
        f"mean return of the last {recent:,} episodes: {session.history.recent_mean_return():.2f}"
    )
    _print_report(policy_report(session.model, session.q, config.gamma))
    _print_diagnosis(session)
    if args.save is not None:
        print(f"saved to {save_session(session, args.save)}")
    return 0


def _settings(config: TrainConfig) -> str:
    return ", ".join(
        f"{name} {format_setting(getattr(config, name))}" for name in ("alpha", "gamma", "epsilon")
    )


def _print_diagnosis(session: Session) -> None:
    diagnosis = diagnose(session.model, session.config)
    if diagnosis:
        print(f"note: {diagnosis}")


def _print_report(report: PolicyReport) -> None:
    """Two lines: the optimality for the run's gamma, then the undiscounted figures of the
    greedy policy beside those of the optimal policy for that gamma. A policy that loops from
    some starts is said so, with its means over the starts it finishes from (never an
    infinity)."""
    gamma = f"{report.gamma:g}"
    head = (
        f"policy optimality: greedy policy optimal for gamma {gamma} from "
        f"{report.n_optimal}/{report.n_start} start states ({report.optimality:.1%})"
    )
    if report.n_optimal < report.n_start and math.isfinite(report.mean_value):
        value, best = _apart(report.mean_value, report.optimal_mean_value)
        head += f"; its value for gamma {gamma}: {value} against {best} at best"
    optimum = f"the optimal policy for gamma {gamma}"
    if report.n_loop == report.n_start:
        print(f"{head}; it loops from all {report.n_start} starts, so it never finishes")
        print(
            f"  undiscounted: success {report.success_rate:.1%} "
            f"({optimum}: {report.optimal_success_rate:.1%})"
        )
        return
    if report.n_loop:
        loops = (
            "start, so it never finishes from it"
            if report.n_loop == 1
            else ("starts, so it never finishes from them")
        )
        head += f"; it loops from {report.n_loop} {loops}"
        where = f"undiscounted, over the {report.n_finish} starts it finishes from"
        optimum += " there"
    else:
        where = "undiscounted"
    print(head)
    print(
        f"  {where}: mean steps {_amount(report.finish_mean_steps)}, success "
        f"{report.finish_success_rate:.1%}, return {_amount(report.finish_mean_return)} "
        f"({optimum}: {_amount(report.finish_optimal_mean_steps)}, "
        f"{report.finish_optimal_success_rate:.1%}, {_amount(report.finish_optimal_mean_return)})"
    )


def _apart(a: float, b: float) -> tuple[str, str]:
    """Two numbers with the significant digits (4 to 12) that tell them apart, if any do."""
    for digits in range(4, 13):
        shown = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if shown[0] != shown[1]:
            break
    return shown


def _amount(value: float) -> str:
    """A mean for the report: two decimals, and words for an infinity."""
    if math.isinf(value):
        return "never finishes" if value > 0 else "-inf (loops)"
    return f"{value:.2f}"


# -- sweep ----------------------------------------------------------------------------------
#: The tutorial's neighbourhood, swept when no parameter is given (gamma: Taxi's only).
DEFAULT_SWEEP = {"alpha": "0.05,0.1,0.2,0.5", "epsilon": "0.05,0.1,0.2"}
TAXI_GAMMAS = "0.6,0.8,0.9"
#: A DQN's smaller default grid (the target network's period is not in it: with a training
#: round every 256 steps, any period under 256 copies the same network once per round).
DEFAULT_DQN_SWEEP = {"learning_rate": "1e-3,2.3e-3", "exploration_fraction": "0.08,0.16"}
SWEEP_DEFINING = (
    "env",
    "env_kwarg",
    "agent",
    *(f"sweep_{n}" for n in SWEEP_PARAMS),
    "samples",
    "sample_seed",
    "seeds",
    "episodes",
    "steps",
    "check_every",
    "max_steps",
    "out",
)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep (or resume one, or show one's results) and print its report."""
    from tui_taxi import sweep as sweeps
    from tui_taxi.charts import use_color

    pair = _heatmap_pair(args.heatmap)
    show = {
        "top": args.top,
        "heatmap_pair": pair,
        "metric": args.metric,
        "curves_top": args.curves,
        "color": use_color(sys.stdout),
    }
    if args.show:
        extra = [_sweep_flag(n) for n in (*SWEEP_DEFINING, "resume", "cluster") if n in args.given]
        if extra:
            raise CliError(f"--show prints a results file; drop {', '.join(extra)}")
        spec, records, _ = read_results(args.show)
        print(sweeps.report(list(records.values()), spec, **show))
        return 0
    if args.resume:
        extra = [_sweep_flag(n) for n in SWEEP_DEFINING if n in args.given]
        if extra:
            raise CliError(
                f"--resume goes on with the sweep in {args.resume} as it was "
                f"started; drop {', '.join(extra)}"
            )
        spec, _, _ = read_results(args.resume)
        path = Path(args.resume)
    else:
        spec = sweep_spec_from_args(args)
        path = Path(args.out or f"sweep-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
    if pair is not None:  # a heatmap of parameters the sweep does not vary: say so now
        varied = {name for name, _ in spec.grid}
        missing = [n for n in pair if n not in varied]
        if missing:
            raise CliError(f"--heatmap: the sweep does not vary {missing[0]}")
    try:
        records = sweeps.run_sweep(
            spec, path, workers=args.workers, cluster=args.cluster, resume=bool(args.resume)
        )
    except sweeps.SweepInterrupted as exc:
        print(
            f"{PROG}: interrupted: {exc.done} of {exc.total} trials are in {path}; "
            f"'{PROG} sweep --resume {path}' goes on",
            file=sys.stderr,
        )
        return 130
    print(sweeps.report(records, spec, **show))
    print(
        f"\nresults: {path} ('{PROG} sweep --show {path}' prints this again; "
        f"'{PROG} --from-sweep {path}' opens the app on the best configuration)"
    )
    return 0


def _sweep_flag(name: str) -> str:
    return _flag(name.removeprefix("sweep_"))


def _heatmap_pair(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    names = tuple(n.strip().replace("-", "_") for n in text.split(","))
    if len(names) != 2 or names[0] == names[1] or not set(names) <= set(SWEEP_PARAMS):
        raise CliError(
            f"--heatmap {text!r}: two different parameters of "
            f"{', '.join(SWEEP_PARAMS)}, e.g. alpha,gamma"
        )
    return names


def sweep_spec_from_args(args: argparse.Namespace) -> SweepSpec:
    """The sweep the options describe (the tutorial's neighbourhood when no parameter is
    given), its world checked before anything runs."""
    env = args.env if args.agent == "tabular" or "env" in args.given else CONTINUOUS_ENVS[0]
    env_id, notice = resolve_env_id(env)
    if notice:
        print(f"{PROG}: note: {notice}", file=sys.stderr)
    env_kwargs = check_env_kwargs(env_id, args.env_kwarg) if args.env_kwarg else ()
    agent = args.agent
    given = {n: getattr(args, f"sweep_{n}") for n in SWEEP_PARAMS if f"sweep_{n}" in args.given}
    wrong = [n for n in given if n not in sweep_params_of(agent)]
    if wrong:
        other = (
            "add --agent dqn"
            if agent == "tabular"
            else "the DQN's are " + ", ".join(_flag(n) for n in sweep_params_of("dqn"))
        )
        raise CliError(f"{_flag(wrong[0])} is not a {agent} setting; {other}")
    if not given:
        if args.samples:
            raise CliError("--samples draws from ranges: give at least one, e.g. --alpha 0.01..1")
        given = dict(DEFAULT_DQN_SWEEP if agent == "dqn" else DEFAULT_SWEEP)
        if env_id.startswith("Taxi") and agent == "tabular":
            given["gamma"] = TAXI_GAMMAS
    grid = tuple(
        (n, (parse_range if args.samples else parse_values)(n, given[n], agent))
        for n in SWEEP_PARAMS
        if n in given
    )
    episodes, steps = args.episodes, args.steps
    if agent == "dqn":
        if episodes is not None:
            raise CliError("--episodes: a DQN sweep's budget is in steps (--steps N)")
        steps = steps or DQNConfig.total_timesteps
    elif episodes is None and steps is None:
        episodes = defaults_for(env_id, env_kwargs)["episodes"]
    check = args.check_every or (SOLVED_CHECK if agent == "dqn" else 250)
    max_steps = None if args.max_steps is None else (args.max_steps or 0)
    return SweepSpec(
        env_id,
        env_kwargs,
        grid,
        samples=args.samples or 0,
        sample_seed=args.sample_seed,
        seeds=args.seeds,
        episodes=episodes,
        steps=steps,
        check_every=check,
        max_steps=max_steps,
        agent=agent,
    )


# -- eval -----------------------------------------------------------------------------------
def train_dqn(args: argparse.Namespace, config: DQNConfig) -> int:
    """``train --agent dqn``: the budget in steps (--total-timesteps, or --steps), the return
    and loss curves, a greedy evaluation, and for a discrete world the exact optimum's verdict."""
    if args.episodes is not None:
        raise CliError("--episodes: a DQN's budget is in steps (--total-timesteps N)")
    steps = config.total_timesteps  # --steps and --total-timesteps alike (the schedule spans it)
    agent = DQNAgent(config)
    threshold = reward_threshold(config.env_id) if args.stop_when_solved else None
    solved: list[tuple[int, float]] = []

    def reached() -> bool:  # the benchmark's test: 100 greedy episodes, their own stream
        done, mean = agent.solved()
        if done:
            solved.append((agent.total_steps, mean))
        return done

    seconds = train_session(
        agent,
        None,
        steps,
        Progress(sys.stderr, None, steps),
        check_every=SOLVED_CHECK if threshold is not None else 0,
        stop=reached,
    )
    if not args.no_chart:
        from tui_taxi.charts import learning_curve, use_color

        color = use_color(sys.stdout)
        print(learning_curve(agent.history, color=color))
        print(
            learning_curve(
                agent.loss_history,
                color=color,
                label="loss",
                title="mean TD loss (Huber) per episode; 0 before learning starts",
            )
        )
    rate = agent.total_steps / seconds if seconds > 0 else math.inf
    print(
        f"trained {'Double DQN' if config.double else 'DQN'} on {config.env_id} for "
        f"{agent.total_steps:,} steps ({agent.episode:,} episodes) in {seconds:.1f} s: "
        f"{rate:,.0f} steps/s"
    )
    print(f"settings: {_dqn_settings(config)}")
    print(
        f"mean return of the last {min(RECENT, agent.history.episodes):,} episodes: "
        f"{agent.history.recent_mean_return():.2f}"
    )
    if solved:
        print(
            f"solved at {solved[0][0]:,} steps: the greedy policy's mean return "
            f"{solved[0][1]:.2f} >= {threshold:g}, {config.env_id}'s reward threshold; "
            "stopped there (--no-stop-when-solved trains the whole budget)"
        )
    elif threshold is not None and agent.total_steps < SOLVED_CHECK:
        print(
            f"not checked: the first check of the greedy policy comes at {SOLVED_CHECK:,} "
            "steps (the evaluation below says how far it got)"
        )
    elif threshold is not None:
        print(
            f"not solved: no check (every {SOLVED_CHECK:,} steps) reached {config.env_id}'s "
            f"reward threshold {threshold:g}; a longer run: --total-timesteps N"
        )
    _print_dqn_evaluation(agent, EVAL_EPISODES, None)
    if agent.model is not None:
        _print_report(policy_report(agent.model, agent.q_table(), config.gamma))
    if args.save is not None:
        print(f"saved to {agents.save(agent, args.save, buffer=args.save_buffer)}")
    return 0


def _dqn_settings(c: DQNConfig) -> str:
    return (
        f"lr {c.learning_rate:g}, gamma {c.gamma:g}, hidden {','.join(map(str, c.hidden))}, "
        f"buffer {c.buffer_size:,}, batch {c.batch_size}, target every "
        f"{c.target_network_frequency} (tau {c.tau:g}), train every {c.train_frequency} "
        f"x{c.gradient_steps}, {_epsilon_text(c)}, seed {c.seed}"
    )


def _epsilon_text(c: DQNConfig) -> str:
    if c.epsilon is not None:  # set live in the app
        return f"epsilon {c.epsilon:g}"
    if c.exploration_steps == 0 or c.start_e == c.end_e:
        return f"epsilon {c.end_e:g}"
    return f"epsilon {c.start_e:g}->{c.end_e:g} over {c.exploration_steps:,} steps"


def _print_dqn_evaluation(agent: DQNAgent, episodes: int, seed: int | None) -> None:
    batch = agent.evaluate(episodes, seed=seed)
    print(f"greedy evaluation over {episodes} episodes (time limit {agent.time_limit}):")
    print(f"  mean return per episode        {batch.episodic_return.mean():.2f}")
    print(f"  mean steps per episode         {batch.episodic_length.mean():.2f}")
    word, share = _episode_ends(agent, batch)
    print(f"  {word:<30} {share:.1%}")


def _episode_ends(agent: DQNAgent, batch) -> tuple[str, float]:
    """How a world's episodes count as done well, and the share of ``batch`` that were: the
    pole balanced to the limit, a discrete world's goal, or an env's own end (its goal, for
    Acrobot and MountainCar) before the limit."""
    if agent.model is not None:
        return "success rate", float(batch.success.mean())
    if agent.cartpole:
        return "balanced to the limit", float(batch.success.mean())
    return "ended before the limit", float(batch.success.mean())


def cmd_eval(args: argparse.Namespace) -> int:
    session = agents.load(args.file)
    if isinstance(session, DQNAgent):
        if args.max_steps is not None:
            raise CliError("--max-steps: a DQN save is evaluated with its own time limit")
        c = session.config
        print(
            f"{args.file}: DQN on {c.env_id}, {session.total_steps:,} steps trained "
            f"({_dqn_settings(c)})"
        )
        _print_dqn_evaluation(session, args.episodes, args.seed)
        if session.model is not None:
            _print_report(policy_report(session.model, session.q_table(), c.gamma))
        return 0
    limit = session.config.time_limit(session.model) if args.max_steps is None else args.max_steps
    result = evaluate(
        session.model, session.q, episodes=args.episodes, time_limit=limit, seed=args.seed
    )
    c = session.config
    print(
        f"{args.file}: {c.learner} on {c.env_id}, {session.episode:,} episodes trained "
        f"({_settings(c)})"
    )
    print(f"greedy evaluation over {result.episodes} episodes ({_limit_text(limit)}):")
    print(f"  average timesteps per episode  {result.mean_steps:.2f}")
    print(f"  average penalties per episode  {result.mean_penalties:.2f}")
    print(f"  average reward per move        {result.reward_per_move:.3f}")
    print(f"  success rate                   {result.success_rate:.1%}")
    _print_report(policy_report(session.model, session.q, c.gamma))
    _print_diagnosis(session)
    return 0


def _limit_text(limit: int) -> str:
    return f"time limit {limit} steps" if limit else "no time limit"


# -- compare --------------------------------------------------------------------------------
def cmd_compare(args: argparse.Namespace) -> int:
    unused = [_flag(name) for name in (*CONFIG_OPTIONS, "train_episodes") if name in args.given]
    if args.file and unused:
        raise CliError(
            f"{', '.join(unused)}: only for compare without FILE (it trains then); "
            "compare FILE evaluates the session as saved"
        )

    if args.file:
        session = agents.load(args.file)
        source = args.file
        if isinstance(session, DQNAgent) and session.model is None:
            return _compare_continuous(session, args.episodes)
    else:
        config = config_from_args(args)
        session = Session(config)
        episodes = args.train_episodes or defaults_for(config.env_id, config.env_kwargs)["episodes"]
        train_session(session, episodes, progress=Progress(sys.stderr, episodes))
        source = f"trained {episodes:,} episodes"
    model = session.model
    limit = model.max_episode_steps if args.time_limit else 0
    results = [
        evaluate(model, None, policy="random", episodes=args.episodes, time_limit=limit),
        evaluate(model, agents.value_table(session), episodes=args.episodes, time_limit=limit),
    ]
    print(_compare_table(results, solve(model), model.env_id))
    print(
        f"\n{args.episodes} episodes per agent, {_limit_text(limit)}"
        + ("" if limit else " (as in the tutorial; --time-limit applies the env's)")
        + f"; trained agent: {getattr(session.config, 'learner', 'DQN')}, {source}."
    )
    cut = [
        (name, r)
        for name, r in zip(("random agent", "trained agent"), results, strict=True)
        if r.truncated and not limit
    ]
    for name, r in cut:
        print(
            f"note: {r.truncated} of the {name}'s episodes never ended (it loops) and were "
            f"cut at the safety cap of {SAFETY_CAP:,} steps: its figures count those steps"
        )
    _print_report(policy_report(model, agents.value_table(session), session.config.gamma))
    if not agents.is_network(session):
        _print_diagnosis(session)
    return 0


def _compare_continuous(agent: DQNAgent, episodes: int) -> int:
    """A world with continuous observations: the random agent against the greedy network, each
    episode from a fresh start, the env's time limit."""
    trained = agent.evaluate(episodes)
    rng = np.random.default_rng(0)
    import gymnasium as gym

    with warnings.catch_warnings():  # CartPole-v0's "out of date" notice: the preset's choice
        warnings.simplefilter("ignore")
        env = gym.make(
            agent.config.env_id,
            **dict(agent.config.env_kwargs),
            max_episode_steps=agent.time_limit or None,
        )
    returns, lengths, ended = [], [], []
    for e in range(episodes):
        env.reset(seed=e)
        done, t, total, terminated = False, 0, 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(int(rng.integers(agent.n_actions)))
            done, t, total = terminated or truncated, t + 1, total + float(reward)
        returns.append(total)
        lengths.append(t)
        ended.append(terminated)
    word, share = _episode_ends(agent, trained)
    if agent.cartpole:
        random_share = float(np.mean(np.array(lengths) >= agent.time_limit))
    else:
        random_share = float(np.mean(ended))
    print(f"{'':<14}{'return per episode':>20}{'steps per episode':>19}  {word:>24}")
    print(
        f"{'random agent':<14}{np.mean(returns):>20.2f}{np.mean(lengths):>19.2f}"
        f"{random_share:>26.1%}"
    )
    print(
        f"{'DQN (greedy)':<14}{trained.episodic_return.mean():>20.2f}"
        f"{trained.episodic_length.mean():>19.2f}{share:>26.1%}"
    )
    print(
        f"\n{episodes} episodes per agent, time limit {agent.time_limit}; "
        f"{agent.total_steps:,} steps trained."
    )
    return 0


def _compare_table(results: list[EvalResult], optimum, env_id: str) -> str:
    random_r, trained = results
    rows = [
        (
            "average timesteps per episode",
            random_r.mean_steps,
            trained.mean_steps,
            optimum.mean_steps,
            "{:.2f}",
        ),
        (
            "average penalties per episode",
            random_r.mean_penalties,
            trained.mean_penalties,
            optimum.mean_penalties,
            "{:.2f}",
        ),
        (
            "average reward per move",
            random_r.reward_per_move,
            trained.reward_per_move,
            optimum.mean_return / optimum.mean_steps,
            "{:.3f}",
        ),
        (
            "success rate",
            random_r.success_rate,
            trained.success_rate,
            optimum.success_rate,
            "{:.1%}",
        ),
    ]
    header = ("measure", "random agent", "trained agent", "optimum (exact)")
    cells = [header] + [(name, *(fmt.format(v) for v in vals)) for name, *vals, fmt in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    lines = [f"{env_id}: random agent vs trained agent vs the optimum"]
    for i, row in enumerate(cells):
        lines.append(
            "  ".join(
                cell.ljust(w) if j == 0 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
