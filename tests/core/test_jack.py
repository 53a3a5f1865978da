"""Jack's car rental (Example 4.2, Figure 4.2): policy iteration from the policy that never moves
a car reaches a stable policy at pi_4, as the book's figure shows (pi_0 .. pi_4), with the
figure's features (five cars to the second location when the first is full and the second
empty, four back the other way, none when both are full); and the planner's values of pi_4 are
the solution of its linear system, built here independently (each location's next count by
convolution, not by the env's loops)."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

import tui_taxi  # noqa: F401  (registers the worlds)
from tui_taxi.core.envs import compile_env
from tui_taxi.core.planning import Planner

JACK = "tui_taxi/JacksCarRental-v0"
GAMMA = 0.9


def _pmf(mean: float, n: int) -> np.ndarray:
    return np.array([math.exp(-mean) * mean**k / math.factorial(k) for k in range(n)])


def _next_count(m: int, rent_mean: float, return_mean: float) -> tuple[np.ndarray, float]:
    """(P(n' = 0..20), E[cars rented]) at a location that starts the day with m cars."""
    req = _pmf(rent_mean, 60)
    left = np.zeros(21)  # cars left after rentals: m - min(request, m)
    for r, p in enumerate(req):
        left[m - min(r, m)] += p
    rented = sum(p * min(r, m) for r, p in enumerate(req))
    after = np.convolve(left, _pmf(return_mean, 60))  # plus returns...
    capped = np.zeros(21)
    capped[:20] = after[:20]
    capped[20] = after[20:].sum()  # ...beyond 20 back to the company
    return capped, rented


def _policy_system(policy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P_pi (441 x 441) and r_pi for a deterministic policy of moves -5..5."""
    P, r = np.zeros((441, 441)), np.zeros(441)
    for s in range(441):
        n1, n2 = divmod(s, 21)
        m = int(policy[s])
        moved = min(m, n1) if m >= 0 else -min(-m, n2)
        c1, c2 = min(n1 - moved, 20), min(n2 + moved, 20)
        d1, e1 = _next_count(c1, 3.0, 3.0)
        d2, e2 = _next_count(c2, 4.0, 2.0)
        P[s] = np.outer(d1, d2).ravel()
        r[s] = 10.0 * (e1 + e2) - 2.0 * abs(m)
    return P, r


def test_jacks_car_rental_is_a_gymnasium_env():
    env = gym.make(JACK)
    check_env(env.unwrapped)
    model = compile_env(JACK)
    assert (model.n_states, model.n_actions) == (441, 11)
    np.testing.assert_allclose(model.prob.sum(axis=2), 1.0, atol=1e-12)


def test_figure_4_2_policy_iteration_is_stable_at_pi_4():
    model = compile_env(JACK)
    planner = Planner(model, GAMMA)
    planner.follow(5)  # pi_0: never move a car
    assert planner.pi[:, 5].tolist() == [1.0] * 441 and planner.pi.sum() == 441
    policies = [np.full(441, 0)]
    for _ in range(10):
        planner.run(1e-6)
        stable = planner.improve()
        greedy = planner.greedy_actions()
        assert (greedy.sum(axis=1) == 1).all()  # no ties in this world
        policies.append(greedy.argmax(axis=1) - 5)
        if stable:
            break
    assert len(policies) == 6  # pi_0 .. pi_4, then pi_5 = pi_4: stable
    assert all(not np.array_equal(a, b) for a, b in zip(policies[:4], policies[1:5], strict=True))
    final = policies[-1].reshape(21, 21)  # [cars at the first location, at the second]
    assert final[20, 0] == 5 and final[0, 20] == -4 and final[20, 20] == 0 and final[0, 0] == 0
    P, r = _policy_system(policies[-1])
    exact = np.linalg.solve(np.eye(441) - GAMMA * P, r)
    planner.run(1e-9)
    np.testing.assert_allclose(planner.v, exact, atol=1e-5)
    # the book's figure spans about 420-612; these exact Poisson laws give 421-637 (see README)
    assert 420 < exact.min() < 423 and 630 < exact.max() < 640
