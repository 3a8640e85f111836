"""Intervals, one home: every confidence interval evo prints, stores or draws comes from here (which
interval for which quantity: docs/architecture.md, "Intervals"). Pure Python and numpy."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: z of a two-sided 95 % interval (the 97.5 % quantile of the standard normal).
Z95 = 1.959963984540054
#: Fewer independent units than this and :func:`bootstrap_interval` gives no interval.
MIN_BOOTSTRAP_UNITS = 5
#: Resamples of :func:`bootstrap_interval`, and its fixed seed.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0

# two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)

#: The range of a quantity: (low, high), either end may be infinite.
Bounds = tuple[float, float]
FRACTION: Bounds = (0.0, 1.0)
COSINE: Bounds = (-1.0, 1.0)
NON_NEGATIVE: Bounds = (0.0, math.inf)


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (a table to 30, Cornish–Fisher
    beyond; NaN below 1)."""
    if df < 1:
        return math.nan
    if df <= len(_T975):
        return _T975[df - 1]
    z = Z95
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion ``k / n``; (nan, nan) when ``n = 0``. Within [0, 1]."""
    if n <= 0:
        return math.nan, math.nan
    if not 0 <= k <= n:
        raise ValueError(f"wilson: expected 0 <= k <= n, got k={k}, n={n}")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else min(max(0.0, centre - half), p)
    hi = 1.0 if k == n else max(min(1.0, centre + half), p)
    return lo, hi


@dataclass(frozen=True)
class Estimate:
    """A mean of ``n`` values with its 95 % interval (``lo``, ``hi``; NaN below two values), the sample
    standard deviation, and ``method``: how the interval was made (:func:`method_note` spells it out)."""

    n: int
    mean: float
    lo: float
    hi: float
    sd: float
    method: str = "t"


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def mean_interval(values: Sequence[float | None], bounds: Bounds | None = None) -> Estimate:
    """Mean of the non-missing ``values`` (independent units, e.g. seeds) with its 95 % Student-t interval,
    clipped to ``bounds`` when the quantity has a known range (the mean itself always lies in it)."""
    xs = _finite(values)
    n = len(xs)
    method = "t" if bounds is None else "t-clipped"
    if n == 0:
        return Estimate(0, math.nan, math.nan, math.nan, math.nan, method)
    mean = math.fsum(xs) / n
    if bounds is not None:
        mean = min(max(mean, bounds[0]), bounds[1])  # rounding only: the values are in range
    if n == 1:
        return Estimate(1, mean, math.nan, math.nan, math.nan, method)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    half = t975(n - 1) * sd / math.sqrt(n)
    lo, hi = mean - half, mean + half
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return Estimate(n, mean, lo, hi, sd, method)


def bootstrap_interval(units: Sequence[Any], statistic: Callable[[Sequence[Any]], float], *,
                       resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                       level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over independent ``units`` (rows, or clusters of
    rows: a unit is whatever ``statistic`` receives a list of), resampled with replacement from a fixed
    seed. (nan, nan) with fewer than :data:`MIN_BOOTSTRAP_UNITS` units, or when the statistic is undefined
    (NaN) in more than 5 % of the resamples."""
    n = len(units)
    if n < MIN_BOOTSTRAP_UNITS:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    stats = np.array([statistic([units[i] for i in row]) for row in draws], dtype=np.float64)
    if np.isnan(stats).mean() > 0.05:
        return math.nan, math.nan
    alpha = (1 - level) / 2
    lo, hi = np.nanquantile(stats, [alpha, 1 - alpha])
    return float(lo), float(hi)


def cluster_robust_cov(bread: NDArray[np.float64], scores: NDArray[np.float64],
                       clusters: NDArray[np.int64]) -> NDArray[np.float64]:
    """Cluster-robust (sandwich) covariance ``B M B`` with ``M = G/(G − 1) Σ_g s_g s_gᵀ``, where ``s_g`` is
    the sum of the score contributions ``scores`` (N, F) of the observations in cluster ``g`` and ``bread``
    (F, F) the inverse (penalised) negative Hessian. NaN with fewer than two clusters."""
    scores = np.asarray(scores, dtype=np.float64)
    ids, inverse = np.unique(np.asarray(clusters), return_inverse=True)
    g = len(ids)
    f = scores.shape[1]
    if g < 2:
        return np.full((f, f), np.nan)
    sums = np.zeros((g, f))
    np.add.at(sums, inverse.reshape(-1), scores)
    meat = sums.T @ sums * (g / (g - 1))
    return np.asarray(bread @ meat @ bread.T, dtype=np.float64)


def pearson(x: ArrayLike, y: ArrayLike) -> float:
    """Pearson correlation; NaN with fewer than 3 pairs or a constant variable."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


# --------------------------------------------------------------------------------------------------------
# words


def bounds_text(bounds: Bounds) -> str:
    lo, hi = bounds
    if math.isinf(hi):
        return f"≥ {lo:g}"
    return f"[{lo:g}, {hi:g}]"


def method_note(method: str, bounds: Bounds | None = None) -> str:
    """What an interval ``method`` is, in words (for a report's footnote)."""
    if method == "t":
        return "Student t over seeds (95 %)"
    if method == "t-clipped":
        where = f" to {bounds_text(bounds)}" if bounds is not None else " to the quantity's range"
        return f"Student t over seeds (95 %), clipped{where}"
    if method == "wilson":
        return "Wilson score interval of a count (95 %)"
    if method == "bootstrap":
        return (f"percentile bootstrap (95 %, {BOOTSTRAP_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}; none "
                f"below {MIN_BOOTSTRAP_UNITS} units)")
    return method
