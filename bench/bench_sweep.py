"""Sweep throughput, side by side in one run (figures only, no assertions): the same sweep in
this process, on a process pool of 1 and of 2 workers, and on a local Dask cluster of 2 worker
processes (started here with distributed.LocalCluster, when distributed is installed).

    python bench/bench_sweep.py [--episodes 100000] [--seeds 3]

The sweep is the tutorial's neighbourhood on Taxi-v4 (alpha x gamma x epsilon, 36
configurations). Then, from the measured time per trial: what the same sweep would cost on a
64-core machine and on a 10-node cluster of 16 cores each.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from tui_taxi.core.sweep import SweepSpec, parse_values
from tui_taxi.core.tabular import TabularAgent
from tui_taxi.sweep import run_sweep, warm_up


def spec(episodes: int, seeds: int) -> SweepSpec:
    grid = TabularAgent.sweep_defaults("Taxi-v4")  # the default sweep's grid
    return SweepSpec(
        "Taxi-v4",
        grid=tuple((n, parse_values(n, grid[n])) for n in ("alpha", "gamma", "epsilon")),
        seeds=seeds,
        episodes=episodes,
    )


def timed(sweep: SweepSpec, folder: Path, name: str, **how) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        records = run_sweep(sweep, folder / f"{name}.jsonl", resume=False, out=quiet, **how)
    return time.perf_counter() - start, records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    sweep = spec(args.episodes, args.seeds)
    n = len(sweep.trials())
    warm_up(sweep)  # numba's cache, before anything is timed
    print(
        f"{n} trials (36 configurations x {args.seeds} seeds, {args.episodes:,} episodes each) "
        "on Taxi-v4; wall time of the whole sweep, results file included"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, how in (
            ("this process", {"workers": 1}),
            ("pool, 1 worker", {"workers": 1, "inline": False}),
            ("pool, 2 workers", {"workers": 2}),
        ):
            seconds, records = timed(sweep, folder, name.replace(" ", "_"), cluster=None, **how)
            per_trial = sum(r["metrics"]["wall_time"] for r in records) / n
            rows.append((name, seconds, per_trial))
            print(
                f"  {name:<26} {seconds:6.2f} s  {n / seconds:6.1f} trials/s  "
                f"(a trial: {per_trial * 1000:.0f} ms of training and checks)",
                flush=True,
            )
        try:
            from distributed import LocalCluster
        except ImportError:
            print("  distributed not installed: no Dask run (pip install 'tui-taxi[cluster]')")
        else:
            with LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster:
                seconds, _ = timed(
                    sweep, folder, "dask", workers=2, cluster=cluster.scheduler_address
                )
            rows.append(("Dask, 2 worker processes", seconds, 0.0))
            print(
                f"  {'Dask, 2 worker processes':<26} {seconds:6.2f} s  {n / seconds:6.1f} trials/s",
                flush=True,
            )
    one = rows[1][1]
    two = rows[2][1]
    print(f"scaling: 2 workers / 1 worker = {one / two:.2f}x (2 cores here)")
    if len(rows) > 3:
        print(f"Dask's overhead against the pool, 2 workers each: {rows[3][1] / two:.2f}x the time")
    per_trial = rows[0][2]
    for cores, label in ((64, "a 64-core machine"), (160, "10 nodes x 16 cores")):
        print(
            f"on paper, {label}: about {n * per_trial / cores:.2f} s for these {n} trials; "
            f"a 100x larger sweep ({n * 100:,} trials) about {n * 100 * per_trial / cores:.0f} s"
        )


if __name__ == "__main__":
    main()
