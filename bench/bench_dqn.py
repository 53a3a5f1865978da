"""Time to solve CartPole-v1 with the DQN defaults, per seed (figures only, no assertions).

Solved: the greedy policy's mean return over 100 evaluation episodes (its own generator stream)
reaches 475, the env's reward threshold. The policy is checked every CHECK steps; the time to
solve is the training wall time up to that check (evaluation time excluded). Then, when
stable-baselines3 is importable (an optional extra, not a dependency), SB3's DQN with rl-zoo3's
CartPole-v1 settings on the same seeds, one torch thread, side by side.

    python bench/bench_dqn.py [--seeds 10] [--budget 100000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import DQNConfig

THRESHOLD = 475.0
CHECK = 2_500


def solve_time(seed: int, budget: int) -> tuple[float | None, int | None, float, float]:
    """(seconds to solve or None, steps then, final greedy mean, steps per second)."""
    agent = DQNAgent(DQNConfig(seed=seed))
    agent.train(steps=1)  # compiled (numba's cache) before the clock starts
    agent = DQNAgent(DQNConfig(seed=seed))
    trained = 0.0
    solved: tuple[float, int] | None = None
    mean = 0.0
    while agent.total_steps < budget:
        start = time.perf_counter()
        agent.train(steps=CHECK)
        trained += time.perf_counter() - start
        mean = agent.evaluate(100).mean_return
        if mean >= THRESHOLD and solved is None:
            solved = (trained, agent.total_steps)
            break
    rate = agent.total_steps / trained
    return (solved[0] if solved else None, solved[1] if solved else None, mean, rate)


def ours_run(seed: int, steps: int, hidden: tuple[int, ...]) -> tuple[float, float]:
    """(seconds for ``steps`` steps, final greedy mean over 100 episodes) with the defaults but
    for ``hidden``."""
    DQNAgent(DQNConfig(seed=seed, hidden=hidden)).train(steps=1)  # compiled before the clock
    agent = DQNAgent(DQNConfig(seed=seed, hidden=hidden, total_timesteps=steps))
    start = time.perf_counter()
    agent.train(steps=steps)
    seconds = time.perf_counter() - start
    return seconds, agent.evaluate(100).mean_return


def sb3_run(seed: int, steps: int) -> tuple[float, float] | None:
    """SB3's DQN with rl-zoo3's CartPole-v1 settings (the defaults here but for two layers of
    256), one torch thread: (seconds for ``steps`` steps, final greedy mean over 100 episodes)."""
    try:
        import gymnasium as gym
        import torch
        from stable_baselines3 import DQN
        from stable_baselines3.common.evaluation import evaluate_policy
    except ImportError:
        return None
    torch.set_num_threads(1)
    env = gym.make("CartPole-v1")
    model = DQN(
        "MlpPolicy",
        env,
        learning_rate=2.3e-3,
        batch_size=64,
        buffer_size=100_000,
        learning_starts=1000,
        gamma=0.99,
        target_update_interval=10,
        train_freq=256,
        gradient_steps=128,
        exploration_fraction=0.16,
        exploration_final_eps=0.04,
        policy_kwargs={"net_arch": [256, 256]},
        seed=seed,
        verbose=0,
    )
    start = time.perf_counter()
    model.learn(steps)
    seconds = time.perf_counter() - start
    mean, _ = evaluate_policy(model, gym.make("CartPole-v1"), n_eval_episodes=100)
    return seconds, float(mean)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100_000)
    parser.add_argument(
        "--side-seeds", type=int, default=3, help="seeds of the side-by-side 50k-step runs with SB3"
    )
    args = parser.parse_args()
    times = []
    print(
        f"DQN defaults on CartPole-v1: solved = greedy mean >= {THRESHOLD:g} over 100 "
        f"episodes, checked every {CHECK:,} steps, budget {args.budget:,} steps"
    )
    for seed in range(args.seeds):
        seconds, steps, mean, rate = solve_time(seed, args.budget)
        shown = f"solved in {seconds:5.1f} s at {steps:,} steps" if seconds else "not solved"
        print(
            f"  seed {seed}: {shown:<34} greedy mean {mean:6.1f}  {rate:,.0f} steps/s", flush=True
        )
        if seconds is not None:
            times.append(seconds)
    print(
        f"solved {len(times)}/{args.seeds} seeds; median time to solve "
        f"{statistics.median(times) if times else float('nan'):.1f} s (goal: >= 9 of 10, "
        "median < 20 s)"
    )
    if sb3_run(0, 1) is None:
        print(
            "stable-baselines3 not importable: no side-by-side run "
            "(pip install torch==2.13.0 stable-baselines3)"
        )
        return
    steps = 50_000
    print(
        f"Side by side, {steps:,} steps each, the same seeds, rl-zoo3's CartPole-v1 settings "
        "(one core, one torch thread); then the greedy mean over 100 episodes:"
    )
    rows = {"SB3 DQN (256,256)": [], "tui-taxi (256,256)": [], "tui-taxi defaults (64,64)": []}
    for seed in range(args.side_seeds):
        runs = (
            sb3_run(seed, steps),
            ours_run(seed, steps, (256, 256)),
            ours_run(seed, steps, (64, 64)),
        )
        for (name, row), (seconds, mean) in zip(rows.items(), runs, strict=True):
            row.append(seconds)
            print(
                f"  seed {seed}: {name:<26} {seconds:6.1f} s  greedy mean {mean:6.1f}", flush=True
            )
    medians = {name: statistics.median(row) for name, row in rows.items()}
    sb3 = medians["SB3 DQN (256,256)"]
    for name, median in medians.items():
        print(f"{name:<27} median {median:6.1f} s per run; SB3 / this {sb3 / median:4.2f}x")


if __name__ == "__main__":
    main()
