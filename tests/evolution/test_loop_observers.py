"""The evolution loop tells observers of every boundary and generation, in the order given; a stop request
is seen by the observers after it (a checkpoint saves the position) and ends the run on a boundary."""

from __future__ import annotations

import pytest

from evo.core.problem import Problem
from evo.core.state import EvolutionState, Generation
from evo.evolution.loop import Boundary, Checkpoint, Observe, Stopped, StopWhen, evolve
from evo.evolution.streams import Streams


class Recorder(Observe):
    def __init__(self, name: str, log: list[tuple[str, str, int]]) -> None:
        self.name, self.log = name, log

    def at_boundary(self, boundary: Boundary) -> None:
        self.log.append((self.name, "boundary", boundary.state.generation))

    def after_generation(self, state: EvolutionState, generation: Generation) -> None:
        self.log.append((self.name, "generation", state.generation))


def test_observers_see_every_boundary_and_generation_in_order(tiny_scenario) -> None:
    log: list[tuple[str, str, int]] = []
    problem = Problem.from_scenario(tiny_scenario)
    state, book = evolve(problem, Streams.from_seed(0), [Recorder("a", log), Recorder("b", log)])
    g = tiny_scenario.evolution.generations
    assert len(book) == g
    assert [e for e in log if e[1] == "generation"] == [(n, "generation", k) for k in range(g) for n in "ab"]
    assert [e for e in log if e[1] == "boundary"] == [(n, "boundary", k) for k in range(1, g) for n in "ab"]
    plain, _ = evolve(problem, Streams.from_seed(0))
    assert (plain.genomes == state.genomes).all()  # observing changes nothing


def test_a_stop_is_checkpointed_and_ends_on_a_boundary(tiny_scenario) -> None:
    saved: list[int] = []
    asked = {"n": 0}

    def stop() -> bool:
        asked["n"] += 1
        return asked["n"] >= 3

    problem = Problem.from_scenario(tiny_scenario)
    with pytest.raises(Stopped) as info:
        evolve(problem, Streams.from_seed(0),
               [StopWhen(stop), Checkpoint(lambda state, rows: saved.append(state.generation), 2)])
    assert info.value.generation == 3
    assert saved == [2, 3]  # every 2 generations, and at the stop
