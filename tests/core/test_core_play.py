"""What play mode needs from the core: a person's moves, the agent's answer, the optimum."""

from __future__ import annotations

import numpy as np
import pytest
from mdps import make_session

from tui_taxi.core.envs import taxi_decode
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.evaluate import greedy_rollout
from tui_taxi.core.optimal import solve

SOUTH, NORTH, EAST, WEST, PICKUP, DROPOFF = range(6)


def test_a_persons_move_steps_the_env_as_gymnasium_says(taxi):
    session = make_session(taxi, seed=2)
    for action in (SOUTH, EAST, NORTH, WEST, PICKUP, DROPOFF):
        state = session.state
        record, _ = session.step(action=action)
        assert record.state == state and record.action == action and not record.explored
        assert record.next_state == taxi.next_state[state, action, 0]
        assert record.reward == taxi.reward[state, action, 0]


def test_illegal_pickup_and_dropoff_cost_ten(taxi):
    session = make_session(taxi, seed=2)
    row, col, passenger, _ = taxi_decode(session.state)
    assert passenger != 4
    # a start state never has the taxi on the passenger's pad with the passenger in the taxi
    record, _ = session.step(action=DROPOFF)
    assert record.reward == -10.0 and record.next_state == record.state
    assert session.history.episodes == 0 and session.t == 1


def test_learning_from_the_person_is_a_choice(taxi):
    session = make_session(taxi, seed=2)
    before = session.q.copy()
    record, _ = session.step(action=DROPOFF, learn=False)
    np.testing.assert_array_equal(session.q, before)
    record, _ = session.step(action=DROPOFF, learn=True)
    assert session.q[record.state, DROPOFF] == pytest.approx(0.1 * -10.0)
    assert (session.q != before).sum() == 1


def test_bad_actions_are_refused(taxi):
    with pytest.raises(ConfigError, match="action must be 0-5"):
        make_session(taxi).step(action=6)


def test_the_trained_agent_matches_the_optimum_from_a_given_start(trained_taxi):
    model = trained_taxi.model
    optimum = solve(model)
    for start in model.start_states[::37]:
        trip = greedy_rollout(model, trained_taxi.q, int(start), time_limit=200)
        assert trip.terminated
        assert trip.steps == optimum.steps[start]
        assert trip.episodic_return == optimum.v[start]
        assert trip.penalties(model) == 0
        assert trip.states[0] == start


def test_optimal_steps_per_state_add_up(taxi):
    optimum = solve(taxi)
    start = taxi.start_states
    np.testing.assert_allclose(optimum.v[start], 21.0 - optimum.steps[start])  # +20, -1 a move
