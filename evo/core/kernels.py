"""The world tables and world drawing as numba kernels (:mod:`evo.core.worlds`; docs/architecture.md,
"Engines"). The episode rules are in :mod:`evo.core.step`. Compiled functions are cached on disk (numba's
``cache=True``), so only the first run on a machine pays the compile (README.md, "Performance").
"""

from __future__ import annotations

import numpy as np
from numba import njit

STAY = 4


@njit(cache=True, nogil=True)
def _bfs(walls: np.ndarray, src: int, h: int, w: int, dist: np.ndarray, queue: np.ndarray) -> int:
    """Steps from ``src`` to every cell over the free cells of ``walls`` (C,) into ``dist``, C + 1 where
    unreachable; the reached cells in ``queue``, in the order reached. Returns how many were reached."""
    c = h * w
    for x in range(c):
        dist[x] = c + 1
    dist[src] = 0
    queue[0] = src
    head, tail = 0, 1
    while head < tail:
        x = queue[head]
        head += 1
        r, col = x // w, x % w
        for m in range(4):
            if m == 0:
                if r == 0:
                    continue
                y = x - w
            elif m == 1:
                if col == w - 1:
                    continue
                y = x + 1
            elif m == 2:
                if r == h - 1:
                    continue
                y = x + w
            else:
                if col == 0:
                    continue
                y = x - 1
            if not walls[y] and dist[y] == c + 1:
                dist[y] = dist[x] + 1
                queue[tail] = y
                tail += 1
    return tail


@njit(cache=True, nogil=True)
def grid_search(walls: np.ndarray, sources: np.ndarray, h: int, w: int, moves: bool, out_dist: np.ndarray,
                out_first: np.ndarray) -> None:
    """Breadth-first search from every source of every world (evo/core/worlds.py ``_grid_search``):
    ``walls`` (B, C), ``sources`` (B, S); writes the steps from each source (B, S, C), ``C + 1`` where
    unreachable, and (``moves``) the first move of a shortest path to it: the first of N, E, S, W whose cell
    is one step nearer, STAY at the source and where unreachable. A source on a wall reaches nothing."""
    b_all, s_all = sources.shape
    c = h * w
    queue = np.empty(c, dtype=np.int64)
    for b in range(b_all):
        for s in range(s_all):
            dist = out_dist[b, s]
            if moves:
                for x in range(c):
                    out_first[b, s, x] = STAY
            src = sources[b, s]
            if walls[b, src]:
                for x in range(c):
                    dist[x] = c + 1
                continue
            _bfs(walls[b], src, h, w, dist, queue)
            if not moves:
                continue
            first = out_first[b, s]
            for x in range(c):  # the first move one step nearer, N, E, S, W in that order
                d = dist[x]
                if d == 0 or d == c + 1:
                    continue
                r, col = x // w, x % w
                if r > 0 and dist[x - w] == d - 1:
                    first[x] = 0
                elif col < w - 1 and dist[x + 1] == d - 1:
                    first[x] = 1
                elif r < h - 1 and dist[x + w] == d - 1:
                    first[x] = 2
                elif col > 0 and dist[x - 1] == d - 1:
                    first[x] = 3


@njit(cache=True, nogil=True)
def neighbors(walls: np.ndarray, h: int, w: int, out: np.ndarray) -> None:
    """(B, C, 5) the cell reached by N, E, S, W and stay from each cell of each world (evo/core/worlds.py
    ``_neighbors``): the cell itself when the move leaves the grid or enters a wall."""
    for b in range(walls.shape[0]):
        for x in range(h * w):
            r, col = x // w, x % w
            out[b, x, 0] = x - w if r > 0 and not walls[b, x - w] else x
            out[b, x, 1] = x + 1 if col < w - 1 and not walls[b, x + 1] else x
            out[b, x, 2] = x + w if r < h - 1 and not walls[b, x + w] else x
            out[b, x, 3] = x - 1 if col > 0 and not walls[b, x - 1] else x
            out[b, x, 4] = x


# ------------------------------------------------------------------------------------------------------
# drawing worlds (evo/core/worlds.py, "drawing worlds"): the per-world procedure on numpy's PCG64 stream

_LOW32 = np.uint64(0xFFFFFFFF)
_HIGH = np.uint64(32)
_MANTISSA = np.uint64(11)
_TWO_53 = 1.0 / 9007199254740992.0


@njit(cache=True, nogil=True)
def _next32(raw: np.ndarray, st: np.ndarray) -> np.uint64:
    """The bit generator's next 32-bit draw: the waiting high half if there is one, else the low half of
    the next output (its high half then waits). ``st``: (next output, a half waiting, the half, ran out);
    past the end of ``raw`` it sets "ran out" and gives 0."""
    if st[1]:
        st[1] = 0
        return np.uint64(st[2])
    p = st[0]
    if p >= raw.shape[0]:
        st[3] = 1
        return np.uint64(0)
    x = raw[p]
    st[0] = p + 1
    st[1] = 1
    st[2] = np.int64(x >> _HIGH)
    return x & _LOW32


@njit(cache=True, nogil=True)
def _bounded(raw: np.ndarray, st: np.ndarray, top: int) -> np.int64:
    """numpy's bounded integer in [0, top] for top < 2³² − 1 (random_bounded_uint64: Lemire's method on
    32-bit draws, drawing again on rejection); nothing is drawn for top = 0."""
    if top == 0:
        return np.int64(0)
    n = np.uint64(top + 1)
    m = _next32(raw, st) * n
    left = m & _LOW32
    if left < n:
        threshold = (_LOW32 - np.uint64(top)) % n
        while left < threshold and st[3] == 0:
            m = _next32(raw, st) * n
            left = m & _LOW32
    return np.int64(m >> _HIGH)


@njit(cache=True, nogil=True)
def _sample(raw: np.ndarray, st: np.ndarray, pop: int, m: int, out: np.ndarray) -> None:
    """Generator.choice(pop, m, replace=False) into ``out[:m]``: Floyd's algorithm (for j in pop − m …
    pop − 1: v uniform in [0, j], v if not yet picked, else j), then the shuffle of the picks (for i in
    m − 1 … 1: swap i with a uniform [0, i])."""
    for t in range(m):
        j = pop - m + t
        v = _bounded(raw, st, j)
        for u in range(t):
            if out[u] == v:
                v = np.int64(j)
                break
        out[t] = v
    for i in range(m - 1, 0, -1):
        jj = _bounded(raw, st, i)
        out[i], out[jj] = out[jj], out[i]


@njit(cache=True, nogil=True)
def _untaken(cells: np.ndarray, n_cells: int, taken: np.ndarray, out: np.ndarray) -> int:
    """The first ``n_cells`` of ``cells`` that are not ``taken``, in order, into ``out``; how many."""
    n = 0
    for t in range(n_cells):
        if not taken[cells[t]]:
            out[n] = cells[t]
            n += 1
    return n


@njit(cache=True, nogil=True)
def draw_worlds(raw: np.ndarray, st: np.ndarray, n: int, attempts: int, h: int, w: int,
                border: np.ndarray, density: float, fixed_walls: np.ndarray, fixed_start: int,
                k_visible: int, call_at: np.ndarray, call_objs: np.ndarray, call_kind: np.ndarray,
                pool_at: np.ndarray, pools: np.ndarray, n_doubles: int, parents: np.ndarray, spill: int,
                first: int, out_walls: np.ndarray, out_start: np.ndarray, out_cell: np.ndarray,
                out_feat_at: np.ndarray) -> tuple[int, int]:
    """Worlds ``first`` … ``first + n − 1`` of a batch by the per-world procedure (evo/core/worlds.py,
    above ``_Plan``), reading the raw 64-bit outputs ``raw`` from the stream position ``st`` (see
    :func:`_next32`), which it advances past each world drawn. Writes walls, start and object cells; of the
    feature doubles (one output each, no 32-bit draw among them) only where they start (``out_feat_at``).

    Random walls when ``fixed_walls`` is empty, else that layout and ``fixed_start``. Placement: choice
    call ``i`` places objects ``call_objs[call_at[i]:call_at[i + 1]]``, from (``call_kind``) 0: the
    start's component without the start, 1: ``pools[pool_at[i]:pool_at[i + 1]]``, 2: the component's cells
    no earlier call took, in cell order. Spawned objects follow, in the order of their ``parents``.

    Returns (worlds drawn, why it stopped): 0 all drawn; 1 ``raw`` ran out in the next world (``st`` is
    back at that world's start: give more and call again); 2 the next world found no component large
    enough in ``attempts`` attempts."""
    c = h * w
    k = out_cell.shape[1]
    n_calls = call_kind.shape[0]
    fixed = fixed_walls.shape[0] > 0
    wl = np.empty(c, dtype=np.bool_)
    free = np.empty(c, dtype=np.int64)
    dist = np.empty(c, dtype=np.int64)
    queue = np.empty(c, dtype=np.int64)
    cells = np.empty(c, dtype=np.int64)
    taken = np.empty(c, dtype=np.bool_)
    pool = np.empty(c, dtype=np.int64)
    pick = np.empty(c, dtype=np.int64)
    for i in range(n):
        p0, has0, buf0 = st[0], st[1], st[2]
        found = False
        s = 0
        for _ in range(attempts):
            if fixed:
                for x in range(c):
                    wl[x] = fixed_walls[x]
                s = fixed_start
            else:
                if st[0] + c > raw.shape[0]:
                    st[3] = 1
                    break
                n_free = 0
                for x in range(c):
                    wl[x] = border[x] or np.float64(raw[st[0] + x] >> _MANTISSA) * _TWO_53 < density
                    if not wl[x]:
                        free[n_free] = x
                        n_free += 1
                st[0] += c
                if n_free == 0:  # every cell a wall: drawn again, without a start
                    continue
                s = free[_bounded(raw, st, n_free - 1)]
                if st[3]:
                    break
            reached = _bfs(wl, s, h, w, dist, queue)
            if reached - 1 >= k:
                found = True
                break
        if st[3]:
            st[0], st[1], st[2], st[3] = p0, has0, buf0, 0
            return i, 1
        if not found:
            return i, 2
        n_cells = 0  # the start's component without the start, in cell order
        for x in range(c):
            taken[x] = False
            if x != s and dist[x] <= c:
                cells[n_cells] = x
                n_cells += 1
        for q in range(n_calls):
            if call_kind[q] == 0:
                pop = n_cells
                for t in range(pop):
                    pool[t] = cells[t]
            elif call_kind[q] == 1:
                pop = pool_at[q + 1] - pool_at[q]
                for t in range(pop):
                    pool[t] = pools[pool_at[q] + t]
            else:
                pop = _untaken(cells, n_cells, taken, pool)
            m = call_at[q + 1] - call_at[q]
            _sample(raw, st, pop, m, pick)
            for t in range(m):
                cell = pool[pick[t]]
                out_cell[first + i, call_objs[call_at[q] + t]] = cell
                taken[cell] = True
        out_feat_at[first + i] = st[0]
        st[0] += n_doubles
        if parents.shape[0] > 0:  # spawned objects: uniform among the free cells near the parent
            n_left = _untaken(cells, n_cells, taken, free)
            for j in range(parents.shape[0]):
                _bfs(wl, out_cell[first + i, parents[j]], h, w, dist, queue)
                nearest = c + 1
                for t in range(n_left):
                    nearest = min(nearest, dist[free[t]])
                limit = max(spill, nearest)
                n_near = 0
                for t in range(n_left):
                    if dist[free[t]] <= limit:
                        pick[n_near] = t
                        n_near += 1
                if n_near == 0:  # no free cell left (the component's size rules it out): never index
                    return i, 2
                at = pick[_bounded(raw, st, n_near - 1)]
                out_cell[first + i, k_visible + j] = free[at]
                for t in range(at, n_left - 1):
                    free[t] = free[t + 1]
                n_left -= 1
        if st[3] or st[0] > raw.shape[0]:
            st[0], st[1], st[2], st[3] = p0, has0, buf0, 0
            return i, 1
        for x in range(c):
            out_walls[first + i, x] = wl[x]
        out_start[first + i] = s
    return n, 0
