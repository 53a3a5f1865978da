"""``tui-taxi`` (no command) and ``tui-taxi play``: the live app, from options, a save or a
sweep's best configuration."""

from __future__ import annotations

import argparse
import sys

from tui_taxi.cli.options import (
    PROG,
    WORLD_OPTIONS,
    CliError,
    add_agent_options,
    add_app_options,
    agent_config,
    describe,
    flag,
    require_terminal,
)
from tui_taxi.core.agent import kinds

PLAY_HELP = "drive the taxi yourself in the app, then compare with the optimum and the agent"


def add_parsers(command) -> dict:
    play = command(
        "play",
        PLAY_HELP,
        "Arrows or hjkl drive, p picks up, d drops off, t shows a hint; m hands the wheel "
        "back to the agent and again to you.",
        "examples:\n  tui-taxi play\n  tui-taxi play --load run.npz --presenter",
    )
    add_agent_options(play)
    add_app_options(play)
    return {"play": run}


def _agent_options() -> tuple[str, ...]:
    """Every option that describes a run (the world and every kind's own)."""
    own = (o.name for cls in kinds().values() for o in cls.options)
    return (*WORLD_OPTIONS, "agent", "preset", *dict.fromkeys(own))


def run(args: argparse.Namespace) -> int:
    """The live app (also ``play``); its exit status is the app's: 0 on a normal quit,
    non-zero when it crashed."""
    if args.load:
        ignored = [flag(name) for name in _agent_options() if name in args.given]
        if ignored:
            print(
                f"{PROG}: note: --load uses the saved settings; ignoring {', '.join(ignored)}",
                file=sys.stderr,
            )
    config = None if args.load else config_of(args)
    from tui_taxi.ui.app import create_app  # Textual loads only for the app

    app = create_app(
        config,
        load=args.load,
        paused=args.paused,
        speed_index=None if args.speed is None else args.speed - 1,
        stop_when_solved=args.stop_when_solved,
        manual=args.command == "play",
        presenter=args.presenter,
    )
    require_terminal()  # (after the settings are checked: their errors come first)
    app.run()
    return app.return_code or 0


def config_of(args: argparse.Namespace):
    """The run the options describe, or ``--from-sweep FILE``'s best configuration (seed 0)."""
    if not getattr(args, "from_sweep", None):
        return agent_config(args)
    from tui_taxi.core.sweep import aggregate, best_config, read_results

    clash = [flag(n) for n in (*_agent_options(), "load") if n in args.given]
    if clash:
        raise CliError(f"--from-sweep sets the world and its settings; drop {', '.join(clash)}")
    spec, records, _ = read_results(args.from_sweep)
    config = best_config(spec, aggregate(records.values(), spec))
    print(
        f"{PROG}: note: from {args.from_sweep}: {config.env_id}, {describe(config)}",
        file=sys.stderr,
    )
    return config
