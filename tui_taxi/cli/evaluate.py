"""``tui-taxi eval`` and ``tui-taxi compare``: a saved agent of any kind evaluated greedily, and
the tutorial's table of the random agent against the trained one beside the exact optimum."""

from __future__ import annotations

import argparse
import math
import sys

from tui_taxi.cli.options import (
    EVAL_EPISODES,
    MAX_EVAL_EPISODES,
    MAX_SEED,
    MAX_STEPS,
    MAX_TRAIN_EPISODES,
    CliError,
    add_agent_options,
    agent_config,
    flag,
    whole,
)
from tui_taxi.cli.report import (
    episode_ends,
    limit_text,
    print_diagnosis,
    print_evaluation,
    print_optimality,
)
from tui_taxi.core.agent import STEPS, Budget, load, new_agent
from tui_taxi.core.episodes import SAFETY_CAP, EvalResult
from tui_taxi.core.evaluate import evaluate, random_gym_episodes
from tui_taxi.core.optimal import scorable, solve, too_large
from tui_taxi.core.training import train
from tui_taxi.progress import ProgressBar

EVAL_HELP = "evaluate a saved agent's greedy policy (tutorial metrics + optimality)"
COMPARE_HELP = "random agent vs trained agent vs the exact optimum, as the tutorial's table"


def add_parsers(command) -> dict:
    ev = command(
        "eval",
        EVAL_HELP,
        "Greedy: the best action in every state, ties broken at random.",
        "example:\n  tui-taxi eval run.npz --episodes 1000 --seed 3",
    )
    ev.add_argument("file", metavar="FILE", help="an agent saved by 'tui-taxi train --save'")
    group = ev.add_argument_group("the evaluation")
    ev.option(
        group,
        "--episodes",
        type=whole(1, MAX_EVAL_EPISODES),
        default=EVAL_EPISODES,
        metavar="N",
        help=f"evaluation episodes, 1 to {MAX_EVAL_EPISODES:,} (default: {EVAL_EPISODES})",
    )
    ev.option(
        group,
        "--max-steps",
        type=whole(0, MAX_STEPS),
        metavar="N",
        help="time limit per episode; 0 = none (default: the agent's)",
    )
    ev.option(
        group,
        "--seed",
        type=whole(0, MAX_SEED, "from 0 to 2**64 - 1"),
        default=0,
        metavar="N",
        help="evaluation seed (default: 0)",
    )
    cmp = command(
        "compare",
        COMPARE_HELP,
        "Without FILE it first trains with the options below (the world's defaults: the "
        "tutorial's for Taxi). Like the tutorial, episodes run without the time limit unless "
        "--time-limit.",
        "examples:\n  tui-taxi compare\n  tui-taxi compare run.npz --time-limit",
    )
    cmp.add_argument(
        "file", metavar="FILE", nargs="?", help="a saved agent (default: train a tabular agent)"
    )
    add_agent_options(cmp, choice=False)
    group = cmp.add_argument_group("the comparison")
    cmp.option(
        group,
        "--train-episodes",
        type=whole(1, MAX_TRAIN_EPISODES),
        metavar="N",
        help="episodes to train when no FILE is given (default: the world's)",
    )
    cmp.option(
        group,
        "--episodes",
        type=whole(1, MAX_EVAL_EPISODES),
        default=EVAL_EPISODES,
        metavar="N",
        help=f"evaluation episodes per agent, 1 to {MAX_EVAL_EPISODES:,} (default: {EVAL_EPISODES})",
    )
    cmp.option(
        group,
        "--time-limit",
        action="store_true",
        default=False,
        help="apply the env's registered time limit during evaluation",
    )
    return {"eval": run_eval, "compare": run_compare}


def _trained(agent) -> str:
    """How much it trained, in its kind's unit."""
    count = agent.total_steps if agent.unit == STEPS else agent.episode
    return f"{count:,} {agent.unit} trained"


def run_eval(args: argparse.Namespace) -> int:
    agent = load(args.file)
    print(
        f"{args.file}: {agent.variant} on {agent.config.env_id}, {_trained(agent)} ({agent.summary()})"
    )
    result = agent.evaluate(args.episodes, seed=args.seed, time_limit=args.max_steps)
    print_evaluation(agent, result)
    print_optimality(agent)
    print_diagnosis(agent)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    unused = [flag(name) for name in (*_CONFIG, "train_episodes") if name in args.given]
    if args.file and unused:
        raise CliError(
            f"{', '.join(unused)}: only for compare without FILE (it trains then); "
            "compare FILE evaluates the agent as saved"
        )
    if args.file:
        agent = load(args.file)
        source = args.file
        if agent.model is None:
            return _compare_continuous(agent, args.episodes)
    else:
        agent = new_agent(agent_config(args))
        budget = (
            Budget(episodes=args.train_episodes) if args.train_episodes else agent.default_budget()
        )
        train(agent, budget, progress=ProgressBar(sys.stderr))
        source = f"trained {agent.episode:,} episodes"
    model = agent.model
    limit = model.max_episode_steps if args.time_limit else 0
    results = [
        evaluate(model, None, policy="random", episodes=args.episodes, time_limit=limit),
        evaluate(model, agent.q_table(), episodes=args.episodes, time_limit=limit),
    ]
    print(_compare_table(results, solve(model) if scorable(model) else None, model.env_id))
    if not scorable(model):
        print(f"(the optimum: not scored: {too_large(model)})")
    print(
        f"\n{args.episodes} episodes per agent, {limit_text(limit)}"
        + ("" if limit else " (as in the tutorial; --time-limit applies the env's)")
        + f"; trained agent: {agent.variant}, {source}."
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
    print_optimality(agent)
    print_diagnosis(agent)
    return 0


#: compare's options of the run it trains without FILE.
_CONFIG = ("env", "env_kwarg", "learner", "alpha", "gamma", "epsilon", "max_steps", "seed")


def _compare_continuous(agent, episodes: int) -> int:
    """A world with continuous observations: the random agent against the greedy agent, each
    episode from a fresh start, the env's time limit."""
    trained = agent.evaluate(episodes)
    config = agent.config
    random = random_gym_episodes(config.env_id, config.env_kwargs, episodes, trained.time_limit)
    word = episode_ends(agent)
    print(f"{'':<14}{'return per episode':>20}{'steps per episode':>19}  {word:>24}")
    for name, r in (("random agent", random), (f"{agent.variant} (greedy)", trained)):
        print(f"{name:<14}{r.mean_return:>20.2f}{r.mean_steps:>19.2f}{r.success_rate:>26.1%}")
    print(f"\n{episodes} episodes per agent, {limit_text(trained.time_limit)}; {_trained(agent)}.")
    return 0


def _compare_table(results: list[EvalResult], optimum, env_id: str) -> str:
    random_r, trained = results
    nan = math.nan  # (a world too large to score: no optimum)
    rows = [
        (
            "average timesteps per episode",
            random_r.mean_steps,
            trained.mean_steps,
            nan if optimum is None else optimum.mean_steps,
            "{:.2f}",
        ),
        (
            "average penalties per episode",
            random_r.mean_penalties,
            trained.mean_penalties,
            nan if optimum is None else optimum.mean_penalties,
            "{:.2f}",
        ),
        (
            "average reward per move",
            random_r.reward_per_move,
            trained.reward_per_move,
            nan if optimum is None else optimum.mean_return / optimum.mean_steps,
            "{:.3f}",
        ),
        (
            "success rate",
            random_r.success_rate,
            trained.success_rate,
            nan if optimum is None else optimum.success_rate,
            "{:.1%}",
        ),
    ]
    header = ("measure", "random agent", "trained agent", "optimum (exact)")
    cells = [header] + [
        (name, *("—" if math.isnan(v) else fmt.format(v) for v in vals))
        for name, *vals, fmt in rows
    ]
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
