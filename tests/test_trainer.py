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
