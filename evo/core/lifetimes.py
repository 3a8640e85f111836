"""World batches drawn as lifetimes (docs/concepts.md §2). Pure numpy; a thin wrapper around
:func:`evo.core.worlds.generate`, whose internals it leaves alone.

Rationale: docs/architecture.md, "Notes on modules" → Lifetimes.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from evo.core import worlds
from evo.errors import EvoError

if TYPE_CHECKING:
    from evo.config.schema import WorldConfig


def resolve(cfg: WorldConfig, level: str, rng: np.random.Generator) -> WorldConfig:
    """``cfg`` with the variant of its ``level`` groups (``"world"`` or ``"lifetime"``) drawn: one index for
    all of them, each group keeping only its variant of that index (drawn per object from then on)."""
    shared = [g for g in cfg.objects if g.variant_per == level]
    if not shared:
        return cfg
    p = np.array([v.p for v in shared[0].variants])
    j = int(rng.choice(len(p), p=p / p.sum()))
    return _variant(cfg, level, j)


#: resolved configs of the last few distributions, so that drawing the same variant again returns the same
#: object and :func:`evo.core.worlds.generate` finds its plan instead of building it anew (key: the
#: config's id, the level, the variant; an entry holds the config and a copy it must still equal, as
#: evo.core.worlds keeps its plans)
_VARIANTS: dict[tuple[int, str, int], tuple[WorldConfig, WorldConfig, WorldConfig]] = {}


def _variant(cfg: WorldConfig, level: str, j: int) -> WorldConfig:
    key = (id(cfg), level, j)
    hit = _VARIANTS.get(key)
    if hit is not None and hit[0] is cfg and hit[1] == cfg:
        return hit[2]
    objects = tuple(dataclasses.replace(g, variants=(dataclasses.replace(g.variants[j], p=1.0),),
                                        variant_per="object") if g.variant_per == level else g
                    for g in cfg.objects)
    out = dataclasses.replace(cfg, objects=objects)
    if len(_VARIANTS) >= 256:
        _VARIANTS.clear()
    _VARIANTS[key] = (cfg, copy.deepcopy(cfg), out)
    return out


def concatenate(batches: Sequence[worlds.WorldBatch]) -> worlds.WorldBatch:
    """One batch of the worlds of ``batches`` (of one grid size and object count), in order: every array
    field joined along its first axis, the other fields taken from the first batch."""
    first = batches[0]
    if len(batches) == 1:
        return first
    values: dict[str, Any] = {}
    for f in dataclasses.fields(first):
        v = getattr(first, f.name)
        values[f.name] = (np.concatenate([getattr(b, f.name) for b in batches]) if isinstance(v, np.ndarray)
                          else v)
    return type(first)(**values)


def generate(cfg: WorldConfig, features: Sequence[str], n: int, rng: np.random.Generator,
             lifetime: int = 1) -> worlds.WorldBatch:
    """``n`` worlds of ``cfg`` drawn as ``n / lifetime`` lives of ``lifetime`` worlds (rules in the module
    docstring). ``n`` must be a multiple of ``lifetime`` when a group varies per lifetime."""
    levels = {g.variant_per for g in cfg.objects}
    if levels <= {"object"}:
        return worlds.generate(cfg, features, n, rng)
    per_life = lifetime if "lifetime" in levels else 1
    if n % per_life:
        raise EvoError(f"{n} worlds are not a whole number of lives of {per_life} worlds")
    batches: list[worlds.WorldBatch] = []
    for _ in range(n // per_life):
        life = resolve(cfg, "lifetime", rng)
        if "world" in levels:
            batches.extend(worlds.generate(resolve(life, "world", rng), features, 1, rng)
                           for _ in range(per_life))
        else:
            batches.append(worlds.generate(life, features, per_life, rng))
    return concatenate(batches)
