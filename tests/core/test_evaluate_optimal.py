"""The tutorial's metrics and the exact optimum."""

from __future__ import annotations

import numpy as np
import pytest
from mdps import chain_model

from tui_taxi.core.envs import compile_env
from tui_taxi.core.evaluate import evaluate
from tui_taxi.core.optimal import greedy_policy, policy_report, solve


def test_taxi_optimum_is_13_07_steps_and_7_93_return(taxi):
    optimum = solve(taxi)
    assert optimum.mean_steps == pytest.approx(13.07)
    assert optimum.mean_return == pytest.approx(7.93)  # Gymnasium's "8.46" comment is stale
    assert optimum.mean_penalties == 0.0
    assert optimum.success_rate == pytest.approx(1.0)
    # every optimal Taxi trip: +20 for the drop-off, -1 for each of the other moves
    start = taxi.start_states
    steps = 21 - optimum.v[start]
    assert steps.min() >= 1 and np.all(steps == np.round(steps))


def test_optimum_on_the_chain_by_hand():
    optimum = solve(chain_model())
    np.testing.assert_allclose(optimum.v[:3], [8.0, 9.0, 10.0])  # -1, -1, +10
    assert optimum.mean_steps == 3.0
    assert optimum.optimal_actions[:3, 1].all() and not optimum.optimal_actions[:3, 0].any()


def test_policy_optimality_of_the_optimum_and_of_nothing(taxi):
    optimum = solve(taxi)
    best = policy_report(taxi, optimum.q)
    assert (best.optimality, best.n_optimal, best.n_start) == (1.0, 300, 300)
    assert best.mean_gap == pytest.approx(0.0, abs=1e-9)
    blank = policy_report(taxi, np.zeros((500, 6)))
    assert blank.optimality == 0.0
    assert np.isfinite(blank.mean_return)  # all ties: the random agent, which always ends


def test_exact_policy_values_match_simulation(taxi):
    """All-zero Q is the random agent: its exact expected steps and return (linear solve) must
    agree with thousands of simulated episodes."""
    exact = policy_report(taxi, np.zeros((500, 6)))
    simulated = evaluate(taxi, None, policy="random", episodes=4000, time_limit=0, seed=5)
    assert simulated.mean_steps == pytest.approx(exact.mean_steps, rel=0.08)
    assert simulated.mean_return == pytest.approx(exact.mean_return, rel=0.08)


def test_zero_reward_loops_are_harmless_for_the_return():
    """FrozenLake: bumping into a wall forever is worth 0, not minus infinity."""
    model = compile_env("FrozenLake-v1", (("is_slippery", False),))
    left = np.zeros((16, 4))
    left[:, 0] = 1.0  # always LEFT: stuck against the west wall, never reaching the goal
    report = policy_report(model, left)
    assert report.mean_return == 0.0 and report.mean_steps == np.inf


def test_one_wrong_action_breaks_optimality_where_it_is_used(taxi):
    optimum = solve(taxi)
    q = np.array(optimum.q)
    s = next(int(s) for s in taxi.start_states if not optimum.optimal_actions[s, 4])
    q[s, 4] = 100.0  # an illegal pickup that keeps the taxi where it is, forever
    report = policy_report(taxi, q)
    assert 0 < report.n_optimal < 300
    assert report.mean_return == -np.inf
    q[s, 4] = optimum.q[s, 4]
    assert policy_report(taxi, q).n_optimal == 300


def test_greedy_policy_spreads_over_ties():
    pi = greedy_policy(np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0]]))
    np.testing.assert_array_equal(pi, [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])


def test_random_agent_is_the_tutorials(taxi):
    result = evaluate(taxi, None, policy="random", episodes=100, time_limit=0, seed=0)
    assert 1000 < result.mean_steps < 5000  # thousands of steps
    assert 300 < result.mean_penalties < 1500  # hundreds of penalties
    assert result.reward_per_move < -3
    assert result.truncated == 0 and result.success_rate == 1.0


def test_trained_agent_matches_the_optimum(trained_taxi):
    report = policy_report(trained_taxi.model, trained_taxi.q)
    assert report.n_optimal == 300  # the tutorial's run reaches the optimum everywhere
    result = evaluate(trained_taxi.model, trained_taxi.q, episodes=300, seed=1)
    assert result.mean_penalties == 0.0
    assert result.mean_steps == pytest.approx(13.07, abs=0.6)
    assert result.success_rate == 1.0


def test_a_looping_greedy_policy_hits_the_time_limit_not_forever(taxi):
    result = evaluate(taxi, np.zeros((500, 6)) + np.eye(6)[4], episodes=3, time_limit=0)
    assert result.truncated == 3 and result.mean_steps == 100_000


@pytest.mark.parametrize(("env_id", "kwargs"), [("FrozenLake-v1", ()), ("CliffWalking-v1", ())])
def test_other_envs_solve(env_id, kwargs):
    model = compile_env(env_id, kwargs)
    optimum = solve(model)
    if env_id == "FrozenLake-v1":
        assert optimum.mean_return == pytest.approx(0.8235, abs=1e-3)  # best success probability
        assert model.penalty_reward == -np.inf
    else:
        assert optimum.mean_return == -13.0 and optimum.mean_steps == 13.0
        assert model.penalty_reward == -100.0


def test_a_world_too_large_to_score_trains_but_is_not_scored(capsys):
    """A 60x60 FrozenLake (3,600 states, more than MAX_SCORED_STATES): the exact optimum is
    refused in one line (a 200x200 map once asked for 11.9 GiB), training goes on to its
    budget judged by the env's reward threshold, the CLI says it is not scored, and the app's
    comparison shows no best."""
    from gymnasium.envs.toy_text.frozen_lake import generate_random_map

    from tui_taxi.cli import main
    from tui_taxi.core.optimal import (
        MAX_SCORED_STATES,
        TooLargeToScore,
        policy_report,
        scorable,
        solve,
    )
    from tui_taxi.core.tabular import TabularAgent, TrainConfig
    from tui_taxi.core.training import goal_for
    from tui_taxi.snapshots import compare
    from tui_taxi.ui.widgets.compare_table import compare_text

    desc = tuple(generate_random_map(60, seed=1))
    agent = TabularAgent(TrainConfig(env_id="FrozenLake-v1", env_kwargs=(("desc", desc),), seed=0))
    model = agent.model
    assert model.n_states == 3600 > MAX_SCORED_STATES and not scorable(model)
    for call in (lambda: solve(model), lambda: policy_report(model, agent.q)):
        with pytest.raises(TooLargeToScore, match="not scored: 3,600 states, more than the 2,500"):
            call()
    assert goal_for(agent).what == "solved"  # FrozenLake's reward threshold instead
    agent.train(episodes=200)
    shown = compare_text(compare(agent, 20)).plain.splitlines()
    assert all(line.endswith("—") for line in shown[3:])  # no best without the optimum
    assert (
        main(
            [
                "train",
                "--env",
                "FrozenLake-v1",
                "--env-kwarg",
                "desc=" + "/".join(desc),
                "--episodes",
                "500",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "policy optimality: not scored: 3,600 states, more than the 2,500" in out
