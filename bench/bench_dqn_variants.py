"""DQN's refinements side by side on one env: plain, Double, dueling, prioritized replay,
3-step returns, and all of them together, the same seeds, settings and check (figures only, no
assertions). Solved: the greedy mean over 100 episodes at the env's reward threshold, checked
every 2,500 steps, as ``tui-taxi train`` checks it; "greedy" is the median over seeds of the
last check's mean (the solving one, or the budget's last).

    python bench/bench_dqn_variants.py [--env CartPole-v1] [--seeds 10] [--budget 100000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from tui_taxi.core.agent import Budget
from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import config_for
from tui_taxi.core.training import goal_for, train

#: Each from one-step DQN (the defaults take 3-step returns: the "3-step" row).
VARIANTS = {
    "plain": {"n_step": 1},
    "double": {"double": True, "n_step": 1},
    "dueling": {"dueling": True, "n_step": 1},
    "double + dueling": {"double": True, "dueling": True, "n_step": 1},
    "prioritized": {"prioritized": True, "n_step": 1},
    "3-step": {"n_step": 3},
    "all": {"double": True, "dueling": True, "prioritized": True, "n_step": 3},
}


def run(env_id: str, seed: int, budget: int, changes: dict) -> tuple[int | None, float, float]:
    """(steps when solved or None, training seconds, the last check's greedy mean)."""
    config = config_for(env_id, seed=seed, total_timesteps=budget, **changes)
    DQNAgent(config).train(steps=1)  # compiled (numba's cache) before the clock
    agent = DQNAgent(config)
    start = time.perf_counter()
    result = train(agent, Budget(steps=budget), goal=goal_for(agent), seconds=1.0)
    seconds = time.perf_counter() - start
    reached = result.reached[1] if result.reached else None
    figure = result.last_check[1] if result.last_check else float("nan")
    return reached, seconds, figure


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", default="CartPole-v1")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100_000)
    parser.add_argument("--only", default="", help="comma-separated variants (default: all)")
    args = parser.parse_args()
    chosen = {
        name: changes
        for name, changes in VARIANTS.items()
        if not args.only or name in args.only.split(",")
    }
    print(
        f"{args.env}, seeds 0-{args.seeds - 1}, budget {args.budget:,} steps; solved = greedy "
        "mean over 100 episodes at the reward threshold, checked every 2,500 steps "
        "(seconds include the checks)"
    )
    print(
        f"{'variant':<18} {'solved':>6} {'median steps':>13} {'median s':>9} {'greedy':>8}"
        "  steps per seed"
    )
    for name, changes in chosen.items():
        runs = [run(args.env, seed, args.budget, changes) for seed in range(args.seeds)]
        solved = [r for r in runs if r[0] is not None]
        steps = statistics.median(r[0] for r in solved) if solved else float("nan")
        seconds = statistics.median(r[1] for r in solved) if solved else float("nan")
        greedy = statistics.median(r[2] for r in runs)
        per_seed = " ".join(f"{r[0] / 1000:g}k" if r[0] else "-" for r in runs)
        print(
            f"{name:<18} {len(solved):>3}/{len(runs):<2} {steps:>13,.0f} {seconds:>9.1f} "
            f"{greedy:>8.1f}  {per_seed}",
            flush=True,
        )


if __name__ == "__main__":
    main()
