"""Same seed and configuration: bitwise-identical results however the run is cut up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mdps import make_session

from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular import kernel as K


def _state(session):
    return (
        session.q_a.copy(),
        session.q_b.copy(),
        session.cursor.copy(),
        session.fcursor.copy(),
        session.rng.copy(),
        session.history.sums(),
        *(part.copy() for part in session.dyna),
    )


def _planning(learner: str) -> dict:
    """The planners plan (5 updates a step); the others take no planning steps."""
    return {"planning_steps": 5 if learner in K.PLANNERS else 0}


def _assert_same(a, b):
    for x, y in zip(_state(a), _state(b), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("learner", K.LEARNERS)
def test_one_call_many_calls_and_single_steps_agree(taxi, learner):
    eps = Schedule("linear", 1.0, 0.1, 300)
    plan = _planning(learner)
    whole = make_session(taxi, learner=learner, epsilon=eps, seed=11, **plan)
    whole.train(episodes=600)
    chunked = make_session(taxi, learner=learner, epsilon=eps, seed=11, **plan)
    for _ in range(6):
        chunked.train(episodes=100)
    _assert_same(whole, chunked)

    # steps: part by single steps, part by step chunks, the rest by episodes
    mixed = make_session(taxi, learner=learner, epsilon=eps, seed=11, **plan)
    for _ in range(2000):
        mixed.step()
    mixed.train(steps=12_345)
    mixed.train(episodes=600 - mixed.episode)
    _assert_same(whole, mixed)


def test_the_tutorial_run_is_the_same_in_one_call_or_100(taxi):
    whole = make_session(taxi, seed=3)
    whole.train(episodes=100_000)
    chunked = make_session(taxi, seed=3)
    for _ in range(100):
        chunked.train(episodes=1_000)
    _assert_same(whole, chunked)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=12), st.sampled_from(K.LEARNERS))
def test_any_split_into_step_chunks_agrees(taxi, chunks, learner):
    one = make_session(taxi, learner=learner, seed=5, **_planning(learner))
    one.train(steps=sum(chunks))
    split = make_session(taxi, learner=learner, seed=5, **_planning(learner))
    for n in chunks:
        split.train(steps=n)
    _assert_same(one, split)
    assert split.total_steps == sum(chunks)


def test_different_seeds_differ(taxi):
    a = make_session(taxi, seed=1)
    b = make_session(taxi, seed=2)
    a.train(episodes=50)
    b.train(episodes=50)
    assert not np.array_equal(a.q, b.q)


def test_changing_epsilon_mid_run_takes_effect_at_once(taxi):
    session = make_session(taxi, epsilon=0.0, seed=4)
    session.train(episodes=5)
    session.reconfigure(epsilon=Schedule.constant(1.0))
    records = [session.step()[0] for _ in range(50)]
    assert all(r.explored and r.epsilon == 1.0 for r in records)


def test_switching_learner_keeps_what_was_learned(taxi):
    session = make_session(taxi, seed=4)
    session.train(episodes=200)
    q = session.q.copy()
    session.reconfigure(learner="double-q")
    np.testing.assert_array_equal(session.q, q)
    session.train(episodes=10)
    session.reconfigure(learner="sarsa")
    np.testing.assert_array_equal(session.q_a, session.q_b)


def test_a_call_returns_its_episodes_in_bounded_buffers_and_the_same_run(monkeypatch):
    """A call whose budget could end millions of episodes reserves buffers for at most
    KERNEL_ROWS at a time (25 bytes each; learn(10**9) once reserved gigabytes up front), and a
    run cut into such pieces is the run uncut: the same table, counters and episodes."""
    from tui_taxi.core.tabular import TabularAgent, TrainConfig

    whole = TabularAgent(TrainConfig(seed=5))
    batch = whole.train(episodes=500)
    monkeypatch.setattr(K, "ROWS", 7)
    sizes = []
    real_empty = np.empty

    def empty(shape, *args, **kwargs):
        if isinstance(shape, int):  # (the output columns: one length each)
            sizes.append(shape)
        return real_empty(shape, *args, **kwargs)

    monkeypatch.setattr(K.np, "empty", empty)
    cut = TabularAgent(TrainConfig(seed=5))
    pieces = cut.train(episodes=500)
    monkeypatch.setattr(K.np, "empty", real_empty)
    _assert_same(whole, cut)
    for name in ("episodic_return", "episodic_length", "penalties", "success"):
        np.testing.assert_array_equal(getattr(batch, name), getattr(pieces, name))
    assert sizes and max(sizes) <= 7
    big = TabularAgent(TrainConfig(seed=5))
    sizes.clear()
    monkeypatch.setattr(K.np, "empty", empty)
    assert len(big.train(steps=10**15, episodes=20)) == 20  # (no 10**15-row buffer)
    assert max(sizes) <= 7


def test_a_network_run_cut_into_bounded_calls_is_the_same(monkeypatch):
    import tui_taxi.core.dqn.agent as dqn_agent
    from tui_taxi.core.dqn import DQNAgent, DQNConfig

    config = DQNConfig(
        env_id="CartPole-v1", seed=2, learning_starts=200, train_frequency=16, gradient_steps=4
    )
    whole = DQNAgent(config)
    batch = whole.train(steps=3000)
    monkeypatch.setattr(dqn_agent, "KERNEL_ROWS", 2)
    cut = DQNAgent(config)
    pieces = cut.train(steps=3000)
    for name in ("theta", "target", "adam_m", "rng", "cursor"):
        np.testing.assert_array_equal(whole.arrays[name], cut.arrays[name])
    assert whole.total_steps == cut.total_steps == 3000 and whole.episode == cut.episode
    for column, other in zip(
        (batch.episodic_return, batch.episodic_length),
        (pieces.episodic_return, pieces.episodic_length),
        strict=True,
    ):
        np.testing.assert_array_equal(column, other)
    assert len(batch) > 4  # several pieces of two episodes each


_NETWORK_RUN = """
import hashlib
from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import DQNConfig, config_for
digest = hashlib.sha256()
for config in (DQNConfig(seed=0, learning_starts=500),
               config_for("Taxi-v4", seed=1, learning_starts=200)):
    agent = DQNAgent(config)
    agent.train(steps=3000)
    for name in ("theta", "target", "adam_m", "adam_v", "rng"):
        digest.update(agent.arrays[name].tobytes())
print(digest.hexdigest())
"""


def test_a_seeded_network_run_is_the_same_with_an_empty_or_a_warm_numba_cache(tmp_path):
    """The DQN's kernels compiled afresh (an empty cache) and loaded from the cache that compile
    left give the same weights, bit for bit, and so does this process (whatever its cache
    held): no fastmath, whose reassociation LLVM did differently in the two cases."""
    import os
    import subprocess
    import sys

    def run(cache: Path) -> str:
        env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
        out = subprocess.run(
            [sys.executable, "-c", _NETWORK_RUN], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout.strip()

    cache = tmp_path / "numba"
    cold = run(cache)
    assert any(cache.rglob("*.nbi")), "the first run filled the cache"
    warm = run(cache)
    assert cold == warm
    here: dict = {}
    exec(_NETWORK_RUN.replace("print(digest.hexdigest())", "result = digest.hexdigest()"), here)
    assert here["result"] == cold
