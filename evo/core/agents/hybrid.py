"""The **hybrid** kind (docs/concepts.md §3).

Genome ``w, reflex genes, horizon gene g``; horizon ``h = round(clip(g, 0, 1)·H)``. With ``h = 0`` it is a
reflex agent; otherwise it plans like a mesa agent (:mod:`evo.core.agents.mesa`) with horizon ``h`` and falls
back on its reflexes (:mod:`evo.core.agents.reflex`) when no object within ``h`` has positive value. Planning
costs fitness per unit of ``h``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from evo.core.agents.base import GenomeKind, Policy
from evo.core.agents.mesa import PLANNING, MesaParams, mesa_params, plan, plan_pair_bytes, target, utility
from evo.core.agents.reflex import (
    SMELL,
    Genes,
    Smell,
    genes_of,
    react,
    reflex_pair_bytes,
    reflex_parts,
    reflex_perceives,
    smell,
    smell_of,
)
from evo.core.step import Rule, View, register_rule
from evo.core.worlds import WorldBatch

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig


class HybridParams(NamedTuple):
    plan: MesaParams
    reflexes: Genes


class HybridState(NamedTuple):
    u: np.ndarray  # (K,) this episode's object utilities
    smelled: Smell


@njit(cache=True, nogil=True)
def _begin(params: HybridParams, state: HybridState, a: int, unit: int, view: View, b: int) -> None:
    utility(params.plan.w[a], view.seen, b, state.u)


@njit(cache=True, nogil=True)
def _decide(params: HybridParams, state: HybridState, a: int, unit: int, view: View, b: int, cell: int,
            remaining: np.ndarray, t: int) -> int:
    move = plan(params.plan.horizon[a], state.u, params.plan.gamma, view, b, cell, remaining)
    if move >= 0:
        return move
    return react(params.reflexes, a, view, b, cell, remaining,
                 smell(params.reflexes, state.smelled, view, b, cell, remaining))


@njit(cache=True, nogil=True)
def _aim(params: HybridParams, state: HybridState, a: int, unit: int, view: View, b: int, cell: int,
         remaining: np.ndarray, t: int) -> int:
    return target(params.plan.horizon[a], state.u, params.plan.gamma, view, b, cell, remaining)


RULE = register_rule(Rule(HybridParams, _decide, begin=_begin, aim=_aim))


class Hybrid(GenomeKind):
    """The hybrid kind: ``w``, the reflex genes and a horizon gene ~ U(0, 1) initially."""

    name = "hybrid"
    parameters = MappingProxyType({**PLANNING, **SMELL})
    plans = True
    reacts = True
    has_objective = True
    evolves_horizon = True
    objective_gene = "w"

    def parts(self, n_features: int) -> dict[str, int]:
        return {"w": n_features, **reflex_parts(n_features), "horizon_gene": 1}

    def initial_genomes(self, cfg: AgentConfig, n_features: int, n: int,
                        rng: np.random.Generator) -> NDArray[np.float64]:
        """Weights ~ N(0, init_sigma²); the horizon gene ~ U(0, 1)."""
        g = super().initial_genomes(cfg, n_features, n, rng)
        a, b = self.genome_layout(n_features)["horizon_gene"]
        g[:, a:b] = rng.random((n, b - a))
        return g

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        a = self.genome_layout(n_features)["horizon_gene"][0]
        gene = np.asarray(genomes, dtype=np.float64)[:, a]
        horizon = np.rint(np.clip(gene, 0.0, 1.0) * self.values(cfg)["horizon"]).astype(np.int64)
        return self.policy(genomes, cfg, n_features, horizon)

    def compiled(self, policy: Policy, worlds: WorldBatch, view: View) -> tuple[HybridParams, HybridState]:
        return (HybridParams(mesa_params(policy, worlds), genes_of(policy, worlds)),
                HybridState(np.zeros(worlds.n_objects), smell_of(worlds)))

    def perceives(self, policy: Policy) -> tuple[NDArray[np.float64], ...]:
        return reflex_perceives(policy)

    def pair_bytes(self, n_objects: int, n_features: int) -> int:
        # counted as if every pair fell back on its reflexes
        return plan_pair_bytes(n_objects, n_features) + reflex_pair_bytes(n_objects, n_features)


HYBRID = Hybrid()
