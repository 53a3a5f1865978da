"""Save, load and resume: exact continuation, strict validation, atomic writes."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from mdps import make_session

from tui_taxi.core import archive as persist
from tui_taxi.core.errors import SaveFileError
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular import TabularAgent
from tui_taxi.core.tabular import kernel as K


@pytest.mark.parametrize("learner", K.LEARNERS)
def test_resume_continues_exactly_as_the_uninterrupted_run(taxi, tmp_path, learner):
    eps = Schedule("exp", 1.0, 0.05, 0.99)
    plan = {"planning_steps": 5 if learner in K.PLANNERS else 0}
    uninterrupted = make_session(taxi, learner=learner, epsilon=eps, seed=21, **plan)
    uninterrupted.train(steps=40_000)

    first = make_session(taxi, learner=learner, epsilon=eps, seed=21, **plan)
    first.train(steps=17_777)  # stops mid-episode (and, for SARSA, with a pending action)
    path = first.save(tmp_path / "run.npz")
    resumed = TabularAgent.load(path)
    assert resumed.config == first.config
    resumed.train(steps=40_000 - 17_777)

    np.testing.assert_array_equal(resumed.q_a, uninterrupted.q_a)
    np.testing.assert_array_equal(resumed.q_b, uninterrupted.q_b)
    np.testing.assert_array_equal(resumed.rng, uninterrupted.rng)
    for mine, theirs in zip(resumed.dyna, uninterrupted.dyna, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(resumed.cursor, uninterrupted.cursor)
    np.testing.assert_array_equal(resumed.history.sums(), uninterrupted.history.sums())
    assert resumed.history.recent_mean_return() == uninterrupted.history.recent_mean_return()


def test_env_kwargs_and_hyperparameters_round_trip(tmp_path):
    from tui_taxi.core.tabular import TabularAgent, TrainConfig

    config = TrainConfig(
        env_kwargs=(("is_rainy", True),),
        learner="expected-sarsa",
        alpha=Schedule("linear", 0.5, 0.1, 1000),
        gamma=0.9,
        max_steps=0,
        seed=8,
    )
    session = TabularAgent(config)
    session.train(episodes=20)
    loaded = TabularAgent.load(session.save(tmp_path / "rainy.npz"))
    assert loaded.config == config
    assert loaded.model.n_outcomes.max() == 3
    assert loaded.last_step == session.last_step


def test_loading_never_unpickles(tmp_path, monkeypatch):
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"q_a": np.zeros((500, 6))}))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(SaveFileError, match="pickled data, which is never loaded"):
        TabularAgent.load(path)


def _good_arrays(taxi, tmp_path):
    session = make_session(taxi, seed=1)
    session.train(episodes=10)
    path = session.save(tmp_path / "good.npz")
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _write(tmp_path, arrays, name="bad.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(q_a=np.zeros((3, 3))), "q_a has shape"),
        (lambda d: d["q_a"].__setitem__((0, 0), np.nan), "NaN"),
        (lambda d: d["q_a"].__setitem__((0, 0), np.inf), "NaN or infinite"),
        (lambda d: d.pop("rng"), "missing array 'rng'"),
        (lambda d: d.update(rng=np.zeros(4, dtype=np.uint64)), "all zero"),
        (lambda d: d.update(cursor=np.full(K.N_CURSOR, 999, dtype=np.int64)), "out of range"),
        (lambda d: d.update(q_a=d["q_a"].astype(np.float32)), "dtype float32"),
        (lambda d: d.update(header=np.array(json.dumps({"format": "other"}))), "not a tui-taxi"),
        (lambda d: d.update(q_a=np.array([object()], dtype=object)), "pickled"),
    ],
)
def test_invalid_files_are_refused_with_one_line(taxi, tmp_path, change, message):
    arrays = _good_arrays(taxi, tmp_path)
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays, allow_pickle=True)
    with pytest.raises(SaveFileError, match=message) as info:
        TabularAgent.load(tmp_path / "bad.npz")
    assert "\n" not in str(info.value)


def test_wrong_env_in_header_is_refused(taxi, tmp_path):
    arrays = _good_arrays(taxi, tmp_path)
    header = json.loads(str(arrays["header"][()]))
    header["env_id"] = "FrozenLake-v1"  # 16 states, but the Q-table has 500 rows
    arrays["header"] = np.array(json.dumps(header))
    with pytest.raises(SaveFileError, match=r"q_a declares [\d,]+ bytes, at most"):
        TabularAgent.load(_write(tmp_path, arrays))


def test_corrupt_truncated_and_missing_files(taxi, tmp_path):
    good = tmp_path / "good.npz"
    make_session(taxi).save(good)
    (tmp_path / "text.npz").write_text("hello")
    (tmp_path / "cut.npz").write_bytes(good.read_bytes()[:2000])
    for name, message in [
        ("text.npz", "not an .npz archive"),
        ("cut.npz", "corrupt or truncated"),
        ("nope.npz", "no such file"),
    ]:
        with pytest.raises(SaveFileError, match=message):
            TabularAgent.load(tmp_path / name)
    with pytest.raises(SaveFileError, match="is a folder"):
        TabularAgent.load(tmp_path)


def test_a_failed_save_leaves_the_old_file_and_no_litter(taxi, tmp_path, monkeypatch):
    target = tmp_path / "keep.npz"
    session = make_session(taxi)
    session.save(target)
    before = target.read_bytes()
    session.train(episodes=50)

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persist.np, "savez", broken_savez)
    with pytest.raises(SaveFileError, match="No space left"):
        session.save(target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.npz"]


def test_saving_into_a_missing_folder_is_a_clear_error(taxi, tmp_path):
    with pytest.raises(SaveFileError, match="does not exist"):
        make_session(taxi).save(tmp_path / "no" / "such.npz")


def test_saved_files_get_ordinary_permissions(taxi, tmp_path):
    import os
    import stat

    path = make_session(taxi).save(tmp_path / "mode.npz")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_saving_onto_a_folder_is_a_clear_error(taxi, tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(SaveFileError, match="it is a folder"):
        make_session(taxi).save(tmp_path / "taken")


# -- save targets, checked before any work ---------------------------------------------------
@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "cannot save to '': the file name is empty"),
        ("newdir/", "cannot save to newdir/: it names a folder; add a file name"),
        ("x" * 300 + ".npz", "the file name is 304 bytes long, at most 255 allowed"),
        ("no/such/folder/run.npz", "folder no/such/folder does not exist"),
        (".", "it is a folder"),
        ("..", "it is a folder"),
        ("/dev/null", "it exists and is not a file"),
        ("a\0b.npz", "contains a NUL byte"),
    ],
)
def test_bad_save_targets_are_one_line_errors_before_any_work(
    target, message, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SaveFileError, match=re.escape(message)) as info:
        persist.check_save_target(target)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200
    assert list(tmp_path.iterdir()) == []


def test_a_file_used_as_a_folder_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SaveFileError, match="is not a folder"):
        persist.check_save_target(tmp_path / "file" / "run.npz")


def test_an_unwritable_folder_is_refused_before_training(tmp_path):
    """Tried for real with a temporary file (root writes anywhere: it drops to nobody)."""
    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # nobody can reach /tmp, not pytest's tmp_path
    try:
        folder.chmod(0o555)
        refused = pytest.raises(SaveFileError, match="is not writable .Permission denied.")
        with _as_nobody(), refused:
            persist.check_save_target(folder / "run.npz")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)
        folder.rmdir()


@contextlib.contextmanager
def _as_nobody():
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_a_good_target_leaves_nothing_behind(tmp_path):
    assert persist.check_save_target(tmp_path / "run.npz") == tmp_path
    assert list(tmp_path.iterdir()) == []
    assert persist.check_save_target("run.npz") == Path(".")


def test_every_os_error_of_a_save_is_a_session_file_error(taxi, tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(persist.os, "replace", refuse)
    with pytest.raises(SaveFileError, match="cannot save to .*run.npz: Permission denied"):
        make_session(taxi).save(tmp_path / "run.npz")
    assert list(tmp_path.iterdir()) == []


# -- temporary files left by a save killed mid-write -----------------------------------------
DEAD_PID = 2**31 - 1  # above any pid_max: no such process


def _leftover(folder, pid, age, name="run.npz"):
    path = folder / f".{name}.pid{pid}.abcd_123.tmp"
    path.write_bytes(b"PK\x03\x04 half a file")
    mtime = time.time() - age
    os.utime(path, (mtime, mtime))
    return path


def test_a_stale_temp_file_is_removed_by_the_next_save(taxi, tmp_path):
    stale = _leftover(tmp_path, DEAD_PID, age=3600)
    other_target = _leftover(tmp_path, DEAD_PID, age=3600, name="other.npz")
    make_session(taxi).save(tmp_path / "run.npz")
    assert not stale.exists() and not other_target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


def test_temp_files_of_live_or_recent_writers_are_kept(taxi, tmp_path):
    live = _leftover(tmp_path, os.getppid(), age=3600)  # pytest's parent: alive
    mine = _leftover(tmp_path, os.getpid(), age=3600, name="other.npz")
    recent = _leftover(tmp_path, DEAD_PID, age=5, name="third.npz")  # its writer may be elsewhere
    foreign = tmp_path / ".notes.txt.tmp"  # not one of ours
    foreign.write_text("keep")
    os.utime(foreign, (0, 0))
    make_session(taxi).save(tmp_path / "run.npz")
    assert live.exists() and mine.exists() and recent.exists() and foreign.exists()


def test_a_save_cleans_only_its_own_folder(taxi, tmp_path):
    (tmp_path / "sub").mkdir()
    elsewhere = _leftover(tmp_path, DEAD_PID, age=3600)
    make_session(taxi).save(tmp_path / "sub" / "run.npz")
    assert elsewhere.exists()


def test_devices_and_pipes_are_not_read(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # opening it to read would block until a writer came
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(SaveFileError, match="not a regular file"):
            TabularAgent.load(path)
