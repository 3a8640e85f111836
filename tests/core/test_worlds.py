"""World distributions: seeded, solvable, with the feature probabilities the scenario states."""

from __future__ import annotations

import dataclasses

import numpy as np

from evo.config import schema
from evo.core import worlds
from evo.core.worlds import paths
from evo.runs import scenarios as scenario_mod


def test_generated_worlds_are_solvable_and_seeded(tiny_scenario: schema.Scenario) -> None:
    cfg = tiny_scenario.worlds.train
    a = worlds.generate(cfg, tiny_scenario.features, 50, np.random.default_rng(7))
    b = worlds.generate(cfg, tiny_scenario.features, 50, np.random.default_rng(7))
    assert np.array_equal(a.walls, b.walls) and np.array_equal(a.obj_cell, b.obj_cell)
    from_start = a.dist[np.arange(a.size)[:, None], np.arange(a.n_objects)[None, :], a.start[:, None]]
    assert (from_start <= a.height * a.width).all()
    assert not a.walls[np.arange(a.size)[:, None], a.obj_cell].any()
    assert (a.obj_cell != a.start[:, None]).all()


def test_variant_probabilities_are_respected() -> None:
    s = scenario_mod.load("scenarios/red_door_diverse.toml")
    batch = worlds.generate(s.worlds.train, s.features, 2000, np.random.default_rng(0))
    door = batch.obj_feat[:, 0, :]
    red = door[:, s.features.index("red")]
    assert (door[:, s.features.index("door")] == 1).all()
    assert (red + door[:, s.features.index("blue")] == 1).all()  # exactly one colour per door
    # binomial(2000, 0.5): sd = 0.011, so +-0.05 is over 4 sd
    assert abs(red.mean() - 0.5) < 0.05


def test_fixed_layout_keeps_walls_and_start(tiny_scenario: schema.Scenario) -> None:
    layout = ("#######", "#S....#", "#.###.#", "#.....#", "#######")
    cfg = dataclasses.replace(tiny_scenario.worlds.train, layout=layout)
    batch = worlds.generate(cfg, tiny_scenario.features, 10, np.random.default_rng(1))
    walls, start, h, w = worlds.parse_layout(layout)
    assert (batch.walls == walls).all() and (batch.start == start).all()
    assert (batch.height, batch.width) == (h, w)


def test_blocked_moves_stay_put() -> None:
    layout = ("###", "#S#", "###")
    walls, start, h, w = worlds.parse_layout(layout)
    nb = paths.neighbors(walls[None], h, w)[0]
    assert (nb[start] == start).all()
