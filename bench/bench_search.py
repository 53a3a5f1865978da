"""Adaptive search measured (figures only, no assertions), each comparison side by side in one
run: TPE against random search (Optuna's RandomSampler, same driver, same pruner) on Taxi over
a wide space, the best configuration's episodes to the optimum after 25, 50 and 100 trials,
over several search seeds; the median pruner's compute on a DQN search on CartPole; and what
the sampler and the journal cost per trial beside a trial's own time.

    python bench/bench_search.py [--part taxi|dqn|overhead|all] [--workers 2] [--search-seeds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import optuna

import tui_taxi.search as search
from tui_taxi.core.sweep import SweepSpec, parse_range
from tui_taxi.search import run_search, told

CHECKPOINTS = (25, 50, 100)
#: The wide space: alpha 0.01-1, gamma 0.5-0.99, epsilon 0.01-0.5 (seven values) or decaying
#: (two schedules), the four TD learners.
EPSILONS = "0.01,0.02,0.05,0.1,0.2,0.3,0.5,exp:1:0.05:0.999,exp:1:0.01:0.9995"
TAXI = SweepSpec(
    "Taxi-v4",
    (),
    (
        ("alpha", parse_range("alpha", "0.01..1")),
        ("gamma", parse_range("gamma", "0.5..0.99")),
        ("epsilon", parse_range("epsilon", EPSILONS)),
        ("learner", parse_range("learner", "q-learning,sarsa,expected-sarsa,double-q")),
    ),
    seeds=2,
    episodes=10_000,
    check_every=100,
    search="tpe",
    n_trials=max(CHECKPOINTS),
)


def best_after(records: list[dict], spec: SweepSpec) -> dict[int, float]:
    """The best configuration's score after the first N trials (pruned ones never best)."""
    scores = told(records, spec)
    return {
        n: min((v for k, v in scores.items() if k < n), default=float("inf")) for n in CHECKPOINTS
    }


def one_search(spec: SweepSpec, sampler: str, workers: int) -> tuple[dict[int, float], float]:
    def random_sampler(s):
        return optuna.samplers.RandomSampler(seed=s.sample_seed)

    real = search.sampler_for
    search.sampler_for = random_sampler if sampler == "random" else real
    try:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            records = run_search(
                spec,
                Path(folder) / "r.jsonl",
                workers=workers,
                cluster=None,
                resume=False,
                out=open("/dev/null", "w"),  # noqa: SIM115 - the progress line, unwanted
            )
            return best_after(records, spec), time.perf_counter() - start
    finally:
        search.sampler_for = real


def taxi(workers: int, search_seeds: int) -> None:
    print(f"TPE against random on Taxi ({TAXI.n_trials} trials, {TAXI.seeds} seeds each, "
          f"{TAXI.episodes:,} episodes, median pruning; score: episodes to the optimum, "
          "never-reached at the budget)")  # fmt: skip
    results = {"tpe": [], "random": []}
    for seed in range(search_seeds):
        spec = dataclasses.replace(TAXI, sample_seed=seed)
        for sampler in ("tpe", "random"):  # side by side, alternating
            best, seconds = one_search(spec, sampler, workers)
            results[sampler].append(best)
            shown = "  ".join(f"@{n}: {best[n]:,.0f}" for n in CHECKPOINTS)
            print(f"  search seed {seed}  {sampler:<6}  {shown}  ({seconds:.0f} s)", flush=True)
    for n in CHECKPOINTS:
        row = []
        for sampler in ("tpe", "random"):
            values = [b[n] for b in results[sampler]]
            spread = statistics.pstdev(values) if len(values) > 1 else 0.0
            row.append(f"{sampler} {statistics.mean(values):,.0f} ± {spread:,.0f}")
        print(f"  after {n:>3} trials: " + "   ".join(row))


def dqn(workers: int, trials: int = 30) -> None:
    spec = SweepSpec(
        "CartPole-v1",
        (),
        (
            ("learning_rate", parse_range("learning_rate", "1e-4..1e-2", "dqn")),
            ("exploration_fraction", parse_range("exploration_fraction", "0.05..0.5", "dqn")),
            ("target_network_frequency", parse_range("target_network_frequency", "10..1000", "dqn")),
        ),
        seeds=3,
        episodes=None,
        steps=30_000,
        check_every=2_500,
        agent="dqn",
        search="tpe",
        n_trials=trials,
    )  # fmt: skip
    print(f"pruning on a DQN search (CartPole, {trials} trials, 3 seeds, 30,000 steps)")
    for pruner in ("none", "median"):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            records = run_search(
                dataclasses.replace(spec, pruner=pruner),
                Path(folder) / "r.jsonl",
                workers=workers,
                cluster=None,
                resume=False,
                out=open("/dev/null", "w"),  # noqa: SIM115
            )
            seconds = time.perf_counter() - start
        compute = sum(r["metrics"]["wall_time"] for r in records if r["error"] is None)
        best = min(told(records, spec).values(), default=float("nan"))
        pruned = len({r["trial"] for r in records if r.get("pruned")})
        print(f"  {pruner:<7} {len(records):>3} seed runs, {compute:,.0f} s of compute "
              f"({seconds:,.0f} s wall), {pruned} pruned; best: {best:,.0f} steps")  # fmt: skip


def overhead(n: int = 1000) -> None:
    """The sampler's ask and tell per trial at ``n`` trials told, in memory and in a journal
    file, beside a Taxi trial (the tutorial's settings, 2,000 episodes)."""
    from tui_taxi.core.sweep import Trial, run_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = search.distributions(TAXI)
    trial = Trial("Taxi-v4", (), (), 0, 2000, None, 250)
    run_trial(trial)
    start = time.perf_counter()
    for _ in range(5):
        run_trial(trial)
    per_trial = (time.perf_counter() - start) / 5
    print(f"overhead per trial at {n:,} trials (a Taxi trial of 2,000 episodes: "
          f"{per_trial * 1e3:.0f} ms)")  # fmt: skip
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    with tempfile.TemporaryDirectory() as folder:
        for where in ("memory", "journal"):
            storage = (
                None if where == "memory" else JournalStorage(JournalFileBackend(f"{folder}/j.log"))
            )
            study = optuna.create_study(
                storage=storage, sampler=optuna.samplers.TPESampler(seed=0), direction="minimize"
            )
            timings = []
            for k in range(n):
                t0 = time.perf_counter()
                t = study.ask(space)
                study.tell(t, (t.params["alpha"] - 0.3) ** 2 + k * 1e-6)
                timings.append(time.perf_counter() - t0)
            last = statistics.mean(timings[-50:])
            print(f"  TPE, {where:<7}: ask + tell {statistics.mean(timings) * 1e3:.1f} ms on "
                  f"average, {last * 1e3:.1f} ms at the {n:,}th trial")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("taxi", "dqn", "overhead", "all"), default="all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--search-seeds", type=int, default=3)
    args = parser.parse_args()
    if args.part in ("overhead", "all"):
        overhead()
    if args.part in ("taxi", "all"):
        taxi(args.workers, args.search_seeds)
    if args.part in ("dqn", "all"):
        dqn(args.workers)


if __name__ == "__main__":
    main()
