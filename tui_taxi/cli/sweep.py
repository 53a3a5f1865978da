"""``tui-taxi sweep``: grid or random search of any kind's settings over seeds, each trial scored
by when its greedy policy first reaches its goal; the runner, the results file and the report
are :mod:`tui_taxi.sweep`'s."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tui_taxi.cli.options import (
    MAX_SEED,
    MAX_STEPS,
    MAX_TRAIN_EPISODES,
    PROG,
    CliError,
    env_kwarg,
    flag,
    whole,
)
from tui_taxi.core.agent import STEPS, kind_named, kinds
from tui_taxi.core.envs import check_env_kwargs, resolve_env_id
from tui_taxi.core.sweep import (
    METRICS,
    SweepSpec,
    all_params,
    params_of,
    parse_range,
    parse_values,
    read_results,
)
from tui_taxi.core.training import CHECK_EVERY

_TUNE = "pip install 'tui-taxi[tune]'"
HELP = (
    "grid, random or adaptive (Optuna's TPE) search of an agent's settings over seeds, scored "
    "by when the greedy policy becomes exactly optimal"
)


def add_parsers(command) -> dict:
    sw = command(
        "sweep",
        HELP,
        "Give a comma-separated list per parameter for a grid (every combination), or "
        "LOW..HIGH ranges with --samples N for random search (alpha and epsilon drawn "
        "log-uniformly), or with --search tpe --trials N for Optuna's TPE sampler, which "
        "proposes each configuration from the results so far and prunes hopeless ones between "
        "their seeds. Each trial trains one configuration with one seed and checks, every "
        "--check-every episodes, whether its greedy policy is optimal from every start state "
        "against the exact optimum for its gamma. Records are appended to --out as each trial "
        "ends; --resume FILE goes on after an interruption.",
        "examples:\n"
        "  tui-taxi sweep                                      the tutorial's neighbourhood\n"
        "  tui-taxi sweep --alpha 0.05,0.1,0.5 --gamma 0.6,0.9,0.99 "
        "--epsilon 0.1,exp:1:0.01:0.999 --learner q-learning,sarsa\n"
        "  tui-taxi sweep --samples 40 --alpha 0.01..1 --gamma 0.5..0.99 --epsilon 0.01..0.3\n"
        "  tui-taxi sweep --search tpe --trials 100 --alpha 0.01..1 --gamma 0.5..0.99 "
        "--storage s.log\n"
        "  tui-taxi sweep --heatmap alpha,gamma --out s.jsonl;  tui-taxi sweep --show s.jsonl\n"
        "  tui-taxi sweep --cluster tcp://scheduler:8786      on a Dask cluster\n"
        "  tui-taxi --from-sweep s.jsonl                       the app, from the best one",
    )
    grid = sw.add_argument_group("what to search")
    sw.option(
        grid, "--env", metavar="ID", help="the world (default: the agent's: Taxi-v4 for a table)"
    )
    sw.option(
        grid,
        "--env-kwarg",
        action="append",
        type=env_kwarg,
        default=[],
        metavar="NAME=VALUE",
        help="an env keyword argument (repeatable)",
    )
    registered = kinds()
    first = next(iter(registered))
    sw.option(
        grid,
        "--agent",
        choices=tuple(registered),
        default=first,
        help=f"the kind of agent to sweep (default: {first}); "
        + "; ".join(
            f"{name}: its budget in {cls.unit}, varying "
            + ", ".join(flag(p.name) for p in cls.sweep_space)
            for name, cls in registered.items()
        ),
    )
    seen: set[str] = set()
    for name, cls in registered.items():
        for param in cls.sweep_space:
            if param.name in seen:
                continue
            seen.add(param.name)
            owner = "" if name == first else f"{cls.label}: "
            sw.option(
                grid,
                flag(param.name),
                dest="sweep_" + param.name,
                metavar="LIST",
                help=f"{param.name.replace('_', '-')} values, e.g. {owner}{param.example}"
                + ("" if param.choices else "; with --samples or --search tpe, LOW..HIGH"),
            )
    sw.option(
        grid,
        "--samples",
        type=whole(1, 100_000),
        metavar="N",
        help="random search: N configurations drawn from the ranges",
    )
    sw.option(
        grid,
        "--search",
        choices=("grid", "random", "tpe"),
        default=None,
        help="grid: every combination of the lists (the default); random: --samples N draws "
        "(or --trials N); tpe: Optuna's TPE sampler, --trials N configurations each proposed "
        f"from the ones before (needs {_TUNE})",
    )
    sw.option(
        grid,
        "--trials",
        type=whole(1, 100_000),
        metavar="N",
        help="configurations an adaptive (tpe) or random search tries",
    )
    sw.option(
        grid,
        "--prune",
        choices=("median", "hyperband", "none"),
        default="median",
        help="tpe: stop a hopeless configuration between its seeds, by Optuna's median "
        "(default) or Hyperband pruner, or never",
    )
    sw.option(
        grid,
        "--storage",
        metavar="FILE",
        help="tpe: Optuna's journal file (e.g. search.log): a killed search goes on with "
        "--resume, and drivers given the same search and FILE share one study",
    )
    sw.option(
        grid,
        "--sample-seed",
        type=whole(0, MAX_SEED),
        default=0,
        metavar="N",
        help="the seed of the random search's draws, or of the tpe sampler (default: 0)",
    )
    run = sw.add_argument_group("each trial")
    sw.option(
        run,
        "--seeds",
        type=whole(1, 1000),
        default=3,
        metavar="K",
        help="seeds per configuration, 0 to K-1 (default: 3)",
    )
    sw.option(
        run,
        "--episodes",
        type=whole(1, MAX_TRAIN_EPISODES),
        metavar="N",
        help="episodes per trial (default: the world's, 100,000 for Taxi)",
    )
    sw.option(
        run,
        "--steps",
        type=whole(1, MAX_STEPS * 1000),
        metavar="N",
        help="a step budget per trial (with --episodes: whichever comes first)",
    )
    sw.option(
        run,
        "--check-every",
        type=whole(1, MAX_TRAIN_EPISODES),
        metavar="M",
        help="units between optimality checks: episodes, or steps for a kind that counts "
        f"them (default: {CHECK_EVERY['episodes']} episodes, {CHECK_EVERY['steps']:,} steps)",
    )
    sw.option(
        run,
        "--max-steps",
        type=whole(0, MAX_STEPS),
        metavar="N",
        help="time limit per episode; 0 = none (default: the env's)",
    )
    where = sw.add_argument_group("where it runs, where results go")
    sw.option(
        where,
        "--workers",
        type=whole(1, 4096),
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
        help="go on with an interrupted sweep: the trials not in FILE run, and are appended to "
        "it (a tpe search: from its --storage journal, which it needs)",
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
        type=whole(1, 10_000),
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
        choices=METRICS,
        default="to_optimal",
        help="the heatmap's metric (default: to_optimal, the episodes, or a DQN's "
        "steps, until optimal)",
    )
    sw.option(
        out,
        "--curves",
        type=whole(0, 5),
        default=3,
        metavar="K",
        help="learning curves of the best K configurations, 0 for none (default: 3)",
    )
    return {"sweep": run_sweep}


# -- sweep ----------------------------------------------------------------------------------
#: The tutorial's neighbourhood, swept when no parameter is given (gamma: Taxi's only).
DEFAULT_SWEEP = {"alpha": "0.05,0.1,0.2,0.5", "epsilon": "0.05,0.1,0.2"}
TAXI_GAMMAS = "0.6,0.8,0.9"
#: A DQN's smaller default grid (the target network's period is not in it: with a training
#: round every 256 steps, any period under 256 copies the same network once per round).
DEFAULT_DQN_SWEEP = {"learning_rate": "1e-3,2.3e-3", "exploration_fraction": "0.08,0.16"}


def _defining() -> tuple[str, ...]:
    """The options that define a sweep (and so cannot go with --show or --resume)."""
    return (
        "env",
        "env_kwarg",
        "agent",
        *(f"sweep_{n}" for n in all_params()),
        "samples",
        "sample_seed",
        "search",
        "trials",
        "prune",
        "storage",
        "seeds",
        "episodes",
        "steps",
        "check_every",
        "max_steps",
        "out",
    )


def run_sweep(args: argparse.Namespace) -> int:
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
        extra = [_sweep_flag(n) for n in (*_defining(), "resume", "cluster") if n in args.given]
        if extra:
            raise CliError(f"--show prints a results file; drop {', '.join(extra)}")
        spec, records, _ = read_results(args.show)
        if show["heatmap_pair"] is None and sys.stdout.isatty():
            show["heatmap_pair"] = sweeps.most_varied(spec)
        print(sweeps.report(list(records.values()), spec, **show))
        return 0
    if args.resume:
        extra = [_sweep_flag(n) for n in _defining() if n in args.given]
        if extra:
            raise CliError(
                f"--resume goes on with the sweep in {args.resume} as it was "
                f"started; drop {', '.join(extra)}"
            )
        spec, _, _ = read_results(args.resume)
        path = Path(args.resume)
    else:
        if args.out is not None and not args.out.strip():
            raise CliError("--out needs a file name")
        spec = sweep_spec_from_args(args)
        path = Path(
            args.out if args.out is not None else f"sweep-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        )
    if pair is not None:  # a heatmap of parameters the sweep does not vary: say so now
        varied = {name for name, _ in spec.grid}
        missing = [n for n in pair if n not in varied]
        if missing:
            raise CliError(f"--heatmap: the sweep does not vary {missing[0]}")
    try:
        if spec.search:
            from tui_taxi.search import run_search as run

            if not args.resume and spec.storage and path.exists():
                raise CliError(f"{path} exists; --resume {path} goes on with that search")
        else:
            run = sweeps.run_sweep
        records = run(
            spec, path, workers=args.workers, cluster=args.cluster, resume=bool(args.resume)
        )
    except sweeps.SweepInterrupted as exc:
        print(
            f"{PROG}: interrupted: {exc.done} of {exc.total} "
            f"{'configurations' if spec.search else 'trials'} are in {path}; "
            f"'{PROG} sweep --resume {path}' goes on",
            file=sys.stderr,
        )
        return 130
    except sweeps.SweepLost as exc:
        print(
            f"{PROG}: error: {exc.what}; {exc.done} of {exc.total} trials are in {path}; "
            f"'{PROG} sweep --resume {path}' runs the rest",
            file=sys.stderr,
        )
        return 1
    if show["heatmap_pair"] is None and sys.stdout.isatty():  # on a terminal: the two most varied
        show["heatmap_pair"] = sweeps.most_varied(spec)
    print(sweeps.report(records, spec, **show))
    print(
        f"\nresults: {path} ('{PROG} sweep --show {path}' prints this again; "
        f"'{PROG} --from-sweep {path}' opens the app on the best configuration)"
    )
    return 0


def _sweep_flag(name: str) -> str:
    return flag(name.removeprefix("sweep_"))


def _heatmap_pair(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    names = tuple(n.strip().replace("-", "_") for n in text.split(","))
    params = all_params()
    if len(names) != 2 or names[0] == names[1] or not set(names) <= set(params):
        raise CliError(
            f"--heatmap {text!r}: two different parameters of {', '.join(params)}, e.g. alpha,gamma"
        )
    return names


def sweep_spec_from_args(args: argparse.Namespace) -> SweepSpec:
    """The sweep the options describe (the kind's default grid when no parameter is given:
    the tutorial's neighbourhood for a table), its world checked before anything runs."""
    kind = kind_named(args.agent)
    env_id, notice = resolve_env_id(args.env if args.env is not None else kind.default_env)
    if notice:
        print(f"{PROG}: note: {notice}", file=sys.stderr)
    env_kwargs = check_env_kwargs(env_id, args.env_kwarg) if args.env_kwarg else ()
    agent = kind.name
    given = {n: getattr(args, f"sweep_{n}") for n in all_params() if f"sweep_{n}" in args.given}
    wrong = [n for n in given if n not in params_of(agent)]
    if wrong:
        owners = [c for c in kinds().values() if wrong[0] in params_of(c.name)]
        other = (
            f"add --agent {owners[0].name}"
            if owners and agent == next(iter(kinds()))
            else f"the {kind.label}'s are " + ", ".join(flag(n) for n in params_of(agent))
        )
        raise CliError(f"{flag(wrong[0])} is not a {agent} setting; {other}")
    search = args.search or ("random" if args.samples else "grid")
    samples = args.samples or 0
    if search == "grid" and (args.samples or args.trials):
        raise CliError(
            "--search grid runs every combination; --samples and --trials are for "
            "random or tpe search"
        )
    if search == "random":
        if args.samples and args.trials:
            raise CliError("--samples N and --trials N both say how many to draw: give one")
        samples = args.samples or args.trials or 0
        if not samples:
            raise CliError("--search random needs --samples N (or --trials N)")
    if search == "tpe":
        if args.samples:
            raise CliError("--search tpe tries --trials N configurations; drop --samples")
        if not args.trials:
            raise CliError("--search tpe needs --trials N (how many configurations to try)")
    if search != "tpe":
        extra = [o for o, n in (("--storage", "storage"), ("--prune", "prune")) if n in args.given]
        if extra:
            raise CliError(f"{extra[0]} is for --search tpe")
    drawn = search in ("random", "tpe")
    if not given:
        if drawn:
            example = f"{flag(params_of(agent)[0])} LOW..HIGH"
            what = "--samples draws" if args.samples else f"a {search} search draws"
            raise CliError(f"{what} from ranges: give at least one, e.g. {example}")
        given = kind.sweep_defaults(env_id)
    grid = tuple(
        (n, (parse_range if drawn else parse_values)(n, given[n], agent))
        for n in params_of(agent)
        if n in given
    )
    if search == "tpe":
        from tui_taxi.search import import_optuna

        import_optuna()  # (its absence: one line, before anything runs)
    episodes, steps = args.episodes, args.steps
    if kind.unit == STEPS and episodes is not None:
        raise CliError(f"--episodes: a {kind.label} sweep's budget is in steps (--steps N)")
    if episodes is None and steps is None:
        budget = kind.default_budget_of(kind.configure(env_id, env_kwargs))
        episodes, steps = budget.episodes, budget.steps
    check = args.check_every or CHECK_EVERY[kind.unit]
    max_steps = None if args.max_steps is None else (args.max_steps or 0)
    storage = None
    if args.storage is not None:
        if not args.storage.strip():
            raise CliError("--storage needs a file name")
        storage = str(Path(args.storage).resolve())
    return SweepSpec(
        env_id,
        env_kwargs,
        grid,
        samples=samples if search == "random" else 0,
        search="tpe" if search == "tpe" else "",
        n_trials=(args.trials or 0) if search == "tpe" else 0,
        pruner=args.prune,
        storage=storage,
        sample_seed=args.sample_seed,
        seeds=args.seeds,
        episodes=episodes,
        steps=steps,
        check_every=check,
        max_steps=max_steps,
        agent=agent,
    )
