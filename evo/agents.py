"""Agent kinds: how a genome (a flat float vector) becomes behaviour (docs/concepts.md §3). Pure numpy.

Each kind owns its genome layout (named slices, recorded in results so any genome can be read back) and a
batched policy that picks one move for every (agent, world) pair at once. The exact decision rules below are
the specification the per-agent reference evaluator in ``tests/reference.py`` re-implements.

**mesa** (a mesa-optimizer): genome ``w`` (one weight per feature). Its mesa-objective is ``w``. Each step it
scores every remaining object ``k`` within ``horizon`` path steps: ``value_k = (Σ_f w_f·x_kf) · γ^d_k``
(sum in feature order, ``γ^d`` from the table ``[γ**d for d …]``), takes the object of largest positive
value (lowest index on ties) and makes the first move of a shortest path to it. No positive value: stay.

**reflex** (a non-optimizer, a "plant"): genome ``θ_wall, θ_adj[F], θ_scent[F], bias[5]``. For each move
``d`` in N, E, S, W with ``n_d`` the cell it leads to (the current cell when blocked):
``score_d = bias_d + θ_wall·wall_d + Σ_f θ_adj_f·adj_df + Σ_f θ_scent_f·(scent_f(n_d) − scent_f(here))``,
accumulated in exactly that order, where ``wall_d`` is 1 when the move is blocked, ``adj_df`` the feature
``f`` of a remaining object on ``n_d`` (0 when blocked or empty) and ``scent_f(c) = max(0, R − |c − o|₁)/R``
maximised over remaining objects ``o`` carrying ``f`` (0 if none), ``R`` the view radius: a smell that
ignores walls, so a reflex agent climbs gradients and gets stuck behind walls. ``score_stay = bias_4``.
The move is the first argmax. No objective is represented anywhere.

**hybrid**: genome ``w, reflex genes, horizon gene g``; horizon ``h = round(clip(g, 0, 1)·H)``. With
``h = 0`` it is a reflex agent; otherwise it plans like a mesa agent with horizon ``h`` and falls back on
its reflexes when no object within ``h`` has positive value. Planning costs fitness per unit of ``h``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evo.worlds import STAY, WorldBatch

if TYPE_CHECKING:
    from evo.schema import AgentConfig

KINDS = ("mesa", "reflex", "hybrid")


def genome_layout(kind: str, n_features: int) -> dict[str, tuple[int, int]]:
    """Named ``[start, stop)`` slices of a genome of this kind."""
    f = n_features
    reflex = {"theta_wall": 1, "theta_adj": f, "theta_scent": f, "bias": 5}
    parts: dict[str, int]
    if kind == "mesa":
        parts = {"w": f}
    elif kind == "reflex":
        parts = reflex
    elif kind == "hybrid":
        parts = {"w": f, **reflex, "horizon_gene": 1}
    else:
        raise ValueError(f"unknown agent kind {kind!r}; known: {', '.join(KINDS)}")
    layout, at = {}, 0
    for name, n in parts.items():
        layout[name] = (at, at + n)
        at += n
    return layout


def genome_length(kind: str, n_features: int) -> int:
    return max(stop for _, stop in genome_layout(kind, n_features).values())


def initial_genomes(cfg: AgentConfig, n_features: int, n: int,
                    rng: np.random.Generator) -> NDArray[np.float64]:
    """``n`` random genomes: weights ~ N(0, init_sigma²); the hybrid horizon gene ~ U(0, 1)."""
    layout = genome_layout(cfg.kind, n_features)
    g = rng.normal(0.0, cfg.init_sigma, size=(n, genome_length(cfg.kind, n_features)))
    if "horizon_gene" in layout:
        a, b = layout["horizon_gene"]
        g[:, a:b] = rng.random((n, b - a))
    return g


@dataclass(frozen=True, eq=False)
class Policy:
    """Decoded parameters of ``P`` agents of one kind. Absent parts are ``None``."""

    kind: str
    w: NDArray[np.float64] | None  # (P, F) mesa-objective
    horizon: NDArray[np.int64]  # (P,) planning horizon; 0 for reflex
    discount: float
    theta_wall: NDArray[np.float64] | None  # (P,)
    theta_adj: NDArray[np.float64] | None  # (P, F)
    theta_scent: NDArray[np.float64] | None  # (P, F)
    bias: NDArray[np.float64] | None  # (P, 5)
    view_radius: int

    @property
    def plans(self) -> bool:
        return self.w is not None

    @property
    def reacts(self) -> bool:
        return self.bias is not None


def decode(genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
    """Read the parameters of every genome (rows of ``genomes``)."""
    genomes = np.asarray(genomes, dtype=np.float64)
    layout = genome_layout(cfg.kind, n_features)

    def part(name: str) -> NDArray[np.float64] | None:
        if name not in layout:
            return None
        a, b = layout[name]
        return genomes[:, a:b]

    p = genomes.shape[0]
    if cfg.kind == "mesa":
        horizon = np.full(p, cfg.horizon, dtype=np.int64)
    elif cfg.kind == "reflex":
        horizon = np.zeros(p, dtype=np.int64)
    else:
        gene = part("horizon_gene")[:, 0]  # type: ignore[index]
        horizon = np.rint(np.clip(gene, 0.0, 1.0) * cfg.horizon).astype(np.int64)
    wall = part("theta_wall")
    return Policy(cfg.kind, part("w"), horizon, cfg.discount, None if wall is None else wall[:, 0],
                  part("theta_adj"), part("theta_scent"), part("bias"), cfg.view_radius)


def is_optimizer(policy: Policy) -> NDArray[np.bool_]:
    """(P,) True where the agent searches over plans (mesa, or hybrid with horizon > 0)."""
    return (policy.horizon > 0) if policy.plans else np.zeros(policy.horizon.shape[0], dtype=bool)


def object_utility(w: NDArray[np.float64], obj_feat: NDArray[np.float64]) -> NDArray[np.float64]:
    """(P, B, K) ``Σ_f w_f·x_kf`` summed in feature order (the order the reference evaluator uses)."""
    u = np.zeros((w.shape[0], *obj_feat.shape[:2]))
    for f in range(w.shape[1]):
        u = u + w[:, f, None, None] * obj_feat[None, :, :, f]
    return u


def discount_table(discount: float, max_distance: int) -> NDArray[np.float64]:
    """``[discount**d for d in 0..max_distance]``, computed with Python floats like the reference."""
    return np.array([discount**d for d in range(max_distance + 1)])


@dataclass(frozen=True, eq=False)
class Tables:
    """A world batch's tables re-laid for fast lookups: a (world, cell) pair is one row ``b·C + cell``, so
    every per-step lookup is a one-dimensional gather on a contiguous table."""

    cells: int  # C
    n_objects: int  # K
    neighbors: NDArray[np.int64]  # (B·C, 5) row reached by each move
    dist: NDArray[np.int64]  # (K, B·C) path distance to each object
    next_move: NDArray[np.int64]  # (K·B·C,) first move toward each object
    obj_at: NDArray[np.int64]  # (B·C,) object index at a cell or -1
    obj_feat: NDArray[np.float64]  # (B, K, F)
    proximity: NDArray[np.float64] | None  # (B·C, K) ``max(0, R − |c − o|₁)/R``, for reflex scent

    @classmethod
    def of(cls, worlds: WorldBatch, view_radius: int | None) -> Tables:
        b, c, k = worlds.size, worlds.height * worlds.width, worlds.n_objects
        offset = (np.arange(b) * c)[:, None, None]
        proximity = None
        if view_radius is not None:
            r = view_radius
            proximity = np.ascontiguousarray(
                (np.maximum(0, r - worlds.manhattan) / r).transpose(0, 2, 1)).reshape(b * c, k)
        return cls(c, k, (worlds.neighbors + offset).reshape(b * c, 5),
                   np.ascontiguousarray(worlds.dist.transpose(1, 0, 2)).reshape(k, b * c),
                   np.ascontiguousarray(worlds.next_move.transpose(1, 0, 2)).reshape(k * b * c),
                   worlds.obj_at.reshape(b * c), worlds.obj_feat, proximity)


def plan_moves(horizon: NDArray[np.int64], utility: NDArray[np.float64], gamma: NDArray[np.float64],
               tables: Tables, row: NDArray[np.int64], remaining: NDArray[np.bool_]
               ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Mesa planning for ``n`` (agent, world) pairs standing on table rows ``row`` (n,): the move toward the
    best positive object within the horizon, and whether one exists. ``horizon`` (n,); ``utility`` and
    ``remaining`` (K, n); ``gamma[d]`` must exist for every distance in the tables. Objects are scanned in
    index order and only a strictly better value replaces the best so far, so ties go to the lowest index,
    as the rules say."""
    n = row.shape[0]
    best = np.full(n, -1)
    best_value = np.zeros(n)  # a value must be positive and strictly beat every earlier object
    for k in range(tables.n_objects):
        d = tables.dist[k].take(row)
        value = utility[k] * gamma.take(d)  # gamma covers every distance in the tables, unreachable included
        better = remaining[k] & (d <= horizon) & (value > best_value)
        np.copyto(best_value, value, where=better)
        np.copyto(best, k, where=better)
    has_target = best >= 0
    move = tables.next_move.take(np.maximum(best, 0) * tables.dist.shape[1] + row)
    return np.where(has_target, move, STAY), has_target


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
