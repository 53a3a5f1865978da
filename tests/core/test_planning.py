"""Dynamic programming against the book: Figure 4.1's values of the equiprobable random policy
on Example 4.1's gridworld after k sweeps (by hand for k = 1-3, the figure's own numbers for
k = 10, the linear system's solution at convergence), the greedy policy optimal from the third
sweep, synchronous against in-place sweeps, value and policy iteration, and the world's
dynamics worked by hand. Independent of the planner: Gymnasium's own ``env.P`` and numpy."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import tui_taxi  # noqa: F401  (registers the worlds)
from tui_taxi.core.envs import compile_env
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.planning import Planner, plan

SMALL = "tui_taxi/SmallGridworld-v0"
UP, RIGHT, DOWN, LEFT = range(4)


@pytest.fixture(scope="module")
def model():
    return compile_env(SMALL)


def _sweep(v: np.ndarray, in_place: bool = False) -> np.ndarray:
    """One sweep of iterative policy evaluation of the random policy, written from Gymnasium's
    ``P`` (not the planner's model): the new values (``v`` itself is left as it was)."""
    P = gym.make(SMALL).unwrapped.P
    new = v.copy()
    read = new if in_place else v  # in place: each state reads the values as they are
    for s in range(16):
        new[s] = sum(
            0.25 * p * (r + (0.0 if done else read[s2]))
            for a in range(4)
            for p, s2, r, done in P[s][a]
        )
    return new


def _random_policy_sweeps(k: int) -> np.ndarray:
    """The random policy's values after ``k`` synchronous sweeps from 0."""
    v = np.zeros(16)
    for _ in range(k):
        v = _sweep(v)
    return v


def test_the_small_gridworld_moves_as_example_4_1_says():
    env = gym.make(SMALL)
    check_env(env.unwrapped)
    P = env.unwrapped.P
    assert P[1][LEFT] == [(1.0, 0, -1.0, True)]  # into the corner: the episode ends
    assert P[3][RIGHT] == [(1.0, 3, -1.0, False)]  # off the grid: stays, still -1
    assert P[7][RIGHT] == [(1.0, 7, -1.0, False)] and P[7][DOWN] == [(1.0, 11, -1.0, False)]
    assert P[14][RIGHT] == [(1.0, 15, -1.0, True)]
    assert all(P[s][a] == [(1.0, s, 0.0, True)] for s in (0, 15) for a in range(4))
    starts = {env.reset(seed=seed)[0] for seed in range(200)}
    assert starts == set(range(1, 15))  # any non-terminal cell, never a corner


def test_figure_4_1_values_after_one_two_and_three_sweeps_by_hand(model):
    a, b = -1.75, -2.0  # k = 2: next to a corner (three moves cost 2, one reaches it), else 2
    expected = {
        0: np.zeros(16),
        1: np.array([0] + [-1.0] * 14 + [0]),
        2: np.array([0, a, b, b, a, b, b, b, b, b, b, a, b, b, a, 0]),
        # k = 3: state 1 averages -2.75 (up: stays), -3, -3 and -1 (left: the corner)
        3: np.array(
            [0, -2.4375, -2.9375, -3, -2.4375, -2.875, -3, -2.9375]
            + [-2.9375, -3, -2.875, -2.4375, -3, -2.9375, -2.4375, 0]
        ),
    }
    for k, values in expected.items():
        result = plan(model, "policy-evaluation", sweeps=k)
        np.testing.assert_allclose(result.v, values, rtol=0, atol=1e-12)
        assert result.sweeps == k and result.backups == 14 * k  # the corners: never backed up


def test_figure_4_1_after_ten_sweeps_and_at_convergence(model):
    book_k10 = np.array(
        [0, -6.1, -8.4, -9.0, -6.1, -7.7, -8.4, -8.4, -8.4, -8.4, -7.7, -6.1, -9.0, -8.4, -6.1, 0]
    )
    v10 = plan(model, "policy-evaluation", sweeps=10).v
    np.testing.assert_allclose(v10, _random_policy_sweeps(10), rtol=0, atol=1e-12)
    assert np.max(np.abs(v10 - book_k10)) <= 0.05 + 1e-9  # the figure's one decimal
    # at convergence: v = r + P v on the 14 non-terminal states, solved exactly
    env = gym.make(SMALL).unwrapped
    inner = list(range(1, 15))
    P = np.zeros((14, 14))
    for i, s in enumerate(inner):
        for a in range(4):
            (_, s2, _, done) = env.P[s][a][0]
            if not done:
                P[i, inner.index(s2)] += 0.25
    exact = np.linalg.solve(np.eye(14) - P, -np.ones(14))
    np.testing.assert_allclose(exact[[0, 4, 1, 2]], [-14, -18, -20, -22], atol=1e-9)
    result = plan(model, "policy-evaluation", theta=1e-10)
    assert result.converged
    np.testing.assert_allclose(result.v[1:15], exact, atol=1e-8)


def _optimal_moves() -> np.ndarray:
    """By hand: a move is optimal when it brings the agent closer to the nearest corner."""

    def distance(s):
        r, c = divmod(s, 4)
        return min(r + c, 6 - r - c)

    env = gym.make(SMALL).unwrapped
    best = np.zeros((16, 4), bool)
    for s in range(1, 15):
        for a in range(4):
            s2 = env.P[s][a][0][1]
            best[s, a] = distance(s2) == distance(s) - 1
    return best


def test_the_greedy_policy_is_optimal_from_the_third_sweep_with_its_ties(model):
    """Figure 4.1's right column: greedy for V_k, every tie kept. From k = 3 every greedy
    action is optimal (and the arrows are those of k = infinity); before, some are not."""
    optimal = _optimal_moves()
    final = Planner(model, 1.0)
    final.run(1e-10)
    at_infinity = final.greedy_actions()
    for k, is_optimal in ((1, False), (2, False), (3, True), (10, True)):
        planner = Planner(model, 1.0)
        for _ in range(k):
            planner.sweep()
        greedy = planner.greedy_actions()
        every_greedy_move_optimal = bool(np.all(~greedy[1:15] | optimal[1:15]))
        assert every_greedy_move_optimal == is_optimal, k
        assert np.array_equal(greedy, at_infinity) == is_optimal, k
    # ties kept: two arrows where two moves are as good (state 5: up and left)
    assert list(np.flatnonzero(at_infinity[5])) == [UP, LEFT]
    assert list(np.flatnonzero(at_infinity[6])) == [DOWN, LEFT]


def test_in_place_sweeps_reach_theta_sooner_than_synchronous_ones(model):
    def sweeps_to(theta, in_place):
        v, k = np.zeros(16), 0
        while True:
            before = v.copy()
            v = _sweep(v, in_place)
            k += 1
            if np.max(np.abs(v - before)) < theta:
                return k

    for theta in (1e-2, 1e-4):
        sync = plan(model, "policy-evaluation", theta=theta)
        in_place = plan(model, "policy-evaluation", theta=theta, in_place=True)
        assert sync.sweeps == sweeps_to(theta, False)
        assert in_place.sweeps == sweeps_to(theta, True)
        assert in_place.sweeps < sync.sweeps
        assert in_place.deltas[-1] < theta <= in_place.deltas[-2]


def test_value_iteration_finds_minus_the_distance_to_the_nearest_corner(model):
    result = plan(model, "value-iteration")
    distance = np.array([min(r + c, 6 - r - c) for r, c in (divmod(s, 4) for s in range(16))])
    np.testing.assert_array_equal(result.v, -distance)
    assert result.sweeps == 4  # three sweeps reach the farthest cells; the fourth changes nothing
    assert result.deltas == (1.0, 1.0, 1.0, 0.0)
    assert np.array_equal(result.greedy[1:15], _optimal_moves()[1:15])


def test_policy_iteration_improves_until_the_policy_is_stable(model):
    result = plan(model, "policy-iteration", theta=1e-8)
    assert result.converged
    distance = np.array([min(r + c, 6 - r - c) for r, c in (divmod(s, 4) for s in range(16))])
    np.testing.assert_allclose(result.v, -distance, atol=1e-6)
    assert np.array_equal(result.policies[-1][1:15], _optimal_moves()[1:15])
    assert np.array_equal(result.policies[-1], result.policies[-2])  # stable: the same twice
    assert not np.array_equal(result.policies[0], result.policies[-1])


def test_one_backup_at_a_time_with_its_numbers(model):
    planner = Planner(model, 1.0)
    planner.sweep()
    planner.sweep()  # V_2
    assert planner.following == 1  # the corner, state 0, ends episodes: a sweep skips it
    second = planner.backup()  # state 1 from V_2, by hand (Up stays, Left ends)
    assert second.state == 1 and second.sweep == 3
    assert list(second.q) == [-2.75, -3.0, -3.0, -1.0]
    assert second.old == -1.75 and second.new == -2.4375
    assert planner.v[1] == -1.75  # a synchronous sweep shows its values when it completes
    for _ in range(13):
        planner.backup()
    assert planner.k == 3 and planner.position == 0 and planner.backups == 42
    np.testing.assert_allclose(planner.v, _random_policy_sweeps(3), atol=1e-12)


def test_bad_settings_are_one_line_errors(model):
    for call, word in (
        (lambda: plan(model, "monte-carlo"), "unknown method"),
        (lambda: plan(model, sweeps=-1), "sweeps"),
        (lambda: Planner(model, 1.5), "gamma"),
        (lambda: Planner(model).run(0.0), "theta"),
    ):
        with pytest.raises(ConfigError, match=word):
            call()


def test_the_greedy_policy_is_first_optimal_after_the_third_sweep(model):
    """Figure 4.1's claim, as the planner reports it: k = 3, 42 backups, for the random
    policy's evaluation as for value iteration; ``until_optimal`` stops there."""
    for method in ("policy-evaluation", "value-iteration"):
        assert plan(model, method).optimal_at == (3, 42)
    stopped = plan(model, "policy-evaluation", until_optimal=True)
    assert stopped.sweeps == 3 and not stopped.converged


def test_reachable_states_are_those_an_episode_can_be_in():
    from tui_taxi.core.envs import compile_env, taxi_decode
    from tui_taxi.core.planning.dp import reachable_states

    taxi = compile_env("Taxi-v4")
    reached = reachable_states(taxi)
    # every taxi cell with the passenger waiting elsewhere or aboard, never at its destination
    expected = [p != d for p, d in (taxi_decode(s)[2:] for s in range(500))]
    assert reached.tolist() == expected and reached.sum() == 400
    small = compile_env("tui_taxi/SmallGridworld-v0")
    assert reachable_states(small).tolist() == [False] + [True] * 14 + [False]  # not the ends


def test_a_planners_copy_goes_on_as_the_original_would_and_alone(model):
    planner = Planner(model, 1.0)
    planner.sweep()
    planner.backup()
    twin = planner.copy()
    for p in (planner, twin):
        p.sweep()
        p.improve()
        p.sweep()
    assert twin.k == planner.k == 3 and twin.backups == planner.backups
    np.testing.assert_array_equal(twin.v, planner.v)
    np.testing.assert_array_equal(twin.pi, planner.pi)
    twin.sweep()
    assert planner.k == 3 and not np.array_equal(twin.v, planner.v)  # its own arrays
