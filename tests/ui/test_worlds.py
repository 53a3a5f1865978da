"""Every grid world in the app: its map and value grid, its own action names and play keys,
training, stepping, play and replay, at 100x30 and 160x50."""

from __future__ import annotations

import pytest
from driver import press, screen_lines, settle, settled

from tui_taxi.core.envs import compile_env, normalize_kwargs
from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.ui.app import TaxiApp
from tui_taxi.ui.screens.replay import ReplayScreen
from tui_taxi.ui.widgets.grid_world import GridWorldMap, ValueGrid

# (env id, kwargs, the action names Gymnasium documents for it, in action order)
WORLDS = [
    ("FrozenLake-v1", {}, ("Left", "Down", "Right", "Up")),
    ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False}, ("Left", "Down", "Right", "Up")),
    ("CliffWalking-v1", {}, ("Up", "Right", "Down", "Left")),
    ("tui_taxi/WindyGridworld-v0", {}, ("Up", "Right", "Down", "Left")),
    (
        "tui_taxi/WindyGridworld-v0",
        {"king_moves": True, "stay": True, "stochastic_wind": True},
        ("Up", "Right", "Down", "Left", "Up-Right", "Down-Right", "Down-Left", "Up-Left", "Stay"),
    ),
]
IDS = ["frozenlake", "frozenlake8x8", "cliffwalking", "windy", "windy-king-stay-stochastic"]


def _app(env_id, kwargs, episodes=0, **config):
    session = TabularAgent(
        TrainConfig(env_id=env_id, env_kwargs=normalize_kwargs(kwargs), seed=1, **config)
    )
    if episodes:
        session.train(episodes=episodes)
    return TaxiApp(session, paused=True)


@pytest.mark.parametrize(("env_id", "kwargs", "names"), WORLDS, ids=IDS)
@pytest.mark.parametrize("size", [(100, 30), (160, 50)])
async def test_the_world_is_drawn_whole_with_its_own_action_names(env_id, kwargs, names, size):
    app = _app(env_id, kwargs, episodes=50)
    async with app.run_test(size=size) as pilot:
        snap = await settle(pilot, lambda s: s.report is not None)
        assert snap.action_names == names
        assert isinstance(app.query_one("#world"), GridWorldMap)
        assert isinstance(app.query_one("#qtable"), ValueGrid)
        await pilot.pause()
        grid = compile_env(env_id, normalize_kwargs(kwargs)).grid
        for panel in app.query("#left > *, #right > *"):
            if panel.display:
                assert panel.region.right <= size[0] and panel.region.bottom <= size[1] - 1
        table = app.query_one("#qtable")
        assert table.display and table.region.height >= grid.n_rows * 3  # a 3x3 compass fits
        values = app.query_one("#values").text().plain
        assert all(name in values for name in names) and "South" not in values
        lines = ["".join(s.text for s in table.render_line(y)) for y in range(table.size.height)]
        assert sum(line.count("G") for line in lines) >= 1  # the goal is drawn
        assert not any("Pickup" in line for line in lines)


@pytest.mark.parametrize(("env_id", "kwargs", "names"), WORLDS, ids=IDS)
async def test_play_moves_by_the_worlds_action_names(env_id, kwargs, names):
    app = _app(env_id, {**kwargs, "is_slippery": False} if "FrozenLake" in env_id else kwargs)
    model = app.world.model
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        snap = await press(pilot, "m")
        assert snap.manual
        for key, name in (("right", "Right"), ("left", "Left"), ("down", "Down"), ("up", "Up")):
            before = snap.state
            snap = await press(pilot, key)
            record = snap.last_step
            assert snap.human_step and names[record.action] == name
            assert record.state == before
            assert record.next_state == model.next_state[before, record.action, 0]
        steps = snap.total_steps
        await pilot.press("p")  # no Pickup here: nothing happens
        await settled(pilot)
        assert app.snapshot.total_steps == steps


@pytest.mark.parametrize(("env_id", "kwargs", "names"), WORLDS, ids=IDS)
async def test_train_pause_step_replay_and_the_per_action_view(env_id, kwargs, names):
    app = _app(env_id, kwargs)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press(
            "right_square_bracket",
            "right_square_bracket",
            "right_square_bracket",
            "right_square_bracket",
            "right_square_bracket",
        )
        snap = await press(pilot, "space")
        assert not snap.paused
        await settle(pilot, lambda s: s.episode >= 3)
        snap = await press(pilot, "space")
        assert snap.paused
        total = snap.total_steps
        snap = await press(pilot, "n")
        assert snap.total_steps == total + 1 and snap.last_step is not None
        explainer = app.query_one("#explainer").text().plain
        assert "row " in explainer and "col " in explainer  # the state in the world's words
        for _ in range(400):  # step on until an episode taken step by step ends
            if app.snapshot.replays:
                break
            await press(pilot, "n")
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ReplayScreen) and app.screen.frame is not None
        await pilot.press("escape")
        table = app.query_one("#qtable")
        await pilot.press("i")
        assert table.per_action
        await pilot.press("i")
        assert not table.per_action


async def test_switching_worlds_asks_first_then_draws_the_new_world():
    from driver import make_app

    from tui_taxi.ui.screens.confirm import ConfirmScreen
    from tui_taxi.ui.screens.world_picker import WorldPicker, available_worlds

    app = make_app(episodes=20)  # Taxi, trained a little: switching would lose that
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("W")
        assert isinstance(app.screen, WorldPicker)
        target = next(i for i, w in enumerate(available_worlds()) if w[1] == "CliffWalking-v1")
        for _ in range(target):
            await pilot.press("down")
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        snap = await settle(pilot, lambda s: s.model.env_id == "CliffWalking-v1")
        await pilot.pause()
        assert snap.episode == 0 and snap.config.seed == 0  # fresh, the seed kept
        assert isinstance(app.query_one("#world"), GridWorldMap)
        assert snap.action_names == ("Up", "Right", "Down", "Left")
        snap = await press(pilot, "n")  # the new world trains
        assert snap.total_steps == 1 and snap.model.env_id == "CliffWalking-v1"


async def test_kings_moves_play_with_the_diagonal_and_stay_keys():
    app = _app("tui_taxi/WindyGridworld-v0", {"king_moves": True, "stay": True})
    names = app.world.action_names
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await press(pilot, "m")
        for key, name in (
            ("u", "Up-Right"),
            ("9", "Up-Right"),
            ("b", "Down-Left"),
            ("n", "Down-Right"),
            ("y", "Up-Left"),
            ("full_stop", "Stay"),
            ("5", "Stay"),
        ):
            snap = await press(pilot, key)
            assert names[snap.last_step.action] == name, key
        assert "Diagonals" in app.query_one("#keys").render().plain


async def test_the_world_picker_starts_on_the_current_world():
    from textual.widgets import OptionList

    from tui_taxi.ui.screens.world_picker import WorldPicker, available_worlds

    app = _app("FrozenLake-v1", {"map_name": "8x8"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("W")
        assert isinstance(app.screen, WorldPicker)
        labels = [label for label, _, _ in available_worlds()]
        cursor = app.screen.query_one(OptionList).highlighted
        assert labels[cursor] == "FrozenLake 8x8, slippery"


async def test_keys_that_cannot_move_here_say_why():
    """'.' and '5' (stay) on a world without it, or while training; 'p' off Taxi: a word,
    not silence; and x while playing on a small screen says what holds the panel."""
    app = _app("tui_taxi/WindyGridworld-v0", {"king_moves": True, "stay": True})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("5")
        await pilot.pause()
        said = [n.message for n in app.toasts.shown()]
        assert "stay is a move of play mode: m to play" in said
        snap = await press(pilot, "m")
        await pilot.press("p")
        await pilot.pause()
        said = [n.message for n in app.toasts.shown()]
        assert any(
            m.startswith("tui_taxi/WindyGridworld-v0 has no pickup move; its moves:") for m in said
        )
        assert snap.manual
    plain = _app("CliffWalking-v1", {})
    async with plain.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await press(pilot, "m")
        await pilot.press("full_stop")
        await pilot.pause()
        said = [n.message for n in plain.toasts.shown()]
        assert any(m.startswith("CliffWalking-v1 has no stay move; its moves: up") for m in said)


async def test_a_key_this_world_has_no_use_for_says_why():
    """i (each action's value per cell) on Taxi, which has no grid of cells; y (up-left) while
    playing Windy without the king's moves."""
    from driver import make_app

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("i")
        await pilot.pause()
        said = [n.message for n in app.toasts.shown()]
        assert "each action's value per cell needs a grid world" in said
    windy = _app("tui_taxi/WindyGridworld-v0", {})
    async with windy.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await press(pilot, "m")
        await pilot.press("y")
        await pilot.pause()
        said = [n.message for n in windy.toasts.shown()]
        assert any(m.startswith("tui_taxi/WindyGridworld-v0 has no up-left move") for m in said)


async def test_the_dyna_maze_draws_its_walls_and_plans_live():
    """Example 8.1's maze in the app: its seven walls on the map and in the value grid's
    legend; Dyna-Q with n = 5 (N) learns while the statistics score it against the optimum."""
    from tui_taxi.core.worlds.maze import WALLS

    app = _app("tui_taxi/DynaMaze-v0", {}, learner="dyna-q")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda s: True)
        snap = await press(pilot, "N")
        assert snap.config.planning_steps == 5
        await pilot.pause()
        world = app.query_one("#world").region
        lines = screen_lines(app)
        rows = [lines[world.y + r][world.x : world.x + 27] for r in range(6)]
        walls = {(r, c) for r in range(6) for c in range(9) if "█" in rows[r][3 * c : 3 * c + 3]}
        assert walls == set(WALLS), rows
        assert any("█ wall" in line for line in lines)
