"""A batch of grid worlds and the tables every agent shares (docs/concepts.md §2): the container
:class:`WorldBatch`, its assembly from layout arrays (:func:`build_batch`, which computes the tables through
:mod:`evo.core.worlds.paths`) and the spawn links' checks. Pure numpy at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evo.errors import EvoError

#: Moves, in the order agents score them: north, east, south, west, stay.
ACTIONS = ("N", "E", "S", "W", "stay")
STAY = 4


@dataclass(frozen=True, eq=False)
class WorldBatch:
    """``B`` worlds of one distribution, with the per-world tables agents share.

    Attributes: ``walls`` (B, C) bool; ``start`` (B,) cell; ``obj_cell`` (B, K) cell of each object;
    ``obj_feat`` (B, K, F) 0/1 features; ``neighbors`` (B, C, 5) cell reached by N, E, S, W, stay (the same
    cell when blocked); ``dist`` (B, K, C) shortest-path steps from each cell to each object (``unreachable``
    when none); ``next_move`` (B, K, C) first move of a shortest path (ties: N before E before S before W;
    STAY at the object or when unreachable); ``obj_at`` (B, C) object index at a cell or -1; ``spawn``
    (B, K) index of the hidden object that object ``k`` releases when consumed, or -1. ``manhattan``
    (B, K, C), the grid distance from each cell to each object, is computed when asked for (only reflexes
    smell; an agent that plans never reads it).
    """

    height: int
    width: int
    steps: int
    walls: NDArray[np.bool_]
    start: NDArray[np.int64]
    obj_cell: NDArray[np.int64]
    obj_feat: NDArray[np.float64]
    neighbors: NDArray[np.int64]
    dist: NDArray[np.int64]
    next_move: NDArray[np.int64]
    obj_at: NDArray[np.int64]
    spawn: NDArray[np.int64]

    @property
    def size(self) -> int:
        return int(self.walls.shape[0])

    @property
    def manhattan(self) -> NDArray[np.int64]:
        """(B, K, C) ``|row − row_k| + |col − col_k|`` from each cell to each object."""
        return _manhattan(self.obj_cell, self.height, self.width)

    @property
    def n_objects(self) -> int:
        return int(self.obj_cell.shape[1])

    @property
    def unreachable(self) -> int:
        return self.height * self.width + 1

    @property
    def spawns(self) -> bool:
        """Whether any object of the batch releases another when consumed."""
        return bool((self.spawn >= 0).any())

    @property
    def hidden(self) -> NDArray[np.bool_]:
        """(B, K) objects absent at the start: those some other object releases."""
        return parents(self.spawn) >= 0

    def subset(self, index: Sequence[int] | NDArray[np.int64]) -> WorldBatch:
        """The worlds at ``index`` (tables included)."""
        idx = np.asarray(index)
        return WorldBatch(self.height, self.width, self.steps,
                          *(getattr(self, n)[idx] for n in ("walls", "start", "obj_cell", "obj_feat",
                                                           "neighbors", "dist", "next_move", "obj_at",
                                                           "spawn")))


def parents(spawn: NDArray[np.int64]) -> NDArray[np.int64]:
    """(B, K) the object whose consumption releases object ``k``, or -1 (the inverse of ``spawn``)."""
    b, k = spawn.shape
    out = np.full((b, k), -1, dtype=np.int64)
    rows, cols = np.nonzero(spawn >= 0)
    out[rows, spawn[rows, cols]] = cols
    return out


def _manhattan(obj_cell: NDArray[np.int64], h: int, w: int) -> NDArray[np.int64]:
    r, c = np.divmod(np.arange(h * w, dtype=np.int16), np.int16(w))  # sides ≤ 64: int16 is exact
    orow, ocol = np.divmod(obj_cell.astype(np.int16), np.int16(w))
    return (np.abs(r - orow[..., None]) + np.abs(c - ocol[..., None])).astype(np.int64)


def build_batch(walls: NDArray[np.bool_], start: NDArray[np.int64], obj_cell: NDArray[np.int64],
                obj_feat: NDArray[np.float64], height: int, width: int, steps: int,
                spawn: NDArray[np.int64] | None = None) -> WorldBatch:
    """Assemble a batch from its layout arrays and compute the shared tables. Raises if an object is
    unreachable from the start, two objects share a cell, or ``spawn`` (B, K; default: nothing spawns) is
    not a set of links from visible objects to distinct hidden ones."""
    walls = np.asarray(walls, dtype=bool)
    start = np.asarray(start, dtype=np.int64)
    obj_cell = np.asarray(obj_cell, dtype=np.int64)
    b, k = obj_cell.shape
    spawn = np.full((b, k), -1, dtype=np.int64) if spawn is None else np.asarray(spawn, dtype=np.int64)
    check_spawn(spawn, k)
    return assemble(walls, start, obj_cell, obj_feat, height, width, steps, spawn)


def assemble(walls: NDArray[np.bool_], start: NDArray[np.int64], obj_cell: NDArray[np.int64],
           obj_feat: NDArray[np.float64], height: int, width: int, steps: int,
           spawn: NDArray[np.int64]) -> WorldBatch:
    """:func:`build_batch` with ``spawn`` already checked."""
    from evo.core.worlds import paths  # numba, loaded on the first batch built

    neighbors = paths.neighbors(walls, height, width)
    dist, next_move = paths.search(walls, obj_cell, height, width, moves=True)
    assert next_move is not None
    b, k = obj_cell.shape
    from_start = dist[np.arange(b)[:, None], np.arange(k)[None, :], start[:, None]]
    if (from_start > height * width).any():
        raise EvoError("a world has an object the start cannot reach")
    obj_at = np.full((b, height * width), -1, dtype=np.int64)
    np.put_along_axis(obj_at, obj_cell, np.arange(k)[None, :].repeat(b, 0), axis=1)
    if ((obj_at >= 0).sum(axis=1) != k).any() or (obj_cell == start[:, None]).any():
        raise EvoError("objects must occupy distinct cells other than the start")
    return WorldBatch(height, width, steps, walls, start, obj_cell, np.asarray(obj_feat, dtype=np.float64),
                      neighbors, dist, next_move, obj_at, spawn)


def check_spawn(spawn: NDArray[np.int64], k: int) -> None:
    """Each link points at another object, no object is released twice, and a released object releases
    nothing (no chains: every hidden object has a visible parent)."""
    if spawn.ndim != 2 or spawn.shape[1] != k or ((spawn < -1) | (spawn >= k)).any():
        raise EvoError(f"spawn must be (B, {k}) object indices or -1")
    linked = spawn >= 0
    if (spawn == np.arange(k)).any():
        raise EvoError("an object cannot release itself")
    rows, cols = np.nonzero(linked)
    if rows.size and np.bincount(rows * k + spawn[rows, cols]).max() > 1:
        raise EvoError("two objects release the same hidden object")
    hidden = parents(spawn) >= 0
    if (linked & hidden).any():
        raise EvoError("a released object cannot release another (no spawn chains)")
