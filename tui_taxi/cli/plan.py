"""``tui-taxi plan``: dynamic programming headless on a world's transition model (policy
evaluation of the equiprobable random policy, policy iteration, value iteration), printing the
value grid to two decimals, the greedy arrows (every tie), the sweeps, each sweep's Delta and
the backups, as ``train`` prints a run."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from tui_taxi.cli.options import MAX_STEPS, env_kwarg, number, whole
from tui_taxi.core.envs import CompiledEnv, check_env_kwargs, compile_env, resolve_env_id
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.planning import METHODS, PlanResult, plan
from tui_taxi.core.planning.dp import absorbing_states
from tui_taxi.core.worlds import ARROWS, JACKS_CAR_RENTAL_ID, SMALL_GRIDWORLD_ID

NAME = "plan"
HELP = "plan with the world's model: policy evaluation, policy iteration, value iteration"
#: How the text grids mark cells where no action is taken, by kind.
MARKS = {"G": "G", "H": "○", "C": "▒", "W": "█"}
#: Deltas printed in full up to this many sweeps; beyond, the first and last few.
SHOWN_DELTAS = 8


def _positive(text: str) -> float:
    value = number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def add_parsers(command) -> dict:
    parser = command(
        NAME,
        HELP,
        "A backup is one state's update: each action's sum over its successors of "
        "p(s'|s,a) [r + gamma V(s')], then the policy's average (evaluation) or the max "
        "(value iteration). Sweeps are synchronous (each from the last sweep's values, as the "
        "book's Figure 4.1) unless --in-place. Greedy arrows keep every tie.",
        "examples:\n"
        "  tui-taxi plan                                   Figure 4.1 at convergence\n"
        "  tui-taxi plan --sweeps 3                        ... after three sweeps\n"
        "  tui-taxi plan --method value-iteration --env FrozenLake-v1 --gamma 0.9\n"
        "  tui-taxi plan --method policy-iteration --in-place --theta 1e-6",
    )
    group = parser.add_argument_group("the planner")
    parser.option(
        group,
        "--method",
        choices=METHODS,
        default="policy-evaluation",
        help="policy-evaluation (of the equiprobable random policy), policy-iteration or "
        "value-iteration (default: policy-evaluation)",
    )
    parser.option(
        group,
        "--env",
        metavar="ID",
        default=SMALL_GRIDWORLD_ID,
        help=f"a world with a transition model (default: {SMALL_GRIDWORLD_ID}, Example 4.1)",
    )
    parser.option(
        group,
        "--env-kwarg",
        action="append",
        type=env_kwarg,
        default=[],
        metavar="NAME=VALUE",
        help="a keyword argument of the env's constructor, repeatable",
    )
    parser.option(
        group,
        "--gamma",
        type=number,
        metavar="G",
        help="discount, in [0, 1] (default: the world's, as train's: 1 for the small gridworld, "
        "0.9 for Jack's car rental)",
    )
    parser.option(
        group,
        "--sweeps",
        type=whole(0, MAX_STEPS),
        metavar="K",
        help="exactly K sweeps (default: until a sweep's Delta is below theta)",
    )
    parser.option(
        group,
        "--theta",
        type=_positive,
        default=1e-4,
        metavar="T",
        help="stop when a sweep changes no value by theta or more (default: 0.0001)",
    )
    parser.option(
        group,
        "--until-optimal",
        action="store_true",
        default=False,
        help="stop at the first sweep whose greedy policy is optimal from every start",
    )
    parser.option(
        group,
        "--against-learning",
        action="store_true",
        default=False,
        help="also train the world's default learner (Q-learning with its alpha and epsilon, "
        "this gamma) until its greedy policy is optimal from every start, and set its "
        "environment samples beside the planner's backups",
    )
    parser.option(
        group,
        "--in-place",
        action="store_true",
        default=False,
        help="update each state from the values as they are (fewer sweeps), in state order",
    )
    return {NAME: run}


def run(args: argparse.Namespace) -> int:
    env_id, _ = resolve_env_id(args.env)
    kwargs = check_env_kwargs(env_id, dict(args.env_kwarg))
    model = compile_env(env_id, kwargs)
    if args.gamma is None:
        from tui_taxi.core.tabular.defaults import defaults_for

        args.gamma = defaults_for(env_id, kwargs)["gamma"]
    if not 0.0 <= args.gamma <= 1.0:
        raise ConfigError(f"gamma must be in [0, 1], got {args.gamma:g}")
    result = plan(
        model,
        args.method,
        gamma=args.gamma,
        theta=args.theta,
        sweeps=args.sweeps,
        in_place=args.in_place,
        until_optimal=args.until_optimal,
    )
    out = sys.stdout
    sweeps = "in-place" if args.in_place else "synchronous"
    print(
        f"{args.method.replace('-', ' ')} on {env_id} ({model.n_states} states, "
        f"{model.n_actions} actions), gamma {args.gamma:g}, {sweeps} sweeps",
        file=out,
    )
    print(_progress(result, args.theta, args.sweeps is not None), file=out)
    if result.optimal_at is not None:
        k, backups = result.optimal_at
        print(
            f"greedy policy optimal from every start after sweep {k:,} ({backups:,} backups)",
            file=out,
        )
    if model.grid is not None:
        print("V(s), two decimals:", file=out)
        print(value_grid(model, result.v), file=out)
        print(
            "greedy actions (every tie; G a goal, ○ a hole, ▒ a cliff, █ a wall, ■ an end):",
            file=out,
        )
        print(arrow_grid(model, result.greedy), file=out)
    elif env_id == JACKS_CAR_RENTAL_ID:
        print(
            "the greedy policy: cars moved overnight from the first location to the second",
            file=out,
        )
        print(jack_map(result.greedy), file=out)
        print(f"V(s) from {result.v.min():.2f} to {result.v.max():.2f}", file=out)
    else:
        starts = result.v[model.start_states]
        print(
            f"V(s) over the {len(starts)} start states: mean {starts.mean():.2f}, "
            f"min {starts.min():.2f}, max {starts.max():.2f} (no grid to draw)",
            file=out,
        )
    if args.against_learning:
        _against_learning(model, args.gamma, result, out)
    return 0


#: Episodes the learner may take to reach the optimum beside a planner, at most.
LEARNING_BUDGET = 1_000_000


def _against_learning(model: CompiledEnv, gamma: float, result: PlanResult, out) -> None:
    """The world's default learner until optimal from every start (checked every 10 episodes),
    its samples beside the planner's backups."""
    from tui_taxi.core.agent import Budget
    from tui_taxi.core.tabular import TabularAgent
    from tui_taxi.core.tabular.defaults import config_for
    from tui_taxi.core.training import goal_for, train

    config = config_for(model.env_id, model.env_kwargs, gamma=gamma)
    agent = TabularAgent(config, model=model)
    goal = goal_for(agent, every=10)
    if goal is None:
        print("planning against learning: this world is too large to score", file=out)
        return
    run = train(agent, Budget(episodes=LEARNING_BUDGET), goal=goal)
    print(
        "planning against learning (until the greedy policy is optimal from every start):", file=out
    )
    planned = (
        f"{result.optimal_at[1]:,} backups ({result.optimal_at[0]:,} sweeps), each reading "
        "the model's every outcome"
        if result.optimal_at is not None
        else "not optimal within its sweeps"
    )
    print(f"  {result.method:<18} {planned}", file=out)
    settings = f"alpha {config.alpha.describe()}, epsilon {config.epsilon.describe()}"
    if run.reached is not None:
        episodes, steps, _ = run.reached
        learnt = f"{steps:,} environment samples ({episodes:,} episodes; {settings})"
    else:
        learnt = f"not optimal within {LEARNING_BUDGET:,} episodes ({settings})"
    print(f"  {config.learner:<18} {learnt}, checked every 10 episodes", file=out)


def _progress(result: PlanResult, theta: float, fixed: bool) -> str:
    deltas = result.deltas
    if len(deltas) <= SHOWN_DELTAS:
        shown = ", ".join(f"{d:.4g}" for d in deltas)
    else:
        head, tail = deltas[:3], deltas[-3:]
        shown = ", ".join(f"{d:.4g}" for d in head) + ", …, " + ", ".join(f"{d:.4g}" for d in tail)
    if result.method == "policy-iteration":
        how = f"{len(result.policies)} policies" + (
            " (the last stable)" if result.converged else " (not stable yet)"
        )
    elif fixed:
        how = "Delta below theta" if result.converged else f"Delta not below theta {theta:g} yet"
    else:
        how = "converged" if result.converged else "not converged"
    return (
        f"{result.sweeps:,} sweeps, {result.backups:,} backups; {how}\n"
        f"Delta per sweep: {shown or '—'}"
    )


def value_grid(model: CompiledEnv, v: np.ndarray) -> str:
    """V(s) to two decimals; cells never a state of an episode (cliff, wall) marked instead."""
    grid = model.grid
    width = max(len(f"{x:.2f}") for x in v) + 1

    def cell(s: int) -> str:
        kind = grid.kind(*grid.cell(s))
        return MARKS[kind] if kind in "CW" else f"{v[s]:.2f}"

    return "\n".join(
        " ".join(f"{cell(r * grid.n_cols + c):>{width}}" for c in range(grid.n_cols))
        for r in range(grid.n_rows)
    )


def arrow_grid(model: CompiledEnv, greedy: np.ndarray) -> str:
    rows, cols = model.grid.n_rows, model.grid.n_cols
    terminal = absorbing_states(model)
    cells = []
    for s in range(model.n_states):
        kind = model.grid.kind(*model.grid.cell(s))
        if kind in MARKS:  # a goal, a hole, a cliff or a wall: no action taken there
            cells.append(MARKS[kind])
        elif terminal[s]:  # (the small gridworld's corners)
            cells.append("■")
        else:
            names = [model.action_names[a] for a in np.flatnonzero(greedy[s])]
            cells.append("".join(ARROWS.get(name, "?") for name in names))
    width = max(len(c) for c in cells) + 1
    return "\n".join(
        " ".join(f"{cells[r * cols + c]:>{width}}" for c in range(cols)) for r in range(rows)
    )


def jack_map(greedy: np.ndarray) -> str:
    """Jack's greedy moves (-5..5) as a map: the cars at the first location up (20 at the top),
    at the second across, as the book's Figure 4.2 (ties: the smallest move)."""
    moves = (greedy.argmax(axis=1) - 5).reshape(21, 21)
    lines = ["(as Figure 4.2 maps it: the first location's cars up, the second's across)"]
    for n1 in range(20, -1, -1):
        lines.append(f"{n1:>3} " + "".join(f"{m:>3}" for m in moves[n1]))
    lines.append("    " + "".join(f"{n2:>3}" for n2 in range(21)))
    return "\n".join(lines)
