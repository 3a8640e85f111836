"""The **mesa** kind (a mesa-optimizer; docs/concepts.md §3).

Genome ``w`` (one weight per feature). Its mesa-objective is ``w``. Each step it scores every remaining
object ``k`` within ``horizon`` path steps: ``value_k = (Σ_f w_f·x_kf) · γ^d_k`` (sum in feature order,
``γ^d`` from the table ``[γ**d for d …]``), takes the object of largest positive value (lowest index on
ties) and makes the first move of a shortest path to it. No positive value: stay. The exact decision rules
here are the specification the per-agent reference evaluator in ``tests/core/reference.py`` re-implements.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from evo.config.params import Param
from evo.core.agents.base import GenomeKind, Policy, discount_table
from evo.core.step import STAY, Rule, View, register_rule
from evo.core.worlds import WorldBatch

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig

#: the ``[agent]`` keys of a kind that plans like a mesa agent (mesa, hybrid, learner)
PLANNING = MappingProxyType({
    "horizon": Param(type=int, default=12, low=1, limit="horizon",
                     doc="path steps the agent searches (a hybrid: the largest its horizon gene reaches)"),
    "discount": Param(type=float, default=0.9, low=0.0, low_open=True, high=1.0,
                      doc="γ: an object d path steps away is worth γ^d of its utility"),
})

#: bytes per (agent, world) pair and object of planning (fitted with the other constants of
#: evo.runs.scenarios's memory estimate)
PLAN_PER_OBJECT = 20


def plan_pair_bytes(n_objects: int, n_features: int) -> int:
    """What planning adds per (agent, world) pair (see :func:`evo.runs.scenarios.memory_estimate`)."""
    return PLAN_PER_OBJECT * n_objects


@njit(cache=True, nogil=True, inline="always")
def utility(w: np.ndarray, seen: np.ndarray, b: int, u: np.ndarray) -> None:
    """``u_k = Σ_f w_f·x_kf`` of world ``b``'s objects into ``u`` (K,), summed in feature order from 0.0."""
    for k in range(seen.shape[1]):
        x = 0.0
        for f in range(seen.shape[2]):
            x = x + w[f] * seen[b, k, f]
        u[k] = x


@njit(cache=True, nogil=True, inline="always")
def target(h: int, u: np.ndarray, gamma: np.ndarray, view: View, b: int, cell: int,
           remaining: np.ndarray) -> int:
    """The mesa rule's target: the remaining object of largest positive ``u_k·γ^d`` within the horizon
    ``h`` (lowest index on ties), or -1 when there is none."""
    best, best_value = -1, 0.0
    for k in range(remaining.shape[0]):
        if remaining[k]:
            d = view.dist[b, k, cell]
            if d <= h:
                value = u[k] * gamma[d]
                if value > best_value:
                    best, best_value = k, value
    return best


@njit(cache=True, nogil=True, inline="always")
def plan(h: int, u: np.ndarray, gamma: np.ndarray, view: View, b: int, cell: int,
         remaining: np.ndarray) -> int:
    """The mesa rule: the first move toward its :func:`target`, or -1 when there is none."""
    best = target(h, u, gamma, view, b, cell, remaining)
    if best < 0:
        return -1
    return view.next_move[b, best, cell]


class MesaParams(NamedTuple):
    w: np.ndarray  # (P, F)
    horizon: np.ndarray  # (P,)
    gamma: np.ndarray  # γ^d for every distance of the batch


@njit(cache=True, nogil=True)
def _begin(params: MesaParams, state: np.ndarray, a: int, unit: int, view: View, b: int) -> None:
    utility(params.w[a], view.seen, b, state)


@njit(cache=True, nogil=True)
def _decide(params: MesaParams, state: np.ndarray, a: int, unit: int, view: View, b: int, cell: int,
            remaining: np.ndarray, t: int) -> int:
    move = plan(params.horizon[a], state, params.gamma, view, b, cell, remaining)
    return STAY if move < 0 else move


@njit(cache=True, nogil=True)
def _aim(params: MesaParams, state: np.ndarray, a: int, unit: int, view: View, b: int, cell: int,
         remaining: np.ndarray, t: int) -> int:
    return target(params.horizon[a], state, params.gamma, view, b, cell, remaining)


RULE = register_rule(Rule(MesaParams, _decide, begin=_begin, aim=_aim))


def gamma_of(policy: Policy, worlds: WorldBatch) -> NDArray[np.float64]:
    """The discount table for every distance of ``worlds``."""
    return discount_table(policy.values["discount"], int(worlds.dist.max()))


def mesa_params(policy: Policy, worlds: WorldBatch) -> MesaParams:
    """The planning record of ``policy`` (its gene ``w``, horizon and discount) in ``worlds``."""
    return MesaParams(np.ascontiguousarray(policy.genes["w"], dtype=np.float64),
                      np.ascontiguousarray(policy.horizon, dtype=np.int64), gamma_of(policy, worlds))


class Mesa(GenomeKind):
    """The mesa kind: genome ``w[F]``; horizon and discount come from ``[agent]``."""

    name = "mesa"
    parameters = PLANNING
    plans = True
    has_objective = True
    objective_alone = True
    objective_gene = "w"

    def parts(self, n_features: int) -> dict[str, int]:
        return {"w": n_features}

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        horizon = np.full(np.asarray(genomes).shape[0], self.values(cfg)["horizon"], dtype=np.int64)
        return self.policy(genomes, cfg, n_features, horizon)

    def compiled(self, policy: Policy, worlds: WorldBatch, view: View) -> tuple[MesaParams, np.ndarray]:
        return mesa_params(policy, worlds), np.zeros(worlds.n_objects)

    def pair_bytes(self, n_objects: int, n_features: int) -> int:
        return plan_pair_bytes(n_objects, n_features)


MESA = Mesa()
