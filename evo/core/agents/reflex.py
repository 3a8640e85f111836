"""The **reflex** kind (a non-optimizer, a "plant"; docs/concepts.md §3).

Genome ``θ_wall, θ_adj[F], θ_scent[F], bias[5]``. For each move ``d`` in N, E, S, W with ``n_d`` the cell
it leads to (the current cell when blocked):
``score_d = bias_d + θ_wall·wall_d + Σ_f θ_adj_f·adj_df + Σ_f θ_scent_f·(scent_f(n_d) − scent_f(here))``,
accumulated in exactly that order, where ``wall_d`` is 1 when the move is blocked, ``adj_df`` the feature
``f`` of a remaining object on ``n_d`` (0 when blocked or empty) and ``scent_f(c) = max(0, R − |c − o|₁)/R``
maximised over remaining objects ``o`` carrying ``f`` (0 if none), ``R`` the view radius: a smell that
ignores walls, so a reflex agent climbs gradients and gets stuck behind walls. ``score_stay = bias_4``.
The move is the first argmax. No objective is represented anywhere.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from evo.config.params import Param
from evo.core.agents.base import GenomeKind, Policy, proximity_of
from evo.core.step import STAY, Rule, View, register_rule
from evo.core.worlds import WorldBatch

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig

#: the ``[agent]`` key of a kind with reflexes (reflex, hybrid)
SMELL = MappingProxyType({
    "view_radius": Param(type=int, default=5, low=1, limit="view_radius",
                         doc="R: reflexes smell an object up to R cells away (Manhattan, through walls)"),
})

# Bytes of a reflex step (fitted with the other constants of evo.runs.scenarios's memory estimate)
REFLEX_PAIR = 120
REFLEX_PER_OBJECT = 80
REFLEX_PER_OBJECT_FEATURE = 8
REFLEX_PER_FEATURE = 130

#: what reflexes smell depends on the world, the cell and the remaining objects only: it is kept for at
#: most SCENT_SETS remaining sets per world (the first met), in at most SCENT_FLOATS floats
SCENT_SETS = 64
SCENT_FLOATS = 1 << 21


def reflex_pair_bytes(n_objects: int, n_features: int) -> int:
    """What a reflex step adds per (agent, world) pair (see :func:`evo.runs.scenarios.memory_estimate`)."""
    k, f = n_objects, n_features
    return REFLEX_PAIR + REFLEX_PER_OBJECT * k + REFLEX_PER_OBJECT_FEATURE * k * f + REFLEX_PER_FEATURE * f


def reflex_parts(n_features: int) -> dict[str, int]:
    """The reflex genes, in genome order."""
    return {"theta_wall": 1, "theta_adj": n_features, "theta_scent": n_features, "bias": 5}


class Genes(NamedTuple):
    theta_wall: np.ndarray  # (P,)
    theta_adj: np.ndarray  # (P, F)
    theta_scent: np.ndarray  # (P, F)
    bias: np.ndarray  # (P, 5)
    proximity: np.ndarray  # (B, C, K) max(0, R − |c − o|₁)/R


class Smell(NamedTuple):
    """What the reflexes smelled, per world (the kind's state): ``table`` (sets, C, 5, F) for the first
    ``sets`` remaining sets (bit masks, K ≤ 62) met in world ``at[0]``, ``known`` which cells of a set are
    filled, an open-addressing map ``keys`` → ``number``, ``at[1]`` sets used, ``scratch`` (5, F)."""

    table: np.ndarray
    known: np.ndarray
    keys: np.ndarray
    number: np.ndarray
    at: np.ndarray
    scratch: np.ndarray


@njit(cache=True, nogil=True, inline="always")
def _scent(b: int, cell: int, remaining: np.ndarray, view: View, proximity: np.ndarray,
           scent: np.ndarray) -> None:
    """What is smelled on ``cell`` of world ``b`` and its four neighbours, into ``scent`` (5, F): per
    feature, the max over objects of proximity·remains·feature, from object 0."""
    seen = view.seen
    k_all, n_features = seen.shape[1], seen.shape[2]
    for j in range(5):  # here, N, E, S, W
        there = cell if j == 0 else view.neighbors[b, cell, j - 1]
        for f in range(n_features):
            s = (proximity[b, there, 0] * (1.0 if remaining[0] else 0.0)) * seen[b, 0, f]
            for k in range(1, k_all):
                x = (proximity[b, there, k] * (1.0 if remaining[k] else 0.0)) * seen[b, k, f]
                if x > s:
                    s = x
            scent[j, f] = s


@njit(cache=True, nogil=True, inline="always")
def smell(genes: Genes, smelled: Smell, view: View, b: int, cell: int, remaining: np.ndarray) -> np.ndarray:
    """(5, F) the scent here and at the four neighbours, from the world's table when it has one."""
    n_sets = smelled.table.shape[0]
    if n_sets == 0:
        _scent(b, cell, remaining, view, genes.proximity, smelled.scratch)
        return smelled.scratch
    keys, number, at = smelled.keys, smelled.number, smelled.at
    if at[0] != b:  # a new world: forget the last one's sets
        at[0], at[1] = b, 0
        keys[:] = -1
    mask = 0
    for k in range(remaining.shape[0]):
        mask |= (1 if remaining[k] else 0) << k
    slot = -1
    x = mask % keys.shape[0]
    while keys[x] != -1 and keys[x] != mask:
        x = (x + 1) % keys.shape[0]
    if keys[x] == mask:
        slot = number[x]
    elif at[1] < n_sets:
        keys[x], number[x] = mask, at[1]
        smelled.known[at[1]] = False
        slot = at[1]
        at[1] += 1
    if slot < 0:
        _scent(b, cell, remaining, view, genes.proximity, smelled.scratch)
        return smelled.scratch
    scent = smelled.table[slot, cell]
    if not smelled.known[slot, cell]:
        smelled.known[slot, cell] = True
        _scent(b, cell, remaining, view, genes.proximity, scent)
    return scent


@njit(cache=True, nogil=True, inline="always")
def react(genes: Genes, a: int, view: View, b: int, cell: int, remaining: np.ndarray,
          scent: np.ndarray) -> int:
    """The reflex rule (module docstring) for agent ``a`` on ``cell`` of world ``b``, given what it smells
    there (:func:`smell`)."""
    seen = view.seen
    n_features = seen.shape[2]
    move, best_score = 0, 0.0
    for m in range(4):
        there = view.neighbors[b, cell, m]
        blocked = there == cell
        score = genes.bias[a, m] + genes.theta_wall[a] * (1.0 if blocked else 0.0)
        k = view.obj_at[b, there]
        present = k >= 0 and not blocked and remaining[max(k, 0)]
        for f in range(n_features):
            score = score + genes.theta_adj[a, f] * (seen[b, max(k, 0), f] * (1.0 if present else 0.0))
        for f in range(n_features):
            score = score + genes.theta_scent[a, f] * (scent[m + 1, f] - scent[0, f])
        if m == 0 or score > best_score:
            move, best_score = m, score
    if genes.bias[a, STAY] > best_score:
        move = STAY
    return move


@njit(cache=True, nogil=True)
def _decide(params: Genes, state: Smell, a: int, unit: int, view: View, b: int, cell: int,
            remaining: np.ndarray, t: int) -> int:
    return react(params, a, view, b, cell, remaining, smell(params, state, view, b, cell, remaining))


RULE = register_rule(Rule(Genes, _decide))


def genes_of(policy: Policy, worlds: WorldBatch) -> Genes:
    """The reflex genes of ``policy`` and what they smell by in ``worlds``."""
    f64, g = np.ascontiguousarray, policy.genes
    return Genes(f64(g["theta_wall"][:, 0], dtype=np.float64), f64(g["theta_adj"], dtype=np.float64),
                 f64(g["theta_scent"], dtype=np.float64), f64(g["bias"], dtype=np.float64),
                 proximity_of(worlds, policy.values["view_radius"]))


def smell_of(worlds: WorldBatch) -> Smell:
    """An empty scent table for ``worlds`` (none with more than 62 objects)."""
    c, k, f = worlds.height * worlds.width, worlds.n_objects, worlds.obj_feat.shape[-1]
    n_sets = 0 if k > 62 else min(SCENT_SETS, SCENT_FLOATS // max(c * 5 * f, 1))
    slots = 2 * max(n_sets, 1)
    return Smell(np.empty((n_sets, c, 5, f)), np.zeros((n_sets, c), dtype=np.bool_),
                 np.full(slots, -1, dtype=np.int64), np.zeros(slots, dtype=np.int64),
                 np.array([-1, 0], dtype=np.int64), np.empty((5, f)))


def reflex_perceives(policy: Policy) -> tuple[NDArray[np.float64], ...]:
    """How strongly reflexes read each feature: ``|θ_adj_f|``, then ``|θ_scent_f|``, each (P, F)."""
    return np.abs(policy.genes["theta_adj"]), np.abs(policy.genes["theta_scent"])


class Reflex(GenomeKind):
    """The reflex kind: reflex genes only, horizon 0, no objective."""

    name = "reflex"
    parameters = SMELL
    reacts = True

    def parts(self, n_features: int) -> dict[str, int]:
        return reflex_parts(n_features)

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        return self.policy(genomes, cfg, n_features)

    def compiled(self, policy: Policy, worlds: WorldBatch, view: View) -> tuple[Genes, Smell]:
        return genes_of(policy, worlds), smell_of(worlds)

    def perceives(self, policy: Policy) -> tuple[NDArray[np.float64], ...]:
        return reflex_perceives(policy)

    def pair_bytes(self, n_objects: int, n_features: int) -> int:
        return reflex_pair_bytes(n_objects, n_features)


REFLEX = Reflex()
