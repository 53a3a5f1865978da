"""Bad command lines run as real processes (``python -m tui_taxi ...``), all at once: each must
exit with status 2 and one line on stderr, before any training (the large counts would take
minutes to train), never a traceback."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIG = "9223372036854775808"  # 2**63: one past the largest 64-bit integer

#: The issue's matrix, one case per cause (the in-process tests in test_cli.py cover the rest).
BAD = [
    ["train", "--episodes", BIG],
    ["train", "--max-steps", BIG],
    ["eval", "run.npz", "--episodes", "1e30"],
    ["serve", "--port", "70000"],
    ["train", "--seed", str(2**64)],
    ["train", "--env", "FrozenLake-v1", "--env-kwarg", "map_name=16x16"],
    ["train", "--env", "FrozenLake-v1", "--env-kwarg", "is_slippery=3.5"],
    ["train", "--episodes", "1000000", "--save", "x" * 300 + ".npz"],
    ["train", "--episodes", "1000000", "--save", ""],
    ["train", "--episodes", "1000000", "--save", "newdir/"],  # needs persist's check
    ["--alpha", "0.5", "eval", "run.npz"],
    ["demo", "--export", "no/such/folder/my.tour"],
]


def test_bad_command_lines_fail_fast_with_one_line(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tui_taxi", *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        for argv in BAD
    ]
    failures = []
    for argv, proc in zip(BAD, procs, strict=True):
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            failures.append(f"{_show(argv)}: still running after 120 s (did it start training?)")
            continue
        lines = err.strip().splitlines()
        if not (
            proc.returncode == 2
            and len(lines) == 1
            and lines[0].startswith("tui-taxi: error: ")
            and "Traceback" not in err
            and out == ""
        ):
            failures.append(f"{_show(argv)}: exit {proc.returncode}, stderr {err[-300:]!r}")
    assert not failures, "\n".join(failures)
    assert list(tmp_path.iterdir()) == []  # nothing saved or exported


def _show(argv: list[str]) -> str:
    return " ".join(repr(arg) if len(arg) < 40 else f"'{arg[:20]}...'" for arg in argv)


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_killed_sweep_leaves_no_worker_behind(tmp_path):
    """kill -9 of a pool sweep's driver: its workers (and multiprocessing's resource tracker)
    end within seconds, not after the trials they were running."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    argv = ["sweep", "--workers", "2", "--seeds", "2", "--episodes", "2000000"]
    driver = subprocess.Popen(
        [sys.executable, "-m", "tui_taxi", *argv, "--alpha", "0.1,0.2", "--out", "r.jsonl"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        children: set[int] = set()
        while len(children) < 3 and time.monotonic() < deadline:  # 2 workers + the tracker
            children = _children(driver.pid)
            time.sleep(0.1)
        assert len(children) >= 3, children
        driver.kill()
        driver.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [c for c in children if _alive(c)]
    finally:
        for c in _children(driver.pid) | children:
            with contextlib.suppress(OSError):
                os.kill(c, 9)
    assert not left, f"still running after the driver was killed: {left}"
