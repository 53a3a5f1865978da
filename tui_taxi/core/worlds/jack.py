"""Sutton & Barto's Jack's car rental (Example 4.2, Figure 4.2) as a Gymnasium env whose
transition model is built as arrays (441 states x 11 actions x up to 441 outcomes: too many for
a ``P`` dict of tuples), for the planners.

State ``s = n1 * 21 + n2``: the cars at each location at the end of a day (0-20). Action
``a = m + 5`` moves ``m`` cars (-5..5) overnight from the first location to the second (negative:
from the second to the first), at $2 a car. Moving more cars than there are moves those there
are and costs the request (such an action is never better than the smaller one, so the greedy
policy has no ties from it). Cars beyond 20 at a location go back to the nationwide company.
Each day requests at the two locations are Poisson with means 3 and 4 and returns Poisson with
means 3 and 2; a car rented earns $10; a car returned can be rented from the next day.

The Poisson laws are exact, not truncated: a request beyond the cars there rents them all, and
a return beyond the room is capped at 20, so each tail folds into its last reachable value.
The model keeps, for each next state, its probability and the expected reward given it
(E[10 * rented | s'] - cost): exact for every expectation a planner takes (sum over s' of
p(s') [E[r | s'] + gamma V(s')]); a sample of it has the right next-state law but that
conditional mean for its reward. The task continues forever (gamma 0.9 in the book); the env
registers a time limit of 100 days for learners.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
from gymnasium import Env, spaces

MAX_CARS = 20
MAX_MOVE = 5
RENT_MEANS = (3.0, 4.0)
RETURN_MEANS = (3.0, 2.0)
RENT_REWARD = 10.0
MOVE_COST = 2.0
SIDE = MAX_CARS + 1


def _poisson(mean: float, n: int) -> np.ndarray:
    """P(X = k) for k < n, and P(X >= n) last (the tail folded in): n + 1 values."""
    k = np.arange(n)
    p = np.exp(-mean) * mean**k / np.array([math.factorial(int(i)) for i in k], dtype=float)
    return np.append(p, max(0.0, 1.0 - p.sum()))


@cache
def _location(rent_mean: float, return_mean: float) -> tuple[np.ndarray, np.ndarray]:
    """For each count m after the night's moves: (P(n' | m), E[rented | n', m]), each (21, 21)."""
    prob = np.zeros((SIDE, SIDE))
    rented = np.zeros((SIDE, SIDE))
    for m in range(SIDE):
        rent = _poisson(rent_mean, m)  # rented r < m, or all m
        for r, p_r in enumerate(rent):
            left = m - r
            returns = _poisson(return_mean, MAX_CARS - left)  # n' = left + ret, capped at 20
            for ret, p_ret in enumerate(returns):
                j = left + ret
                prob[m, j] += p_r * p_ret
                rented[m, j] += p_r * p_ret * r
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(prob > 0, rented / prob, 0.0)
    return prob, expected


@cache
def model_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(prob, next_state, reward, terminated), each (441, 11, K), outcomes of probability 0
    dropped (K: the most outcomes any (s, a) has)."""
    p1, e1 = _location(RENT_MEANS[0], RETURN_MEANS[0])
    p2, e2 = _location(RENT_MEANS[1], RETURN_MEANS[1])
    n_states, n_actions = SIDE * SIDE, 2 * MAX_MOVE + 1
    rows = []
    for s in range(n_states):
        n1, n2 = divmod(s, SIDE)
        for a in range(n_actions):
            m = a - MAX_MOVE
            moved = min(m, n1) if m >= 0 else -min(-m, n2)
            c1, c2 = min(n1 - moved, MAX_CARS), min(n2 + moved, MAX_CARS)
            joint = np.outer(p1[c1], p2[c2])  # (n1', n2')
            reward = RENT_REWARD * (e1[c1][:, None] + e2[c2][None, :]) - MOVE_COST * abs(m)
            keep = np.flatnonzero(joint.ravel() > 0)
            rows.append((joint.ravel()[keep], keep, reward.ravel()[keep]))
    k_max = max(len(r[0]) for r in rows)
    shape = (n_states, n_actions, k_max)
    prob, next_state, reward = np.zeros(shape), np.zeros(shape, np.int64), np.zeros(shape)
    for i, (p, nxt, r) in enumerate(rows):
        s, a = divmod(i, n_actions)
        prob[s, a, : len(p)] = p / p.sum()  # (the folded tails sum to 1 up to rounding)
        next_state[s, a, : len(p)] = nxt
        next_state[s, a, len(p) :] = nxt[-1]
        reward[s, a, : len(p)] = r
    return prob, next_state, reward, np.zeros(shape, np.bool_)


class JacksCarRentalEnv(Env):
    """Example 4.2: two locations, up to 20 cars each, -5..5 cars moved overnight."""

    metadata = {"render_modes": []}

    def __init__(self) -> None:
        self.nS, self.nA = SIDE * SIDE, 2 * MAX_MOVE + 1
        self.action_names = tuple(f"move {m:+d}" for m in range(-MAX_MOVE, MAX_MOVE + 1))
        self.observation_space = spaces.Discrete(self.nS)
        self.action_space = spaces.Discrete(self.nA)
        self.initial_state_distrib = np.full(self.nS, 1.0 / self.nS)
        self.s = 0

    def model_arrays(self):
        """The transition model as arrays (see :func:`model_arrays`), read by ``compile_env``."""
        return model_arrays()

    def step(self, a: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        prob, next_state, reward, _ = model_arrays()
        s, a = self.s, int(a)
        k = int(self.np_random.choice(prob.shape[2], p=prob[s, a]))
        self.s = int(next_state[s, a, k])
        return self.s, float(reward[s, a, k]), False, False, {"prob": float(prob[s, a, k])}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.s = int(self.np_random.integers(self.nS))
        return self.s, {"prob": 1.0 / self.nS}
