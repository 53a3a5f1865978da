from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_taxi.core.history import History, debiased_ema, downsample


def _fill(history, returns, splits):
    data = np.asarray(returns, dtype=np.float64)
    start = 0
    for end in [*sorted(splits), len(data)]:
        block = data[start:end]
        history.extend(block, np.ones(len(block)), np.zeros(len(block)), block > 0)
        start = end


@given(st.lists(st.integers(-20, 20), min_size=1, max_size=300),
       st.lists(st.integers(0, 300), max_size=6))  # fmt: skip
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
