"""The trainer without a screen: reports never outlive their session, their failures are told,
and intents are resolved by the worker from its own state."""

from __future__ import annotations

import queue
import threading

import pytest

import tui_taxi.snapshots as snapshots_module
from tui_taxi.core.optimal import policy_report
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.protocol import (
    DEFAULT_SPEED,
    SPEEDS,
    Adjust,
    ChangeSpeed,
    NextVariant,
    Notice,
    Reset,
    SetPaused,
)
from tui_taxi.trainer import Trainer


class Recorder:
    def __init__(self) -> None:
        self.snapshots: queue.Queue = queue.Queue()
        self.events: list = []

    def wait_for(self, predicate, timeout: float = 30.0):
        while True:
            snap = self.snapshots.get(timeout=timeout)
            if predicate(snap):
                return snap


def _started(session: TabularAgent, **kwargs) -> tuple[Trainer, Recorder]:
    seen = Recorder()
    trainer = Trainer(session, seen.snapshots.put, seen.events.append, paused=True, **kwargs)
    trainer.start()
    return trainer, seen


def test_a_report_of_the_previous_session_never_shows(monkeypatch, trained_taxi):
    release = threading.Event()
    calls = []

    def slow_first(model, q, gamma):
        calls.append(1)
        if len(calls) == 1:
            release.wait(timeout=30)  # still computing for the old session when it is reset
        return policy_report(model, q, gamma)

    monkeypatch.setattr(snapshots_module, "policy_report", slow_first)
    trainer, seen = _started(trained_taxi.copy())
    try:
        trainer.send(Reset())
        reset = seen.wait_for(lambda s: s.episode == 0)
        release.set()  # the old session's report (300/300 optimal) comes in now
        fresh = seen.wait_for(lambda s: s.report is not None)
        assert fresh.seq > reset.seq
        assert fresh.report.n_optimal < 300  # the zero table's report, not the trained one's
        while not seen.snapshots.empty():
            snap = seen.snapshots.get()
            assert snap.report is None or snap.report.n_optimal < 300
    finally:
        trainer.stop()


def test_a_failing_report_is_told_not_swallowed(monkeypatch):
    def broken(model, q, gamma):
        raise FloatingPointError("singular system")

    monkeypatch.setattr(snapshots_module, "policy_report", broken)
    trainer, seen = _started(TabularAgent(TrainConfig()))
    try:
        for _ in range(300):
            if any(isinstance(e, Notice) and "singular system" in e.text for e in seen.events):
                break
            threading.Event().wait(0.01)
        (note,) = [e for e in seen.events if isinstance(e, Notice) and "singular" in e.text]
        assert note.severity == "error" and "policy report failed" in note.text
        assert trainer.thread.is_alive()
    finally:
        trainer.stop()


def test_intents_sent_in_a_burst_all_count():
    trainer, seen = _started(TabularAgent(TrainConfig()))
    try:
        for _ in range(3):
            trainer.send(ChangeSpeed(+1))
        for _ in range(30):  # past the end: clamped at turbo, with a notice saying so
            trainer.send(ChangeSpeed(+1))
        trainer.send(Adjust("explore", 1))
        trainer.send(Adjust("explore", 1))
        trainer.send(NextVariant())
        trainer.send(NextVariant())
        snap = seen.wait_for(lambda s: s.handled >= trainer.sent)
        assert snap.speed_index == len(SPEEDS) - 1
        assert snap.epsilon == pytest.approx(0.2)
        assert snap.config.learner == "expected-sarsa"
        texts = [e.text for e in seen.events if isinstance(e, Notice)]
        assert texts[0] == f"speed: {SPEEDS[DEFAULT_SPEED + 1].label}"
        assert "speed: turbo (fastest)" in texts
        assert "epsilon ε = 0.20" in texts and "learner: expected-sarsa" in texts
    finally:
        trainer.stop()


def test_alpha_keeps_above_zero_and_says_so():
    trainer, seen = _started(TabularAgent(TrainConfig(alpha=TrainConfig().alpha.constant(0.05))))
    try:
        trainer.send(Adjust("rate", -1))
        snap = seen.wait_for(lambda s: s.handled >= trainer.sent)
        assert snap.value("alpha") == 0.05
        assert any("its minimum" in e.text for e in seen.events if isinstance(e, Notice))
        trainer.send(SetPaused(False))
        seen.wait_for(lambda s: s.total_steps > 0)
    finally:
        trainer.stop()


def test_surprise_names_what_a_move_did_beyond_itself():
    """By hand, from the books' and Gymnasium's maps: on FrozenLake 4x4 (state 0 top left,
    actions Left Down Right Up) Right from 0 may slip Down to 4 or Up into the edge; Windy
    Gridworld's column 6 pushes 2 up (row 3 -> row 1); Cliff Walking's Right from 36 (row 3,
    col 0) steps into the cliff and back to 36."""
    from tui_taxi.core.envs import compile_env
    from tui_taxi.play import surprise

    lake = compile_env("FrozenLake-v1", ())
    assert surprise(lake, 0, 2, 1) is None  # meant: Right to 1
    assert surprise(lake, 0, 2, 4) == "slipped: moved Down"
    assert surprise(lake, 0, 2, 0) == "slipped: stayed put (against the edge)"
    windy = compile_env("tui_taxi/WindyGridworld-v0", ())
    assert surprise(windy, 36, 1, 17) == "the wind pushed you 2 up"  # (3, 6) -> (1, 7)
    assert surprise(windy, 30, 1, 31) is None  # column 0: no wind
    cliff = compile_env("CliffWalking-v1", ())
    assert surprise(cliff, 36, 1, 36) == "fell off the cliff: back to the start"
    taxi = compile_env("Taxi-v4", ())
    assert surprise(taxi, 0, 0, 100) is None  # not a grid world: nothing to say


def test_a_persons_slip_on_the_ice_is_said():
    from tui_taxi.protocol import Move, SetManual

    session = TabularAgent(TrainConfig(env_id="FrozenLake-v1", seed=3))
    trainer, seen = _started(session)
    try:
        trainer.send(SetManual(True))
        for _ in range(40):  # Right from wherever: a slip comes within a few moves
            trainer.send(Move(2))
        seen.wait_for(lambda s: s.handled >= trainer.sent)
    finally:
        trainer.stop()
    said = [e.text for e in seen.events if isinstance(e, Notice) and e.topic == "surprise"]
    slips = [t for t in said if t]
    assert slips and all(t.startswith("slipped: ") for t in slips)
    assert "" in said  # a move that went as meant clears the last word
