"""The one entry point: ``tui-taxi`` and ``python -m tui_taxi``.

One module per subcommand (:mod:`.app` for the app and ``play``, :mod:`.train`,
:mod:`.evaluate` for ``eval`` and ``compare``, :mod:`.sweep`, :mod:`.plan`, :mod:`.demo`,
:mod:`.serve`), each
with ``add_parsers(command) -> {name: run}``; :mod:`.options` holds what they share. A new
subcommand is one new module and one line in :data:`MODULES`. Headless commands call the same
core the app's trainer calls. Every error a person can cause ends in one line on stderr and exit
status 2, before any work is done; options given before the command apply to it (or are
refused).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from tui_taxi import __version__
from tui_taxi.cli import app, demo, evaluate, plan, serve, sweep, train
from tui_taxi.cli.options import (
    PROG,
    CliError,
    Parser,
    add_agent_options,
    add_app_options,
)
from tui_taxi.cli.options import parse_args as _parse_with
from tui_taxi.core.errors import ConfigError, EnvError, SaveFileError
from tui_taxi.core.optimal import SolveError
from tui_taxi.core.schedules import ScheduleError
from tui_taxi.core.sweep import SweepError
from tui_taxi.demo import TourError

#: The subcommands' modules, in the order ``--help`` lists them.
MODULES = (demo, app, serve, train, evaluate, sweep, plan)


def build_parser() -> tuple[Parser, dict[str, Callable]]:
    """The parser, and each subcommand's function."""
    parser = Parser(
        prog=PROG,
        description="Watch, steer and play a reinforcement-learning agent, starting from "
        "Gymnasium's Taxi. Without a COMMAND, opens the live app (press ? in it for the keys) "
        "with the options below; given before a COMMAND, they apply to it.",
        epilog="examples:\n"
        "  tui-taxi                                the live app, the tutorial's settings\n"
        "  tui-taxi --learner sarsa --seed 7       the app with SARSA and seed 7\n"
        "  tui-taxi --agent dqn                    a deep Q-network balancing CartPole-v1\n"
        "  tui-taxi train --episodes 20000         train headless: chart and report\n"
        "  tui-taxi demo --presenter               the captioned tour, for a projector\n"
        "Run 'tui-taxi COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_agent_options(parser, leading=True)
    add_app_options(parser, leading=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    parser.commands = sub.choices

    def command(name: str, summary: str, description: str = "", epilog: str | None = None):
        text = summary[0].upper() + summary[1:] + "." + (f" {description}" if description else "")
        return sub.add_parser(name, help=summary, description=text, epilog=epilog)

    runs: dict[str, Callable] = {}
    for module in MODULES:
        runs.update(module.add_parsers(command))
    return parser, runs


def parse_args(argv: Sequence[str] | None = None):
    parser, _ = build_parser()
    return _parse_with(parser, argv)


def main(argv: Sequence[str] | None = None) -> int:
    parser, runs = build_parser()
    args = _parse_with(parser, argv)
    try:
        return (runs[args.command] if args.command else app.run)(args)
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
