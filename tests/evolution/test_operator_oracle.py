"""DEAP's own operators as the oracle of evo's numpy ones: for every registered selection, mutation and
crossover scheme, evo's picks or children (numpy Generator) and DEAP's function of the same name (a
seeded ``random.Random`` in place of DEAP's module-level ``random``) must follow the same distribution:
a two-sample chi-square (counts) or Kolmogorov-Smirnov (values) test at a fixed level, fixed seeds; and
the invariants of each crossover. The draws differ; the semantics may not."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import deap.tools.crossover as deap_crossover
import deap.tools.mutation as deap_mutation
import deap.tools.selection as deap_selection
import numpy as np
import pytest
from deap import base, tools

from evo.config.schema import OperatorConfig
from evo.evolution import operators

Z = 3.719  # the normal quantile of 1 − 1e-4: a correct scheme fails one test in ten thousand seeds


def chi2_limit(df: int) -> float:
    """The 1 − 1e-4 quantile of χ²(df) (Wilson-Hilferty)."""
    h = 2.0 / (9.0 * df)
    return df * (1.0 - h + Z * math.sqrt(h)) ** 3


def homogeneous(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    """Two-sample chi-square statistic of two count vectors over the same bins, and its limit; bins with
    fewer than 10 counts in all are pooled into one."""
    a, b = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    small = a + b < 10
    a = np.append(a[~small], a[small].sum())
    b = np.append(b[~small], b[small].sum())
    keep = a + b > 0
    a, b = a[keep], b[keep]
    share = a.sum() / (a.sum() + b.sum())
    ea, eb = (a + b) * share, (a + b) * (1 - share)
    stat = float((((a - ea) ** 2) / ea).sum() + (((b - eb) ** 2) / eb).sum())
    return stat, chi2_limit(max(len(a) - 1, 1))


def same_counts(ours: np.ndarray, theirs: np.ndarray) -> None:
    stat, limit = homogeneous(ours, theirs)
    assert stat < limit, f"chi-square {stat:.1f} ≥ {limit:.1f}: ours {ours.tolist()}, DEAP {theirs.tolist()}"


def near(share: float, p: float, n: int) -> None:
    """A share of n Bernoulli(p) outcomes within the same level of p."""
    assert abs(share - p) < Z * math.sqrt(p * (1 - p) / n), f"share {share:.4f} of {n}, expected {p}"


def same_values(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Two-sample Kolmogorov-Smirnov at the same level (c(α) = sqrt(−ln(α/2)/2))."""
    a, b = np.sort(np.asarray(ours, dtype=float)), np.sort(np.asarray(theirs, dtype=float))
    grid = np.concatenate([a, b])
    d = np.abs(np.searchsorted(a, grid, side="right") / a.size
               - np.searchsorted(b, grid, side="right") / b.size)
    limit = math.sqrt(-math.log(1e-4 / 2) / 2) * math.sqrt((a.size + b.size) / (a.size * b.size))
    assert d.max() < limit, f"KS distance {d.max():.4f} ≥ {limit:.4f}"


@contextmanager
def deap_draws_from(seed: int) -> Iterator[None]:
    """DEAP's operator modules draw from ``random.Random(seed)`` inside the block (test-only patch)."""
    rng = random.Random(seed)
    saved = deap_selection.random, deap_crossover.random, deap_mutation.random
    deap_selection.random = deap_crossover.random = deap_mutation.random = rng  # type: ignore[assignment]
    try:
        yield
    finally:
        deap_selection.random, deap_crossover.random, deap_mutation.random = saved


class Individual(list):  # type: ignore[type-arg]
    """A DEAP individual carrying its population index; ``len()`` is its size rank (double tournament)."""

    def __init__(self, index: int, values: tuple[float, ...], size_rank: int = 0) -> None:
        super().__init__([0.0] * size_rank)
        weights = (1.0,) * len(values)
        self.index = index
        self.fitness = type("F", (base.Fitness,), {"weights": weights})(values)


def population(fitness: np.ndarray, cases: np.ndarray | None = None, sizes: np.ndarray | None = None
               ) -> list[Individual]:
    table = fitness[:, None] if cases is None else cases
    ranks = np.zeros(len(fitness), dtype=int) if sizes is None else np.unique(sizes, return_inverse=True)[1]
    return [Individual(i, tuple(map(float, row)), int(r))
            for i, (row, r) in enumerate(zip(table, ranks, strict=True))]


# fitness with ties (a tie must be shared alike), a NaN-free spread, 12 individuals
FITNESS = np.array([0.0, 1.0, 1.0, -2.0, 3.0, 3.0, 3.0, 0.5, 2.0, -1.0, 2.5, 0.25])
CASES = np.random.default_rng(5).integers(0, 3, size=(12, 5)) * 0.5
SIZES = np.array([3.0, 1.0, 1.0, 2.0, 5.0, 0.5, 2.0, 2.0, 4.0, 0.0, 1.0, 3.0])
K = 24_000


def picks_of_deap(select: Callable[..., list[Individual]], individuals: list[Individual], k: int = K,
                  seed: int = 11) -> np.ndarray:
    with deap_draws_from(seed):
        return np.bincount([ind.index for ind in select(individuals, k)], minlength=len(individuals))


def picks_of_ours(name: str, k: int = K, seed: int = 11, **params: Any) -> np.ndarray:
    fn, kwargs = operators.resolve(OperatorConfig(scheme=name), "selection")
    kwargs.update(params)
    scheme = operators.SELECTION[name]
    if scheme.accepts("cases"):
        kwargs["cases"] = CASES
    if scheme.accepts("sizes"):
        kwargs["sizes"] = SIZES
    chosen = fn(FITNESS, k, np.random.default_rng(seed), **kwargs)
    return np.bincount(np.asarray(chosen), minlength=len(FITNESS))


def _linear_rank_weights(pressure: float) -> np.ndarray:
    """Baker's linear ranking, tied values sharing their mean rank, stated here for DEAP's roulette."""
    n = len(FITNESS)
    rank = np.array([(FITNESS < v).sum() + ((FITNESS == v).sum() - 1) / 2 for v in FITNESS])
    return (2 - pressure) / n + 2 * rank * (pressure - 1) / (n * (n - 1))


#: registered selection scheme → (its parameters here, DEAP's function on the individuals it is given)
SELECTION_ORACLES: dict[str, tuple[dict[str, Any], Callable[[int], np.ndarray]]] = {
    "tournament": ({"size": 3}, lambda k: picks_of_deap(
        lambda inds, k: tools.selTournament(inds, k, tournsize=3), population(FITNESS), k)),
    "roulette": ({}, lambda k: picks_of_deap(
        tools.selRoulette, population(FITNESS - FITNESS.min() + 1e-9), k)),
    "truncation": ({"fraction": 0.3}, lambda k: picks_of_deap(
        lambda inds, k: tools.selRandom(tools.selBest(inds, 4), k), population(FITNESS), k)),
    "random": ({}, lambda k: picks_of_deap(tools.selRandom, population(FITNESS), k)),
    "rank": ({"pressure": 1.7}, lambda k: picks_of_deap(
        tools.selRoulette, population(_linear_rank_weights(1.7)), k)),
    "lexicase": ({}, lambda k: picks_of_deap(tools.selLexicase, population(FITNESS, CASES), k)),
    "epsilon_lexicase": ({"epsilon": 0.5}, lambda k: picks_of_deap(
        lambda inds, k: tools.selEpsilonLexicase(inds, k, 0.5), population(FITNESS, CASES), k)),
    "auto_epsilon_lexicase": ({}, lambda k: picks_of_deap(
        tools.selAutomaticEpsilonLexicase, population(FITNESS, CASES), k)),
    "double_tournament": ({"size": 3, "parsimony": 1.4, "fitness_first": 1}, lambda k: picks_of_deap(
        lambda inds, k: tools.selDoubleTournament(inds, k, 3, 1.4, True), population(FITNESS, None, SIZES),
        k)),
}


def test_every_registered_scheme_has_an_oracle() -> None:
    assert sorted([*SELECTION_ORACLES, "best"]) == operators.SELECTION.names()
    assert sorted(VARIATION_ORACLES) == sorted(
        [f"mutation.{n}" for n in operators.MUTATION.names()] + [f"crossover.{n}" for n in
                                                                 operators.CROSSOVER.names()])


@pytest.mark.parametrize("name", sorted(SELECTION_ORACLES))
def test_selection_picks_like_deap(name: str) -> None:
    params, deap_picks = SELECTION_ORACLES[name]
    k = K // 4 if "lexicase" in name else K  # DEAP's lexicase is a Python loop per pick
    same_counts(picks_of_ours(name, k, **params), deap_picks(k))


def test_double_tournament_size_first_picks_like_deap() -> None:
    theirs = picks_of_deap(lambda inds, k: tools.selDoubleTournament(inds, k, 2, 1.8, False),
                           population(FITNESS, None, SIZES))
    same_counts(picks_of_ours("double_tournament", size=2, parsimony=1.8, fitness_first=0), theirs)


def test_best_is_deaps_sel_best_exactly() -> None:
    for k in (0, 1, 5, 12):
        with deap_draws_from(0):
            want = [ind.index for ind in tools.selBest(population(FITNESS), k)]
        got = operators.selection.best_select(FITNESS, k, np.random.default_rng(0))
        assert np.asarray(got).tolist() == want


def test_the_chi_square_test_tells_a_tournament_without_replacement_apart() -> None:
    """The test has the power to see a wrong rule: aspirants drawn without replacement."""
    rng = np.random.default_rng(11)
    aspirants = np.array([rng.choice(len(FITNESS), 3, replace=False) for _ in range(K)])
    wrong = aspirants[np.arange(K), np.argmax(FITNESS[aspirants], axis=1)]
    stat, limit = homogeneous(np.bincount(wrong, minlength=12), SELECTION_ORACLES["tournament"][1](K))
    assert stat > limit


# --------------------------------------------------------------------------------------------------------
# variation: each scheme on a matrix against DEAP's function pair after pair (genome after genome)

ROWS, GENES = 10_000, 6


def parents(seed: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(ROWS, GENES))


def ours(kind: str, name: str, params: dict[str, float], seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    fn, kwargs = operators.resolve(OperatorConfig(scheme=name, params=tuple(params.items())), kind)
    genomes = parents()
    crossed = fn(genomes, np.random.default_rng(seed), **kwargs)
    return genomes, np.zeros(ROWS // 2, dtype=bool) if crossed is None else np.asarray(crossed)


def theirs(kind: str, op: Callable[..., Any] | None, rate: float, seed: int = 3
           ) -> tuple[np.ndarray, np.ndarray]:
    """DEAP's operator pair after pair with probability ``rate`` (``varAnd``'s rule), or row after row."""
    rows = [row.tolist() for row in parents()]
    crossed = np.zeros(ROWS // 2, dtype=bool)
    with deap_draws_from(seed):
        rng = deap_crossover.random
        if kind == "mutation":
            for row in rows:
                if op is not None:
                    op(row)
        else:
            for j in range(ROWS // 2):
                if op is not None and rng.random() < rate:
                    crossed[j] = True
                    op(rows[2 * j], rows[2 * j + 1])
    return np.array(rows), crossed


def _gaussian(params: dict[str, float]) -> None:
    before = parents()
    mine, _ = ours("mutation", "gaussian", params)
    deap, _ = theirs("mutation", lambda row: tools.mutGaussian(row, 0.0, params["sigma"], params["rate"]), 1)
    hit_m, hit_d = mine != before, deap != before
    same_counts(np.array([hit_m.sum(), (~hit_m).sum()]), np.array([hit_d.sum(), (~hit_d).sum()]))
    same_values((mine - before)[hit_m], (deap - before)[hit_d])
    near(hit_m.mean(), params["rate"], hit_m.size)
    noise = (mine - before)[hit_m]  # N(0, σ²): its mean and spread within the level of their standard errors
    assert abs(noise.mean()) < Z * params["sigma"] / math.sqrt(noise.size)
    assert abs(noise.std() - params["sigma"]) < Z * params["sigma"] / math.sqrt(2 * noise.size)


def _crossed_alike(mine: np.ndarray, deap: np.ndarray, rate: float) -> None:
    same_counts(np.array([mine.sum(), (~mine).sum()]), np.array([deap.sum(), (~deap).sum()]))
    near(mine.mean(), rate, mine.size)


def _unchanged_unless_crossed(children: np.ndarray, crossed: np.ndarray) -> None:
    kept = np.repeat(~crossed, 2)
    assert (children[kept] == parents()[kept]).all()


def _blend(params: dict[str, float]) -> None:
    alpha = params["alpha"]
    mine, cm = ours("crossover", "blend", params)
    deap, cd = theirs("crossover", lambda a, b: tools.cxBlend(a, b, alpha), params["rate"])
    _crossed_alike(cm, cd, params["rate"])
    p = parents()
    for children, crossed in ((mine, cm), (deap, cd)):
        _unchanged_unless_crossed(children, crossed)
        a, b = p[0::2][crossed], p[1::2][crossed]
        ca, cb = children[0::2][crossed], children[1::2][crossed]
        np.testing.assert_allclose(ca + cb, a + b, atol=1e-12)  # BLX keeps the pair's sum
        lo, hi, d = np.minimum(a, b), np.maximum(a, b), np.abs(a - b)
        assert ((ca >= lo - alpha * d - 1e-12) & (ca <= hi + alpha * d + 1e-12)).all()
    gamma = [((c[0::2] - p[0::2]) / (p[1::2] - p[0::2]))[x].ravel() for c, x in ((mine, cm), (deap, cd))]
    same_values(gamma[0], gamma[1])  # γ ~ U(−α, 1 + α) per gene
    assert abs(gamma[0].min() + alpha) < 0.01 and abs(gamma[0].max() - 1 - alpha) < 0.01


def _uniform(params: dict[str, float]) -> None:
    mine, cm = ours("crossover", "uniform", params)
    deap, cd = theirs("crossover", lambda a, b: tools.cxUniform(a, b, params["swap"]), params["rate"])
    _crossed_alike(cm, cd, params["rate"])
    p = parents()
    swapped = []
    for children, crossed in ((mine, cm), (deap, cd)):
        _unchanged_unless_crossed(children, crossed)
        a, b = p[0::2][crossed], p[1::2][crossed]
        ca, cb = children[0::2][crossed], children[1::2][crossed]
        swap = (ca == b) & (cb == a)
        assert (swap | ((ca == a) & (cb == b))).all()  # every gene from its own position, kept or swapped
        swapped.append(np.array([swap.sum(), (~swap).sum()]))
    same_counts(swapped[0], swapped[1])
    near(swapped[0][0] / swapped[0].sum(), params["swap"], int(swapped[0].sum()))


def _nothing(kind: str, name: str) -> None:
    mine, crossed = ours(kind, name, {})
    assert (mine == parents()).all() and not crossed.any()


VARIATION_ORACLES: dict[str, Callable[[], None]] = {
    "mutation.gaussian": lambda: _gaussian({"sigma": 0.3, "rate": 0.25}),
    "mutation.none": lambda: _nothing("mutation", "none"),
    "crossover.blend": lambda: _blend({"alpha": 0.4, "rate": 0.6}),
    "crossover.uniform": lambda: _uniform({"swap": 0.3, "rate": 0.7}),
    "crossover.none": lambda: _nothing("crossover", "none"),
}


@pytest.mark.parametrize("name", sorted(VARIATION_ORACLES))
def test_variation_changes_genes_like_deap(name: str) -> None:
    VARIATION_ORACLES[name]()
