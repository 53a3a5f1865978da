"""The kernel against the definitions: the generator, epsilon-greedy's rates, and Q-learning
written out in plain Python."""

from __future__ import annotations

import numpy as np
from mdps import make_session

from tui_taxi.core.envs import model_from_transitions
from tui_taxi.core.rng import make_rng, uniform
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.core.tabular import kernel as K

MASK = (1 << 64) - 1


def _within_5_sigma(count: int, n: int, p: float) -> bool:
    return abs(count - n * p) < 5 * np.sqrt(n * p * (1 - p))


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK


def _xoshiro_uniform(s: list[int]) -> float:
    """xoshiro256** as Blackman & Vigna publish it (on Python ints), top 53 bits to [0, 1)."""
    result = (_rotl((s[1] * 5) & MASK, 7) * 9) & MASK
    t = (s[1] << 17) & MASK
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return (result >> 11) * 2.0**-53


def test_the_generator_is_xoshiro256starstar():
    # from state (1, 2, 3, 4) the first outputs are rotl(2 * 5, 7) * 9 = 11520, then 0 (the new
    # s[1] is 2 ^ 2); as 53-bit uniforms 11520 >> 11 = 5 gives 5 / 2**53
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    assert uniform(state) == 5 * 2.0**-53
    assert uniform(state) == 0.0
    reference = [1, 2, 3, 4]
    assert [_xoshiro_uniform(reference) for _ in range(2)] == [5 * 2.0**-53, 0.0]
    assert [uniform(state) for _ in range(1000)] == [
        _xoshiro_uniform(reference) for _ in range(1000)
    ]


def test_epsilon_greedy_explores_at_its_rate(taxi):
    """At epsilon 0.3 about 30% of the steps explore, and the greedy action is taken with
    probability 0.7 + 0.3 / 6 (an exploring step picks it one time in six)."""
    eps, n = 0.3, 20_000
    q = np.random.default_rng(0).random((taxi.n_states, taxi.n_actions))  # one maximum per row
    session = make_session(taxi, q, epsilon=eps, max_steps=0, seed=7)
    explored = greedy = explored_greedy = 0
    for _ in range(n):
        record, _ = session.step(learn=False)
        is_greedy = record.action == np.argmax(q[record.state])
        explored += record.explored
        greedy += is_greedy
        explored_greedy += record.explored and is_greedy
    np.testing.assert_array_equal(session.q, q)  # learning was off
    assert _within_5_sigma(explored, n, eps), explored
    assert _within_5_sigma(greedy, n, 1 - eps + eps / 6), greedy
    assert _within_5_sigma(explored_greedy, n, eps / 6), explored_greedy


def test_action_frequencies_in_one_long_call():
    """A one-state bandit whose action a ends the episode with reward a, so that the episode
    returns of one kernel call name the actions taken: greedy 0.7 + 0.3 / 6, others 0.3 / 6."""
    n_actions, eps, n = 6, 0.3, 200_000
    transitions = {0: {a: [(1.0, 0, float(a), True)] for a in range(n_actions)}}
    model = model_from_transitions(
        transitions, [1.0], n_states=1, n_actions=n_actions, env_id="Bandit"
    )
    q = np.array([[0.0, 1.0, 5.0, 2.0, 3.0, 4.0]])  # greedy: action 2
    params = K.kernel_params(model, 0.9, Schedule.constant(eps), Schedule.constant(0.5))
    iparams = np.zeros(K.N_IPARAMS, dtype=np.int64)
    iparams[K.I_LEARNER] = K.Q_LEARNING
    iparams[K.I_LEARN] = 0
    carried = (*K.new_cursor(), make_rng(3))
    batch = K.run_model(model, (q, q, q), params, iparams, carried, n, None, np.zeros(K.N_RECORD))
    assert len(batch) == n and np.all(batch.episodic_length == 1)
    counts = np.bincount(batch.episodic_return.astype(np.int64), minlength=n_actions)
    for a in range(n_actions):
        p = 1 - eps + eps / n_actions if a == 2 else eps / n_actions
        assert _within_5_sigma(counts[a], n, p), (a, counts)
    assert q[0, 2] == 5.0 and q.sum() == 15.0  # learning was off


def _python_q_learning(
    model, episodes: int, alpha: float, gamma: float, epsilon: float, seed: int
) -> tuple[np.ndarray, int]:
    """Tabular Q-learning with epsilon-greedy, no time limit, written out on Python floats.

    Draws come from the same xoshiro256** stream, in the order the kernel documents: a start
    state; per step one draw against epsilon and one for a random action, or, when the greedy
    choice is a tie, one to pick among the tied actions; one for the outcome only when (s, a)
    has several; the next start state when an episode ends."""
    rng = [int(w) for w in make_rng(seed)]
    q = [[0.0] * model.n_actions for _ in range(model.n_states)]
    s = int(np.searchsorted(model.cum_initial, _xoshiro_uniform(rng), side="right"))
    steps = 0
    for _ in range(episodes):
        terminated = False
        while not terminated:
            if _xoshiro_uniform(rng) < epsilon:
                a = int(_xoshiro_uniform(rng) * model.n_actions)
            else:
                best = max(q[s])
                tied = [b for b in range(model.n_actions) if q[s][b] == best]
                a = tied[int(_xoshiro_uniform(rng) * len(tied))] if len(tied) > 1 else tied[0]
            n = model.n_outcomes[s, a]
            cum = model.cum_prob[s, a, :n]
            k = 0 if n == 1 else int(np.searchsorted(cum, _xoshiro_uniform(rng), side="right"))
            s_next = int(model.next_state[s, a, k])
            r = float(model.reward[s, a, k])
            terminated = bool(model.terminated[s, a, k])
            td_target = r + gamma * (0.0 if terminated else max(q[s_next]))
            q[s][a] = q[s][a] + alpha * (td_target - q[s][a])
            s = s_next
            steps += 1
        s = int(np.searchsorted(model.cum_initial, _xoshiro_uniform(rng), side="right"))
    return np.array(q), steps


def test_q_learning_is_the_plain_python_loop_bit_for_bit(taxi):
    session = TabularAgent(TrainConfig(max_steps=0, seed=5), model=taxi)
    session.train(episodes=60)
    q, steps = _python_q_learning(taxi, 60, alpha=0.1, gamma=0.6, epsilon=0.1, seed=5)
    assert session.total_steps == steps
    np.testing.assert_array_equal(session.q, q)
