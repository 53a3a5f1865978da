"""Exact figures of a compiled env, written out in plain numpy for the tests: independent of
:mod:`tui_taxi.core.optimal`, which they check."""

from __future__ import annotations

import numpy as np

import tui_taxi  # noqa: F401  (registers the book's worlds: a broken registration must fail)

WINDY = "tui_taxi/WindyGridworld-v0"


def optimal_q(model, gamma: float) -> np.ndarray:
    """Q*(s, a) = sum_k p_k (r_k + gamma max_a' Q*(s'_k, a'), nothing after termination),
    iterated from 0 until no entry moves by more than 1e-13 of the largest."""
    q = np.zeros((model.n_states, model.n_actions))
    live = ~model.terminated
    for _ in range(1_000_000):
        v = q.max(axis=1)
        new = np.sum(model.prob * (model.reward + gamma * live * v[model.next_state]), axis=2)
        done = np.max(np.abs(new - q)) <= 1e-13 * max(1.0, np.max(np.abs(new)))
        q = new
        if done:
            return q
    raise AssertionError("value iteration did not settle")


def success_outcomes(model) -> np.ndarray:
    """Outcomes that end the episode with the env's largest ending reward (the goal)."""
    real = model.prob > 0
    best = model.reward[real & model.terminated].max()
    return model.terminated & (model.reward >= best)


def success_probability(model, q: np.ndarray) -> float:
    """The chance that the greedy policy of ``q`` (first best action) ever succeeds, from the
    initial distribution: P(s) = sum_k p_k (success_k + P(s'_k) if not terminated)."""
    act = np.argmax(q, axis=1)
    rows = np.arange(model.n_states)
    prob, nxt, end = model.prob[rows, act], model.next_state[rows, act], model.terminated[rows, act]
    success = success_outcomes(model)[rows, act]
    p = np.zeros(model.n_states)
    for _ in range(100_000):
        new = np.sum(prob * (success + ~end * p[nxt]), axis=1)
        if np.max(np.abs(new - p)) < 1e-14:
            break
        p = new
    return float(model.initial_distribution @ p)


def success_within(model, steps: int, pi: np.ndarray | None = None) -> float:
    """The chance of success within ``steps`` steps from the initial distribution: under the
    stochastic policy ``pi`` (S, A), or the largest any policy has (by backward induction)."""
    success = success_outcomes(model)
    p = np.zeros(model.n_states)
    for _ in range(steps):
        q = np.sum(model.prob * (success + ~model.terminated * p[model.next_state]), axis=2)
        p = q.max(axis=1) if pi is None else np.sum(pi * q, axis=1)
    return float(model.initial_distribution @ p)


def ties_at_random(q: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """The greedy policy of ``q`` with actions within ``tol`` of the best tied, uniform over them."""
    best = q >= q.max(axis=1, keepdims=True) - tol
    return best / best.sum(axis=1, keepdims=True)
