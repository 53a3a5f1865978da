"""Round ticks, short labels, a readable y-range, and no colour codes off a terminal."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

import numpy as np
import pytest

from tui_taxi.charts import (
    clip_line,
    curve_points,
    learning_curve,
    nice_ticks,
    readable_range,
    staircase,
    tick_label,
    use_color,
)
from tui_taxi.core.episodes import History

ESC = "\x1b"


@pytest.mark.parametrize(
    ("lo", "hi", "max_ticks", "integer", "expected"),
    [
        # steps 1, 2, 2.5, 5 x 10^k: the smallest that leaves at most max_ticks multiples
        (0, 100_000, 5, True, [0, 25_000, 50_000, 75_000, 100_000]),  # 20k would give 6
        (1, 100_000, 5, True, [20_000, 40_000, 60_000, 80_000, 100_000]),  # 0 is outside
        (-2480, 8, 5, False, [-2000, -1500, -1000, -500, 0]),  # 250 would give 10
        (-170.1, -84.3, 5, False, [-160, -140, -120, -100]),  # 10 would give 9
        (0, 1, 5, False, [0, 0.25, 0.5, 0.75, 1]),
        (0, 10, 5, True, [0, 5, 10]),  # 2.5 is not whole, 2 would give 6
        (0, 3, 5, True, [0, 1, 2, 3]),
        (0, 0.3, 4, False, [0, 0.1, 0.2, 0.3]),  # exactly 0.3, not 0.30000000000000004
        (0, 1_500_000, 5, True, [0, 500_000, 1_000_000, 1_500_000]),
        (7, 7, 5, False, [7]),
    ],
)
def test_ticks_are_round_numbers_checked_by_hand(lo, hi, max_ticks, integer, expected):
    assert nice_ticks(lo, hi, max_ticks, integer=integer) == expected


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (0, "0"),
        (-0.0, "0"),
        (25_000, "25k"),
        (100_000, "100k"),
        (1_500_000, "1.5M"),
        (-200, "-200"),
        (-2500, "-2.5k"),
        (0.5, "0.5"),
        (0.25, "0.25"),
        (1000, "1k"),
        (999, "999"),
        (2_000_000_000, "2G"),
    ],
)
def test_tick_labels_are_short(value, label):
    assert tick_label(value) == label


def test_a_run_flattened_by_its_first_episodes_is_clipped_and_says_so():
    # three terrible early points, then a learnt policy earning 5 or 9 (49 fives, 48 nines):
    # quartiles 5 and 9, IQR 4, so the bulk spans 5 - 3*4 = -7 to min(9, 9 + 12) = 9
    values = [-2480.0, -900.0, -300.0] + [5.0, 9.0] * 48 + [5.0]
    view = readable_range(values)
    assert (view.lo, view.hi) == (-7, 9)
    assert view.ticks == (-5, 0, 5)  # 2.5 would give 6 ticks, 5 gives 3
    assert view.note == "y clipped to -7..9; means of the first episodes go down to -2,480"
    assert view.clipped


def test_a_clipped_range_is_not_so_narrow_that_noise_looks_like_a_climb():
    # steps per episode: a few long early episodes, then 14.68 to 14.76 (the run): the
    # clipped range spans at least 0.2% of all (200 - 14.68: 0.37) and 5% of its level
    # (14.72: 0.74), so the learnt part is a flat line, not a jagged one
    values = [200.0, 150.0, 90.0] + [14.68, 14.76] * 50
    view = readable_range(values)
    assert view.clipped and view.hi - view.lo >= 0.05 * 14.72
    assert view.lo < 14.68 and view.hi > 14.76
    assert (14.76 - 14.68) / (view.hi - view.lo) <= 0.15  # the noise: a sliver of the height


def test_late_outliers_are_named_as_such():
    view = readable_range([5.0, 9.0] * 50 + [-1000.0])
    assert view.note.endswith("; means of some episodes go down to -1,000")


def test_a_series_without_outliers_is_shown_whole():
    view = readable_range(np.linspace(-500, 0, 51))  # quartiles -375, -125: nothing beyond
    assert (view.lo, view.hi, view.note) == (-500, 0, "")
    assert view.ticks == (-400, -200, 0)  # 100 would give 6 ticks; 200 comes before 250
    flat = readable_range([3.0] * 10)
    assert flat.lo < 3 < flat.hi and not flat.clipped
    assert readable_range([]).note == ""


def test_lines_are_cut_where_they_leave_the_range():
    # a zigzag -10, 0, 10, 0, -10 seen through -5..5: in at x=0.5, out at 1.5, in at 2.5 ...
    assert clip_line([0, 1, 2, 3, 4], [-10, 0, 10, 0, -10], -5, 5) == [
        ([0.5, 1.0, 1.5], [-5.0, 0.0, 5.0]),
        ([2.5, 3.0, 3.5], [5.0, 0.0, -5.0]),
    ]
    assert clip_line([0, 1, 2], [1, 2, 3], 0, 5) == [([0.0, 1.0, 2.0], [1.0, 2.0, 3.0])]
    assert clip_line([0, 1], [-9, -8], 0, 5) == []


def test_color_only_on_a_terminal_without_no_color():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert not use_color(io.StringIO(), {})
    assert use_color(Terminal(), {})
    assert not use_color(Terminal(), {"NO_COLOR": "1"})
    assert use_color(Terminal(), {"NO_COLOR": ""})  # no-color.org: only when non-empty


def _history(returns) -> History:
    history = History()
    n = len(returns)
    history.extend(np.asarray(returns, dtype=float), np.ones(n), np.zeros(n), np.zeros(n))
    return history


def test_learning_curve_axis_runs_from_0_to_the_last_episode_on_round_ticks():
    returns = np.concatenate([np.linspace(-2000, -50, 200), np.tile([5.0, 9.0], 900)])
    chart = learning_curve(_history(returns))  # 80 columns: 160 points of 12 or 13 episodes
    assert ESC not in chart
    lines = chart.splitlines()
    x_labels = lines[-3].split()  # labels, axis title, then the clipping note
    assert x_labels == ["0", "500", "1k", "1.5k", "2k"]  # 250 would give 9 ticks, max 6
    lowest = -2000 + 5.5 * 1950 / 199  # the first point: mean of the first 12 episodes
    assert lines[-1].startswith("y clipped to ")
    assert lines[-1].endswith(f"means of the first episodes go down to {lowest:,.0f}")
    assert ESC in learning_curve(_history(returns), color=True)


def _run_train(env_overrides, stdout):
    env = {**os.environ, **env_overrides}
    env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), env.get("PYTHONPATH", "")])
    argv = [sys.executable, "-m", "tui_taxi", "train", "--episodes", "2000"]
    return subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)


_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_train_into_a_pipe_writes_no_escape_codes():
    proc = _run_train({}, subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "return per episode" in out.decode()
    assert ESC.encode() not in out and ESC.encode() not in err


def _on_a_terminal(env_overrides) -> bytes:
    master, slave = pty.openpty()
    proc = _run_train(env_overrides, slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    return b"".join(chunks)


def test_no_color_is_honoured_on_a_terminal():
    assert ESC.encode() in _on_a_terminal({"NO_COLOR": ""})  # a terminal does get colour
    plain = _on_a_terminal({"NO_COLOR": "1"})
    assert b"return per episode" in plain and ESC.encode() not in plain


# -- the other charts: steps per episode and the book's staircase -------------------------------
def _lengths(lengths, capacity=1 << 17) -> History:
    history = History(capacity)
    n = len(lengths)
    history.extend(-np.asarray(lengths, dtype=float), np.asarray(lengths), np.zeros(n), np.ones(n))
    return history


def test_the_staircase_counts_episodes_against_time_steps_exactly():
    """Episodes of 10, 5, 5 and 3 steps end at time steps 10, 15, 20 and 23."""
    x, y = staircase(_lengths([10, 5, 5, 3]))
    np.testing.assert_array_equal(x, [0, 10, 15, 20, 23])
    np.testing.assert_array_equal(y, [0, 1, 2, 3, 4])
    # bins of two episodes (the history merged them) still end exactly: after 2 and 4 episodes
    x, y = staircase(_lengths([10, 5, 5, 3], capacity=2))
    np.testing.assert_array_equal(x, [0, 15, 23])
    np.testing.assert_array_equal(y, [0, 2, 4])
    # thinned out to at most n points, the first and the last kept
    x, y = curve_points(_lengths([1] * 1000), 11, "staircase")
    np.testing.assert_array_equal(x, np.arange(0, 1001, 100))
    np.testing.assert_array_equal(y, np.arange(0, 1001, 100))


def test_learning_curves_of_each_metric_have_their_titles_and_axes():
    history = _lengths([30] * 50 + [13] * 150)
    stairs = learning_curve(history, metric="staircase")
    assert "episodes completed against time steps" in stairs and "time steps" in stairs
    # 50 * 30 + 150 * 13 = 3,450 steps: ticks of 500 would be 7, more than 6
    assert stairs.splitlines()[-2].split() == ["0", "1k", "2k", "3k"]
    lengths = learning_curve(history, metric="episodic_length")
    assert "steps per episode" in lengths and "episodes trained" in lengths
    with pytest.raises(ValueError, match="unknown chart metric 'speed'"):
        learning_curve(history, metric="speed")


def test_a_curve_kept_from_this_very_run_is_one_line_of_the_legend_until_the_run_moves_on():
    """Kept at the end of a slide, the curve is the run on screen: one line named both ways
    (two identical lines, one hiding the other, listed twice, told a lecture there were two)."""
    from tui_taxi.core.tabular import TabularAgent, TrainConfig
    from tui_taxi.protocol import KeptCurve
    from tui_taxi.snapshots import chart_series
    from tui_taxi.ui.widgets.reward_chart import ChartSpec, build_chart

    agent = TabularAgent(TrainConfig(seed=0))
    agent.train(episodes=300)
    kept = KeptCurve("γ 0.60", chart_series(agent), agent.history.recent_mean_return(), 300)

    def legend_of(series) -> str:
        spec = ChartSpec(series, "episodic_return", 0.9, False, 90, 20, "dark", (kept,), "sarsa")
        lines, _, _ = build_chart(spec)
        return "\n".join(strip.text for strip in lines[-2:])

    same = legend_of(chart_series(agent))
    assert "sarsa (now, kept as γ 0.60)" in same and "(kept):" not in same
    agent.train(episodes=50)
    moved_on = legend_of(chart_series(agent))
    assert "sarsa (now) " in moved_on and "γ 0.60 (kept): 300 episodes" in moved_on
