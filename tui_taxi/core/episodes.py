"""Finished episodes: a kernel call's :class:`EpisodeBatch`, and the run's :class:`History`.

The history's memory stays bounded over millions of episodes: up to ``capacity`` bins of ``width`` episodes each. While the run is short, ``width`` is 1 and the
history is exact; when the bins are full, neighbouring pairs merge and ``width`` doubles, so the
whole run stays covered at a coarser resolution (never truncated to the last N). Sums are
accumulated strictly left to right, so the result does not depend on how the episodes arrived.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from numba import njit

#: Without a time limit an evaluation's episode still stops here, so a looping greedy policy
#: cannot hang (a table's and a network's alike).
SAFETY_CAP = 100_000
#: How an episode ended (a kernel's outcome column).
TRUNCATED, TERMINATED, SUCCESS = 0, 1, 2


#: Episodes one kernel call may return at most (its buffers: about 25 bytes each): a longer
#: run is several calls, so memory follows the episodes that end, not the budget asked for.
KERNEL_ROWS = 1 << 16


@dataclass(frozen=True)
class EpisodeBatch:
    """Episodes finished by one kernel call, named as TensorBoard scalars would be; ``extra``
    holds a kind's own per-episode columns (a network's mean TD loss, ...)."""

    episodic_return: np.ndarray
    episodic_length: np.ndarray
    penalties: np.ndarray
    outcome: np.ndarray  # TRUNCATED / TERMINATED / SUCCESS

    def __len__(self) -> int:
        return len(self.episodic_return)

    @property
    def success(self) -> np.ndarray:
        return self.outcome == SUCCESS

    @property
    def truncated(self) -> np.ndarray:
        return self.outcome == TRUNCATED


@dataclass(frozen=True)
class EvalResult:
    """The tutorial's table, per policy."""

    policy: str
    episodes: int
    mean_steps: float  # average timesteps per episode
    mean_penalties: float  # average penalties per episode
    reward_per_move: float  # total reward / total steps
    mean_return: float
    success_rate: float
    truncated: int  # episodes stopped by the time limit (or the safety cap)
    time_limit: int  # 0 = none (the safety cap still applies)

    @classmethod
    def of(cls, batch, time_limit: int, policy: str = "greedy") -> EvalResult:
        """The table's figures of a batch of evaluation episodes."""
        steps = int(batch.episodic_length.sum())
        total = float(batch.episodic_return.sum())
        n = len(batch)
        return cls(
            policy=policy,
            episodes=n,
            mean_steps=steps / n,
            mean_penalties=float(batch.penalties.sum()) / n,
            reward_per_move=total / steps if steps else 0.0,
            mean_return=total / n,
            success_rate=float(batch.success.sum()) / n,
            truncated=int(batch.truncated.sum()),
            time_limit=time_limit,
        )


#: Columns of each bin: sums over its episodes (a history may add its own after these).
COLUMNS = ("episodic_return", "episodic_length", "penalties", "success")
RETURN, LENGTH, PENALTIES, SUCCESSES = range(len(COLUMNS))
RECENT = 100
DEFAULT_CAPACITY = 1 << 17
#: The most bins a history may have (32 MiB of sums), checked before anything is allocated.
MAX_CAPACITY = 1 << 20


def _is_power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


class History:
    """The run's episodes in bins (see the module's docstring); ``extra`` names columns of a
    kind's own (non-negative sums: a network's TD loss, the episodes it learnt in), kept and
    saved beside the standard :data:`COLUMNS`."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, extra: tuple[str, ...] = ()) -> None:
        if (
            not isinstance(capacity, (int, np.integer))
            or isinstance(capacity, bool)
            or not 2 <= capacity <= MAX_CAPACITY
            or not _is_power_of_two(int(capacity))
        ):
            raise ValueError(
                f"history capacity must be a power of two from 2 to {MAX_CAPACITY}, got {capacity}"
            )
        capacity = int(capacity)
        self.capacity = capacity
        self.width = 1
        self.n_bins = 0
        self.last_count = 0  # episodes in the last bin (<= width)
        self.episodes = 0
        self.columns = (*COLUMNS, *extra)
        self._sums = np.zeros((capacity, len(self.columns)))
        self._recent: deque[tuple[float, bool]] = deque(maxlen=RECENT)
        # the lengths of the last episodes run since this history was made or loaded (not
        # saved: a loaded run's count from its next episodes)
        self._recent_lengths: deque[float] = deque(maxlen=RECENT)

    @property
    def extra(self) -> tuple[str, ...]:
        return self.columns[len(COLUMNS) :]

    def extend(self, returns, lengths, penalties, successes, *extra) -> None:
        """Add episodes: one value each in every column (the ``extra`` ones in order)."""
        if len(extra) != len(self.extra):
            raise ValueError(f"history has extra columns {self.extra}, got {len(extra)}")
        data = np.empty((len(returns), len(self.columns)))
        for j, column in enumerate((returns, lengths, penalties, successes, *extra)):
            data[:, j] = column
        for row_return, row_success in zip(data[-RECENT:, 0], data[-RECENT:, 3], strict=True):
            self._recent.append((float(row_return), bool(row_success)))
        self._recent_lengths.extend(data[-RECENT:, 1].tolist())
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
        out = {name: self._sums[: self.n_bins, j] / counts for j, name in enumerate(self.columns)}
        out["episode"] = np.arange(self.n_bins, dtype=np.int64) * self.width
        return out

    def recent_mean_return(self) -> float:
        return float(np.mean([r for r, _ in self._recent])) if self._recent else float("nan")

    def recent_mean_length(self) -> float:
        """The mean steps of the last (up to) 100 episodes run since made or loaded."""
        lengths = self._recent_lengths
        return float(np.mean(lengths)) if lengths else float("nan")

    def recent_success_rate(self) -> float:
        return float(np.mean([s for _, s in self._recent])) if self._recent else float("nan")

    # -- persistence (plain arrays, no pickle) -------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        recent = np.array(list(self._recent), dtype=np.float64).reshape(-1, 2)
        meta = np.array([self.capacity, self.width, self.n_bins, self.last_count, self.episodes])
        return {"history_sums": self.sums(), "history_meta": meta, "history_recent": recent}

    @staticmethod
    def check_meta(meta: np.ndarray) -> tuple[int, int, int, int, int]:
        """``(capacity, width, n_bins, last_count, episodes)`` from saved counters, each checked
        against how :meth:`extend` fills the bins (raises a one-line ValueError), so nothing is
        allocated for an absurd capacity."""
        meta = np.asarray(meta)
        if meta.shape != (5,) or meta.dtype.kind not in "iu":
            raise ValueError(f"history counters must be 5 integers, got {meta.dtype} {meta.shape}")
        capacity, width, n_bins, last_count, episodes = (int(x) for x in meta)
        if not (2 <= capacity <= MAX_CAPACITY and _is_power_of_two(capacity)):
            raise ValueError(
                f"history capacity must be a power of two from 2 to {MAX_CAPACITY}, got {capacity}"
            )
        if not (_is_power_of_two(width) and width < 1 << 62):
            raise ValueError(f"history bin width must be a power of two >= 1, got {width}")
        if not 0 <= n_bins <= capacity:
            raise ValueError(f"history has {n_bins} bins, outside 0..{capacity}")
        if width > 1 and n_bins <= capacity // 2:  # bins merge only when all are full
            raise ValueError(f"history of width {width} has only {n_bins} of {capacity} bins")
        if not (1 <= last_count <= width if n_bins else last_count == 0):
            raise ValueError(f"history's last bin holds {last_count} episodes, width {width}")
        covered = (n_bins - 1) * width + last_count if n_bins else 0
        if episodes != covered:
            raise ValueError(f"history counts {episodes} episodes but its bins hold {covered}")
        return capacity, width, n_bins, last_count, episodes

    @classmethod
    def from_arrays(cls, sums, meta, recent, extra: tuple[str, ...] = ()) -> History:
        """The inverse of :meth:`to_arrays`, refusing (ValueError, one line) anything that
        :meth:`extend` could not have produced."""
        capacity, width, n_bins, last_count, episodes = cls.check_meta(meta)
        sums = np.asarray(sums)
        recent = np.asarray(recent)
        width_expected = len(COLUMNS) + len(extra)
        if sums.shape != (n_bins, width_expected) or sums.dtype != np.float64:
            raise ValueError(
                f"history sums have shape {sums.shape}, expected {(n_bins, width_expected)}"
            )
        if not np.all(np.isfinite(sums)):
            raise ValueError("history sums contain NaN or infinite values")
        counts = np.full(n_bins, width, dtype=np.float64)
        if n_bins:
            counts[-1] = last_count
        length, penalties, success = sums[:, LENGTH], sums[:, PENALTIES], sums[:, SUCCESSES]
        if not (
            np.all(length >= counts)  # every episode takes a step
            and np.all((penalties >= 0) & (penalties <= length))  # at most one a step
            and np.all((success >= 0) & (success <= counts))
            and np.all(sums[:, len(COLUMNS) :] >= 0)
        ):
            raise ValueError("history sums are impossible for their episode counts")
        k = min(RECENT, episodes)
        if recent.shape != (k, 2) or recent.dtype != np.float64:
            raise ValueError(
                f"history recent episodes have shape {recent.shape}, expected {(k, 2)}"
            )
        if not (np.all(np.isfinite(recent[:, 0])) and np.all(np.isin(recent[:, 1], (0.0, 1.0)))):
            raise ValueError("history recent episodes need finite returns and 0/1 success flags")
        history = cls(capacity, extra)
        history.width, history.n_bins, history.last_count = width, n_bins, last_count
        history.episodes = episodes
        history._sums[:n_bins] = sums
        for r, s in recent:
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
