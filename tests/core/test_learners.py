"""TD updates computed by hand for each learner, on the 4-state chain (see conftest)."""

from __future__ import annotations

import numpy as np
import pytest
from mdps import LEFT, RIGHT, chain_model, make_session

from tui_taxi.core.rng import make_rng
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.core.tabular import kernel as K


def test_q_learning_update_by_hand():
    q = [[0.0, 1.0], [2.0, 5.0], [0.0, 0.0], [0.0, 0.0]]
    session = make_session(chain_model(), q, alpha=0.5, gamma=0.5, epsilon=0.0)
    record, _ = session.step()
    # greedy at 0 is RIGHT (1.0 > 0.0): 0 -> 1, r = -1; target = -1 + 0.5 * max(2, 5) = 1.5
    assert (record.state, record.action, record.next_state, record.reward) == (0, RIGHT, 1, -1.0)
    assert not record.explored
    assert record.q_old == 1.0
    assert record.bootstrap == 5.0
    assert record.td_target == 1.5
    assert record.td_error == 0.5
    assert record.q_new == 1.25
    assert session.q[0, RIGHT] == 1.25
    assert session.q[0, LEFT] == 0.0  # nothing else moved
    assert session.state == 1


def test_sarsa_bootstraps_on_the_action_it_takes_next():
    q = [[0.3, 0.7], [2.0, 5.0], [-1.0, 4.0], [0.0, 0.0]]
    session = make_session(chain_model(), q, learner="sarsa", alpha=0.5, gamma=0.9, epsilon=1.0)
    promised = None  # the action the previous update bootstrapped on
    for _ in range(60):  # exploration is random: check the rule on every step
        before = session.q.copy()
        record, _ = session.step()
        if promised is not None:
            assert record.action == promised
        promised = int(session.cursor[K.C_ACTION]) if session.cursor[K.C_PENDING] else None
        if record.terminated:
            assert record.bootstrap == 0.0 and promised is None
        else:
            assert record.bootstrap == before[record.next_state, promised]
        old = before[record.state, record.action]
        assert session.q[record.state, record.action] == old + 0.5 * (
            record.reward + 0.9 * record.bootstrap - old
        )


def test_expected_sarsa_bootstraps_on_the_policy_mean():
    q = [[0.5, 1.0], [2.0, 5.0], [1.0, -3.0], [0.0, 0.0]]
    eps = 0.2
    session = make_session(
        chain_model(), q, learner="expected-sarsa", alpha=0.5, gamma=0.5, epsilon=eps
    )
    for _ in range(30):
        before = session.q.copy()
        record, _ = session.step()
        row = before[record.next_state]
        expected_boot = 0.0 if record.terminated else eps * row.mean() + (1 - eps) * row.max()
        assert record.bootstrap == pytest.approx(expected_boot, abs=1e-15)
        old = before[record.state, record.action]
        assert record.q_new == pytest.approx(
            old + 0.5 * (record.reward + 0.5 * expected_boot - old)
        )


def test_double_q_updates_one_table_with_the_others_value():
    q_a = [[0.0, 1.0], [2.0, 5.0], [0.0, 3.0], [0.0, 0.0]]
    q_b = [[0.0, 2.0], [7.0, 1.0], [4.0, 0.0], [0.0, 0.0]]
    session = make_session(
        chain_model(), q_a, q_b, learner="double-q", alpha=0.5, gamma=0.5, epsilon=0.0
    )
    tables_seen = set()
    for _ in range(40):
        a_before, b_before = session.q_a.copy(), session.q_b.copy()
        record, _ = session.step()
        this, other = (a_before, b_before) if record.table == 0 else (b_before, a_before)
        s, a, s2 = record.state, record.action, record.next_state
        # behaviour is greedy on Q_A + Q_B
        assert (a_before[s] + b_before[s])[a] == (a_before[s] + b_before[s]).max()
        if not record.terminated:
            a_star = int(np.argmax(this[s2]))  # rows here have no ties
            assert record.bootstrap == other[s2, a_star]
        updated, untouched = (
            (session.q_a, session.q_b) if record.table == 0 else (session.q_b, session.q_a)
        )
        assert updated[s, a] == this[s, a] + 0.5 * (
            record.reward + 0.5 * record.bootstrap - this[s, a]
        )
        np.testing.assert_array_equal(untouched, other)
        tables_seen.add(record.table)
    assert tables_seen == {0, 1}
    np.testing.assert_array_equal(session.q, (session.q_a + session.q_b) / 2)


@pytest.mark.parametrize("learner", K.LEARNERS)
def test_no_bootstrap_on_termination(learner):
    model = chain_model(start=2)
    q = [[0.0, 0.0], [0.0, 0.0], [0.0, 1.0], [100.0, 100.0]]  # a bootstrap from 3 would show
    session = make_session(
        model,
        q,
        q if learner == "double-q" else None,
        learner=learner,
        planning_steps=1 if learner == "prioritized-sweeping" else 0,  # (its queue: one update)
        alpha=1.0,
        gamma=1.0,
        epsilon=0.0,
    )
    record, batch = session.step()
    assert record.terminated and not record.truncated
    assert record.bootstrap == 0.0
    assert record.td_target == 10.0
    assert record.q_new == 10.0
    assert list(batch.outcome) == [K.SUCCESS]
    assert session.episode == 1 and session.state == 2 and session.t == 0  # a new episode began


@pytest.mark.parametrize("learner", K.LEARNERS)
def test_bootstrap_on_truncation(learner):
    model = chain_model(start=0, max_episode_steps=1)
    q = [[0.0, 1.0], [2.0, 4.0], [0.0, 0.0], [0.0, 0.0]]
    session = make_session(
        model,
        q,
        q if learner == "double-q" else None,
        learner=learner,
        planning_steps=1 if learner == "prioritized-sweeping" else 0,
        alpha=1.0,
        gamma=0.5,
        epsilon=0.0,
    )
    record, batch = session.step()
    assert record.truncated and not record.terminated
    assert record.next_state == 1
    assert record.bootstrap == 4.0  # greedy value of state 1 for every learner at epsilon 0
    assert record.td_target == -1.0 + 0.5 * 4.0
    assert list(batch.outcome) == [K.TRUNCATED]
    assert session.state == 0 and session.episode == 1


def test_max_steps_zero_means_no_time_limit(taxi):
    limited = make_session(taxi, epsilon=1.0)
    unlimited = make_session(taxi, epsilon=1.0, max_steps=0)
    assert limited.train(episodes=50).episodic_length.max() == 200
    assert unlimited.train(episodes=50).episodic_length.max() > 200  # a random taxi is slow


def test_ties_are_broken_uniformly_at_random():
    q = np.zeros((1, 6))
    rng = make_rng(3)
    counts = np.bincount([K.greedy_action(q, 0, q.shape[1], rng) for _ in range(6000)], minlength=6)
    assert counts.min() > 850 and counts.max() < 1150  # ~1000 each (4.5 sigma band)

    q = np.array([[0.0, 2.0, 1.0, 2.0, -1.0, 2.0]])
    counts = np.bincount([K.greedy_action(q, 0, q.shape[1], rng) for _ in range(3000)], minlength=6)
    assert counts[[0, 2, 4]].sum() == 0
    assert counts[[1, 3, 5]].min() > 850


def test_a_unique_maximum_takes_no_random_draw():
    q = np.array([[0.0, 3.0, 1.0]])
    rng = make_rng(5)
    before = rng.copy()
    assert K.greedy_action(q, 0, q.shape[1], rng) == 1
    np.testing.assert_array_equal(rng, before)


def test_double_q_acts_greedily_on_the_sum_of_its_tables(taxi):
    q_a = np.zeros((4, 2))
    q_b = np.zeros((4, 2))
    q_a[0], q_b[0] = [3.0, 0.0], [-5.0, 1.0]  # Q_A alone says LEFT, the sum says RIGHT
    double = make_session(chain_model(), q_a, q_b, learner="double-q", epsilon=0.0)
    assert double.step()[0].action == RIGHT
    single = make_session(chain_model(), q_a, learner="q-learning", epsilon=0.0)
    assert single.step()[0].action == LEFT

    session = make_session(taxi, learner="double-q", seed=2)
    session.train(episodes=300)
    np.testing.assert_array_equal(session.q_act, session.q_a + session.q_b)  # kept in step


def test_penalties_count_illegal_pickups_and_dropoffs(taxi):
    assert taxi.penalty_reward == -10.0
    assert taxi.success_reward == 20.0
    session = make_session(taxi, epsilon=1.0, max_steps=0)
    batch = session.train(episodes=20)
    assert batch.penalties.sum() > 0
    assert np.all(batch.success)  # without a time limit every trip ends with a drop-off


@pytest.mark.parametrize("learner", ["q-learning", "sarsa", "expected-sarsa", "double-q"])
def test_a_states_illegal_actions_are_never_taken_learnt_or_predicted(learner):
    """Example 6.7's A has two legal actions of ten: whatever the learner, exploring or not,
    no other action is ever taken there, nor learnt (its Q stays 0), nor predicted."""
    from tui_taxi.core.errors import ConfigError
    from tui_taxi.core.worlds import MAXIMIZATION_BIAS_ID

    config = TrainConfig(env_id=MAXIMIZATION_BIAS_ID, learner=learner, epsilon=1.0, seed=3)
    agent = TabularAgent(config)
    for _ in range(400):
        record, _ = agent.step()
        if record.state == 0:
            assert record.action in (0, 1)
    assert (agent.q_a[0, 2:] == 0).all() and (agent.q_b[0, 2:] == 0).all()
    agent.q_a[0, 2:] = agent.q_b[0, 2:] = 99.0  # even where an illegal action looks best
    assert agent.predict(0)[0] in (0, 1)
    assert all(agent.predict(0, deterministic=False)[0] in (0, 1) for _ in range(50))
    from tui_taxi.core.dqn import DQNAgent, DQNConfig

    with pytest.raises(ConfigError, match="states have different numbers of actions"):
        DQNAgent(DQNConfig(env_id=MAXIMIZATION_BIAS_ID))
