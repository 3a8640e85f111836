"""The plan of a world distribution: everything about ``cfg`` (a :class:`~evo.config.schema.WorldConfig`)
that does not depend on the draws, as the draw kernel (:mod:`evo.core.worlds.draw`) takes it, and the
objects' features from each world's feature doubles. Pure numpy.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evo.core.worlds.batch import check_spawn
from evo.core.worlds.layout import layout_zones, parse_layout, reached
from evo.errors import EvoError

if TYPE_CHECKING:
    from evo.config.schema import WorldConfig

#: A spawned object appears on a free cell at most this many path steps from its parent, drawn uniformly
#: (farther only when no such cell is left: then among the nearest free cells).
SPILL_RADIUS = 2

#: per object group: (first object, count, variant matrix (V, F) or None, the variants' cdf or each
#: feature's probability, the feature columns)
_Group = tuple[int, int, NDArray[np.float64] | None, NDArray[np.float64], NDArray[np.int64]]
#: per placement call: (the objects it places, its pool: 0 the start's component without the start,
#: 1 the cells given, 2 the component's cells no earlier call took; the cells given or none)
_Call = tuple[tuple[int, ...], int, NDArray[np.int64]]


@dataclass(frozen=True, eq=False)
class Plan:
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
    border: NDArray[np.bool_]
    groups: tuple[_Group, ...]
    n_doubles: int  # feature doubles per world
    fixed_walls: NDArray[np.bool_] | None  # a fixed layout (None: random walls)
    fixed_start: int
    calls: tuple[_Call, ...]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, cfg: WorldConfig, features: Sequence[str]) -> Plan:
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
        groups: list[_Group] = []
        first = n_doubles = 0
        for g in cfg.objects:
            if g.variants:
                p = np.array([v.p for v in g.variants], dtype=np.float64)
                cdf = p.cumsum()
                cdf /= cdf[-1]
                matrix = np.zeros((len(p), len(features)))
                for r, v in enumerate(g.variants):
                    matrix[r, [index[f] for f in v.features]] = 1.0
                groups.append((first, g.count, matrix, cdf, np.zeros(0, dtype=np.int64)))
                n_doubles += g.count
            else:
                cols = np.array([index[f] for f in g.features], dtype=np.int64)
                groups.append((first, g.count, None, np.array(list(g.features.values()), dtype=np.float64),
                               cols))
                n_doubles += g.count * len(cols)
            first += g.count
        none = np.zeros(0, dtype=np.int64)
        calls: list[_Call] = [(tuple(range(k_visible)), 0, none)]
        fixed_walls: NDArray[np.bool_] | None = None
        fixed_start = -1
        if cfg.layout:
            fixed_walls, fixed_start, h, w = parse_layout(cfg.layout)
            comp = reached(cfg.layout)
            comp[fixed_start] = False
            cells = np.flatnonzero(comp)
            if any(zone_of):
                zones = layout_zones(cfg.layout)
                calls = []
                for z in dict.fromkeys(x for x in zone_of if x):
                    pool = np.intersect1d(zones[z], cells) if z in zones else none
                    calls.append((tuple(j for j, x in enumerate(zone_of) if x == z), 1, pool))
                rest = tuple(j for j, x in enumerate(zone_of) if not x)
                if rest:
                    calls.append((rest, 2, none))
        else:
            if any(zone_of):
                raise EvoError("zones are letters of a fixed layout, and this distribution has none")
            h, w = cfg.size
        border: NDArray[np.bool_] = np.zeros((h, w), dtype=bool)
        border[[0, -1], :] = border[:, [0, -1]] = True
        return cls(cfg, len(features), h, w, k_visible, k, parents_, spawn_row, child_feat,
                   border.reshape(-1), tuple(groups), n_doubles, fixed_walls, fixed_start, tuple(calls))

    def kernel_args(self) -> tuple[Any, ...]:
        """The distribution as :func:`evo.core.worlds.draw.draw_worlds` takes it: border, wall density,
        the fixed layout (empty: random walls) and start, the visible objects, the placement calls (objects
        per call, their pool kinds, the pools given), feature doubles per world, parents, spill radius."""
        if "kernel" not in self._cache:
            calls = self.calls
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

    def features(self, dbl: NDArray[np.float64]) -> NDArray[np.float64]:
        """The objects' features (n, K, F) from each world's feature doubles (n, n_doubles), in draw
        order: one per object of a variant group (the first variant whose cdf exceeds it), one per feature
        of each object otherwise (the feature is on below its probability); spawned objects get their
        fixed features."""
        n = dbl.shape[0]
        obj_feat = np.zeros((n, self.k, self.n_features))
        col = 0
        for first, count, matrix, values, cols in self.groups:
            span = slice(first, first + count)
            if matrix is not None:
                variant = values.searchsorted(dbl[:, col:col + count], side="right")
                obj_feat[:, span] = matrix[np.minimum(variant, len(values) - 1)]
                col += count
            else:
                u = dbl[:, col:col + count * cols.size].reshape(n, count, cols.size)
                obj_feat[:, span, cols] = (u < values).astype(np.float64)
                col += count * cols.size
        obj_feat[:, self.k_visible:] = self.child_feat
        return obj_feat


_PLANS: dict[tuple[int, tuple[str, ...]], tuple[WorldConfig, WorldConfig, Plan]] = {}


def plan(cfg: WorldConfig, features: tuple[str, ...]) -> Plan:
    """The plan of ``cfg``, kept for the last few distributions drawn from (a run draws from the same few
    every generation). An entry holds the config object (so its id stays its key) and a copy it must
    still equal (a frozen config can hold a dict, which could have been changed since). The spawn links
    every world of the distribution gets are checked once, here."""
    key = (id(cfg), features)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is cfg and hit[1] == cfg:
        return hit[2]
    made = Plan.of(cfg, features)
    check_spawn(made.spawn_row[None, :], made.k)
    if len(_PLANS) >= 32:
        _PLANS.clear()
    _PLANS[key] = (cfg, copy.deepcopy(cfg), made)
    return made
