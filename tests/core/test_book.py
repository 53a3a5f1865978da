"""Sutton & Barto's Chapter 6 figures, reproduced by the core's learners (fixed seeds).

- Figure 6.3 (Windy Gridworld): Sarsa with alpha 0.5, epsilon 0.1, gamma 1 and Q0 = 0 completes
  about 170 episodes by time step 8,000 (a 50-seed reference run: mean 160, range 137-176).
- Example 6.6 / Figure 6.4 (Cliff Walking): after training with epsilon 0.1, Sarsa's greedy path
  keeps off the row along the cliff and Q-learning's runs along it, while Sarsa's online return
  (about -25 per episode in the figure) beats Q-learning's (about -50).
"""

from __future__ import annotations

import numpy as np
import pytest

from tui_taxi.core.envs import compile_env
from tui_taxi.core.evaluate import greedy_rollout
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.core.worlds import WINDY_GRIDWORLD_ID as WINDY

SEEDS = range(8)
BOOK = {"alpha": 0.5, "epsilon": 0.1, "gamma": 1.0, "max_steps": 0}  # no time limit


def book_session(env_id: str, learner: str, seed: int) -> TabularAgent:
    return TabularAgent(TrainConfig(env_id=env_id, learner=learner, seed=seed, **BOOK))


def greedy_cells(session: TabularAgent, start: int, seed: int, n_cols: int):
    """The greedy path's cells from ``start`` (the final cell included), and whether it
    reached the goal (a looping greedy policy is cut off by the rollout's cap)."""
    trip = greedy_rollout(session.model, session.q, start, seed=seed)
    cells = [divmod(s, n_cols) for s in (*trip.states, trip.final_state)]
    return cells, trip.terminated


# -- Figure 6.3: Windy Gridworld -------------------------------------------------------------


@pytest.fixture(scope="module")
def windy_runs():
    """Per seed: episodes completed by step 8,000, the greedy path's length then, and after
    1,000 episodes (None where the greedy policy does not reach the goal)."""
    runs = []
    for seed in SEEDS:
        session = book_session(WINDY, "sarsa", seed)
        session.train(steps=8000)
        episodes = session.episode
        cells, reached = greedy_cells(session, 30, seed, 10)
        at_8000 = len(cells) - 1 if reached else None
        session.train(episodes=1000 - session.episode)
        cells, reached = greedy_cells(session, 30, seed, 10)
        runs.append((episodes, at_8000, len(cells) - 1 if reached else None))
    return runs


def test_figure_6_3_sarsa_completes_about_170_episodes_by_step_8000(windy_runs):
    episodes = [run[0] for run in windy_runs]
    assert 130 <= np.mean(episodes) <= 190, episodes
    assert all(100 <= n <= 220 for n in episodes), episodes


def test_figure_6_3_greedy_paths_take_15_to_17_steps(windy_runs):
    # by step 8,000 the greedy policy may still loop in rarely visited corners (about half of
    # the seeds do), but any path it finds is near the 15-step minimum
    at_8000 = [run[1] for run in windy_runs if run[1] is not None]
    assert at_8000 and all(15 <= n <= 18 for n in at_8000), at_8000
    # trained on (1,000 episodes), most seeds' greedy path is 15-17 steps
    later = [run[2] for run in windy_runs]
    assert sum(n is not None and 15 <= n <= 17 for n in later) >= 6, later
    assert all(n is None or n >= 15 for n in later), later  # never below the optimum


# -- Example 6.6 and Figure 6.4: Cliff Walking -----------------------------------------------

CLIFF = "CliffWalking-v1"
START, GOAL = 36, 47  # (3, 0) and (3, 11) on the 4x12 grid
EDGE_ROW = 2  # the row just above the cliff
EDGE_PATH = [(3, 0), *((EDGE_ROW, c) for c in range(12)), (3, 11)]  # 13 steps


def test_cliff_walking_v1_sends_a_fall_back_to_the_start_without_ending():
    model = compile_env(CLIFF)
    down = 2
    for col in range(1, 11):  # stepping down from the edge row into the cliff
        s = EDGE_ROW * 12 + col
        assert model.n_outcomes[s, down] == 1
        assert model.next_state[s, down, 0] == START
        assert model.reward[s, down, 0] == -100
        assert not model.terminated[s, down, 0]
    assert model.max_episode_steps == 0  # as in the book, no time limit


@pytest.fixture(scope="module")
def cliff_runs():
    """Per learner, per seed: the greedy path's cells, whether it reached the goal, and the
    mean online return over the last 100 of 500 training episodes (epsilon 0.1 throughout)."""
    runs = {}
    for learner in ("sarsa", "q-learning"):
        for seed in SEEDS:
            session = book_session(CLIFF, learner, seed)
            batch = session.train(episodes=500)
            cells, reached = greedy_cells(session, START, seed, 12)
            online = float(np.mean(batch.episodic_return[-100:]))
            runs.setdefault(learner, []).append((cells, reached, online))
    return runs


def test_q_learning_walks_along_the_cliff(cliff_runs):
    for cells, reached, _ in cliff_runs["q-learning"]:
        assert reached and cells == EDGE_PATH


def test_sarsa_keeps_a_row_away_from_the_cliff(cliff_runs):
    for cells, _, _ in cliff_runs["sarsa"]:  # looping or not, it stays off the edge row
        assert all(row < EDGE_ROW for row, col in cells if 2 <= col <= 9), cells
    reached = [cells for cells, ok, _ in cliff_runs["sarsa"] if ok]
    assert len(reached) >= 5  # most seeds reach the goal: the safe path, 15 or 17 steps
    assert all(len(cells) - 1 in (15, 17) and cells[-1] == (3, 11) for cells in reached)


def test_sarsa_earns_more_online_than_q_learning(cliff_runs):
    sarsa = np.array([online for *_, online in cliff_runs["sarsa"]])
    q_learning = np.array([online for *_, online in cliff_runs["q-learning"]])
    assert np.sum(sarsa > q_learning) >= 7, (sarsa, q_learning)
    assert -34 <= sarsa.mean() <= -19  # Figure 6.4: about -25
    assert -62 <= q_learning.mean() <= -42  # Figure 6.4: about -50


# -- Example 6.7 / Figure 6.5: maximization bias ------------------------------------------------
#: The share of Left from A over windows of episodes, from an independent simulation of the
#: book's code (chapter06/maximization_bias.py's dynamics, plain numpy, rewards drawn from a true
#: normal N(-0.1, 1); 2,000 runs per learner, alpha 0.1, epsilon 0.1, gamma 1; it is not this
#: package's kernel nor its discretized normal): (first, last episode, Q-learning, Double Q).
FIGURE_6_5 = [
    (1, 5, 0.573, 0.505),
    (6, 15, 0.861, 0.427),
    (16, 30, 0.935, 0.260),
    (31, 60, 0.859, 0.159),
    (61, 120, 0.564, 0.096),
    (121, 200, 0.235, 0.083),
    (201, 300, 0.135, 0.071),
]


def _left_share(learner: str, runs: int, episodes: int = 300) -> np.ndarray:
    from tui_taxi.core.worlds import MAXIMIZATION_BIAS_ID

    model = compile_env(MAXIMIZATION_BIAS_ID, ())
    left = np.zeros(episodes)
    for seed in range(runs):
        config = TrainConfig(
            env_id=MAXIMIZATION_BIAS_ID,
            learner=learner,
            alpha=0.1,
            epsilon=0.1,
            gamma=1.0,
            seed=seed,
        )
        lengths = TabularAgent(config, model=model).train(episodes=episodes).episodic_length
        left += lengths == 2  # A -> B -> the end: Left; A -> the end: Right
    return left / runs


def test_figure_6_5_q_learning_overrates_b_and_double_q_does_not():
    q, double = _left_share("q-learning", 600), _left_share("double-q", 600)
    for first, last, want_q, want_double in FIGURE_6_5:
        window = slice(first - 1, last)
        assert q[window].mean() == pytest.approx(want_q, abs=0.07), (first, last)
        assert double[window].mean() == pytest.approx(want_double, abs=0.07), (first, last)
    # the book's words: Q-learning takes Left far more than the 5% epsilon-greedy's floor
    # (epsilon / 2), Double Q-learning is soon near it
    assert q[15:30].mean() > 0.8 and double[15:30].mean() < 0.35
    assert 0.05 - 0.02 < double[200:].mean() < 0.1


def test_the_maximization_bias_mdp_is_the_books():
    """A: Right ends (0), Left to B (0); B: ten actions ending with rewards of mean -0.1 and
    variance 1; A has two legal actions; the optimum goes Right, worth 0 (by hand)."""
    from tui_taxi.core.optimal import solve
    from tui_taxi.core.worlds import MAXIMIZATION_BIAS_ID

    model = compile_env(MAXIMIZATION_BIAS_ID, ())
    assert (model.n_states, model.n_actions) == (3, 10) and list(model.n_legal) == [2, 10, 10]
    assert model.action_names_in(0) == ("Right", "Left")
    k = model.n_outcomes[1, 0]
    p, r = model.prob[1, 0, :k], model.reward[1, 0, :k]
    assert p.sum() == pytest.approx(1) and (p * r).sum() == pytest.approx(-0.1)
    assert (p * (r + 0.1) ** 2).sum() == pytest.approx(1.0)  # variance 1
    assert all(model.terminated[1, a, :k].all() for a in range(10))
    optimum = solve(model)
    assert optimum.v[0] == pytest.approx(0.0) and optimum.v[1] == pytest.approx(-0.1)
    assert list(np.flatnonzero(optimum.optimal_actions[0])) == [0]  # Right only (not b3..b10)
