"""What the shipped tours say in words is what their seeded runs do: each slide replayed headless,
as the app replays it (its closing walk or steps taken too), and the claims the captions make
around their {figures} checked against the run and the exact optimum."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest

from tui_taxi.core.optimal import policy_report
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.demo import CAPTION_FIELDS, TOURS, load_tour
from tui_taxi.trainer import Trainer


def _slide(name: str, title: str) -> Trainer:
    """The trainer as slide ``title`` of tour ``name`` leaves it (its wait played out)."""
    tour = load_tour(name=name)
    index = next(i for i, step in enumerate(tour.steps) if step.title == title)
    trainer = Trainer(TabularAgent(TrainConfig()), lambda snap: None, lambda event: None)
    trainer._start_agent()
    trainer._run_tour(tour, index)
    while trainer._play_to:
        trainer._play_step()
    return trainer


def _report(agent):
    return policy_report(agent.model, agent.q, agent.config.gamma)


@pytest.mark.parametrize("name", list(TOURS))
def test_every_caption_fits_two_lines_and_states_numbers_only_as_figures(name):
    """A figure is at most 9 characters (-1,234.56); with that room each caption still fits
    two lines of a 100-column terminal. Digits outside figures: only book references and
    commands to type (in backquotes)."""
    for step in load_tour(name=name).steps:
        widest = re.sub(r"\{[^{}]*\}", "-1,234.56", step.caption.replace("\n", " "))
        assert len(textwrap.wrap(widest, 98)) <= 2, step.title
        assert len(step.title) <= 32, step.title
        bare = re.sub(r"\{[^{}]*\}|`[^`]*`|(Example|Exercise|Figure) \d+\.\d+", "", step.caption)
        assert not re.search(r"\d", bare + re.sub(r"\(Exercise \d+\.\d+\)", "", step.title)), (
            step.title
        )
        assert set(re.findall(r"\{([^{}]*)\}", step.caption)) <= set(CAPTION_FIELDS)


def test_cliff_sarsa_keeps_off_the_edge_and_q_learning_walks_it():
    slide = _slide("cliff", "Sarsa's path is the safe one")
    sarsa, walked = slide.agent, slide._walked  # the walk went from S to G, off the cliff's row
    assert walked.terminated and walked.next_state == 47
    report = _report(sarsa)
    assert report.n_loop == 0 and report.mean_steps > report.optimal_mean_steps  # the safe way
    q = _slide("cliff", "Q-learning: along the edge").agent
    report = _report(q)
    assert report.mean_steps == report.optimal_mean_steps == 13  # "the optimal path"
    last = _slide("cliff", "The online return: Sarsa wins")
    kept = last._snapshots.kept[0]
    assert kept.label == "sarsa"
    # "Sarsa wins": its online return, kept, above Q-learning's (the book's Figure 6.4)
    assert kept.recent_return > last.agent.history.recent_mean_return() + 20


def test_windy_paths_end_at_the_goal_as_the_statistics_say():
    slide = _slide("windy", "The learnt path")
    report = _report(slide.agent)
    assert report.n_loop == 0 and report.mean_steps == slide._walked.t  # scored = walked
    assert slide._walked.terminated
    king = _slide("windy", "The king's path")
    report = _report(king.agent)
    assert report.n_loop == 0 and report.mean_steps == king._walked.t
    assert king.agent.model.action_names[4:] == ("Up-Right", "Down-Right", "Down-Left", "Up-Left")
    assert report.optimal_mean_steps == 7  # Exercise 6.9: 7 moves with the king's diagonals


def test_a_walk_neither_learns_nor_counts():
    """A walk runs on a copy: the agent it walked for comes back as it was (its values, its
    episodes, its counters, its recent returns), the walk's last step on screen."""
    trainer = _slide("windy", "The learnt path")
    agent = trainer.agent
    before = (agent.q.copy(), agent.episode, agent.total_steps, agent.history.recent_mean_return())
    from tui_taxi.protocol import Walk

    trainer._handle(Walk())
    assert trainer.agent is not agent  # the walk's copy
    while trainer._play_to:
        trainer._play_step()
    assert trainer.agent is agent and trainer._walked.terminated
    assert (agent.q == before[0]).all() and before[1:] == (
        agent.episode,
        agent.total_steps,
        agent.history.recent_mean_return(),
    )
    assert trainer.snapshot().last_step is trainer._walked  # shown until the next command


def test_taxi_levels_off_below_the_optimum_while_it_explores():
    run = _slide("taxi", "The tutorial's full run").agent
    report = _report(run)
    # "levels off near {last100}, not {optimum_return}": exploration costs return
    assert run.history.recent_mean_return() < report.optimal_mean_return - 3
    assert report.n_optimal == report.n_start  # "From 300/300 start states ... optimal"


def test_taxi_gamma_slides_find_gamma_0_9_optimal_several_times_sooner():
    """ "optimal after {episodes} episodes, against {kept_episodes} for γ 0.6": each run's greedy
    policy is optimal from every start where it stopped (policy_report, not the check the
    trainer ran), was not ten episodes before (a fresh agent replayed that far), and γ 0.9
    got there more than three times sooner (the sweep's finding: about six)."""
    tutorial = _slide("taxi", "How soon, with the tutorial's γ")
    longer = _slide("taxi", "A longer horizon")
    kept = longer._snapshots.kept[0]
    assert kept.label == "γ 0.60" and {s.name: s.value for s in kept.settings}["gamma"] == 0.6
    assert kept.episodes == tutorial.agent.episode
    for trainer, gamma in ((tutorial, 0.6), (longer, 0.9)):
        agent = trainer.agent
        assert agent.config.gamma == gamma and agent.episode % 10 == 0
        report = _report(agent)
        assert report.n_optimal == report.n_start == 300
        earlier = TabularAgent(agent.config)
        earlier.train(episodes=agent.episode - 10)
        report = _report(earlier)
        assert report.n_optimal < report.n_start
    assert kept.episodes > 3 * longer.agent.episode


def test_frozen_greedy_moves_keep_holes_out_of_reach_where_a_move_can():
    """ "No policy is safe on this ice", "wherever some move keeps every hole out of reach,
    slips included, the greedy move is one", and on firm ice "always arrives": checked on
    Gymnasium's own transition table (env.unwrapped.P), at every state the greedy policy
    reaches from the start."""
    import gymnasium as gym

    agent = _slide("frozen", "Why the long way round").agent
    report = _report(agent)
    assert report.optimal_success_rate < 0.9 and report.n_optimal == report.n_start
    env = gym.make("FrozenLake-v1").unwrapped
    desc = env.desc.astype(str).ravel()
    holes = {s for s, kind in enumerate(desc) if kind == "H"}

    def risky(s: int, a: int) -> bool:
        return any(next_s in holes and p > 0 for p, next_s, _, _ in env.P[s][a])

    q = agent.q
    seen, frontier = {0}, [0]
    while frontier:
        s = frontier.pop()
        if desc[s] in "HG":
            continue
        greedy = np.flatnonzero(q[s] == q[s].max())
        if any(not risky(s, a) for a in range(4)):
            assert not any(risky(s, a) for a in greedy), s
        for a in greedy:
            for p, next_s, _, _ in env.P[s][a]:
                if p > 0 and next_s not in seen:
                    seen.add(next_s)
                    frontier.append(next_s)
    assert len(seen) > 8  # the walk covers most of the map
    firm = _slide("frozen", "The same map, firm ice").agent
    report = _report(firm)
    assert report.success_rate == 1.0 and report.mean_steps == report.optimal_mean_steps == 6


def test_bias_q_learning_goes_left_double_q_does_not_expected_sarsa_does():
    """Example 6.7's tour: after 20 episodes Q-learning rates Left above Right ("Left looks the
    better"); its last 100 episodes went left far more than exploring would (1 + epsilon / 2
    steps per episode); Double Q-learning took fewer steps, Expected SARSA more than it."""
    early = _slide("bias", "Q-learning goes left").agent
    assert early.q[0, 1] > early.q[0, 0] == 0.0  # Left above Right (Right ends with 0)
    q_run = _slide("bias", "Steps per episode")
    exploring_alone = 1 + q_run.agent.epsilon_now() / 2
    assert q_run.agent.history.recent_mean_length() > exploring_alone + 0.4
    double = _slide("bias", "Double Q-learning")
    kept = double._snapshots.kept[0]
    assert kept.label == "q-learning" and kept.recent_length > 1.5
    assert double.agent.config.learner == "double-q"
    assert double.agent.history.recent_mean_length() < kept.recent_length - 0.3
    expected = _slide("bias", "Expected SARSA").agent
    assert expected.config.learner == "expected-sarsa"
    between = expected.history.recent_mean_length()
    assert double.agent.history.recent_mean_length() + 0.2 < between <= kept.recent_length


def test_windy_first_episodes_wander_for_hundreds_of_steps():
    """ "the first episodes wander for hundreds of steps each": Sarsa's first episodes on the
    Windy Gridworld, from the tour's seed and settings (the book's Figure 6.3: about 1,000
    steps for the first few episodes together)."""
    run = _slide("windy", "Eight thousand time steps").agent
    first = run.history.means()["episodic_length"][:1]  # (bins of one episode this early)
    lengths = TabularAgent(run.config).train(episodes=3).episodic_length
    assert (lengths >= 100).all() and lengths.max() < 1000 and first[0] == lengths[0]


def _planned(title: str):
    """The planner as slide ``title`` of the planning tour leaves it, and what its steps left."""
    from tui_taxi.core.envs import compile_env
    from tui_taxi.core.planning import Planner
    from tui_taxi.demo import play_plan
    from tui_taxi.ui.widgets.planning_panel import THETA

    tour = load_tour(name="planning")
    index = next(i for i, step in enumerate(tour.steps) if step.title == title)
    start, steps = tour.plan_at(index)
    model = compile_env(start.env_id, start.env_kwargs)
    planner = Planner(model, start.gamma, in_place=start.in_place, greedy=start.greedy)
    from tui_taxi.core.planning.dp import optimality_check

    planner.check = optimality_check(model, start.gamma)
    if start.start is not None:
        planner.follow(start.start)
    return planner, play_plan(planner, steps, THETA)


#: Figure 4.1's grids as printed (one decimal): k = 3, and the random policy's values.
FIGURE_4_1_K3 = [0, -2.4, -2.9, -3, -2.4, -2.9, -3, -2.9, -2.9, -3, -2.9, -2.4, -3, -2.9, -2.4, 0]
FIGURE_4_1_LIMIT = [0, -14, -20, -22, -14, -18, -20, -20, -20, -20, -18, -14, -22, -20, -14, 0]


def test_the_planning_tour_shows_figure_4_1_and_its_greedy_policy_optimal_at_k_3():
    planner, _ = _planned("Sweep by sweep")
    assert planner.k == 3 and planner.optimal_since == 3  # "already optimal, since sweep 3"
    assert planner.delta > 0.5  # "the values are still moving"
    np.testing.assert_allclose(planner.v, FIGURE_4_1_K3, atol=0.05)
    planner, _ = _planned("Evaluated to convergence")
    np.testing.assert_allclose(planner.v, FIGURE_4_1_LIMIT, atol=0.01)
    assert planner.optimal_since == 3  # "has been optimal since sweep 3"
    planner, _ = _planned("Value iteration")
    assert planner.delta == 0 and planner.optimal_since == 3  # "converged (Δ 0)", "from 3 on"
    distance = [min(r + c, 6 - r - c) for r, c in (divmod(s, 4) for s in range(16))]
    np.testing.assert_allclose(planner.v, -np.array(distance), atol=1e-9)  # minus the steps


def test_the_planning_tour_plans_taxi_to_the_optimum_with_far_fewer_backups_than_samples():
    from exact import optimal_q

    planner, _ = _planned("Taxi, planned")
    np.testing.assert_allclose(planner.v, optimal_q(planner.model, 0.6).max(axis=1), atol=1e-3)
    slide = _slide("planning", "Planning against learning")
    report = _report(slide.agent)
    assert report.n_optimal == report.n_start == 300  # "optimal from 300/300 starts"
    samples = slide.agent.total_steps
    backups = planner.optimal_at[1]
    assert backups * 10 < samples  # the gap the slide shows: tens of times fewer


def test_the_planning_tour_dyna_q_with_fifty_planning_steps_finds_the_shortest_path():
    slide = _slide("planning", "Fifty planning steps a step")
    assert slide.agent.config.planning_steps == 50 and slide.agent.config.learner == "dyna-q"
    report = _report(slide.agent)
    assert report.n_loop == 0 and report.optimal_mean_steps == 14  # Figure 8.2's shortest path
    assert report.mean_steps <= 14 + 2  # near it within 50 episodes
    kept = slide._snapshots.kept[0]
    assert kept.label == "n = 0"
    # "take fewer steps on average": the same 50 episodes, n = 50 against n = 0 (Figure 8.2)
    assert slide.agent.history.recent_mean_length() < kept.recent_length / 2


def test_the_planning_tour_ends_at_figure_4_2s_stable_policy():
    never, _ = _planned("Jack's car rental: never move")
    assert never.pi[:, 5].tolist() == [1.0] * 441  # pi_0: "never moves a car"
    planner, outcome = _planned("Policy improvement")
    assert outcome.policy == 1 and outcome.changed > 0
    assert np.all(planner.v >= never.v - 1e-3)  # "worth more in every state" (theorem 4.3)
    planner, outcome = _planned("Policy iteration: stable")
    assert outcome.policy == 4 and outcome.changed == 0  # pi_4 stable, as in Figure 4.2
    moves = (planner.greedy_actions().argmax(axis=1) - 5).reshape(21, 21)
    assert moves[20, 0] == 5 and moves[0, 20] == -4 and moves[20, 20] == 0 == moves[0, 0]
    assert 420 < planner.v.min() < 423 and 630 < planner.v.max() < 640  # (see test_jack)


def test_the_planning_tour_learner_is_far_off_v_star_only_where_its_greedy_paths_never_go():
    """'Off V* by {gap} on average, by far more in cells its greedy paths never enter (here,
    the passenger aboard)': the largest gaps, walked by hand from every start, lie off every
    greedy path, and the slice shown (the passenger in the taxi, bound for G) has one."""
    from exact import optimal_q

    from tui_taxi.core.envs import taxi_encode

    slide = _slide("planning", "Planning against learning")  # (the next slide trains no more)
    model, q = slide.agent.model, slide.agent.q
    gap = np.abs(optimal_q(model, 0.6).max(axis=1) - q.max(axis=1))
    walked = set()
    for start in model.start_states:  # Taxi is deterministic: one outcome an action
        s = int(start)
        for _ in range(200):
            walked.add(s)
            a = int(np.argmax(q[s]))
            if model.terminated[s, a, 0]:
                break
            s = int(model.next_state[s, a, 0])
    can = set(int(s) for s in model.start_states)  # the states an episode can be in, by hand
    todo = list(can)
    while todo:
        s = todo.pop()
        for a in range(model.n_actions):
            if not model.terminated[s, a, 0] and int(model.next_state[s, a, 0]) not in can:
                can.add(int(model.next_state[s, a, 0]))
                todo.append(int(model.next_state[s, a, 0]))
    reachable = np.zeros(model.n_states, dtype=bool)
    reachable[sorted(can)] = True
    assert reachable.sum() == 400  # Taxi: never the passenger at its destination
    far = np.flatnonzero(reachable & (gap > 20 * gap[reachable].mean()))
    assert far.size and not set(far.tolist()) & walked
    shown = [taxi_encode(r, c, 4, 1) for r in range(5) for c in range(5)]
    assert set(far.tolist()) & set(shown)
    assert np.argmax(np.where(reachable, gap, 0)) in shown  # "up to {gap_max}": on this map
    tour = load_tour(name="planning")
    index = next(i for i, s in enumerate(tour.steps) if s.title == "Optimal, yet not exact")
    assert tour.plan_at(index)[1][-1].count == 13  # the slice of (in the taxi, G)
