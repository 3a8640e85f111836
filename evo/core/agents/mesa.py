"""The **mesa** kind (a mesa-optimizer; docs/concepts.md §3). Pure numpy.

Genome ``w`` (one weight per feature). Its mesa-objective is ``w``. Each step it scores every remaining
object ``k`` within ``horizon`` path steps: ``value_k = (Σ_f w_f·x_kf) · γ^d_k`` (sum in feature order,
``γ^d`` from the table ``[γ**d for d …]``), takes the object of largest positive value (lowest index on
ties) and makes the first move of a shortest path to it. No positive value: stay. The exact decision rules
here are the specification the per-agent reference evaluator in ``tests/core/reference.py`` re-implements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evo.core.agents.base import GenomeKind, Policy, Tables, genome_parts
from evo.core.worlds import STAY

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig

#: bytes per (agent, world) pair and object of planning: utility (K × float64), its temporary while built,
#: its copy when pairs end (fitted with the other constants of evo.runs.scenarios's memory estimate)
PLAN_PER_OBJECT = 20


def plan_pair_bytes(n_objects: int, n_features: int) -> int:
    """What planning adds per (agent, world) pair (see :func:`evo.runs.scenarios.memory_estimate`)."""
    return PLAN_PER_OBJECT * n_objects


def reach_table(tables: Tables, gamma: NDArray[np.float64], horizon: NDArray[np.int64]
                ) -> NDArray[np.float64] | None:
    """(K, B·C) ``γ^d`` where the distance ``d ≤ h`` and 0.0 beyond, when every agent has the same horizon
    ``h`` (else None): one gather per object and step instead of two gathers and a comparison. An object
    out of reach then scores ``u·0``, which never beats the best so far (a value must be positive), as the
    horizon test says."""
    if not horizon.size or (horizon != horizon[0]).any():
        return None
    within = gamma.copy()
    within[max(int(horizon[0]), -1) + 1:] = 0.0
    return within.take(tables.dist)


def plan_moves(horizon: NDArray[np.int64], utility: NDArray[np.float64], gamma: NDArray[np.float64],
               tables: Tables, row: NDArray[np.int64], remaining: NDArray[np.bool_],
               reach: NDArray[np.float64] | None = None) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Mesa planning for ``n`` (agent, world) pairs standing on table rows ``row`` (n,): the move toward the
    best positive object within the horizon, and whether one exists. ``horizon`` (n,); ``utility`` and
    ``remaining`` (K, n); ``gamma[d]`` must exist for every distance in the tables. Objects are scanned in
    index order and only a strictly better value replaces the best so far, so ties go to the lowest index,
    as the rules say. ``reach`` (:func:`reach_table` of these tables) replaces the distance and horizon
    lookups when the horizon is the same for all."""
    n = row.shape[0]
    best = np.full(n, -1)
    best_value = np.zeros(n)  # a value must be positive and strictly beat every earlier object
    for k in range(tables.n_objects):
        if reach is not None:
            value = utility[k] * reach[k].take(row)
            better = remaining[k] & (value > best_value)
        else:
            d = tables.dist[k].take(row)
            value = utility[k] * gamma.take(d)  # gamma covers every distance in the tables, unreachable too
            better = remaining[k] & (d <= horizon) & (value > best_value)
        np.copyto(best_value, value, where=better)
        np.copyto(best, k, where=better)
    has_target = best >= 0
    move = tables.next_move.take(np.maximum(best, 0) * tables.dist.shape[1] + row)
    return np.where(has_target, move, STAY), has_target


class Mesa(GenomeKind):
    """The mesa kind: genome ``w[F]``; horizon and discount come from ``[agent]``."""

    name = "mesa"
    plans = True
    has_objective = True
    objective_alone = True

    def parts(self, n_features: int) -> dict[str, int]:
        return {"w": n_features}

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        part = genome_parts(genomes, self.genome_layout(n_features))
        horizon = np.full(part["w"].shape[0], cfg.horizon, dtype=np.int64)
        return Policy(self.name, part["w"], horizon, cfg.discount, None, None, None, None, cfg.view_radius)

    def pair_bytes(self, n_objects: int, n_features: int) -> int:
        return plan_pair_bytes(n_objects, n_features)


MESA = Mesa()
