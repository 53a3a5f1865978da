"""An explicit, saveable random generator for the numba kernels.

numba's built-in ``np.random`` keeps hidden per-thread state that cannot be saved or restored, so
the kernels draw from xoshiro256** (Blackman & Vigna) whose whole state is a ``uint64[4]`` array
passed in and out. Saving that array is what makes save/resume and chunked runs exact.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MASK64 = (1 << 64) - 1
#: The independent streams a seed gives (``make_rng(seed, stream)``), one table for every use:
#: training, a network's initial weights, the greedy and the random evaluation of a Q-table, a
#: network's greedy evaluation, and ``predict(deterministic=False)``'s exploration (a numpy
#: Generator seeded with ``[PREDICT_STREAM, seed]``, so predicting never changes training).
TRAIN_STREAM = 0
INIT_STREAM = 1
GREEDY_STREAM = 1
RANDOM_STREAM = 2
NETWORK_EVAL_STREAM = 7
PREDICT_STREAM = 0x5052_4544
#: Seeds alias beyond this: the generator is seeded from the seed modulo 2**64.
SEED_LIMIT = 2**64
_U11 = np.uint64(11)
_INV_2_53 = 1.0 / 9007199254740992.0  # 2**-53


def _splitmix64(x: int) -> tuple[int, int]:
    """One step of splitmix64 (the recommended seeder for xoshiro): returns (new_x, output)."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x, z ^ (z >> 31)


def make_rng(seed: int, stream: int = 0) -> np.ndarray:
    """A fresh generator state for ``seed``; different ``stream`` values give independent streams."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    x = (seed * 0x100000001B3 + stream * 0xD1B54A32D192ED03) & _MASK64
    words = []
    for _ in range(4):
        x, out = _splitmix64(x)
        words.append(out)
    return np.array(words, dtype=np.uint64)


@njit(nogil=True, cache=True)
def draw(g):
    """One xoshiro256** draw on a state held as a tuple of four uint64 (registers, in a hot loop).

    Returns ``(u, g)``: a float64 uniform on [0, 1) with 53 random bits, and the advanced state."""
    s0, s1, s2, s3 = g
    x = s1 * np.uint64(5)
    result = ((x << np.uint64(7)) | (x >> np.uint64(57))) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
    return np.float64(result >> _U11) * _INV_2_53, (s0, s1, s2, s3)


@njit(nogil=True, cache=True)
def uniform(state):
    """One draw from a ``uint64[4]`` state array, advanced in place."""
    u, g = draw((state[0], state[1], state[2], state[3]))
    state[0], state[1], state[2], state[3] = g
    return u


@njit(nogil=True, cache=True, inline="always")
def first_above(cum, u):
    """The first index whose cumulative probability exceeds ``u`` (binary search)."""
    lo = 0
    hi = cum.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(nogil=True, cache=True)
def sample_outcome(cum_prob, n_outcomes, s, a, rng):
    """The index of (s, a)'s outcome in a compiled env (no draw when it has only one), drawn
    from a ``uint64[4]`` generator array as the kernels' env steps draw it."""
    if n_outcomes[s, a] == 1:
        return 0
    return first_above(cum_prob[s, a, : n_outcomes[s, a]], uniform(rng))
