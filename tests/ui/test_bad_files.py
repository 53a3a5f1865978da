"""Every kind of bad session file loaded through the app: an error notice, the session as it was,
and the app goes on taking keys (pause, step, quit)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from driver import make_app, press, settle, settled

from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.core.tabular import kernel as K


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    session = TabularAgent(TrainConfig(seed=5))
    session.train(episodes=20)
    session.train(steps=3)
    path = session.save(tmp_path_factory.mktemp("good") / "good.npz")
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _write(path, arrays, declare=None):
    np.savez(path, **arrays)
    if declare:  # rewrite the archive with a member's declared size changed
        with zipfile.ZipFile(path) as src:
            members = [(info, src.read(info.filename)) for info in src.infolist()]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in members:
                out.writestr(info.filename, data)
            for info in out.infolist():
                if info.filename in declare:
                    info.file_size = declare[info.filename]
    return path


def _with(good, name, index, value):
    arrays = {k: v.copy() for k, v in good.items()}
    arrays[name][index] = value
    return arrays


def _header(good, **changes):
    arrays = dict(good)
    header = json.loads(str(good["header"][()]))
    header.update(changes)
    arrays["header"] = np.array(json.dumps(header))
    return arrays


BAD = {
    "a NaN in the last step": lambda g: _with(g, "record", K.R_Q_OLD, np.nan),
    "action 99 in the last step": lambda g: _with(g, "record", K.R_ACTION, 99),
    "state 1e9 in the last step": lambda g: _with(g, "record", K.R_STATE, 1e9),
    "a history capacity of 2**40": lambda g: _with(g, "history_meta", 0, 2**40),
    "a history width of 0": lambda g: _with(g, "history_meta", 1, 0),
    "gamma = true": lambda g: _header(g, gamma=True),
    "a negative episode counter": lambda g: _with(g, "cursor", K.C_EPISODE, -1),
}


@pytest.mark.parametrize("kind", [*BAD, "a member declaring 2 GB", "not an archive"])
async def test_a_bad_file_is_an_error_and_the_app_keeps_working(good, tmp_path, kind):
    path = tmp_path / "bad.npz"
    if kind == "a member declaring 2 GB":
        _write(path, good, declare={"history_sums.npy": 2**31})
    elif kind == "not an archive":
        path.write_bytes(b"\x00" * 100)
    else:
        _write(path, BAD[kind](good))
    app = make_app(episodes=10)
    async with app.run_test(size=(100, 30)) as pilot:
        before = await settle(pilot, lambda s: s.episode == 10)
        await pilot.press("o")
        app.screen.query_one("#path").value = str(path)
        await pilot.press("enter")
        await settled(pilot)
        await settle(pilot, lambda s: any(n.severity == "error" for n in app._notifications))
        (note,) = [n for n in app._notifications if n.severity == "error"]
        assert str(path) in note.message and "\n" not in note.message
        assert app.trainer.agent.episode == before.episode  # the session is as it was
        snap = await press(pilot, "space")
        assert not snap.paused
        snap = await press(pilot, "space")
        assert snap.paused
        total = snap.total_steps
        snap = await press(pilot, "n")
        assert snap.total_steps == total + 1
        thread = app.trainer.thread
        await pilot.press("q")
    thread.join(timeout=2)
    assert not thread.is_alive() and app.return_code in (0, None)
