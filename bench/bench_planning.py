"""Planning's costs, side by side (figures only, no assertions): what one Dyna-Q planning
update costs beside a real Q-learning step, and Q-updates until the greedy policy is optimal on
the Dyna maze, Dyna-Q against prioritized sweeping (Example 8.4: n = 5, alpha 0.5).

    python bench/bench_planning.py [--seeds 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from tui_taxi.core.agent import Budget
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.core.training import goal_for, train

MAZE = "tui_taxi/DynaMaze-v0"


def seconds_per_step(n: int, steps: int = 200_000) -> float:
    config = TrainConfig(env_id=MAZE, learner="dyna-q", planning_steps=n, gamma=0.95, seed=0)
    TabularAgent(config).train(steps=10)  # compiled before the clock
    agent = TabularAgent(config)
    start = time.perf_counter()
    agent.train(steps=steps)
    return (time.perf_counter() - start) / steps


def updates_until_optimal(learner: str, seed: int) -> tuple[int, int]:
    config = TrainConfig(
        env_id=MAZE,
        learner=learner,
        planning_steps=5,
        alpha=0.5,
        epsilon=0.1,
        gamma=0.95,
        seed=seed,
    )
    agent = TabularAgent(config)
    train(agent, Budget(episodes=500), goal=goal_for(agent, every=1))
    return agent.q_updates, agent.total_steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=30)
    args = parser.parse_args()
    base = seconds_per_step(0)
    print(f"Dyna maze, one core: a real step (Q-learning) {base * 1e9:.0f} ns")
    for n in (5, 50):
        cost = (seconds_per_step(n, 50_000) - base) / n
        print(
            f"  with n = {n}: {cost * 1e9:.0f} ns per planning update ({cost / base:.1f}x a step)"
        )
    print(
        f"Q-updates until the greedy policy is optimal, n = 5, alpha 0.5, seeds 0-{args.seeds - 1}:"
    )
    results = {}
    for learner in ("dyna-q", "prioritized-sweeping"):
        runs = [updates_until_optimal(learner, seed) for seed in range(args.seeds)]
        updates = [u for u, _ in runs]
        results[learner] = np.array(updates)
        print(
            f"  {learner:<21} median {statistics.median(updates):>8,.0f} updates "
            f"(quartiles {np.percentile(updates, 25):,.0f}-{np.percentile(updates, 75):,.0f}), "
            f"median {statistics.median(s for _, s in runs):,.0f} real steps"
        )
    ratio = np.median(results["dyna-q"]) / np.median(results["prioritized-sweeping"])
    fewer = (results["prioritized-sweeping"] < results["dyna-q"]).mean()
    print(f"  sweeping: {ratio:.1f}x fewer updates (median); fewer on {fewer:.0%} of the seeds")


if __name__ == "__main__":
    main()
