"""What the shipped tours say is what their seeded runs show: each slide replayed headless, as
the app replays it, and the numbers in the captions checked."""

from __future__ import annotations

import textwrap

import pytest

from tui_taxi.core.evaluate import greedy_rollout
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.demo import TOURS, load_tour
from tui_taxi.trainer import Trainer


def _slide(name: str, title: str) -> TabularAgent:
    """The session as slide ``title`` of tour ``name`` leaves it (animated steps taken)."""
    tour = load_tour(name=name)
    index = next(i for i, step in enumerate(tour.steps) if step.title == title)
    config = TrainConfig(env_id=tour.env_id, env_kwargs=tour.env_kwargs, seed=tour.seed)
    trainer = Trainer(TabularAgent(config), lambda snap: None, lambda event: None)
    trainer._run_tour(tour, index)
    while trainer._play_to and trainer.agent.total_steps < trainer._play_to:
        trainer._step_once()
    return trainer.agent


@pytest.mark.parametrize("name", list(TOURS))
def test_every_caption_fits_two_lines_and_every_title_leaves_room_for_the_keys(name):
    for step in load_tour(name=name).steps:
        assert len(textwrap.wrap(step.caption.replace("\n", " "), 98)) <= 2, step.title
        assert len(step.title) <= 32, step.title


def test_cliff_sarsa_keeps_off_the_edge_and_q_learning_walks_it():
    sarsa = _slide("cliff", "Sarsa learns")
    path = greedy_rollout(sarsa.model, sarsa.q, 36)
    rows = {divmod(s, 12)[0] for s in (*path.states, path.final_state)}
    assert path.steps == 17 and 0 in rows  # "climbs to the top row ... 17 steps"
    assert round(sarsa.history.recent_mean_return()) == -24
    q = _slide("cliff", "Q-learning, from the same seed")
    path = greedy_rollout(q.model, q.q, 36)
    assert path.steps == 13 and {divmod(s, 12)[0] for s in path.states[1:]} == {2}
    assert round(q.history.recent_mean_return()) == -73


def test_windy_paths_and_episode_counts():
    after = _slide("windy", "8,000 time steps")
    assert 160 <= after.episode <= 180  # "about 170 episodes"
    path = _slide("windy", "The learnt path")
    assert path.last_step.terminated and path.t == 0  # the 16 steps shown end at the goal
    king = _slide("windy", "The king's path")
    assert king.last_step.terminated and king.t == 0  # 9 steps, from the start, to the goal
    assert king.model.action_names[4:] == ("Up-Right", "Down-Right", "Down-Left", "Up-Left")
