"""Per-episode history whose memory stays bounded over millions of episodes.

Up to ``capacity`` bins of ``width`` episodes each. While the run is short, ``width`` is 1 and the
history is exact; when the bins are full, neighbouring pairs merge and ``width`` doubles, so the
whole run stays covered at a coarser resolution (never truncated to the last N). Sums are
accumulated strictly left to right, so the result does not depend on how the episodes arrived.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numba import njit

#: Columns of each bin: sums over its episodes.
COLUMNS = ("episodic_return", "episodic_length", "penalties", "success")
RECENT = 100


class History:
    def __init__(self, capacity: int = 1 << 17) -> None:
        if capacity < 2 or capacity & (capacity - 1):
            raise ValueError("history capacity must be a power of two >= 2")
        self.capacity = capacity
        self.width = 1
        self.n_bins = 0
        self.last_count = 0  # episodes in the last bin (<= width)
        self.episodes = 0
        self._sums = np.zeros((capacity, len(COLUMNS)))
        self._recent: deque[tuple[float, bool]] = deque(maxlen=RECENT)

    def extend(self, returns, lengths, penalties, successes) -> None:
        data = np.empty((len(returns), len(COLUMNS)))
        for j, column in enumerate((returns, lengths, penalties, successes)):
            data[:, j] = column
        for row_return, row_success in zip(data[-RECENT:, 0], data[-RECENT:, 3], strict=True):
            self._recent.append((float(row_return), bool(row_success)))
        self.n_bins, self.last_count, self.width = _accumulate(
            self._sums, self.n_bins, self.last_count, self.width, data
        )
        self.episodes += len(data)

    def counts(self) -> np.ndarray:
        counts = np.full(self.n_bins, self.width, dtype=np.int64)
        if self.n_bins:
            counts[-1] = self.last_count
        return counts

    def sums(self) -> np.ndarray:
        return self._sums[: self.n_bins].copy()

    def means(self) -> dict[str, np.ndarray]:
        """Per-bin means of each column, plus ``episode``: the index of each bin's first episode."""
        counts = self.counts()
        out = {name: self._sums[: self.n_bins, j] / counts for j, name in enumerate(COLUMNS)}
        out["episode"] = np.arange(self.n_bins, dtype=np.int64) * self.width
        return out

    def recent_mean_return(self) -> float:
        return float(np.mean([r for r, _ in self._recent])) if self._recent else float("nan")

    def recent_success_rate(self) -> float:
        return float(np.mean([s for _, s in self._recent])) if self._recent else float("nan")

    # -- persistence (plain arrays, no pickle) -------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        recent = np.array(list(self._recent), dtype=np.float64).reshape(-1, 2)
        meta = np.array([self.capacity, self.width, self.n_bins, self.last_count, self.episodes])
        return {"history_sums": self.sums(), "history_meta": meta, "history_recent": recent}

    @classmethod
    def from_arrays(cls, sums, meta, recent) -> History:
        capacity, width, n_bins, last_count, episodes = (int(x) for x in meta)
        history = cls(capacity)
        if (
            sums.shape != (n_bins, len(COLUMNS))
            or not 0 <= last_count <= width
            or n_bins > capacity
        ):
            raise ValueError("history arrays are inconsistent")
        history.width, history.n_bins, history.last_count = width, n_bins, last_count
        history.episodes = episodes
        history._sums[:n_bins] = sums
        for r, s in recent.reshape(-1, 2)[-RECENT:]:
            history._recent.append((float(r), bool(s)))
        return history


@njit(nogil=True, cache=True)
def _accumulate(sums, n_bins, last_count, width, data):
    """Add ``data`` rows to the bins strictly left to right; when all bins are full, merge
    neighbouring pairs (the width doubles). Returns the new (n_bins, last_count, width)."""
    capacity = sums.shape[0]
    for i in range(data.shape[0]):
        if n_bins == 0 or last_count == width:  # open a new bin
            if n_bins == capacity:
                half = capacity // 2
                for b in range(half):
                    for j in range(sums.shape[1]):
                        sums[b, j] = sums[2 * b, j] + sums[2 * b + 1, j]
                sums[half:] = 0.0
                n_bins = half
                width *= 2
            for j in range(sums.shape[1]):
                sums[n_bins, j] = data[i, j]
            n_bins += 1
            last_count = 1
        else:
            for j in range(sums.shape[1]):
                sums[n_bins - 1, j] += data[i, j]
            last_count += 1
    return n_bins, last_count, width


def downsample(x: np.ndarray, y: np.ndarray, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Means of consecutive blocks so that at most ``n_points`` remain (the whole run, coarser)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if n_points < 1:
        raise ValueError("n_points must be >= 1")
    if len(y) <= n_points:
        return x, y
    edges = np.linspace(0, len(y), n_points + 1).astype(np.int64)
    sizes = np.diff(edges)
    return np.add.reduceat(x, edges[:-1]) / sizes, np.add.reduceat(y, edges[:-1]) / sizes


def debiased_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average with the start-up bias removed."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    out = np.empty(len(values))
    last = 0.0
    for i, value in enumerate(np.asarray(values, dtype=np.float64)):
        last = last * weight + (1.0 - weight) * value
        out[i] = last / (1.0 - weight ** (i + 1))
    return out
