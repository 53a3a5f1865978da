"""The one entry point: ``tui-taxi`` and ``python -m tui_taxi``.

Headless commands (``train``, ``eval``, ``compare``) call the same core functions the app's
trainer calls. Every error a person can cause ends in one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from tui_taxi import __version__
from tui_taxi.core.envs import EnvError, normalize_kwargs, parse_env_kwarg, resolve_env_id
from tui_taxi.core.evaluate import EvalResult, evaluate
from tui_taxi.core.learners import LEARNERS
from tui_taxi.core.optimal import PolicyReport, policy_report, solve
from tui_taxi.core.persist import (
    SessionFileError,
    check_save_target,
    load_session,
    save_session,
)
from tui_taxi.core.schedules import ScheduleError, parse_schedule
from tui_taxi.core.session import ConfigError, Session, TrainConfig
from tui_taxi.demo import TourError, load_tour
from tui_taxi.trainer import DEFAULT_SPEED, SPEEDS

PROG = "tui-taxi"
TUTORIAL_EPISODES = 100_000
EVAL_EPISODES = 100
COMMANDS = {
    "demo": "a scripted, seeded tour of Q-learning for presenting (space: next, left: back)",
    "play": "drive the taxi yourself in the app, then compare with the optimum and the agent",
    "serve": "serve the app to a web browser (textual-serve), for projectors",
    "train": "train an agent headless, show its learning curve and how close it is to optimal",
    "eval": "evaluate a saved session's greedy policy (tutorial metrics + optimality)",
    "compare": "random agent vs trained agent vs the exact optimum, as the tutorial's table",
}


class CliError(Exception):
    """A one-line error for people; exits with status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _whole(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {value}")
        return value

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


def _env_kwarg(text: str):
    try:
        return parse_env_kwarg(text)
    except EnvError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _help(name: str) -> str:
    """The help text of a TrainConfig field (one source for the CLI and the code)."""
    field = next(f for f in dataclasses.fields(TrainConfig) if f.name == name)
    default = field.default
    shown = default.describe() if hasattr(default, "describe") else default
    return f"{field.metadata['help']} (default: {shown})"


CONFIG_OPTIONS = ("env", "env_kwarg", "learner", "alpha", "gamma", "epsilon", "max_steps", "seed")


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("agent and environment")
    group.add_argument("--env", default=TrainConfig.env_id, help=_help("env_id"))
    group.add_argument(
        "--env-kwarg",
        action="append",
        type=_env_kwarg,
        default=[],
        metavar="NAME=VALUE",
        help="keyword argument for the env, repeatable (e.g. is_rainy=true)",
    )
    group.add_argument(
        "--learner",
        default=TrainConfig.learner,
        help=_help("learner") + f"; one of {', '.join(LEARNERS)}",
    )
    group.add_argument(
        "--alpha",
        type=_schedule("alpha"),
        default=TrainConfig.alpha,
        help=_help("alpha") + "; or linear:START:END:EPISODES | exp:START:END:DECAY",
    )
    group.add_argument("--gamma", type=_number, default=TrainConfig.gamma, help=_help("gamma"))
    group.add_argument(
        "--epsilon",
        type=_schedule("epsilon"),
        default=TrainConfig.epsilon,
        help=_help("epsilon") + "; or a schedule, as --alpha",
    )
    group.add_argument("--max-steps", type=_whole(0), default=None, help=_help("max_steps"))
    group.add_argument("--seed", type=_whole(0), default=TrainConfig.seed, help=_help("seed"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Watch, steer and play a Q-learning agent on Gymnasium's Taxi. Without a "
        "COMMAND, opens the live app (press ? in it for the keys).",
        epilog="Run 'tui-taxi COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_config_options(parser)
    _add_app_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    play = sub.add_parser("play", help=COMMANDS["play"], description=COMMANDS["play"] + ".")
    _add_config_options(play)
    _add_app_options(play)
    demo = sub.add_parser("demo", help=COMMANDS["demo"], description=COMMANDS["demo"] + ".")
    demo.add_argument("--script", metavar="FILE",
                      help="a tour script (default: the built-in tour; a copy to edit is in "
                      "assets/demo.tour)")  # fmt: skip
    demo.add_argument("--presenter", action="store_true", help="high-contrast theme, big grid")
    serve = sub.add_parser(
        "serve", help=COMMANDS["serve"],
        description=COMMANDS["serve"] + ". Each browser tab runs its own app.",
        epilog="Examples: tui-taxi serve --port 8000 demo --presenter; "
        "app options go after --: tui-taxi serve -- --load run.npz --presenter",
    )  # fmt: skip
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=_whole(1), default=8000, help="port (default: 8000)")
    serve.add_argument("app_args", nargs=argparse.REMAINDER, metavar="APP-ARGS",
                       help="what the app runs, as for tui-taxi itself: e.g. 'demo --presenter', "
                       "'play', '--load run.npz'")  # fmt: skip
    return _add_headless(parser, sub)


def _add_app_options(parser: argparse.ArgumentParser) -> None:
    app = parser.add_argument_group("the live app")
    app.add_argument("--load", metavar="FILE", help="continue a saved session (its settings win)")
    app.add_argument("--presenter", action="store_true",
                     help="high-contrast theme and a big grid, for a projector (T toggles)")  # fmt: skip
    app.add_argument("--paused", action="store_true", help="start paused (space runs, n steps)")
    app.add_argument(
        "--speed",
        type=_whole(1),
        default=DEFAULT_SPEED + 1,
        metavar=f"1-{len(SPEEDS)}",
        help="starting speed level: "
        + ", ".join(f"{i}={s.label}" for i, s in enumerate(SPEEDS, 1))
        + f" (default: {DEFAULT_SPEED + 1})",
    )


def _add_headless(parser: argparse.ArgumentParser, sub) -> argparse.ArgumentParser:

    train = sub.add_parser("train", help=COMMANDS["train"], description=COMMANDS["train"] + ".")
    _add_config_options(train)
    train.add_argument(
        "--episodes",
        type=_whole(1),
        default=TUTORIAL_EPISODES,
        help=f"episodes to train (default: {TUTORIAL_EPISODES:,})",
    )
    train.add_argument("--save", metavar="FILE", help="save the session to FILE (.npz)")
    train.add_argument("--no-chart", action="store_true", help="skip the learning-curve chart")

    ev = sub.add_parser("eval", help=COMMANDS["eval"], description=COMMANDS["eval"] + ".")
    ev.add_argument("file", metavar="FILE", help="a session saved by 'tui-taxi train --save'")
    ev.add_argument(
        "--episodes",
        type=_whole(1),
        default=EVAL_EPISODES,
        help=f"evaluation episodes (default: {EVAL_EPISODES})",
    )
    ev.add_argument(
        "--max-steps",
        type=_whole(0),
        default=None,
        help="time limit per episode; 0 = none (default: the session's)",
    )
    ev.add_argument("--seed", type=_whole(0), default=0, help="evaluation seed (default: 0)")

    cmp = sub.add_parser(
        "compare",
        help=COMMANDS["compare"],
        description=COMMANDS["compare"] + ". Without FILE it first trains with the tutorial's "
        "defaults. Like the tutorial, episodes run without the time limit unless --time-limit.",
    )
    cmp.add_argument("file", metavar="FILE", nargs="?", help="a saved session (default: train one)")
    _add_config_options(cmp)
    cmp.add_argument(
        "--train-episodes",
        type=_whole(1),
        default=TUTORIAL_EPISODES,
        help=f"episodes to train when no FILE is given (default: {TUTORIAL_EPISODES:,})",
    )
    cmp.add_argument(
        "--episodes",
        type=_whole(1),
        default=EVAL_EPISODES,
        help=f"evaluation episodes per agent (default: {EVAL_EPISODES})",
    )
    cmp.add_argument(
        "--time-limit",
        action="store_true",
        help="apply the env's registered time limit during evaluation",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in (None, "play"):
            return cmd_app(args)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "serve":
            return cmd_serve(args)
        return {"train": cmd_train, "eval": cmd_eval, "compare": cmd_compare}[args.command](args)
    except (CliError, EnvError, ConfigError, ScheduleError, SessionFileError, TourError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def cmd_app(args: argparse.Namespace) -> int:
    if args.speed > len(SPEEDS):
        raise CliError(f"--speed must be 1 to {len(SPEEDS)}, got {args.speed}")
    _require_terminal()
    if args.load:
        ignored = [f"--{name.replace('_', '-')}" for name in CONFIG_OPTIONS
                   if getattr(args, name) != build_parser().get_default(name)]  # fmt: skip
        if ignored:
            print(f"{PROG}: note: --load uses the saved settings; ignoring {', '.join(ignored)}",
                  file=sys.stderr)  # fmt: skip
    config = None if args.load else config_from_args(args)
    from tui_taxi.ui.app import create_app  # Textual loads only for the app

    app = create_app(config, load=args.load, paused=args.paused, speed_index=args.speed - 1,
                     manual=args.command == "play", presenter=args.presenter)  # fmt: skip
    app.run()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    tour = load_tour(args.script)  # a bad script fails here, before the screen changes
    _require_terminal()
    from tui_taxi.ui.app import create_app

    create_app(TrainConfig(seed=tour.seed), paused=True, presenter=args.presenter, tour=tour).run()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    app_args = list(args.app_args)
    if app_args[:1] == ["--"]:
        app_args = app_args[1:]
    inner = build_parser().parse_args(app_args)  # a bad option fails now, not in the browser
    if inner.command not in (None, "play", "demo"):
        raise CliError(f"serve runs the app (play, demo or no command), not {inner.command!r}")
    if inner.command == "demo":
        load_tour(inner.script)
    elif inner.load:
        load_session(inner.load)
    else:
        config_from_args(inner)  # out-of-range values fail here
    try:
        from textual_serve.server import Server
    except ImportError:
        raise CliError("serve needs textual-serve: pip install textual-serve") from None
    command = shlex.join([sys.executable, "-m", "tui_taxi", *app_args])
    print(f"{PROG}: serving '{' '.join(['tui-taxi', *app_args])}' at http://{args.host}:{args.port}",
          file=sys.stderr)  # fmt: skip
    Server(command, host=args.host, port=args.port, title="tui-taxi").serve()
    return 0


def _require_terminal() -> None:
    if os.environ.get("TEXTUAL_DRIVER"):  # another driver (textual-serve's web driver) draws it
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("the live app needs a terminal; for headless runs use 'tui-taxi train'")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    env_id, notice = resolve_env_id(args.env)
    if notice:
        print(f"{PROG}: note: {notice}", file=sys.stderr)
    kwargs = normalize_kwargs(dict(args.env_kwarg))
    return TrainConfig(
        env_id=env_id,
        env_kwargs=kwargs,
        learner=args.learner,
        alpha=args.alpha,
        gamma=args.gamma,
        epsilon=args.epsilon,
        max_steps=args.max_steps,
        seed=args.seed,
    )


# -- train ----------------------------------------------------------------------------------
class Progress:
    """A one-line progress bar on a terminal; silent elsewhere."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = total
        self.out = out
        self.live = out.isatty()
        self.start = time.perf_counter()

    def update(self, done: int, mean_return: float) -> None:
        if not self.live:
            return
        elapsed = time.perf_counter() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate else float("inf")
        filled = int(24 * done / self.total)
        bar = "#" * filled + "-" * (24 - filled)
        self.out.write(
            f"\r[{bar}] {done:,}/{self.total:,} episodes | {rate:,.0f} ep/s | "
            f"ETA {eta:.1f}s | mean return (last 100) {mean_return:.2f} "
        )
        self.out.flush()

    def close(self) -> None:
        if self.live:
            self.out.write("\n")
            self.out.flush()


def train_session(session: Session, episodes: int, progress: Progress | None = None) -> float:
    """Train ``episodes`` more episodes in calls of about 0.1 s each (so the progress bar moves
    and Ctrl-C is heard even when one episode is very long); returns the wall time."""
    start = time.perf_counter()
    target = session.episode + episodes
    steps = 1_000_000
    while session.episode < target:
        t0 = time.perf_counter()
        session.train(episodes=target - session.episode, steps=steps)
        dt = time.perf_counter() - t0
        steps = max(10_000, min(50_000_000, int(steps * 0.1 / dt))) if dt > 0 else steps * 2
        if progress:
            progress.update(
                episodes - (target - session.episode), session.history.recent_mean_return()
            )
    if progress:
        progress.close()
    return time.perf_counter() - start


def cmd_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.save:
        check_save_target(args.save)  # fail before training, not after
    session = Session(config)
    seconds = train_session(session, args.episodes, Progress(args.episodes, sys.stderr))
    if not args.no_chart:
        from tui_taxi.charts import learning_curve, use_color

        print(learning_curve(session.history, color=use_color(sys.stdout)))
    print(
        f"trained {config.learner} on {config.env_id} for {session.episode:,} episodes "
        f"({session.total_steps:,} steps) in {seconds:.2f} s: "
        f"{session.total_steps / seconds / 1e6:.1f}M steps/s"
    )
    print(f"mean return of the last 100 episodes: {session.history.recent_mean_return():.2f}")
    _print_report(policy_report(session.model, session.q))
    if args.save:
        print(f"saved to {save_session(session, args.save)}")
    return 0


def _print_report(report: PolicyReport) -> None:
    print(
        f"policy optimality: greedy policy optimal from {report.n_optimal}/{report.n_start} start "
        f"states ({report.optimality:.1%}); mean return {report.mean_return:.2f} "
        f"(optimum {report.optimal_mean_return:.2f}), mean steps {report.mean_steps:.2f} "
        f"(optimum {report.optimal_mean_steps:.2f})"
    )


# -- eval -----------------------------------------------------------------------------------
def cmd_eval(args: argparse.Namespace) -> int:
    session = load_session(args.file)
    limit = session.config.time_limit(session.model) if args.max_steps is None else args.max_steps
    result = evaluate(
        session.model, session.q, episodes=args.episodes, time_limit=limit, seed=args.seed
    )
    c = session.config
    print(
        f"{args.file}: {c.learner} on {c.env_id}, {session.episode:,} episodes trained "
        f"(alpha {c.alpha.describe()}, gamma {c.gamma:g}, epsilon {c.epsilon.describe()})"
    )
    print(f"greedy evaluation over {result.episodes} episodes ({_limit_text(limit)}):")
    print(f"  average timesteps per episode  {result.mean_steps:.2f}")
    print(f"  average penalties per episode  {result.mean_penalties:.2f}")
    print(f"  average reward per move        {result.reward_per_move:.3f}")
    print(f"  success rate                   {result.success_rate:.1%}")
    _print_report(policy_report(session.model, session.q))
    return 0


def _limit_text(limit: int) -> str:
    return f"time limit {limit} steps" if limit else "no time limit"


# -- compare --------------------------------------------------------------------------------
def cmd_compare(args: argparse.Namespace) -> int:
    if args.file:
        session = load_session(args.file)
        source = args.file
    else:
        session = Session(config_from_args(args))
        train_session(session, args.train_episodes, Progress(args.train_episodes, sys.stderr))
        source = f"trained {args.train_episodes:,} episodes"
    model = session.model
    limit = model.max_episode_steps if args.time_limit else 0
    results = [
        evaluate(model, None, policy="random", episodes=args.episodes, time_limit=limit),
        evaluate(model, session.q, episodes=args.episodes, time_limit=limit),
    ]
    print(_compare_table(results, solve(model), model.env_id))
    print(
        f"\n{args.episodes} episodes per agent, {_limit_text(limit)}"
        + ("" if limit else " (as in the tutorial; --time-limit applies the env's)")
        + f"; trained agent: {session.config.learner}, {source}."
    )
    _print_report(policy_report(model, session.q))
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
