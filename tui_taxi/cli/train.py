"""``tui-taxi train``: train an agent of any kind headless (the one training loop, with a progress
bar), print its learning curves, its greedy evaluation and how close it is to the optimum, and
save it."""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from tui_taxi.charts import CHART_NAMES
from tui_taxi.cli.options import (
    EVAL_EPISODES,
    MAX_TRAIN_EPISODES,
    MAX_TRAIN_STEPS,
    CliError,
    add_agent_options,
    agent_config,
)
from tui_taxi.cli.report import print_diagnosis, print_evaluation, print_optimality
from tui_taxi.core.agent import STEPS, Budget, kind_of, kinds, new_agent
from tui_taxi.core.archive import check_save_target
from tui_taxi.core.episodes import RECENT
from tui_taxi.core.training import CHECK_EVERY, train
from tui_taxi.core.worlds import DEFAULT_CHARTS
from tui_taxi.progress import ProgressBar

NAME = "train"
HELP = "train an agent headless, show its learning curve and how close it is to optimal"
_PLOT_HELP = (
    "return (per episode), steps (episode length), penalties, staircase (episodes completed "
    "against time steps, the book's Figure 6.3)"
)


def _plots(text: str) -> list[str]:
    names = [name.strip().lower() for name in text.split(",")]
    for name in names:
        if name not in CHART_NAMES:
            raise argparse.ArgumentTypeError(
                f"{name or text!r} is not a chart; choose from {', '.join(CHART_NAMES)}"
            )
    return names


def add_parsers(command) -> dict:
    from tui_taxi.core.tabular.defaults import describe_defaults

    train = command(
        NAME,
        HELP,
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
    add_agent_options(train, budget_steps=True)
    run = train.add_argument_group("the run")
    train.option(
        run,
        "--episodes",
        type=_whole(1, MAX_TRAIN_EPISODES),
        metavar="N",
        help=f"episodes to train, 1 to {MAX_TRAIN_EPISODES:,}; 1e6 style is fine "
        f"(default: a table's world's: {describe_defaults('episodes')}; none with --steps "
        "alone)",
    )
    train.option(
        run,
        "--steps",
        type=_whole(1, MAX_TRAIN_STEPS),
        metavar="N",
        help=f"time steps to train, 1 to {MAX_TRAIN_STEPS:,}, as the book's plots count them; "
        "with --episodes too, training stops at whichever budget runs out first",
    )
    train.option(
        run,
        "--stop-when-solved",
        action=argparse.BooleanOptionalAction,
        help=f"every {CHECK_EVERY[STEPS]:,} steps (a table: {CHECK_EVERY['episodes']} episodes), "
        "check the greedy policy and stop once it reaches its goal: the env's reward threshold "
        f"over {EVAL_EPISODES} episodes (CartPole-v1: 475), as bench/bench_dqn.py counts a "
        "solve, or optimal from every start state where the exact optimum is known (default: "
        + ", ".join(
            f"{'stop' if cls.stop_at_goal else 'train the whole budget'} for --agent {name}"
            for name, cls in kinds().items()
        )
        + "; a DQN can unlearn after it)",
    )
    train.option(
        run,
        "--save",
        metavar="FILE",
        help="save the agent to FILE (.npz); checked before training starts",
    )
    train.option(
        run,
        "--save-buffer",
        action="store_true",
        default=False,
        help="with --save and --agent dqn: the replay buffer too (exact resumption; larger)",
    )
    train.option(
        run,
        "--plot",
        action="append",
        type=_plots,
        default=[],
        metavar="CHART",
        help=f"the charts to print at the end, repeatable or a comma list: {_PLOT_HELP} "
        "(default: return)",
    )
    train.option(run, "--no-chart", action="store_true", default=False, help="print no chart")
    return {NAME: run_train}


def _whole(low: int, high: int):
    from tui_taxi.cli.options import whole

    return whole(low, high)


def run_train(args: argparse.Namespace) -> int:
    if args.no_chart and args.plot:
        raise CliError("--plot and --no-chart contradict each other; give one")
    if "total_timesteps" in args.given:  # one step budget, two names
        if args.steps is not None and args.steps != args.total_timesteps:
            raise CliError(
                f"--steps {args.steps:,} and --total-timesteps {args.total_timesteps:,} are "
                "the same budget; give one"
            )
        args.steps = args.total_timesteps
        args.given -= {"total_timesteps"}
    config = agent_config(args, steps=args.steps)
    kind = kind_of(config)
    if args.save_buffer and (args.save is None or "buffer" not in kind.save_options):
        owners = [name for name, cls in kinds().items() if "buffer" in cls.save_options]
        raise CliError(f"--save-buffer goes with --agent {', '.join(owners)} and --save FILE")
    if kind.unit == STEPS and args.episodes is not None:
        raise CliError(f"--episodes: a {kind.label}'s budget is in steps (--total-timesteps N)")
    if args.save is not None:
        check_save_target(args.save)  # fail before training, not after ('' included)
    agent = new_agent(config)
    budget = (
        Budget(args.episodes, args.steps)
        if args.episodes is not None or args.steps is not None
        else agent.default_budget()
    )
    stop = kind.stop_at_goal if args.stop_when_solved is None else args.stop_when_solved
    goal = agent.goal() if stop else None
    progress = ProgressBar(sys.stderr)
    run = train(agent, budget, goal=goal, progress=progress)
    seconds = run.elapsed
    if not args.no_chart:
        default = DEFAULT_CHARTS.get(agent.config.env_id, "return")
        _print_charts(agent, args.plot or [[default]])
    rate = agent.total_steps / seconds if seconds > 0 else math.inf
    speed = f"{rate / 1e6:.1f}M steps/s" if rate >= 1e6 else f"{rate:,.0f} steps/s"
    print(
        f"trained {agent.variant} on {config.env_id} for {agent.trained()} in "
        f"{seconds:.2f} s: {speed}"
    )
    print(f"settings: {agent.summary()}")
    recent = min(RECENT, agent.history.episodes)
    print(f"mean return of the last {recent:,} episodes: {agent.history.recent_mean_return():.2f}")
    if run.reached is not None:
        print(
            f"{goal.what} at {run.reached[1]:,} steps: {goal.explain(run.reached[2])}; stopped "
            "there (--no-stop-when-solved trains the whole budget)"
        )
    elif goal is not None and run.last_check is None:
        print(
            f"not checked: the first check of the greedy policy comes at {goal.every:,} "
            f"{kind.unit} (the evaluation below says how far it got)"
        )
    elif goal is not None:
        print(
            f"not {goal.what}: no check (every {goal.every:,} {kind.unit}) found it; a longer "
            "run: --total-timesteps N"
        )
    if kind.unit == STEPS:  # a table's figures are all in its optimality report
        print_evaluation(agent, agent.evaluate(EVAL_EPISODES))
    print_optimality(agent)
    print_diagnosis(agent)
    if args.save is not None:
        options = {"buffer": True} if args.save_buffer else {}
        print(f"saved to {agent.save(args.save, **options)}")
    return 0


def _print_charts(agent, plots: list[list[str]]) -> None:
    from tui_taxi.charts import learning_curve, use_color

    color = use_color(sys.stdout)
    for name in dict.fromkeys(name for names in plots for name in names):
        print(learning_curve(agent.history, metric=CHART_NAMES[name], color=color))
    means = agent.history.means()
    if not len(means["episode"]):
        return
    time_step = np.cumsum(means["episodic_length"] * agent.history.counts())
    for name, title, values in agent.chart_extras(means, time_step):
        if name in agent.train_charts:  # the kind's own, printed by default (a network's loss)
            label = name.split("_")[-1]
            print(
                learning_curve(agent.history, color=color, label=label, title=title, values=values)
            )
