"""The look of the screens, with a fixed seed and the trainer stopped before capture.

Update after an intended change with `pytest tests/ui/test_snapshots.py --snapshot-update`.
Where two screens must match (a tour's back and restart), the test compares them directly.
"""

from __future__ import annotations

import pytest
from driver import make_app, quiesce, settle

from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.demo import load_tour
from tui_taxi.ui.app import TaxiApp


def _prepared(steps: int = 1, keys: tuple[str, ...] = ()):
    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot, lambda s: s.episode == 2000)
        for _ in range(steps):
            seq = app.snapshot.seq
            await pilot.press("n")
            await settle(pilot, lambda s, seq=seq: s.seq > seq)
        for key in keys:
            await pilot.press(key)
        await quiesce(pilot)

    return run_before


def test_main_screen(snap_compare):
    app = make_app(episodes=2000, seed=7)
    assert snap_compare(app, terminal_size=(100, 30), run_before=_prepared(3))


def test_chart_view(snap_compare):
    app = make_app(episodes=2000, seed=7)
    assert snap_compare(app, terminal_size=(100, 30), run_before=_prepared(1, ("c",)))


def test_medium_screen(snap_compare):
    app = make_app(episodes=2000, seed=7)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_prepared(1))


def test_wide_screen(snap_compare):
    app = make_app(episodes=2000, seed=7)
    assert snap_compare(app, terminal_size=(160, 50), run_before=_prepared(1))


def test_too_small(snap_compare):
    app = make_app(episodes=2000, seed=7)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_prepared(0))


def test_help_screen(snap_compare):
    app = make_app(episodes=2000, seed=7)
    assert snap_compare(app, terminal_size=(100, 30), run_before=_prepared(0, ("question_mark",)))


def test_play_mode(snap_compare):
    app = make_app(episodes=2000, seed=7)
    assert snap_compare(app, terminal_size=(100, 30), run_before=_prepared(0, ("m", "up", "left")))


def _tour_app():
    tour = load_tour()
    return TaxiApp(TabularAgent(TrainConfig(seed=tour.seed)), paused=True, tour=tour)


def _tour_at(keys: tuple[str, ...], slide: int):
    """Press ``keys``; capture once slide ``slide`` (0-based) of the tour has been replayed."""

    async def run_before(pilot) -> None:
        for key in keys:
            await pilot.press(key)
        assert pilot.app.tour_index == slide
        await quiesce(pilot)

    return run_before


def test_demo_first_slide(snap_compare):
    assert snap_compare(_tour_app(), terminal_size=(100, 30), run_before=_tour_at((), 0))


def test_demo_td_update_slide(snap_compare):
    keys = ("space",) * 8
    assert snap_compare(_tour_app(), terminal_size=(100, 30), run_before=_tour_at(keys, 8))


def test_demo_planning_slide_against_learning(snap_compare):
    """The planning tour's Taxi slide: value iteration's V* for one passenger and destination,
    its backups against the samples Q-learning took to be optimal (the same screen twice)."""
    from tui_taxi.core.agent import kind_named
    from tui_taxi.ui.app import create_app

    tour = load_tour(name="planning")
    config = kind_named(tour.agent).configure(tour.env_id, tour.env_kwargs, seed=tour.seed)
    app = create_app(config, paused=True, tour=tour)
    slide = next(i for i, s in enumerate(tour.steps) if s.title == "Planning against learning")
    keys = ("space",) * slide
    assert snap_compare(app, terminal_size=(100, 30), run_before=_tour_at(keys, slide))


WORLDS = {
    "frozenlake": ("FrozenLake-v1", (), 2000),
    "frozenlake8x8": ("FrozenLake-v1", (("is_slippery", False), ("map_name", "8x8")), 2000),
    "cliffwalking": ("CliffWalking-v1", (), 300),
    "windy": ("tui_taxi/WindyGridworld-v0", (), 200),
}


def _world_app(name: str):
    from tui_taxi.core.tabular.defaults import config_for

    env_id, kwargs, episodes = WORLDS[name]
    session = TabularAgent(config_for(env_id, kwargs, seed=5))
    session.train(episodes=episodes)
    return TaxiApp(session, paused=True)


def _world_ready(keys: tuple[str, ...] = ()):
    async def run_before(pilot) -> None:
        await settle(pilot, lambda s: s.report is not None)
        for key in keys:
            await pilot.press(key)
        await quiesce(pilot)

    return run_before


@pytest.mark.parametrize("name", list(WORLDS))
@pytest.mark.parametrize("size", [(100, 30), (160, 50)], ids=["100x30", "160x50"])
def test_grid_world(snap_compare, name, size):
    assert snap_compare(_world_app(name), terminal_size=size, run_before=_world_ready(("n",)))


def test_grid_world_per_action_view(snap_compare):
    assert snap_compare(
        _world_app("cliffwalking"), terminal_size=(160, 50), run_before=_world_ready(("i",))
    )
