"""Helpers to drive the app with Pilot and wait on the trainer's snapshots (never on time)."""

from __future__ import annotations

from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.protocol import SPEEDS
from tui_taxi.ui.app import TaxiApp

TURBO = len(SPEEDS) - 1


async def settle(pilot, predicate, rounds: int = 400):
    """Let the app run until its latest snapshot satisfies ``predicate``."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause(0.01)
        if app.snapshot is not None and predicate(app.snapshot):
            return app.snapshot
    snap = app.snapshot
    last = (
        "none"
        if snap is None
        else (
            f"seq {snap.seq}, handled {snap.handled} of {app.trainer.sent} sent, episode "
            f"{snap.episode}, step {snap.total_steps}, paused {snap.paused}, manual {snap.manual}"
        )
    )
    raise AssertionError(f"no snapshot satisfied the condition; last: {last}")


async def settled(pilot):
    """Wait until the trainer has handled every command sent and published the result."""
    trainer = pilot.app.trainer
    return await settle(pilot, lambda snap: snap.handled >= trainer.sent)


async def press(pilot, key: str):
    """Send a key and wait until the trainer has handled what it sent and published the state
    after it (a snapshot published for a background result may come first: not that one)."""
    trainer = pilot.app.trainer
    seq = pilot.app.snapshot.seq if pilot.app.snapshot else -1
    await pilot.press(key)
    sent = trainer.sent
    return await settle(pilot, lambda snap: snap.seq > seq and snap.handled >= sent)


def make_app(episodes: int = 0, seed: int = 0, paused: bool = True, **config) -> TaxiApp:
    session = TabularAgent(TrainConfig(seed=seed, **config))
    if episodes:
        session.train(episodes=episodes)
    return TaxiApp(session, paused=paused, save_path="session.npz")


async def quiesce(pilot):
    """Everything sent handled, the policy report in, the chart drawn, then the trainer stopped:
    the screen no longer changes (for captures)."""
    app = pilot.app
    await settle(
        pilot, lambda s: s.handled >= app.trainer.sent and s.report is not None and not s.playing_to
    )
    app.trainer.stop()  # no live thread while the screen is captured
    app.trainer.report.wait()
    app.clear_notifications()  # toasts time out: a capture must not depend on when it is taken
    await chart_drawn(pilot)


async def chart_drawn(pilot):
    """Until the chart shows the latest series it was given (it is built in a thread)."""
    from tui_taxi.ui.widgets.reward_chart import RewardChart

    chart = pilot.app.query_one(RewardChart)
    for _ in range(200):
        if chart.up_to_date or not chart.display:  # (a hidden chart is not redrawn)
            break
        await pilot.pause(0.01)
    await pilot.pause()


def screen_lines(app) -> list[str]:
    """The screen as it is drawn now, a string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
