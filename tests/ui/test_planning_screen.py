"""The planning screen (P), driven with Pilot: Figure 4.1 sweep by sweep on Example 4.1's
gridworld, a Bellman backup with its numbers worked by hand, convergence, value iteration, and
a world without a grid told why; and its look at 100x30."""

from __future__ import annotations

from driver import make_app, quiesce, settle

from tui_taxi.ui.screens.planning import PlanningScreen

SMALL = "tui_taxi/SmallGridworld-v0"


def _app():
    return make_app(env_id=SMALL, gamma=1.0, alpha=0.5)


def _texts(app) -> tuple[str, str, str]:
    screen = app.screen
    return tuple(
        str(screen.query_one(f"#plan-{part}").render()) for part in ("head", "grid", "backup")
    )


async def test_figure_4_1_sweep_by_sweep_and_a_backup_by_hand():
    app = _app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("P")
        assert isinstance(app.screen, PlanningScreen)
        for _ in range(3):
            await pilot.press("s")
        head, grid, _ = _texts(app)
        assert "k 3" in head and "backups 42" in head  # 14 a sweep: not the corners
        assert "optimal since k 3" in head  # the book: the greedy policy optimal from k = 3
        rows = [line.split() for line in grid.splitlines()[::2]]
        assert rows == [
            ["G", "-2.44", "-2.94", "-3.00"],
            ["-2.44", "-2.88", "-3.00", "-2.94"],
            ["-2.94", "-3.00", "-2.88", "-2.44"],
            ["-3.00", "-2.94", "-2.44", "G"],
        ]
        assert grid.splitlines()[1].split() == ["←", "←", "↓←"]  # ties: two arrows
        await pilot.press("b")  # state 1 from V_3 (a sweep skips the corner, state 0)
        _, _, backup = _texts(app)
        # by hand: up stays (-1 - 2.4375), right to 2 (-1 - 2.9375), down to 5 (-1 - 2.875),
        # left ends (-1); their average -3.0625
        assert "Backup of s 1 (row 0, col 1) · sweep 4" in backup
        for line in ("Up    -1 + 1×-2.44 = -3.44", "Right -1 + 1×-2.94 = -3.94"):
            assert line in backup
        assert "Down  -1 + 1×-2.88 = -3.88" in backup and "Left  -1 = -1.00" in backup
        assert "V(s) = -3.06 (was -2.44)" in backup
        await pilot.press("f")
        head, grid, _ = _texts(app)
        assert "converged" in head
        assert grid.splitlines()[0].split() == ["G", "-14.00", "-20.00", "-22.00"]
        await pilot.press("i")  # greedy for V: a new policy, whose values are not known yet
        head, _, _ = _texts(app)
        assert "converged" not in head and "Δ —" in head and "of π" in head


async def test_value_iteration_from_a_reset():
    app = _app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("P", "s", "m", "r")
        head, _, _ = _texts(app)
        assert "value iteration" in head and "k 0" in head
        await pilot.press("f")
        head, grid, _ = _texts(app)
        assert grid.splitlines()[0].split() == ["G", "-1.00", "-2.00", "-3.00"]
        assert "k 4" in head and "optimal since k 3" in head
        await pilot.press("escape")
        assert not isinstance(app.screen, PlanningScreen)


async def test_a_world_drawn_without_planning_says_where_planning_is():
    app = make_app(env_id="tui_taxi/MaximizationBias-v0")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("P")
        assert not isinstance(app.screen, PlanningScreen)
        said = [n.message for n in app.toasts.shown()]
        assert any("not tui_taxi/MaximizationBias-v0" in m and "tui-taxi plan" in m for m in said)


async def test_value_iteration_on_taxi_one_passenger_at_a_time():
    """Taxi at R with the passenger there, bound for G: pick up, then eight moves round the
    walls (down two, right two, up two, right two), then drop off for +20; by hand at gamma
    0.6, V = -(1 + 0.6 + ... + 0.6^8) + 20 * 0.6^9 = -2.27."""
    app = make_app()  # Taxi, the tutorial's gamma 0.6
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("P", "m", "f")
        head, grid, _ = _texts(app)
        by_hand = -sum(0.6**t for t in range(9)) + 20 * 0.6**9
        assert "value iteration" in head and "converged" in head
        assert "passenger at R, destination G" in head
        first = grid.splitlines()[1].replace("┃", " ").replace("┆", " ").split()
        assert first[0] == f"{by_hand:.2f}" == "-2.27"
        assert grid.splitlines()[2].split()[1] == "Rp"  # at R: pick up, the only best action
        await pilot.press("x")  # the next slice: the passenger at R, bound for Y
        head, grid, _ = _texts(app)
        assert "passenger at R, destination Y" in head
        await pilot.press("b")  # state 0: taxi (0,0), passenger at R, bound for R
        _, _, backup = _texts(app)
        assert "Backup of s 0 (taxi 0,0 · R → R)" in backup


async def test_jacks_policy_drawn_as_figure_4_2_after_planning_on_a_worker():
    """Jack's car rental on the planning screen: evaluation to convergence runs on a worker
    thread (two million outcomes a sweep); improvement gives pi_1, drawn as a map of moves; at
    100x30 in half blocks under a legend, at 120x40 with its numbers."""
    from tui_taxi.ui.widgets.planning_panel import PlanningPanel

    for size, numbers in (((100, 30), False), ((120, 40), True)):
        app = make_app(env_id="tui_taxi/JacksCarRental-v0")
        async with app.run_test(size=size) as pilot:
            await settle(pilot, lambda s: True)
            await pilot.press("P", "f")
            panel = app.screen.query_one(PlanningPanel)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not panel.busy
            head, grid, _ = _texts(app)
            assert "converged" in head and "V(s) from" in grid
            await pilot.press("i")
            head, grid, _ = _texts(app)
            assert "of π1 (" in head and "states changed)" in head
            moves = panel.planner.greedy_actions().argmax(axis=1) - 5
            if numbers:  # the row of 20 cars at the first location, as the map prints it
                row = next(line for line in grid.splitlines() if line.startswith(" 20 "))
                assert [int(m) for m in row.split()[1:]] == moves[20 * 21 :].tolist()
            else:
                assert "moves -5 -4 -3 -2 -1  0 +1 +2 +3 +4 +5" in grid
            assert app.screen.query_one(PlanningPanel).region.bottom <= size[1]
            app.trainer.stop()


def test_the_planning_screen(snap_compare):
    async def run_before(pilot) -> None:
        await quiesce(pilot)
        await pilot.press("P", "s", "s", "s", "b")

    assert snap_compare(_app(), terminal_size=(100, 30), run_before=run_before)


async def test_the_run_beside_the_planner_and_a_step_reward_edited_live():
    """The learner's max Q in the planner's grid (v), its samples and gap on the head line;
    then every step's reward lowered by 0.1 (-): value iteration re-settles to -1.1 per step
    to the nearest corner (by hand), the same arrows."""
    import numpy as np

    app = make_app(env_id=SMALL, gamma=1.0, alpha=0.5, episodes=200)
    async with app.run_test(size=(100, 30)) as pilot:
        snap = await settle(pilot, lambda s: True)
        await pilot.press("P", "m", "f", "v")
        head, grid, _ = _texts(app)
        assert f"the run, q-learning: {snap.total_steps:,} samples" in head
        assert "grid: its max Q" in head
        best = app.trainer.agent.q.max(axis=1)
        assert grid.splitlines()[2].split()[0] == f"{best[4]:.2f}"  # row 1, col 0
        await pilot.press("v", "v", "minus")
        head, _, _ = _texts(app)
        assert "every reward shifted -0.1 a step" in head
        await pilot.press("f")
        _, grid, _ = _texts(app)
        distance = np.array([[0, 1, 2, 3], [1, 2, 3, 2], [2, 3, 2, 1], [3, 2, 1, 0]])
        rows = [line.split() for line in grid.splitlines()[::2]]
        for r in range(4):
            for c in range(4):
                if distance[r, c]:
                    assert rows[r][c] == f"{-1.1 * distance[r, c]:.2f}"


def test_jacks_map_draws_each_move_where_figure_4_2_has_it():
    """The map as the book's: the first location's cars up (20 on top), the second's across;
    numbers where the rows allow, else half blocks (two counts a line) under a legend."""
    import numpy as np

    from tui_taxi.ui.widgets.planner_grid import jack_policy_text

    moves = np.add.outer(np.arange(21), -np.arange(21)).clip(-5, 5)  # first minus second
    greedy = np.zeros((441, 11), dtype=bool)
    greedy[np.arange(441), moves.ravel() + 5] = True
    lines = jack_policy_text(greedy, 30).plain.splitlines()
    rows = {int(line.split()[0]): line.split()[1:] for line in lines[1:22]}
    assert rows[20] == ["5"] * 16 + ["4", "3", "2", "1", "0"]  # 20 cars there, 0..20 here
    assert rows[0] == ["0"] + [str(-min(n, 5)) for n in range(1, 21)]
    half = jack_policy_text(greedy, 20).plain.splitlines()
    assert half[1] == "moves -5 -4 -3 -2 -1  0 +1 +2 +3 +4 +5 "
    assert [line[:5] for line in half[2:4]] == ["20-19", "18-17"] and len(half) == 14
