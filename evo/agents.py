"""Agent kinds: how a genome (a flat float vector) becomes behaviour (DESIGN §3). Pure numpy.

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
    from evo.scenario import AgentConfig

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


def initial_genomes(cfg: AgentConfig, n_features: int, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
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


def plan_moves(policy: Policy, worlds: WorldBatch, pos: NDArray[np.int64], remaining: NDArray[np.bool_],
               utility: NDArray[np.float64], gamma: NDArray[np.float64]
               ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Mesa planning for all (agent, world) pairs: the move toward the best positive object within the
    horizon, and whether such an object exists. ``pos`` (P, B), ``remaining`` (P, B, K)."""
    b_idx = np.arange(worlds.size)[None, :]
    dist_here = np.moveaxis(worlds.dist, 1, 2)[b_idx, pos]  # (P, B, K)
    in_range = remaining & (dist_here <= policy.horizon[:, None, None])
    value = utility * gamma[np.minimum(dist_here, gamma.shape[0] - 1)]
    ok = in_range & (value > 0)
    best = np.where(ok, value, -np.inf).argmax(axis=-1)  # first maximum: lowest index on ties
    has_target = ok.any(axis=-1)
    move = np.moveaxis(worlds.next_move, 1, 2)[b_idx, pos, best]
    return np.where(has_target, move, STAY), has_target


def reflex_moves(policy: Policy, worlds: WorldBatch, pos: NDArray[np.int64], remaining: NDArray[np.bool_]
                 ) -> NDArray[np.int64]:
    """Reflex moves for all (agent, world) pairs (rules in the module docstring)."""
    assert policy.bias is not None and policy.theta_adj is not None and policy.theta_scent is not None
    assert policy.theta_wall is not None
    b_idx = np.arange(worlds.size)[None, :]
    nb = worlds.neighbors[b_idx, pos, :4]  # (P, B, 4)
    wall = (nb == pos[..., None]).astype(np.float64)
    obj = worlds.obj_at[b_idx[..., None], nb]  # (P, B, 4)
    safe = np.maximum(obj, 0)
    present = (obj >= 0) & np.take_along_axis(remaining, safe, axis=-1) & (wall == 0)
    adj = worlds.obj_feat[b_idx[..., None], safe] * present[..., None]  # (P, B, 4, F)
    cells = np.concatenate([pos[..., None], nb], axis=-1)  # (P, B, 5): here, N, E, S, W
    man = np.moveaxis(worlds.manhattan, 1, 2)[b_idx[..., None], cells]  # (P, B, 5, K)
    r = policy.view_radius
    prox = np.maximum(0, r - man) / r * remaining[:, :, None, :]  # (P, B, 5, K)
    scent = (prox[..., None] * worlds.obj_feat[None, :, None, :, :]).max(axis=3)  # (P, B, 5, F)
    grad = scent[:, :, 1:, :] - scent[:, :, :1, :]  # (P, B, 4, F)
    score = policy.bias[:, None, :4] + policy.theta_wall[:, None, None] * wall
    n_features = adj.shape[-1]
    for f in range(n_features):
        score = score + policy.theta_adj[:, None, None, f] * adj[..., f]
    for f in range(n_features):
        score = score + policy.theta_scent[:, None, None, f] * grad[..., f]
    stay = np.broadcast_to(policy.bias[:, None, 4:5], (*score.shape[:2], 1))
    return np.concatenate([score, stay], axis=-1).argmax(axis=-1)
