from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_taxi.core.episodes import MAX_CAPACITY, History, debiased_ema, downsample


def _fill(history, returns, splits):
    data = np.asarray(returns, dtype=np.float64)
    start = 0
    for end in [*sorted(splits), len(data)]:
        block = data[start:end]
        history.extend(block, np.ones(len(block)), np.zeros(len(block)), block > 0)
        start = end


@settings(deadline=None)  # the first example compiles _accumulate when numba's cache is cold
@given(
    st.lists(st.integers(-20, 20), min_size=1, max_size=300),
    st.lists(st.integers(0, 300), max_size=6),
)
def test_bins_cover_every_episode_and_ignore_how_they_arrived(returns, splits):
    splits = [s for s in splits if s <= len(returns)]
    a, b = History(capacity=8), History(capacity=8)
    _fill(a, returns, splits)
    _fill(b, returns, [])
    np.testing.assert_array_equal(a.sums(), b.sums())
    assert a.episodes == len(returns)
    assert a.counts().sum() == len(returns)  # nothing dropped, nothing counted twice
    assert a.n_bins <= 8
    assert a.sums()[:, 0].sum() == sum(returns)


def test_memory_stays_bounded_over_millions_of_episodes():
    history = History(capacity=1024)
    block = np.arange(100_000, dtype=np.float64)
    for _ in range(30):
        history.extend(block, block, block, block > 0)
    assert history.episodes == 3_000_000
    assert history.n_bins <= 1024
    assert history.width == 4096
    assert history.means()["episode"][-1] < 3_000_000


def test_recent_mean_is_the_last_100():
    history = History()
    history.extend(np.arange(250.0), np.ones(250), np.zeros(250), np.arange(250) % 2 == 0)
    assert history.recent_mean_return() == np.arange(150.0, 250.0).mean()
    assert history.recent_success_rate() == 0.5


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=500), st.integers(1, 60))
def test_downsample_keeps_the_whole_run(values, n_points):
    x = np.arange(len(values), dtype=np.float64)
    dx, dy = downsample(x, np.array(values), n_points)
    assert len(dy) == min(len(values), n_points)
    # block means weighted by block sizes give back the mean of the whole run
    sizes = np.diff(np.linspace(0, len(values), len(dy) + 1).astype(np.int64))
    assert np.average(dy, weights=sizes) == pytest.approx(np.mean(values), abs=1e-6)
    assert np.average(dx, weights=sizes) == pytest.approx(np.mean(x))


def test_debiased_ema_starts_at_the_first_value_and_follows():
    out = debiased_ema(np.array([10.0, 10.0, 0.0]), 0.9)
    assert out[0] == 10.0 and out[1] == 10.0  # no bias towards zero at the start
    assert 0 < out[2] < 10
    np.testing.assert_array_equal(debiased_ema(np.array([1.0, 2.0, 3.0]), 0.0), [1.0, 2.0, 3.0])


def test_absurd_capacities_are_refused_before_allocating():
    for capacity in (2**40, 3, 0, 1, True, 2.0):
        with pytest.raises(ValueError, match="capacity must be a power of two from 2 to"):
            History(capacity)
    assert History(MAX_CAPACITY).capacity == MAX_CAPACITY


def _saved(episodes=11, capacity=8):
    history = History(capacity)
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 30, episodes).astype(np.float64)
    history.extend(rng.normal(size=episodes), lengths, lengths // 3, rng.random(episodes) < 0.5)
    return history, history.to_arrays()


def test_a_saved_history_comes_back_whole():
    history, arrays = _saved()
    assert (history.width, history.n_bins, history.last_count) == (2, 6, 1)  # 11 = 5 * 2 + 1
    back = History.from_arrays(
        arrays["history_sums"], arrays["history_meta"], arrays["history_recent"]
    )
    np.testing.assert_array_equal(back.sums(), history.sums())
    assert (back.capacity, back.width, back.n_bins, back.last_count, back.episodes) == (
        8,
        2,
        6,
        1,
        11,
    )
    assert back.recent_mean_return() == history.recent_mean_return()


# (capacity, width, n_bins, last_count, episodes) of the history above: (8, 2, 6, 1, 11)
@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ((2**40, 2, 6, 1, 11), "capacity must be a power of two from 2 to"),
        ((12, 2, 6, 1, 11), "capacity must be a power of two"),
        ((8, 0, 6, 1, 11), "bin width must be a power of two >= 1, got 0"),
        ((8, 3, 6, 1, 11), "bin width must be a power of two"),
        ((8, 2, 9, 1, 11), "9 bins, outside 0..8"),
        ((8, 2, 6, 0, 11), "last bin holds 0 episodes"),
        ((8, 2, 6, 3, 11), "last bin holds 3 episodes"),
        ((8, 2, 6, 1, 12), "counts 12 episodes but its bins hold 11"),
        ((8, 4, 3, 1, 9), "width 4 has only 3 of 8 bins"),
        ((8, 1, 0, 1, 0), "last bin holds 1 episodes"),
    ],
)
def test_inconsistent_counters_are_refused(meta, message):
    _, arrays = _saved()
    with pytest.raises(ValueError, match=message):
        History.from_arrays(arrays["history_sums"], np.array(meta), arrays["history_recent"])


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("history_sums", lambda a: a[:-1], "sums have shape"),
        ("history_sums", lambda a: np.where(a == a[0, 0], np.nan, a), "NaN or infinite"),
        ("history_sums", lambda a: a * np.array([1, 0, 1, 1]), "impossible"),  # 0 steps
        ("history_sums", lambda a: a + np.array([0, 0, 0, 5]), "impossible"),  # 5 wins in 2
        ("history_recent", lambda a: a[1:], "recent episodes have shape"),
        ("history_recent", lambda a: a + np.array([0, 0.5]), "0/1 success flags"),
    ],
)
def test_impossible_sums_and_recent_rows_are_refused(name, change, message):
    _, arrays = _saved()
    arrays[name] = change(arrays[name])
    with pytest.raises(ValueError, match=message):
        History.from_arrays(
            arrays["history_sums"], arrays["history_meta"], arrays["history_recent"]
        )
