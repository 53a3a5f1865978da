"""The agent interface: a kind defined only in a test (a random policy, tests/kinds.py) runs in
the trainer, in the app under Pilot, in ``train``, ``eval`` and a sweep with no other edit; and
the trainer, driven without the app (intents in, snapshots and events out), does the same for
each shipped kind."""

from __future__ import annotations

import json
import queue

import numpy as np
import pytest
from kinds import RandomAgent, RandomConfig

import tui_taxi.core.agent as agent_module
from tui_taxi.cli import main
from tui_taxi.core.agent import Budget, kinds, load, register
from tui_taxi.core.dqn import DQNAgent, DQNConfig
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.demo import parse_tour
from tui_taxi.protocol import (
    Adjust,
    Load,
    NextVariant,
    Notice,
    Reset,
    RunTour,
    Save,
    SetManual,
    SetPaused,
    SetSpeed,
    SetWorld,
    Step,
    StepInPlayMode,
    Train,
)
from tui_taxi.trainer import Trainer


@pytest.fixture
def random_kind(monkeypatch):
    """The random policy registered for this test only (the registry is restored after)."""
    kinds()  # the shipped kinds first
    monkeypatch.setattr(agent_module, "_KINDS", dict(agent_module._KINDS))
    register(RandomAgent)
    return RandomAgent


class Seen:
    """What a trainer published: snapshots (waited on, never slept for) and events."""

    def __init__(self) -> None:
        self.snapshots: queue.Queue = queue.Queue()
        self.events: list = []

    def until(self, predicate, timeout: float = 60.0):
        while True:
            snap = self.snapshots.get(timeout=timeout)
            if predicate(snap):
                return snap

    def notices(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, Notice)]


def started(agent, **options) -> tuple[Trainer, Seen]:
    seen = Seen()
    trainer = Trainer(agent, seen.snapshots.put, seen.events.append, paused=True, **options)
    trainer.start()
    return trainer, seen


def handled(trainer: Trainer, seen: Seen, *intents):
    for intent in intents:
        trainer.send(intent)
    return seen.until(lambda s: s.handled >= trainer.sent)


# -- the test's own kind everywhere --------------------------------------------------------------
def test_the_random_kind_is_registered_and_found_by_name(random_kind):
    assert list(kinds()) == ["tabular", "dqn", "random"]
    assert agent_module.kind_named("random") is RandomAgent
    assert agent_module.kind_of(RandomConfig()) is RandomAgent


def test_the_random_kind_runs_in_the_trainer(random_kind, tmp_path):
    trainer, seen = started(RandomAgent(RandomConfig(seed=3)))
    try:
        snap = handled(trainer, seen, Step(5))
        assert snap.kind == "random" and snap.variant == "random" and snap.total_steps == 5
        assert snap.settings == () and snap.epsilon == 1.0
        assert snap.last_step.t == 5 and snap.q.shape == (500, 6)
        handled(trainer, seen, Adjust("explore", 1), NextVariant())
        assert "random has no such setting" in seen.notices()
        assert any("has no other variant" in text for text in seen.notices())
        snap = handled(trainer, seen, Train(Budget(episodes=4)))
        assert snap.episode == 4 and len(snap.chart.episode) == 4
        handled(trainer, seen, SetSpeed(9), SetPaused(False))  # flat out, then pause again
        seen.until(lambda s: s.episode > 20)
        snap = handled(trainer, seen, SetPaused(True), Save(str(tmp_path / "r.npz")))
        handled(trainer, seen, Reset())
        assert "agent reset: counters, counters and history cleared" in seen.notices()
        snap = handled(trainer, seen, Load(str(tmp_path / "r.npz")))
        assert snap.kind == "random" and snap.total_steps > 0
        snap = handled(trainer, seen, SetWorld("FrozenLake-v1"))
        assert snap.kind == "random" and snap.world.env_id == "FrozenLake-v1"
        assert trainer.thread.is_alive()
    finally:
        trainer.stop()


async def test_the_random_kind_runs_in_the_app_under_pilot(random_kind):
    from tui_taxi.ui.app import TaxiApp
    from tui_taxi.ui.widgets.status_bar import StatusBar
    from tui_taxi.ui.widgets.td_explainer import TDExplainer

    app = TaxiApp(RandomAgent(RandomConfig(seed=1)), paused=True, save_path="r.npz")
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("n", "n", "n", "e", "l", "c", "v", "x", "question_mark", "escape"):
            await pilot.press(key)
        for _ in range(500):
            await pilot.pause(0.01)
            if app.snapshot is not None and app.snapshot.handled >= app.trainer.sent:
                break
        snap = app.snapshot
        assert snap.kind == "random" and snap.total_steps == 3
        assert "random" in app.query_one(StatusBar).text().plain
        explained = app.query_one(TDExplainer).text().plain
        assert explained.startswith("random · explored")
        app.trainer.stop()


def test_the_random_kind_trains_evaluates_and_is_swept_from_the_command_line(
    random_kind, capsys, tmp_path
):
    path = tmp_path / "r.npz"
    argv = ["train", "--agent", "random", "--episodes", "30", "--patience", "3", "--no-chart"]
    assert main([*argv, "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert "trained random on Taxi-v4 for 30 episodes" in out and f"saved to {path}" in out
    assert "policy optimality: greedy policy optimal for gamma 0.9 from" in out
    agent = load(path)
    assert isinstance(agent, RandomAgent) and agent.config.patience == 3 and agent.episode == 30
    assert main(["eval", str(path), "--episodes", "20"]) == 0
    out = capsys.readouterr().out
    assert "random on Taxi-v4, 30 episodes trained (gamma 0.9, seed 0)" in out
    assert "greedy evaluation over 20 episodes" in out
    # an option of another kind is refused, and theirs are refused for it
    assert main(["train", "--agent", "random", "--alpha", "0.5"]) == 2
    assert "--alpha is a tabular setting: add --agent tabular" in capsys.readouterr().err
    assert main(["train", "--patience", "2"]) == 2
    assert "--patience is a random setting: add --agent random" in capsys.readouterr().err
    results = tmp_path / "s.jsonl"
    sweep = ["sweep", "--agent", "random", "--gamma", "0.5,0.9", "--seeds", "2"]
    sweep += ["--episodes", "20", "--workers", "1", "--curves", "0", "--out", str(results)]
    assert main(sweep) == 0
    records = [json.loads(line) for line in results.read_text().splitlines()[1:]]
    assert len(records) == 4 and all(r["error"] is None for r in records)
    assert all(r["metrics"]["episodes"] == 20 for r in records)
    assert "2 configurations x 2 seeds on Taxi-v4" in capsys.readouterr().out


# -- the trainer, without the app, for each shipped kind --------------------------------------
SMALL_DQN = {
    "learning_starts": 50,
    "train_frequency": 4,
    "gradient_steps": 1,
    "buffer_size": 500,
    "batch_size": 16,
    "hidden": (16,),
}
AGENTS = {
    "tabular": lambda: TabularAgent(TrainConfig(seed=4)),
    "dqn on Taxi": lambda: DQNAgent(DQNConfig(env_id="Taxi-v4", seed=4, **SMALL_DQN)),
    "dqn on CartPole": lambda: DQNAgent(DQNConfig(seed=4, **SMALL_DQN)),
}


@pytest.mark.parametrize("name", list(AGENTS))
def test_the_trainer_resolves_every_intent_for_each_kind(name, tmp_path):
    agent = AGENTS[name]()
    kind = type(agent)
    trainer, seen = started(agent)
    try:
        first = seen.until(lambda s: True)
        assert first.kind == kind.name and first.total_steps == 0
        stepped = handled(trainer, seen, Step(3))
        assert stepped.total_steps == 3 and stepped.last_step.t == 3 and stepped.paused
        # the explore keys move epsilon by the kind's step; the rate keys the kind's own setting
        rate = next(s for s in stepped.settings if s.role == "rate")
        snap = handled(trainer, seen, Adjust("explore", -1), Adjust("rate", 1))
        assert snap.epsilon == pytest.approx(round(stepped.epsilon - 0.05, 4))
        moved = next(s for s in snap.settings if s.role == "rate")
        expected = rate.value * rate.factor if rate.factor else rate.value + rate.step
        assert moved.name == rate.name and moved.value == pytest.approx(expected, rel=1e-2)
        assert f"{moved.label} = {moved.text}" in seen.notices()
        before = snap.variant
        snap = handled(trainer, seen, NextVariant())
        assert snap.variant != before  # the next learner, or Double DQN
        snap = handled(trainer, seen, Train(Budget(steps=200)))
        assert snap.total_steps == 203
        path = tmp_path / "a.npz"
        handled(trainer, seen, Save(str(path)))
        snap = handled(trainer, seen, Reset())
        assert snap.total_steps == 0 and f"agent reset: {kind.resets}" in seen.notices()[-1]
        snap = handled(trainer, seen, Load(str(path)))
        assert snap.total_steps == 203 and snap.variant != before
        # flat out for a while, then paused: the kind trains in calls the trainer paces
        snap = handled(trainer, seen, SetSpeed(9), SetPaused(False))
        seen.until(lambda s: s.total_steps > 2_000)
        snap = handled(trainer, seen, SetPaused(True))
        assert snap.paused and trainer.thread.is_alive()
    finally:
        trainer.stop()


def test_the_trainer_replays_a_tour_through_the_intents_for_a_network():
    tour = parse_tour(
        "agent dqn\nseed 2\n== Learn\n> A network learns.\nset learning_rate 0.001\n"
        "train 300 steps\n== Watch\n> It steps.\nsteps 4\n",
        "t.tour",
    )
    trainer, seen = started(TabularAgent(TrainConfig()))
    try:
        snap = handled(trainer, seen, RunTour(tour, 0))
        assert snap.kind == "dqn" and snap.total_steps == 300 and snap.world.env_id == "CartPole-v1"
        assert snap.value("learning_rate") == 0.001
        assert not [n for n in seen.notices() if "learning rate" in n]  # a tour's intents: quiet
        snap = handled(trainer, seen, RunTour(tour, 1))
        assert snap.playing_to == 304  # the closing steps play at a visible pace
        snap = seen.until(lambda s: not s.playing_to)
        assert snap.total_steps == 304 and snap.paused
    finally:
        trainer.stop()


@pytest.mark.parametrize("name", ["tabular", "dqn on CartPole"])
def test_play_mode_practises_the_kinds_own_budget_then_hands_over(name):
    agent = AGENTS[name]()
    if isinstance(agent, DQNAgent):
        agent = DQNAgent(DQNConfig(seed=4, total_timesteps=600, **SMALL_DQN))
    trainer, seen = started(agent, manual=True, practice=True)
    try:
        snap = seen.until(lambda s: s.manual and s.practice == 0 and s.total_steps > 0)
        budget, _ = agent.practice()
        done = snap.total_steps if agent.unit == "steps" else snap.episode
        assert done == (budget.steps or budget.episodes) and snap.unit == agent.unit
        assert any(text.startswith("the agent trained") for text in seen.notices())
        after = handled(trainer, seen, Step())  # a person drives: the agent takes no step
        assert after.total_steps == snap.total_steps
        assert any(isinstance(e, StepInPlayMode) for e in seen.events)
        handled(trainer, seen, SetManual(False))
        assert trainer.thread.is_alive()
    finally:
        trainer.stop()


def test_a_kinds_predict_takes_a_vector_envs_batch():
    agent = TabularAgent(TrainConfig(seed=0)).learn(200_000)
    states = np.array([0, 17, 328, 499])
    actions, state = agent.predict(states)
    assert state is None and actions.shape == (4,)
    assert list(actions) == [agent.predict(int(s))[0] for s in states]
