"""Play mode, the TD explainer, replay, screenshots and the presenter theme, driven with Pilot."""

from __future__ import annotations

import io

import numpy as np
import pytest
from driver import make_app, press, settle
from rich.console import Console

from tui_taxi.core.optimal import solve
from tui_taxi.protocol import SPEEDS, SetManual
from tui_taxi.ui.screens.replay import ReplayScreen
from tui_taxi.ui.screens.trip import TripScreen
from tui_taxi.ui.widgets.td_explainer import TDExplainer

SIZE = (100, 30)
KEYS = {0: "down", 1: "up", 2: "right", 3: "left", 4: "p", 5: "d"}


async def _drive_optimally(pilot, snap):
    """The person drives an optimal route to the end of the trip (at most 30 moves)."""
    optimum = solve(pilot.app.trainer.agent.model)
    for _ in range(30):
        action = int(np.flatnonzero(optimum.optimal_actions[snap.state])[0])
        snap = await press(pilot, KEYS[action])
        if snap.last_step.terminated:
            break
    await pilot.pause()
    return snap


async def _manual(pilot):
    pilot.app.trainer.send(SetManual(True))
    return await settle(pilot, lambda s: s.manual)


async def test_m_toggles_play_mode_and_training_resumes_after(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        snap = await press(pilot, "m")
        assert snap.manual and app.has_class("-manual")
        snap = await press(pilot, "m")
        assert not snap.manual and not snap.paused  # the agent drives again


@pytest.mark.parametrize("action", range(6))
async def test_each_move_key_steps_the_env_as_it_says(action):
    app = make_app(seed=4)
    async with app.run_test(size=SIZE) as pilot:
        snap = await _manual(pilot)
        model = app.trainer.agent.model
        state = snap.state
        snap = await press(pilot, KEYS[action])
        record = snap.last_step
        assert snap.human_step and record.action == action and record.state == state
        assert record.next_state == model.next_state[state, action, 0]
        assert record.reward == model.reward[state, action, 0]
        if action >= 4:  # a wrong pickup or drop-off here
            assert record.reward == -10.0


async def test_hjkl_move_too():
    app = make_app(seed=4)
    async with app.run_test(size=SIZE) as pilot:
        await _manual(pilot)
        for key, action in (("j", 0), ("k", 1), ("l", 2), ("h", 3)):
            snap = await press(pilot, key)
            assert snap.last_step.action == action


async def test_learning_from_the_player_is_off_then_on():
    app = make_app(seed=4)
    async with app.run_test(size=SIZE) as pilot:
        snap = await _manual(pilot)
        assert not snap.learn_from_human
        before = app.trainer.agent.q.copy()
        await press(pilot, "d")
        np.testing.assert_array_equal(app.trainer.agent.q, before)  # kept
        snap = await press(pilot, "L")
        assert snap.learn_from_human
        snap = await press(pilot, "d")
        assert (app.trainer.agent.q != before).sum() == 1  # learned from the person
        assert snap.last_step.q_new == app.trainer.agent.q[snap.last_step.state, 5]


async def test_the_explainer_shows_the_cores_numbers():
    app = make_app(episodes=300, seed=2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.episode == 300)
        snap = await press(pilot, "n")
        record = snap.last_step
        explainer = app.query_one(TDExplainer)
        assert explainer.display
        text = explainer.text().plain
        for value in (
            record.q_old,
            record.bootstrap,
            record.td_target,
            record.td_error,
            record.q_new,
        ):
            assert f"{value:.3f}" in text
        assert f"{record.gamma:.2f} × {record.bootstrap:.3f}" in text
        assert f"{record.alpha:.2f} × {record.td_error:.3f}" in text
        assert snap.action_names[record.action] in text


async def test_a_trip_ends_with_the_comparison_and_the_agents_replay():
    app = make_app(episodes=100_000, seed=3)
    async with app.run_test(size=SIZE) as pilot:
        snap = await _manual(pilot)
        optimum = solve(app.trainer.agent.model)
        start = snap.state
        await _drive_optimally(pilot, snap)
        assert isinstance(app.screen, TripScreen)
        trip = app.screen.trip
        assert trip.start_state == start and trip.delivered
        assert trip.steps == optimum.steps[start] and trip.episodic_return == optimum.v[start]
        assert trip.agent.steps == trip.optimal_steps  # the trained agent is optimal too
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ReplayScreen)
        assert app.screen.frame.record.state == start
        await pilot.press("right")
        assert app.screen.frame.record.state == trip.agent.states[1]


async def test_replay_scrubs_the_recorded_steps():
    app = make_app(episodes=100_000, seed=6)  # trained: an episode takes about 13 steps
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        taken = []
        while not app.snapshot.replays:  # step until an episode is recorded
            snap = await press(pilot, "n")
            taken.append(snap.last_step)
        episode = app.snapshot.replays[-1]
        assert [f.record for f in episode] == taken[-len(episode) :]
        await pilot.press("R")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        for i in (0, 1, 2):
            assert screen.frame == episode[i]
            await pilot.press("right")
        await pilot.press("left")
        assert screen.index == 2
        await pilot.press("escape")
        assert not isinstance(app.screen, ReplayScreen)


async def test_screenshot_key_saves_an_svg(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("S")
        await pilot.pause()
        (svg,) = tmp_path.glob("tui-taxi-*.svg")
        assert svg.read_text().startswith("<svg")
        assert any(str(svg.name) in n.message for n in app._notifications)


async def test_presenter_theme_toggles(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        before = app.theme
        frame_width = app.query_one("#world").render_line(0).text.count("━")
        await pilot.press("T")
        await pilot.pause()
        assert app.has_class("-presenter") and app.theme == "tui-taxi-presenter"
        assert app.query_one("#world").render_line(0).text.count("━") > frame_width  # big cells
        await pilot.press("T")
        assert app.theme == before


async def test_after_handing_back_the_agents_steps_are_not_called_yours():
    app = make_app(seed=4)
    app.trainer.speed_index = len(SPEEDS) - 1  # turbo: training in chunks, not single steps
    async with app.run_test(size=SIZE) as pilot:
        await _manual(pilot)
        snap = await press(pilot, "down")
        assert snap.human_step
        app.trainer.send(SetManual(False))
        snap = await settle(pilot, lambda s: not s.manual and s.total_steps > 1000)
        assert not snap.human_step


async def test_x_swaps_the_explainer_and_the_stats(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.paused)
        await pilot.pause()
        explainer, stats = app.query_one("#explainer"), app.query_one("#stats")
        assert explainer.display and not stats.display  # paused: the TD update
        await pilot.press("x")
        assert stats.display and not explainer.display
        await pilot.press("x")
        assert explainer.display and not stats.display


async def test_loading_while_playing_starts_the_trip_from_the_loaded_state(tmp_path):

    from tui_taxi.core.tabular import TabularAgent, TrainConfig
    from tui_taxi.protocol import Load

    other = TabularAgent(TrainConfig(seed=11))
    other.train(episodes=7)
    path = other.save(tmp_path / "other.npz")
    app = make_app(seed=4)
    async with app.run_test(size=SIZE) as pilot:
        await _manual(pilot)
        app.trainer.send(Load(str(path)))
        snap = await settle(pilot, lambda s: s.episode == 7)
        assert snap.manual and app.trainer._trip.start_state == other.state == snap.state


async def test_an_agent_that_loops_is_cut_off_and_said_to_loop():
    from tui_taxi.core.tabular import TabularAgent, TrainConfig
    from tui_taxi.ui.app import TaxiApp

    session = TabularAgent(TrainConfig(seed=3, max_steps=0))  # no time limit: only the cap stops it
    session.q_a[:, 1] = 1.0  # always North: up to the top row, then into the wall forever
    app = TaxiApp(session, paused=True)
    async with app.run_test(size=SIZE) as pilot:
        snap = await _manual(pilot)
        trip = app.trainer._trip
        assert trip.agent.truncated and trip.agent.loops
        assert trip.agent.steps == 200  # Taxi's registered limit caps the agent's answer
        await _drive_optimally(pilot, snap)
        assert isinstance(app.screen, TripScreen)
        console = Console(width=80, record=True, file=io.StringIO())
        for widget in app.screen.query("Static"):
            console.print(widget.content)
        text = console.export_text()
        assert "The agent loops" in text and "200+" in text


async def test_t_hides_and_shows_the_agents_hint():
    app = make_app(seed=4)
    async with app.run_test(size=(120, 40)) as pilot:  # the slice is on screen at this size
        await _manual(pilot)
        await pilot.pause()
        values, zoom = app.query_one("#values"), app.query_one("#zoom")
        assert values.display and zoom.display
        await pilot.press("t")
        assert not values.display and not zoom.display
        await pilot.press("t")
        assert values.display and zoom.display


def _screen_text(screen) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    for widget in screen.query("Static"):
        console.print(widget.content)
    return console.export_text()


async def test_a_trip_on_slippery_ice_compares_success_not_steps():
    """FrozenLake 4x4 (slippery): the person's trip ends in a hole or at the goal; the result
    says which, and compares with how often the best policy succeeds from the start (82%:
    0.8235, the map's known optimum) and its mean steps, formatted, with no penalties column
    (the world has none) and no raw floats; each surprise on the way was said."""
    app = make_app(seed=5, env_id="FrozenLake-v1", episodes=2000)
    async with app.run_test(size=SIZE) as pilot:
        snap = await _manual(pilot)
        for _ in range(300):
            if isinstance(app.screen, TripScreen):
                break
            snap = await press(pilot, "down" if snap.state in (0, 4, 8, 9, 10, 13, 14) else "right")
        await pilot.pause()
        assert isinstance(app.screen, TripScreen)
        trip = app.screen.trip
        assert trip.stochastic and not trip.counts_penalties
        text = " ".join(_screen_text(app.screen).split())
        first = text.split(". ")[0]
        steps = f"{trip.steps} step{'' if trip.steps == 1 else 's'}"
        ended = "you reached the goal in" if trip.delivered else "you fell into a hole after"
        assert f"{ended} {steps}" in first, first
        assert "the best policy succeeds 82% of the time" in text
        assert f"{trip.optimal_steps:.2f} steps on average" in text
        assert "penalties" not in text and "0.823529" not in text and "48.7058" not in text
        assert "reached the goal" in text  # the success column, named as the world's


async def test_a_trip_on_example_6_7s_chain_compares_returns_it_has_no_goal():
    """Example 6.7's chain has no goal, only returns: the trip says what the person earned
    against the best policy's expected return from A (Right at once: 0, in 1 step, since B's
    rewards average -0.1), with no success column; its world's defaults are the book's (γ 1)."""
    from tui_taxi.core.tabular.defaults import config_for

    book = config_for("tui_taxi/MaximizationBias-v0")  # what `tui-taxi play --env ...` runs
    assert (book.gamma, book.alpha.start, book.epsilon.start) == (1.0, 0.1, 0.1)
    app = make_app(seed=0, env_id="tui_taxi/MaximizationBias-v0", episodes=300, gamma=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await _manual(pilot)
        for _ in range(5):
            if isinstance(app.screen, TripScreen):
                break
            await press(pilot, "right")
        await pilot.pause()
        assert isinstance(app.screen, TripScreen)
        text = " ".join(_screen_text(app.screen).split())
        assert "you earned +0 in 1 step. From your start the best policy expects +0, in 1 step" in (
            text
        ), text
        assert "succeed" not in text and "100%" not in text and "1 steps" not in text
