"""Steps and time to solve CartPole-v1 with the DQN defaults, per seed, and Stable-Baselines3's DQN
with the same settings, network and check side by side (figures only, no assertions).

Solved: the greedy policy's mean return over 100 evaluation episodes reaches 475, the env's
reward threshold, checked every CHECK steps; the time to solve is the training wall time up to
that check (evaluation time excluded), on one core. When stable-baselines3 is importable (a
separate venv: ``pip install torch==2.13.0 stable-baselines3``; never a dependency), its DQN
runs the same seeds with the same settings (rl-zoo3's CartPole-v1 ones with this project's two
layers of 64 and 100,000-step budget, so epsilon falls over the same 8,000 steps), one torch
thread, and the same check (SB3's ``evaluate_policy``, 100 deterministic episodes).

    python bench/bench_dqn.py [--seeds 10] [--budget 100000] [--sb3-seeds 10] [--n-step N]

``--n-step`` sets both (SB3's ``n_steps``, its n-step replay buffer since version 2.6: the same
returns, cut at episode ends and at the newest transition).
"""

from __future__ import annotations

import argparse
import statistics
import time

from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import DQNConfig

THRESHOLD = 475.0
CHECK = 2_500


def ours(seed: int, budget: int, changes: dict) -> tuple[int | None, float, float, float]:
    """(steps when solved or None, training seconds until then, final greedy mean, steps/s)."""
    config = DQNConfig(seed=seed, total_timesteps=budget, **changes)
    DQNAgent(config).train(steps=1)  # compiled (numba's cache) before the clock
    agent = DQNAgent(config)
    trained, mean = 0.0, 0.0
    while agent.total_steps < budget:
        start = time.perf_counter()
        agent.train(steps=CHECK)
        trained += time.perf_counter() - start
        mean = agent.evaluate(100).mean_return
        if mean >= THRESHOLD:
            return agent.total_steps, trained, mean, agent.total_steps / trained
    return None, trained, mean, agent.total_steps / trained


def sb3(seed: int, budget: int, changes: dict) -> tuple[int | None, float, float, float] | None:
    """The same for SB3's DQN, or None when it is not importable."""
    try:
        import gymnasium as gym
        import torch
        from stable_baselines3 import DQN
        from stable_baselines3.common.callbacks import BaseCallback
        from stable_baselines3.common.evaluation import evaluate_policy
        from stable_baselines3.common.monitor import Monitor
    except ImportError:
        return None
    torch.set_num_threads(1)
    c = DQNConfig(**changes)
    model = DQN(
        "MlpPolicy",
        gym.make("CartPole-v1"),
        learning_rate=c.learning_rate,
        batch_size=c.batch_size,
        buffer_size=c.buffer_size,
        learning_starts=c.learning_starts,
        gamma=c.gamma,
        target_update_interval=c.target_network_frequency,
        train_freq=c.train_frequency,
        gradient_steps=c.gradient_steps,
        exploration_fraction=c.exploration_fraction,
        exploration_initial_eps=c.start_e,
        exploration_final_eps=c.end_e,
        max_grad_norm=c.max_grad_norm,
        policy_kwargs={"net_arch": list(c.hidden)},
        n_steps=c.n_step,
        seed=seed,
        verbose=0,
    )
    eval_env = Monitor(gym.make("CartPole-v1"))
    eval_env.reset(seed=10_000 + seed)

    class Check(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.solved_at: int | None = None
            self.mean = 0.0
            self.evaluating = 0.0

        def _on_step(self) -> bool:
            if self.num_timesteps % CHECK:
                return True
            start = time.perf_counter()
            self.mean, _ = evaluate_policy(self.model, eval_env, n_eval_episodes=100)
            self.evaluating += time.perf_counter() - start
            if self.mean >= THRESHOLD:
                self.solved_at = self.num_timesteps
                return False
            return True

    check = Check()
    start = time.perf_counter()
    model.learn(budget, callback=check)
    trained = time.perf_counter() - start - check.evaluating
    steps = check.solved_at or budget
    return check.solved_at, trained, float(check.mean), steps / trained


def _summary(name: str, runs: list) -> tuple[float, float, float]:
    solved = [r for r in runs if r[0] is not None]
    budget_steps = [r[0] if r[0] is not None else float("nan") for r in runs]
    steps = statistics.median(s for s in budget_steps if s == s) if solved else float("nan")
    seconds = statistics.median(r[1] for r in solved) if solved else float("nan")
    rate = statistics.median(r[3] for r in runs)
    print(
        f"{name}: solved {len(solved)}/{len(runs)}; median of the solved: {steps:,.0f} steps, "
        f"{seconds:.1f} s; median {rate:,.0f} steps/s"
    )
    return steps, seconds, rate


def _row(seed: int, run) -> str:
    steps, seconds, mean, rate = run
    shown = f"solved at {steps:>6,} steps in {seconds:5.1f} s" if steps else "not solved"
    return f"  seed {seed}: {shown:<36} greedy {mean:6.1f}  {rate:7,.0f} steps/s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100_000)
    parser.add_argument("--sb3-seeds", type=int, default=10, help="SB3's seeds (0: none)")
    parser.add_argument("--n-step", type=int, default=None, help="n-step returns (both)")
    parser.add_argument("--sb3-only", action="store_true", help="SB3's seeds alone")
    args = parser.parse_args()
    changes = {} if args.n_step is None else {"n_step": args.n_step}
    n_step = DQNConfig(**changes).n_step
    print(
        f"DQN defaults on CartPole-v1 ({n_step}-step returns): solved = greedy mean >= {THRESHOLD:g} over 100 "
        f"episodes, checked every {CHECK:,} steps, budget {args.budget:,} steps, one core"
    )
    runs = []
    for seed in range(0 if args.sb3_only else args.seeds):
        runs.append(ours(seed, args.budget, changes))
        print(_row(seed, runs[-1]), flush=True)
    mine = _summary("tui-taxi", runs) if runs else None
    if not args.sb3_seeds or sb3(0, 1, changes) is None:
        print(
            "stable-baselines3 not importable: no side-by-side run "
            "(pip install torch==2.13.0 stable-baselines3, in a separate venv)"
        )
        return
    print("Stable-Baselines3's DQN, the same settings, network (64, 64) and check:")
    theirs_runs = []
    for seed in range(args.sb3_seeds):
        theirs_runs.append(sb3(seed, args.budget, changes))
        print(_row(seed, theirs_runs[-1]), flush=True)
    theirs = _summary("SB3", theirs_runs)
    if mine is None:
        return
    print(
        f"tui-taxi against SB3: {mine[0] / theirs[0]:.2f}x the steps to solve (median), "
        f"{mine[2] / theirs[2]:.1f}x the steps per second, {theirs[1] / mine[1]:.1f}x "
        "sooner in time to solve"
    )


if __name__ == "__main__":
    main()
