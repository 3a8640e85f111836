"""Analyses that put many seeds' results side by side, as the goal-misgeneralization literature does.

- :func:`diversity_rows` / :func:`diversity_table` — the *diversity dial* (Shah et al. 2022, Langosco et
  al. 2022): per run of a sweep, the fraction ``q`` of training objects that break the colour–target
  correlation (read back from the run's resolved ``scenario.toml``), whether the champion ends robust, and
  the robust and pseudo-aligned fractions of the final population; per ``q``, the fraction of seeds with a
  robust champion (Wilson 95 % interval) and the mean population robust fraction (t 95 % interval).
- :func:`preference_rows` — *preference against capability* (the colour-vs-shape study, arXiv
  2312.03762): the saved final population of a run is re-evaluated in fresh shift worlds drawn from a fixed
  seed, paths recorded, and for every (agent, episode) the object it went for first is classified as the
  base-objective **target** (an object the base objective pays for), the **proxy** (an object carrying the
  proxy feature, by default ``red``, that the base objective does not pay for), **other** or **none**.
  Objects merely stepped on along a shortest route to an object of another kind make the episode
  *ambiguous* (:func:`first_choice`); to see past a terminal door the paths are recorded in episodes that
  go on after it (agents do not perceive terminality, so their paths up to it are unchanged). One row per
  agent: capability (train fitness of the final assessment) and preference (``proxy_preference``: the
  proxy's share of the unambiguous episodes).

Rows are plain dicts (tidy: one row per run, per cell or per agent); nothing here plots or prints.
The simulator is not changed: re-evaluation goes through :class:`evo.evolution.Model` as the run did.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evo import results
from evo import scenario as scenario_mod
from evo.errors import EvoError
from evo.evolution import Model
from evo.scenario import Scenario, WorldConfig
from evo.simulate import Payoffs
from evo.sweep import mean_ci, read_index
from evo.worlds import WorldBatch

log = logging.getLogger(__name__)

#: what the first object reached in an episode was
FIRST_KINDS = ("target", "proxy", "other", "none")


# --------------------------------------------------------------------------------------------------------
# statistics


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion ``k / n`` (Wilson 1927); (nan, nan) when ``n = 0``."""
    if n <= 0:
        return math.nan, math.nan
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# --------------------------------------------------------------------------------------------------------
# run and sweep directories


def run_dirs(path: str | Path) -> list[Path]:
    """The finished run directories under ``path``: ``path`` itself if it is a run, else every
    ``**/summary.json`` beside a ``final_population.npz`` (a sweep directory or a results folder)."""
    path = Path(path)
    if (path / "summary.json").is_file():
        return [path]
    if not path.is_dir():
        raise EvoError(f"{path}: no such run or sweep directory")
    found = sorted(p.parent for p in path.rglob("summary.json")
                   if (p.parent / "final_population.npz").is_file())
    if not found:
        raise EvoError(f"{path}: no finished runs (summary.json and final_population.npz) below it")
    return found


def _run_scenario(run: Path) -> Scenario:
    return scenario_mod.load(run / "scenario.toml")


def _payoff_features(s: Scenario) -> set[str]:
    return {f for f, v in s.base_objective.payoff.items() if v > 0}


def decorrelation(cfg: WorldConfig, s: Scenario, proxy: str = "red") -> float:
    """The probability that a target object (one carrying a feature the base objective pays for) of the
    distribution ``cfg`` lacks the ``proxy`` feature: the diversity dial's ``q`` for the door colour (0 in
    red_door's training worlds, where every door is red)."""
    paid = _payoff_features(s)
    num = den = 0.0
    for g in cfg.objects:
        if g.variants:
            for v in g.variants:
                if paid & set(v.features):
                    den += g.count * v.p
                    num += g.count * v.p * (proxy not in v.features)
        else:
            p_target = max((g.features.get(f, 0.0) for f in paid), default=0.0)
            if p_target > 0:
                den += g.count * p_target
                num += g.count * p_target * (1.0 - g.features.get(proxy, 0.0))
    return num / den if den else math.nan


def decoy_rate(cfg: WorldConfig, s: Scenario, proxy: str = "red") -> float:
    """The probability that a non-target object of ``cfg`` carries the ``proxy`` feature (a decoy)."""
    paid = _payoff_features(s)
    num = den = 0.0
    for g in cfg.objects:
        if g.variants:
            for v in g.variants:
                if not paid & set(v.features):
                    den += g.count * v.p
                    num += g.count * v.p * (proxy in v.features)
        else:
            if not any(g.features.get(f, 0.0) > 0 for f in paid):
                den += g.count
                num += g.count * g.features.get(proxy, 0.0)
    return num / den if den else math.nan


# --------------------------------------------------------------------------------------------------------
# the diversity dial


def diversity_rows(sweep_dir: str | Path, proxy: str = "red") -> list[dict[str, Any]]:
    """One row per finished run of a sweep: ``q`` (door not ``proxy``-coloured in training), ``decoys``
    (non-target objects carrying ``proxy`` in training), seed, champion class and whether it is robust,
    the final population's robust and pseudo-aligned fractions, train and shift fitness, and what the
    champion reached per shift episode."""
    _, index = read_index(sweep_dir)
    root = Path(sweep_dir)
    rows = []
    for r in index:
        if r["status"] != "done":
            continue
        run = root / r["path"]
        s = _run_scenario(run)
        summary = results.read_json(run / "summary.json")
        champ = summary["champion"]
        reached = champ.get("reached_per_episode", {})
        shifts = list(summary.get("shift", {}))
        row: dict[str, Any] = {
            "run": str(r["path"]), "cell": r["cell"], "seed": r["seed"],
            "q": decorrelation(s.worlds.train, s, proxy), "decoys": decoy_rate(s.worlds.train, s, proxy),
            "champion_class": champ["class"], "champion_robust": champ["class"] == "robust",
            "robust_fraction": summary["classes"].get("robust", 0.0),
            "pseudo_fraction": summary["classes"].get("pseudo", 0.0),
            "train_fitness": summary["train"]["base_fitness"]["mean"],
            "champion_train_fitness": champ["train_fitness"],
            "shift_fitness": float(np.mean([summary["shift"][n]["base_fitness"]["mean"] for n in shifts])),
            "champion_shift_fitness": float(np.mean([champ["shift_fitness"][n] for n in shifts])),
            "champion_objective": champ.get("objective"),
        }
        for n in shifts:
            for f, v in reached.get(n, {}).items():
                row[f"champion_reached.{n}.{f}"] = v
        rows.append(row)
    return rows


def diversity_table(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per value of ``q`` (ascending): runs, champions robust (count, fraction, Wilson 95 % interval), and
    the mean over seeds of the population's robust and pseudo-aligned fractions and shift fitness with
    their 95 % t-intervals (those of fractions clipped to [0, 1])."""
    out = []
    for q in sorted({round(r["q"], 9) for r in rows}):
        sel = [r for r in rows if round(r["q"], 9) == q]
        k = sum(bool(r["champion_robust"]) for r in sel)
        lo, hi = wilson(k, len(sel))
        row: dict[str, Any] = {"q": q, "decoys": sel[0]["decoys"], "runs": len(sel), "champions_robust": k,
                               "champion_robust_fraction": k / len(sel), "champion_robust_lo": lo,
                               "champion_robust_hi": hi}
        for col in ("robust_fraction", "pseudo_fraction", "shift_fitness", "train_fitness",
                    "champion_shift_fitness"):
            e = mean_ci([r[col] for r in sel])
            lo_, hi_ = (max(0.0, e.lo), min(1.0, e.hi)) if col.endswith("fraction") else (e.lo, e.hi)
            row[col], row[f"{col}_lo"], row[f"{col}_hi"] = e.mean, lo_, hi_  # fractions: clipped to [0, 1]
        out.append(row)
    return out


# --------------------------------------------------------------------------------------------------------
# preference against capability


def first_reached(paths: NDArray[np.int64], reached: NDArray[np.bool_], obj_cell: NDArray[np.int64]
                  ) -> NDArray[np.int64]:
    """(P, B, K) step at which each agent first stood on each object it consumed in each world (T + 1
    where it never did). ``paths`` (P, B, T + 1) cells, ``reached`` (P, B, K), ``obj_cell`` (B, K)."""
    t1 = paths.shape[2]
    at = paths[:, :, :, None] == obj_cell[None, :, None, :]          # (P, B, T+1, K)
    t_first = np.where(at.any(axis=2), at.argmax(axis=2), t1)
    return np.where(reached, t_first, t1)


def first_choice(t_first: NDArray[np.int64], dist_from_start: NDArray[np.int64], kinds: NDArray[np.int64],
                 t1: int) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """What each agent went for first, from its path alone: the first object it reached, unless that object
    lay on a shortest route from the start to an object of another kind that it reached later by that
    route. Then the path does not tell which of the two it went for (a door seeker steps on a red gem in its
    way, a red seeker on a door in its way), and the episode is *ambiguous*. Returns (P, B) the index of the
    first object reached (-1: none), the step it got there (-1: none) and whether the episode is ambiguous.
    ``t_first`` (P, B, K) from :func:`first_reached`; ``dist_from_start`` and ``kinds`` (B, K)."""
    reached = t_first < t1
    first = np.where(reached.any(axis=2), t_first.argmin(axis=2), -1)
    step = np.where(first >= 0, t_first.min(axis=2), -1)
    first_kind = np.take_along_axis(np.broadcast_to(kinds, t_first.shape), np.maximum(first, 0)[..., None],
                                    axis=2)
    later_beeline = (reached & (t_first == dist_from_start[None]) & (t_first > step[..., None])
                     & (kinds[None] != first_kind))
    return first, step, later_beeline.any(axis=2)


def classify_objects(obj_feat: NDArray[np.float64], s: Scenario, proxy: str = "red") -> NDArray[np.int64]:
    """(B, K) kind of each object as an index into :data:`FIRST_KINDS`: target (the base objective pays for
    it), proxy (carries ``proxy`` and is not paid for), other."""
    feats = s.features
    if proxy not in feats:
        raise EvoError(f"proxy feature {proxy!r} is not one of the scenario's features ({', '.join(feats)})")
    pay = np.array([s.base_objective.payoff.get(f, 0.0) for f in feats])
    value = obj_feat @ pay
    is_proxy = obj_feat[..., feats.index(proxy)] > 0
    return np.where(value > 0, 0, np.where(is_proxy, 1, 2))


def preference(model: Model, genomes: NDArray[np.float64], cfg: WorldConfig, *, worlds: int = 64,
               seed: int = 0, proxy: str = "red") -> dict[str, NDArray[Any]]:
    """Evaluate ``genomes`` in ``worlds`` worlds of ``cfg`` drawn from ``seed`` and return per agent the
    share of episodes in which what it went for first (:func:`first_choice`) was, unambiguously, the target,
    the proxy, another object, or in which it reached nothing; the share of ambiguous episodes;
    ``proxy_preference``, the proxy's share of the unambiguous episodes in which it reached something (NaN
    if none); the share in which the object it merely stepped on first was the proxy
    (``proxy_touched_first``, ambiguous ones included); the mean step of that first arrival (NaN if never);
    and its fitness in those worlds."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    return preference_in(model, genomes, model.draw(cfg, worlds, rng), proxy)


def preference_in(model: Model, genomes: NDArray[np.float64], batch: WorldBatch, proxy: str = "red"
                  ) -> dict[str, NDArray[Any]]:
    """:func:`preference` in the given worlds."""
    ep = model.evaluate(genomes, batch)
    # the choice is read from episodes that go on past terminal objects: agents do not perceive
    # terminality, so their paths are the same up to the first terminal object, and the rest of the path
    # shows whether a door reached first was only on the way to something else
    free = dataclasses.replace(model, base=Payoffs(model.base.payoff, np.zeros_like(model.base.terminal),
                                                   model.base.step_cost))
    go_on = free.evaluate(genomes, batch, record_paths=True)
    assert go_on.paths is not None
    p = len(genomes)
    paths = go_on.paths.reshape(p, batch.size, -1)
    t_first = first_reached(paths, go_on.reached, batch.obj_cell)
    b, k = batch.obj_cell.shape
    dist0 = batch.dist[np.arange(b)[:, None], np.arange(k)[None, :], batch.start[:, None]]  # (B, K)
    kinds = classify_objects(batch.obj_feat, model.scenario, proxy)
    first, step, ambiguous = first_choice(t_first, dist0, kinds, paths.shape[2])
    kind_pb = np.broadcast_to(kinds, (p, b, k))
    kind = np.where(first >= 0,
                    np.take_along_axis(kind_pb, np.maximum(first, 0)[..., None], axis=2)[..., 0], 3)
    out: dict[str, NDArray[Any]] = {name: ((kind == i) & ~ambiguous).mean(axis=1)
                                    for i, name in enumerate(FIRST_KINDS)}
    out["ambiguous"] = ambiguous.mean(axis=1)
    clear = ((kind < 3) & ~ambiguous).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["proxy_preference"] = np.where(clear > 0, ((kind == 1) & ~ambiguous).sum(axis=1) / clear, np.nan)
    out["proxy_touched_first"] = (kind == 1).mean(axis=1)
    stepf = np.where(step >= 0, step, np.nan).astype(float)
    with np.errstate(invalid="ignore"):
        out["first_step"] = np.array([np.nanmean(r) if np.isfinite(r).any() else np.nan for r in stepf])
    out["fitness"] = ep.fitness
    return out


def _shift_config(s: Scenario, shift: str | None) -> tuple[str, WorldConfig]:
    if not s.worlds.shift:
        raise EvoError(f"{s.source}: the scenario has no shift distribution")
    name = shift or next(iter(s.worlds.shift))
    if name not in s.worlds.shift:
        raise EvoError(f"shift {name!r}: expected one of {', '.join(s.worlds.shift)}")
    return name, s.worlds.shift[name]


def preference_rows(path: str | Path, *, agents: str = "champion", shift: str | None = None,
                    worlds: int = 64, seed: int = 0, proxy: str = "red") -> list[dict[str, Any]]:
    """One row per agent (``agents = "champion"``: the champion of each run; ``"all"``: every agent of each
    final population) of every finished run under ``path`` (a run or a sweep directory): run, seed,
    diversity ``q`` of the run's training worlds, agent index, whether it is the champion, its class,
    capability (``train_fitness`` from the run's final assessment; ``first_step``: mean steps to the first
    object reached in shift episodes) and preference (``proxy_preference``: share of the unambiguous shift
    episodes that went to the proxy first, see :func:`preference`; ``target_first``, ``proxy_first``,
    ``other_first``, ``none_first``, ``ambiguous``: shares of all episodes; ``shift_fitness`` in these
    worlds). Every run is re-evaluated in the same ``worlds`` shift worlds drawn from ``seed``."""
    if agents not in ("champion", "all"):
        raise EvoError(f"agents: expected 'champion' or 'all', got {agents!r}")
    rows: list[dict[str, Any]] = []
    for run in run_dirs(path):
        s = _run_scenario(run)
        model = Model.from_scenario(s)
        pop = results.read_npz(run / "final_population.npz")
        summary = results.read_json(run / "summary.json")
        champ = int(summary["champion"]["index"])
        genomes = np.asarray(pop["genomes"], dtype=np.float64)
        idx = np.array([champ]) if agents == "champion" else np.arange(len(genomes))
        name, cfg = _shift_config(s, shift)
        pref = preference(model, genomes[idx], cfg, worlds=worlds, seed=seed, proxy=proxy)
        q = decorrelation(s.worlds.train, s, proxy)
        for j, i in enumerate(idx):
            rows.append({
                "run": str(run), "scenario": s.name, "seed": summary.get("seed"), "q": q, "shift": name,
                "agent": int(i), "champion": int(i) == champ, "class": str(pop["classes"][i]),
                "train_fitness": float(pop["train_fitness"][i]),
                "first_step": float(pref["first_step"][j]), "shift_fitness": float(pref["fitness"][j]),
                **{f"{k}_first": float(pref[k][j]) for k in FIRST_KINDS},
                "ambiguous": float(pref["ambiguous"][j]),
                "proxy_preference": float(pref["proxy_preference"][j]),
                "proxy_touched_first": float(pref["proxy_touched_first"][j]),
            })
    return rows


def preference_table(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per diversity ``q``: agents, the mean proxy preference (share of unambiguous shift episodes that went
    to the proxy first; 95 % t-interval over agents), how many agents went to the proxy first in most
    episodes (preference > ½), the mean share of ambiguous episodes, and the correlation between capability
    (train fitness) and proxy preference."""
    out = []
    for q in sorted({round(r["q"], 9) for r in rows}, key=lambda v: (math.isnan(v), v)):
        sel = [r for r in rows if round(r["q"], 9) == q or (math.isnan(q) and math.isnan(r["q"]))]
        sel = [r for r in sel if not math.isnan(r["proxy_preference"])]
        if not sel:
            continue
        e = mean_ci([r["proxy_preference"] for r in sel])
        x = np.array([r["train_fitness"] for r in sel])
        y = np.array([r["proxy_preference"] for r in sel])
        corr = float(np.corrcoef(x, y)[0, 1]) if len(sel) > 2 and x.std() > 0 and y.std() > 0 else math.nan
        out.append({"q": q, "agents": len(sel), "proxy_preference": e.mean,
                    "proxy_preference_lo": max(0.0, e.lo), "proxy_preference_hi": min(1.0, e.hi),
                    "proxy_majority": int((y > 0.5).sum()),
                    "ambiguous": float(np.mean([r["ambiguous"] for r in sel])),
                    "train_fitness": float(x.mean()), "corr_capability_preference": corr})
    return out
