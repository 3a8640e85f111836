"""Breeding on arrays equals breeding through DEAP, draw for draw: the tournament and uniform selection
against DEAP's ``selTournament`` / ``selRandom``, and every variation scheme's row version
(``Registry.rows``) against calling the scheme genome after genome, as the loop did. Same picks, same
genes bit for bit, and the ``random.Random`` left in the same state (its cached Gaussian included)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from deap import tools
from hypothesis import given, settings
from hypothesis import strategies as st

from evo.evolution import operators

# few distinct values make ties common (the first aspirant of the best fitness must win, as in DEAP)
fitness_lists = st.lists(st.one_of(st.sampled_from([-1.0, 0.0, -0.0, 0.5, 1.0]),
                                   st.floats(-10, 10, allow_nan=False)), min_size=1, max_size=60)


def primed(seed: int, gauss: bool) -> random.Random:
    """A Random at some position, with (``gauss``) or without a cached Gaussian."""
    rng = random.Random(seed)
    rng.random()
    if gauss:
        rng.gauss(0.0, 1.0)
    return rng


@settings(deadline=None, max_examples=200)
@given(fitness=fitness_lists, k=st.integers(0, 80), size=st.integers(1, 7), seed=st.integers(0, 2**32 - 1),
       gauss=st.booleans())
def test_tournament_makes_deaps_picks(fitness: list[float], k: int, size: int, seed: int,
                                      gauss: bool) -> None:
    ours, theirs = primed(seed, gauss), primed(seed, gauss)
    got = operators.tournament_select(fitness, k, ours, size=size)
    with operators.private_random(theirs):
        want = operators._indices(tools.selTournament(operators._individuals(fitness), k, tournsize=size))
    assert got == want
    assert ours.getstate() == theirs.getstate()


@settings(deadline=None, max_examples=100)
@given(fitness=fitness_lists, k=st.integers(0, 80), seed=st.integers(0, 2**32 - 1), gauss=st.booleans())
def test_random_selection_makes_deaps_picks(fitness: list[float], k: int, seed: int, gauss: bool) -> None:
    ours, theirs = primed(seed, gauss), primed(seed, gauss)
    got = operators.random_select(fitness, k, ours)
    with operators.private_random(theirs):
        want = operators._indices(tools.selRandom(operators._individuals(fitness), k))
    assert got == want
    assert ours.getstate() == theirs.getstate()


def test_tournament_with_nan_fitness_is_deaps() -> None:
    fitness = [0.5, float("nan"), 1.0, float("nan"), 0.2] * 4
    ours, theirs = random.Random(3), random.Random(3)
    got = operators.tournament_select(fitness, 30, ours, size=3)
    with operators.private_random(theirs):
        want = operators._indices(tools.selTournament(operators._individuals(fitness), 30, tournsize=3))
    assert got == want and ours.getstate() == theirs.getstate()


@pytest.mark.parametrize("kind", ["mutation", "crossover"])
def test_every_shipped_variation_scheme_has_rows(kind: str) -> None:
    registry = operators.REGISTRIES[kind]
    assert all(registry[name].rows is not None for name in registry.names())


@st.composite
def variation_cases(draw: st.DrawFn) -> tuple[str, str, dict[str, float], np.ndarray, int, bool]:
    kind = draw(st.sampled_from(["mutation", "crossover"]))
    registry = operators.REGISTRIES[kind]
    name = draw(st.sampled_from(registry.names()))
    params = {}
    for p, spec in registry[name].params.items():
        high = min(spec.high, 3.0)
        edges = [spec.low if spec.low > -1e9 else 0.0, high, spec.default]
        params[p] = draw(st.one_of(st.sampled_from(edges), st.floats(max(spec.low, 0.0), high)))
    n, g = draw(st.integers(0, 9)), draw(st.integers(1, 20))
    genomes = np.array(draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=n * g, max_size=n * g)),
                       dtype=np.float64).reshape(n, g)
    return kind, name, params, genomes, draw(st.integers(0, 2**32 - 1)), draw(st.booleans())


@settings(deadline=None, max_examples=300)
@given(case=variation_cases())
def test_rows_equal_the_scheme_genome_after_genome(case: tuple[str, str, dict[str, float], np.ndarray, int,
                                                              bool]) -> None:
    kind, name, params, genomes, seed, gauss = case
    scheme = operators.REGISTRIES[kind][name]
    assert scheme.rows is not None
    ours, theirs = primed(seed, gauss), primed(seed, gauss)
    got = genomes.copy()
    crossed = scheme.rows(got, ours, **params)
    rows = [row.tolist() for row in genomes]
    if kind == "mutation":
        for row in rows:
            scheme.function(row, theirs, **params)
    else:
        want_crossed = [scheme.function(rows[j], rows[j + 1], theirs, **params)
                        for j in range(0, len(rows) - 1, 2)]
        assert np.asarray(crossed).tolist() == want_crossed
    want = np.array(rows, dtype=np.float64).reshape(genomes.shape)
    assert got.tobytes() == want.tobytes()  # bit for bit, signed zeros included
    assert ours.getstate() == theirs.getstate()


def test_rows_fall_back_on_the_scheme_for_other_randoms() -> None:
    """A Random subclass may draw differently: the row versions then call the scheme row after row."""

    class Other(random.Random):
        def random(self) -> float:
            return 0.25

    genomes = np.arange(12, dtype=np.float64).reshape(4, 3)
    got = genomes.copy()
    crossed = operators.CROSSOVER["blend"].rows(got, Other(1), alpha=0.5, rate=0.5)  # type: ignore[misc]
    rows = [row.tolist() for row in genomes]
    want = [operators.blend_crossover(rows[j], rows[j + 1], Other(1), alpha=0.5, rate=0.5) for j in (0, 2)]
    assert crossed.tolist() == want and got.tolist() == rows
