"""The classic Taxi tutorial's training loop vs this project's kernel, side by side in one run.

    python bench/bench_tutorial.py               # the full 100k-episode task (about a minute)
    python bench/bench_tutorial.py --episodes 10000

Both train Q-learning on Taxi with alpha 0.1, gamma 0.6, epsilon 0.1 and no time limit (the
tutorial's ``.env`` strips the TimeLimit wrapper). The tutorial loop is copied faithfully:
``env.step`` plus numpy row operations, Python's ``random`` for exploration. Then, as whole
processes: ``tui-taxi train --episodes 100000`` with a warm JIT cache, and a first run's compile
with an empty cache. Figures only: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

import gymnasium as gym
import numpy as np

from tui_taxi.core.envs import DEFAULT_ENV_ID
from tui_taxi.core.session import Session, TrainConfig


def tutorial(episodes: int, seed: int) -> tuple[float, int, np.ndarray]:
    """The tutorial's loop, modernised only for Gymnasium's 5-tuple step API."""
    random.seed(seed)
    env = gym.make(DEFAULT_ENV_ID).env  # no time limit, as in the tutorial
    env.reset(seed=seed)
    env.action_space.seed(seed)
    q_table = np.zeros([env.observation_space.n, env.action_space.n])
    alpha, gamma, epsilon = 0.1, 0.6, 0.1
    total_steps = 0
    start = time.perf_counter()
    for _ in range(1, episodes + 1):
        state, _ = env.reset()
        epochs, penalties, reward = 0, 0, 0
        terminated = False
        while not terminated:
            if random.uniform(0, 1) < epsilon:
                action = env.action_space.sample()  # explore action space
            else:
                action = np.argmax(q_table[state])  # exploit learned values
            next_state, reward, terminated, truncated, info = env.step(action)
            old_value = q_table[state, action]
            next_max = np.max(q_table[next_state])
            new_value = (1 - alpha) * old_value + alpha * (reward + gamma * next_max)
            q_table[state, action] = new_value
            if reward == -10:
                penalties += 1
            state = next_state
            epochs += 1
        total_steps += epochs
    return time.perf_counter() - start, total_steps, q_table


def project(episodes: int, seed: int, repeats: int = 5) -> tuple[float, int, Session]:
    """Best of ``repeats`` timed runs, after one untimed run (JIT, caches, CPU clock warm-up)."""
    best = float("inf")
    for attempt in range(repeats + 1):
        session = Session(TrainConfig(max_steps=0, seed=seed))
        start = time.perf_counter()
        session.train(episodes=episodes)
        if attempt:
            best = min(best, time.perf_counter() - start)
    return best, session.total_steps, session


def whole_process(args: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tui_taxi", *args], check=True, env=env,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def first_compile() -> float:
    """Seconds to compile the training kernel into an empty cache, in a fresh process."""
    code = (
        "import time; from tui_taxi.core.session import Session, TrainConfig; "
        "from tui_taxi.core.envs import compile_env; m = compile_env('Taxi-v4'); "
        "t = time.perf_counter(); Session(TrainConfig(), model=m).train(episodes=1); "
        "print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run([sys.executable, "-c", code], check=True, env=env,
                             capture_output=True, text=True)  # fmt: skip
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print(f"Q-learning on {DEFAULT_ENV_ID}, {args.episodes:,} episodes, no time limit\n")
    ours_s, ours_steps, session = project(args.episodes, args.seed)
    tut_s, tut_steps, _ = tutorial(args.episodes, args.seed)
    print(f"{'':<22}{'wall (s)':>10}{'steps':>12}{'steps/s':>14}")
    print(f"{'tutorial loop':<22}{tut_s:>10.2f}{tut_steps:>12,}{tut_steps / tut_s:>14,.0f}")
    print(
        f"{'tui_taxi (best of 5)':<22}{ours_s:>10.3f}{ours_steps:>12,}{ours_steps / ours_s:>14,.0f}"
    )
    print(f"\nspeed-up, wall time for the same task: {tut_s / ours_s:,.0f}x")
    print(
        f"speed-up, steps per second:            {(ours_steps / ours_s) / (tut_steps / tut_s):,.0f}x"
    )

    whole_process(["train", "--episodes", "1000", "--no-chart"])  # make sure the cache is warm
    runs = [whole_process(["train", "--episodes", "100000"]) for _ in range(3)]
    print(f"\n'tui-taxi train --episodes 100000', whole process, warm JIT cache: "
          f"{min(runs):.2f} s (best of 3; {', '.join(f'{r:.2f}' for r in runs)})")  # fmt: skip
    compiles = [first_compile() for _ in range(2)]
    print(f"first-run compile of the training kernel (empty cache): "
          f"{min(compiles):.2f} s (best of 2)")  # fmt: skip


if __name__ == "__main__":
    main()
