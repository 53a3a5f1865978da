"""Checks that a compiled model behaves like the Gymnasium env it came from: step for step when
deterministic, by frequency when stochastic (the same checks as for the toy-text envs)."""

from __future__ import annotations

import numpy as np

from tui_taxi.core.envs import compile_env, make_gym_env
from tui_taxi.core.rng import make_rng, sample_outcome


def assert_step_for_step(env_id: str, kwargs, n_steps: int, seed: int) -> None:
    """Random actions in the real env; each step must be the model's outcome for (s, a)."""
    model = compile_env(env_id, kwargs)
    assert model.is_deterministic
    env = make_gym_env(env_id, kwargs)
    rng = np.random.default_rng(seed)
    s, _ = env.reset(seed=seed)
    assert model.initial_distribution[s] > 0
    for _ in range(n_steps):
        a = int(rng.integers(model.n_actions))
        s_next, r, terminated, truncated, _ = env.step(a)
        k = np.flatnonzero(model.next_state[s, a, : model.n_outcomes[s, a]] == s_next)
        assert len(k) == 1, (s, a, s_next)
        assert model.reward[s, a, k[0]] == r
        assert model.terminated[s, a, k[0]] == terminated
        s = env.reset()[0] if terminated or truncated else s_next


def assert_frequencies_match(env_id: str, kwargs, pairs, n: int = 3000, seed: int = 0) -> None:
    """For each (s, a) in ``pairs``: the real env's next states and the kernel's sampled
    outcomes both occur with the model's probabilities (within 5 standard deviations)."""
    model = compile_env(env_id, kwargs)
    env = make_gym_env(env_id, kwargs)
    env.reset(seed=seed)
    base = env.unwrapped
    kernel_rng = make_rng(seed + 9)
    for s, a in pairs:
        count = model.n_outcomes[s, a]
        targets = model.next_state[s, a, :count]
        states = np.unique(targets)  # several outcomes may lead to the same state
        expected = np.array([model.prob[s, a, :count][targets == t].sum() for t in states])
        gym_counts = np.zeros(len(states))
        kernel_counts = np.zeros(len(states))
        for _ in range(n):
            base.s = s
            s_next, *_ = base.step(a)
            gym_counts[np.searchsorted(states, s_next)] += 1
            k = sample_outcome(model.cum_prob, model.n_outcomes, s, a, kernel_rng)
            kernel_counts[np.searchsorted(states, targets[k])] += 1
        sigma = np.sqrt(n * expected * (1 - expected)) + 1e-9
        assert np.all(np.abs(gym_counts - n * expected) < 5 * sigma), (s, a, gym_counts)
        assert np.all(np.abs(kernel_counts - n * expected) < 5 * sigma), (s, a, kernel_counts)
