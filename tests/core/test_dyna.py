"""Dyna-Q (Sutton & Barto section 8.2) against the book: the Dyna maze's dynamics by hand,
Dyna-Q's updates from its model by hand on a chain, Figure 8.2's steps per episode with 0, 5
and 50 planning steps averaged over 30 seeds, and Dyna-Q saved and resumed exactly."""

from __future__ import annotations

from collections import deque

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from mdps import RIGHT, chain_model, make_session

import tui_taxi  # noqa: F401  (registers the worlds)
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.tabular import TabularAgent, TrainConfig

MAZE = "tui_taxi/DynaMaze-v0"
UP, RIGHT_MOVE, DOWN, LEFT = range(4)


def test_the_dyna_maze_moves_as_example_8_1_says():
    env = gym.make(MAZE)
    check_env(env.unwrapped)
    P = env.unwrapped.P
    state = lambda r, c: r * 9 + c  # noqa: E731
    assert env.reset(seed=0)[0] == state(2, 0)  # S
    assert P[state(2, 1)][RIGHT_MOVE] == [(1.0, state(2, 1), 0.0, False)]  # a wall at (2, 2)
    assert P[state(0, 0)][UP] == [(1.0, state(0, 0), 0.0, False)]  # the edge
    assert P[state(1, 8)][UP] == [(1.0, state(0, 8), 1.0, True)]  # G: +1, the end
    assert P[state(0, 6)][RIGHT_MOVE] == [(1.0, state(0, 6), 0.0, False)]  # a wall at (0, 7)
    # the shortest path, by breadth-first search over Gymnasium's own model: 14 steps
    start, goal = state(2, 0), state(0, 8)
    depth, queue = {start: 0}, deque([start])
    while queue:
        s = queue.popleft()
        for a in range(4):
            s2 = P[s][a][0][1]
            if s2 not in depth:
                depth[s2] = depth[s] + 1
                queue.append(s2)
    assert depth[goal] == 14


def test_dyna_q_without_planning_is_q_learning_bit_for_bit():
    runs = []
    for learner in ("q-learning", "dyna-q"):
        agent = TabularAgent(TrainConfig(env_id=MAZE, learner=learner, gamma=0.95, seed=3))
        agent.train(episodes=30)
        runs.append(agent.q)
    np.testing.assert_array_equal(*runs)


def test_a_planning_step_replays_the_models_outcome_by_hand():
    """Chain: RIGHT from 2 ends with +10. From 2, one real step RIGHT, alpha 0.5: Q-learning
    gives 5; the model then holds (2, RIGHT) -> (+10, ended), the only pair seen, so each of
    three planning steps repeats the update: 7.5, 8.75, 9.375."""
    agent = make_session(
        chain_model(start=2), learner="dyna-q", planning_steps=3, alpha=0.5, epsilon=0.0, gamma=1.0
    )
    agent.step(action=RIGHT)
    assert agent.q[2, RIGHT] == 9.375
    assert int(agent.dyna.states[-1]) == 1 and agent.dyna.states[0] == 2
    assert agent.dyna.reward[2, RIGHT] == 10.0 and agent.dyna.terminated[2, RIGHT]


def test_nothing_is_learnt_before_the_first_reward_so_ties_decide_the_first_episode():
    """Figure 8.2's first episode: all values are 0 until the goal is first reached, so the
    first episode is a random walk whatever n is (its length depends on how ties are broken:
    at random here; the book's figure starts every n at the same first episode)."""
    agent = TabularAgent(
        TrainConfig(env_id=MAZE, learner="dyna-q", planning_steps=50, gamma=0.95, seed=1)
    )
    while True:
        record, batch = agent.step()
        if len(batch):
            break
        assert not np.any(agent.q)
    assert record.reward == 1.0 and np.count_nonzero(agent.q) >= 1


def _mean_steps(n: int, seeds: int = 30) -> np.ndarray:
    lengths = []
    for seed in range(seeds):
        config = TrainConfig(
            env_id=MAZE,
            learner="dyna-q",
            planning_steps=n,
            alpha=0.1,
            epsilon=0.1,
            gamma=0.95,
            seed=seed,
        )
        lengths.append(TabularAgent(config).train(episodes=50).episodic_length)
    return np.mean(lengths, axis=0)


def test_figure_8_2_more_planning_finds_the_short_path_in_fewer_episodes():
    """The book's Figure 8.2 (alpha 0.1, epsilon 0.1, gamma 0.95, 30 repetitions here): with
    n = 50 the agent walks a near-shortest path (14 steps, plus epsilon's detours) from the
    third episode; with n = 0 (Q-learning) it still wanders for tens of episodes."""
    steps = {n: _mean_steps(n) for n in (0, 5, 50)}
    assert steps[50][2:].max() < 25  # from the third episode on
    assert steps[5][5:].max() < 25  # a few episodes later
    assert steps[0][9] > 80  # the tenth episode: still far from 14
    assert steps[0][1] > steps[5][1] > steps[50][1]  # the second episode, ordered by n
    for n in (0, 5, 50):  # by the end, all of them near 14 steps
        assert steps[n][-10:].mean() < 20
    assert (steps[50][1:10] <= steps[0][1:10]).all()


def test_dyna_q_resumes_exactly_from_its_save(tmp_path):
    config = TrainConfig(env_id=MAZE, learner="dyna-q", planning_steps=10, gamma=0.95, seed=2)
    agent = TabularAgent(config)
    agent.train(episodes=5)
    again = TabularAgent.load(agent.save(tmp_path / "dyna.npz"))
    assert again.config == config
    agent.train(episodes=10)
    again.train(episodes=10)
    np.testing.assert_array_equal(agent.q, again.q)
    for mine, theirs in zip(agent.dyna, again.dyna, strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_a_damaged_model_in_a_save_is_refused(tmp_path):
    from tui_taxi.core.errors import SaveFileError

    agent = TabularAgent(TrainConfig(env_id=MAZE, learner="dyna-q", planning_steps=2, seed=0))
    agent.train(episodes=2)
    path = agent.save(tmp_path / "dyna.npz")
    saved = dict(np.load(path, allow_pickle=False))
    for name, change in (
        ("dyna_states", lambda a: a.__setitem__(-1, 10_000)),
        ("dyna_next", lambda a: a.__setitem__((int(saved["dyna_states"][0]), 0), 999)),
        ("dyna_actions", lambda a: a.__setitem__((int(saved["dyna_states"][0]), 0), 7)),
    ):
        damaged = saved[name].copy()
        change(damaged)
        target = tmp_path / f"{name}.npz"
        np.savez(target, **dict(saved, **{name: damaged}))
        with pytest.raises(SaveFileError):
            TabularAgent.load(target)


def test_planning_steps_are_checked():
    for bad in (-1, 1.5, True, 10**6):
        with pytest.raises(ConfigError, match="planning-steps"):
            TrainConfig(planning_steps=bad)


# -- prioritized sweeping (section 8.4) ------------------------------------------------------
def test_the_queue_gives_back_its_pairs_highest_priority_first():
    from tui_taxi.core.tabular import kernel as K

    dyna = K.Dyna.empty(10, 4)
    rng = np.random.default_rng(0)
    best: dict[int, float] = {}
    for pair, p in zip(rng.integers(0, 40, 200), rng.uniform(0, 1, 200), strict=True):
        K._queue(dyna, int(pair), float(p))  # raises a queued pair's priority, never lowers it
        best[int(pair)] = max(best.get(int(pair), 0.0), float(p))
    order = [K._unqueue_first(dyna) for _ in range(len(best))]
    assert sorted(order) == sorted(best) and dyna.queue[-1] == 0
    assert [best[p] for p in order] == sorted(best.values(), reverse=True)
    assert (dyna.where == -1).all()


def test_prioritized_sweeping_updates_through_its_queue_by_hand():
    """Chain, alpha 0.5, gamma 1, two planning steps. Step 1, RIGHT from 1 to 2 (-1): queued at
    |-1 + max Q(2) - 0| = 1, then updated: Q(1, R) = -0.5. Step 2, RIGHT from 2 (+10, the
    end): queued at 10, updated to 5; the model says (1, R) leads to 2, so it is queued at
    |-1 + 5 - (-0.5)| = 4.5 and updated with the second planning step: -0.5 + 0.5 * 4.5."""
    agent = make_session(
        chain_model(start=1),
        learner="prioritized-sweeping",
        planning_steps=2,
        alpha=0.5,
        epsilon=0.0,
        gamma=1.0,
    )
    agent.step(action=RIGHT)
    assert agent.q[1, RIGHT] == -0.5 and int(agent.dyna.backups[0]) == 1
    agent.step(action=RIGHT)
    assert agent.q[2, RIGHT] == 5.0 and agent.q[1, RIGHT] == 1.75
    assert int(agent.dyna.backups[0]) == 3 and agent.dyna.queue[-1] == 0
    # unlike Dyna-Q, an update that leaves nothing queued is not repeated
    once = make_session(
        chain_model(start=2),
        learner="prioritized-sweeping",
        planning_steps=3,
        alpha=0.5,
        epsilon=0.0,
        gamma=1.0,
    )
    once.step(action=RIGHT)
    assert once.q[2, RIGHT] == 5.0 and int(once.dyna.backups[0]) == 1


def _updates_until_optimal(learner: str, seed: int) -> int:
    """Q-updates, real and planned, until the greedy policy is optimal (checked after every
    episode, as `train` checks it)."""
    from tui_taxi.core.agent import Budget
    from tui_taxi.core.training import goal_for, train

    config = TrainConfig(
        env_id=MAZE,
        learner=learner,
        planning_steps=5,
        alpha=0.5,
        epsilon=0.1,
        gamma=0.95,
        seed=seed,
    )
    agent = TabularAgent(config)
    train(agent, Budget(episodes=500), goal=goal_for(agent, every=1))
    return agent.q_updates


def test_prioritized_sweeping_needs_fewer_updates_than_dyna_q_to_the_optimal_policy():
    """Example 8.4's comparison on the Dyna maze (n = 5, alpha 0.5, epsilon 0.1): Q-updates
    until the greedy policy is optimal, over 30 seeds. The book reports 5-10x fewer; here the
    median is about 10x fewer, but the runs are bimodal (when exploration finds the short way
    late, sweeping needs as many as Dyna-Q): so the test asks for most seeds and the median."""
    dyna = np.array([_updates_until_optimal("dyna-q", seed) for seed in range(30)])
    sweeping = np.array(
        [_updates_until_optimal("prioritized-sweeping", seed) for seed in range(30)]
    )
    assert np.median(sweeping) * 4 < np.median(dyna)
    assert (sweeping < dyna).mean() >= 0.7


def test_prioritized_sweeping_resumes_exactly_and_a_broken_queue_is_refused(tmp_path):
    from tui_taxi.core.errors import SaveFileError

    config = TrainConfig(
        env_id=MAZE, learner="prioritized-sweeping", planning_steps=3, gamma=0.95, seed=4
    )
    agent = TabularAgent(config)
    agent.train(episodes=3)
    agent.train(steps=7)  # mid-episode, with pairs still queued
    assert agent.dyna.queue[-1] > 0
    path = agent.save(tmp_path / "sweep.npz")
    again = TabularAgent.load(path)
    agent.train(episodes=5)
    again.train(episodes=5)
    np.testing.assert_array_equal(agent.q, again.q)
    saved = dict(np.load(path, allow_pickle=False))
    broken = saved["dyna_priority"].copy()
    first, second = saved["dyna_queue"][0], saved["dyna_queue"][1]
    broken[first], broken[second] = broken[second] / 2, broken[first] * 2  # not a heap
    np.savez(tmp_path / "broken.npz", **dict(saved, dyna_priority=broken))
    with pytest.raises(SaveFileError):
        TabularAgent.load(tmp_path / "broken.npz")


def test_a_steps_explainer_tells_its_own_learner_and_planning_after_a_change():
    """The explainer shows the step as it was taken: Dyna-Q with 5 updates from its model,
    even once the learner or n has changed since (l, N)."""
    from tui_taxi.trainer import Trainer
    from tui_taxi.ui.agent_views import explain_table

    agent = TabularAgent(TrainConfig(env_id=MAZE, learner="dyna-q", planning_steps=5, seed=2))
    agent.train(episodes=2)
    record, _ = agent.step()
    assert (record.learner, record.planned) == (4, 5)  # LEARNERS[4] is dyna-q
    agent.set_setting("learner", "sarsa")  # its planning steps go with it
    assert agent.config.planning_steps == 0 and agent.last_step == record
    trainer = Trainer(agent, lambda snap: None, lambda event: None)
    trainer._new_agent(agent)
    text = explain_table(trainer.snapshot()).plain
    assert "Dyna-Q update" in text and "then 5 updates from the model" in text
