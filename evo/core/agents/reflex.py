"""The **reflex** kind (a non-optimizer, a "plant"; docs/concepts.md §3). Pure numpy.

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

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evo.core.agents.base import GenomeKind, Policy, Tables, genome_parts

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig

# Bytes of a reflex step (fitted with the other constants of evo.runs.scenarios's memory estimate)
REFLEX_PAIR = 120  # a reflex step's per-pair temporaries (walls, neighbours, scores)
REFLEX_PER_OBJECT = 80  # proximity of here + 4 neighbours, and it masked by what remains
REFLEX_PER_OBJECT_FEATURE = 8  # each pair's object features (n, K, F)
REFLEX_PER_FEATURE = 130  # adjacent features, scents and gradients (n, 4 or 5, F)


def reflex_pair_bytes(n_objects: int, n_features: int) -> int:
    """What a reflex step adds per (agent, world) pair (see :func:`evo.runs.scenarios.memory_estimate`)."""
    k, f = n_objects, n_features
    return REFLEX_PAIR + REFLEX_PER_OBJECT * k + REFLEX_PER_OBJECT_FEATURE * k * f + REFLEX_PER_FEATURE * f


def reflex_parts(n_features: int) -> dict[str, int]:
    """The reflex genes, in genome order."""
    return {"theta_wall": 1, "theta_adj": n_features, "theta_scent": n_features, "bias": 5}


def reflex_moves(policy: Policy, tables: Tables, agent: NDArray[np.int64], world: NDArray[np.int64],
                 row: NDArray[np.int64], remaining: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Reflex moves (rules in the module docstring) for ``n`` pairs: ``agent``, ``world`` and table ``row``
    (n,) each, ``remaining`` (K, n)."""
    if policy.bias is None or policy.theta_adj is None or policy.theta_scent is None or \
            policy.theta_wall is None or tables.proximity is None:
        raise ValueError("reflex_moves needs a policy with reflex genes and tables with proximity")
    n = row.shape[0]
    nb = tables.neighbors[row, :4]  # (n, 4)
    wall = (nb == row[:, None]).astype(np.float64)
    if tables.reflex_adj is not None and tables.reflex_grad is not None:
        # the same values, looked up: row mask·B·C + row of the tables, bit k of mask set if k remains
        mask = np.zeros(n, dtype=np.int64)
        for k in range(remaining.shape[0]):
            mask |= remaining[k].astype(np.int64) << k
        at = mask * tables.neighbors.shape[0] + row
        adj, grad = tables.reflex_adj[at], tables.reflex_grad[at]  # (n, 4, F) each
    else:
        obj = tables.obj_at.take(nb)  # (n, 4)
        safe = np.maximum(obj, 0)
        present = (obj >= 0) & remaining.reshape(-1).take(safe * n + np.arange(n)[:, None]) & (wall == 0)
        feat = tables.obj_feat[world]  # (n, K, F)
        adj = np.take_along_axis(feat, safe[..., None], axis=1) * present[..., None]  # (n, 4, F)
        cells = np.concatenate([row[:, None], nb], axis=-1)  # (n, 5): here, N, E, S, W
        prox = tables.proximity[cells] * remaining.T[:, None, :]  # (n, 5, K)
        scent = prox[:, :, 0, None] * feat[:, None, 0, :]  # (n, 5, F); max over objects is exact in any order
        for k in range(1, prox.shape[-1]):
            np.maximum(scent, prox[:, :, k, None] * feat[:, None, k, :], out=scent)
        grad = scent[:, 1:, :] - scent[:, :1, :]  # (n, 4, F)
    bias = policy.bias[agent]
    theta_adj, theta_scent = policy.theta_adj[agent], policy.theta_scent[agent]
    score = bias[:, :4] + policy.theta_wall[agent, None] * wall
    for f in range(adj.shape[-1]):
        score = score + theta_adj[:, f, None] * adj[..., f]
    for f in range(adj.shape[-1]):
        score = score + theta_scent[:, f, None] * grad[..., f]
    return np.concatenate([score, bias[:, 4:5]], axis=-1).argmax(axis=-1)


class Reflex(GenomeKind):
    """The reflex kind: reflex genes only, horizon 0, no objective."""

    name = "reflex"
    reacts = True

    def parts(self, n_features: int) -> dict[str, int]:
        return reflex_parts(n_features)

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        part = genome_parts(genomes, self.genome_layout(n_features))
        horizon = np.zeros(part["bias"].shape[0], dtype=np.int64)
        return Policy(self.name, None, horizon, cfg.discount, part["theta_wall"][:, 0], part["theta_adj"],
                      part["theta_scent"], part["bias"], cfg.view_radius)

    def pair_bytes(self, n_objects: int, n_features: int) -> int:
        return reflex_pair_bytes(n_objects, n_features)


REFLEX = Reflex()
