"""Every binding, driven with Pilot, asserting the state it changes in the trainer."""

from __future__ import annotations

import numpy as np
import pytest
from driver import TURBO, make_app, press, settle

from tui_taxi.core.persist import load_session, save_session
from tui_taxi.core.session import Session, TrainConfig
from tui_taxi.trainer import DEFAULT_SPEED, SPEEDS
from tui_taxi.ui.app import TaxiApp
from tui_taxi.ui.screens.confirm import ConfirmScreen
from tui_taxi.ui.screens.help import HelpScreen
from tui_taxi.ui.screens.path_prompt import PathPrompt
from tui_taxi.ui.widgets.reward_chart import SMOOTHING, RewardChart

SIZE = (100, 30)


async def test_n_and_right_take_exactly_one_step(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.total_steps == 0)
        snap = await press(pilot, "n")
        assert snap.total_steps == 1 and snap.last_step.t == 1
        snap = await press(pilot, "right")
        assert snap.total_steps == 2
        assert snap.paused


async def test_space_runs_and_pause_really_stops_the_counters():
    app = make_app(paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.paused)
        await pilot.press("right_square_bracket")  # faster than the default, still animated
        await pilot.press("space")
        running = await settle(pilot, lambda s: not s.paused and s.total_steps >= 3)
        assert running.speed_index == DEFAULT_SPEED + 1
        paused = await press(pilot, "space")
        assert paused.paused
        steps = app.trainer.session.total_steps
        for _ in range(10):
            await pilot.pause(0.02)
        assert app.trainer.session.total_steps == steps  # nothing moves while paused
        assert app.snapshot.total_steps == steps


async def test_speed_keys_move_through_the_levels(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        snap = await press(pilot, "right_square_bracket")
        assert snap.speed_index == DEFAULT_SPEED + 1
        for _ in range(len(SPEEDS)):
            snap = await press(pilot, "left_square_bracket")
        assert snap.speed_index == 0 and snap.speed.label == "1 step/s"


@pytest.mark.parametrize(("key", "name", "change"), [("e", "epsilon", -0.05), ("E", "epsilon", 0.05),
                                                     ("a", "alpha", -0.05), ("A", "alpha", 0.05),
                                                     ("g", "gamma", -0.05), ("G", "gamma", 0.05)])  # fmt: skip
async def test_hyperparameter_keys_change_the_learner_at_once(app, key, name, change):
    async with app.run_test(size=SIZE) as pilot:
        before = await settle(pilot, lambda s: True)
        old = {"epsilon": before.epsilon, "alpha": before.alpha, "gamma": before.config.gamma}[name]
        await press(pilot, key)
        snap = await press(pilot, "n")  # the next update uses the new value
        record = snap.last_step
        used = {"epsilon": record.epsilon, "alpha": record.alpha, "gamma": record.gamma}[name]
        assert used == pytest.approx(old + change)
        assert record.q_new == pytest.approx(record.q_old + record.alpha * (
            record.reward + record.gamma * record.bootstrap - record.q_old))  # fmt: skip


async def test_alpha_never_leaves_its_range():
    app = make_app(alpha=TrainConfig().alpha.constant(0.05))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        snap = await press(pilot, "a")
        assert snap.alpha == 0.05  # (0, 1]: clamped, not zero


async def test_l_cycles_the_learner(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        seen = []
        for _ in range(4):
            snap = await press(pilot, "l")
            seen.append(snap.config.learner)
        assert seen == ["sarsa", "expected-sarsa", "double-q", "q-learning"]


async def test_reset_asks_first():
    app = make_app(episodes=300)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.episode == 300)
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.trainer.session.episode == 300  # kept
        await pilot.press("r")
        await pilot.press("y")
        snap = await settle(pilot, lambda s: s.episode == 0)
        assert not snap.q.any() and snap.total_steps == 0


async def test_save_then_load_restores_the_q_table(tmp_path):
    app = make_app(episodes=500)
    path = tmp_path / "saved.npz"
    async with app.run_test(size=SIZE) as pilot:
        trained = await settle(pilot, lambda s: s.episode == 500)
        await pilot.press("s")
        assert isinstance(app.screen, PathPrompt)
        prompt = app.screen.query_one("#path")
        prompt.value = str(path)
        await pilot.press("enter")
        await settle(pilot, lambda s: path.exists())
        np.testing.assert_array_equal(load_session(path).q, trained.q)

        await pilot.press("r")
        await pilot.press("y")
        await settle(pilot, lambda s: s.episode == 0)
        await pilot.press("o")
        app.screen.query_one("#path").value = str(path)
        await pilot.press("enter")
        loaded = await settle(pilot, lambda s: s.episode == 500)
        np.testing.assert_array_equal(loaded.q, trained.q)
        assert any("loaded" in n.message for n in app._notifications)


async def test_a_bad_file_is_a_notification_not_a_crash(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("not a session")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("o")
        app.screen.query_one("#path").value = str(bad)
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.01)
            if app._notifications:
                break
        (note,) = app._notifications
        assert note.severity == "error" and "not an .npz archive" in note.message
        snap = await press(pilot, "n")  # still training
        assert snap.total_steps == 1


async def test_escape_cancels_the_prompt(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("s")
        await pilot.press("escape")
        assert not isinstance(app.screen, PathPrompt)


async def test_help_lists_every_binding(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = {description for _, description in app.screen.keys}
        assert {b.description for b in TaxiApp.BINDINGS} <= listed
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_every_binding_is_in_the_command_palette(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for binding in TaxiApp.BINDINGS:
            if binding.action != "quit":
                assert any(binding.description in title for title in titles), binding.description


async def test_view_and_chart_keys(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        heatmap = app.query_one("#heatmap")
        assert heatmap.display and not app.query_one("#side").display
        await pilot.press("c")
        assert app.has_class("-chart-view")
        assert not heatmap.display and app.query_one("#chart").display
        chart = app.query_one(RewardChart)
        before = chart.smoothing
        await pilot.press("w")
        assert chart.smoothing == SMOOTHING[(SMOOTHING.index(before) + 1) % len(SMOOTHING)]
        await pilot.press("v")
        assert chart.show_extra


async def test_q_quits_and_the_worker_ends(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        thread = app.trainer.thread
        await pilot.press("q")
    thread.join(timeout=1.0)
    assert not thread.is_alive()


async def test_keys_are_handled_while_turbo_trains():
    app = make_app(paused=False)
    app.trainer.speed_index = TURBO
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.total_steps > 50_000)  # flat out
        app.simulate_key("e")
        snap = await settle(pilot, lambda s: s.epsilon == pytest.approx(0.05))
        assert not snap.paused and snap.speed.label == "turbo"
        app.simulate_key("space")
        snap = await settle(pilot, lambda s: s.paused)
        steps = app.trainer.session.total_steps
        await pilot.pause(0.05)
        assert app.trainer.session.total_steps == steps


async def test_quit_during_turbo_leaves_no_thread():
    app = make_app(paused=False)
    app.trainer.speed_index = TURBO
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.total_steps > 50_000)
        thread = app.trainer.thread
        app.simulate_key("q")
        await pilot.pause(0.05)
    thread.join(timeout=1.0)
    assert not thread.is_alive()
    assert app.return_code in (0, None)


async def test_a_failing_worker_notifies_stops_and_stays_usable(monkeypatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)

        def broken(*args, **kwargs):
            raise RuntimeError("kernel exploded")

        monkeypatch.setattr(app.trainer.session, "step", broken)
        snap = await press(pilot, "n")
        snap = await settle(pilot, lambda s: s.failed is not None)
        assert "kernel exploded" in snap.failed
        assert any(
            n.severity == "error" and "kernel exploded" in n.message for n in app._notifications
        )
        assert app.trainer.thread.is_alive()  # the worker waits for commands
        await pilot.press("r")
        await pilot.press("y")
        snap = await settle(pilot, lambda s: s.failed is None)
        snap = await press(pilot, "n")  # the new session steps again
        assert snap.total_steps == 1


async def test_a_small_terminal_asks_to_be_enlarged_and_recovers(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        message = app.query_one("#too-small")
        assert message.display and not app.query_one("#main").display
        assert "enlarge it to at least 100x30" in str(message.render()).lower()
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app.query_one("#main").display and not message.display


async def test_layouts_follow_the_terminal(app):
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot, lambda s: True)
        assert app.has_class("-wide")
        assert app.query_one("#heatmap").display and app.query_one("#chart").display
        await pilot.resize_terminal(120, 50)
        await pilot.pause()
        assert app.has_class("-tall") and not app.has_class("-wide")


def test_load_option_opens_the_saved_session(tmp_path):
    from tui_taxi.ui.app import create_app

    session = Session(TrainConfig(seed=3))
    session.train(episodes=50)
    path = save_session(session, tmp_path / "s.npz")
    app = create_app(load=path)
    assert app.trainer.session.episode == 50
    np.testing.assert_array_equal(app.trainer.session.q, session.q)
