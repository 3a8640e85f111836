"""The interval functions of :mod:`evo.analysis.stats` against independently computed values, and their range.

Reference values and how they were obtained (no scipy needed at test time):

- Wilson score intervals: the roots of the quadratic ``(p̂ − p)² = z² p (1 − p) / n`` in p, solved with
  Python's ``decimal`` at 40 digits (z = 1.959963984540054) — a different formula from the implementation's
  centre ± half-width form. 81/263 is Newcombe's (1998, Statistics in Medicine 17:857, Table I, method 3)
  worked example, published as 0.2553–0.3662.
- Student t quantiles: df = 1 is ``tan(0.475 π)`` and df = 2 is ``(2p − 1) / sqrt(2 p (1 − p))`` at
  p = 0.975 (closed forms of the t distribution's quantile function); the others are checked against a
  numerical integration of the t density below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evo.analysis import stats

WILSON = [  # k, n, lower, upper
    (0, 10, 0.0, 0.277533),
    (10, 10, 0.722467, 1.0),
    (3, 10, 0.107791, 0.603222),
    (5, 10, 0.236593, 0.763407),
    (1, 200, 0.000883, 0.027774),
    (81, 263, 0.255289, 0.366210),
    (0, 1, 0.0, 0.793451),
    (1, 1, 0.206549, 1.0),
]


@pytest.mark.parametrize(("k", "n", "lo", "hi"), WILSON)
def test_wilson_matches_independently_computed_values(k: int, n: int, lo: float, hi: float) -> None:
    got = stats.wilson(k, n)
    assert got == pytest.approx((lo, hi), abs=2e-6)


def test_wilson_edges() -> None:
    assert stats.wilson(0, 10)[0] == 0.0 and stats.wilson(10, 10)[1] == 1.0  # exactly, not 1e-17 off
    assert all(math.isnan(v) for v in stats.wilson(0, 0))
    with pytest.raises(ValueError):
        stats.wilson(11, 10)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_stays_in_the_unit_interval_and_holds_the_estimate(kn: tuple[int, int]) -> None:
    k, n = kn
    lo, hi = stats.wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    if k < n:
        assert stats.wilson(k + 1, n)[0] >= lo  # more successes never lower the interval


def _t_quantile_numerically(df: int, p: float = 0.975) -> float:
    """The p-quantile of Student's t by integrating its density (trapezoids on a fine grid) and bisection."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    grid = np.linspace(0.0, 60.0, 600_001)
    dens = c * (1 + grid ** 2 / df) ** (-(df + 1) / 2)
    cdf = 0.5 + np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(grid))])
    return float(np.interp(p, cdf, grid))


def test_t_quantiles() -> None:
    assert stats.t975(1) == pytest.approx(math.tan(0.475 * math.pi), abs=1e-3)
    assert stats.t975(2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025), abs=1e-3)
    for df in (3, 4, 9, 29, 30, 31, 60, 200):
        assert stats.t975(df) == pytest.approx(_t_quantile_numerically(df), abs=2e-3), df
    assert math.isnan(stats.t975(0))


def test_mean_interval_is_the_t_interval() -> None:
    e = stats.mean_interval([1.0, 2.0, 3.0, 4.0, None, math.nan])
    assert (e.n, e.mean, e.method) == (4, 2.5, "t")
    half = 3.182 * np.std([1, 2, 3, 4], ddof=1) / 2
    assert e.lo == pytest.approx(2.5 - half) and e.hi == pytest.approx(2.5 + half)
    assert stats.mean_interval([]).n == 0 and math.isnan(stats.mean_interval([1.0]).lo)


def test_a_bounded_mean_is_clipped_to_its_range() -> None:
    """The case sweep-report got wrong: a fraction over 2 seeds (0.24 and 1.0) had a t-interval of
    [−4.21, 5.45]; clipped to [0, 1] it keeps its coverage (the true mean is in [0, 1])."""
    raw = stats.mean_interval([0.24, 1.0])
    assert raw.lo < -4 and raw.hi > 5
    e = stats.mean_interval([0.24, 1.0], stats.FRACTION)
    assert (e.mean, e.lo, e.hi, e.method) == (pytest.approx(0.62), 0.0, 1.0, "t-clipped")
    g = stats.mean_interval([1, 30], stats.NON_NEGATIVE)  # generations: only the lower end is known
    assert g.lo == 0.0 and g.hi == pytest.approx(stats.mean_interval([1, 30]).hi)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), max_size=25))
def test_fraction_intervals_stay_in_the_unit_interval(values: list[float]) -> None:
    e = stats.mean_interval(values, stats.FRACTION)
    if e.n == 0:
        return
    assert 0.0 <= e.mean <= 1.0
    if e.n > 1:
        assert 0.0 <= e.lo <= e.mean <= e.hi <= 1.0


def test_bootstrap_is_reproducible_and_needs_enough_units() -> None:
    rng = np.random.default_rng(3)
    xs = list(rng.normal(10.0, 2.0, size=400))

    def mean(units: list[float]) -> float:
        return float(np.mean(units))

    a = stats.bootstrap_interval(xs, mean)
    assert a == stats.bootstrap_interval(xs, mean)  # fixed seed: same data, same interval
    t = stats.mean_interval(xs)
    assert a[0] == pytest.approx(t.lo, abs=0.05) and a[1] == pytest.approx(t.hi, abs=0.05)
    assert all(math.isnan(v) for v in stats.bootstrap_interval(xs[:4], mean))


def test_cluster_robust_covariance_by_hand() -> None:
    scores = np.array([[1.0, 0.0], [2.0, 1.0], [-1.0, 0.5], [0.0, -2.0]])
    clusters = np.array([0, 0, 1, 1])
    bread = np.array([[2.0, 0.0], [0.0, 1.0]])
    s0, s1 = scores[:2].sum(0), scores[2:].sum(0)  # (3, 1), (-1, -1.5)
    meat = (np.outer(s0, s0) + np.outer(s1, s1)) * 2 / 1
    np.testing.assert_allclose(stats.cluster_robust_cov(bread, scores, clusters), bread @ meat @ bread)
    assert np.isnan(stats.cluster_robust_cov(bread, scores, np.zeros(4, dtype=int))).all()


def test_pearson_is_undefined_without_variation() -> None:
    assert stats.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert math.isnan(stats.pearson([1, 1, 1], [1, 2, 3])) and math.isnan(stats.pearson([1, 2], [1, 2]))
