"""Goodhart analyses: optimization power against a proxy (docs/concepts.md §1): best-of-n KL, the fit of
Gao et al. 2022, and where true fitness peaks (docs/architecture.md, "Goodhart analyses"). Pure numpy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


def best_of_n_kl(n: ArrayLike) -> NDArray[np.float64]:
    """KL(best-of-n ‖ base) = log n − (n − 1)/n, in nats, for n ≥ 1 (0 at n = 1)."""
    n = np.asarray(n, dtype=np.float64)
    if np.any(n < 1):
        raise ValueError(f"best-of-n needs n >= 1, got {n}")
    return np.log(n) - (n - 1.0) / n


@dataclass(frozen=True, slots=True, kw_only=True)
class GaoFit:
    """``true ≈ d(α − βd)``; ``r2`` is 1 − SS_res/SS_tot about the mean of ``true``."""

    alpha: float
    beta: float
    r2: float

    def __call__(self, d: ArrayLike) -> NDArray[np.float64]:
        d = np.asarray(d, dtype=np.float64)
        return d * (self.alpha - self.beta * d)

    @property
    def peak_d(self) -> float:
        """The d where the fitted curve peaks, α / (2β) (inf when β ≤ 0: no overoptimization seen)."""
        return self.alpha / (2 * self.beta) if self.beta > 0 else float("inf")


def fit_gao(d: ArrayLike, true: ArrayLike) -> GaoFit:
    """Least-squares ``true − true(d=0) ≈ α d − β d²``: no intercept, the form passes through the origin.

    ``true`` is measured relative to the unoptimized baseline (Gao et al. plot the gold reward change from
    the initial policy), so callers subtract the mean at d = 0 (n = 1) first."""
    d = np.asarray(d, dtype=np.float64).ravel()
    y = np.asarray(true, dtype=np.float64).ravel()
    if d.shape != y.shape or d.size < 2:
        raise ValueError("fit_gao needs two equally long arrays of at least 2 points")
    a = np.column_stack([d, -d * d])
    (alpha, beta), *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ np.array([alpha, beta])
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else float("nan")
    return GaoFit(alpha=float(alpha), beta=float(beta), r2=r2)


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """Where true fitness peaks along an optimization-power axis ``x`` and how it falls after.

    ``threshold``: the x of the peak of mean true fitness. ``drop``: the largest fall of mean true fitness
    between consecutive x after the peak, at ``drop_at`` (the x it falls to) and per unit x as ``steepness``.
    ``lost``: the fraction of the peak's gain over the first x that is lost at the last x. ``width``: how
    sharp the fall is, as the x distance from the peak to the first x where true fitness has made 90 % of
    its fall to its lowest value after the peak (small: a phase transition; large: a gradual decline)."""

    threshold: float
    peak: float
    drop: float
    drop_at: float
    steepness: float
    lost: float
    width: float


def phase_transition(x: Sequence[float] | NDArray[np.float64],
                     true_mean: Sequence[float] | NDArray[np.float64]) -> Transition:
    """Locate the peak of ``true_mean`` along ascending ``x`` and measure the fall after it."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(true_mean, dtype=np.float64)
    if x.shape != y.shape or x.size < 2 or np.any(np.diff(x) <= 0):
        raise ValueError("phase_transition needs ascending x and equally long true_mean (>= 2 points)")
    i = int(np.argmax(y))
    falls = -np.diff(y[i:])
    if falls.size:
        j = int(np.argmax(falls))
        drop, drop_at = float(falls[j]), float(x[i + j + 1])
        steep = drop / float(x[i + j + 1] - x[i + j])
    else:
        drop, drop_at, steep = 0.0, float(x[i]), 0.0
    gain = y[i] - y[0]
    lost = float((y[i] - y[-1]) / gain) if gain > 0 else float("nan")
    after = y[i:]
    fall = y[i] - after.min()
    width = float(x[i + int(np.argmax(after <= y[i] - 0.9 * fall))] - x[i]) if fall > 0 else 0.0
    return Transition(threshold=float(x[i]), peak=float(y[i]), drop=drop, drop_at=drop_at, steepness=steep,
                      lost=lost, width=width)
