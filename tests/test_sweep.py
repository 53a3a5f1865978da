"""Sweeps: the optimality checkpoint on a bandit worked by hand, the same records through every
executor (this process, a process pool, a real local Dask cluster), resume after a kill, random
search's draws, and bad input as one line."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from dask_cluster import _free_port
from mdps import make_session

from tui_taxi.cli import main
from tui_taxi.core.agent import Budget
from tui_taxi.core.envs import model_from_transitions
from tui_taxi.core.sweep import (
    SweepError,
    SweepSpec,
    Trial,
    aggregate,
    measure,
    parse_range,
    parse_values,
    read_results,
)
from tui_taxi.sweep import run_sweep


def bandit_model():
    """One state, three actions, each ending the episode: a0 pays +1, a1 and a2 pay 0."""
    transitions = {
        0: {a: [(1.0, 1, r, True)] for a, r in enumerate((1.0, 0.0, 0.0))},
        1: {a: [(1.0, 1, 0.0, True)] for a in range(3)},
    }
    return model_from_transitions(
        transitions, np.array([1.0, 0.0]), n_states=2, n_actions=3, env_id="Bandit"
    )


def bandit_session(q0):
    q = np.zeros((2, 3))
    q[0] = q0
    return make_session(bandit_model(), q=q, alpha=1.0, gamma=1.0, epsilon=0.0)


@pytest.mark.parametrize(
    ("q0", "check_every", "expected"),
    [
        # greedy takes a2 (0.6): Q -> 0; then a1 (0.3): Q -> 0; then a0 (0.1) is the greedy one,
        # the optimal one: optimal after episode 2, seen at the first check at or after it
        ((0.1, 0.3, 0.6), 1, 2),
        ((0.1, 0.3, 0.6), 2, 2),
        ((0.1, 0.3, 0.6), 3, 3),
        ((0.9, 0.3, 0.6), 5, 0),  # optimal before any training
        ((-1.0, 0.3, 0.6), 1, None),  # a1 and a2 fall to 0, still above a0's -1: never
    ],
)
def test_the_optimality_checkpoint_on_a_bandit_worked_by_hand(q0, check_every, expected):
    metrics, curve = measure(bandit_session(q0), Budget(episodes=10), check_every)
    assert metrics["episodes_to_optimal"] == expected
    assert metrics["steps_to_optimal"] == expected  # one step per episode
    assert metrics["final_optimal"] is (expected is not None)
    assert metrics["episodes"] == 10 and len(curve) > 0
    if expected is None:
        assert metrics["final_optimality"] == 0.0


def _strip(records):
    """Records without their wall time (the one figure that depends on where a trial ran)."""
    out = {}
    for r in records:
        r = json.loads(json.dumps(r))
        if r["metrics"]:
            r["metrics"].pop("wall_time")
        out[r["key"]] = r
    return out


SMALL = SweepSpec(
    "Taxi-v4",
    grid=(("alpha", ("0.1", "0.5")), ("gamma", ("0.6", "0.9"))),
    seeds=2,
    episodes=3_000,
    check_every=250,
)


def test_the_same_sweep_gives_the_same_records_everywhere(tmp_path):
    inline = run_sweep(SMALL, tmp_path / "a.jsonl", workers=1, cluster=None, resume=False)
    pool = run_sweep(SMALL, tmp_path / "b.jsonl", workers=2, cluster=None, resume=False)
    assert len(inline) == 8 and all(r["error"] is None for r in inline)
    assert _strip(inline) == _strip(pool)
    pytest.importorskip("distributed", reason="the test extra installs dask's distributed")
    from dask_cluster import local_cluster

    with local_cluster(2) as address:
        cluster = run_sweep(SMALL, tmp_path / "c.jsonl", workers=2, cluster=address, resume=False)
    assert _strip(cluster) == _strip(inline)


def test_resume_after_a_kill_gives_the_uninterrupted_results(tmp_path):
    whole = tmp_path / "whole.jsonl"
    records = run_sweep(SMALL, whole, workers=1, cluster=None, resume=False)
    lines = whole.read_bytes().split(b"\n")
    killed = tmp_path / "killed.jsonl"  # as kill -9 leaves it: 3 trials, a 4th cut mid-line
    killed.write_bytes(b"\n".join(lines[:4]) + b"\n" + lines[4][:40])
    resumed = run_sweep(SMALL, killed, workers=2, cluster=None, resume=True)
    assert _strip(resumed) == _strip(records)
    _, on_disk, _ = read_results(killed)
    assert _strip(on_disk.values()) == _strip(records)
    assert len(killed.read_text().splitlines()) == 1 + 8  # the header and each trial once


def test_a_trial_that_fails_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    import tui_taxi.core.sweep as core_sweep

    real = core_sweep.measure

    def measure(agent, budget, check_every):
        if agent.config.seed == 1:
            raise RuntimeError("the kernel exploded")
        return real(agent, budget, check_every)

    monkeypatch.setattr(core_sweep, "measure", measure)
    records = run_sweep(SMALL, tmp_path / "f.jsonl", workers=1, cluster=None, resume=False)
    failed = [r for r in records if r["error"]]
    assert len(failed) == 4 and all("the kernel exploded" in r["error"] for r in failed)
    top = aggregate(records, SMALL)[0]
    assert top.failed == 1 and top.reached <= 1


def test_random_search_draws_log_uniformly_inside_the_ranges():
    spec = SweepSpec(
        "Taxi-v4",
        grid=(
            ("alpha", parse_range("alpha", "0.001..1")),
            ("gamma", parse_range("gamma", "0.5..0.99")),
            ("learner", parse_range("learner", "q-learning,sarsa")),
        ),
        samples=400,
        sample_seed=4,
        seeds=1,
    )
    configs = [dict(c) for c in spec.configurations()]
    alphas = np.array([float(c["alpha"]) for c in configs])
    gammas = np.array([float(c["gamma"]) for c in configs])
    assert len(configs) == 400 and alphas.min() >= 0.001 and alphas.max() <= 1
    assert gammas.min() >= 0.5 and gammas.max() <= 0.99
    # log-uniform: each decade of alpha's three holds about a third of the draws
    decades = np.histogram(np.log10(alphas), bins=[-3, -2, -1, 0])[0]
    assert all(100 <= d <= 167 for d in decades)
    assert {c["learner"] for c in configs} == {"q-learning", "sarsa"}
    assert spec.configurations() == SweepSpec(**{**spec.__dict__}).configurations()


def test_the_default_sweep_is_the_tutorials_neighbourhood_and_names_the_tutorial(tmp_path, capsys):
    out = tmp_path / "s.jsonl"
    code = main(
        [
            "sweep",
            "--episodes",
            "2000",
            "--seeds",
            "1",
            "--workers",
            "1",
            "--out",
            str(out),
            "--curves",
            "0",
            "--heatmap",
            "alpha,gamma",
        ]
    )
    text = capsys.readouterr().out
    assert code == 0
    spec, records, _ = read_results(out)
    assert dict(spec.grid) == {
        "alpha": ("0.05", "0.1", "0.2", "0.5"),
        "gamma": ("0.6", "0.8", "0.9"),
        "epsilon": ("0.05", "0.1", "0.2"),
    }
    assert len(records) == 36
    assert "the tutorial's alpha 0.1 gamma 0.6 epsilon 0.1" in text
    assert "gamma \\ alpha" in text
    code = main(["sweep", "--show", str(out), "--curves", "0"])
    assert code == 0 and "36 configurations x 1 seed on" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sweep", "--beta", "0.1"], "unrecognized arguments for 'sweep': --beta"),
        (["sweep", "--alpha", ""], "--alpha '': an empty value"),
        (["sweep", "--alpha", "0.1,,0.2"], "an empty value"),
        (["sweep", "--alpha", "0.1,2"], "--alpha '2': alpha must be in (0, 1]"),
        (["sweep", "--gamma", "0.6,x"], "--gamma 'x': could not convert"),
        (["sweep", "--learner", "q-learning,td9"], "--learner 'td9': unknown learner"),
        (["sweep", "--alpha", "0.1,0.1"], "a value is given twice"),
        (["sweep", "--alpha", "0.01..1"], "--alpha is a range: ranges are for random search"),
        (["sweep", "--samples", "5"], "--samples draws from ranges"),
        (["sweep", "--samples", "5", "--epsilon", "0..0.5"], "drawn log-uniformly; start above 0"),
        (["sweep", "--samples", "5", "--gamma", "0.9..0.5"], "low end must be below its high end"),
        (
            ["sweep", "--samples", "3", "--epsilon", "0.01..exp:1:0.01:0.999"],
            "a range's ends are numbers, got 'exp:1:0.01:0.999'",
        ),
        (["sweep", "--agent", "dqn", "--learning-rate", "5"], "--learning-rate '5'"),
        (
            ["sweep", "--env", "FrozenLake-v1", "--heatmap", "alpha,gamma", "--out", "OUT"],
            "--heatmap: the sweep does not vary gamma",
        ),
        (["sweep", "--heatmap", "alpha"], "--heatmap 'alpha': two different parameters"),
        (
            ["sweep", "--env", "CartPole-v1"],
            "CartPole-v1 has continuous observations, which a Q-table cannot index",
        ),
        (
            [
                "sweep",
                "--cluster",
                "tcp://127.0.0.1:9",
                "--episodes",
                "10",
                "--seeds",
                "1",
                "--alpha",
                "0.1",
                "--out",
                "OUT",
            ],
            "cannot reach the Dask scheduler at tcp://127.0.0.1:9",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, message, capsys, tmp_path):
    argv = [str(tmp_path / "c.jsonl") if a == "OUT" else a for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def _record(line: str, **changes) -> str:
    """A record line with some of its values (or its metrics') changed."""
    record = json.loads(line)
    metrics = changes.pop("metrics", {})
    record.update(changes)
    if metrics:
        record["metrics"] = {**record["metrics"], **metrics}
    return json.dumps(record) + "\n"


DAMAGES = [
    "garbage",
    "middle line",
    "not a sweep",
    "empty",
    "another sweep",
    "params not its key's",
    "curve of strings",
    "ragged curve",
    "huge count",
    "negative count",
    "optimality above 1",
    "infinite return",
]


@pytest.fixture(scope="module")
def small_results(tmp_path_factory) -> str:
    """SMALL's results file, run once for the tests that damage copies of it."""
    path = tmp_path_factory.mktemp("small") / "r.jsonl"
    run_sweep(SMALL, path, workers=1, cluster=None, resume=False)
    return path.read_text()


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_corrupt_results_file_is_one_line(tmp_path, capsys, damage, small_results):
    """Every damaged file is refused in one line by each reader, and left as it was: bad
    lines, records of another sweep (a grid of other alphas), values no trial writes."""
    path = tmp_path / "r.jsonl"
    path.write_text(small_results)
    lines = path.read_text().splitlines(keepends=True)
    head, first, rest = lines[0], lines[1], lines[2:]
    if damage == "garbage":
        path.write_bytes(b"\x00\xff" * 50 + b"\n")
    elif damage == "middle line":
        path.write_text("".join([*lines[:3], "{not json\n", *lines[3:]]))
    elif damage == "not a sweep":
        path.write_text('{"format": "other"}\n')
    elif damage == "empty":
        path.write_text("")
    elif damage == "another sweep":
        other = tmp_path / "other.jsonl"
        spec = dataclasses.replace(SMALL, grid=(("alpha", ("0.3",)),), seeds=1)
        run_sweep(spec, other, workers=1, cluster=None, resume=False)
        path.write_text("".join([*lines, other.read_text().splitlines(keepends=True)[1]]))
    else:
        bad = {
            "params not its key's": dict(params={"alpha": "0.1", "gamma": "0.6", "x": "1"}),
            "curve of strings": dict(curve=[["a", "b"]]),
            "ragged curve": dict(curve=[[1.0, 2.0], [3.0]]),
            "huge count": dict(metrics={"episodes_to_optimal": 10**400}),
            "negative count": dict(metrics={"episodes": -5}),
            "optimality above 1": dict(metrics={"final_optimality": 7.0}),
            "infinite return": dict(metrics={"last100_return": math.inf}),
        }[damage]
        path.write_text("".join([head, _record(first, **bad), *rest]))
    for argv in (
        ["sweep", "--show", str(path)],
        ["sweep", "--resume", str(path)],
        ["--from-sweep", str(path)],
    ):
        before = path.read_bytes()
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert str(path) in err and err.count("\n") == 1 and "Traceback" not in err, err
        assert path.read_bytes() == before  # nothing rewritten


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_not_waited_on(tmp_path, capsys):
    fifo = tmp_path / "r.jsonl"
    os.mkfifo(fifo)
    for argv in (
        ["sweep", "--show", str(fifo)],
        ["sweep", "--resume", str(fifo)],
        ["--from-sweep", str(fifo)],
    ):
        assert main(argv) == 2  # (a blocked read would hang here: the test's timeout)
        err = capsys.readouterr().err
        assert f"{fifo}: not a regular file" in err and err.count("\n") == 1


def test_out_must_name_a_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--episodes", "10", "--seeds", "1", "--alpha", "0.1", "--out", ""]) == 2
    assert capsys.readouterr().err.strip() == "tui-taxi: error: --out needs a file name"
    assert list(tmp_path.iterdir()) == []  # nothing written in the current folder


def test_resume_and_show_refuse_options_that_would_change_the_sweep(tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    run_sweep(SMALL, path, workers=1, cluster=None, resume=False)
    assert main(["sweep", "--resume", str(path), "--alpha", "0.3"]) == 2
    assert "as it was started; drop --alpha" in capsys.readouterr().err
    assert main(["sweep", "--show", str(path), "--seeds", "5"]) == 2
    assert "drop --seeds" in capsys.readouterr().err


def test_a_new_sweep_never_overwrites_a_results_file(tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    path.write_text("precious\n")
    assert (
        main(
            [
                "sweep",
                "--episodes",
                "10",
                "--seeds",
                "1",
                "--alpha",
                "0.1",
                "--workers",
                "1",
                "--out",
                str(path),
            ]
        )
        == 2
    )
    assert "exists; --resume" in capsys.readouterr().err
    assert path.read_text() == "precious\n"


def test_a_trial_is_the_same_wherever_its_config_is_rebuilt():
    trial = Trial(
        "Taxi-v4", (), (("alpha", "exp:1:0.01:0.999"), ("gamma", "0.9")), 3, 100, None, 50
    )
    config = trial.config()
    assert config.alpha.kind == "exp" and config.gamma == 0.9 and config.seed == 3
    assert config.epsilon.start == 0.1  # Taxi's default where the trial sets nothing
    assert math.isclose(config.alpha.value(1), 0.999)
    assert json.loads(trial.key)[2] == [["alpha", "exp:1:0.01:0.999"], ["gamma", "0.9"]]
    with pytest.raises(SweepError):
        parse_values("beta", "0.1")


def test_a_dqn_sweep_counts_steps_and_judges_a_grid_world_by_its_optimum(tmp_path):
    spec = SweepSpec(
        "FrozenLake-v1",
        (("is_slippery", False),),
        grid=(("learning_rate", parse_values("learning_rate", "1e-3,5e-3", "dqn")),),
        seeds=1,
        episodes=None,
        steps=3_000,
        check_every=500,
        agent="dqn",
    )
    records = run_sweep(spec, tmp_path / "d.jsonl", workers=1, cluster=None, resume=False)
    assert [r["error"] for r in records] == [None, None]
    for r in records:
        m = r["metrics"]
        assert m["steps"] == 3_000
        if m["steps_to_optimal"] is not None:  # at a check, a multiple of 500 steps
            assert m["steps_to_optimal"] % 500 == 0 and m["episodes_to_optimal"] <= m["episodes"]
    summaries = aggregate(records, spec)
    assert spec.unit == "steps" and {s.label for s in summaries} == {
        "learning_rate 1e-3",
        "learning_rate 5e-3",
    }
    with pytest.raises(SweepError, match="budget is in steps"):
        SweepSpec("CartPole-v1", agent="dqn", episodes=100)
    with pytest.raises(SweepError, match="a dqn sweep varies"):
        parse_values("alpha", "0.1", "dqn")


def test_without_distributed_the_cluster_option_says_how_to_install_it(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    code = main(
        [
            "sweep",
            "--cluster",
            "tcp://127.0.0.1:8786",
            "--episodes",
            "10",
            "--seeds",
            "1",
            "--alpha",
            "0.1",
            "--out",
            str(tmp_path / "x.jsonl"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'tui-taxi[cluster]'" in err and err.count("\n") == 1
    assert not (tmp_path / "x.jsonl").exists()


def test_the_heatmap_shades_and_writes_each_cell_by_the_metric(tmp_path):
    from tui_taxi.charts import strip_ansi
    from tui_taxi.sweep import heatmap

    records = run_sweep(SMALL, tmp_path / "h.jsonl", workers=1, cluster=None, resume=False)
    summaries = aggregate(records, SMALL)
    plain = heatmap(summaries, ("alpha", "gamma"), "to_optimal")
    rows = {line.split()[0]: line.split()[1:] for line in plain.splitlines()[2:]}
    for s in summaries:  # each cell: as the table, the mean over the seeds that got there
        p = dict(s.params)
        cell = " ".join(rows[p["gamma"]][("0.1", "0.5").index(p["alpha"]) :: 2][:1])
        reached = [
            r["metrics"]["episodes_to_optimal"]
            for r in records
            if r["params"] == p and r["metrics"]["episodes_to_optimal"] is not None
        ]
        assert cell == (f"{sum(reached) / len(reached):,.0f}" if reached else "never")
    coloured = heatmap(summaries, ("alpha", "gamma"), "to_optimal", color=True)
    assert "brighter is better" in coloured and "\x1b[" in coloured
    assert strip_ansi(coloured).splitlines()[-3:] == plain.splitlines()[-3:]


def test_from_sweep_gives_the_best_configuration_of_either_agent(tmp_path):
    from tui_taxi.cli import parse_args
    from tui_taxi.cli.app import config_of as agent_config_from_args
    from tui_taxi.core.dqn.config import DQNConfig

    tab = tmp_path / "t.jsonl"
    records = run_sweep(SMALL, tab, workers=1, cluster=None, resume=False)
    config = agent_config_from_args(parse_args(["--from-sweep", str(tab)]))
    best = dict(aggregate(records, SMALL)[0].params)
    assert config.alpha.start == float(best["alpha"]) and config.gamma == float(best["gamma"])
    assert config.seed == 0 and config.env_id == "Taxi-v4"
    spec = SweepSpec(
        "CartPole-v1",
        grid=(("learning_rate", ("1e-3",)),),
        seeds=1,
        episodes=None,
        steps=300,
        check_every=300,
        agent="dqn",
    )
    run_sweep(spec, tmp_path / "d.jsonl", workers=1, cluster=None, resume=False)
    config = agent_config_from_args(parse_args(["--from-sweep", str(tmp_path / "d.jsonl")]))
    assert isinstance(config, DQNConfig) and config.learning_rate == 1e-3


def test_under_a_step_budget_a_seed_that_never_got_there_counts_the_same_for_all():
    # b ran more episodes than a in the same steps, and neither reached the optimum: the
    # ceiling is common, so the better final policy (b) ranks first
    def record(alpha, episodes, final):
        return {
            "key": alpha,
            "params": {"alpha": alpha},
            "seed": 0,
            "error": None,
            "curve": [],
            "metrics": {
                "episodes_to_optimal": None,
                "steps_to_optimal": None,
                "final_optimality": final,
                "last100_return": 0.0,
                "auc": 0.0,
                "wall_time": 0.0,
                "episodes": episodes,
                "steps": 20_000,
            },
        }

    spec = SweepSpec(
        "Taxi-v4", grid=(("alpha", ("0.1", "0.5")),), seeds=1, episodes=None, steps=20_000
    )
    ranked = aggregate([record("0.1", 108, 0.003), record("0.5", 147, 0.073)], spec)
    assert [s.label for s in ranked] == ["alpha 0.5", "alpha 0.1"]
    assert ranked[0].score == ranked[1].score == 147


def test_a_heatmap_leaves_combinations_that_never_ran_blank(tmp_path):
    from tui_taxi.sweep import heatmap

    records = run_sweep(SMALL, tmp_path / "h.jsonl", workers=1, cluster=None, resume=False)
    some = [r for r in records if r["params"] != {"alpha": "0.5", "gamma": "0.9"}]
    text = heatmap(aggregate(some, SMALL), ("alpha", "gamma"), "final_optimality")
    assert text.splitlines()[-1].split()[-1] == "-"  # gamma 0.9, alpha 0.5: not run


def _dask(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dask", *args, "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


class _Lines(io.StringIO):
    """A stream that lets a test wait for a line (written by the sweep's thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            n = super().write(text)
            self.changed.notify_all()
        return n

    def isatty(self) -> bool:
        return False

    def wait_for(self, part: str, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: part in self.getvalue(), timeout)


def _sweep_thread(spec, path, address, out):
    result: dict = {}

    def run() -> None:
        try:
            result["records"] = run_sweep(
                spec, path, workers=1, cluster=address, resume=False, out=out
            )
        except Exception as exc:  # noqa: BLE001 - handed to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_a_cluster_without_workers_says_what_it_waits_for(tmp_path, monkeypatch):
    """The only worker gone (none yet, here): the sweep says it waits for one, and goes on
    when one joins."""
    pytest.importorskip("distributed", reason="the test extra installs dask's distributed")
    import tui_taxi.sweep as sweeps

    monkeypatch.setattr(sweeps, "STALL_CHECK", 0.5)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port))
    worker = None
    try:
        spec = dataclasses.replace(SMALL, grid=(("alpha", ("0.1",)),), seeds=2, episodes=200)
        out = _Lines()
        thread, result = None, {}
        from distributed import Client

        with Client(address, timeout="60s"):
            pass  # the scheduler is up
        thread, result = _sweep_thread(spec, tmp_path / "w.jsonl", address, out)
        assert out.wait_for("waiting: no worker is connected to the Dask scheduler", 60), (
            out.getvalue(),
            result,
        )
        worker = _dask("worker", address, "--nthreads", "1")
        thread.join(timeout=120)
        assert not thread.is_alive() and "error" not in result, result
        assert len(result["records"]) == 2 and all(r["error"] is None for r in result["records"])
    finally:
        _stop(*(p for p in (worker, scheduler) if p is not None))


def test_a_lost_scheduler_is_one_error_and_no_trial_is_recorded_as_failed(tmp_path, capsys):
    """The scheduler killed mid-sweep: a SweepLost (the CLI's one line and status 1), and the
    file holds only trials that ran: the others are not failures, --resume runs them."""
    pytest.importorskip("distributed", reason="the test extra installs dask's distributed")
    import tui_taxi.sweep as sweeps

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port))
    worker = _dask("worker", address, "--nthreads", "1")
    path = tmp_path / "lost.jsonl"
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=120)
        spec = dataclasses.replace(
            SMALL, grid=(("alpha", ("0.1", "0.2", "0.3")),), seeds=3, episodes=20_000
        )
        out = _Lines()
        thread, result = _sweep_thread(spec, path, address, out)
        deadline = time.monotonic() + 120
        while path.exists() is False or len(path.read_text().splitlines()) < 2:
            assert time.monotonic() < deadline and thread.is_alive(), (out.getvalue(), result)
            thread.join(timeout=0.1)  # (a trial ends within seconds)
        _stop(scheduler)
        thread.join(timeout=120)
        assert not thread.is_alive()
        lost = result.get("error")
        assert isinstance(lost, sweeps.SweepLost), result
        assert lost.what == f"lost the Dask scheduler at {address}"
        _, on_disk, _ = read_results(path)
        assert 1 <= len(on_disk) == lost.done < lost.total == 9
        assert all(r["error"] is None for r in on_disk.values())  # none recorded as failed
    finally:
        _stop(worker, scheduler)


def test_the_curves_legend_is_under_the_chart_and_markers_differ_without_colour():
    from tui_taxi.charts import band_curves

    x = np.arange(0, 3000, 50.0)
    series = [
        (f"#{k + 1} alpha 0.{k + 1}", x, 8 - 200 * np.exp(-x / (400 * (k + 1))), x * 0, x * 0)
        for k in range(3)
    ]
    lines = band_curves(series, 80, 16, color=False, title="t").splitlines()
    frame_end = max(i for i, line in enumerate(lines) if "└" in line)
    inside = "\n".join(lines[: frame_end + 1])
    assert "alpha" not in inside  # no legend drawn over the curves
    legend = [line for line in lines[frame_end + 1 :] if "alpha" in line]
    assert [line.split()[0] for line in legend] == ["+", "x", "o"]
    for marker in "+xo":  # each curve drawn with its own marker
        assert marker in inside


def test_a_terminal_gets_the_heatmap_of_the_two_most_varied_parameters(
    tmp_path, capsys, monkeypatch
):
    from tui_taxi.sweep import most_varied

    spec = dataclasses.replace(
        SMALL,
        grid=(("alpha", ("0.1", "0.2", "0.5")), ("gamma", ("0.6", "0.9")), ("epsilon", ("0.1",))),
    )
    assert most_varied(spec) == ("alpha", "gamma")
    assert most_varied(dataclasses.replace(spec, grid=(("alpha", ("0.1", "0.2")),))) is None
    path = tmp_path / "r.jsonl"
    run_sweep(SMALL, path, workers=1, cluster=None, resume=False)
    capsys.readouterr()
    title = "episodes to optimal by alpha (across) and gamma (down)"
    assert main(["sweep", "--show", str(path)]) == 0
    assert title not in capsys.readouterr().out  # a pipe: as asked, nothing more
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["sweep", "--show", str(path)]) == 0
    assert title in capsys.readouterr().out
