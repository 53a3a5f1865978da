"""``tui-taxi serve``: the app in a web browser (textual-serve), for projectors."""

from __future__ import annotations

import argparse
import importlib.resources
import importlib.util
import shlex
import socket
import sys

from tui_taxi.cli.options import PROG, CliError, whole

HELP = "serve the app to a web browser (textual-serve), for projectors"
SERVE_EXTRA = "pip install 'tui-taxi[serve]'"


def add_parsers(command) -> dict:
    serve = command(
        "serve",
        HELP,
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
        type=whole(1, 65535, "from 1 to 65535"),
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
    return {"serve": run}


SERVE_TEMPLATES = "data/serve"  # our page for textual-serve: no fonts or scripts from the web


def make_server(command: str, host: str, port: int):
    """A textual-serve Server for ``command`` whose page loads nothing from the internet: our
    template (``tui_taxi/data/serve/app_index.html``) instead of textual-serve's, which fetches
    a Google web font; the font, script and styles come from textual-serve's own static files."""
    try:
        from textual_serve.server import Server
    except ImportError:
        raise CliError(f"serve needs textual-serve: {SERVE_EXTRA}") from None
    templates = importlib.resources.files("tui_taxi").joinpath(SERVE_TEMPLATES)
    return Server(command, host=host, port=port, title="tui-taxi", templates_path=str(templates))


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("textual_serve") is None:  # an optional extra: say so first
        raise CliError(f"serve needs textual-serve: {SERVE_EXTRA}")
    app_args = list(args.app_args)
    if app_args[:1] == ["--"]:
        app_args = app_args[1:]
    from tui_taxi.cli import parse_args  # the whole command line, as the app will see it
    from tui_taxi.cli.app import config_of
    from tui_taxi.core.agent import load
    from tui_taxi.demo import TOURS, load_tour

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
        load(inner.load)  # any kind's save
    else:
        config_of(inner)  # out-of-range values fail here
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
