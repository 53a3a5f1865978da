"""Optimality judged for the session's own gamma: the exact optimal Q-table for a gamma scores
100% on every world, stochastic ones included, and a hand-made MDP whose best action changes
with gamma is scored as worked out by hand.

The optimal Q-tables here come from a value iteration written out below in plain numpy on the
compiled arrays, independent of :func:`tui_taxi.core.optimal.solve`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from exact import optimal_q, success_probability

from tui_taxi.core.envs import compile_env, model_from_transitions
from tui_taxi.core.optimal import SolveError, policy_report, solve

WORLDS = [
    ("Taxi-v4", ()),
    ("Taxi-v4", (("is_rainy", True),)),
    ("FrozenLake-v1", ()),
    ("FrozenLake-v1", (("is_slippery", False),)),
    ("FrozenLake8x8-v1", ()),
    ("FrozenLake8x8-v1", (("is_slippery", False),)),
    ("CliffWalking-v1", ()),
    ("tui_taxi/WindyGridworld-v0", ()),
]
GAMMAS = (0.6, 0.9, 0.99, 1.0)  # every world here ends under some policy: gamma 1 is finite


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize(("env_id", "kwargs"), WORLDS, ids=lambda w: str(w))
def test_the_exact_optimum_for_gamma_scores_every_start(env_id, kwargs, gamma):
    model = compile_env(env_id, kwargs)
    report = policy_report(model, optimal_q(model, gamma), gamma)
    assert (report.n_optimal, report.optimality) == (report.n_start, 1.0)
    assert report.n_loop == 0 and report.gamma == gamma
    assert report.mean_gap == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    ("env_id", "kwargs", "gamma", "other"),
    [
        ("Taxi-v4", (("is_rainy", True),), 0.6, 1.0),  # scored 7/300 against gamma 1 before
        ("FrozenLake-v1", (), 0.6, 0.99),  # scored 0/1
        ("FrozenLake8x8-v1", (), 0.99, 0.6),
    ],
)
def test_the_optimum_for_another_gamma_is_not_the_optimum_for_this_one(
    env_id, kwargs, gamma, other
):
    model = compile_env(env_id, kwargs)
    report = policy_report(model, optimal_q(model, other), gamma)
    assert report.n_optimal < report.n_start
    assert report.mean_value < report.optimal_mean_value


def test_the_undiscounted_figures_are_those_of_the_optimum_for_gamma():
    """FrozenLake 8x8 (slippery): the optimal policy for gamma 0.99 succeeds less often than
    the one for gamma 1 (which takes its time, no discount urging it on); each report shows
    the success rate of its own gamma's optimum."""
    model = compile_env("FrozenLake8x8-v1")
    for gamma in (0.6, 0.99, 1.0):
        q = optimal_q(model, gamma)
        report = policy_report(model, q, gamma)
        expected = success_probability(model, q)
        assert report.optimal_success_rate == pytest.approx(expected, abs=1e-9)
        assert report.success_rate == pytest.approx(expected, abs=1e-9)
        assert report.optimal_mean_return == pytest.approx(expected, abs=1e-9)  # +1 on success
    assert policy_report(model, optimal_q(model, 0.6), 0.6).optimal_success_rate < 0.6
    assert policy_report(model, optimal_q(model, 1.0), 1.0).optimal_success_rate > 0.999


def test_taxi_optimum_is_the_same_trip_for_every_gamma(taxi):
    """Deterministic, with a -1 a step: the shortest trip is best for any gamma > 0, so the
    undiscounted figures are the tutorial's optimum (13.07 steps, return 7.93) throughout,
    while the discounted value at the start is -1 - 0.6 - ... + 20 * 0.6**(n-1) per trip."""
    for gamma in (0.6, 0.99):
        optimum = solve(taxi, gamma)
        assert optimum.mean_steps == pytest.approx(13.07)
        assert optimum.mean_return == pytest.approx(7.93)
        assert optimum.success_rate == pytest.approx(1.0)
        steps = solve(taxi, 1.0).steps
        trip = [
            -sum(gamma**t for t in range(int(n) - 1)) + 20 * gamma ** (int(n) - 1)
            for n in steps[taxi.start_states]
        ]
        np.testing.assert_allclose(optimum.v[taxi.start_states], trip, rtol=1e-12)


# -- a tiny MDP whose best action depends on gamma ------------------------------------------------
NEAR, FAR, WAIT = 0, 1, 2


def near_or_far():
    """From state 0: NEAR ends at once with +1; FAR walks 0 -> 1 -> 2 (reward 0) and then ends
    with +10, on the third step; WAIT stays in 0 with reward 0. States 1 and 2 go forward
    whatever the action. By hand: NEAR is worth 1, FAR 10 * gamma**2, WAIT gamma * V*(0), so
    NEAR is best below gamma = sqrt(0.1) = 0.316 and FAR above it."""
    transitions = {
        0: {NEAR: [(1.0, 3, 1.0, True)], FAR: [(1.0, 1, 0.0, False)], WAIT: [(1.0, 0, 0.0, False)]},
        1: dict.fromkeys((NEAR, FAR, WAIT), [(1.0, 2, 0.0, False)]),
        2: dict.fromkeys((NEAR, FAR, WAIT), [(1.0, 3, 10.0, True)]),
        3: dict.fromkeys((NEAR, FAR, WAIT), [(1.0, 3, 0.0, True)]),
    }
    return model_from_transitions(
        transitions, [1, 0, 0, 0], n_states=4, n_actions=3, env_id="NearOrFar"
    )


def always(action: int) -> np.ndarray:
    q = np.zeros((4, 3))
    q[:, action] = 1.0
    return q


def test_near_is_optimal_for_a_short_sighted_gamma_and_far_for_a_patient_one():
    model = near_or_far()
    short, patient = solve(model, 0.3), solve(model, 0.6)
    assert short.v[0] == pytest.approx(1.0)  # NEAR's +1 beats 10 * 0.3**2 = 0.9
    np.testing.assert_array_equal(short.optimal_actions[0], [True, False, False])
    np.testing.assert_allclose(short.q[0], [1.0, 0.9, 0.3])  # WAIT: 0.3 * V*(0)
    assert patient.v[0] == pytest.approx(3.6)  # FAR's 10 * 0.6**2 beats 1
    np.testing.assert_array_equal(patient.optimal_actions[0], [False, True, False])
    # the undiscounted figures of each gamma's optimum: 1 step for +1, or 3 steps for +10
    assert (short.mean_steps, short.mean_return) == (pytest.approx(1.0), pytest.approx(1.0))
    assert (patient.mean_steps, patient.mean_return) == (pytest.approx(3.0), pytest.approx(10.0))

    near = policy_report(model, always(NEAR), 0.3)
    assert near.n_optimal == 1
    assert (near.mean_value, near.optimal_mean_value) == (pytest.approx(1.0), pytest.approx(1.0))
    near = policy_report(model, always(NEAR), 0.6)
    assert near.n_optimal == 0
    assert (near.mean_value, near.optimal_mean_value) == (pytest.approx(1.0), pytest.approx(3.6))
    assert near.mean_gap == pytest.approx(2.6)
    assert (near.mean_steps, near.mean_return, near.success_rate) == (1.0, 1.0, 0.0)
    # success is the env's best ending (+10, its largest terminating reward); NEAR never has it
    assert near.optimal_success_rate == pytest.approx(1.0)
    far = policy_report(model, always(FAR), 0.6)
    assert far.n_optimal == 1 and far.success_rate == pytest.approx(1.0)


def test_a_policy_that_waits_forever_is_worth_0_yet_still_said_to_loop():
    """Discounting makes WAIT's endless episode worth a finite 0; n_loop still says it never
    finishes, and the means over finishing starts have nothing to average."""
    model = near_or_far()
    report = policy_report(model, always(WAIT), 0.6)
    assert report.mean_value == 0.0 and report.n_optimal == 0
    assert (report.n_loop, report.n_finish) == (1, 0)
    assert report.mean_steps == math.inf and report.mean_return == 0.0  # a loop that costs 0
    assert math.isnan(report.finish_mean_steps) and report.success_rate == 0.0


def test_gamma_1_keeps_the_undiscounted_optimum_and_its_infinities():
    model = near_or_far()
    assert solve(model, 1.0).v[0] == 10.0 and solve(model).v[0] == 10.0
    report = policy_report(model, always(WAIT), 1.0)
    assert report.n_loop == 1 and report.mean_value == 0.0  # forever at 0 reward
    assert policy_report(model, always(FAR)).n_optimal == 1  # gamma 1 by default


def test_the_optimum_is_cached_per_model_and_gamma_and_checks_gamma(taxi):
    assert solve(taxi, 0.6) is solve(taxi, 0.6)
    assert solve(taxi, 0.6) is not solve(taxi, 0.9)
    with pytest.raises(ValueError, match="gamma must be in"):
        solve(taxi, 1.5)


def test_gamma_1_on_a_world_that_pays_forever_is_refused_in_one_line():
    """A state whose action earns +1 and stays there: undiscounted, it is worth infinity."""
    transitions = {
        0: {0: [(1.0, 0, 1.0, False)], 1: [(1.0, 1, 0.0, True)]},
        1: {0: [(1.0, 1, 0.0, True)], 1: [(1.0, 1, 0.0, True)]},
    }
    model = model_from_transitions(transitions, [1, 0], n_states=2, n_actions=2, env_id="Fountain")
    with pytest.raises(SolveError, match="Fountain: the undiscounted optimum does not settle"):
        solve(model, 1.0)
    assert solve(model, 0.5).v[0] == pytest.approx(2.0)  # 1 + 0.5 + 0.25 + ...
