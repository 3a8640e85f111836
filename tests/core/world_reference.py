"""The world generator as it was before it was batched (git revision 4579b6d, ``evo/core/worlds.py``):
one world at a time, in Python, with numpy's ``Generator`` called directly, and the shared tables by a
relaxation over the whole (B, K, C) distance tensor until it stops changing. Kept here, outside ``evo/``,
as the reference that :func:`evo.core.worlds.generate` must equal bit for bit: the same worlds, the same
tables and the same random draws in the same order (so the stream is left in the same state).

It reuses nothing of :mod:`evo.core.worlds` but the :class:`WorldBatch` container and ``parse_layout`` /
``layout_zones`` (the layout text → arrays, unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from evo.config.schema import WorldConfig
from evo.core.worlds import WorldBatch, layout_zones, parse_layout
from evo.errors import EvoError

STAY = 4
_DELTAS = ((-1, 0), (0, 1), (1, 0), (0, -1))
_MAX_ATTEMPTS = 200
SPILL_RADIUS = 2


def neighbors(walls: NDArray[np.bool_], h: int, w: int) -> NDArray[np.int64]:
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


def component(nb: NDArray[np.int64], walls: NDArray[np.bool_], start: int) -> NDArray[np.bool_]:
    seen = np.zeros(walls.shape[0], dtype=bool)
    seen[start] = True
    while True:
        grown = seen.copy()
        grown[nb[seen].reshape(-1)] = True
        if (grown == seen).all():
            return seen & ~walls
        seen = grown


def shortest_paths(nb: NDArray[np.int64], walls: NDArray[np.bool_], obj_cell: NDArray[np.int64]
                   ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    b, c = walls.shape
    k = obj_cell.shape[1]
    inf = c + 1
    dist = np.full((b, k, c), inf, dtype=np.int64)
    np.put_along_axis(dist, obj_cell[..., None], 0, axis=-1)
    nbk = np.broadcast_to(nb[:, None, :, :4], (b, k, c, 4)).reshape(b, k, c * 4)
    free = ~walls[:, None, :]
    while True:
        around = np.take_along_axis(dist, nbk, axis=-1).reshape(b, k, c, 4).min(axis=-1)
        new = np.where(free, np.minimum(dist, around + 1), inf)
        if np.array_equal(new, dist):
            break
        dist = new
    around = np.take_along_axis(dist, nbk, axis=-1).reshape(b, k, c, 4)
    moved = (nb[..., :4] != np.arange(c)[None, :, None])[:, None]
    steps_down = moved & (around == (dist - 1)[..., None]) & (dist > 0)[..., None] & (dist < inf)[..., None]
    next_move = np.where(steps_down.any(axis=-1), steps_down.argmax(axis=-1), STAY)
    return dist, next_move


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


def _place_spawned(nb: NDArray[np.int64], walls: NDArray[np.bool_], free: NDArray[np.int64],
                   parent_cells: NDArray[np.int64], rng: np.random.Generator) -> NDArray[np.int64]:
    dist, _ = shortest_paths(nb[None], walls[None], parent_cells[None])
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
    """The old ``evo.core.worlds.generate``, one world after another."""
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
    border: NDArray[np.bool_] = np.zeros((h, w), dtype=bool)
    border[[0, -1], :] = border[:, [0, -1]] = True
    border = border.reshape(-1)
    for i in range(n):
        for _ in range(_MAX_ATTEMPTS):
            if cfg.layout:
                wl, s = fixed_walls, fixed_start
            else:
                wl = border | (rng.random(h * w) < cfg.wall_density)
                if wl.all():
                    continue
                s = int(rng.choice(np.flatnonzero(~wl)))
            nb = neighbors(wl[None], h, w)[0]
            comp = component(nb, wl, s)
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


def build_batch(walls: NDArray[np.bool_], start: NDArray[np.int64], obj_cell: NDArray[np.int64],
                obj_feat: NDArray[np.float64], height: int, width: int, steps: int,
                spawn: NDArray[np.int64]) -> WorldBatch:
    """The old tables (the validity checks are :func:`evo.core.worlds.build_batch`'s, tested there)."""
    nb = neighbors(walls, height, width)
    dist, next_move = shortest_paths(nb, walls, obj_cell)
    b, k = obj_cell.shape
    r, c = np.divmod(np.arange(height * width), width)
    orow, ocol = np.divmod(obj_cell, width)
    manhattan = np.abs(r - orow[..., None]) + np.abs(c - ocol[..., None])
    obj_at = np.full((b, height * width), -1, dtype=np.int64)
    np.put_along_axis(obj_at, obj_cell, np.arange(k)[None, :].repeat(b, 0), axis=1)
    batch = WorldBatch(height, width, steps, walls, start, obj_cell, np.asarray(obj_feat, dtype=np.float64),
                       nb, dist, next_move, obj_at, spawn)
    # the batch computes its grid distances when asked: they must be the ones computed here
    assert np.array_equal(batch.manhattan, manhattan)
    return batch
