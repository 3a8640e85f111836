"""Replacement schemes are a registry (evo.evolution.replacement.REPLACEMENTS): every registered scheme
keeps the population size and unique ids, and a scheme registered from outside is usable by name in a
scenario."""

from __future__ import annotations

import numpy as np
import pytest

from evo.core.problem import Problem
from evo.errors import ScenarioError
from evo.evolution import loop as evolution
from evo.evolution import replacement
from evo.evolution.loop import evolve
from evo.evolution.replacement import REPLACEMENTS
from evo.evolution.streams import Streams
from evo.runs import scenarios as scenario_mod


def _with(tiny_text: str, line: str):
    return scenario_mod.loads(tiny_text.replace("eval_worlds = 8", f"eval_worlds = 8\n{line}"), "t.toml")


@pytest.mark.parametrize("name", sorted(REPLACEMENTS))
def test_every_replacement_keeps_the_population(tiny_text: str, name: str) -> None:
    s = _with(tiny_text, f'replacement = "{name}"')
    state, book = evolve(Problem.from_scenario(s), Streams.from_seed(1))
    assert state.genomes.shape == (s.evolution.population, 4) and len(book) == s.evolution.generations
    assert len(np.unique(state.ids)) == len(state.ids)
    assert REPLACEMENTS[name].doc  # listed with a one-line description


def test_a_replacement_registered_from_outside_runs_by_name(tiny_text: str, monkeypatch) -> None:
    monkeypatch.setattr(replacement, "REPLACEMENTS", dict(REPLACEMENTS))

    @replacement.register_replacement("clone_the_best", children=lambda e: 0, check=lambda e: None)
    def clone_the_best(problem, state, fitness, order, streams, train, train_batch):  # type: ignore[no-untyped-def]
        """Everyone becomes a copy of the best (no variation): a degenerate scheme for the test."""
        best = int(order[0])
        p = len(fitness)
        return evolution.EvolutionState(state.generation + 1, np.repeat(state.genomes[best:best + 1], p, 0),
                                        np.arange(state.next_id, state.next_id + p),
                                        np.tile([state.ids[best], -1], (p, 1)), state.next_id + p)

    s = _with(tiny_text, 'replacement = "clone_the_best"\nlineage = "off"')
    state, _ = evolve(Problem.from_scenario(s), Streams.from_seed(0))
    assert (state.genomes == state.genomes[0]).all()
    with pytest.raises(ValueError, match="already registered"):
        replacement.register_replacement("clone_the_best", children=lambda e: 0, check=lambda e: None)(
            clone_the_best)


def test_an_unknown_replacement_lists_the_registered_ones(tiny_text: str) -> None:
    with pytest.raises(ScenarioError, match=r"evolution\.replacement.*'generational', 'mu_plus_lambda'"):
        _with(tiny_text, 'replacement = "tournament_of_champions"')
