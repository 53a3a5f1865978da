"""Honest figures for a greedy policy that loops from some starts: how many, and the means over
the starts it finishes from, next to the optimum over the same starts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mdps import LEFT, RIGHT, make_session

from tui_taxi.cli import main
from tui_taxi.cli.report import print_report as _print_report
from tui_taxi.core.envs import model_from_transitions, taxi_encode
from tui_taxi.core.optimal import policy_report, solve

PICKUP = 4


def chain_from_three_starts():
    """States 0-1-2-3 in a row; RIGHT from 2 ends with +10, every other move costs -1 (LEFT
    from 0 stays at 0). Episodes start at 0, 1 or 2 with equal probability.
    The optimum by hand: returns 8, 9, 10 in 3, 2, 1 steps."""
    transitions = {s: {} for s in range(4)}
    for s in range(4):
        transitions[s][LEFT] = [(1.0, max(s - 1, 0), -1.0, False)]
        transitions[s][RIGHT] = [
            (1.0, 3, 10.0, True) if s == 2 else (1.0, min(s + 1, 3), -1.0, False)
        ]
    return model_from_transitions(
        transitions, [1, 1, 1, 0], n_states=4, n_actions=2, env_id="Chain3"
    )


def test_a_policy_that_loops_from_one_start_is_measured_over_the_others():
    model = chain_from_three_starts()
    q = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 0.0]])  # LEFT at 0: stuck, -1 a step
    report = policy_report(model, q)
    assert (report.n_start, report.n_loop, report.n_finish, report.n_optimal) == (3, 1, 2, 2)
    assert report.mean_return == -math.inf and report.mean_steps == math.inf
    # from 1: -1 then +10 in 2 steps; from 2: +10 in 1 step; both optimal
    assert report.finish_mean_return == pytest.approx(9.5)
    assert report.finish_mean_steps == pytest.approx(1.5)
    assert report.finish_optimal_mean_return == pytest.approx(9.5)  # the same two starts
    assert report.finish_optimal_mean_steps == pytest.approx(1.5)
    assert report.optimal_mean_return == pytest.approx(9.0)  # all three: (8 + 9 + 10) / 3


def test_a_slow_policy_that_always_finishes_has_no_loops():
    model = chain_from_three_starts()
    q = np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # a coin at 1
    report = policy_report(model, q)
    # E1 = 1 + (E0 + E2) / 2 with E0 = 1 + E1, E2 = 1: E1 = 4 steps, E0 = 5; returns R1 = 7, R0 = 6
    assert (report.n_loop, report.n_optimal) == (0, 1)
    assert report.finish_mean_steps == pytest.approx((5 + 4 + 1) / 3) == report.mean_steps
    assert report.finish_mean_return == pytest.approx((6 + 7 + 10) / 3) == report.mean_return
    assert report.finish_optimal_mean_return == pytest.approx(9.0)


def test_looping_everywhere_has_no_means():
    model = chain_from_three_starts()
    report = policy_report(model, np.array([[1.0, 0.0]] * 4))  # always LEFT
    assert report.n_loop == 3 and report.n_finish == 0
    assert math.isnan(report.finish_mean_return) and math.isnan(report.finish_mean_steps)


def test_one_bad_action_in_taxi_splits_the_starts_into_optimal_and_looping(taxi):
    q = np.array(solve(taxi).q)
    s = taxi_encode(2, 2, 0, 1)  # the passenger waits at R: a pickup here changes nothing
    q[s, PICKUP] = 100.0
    report = policy_report(taxi, q)
    assert report.n_loop >= 1 and report.n_optimal + report.n_loop == 300
    assert report.finish_mean_steps == pytest.approx(report.finish_optimal_mean_steps)


def test_the_report_line_says_loops_and_never_inf(capsys):
    model = chain_from_three_starts()
    q = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    _print_report(policy_report(model, q))
    out = capsys.readouterr().out
    assert out == (
        "policy optimality: greedy policy optimal for gamma 1 from 2/3 start states (66.7%); "
        "it loops from 1 start, so it never finishes from it\n"
        "  undiscounted, over the 2 starts it finishes from: mean steps 1.50, success 100.0%, "
        "return 9.50 (the optimal policy for gamma 1 there: 1.50, 100.0%, 9.50)\n"
    )
    _print_report(policy_report(model, np.array([[1.0, 0.0]] * 4)))
    out = capsys.readouterr().out
    assert "it loops from all 3 starts" in out and "success 0.0%" in out


def test_the_report_names_its_gamma_and_the_undiscounted_figures(taxi, capsys):
    """The tutorial's optimum for gamma 0.6 is Taxi's shortest trips: 13.07 steps and a return
    of 7.93 on average (as for gamma 1, see test_evaluate_optimal.py)."""
    _print_report(policy_report(taxi, solve(taxi, 0.6).q, 0.6))
    assert capsys.readouterr().out == (
        "policy optimality: greedy policy optimal for gamma 0.6 from 300/300 start states "
        "(100.0%)\n"
        "  undiscounted: mean steps 13.07, success 100.0%, return 7.93 (the optimal policy for "
        "gamma 0.6: 13.07, 100.0%, 7.93)\n"
    )


def test_a_near_miss_shows_its_value_against_the_optimum(capsys):
    """The chain from three starts, gamma 0.5, RIGHT at 0 and 1 but LEFT at 2 (back to 1 for
    -1) instead of RIGHT (+10): it walks 1 -> 2 -> 1 forever at -1 a step, worth
    -1 / (1 - 0.5) = -2 from every start, and loops from all three."""
    model = chain_from_three_starts()
    q = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    report = policy_report(model, q, 0.5)
    assert report.mean_value == pytest.approx(-2.0) and report.n_loop == 3
    # the optimum for 0.5: from 2, +10; from 1, -1 + 5; from 0, -1 - 0.5 + 2.5
    assert report.optimal_mean_value == pytest.approx((10 + 4 + 1) / 3)
    _print_report(report)
    assert "its value for gamma 0.5: -2 against 5 at best" in capsys.readouterr().out


def test_eval_of_a_barely_trained_agent_prints_no_infinity(taxi, tmp_path, capsys):
    session = make_session(taxi, seed=1)
    session.train(episodes=1000)  # an early table: the greedy policy loops from many starts
    assert policy_report(taxi, session.q).n_loop > 0
    path = session.save(tmp_path / "early.npz")
    assert main(["eval", str(path), "--episodes", "3", "--max-steps", "50"]) == 0
    out = capsys.readouterr().out
    assert "inf" not in out and "nan" not in out
    assert "loops from" in out and "starts it finishes from: mean steps" in out
    assert "optimal for gamma 0.6 from" in out  # the saved session's gamma
