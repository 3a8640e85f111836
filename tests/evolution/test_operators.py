"""Operator registries: every scheme honours its contract; randomness is private and reproducible."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evo.evolution import operators


@pytest.mark.parametrize("name", operators.SELECTION.names())
def test_selection_returns_k_valid_indices_reproducibly(name: str) -> None:
    fitness = list(np.random.default_rng(0).normal(size=30))
    fn, kwargs = operators.resolve(operators.OperatorConfig(scheme=name), "selection")
    a = fn(fitness, 25, random.Random(3), **kwargs)
    b = fn(fitness, 25, random.Random(3), **kwargs)
    assert a == b
    assert len(a) == 25 and all(isinstance(i, int) and 0 <= i < 30 for i in a)


@pytest.mark.parametrize("name", [n for n in operators.SELECTION.names() if n != "random"])
def test_selection_prefers_fitter_individuals(name: str) -> None:
    fitness = list(np.linspace(-1, 1, 40))
    fn, kwargs = operators.resolve(operators.OperatorConfig(scheme=name), "selection")
    k = 20 if name == "best" else 400  # "best" returns the k best: with k > n it cycles the population
    chosen = fn(fitness, k, random.Random(1), **kwargs)
    assert np.mean([fitness[i] for i in chosen]) > 0.2


def test_private_random_leaves_global_random_alone() -> None:
    random.seed(99)
    expected = random.random()
    random.seed(99)
    operators.tournament_select([1.0, 2.0, 3.0], 10, random.Random(0), size=2)
    genome = [0.0] * 5
    operators.gaussian_mutation(genome, random.Random(0), sigma=1.0, rate=1.0)
    assert random.random() == expected
    assert any(g != 0.0 for g in genome)


@pytest.mark.parametrize("name", operators.CROSSOVER.names())
def test_crossover_keeps_length_and_mixes_parents(name: str) -> None:
    fn, kwargs = operators.resolve(
        operators.OperatorConfig(scheme=name, params=(("rate", 1.0),) if name != "none" else ()), "crossover")
    a, b = [0.0] * 6, [1.0] * 6
    crossed = fn(a, b, random.Random(4), **kwargs)
    assert len(a) == len(b) == 6
    if name == "none":
        assert not crossed and a == [0.0] * 6
    else:
        assert crossed and (a != [0.0] * 6 or b != [1.0] * 6)


def test_registry_rejects_duplicates_and_lists_known_names() -> None:
    with pytest.raises(ValueError, match="already registered"):
        operators.SELECTION.register("tournament")(lambda *a: [])
    with pytest.raises(KeyError, match="known: " + ", ".join(operators.SELECTION.names())):
        operators.SELECTION["nope"]


def test_a_scheme_without_a_docstring_can_be_registered() -> None:
    reg = operators.Registry("selection")

    @reg.register("first")
    def first(fitness, k, rng):  # type: ignore[no-untyped-def]
        return [0] * k

    assert reg["first"].function is first and reg["first"].doc == ""


def test_schemes_declare_the_extra_inputs_they_need() -> None:
    needs = {name: operators.SELECTION[name].needs for name in operators.SELECTION.names()}
    assert needs["lexicase"] == ("cases",) and needs["double_tournament"] == ("sizes",)
    assert needs["tournament"] == ()
    reg = operators.Registry("selection")
    with pytest.raises(ValueError, match="needs 'cases'"):
        @reg.register("blind", needs=("cases",))
        def blind(fitness, k, rng):  # type: ignore[no-untyped-def]
            return [0] * k
