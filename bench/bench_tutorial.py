"""The classic Taxi tutorial's training loop vs this project's kernel vs a plain C loop, side by side.

    python bench/bench_tutorial.py               # the full 100k-episode task (about a minute)
    python bench/bench_tutorial.py --episodes 10000

All train Q-learning on Taxi with alpha 0.1, gamma 0.6, epsilon 0.1 and no time limit (the
tutorial's ``.env`` strips the TimeLimit wrapper). The tutorial loop is copied faithfully:
``env.step`` plus numpy row operations, Python's ``random`` for exploration. The C loop
(``bench/q_learning_ref.c``, compiled here with the system's ``cc -O2`` into a temporary folder
and called through ctypes; skipped with a note when there is no compiler) is the reference for
the kernel: the same algorithm on the same compiled arrays with the same xoshiro256** generator
and order of draws, so it must end with the very Q-table the kernel ends with (checked). The
kernel and the C loop run alternately, best of ``--repeats`` each. Then, as whole processes:
``tui-taxi train --episodes 100000`` with a warm JIT cache, and a first run's compile with an
empty cache. Figures only: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import gymnasium as gym
import numpy as np

from tui_taxi.core.envs import DEFAULT_ENV_ID, CompiledEnv, compile_env
from tui_taxi.core.rng import make_rng
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.core.tabular import kernel as K

ALPHA, GAMMA, EPSILON = 0.1, 0.6, 0.1
C_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "q_learning_ref.c")
Run = tuple[float, int, np.ndarray]  # seconds, steps, Q-table


def tutorial(episodes: int, seed: int) -> tuple[float, int, np.ndarray]:
    """The tutorial's loop, modernised only for Gymnasium's 5-tuple step API."""
    random.seed(seed)
    env = gym.make(DEFAULT_ENV_ID).env  # no time limit, as in the tutorial
    env.reset(seed=seed)
    env.action_space.seed(seed)
    q_table = np.zeros([env.observation_space.n, env.action_space.n])
    alpha, gamma, epsilon = ALPHA, GAMMA, EPSILON
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


def load_c_loop(folder: str):
    """``q_learning`` from bench/q_learning_ref.c built with ``cc -O2`` in ``folder``, or a note
    saying why there is none."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        return None, "no C compiler (cc, gcc or clang) on PATH"
    library = os.path.join(folder, "q_learning_ref.so")
    build = subprocess.run(
        [cc, "-O2", "-shared", "-fPIC", "-o", library, C_SOURCE], capture_output=True, text=True
    )
    if build.returncode != 0:
        last = (build.stderr.strip().splitlines() or [f"exit status {build.returncode}"])[-1]
        return None, f"{cc} could not build {C_SOURCE}: {last}"
    array = np.ctypeslib.ndpointer
    i64, f64 = ctypes.c_int64, ctypes.c_double
    fn = ctypes.CDLL(library).q_learning
    fn.restype = i64
    fn.argtypes = [
        *(array(t, flags="C") for t in (np.float64, np.int64, np.float64, np.bool_, np.int64)),
        array(np.float64, flags="C"),  # cum_initial
        i64,
        i64,
        i64,  # n_states, n_actions, outcome slots per (s, a)
        array(np.float64, flags="C"),
        array(np.uint64, flags="C"),  # q, rng
        i64,
        f64,
        f64,
        f64,
        f64,  # episodes, alpha, gamma, epsilon, penalty_reward
        array(np.float64, flags="C"),
        array(np.int64, flags="C"),
        array(np.int64, flags="C"),
    ]
    return fn, None


def c_loop(fn, model: CompiledEnv, episodes: int, seed: int) -> Run:
    """One call of the C loop on a fresh table: (seconds, steps, Q-table)."""
    q = np.zeros((model.n_states, model.n_actions))
    rng = make_rng(seed)
    out = np.empty(episodes), np.empty(episodes, np.int64), np.empty(episodes, np.int64)
    start = time.perf_counter()
    steps = fn(
        model.cum_prob,
        model.next_state,
        model.reward,
        model.terminated,
        model.n_outcomes,
        model.cum_initial,
        model.n_states,
        model.n_actions,
        model.cum_prob.shape[2],
        q,
        rng,
        episodes,
        ALPHA,
        GAMMA,
        EPSILON,
        model.penalty_reward,
        *out,
    )
    return time.perf_counter() - start, steps, q


def kernel_loop(model: CompiledEnv, episodes: int, seed: int) -> Run:
    """One call of the kernel on a fresh table, set up as a session sets it up (but without a
    session's history): (seconds, steps, Q-table)."""
    q = np.zeros((model.n_states, model.n_actions))
    params = K.kernel_params(model, GAMMA, Schedule.constant(EPSILON), Schedule.constant(ALPHA))
    iparams = np.zeros(K.N_IPARAMS, dtype=np.int64)
    iparams[K.I_LEARNER], iparams[K.I_TIME_LIMIT], iparams[K.I_LEARN] = K.Q_LEARNING, 0, 1
    carried = (*K.new_cursor(), make_rng(seed))
    record = np.zeros(K.N_RECORD)
    start = time.perf_counter()
    batch = K.run_model(model, (q, q, q), params, iparams, carried, episodes, None, record)
    return time.perf_counter() - start, int(batch.episodic_length.sum()), q


def kernel_vs_c(episodes: int, seed: int, repeats: int) -> tuple[list[Run], list[Run], str | None]:
    """The kernel and the C loop alternately, ``repeats`` runs each after a warm-up call; the C
    runs are empty, with a note why, when the C loop could not be built."""
    model = compile_env(DEFAULT_ENV_ID)
    with tempfile.TemporaryDirectory() as folder:
        fn, note = load_c_loop(folder)
        kernel_loop(model, 1000, seed)  # JIT cache, CPU clock warm-up
        kernel_runs, c_runs = [], []
        for _ in range(repeats):
            kernel_runs.append(kernel_loop(model, episodes, seed))
            if fn is not None:
                c_runs.append(c_loop(fn, model, episodes, seed))
    return kernel_runs, c_runs, note


def row(name: str, seconds: float, steps: int) -> str:
    return f"{name:<30}{seconds:>10.3f}{steps:>12,}{steps / seconds:>14,.0f}"


def project(episodes: int, seed: int, repeats: int = 5) -> tuple[float, int, TabularAgent]:
    """Best of ``repeats`` timed runs, after one untimed run (JIT, caches, CPU clock warm-up)."""
    best = float("inf")
    for attempt in range(repeats + 1):
        session = TabularAgent(TrainConfig(max_steps=0, seed=seed))
        start = time.perf_counter()
        session.train(episodes=episodes)
        if attempt:
            best = min(best, time.perf_counter() - start)
    return best, session.total_steps, session


def whole_process(args: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tui_taxi", *args], check=True, env=env, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def first_compile() -> float:
    """Seconds to compile the training kernel into an empty cache, in a fresh process."""
    code = (
        "import time; from tui_taxi.core.tabular import TabularAgent, TrainConfig; "
        "from tui_taxi.core.envs import compile_env; m = compile_env('Taxi-v4'); "
        "t = time.perf_counter(); TabularAgent(TrainConfig(), model=m).train(episodes=1); "
        "print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
        )
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of kernel and C loop")
    args = parser.parse_args()

    print(f"Q-learning on {DEFAULT_ENV_ID}, {args.episodes:,} episodes, no time limit\n")
    ours_s, ours_steps, session = project(args.episodes, args.seed)
    kernel_runs, c_runs, note = kernel_vs_c(args.episodes, args.seed, args.repeats)
    tut_s, tut_steps, _ = tutorial(args.episodes, args.seed)
    kernel_s, kernel_steps, kernel_q = min(kernel_runs, key=lambda run: run[0])
    print(f"{'':<30}{'wall (s)':>10}{'steps':>12}{'steps/s':>14}")
    print(row("tutorial loop", tut_s, tut_steps))
    print(row("tui_taxi train (best of 5)", ours_s, ours_steps))
    print(row(f"numba kernel (best of {args.repeats})", kernel_s, kernel_steps))
    if c_runs:
        c_s, c_steps, c_q = min(c_runs, key=lambda run: run[0])
        print(row(f"plain C loop (best of {args.repeats})", c_s, c_steps))
    print(f"\nspeed-up, wall time for the same task: {tut_s / ours_s:,.0f}x")
    print(
        f"speed-up, steps per second:            {(ours_steps / ours_s) / (tut_steps / tut_s):,.0f}x"
    )
    if not c_runs:
        print(f"plain C loop: skipped ({note})")
    else:
        same = c_steps == kernel_steps and np.array_equal(c_q, kernel_q)
        print(
            f"kernel / C loop, wall time:            {kernel_s / c_s:.2f}x "
            f"({'the same' if same else 'NOT the same'} steps and Q-table)"
        )
        print(f"  runs (s), kernel: {', '.join(f'{r[0]:.3f}' for r in kernel_runs)}")
        print(f"  runs (s), C loop: {', '.join(f'{r[0]:.3f}' for r in c_runs)}")
        print(f"  C loop vs tutorial loop: {tut_s / c_s:,.0f}x")

    whole_process(["train", "--episodes", "1000", "--no-chart"])  # make sure the cache is warm
    runs = [whole_process(["train", "--episodes", "100000"]) for _ in range(3)]
    print(
        f"\n'tui-taxi train --episodes 100000', whole process, warm JIT cache: "
        f"{min(runs):.2f} s (best of 3; {', '.join(f'{r:.2f}' for r in runs)})"
    )
    compiles = [first_compile() for _ in range(2)]
    print(
        f"first-run compile of the training kernel (empty cache): {min(compiles):.2f} s (best of 2)"
    )


if __name__ == "__main__":
    main()
