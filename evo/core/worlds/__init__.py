"""Grid worlds and world distributions (docs/concepts.md §2): a batch of worlds and its shared tables
(:mod:`.batch`, the one breadth-first search in :mod:`.paths`), fixed layouts (:mod:`.layout`), and drawing
(a distribution's :mod:`.plan`, drawn by :mod:`.draw` from evo's keyed streams, :mod:`.keyed`). Importing
this package loads numpy only; numba is loaded by the first draw or table.

A world is a grid of ``height × width`` cells (walls, one start cell) holding ``K`` objects, each a 0/1
vector over the scenario's features; cells are numbered row-major. Every drawn world is solvable. Objects
may *spawn* another when consumed: each spawned object is drawn with the world as a *hidden* object near
its parent, so ``K`` stays fixed (``spawn[b, k]``: the object ``k`` releases, -1 none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evo.core.worlds.batch import ACTIONS, STAY, WorldBatch, assemble, build_batch, parents
from evo.core.worlds.layout import (
    distances_from,
    layout_zones,
    parse_layout,
    reachable_cells,
    reachable_zone_cells,
)
from evo.core.worlds.plan import SPILL_RADIUS, plan
from evo.errors import EvoError

if TYPE_CHECKING:
    from evo.config.schema import WorldConfig

__all__ = ["ACTIONS", "SPILL_RADIUS", "STAY", "WorldBatch", "build_batch", "distances_from", "from_key",
           "generate", "key_of", "layout_zones", "parents", "parse_layout", "reachable_cells",
           "reachable_zone_cells"]


def key_of(rng: np.random.Generator) -> int:
    """The key of one draw: the next raw 64-bit output of ``rng``'s bit generator (a bit generator's raw
    stream is the part of numpy's randomness its stability policy keeps across releases)."""
    return int(rng.bit_generator.random_raw())


def from_key(cfg: WorldConfig, features: Sequence[str], key: int,
             index: Sequence[int] | NDArray[np.int64]) -> WorldBatch:
    """Worlds ``index`` of the draw keyed ``key`` from the distribution ``cfg`` (world ``i`` depends on
    ``key`` and ``i`` only). Objects come in group order; the objects that spawned objects become follow
    them, in the order of their parents."""
    from evo.core.worlds import draw  # numba, loaded on the first draw

    made = plan(cfg, tuple(features))
    idx = np.asarray(index, dtype=np.int64).reshape(-1)
    walls, start, obj_cell, obj_feat, failed = draw.draw(made, key, idx)
    if failed >= 0:
        raise EvoError(f"could not draw a world with {made.k} reachable cells for the objects in "
                       f"{draw.ATTEMPTS} attempts: lower wall_density or the object count")
    # the spawn links are one row for every world, checked once (on the plan)
    return assemble(walls, start, obj_cell, obj_feat, made.h, made.w, cfg.steps,
                    np.tile(made.spawn_row, (idx.size, 1)))


def generate(cfg: WorldConfig, features: Sequence[str], n: int, rng: np.random.Generator) -> WorldBatch:
    """Draw ``n`` solvable worlds from the distribution ``cfg``: worlds 0 … n − 1 of one key taken from
    ``rng`` (:func:`key_of`, one raw output)."""
    return from_key(cfg, features, key_of(rng), np.arange(n))
