"""``tui-taxi demo``: a seeded, captioned tour, played in the live app (see :mod:`tui_taxi.demo`)."""

from __future__ import annotations

import argparse
import shlex

from tui_taxi.cli.options import PROG, CliError, require_terminal
from tui_taxi.core.agent import kind_named
from tui_taxi.demo import DEFAULT_TOUR, TOURS, export_tour, load_tour

HELP = "a scripted, seeded tour of Q-learning for presenting (space: next, left: back)"


def add_parsers(command) -> dict:
    demo = command(
        "demo",
        HELP,
        "Each step is replayed from the tour's seed, so back and restart land on the same screen.",
        "examples:\n  tui-taxi demo --presenter\n  tui-taxi demo windy\n  tui-taxi demo --list\n"
        "  tui-taxi demo cliff --export my.tour    (edit it, then:)\n"
        "  tui-taxi demo --script my.tour",
    )
    demo.add_argument(
        "name",
        nargs="?",
        default=None,
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
    return {"demo": run}


def run(args: argparse.Namespace) -> int:
    if args.name is not None and args.script is not None:
        raise CliError(
            f"--script runs the tour in {args.script}; drop the tour name {args.name!r} "
            "(or drop --script to run the built-in one)"
        )
    args.name = DEFAULT_TOUR if args.name is None else args.name
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
    require_terminal()
    from tui_taxi.ui.app import create_app

    kind = kind_named(tour.agent)
    config = kind.configure(tour.env_id, tour.env_kwargs, seed=tour.seed)
    app = create_app(config, paused=True, presenter=args.presenter, tour=tour)
    app.run()
    return app.return_code or 0
