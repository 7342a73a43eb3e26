"""A small xorshift64* generator for compiled code, its state in a uint64[1] array.

Numba's own np.random state is per thread and global; an explicit state makes playouts and
searches reproducible from a seed and independent between threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from go_engine.jit import HOT, INLINE

_M = uint64(0x2545F4914F6CDD1D)


def make_rng(seed: int) -> np.ndarray:
    """A generator state from any integer seed (never zero)."""
    x = (int(seed) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
    return np.array([x or 1], dtype=np.uint64)


@njit(**INLINE)
def next_u64(rng: np.ndarray) -> np.uint64:
    x = rng[0]
    x ^= x >> uint64(12)
    x ^= x << uint64(25)
    x ^= x >> uint64(27)
    rng[0] = x
    return x * _M


@njit(**INLINE)
def rand_below(rng: np.ndarray, n: int) -> int:
    """Uniform integer in [0, n) for 0 < n < 2**32 (multiply-shift, no division)."""
    r = next_u64(rng) >> uint64(32)
    return int((r * uint64(n)) >> uint64(32))


@njit(**HOT)
def rand_float(rng: np.ndarray) -> float:
    """Uniform float in [0, 1)."""
    return (next_u64(rng) >> uint64(11)) * (1.0 / 9007199254740992.0)
