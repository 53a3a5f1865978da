"""Every binding, driven with Pilot, asserting the state it changes in the trainer."""

from __future__ import annotations

import numpy as np
import pytest
from driver import TURBO, make_app, press, settle, settled

from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.protocol import DEFAULT_SPEED, SPEEDS
from tui_taxi.ui import keys
from tui_taxi.ui.screens.confirm import ConfirmScreen
from tui_taxi.ui.screens.help import HelpScreen
from tui_taxi.ui.screens.path_prompt import PathPrompt
from tui_taxi.ui.widgets.key_bar import key_bar_text
from tui_taxi.ui.widgets.reward_chart import SMOOTHING, RewardChart
from tui_taxi.ui.widgets.status_bar import StatusBar

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
        steps = app.trainer.agent.total_steps
        for _ in range(10):
            await pilot.pause(0.02)
        assert app.trainer.agent.total_steps == steps  # nothing moves while paused
        assert app.snapshot.total_steps == steps


async def test_speed_keys_move_through_the_levels(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        snap = await press(pilot, "right_square_bracket")
        assert snap.speed_index == DEFAULT_SPEED + 1
        for _ in range(len(SPEEDS)):
            snap = await press(pilot, "left_square_bracket")
        assert snap.speed_index == 0 and snap.speed.label == "1 step/s"


@pytest.mark.parametrize(
    ("key", "name", "change"),
    [
        ("e", "epsilon", -0.05),
        ("E", "epsilon", 0.05),
        ("a", "alpha", -0.05),
        ("A", "alpha", 0.05),
        ("g", "gamma", -0.05),
        ("G", "gamma", 0.05),
    ],
)
async def test_hyperparameter_keys_change_the_learner_at_once(app, key, name, change):
    async with app.run_test(size=SIZE) as pilot:
        before = await settle(pilot, lambda s: True)
        old = {
            "epsilon": before.epsilon,
            "alpha": before.value("alpha"),
            "gamma": before.config.gamma,
        }[name]
        await press(pilot, key)
        snap = await press(pilot, "n")  # the next update uses the new value
        record = snap.last_step
        used = {"epsilon": record.epsilon, "alpha": record.alpha, "gamma": record.gamma}[name]
        assert used == pytest.approx(old + change)
        assert record.q_new == pytest.approx(
            record.q_old
            + record.alpha * (record.reward + record.gamma * record.bootstrap - record.q_old)
        )


async def test_alpha_never_leaves_its_range():
    app = make_app(alpha=TrainConfig().alpha.constant(0.05))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        snap = await press(pilot, "a")
        assert snap.value("alpha") == 0.05  # (0, 1]: clamped, not zero


async def test_l_cycles_the_learner(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        seen = []
        for _ in range(6):
            snap = await press(pilot, "l")
            seen.append(snap.config.learner)
        assert seen == [
            "sarsa",
            "expected-sarsa",
            "double-q",
            "dyna-q",
            "prioritized-sweeping",
            "q-learning",
        ]


async def test_reset_asks_first():
    app = make_app(episodes=300)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.episode == 300)
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.trainer.agent.episode == 300  # kept
        await pilot.press("r")
        await pilot.press("y")
        snap = await settle(pilot, lambda s: s.episode == 0)
        assert not snap.q.any() and snap.total_steps == 0


async def test_enter_confirms_the_reset_and_escape_keeps_the_agent():
    app = make_app(episodes=30)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.episode == 30)
        await pilot.press("r")
        await pilot.press("escape")
        assert not isinstance(app.screen, ConfirmScreen) and app.trainer.agent.episode == 30
        await pilot.press("r")
        await pilot.press("enter")
        await settle(pilot, lambda s: s.episode == 0)


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
        np.testing.assert_array_equal(TabularAgent.load(path).q, trained.q)

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


@pytest.mark.parametrize("mode", [keys.TRAIN, keys.PLAY])
async def test_help_lists_the_keys_of_the_current_mode_grouped(mode):
    app = make_app(seed=4)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        if mode == keys.PLAY:
            await press(pilot, "m")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = {k.help for k in app.screen.keys}
        # Taxi has no diagonal or stay move and no per-action grid view (it has planning: P)
        not_taxi = ("move('up-", "move('down-", "move('stay')", "per_action")
        assert listed == {
            k.help for k in keys.KEYS if mode in k.modes and not k.action.startswith(not_taxi)
        }
        other = keys.PLAY if mode == keys.TRAIN else keys.TRAIN
        assert any(k.help not in listed for k in keys.KEYS if other in k.modes)  # not mixed
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_palette_names_every_key_of_the_mode_for_people(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        commands = list(app.get_system_commands(app.screen))
        titles = {c.title for c in commands}
        for key in keys.keys_for(keys.TRAIN):
            if key.action not in ("quit", "per_action", "plan"):  # (Taxi has no grid)
                assert key.help in titles
        assert not any("Run '" in c.help or "(" in c.title and "'" in c.title for c in commands)
        assert "Move up (north)" not in titles  # play keys only in play mode


@pytest.mark.parametrize("width", [80, 100, 120, 200])
def test_the_key_bar_always_shows_help_and_quit(width):
    for mode in (keys.TRAIN, keys.PLAY, keys.TOUR):
        text = key_bar_text(keys.keys_for(mode), width - 2).plain
        assert len(text) <= width - 2
        assert text.rstrip().endswith("? Help  q Quit")


async def test_view_and_chart_keys(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        heatmap, chart = app.query_one("#qtable"), app.query_one(RewardChart)
        assert heatmap.display and not chart.display
        await pilot.press("c")
        assert not heatmap.display and chart.display and app.query_one("#zoom").display
        before = chart.smoothing
        await pilot.press("w")
        assert chart.smoothing == SMOOTHING[(SMOOTHING.index(before) + 1) % len(SMOOTHING)]
        await pilot.press("v")
        assert chart.metric == "episodic_length"
        await pilot.press("z")
        assert chart.range_index == 1


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
        steps = app.trainer.agent.total_steps
        await pilot.pause(0.05)
        assert app.trainer.agent.total_steps == steps


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


async def test_a_failing_command_is_a_notice_and_the_session_stays_as_it_was(monkeypatch):
    app = make_app(episodes=20)
    async with app.run_test(size=SIZE) as pilot:
        before = await settle(pilot, lambda s: True)

        real, calls = TabularAgent.step, []

        def broken_once(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                self.train(steps=1)  # half done: a step taken, then the failure
                raise RuntimeError("kernel exploded")
            return real(self, *args, **kwargs)

        monkeypatch.setattr(TabularAgent, "step", broken_once)
        await pilot.press("n")
        await settle(
            pilot, lambda s: any("kernel exploded" in n.message for n in app._notifications)
        )
        (note,) = [n for n in app._notifications if "kernel exploded" in n.message]
        assert note.severity == "error"
        assert app.trainer.thread.is_alive()
        assert app.trainer.agent.total_steps == before.total_steps  # as before the command
        snap = await press(pilot, "n")  # keys still work
        assert snap.total_steps == before.total_steps + 1


async def test_a_failure_while_training_pauses_restores_and_keeps_taking_keys(monkeypatch):
    app = make_app(episodes=20)
    async with app.run_test(size=SIZE) as pilot:
        before = await settle(pilot, lambda s: True)
        monkeypatch.setattr(app.trainer.agent, "train", lambda *a, **k: 1 / 0)
        await pilot.press("space")
        snap = await settle(
            pilot, lambda s: any("training paused" in n.message for n in app._notifications)
        )
        snap = await settle(pilot, lambda s: s.paused)
        assert snap.episode == before.episode and app.trainer.thread.is_alive()
        snap = await press(pilot, "n")
        assert snap.total_steps == before.total_steps + 1


async def test_a_snapshot_that_cannot_be_built_does_not_stop_the_worker(monkeypatch):
    app = make_app(episodes=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        real = type(app.trainer).snapshot
        calls = {"n": 0}

        def flaky(self, now=None):
            calls["n"] += 1
            if calls["n"] == 1:
                raise ValueError("cannot convert float NaN to integer")
            return real(self, now)

        monkeypatch.setattr(type(app.trainer), "snapshot", flaky)
        await pilot.press("n")
        await settle(pilot, lambda s: any("NaN" in n.message for n in app._notifications))
        snap = await press(pilot, "n")
        assert app.trainer.thread.is_alive() and snap.total_steps >= 1


async def test_quick_key_presses_all_count():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        for _ in range(3):
            app.simulate_key("right_square_bracket")  # one burst, no waiting in between
        snap = await settled(pilot)
        assert snap.speed_index == DEFAULT_SPEED + 3
        for _ in range(4):
            app.simulate_key("E")
        snap = await settled(pilot)
        assert snap.epsilon == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("e", "ε 0.05"),
        ("E", "ε 0.15"),
        ("a", "α 0.05"),
        ("A", "α 0.15"),
        ("g", "γ 0.55"),
        ("G", "γ 0.65"),
        ("right_square_bracket", "20 step/s"),
        ("l", "sarsa"),
    ],
)
@pytest.mark.parametrize("size", [(100, 30), (120, 40)])
async def test_every_parameter_key_shows_its_effect_on_screen(key, shown, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press(key)
        await settled(pilot)
        await pilot.pause()
        status = app.query_one(StatusBar).text().plain
        assert shown in status
        assert any(n for n in app._notifications)  # and a notification confirms it


async def test_a_small_terminal_asks_to_be_enlarged_and_recovers(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        message = app.query_one("#too-small")
        assert message.display and not app.query_one("#dashboard").display
        assert "enlarge it to at least 100x30" in str(message.render()).lower()
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app.query_one("#dashboard").display and not message.display


async def test_notices_wait_while_the_terminal_is_too_small(app):
    from textual.widgets._toast import ToastRack

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        app.toasts.say("speed: turbo")  # a notice while too small: not drawn over the message
        await pilot.pause()
        rack = app.screen.query_one(ToastRack)
        toasts = list(rack.query("Toast"))
        assert toasts and not any(t.visible for t in toasts)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert all(t.visible for t in rack.query("Toast"))
        assert not rack.visible  # (only its toasts are drawn: see the next test)


async def test_a_notice_hides_only_what_is_behind_it():
    """The rack of notices spans the screen's width: it must not blank the rows beside the
    notice (the statistics and the chart's axis were hidden behind an empty band)."""
    from driver import screen_lines

    app = make_app(episodes=300)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, lambda s: s.report is not None)
        await pilot.pause()
        before = screen_lines(app)
        app.toasts.say("speed: turbo", timeout=30)
        await pilot.pause()
        after = screen_lines(app)
        assert any(b != a for b, a in zip(before, after, strict=True))  # the notice shows
        left = [(b[:50], a[:50]) for b, a in zip(before, after, strict=True)]
        assert all(b == a for b, a in left)  # the left of every row is as it was


LAYOUTS = {
    (100, 30): {"world", "values", "explainer", "qtable"},
    (120, 40): {"world", "values", "explainer", "stats", "qtable", "zoom", "chart"},
    (160, 50): {"world", "values", "explainer", "stats", "qtable", "zoom", "chart"},
    (200, 60): {"world", "values", "explainer", "stats", "qtable", "zoom", "chart"},
}


@pytest.mark.parametrize("size", list(LAYOUTS))
async def test_each_layout_shows_every_panel_that_fits_and_cuts_none(size):
    app = make_app(episodes=50)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, lambda s: s.report is not None)
        await pilot.pause()
        dashboard = app.query_one("#dashboard")
        assert dashboard.visible_panels() == LAYOUTS[size]
        for panel in dashboard.query("#left > *, #right > *"):
            if panel.display:  # nothing drawn past the screen's edges
                region = panel.region
                assert region.right <= size[0] and region.bottom <= size[1] - 1, panel.id
                assert region.height > 0, panel.id
        chart = app.query_one("#chart")
        if chart.display:  # the free space goes to the chart
            assert chart.region.height >= 10 and chart.region.width >= 50


def test_load_option_opens_the_saved_session(tmp_path):
    from tui_taxi.ui.app import create_app

    session = TabularAgent(TrainConfig(seed=3))
    session.train(episodes=50)
    path = session.save(tmp_path / "s.npz")
    app = create_app(load=path)
    assert app.trainer.agent.episode == 50
    np.testing.assert_array_equal(app.trainer.agent.q, session.q)


async def test_a_burst_of_one_key_leaves_one_toast_for_its_setting():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        for _ in range(12):
            app.simulate_key("E")
        await settled(pilot)
        await pilot.pause()
        toasts = [n for n in app._notifications if "epsilon" in n.message]
        assert len(toasts) == 1 and "0.70" in toasts[0].message
        app.simulate_key("e")  # one more: ε 0.65, still one toast
        await settled(pilot)
        await pilot.pause()
        assert [n.message for n in app._notifications if "epsilon" in n.message] == [
            "epsilon ε = 0.65"
        ]


async def test_epsilon_says_its_minimum_only_at_zero():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await press(pilot, "e")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["epsilon ε = 0.05"]
        await press(pilot, "e")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["epsilon ε = 0.00 (its minimum)"]


async def test_n_steps_dyna_qs_planning_through_figure_8_2s_values(app):
    """Dyna-Q's planning steps live: reached with l it starts at n = 5 (with 0 it would be
    Q-learning); N goes 5 -> 50 -> 0 -> 5 (Figure 8.2's n), said on the status line; a learner
    that does not plan says it has no such setting."""
    from tui_taxi.ui.widgets.status_bar import status_text

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        snap = await press(pilot, "N")
        assert snap.config.planning_steps == 0
        assert any("no such setting" in n.message for n in app.toasts.shown())
        for _ in range(4):  # sarsa, expected-sarsa, double-q, dyna-q
            snap = await press(pilot, "l")
        assert snap.config.learner == "dyna-q" and snap.config.planning_steps == 5
        seen = []
        for _ in range(3):
            snap = await press(pilot, "N")
            seen.append(snap.config.planning_steps)
            assert f"n {snap.config.planning_steps}" in status_text(snap, 160).plain
        assert seen == [50, 0, 5]
        assert app.trainer.agent.config.planning_steps == 5
