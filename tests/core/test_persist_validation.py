"""Loading refuses, in one line and without allocating, anything training could not have saved."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from mdps import make_session

from tui_taxi.core.envs import taxi_encode
from tui_taxi.core.errors import SaveFileError
from tui_taxi.core.tabular import TabularAgent
from tui_taxi.core.tabular import kernel as K

SOUTH, NORTH, EAST, WEST, PICKUP, DROPOFF = range(6)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Arrays of a Taxi session mid-episode (3 finished) whose last step did not end it."""
    from tui_taxi.core.envs import compile_env

    session = make_session(compile_env("Taxi-v4"), epsilon=0.5, seed=7)
    session.train(episodes=3)
    session.train(steps=5)
    assert session.t == 5 and session.history.episodes == 3
    path = session.save(tmp_path_factory.mktemp("good") / "good.npz")
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def _craft(tmp_path, arrays, *, extra=None, declare=None, name="crafted.npz"):
    """An .npz written member by member; ``extra`` adds raw members, ``declare`` overrides the
    uncompressed size the central directory declares for a member."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, arr in arrays.items():
            archive.writestr(f"{key}.npy", _npy(arr))
        for key, data in (extra or {}).items():
            archive.writestr(key, data)
        for info in archive.infolist():  # the directory is written on close, from these
            if declare and info.filename in declare:
                info.file_size = declare[info.filename]
    return path


def _refused(path, message):
    with pytest.raises(SaveFileError, match=message) as info:
        TabularAgent.load(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(str(path))
    return text


def _changed(saved, name, index, value):
    arrays = {k: v.copy() for k, v in saved.items()}
    arrays[name][index] = value
    return arrays


def test_the_unchanged_arrays_load(saved, tmp_path):
    session = TabularAgent.load(_craft(tmp_path, saved))
    assert session.t == 5 and session.episode == 3
    assert session.last_step.t == 5 and session.last_step.next_state == session.state


@pytest.mark.parametrize(
    ("index", "value", "message"),
    [
        (K.R_Q_OLD, np.nan, "record contains NaN"),  # a NaN among numbers: int(nan) later
        (K.R_ACTION, 99, "record's action 99 out of range 0-5"),
        (K.R_STATE, 1e9, r"record's states 1000000000 -> \d+ out of range 0-499"),
        (K.R_NEXT_STATE, -1, "out of range 0-499"),
        (K.R_STATE, 2.5, "fractional"),
        (K.R_EXPLORED, 0.5, "fractional"),
        (K.R_TERMINATED, 2, "flags must be 0 or 1"),
        (K.R_TABLE, -1, "flags must be 0 or 1"),
        (K.R_EPSILON, 1.5, "epsilon 1.5 is outside"),
        (K.R_REWARD, 20.0, "is not one the env makes"),
        (K.R_T, 4, "step 4 of episode 3 does not match the counters"),
        (K.R_EPISODE, 2, "step 5 of episode 2 does not match"),
        (K.R_EPISODE, np.inf, "NaN or infinite"),
    ],
)
def test_impossible_last_steps_are_refused(saved, tmp_path, index, value, message):
    _refused(_craft(tmp_path, _changed(saved, "record", index, value)), message)


def test_a_step_the_env_cannot_make_is_refused(saved, tmp_path):
    arrays = _changed(saved, "record", K.R_NEXT_STATE, (saved["record"][K.R_STATE] + 100) % 500)
    _refused(_craft(tmp_path, arrays), "is not one the env makes")


@pytest.mark.parametrize(
    ("index", "value", "message"),
    [
        (K.C_STATE, 500, "current state 500 out of range 0-499"),
        (K.C_ACTION, 6, "pending action 6 out of range 0-5"),
        (K.C_PENDING, 2, "pending flag is 2"),
        (K.C_PENDING_EXPLORED, -1, "pending-explored flag is -1"),
        (K.C_T, 200, "step 200 of the episode is not below the time limit 200"),
        (K.C_T, -1, "negative counters"),
        (K.C_EPISODE, 10**12, r"need more than \d+ steps"),
        (K.C_TOTAL, 3, "need more than 3 steps"),
        (K.C_PENALTIES, 6, "6 penalties in 5 steps"),
    ],
)
def test_impossible_counters_are_refused(saved, tmp_path, index, value, message):
    _refused(_craft(tmp_path, _changed(saved, "cursor", index, value)), message)


def test_counters_and_history_must_agree(saved, tmp_path):
    arrays = _changed(saved, "cursor", K.C_EPISODE, 4)
    arrays["record"][K.R_EPISODE] = 4
    arrays["cursor"][K.C_TOTAL] += 100
    _refused(_craft(tmp_path, arrays), "history covers 3 episodes, the counters 4")


def test_non_finite_running_return_is_refused(saved, tmp_path):
    _refused(_craft(tmp_path, _changed(saved, "fcursor", 0, np.nan)), "fcursor contains NaN")


def test_absurd_q_values_are_refused(saved, tmp_path):
    _refused(_craft(tmp_path, _changed(saved, "q_a", (0, 0), -1e308)), "q_a has values beyond")


@pytest.mark.parametrize(
    ("index", "value", "message"),
    [
        (0, 2**40, "capacity must be a power of two from 2 to 1048576, got 1099511627776"),
        (1, 0, "bin width must be a power of two >= 1, got 0"),
        (4, 4, "counts 4 episodes but its bins hold 3"),
    ],
)
def test_history_counters_are_checked_before_allocating(saved, tmp_path, index, value, message):
    path = _craft(tmp_path, _changed(saved, "history_meta", index, value))
    tracemalloc.start()
    try:
        _refused(path, message)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6  # a capacity of 2**40 bins would be 32 TiB


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("gamma", True, "gamma must be a number, got True"),
        ("gamma", "0.6", "gamma must be a number"),
        ("gamma", 1.5, r"gamma must be in \[0, 1\], got 1.5"),
        ("seed", True, "seed must be a whole number, got True"),
        ("seed", 1.0, "seed must be a whole number, got 1.0"),
        ("seed", 2**64, "seed must be a whole number >= 0 and < 2"),
        ("max_steps", False, "max_steps must be a whole number or null, got False"),
        ("learner", 1, "learner must be text, got 1"),
        ("learner", "dqn", "unknown learner 'dqn'"),
        ("env_id", ["Taxi-v4"], "env_id must be text"),
        ("env_kwargs", {"is_rainy": True}, "env_kwargs must be a list of"),
        ("env_kwargs", [["is_rainy"]], "env_kwargs must be a list of"),
        ("env_kwargs", [["is_rainy", [True]]], "'is_rainy' must be a plain value"),
        ("env_kwargs", [["is_rainy", True], ["is_rainy", False]], "repeat"),
        ("version", True, "unsupported version True"),
        ("version", 3, "unsupported version 3"),
        ("format", "other", "not a tui-taxi save"),
        ("extra", 1, "unknown fields 'extra'"),
    ],
)
def test_header_fields_have_exact_types(saved, tmp_path, field, value, message):
    header = json.loads(str(saved["header"][()]))
    header[field] = value
    arrays = dict(saved, header=np.array(json.dumps(header)))
    _refused(_craft(tmp_path, arrays), message)


def test_missing_header_fields_and_non_json_headers_are_refused(saved, tmp_path):
    header = json.loads(str(saved["header"][()]))
    del header["seed"]
    _refused(_craft(tmp_path, dict(saved, header=np.array(json.dumps(header)))), "lacks seed")
    _refused(_craft(tmp_path, dict(saved, header=np.array("{not json"))), "header is not JSON")
    deep = np.array("[" * 5_000 + "]" * 5_000)  # json.loads recurses
    _refused(_craft(tmp_path, dict(saved, header=deep)), "header is not JSON")
    _refused(_craft(tmp_path, dict(saved, header=np.array("x" * 20_000))), "header declares")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("epsilon", [1.5, 0.1, 0.1, 0.0], "unknown schedule kind code 1.5"),
        ("epsilon", [2.0, 0.1, 1.0, 0.99], "exp decays from START down to END"),
        ("alpha", [0.0, 0.0, 0.0, 0.0], r"alpha must be in \(0, 1\], got 0"),
        ("alpha", [0.0, np.nan, 0.1, 0.0], "alpha contains NaN"),
    ],
)
def test_schedules_are_checked(saved, tmp_path, name, value, message):
    _refused(_craft(tmp_path, dict(saved, **{name: np.array(value)})), message)


def test_unknown_members_are_refused(saved, tmp_path):
    arrays = {k: v for k, v in saved.items() if k != "q_b"}  # 11 known members and one other
    _refused(
        _craft(tmp_path, arrays, extra={"payload.bin": b"x"}), "unexpected member 'payload.bin'"
    )
    nested = {"sub/q_b.npy": _npy(saved["q_b"])}
    _refused(_craft(tmp_path, arrays, extra=nested), "unexpected member 'sub/q_b.npy'")
    _refused(_craft(tmp_path, arrays), "missing array 'q_b'")


def test_a_member_declaring_2_gb_is_refused_before_it_is_read(saved, tmp_path):
    path = _craft(tmp_path, saved, declare={"history_sums.npy": 2**31})
    tracemalloc.start()
    try:
        _refused(path, r"history_sums declares 2,147,483,648 bytes, at most [\d,]+ expected")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6


def test_an_npy_header_promising_a_huge_array_is_refused_before_allocating(saved, tmp_path):
    buf = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": (2**28, 4)}  # 8 GiB
    np.lib.format.write_array_header_1_0(buf, header)
    arrays = {k: v for k, v in saved.items() if k != "history_sums"}
    _refused(
        _craft(tmp_path, arrays, extra={"history_sums.npy": buf.getvalue() + bytes(64)}),
        r"history_sums has shape \(268435456, 4\), expected \(3, 4\)",
    )


def test_a_deflate_bomb_under_a_small_declared_size_is_never_inflated_in_one_go(saved, tmp_path):
    """An .npy 2.0 header claiming 2 GiB of header text, then 40 MB of zeros that deflate to
    about 40 KB, declared as the 24 KB Q-table it pretends to be: numpy asks for 2 GiB in one
    read, and zipfile would inflate all 40 MB to answer it before cutting to the declared size."""
    bomb = b"\x93NUMPY\x02\x00" + (2**31).to_bytes(4, "little") + bytes(40_000_000)
    arrays = {k: v for k, v in saved.items() if k != "q_a"}
    path = _craft(tmp_path, arrays, extra={"q_a.npy": bomb}, declare={"q_a.npy": 24_128})
    assert path.stat().st_size < 100_000
    del bomb
    tracemalloc.start()
    try:
        _refused(path, "corrupt or truncated: Bad CRC-32")  # after 24 KB, never 40 MB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10e6


def test_too_many_directory_entries_are_refused_before_zipfile_reads_them(saved, tmp_path):
    extra = {f"junk{i}.npy": b"" for i in range(2000)}
    _refused(_craft(tmp_path, saved, extra=extra), "lists 2021 members, a save has at most 21")


def test_an_object_array_is_refused_as_pickle(saved, tmp_path):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([None, 1], dtype=object), allow_pickle=True)
    arrays = {k: v for k, v in saved.items() if k != "rng"}
    _refused(
        _craft(tmp_path, arrays, extra={"rng.npy": buf.getvalue()}),
        "rng contains pickled data, which is never loaded",
    )


def test_a_fortran_ordered_table_loads_as_the_same_table(saved, tmp_path):
    arrays = dict(saved, q_a=np.asfortranarray(saved["q_a"] + np.arange(3000).reshape(500, 6)))
    session = TabularAgent.load(_craft(tmp_path, arrays))
    np.testing.assert_array_equal(session.q_a, saved["q_a"] + np.arange(3000).reshape(500, 6))


def test_fresh_and_just_finished_sessions_round_trip(taxi, tmp_path):
    fresh = make_session(taxi, seed=5)
    assert TabularAgent.load(fresh.save(tmp_path / "fresh.npz")).last_step is None
    ended = make_session(taxi, seed=5, max_steps=0)
    ended.cursor[K.C_STATE] = taxi_encode(0, 0, 4, 0)  # at R with the passenger, who goes to R
    ended.step(DROPOFF)
    back = TabularAgent.load(ended.save(tmp_path / "ended.npz"))
    assert back.last_step.terminated and back.last_step.reward == 20.0
    assert (back.episode, back.t, back.history.episodes) == (1, 0, 1)


def test_a_session_whose_episode_was_abandoned_round_trips(taxi, tmp_path):
    session = make_session(taxi, seed=6)
    session.train(steps=7)
    session.new_episode()  # the last step's episode is dropped, not counted
    back = TabularAgent.load(session.save(tmp_path / "fresh_start.npz"))
    assert (back.t, back.episode, back.state) == (0, 0, session.state)
    assert back.last_step == session.last_step and back.last_step.t == 7
