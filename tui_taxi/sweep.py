"""``tui-taxi sweep``: run a sweep's trials on an executor, append each record to a results file
as it finishes, show progress, then the ranked table, a heatmap and the best learning curves.

Two standard executors and no other: a local process pool (one worker per core) or a Dask
cluster's (``distributed.Client(address).get_executor()``); one trial function,
:func:`tui_taxi.core.sweep.run_trial`, runs on either, or in this process with one worker.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import math
import multiprocessing
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from tui_taxi.charts import band_curves, heatmap_plot, heatmap_table
from tui_taxi.core.sweep import (
    LOWER_IS_BETTER,
    Summary,
    SweepError,
    SweepSpec,
    Trial,
    aggregate,
    header_line,
    read_results,
    run_trial,
)

CLUSTER_EXTRA = "pip install 'tui-taxi[cluster]' (dask and distributed)"
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# -- executors ---------------------------------------------------------------------------------
STALL_CHECK = 10.0  # seconds without a finished trial before the sweep asks why it waits


class _Lost(Exception):
    """The executor lost a trial it had not run (its failure is the executor's, not the
    trial's: run_trial records a trial's own)."""


class Running:
    """Trials on an executor, each with a tag of the caller's; :meth:`finished` yields
    (tag, record) as each ends, and trials may be submitted while it does. While none ends for
    a while, ``stalled`` says why, if it knows (a cluster without workers), once per reason."""

    def __init__(
        self,
        executor: cf.Executor,
        stalled: Callable[[], str | None] = lambda: None,
        out: TextIO = sys.stderr,
    ) -> None:
        self.executor, self.stalled, self.out = executor, stalled, out
        self.waiting: dict[cf.Future, object] = {}

    def submit(self, trial: Trial, tag: object = None) -> None:
        self.waiting[self.executor.submit(run_trial, trial)] = tag

    def finished(self) -> Iterator[tuple[object, dict]]:
        said = None
        while self.waiting:
            done, _ = cf.wait(self.waiting, timeout=STALL_CHECK, return_when=cf.FIRST_COMPLETED)
            if not done:
                why = self.stalled()
                if why is not None and why != said:
                    self.out.write(f"waiting: {why}\n")
                    self.out.flush()
                said = why
                continue
            said = None
            for future in done:
                tag = self.waiting.pop(future)
                try:
                    record = future.result()
                except Exception as exc:  # noqa: BLE001 - the executor's failure: see _Lost
                    raise _Lost(f"{type(exc).__name__}: {exc}".splitlines()[0][:200]) from exc
                yield tag, record


def _finished(
    executor: cf.Executor | None,
    pending: list[Trial],
    stalled: Callable[[], str | None] = lambda: None,
    out: TextIO = sys.stderr,
) -> Iterator[dict]:
    """Each trial's record as it ends: on the executor, or (None) one after another in this
    process, so each is written at once and Ctrl-C stops the sweep there."""
    if executor is None:
        for trial in pending:
            yield run_trial(trial)
        return
    running = Running(executor, stalled, out)
    for trial in pending:
        running.submit(trial)
    for _, record in running.finished():
        yield record


def lost(exc: _Lost, cluster: str | None) -> str:
    """What a lost trial means: the Dask scheduler gone, or a worker."""
    if cluster and not _reachable(cluster):
        return f"lost the Dask scheduler at {cluster}"
    return f"lost a trial's worker ({exc})"


def open_executor(
    workers: int, cluster: str | None, inline: bool | None = None
) -> tuple[cf.Executor | None, Callable, Callable[[], str | None]]:
    """(executor, closer, what a stall waits for) for the options: a Dask cluster's executor,
    a process pool, or None for this process alone (``inline``; by default when one worker is
    asked for). Errors (no distributed, no cluster at the address) are SweepErrors."""
    if cluster:
        try:
            from distributed import Client
        except ImportError:
            raise SweepError(f"--cluster needs Dask's distributed: {CLUSTER_EXTRA}") from None
        try:
            client = Client(cluster, timeout="5s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SweepError(
                f"cannot reach the Dask scheduler at {cluster} "
                f"({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
            ) from None
        # Dask's own logging of a lost connection is a page of tracebacks: the sweep says it
        # in one line instead (SweepLost)
        names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]
        quiet = [logging.getLogger(n) for n in ("distributed", *names)]
        levels = [q.level for q in quiet]
        for q in quiet:
            q.setLevel(logging.CRITICAL + 1)

        def close() -> None:
            try:
                client.close(timeout=5)
            except Exception:  # noqa: BLE001 - a scheduler already gone: nothing to close
                pass
            finally:
                for q, level in zip(quiet, levels, strict=True):
                    q.setLevel(level)

        return client.get_executor(), close, _cluster_stall(client, cluster)
    if inline if inline is not None else workers == 1:
        return None, lambda: None, lambda: None
    # Fresh worker processes ("spawn"), each with one BLAS thread: a forked child inherits this
    # process's BLAS thread pool in a broken state (measured here: trials 7x slower), and N
    # workers with N BLAS threads each would fight over the cores. The kernels come from
    # numba's on-disk cache, warmed before (see warm_up).
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")
    context = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )
    return pool, lambda: None, lambda: None


PARENT_CHECK = 0.5  # seconds between a worker's checks that its driver is still there


def watch_parent(parent: int) -> None:
    """A pool worker ends when its driver does (kill -9, SIGTERM: no chance to shut the pool
    down): a daemon thread sees the worker handed to another parent and exits the process, so
    no worker (nor, with them gone, multiprocessing's resource tracker) outlives a sweep."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="tui-taxi-parent-watch").start()


def warm_up(spec: SweepSpec) -> None:
    """Compile the sweep's kernels into numba's cache once here, before local workers start:
    each would otherwise compile them itself."""
    episodes, steps = (None, 1) if spec.unit == "steps" else (1, None)
    run_trial(
        Trial(spec.env_id, spec.env_kwargs, (), 0, episodes, steps, 1, spec.max_steps, spec.agent)
    )


# -- running -----------------------------------------------------------------------------------
def run_sweep(
    spec: SweepSpec,
    path: Path,
    *,
    workers: int,
    cluster: str | None,
    resume: bool,
    out: TextIO = sys.stderr,
    inline: bool | None = None,
) -> list[dict]:
    """Run the trials not yet in ``path`` (all of them for a new file) and append each record
    as it finishes; returns every record of the sweep. Ctrl-C loses only the running trials."""
    trials = spec.trials()
    done: dict[str, dict] = {}
    if resume:
        _, done, whole = read_results(path)
        with open(path, "r+b") as f:  # a last line cut off by a kill: cut it away
            f.truncate(whole)
        done = {k: r for k, r in done.items() if r["error"] is None}  # failed ones: again
    else:
        _check_new(path)  # refused before anything else happens
    pending = [t for t in trials if t.key not in done]
    records = [done[t.key] for t in trials if t.key in done]
    if not pending:
        return records
    executor, close, stalled = open_executor(workers, cluster, inline)  # (none there: no file)
    if not resume:
        try:
            _new_file(path, spec)
        except SweepError:
            close()
            raise
    many = f"{workers} worker process{'es' if workers > 1 else ''}"
    where = cluster or (many if executor else "this process")
    out.write(
        f"{len(pending):,} of {len(trials):,} trials ({len(trials) // spec.seeds:,} "
        f"configurations x {spec.seeds} seeds) on {spec.env_id}, on {where}; results: "
        f"{path}\n"
    )
    if isinstance(executor, cf.ProcessPoolExecutor):
        warm_up(spec)
    progress = SweepProgress(out, len(trials), len(records), spec)
    progress.extend(records)
    try:
        with open(path, "a", encoding="utf-8") as results:
            for record in _finished(executor, pending, stalled, out):
                results.write(_json_line(record))
                results.flush()
                os.fsync(results.fileno())
                records.append(record)
                progress.add(record)
        if executor is not None:
            executor.shutdown(wait=True)
    except KeyboardInterrupt:
        if executor is not None:
            _abandon(executor)
        progress.close()
        raise SweepInterrupted(len(records), len(trials)) from None
    except _Lost as exc:  # the trials not run are not failures: --resume runs them
        _abandon(executor)
        progress.close()
        raise SweepLost(lost(exc, cluster), len(records), len(trials)) from None
    finally:
        close()
    progress.close()
    return records


def _abandon(executor: cf.Executor) -> None:
    """Stop the executor without waiting, its queued trials cancelled (Dask's executor has
    no ``cancel_futures``: its client's close cancels them)."""
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:
        executor.shutdown(wait=False)


def _cluster_stall(client, cluster: str) -> Callable[[], str | None]:
    """What a cluster sweep waits for when no trial ends: a worker, if none is connected."""

    def why() -> str | None:
        try:
            workers = client.scheduler_info().get("workers", {})
        except Exception:  # noqa: BLE001 - the scheduler itself is gone: the futures will say
            return None
        if workers:
            return None
        return (
            f"no worker is connected to the Dask scheduler at {cluster}; the sweep goes on "
            f"when one joins (dask worker {cluster})"
        )

    return why


def _reachable(cluster: str) -> bool:
    """Whether a TCP connection to the scheduler's address opens (within 2 s)."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(cluster if "://" in cluster else f"tcp://{cluster}")
    try:
        with socket.create_connection((address.hostname, address.port or 8786), timeout=2):
            return True
    except (OSError, ValueError):
        return False


class SweepLost(Exception):
    """The sweep's executor lost trials it had not run (the Dask scheduler gone, a worker
    process killed): they are not recorded as failures; --resume runs them."""

    def __init__(self, what: str, done: int, total: int) -> None:
        super().__init__(what)
        self.what, self.done, self.total = what, done, total


class SweepInterrupted(Exception):
    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"{done} of {total} trials")
        self.done, self.total = done, total


def _json_line(record: dict) -> str:
    import json

    return json.dumps(record, allow_nan=True) + "\n"


def _check_new(path: Path) -> None:
    """A new sweep's results file must not exist yet (nothing is ever overwritten)."""
    if path.is_dir():
        raise SweepError(f"{path} is a folder; --out names the results file")
    if path.exists():
        raise SweepError(f"{path} exists; --resume {path} goes on with it, or give another --out")


def _new_file(path: Path, spec: SweepSpec, driver: str | None = None) -> None:
    """Create the results file with its header, refusing to overwrite one (``driver``: an
    adaptive search's mark on its trials in a shared journal)."""
    _check_new(path)
    try:
        with open(path, "x", encoding="utf-8") as f:
            f.write(header_line(spec, driver) + "\n")
    except FileExistsError:
        raise SweepError(
            f"{path} exists; --resume {path} goes on with it, or give another --out"
        ) from None
    except OSError as exc:
        raise SweepError(f"{path}: cannot write ({exc.strerror or exc})") from None


class SweepProgress:
    """A one-line bar on a terminal (trials done, ETA, the best configuration so far); silent
    elsewhere."""

    def __init__(self, out: TextIO, total: int, already: int, spec: SweepSpec) -> None:
        self.out, self.total, self.already, self.spec = out, total, already, spec
        self.records: list[dict] = []
        self.live = out.isatty()
        self.start = time.perf_counter()

    def extend(self, records: Iterable[dict]) -> None:
        self.records.extend(records)

    def add(self, record: dict) -> None:
        self.records.append(record)
        if not self.live:
            return
        done = len(self.records)
        new = done - self.already
        elapsed = time.perf_counter() - self.start
        eta = elapsed / new * (self.total - done) if new else math.inf
        filled = int(24 * done / self.total)
        best = aggregate(self.records, self.spec)[0]
        line = (
            f"[{'#' * filled}{'-' * (24 - filled)}] {done}/{self.total} trials | "
            f"ETA {eta:.0f}s | best: {best.label} ({_reach(best, self.spec.unit)})"
        )
        width = shutil.get_terminal_size((100, 24)).columns - 1  # a wrapped line would stay
        self.out.write(f"\r{line[:width]}\x1b[K")
        self.out.flush()

    def close(self) -> None:
        if self.live and self.records:
            self.out.write("\n")
            self.out.flush()


# -- output ------------------------------------------------------------------------------------
def _reach(s: Summary, unit: str = "episodes") -> str:
    if not s.reached:
        return "never optimal"
    return f"optimal after {s.reach_mean:,.0f} {unit}, {s.reached}/{s.seeds - s.failed} seeds"


def table(
    summaries: list[Summary], spec: SweepSpec, top: int = 10, trials: int | None = None
) -> str:
    """The ranked configurations: how many seeds reached the optimum from every start, the
    episodes (and steps) it took, and the rest of the metrics."""
    budget = f"{spec.episodes:,} episodes" if spec.episodes is not None else ""
    if spec.steps is not None:
        budget += (" or " if budget else "") + f"{spec.steps:,} steps"
    world = spec.env_id + "".join(f" {k}={v}" for k, v in spec.env_kwargs)
    count = f"{_plural(len(summaries), 'configuration')} x {_plural(spec.seeds, 'seed')}"
    if spec.search:  # (the pruned ones are not in the table: the search's report counts them)
        count = f"{spec.search} search: the {count} not pruned"
    if trials is not None:
        count = f"{sum(s.seeds for s in summaries)} of {trials} trials ({count})"
    meaning = (
        "optimal = solved: the greedy policy's mean over 100 episodes reaches the "
        "env's reward threshold"
        if spec.judged_by_threshold
        else "optimal = the greedy policy is optimal from every start state"
    )
    lines = [
        f"{count} on {world}, {budget} each; {meaning} (checked every "
        f"{spec.check_every:,} {spec.unit})"
    ]
    names = [n for n in spec.params if any(n == k for s in summaries for k, _ in s.params)]
    unit = spec.unit
    other = "episodes" if unit == "steps" else "steps"
    header = [
        "#",
        *names,
        "optimal",
        f"{unit} to optimal",
        other,
        "final",
        "last 100",
        "AUC",
        "time",
    ]
    rows = []
    for rank, s in enumerate(summaries[:top], start=1):
        params = dict(s.params)
        spread = (
            f"{s.reach_mean:,.0f} ({s.reach_min:,.0f}-{s.reach_max:,.0f})"
            if s.reached > 1
            else f"{s.reach_mean:,.0f}"
            if s.reached
            else "never"
        )
        failed = f" ({s.failed} failed)" if s.failed else ""
        rows.append(
            [
                str(rank),
                *(params.get(n, "-") for n in names),
                f"{s.reached}/{s.seeds}{failed}",
                spread,
                f"{s.other_mean:,.0f}" if s.reached else "-",
                _fmt(s.final_optimality, "{:.1%}"),
                _fmt(s.last100_return, "{:.2f}"),
                _fmt(s.auc, "{:.2f}"),
                _fmt(s.wall_time, "{:.2f}s"),
            ]
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append(
            "  ".join(
                c.rjust(w) if i >= len(names) + 1 else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    if len(summaries) > top:
        lines.append(f"... {len(summaries) - top} more (--top N shows more)")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _fmt(value: float, pattern: str) -> str:
    return pattern.format(value) if math.isfinite(value) else "-"


def verdict(
    summaries: list[Summary], baseline: dict[str, str] | None, unit: str = "episodes"
) -> str:
    """The best configuration, set against a baseline (the tutorial's) if the sweep ran it."""
    if not summaries:
        return "no trial finished"
    best = summaries[0]
    line = f"best: {best.label}: {_reach(best, unit)}"
    if best.reached and best.final_optimality < 1.0:
        line += (
            f" (but its final policies are {best.final_optimality:.0%} optimal: it "
            "reached the optimum at a check and then drifted)"
        )
    if baseline is None:
        return line
    base = next((s for s in summaries if dict(s.params) == baseline), None)
    if base is None:
        return line
    shown = " ".join(f"{k} {v}" for k, v in baseline.items())
    if best is base:
        return f"{line}; no configuration beats the tutorial's ({shown})"
    if best.reached and not base.reached:
        return f"{line}; the tutorial's {shown} never got there within the budget"
    if best.reached == best.seeds and (base.reached < base.seeds or best.score < base.score):
        return (
            f"{line}; the tutorial's {shown}: {_reach(base)}: fewer episodes by "
            f"{base.score - best.score:,.0f} (mean, a seed that never reached it counted at "
            "its budget)"
        )
    return f"{line}; the tutorial's {shown}: {_reach(base)}"


def heatmap(
    summaries: list[Summary],
    pair: tuple[str, str],
    metric: str,
    color: bool = False,
    unit: str = "episodes",
) -> str:
    """``metric`` over two parameters, each cell the best over the parameters not shown; with
    colour, cells shaded from worst (dark) to best (bright green)."""
    a, b = pair
    xs = _values_of(summaries, a)
    ys = _values_of(summaries, b)
    lower = metric in LOWER_IS_BETTER
    grid = np.full((len(ys), len(xs)), np.nan)  # NaN: no configuration ran there
    cells = [["-"] * len(xs) for _ in ys]
    chosen: set[tuple[int, int]] = set()
    for rank, s in enumerate(summaries):  # in rank order: to_optimal's cell is the table's
        p = dict(s.params)  # best there, shaded by its rank
        i, j = ys.index(p[b]), xs.index(p[a])
        value = float(rank) if metric == "to_optimal" else s.metric(metric)
        if metric == "to_optimal":
            better = (i, j) not in chosen
        else:
            better = math.isnan(grid[i, j]) or (value < grid[i, j] if lower else value > grid[i, j])
        if better:
            grid[i, j] = value
            cells[i][j] = _to_optimal_cell(s) if metric == "to_optimal" else _cell(value, metric)
            chosen.add((i, j))
    others = list(dict.fromkeys(n for s in summaries for n, _ in s.params if n not in pair))
    best = f", the best over {' and '.join(others)}" if others else ""
    shown = f"{unit} to optimal" if metric == "to_optimal" else metric.replace("_", " ")
    title = (
        f"{shown} by {a} (across) and {b} (down){best}; {'lower' if lower else 'higher'} is better"
    )
    if metric == "to_optimal":
        title += (
            " (as the table: the mean over the seeds that got there, k/K when not all "
            "did; shaded by the rank)"
        )
    finite = grid[np.isfinite(grid)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    level = (grid - lo) / (hi - lo) if hi > lo else np.ones_like(grid)  # 1 best, NaN: not run
    level = 1.0 - level if lower else level
    level = np.where(np.isinf(grid), 0.0, level)  # never optimal: the worst shade
    if metric == "to_optimal":  # a configuration that never got there: dark, whatever its rank
        level = np.where([[c == "never" for c in row] for row in cells], 0.0, level)
    table = heatmap_table(level, ys, xs, cells, f"{b} \\ {a}", color=color)
    if not color:  # the plot is its shades: without colour, the values alone
        return title + "\n" + table
    plot = heatmap_plot(level, xs, ys, "brighter is better", a, b)
    return title + "\n" + plot + "\n" + table


def _to_optimal_cell(s: Summary) -> str:
    if not s.reached:
        return "never"
    partial = f" {s.reached}/{s.seeds}" if s.reached < s.seeds else ""
    return f"{s.reach_mean:,.0f}{partial}"


def _cell(value: float, metric: str) -> str:
    if np.isnan(value):
        return "-"
    if not np.isfinite(value):
        return "never" if metric == "to_optimal" else "-"
    if metric == "wall_time":
        return f"{value:.2f}s"
    if metric in ("last100_return", "auc"):
        return f"{value:.2f}"
    if metric == "to_optimal":
        return f"{value:,.0f}"
    if metric == "final_optimality":
        return f"{value:.1%}"
    return f"{value:.3g}"


def _values_of(summaries: list[Summary], name: str) -> list[str]:
    values = {dict(s.params)[name] for s in summaries if name in dict(s.params)}
    if not values:
        raise SweepError(f"--heatmap: the sweep does not vary {name}")
    return sorted(values, key=_sort_key)


def _sort_key(text: str):
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


def curves(
    summaries: list[Summary], top: int = 3, width: int = 80, height: int = 20, color: bool = False
) -> str:
    """The best ``top`` configurations' learning curves, each the mean over its seeds with a
    min-max band (its seeds' lowest and highest)."""
    series = []
    for k, s in enumerate(summaries[:top]):
        if not s.curves or not all(s.curves):
            continue
        n = min(len(c) for c in s.curves)
        arr = np.array([c[:n] for c in s.curves], dtype=np.float64)  # (seeds, n, 2)
        y = arr[:, :, 1]
        series.append((f"#{k + 1} {s.label}", arr[0, :, 0], y.mean(0), y.min(0), y.max(0)))
    if not series:
        return "no learning curve to draw"
    return band_curves(
        series,
        width,
        height,
        color=color,
        title="return per episode: seeds' mean (line), min and max (dots)",
    )


def tutorial_baseline(spec: SweepSpec) -> dict[str, str] | None:
    """The tutorial's alpha 0.1, gamma 0.6, epsilon 0.1 on Taxi, as this sweep names values."""
    if not spec.env_id.startswith("Taxi"):
        return None
    grid = dict(spec.grid)
    want = {"alpha": 0.1, "gamma": 0.6, "epsilon": 0.1}
    found = {}
    for name, values in grid.items():
        if name not in want:
            return None
        match = [v for v in values if _as_float(v) == want[name]]
        if not match:
            return None
        found[name] = match[0]
    return found or None


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def most_varied(spec: SweepSpec) -> tuple[str, str] | None:
    """The two parameters a grid sweep varies most (the heatmap shown on a terminal when none is
    asked for); None for random or adaptive search or fewer than two varied parameters."""
    if spec.samples or spec.search:
        return None
    varied = [(name, len(values)) for name, values in spec.grid if len(values) > 1]
    varied.sort(key=lambda nv: -nv[1])  # (stable: the sweep's own order between equals)
    return (varied[0][0], varied[1][0]) if len(varied) >= 2 else None


def report(
    records: list[dict],
    spec: SweepSpec,
    *,
    top: int,
    heatmap_pair,
    metric: str,
    curves_top: int,
    color: bool,
    width: int = 100,
) -> str:
    """Everything a finished (or shown) sweep prints."""
    summaries = aggregate(records, spec)
    # (an adaptive search's total is not known: its pruned configurations ran fewer seeds)
    total = None if spec.search else len(spec.configurations()) * spec.seeds
    parts = [table(summaries, spec, top, total if total and len(records) < total else None)]
    if heatmap_pair is not None:
        parts.append(heatmap(summaries, heatmap_pair, metric, color, spec.unit))
    if curves_top:
        parts.append(curves(summaries, curves_top, min(width, 100), 20, color))
    if spec.search:
        from tui_taxi.search import search_report

        parts.append(search_report(records, spec, color))
    baseline = tutorial_baseline(spec) if not (spec.samples or spec.search) else None
    parts.append(verdict(summaries, baseline, spec.unit))
    failed = [r for r in records if r["error"] is not None]
    if failed:
        parts.append(f"{len(failed)} trial(s) failed; the first: {failed[0]['error']}")
    return "\n\n".join(parts)
