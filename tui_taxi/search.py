"""``tui-taxi sweep --search tpe``: an adaptive search, as rl-zoo3's ``--optimize`` does it:
Optuna's TPE sampler proposes each configuration from the ones told so far, its median (or
Hyperband) pruner stops a hopeless one between its seeds (as CleanRL's tuner does), and a
journal file (``--storage``) makes the search resumable after a kill and shareable between
drivers. Optuna is an optional extra (``pip install 'tui-taxi[tune]'``).

The driver asks and tells (Optuna's ask-and-tell interface); the seeds run on the sweep's own
executors (:func:`tui_taxi.sweep.open_executor`: this process, the process pool, a Dask
cluster), one seed of a configuration at a time, several configurations at once. Each seed's
record goes to the sweep's results file as today, with its trial's number; a pruned
configuration's last record says so, and it is never ranked.

Deterministic in this process (one worker): a seeded sampler, trials told in the order asked.
With several workers the order in which trials end, and so what the sampler has seen when it
proposes the next one, depends on timing: the trials differ from run to run (the search is
as good, not the same)."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import math
import os
import sys
import uuid
import warnings
from pathlib import Path
from typing import TextIO

from tui_taxi.core.sweep import (
    SweepError,
    SweepSpec,
    aggregate,
    read_results,
    run_trial,
    space_of,
)
from tui_taxi.sweep import (
    Running,
    SweepInterrupted,
    SweepLost,
    SweepProgress,
    _abandon,
    _check_new,
    _json_line,
    _Lost,
    _new_file,
    lost,
    open_executor,
    warm_up,
)

TUNE_EXTRA = "pip install 'tui-taxi[tune]' (Optuna)"
#: Configurations the sampler draws at random before TPE models the results (Optuna's 10,
#: fewer for a small search).
STARTUP_TRIALS = 10


def import_optuna():
    """Optuna, quiet; its absence is a one-line SweepError saying how to install it."""
    try:
        import optuna
    except ImportError:
        raise SweepError(f"--search tpe needs Optuna: {TUNE_EXTRA}") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def distributions(spec: SweepSpec) -> dict:
    """Each parameter the search varies as an Optuna distribution: a range as a float (a
    whole number's as an integer), log-scaled where the parameter spans decades; a list as
    a categorical choice."""
    optuna = import_optuna()
    d = optuna.distributions
    space = {p.name: p for p in space_of(spec.agent)}
    out = {}
    for name, values in spec.grid:
        param = space[name]
        if len(values) == 2 and all(isinstance(v, float) for v in values):
            low, high = values
            if param.whole:
                out[name] = d.IntDistribution(int(low), int(high), log=param.log)
            else:
                out[name] = d.FloatDistribution(low, high, log=param.log)
        else:
            out[name] = d.CategoricalDistribution(list(values))
    return out


def as_text(spec: SweepSpec, params: dict) -> dict[str, str]:
    """A proposal's values as the sweep writes them (a number to 4 significant digits)."""
    whole = {p.name for p in space_of(spec.agent) if p.whole}
    out = {}
    for name, value in params.items():
        if isinstance(value, str):
            out[name] = value
        elif name in whole:
            out[name] = str(int(round(value)))
        else:
            out[name] = f"{value:.4g}"
    return out


def study_name(spec: SweepSpec) -> str:
    """One name per search (its world, budget, space and sampler seed), so the drivers of
    the same search share one study in a journal, and another search never joins it."""
    what = spec.to_json()
    what.pop("storage", None)
    digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]
    return f"tui-taxi-{spec.search}-{digest}"


def sampler_for(spec: SweepSpec, already: int = 0):
    """TPE, seeded by the search's sample seed, its random start a quarter of a small search
    (Optuna's 10 trials for 40 or more). A driver that joins or resumes a study of ``already``
    trials draws from another stream (the sample seed and that count), not the first draws
    again."""
    import numpy as np

    optuna = import_optuna()
    seed = spec.sample_seed
    if already:
        seed = int(np.random.SeedSequence([spec.sample_seed, already]).generate_state(1)[0])
    return optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=min(STARTUP_TRIALS, max(1, spec.n_trials // 4))
    )


def make_study(spec: SweepSpec):
    """The search's study: in its journal file when it has one (created, or joined as it
    is), else in memory."""
    optuna = import_optuna()
    sampler = sampler_for(spec)
    if spec.pruner == "median":
        pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    elif spec.pruner == "hyperband":
        pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=spec.seeds)
    else:
        pruner = optuna.pruners.NopPruner()
    storage = None
    try:
        if spec.storage:
            from optuna.storages import JournalStorage
            from optuna.storages.journal import JournalFileBackend

            _mend_journal(spec.storage)
            storage = JournalStorage(JournalFileBackend(spec.storage))

        def create(sampler):
            return optuna.create_study(
                study_name=study_name(spec),
                storage=storage,
                sampler=sampler,
                pruner=pruner,
                direction="minimize",
                load_if_exists=True,
            )

        study = create(sampler)
        already = len(study.get_trials(deepcopy=False))
        return create(sampler_for(spec, already)) if already else study
    except OSError as exc:
        raise SweepError(f"--storage {spec.storage}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # (JSON, UTF-8, fields)
        raise SweepError(
            f"--storage {spec.storage}: not an Optuna journal this search can read "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:100]})"
        ) from None


def _mend_journal(path: str) -> None:
    """A journal whose last line a kill cut off: that line cut away (under the journal's own
    lock), so the next write starts on a line of its own instead of joining the fragment."""
    from optuna.storages.journal import JournalFileSymlinkLock

    if not os.path.exists(path) or not os.path.getsize(path):
        return
    lock = JournalFileSymlinkLock(path)
    lock.acquire()
    try:
        with open(path, "r+b") as f:
            data = f.read()
            if not data.endswith(b"\n"):
                f.truncate(data.rfind(b"\n") + 1)
    finally:
        lock.release()


def finished_trials(study) -> list:
    """The study's trials that count toward ``--trials``: complete or pruned."""
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))


#: Proposals in a row that repeat a configuration already tried before a search says its space
#: has nothing new left (a space of a few lists).
MAX_REPEATS = 100


def _space_size(spec: SweepSpec) -> int | None:
    """How many configurations a space of lists holds (None: a range makes it endless)."""
    size = 1
    for _, values in spec.grid:
        if len(values) == 2 and all(isinstance(v, float) for v in values):
            return None
        size *= len(values)
    return size


class _Config:
    """One configuration in flight: its Optuna trial, its seeds' records so far."""

    def __init__(self, trial, params: dict[str, str]) -> None:
        self.trial, self.params, self.records = trial, params, []
        self.pending = None  # (in this process) the seed's trial to run next

    @property
    def number(self) -> int:
        return self.trial.number


#: How much of the budget a configuration's distance from the optimum at the end may add to
#: its time to the optimum (so those that never got there still rank by how close they came).
CLOSENESS = 0.01


def score_of(spec: SweepSpec, records: list[dict]) -> float:
    """The search's objective, the sweep's own ranking as one number (less is better): the
    time to the optimum over the seeds so far, a seed that never got there counted at the
    budget, plus up to 1% of the budget for the share of starts still not served optimally
    at the end (the ranking's tie-break: what tells apart the many that never got there,
    and gives the pruner something to compare)."""
    summaries = aggregate([{**r, "pruned": False} for r in records], spec)
    if not summaries:
        return math.inf
    s = summaries[0]
    budget = (spec.steps if spec.unit == "steps" else spec.episodes) or s.score
    closeness = s.final_optimality if math.isfinite(s.final_optimality) else 0.0
    return s.score + CLOSENESS * budget * (1.0 - closeness)


def run_search(
    spec: SweepSpec,
    path: Path,
    *,
    workers: int,
    cluster: str | None,
    resume: bool,
    out: TextIO = sys.stderr,
    inline: bool | None = None,
) -> list[dict]:
    """Run the search until ``spec.n_trials`` configurations (its own and, sharing a journal,
    other drivers') are complete or pruned; each seed's record is appended to ``path`` as it
    ends. Returns the records in ``path``."""
    import_optuna()

    records: list[dict] = []
    driver = uuid.uuid4().hex
    if resume and not spec.storage:
        raise SweepError(
            f"this {spec.search} search kept no journal (--storage FILE): it cannot go on from "
            f"{path}; 'tui-taxi sweep --show {path}' shows what it found"
        )
    held = None
    if resume:
        held = _hold(path)  # (one driver a results file: a second would fail the first's trial)
        _, done, whole = read_results(path)
        with open(path, "r+b") as f:
            f.truncate(whole)
        records = list(done.values())
        driver = _driver_of(path) or driver
    else:
        _check_new(path)
    try:
        return _search(spec, path, records, driver, held, workers, cluster, resume, out, inline)
    finally:
        if held is not None:
            held.close()


def _hold(path: Path):
    """The results file, opened and locked for this driver alone (closing it lets go)."""
    import fcntl

    f = open(path, "rb")  # noqa: SIM115 - held until the search ends
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise SweepError(
            f"{path} is being written by another running driver; wait for it to end, or start "
            "another driver on the same --storage with its own --out"
        ) from None
    return f


def _search(spec, path, records, driver, held, workers, cluster, resume, out, inline):
    from optuna.trial import TrialState

    study = make_study(spec)
    space = distributions(spec)
    # a trial this driver left running when it was killed: failed, so another is asked in its
    # place; its seeds' records go (the configuration is asked again or never ranked)
    stale = [
        t.number
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if t.user_attrs.get("driver") == driver
    ]
    for number in stale:
        study.tell(number, state=TrialState.FAIL)
    if stale and records:
        records = [r for r in records if r.get("trial") not in stale]
        _rewrite(path, records)
        held.close()
        held = _hold(path)  # (the file rewritten is another inode: held again)
    executor, close, stalled = open_executor(workers, cluster, inline)
    if not resume:
        try:
            _new_file(path, spec, driver=driver)
            held = _hold(path)
        except SweepError:
            close()
            raise
    slots = 1 if executor is None else max(1, workers if not cluster else _cluster_slots(executor))
    where = cluster or (f"{workers} worker processes" if executor else "this process")
    already = len(finished_trials(study))
    if spec.seeds == 1 or spec.pruner == "none":
        pruning = "no pruning" + (" (one seed: nothing between seeds)" if spec.seeds == 1 else "")
    else:
        pruning = f"{spec.pruner} pruning between seeds"
    seeds = f"{spec.seeds} seed{'s' if spec.seeds != 1 else ''}"
    out.write(
        f"tpe search: {spec.n_trials} configurations x {seeds} on {spec.env_id}, "
        f"{already} done; {pruning}; on {where}; results: {path}"
        + (f"; journal: {spec.storage}" if spec.storage else "")
        + "\n"
    )
    if isinstance(executor, cf.ProcessPoolExecutor):
        warm_up(spec)
    progress = SweepProgress(out, spec.n_trials * spec.seeds, len(records), spec)
    progress.extend(records)
    running = Running(executor, stalled, out) if executor is not None else None
    waiting_inline: list[_Config] = []
    size = _space_size(spec)
    exhausted = []  # (said once)
    counted = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)

    def ask() -> _Config | None:
        """The next configuration to run, or None: --trials finished or running (any driver's:
        none overshoots), or nothing new left to propose. One proposed again is failed, not
        run nor counted."""
        for _ in range(MAX_REPEATS):
            trials = study.get_trials(deepcopy=False, states=counted)
            if len(trials) >= spec.n_trials:
                return None
            seen = {tuple(sorted(as_text(spec, t.params).items())) for t in trials if t.params}
            if size is not None and len(seen) >= size:
                exhausted.append(f"its space holds {size} configurations: all tried")
                return None
            trial = study.ask(space)
            trial.set_user_attr("driver", driver)
            params = as_text(spec, trial.params)
            if tuple(sorted(params.items())) not in seen:
                return _Config(trial, params)
            trial.set_user_attr("repeat", True)
            study.tell(trial, state=TrialState.FAIL)
        exhausted.append(f"{MAX_REPEATS} proposals in a row repeated one tried")
        return None

    def submit(config: _Config) -> None:
        seed = len(config.records)
        work = spec.drawn_trial(config.params, seed)
        if running is None:
            config.pending = work
            waiting_inline.append(config)
        else:
            running.submit(work, config)

    def ended(config: _Config, record: dict, results) -> None:
        """A seed's record: written; the configuration told, pruned, or its next seed run."""
        record = {**record, "trial": config.number}
        config.records.append(record)
        seeds = len(config.records)
        value = score_of(spec, config.records)
        if seeds < spec.seeds:
            config.trial.report(value, seeds)
            if config.trial.should_prune():
                record["pruned"] = True
        results.write(_json_line(record))
        results.flush()
        os.fsync(results.fileno())
        records.append(record)
        progress.add(record)
        if record.get("pruned"):
            study.tell(config.trial, state=TrialState.PRUNED)
            progress.total -= spec.seeds - seeds  # (the seeds it will not run)
        elif seeds == spec.seeds:
            study.tell(config.trial, value)
        else:
            submit(config)
            return
        following = ask()
        if following is not None:
            submit(following)

    try:
        with open(path, "a", encoding="utf-8") as results:
            for _ in range(slots):
                config = ask()
                if config is None:
                    break
                submit(config)
            if running is None:
                while waiting_inline:
                    config = waiting_inline.pop(0)
                    ended(config, run_trial(config.pending), results)
            else:
                for config, record in running.finished():
                    ended(config, record, results)
                executor.shutdown(wait=True)
    except KeyboardInterrupt:
        if executor is not None:
            _abandon(executor)
        progress.close()
        raise SweepInterrupted(len(finished_trials(study)), spec.n_trials) from None
    except _Lost as exc:
        _abandon(executor)
        progress.close()
        raise SweepLost(lost(exc, cluster), len(records), spec.n_trials) from None
    finally:
        close()
        if held is not None:
            held.close()
    progress.close()
    if exhausted:
        out.write(f"the search stopped before {spec.n_trials} configurations: {exhausted[0]}\n")
    _, done, _ = read_results(path)
    return list(done.values())


def _cluster_slots(executor) -> int:
    """A Dask cluster's worker threads, so each runs a configuration."""
    try:
        info = executor._client.scheduler_info()  # (the executor's client)
        return max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))
    except Exception:  # noqa: BLE001 - unknown: one at a time is always right
        return 1


def _driver_of(path: Path) -> str | None:
    """The driver id a results file's header keeps (its trials' mark in the journal)."""
    with open(path, encoding="utf-8") as f:
        head = json.loads(f.readline())
    return head.get("driver")


def _rewrite(path: Path, records: list[dict]) -> None:
    """The results file with only ``records`` after its header, replaced atomically."""
    with open(path, encoding="utf-8") as f:
        header = f.readline()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(header)
        for record in records:
            f.write(_json_line(record))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# -- the report --------------------------------------------------------------------------------
def by_trial(records: list[dict]) -> dict[int, list[dict]]:
    """An adaptive search's records grouped by trial number (its seeds, in order)."""
    groups: dict[int, list[dict]] = {}
    for r in records:
        groups.setdefault(r["trial"], []).append(r)
    return groups


def told(records: list[dict], spec: SweepSpec) -> dict[int, float]:
    """Each configuration that ran all its seeds (not pruned), by trial number: its score."""
    return {
        number: score_of(spec, rs)
        for number, rs in sorted(by_trial(records).items())
        if len(rs) == spec.seeds and not any(r.get("pruned") for r in rs)
    }


def history(records: list[dict], spec: SweepSpec) -> list[tuple[int, float, float]]:
    """Per configuration told (by trial number): (number, its score, the best so far)."""
    rows, best = [], math.inf
    for number, score in told(records, spec).items():
        best = min(best, score)
        rows.append((number, score, best))
    return rows


def pruning_summary(records: list[dict], spec: SweepSpec) -> str:
    """How many configurations were pruned and the seeds, and time, that saved."""
    trials = by_trial(records)
    pruned = [n for n, rs in trials.items() if any(r.get("pruned") for r in rs)]
    ran = sum(len(rs) for rs in trials.values())
    skipped = sum(spec.seeds - len(trials[n]) for n in pruned)
    seconds = [r["metrics"]["wall_time"] for r in records if r["error"] is None]
    per_seed = sum(seconds) / len(seconds) if seconds else 0.0
    share = skipped / (ran + skipped) if ran + skipped else 0.0
    return (
        f"{len(pruned)} of {len(trials)} configurations pruned ({spec.pruner}): {skipped} of "
        f"{ran + skipped} seed runs not run, {share:.0%} of the compute "
        f"(~{skipped * per_seed:,.1f} s at {per_seed:.2f} s a seed)"
    )


def importances(records: list[dict], spec: SweepSpec) -> dict[str, float]:
    """Optuna's parameter importances (its default evaluator) over the configurations told,
    from the results file alone (an in-memory study of them)."""
    optuna = import_optuna()
    space = {  # (a parameter held at one value has no importance to tell)
        name: d
        for name, d in distributions(spec).items()
        if not (isinstance(d, optuna.distributions.CategoricalDistribution) and len(d.choices) < 2)
    }
    study = optuna.create_study(direction="minimize")
    groups = by_trial(records)
    for number, score in told(records, spec).items():
        rs = groups[number]
        params = {}
        for name, dist in space.items():
            text = rs[0]["params"][name]
            if isinstance(dist, optuna.distributions.CategoricalDistribution):
                params[name] = text
            elif isinstance(dist, optuna.distributions.IntDistribution):
                params[name] = min(max(int(float(text)), dist.low), dist.high)
            else:
                params[name] = min(max(float(text), dist.low), dist.high)
        study.add_trial(optuna.trial.create_trial(params=params, distributions=space, value=score))
    if len(study.trials) < 2 or len(space) < 2:
        return {}
    with warnings.catch_warnings():  # (too few or too alike trials: equal importances, said)
        warnings.simplefilter("ignore")
        return dict(optuna.importance.get_param_importances(study))


def search_report(records: list[dict], spec: SweepSpec, color: bool) -> str:
    """The adaptive search's own part of the report: the optimisation history (the best
    score against the configurations told) as a terminal chart, the parameters'
    importances, and what pruning saved."""
    from tui_taxi.charts import history_plot

    rows = history(records, spec)
    unit = spec.unit
    lines = []
    if rows:
        lines.append(
            history_plot(
                [n for n, _, _ in rows],
                [s for _, s, _ in rows],
                [b for _, _, b in rows],
                f"optimisation history: the score ({unit} to the optimum; see below)",
                color,
            )
        )
    lines.append(
        f"score: the {unit} to the optimum over the seeds (never: the budget), plus up to "
        f"{CLOSENESS:.0%} of the budget for the starts still not optimal at the end"
    )
    scores = set(told(records, spec).values())
    try:
        found = importances(records, spec) if len(scores) > 1 else {}
    except SweepError:  # (--show where Optuna is not installed: the rest needs none)
        found = None
        lines.append(f"parameter importances: {TUNE_EXTRA} to see them")
    if found:
        lines.append(
            "parameter importances (Optuna's evaluator): "
            + ", ".join(f"{name} {value:.2f}" for name, value in found.items())
        )
    elif found is not None:
        lines.append(
            "parameter importances: none to tell (one parameter varied, or every configuration "
            "scored alike)"
        )
    if spec.seeds > 1 and spec.pruner != "none":
        lines.append(pruning_summary(records, spec))
    return "\n".join(lines)
