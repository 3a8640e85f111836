"""Operator registries: every scheme honours its contract; randomness is the run's own numpy streams and
reproducible; no global random state is read or written."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evo.config.schema import OperatorConfig
from evo.evolution import operators


@pytest.mark.parametrize("name", operators.SELECTION.names())
def test_selection_returns_k_valid_indices_reproducibly(name: str) -> None:
    fitness = np.random.default_rng(0).normal(size=30)
    fn, kwargs = operators.resolve(OperatorConfig(scheme=name), "selection")
    a = fn(fitness, 25, np.random.default_rng(3), **kwargs)
    b = fn(fitness, 25, np.random.default_rng(3), **kwargs)
    assert np.array_equal(a, b)
    assert len(a) == 25 and all(0 <= int(i) < 30 for i in a)
    assert len(fn(fitness, 0, np.random.default_rng(3), **kwargs)) == 0


@pytest.mark.parametrize("name", [n for n in operators.SELECTION.names() if n != "random"])
def test_selection_prefers_fitter_individuals(name: str) -> None:
    fitness = np.linspace(-1, 1, 40)
    fn, kwargs = operators.resolve(OperatorConfig(scheme=name), "selection")
    k = 20 if name == "best" else 400  # "best" returns the k best: with k > n it cycles the population
    chosen = fn(fitness, k, np.random.default_rng(1), **kwargs)
    assert np.mean(fitness[np.asarray(chosen)]) > 0.2


@pytest.mark.parametrize("name", operators.SELECTION.names())
def test_a_nan_fitness_ranks_below_every_number(name: str) -> None:
    fitness = np.array([0.5, np.nan, 1.0, np.nan, 0.2] * 4)
    fn, kwargs = operators.resolve(OperatorConfig(scheme=name), "selection")
    k = 12 if name == "best" else 400  # the 12 numbers first
    chosen = np.asarray(fn(fitness, k, np.random.default_rng(2), **kwargs))
    assert len(chosen) == k and (chosen >= 0).all() and (chosen < 20).all()
    if name != "random":
        assert np.isnan(fitness[chosen]).mean() < 0.2


def _variation(kind: str, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    params = (("rate", 1.0),) if name != "none" else ()
    fn, kwargs = operators.resolve(OperatorConfig(scheme=name, params=params), kind)
    genomes = np.vstack([np.zeros((3, 6)), np.ones((3, 6))])[[0, 3, 1, 4, 2]]  # 5 rows: the last unpaired
    crossed = fn(genomes, np.random.default_rng(4), **kwargs)
    return genomes, crossed


@pytest.mark.parametrize("name", operators.CROSSOVER.names())
def test_crossover_crosses_pairs_in_place_and_says_which(name: str) -> None:
    genomes, crossed = _variation("crossover", name)
    before = np.vstack([np.zeros((3, 6)), np.ones((3, 6))])[[0, 3, 1, 4, 2]]
    assert crossed is not None and crossed.dtype == bool and crossed.shape == (2,)
    assert (genomes[4] == before[4]).all()  # the odd row out is never touched
    if name == "none":
        assert not crossed.any() and (genomes == before).all()
    else:
        assert crossed.all() and (genomes[:4] != before[:4]).any()
    again, _ = _variation("crossover", name)
    assert again.tobytes() == genomes.tobytes()


@pytest.mark.parametrize("name", operators.MUTATION.names())
def test_mutation_changes_rows_in_place_reproducibly(name: str) -> None:
    genomes, _ = _variation("mutation", name)
    before = np.vstack([np.zeros((3, 6)), np.ones((3, 6))])[[0, 3, 1, 4, 2]]
    assert (genomes == before).all() == (name == "none")
    again, _ = _variation("mutation", name)
    assert again.tobytes() == genomes.tobytes()


def test_operators_leave_global_random_state_alone() -> None:
    random.seed(99)
    np.random.seed(7)  # noqa: NPY002 (on purpose: the legacy global state must not move)
    expected = random.getstate(), np.random.get_state()[1].tobytes()  # noqa: NPY002
    for kind, registry in operators.REGISTRIES.items():
        for name in registry.names():
            fn, kwargs = operators.resolve(OperatorConfig(scheme=name), kind)
            if kind == "selection":
                fn(np.linspace(0, 1, 10), 20, np.random.default_rng(0), **kwargs)
            else:
                fn(np.zeros((4, 3)), np.random.default_rng(0), **kwargs)
    assert (random.getstate(), np.random.get_state()[1].tobytes()) == expected  # noqa: NPY002


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


def test_stream_snapshot_restores_selection_and_variation_exactly() -> None:
    """A checkpoint's stream states (JSON round trip) continue selection and variation draw for draw."""
    import json

    from evo.evolution.streams import STREAMS, Streams

    def breed(streams: Streams) -> bytes:
        picks = operators.selection.tournament_select(np.linspace(0, 1, 50), 40, streams.selection, size=3)
        genomes = np.repeat(picks[:, None], 5, axis=1).astype(np.float64)
        operators.variation.blend_crossover(genomes, streams.variation)
        operators.variation.gaussian_mutation(genomes, streams.variation)
        return picks.tobytes() + genomes.tobytes()

    streams = Streams.from_seed(5)
    breed(streams)
    saved = json.loads(json.dumps(streams.snapshot()))
    assert sorted(saved) == sorted(STREAMS) and all(set(v) == {"numpy"} for v in saved.values())
    first = breed(streams)
    other = Streams.from_seed(5)
    other.restore(saved)
    assert breed(other) == first and first != breed(Streams.from_seed(6))
