"""What every subcommand shares: the parser (one-line errors; options given before the command
apply to it), the value types, the options of the world and of each kind of agent (from the
kinds themselves: ``Agent.options``), and the config they describe."""

from __future__ import annotations

import argparse
import copy
import decimal
import os
import sys
from collections.abc import Sequence
from typing import Any

from tui_taxi.core.agent import kind_named, kinds
from tui_taxi.core.envs import check_env_kwargs, parse_env_kwarg, resolve_env_id
from tui_taxi.core.errors import EnvError
from tui_taxi.core.schedules import ScheduleError, parse_schedule
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
#: Options given before the command are parsed into ``LEADING + dest`` and then applied.
LEADING = "leading_"
#: The options of the world every kind has.
WORLD_OPTIONS = ("env", "env_kwarg", "gamma", "max_steps", "seed")


class CliError(Exception):
    """A one-line error for people; exits with status 2."""


class Formatter(argparse.HelpFormatter):
    """Wraps paragraphs; keeps text that has its own line breaks (examples) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """One-line errors, and options whose defaults are filled in by :func:`parse_args`, so that
    it can tell a given option from a default one."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)
        self.late_defaults: dict[str, Any] = {}
        self.commands: dict[str, Parser] = {}

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


# -- value types ------------------------------------------------------------------------------
def whole(minimum: int, maximum: int, shown: str | None = None):
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


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def schedule(name: str):
    def parse(text: str):
        try:
            return parse_schedule(text, name)
        except ScheduleError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


def sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"hidden layer sizes must be whole numbers like 64,64, got {text!r}"
        ) from None


def env_kwarg(text: str):
    try:
        return parse_env_kwarg(text)
    except EnvError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def refuse(message: str) -> None:
    """argparse's way out for usage errors: one line, exit status 2."""
    sys.stderr.write(f"{PROG}: error: {message}\n")
    raise SystemExit(2)


# -- the world and the agent ------------------------------------------------------------------
def add_agent_options(
    parser: Parser, leading: bool = False, *, budget_steps: bool = False, choice: bool = True
) -> None:
    """``--agent``, the world every kind has, then each kind's own options in a group of its
    own (``budget_steps``: a kind's step-budget option is also ``--steps``, as in train;
    without ``choice``, the first kind alone and no ``--agent``)."""
    group = parser.add_argument_group("agent and environment")

    def option(*flags: str, **kwargs):
        parser.option(group, *flags, leading=leading, **kwargs)

    registered = kinds()
    first = next(iter(registered.values()))
    if not choice:
        registered = {first.name: first}
    else:
        option(
            "--agent",
            choices=tuple(registered),
            default=first.name,
            help="the kind of agent: "
            + "; ".join(f"{name}: {cls.title}" for name, cls in registered.items())
            + f" (default: {first.name})",
        )
    presets = {name for cls in registered.values() for name in cls.presets}
    if presets:
        option(
            "--preset",
            choices=tuple(sorted(presets)),
            metavar="NAME",
            help="a recipe to start from: keras-rl (the course's DQN: CartPole-v0, 16 units, "
            "epsilon 0.1, soft target tau 0.01, 5,000 steps)",
        )
    defaults = ", ".join(
        f"{cls.default_env} for --agent {name}" for name, cls in registered.items()
    )
    option(
        "--env",
        metavar="ID",
        help=f"Gymnasium env id, e.g. FrozenLake-v1 (a wrong id lists them; default: {defaults})",
    )
    option(
        "--env-kwarg",
        action="append",
        type=env_kwarg,
        default=[],
        metavar="NAME=VALUE",
        help="a keyword argument of the env's constructor, repeatable, checked against it "
        "(e.g. is_rainy=true, map_name=8x8)",
    )
    option(
        "--gamma",
        type=number,
        metavar="G",
        help="discount factor gamma, in [0, 1] (default: "
        + "; ".join(f"{cls.label}: {cls.default_of('gamma')}" for cls in registered.values())
        + ")",
    )
    option(
        "--max-steps",
        type=whole(0, MAX_STEPS),
        default=None,
        metavar="N",
        help=f"time limit per episode; 0 = none; default: the env's registered limit; at most "
        f"{MAX_STEPS:,}",
    )
    option(
        "--seed",
        type=whole(0, MAX_SEED, "from 0 to 2**64 - 1"),
        default=0,
        metavar="N",
        help="seed of the run's random generator, 0 to 2**64 - 1 (default: 0)",
    )
    seen = set(WORLD_OPTIONS)
    for cls in registered.values():
        own = [o for o in cls.options if o.name not in seen]
        if not own:
            continue
        seen.update(o.name for o in own)
        kind_group = parser.add_argument_group(cls.options_title)
        for spec in own:
            text = spec.help
            if budget_steps and spec.name == "total_timesteps":
                text += "; with the tabular agent, the same as --steps"
            parser.option(kind_group, flag(spec.name), leading=leading, help=text, **_typed(spec))


def _typed(spec) -> dict:
    if spec.value == "flag":
        return {"action": argparse.BooleanOptionalAction}
    parse = {
        "number": number,
        "whole": whole(0, MAX_TRAIN_STEPS),
        "schedule": schedule(spec.name),
        "sizes": sizes,
        "name": str,
    }[spec.value]
    return {"type": parse, "metavar": spec.metavar}


def agent_config(args: argparse.Namespace, *, steps: int | None = None):
    """The run the options describe, of the ``--agent`` kind: a preset's or the world's
    defaults, then the options given; an option of another kind is refused with one line
    saying what this one has instead; the world is checked (the kind can run it) before
    anything trains. ``steps``: a step budget (train's ``--steps``), for kinds whose schedule
    spans it."""
    kind = kind_named(getattr(args, "agent", None) or next(iter(kinds())))
    own = {o.name for o in kind.options}
    for other in kinds().values():
        for spec in other.options:
            if spec.name in args.given and spec.name not in own:
                if spec.name in kind.instead:
                    raise CliError(
                        f"{flag(spec.name)} is a {other.label} setting; {kind.label}'s is "
                        f"{kind.instead[spec.name]}"
                    )
                raise CliError(
                    f"{flag(spec.name)} is a {other.label} setting: add --agent {other.name}"
                )
    preset_name = getattr(args, "preset", None)
    preset = None
    if preset_name:
        if preset_name not in kind.presets:
            owner = next(c for c in kinds().values() if preset_name in c.presets)
            raise CliError(f"--preset is a {owner.label} setting: add --agent {owner.name}")
        preset = kind.presets[preset_name]
    env_id = args.env if args.env is not None else preset.env_id if preset else kind.default_env
    env_id, notice = resolve_env_id(env_id)
    if notice:
        print(f"{PROG}: note: {notice}", file=sys.stderr)
    names = [name for name, _ in args.env_kwarg]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise CliError(f"--env-kwarg {', '.join(twice)} is given more than once; give it once")
    env_kwargs = check_env_kwargs(env_id, args.env_kwarg) if args.env_kwarg else ()
    changes = {name: getattr(args, name) for name in own if name in args.given}
    if "gamma" in args.given:
        changes["gamma"] = args.gamma
    if "max_steps" in args.given:
        changes["max_steps"] = args.max_steps
    changes["seed"] = args.seed
    if preset is not None:
        if changes.get("max_steps") == 0:
            changes["max_steps"] = None
        config = preset.replace(env_id=env_id, env_kwargs=env_kwargs, **changes)
    else:
        config = kind.configure(env_id, env_kwargs, **changes)
    if steps is not None:
        from tui_taxi.core.agent import Budget

        config = kind.budgeted(config, Budget(steps=steps))
    kind.open_env(config)  # a world this kind cannot run fails now, in one line
    return config


def describe(config) -> str:
    """A config in a few words: its variant, then its settings."""
    from tui_taxi.core.agent import kind_of

    variant, text = kind_of(config).describe(config)
    return f"{variant}, {text}"


# -- the app ----------------------------------------------------------------------------------
def add_app_options(parser: Parser, leading: bool = False) -> None:
    group = parser.add_argument_group("the live app")

    def option(*flags: str, **kwargs):
        parser.option(group, *flags, leading=leading, **kwargs)

    option("--load", metavar="FILE", help="continue a saved agent (its settings win)")
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
    openings = ", ".join(
        f"{cls.opening_speed + 1} for --agent {name}"
        for name, cls in kinds().items()
        if cls.opening_speed is not None
    )
    option(
        "--speed",
        type=whole(1, len(SPEEDS)),
        default=None,
        metavar=f"1-{len(SPEEDS)}",
        help="starting speed level: "
        + ", ".join(f"{i}={s.label}" for i, s in enumerate(SPEEDS, 1))
        + f" (default: {DEFAULT_SPEED + 1}"
        + (f"; {openings})" if openings else ")"),
    )
    option(
        "--stop-when-solved",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a network's run pauses when its greedy check first reaches the goal, as train "
        "stops (space trains on; default: pause)",
    )


def require_terminal() -> None:
    if os.environ.get("TEXTUAL_DRIVER"):  # another driver (textual-serve's web driver) draws it
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("the live app needs a terminal; for headless runs use 'tui-taxi train'")


# -- parsing ----------------------------------------------------------------------------------
def parse_args(parser: Parser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse like ``parser.parse_args``, then apply options given before the command
    (``tui-taxi --seed 9 train`` trains seed 9), refuse those that do not apply to it, and fill
    in the defaults. ``args.given`` holds the names of the options given explicitly."""
    args, unknown = parser.parse_known_args(argv)
    command = args.command
    target = parser if command is None else parser.commands[command]
    helps = f"see '{PROG} {command} --help'" if command else f"see '{PROG} --help'"
    if unknown:
        agent = any(u.split("=")[0] == "--agent" for u in unknown)
        if command == "compare" and agent:
            refuse(
                f"compare takes no --agent: a FILE brings its own, and without one it "
                f"trains a tabular agent; for a DQN: '{PROG} train --agent dqn --save "
                f"run.npz', then '{PROG} compare run.npz'"
            )
        where = f" for '{command}'" if command else ""
        refuse(f"unrecognized arguments{where}: {' '.join(unknown)} ({helps})")
    leading = {
        name.removeprefix(LEADING): value
        for name, value in vars(args).items()
        if name.startswith(LEADING)
    }
    for name, value in leading.items():
        delattr(args, LEADING + name)
        shown = flag(name)
        if name not in target.late_defaults:
            refuse(f"{shown} does not apply to '{command}' ({helps})")
        if hasattr(args, name):
            if name != "env_kwarg":
                refuse(f"{shown} is given both before and after '{command}'; give it once")
            value = value + args.env_kwarg
        setattr(args, name, value)
    args.given = frozenset(name for name in target.late_defaults if hasattr(args, name))
    for name, default in target.late_defaults.items():
        if not hasattr(args, name):
            setattr(args, name, copy.copy(default))
    return args
