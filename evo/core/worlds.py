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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evo.errors import EvoError

if TYPE_CHECKING:
    from evo.config.schema import WorldConfig

#: Moves, in the order agents score them: north, east, south, west, stay.
ACTIONS = ("N", "E", "S", "W", "stay")
STAY = 4
_DELTAS = ((-1, 0), (0, 1), (1, 0), (0, -1))
_MAX_ATTEMPTS = 200


@dataclass(frozen=True, eq=False)
class WorldBatch:
    """``B`` worlds of one distribution, with the per-world tables agents share.

    Attributes: ``walls`` (B, C) bool; ``start`` (B,) cell; ``obj_cell`` (B, K) cell of each object;
    ``obj_feat`` (B, K, F) 0/1 features; ``neighbors`` (B, C, 5) cell reached by N, E, S, W, stay (the same
    cell when blocked); ``dist`` (B, K, C) shortest-path steps from each cell to each object (``unreachable``
    when none); ``next_move`` (B, K, C) first move of a shortest path (ties: N before E before S before W;
    STAY at the object or when unreachable); ``manhattan`` (B, K, C); ``obj_at`` (B, C) object index at a
    cell or -1; ``spawn`` (B, K) index of the hidden object that object ``k`` releases when consumed, or -1.
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
    manhattan: NDArray[np.int64]
    obj_at: NDArray[np.int64]
    spawn: NDArray[np.int64]

    @property
    def size(self) -> int:
        return int(self.walls.shape[0])

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
                                                           "neighbors", "dist", "next_move", "manhattan",
                                                           "obj_at", "spawn")))


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
    comp = _component(_neighbors(walls[None], h, w)[0], walls, start)
    return {z: int(comp[cells].sum()) for z, cells in layout_zones(layout).items()}


def _neighbors(walls: NDArray[np.bool_], h: int, w: int) -> NDArray[np.int64]:
    """(…, C, 5) cell reached by each move (N, E, S, W, stay) from each cell; blocked moves stay put."""
    cells = np.arange(h * w)
    r, c = np.divmod(cells, w)
    out = np.empty((*walls.shape[:-1], h * w, 5), dtype=np.int64)
    out[..., STAY] = cells
    for d, (dr, dc) in enumerate(_DELTAS):
        rr, cc = r + dr, c + dc
        inside = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
        target = np.where(inside, rr.clip(0, h - 1) * w + cc.clip(0, w - 1), cells)
        blocked = ~inside | np.take_along_axis(walls, np.broadcast_to(target, walls.shape), axis=-1)
        out[..., d] = np.where(blocked, cells, target)
    return out


def _component(neighbors: NDArray[np.int64], walls: NDArray[np.bool_], start: int) -> NDArray[np.bool_]:
    """Cells reachable from ``start`` in one world (``neighbors`` (C, 5))."""
    seen = np.zeros(walls.shape[0], dtype=bool)
    seen[start] = True
    while True:
        grown = seen.copy()
        grown[neighbors[seen].reshape(-1)] = True
        if (grown == seen).all():
            return seen & ~walls
        seen = grown


def reachable_cells(layout: Sequence[str]) -> int:
    """Number of free cells other than the start reachable from the start of a fixed layout."""
    walls, start, h, w = parse_layout(layout)
    comp = _component(_neighbors(walls[None], h, w)[0], walls, start)
    return int(comp.sum()) - 1


def shortest_paths(neighbors: NDArray[np.int64], walls: NDArray[np.bool_], obj_cell: NDArray[np.int64]
                   ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distances (B, K, C) from every cell to every object and the first move of a shortest path, by a
    breadth-first wave run for all worlds and objects at once."""
    b, c = walls.shape
    k = obj_cell.shape[1]
    inf = c + 1
    dist = np.full((b, k, c), inf, dtype=np.int64)
    np.put_along_axis(dist, obj_cell[..., None], 0, axis=-1)
    nb = np.broadcast_to(neighbors[:, None, :, :4], (b, k, c, 4)).reshape(b, k, c * 4)
    free = ~walls[:, None, :]
    while True:
        around = np.take_along_axis(dist, nb, axis=-1).reshape(b, k, c, 4).min(axis=-1)
        new = np.where(free, np.minimum(dist, around + 1), inf)
        if np.array_equal(new, dist):
            break
        dist = new
    around = np.take_along_axis(dist, nb, axis=-1).reshape(b, k, c, 4)
    moved = (neighbors[..., :4] != np.arange(c)[None, :, None])[:, None]  # (B, 1, C, 4) the move changes cell
    steps_down = moved & (around == (dist - 1)[..., None]) & (dist > 0)[..., None] & (dist < inf)[..., None]
    next_move = np.where(steps_down.any(axis=-1), steps_down.argmax(axis=-1), STAY)
    return dist, next_move


def _manhattan(obj_cell: NDArray[np.int64], h: int, w: int) -> NDArray[np.int64]:
    r, c = np.divmod(np.arange(h * w), w)
    orow, ocol = np.divmod(obj_cell, w)
    return np.abs(r - orow[..., None]) + np.abs(c - ocol[..., None])


def build_batch(walls: NDArray[np.bool_], start: NDArray[np.int64], obj_cell: NDArray[np.int64],
                obj_feat: NDArray[np.float64], height: int, width: int, steps: int,
                spawn: NDArray[np.int64] | None = None) -> WorldBatch:
    """Assemble a batch from its layout arrays and compute the shared tables. Raises if an object is
    unreachable from the start, two objects share a cell, or ``spawn`` (B, K; default: nothing spawns) is
    not a set of links from visible objects to distinct hidden ones."""
    walls = np.asarray(walls, dtype=bool)
    start = np.asarray(start, dtype=np.int64)
    obj_cell = np.asarray(obj_cell, dtype=np.int64)
    neighbors = _neighbors(walls, height, width)
    dist, next_move = shortest_paths(neighbors, walls, obj_cell)
    b, k = obj_cell.shape
    from_start = dist[np.arange(b)[:, None], np.arange(k)[None, :], start[:, None]]
    if (from_start > height * width).any():
        raise EvoError("a world has an object the start cannot reach")
    obj_at = np.full((b, height * width), -1, dtype=np.int64)
    np.put_along_axis(obj_at, obj_cell, np.arange(k)[None, :].repeat(b, 0), axis=1)
    if ((obj_at >= 0).sum(axis=1) != k).any() or (obj_cell == start[:, None]).any():
        raise EvoError("objects must occupy distinct cells other than the start")
    spawn = np.full((b, k), -1, dtype=np.int64) if spawn is None else np.asarray(spawn, dtype=np.int64)
    _check_spawn(spawn, k)
    return WorldBatch(height, width, steps, walls, start, obj_cell, np.asarray(obj_feat, dtype=np.float64),
                      neighbors, dist, next_move, _manhattan(obj_cell, height, width), obj_at, spawn)


def _check_spawn(spawn: NDArray[np.int64], k: int) -> None:
    """Each link points at another object, no object is released twice, and a released object releases
    nothing (no chains: every hidden object has a visible parent)."""
    if spawn.ndim != 2 or spawn.shape[1] != k or ((spawn < -1) | (spawn >= k)).any():
        raise EvoError(f"spawn must be (B, {k}) object indices or -1")
    linked = spawn >= 0
    if (spawn == np.arange(k)).any():
        raise EvoError("an object cannot release itself")
    for row in spawn:
        children = row[row >= 0]
        if np.unique(children).size != children.size:
            raise EvoError("two objects release the same hidden object")
    hidden = parents(spawn) >= 0
    if (linked & hidden).any():
        raise EvoError("a released object cannot release another (no spawn chains)")


def _draw_features(cfg: WorldConfig, features: Sequence[str],
                   rng: np.random.Generator) -> NDArray[np.float64]:
    index = {f: i for i, f in enumerate(features)}
    rows = []
    for group in cfg.objects:
        for _ in range(group.count):
            row = np.zeros(len(features))
            if group.variants:
                p = np.array([v.p for v in group.variants])
                chosen = group.variants[int(rng.choice(len(p), p=p / p.sum()))]
                for f in chosen.features:
                    row[index[f]] = 1.0
            else:
                draws = rng.random(len(group.features))
                for (f, prob), u in zip(group.features.items(), draws, strict=True):
                    if u < prob:
                        row[index[f]] = 1.0
            rows.append(row)
    return np.array(rows)


#: A spawned object appears on a free cell at most this many path steps from its parent, drawn uniformly
#: (farther only when no such cell is left: then among the nearest free cells).
SPILL_RADIUS = 2


def _place_spawned(neighbors: NDArray[np.int64], walls: NDArray[np.bool_], free: NDArray[np.int64],
                   parent_cells: NDArray[np.int64], rng: np.random.Generator) -> NDArray[np.int64]:
    """A cell for each spawned object, in parent order, from ``free`` (reachable, unoccupied cells)."""
    dist, _ = shortest_paths(neighbors[None], walls[None], parent_cells[None])
    left = free.copy()
    out = np.empty(parent_cells.size, dtype=np.int64)
    for j in range(parent_cells.size):
        d = dist[0, j, left]
        near = np.flatnonzero(d <= max(SPILL_RADIUS, int(d.min())))
        pick = int(near[rng.integers(near.size)])
        out[j] = left[pick]
        left = np.delete(left, pick)
    return out


def _place_in_zones(zone_of: Sequence[str], zones: dict[str, NDArray[np.int64]], cells: NDArray[np.int64],
                    rng: np.random.Generator) -> NDArray[np.int64]:
    """Distinct cells for objects of which some must lie in a named zone: zoned objects first (in object
    order, each zone's objects drawn together), then the others anywhere still free among ``cells``."""
    out = np.full(len(zone_of), -1, dtype=np.int64)
    taken: set[int] = set()
    for z in dict.fromkeys(x for x in zone_of if x):
        idx = [j for j, x in enumerate(zone_of) if x == z]
        pool = np.intersect1d(zones[z], cells)
        out[idx] = rng.choice(pool, size=len(idx), replace=False)
        taken.update(out[idx].tolist())
    rest = [j for j, x in enumerate(zone_of) if not x]
    if rest:
        pool = np.array([c for c in cells.tolist() if c not in taken], dtype=np.int64)
        out[rest] = rng.choice(pool, size=len(rest), replace=False)
    return out


def generate(cfg: WorldConfig, features: Sequence[str], n: int, rng: np.random.Generator) -> WorldBatch:
    """Draw ``n`` solvable worlds from the distribution ``cfg``. Objects come in group order; the objects
    that spawned objects become follow them, in the order of their parents."""
    index = {f: i for i, f in enumerate(features)}
    spawns = [g.spawns for g in cfg.objects for _ in range(g.count)]
    k_visible = len(spawns)
    parents_ = [i for i, sp in enumerate(spawns) if sp]
    k = k_visible + len(parents_)
    spawn_row = np.full(k, -1, dtype=np.int64)
    spawn_row[parents_] = np.arange(k_visible, k)
    child_feat = np.zeros((len(parents_), len(features)))
    for j, i in enumerate(parents_):
        child_feat[j, [index[f] for f in spawns[i]]] = 1.0
    zone_of = [g.zone for g in cfg.objects for _ in range(g.count)]
    if cfg.layout:
        fixed_walls, fixed_start, h, w = parse_layout(cfg.layout)
        zones = layout_zones(cfg.layout)
    else:
        h, w = cfg.size
    walls = np.empty((n, h * w), dtype=bool)
    start = np.empty(n, dtype=np.int64)
    obj_cell = np.empty((n, k), dtype=np.int64)
    obj_feat = np.empty((n, k, len(features)))
    border: NDArray[np.bool_] = np.zeros((h, w), dtype=bool)  # (H, W), then flattened to (H·W,)
    border[[0, -1], :] = border[:, [0, -1]] = True
    border = border.reshape(-1)
    for i in range(n):
        for _ in range(_MAX_ATTEMPTS):
            if cfg.layout:
                wl, s = fixed_walls, fixed_start
            else:
                wl = border | (rng.random(h * w) < cfg.wall_density)
                if wl.all():  # every interior cell drew a wall: no start cell, try again
                    continue
                s = int(rng.choice(np.flatnonzero(~wl)))
            nb = _neighbors(wl[None], h, w)[0]
            comp = _component(nb, wl, s)
            comp[s] = False
            cells = np.flatnonzero(comp)
            if cells.size >= k:
                break
        else:
            raise EvoError(f"could not draw a world with {k} reachable cells for the objects in "
                           f"{_MAX_ATTEMPTS} attempts: lower wall_density or the object count")
        walls[i], start[i] = wl, s
        if any(zone_of):
            obj_cell[i, :k_visible] = _place_in_zones(zone_of, zones, cells, rng)
        else:
            obj_cell[i, :k_visible] = rng.choice(cells, size=k_visible, replace=False)
        obj_feat[i, :k_visible] = _draw_features(cfg, features, rng)
        if parents_:
            free = np.setdiff1d(cells, obj_cell[i, :k_visible])
            obj_cell[i, k_visible:] = _place_spawned(nb, wl, free, obj_cell[i, parents_], rng)
            obj_feat[i, k_visible:] = child_feat
    return build_batch(walls, start, obj_cell, obj_feat, h, w, cfg.steps, np.tile(spawn_row, (n, 1)))
