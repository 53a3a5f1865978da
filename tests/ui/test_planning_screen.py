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
        assert "k 3" in head and "backups 48" in head
        assert "optimal since k 3" in head  # the book: the greedy policy optimal from k = 3
        rows = [line.split() for line in grid.splitlines()[::2]]
        assert rows == [
            ["G", "-2.44", "-2.94", "-3.00"],
            ["-2.44", "-2.88", "-3.00", "-2.94"],
            ["-2.94", "-3.00", "-2.88", "-2.44"],
            ["-3.00", "-2.94", "-2.44", "G"],
        ]
        assert grid.splitlines()[1].split() == ["←", "←", "↓←"]  # ties: two arrows
        await pilot.press("b", "b")  # the corner, then state 1 from V_3
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


async def test_a_world_without_a_grid_says_where_planning_is():
    app = make_app()  # Taxi
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("P")
        assert not isinstance(app.screen, PlanningScreen)
        said = [n.message for n in app.toasts.shown()]
        assert any("Taxi-v4 is not one" in m and "tui-taxi plan --env ID" in m for m in said)


def test_the_planning_screen(snap_compare):
    async def run_before(pilot) -> None:
        await quiesce(pilot)
        await pilot.press("P", "s", "s", "s", "b", "b")

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
        assert "grid: max Q (the run)" in head
        best = app.trainer.agent.q.max(axis=1)
        assert grid.splitlines()[2].split()[0] == f"{best[4]:.2f}"  # row 1, col 0
        await pilot.press("v", "v", "minus")
        head, _, _ = _texts(app)
        assert "step reward -0.1" in head
        await pilot.press("f")
        _, grid, _ = _texts(app)
        distance = np.array([[0, 1, 2, 3], [1, 2, 3, 2], [2, 3, 2, 1], [3, 2, 1, 0]])
        rows = [line.split() for line in grid.splitlines()[::2]]
        for r in range(4):
            for c in range(4):
                if distance[r, c]:
                    assert rows[r][c] == f"{-1.1 * distance[r, c]:.2f}"
