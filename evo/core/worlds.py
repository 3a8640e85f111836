"""Grid worlds and world distributions (docs/concepts.md §2). Pure numpy: no I/O, no DEAP, no plotting.

A world is a grid of ``height × width`` cells (walls, one start cell) holding ``K`` objects, each a 0/1
vector over the scenario's features. Worlds of one distribution share ``K`` and the grid size, so a batch of
``B`` worlds is a set of arrays. Cells are numbered row-major: ``cell = row * width + col``.

Everything an agent needs that does not depend on the agent is computed once per world here: the cell
reached by each move, the shortest-path distance from every cell to every object, the first move of a
shortest path, and the Manhattan distance (for reflex agents' scent). Every generated world is solvable: each
object lies in the start's connected component, by construction and checked.

Objects may *spawn* another when consumed (a tipped bin spills trash: ``spawns`` in a scenario's object
group). Every spawned object is allocated when the world is drawn, as a *hidden* object on its own cell near
its parent, so ``K`` stays fixed and every table covers it; ``spawn[b, k]`` is the index of the object that
object ``k`` releases (-1: none). Hidden objects are absent until their parent is consumed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evo.core import choice
from evo.errors import EvoError

if TYPE_CHECKING:
    from evo.config.schema import WorldConfig

#: Moves, in the order agents score them: north, east, south, west, stay.
ACTIONS = ("N", "E", "S", "W", "stay")
STAY = 4
_DELTAS = ((-1, 0), (0, 1), (1, 0), (0, -1))
_MAX_ATTEMPTS = 200
#: numpy's choice(pop, m, replace=False) samples by Floyd's algorithm up to this population (beyond it, when
#: m > pop / 50, by a partial shuffle, which the compiled draw does not reproduce)
_FLOYD_ONLY = 10_000


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


def parse_layout(layout: Sequence[str]) -> tuple[NDArray[np.bool_], int, int, int]:
    """``(walls (C,), start cell, height, width)`` of a layout given as rows of ``#`` (wall), ``.`` (free),
    ``S`` (the start) and lowercase letters (free cells of a named zone, see :func:`layout_zones`). Cells
    outside the layout's border are treated as walls by the move table."""
    h, w = len(layout), len(layout[0])
    walls = np.array([[ch == "#" for ch in row] for row in layout], dtype=bool).reshape(-1)
    start = next(r * w + c for r, row in enumerate(layout) for c, ch in enumerate(row) if ch == "S")
    return walls, start, h, w


def layout_zones(layout: Sequence[str]) -> dict[str, NDArray[np.int64]]:
    """The cells of each zone of a layout: a lowercase letter marks a free cell of the zone it names. An
    object group with ``zone = "v"`` is placed on ``v`` cells only."""
    zones: dict[str, list[int]] = {}
    width = len(layout[0])
    for r, row in enumerate(layout):
        for c, ch in enumerate(row):
            if "a" <= ch <= "z":
                zones.setdefault(ch, []).append(r * width + c)
    return {z: np.array(cells, dtype=np.int64) for z, cells in sorted(zones.items())}


def reachable_zone_cells(layout: Sequence[str]) -> dict[str, int]:
    """Number of cells of each zone the start of a fixed layout reaches."""
    walls, start, h, w = parse_layout(layout)
    comp = _reach(walls[None], np.array([start]), h, w)[0]
    return {z: int(comp[cells].sum()) for z, cells in layout_zones(layout).items()}


def reachable_cells(layout: Sequence[str]) -> int:
    """Number of free cells other than the start reachable from the start of a fixed layout."""
    walls, start, h, w = parse_layout(layout)
    return int(_reach(walls[None], np.array([start]), h, w)[0].sum()) - 1


# ------------------------------------------------------------------------------------------------------
# tables: array operations over the whole batch, on the grid padded with a ring of walls


def _padded(a: NDArray[Any], h: int, w: int, fill: Any) -> NDArray[Any]:
    """``a`` (…, H·W) as (…, H+2, W+2) with a ring of ``fill`` around the grid."""
    out = np.full((*a.shape[:-1], h + 2, w + 2), fill, dtype=a.dtype)
    out[..., 1:-1, 1:-1] = a.reshape(*a.shape[:-1], h, w)
    return out


def _neighbors(walls: NDArray[np.bool_], h: int, w: int) -> NDArray[np.int64]:
    """(…, C, 5) cell reached by each move (N, E, S, W, stay) from each cell; blocked moves stay put."""
    if walls.ndim == 2 and choice.resolve(None) == "compiled":  # the same table from numba's kernel
        from evo.core import kernels

        table = np.empty((walls.shape[0], h * w, 5), dtype=np.int64)
        kernels.neighbors(np.ascontiguousarray(walls, dtype=bool), h, w, table)
        return table
    cells = np.arange(h * w, dtype=np.int64).reshape(h, w)
    blocked_by = _padded(walls, h, w, True)
    out = np.empty((*walls.shape[:-1], h, w, 5), dtype=np.int64)
    out[..., STAY] = cells
    for d, (dr, dc) in enumerate(_DELTAS):
        blocked = blocked_by[..., 1 + dr:h + 1 + dr, 1 + dc:w + 1 + dc]
        out[..., d] = np.where(blocked, cells, cells + (dr * w + dc))
    return out.reshape(*walls.shape[:-1], h * w, 5)


def _grid_search(walls: NDArray[np.bool_], sources: NDArray[np.int64], h: int, w: int,
                 distances: bool, moves: bool = False) -> Any:
    """Breadth-first search from every source of every world at once: ``walls`` (B, C), ``sources``
    (B, S) cells. Returns the reached cells (B, S, C) bool; or (``distances``) the steps from each source
    (B, S, C), ``C + 1`` where unreachable; with ``moves``, also the first move of a shortest path to the
    source (B, S, C): the first of N, E, S, W whose cell the previous wave reached, STAY at the source and
    where unreachable. A source on a wall reaches nothing (no move enters a wall).

    Bit-parallel: the B·S grids are the bits of one Python integer, each grid H+1 rows of W+1 bits whose
    last row and column are a margin that is never free, so a move is a shift by 1 (E, W) or W+1 (N, S)
    and every wave of every search is a few integer operations. A cell's distance is the wave that reached
    it, kept in binary as bit planes (plane j: the cells whose wave has bit j set); its first move too
    (N 0, E 1, S 2, W 3, STAY 4)."""
    b, s = sources.shape
    c = h * w
    if choice.resolve(None) == "compiled":  # the same tables from numba's kernel (evo/core/kernels.py)
        from evo.core import kernels

        dist = np.empty((b, s, c), dtype=np.int64)
        first = np.empty((b, s, c) if moves else (1, 1, 1), dtype=np.int64)
        kernels.grid_search(np.ascontiguousarray(walls, dtype=bool),
                            np.ascontiguousarray(sources, dtype=np.int64), h, w, moves, dist, first)
        if not distances:
            return dist <= c
        return (dist, first) if moves else dist
    grids = b * s
    wp = w + 1
    n_bits = grids * (h + 1) * wp
    cell = np.zeros((grids, h + 1, wp), dtype=bool)
    cell[:, :h, :w] = np.repeat(~walls.reshape(b, h, w), s, axis=0)
    free = _to_int(cell)
    rows, cols = np.divmod(sources.reshape(-1), w)
    wave = 0
    for bit in ((np.arange(grids) * (h + 1) + rows) * wp + cols).tolist():
        wave |= 1 << bit
    wave &= free  # wave 0: the sources
    unseen = free ^ wave
    planes: list[int] = []
    code = [0, 0, 0]  # the move's bits 0 and 1 (E 01, S 10, W 11); bit 2, STAY, is the rest
    seeds = wave
    wave_no = 0
    while wave:
        north, east, south, west = wave << wp, wave >> 1, wave >> wp, wave << 1  # its neighbour there
        wave = (north | east | south | west) & unseen
        if not wave:
            break
        unseen ^= wave
        wave_no += 1
        if distances:
            while len(planes) < wave_no.bit_length():
                planes.append(0)
            for bit in range(wave_no.bit_length()):
                if (wave_no >> bit) & 1:
                    planes[bit] |= wave
        if moves:  # the first of N, E, S, W whose neighbour is in the previous wave
            not_n = wave ^ (wave & north)  # E, S or W
            not_ne = not_n ^ (not_n & east)  # S or W
            code[0] |= not_n ^ (not_ne & south)  # E or W
            code[1] |= not_ne
    planes_all = [free ^ unseen]
    if distances:
        planes_all += planes
    if moves:
        planes_all += [code[0], code[1], ((1 << n_bits) - 1) ^ (free ^ unseen ^ seeds)]  # STAY: no wave
    bits = _unpack(planes_all, n_bits, grids, h, w)  # (planes, grids, C), one decode for all
    reached = bits[0].reshape(b, s, c).view(bool)
    if not distances:
        return reached
    steps = np.zeros((grids, c), dtype=np.int16)  # distances < C + 1 ≤ 4097
    for j in range(len(planes)):
        steps |= bits[1 + j].astype(np.int16) << np.int16(j)
    dist = np.where(reached, steps.reshape(b, s, c), np.int16(c + 1)).astype(np.int64)
    if not moves:
        return dist
    m = bits[len(planes) + 1:]
    first = (m[0] | (m[1] << np.uint8(1)) | (m[2] << np.uint8(2))).reshape(b, s, c).astype(np.int64)
    return dist, first


def _unpack(planes: list[int], n_bits: int, grids: int, h: int, w: int) -> NDArray[np.uint8]:
    """(planes, grids, H·W) 0/1: each plane's bits, laid out as :func:`_grid_search` lays out its grids,
    without the margins."""
    n_bytes = (n_bits + 7) // 8
    raw = np.frombuffer(b"".join(x.to_bytes(n_bytes, "little") for x in planes), dtype=np.uint8)
    bits = np.unpackbits(raw.reshape(len(planes), n_bytes), axis=1, count=n_bits, bitorder="little")
    out: NDArray[np.uint8] = np.ascontiguousarray(
        bits.reshape(len(planes), grids, h + 1, w + 1)[:, :, :h, :w]).reshape(len(planes), grids, h * w)
    return out


def _to_int(bits: NDArray[np.bool_]) -> int:
    """The bits of ``bits`` (flattened, element i → bit i) as one Python integer."""
    return int.from_bytes(np.packbits(bits.reshape(-1), bitorder="little").tobytes(), "little")


def _reach(walls: NDArray[np.bool_], start: NDArray[np.int64], h: int, w: int) -> NDArray[np.bool_]:
    """(B, C) cells reachable from each world's start (the start included when it is free)."""
    out: NDArray[np.bool_] = _grid_search(walls, start[:, None], h, w, False)[:, 0]
    return out


def shortest_paths(neighbors: NDArray[np.int64], walls: NDArray[np.bool_], obj_cell: NDArray[np.int64]
                   ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distances (B, K, C) from every cell to every object and the first move of a shortest path, for any
    move table ``neighbors`` (B, C, 5): a breadth-first wave for all worlds and objects at once (a free
    cell joins wave d + 1 when one of its moves lands on wave d; walls are unreachable)."""
    b, c = walls.shape
    k = obj_cell.shape[1]
    inf = c + 1
    into = (np.arange(b)[:, None, None] * c + neighbors[..., :4]).reshape(-1)  # (B·C·4) flat cells
    seen = np.zeros((b, c, k), dtype=bool)  # cells × objects, so that one gather serves every object
    seen[np.arange(b)[:, None], obj_cell, np.arange(k)[None, :]] = True
    free = ~walls[..., None]
    steps = np.zeros((b, c, k), dtype=np.int64)
    while True:
        steps += ~seen
        wave = seen.reshape(b * c, k)[into].reshape(b, c, 4, k).any(axis=2) & free & ~seen
        if not wave.any():
            break
        seen |= wave
    dist = np.where(seen & free, steps, inf).transpose(0, 2, 1)
    around = dist[np.arange(b)[:, None, None, None], np.arange(k)[None, :, None, None],
                  neighbors[:, None, :, :4]]  # (B, K, C, 4)
    moved = (neighbors[..., :4] != np.arange(c)[None, :, None])[:, None]
    steps_down = moved & (around == (dist - 1)[..., None]) & (dist > 0)[..., None] & (dist < inf)[..., None]
    next_move = np.where(steps_down.any(axis=-1), steps_down.argmax(axis=-1), STAY)
    return np.ascontiguousarray(dist), next_move


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
    _check_spawn(spawn, k)
    return _build(walls, start, obj_cell, obj_feat, height, width, steps, spawn)


def _build(walls: NDArray[np.bool_], start: NDArray[np.int64], obj_cell: NDArray[np.int64],
           obj_feat: NDArray[np.float64], height: int, width: int, steps: int,
           spawn: NDArray[np.int64]) -> WorldBatch:
    """:func:`build_batch` with ``spawn`` already checked."""
    neighbors = _neighbors(walls, height, width)
    dist, next_move = _grid_search(walls, obj_cell, height, width, True, moves=True)
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


def _check_spawn(spawn: NDArray[np.int64], k: int) -> None:
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


# ------------------------------------------------------------------------------------------------------
# drawing worlds
#
# The draws, world after world, are those of this per-world procedure (the *exact path*, which
# :func:`_draw_exact` runs with the Generator itself):
#
#   attempt (up to 200): walls ← border | random(H·W) < wall_density, redrawn at once when all are walls;
#       start ← choice(free cells); cells ← the start's component without the start; retry if < K cells
#       (a fixed layout draws nothing here);
#   objects ← choice(cells, K_visible, replace=False), or per zone then the rest (fixed layouts);
#   features, object by object: one random() per variant group object, random(len(features)) otherwise;
#   spawned objects, in parent order: integers(#free cells within SPILL_RADIUS path steps of the parent).
#
# For numpy's default bit generator (PCG64) :func:`generate` reproduces these draws from the raw 64-bit
# stream for all worlds of a batch at once. What numpy does with the stream (numpy/random/_generator.pyx
# and distributions.c): random() is one 64-bit output, (x >> 11)·2⁻⁵³; every bounded integer below 2³² —
# the start, Floyd's sampling without replacement and its shuffle inside choice, integers — is Lemire's
# method on a 32-bit draw, and 32-bit draws take the low then the high half of one 64-bit output (the
# high half waits in the bit generator's state, across other draws); a bound of 1 draws nothing. So where
# every draw of a world lies in the stream follows from how many doubles and 32-bit draws come before it.
# A *round* assumes that each of the next worlds succeeds at its attempt and no Lemire draw is rejected,
# lays out every draw of all of them at once, computes all those worlds by array operations, and keeps
# them up to the first world where the assumption fails. That world's attempt is then retried from its
# true position (a failed attempt) or drawn on the exact path (a rejected Lemire draw, a bound of 1 where
# a draw was assumed: rare), and the next round starts after it. On the compiled engine
# (:func:`_draw_compiled`) a numba kernel runs the per-world procedure itself on the raw stream instead,
# world after world: no assumption, nothing to retry.

_Group = tuple[int, int, NDArray[np.float64] | None, NDArray[np.float64], NDArray[np.int64],
               NDArray[np.float64] | None]
_D, _U = False, True  # a draw of a double (one 64-bit output), a 32-bit draw
_TWO_53 = 1.0 / 9007199254740992.0


@dataclass(frozen=True, eq=False)
class _Plan:
    """Everything about a world distribution that does not depend on the draws."""

    cfg: WorldConfig
    n_features: int
    h: int
    w: int
    k_visible: int
    k: int
    parents: tuple[int, ...]
    spawn_row: NDArray[np.int64]
    child_feat: NDArray[np.float64]
    zone_of: tuple[str, ...]
    border: NDArray[np.bool_]
    #: per object group: (first object, count, variant matrix (V, F) or None, the variants' cdf or each
    #: feature's probability, the feature columns, the variants' normalised p or None)
    groups: tuple[_Group, ...]
    n_doubles: int  # feature doubles per world
    # fixed layouts
    fixed_walls: NDArray[np.bool_] | None
    fixed_start: int
    fixed_cells: NDArray[np.int64] | None  # the start's component without the start
    #: (objects, pool or None for "the cells left", population, count) per choice call
    calls: tuple[tuple[tuple[int, ...], NDArray[np.int64] | None, int, int], ...]
    exact_only: bool  # something the rounds do not reproduce (an error the exact path raises)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, cfg: WorldConfig, features: Sequence[str]) -> _Plan:
        index = {f: i for i, f in enumerate(features)}
        spawns = [g.spawns for g in cfg.objects for _ in range(g.count)]
        k_visible = len(spawns)
        parents_ = tuple(i for i, sp in enumerate(spawns) if sp)
        k = k_visible + len(parents_)
        spawn_row = np.full(k, -1, dtype=np.int64)
        spawn_row[list(parents_)] = np.arange(k_visible, k)
        child_feat = np.zeros((len(parents_), len(features)))
        for j, i in enumerate(parents_):
            child_feat[j, [index[f] for f in spawns[i]]] = 1.0
        zone_of = tuple(g.zone for g in cfg.objects for _ in range(g.count))
        exact_only = False
        groups: list[_Group] = []
        first = n_doubles = 0
        for g in cfg.objects:
            if g.variants:
                p = np.array([v.p for v in g.variants])
                p = p / p.sum()
                try:  # choice's own checks of p, on a throwaway generator: the exact path raises them
                    np.random.Generator(np.random.PCG64(0)).choice(len(p), p=p)
                except ValueError:
                    exact_only = True
                cdf = p.cumsum()  # as choice computes it
                cdf /= cdf[-1]
                matrix = np.zeros((len(p), len(features)))
                for r, v in enumerate(g.variants):
                    matrix[r, [index[f] for f in v.features]] = 1.0
                groups.append((first, g.count, matrix, cdf, np.zeros(0, dtype=np.int64), p))
                n_doubles += g.count
            else:
                cols = np.array([index[f] for f in g.features], dtype=np.int64)
                groups.append((first, g.count, None, np.array(list(g.features.values()), dtype=np.float64),
                               cols, None))
                n_doubles += g.count * len(cols)
            first += g.count
        if cfg.layout:
            walls, start, h, w = parse_layout(cfg.layout)
            comp = _reach(walls[None], np.array([start]), h, w)[0]
            comp[start] = False
            cells: NDArray[np.int64] | None = np.flatnonzero(comp)
        else:
            h, w = cfg.size
            walls, start, cells = None, -1, None
        border: NDArray[np.bool_] = np.zeros((h, w), dtype=bool)
        border[[0, -1], :] = border[:, [0, -1]] = True
        calls: list[tuple[tuple[int, ...], NDArray[np.int64] | None, int, int]] = []
        if any(zone_of):
            if cfg.layout is None or cells is None:
                raise EvoError("zones are letters of a fixed layout, and this distribution has none")
            zones = layout_zones(cfg.layout)
            left = cells.size
            for z in dict.fromkeys(x for x in zone_of if x):
                objs = tuple(j for j, x in enumerate(zone_of) if x == z)
                pool = np.intersect1d(zones[z], cells) if z in zones else np.zeros(0, dtype=np.int64)
                calls.append((objs, pool, pool.size, len(objs)))
                left -= len(objs)
                exact_only |= z not in zones or pool.size < len(objs)
            rest = tuple(j for j, x in enumerate(zone_of) if not x)
            if rest:
                calls.append((rest, None, left, len(rest)))
                exact_only |= left < len(rest)
        elif cells is not None:
            calls.append((tuple(range(k_visible)), cells, cells.size, k_visible))
        if cells is not None and cells.size < k:
            exact_only = True  # the exact path gives up after its attempts, as documented
        return cls(cfg, len(features), h, w, k_visible, k, parents_, spawn_row, child_feat, zone_of,
                   border.reshape(-1), tuple(groups), n_doubles, walls, start, cells, tuple(calls),
                   exact_only)

    def check(self) -> None:
        """The spawn links every world of this distribution gets are valid (:func:`_check_spawn`)."""
        _check_spawn(self.spawn_row[None, :], self.k)

    def template(self) -> tuple[NDArray[np.bool_], dict[str, slice]]:
        """The kinds of one world's draws in stream order (True: 32-bit) and where each part lies."""
        if "template" not in self._cache:
            self._cache["template"] = self._template()
        out: tuple[NDArray[np.bool_], dict[str, slice]] = self._cache["template"]
        return out

    def world_layout(self) -> tuple[NDArray[Any], ...]:
        """One world's draws laid out on the stream, for a start without (row 0) and with (row 1) a high
        half waiting: per draw (2, E) whether it takes a new output, the outputs used up to and including
        it, and the output (relative, -1: none yet) whose high half is waiting after it."""
        if "layout" not in self._cache:
            kinds, _ = self.template()
            u_before: NDArray[np.int64] = np.cumsum(kinds) - kinds
            fresh = kinds[None, :] & ((u_before[None, :] + np.array([[0], [1]])) % 2 == 0)
            used = np.cumsum(~kinds[None, :] | fresh, axis=1)
            held = np.maximum.accumulate(np.where(fresh, used - 1, -1), axis=1) if kinds.size else used
            self._cache["layout"] = (fresh, used, held)
        out: tuple[NDArray[Any], ...] = self._cache["layout"]
        return out

    def kernel_args(self) -> tuple[Any, ...]:
        """The distribution as :func:`evo.core.kernels.draw_worlds` takes it: border, wall density, the
        fixed layout (empty: random walls) and start, the visible objects, the choice calls (objects
        per call, what each draws from, the pools), feature doubles per world, parents, spill radius."""
        if "kernel" not in self._cache:
            if self.fixed_walls is None:
                calls = [(tuple(range(self.k_visible)), 0, np.zeros(0, dtype=np.int64))]
            else:
                none = np.zeros(0, dtype=np.int64)
                calls = [(objs, 2, none) if pool is None else (objs, 1, pool)
                         for objs, pool, _, _ in self.calls]
            at = np.cumsum([0] + [len(o) for o, _, _ in calls]).astype(np.int64)
            objs = np.array([j for o, _, _ in calls for j in o], dtype=np.int64)
            pool_at = np.cumsum([0] + [p.size for _, _, p in calls]).astype(np.int64)
            pools = np.concatenate([p for _, _, p in calls]).astype(np.int64)
            fixed = (np.zeros(0, dtype=bool) if self.fixed_walls is None
                     else np.ascontiguousarray(self.fixed_walls, dtype=bool))
            self._cache["kernel"] = (
                np.ascontiguousarray(self.border), float(self.cfg.wall_density), fixed,
                int(self.fixed_start), self.k_visible, at, objs,
                np.array([kind for _, kind, _ in calls], dtype=np.int64), pool_at, pools, self.n_doubles,
                np.array(self.parents, dtype=np.int64), SPILL_RADIUS)
        out: tuple[Any, ...] = self._cache["kernel"]
        return out

    def _template(self) -> tuple[NDArray[np.bool_], dict[str, slice]]:
        parts: list[tuple[str, bool, int]] = []
        if self.fixed_walls is None:
            m = self.k_visible
            parts += [("walls", _D, self.h * self.w), ("start", _U, 1), ("place", _U, m + max(m - 1, 0))]
        else:
            parts.append(("place", _U, sum(_floyd_draws(pop, m) + max(m - 1, 0)
                                          for _, _, pop, m in self.calls)))
        parts += [("features", _D, self.n_doubles), ("spawn", _U, len(self.parents))]
        kinds, where, at = [], {}, 0
        for name, kind, n in parts:
            kinds += [kind] * n
            where[name] = slice(at, at + n)
            at += n
        return np.array(kinds, dtype=bool), where


_PLANS: dict[tuple[int, tuple[str, ...]], tuple[WorldConfig, WorldConfig, _Plan]] = {}


def _plan(cfg: WorldConfig, features: tuple[str, ...]) -> _Plan:
    """The plan of ``cfg``, kept for the last few distributions drawn from (a run draws from the same few
    every generation). An entry holds the config object (so its id stays its key) and a copy it must
    still equal (a frozen config can hold a dict, which could have been changed since)."""
    key = (id(cfg), features)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is cfg and hit[1] == cfg:
        return hit[2]
    plan = _Plan.of(cfg, features)
    plan.check()
    if len(_PLANS) >= 32:
        _PLANS.clear()
    _PLANS[key] = (cfg, copy.deepcopy(cfg), plan)
    return plan


def _floyd_draws(pop: int, m: int) -> int:
    """32-bit draws of Floyd's algorithm for ``m`` of ``pop``: one per j in pop − m … pop − 1, none for 0."""
    return m - 1 if pop == m and m > 0 else m


#: (m, m) pairs s < t, for m ≤ 32
_UPPER = {m: np.triu(np.ones((m, m), dtype=bool), 1) for m in range(33)}
_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_TWO_32 = np.uint64(1 << 32)


def _lemire(u: NDArray[np.uint64], bound: NDArray[np.int64] | int
            ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """numpy's bounded draw in [0, bound) from the 32-bit draw ``u`` (Lemire's method), and whether numpy
    rejects ``u`` (and draws again: the round's layout of the stream no longer holds). A bound below 1
    counts as 1 (rows the round discards anyway)."""
    n = np.maximum(bound, 1).astype(np.uint64)
    m = u * n
    rejected: NDArray[np.bool_] = np.asarray((m & _LOW) < _TWO_32 % n)
    return (m >> _SHIFT).astype(np.int64), rejected


def _sample(u: NDArray[np.uint64], pop: NDArray[np.int64] | int, m: int, width: int
            ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Generator.choice(pop, m, replace=False) for every row at once from its 32-bit draws ``u`` (rows,
    draws): Floyd's algorithm (for j in pop − m … pop − 1: v uniform in [0, j], v if not yet picked, else
    j), then the shuffle of the m picks (for i in m − 1 … 1: swap i with a uniform [0, i]). Returns the
    picked indices (rows, m) and whether a draw was rejected. ``width`` bounds every population."""
    n_rows = u.shape[0]
    rows = np.arange(n_rows)
    idx = np.empty((n_rows, m), dtype=np.int64)
    if m == 0:
        return idx, np.zeros(n_rows, dtype=bool)
    j = np.asarray(pop, dtype=np.int64)[..., None] - m + np.arange(m)  # (rows, m) or (m,)
    skip = np.ndim(pop) == 0 and int(pop) == m  # j = 0 first: a bound of 1, nothing drawn
    floyd = m - 1 if skip else m
    val, rejected = _lemire(u[:, :floyd], j[..., 1:] + 1 if skip else j + 1)
    if skip:
        val = np.concatenate([np.zeros((n_rows, 1), dtype=np.int64), val], axis=1)
    j = np.broadcast_to(j, (n_rows, m))
    if m <= 32 and not (val[:, :, None] == val[:, None, :])[:, _UPPER[m]].any():
        idx[:] = val  # no value drawn twice: every pick is its value
    else:
        taken = np.zeros((n_rows, max(width, 1)), dtype=bool)
        for t in range(m):
            v = val[:, t]
            pick = np.where(taken[rows, v], j[:, t], v)
            idx[:, t] = pick
            taken[rows, pick] = True
    swaps, rej = _lemire(u[:, floyd:floyd + m - 1], np.arange(m, 1, -1))
    for col, i in enumerate(range(m - 1, 0, -1)):
        jj = swaps[:, col]
        other = idx[rows, jj]
        idx[rows, jj] = idx[:, i]
        idx[:, i] = other
    return idx, np.asarray(rejected.any(axis=1) | rej.any(axis=1))


def _nth(mask: NDArray[np.bool_], n: NDArray[np.int64]) -> NDArray[np.int64]:
    """Per row, the column of the ``n``-th (0-based) True of ``mask`` (rows, C), for ``n`` below the row's
    count (other rows get some column)."""
    flat = np.flatnonzero(mask)
    if flat.size == 0:
        return np.zeros(n.shape, dtype=np.int64)
    counts = mask.sum(axis=1)
    first = np.cumsum(counts) - counts
    at = first[(slice(None),) + (None,) * (n.ndim - 1)] + n  # n >= 0
    np.minimum(at, flat.size - 1, out=at)
    return flat[at] % mask.shape[1]


class _Stream:
    """The raw 64-bit outputs of a Generator's PCG64 from its state at the start (``base``) on, read ahead
    as needed from the bit generator itself. A position is (outputs used, a high half waiting, the last
    high half kept); :meth:`seek` puts the bit generator there (reading ahead no longer continues then)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.bit_generator: Any = rng.bit_generator
        self.base: dict[str, Any] = dict(self.bit_generator.state)
        self.raw = np.empty(0, dtype=np.uint64)
        self.origin = (0, bool(self.base["has_uint32"]), int(self.base["uinteger"]))

    def need(self, n: int) -> None:
        if n > self.raw.size:
            more = max(n - self.raw.size, self.raw.size, 1024)
            self.raw = np.concatenate([self.raw, self.bit_generator.random_raw(more)])

    def seek(self, pos: tuple[int, bool, int]) -> None:
        bg = self.bit_generator
        bg.state = self.base
        bg.advance(pos[0])
        state = bg.state
        state["has_uint32"], state["uinteger"] = int(pos[1]), int(pos[2])
        bg.state = state


_Positions = tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.uint64]]


def _chain(plan: _Plan, stream: _Stream, pos: tuple[int, bool, int], n: int) -> _Positions:
    """Where each of ``n`` worlds starts in the stream (output index, high half waiting, the high half
    kept) if each, from ``pos``, takes exactly the draws of the template (one successful attempt)."""
    _, used, held = plan.world_layout()
    p0, has0, buf0 = pos
    n_u = int(plan.template()[0].sum())
    has = (has0 + n_u * np.arange(n)) % 2 == 1
    spent = used[:, -1] if used.shape[1] else np.zeros(2, dtype=np.int64)
    p = p0 + np.concatenate([[0], np.cumsum(spent[has[:-1].astype(np.int64)])]).astype(np.int64)
    stream.need(int(p[-1] + spent.max()) + 1)
    last = held[has[:-1].astype(np.int64), -1] if held.shape[1] else np.full(n - 1, -1)
    kept = np.full(n, np.uint64(buf0))
    if n > 1:
        high = stream.raw[np.maximum(p[:-1] + last, 0)] >> _SHIFT
        src = np.maximum.accumulate(np.where(last >= 0, np.arange(n - 1), -1))
        kept[1:] = np.where(src >= 0, high[np.maximum(src, 0)], np.uint64(buf0))
    return p, has, kept


@dataclass
class _Round:
    """Worlds ``[0, done)`` of a round, and where world ``done`` (drawn on the exact path, when
    ``exact``) or the next round starts; ``attempts``: failed attempts of world ``done`` so far."""

    walls: NDArray[np.bool_]
    start: NDArray[np.int64]
    obj_cell: NDArray[np.int64]
    obj_feat: NDArray[np.float64]
    done: int
    exact: bool
    pos: tuple[int, bool, int]
    attempts: int


def _attempts(plan: _Plan, stream: _Stream, pos: tuple[int, bool, int], n: int
              ) -> tuple[_Positions, NDArray[np.bool_], NDArray[np.int64], NDArray[np.bool_], int,
                         NDArray[np.int64]]:
    """Phase A of a round (random grids): the walls, start and reachable cells of each of ``n`` worlds,
    retrying failed attempts: each retry re-chains the worlds after it from where the failed attempt ends.
    Returns the worlds' positions, walls, starts, reachable cells without the start, how many worlds
    resolved (fewer than ``n`` when a start draw is rejected: that world takes the exact path; negated
    when the next world ran out of attempts: it is drawn again by the next round) and the failed attempts
    per world."""
    h, w, c, k = plan.h, plan.w, plan.h * plan.w, plan.k
    p, has, kept = _chain(plan, stream, pos, n)
    walls = np.empty((n, c), dtype=bool)
    start = np.empty(n, dtype=np.int64)
    comp = np.empty((n, c), dtype=bool)
    failed = np.zeros(n, dtype=np.int64)
    lo = 0
    cells = np.arange(c)
    while lo < n:
        pw, hw_, kw = p[lo:], has[lo:], kept[lo:]
        wl = plan.border[None, :] | ((stream.raw[pw[:, None] + cells] >> np.uint64(11)) * _TWO_53
                                     < plan.cfg.wall_density)
        n_free = c - wl.sum(axis=1)
        u = np.where(hw_, kw, stream.raw[pw + c] & _LOW)  # the start's 32-bit draw
        pick, rejected = _lemire(u, n_free)
        st = _nth(~wl, np.minimum(pick, np.maximum(n_free - 1, 0)))
        reach = _reach(wl, st, h, w)
        rows = np.arange(pw.size)
        reach[rows, st] = False
        short = (n_free == 0) | (reach.sum(axis=1) < k)
        odd = ~short & (((n_free > 1) & rejected) | (n_free == 1))  # the draw the template assumed differs
        walls[lo:], start[lo:], comp[lo:] = wl, st, reach
        bad = np.flatnonzero(short | odd)
        if bad.size == 0:
            return (p, has, kept), walls, start, comp, n, failed
        f = int(bad[0])
        if odd[f]:
            return (p, has, kept), walls, start, comp, lo + f, failed
        lo += f
        failed[lo] += 1
        if failed[lo] >= _MAX_ATTEMPTS:
            if lo == 0:  # the window's first world stands where the stream says: it cannot be drawn
                raise _no_world(k)
            # a later world's position is only as sure as the worlds before it (one of them may take
            # the exact path): stop the window here; the next round draws it again from its first attempt
            return (p, has, kept), walls, start, comp, -lo, failed
        if n_free[f] > 1:  # the failed attempt drew its start
            nxt = ((int(p[lo]) + c, False, int(kept[lo])) if has[lo] else
                   (int(p[lo]) + c + 1, True, int(stream.raw[p[lo] + c] >> _SHIFT)))
        else:
            nxt = (int(p[lo]) + c, bool(has[lo]), int(kept[lo]))
        p[lo:], has[lo:], kept[lo:] = _chain(plan, stream, nxt, n - lo)
    return (p, has, kept), walls, start, comp, n, failed


def _round(plan: _Plan, stream: _Stream, pos: tuple[int, bool, int], n: int) -> _Round:
    """The next worlds from ``pos`` (up to ``n``), each laid out on the stream as the template assumes
    (see the comment above :class:`_Plan`), up to the first world where the assumption fails."""
    h, w, c, k, kv = plan.h, plan.w, plan.h * plan.w, plan.k, plan.k_visible
    restart = False  # whether the world after the resolved ones is drawn again by the next round
    if plan.fixed_walls is None:
        (p, has, kept), walls, start, comp, resolved, failed = _attempts(plan, stream, pos, n)
        restart, resolved = resolved < 0, abs(resolved)
    else:
        assert plan.fixed_cells is not None
        p, has, kept = _chain(plan, stream, pos, n)
        walls = np.broadcast_to(plan.fixed_walls, (n, c)).copy()
        start = np.full(n, plan.fixed_start, dtype=np.int64)
        comp = np.zeros((n, c), dtype=bool)
        comp[:, plan.fixed_cells] = True
        resolved, failed = n, np.zeros(n, dtype=np.int64)

    def at_world(i: int) -> tuple[int, bool, int]:
        return int(p[i]), bool(has[i]), int(kept[i])

    if resolved == 0:  # the first world's start draw was rejected: it takes the exact path
        return _Round(walls[:0], start[:0], np.empty((0, k), dtype=np.int64),
                      np.empty((0, k, plan.n_features)), 0, True, at_world(0), int(failed[0]))
    n = resolved
    walls, start, comp = walls[:n], start[:n], comp[:n]
    fresh, used, held = plan.world_layout()
    _, where = plan.template()
    skip = c if plan.fixed_walls is None else 0  # the walls' draws: phase A has used them
    part = {name: slice(x.start - skip, x.stop - skip) for name, x in where.items()}
    row = has[:n].astype(np.int64)
    pn = p[:n]
    at = pn[:, None] + used[row, skip:] - 1  # the output each double or new 32-bit draw takes
    raw = stream.raw[np.maximum(at, pn[:, None])]
    held_at = held[row, skip:]
    high = np.where(held_at >= 0, stream.raw[pn[:, None] + np.maximum(held_at, 0)] >> _SHIFT,
                    kept[:n, None])
    u32 = np.where(fresh[row, skip:], raw & _LOW, high)
    dbl = (raw >> np.uint64(11)) * _TWO_53
    rows = np.arange(n)
    exact = np.zeros(n, dtype=bool)
    obj_cell = np.empty((n, k), dtype=np.int64)
    if plan.fixed_walls is None:
        n_cells = comp.sum(axis=1)
        idx, rejected = _sample(u32[:, part["place"]], n_cells, kv, c)
        exact |= rejected | (n_cells == kv)  # pop = m: Floyd's first bound is 1, nothing drawn
        obj_cell[:, :kv] = _nth(comp, idx)
    else:
        assert plan.fixed_cells is not None
        col = part["place"].start
        taken = np.zeros((n, c), dtype=bool)
        for objs, pool, pop, m in plan.calls:
            draws = _floyd_draws(pop, m) + max(m - 1, 0)
            idx, rejected = _sample(u32[:, col:col + draws], pop, m, pop)
            exact |= rejected
            col += draws
            if pool is None:  # the cells left after the zones, in cell order
                left = ~taken[:, plan.fixed_cells]
                pool_rows = np.broadcast_to(plan.fixed_cells, left.shape)[left].reshape(n, pop)
                chosen = pool_rows[rows[:, None], idx]
            else:
                chosen = pool[idx]
            obj_cell[:, list(objs)] = chosen
            taken[rows[:, None], chosen] = True

    obj_feat = _features(plan, dbl[:, part["features"]])

    if plan.parents:
        parent_cells = obj_cell[:, list(plan.parents)]
        dist = _grid_search(walls, parent_cells, h, w, True)
        left = comp.copy()
        left[rows[:, None], obj_cell[:, :kv]] = False
        col = part["spawn"].start
        for j in range(len(plan.parents)):
            d = dist[:, j]
            nearest = np.where(left, d, c + 1).min(axis=1)
            near = left & (d <= np.maximum(SPILL_RADIUS, nearest)[:, None])
            count = near.sum(axis=1)
            pick, rejected = _lemire(u32[:, col + j], count)
            exact |= rejected | (count < 2)
            cell = _nth(near, np.minimum(pick, np.maximum(count - 1, 0)))
            left[rows, cell] = False
            obj_cell[:, kv + j] = cell
    done = int(np.argmax(exact)) if exact.any() else n
    if done < p.size and not (done == n and restart):
        # world ``done`` takes the exact path (a rejected draw, or phase A stopped there)
        return _Round(walls[:done], start[:done], obj_cell[:done], obj_feat[:done], done, True,
                      at_world(done), int(failed[done]))
    last = n - 1  # every world kept: the next round starts after the last one
    end = int(p[last] + used[row[last], -1]) if used.shape[1] else int(p[last])
    held_last = int(held[row[last], -1]) if held.shape[1] else -1
    n_u = int(plan.template()[0].sum())
    nxt = (end, bool((has[last] + n_u) % 2),
           int(stream.raw[p[last] + held_last] >> _SHIFT) if held_last >= 0 else int(kept[last]))
    return _Round(walls, start, obj_cell, obj_feat, n, False, nxt, 0)


def _no_world(k: int) -> EvoError:
    return EvoError(f"could not draw a world with {k} reachable cells for the objects in {_MAX_ATTEMPTS} "
                    "attempts: lower wall_density or the object count")


def _features(plan: _Plan, dbl: NDArray[np.float64]) -> NDArray[np.float64]:
    """The objects' features (n, K, F) from each world's feature doubles (n, plan.n_doubles), in stream
    order: one per object of a variant group (the variant whose cdf it passes, as choice(p=...) picks),
    one per feature of each object otherwise (the feature is on below its probability); spawned objects
    get their fixed features."""
    n = dbl.shape[0]
    obj_feat = np.zeros((n, plan.k, plan.n_features))
    col = 0
    for first, count, matrix, values, cols, _ in plan.groups:
        span = slice(first, first + count)
        if matrix is not None:
            variant = values.searchsorted(dbl[:, col:col + count], side="right")
            obj_feat[:, span] = matrix[variant]
            col += count
        else:
            u = dbl[:, col:col + count * cols.size].reshape(n, count, cols.size)
            obj_feat[:, span, cols] = (u < values).astype(np.float64)
            col += count * cols.size
    obj_feat[:, plan.k_visible:] = plan.child_feat
    return obj_feat


def _draw_exact(plan: _Plan, rng: np.random.Generator, attempts: int
                ) -> tuple[NDArray[np.bool_], int, NDArray[np.int64], NDArray[np.float64]]:
    """One world by the per-world procedure, calling ``rng`` itself (any bit generator): walls, start, the
    object cells (K,) and their features (K, F)."""
    cfg, h, w, k, kv = plan.cfg, plan.h, plan.w, plan.k, plan.k_visible
    for _ in range(attempts):
        if plan.fixed_walls is not None:
            wl, s = plan.fixed_walls, plan.fixed_start
        else:
            wl = plan.border | (rng.random(h * w) < cfg.wall_density)
            if wl.all():  # every interior cell drew a wall: no start cell, try again
                continue
            s = int(rng.choice(np.flatnonzero(~wl)))
        comp = _reach(wl[None], np.array([s]), h, w)[0]
        comp[s] = False
        cells = np.flatnonzero(comp)
        if cells.size >= k:
            break
    else:
        raise _no_world(k)
    obj_cell = np.empty(k, dtype=np.int64)
    if any(plan.zone_of):
        taken: set[int] = set()
        for objs, pool, _, m in plan.calls:
            if pool is None:
                pool = np.array([x for x in cells.tolist() if x not in taken], dtype=np.int64)
            else:
                pool = np.intersect1d(pool, cells)
            obj_cell[list(objs)] = rng.choice(pool, size=m, replace=False)
            taken.update(obj_cell[list(objs)].tolist())
    else:
        obj_cell[:kv] = rng.choice(cells, size=kv, replace=False)
    obj_feat = np.zeros((k, plan.n_features))
    for first, count, matrix, values, cols, p in plan.groups:
        for o in range(first, first + count):
            if matrix is not None and p is not None:
                obj_feat[o] = matrix[int(rng.choice(len(p), p=p))]
            else:
                obj_feat[o, cols] = (rng.random(cols.size) < values).astype(np.float64)
    if plan.parents:
        free = np.setdiff1d(cells, obj_cell[:kv])
        dist = _grid_search(wl[None], obj_cell[list(plan.parents)][None], h, w, True)[0]
        left = free.copy()
        for j in range(len(plan.parents)):
            d = dist[j, left]
            near = np.flatnonzero(d <= max(SPILL_RADIUS, int(d.min())))
            pick = int(near[rng.integers(near.size)])
            obj_cell[kv + j] = left[pick]
            left = np.delete(left, pick)
        obj_feat[kv:] = plan.child_feat
    return wl, s, obj_cell, obj_feat


def _draw_compiled(plan: _Plan, rng: np.random.Generator, n: int
                   ) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """``n`` worlds by the per-world procedure, world after world in a numba kernel on the raw PCG64
    stream (:func:`evo.core.kernels.draw_worlds`): the same draws as :func:`_draw_exact` would take, no
    assumption about where they lie; the bit generator is left where the last world ends."""
    from evo.core import kernels

    c, k = plan.h * plan.w, plan.k
    walls = np.empty((n, c), dtype=bool)
    start = np.empty(n, dtype=np.int64)
    obj_cell = np.empty((n, k), dtype=np.int64)
    feat_at = np.empty(n, dtype=np.int64)
    stream = _Stream(rng)
    _, has, held = stream.origin
    st = np.array([0, int(has), held, 0], dtype=np.int64)
    # about what one attempt per world takes (more is read when it runs out: failed attempts, rejections)
    per_world = (c if plan.fixed_walls is None else 0) + 2 * k + plan.n_doubles + 2
    stream.need(n * per_world + per_world // 4 * n + 64)
    args = plan.kernel_args()
    done = 0
    while done < n:
        call = (stream.raw, st, n - done, _MAX_ATTEMPTS, plan.h, plan.w, *args, done, walls, start, obj_cell,
                feat_at)
        got, why = kernels.draw_worlds(*call)
        done += got
        if why == 2:
            raise _no_world(k)
        if why == 1:
            stream.need(2 * stream.raw.size)
    dbl = (stream.raw[feat_at[:, None] + np.arange(plan.n_doubles)] >> np.uint64(11)) * _TWO_53
    stream.seek((int(st[0]), bool(st[1]), int(st[2])))
    return walls, start, obj_cell, _features(plan, dbl)


#: A spawned object appears on a free cell at most this many path steps from its parent, drawn uniformly
#: (farther only when no such cell is left: then among the nearest free cells).
SPILL_RADIUS = 2


def generate(cfg: WorldConfig, features: Sequence[str], n: int, rng: np.random.Generator) -> WorldBatch:
    """Draw ``n`` solvable worlds from the distribution ``cfg``. Objects come in group order; the objects
    that spawned objects become follow them, in the order of their parents.

    The worlds and the draws taken from ``rng`` are those of the per-world procedure described above
    :class:`_Plan`, world after world; with a PCG64 bit generator (numpy's default) they are computed for
    the whole batch at once (numpy engine) or by a kernel on the raw stream (compiled engine)."""
    plan = _plan(cfg, tuple(features))
    c, k = plan.h * plan.w, plan.k
    walls = np.empty((n, c), dtype=bool)
    start = np.empty(n, dtype=np.int64)
    obj_cell = np.empty((n, k), dtype=np.int64)
    obj_feat = np.empty((n, k, len(features)))
    batched = type(rng.bit_generator) is np.random.PCG64 and not plan.exact_only
    if batched and c <= _FLOYD_ONLY and choice.resolve(None) == "compiled":
        drawn = _draw_compiled(plan, rng, n)
        return _build(*drawn, plan.h, plan.w, cfg.steps, np.tile(plan.spawn_row, (n, 1)))
    done = 0
    stream = _Stream(rng) if batched else None
    pos = stream.origin if stream is not None else (0, False, 0)
    while done < n:
        if stream is None:
            walls[done], start[done], obj_cell[done], obj_feat[done] = _draw_exact(plan, rng, _MAX_ATTEMPTS)
            done += 1
            continue
        rd = _round(plan, stream, pos, n - done)
        got = slice(done, done + rd.done)
        walls[got], start[got], obj_cell[got], obj_feat[got] = rd.walls, rd.start, rd.obj_cell, rd.obj_feat
        done += rd.done
        pos = rd.pos
        if not rd.exact:
            continue
        stream.seek(pos)
        walls[done], start[done], obj_cell[done], obj_feat[done] = _draw_exact(plan, rng,
                                                                              _MAX_ATTEMPTS - rd.attempts)
        done += 1
        stream = _Stream(rng)
        pos = stream.origin
    if stream is not None:
        stream.seek(pos)
    # the spawn links are one row for every world, checked once (on the plan)
    return _build(walls, start, obj_cell, obj_feat, plan.h, plan.w, cfg.steps,
                  np.tile(plan.spawn_row, (n, 1)))
