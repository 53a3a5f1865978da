"""Windy Gridworld (Sutton & Barto, Example 6.5; Exercises 6.9 and 6.10) as a Gymnasium env.

Expected cells are worked out by hand from the book: 7x10 grid, wind by column
0 0 0 1 1 1 2 2 1 0 pushing up, the wind of the column the agent moves *from*, positions
clipped to the grid, start (3, 0), goal (3, 7), -1 per step.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections import deque

import gymnasium as gym
import numpy as np
import pytest
from fidelity import assert_frequencies_match, assert_step_for_step
from gymnasium.utils.env_checker import check_env

from tui_taxi.cli import main
from tui_taxi.core.envs import EnvError, compile_env, supported_env_ids
from tui_taxi.core.optimal import solve
from tui_taxi.core.worlds import WINDY_GRIDWORLD_ID as WINDY

FOUR = ("Up", "Right", "Down", "Left")
DIAGONALS = ("Up-Right", "Down-Right", "Down-Left", "Up-Left")
KING = (("king_moves", True),)
KING_STAY = (("king_moves", True), ("stay", True))
STOCHASTIC = (("king_moves", True), ("stochastic_wind", True))
VARIANTS = {
    "four": ((), FOUR),
    "stay": ((("stay", True),), (*FOUR, "Stay")),
    "king": (KING, FOUR + DIAGONALS),
    "king+stay": (KING_STAY, (*FOUR, *DIAGONALS, "Stay")),
    "stochastic": (STOCHASTIC, FOUR + DIAGONALS),
}


def make(kwargs=(), **options):
    return gym.make(WINDY, **dict(kwargs), **options)


def cell_of(state: int) -> tuple[int, int]:
    return divmod(state, 10)


def outcomes(kwargs, cell, action_name) -> dict[tuple[int, int], tuple[float, bool]]:
    """{next cell: (total probability, terminated)} of ``action_name`` from ``cell``."""
    base = make(kwargs).unwrapped
    a = base.action_names.index(action_name)
    result: dict[tuple[int, int], tuple[float, bool]] = {}
    for p, s_next, reward, terminated in base.P[cell[0] * 10 + cell[1]][a]:
        assert reward == -1
        prob, _ = result.get(cell_of(s_next), (0.0, terminated))
        result[cell_of(s_next)] = (prob + p, terminated)
    return result


def test_importing_the_package_registers_the_env_for_gymnasium_make():
    for module in ("tui_taxi", "tui_taxi.core"):  # the CLI imports tui_taxi.core
        code = (
            f"import gymnasium as gym, {module}\n"
            f"env = gym.make({WINDY!r}, king_moves=True)\n"
            "print(env.action_space.n, env.observation_space.n, env.spec.max_episode_steps)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["8", "70", "None"]  # no registered time limit
    assert WINDY in supported_env_ids()


@pytest.mark.parametrize("variant", VARIANTS)
def test_attributes_the_views_read(variant):
    kwargs, names = VARIANTS[variant]
    env = make(kwargs)
    base = env.unwrapped
    assert base.shape == (7, 10)
    assert base.wind.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 1, 0]
    assert np.issubdtype(base.wind.dtype, np.integer)
    assert (base.start, base.goal) == ((3, 0), (3, 7))
    given = dict(kwargs)
    for flag in ("king_moves", "stay", "stochastic_wind"):
        assert getattr(base, flag) is given.get(flag, False)
    assert base.action_names == names
    assert (env.observation_space.n, env.action_space.n) == (70, len(names))
    expected_isd = np.zeros(70)
    expected_isd[30] = 1.0  # row 3 * 10 + col 0
    np.testing.assert_array_equal(base.initial_state_distrib, expected_isd)
    assert env.reset(seed=0)[0] == 30


@pytest.mark.parametrize(
    ("kwargs", "cell", "action", "expected", "terminated"),
    [
        ((), (3, 0), "Up", (2, 0), False),  # calm column
        ((), (3, 5), "Right", (2, 6), False),  # column 5's wind (1), not column 6's (2)
        ((), (3, 6), "Right", (1, 7), False),  # blown past the goal
        ((), (4, 8), "Left", (3, 7), True),  # into the goal from below right
        ((), (0, 6), "Up", (0, 6), False),  # pushed into the top edge: stays on the top row
        ((), (6, 7), "Down", (5, 7), False),  # down 1, up 2
        ((), (6, 0), "Down", (6, 0), False),  # bottom edge
        ((), (3, 9), "Right", (3, 9), False),  # right edge
        (KING, (6, 3), "Up-Left", (4, 2), False),
        (KING, (3, 9), "Down-Left", (4, 8), False),
        (KING, (2, 6), "Down-Right", (1, 7), False),
        (KING, (6, 6), "Up-Right", (3, 7), True),
        (KING, (6, 0), "Down-Left", (6, 0), False),
        (KING_STAY, (5, 6), "Stay", (3, 6), False),  # only the wind moves it
        (KING_STAY, (3, 0), "Stay", (3, 0), False),
        ((("stay", True),), (4, 8), "Stay", (3, 8), False),
    ],
)
def test_moves_follow_the_book(kwargs, cell, action, expected, terminated):
    assert outcomes(kwargs, cell, action) == {expected: (1.0, terminated)}


def test_stochastic_wind_is_exercise_6_10():
    # The book's example: one cell right of the goal, moving left: a third of the time one
    # cell above the goal, a third two cells above it, a third into the goal.
    got = outcomes(STOCHASTIC, (3, 8), "Left")
    assert got.keys() == {(3, 7), (2, 7), (1, 7)}
    for next_cell, (prob, terminated) in got.items():
        assert prob == pytest.approx(1 / 3)
        assert terminated == (next_cell == (3, 7))
    # calm columns stay calm; in windy ones the push is the mean, one more or one less
    assert outcomes(STOCHASTIC, (3, 1), "Right") == {(3, 2): (1.0, False)}
    assert outcomes(STOCHASTIC, (5, 6), "Down-Left").keys() == {(5, 5), (4, 5), (3, 5)}
    top = make(STOCHASTIC).unwrapped.P[6][0]  # (0, 6) Up: pushed 1, 2 or 3 into the edge
    assert [(p, s) for p, s, _, _ in top] == [(pytest.approx(1 / 3), 6)] * 3
    base = make(STOCHASTIC).unwrapped
    for s in range(70):
        windy = base.wind[s % 10] > 0
        for a in range(8):
            assert len(base.P[s][a]) == (3 if windy else 1)
            assert sum(p for p, *_ in base.P[s][a]) == pytest.approx(1.0)


@pytest.mark.parametrize("variant", VARIANTS)
def test_passes_gymnasiums_env_checker(variant):
    kwargs, _ = VARIANTS[variant]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker's warnings count as failures
        check_env(make(kwargs).unwrapped)
        check_env(make(kwargs, render_mode="ansi").unwrapped)


def test_renders_as_text():
    env = make(render_mode="ansi")
    env.reset(seed=0)
    lines = env.render().splitlines()
    assert lines[3] == "x . . . . . . G . ."
    assert lines[0] == ". . . . . . . . . ."
    assert lines[7].startswith("0 0 0 1 1 1 2 2 1 0")
    env.step(1)  # Right
    lines = env.render().splitlines()
    assert lines[3] == "S x . . . . . G . ."
    assert lines[-1].strip() == "(Right)"


def test_bad_keyword_arguments_are_refused_in_one_line():
    with pytest.raises(EnvError) as info:
        compile_env(WINDY, (("king_moves", 3),))
    assert str(info.value) == f"{WINDY} keyword argument king_moves must be true or false, got 3"
    with pytest.raises(EnvError, match="it takes king_moves, stay, stochastic_wind"):
        compile_env(WINDY, (("kings", True),))
    with pytest.raises(ValueError, match="^WindyGridworld stay must be True or False, got 'yes'$"):
        make(stay="yes")


@pytest.mark.parametrize("variant", ["four", "king+stay"])
def test_compiled_model_matches_step_for_step(variant):
    kwargs, names = VARIANTS[variant]
    model = compile_env(WINDY, kwargs)
    assert model.action_names == names
    assert model.max_episode_steps == 0  # no registered time limit
    assert model.grid.kinds[3] == "SFFFFFFGFF"
    assert model.grid.wind == (0, 0, 0, 1, 1, 1, 2, 2, 1, 0)
    assert_step_for_step(WINDY, kwargs, 5000, seed=3)


def test_compiled_stochastic_model_matches_by_frequency():
    model = compile_env(WINDY, STOCHASTIC)
    assert model.n_outcomes.max() == 3
    # (3, 8) Left: the book's example; (5, 6) Down-Left; (2, 4) Up-Right; (4, 7) Up
    pairs = [(38, 3), (56, 6), (24, 4), (47, 0)]
    assert all(model.n_outcomes[s, a] == 3 for s, a in pairs)
    assert_frequencies_match(WINDY, STOCHASTIC, pairs)


def book_shortest_path(moves) -> int:
    """Breadth-first search over the book's grid with ``moves`` (d_row, d_col)."""
    wind = (0, 0, 0, 1, 1, 1, 2, 2, 1, 0)
    start, goal = (3, 0), (3, 7)
    distance = {start: 0}
    queue = deque([start])
    while queue:
        row, col = queue.popleft()
        for d_row, d_col in moves:
            nxt = (min(max(row + d_row - wind[col], 0), 6), min(max(col + d_col, 0), 9))
            if nxt not in distance:
                distance[nxt] = distance[(row, col)] + 1
                if nxt == goal:
                    return distance[nxt]
                queue.append(nxt)
    raise AssertionError("the goal cannot be reached")


@pytest.mark.parametrize(
    ("kwargs", "moves", "steps"),
    [
        ((), [(-1, 0), (0, 1), (1, 0), (0, -1)], 15),  # Example 6.5
        (KING, [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)], 7),
        (KING_STAY, [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)], 7),
    ],
)
def test_shortest_paths_15_and_7_steps(kwargs, moves, steps):
    assert book_shortest_path(moves) == steps
    optimum = solve(compile_env(WINDY, kwargs))
    assert optimum.steps[30] == steps
    assert optimum.v[30] == -steps


def test_the_cli_trains_saves_and_evaluates_windy(capsys, tmp_path):
    path = tmp_path / "windy.npz"
    argv = [
        "train",
        "--env",
        WINDY,
        "--env-kwarg",
        "king_moves=true",
        "--learner",
        "sarsa",
        "--alpha",
        "0.5",
        "--gamma",
        "1",
        "--episodes",
        "300",
        "--no-chart",
        "--save",
        str(path),
    ]
    assert main(argv) == 0
    assert f"trained sarsa on {WINDY}" in capsys.readouterr().out
    assert main(["eval", str(path), "--episodes", "5"]) == 0
    assert "policy optimality" in capsys.readouterr().out
    assert main(["train", "--env", WINDY, "--env-kwarg", "king_moves=maybe"]) == 2
    err = capsys.readouterr().err
    assert "king_moves must be true or false, got 'maybe'" in err
    assert err.count("\n") == 1
