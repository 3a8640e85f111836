"""World batches drawn as lifetimes (evo.core.lifetimes): a variant drawn per lifetime is shared by the
worlds of one life, groups of one level share the draw, a distribution without such groups is drawn exactly
as by worlds.generate, and the probabilities hold."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from evo.config.schema import ObjectGroup, Variant, WorldConfig
from evo.core import lifetimes, worlds
from evo.errors import EvoError

FEATURES = ("sweet", "bitter", "red", "yellow", "green")


def _season(level: str) -> WorldConfig:
    fruit = ObjectGroup(count=1, variant_per=level, variants=(Variant(p=0.5, features=("sweet", "red")),
                                                              Variant(p=0.5, features=("sweet", "yellow"))))
    unripe = ObjectGroup(count=2, variant_per=level, variants=(Variant(p=0.5, features=("bitter", "yellow")),
                                                               Variant(p=0.5, features=("bitter", "red"))))
    leaves = ObjectGroup(count=2, features={"green": 1.0})
    return WorldConfig(size=(7, 7), wall_density=0.1, steps=10, objects=(fruit, unripe, leaves))


def _fruit_red(batch: worlds.WorldBatch) -> np.ndarray:
    return batch.obj_feat[:, 0, FEATURES.index("red")]


def test_a_lifetime_variant_is_shared_by_the_worlds_of_a_life_and_by_the_groups() -> None:
    batch = lifetimes.generate(_season("lifetime"), FEATURES, 400, np.random.default_rng(3), lifetime=4)
    red = _fruit_red(batch).reshape(100, 4)
    assert (red == red[:, :1]).all()  # one season per life
    # binomial(100, 0.5): sd 0.05, so ±0.2 is 4 sd
    assert abs(red[:, 0].mean() - 0.5) < 0.2
    # the unripe fruit takes variant j too: the other colour, both objects
    unripe_red = batch.obj_feat[:, 1:3, FEATURES.index("red")]
    assert (unripe_red == (1 - _fruit_red(batch))[:, None]).all()
    # the other features are drawn per world: the leaves' cells differ within a life
    assert not (batch.obj_cell.reshape(100, 4, -1) == batch.obj_cell.reshape(100, 4, -1)[:, :1]).all()


def test_a_world_variant_is_shared_by_the_groups_of_one_world_only() -> None:
    batch = lifetimes.generate(_season("world"), FEATURES, 400, np.random.default_rng(4), lifetime=4)
    red = _fruit_red(batch)
    assert (batch.obj_feat[:, 1:3, FEATURES.index("red")] == (1 - red)[:, None]).all()
    lives = red.reshape(100, 4)
    assert (lives != lives[:, :1]).any()  # not per life
    assert abs(red.mean() - 0.5) < 0.1  # binomial(400, 0.5): sd 0.025


def test_object_level_variants_are_drawn_by_worlds_generate_alone() -> None:
    cfg = dataclasses.replace(_season("lifetime"), objects=tuple(
        dataclasses.replace(g, variant_per="object") for g in _season("lifetime").objects))
    a = lifetimes.generate(cfg, FEATURES, 12, np.random.default_rng(5), lifetime=4)
    b = worlds.generate(cfg, FEATURES, 12, np.random.default_rng(5))
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y, f.name
    # per object: the two unripe fruits of one world differ in colour somewhere in the batch
    assert (a.obj_feat[:, 1, 2] != a.obj_feat[:, 2, 2]).any()


def test_worlds_of_a_lifetime_batch_are_solvable_and_seeded() -> None:
    a = lifetimes.generate(_season("lifetime"), FEATURES, 24, np.random.default_rng(6), lifetime=3)
    b = lifetimes.generate(_season("lifetime"), FEATURES, 24, np.random.default_rng(6), lifetime=3)
    assert np.array_equal(a.obj_feat, b.obj_feat) and np.array_equal(a.walls, b.walls)
    from_start = a.dist[np.arange(a.size)[:, None], np.arange(a.n_objects)[None, :], a.start[:, None]]
    assert (from_start <= a.height * a.width).all()


def test_a_batch_must_be_whole_lives() -> None:
    with pytest.raises(EvoError, match="not a whole number of lives of 4 worlds"):
        lifetimes.generate(_season("lifetime"), FEATURES, 10, np.random.default_rng(0), lifetime=4)
