"""Fixed layouts: the text of a scenario's ``layout`` (rows of ``#`` wall, ``.`` free, ``S`` the start,
lowercase letters: free cells of a named zone) as arrays, and what its start reaches. Pure numpy at
import (the reach is :mod:`evo.core.worlds.paths`'s search).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


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


def reached(layout: Sequence[str]) -> NDArray[np.bool_]:
    """(C,) the cells the start of a fixed layout reaches, the start included."""
    from evo.core.worlds import paths  # numba, loaded on the first search

    walls, start, h, w = parse_layout(layout)
    out: NDArray[np.bool_] = paths.reach(walls[None], np.array([start]), h, w)[0]
    return out


def reachable_zone_cells(layout: Sequence[str]) -> dict[str, int]:
    """Number of cells of each zone the start of a fixed layout reaches."""
    comp = reached(layout)
    return {z: int(comp[cells].sum()) for z, cells in layout_zones(layout).items()}


def reachable_cells(layout: Sequence[str]) -> int:
    """Number of free cells other than the start reachable from the start of a fixed layout."""
    return int(reached(layout).sum()) - 1


def distances_from(walls: NDArray[np.bool_], start: NDArray[np.int64], h: int, w: int) -> NDArray[np.int64]:
    """(B, C) shortest-path steps from each world's start (B,) to every cell of ``walls`` (B, C); -1 where
    unreachable."""
    from evo.core.worlds import paths

    dist = paths.search(walls, np.asarray(start, dtype=np.int64)[:, None], h, w)[0][:, 0]
    out: NDArray[np.int64] = np.where(dist > h * w, -1, dist)
    return out
