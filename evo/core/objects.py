"""What a world distribution's object groups mean: the one reader of ``evo.config.schema.ObjectGroup``
(docs/concepts.md §2, "Object types"). numpy only; nothing here draws.

Rationale: docs/architecture.md, "Notes on modules" → Object groups.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from evo.config.schema import ObjectGroup, WorldConfig

#: The most feature sets one ``features`` group contributes by enumeration (2**8: eight optional features).
MAX_COMBINATIONS = 256


def _optional(group: ObjectGroup) -> tuple[list[str], list[str]]:
    """A ``features`` group's always-present (``p ≥ 1``) and optional (``0 < p < 1``) features, as listed."""
    always = [f for f, p in group.features.items() if p >= 1.0]
    optional = [f for f, p in group.features.items() if 0.0 < p < 1.0]
    return always, optional


def _pattern_probability(group: ObjectGroup, optional: Sequence[str], present: Sequence[bool]) -> float:
    prob = 1.0
    for f, on in zip(optional, present, strict=True):
        prob *= group.features[f] if on else 1.0 - group.features[f]
    return prob


def group_types(group: ObjectGroup) -> tuple[list[tuple[frozenset[str], float]], bool]:
    """The feature sets one drawn object of ``group`` can have, each with its probability, in the order of
    the module docstring (decision 3), and whether the list is complete (decision 2). A set listed twice
    (two variants with the same features) appears once with the summed probability. Spawned objects are not
    drawn objects: :func:`object_types` adds them."""
    out: dict[frozenset[str], float] = {}
    complete = True
    if group.variants:
        total = sum(v.p for v in group.variants)
        for v in group.variants:
            if v.p > 0:
                key = frozenset(v.features)
                out[key] = out.get(key, 0.0) + v.p / total
        return list(out.items()), complete
    always, optional = _optional(group)
    if 2 ** len(optional) <= MAX_COMBINATIONS:
        patterns: list[tuple[bool, ...]] = list(itertools.product((False, True), repeat=len(optional)))
    else:
        complete = False
        likely = tuple(group.features[f] >= 0.5 for f in optional)
        flipped = [tuple(on != (j == i) for j, on in enumerate(likely)) for i in range(len(optional))]
        patterns = [likely, *flipped]
    for present in patterns:
        key = frozenset(always + [f for f, on in zip(optional, present, strict=True) if on])
        out[key] = out.get(key, 0.0) + _pattern_probability(group, optional, present)
    return list(out.items()), complete


@dataclass(frozen=True, eq=False)
class ObjectTypes:
    """The object types of a distribution over the vocabulary ``features``: ``rows`` (T, F) 0/1 feature
    vectors in the documented order; ``share`` (T,) each type's expected share of a world's objects (hidden
    spawned objects included); ``expected`` (T,) its expected number per world; ``complete``: false when a
    group was above :data:`MAX_COMBINATIONS` (then some possible sets are missing and ``share`` sums to
    less than 1)."""

    features: tuple[str, ...]
    rows: NDArray[np.float64]
    share: NDArray[np.float64]
    expected: NDArray[np.float64]
    complete: bool

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def sets(self) -> list[frozenset[str]]:
        """The types as feature-name sets, in row order."""
        return [frozenset(f for f, x in zip(self.features, row, strict=True) if x) for row in self.rows]


def object_types(cfg: WorldConfig, features: Sequence[str]) -> ObjectTypes:
    """The object types of the distribution ``cfg`` (module docstring: decisions 1–3)."""
    feats = tuple(features)
    index = {f: i for i, f in enumerate(feats)}
    expected: dict[frozenset[str], float] = {}
    complete = True
    n_objects = 0
    for g in cfg.objects:
        types, whole = group_types(g)
        complete &= whole
        n_objects += g.count
        for key, p in types:
            expected[key] = expected.get(key, 0.0) + g.count * p
    for g in cfg.objects:
        if g.spawns:
            key = frozenset(g.spawns)
            expected[key] = expected.get(key, 0.0) + g.count
            n_objects += g.count
    rows = np.zeros((len(expected), len(feats)))
    for r, key in enumerate(expected):
        rows[r, [index[f] for f in key]] = 1.0
    exp = np.array(list(expected.values()), dtype=np.float64)
    share = exp / n_objects if n_objects else exp
    return ObjectTypes(feats, rows, share, exp, complete)


def _any_present(probabilities: Sequence[float]) -> float:
    """P(at least one of independent events with these probabilities): 1 if one is certain, the single
    probability itself when there is one (exactly), else by the recursion u ← u + p·(1 − u)."""
    if any(p >= 1.0 for p in probabilities):
        return 1.0
    u = 0.0
    for p in probabilities:
        u = u + p * (1.0 - u)
    return u


def _spawned(cfg: WorldConfig) -> list[tuple[int, frozenset[str]]]:
    return [(g.count, frozenset(g.spawns)) for g in cfg.objects if g.spawns]


def co_occurrence(cfg: WorldConfig, features: Sequence[str]) -> NDArray[np.float64]:
    """(F, F) the expected number of objects per world of ``cfg`` that carry both feature ``i`` and feature
    ``j`` (the diagonal: that carry ``i``), spawned objects included. Exact: independent features multiply
    their probabilities, variants add theirs."""
    feats = tuple(features)
    index = {f: i for i, f in enumerate(feats)}
    out = np.zeros((len(feats), len(feats)))
    for g in cfg.objects:
        if g.variants:
            total = sum(v.p for v in g.variants)
            for v in g.variants:
                idx = [index[f] for f in v.features]
                out[np.ix_(idx, idx)] += g.count * (v.p / total)
            continue
        p = np.zeros(len(feats))
        for f, prob in g.features.items():
            p[index[f]] = min(prob, 1.0)
        pair = np.outer(p, p)
        np.fill_diagonal(pair, p)
        out += g.count * pair
    for count, key in _spawned(cfg):
        idx = [index[f] for f in key]
        out[np.ix_(idx, idx)] += count
    return out


def proxy_target(cfg: WorldConfig, features: Sequence[str], payoff: NDArray[np.float64]
                 ) -> tuple[int, int] | None:
    """(proxy, target) feature indices on the distribution ``cfg`` (the train distribution) for the base
    payoff vector ``payoff``: the target is the feature paid most (the first of equals); the proxy is the
    unpaid feature (``payoff ≤ 0``) that co-occurs with the target on most objects (:func:`co_occurrence`;
    the first of equals). None if no unpaid feature ever co-occurs with the target."""
    pay = np.asarray(payoff, dtype=np.float64)
    target = int(np.argmax(pay))
    score = co_occurrence(cfg, features)[:, target].copy()
    score[(pay > 0) | (np.arange(len(pay)) == target)] = 0.0
    if score.max() <= 0:
        return None
    return int(np.argmax(score)), target


def _target_split(cfg: WorldConfig, paid: Collection[str], proxy: str) -> tuple[float, float, float, float]:
    """Expected objects per world: (target, target without ``proxy``, non-target, non-target with
    ``proxy``); a target object carries a feature of ``paid``."""
    paid_set = set(paid)
    target = target_plain = other = other_proxy = 0.0
    for g in cfg.objects:
        if g.variants:
            total = sum(v.p for v in g.variants)
            for v in g.variants:
                w = g.count * (v.p / total)
                if paid_set & set(v.features):
                    target += w
                    target_plain += w * (proxy not in v.features)
                else:
                    other += w
                    other_proxy += w * (proxy in v.features)
            continue
        p_proxy = min(g.features.get(proxy, 0.0), 1.0)
        p_paid = [min(p, 1.0) for f, p in g.features.items() if f in paid_set]
        p_paid_other = [min(p, 1.0) for f, p in g.features.items() if f in paid_set and f != proxy]
        p_target = _any_present(p_paid)
        p_none = 1.0
        for p in p_paid:
            p_none *= 1.0 - p
        target += g.count * p_target
        target_plain += g.count * ((1.0 - p_proxy) * _any_present(p_paid_other))
        other += g.count * p_none
        other_proxy += g.count * (0.0 if proxy in paid_set else p_proxy * p_none)
    for count, key in _spawned(cfg):
        if paid_set & key:
            target += count
            target_plain += count * (proxy not in key)
        else:
            other += count
            other_proxy += count * (proxy in key)
    return target, target_plain, other, other_proxy


def decorrelation(cfg: WorldConfig, paid: Collection[str], proxy: str) -> float:
    """The probability that a target object of ``cfg`` (one carrying a feature of ``paid``, the features the
    base objective pays for) lacks the ``proxy`` feature: the diversity dial's ``q`` for the door colour (0
    in red_door's training worlds, where every door is red). NaN when ``cfg`` has no target object."""
    target, plain, _, _ = _target_split(cfg, paid, proxy)
    return plain / target if target > 0 else float("nan")


def decoy_rate(cfg: WorldConfig, paid: Collection[str], proxy: str) -> float:
    """The probability that a non-target object of ``cfg`` (one carrying no feature of ``paid``; the empty
    object counts) carries the ``proxy`` feature: a decoy. NaN when ``cfg`` has no non-target object."""
    _, _, other, with_proxy = _target_split(cfg, paid, proxy)
    return with_proxy / other if other > 0 else float("nan")
