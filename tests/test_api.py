"""The Python API's face: evo.evolve in memory gives the numbers evo.run writes; RunResult and Evolved have
typed accessors and a one-line repr; load_run and resume are on the package."""

from __future__ import annotations

from pathlib import Path

import evo


def test_evolve_in_memory_gives_the_numbers_run_writes(tiny_scenario, tmp_path: Path) -> None:
    before = set(tmp_path.iterdir())
    ev = evo.evolve(tiny_scenario, seed=2)
    assert set(tmp_path.iterdir()) == before  # nothing written
    r = evo.run(tiny_scenario, seed=2, out=tmp_path / "run", figures=False)
    assert ev.train_fitness == r.train_fitness and ev.shift_fitness == r.shift_fitness
    assert ev.behaviour_classes == r.behaviour_classes
    assert ev.champion_objective == r.champion_objective
    assert len(ev.log) == tiny_scenario.evolution.generations
    loaded = evo.load_run(tmp_path / "run")
    assert loaded.summary == r.summary


def test_reprs_are_one_short_line(tiny_scenario, tmp_path: Path) -> None:
    ev = evo.evolve(tiny_scenario, seed=0)
    r = evo.run(tiny_scenario, seed=0, out=tmp_path / "run", figures=False)
    for text in (repr(ev), repr(r)):
        assert "\n" not in text and len(text) < 300 and "tiny seed 0" in text and "blue_doors" in text


def test_the_package_face_lists_what_it_offers() -> None:
    for name in ("evolve", "run", "resume", "load_run", "load_scenario", "register_agent_kind", "Evolved",
                 "RunResult"):
        assert name in evo.__all__ and getattr(evo, name) is not None
