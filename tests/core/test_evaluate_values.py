"""Evaluation values against independent derivations; chunked, bounded runs; capped rollouts."""

from __future__ import annotations

import tracemalloc

import gymnasium as gym
import numpy as np
import pytest
from mdps import LEFT, chain_model, make_session

from tui_taxi.core import evaluate as ev
from tui_taxi.core.envs import compile_env, taxi_encode
from tui_taxi.core.evaluate import evaluate, greedy_rollout, rollout_cap
from tui_taxi.core.optimal import solve
from tui_taxi.core.tabular import kernel as K

SOUTH, NORTH, EAST, WEST, PICKUP, DROPOFF = range(6)


def _random_agent_exact():
    """Expected steps and penalties of the uniform random agent on Taxi, by a linear solve on
    Gymnasium's own transition model: V = b + P V over non-terminating outcomes."""
    env = gym.make("Taxi-v4").unwrapped
    n = env.observation_space.n
    p = np.zeros((n, n))
    penalty = np.zeros(n)
    for s in range(n):
        for outcomes in env.P[s].values():
            for prob, s_next, reward, terminated in outcomes:
                weight = prob / len(env.P[s])
                penalty[s] += weight * (reward == -10)
                if not terminated:
                    p[s, s_next] += weight
    steps = np.linalg.solve(np.eye(n) - p, np.ones(n))
    penalties = np.linalg.solve(np.eye(n) - p, penalty)
    isd = env.initial_state_distrib
    return isd @ steps, isd @ penalties


def test_random_agent_steps_and_penalties_match_the_exact_values(taxi):
    exact_steps, exact_penalties = _random_agent_exact()
    assert 2000 < exact_steps < 3000 and 600 < exact_penalties < 1000  # the tutorial's "thousands"
    result = evaluate(taxi, None, policy="random", episodes=10_000, time_limit=0, seed=11)
    # episode lengths are roughly geometric: std ~ mean, so the standard error is ~1% here
    assert result.mean_steps == pytest.approx(exact_steps, rel=0.04)
    assert result.mean_penalties == pytest.approx(exact_penalties, rel=0.04)
    assert result.truncated == 0 and result.success_rate == 1.0


def test_penalties_are_counted_exactly_on_a_known_trip(taxi):
    """From the taxi at (2,2), passenger at R, destination G, a trip with five wrong pickups
    and drop-offs, a wall bump (not a penalty) and a legal drop-off at the wrong pad (not one)."""
    start = taxi_encode(2, 2, 0, 1)
    actions = [
        PICKUP,  # nobody here: -10 (1)
        DROPOFF,  # nobody in the taxi: -10 (2)
        NORTH,
        WEST,  # (1,2); the wall east of (1,1) stops the taxi: -1, no penalty
        NORTH,
        SOUTH,
        SOUTH,
        WEST,
        WEST,
        NORTH,
        NORTH,  # round to R at (0,0)
        PICKUP,  # the passenger gets in: -1
        PICKUP,  # already in the taxi: -10 (3)
        DROPOFF,  # at R, a pad but not the destination: the passenger gets out there, -1
        DROPOFF,  # nobody in the taxi: -10 (4)
        PICKUP,
        SOUTH,
        DROPOFF,  # at (1,0), no pad: -10 (5)
        SOUTH,
        EAST,
        EAST,
        EAST,
        EAST,
        NORTH,
        NORTH,  # to G at (0,4)
        DROPOFF,  # delivered: +20
    ]
    # 26 steps: five -10s, one +20, twenty -1s
    env = gym.make("Taxi-v4")
    env.reset(seed=0)
    env.unwrapped.s = start
    gym_rewards = [env.step(a)[1] for a in actions]
    assert gym_rewards.count(-10) == 5 and sum(gym_rewards) == -50 and gym_rewards[-1] == 20

    session = make_session(taxi, seed=0)
    session.cursor[K.C_STATE] = start
    for action in actions[:-1]:
        session.step(action)
    assert session.episode_penalties == 5 and session.t == 25
    _, batch = session.step(actions[-1])
    assert (batch.penalties[0], batch.episodic_length[0], batch.episodic_return[0]) == (5, 26, -50)
    assert batch.success[0]
    assert session.history.sums()[0].tolist() == [-50.0, 26.0, 5.0, 1.0]


def test_a_policy_of_wrong_pickups_scores_what_can_be_counted_by_hand(taxi):
    """Always PICKUP, ten steps: every pickup is wrong (-10) except the first when the taxi
    starts on the passenger's pad, which happens from 12 of the 300 starts."""
    always_pickup = np.zeros((500, 6))
    always_pickup[:, PICKUP] = 1.0
    result = evaluate(taxi, always_pickup, episodes=3000, time_limit=10, seed=2)
    assert result.mean_steps == 10.0 and result.truncated == 3000 and result.success_rate == 0
    assert result.mean_penalties == pytest.approx(10 - 12 / 300, abs=0.02)  # ~6 standard errors
    # -10 per penalty, -1 for each other step
    assert result.mean_return == pytest.approx(
        -10 * result.mean_penalties - (10 - result.mean_penalties)
    )
    assert result.reward_per_move == pytest.approx(result.mean_return / 10)


def _one_call(model, q, policy, episodes, time_limit, seed):
    """The reference: the whole evaluation in one kernel call."""
    batch = ev._PolicyRun(model, q, policy, time_limit, seed).run(episodes, None)
    return (
        batch.episodic_length.mean(),
        batch.penalties.mean(),
        batch.episodic_return.sum() / batch.episodic_length.sum(),
        batch.episodic_return.mean(),
        batch.success.mean(),
        int(batch.truncated.sum()),
    )


@pytest.mark.parametrize(
    ("policy", "time_limit"), [("random", 0), ("random", 500), ("greedy", 0), ("greedy", 30)]
)
def test_chunked_evaluation_equals_one_kernel_call(taxi, monkeypatch, policy, time_limit):
    q = np.round(np.random.default_rng(1).normal(size=(500, 6)))  # ties, some loops
    monkeypatch.setattr(ev, "CHUNK_STEPS", 1000)  # chunks end mid-episode
    monkeypatch.setattr(ev, "CHUNK_EPISODES", 7)
    result = evaluate(taxi, q, policy=policy, episodes=40, time_limit=time_limit, seed=9)
    got = (
        result.mean_steps,
        result.mean_penalties,
        result.reward_per_move,
        result.mean_return,
        result.success_rate,
        result.truncated,
    )
    assert got == _one_call(taxi, q, policy, 40, time_limit, seed=9)


def test_each_kernel_call_is_bounded_and_ctrl_c_is_heard_between_them(taxi, monkeypatch):
    calls = []
    run = ev._PolicyRun.run

    def spy(self, episodes, steps):
        calls.append((episodes, steps))
        if len(calls) == 3:
            raise KeyboardInterrupt  # as Python raises it once the kernel call returns
        return run(self, episodes, steps)

    monkeypatch.setattr(ev._PolicyRun, "run", spy)
    with pytest.raises(KeyboardInterrupt):
        evaluate(taxi, np.array(solve(taxi).q), episodes=10**9)
    assert len(calls) == 3
    assert all(e <= ev.CHUNK_EPISODES and s <= ev.CHUNK_STEPS for e, s in calls)


def test_a_million_episodes_take_memory_of_one_chunk(taxi):
    q = np.array(solve(taxi).q)
    evaluate(taxi, q, episodes=10)  # compiled
    tracemalloc.start()
    try:
        result = evaluate(taxi, q, episodes=1_000_000, seed=3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.mean_steps == pytest.approx(solve(taxi).mean_steps, rel=0.01)
    assert peak < 5e6  # one call for all would need 25 MB of output rows


def test_read_only_tables_evaluate(taxi):
    result = evaluate(taxi, solve(taxi).q, episodes=50)  # the optimum's arrays are read-only
    assert result.success_rate == 1.0 and result.mean_penalties == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"q": np.zeros((499, 6))}, r"Q-table has shape \(499, 6\), expected \(500, 6\)"),
        ({"q": np.full((500, 6), np.nan)}, "Q-table contains NaN"),
        ({"episodes": True}, "episodes must be a whole number >= 1, got True"),
        ({"episodes": 0}, "episodes must be a whole number >= 1"),
        ({"time_limit": -1}, "time limit must be a whole number >= 0"),
        ({"seed": 1.5}, "seed must be a whole number >= 0"),
    ],
)
def test_bad_evaluation_arguments_are_refused(taxi, kwargs, message):
    kwargs = {"q": None, **kwargs}
    with pytest.raises(ValueError, match=message):
        evaluate(taxi, kwargs.pop("q"), **kwargs)


# -- the agent's answer to a player's trip -------------------------------------------------------
def test_a_looping_agent_is_cut_off_at_the_envs_limit_and_says_so(taxi):
    always_pickup = np.zeros((500, 6))
    always_pickup[:, PICKUP] = 1.0
    start = taxi_encode(2, 2, 0, 1)  # the passenger is not here: pickup changes nothing
    trip = greedy_rollout(taxi, always_pickup, start, time_limit=0)
    assert trip.steps == 200 == taxi.max_episode_steps
    assert trip.truncated and trip.loops and not trip.terminated
    assert set(trip.states) == {start} and trip.final_state == start
    assert trip.penalties(taxi) == 200
    assert greedy_rollout(taxi, always_pickup, start, time_limit=50).steps == 50
    assert greedy_rollout(taxi, always_pickup, start, time_limit=10**6).steps == 200


def test_an_env_without_a_limit_is_cut_off_at_200():
    model = chain_model(start=2, max_episode_steps=0)
    always_left = np.zeros((4, 2))
    always_left[:, LEFT] = 1.0
    trip = greedy_rollout(model, always_left, 2)
    assert rollout_cap(model) == 200 and trip.steps == 200 and trip.loops
    assert trip.states[:4] == (2, 1, 0, 0)


def test_a_finished_trip_is_not_truncated(taxi):
    trip = greedy_rollout(taxi, solve(taxi).q, taxi_encode(2, 2, 0, 1))
    assert trip.terminated and not trip.truncated and not trip.loops
    assert trip.steps == solve(taxi).steps[taxi_encode(2, 2, 0, 1)]


def test_the_rollout_draws_exactly_as_the_kernel_steps(monkeypatch):
    """Rainy Taxi (three outcomes per move) and a table full of ties: the fast rollout takes
    the kernel's draws, step for step (the reference: one kernel call a step)."""
    model = compile_env("Taxi-v4", (("is_rainy", True),))
    q = np.round(np.random.default_rng(4).normal(size=(500, 6)) / 2)
    for start in (0, 77, 301):
        trip = greedy_rollout(model, q, start, time_limit=60, seed=5)
        run = ev._PolicyRun(model, q, "greedy", 60, 5)
        run.cursor[K.C_STATE] = start
        states, rewards = [], []
        while True:
            batch = run.run(None, 1)
            states.append(int(run.record[K.R_STATE]))
            rewards.append(float(run.record[K.R_REWARD]))
            if len(batch):
                break
        assert trip.states == tuple(states) and trip.rewards == tuple(rewards)
        assert trip.truncated == bool(batch.truncated[0])
