"""The probe's procedure: an agent's *behavioural objective*, fitted from what it reaches first in choice
worlds (objects at the same distance from the start), by the choice model of :mod:`evo.analysis.logit`;
compared with its mesa-objective as unit vectors (docs/concepts.md, "Probe"; docs/architecture.md, "The
probe"). Pure numpy."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evo.analysis.logit import RIDGE, ChoiceFit, cluster_robust, fit_choice_model, with_separation
from evo.core import objects
from evo.core.agents import Policy, policy_rows
from evo.core.simulate import Costs, Payoffs, run_episodes
from evo.core.worlds import WorldBatch, build_batch, distances_from, parse_layout
from evo.errors import EvoError

if TYPE_CHECKING:
    from evo.config.schema import WorldConfig



# ------------------------------------------------------------------------------------------------------
# choice sets


@dataclass(frozen=True, eq=False)
class ChoiceDesign:
    """Choice sets over a feature vocabulary. ``sets[i]`` is a (K_i, F) array of object features;
    ``kinds[i]`` says where it comes from (``scenario``, ``one-feature`` or ``swap``)."""

    features: tuple[str, ...]
    types: NDArray[np.float64]
    sets: tuple[NDArray[np.float64], ...]
    kinds: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.sets)

    def count(self, kind: str) -> int:
        return sum(k == kind for k in self.kinds)


def choice_design(types: NDArray[np.float64], features: Sequence[str]) -> ChoiceDesign:
    """The choice sets probing a distribution whose objects have the feature vectors ``types`` (module
    docstring: scenario pairs, one-feature variations and one-for-one swaps over a pool of objects)."""
    f = len(features)
    types = np.asarray(types, dtype=np.float64).reshape(-1, f)
    eye = np.eye(f)
    pool: list[tuple[float, ...]] = [tuple(np.zeros(f))]
    pool += [tuple(e) for e in eye]
    pool += [tuple(eye[i] + eye[j]) for i, j in itertools.combinations(range(f), 2)]
    for t in types:
        pool.append(tuple(t))
        pool += [tuple(np.abs(t - e)) for e in eye]  # one feature toggled
    pool = list(dict.fromkeys(pool))

    seen: set[frozenset[tuple[float, ...]]] = set()
    sets: list[NDArray[np.float64]] = []
    kinds: list[str] = []

    def add(objs: Sequence[tuple[float, ...]], kind: str) -> None:
        key = frozenset(objs)
        if len(key) == len(objs) and key not in seen:
            seen.add(key)
            sets.append(np.array(objs, dtype=np.float64))
            kinds.append(kind)

    tt = [tuple(t) for t in types]
    for a, b in itertools.combinations(tt, 2):
        add((a, b), "scenario")
    if len(set(tt)) >= 3:
        add(tuple(dict.fromkeys(tt)), "scenario")
    for o in pool:
        for i in range(f):
            add((o, tuple(np.abs(np.array(o) - eye[i]))), "one-feature")
    for o in pool:
        x = np.array(o)
        for i, j in itertools.permutations(range(f), 2):
            if x[i] == 1.0 and x[j] == 0.0:
                add((o, tuple(x - eye[i] + eye[j])), "swap")
    return ChoiceDesign(tuple(features), types, tuple(sets), tuple(kinds))


# ------------------------------------------------------------------------------------------------------
# choice worlds


@dataclass(frozen=True, eq=False)
class ChoiceWorlds:
    """Choice worlds with ``K`` objects each: world ``b`` shows choice set ``set_index[b]``, its object ``j``
    being alternative ``order[b, j]`` of that set, all at ``distance[b]`` steps from the start."""

    batch: WorldBatch
    set_index: NDArray[np.int64]
    order: NDArray[np.int64]
    distance: NDArray[np.int64]


def _layouts(cfg: WorldConfig, n: int, rng: np.random.Generator
             ) -> tuple[NDArray[np.bool_], NDArray[np.int64], int, int]:
    """``n`` wall grids and starts drawn like ``cfg``'s (its fixed layout, or random walls of its density)."""
    if cfg.layout:
        fixed_walls, fixed_start, h, w = parse_layout(cfg.layout)
        return np.repeat(fixed_walls[None], n, axis=0), np.full(n, fixed_start, dtype=np.int64), h, w
    h, w = cfg.size
    border = np.zeros((h, w), dtype=bool)
    border[[0, -1], :] = border[:, [0, -1]] = True
    walls = border.reshape(-1)[None, :] | (rng.random((n, h * w)) < cfg.wall_density)
    start = np.empty(n, dtype=np.int64)
    for i in range(n):
        start[i] = rng.choice(np.flatnonzero(~walls[i]))
    return walls, start, h, w


def choice_worlds(design: ChoiceDesign, cfg: WorldConfig, n_layouts: int, rng: np.random.Generator,
                  max_distance: int = 4, n_geometries: int = 64) -> list[ChoiceWorlds]:
    """Every choice set of ``design`` in ``n_layouts`` layouts × K rotations, one batch per set size K.

    For each K, ``n_geometries`` layouts are drawn like ``cfg``'s (walls, start) with K cells at one
    shortest-path distance ``d`` from the start, ``d`` uniform over the distances in ``1..max_distance`` that
    offer K cells (layouts without one are re-drawn); each choice set is shown in ``n_layouts`` of them,
    picked at random without repetition. Rotation ``r`` makes object ``j`` (on cell ``j``) alternative
    ``(j + r) mod K``, so every alternative takes every cell and every object index (agents break ties by
    index). Path tables are computed once per geometry: they do not depend on the objects' features."""
    if n_layouts < 1 or max_distance < 1:
        raise EvoError("probe: n_layouts and max_distance must be at least 1")
    n_geo = max(n_geometries, n_layouts)
    out = []
    for k in sorted({s.shape[0] for s in design.sets}):
        which = np.array([i for i, s in enumerate(design.sets) if s.shape[0] == k], dtype=np.int64)
        geometry, dist_used = _geometries(cfg, k, n_geo, max_distance, rng)
        # world (set i, layout l, rotation r) at index (i·n_layouts + l)·K + r
        pick = np.stack([rng.choice(n_geo, size=n_layouts, replace=False) for _ in which])  # (S, L)
        g_index = np.repeat(pick.reshape(-1), k)
        order = np.tile((np.arange(k)[None, :] + np.arange(k)[:, None]) % k, (len(which) * n_layouts, 1))
        set_index = np.repeat(np.repeat(which, n_layouts), k)
        feat = np.stack([design.sets[s][o] for s, o in zip(set_index, order, strict=True)])  # (B, K, F)
        batch = dataclasses.replace(geometry.subset(g_index), obj_feat=feat)
        out.append(ChoiceWorlds(batch, set_index, order, dist_used[g_index]))
    return out


def _geometries(cfg: WorldConfig, k: int, n: int, max_distance: int, rng: np.random.Generator
                ) -> tuple[WorldBatch, NDArray[np.int64]]:
    """``n`` layouts with ``k`` object cells at one distance from the start (featureless objects), and
    that distance."""
    walls, start, h, w = _layouts(cfg, n, rng)
    cells = np.empty((n, k), dtype=np.int64)
    dist_used = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    for _ in range(200):
        dist = distances_from(walls[todo], start[todo], h, w)
        failed = []
        for row, i in enumerate(todo):
            options = [d for d in range(1, max_distance + 1) if np.count_nonzero(dist[row] == d) >= k]
            if not options:
                failed.append(i)
                continue
            d = int(rng.choice(options))
            cells[i] = rng.choice(np.flatnonzero(dist[row] == d), size=k, replace=False)
            dist_used[i] = d
        if not failed:
            break
        if cfg.layout:
            raise EvoError(f"probe: the fixed layout has no {k} cells at one distance ≤ {max_distance} "
                           "from the start")
        todo = np.array(failed)
        walls[todo], start[todo], _, _ = _layouts(cfg, len(todo), rng)
    else:
        raise EvoError("probe: could not draw choice worlds; lower the wall density")
    feat = np.zeros((n, k, 0))
    return build_batch(walls, start, cells, feat, h, w, 2 * max_distance + 2), dist_used


# ------------------------------------------------------------------------------------------------------
# observing choices


def first_reached(policy: Policy, batch: WorldBatch, chunk: int = 40_000) -> NDArray[np.int64]:
    """(P, B) index of the first object each agent reaches in each world, or -1 if it reaches none."""
    p = policy.horizon.shape[0]
    f = batch.obj_feat.shape[-1]
    nothing = Payoffs(np.zeros(f), np.zeros(f, dtype=bool), 0.0)
    step = max(1, chunk // max(batch.size, 1))
    out = np.empty((p, batch.size), dtype=np.int64)
    for a in range(0, p, step):
        sub = policy_rows(policy, slice(a, a + step))
        ep = run_episodes(sub, batch, nothing, Costs(), record_paths=True)
        assert ep.paths is not None
        hit = batch.obj_at[np.arange(batch.size)[None, :, None], ep.paths]  # (p, B, T+1)
        any_hit = (hit >= 0).any(axis=-1)
        first = np.take_along_axis(hit, (hit >= 0).argmax(axis=-1)[..., None], axis=-1)[..., 0]
        out[a:a + step] = np.where(any_hit, first, -1)
    return out


@dataclass(frozen=True, eq=False)
class Choices:
    """Observed choices of ``P`` agents in ``N`` choice worlds: ``x`` (N, K, F) the alternatives (padded),
    ``available`` (N, K), ``choice`` (P, N) the alternative chosen or K for none (the outside option);
    ``set_index`` (N,) the choice set of each world."""

    x: NDArray[np.float64]
    available: NDArray[np.bool_]
    choice: NDArray[np.int64]
    set_index: NDArray[np.int64]

    def none_rate(self) -> NDArray[np.float64]:
        """(P,) fraction of worlds in which each agent reached nothing."""
        return (self.choice == self.x.shape[1]).mean(axis=1)


def observe(policy: Policy, design: ChoiceDesign, worlds: Sequence[ChoiceWorlds]) -> Choices:
    """What every agent of ``policy`` goes to first in every choice world."""
    kmax = max(s.shape[0] for s in design.sets)
    f = len(design.features)
    xs, avail, choices, sets = [], [], [], []
    for cw in worlds:
        k = cw.batch.n_objects
        first = first_reached(policy, cw.batch)  # object index in the world
        alt = np.where(first >= 0, cw.order[np.arange(cw.batch.size)[None, :], np.maximum(first, 0)], kmax)
        x = np.zeros((cw.batch.size, kmax, f))
        x[:, :k] = np.stack([design.sets[s] for s in cw.set_index])
        a = np.zeros((cw.batch.size, kmax), dtype=bool)
        a[:, :k] = True
        xs.append(x)
        avail.append(a)
        choices.append(alt)
        sets.append(cw.set_index)
    return Choices(np.concatenate(xs), np.concatenate(avail), np.concatenate(choices, axis=1),
                   np.concatenate(sets))


# ------------------------------------------------------------------------------------------------------
# comparing objectives


def unit_vector(v: NDArray[np.float64], cov: NDArray[np.float64] | None = None
                ) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """``v / |v|`` and (delta method) the covariance of that unit vector: ``J Σ Jᵀ`` with
    ``J = (I − u uᵀ)/|v|``. Objectives are compared as directions because a choice reveals only which
    utility is larger, not by how much in any unit. The zero vector stays zero."""
    v = np.asarray(v, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        return v.copy(), None if cov is None else np.zeros_like(cov)
    u = v / norm
    if cov is None:
        return u, None
    jac = (np.eye(len(v)) - np.outer(u, u)) / norm
    return u, jac @ cov @ jac.T


def cosine(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return 0.0 if na == 0.0 or nb == 0.0 else float(a @ b / (na * nb))


def ranking_recovered(beta: NDArray[np.float64], w: NDArray[np.float64], margin: float = 0.25) -> bool:
    """Whether a behavioural objective ``beta`` recovers the ranking of a mesa-objective ``w``.

    With ``m = margin · max_f |w_f|`` ("a clear margin"), recovered means both:

    1. *signs*: every feature with ``|w_f| ≥ m`` has ``sign(β_f) = sign(w_f)``;
    2. *order*: every pair with ``w_f − w_g ≥ m`` has ``β_f > β_g``, for each pair that behaviour can
       reveal: ``w_f ≥ m`` (an object with ``f`` alone is clearly worth approaching), or some third feature
       ``h`` has ``w_f + w_h ≥ m`` (the object ``{f, h}`` is). An agent that approaches nothing carrying
       ``f`` or ``g`` shows that both are unwanted, not which it dislikes more.

    Features whose weights lie within ``m`` of zero, or of each other, are not judged."""
    beta = np.asarray(beta, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    m = margin * float(np.abs(w).max())
    if m == 0.0:
        return True
    clear = np.abs(w) >= m
    if (np.sign(beta[clear]) != np.sign(w[clear])).any():
        return False
    f = len(w)
    for i, j in itertools.permutations(range(f), 2):
        if w[i] - w[j] < m:
            continue
        carried = any(w[i] + w[h] >= m for h in range(f) if h not in (i, j))
        if (w[i] >= m or carried) and not beta[i] > beta[j]:
            return False
    return True


# ------------------------------------------------------------------------------------------------------
# the whole probe


@dataclass(frozen=True, eq=False)
class ProbeResult:
    """Choices of ``P`` agents and their behavioural objectives: ``pooled`` fits every agent's choices
    together (the population's behavioural objective; with several agents, cluster-robust by agent);
    ``per_agent`` fits each agent alone. Every fit says which weights its data cannot bound
    (:attr:`ChoiceFit.unbounded`)."""

    design: ChoiceDesign
    choices: Choices
    pooled: ChoiceFit
    per_agent: tuple[ChoiceFit, ...]


#: ``evo probe --layouts``: the accepted range of layouts per choice set.
MAX_LAYOUTS = 64


def check_layouts(n_layouts: int) -> int:
    """``n_layouts`` if it is an integer in [1, :data:`MAX_LAYOUTS`], else a one-line :class:`EvoError`."""
    if (isinstance(n_layouts, bool) or not isinstance(n_layouts, int | np.integer)
            or not 1 <= n_layouts <= MAX_LAYOUTS):
        raise EvoError(f"--layouts: expected an integer in [1, {MAX_LAYOUTS}] (layouts per choice set), got "
                       f"{n_layouts!r}")
    return int(n_layouts)


def probe(policy: Policy, cfg: WorldConfig, features: Sequence[str], rng: np.random.Generator, *,
          n_layouts: int = 4, max_distance: int = 4, ridge: float = RIDGE,
          types: NDArray[np.float64] | None = None) -> ProbeResult:
    """Probe every agent of ``policy`` in choice worlds built from the distribution ``cfg`` (its geometry
    and, unless ``types`` is given, its object types) and fit their behavioural objectives: one fit per
    agent, and a pooled fit of all agents whose covariance is cluster-robust by agent (the choices of one
    agent are not independent of each other). Every fit is checked for separation (:func:`separation`)."""
    n_layouts = check_layouts(n_layouts)
    design = choice_design(objects.object_types(cfg, features).rows if types is None else types, features)
    worlds = choice_worlds(design, cfg, n_layouts, rng, max_distance)
    choices = observe(policy, design, worlds)
    p = choices.choice.shape[0]
    per_agent = tuple(
        with_separation(fit_choice_model(choices.x, choices.available, choices.choice[a], ridge),
                        choices.x, choices.available, choices.choice[a])
        for a in range(p))
    if p == 1:
        pooled = per_agent[0]
    else:
        x = np.tile(choices.x, (p, 1, 1))
        available = np.tile(choices.available, (p, 1))
        chosen = choices.choice.reshape(-1)
        agent = np.repeat(np.arange(p), choices.x.shape[0])
        pooled = fit_choice_model(x, available, chosen, ridge)
        pooled = cluster_robust(with_separation(pooled, x, available, chosen), x, available, chosen, agent)
    return ProbeResult(design, choices, pooled, per_agent)


def _interval_text(fit: ChoiceFit) -> str:
    if fit.covariance == "cluster-robust":
        return (f"cluster-robust (sandwich) by agent: {fit.clusters} agents are the independent units, "
                f"t on {fit.clusters - 1} degrees of freedom")
    return "model-based: inverse penalised Hessian, the choices taken as independent"


def summarize(result: ProbeResult, features: Sequence[str], base_payoff: NDArray[np.float64],
              mesa_w: NDArray[np.float64] | None, plans: NDArray[np.bool_] | None = None) -> dict[str, Any]:
    """The probe as plain, JSON-able numbers (what ``summary.json → probe`` holds).

    ``mesa_w`` (P, F) are the probed agents' explicit mesa-objectives (``None`` for reflex agents);
    ``plans`` (P,) marks the agents that use theirs (mesa agents; hybrids with horizon > 0): only those have
    a mesa-objective to compare. Every objective is reported as a unit vector (``normalised``), the
    behavioural one with a 95 % interval (``interval`` says which) — except where the choices are
    separated: then ``separated`` is true, ``unbounded`` marks the weights the data cannot bound, their raw
    ``se``, ``ci_low`` and ``ci_high`` are null (JSON ``null``) and every normalised interval is the whole
    range [−1, 1] of a unit vector's component (the unit length itself is set by the ridge, so the data
    bound none of them). ``ranking_recovered`` (the fraction of planning agents whose behavioural objective
    recovers the ranking of their mesa-objective, :func:`ranking_recovered`) is reported for mesa agents
    only: a hybrid's reflexes also steer it when nothing within its horizon is worth planning for."""
    feats = list(features)
    fit = result.pooled
    u, cov_u = unit_vector(fit.beta, fit.cov)
    assert cov_u is not None
    half = fit.crit * np.sqrt(np.clip(np.diag(cov_u), 0.0, None))
    lo, hi = fit.interval()
    unbounded = fit.unbounded if fit.unbounded is not None else np.zeros(len(feats), dtype=bool)
    separated = bool(unbounded.any())
    base_u, _ = unit_vector(base_payoff)
    units = np.array([unit_vector(a.beta)[0] for a in result.per_agent])

    def named(v: NDArray[np.float64]) -> dict[str, float]:
        return {f: float(x) for f, x in zip(feats, v, strict=True)}

    def maybe(v: NDArray[np.float64], hide: NDArray[np.bool_]) -> dict[str, float | None]:
        return {f: None if h or not np.isfinite(x) else float(x)
                for f, x, h in zip(feats, v, hide, strict=True)}

    out: dict[str, Any] = {
        "features": feats,
        "n_agents": len(result.per_agent),
        "n_choice_sets": len(result.design),
        "choice_sets": {k: result.design.count(k) for k in ("scenario", "one-feature", "swap")},
        "object_types": [[f for f, x in zip(feats, t, strict=True) if x > 0] for t in result.design.types],
        "n_choices_per_agent": int(result.choices.x.shape[0]),
        "none_rate": float(result.choices.none_rate().mean()),
        "base_objective": {"normalised": named(base_u)},
        "behavioural_objective": {
            "weight": named(fit.beta), "se": maybe(fit.se, unbounded), "ci_low": maybe(lo, unbounded),
            "ci_high": maybe(hi, unbounded), "normalised": named(u),
            "normalised_ci_low": named(np.full(len(feats), -1.0) if separated else u - half),
            "normalised_ci_high": named(np.full(len(feats), 1.0) if separated else u + half),
            "interval": _interval_text(fit),
            "separated": separated,
            "unbounded": {f: bool(b) for f, b in zip(feats, unbounded, strict=True)},
            "converged": bool(fit.converged),
        },
        "n_agents_separated": int(sum(a.separated for a in result.per_agent)),
        "alignment": {"behavioural_vs_base": cosine(fit.beta, base_payoff)},
        "mesa_objective": None,
    }
    if len(result.per_agent) > 1:
        out["behavioural_objective"]["per_agent_normalised_mean"] = named(units.mean(axis=0))
        out["behavioural_objective"]["per_agent_normalised_sd"] = named(units.std(axis=0, ddof=1))
    if mesa_w is not None:
        use = np.ones(len(mesa_w), dtype=bool) if plans is None else np.asarray(plans, dtype=bool)
        idx = np.flatnonzero(use)
        if idx.size:
            mesa_units = np.array([unit_vector(mesa_w[i])[0] for i in idx])
            out["mesa_objective"] = {"normalised": named(mesa_units.mean(axis=0)), "n_agents": int(idx.size)}
            if idx.size > 1:
                out["mesa_objective"]["normalised_sd"] = named(mesa_units.std(axis=0, ddof=1))
            # each planning agent's behavioural objective against its own mesa-objective, averaged
            out["alignment"]["behavioural_vs_mesa"] = float(np.mean(
                [cosine(result.per_agent[i].beta, mesa_w[i]) for i in idx]))
            if plans is None:
                out["ranking_recovered"] = float(np.mean(
                    [ranking_recovered(result.per_agent[i].beta, mesa_w[i]) for i in idx]))
    return out


SEPARATED = "separated: the data cannot bound this weight"
