"""Drawing worlds (numba): the per-world procedure, world after world, each world from its own keyed
stream (:mod:`evo.core.worlds.keyed`), so that a batch is its worlds drawn one at a time by construction.
The procedure, in the order world ``i`` of key ``key`` takes its draws:

    attempt (up to ATTEMPTS; one for a fixed layout): walls ← border, or uniform() < wall_density for each
        inner cell in cell order, drawn again when all are walls; start ← the free cells' bounded(#free)-th;
        cells ← the start's component without the start, in cell order; next attempt if fewer than K;
    objects, call after call (all visible objects from the cells; or per zone of a fixed layout, then the
        rest from the cells no zone took): sample(pool, m) without replacement, in the order drawn;
    features: one uniform() per object of a variant group, one per feature of each object otherwise;
    spawned objects, in parent order: bounded(#free cells within SPILL_RADIUS path steps of the parent,
        or the nearest free cells when none is that near) among those cells, in cell order.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from evo.core.worlds import keyed
from evo.core.worlds.paths import bfs
from evo.core.worlds.plan import Plan

#: attempts at a random grid whose start's component holds every object, per world
ATTEMPTS = 200


@njit(cache=True, nogil=True)
def draw_worlds(key: np.uint64, index: np.ndarray, attempts: int, h: int, w: int, border: np.ndarray,
                density: float, fixed_walls: np.ndarray, fixed_start: int, k_visible: int,
                call_at: np.ndarray, call_objs: np.ndarray, call_kind: np.ndarray, pool_at: np.ndarray,
                pools: np.ndarray, n_doubles: int, parents: np.ndarray, spill: int, out_walls: np.ndarray,
                out_start: np.ndarray, out_cell: np.ndarray, out_dbl: np.ndarray) -> int:
    """World ``index[j]`` of ``key`` into row ``j`` of the ``out_`` arrays, for every j, by the procedure
    of this module's docstring: walls, start, object cells and the feature doubles. Random walls when
    ``fixed_walls`` is empty, else that layout and ``fixed_start``. Placement call ``q`` places objects
    ``call_objs[call_at[q]:call_at[q + 1]]`` from (``call_kind``) 0: the start's component without the
    start, 1: ``pools[pool_at[q]:pool_at[q + 1]]``, 2: the component's cells no earlier call took. Returns
    the first row whose world could not be drawn (no component large enough in ``attempts`` attempts, or a
    pool smaller than its call), or -1."""
    c = h * w
    k = out_cell.shape[1]
    fixed = fixed_walls.shape[0] > 0
    state = np.empty(1, dtype=np.uint64)
    wl = np.empty(c, dtype=np.bool_)
    free = np.empty(c, dtype=np.int64)
    dist = np.empty(c, dtype=np.int64)
    queue = np.empty(c, dtype=np.int64)
    cells = np.empty(c, dtype=np.int64)
    taken = np.empty(c, dtype=np.bool_)
    pool = np.empty(c, dtype=np.int64)
    near = np.empty(c, dtype=np.int64)
    for j in range(index.shape[0]):
        keyed.seed(key, np.uint64(index[j]), state)
        found = False
        s = 0
        for _ in range(attempts):
            n_free = 0
            for x in range(c):
                if fixed:
                    wl[x] = fixed_walls[x]
                else:
                    wl[x] = border[x] or keyed.uniform(state) < density
                if not wl[x]:
                    free[n_free] = x
                    n_free += 1
            if n_free == 0:  # every cell a wall: drawn again
                if fixed:
                    break
                continue
            s = fixed_start if fixed else free[keyed.bounded(state, n_free)]
            if bfs(wl, s, h, w, dist, queue) - 1 >= k:
                found = True
                break
            if fixed:  # the same layout every attempt
                break
        if not found:
            return j
        n_cells = 0  # the start's component without the start, in cell order
        for x in range(c):
            taken[x] = False
            if x != s and dist[x] <= c:
                cells[n_cells] = x
                n_cells += 1
        for q in range(call_kind.shape[0]):
            pop = 0
            if call_kind[q] == 0:
                for t in range(n_cells):
                    pool[t] = cells[t]
                pop = n_cells
            elif call_kind[q] == 1:
                pop = pool_at[q + 1] - pool_at[q]
                for t in range(pop):
                    pool[t] = pools[pool_at[q] + t]
            else:
                for t in range(n_cells):
                    if not taken[cells[t]]:
                        pool[pop] = cells[t]
                        pop += 1
            m = call_at[q + 1] - call_at[q]
            if pop < m:
                return j
            keyed.sample(state, pool, pop, m)
            for t in range(m):
                out_cell[j, call_objs[call_at[q] + t]] = pool[t]
                taken[pool[t]] = True
        for d in range(n_doubles):
            out_dbl[j, d] = keyed.uniform(state)
        n_left = 0  # the free cells of the component left for spawned objects, in cell order
        for t in range(n_cells):
            if not taken[cells[t]]:
                free[n_left] = cells[t]
                n_left += 1
        for p in range(parents.shape[0]):
            bfs(wl, out_cell[j, parents[p]], h, w, dist, queue)
            nearest = c + 1
            for t in range(n_left):
                nearest = min(nearest, dist[free[t]])
            limit = max(spill, nearest)
            n_near = 0
            for t in range(n_left):
                if dist[free[t]] <= limit:
                    near[n_near] = t
                    n_near += 1
            if n_near == 0:
                return j
            at = near[keyed.bounded(state, n_near)]
            out_cell[j, k_visible + p] = free[at]
            for t in range(at, n_left - 1):
                free[t] = free[t + 1]
            n_left -= 1
        for x in range(c):
            out_walls[j, x] = wl[x]
        out_start[j] = s
    return -1


def draw(plan: Plan, key: int, index: NDArray[np.int64]
         ) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], int]:
    """Worlds ``index`` of ``key`` under ``plan``: walls (n, C), starts (n,), object cells (n, K), features
    (n, K, F), and the first row that could not be drawn (-1: none; the rows from it on are garbage)."""
    n, c = index.shape[0], plan.h * plan.w
    walls = np.empty((n, c), dtype=bool)
    start = np.empty(n, dtype=np.int64)
    obj_cell = np.empty((n, plan.k), dtype=np.int64)
    dbl = np.empty((n, plan.n_doubles))
    args = (np.uint64(key), np.ascontiguousarray(index, dtype=np.int64), ATTEMPTS, plan.h, plan.w,
            *plan.kernel_args(), walls, start, obj_cell, dbl)
    failed = draw_worlds(*args)
    return walls, start, obj_cell, plan.features(dbl), int(failed)
