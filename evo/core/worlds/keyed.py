"""evo's keyed random stream: world ``i`` of a draw keyed ``key`` reads SplitMix64 from a state derived
from ``(key, i)``, and every draw a world takes (doubles, bounded integers, samples without replacement)
is one of the numba functions below, so a compiled draw and any other draw are the same code. Why evo
owns its generator rather than predicting numpy's: docs/architecture.md, "Drawing worlds".
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: SplitMix64's increment (2⁶⁴/φ) and its two finaliser multipliers
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO_32 = np.uint64(1 << 32)
_TWO_53 = 1.0 / 9007199254740992.0


@njit(cache=True, nogil=True, inline="always")
def mix(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijection of 64-bit words that scatters every input bit."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def seed(key: np.uint64, i: np.uint64, state: np.ndarray) -> None:
    """The state of world ``i``'s stream under ``key`` into ``state`` (1,) uint64:
    ``mix(key ⊕ mix(i + φ))``."""
    state[0] = mix(np.uint64(key) ^ mix(np.uint64(i) + GOLDEN))


@njit(cache=True, nogil=True, inline="always")
def next64(state: np.ndarray) -> np.uint64:
    """The stream's next 64-bit output (SplitMix64: add φ to the state, output its mix)."""
    state[0] = state[0] + GOLDEN
    return mix(state[0])


@njit(cache=True, nogil=True)
def uniform(state: np.ndarray) -> float:
    """A double in [0, 1): the output's top 53 bits times 2⁻⁵³."""
    return np.float64(next64(state) >> np.uint64(11)) * _TWO_53


@njit(cache=True, nogil=True)
def bounded(state: np.ndarray, n: int) -> np.int64:
    """An integer uniform in [0, n) for 1 ≤ n < 2³², from the output's top 32 bits x (Lemire's method):
    ``(x·n) >> 32``, drawn again while the low word ``(x·n) mod 2³²`` is below ``2³² mod n`` (the values
    that would favour some results). Every call takes at least one output, ``n = 1`` included."""
    bound = np.uint64(n)
    m = (next64(state) >> np.uint64(32)) * bound
    if (m & _LOW32) < bound:
        threshold = (_TWO_32 - bound) % bound
        while (m & _LOW32) < threshold:
            m = (next64(state) >> np.uint64(32)) * bound
    return np.int64(m >> np.uint64(32))


@njit(cache=True, nogil=True)
def sample(state: np.ndarray, pool: np.ndarray, pop: int, m: int) -> None:
    """``m`` of the first ``pop`` items of ``pool`` without replacement, in the order drawn, into
    ``pool[:m]`` (a partial Fisher–Yates shuffle: for t in 0 … m − 1, swap item t with one uniform among
    items t … pop − 1). Requires m ≤ pop."""
    for t in range(m):
        j = t + bounded(state, pop - t)
        pool[t], pool[j] = pool[j], pool[t]
