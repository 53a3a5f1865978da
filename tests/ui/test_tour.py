"""The tour in the app: back and restart land on the very same screen, steps play at a visible
pace, and every slide fits a 100x30 terminal."""

from __future__ import annotations

import pytest
from driver import quiesce, settle

from tui_taxi.core.agent import kind_named
from tui_taxi.demo import load_tour
from tui_taxi.protocol import Step
from tui_taxi.ui.app import create_app


def _tour_app(name: str = "taxi"):
    tour = load_tour(name=name)
    config = kind_named(tour.agent).configure(tour.env_id, tour.env_kwargs, seed=tour.seed)
    return create_app(config, paused=True, tour=tour)


async def _screen_after(keys: tuple[str, ...], size=(100, 30)) -> str:
    app = _tour_app()
    async with app.run_test(size=size) as pilot:
        for key in keys:
            await pilot.press(key)
        await quiesce(pilot)
        return app.export_screenshot()


@pytest.mark.parametrize(
    ("keys", "same_as"),
    [
        (("space",) * 9 + ("left",), ("space",) * 8),  # nine forward, one back
        (("space",) * 5 + ("home",), ()),  # restart
    ],
)
async def test_back_and_restart_land_on_the_same_screen(keys, same_as):
    assert await _screen_after(keys) == await _screen_after(same_as)


async def test_the_random_agent_walks_at_a_visible_pace():
    tour = load_tour()
    slide = next(i for i, s in enumerate(tour.steps) if s.title == "A random agent wanders")
    (walk,) = [a for a in tour.steps[slide].actions if isinstance(a, Step)]
    app = _tour_app()
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(slide):
            await pilot.press("space")
        first = await settle(pilot, lambda s: s.playing_to and 0 < s.total_steps < walk.count)
        assert not first.paused  # the steps are playing, one by one
        last = await settle(pilot, lambda s: not s.playing_to, rounds=2000)
        assert last.total_steps == walk.count and last.paused


async def test_the_td_update_slide_shows_a_bootstrap_that_is_not_zero():
    tour = load_tour()
    slide = next(i for i, s in enumerate(tour.steps) if s.title == "One TD update")
    app = _tour_app()
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(slide):
            await pilot.press("space")
        snap = await settle(
            pilot,
            lambda s: (
                s.handled >= app.trainer.sent
                and not s.playing_to
                and s.last_step is not None
                and s.last_step.t > 0
            ),
        )
        record = snap.last_step
        assert record.bootstrap != 0 and record.gamma == pytest.approx(0.6)
        assert app.query_one("#explainer").display
