"""The per-world procedure of :mod:`evo.core.worlds.draw`, written again independently: one world at a
time in plain Python, from its own implementation of evo's keyed stream (SplitMix64 on Python integers,
docs/architecture.md "Drawing worlds"), with the tables by a relaxation over the whole (B, K, C) distance
tensor until it stops changing. The reference that :func:`evo.core.worlds.from_key` must equal bit for bit,
and :func:`check_invariants`, what every drawn world of a distribution must satisfy whatever its draws.

It reuses nothing of :mod:`evo.core.worlds` but the :class:`WorldBatch` container and ``parse_layout`` /
``layout_zones`` (the layout text → arrays).
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
_MASK = (1 << 64) - 1
_PHI = 0x9E3779B97F4A7C15

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


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class Stream:
    """World ``i``'s stream under ``key``: SplitMix64 from ``mix(key xor mix(i + phi))``."""

    def __init__(self, key: int, i: int) -> None:
        self.state = _mix(key ^ _mix((i + _PHI) & _MASK))

    def next64(self) -> int:
        self.state = (self.state + _PHI) & _MASK
        return _mix(self.state)

    def uniform(self) -> float:
        return (self.next64() >> 11) / 2.0**53

    def bounded(self, n: int) -> int:
        """Uniform in [0, n): top 32 bits times n, rejecting the low words below 2^32 mod n."""
        while True:
            m = (self.next64() >> 32) * n
            if m & 0xFFFFFFFF >= (1 << 32) % n:
                return m >> 32

    def sample(self, pool: list[int], m: int) -> list[int]:
        """m of ``pool`` without replacement, in the order drawn (partial Fisher-Yates)."""
        pool = list(pool)
        for t in range(m):
            j = t + self.bounded(len(pool) - t)
            pool[t], pool[j] = pool[j], pool[t]
        return pool[:m]


def _draw_features(cfg: WorldConfig, features: Sequence[str], rs: Stream) -> NDArray[np.float64]:
    index = {f: i for i, f in enumerate(features)}
    rows = []
    for group in cfg.objects:
        for _ in range(group.count):
            row = np.zeros(len(features))
            if group.variants:
                total = 0.0
                cdf = []
                for v in group.variants:
                    total += v.p
                    cdf.append(total)
                u = rs.uniform()
                chosen = next(v for v, c in zip(group.variants, cdf, strict=True) if c / total > u)
                for f in chosen.features:
                    row[index[f]] = 1.0
            else:
                for f, prob in group.features.items():
                    if rs.uniform() < prob:
                        row[index[f]] = 1.0
            rows.append(row)
    return np.array(rows).reshape(-1, len(features))


def _place_spawned(nb: NDArray[np.int64], walls: NDArray[np.bool_], free: list[int],
                   parent_cells: NDArray[np.int64], rs: Stream) -> NDArray[np.int64]:
    dist, _ = shortest_paths(nb[None], walls[None], parent_cells[None])
    left = list(free)
    out = np.empty(parent_cells.size, dtype=np.int64)
    for j in range(parent_cells.size):
        d = [int(dist[0, j, x]) for x in left]
        near = [t for t, dx in enumerate(d) if dx <= max(SPILL_RADIUS, min(d))]
        out[j] = left.pop(near[rs.bounded(len(near))])
    return out


def _place(zone_of: Sequence[str], zones: dict[str, NDArray[np.int64]], cells: list[int],
           rs: Stream) -> list[int] | None:
    """The visible objects' cells (None: a pool smaller than its objects)."""
    out = [-1] * len(zone_of)
    taken: set[int] = set()
    for z in dict.fromkeys(x for x in zone_of if x):
        idx = [j for j, x in enumerate(zone_of) if x == z]
        pool = [c for c in cells if c in set(zones.get(z, np.zeros(0)).tolist())]
        if len(pool) < len(idx):
            return None
        for j, c in zip(idx, rs.sample(pool, len(idx)), strict=True):
            out[j] = c
            taken.add(c)
    rest = [j for j, x in enumerate(zone_of) if not x]
    pool = [c for c in cells if c not in taken]
    if len(pool) < len(rest):
        return None
    for j, c in zip(rest, rs.sample(pool, len(rest)), strict=True):
        out[j] = c
    return out


def _no_world(k: int) -> EvoError:
    return EvoError(f"could not draw a world with {k} reachable cells for the objects in {_MAX_ATTEMPTS} "
                    "attempts: lower wall_density or the object count")


def draw(cfg: WorldConfig, features: Sequence[str], key: int, index: Sequence[int]) -> WorldBatch:
    """Worlds ``index`` of the draw keyed ``key``, one after another."""
    index = [int(i) for i in index]
    n = len(index)
    spawns = [g.spawns for g in cfg.objects for _ in range(g.count)]
    k_visible = len(spawns)
    parents_ = [i for i, sp in enumerate(spawns) if sp]
    k = k_visible + len(parents_)
    spawn_row = np.full(k, -1, dtype=np.int64)
    spawn_row[parents_] = np.arange(k_visible, k)
    feat_at = {f: i for i, f in enumerate(features)}
    child_feat = np.zeros((len(parents_), len(features)))
    for j, i in enumerate(parents_):
        child_feat[j, [feat_at[f] for f in spawns[i]]] = 1.0
    zone_of = [g.zone for g in cfg.objects for _ in range(g.count)]
    zones: dict[str, NDArray[np.int64]] = {}
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
    for row, i in enumerate(index):
        rs = Stream(key, i)
        for _ in range(1 if cfg.layout else _MAX_ATTEMPTS):
            if cfg.layout:
                wl, s = fixed_walls, fixed_start
            else:
                wl = np.array([bool(border[x]) or rs.uniform() < cfg.wall_density for x in range(h * w)])
                free = np.flatnonzero(~wl).tolist()
                if not free:
                    continue
                s = free[rs.bounded(len(free))]
            nb = neighbors(wl[None], h, w)[0]
            comp = component(nb, wl, s)
            comp[s] = False
            cells = np.flatnonzero(comp).tolist()
            if len(cells) >= k:
                break
        else:
            raise _no_world(k)
        if len(cells) < k:
            raise _no_world(k)
        placed = _place(zone_of, zones, cells, rs)
        if placed is None:
            raise _no_world(k)
        walls[row], start[row] = wl, s
        obj_cell[row, :k_visible] = placed
        obj_feat[row, :k_visible] = _draw_features(cfg, features, rs)
        if parents_:
            free = [c for c in cells if c not in set(placed)]
            obj_cell[row, k_visible:] = _place_spawned(nb, wl, free, obj_cell[row, parents_], rs)
            obj_feat[row, k_visible:] = child_feat
    return build_batch(walls, start, obj_cell, obj_feat, h, w, cfg.steps, np.tile(spawn_row, (n, 1)))


def check_invariants(cfg: WorldConfig, features: Sequence[str], batch: WorldBatch) -> None:
    """What every world drawn from ``cfg`` satisfies, whatever was drawn: the grid (a fixed layout's
    walls and start, or walls on the border), objects on distinct free cells the start reaches, other
    than the start; each zone's objects on its letters; a variant group's objects showing one of its
    variants, the other groups' only their features; each spawned object hidden, with its features, on a
    free cell at most SPILL_RADIUS steps from its parent unless no free cell was that near."""
    h, w = (len(cfg.layout), len(cfg.layout[0])) if cfg.layout else cfg.size
    spawns = [g.spawns for g in cfg.objects for _ in range(g.count)]
    kv = len(spawns)
    parents_ = [i for i, sp in enumerate(spawns) if sp]
    assert batch.obj_cell.shape == (batch.size, kv + len(parents_))
    assert (batch.height, batch.width, batch.steps) == (h, w, cfg.steps)
    zones = layout_zones(cfg.layout) if cfg.layout else {}
    at = {f: i for i, f in enumerate(features)}
    for b in range(batch.size):
        wl, s = batch.walls[b], int(batch.start[b])
        if cfg.layout:
            fixed, fs, _, _ = parse_layout(cfg.layout)
            assert (wl == fixed).all() and s == fs
        else:
            grid = wl.reshape(h, w)
            assert grid[[0, -1], :].all() and grid[:, [0, -1]].all()
        nb = neighbors(wl[None], h, w)[0]
        comp = component(nb, wl, s)
        cells = batch.obj_cell[b].tolist()
        assert len(set(cells)) == len(cells) and s not in cells
        assert all(comp[c] for c in cells)
        obj = 0
        for g in cfg.objects:
            for _ in range(g.count):
                if g.zone:
                    assert cells[obj] in zones[g.zone].tolist()
                row = batch.obj_feat[b, obj]
                if g.variants:
                    assert any(row.tolist() == [float(f in v.features) for f in features] for v in g.variants)
                else:
                    assert all(row[at[f]] == 0.0 for f in features if f not in g.features)
                    assert all(row[at[f]] == 1.0 for f, p in g.features.items() if p >= 1.0)
                    assert all(row[at[f]] == 0.0 for f, p in g.features.items() if p <= 0.0)
                obj += 1
        dist, _ = shortest_paths(nb[None], wl[None], batch.obj_cell[b:b + 1])
        for j, parent in enumerate(parents_):
            child = kv + j
            assert batch.spawn[b, parent] == child
            assert batch.obj_feat[b, child].tolist() == [float(f in spawns[parent]) for f in features]
            d = int(dist[0, parent, cells[child]])
            if d > SPILL_RADIUS:  # only when no cell free at the time was as near
                free = [c for c in np.flatnonzero(comp).tolist() if c != s and c not in cells[:child]]
                assert min(int(dist[0, parent, c]) for c in free) == d
    assert (batch.spawn[:, [i for i in range(kv) if i not in parents_]] == -1).all()


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
