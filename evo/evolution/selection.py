"""Selection schemes: ``(fitness, k, rng, **params) -> indices`` with ``rng`` a numpy ``Generator``.

Each is DEAP's operator of the same name re-stated on arrays (its semantics, not its draw sequence);
tests/evolution/test_operator_oracle.py checks each against DEAP's own function. A NaN fitness ranks below
every number. Which operators run DEAP's code and why: docs/architecture.md ("The base optimizer")."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evo.evolution.registry import SELECTION, Param

Indices = NDArray[np.int64]


def _comparable(fitness: ArrayLike) -> NDArray[np.float64]:
    """Fitness as float64, NaN as −inf (the worst), so that comparisons order every value."""
    v = np.asarray(fitness, dtype=np.float64)
    return np.where(np.isnan(v), -np.inf, v)


def _best_of(values: NDArray[np.float64], aspirants: Indices) -> Indices:
    """Per row of ``aspirants``, the first aspirant of the highest fitness (DEAP's ``max``)."""
    return aspirants[np.arange(aspirants.shape[0]), np.argmax(values[aspirants], axis=1)]


def _descending(values: NDArray[np.float64]) -> Indices:
    """Indices by descending fitness, ties in population order (DEAP ``selBest``'s stable sort)."""
    return np.argsort(-values, kind="stable").astype(np.int64)


def _roulette(weights: NDArray[np.float64], k: int, rng: np.random.Generator) -> Indices:
    """k draws with probability proportional to the (non-negative) ``weights`` (DEAP ``selRoulette``)."""
    total = np.cumsum(weights)
    picks = np.searchsorted(total, rng.random(k) * total[-1], side="right")
    return np.minimum(picks, len(weights) - 1).astype(np.int64)


@SELECTION.register("tournament", size=Param(int, 3, low=1, max_population=True))
def tournament_select(fitness: ArrayLike, k: int, rng: np.random.Generator, size: int = 3) -> Indices:
    """Tournament selection (DEAP ``selTournament``): k tournaments of ``size`` aspirants drawn with
    replacement; the first aspirant of the highest fitness wins."""
    values = _comparable(fitness)
    return _best_of(values, rng.integers(0, len(values), size=(k, size)))


@SELECTION.register("roulette")
def roulette_select(fitness: ArrayLike, k: int, rng: np.random.Generator) -> Indices:
    """Fitness-proportionate selection (DEAP ``selRoulette``) on fitness shifted so the worst is 1e-9."""
    values = _comparable(fitness)
    finite = values[np.isfinite(values)]
    lowest = finite.min() if finite.size else 0.0
    shifted = np.where(np.isfinite(values), values - lowest, 0.0) + 1e-9
    return _roulette(shifted, k, rng)


@SELECTION.register("truncation", fraction=Param(float, 0.2, low=0.0, high=1.0, low_open=True))
def truncation_select(fitness: ArrayLike, k: int, rng: np.random.Generator, fraction: float = 0.2
                      ) -> Indices:
    """Truncation selection: parents uniformly from the best ``fraction`` (DEAP ``selBest`` then
    ``selRandom``); keeping 1 of n is best-of-n."""
    values = _comparable(fitness)
    best = _descending(values)[: max(1, math.ceil(fraction * len(values)))]
    return best[rng.integers(0, len(best), size=k)]


@SELECTION.register("best")
def best_select(fitness: ArrayLike, k: int, rng: np.random.Generator) -> Indices:
    """The k best (DEAP ``selBest``); deterministic, ties by index, cycling when k exceeds the population."""
    order = _descending(_comparable(fitness))
    return order[np.arange(k) % len(order)] if k else order[:0]


@SELECTION.register("random")
def random_select(fitness: ArrayLike, k: int, rng: np.random.Generator) -> Indices:
    """Uniform selection with replacement (DEAP ``selRandom``): no selection pressure, a drift baseline."""
    return rng.integers(0, len(np.asarray(fitness)), size=k).astype(np.int64)


@SELECTION.register("rank", pressure=Param(float, 2.0, low=1.0, high=2.0))
def rank_select(fitness: ArrayLike, k: int, rng: np.random.Generator, pressure: float = 2.0) -> Indices:
    """Linear ranking selection (Baker 1985): roulette on rank weights; the best expects ``pressure``
    offspring, the median one, the worst ``2 − pressure``; tied fitness share their average rank."""
    values = _comparable(fitness)
    n = len(values)
    ranks = _average_ranks(values)  # 0 = worst
    weights = (2.0 - pressure) / n + 2.0 * ranks * (pressure - 1.0) / (n * max(n - 1, 1))
    return _roulette(weights, k, rng)


def _average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    ranks = np.empty(len(values))
    ranks[np.argsort(values, kind="stable")] = np.arange(len(values), dtype=np.float64)
    _, tie = np.unique(values, return_inverse=True)
    return (np.bincount(tie, weights=ranks) / np.bincount(tie))[tie]


def _survivors(table: NDArray[np.float64], candidates: Indices, case: int, epsilon: float | None) -> Indices:
    """The candidates within ``epsilon`` of the best on ``case`` (``None``: the median absolute deviation
    of the candidates' values, DEAP's automatic ε)."""
    values = table[candidates, case]
    if epsilon is None:
        eps = np.median(np.abs(values - np.median(values)))
        return candidates[values >= values.max() - eps]
    if epsilon == 0.0:
        return candidates[values == values.max()]
    return candidates[values >= values.max() - epsilon]


def _lexicase(fitness: ArrayLike, k: int, rng: np.random.Generator, cases: ArrayLike | None,
              epsilon: float | None) -> Indices:
    """Lexicase selection on the columns of ``cases`` (individuals × cases; without them the fitness is the
    one case), DEAP's algorithm: per pick, the cases in a random order filter the candidates until one is
    left or the cases run out; then one of them at random. The first filter of each case is computed once."""
    table = _comparable(fitness if cases is None else cases)
    if table.ndim == 1:
        table = table[:, None]
    if table.shape[0] != len(np.asarray(fitness)):
        raise ValueError(f"cases has {table.shape[0]} rows for {len(np.asarray(fitness))} individuals")
    everyone = np.arange(table.shape[0], dtype=np.int64)
    first = [_survivors(table, everyone, c, epsilon) if len(everyone) > 1 else everyone
             for c in range(table.shape[1])]
    chosen = np.empty(k, dtype=np.int64)
    for j in range(k):
        order = rng.permutation(table.shape[1])
        candidates = first[order[0]] if len(order) else everyone
        for case in order[1:]:
            if len(candidates) <= 1:
                break
            candidates = _survivors(table, candidates, int(case), epsilon)
        chosen[j] = candidates[rng.integers(0, len(candidates))]
    return chosen


@SELECTION.register("lexicase", needs=("cases",))
def lexicase_select(fitness: ArrayLike, k: int, rng: np.random.Generator, cases: ArrayLike | None = None
                    ) -> Indices:
    """Lexicase selection over episodes (Spector 2012; DEAP ``selLexicase``): each train world of the
    generation is one case, its episode payoff minus the agent's costs the score."""
    return _lexicase(fitness, k, rng, cases, 0.0)


@SELECTION.register("epsilon_lexicase", needs=("cases",), epsilon=Param(float, 0.05, low=0.0))
def epsilon_lexicase_select(fitness: ArrayLike, k: int, rng: np.random.Generator, epsilon: float = 0.05,
                            cases: ArrayLike | None = None) -> Indices:
    """ε-lexicase selection over episodes with a fixed ε (La Cava et al. 2016; DEAP ``selEpsilonLexicase``):
    on each case, candidates within ``epsilon`` of the best survive (payoff units)."""
    return _lexicase(fitness, k, rng, cases, float(epsilon))


@SELECTION.register("auto_epsilon_lexicase", needs=("cases",))
def auto_epsilon_lexicase_select(fitness: ArrayLike, k: int, rng: np.random.Generator,
                                 cases: ArrayLike | None = None) -> Indices:
    """ε-lexicase with ε per case the candidates' median absolute deviation (La Cava et al. 2016; DEAP
    ``selAutomaticEpsilonLexicase``)."""
    return _lexicase(fitness, k, rng, cases, None)


@SELECTION.register("double_tournament", needs=("sizes",), size=Param(int, 3, low=1, max_population=True),
                    parsimony=Param(float, 1.4, low=1.0, high=2.0),
                    fitness_first=Param(int, 1, low=0, high=1))
def double_tournament_select(fitness: ArrayLike, k: int, rng: np.random.Generator, size: int = 3,
                             parsimony: float = 1.4, fitness_first: int = 1,
                             sizes: ArrayLike | None = None) -> Indices:
    """Double tournament (Luke & Panait 2002; DEAP ``selDoubleTournament``): of two fitness-tournament
    winners (``size`` aspirants each) the smaller mesa-objective (L1 norm of ``w``) wins with probability
    ``parsimony / 2``, a tie with 1/2. ``fitness_first = 0``: a fitness tournament of size-tournament
    winners."""
    values = _comparable(fitness)
    n = len(values)
    size_of = np.zeros(n) if sizes is None else np.asarray(sizes, dtype=np.float64)

    def size_winners(pairs: Indices) -> Indices:  # pairs (..., 2): the first drawn is DEAP's ind1
        a, b = pairs[..., 0], pairs[..., 1]
        a_larger = size_of[a] > size_of[b]
        small, large = np.where(a_larger, b, a), np.where(a_larger, a, b)
        prob = np.where(size_of[a] == size_of[b], 0.5, parsimony / 2.0)
        return np.where(rng.random(a.shape) < prob, small, large)

    if fitness_first:
        winners = _best_of(values, rng.integers(0, n, size=(2 * k, size))).reshape(k, 2)
        return size_winners(winners)
    aspirants = size_winners(rng.integers(0, n, size=(k, size, 2)))
    return _best_of(values, aspirants)
