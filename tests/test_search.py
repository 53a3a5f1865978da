"""The adaptive search (sweep --search tpe, Optuna's): a seeded search is the same twice, a
search killed with kill -9 goes on from its journal to the same number of finished
configurations with no trial twice, pruned configurations are recorded as pruned and never
ranked, the cluster runs it as this process does, and without Optuna the error is one line."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna", reason="the test extra installs Optuna")

from tui_taxi.cli import main  # noqa: E402
from tui_taxi.core.sweep import SweepSpec, aggregate, parse_range, read_results  # noqa: E402
from tui_taxi.search import make_study, run_search  # noqa: E402

#: Taxi with a budget where settings matter: some reach the optimum within it, some never.
SPACE = (
    ("alpha", parse_range("alpha", "0.02..1")),
    ("gamma", parse_range("gamma", "0.5..0.95")),
    ("learner", parse_range("learner", "q-learning,sarsa")),
)
SEARCH = SweepSpec(
    "Taxi-v4", (), SPACE, seeds=2, episodes=1500, check_every=100, search="tpe", n_trials=12
)


def _drawn(records):
    """What the search tried, in order: (trial, seed, params), and each seed's result."""
    return [
        (r["trial"], r["seed"], r["params"], r["metrics"]["episodes_to_optimal"])
        for r in sorted(records, key=lambda r: (r["trial"], r["seed"]))
    ]


def test_a_seeded_search_draws_the_same_trials_twice(tmp_path):
    first = run_search(SEARCH, tmp_path / "a.jsonl", workers=1, cluster=None, resume=False)
    again = run_search(SEARCH, tmp_path / "b.jsonl", workers=1, cluster=None, resume=False)
    assert _drawn(first) == _drawn(again)
    trials = {r["trial"] for r in first}
    assert trials == set(range(12))  # each configuration a trial, none asked twice
    other = dataclasses.replace(SEARCH, sample_seed=1)
    third = run_search(other, tmp_path / "c.jsonl", workers=1, cluster=None, resume=False)
    assert [d[2] for d in _drawn(third)] != [d[2] for d in _drawn(first)]  # another seed


def test_pruned_configurations_are_recorded_as_pruned_and_never_ranked(tmp_path):
    spec = dataclasses.replace(SEARCH, seeds=3, n_trials=16)
    records = run_search(spec, tmp_path / "p.jsonl", workers=1, cluster=None, resume=False)
    pruned = {r["trial"] for r in records if r.get("pruned")}
    assert pruned, "the median pruner stopped no configuration"
    for number in pruned:
        seeds = [r for r in records if r["trial"] == number]
        assert len(seeds) < 3 and seeds[-1]["pruned"]  # stopped between its seeds
    ranked = aggregate(records, spec)
    pruned_params = [r["params"] for r in records if r["trial"] in pruned]
    assert all(dict(s.params) not in pruned_params for s in ranked)
    assert len(ranked) == len({r["trial"] for r in records}) - len(pruned)
    # even a pruned configuration that looked best on its first seed is never ranked first
    best = min(records, key=lambda r: r["metrics"]["episodes_to_optimal"] or 10**9)
    doctored = [{**r, "pruned": True} if r["trial"] == best["trial"] else r for r in records]
    assert all(dict(s.params) != best["params"] for s in aggregate(doctored, spec))


def test_a_search_killed_with_kill_9_goes_on_from_its_journal(tmp_path, capsys):
    """kill -9 mid-search; --resume goes on with the journal: 10 configurations finished in
    all, each seed of each once, none of the killed driver's half-run trial left."""
    out, log = tmp_path / "r.jsonl", tmp_path / "search.log"
    argv = [
        "sweep", "--search", "tpe", "--trials", "10", "--seeds", "2", "--episodes", "1500",
        "--check-every", "100", "--alpha", "0.02..1", "--gamma", "0.5..0.95",
        "--workers", "1", "--curves", "0", "--out", str(out), "--storage", str(log),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    driver = subprocess.Popen(
        [sys.executable, "-m", "tui_taxi", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        for _ in range(6000):  # until a few seeds are in (each ~0.1 s), then kill -9
            if out.exists() and len(out.read_text().splitlines()) >= 6:
                break
            if driver.poll() is not None:
                break
            time.sleep(0.01)
        assert driver.poll() is None, "the search ended before it could be killed"
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    before = len(out.read_text().splitlines())
    assert 2 <= before < 1 + 20
    assert main(["sweep", "--resume", str(out), "--curves", "0"]) == 0
    report = capsys.readouterr().out  # the search's own report, under the table
    assert "optimisation history" in report and "parameter importances" in report
    assert "configurations pruned (median)" in report
    spec, records, _ = read_results(out)
    study = make_study(spec)
    states = [t.state for t in study.get_trials(deepcopy=False)]
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    done = [
        t.number
        for t in finished
        if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    ]
    assert len(done) == 10
    lines = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    pairs = [(r["trial"], r["seed"]) for r in lines]
    assert len(pairs) == len(set(pairs))  # no seed of a trial twice
    assert {r["trial"] for r in lines} == set(done)  # nothing of a failed (killed) trial
    for number in done:
        seeds = sorted(r["seed"] for r in lines if r["trial"] == number)
        assert seeds == [0, 1] or lines[[r["trial"] for r in lines].index(number)].get("pruned")
    assert optuna.trial.TrialState.RUNNING not in states
    # the resumed driver drew new configurations, not its first ones again
    drawn = [tuple(sorted(t.params.items())) for t in finished if t.number in done]
    assert len(set(drawn)) == len(drawn)


def _cli(argv, env=None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.Popen(
        [sys.executable, "-m", "tui_taxi", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def test_two_drivers_on_one_journal_share_the_search_without_overshoot(tmp_path):
    log = tmp_path / "shared.log"
    common = [
        "sweep", "--search", "tpe", "--trials", "8", "--seeds", "1", "--episodes", "800",
        "--check-every", "100", "--alpha", "0.02..1", "--gamma", "0.5..0.95",
        "--workers", "1", "--curves", "0", "--storage", str(log),
    ]  # fmt: skip
    drivers = [_cli([*common, "--out", str(tmp_path / f"{k}.jsonl")]) for k in "ab"]
    for d in drivers:
        _, err = d.communicate(timeout=200)
        assert d.returncode == 0, err
    spec, _, _ = read_results(tmp_path / "a.jsonl")
    study = make_study(spec)
    finished = [
        t
        for t in study.get_trials(deepcopy=False)
        if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    ]
    assert len(finished) == 8  # the two together, not 8 each, nor 9
    drawn = [tuple(sorted(t.params.items())) for t in finished]
    assert len(set(drawn)) == 8  # none drawn by both
    mine = [{r["trial"] for r in read_results(tmp_path / f"{k}.jsonl")[1].values()} for k in "ab"]
    assert not mine[0] & mine[1] and mine[0] | mine[1] == {t.number for t in finished}


def test_a_space_of_few_lists_stops_when_every_configuration_is_tried(tmp_path, capsys):
    spec = dataclasses.replace(
        SEARCH,
        grid=(("alpha", ("0.1", "0.5")), ("gamma", ("0.9",))),
        n_trials=10,
        seeds=1,
        storage=str(tmp_path / "l.log"),
    )
    import io

    said = io.StringIO()
    records = run_search(
        spec, tmp_path / "l.jsonl", workers=1, cluster=None, resume=False, out=said
    )
    assert sorted(r["params"]["alpha"] for r in records) == ["0.1", "0.5"]  # each once
    assert "its space holds 2 configurations: all tried" in said.getvalue()


def test_one_results_file_one_driver(tmp_path, capsys):
    from tui_taxi.search import _hold

    spec = dataclasses.replace(SEARCH, n_trials=1, seeds=1, storage=str(tmp_path / "j.log"))
    out = tmp_path / "r.jsonl"
    run_search(spec, out, workers=1, cluster=None, resume=False)
    held = _hold(out)  # as a driver still running on it holds it
    try:
        assert main(["sweep", "--resume", str(out)]) == 2
    finally:
        held.close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is being written by another running driver" in err


@pytest.mark.parametrize(
    "journal",
    [b"hello world\nnot json\n", b"\xb6\x00\xff binary\n", b'{"op_code": 0, "worker_id"\n'],
)
def test_a_journal_that_is_not_one_is_a_one_line_error(tmp_path, capsys, journal):
    log = tmp_path / "bad.log"
    log.write_bytes(journal)
    argv = ["sweep", "--search", "tpe", "--trials", "2", "--seeds", "1", "--episodes", "50"]
    code = main([*argv, "--alpha", "0.1..1", "--storage", str(log), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "not an Optuna journal" in err


def test_a_journal_cut_mid_line_by_a_kill_is_mended_not_bricked(tmp_path):
    spec = dataclasses.replace(SEARCH, n_trials=2, seeds=1, storage=str(tmp_path / "j.log"))
    run_search(spec, tmp_path / "a.jsonl", workers=1, cluster=None, resume=False)
    log = Path(spec.storage)
    log.write_bytes(log.read_bytes() + b'{"op_code": 5, "worker_id": "zz')  # a torn last line
    more = dataclasses.replace(spec, n_trials=3)  # (another search: a study of its own)
    run_search(more, tmp_path / "b.jsonl", workers=1, cluster=None, resume=False)
    assert len(finished := make_study(more).get_trials(deepcopy=False)) == 3 and finished
    assert all(line.startswith(b"{") for line in log.read_bytes().splitlines())


def test_a_search_without_a_journal_cannot_resume_and_says_so(tmp_path, capsys):
    spec = dataclasses.replace(SEARCH, n_trials=2, seeds=1)
    run_search(spec, tmp_path / "r.jsonl", workers=1, cluster=None, resume=False)
    assert main(["sweep", "--resume", str(tmp_path / "r.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "kept no journal (--storage FILE)" in err


def test_the_cluster_runs_the_search(tmp_path):
    pytest.importorskip("distributed", reason="the test extra installs dask's distributed")
    from dask_cluster import local_cluster

    spec = dataclasses.replace(SEARCH, n_trials=6)
    with local_cluster(2) as address:
        records = run_search(spec, tmp_path / "c.jsonl", workers=2, cluster=address, resume=False)
    trials = {r["trial"] for r in records}
    assert len(trials) == 6 and all(r["error"] is None for r in records)
    for number in trials:  # each configuration's seeds, or fewer if pruned
        seeds = [r for r in records if r["trial"] == number]
        assert len(seeds) == 2 or seeds[-1].get("pruned")


def test_without_optuna_tpe_is_one_line_and_grid_and_random_still_run(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "optuna", None)  # as if it were not installed
    argv = ["sweep", "--search", "tpe", "--trials", "5", "--alpha", "0.05..1", "--episodes", "50"]
    code = main([*argv, "--out", str(tmp_path / "x.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "--search tpe needs Optuna: pip install 'tui-taxi[tune]'" in err
    assert not (tmp_path / "x.jsonl").exists()
    random = ["sweep", "--search", "random", "--trials", "2", "--alpha", "0.05..1"]
    common = ["--episodes", "50", "--seeds", "1", "--workers", "1", "--curves", "0"]
    assert main([*random, *common, "--out", str(tmp_path / "r.jsonl")]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--search", "tpe", "--alpha", "0.05..1"], "--search tpe needs --trials N"),
        (["--search", "tpe", "--trials", "3", "--samples", "3", "--alpha", "0.1..1"], "drop --samples"),
        (["--search", "grid", "--trials", "3"], "--search grid runs every combination"),
        (["--storage", "x.log", "--alpha", "0.1"], "--storage is for --search tpe"),
        (["--search", "random", "--alpha", "0.1..1"], "--search random needs --samples N"),
        (["--search", "tpe", "--trials", "2"], "a tpe search draws from ranges: give at least"),
    ],
)  # fmt: skip
def test_bad_search_options_are_one_line(argv, message, capsys, tmp_path):
    code = main(["sweep", *argv, "--out", str(tmp_path / "x.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
