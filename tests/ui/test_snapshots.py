"""The look of the screens, with a fixed seed and the trainer stopped before capture.

Update after an intended change with `pytest tests/ui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from driver import make_app, settle, settled

from tui_taxi.ui.widgets.reward_chart import RewardChart


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
        app.trainer.stop()  # no live thread while the screen is captured
        chart = app.query_one(RewardChart)
        for _ in range(200):
            if chart.up_to_date:
                break
            await pilot.pause(0.01)
        await pilot.pause()

    return run_before


def test_main_screen(snap_compare):
    assert snap_compare(
        make_app(episodes=2000, seed=7), terminal_size=(100, 30), run_before=_prepared(3)
    )


def test_chart_view(snap_compare):
    app = make_app(episodes=2000, seed=7)
    assert snap_compare(app, terminal_size=(100, 30), run_before=_prepared(1, ("c",)))


def test_wide_screen(snap_compare):
    assert snap_compare(
        make_app(episodes=2000, seed=7), terminal_size=(180, 50), run_before=_prepared(1)
    )


def test_too_small(snap_compare):
    assert snap_compare(
        make_app(episodes=2000, seed=7), terminal_size=(80, 24), run_before=_prepared(0)
    )


def test_help_screen(snap_compare):
    app = make_app(episodes=2000, seed=7)
    assert snap_compare(app, terminal_size=(100, 30), run_before=_prepared(0, ("question_mark",)))


def _tour_app():
    from tui_taxi.core.session import Session, TrainConfig
    from tui_taxi.demo import load_tour
    from tui_taxi.ui.app import TaxiApp

    tour = load_tour()
    return TaxiApp(Session(TrainConfig(seed=tour.seed)), paused=True, tour=tour)


def _tour_at(keys: tuple[str, ...], step: int):
    """Press ``keys``; capture once step ``step`` (0-based) of the tour has been replayed."""

    async def run_before(pilot) -> None:
        app = pilot.app
        for key in keys:
            await pilot.press(key)
        assert app.tour_index == step
        await settled(pilot)
        app.trainer.stop()  # no live thread while the screen is captured
        await pilot.pause()

    return run_before


def test_demo_first_step(snap_compare):
    assert snap_compare(_tour_app(), terminal_size=(100, 30), run_before=_tour_at((), 0))


def test_demo_advance_to_the_td_update(snap_compare):
    keys = ("space", "space", "space")
    assert snap_compare(_tour_app(), terminal_size=(100, 30), run_before=_tour_at(keys, 3))


def test_demo_back_lands_on_the_same_screen(snap_compare):
    # forward four, back one: must equal the snapshot of advancing three
    keys = ("space", "space", "space", "space", "left")
    assert snap_compare(_tour_app(), terminal_size=(100, 30), run_before=_tour_at(keys, 3))


def test_demo_restart_lands_on_the_first_screen(snap_compare):
    keys = ("space", "space", "home")
    assert snap_compare(_tour_app(), terminal_size=(100, 30), run_before=_tour_at(keys, 0))
