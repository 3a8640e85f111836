"""The one breadth-first search of evo (numba): shortest-path steps from a cell over a grid's free cells,
and from it the world tables (the move table, distances and first moves toward every object), the cells a
start reaches, and the probe's distances from the start. Cells are row-major; moves N, E, S, W, stay.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

STAY = 4


@njit(cache=True, nogil=True)
def bfs(walls: np.ndarray, src: int, h: int, w: int, dist: np.ndarray, queue: np.ndarray) -> int:
    """Steps from ``src`` to every cell over the free cells of ``walls`` (C,) into ``dist``, C + 1 where
    unreachable (everywhere when ``src`` is a wall); the reached cells in ``queue``, in the order reached.
    Returns how many were reached."""
    c = h * w
    for x in range(c):
        dist[x] = c + 1
    if walls[src]:
        return 0
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
def _search(walls: np.ndarray, sources: np.ndarray, h: int, w: int, moves: bool, out_dist: np.ndarray,
            out_first: np.ndarray) -> None:
    """:func:`bfs` from every source of every world: ``walls`` (B, C), ``sources`` (B, S); writes the steps
    (B, S, C) and (``moves``) the first move of a shortest path to the source: the first of N, E, S, W whose
    cell is one step nearer, STAY at the source and where unreachable."""
    b_all, s_all = sources.shape
    c = h * w
    queue = np.empty(c, dtype=np.int64)
    for b in range(b_all):
        for s in range(s_all):
            dist = out_dist[b, s]
            bfs(walls[b], sources[b, s], h, w, dist, queue)
            if not moves:
                continue
            first = out_first[b, s]
            for x in range(c):
                first[x] = STAY
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
def _moves(walls: np.ndarray, h: int, w: int, out: np.ndarray) -> None:
    """(B, C, 5) the cell reached by N, E, S, W and stay from each cell of each world: the cell itself when
    the move leaves the grid or enters a wall."""
    for b in range(walls.shape[0]):
        for x in range(h * w):
            r, col = x // w, x % w
            out[b, x, 0] = x - w if r > 0 and not walls[b, x - w] else x
            out[b, x, 1] = x + 1 if col < w - 1 and not walls[b, x + 1] else x
            out[b, x, 2] = x + w if r < h - 1 and not walls[b, x + w] else x
            out[b, x, 3] = x - 1 if col > 0 and not walls[b, x - 1] else x
            out[b, x, 4] = x


def neighbors(walls: NDArray[np.bool_], h: int, w: int) -> NDArray[np.int64]:
    """(B, C, 5) cell reached by each move (N, E, S, W, stay) from each cell of ``walls`` (B, C)."""
    out = np.empty((walls.shape[0], h * w, 5), dtype=np.int64)
    _moves(np.ascontiguousarray(walls, dtype=bool), h, w, out)
    return out


def search(walls: NDArray[np.bool_], sources: NDArray[np.int64], h: int, w: int, moves: bool = False
           ) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
    """Steps from every source (B, S) of every world ``walls`` (B, C) to every cell (B, S, C), ``C + 1``
    where unreachable, and (``moves``) the first move of a shortest path to each source (B, S, C), else
    None."""
    b, s = sources.shape
    dist = np.empty((b, s, h * w), dtype=np.int64)
    first = np.empty((b, s, h * w) if moves else (1, 1, 1), dtype=np.int64)
    _search(np.ascontiguousarray(walls, dtype=bool), np.ascontiguousarray(sources, dtype=np.int64), h, w,
            moves, dist, first)
    return dist, (first if moves else None)


def reach(walls: NDArray[np.bool_], start: NDArray[np.int64], h: int, w: int) -> NDArray[np.bool_]:
    """(B, C) the cells each world's start reaches (the start included when it is free)."""
    dist, _ = search(walls, start[:, None], h, w)
    out: NDArray[np.bool_] = dist[:, 0] <= h * w
    return out
