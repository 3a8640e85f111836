"""Analyses that put many seeds' results side by side, as the goal-misgeneralization literature does: the
diversity dial and preference against capability; rows are plain dicts, nothing here plots or prints
(docs/architecture.md, "Multi-run studies")."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evo.analysis import stats
from evo.config import writer
from evo.config.schema import Scenario, WorldConfig
from evo.core import objects
from evo.core.problem import Problem
from evo.core.simulate import Payoffs
from evo.core.worlds import WorldBatch
from evo.errors import EvoError
from evo.runs import readback, scenarios
from evo.sweeps.index import read_index

log = logging.getLogger(__name__)

#: what the first object reached in an episode was
FIRST_KINDS = ("target", "proxy", "other", "none")
#: ``evo analyze preference --worlds``: accepted range of shift worlds per run.
MAX_WORLDS = 1024


@dataclass
class Usage:
    """How many units (runs or agents) an analysis used out of how many, and why the others were left out
    (``left_out``: reason → count)."""

    what: str
    total: int = 0
    used: int = 0
    left_out: dict[str, int] = field(default_factory=dict)

    def leave_out(self, reason: str, n: int = 1) -> None:
        if n:
            self.left_out[reason] = self.left_out.get(reason, 0) + n

    def line(self) -> str:
        """``used 8 of 10 runs; left out: 2 pending``."""
        text = f"used {self.used} of {self.total} {self.what}"
        if self.left_out:
            text += "; left out: " + ", ".join(f"{n} {why}" for why, n in self.left_out.items())
        return text


def check_worlds(worlds: int) -> int:
    """``worlds`` if it is an integer in [1, :data:`MAX_WORLDS`], else a one-line :class:`EvoError`."""
    if isinstance(worlds, bool) or not isinstance(worlds, int | np.integer) or not 1 <= worlds <= MAX_WORLDS:
        raise EvoError(f"--worlds: expected an integer in [1, {MAX_WORLDS}] (shift worlds per run), got "
                       f"{worlds!r}")
    return int(worlds)


def _num(d: Any, file: Path, *path: str) -> float:
    """The finite number at ``path`` in a run's JSON ``d``, or an :class:`EvoError` naming the file."""
    v: Any = d
    for p in path:
        v = v.get(p) if isinstance(v, Mapping) else None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise EvoError(f"{file}: {'.'.join(path)}: expected a finite number, got {v!r:.60}")
    return float(v)


def _table(d: Any, file: Path, *path: str) -> dict[str, Any]:
    v: Any = d
    for p in path:
        v = v.get(p) if isinstance(v, Mapping) else None
    if not isinstance(v, dict):
        raise EvoError(f"{file}: {'.'.join(path) or 'the file'}: expected a JSON object, got {v!r:.60}")
    return v


def _summary(run: Path) -> dict[str, Any]:
    """``RUN/summary.json``, validated (:func:`evo.runs.readback.read_summary`)."""
    return readback.read_summary(run)


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
    return scenarios.load(run / "scenario.toml")


def _payoff_features(s: Scenario) -> set[str]:
    return {f for f, v in s.base_objective.payoff.items() if v > 0}


def decorrelation(cfg: WorldConfig, s: Scenario, proxy: str = "red") -> float:
    """The probability that a target object (one carrying a feature the base objective pays for) of the
    distribution ``cfg`` lacks the ``proxy`` feature: the diversity dial's ``q`` for the door colour (0 in
    red_door's training worlds, where every door is red). Read by :func:`evo.core.objects.decorrelation`."""
    return objects.decorrelation(cfg, _payoff_features(s), proxy)


def decoy_rate(cfg: WorldConfig, s: Scenario, proxy: str = "red") -> float:
    """The probability that a non-target object of ``cfg`` carries the ``proxy`` feature (a decoy). Read by
    :func:`evo.core.objects.decoy_rate`."""
    return objects.decoy_rate(cfg, _payoff_features(s), proxy)


# --------------------------------------------------------------------------------------------------------
# the diversity dial


def diversity_rows(sweep_dir: str | Path, proxy: str = "red", usage: Usage | None = None
                   ) -> list[dict[str, Any]]:
    """One row per finished run of a sweep: ``q`` (door not ``proxy``-coloured in training), ``decoys``
    (non-target objects carrying ``proxy`` in training), seed, champion class and whether it is robust,
    the final population's robust and pseudo-aligned fractions, train and shift fitness, and what the
    champion reached per shift episode. ``usage`` (if given) counts the runs used and left out. A sweep
    whose cells do not differ in ``q`` is an :class:`EvoError` (:func:`check_varies_q`)."""
    meta, index = read_index(sweep_dir)
    root = Path(sweep_dir)
    usage = usage if usage is not None else Usage("planned runs")
    usage.total = len(index)
    rows = []
    for r in index:
        if r["status"] != "done":
            usage.leave_out(f"{r['status']} (not finished)")
            continue
        run = root / r["path"]
        s = _run_scenario(run)
        summary = _summary(run)
        champ = _table(summary, run / "summary.json", "champion")
        if not isinstance(champ.get("behaviour_class"), str):
            raise EvoError(f"{run / 'summary.json'}: champion.behaviour_class: expected a class name, got "
                           f"{champ.get('behaviour_class')!r:.60}")
        reached = champ.get("reached_per_episode", {})
        reached = reached if isinstance(reached, dict) else {}
        shifts = list(_table(summary, run / "summary.json", "shift"))
        if not shifts:
            raise EvoError(f"{run / 'summary.json'}: shift: expected at least one shift (the diversity "
                           "analysis measures robustness under a shift)")
        classes = _table(summary, run / "summary.json", "behaviour_classes")
        f = run / "summary.json"
        row: dict[str, Any] = {
            "run": str(r["path"]), "cell": r["cell"], "seed": r["seed"],
            "q": decorrelation(s.worlds.train, s, proxy), "decoys": decoy_rate(s.worlds.train, s, proxy),
            "champion_behaviour_class": champ["behaviour_class"],
            "champion_robust": champ["behaviour_class"] == "robust",
            "robust_fraction": _num(classes, f, "robust") if "robust" in classes else 0.0,
            "pseudo_fraction": _num(classes, f, "pseudo") if "pseudo" in classes else 0.0,
            "train_fitness": _num(summary, f, "train", "base_fitness", "mean"),
            "champion_train_fitness": _num(champ, f, "train_fitness"),
            "shift_fitness": float(np.mean([_num(summary, f, "shift", n, "base_fitness", "mean")
                                            for n in shifts])),
            "champion_shift_fitness": float(np.mean([_num(champ, f, "shift_fitness", n) for n in shifts])),
            "champion_objective": champ.get("objective"),
        }
        for n in shifts:
            per = reached.get(n, {})
            for feat, v in (per.items() if isinstance(per, dict) else ()):
                row[f"champion_reached.{n}.{feat}"] = v
        rows.append(row)
    usage.used = len(rows)
    check_varies_q(sweep_dir, meta, index, rows)
    return rows


def check_varies_q(where: str | Path, meta: Mapping[str, Any], index: Sequence[Mapping[str, Any]],
                   rows: Sequence[Mapping[str, Any]]) -> None:
    """Refuse (one-line :class:`EvoError`) a sweep whose finished cells do not differ in the diversity
    ``q``: with one ``q`` there is no dial to read, and cells that share a ``q`` but differ in something
    else (a tournament size) would be pooled as if they were seeds of one experiment."""
    if not rows:
        return
    q_of: dict[int, float] = {}
    for r in rows:
        q_of.setdefault(r["cell"], round(r["q"], 9))
    labels = {c["index"]: c["label"] for c in meta["cells"]}
    swept = ", ".join(meta["params"]) or "nothing"
    by_q: dict[float, list[int]] = {}
    for cell, q in q_of.items():
        by_q.setdefault(q, []).append(cell)
    if len(by_q) < 2:
        q = next(iter(by_q))
        if len(q_of) < len(meta["cells"]) and any(r["status"] != "done" for r in index):
            raise EvoError(f"{where}: the diversity analyses need finished runs at two or more values of the "
                           f"training diversity q; so far every finished run has q = {q:g}")
        raise EvoError(f"{where}: the diversity analyses need a sweep whose cells differ in the training "
                       "diversity q (the share of target objects without the proxy feature, set through "
                       f"worlds.train.objects); this one varies {swept} and every cell has q = {q:g}")
    for q, cells in by_q.items():
        if len(cells) > 1:
            names = ", ".join(repr(labels.get(c, str(c))) for c in cells[:3])
            raise EvoError(f"{where}: cells {names} all have q = {q:g}: the diversity analyses compare cells "
                           f"that differ in q only, and this sweep also varies something else ({swept})")


def diversity_table(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per value of ``q`` (ascending): runs, champions robust (count, fraction, Wilson 95 % interval), and
    the mean over seeds of the population's robust and pseudo-aligned fractions and shift fitness with
    their 95 % intervals (:func:`evo.analysis.stats.mean_interval`: Student t over seeds, clipped to [0, 1]
    for the fractions — the interval ``evo sweep-report`` uses)."""
    out = []
    for q in sorted({round(r["q"], 9) for r in rows}):
        sel = [r for r in rows if round(r["q"], 9) == q]
        k = sum(bool(r["champion_robust"]) for r in sel)
        lo, hi = stats.wilson(k, len(sel))
        row: dict[str, Any] = {"q": q, "decoys": sel[0]["decoys"], "runs": len(sel), "champions_robust": k,
                               "champion_robust_fraction": k / len(sel), "champion_robust_lo": lo,
                               "champion_robust_hi": hi}
        for col in ("robust_fraction", "pseudo_fraction", "shift_fitness", "train_fitness",
                    "champion_shift_fitness"):
            bounds = stats.FRACTION if col.endswith("fraction") else None
            e = stats.mean_interval([r[col] for r in sel], bounds)
            row[col], row[f"{col}_lo"], row[f"{col}_hi"] = e.mean, e.lo, e.hi
        out.append(row)
    return out


#: Which interval each column of :func:`diversity_table` uses (for the report's footnote).
DIVERSITY_INTERVALS = (
    ("robust champions", stats.method_note("wilson")),
    ("population robust, population pseudo", stats.method_note("t-clipped", stats.FRACTION)),
    ("champion shift fitness, train fitness", stats.method_note("t")),
)


# --------------------------------------------------------------------------------------------------------
# preference against capability


def first_reached_on_paths(paths: NDArray[np.int64], reached: NDArray[np.bool_], obj_cell: NDArray[np.int64]
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
    ``t_first`` (P, B, K) from :func:`first_reached_on_paths`; ``dist_from_start`` and ``kinds`` (B, K)."""
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
    pay = Payoffs.of(s.base_objective, feats).payoff
    value = obj_feat @ pay
    is_proxy = obj_feat[..., feats.index(proxy)] > 0
    return np.where(value > 0, 0, np.where(is_proxy, 1, 2))


def preference(problem: Problem, genomes: NDArray[np.float64], cfg: WorldConfig, *, worlds: int = 64,
               seed: int = 0, proxy: str = "red") -> dict[str, NDArray[Any]]:
    """Evaluate ``genomes`` in ``worlds`` worlds of ``cfg`` drawn from ``seed`` and return per agent the
    share of episodes in which what it went for first (:func:`first_choice`) was, unambiguously, the target,
    the proxy, another object, or in which it reached nothing; the share of ambiguous episodes;
    ``proxy_preference``, the proxy's share of the unambiguous episodes in which it reached something (NaN
    if none); the share in which the object it merely stepped on first was the proxy
    (``proxy_touched_first``, ambiguous ones included); the mean step of that first arrival (NaN if never);
    and its fitness in those worlds."""
    worlds = check_worlds(worlds)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    return preference_in(problem, genomes, problem.draw(cfg, worlds, rng), proxy)


def preference_in(problem: Problem, genomes: NDArray[np.float64], batch: WorldBatch, proxy: str = "red"
                  ) -> dict[str, NDArray[Any]]:
    """:func:`preference` in the given worlds."""
    ep = problem.evaluate(genomes, batch)
    # the choice is read from episodes that go on past terminal objects: agents do not perceive
    # terminality, so their paths are the same up to the first terminal object, and the rest of the path
    # shows whether a door reached first was only on the way to something else
    free = dataclasses.replace(problem, base=Payoffs(problem.base.payoff,
                                                     np.zeros_like(problem.base.terminal),
                                                   problem.base.step_cost))
    go_on = free.evaluate(genomes, batch, record_paths=True)
    assert go_on.paths is not None
    p = len(genomes)
    paths = go_on.paths.reshape(p, batch.size, -1)
    t_first = first_reached_on_paths(paths, go_on.reached, batch.obj_cell)
    b, k = batch.obj_cell.shape
    dist0 = batch.dist[np.arange(b)[:, None], np.arange(k)[None, :], batch.start[:, None]]  # (B, K)
    kinds = classify_objects(batch.obj_feat, problem.scenario, proxy)
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
                    worlds: int = 64, seed: int = 0, proxy: str = "red", usage: Usage | None = None
                    ) -> list[dict[str, Any]]:
    """One row per agent (``agents = "champion"``: the champion of each run; ``"all"``: every agent of each
    final population) of every finished run under ``path`` (a run or a sweep directory): run, seed,
    diversity ``q`` of the run's training worlds, agent index, whether it is the champion, its class,
    capability (``train_fitness`` from the run's final assessment; ``first_step``: mean steps to the first
    object reached in shift episodes) and preference (``proxy_preference``: share of the unambiguous shift
    episodes that went to the proxy first, see :func:`preference`; ``target_first``, ``proxy_first``,
    ``other_first``, ``none_first``, ``ambiguous``: shares of all episodes; ``shift_fitness`` in these
    worlds). Every run is re-evaluated in the same ``worlds`` shift worlds drawn from ``seed``. ``usage``
    (if given) counts the runs found. Runs of different scenarios that share a ``q`` are refused (they would
    be pooled as one ``q``)."""
    if agents not in ("champion", "all"):
        raise EvoError(f"agents: expected 'champion' or 'all', got {agents!r}")
    worlds = check_worlds(worlds)
    found = run_dirs(path)
    usage = usage if usage is not None else Usage("finished runs")
    usage.total = usage.used = len(found)
    rows: list[dict[str, Any]] = []
    groups: dict[float, dict[str, Path]] = {}  # q → scenario text → a run with it
    by_run = {run: _run_scenario(run) for run in found}
    for run, s in by_run.items():
        q = decorrelation(s.worlds.train, s, proxy)
        groups.setdefault(round(q, 9), {}).setdefault(writer.dumps(s), run)
    for q, kinds in groups.items():
        if len(kinds) > 1:
            a, b = list(kinds.values())[:2]
            raise EvoError(f"{path}: runs of different scenarios share the training diversity q = {q:g} "
                           f"({a} and {b}; {len(kinds)} scenarios in all): the preference analysis compares "
                           "runs that differ in q only; analyse each experiment on its own, or a sweep over "
                           "q")
    for run, s in by_run.items():
        problem = Problem.from_scenario(s)
        summary = _summary(run)
        pop = readback.read_population(run, summary)
        champ = int(_num(summary, run / "summary.json", "champion", "index"))
        genomes = np.asarray(pop["genomes"], dtype=np.float64)
        idx = np.array([champ]) if agents == "champion" else np.arange(len(genomes))
        name, cfg = _shift_config(s, shift)
        pref = preference(problem, genomes[idx], cfg, worlds=worlds, seed=seed, proxy=proxy)
        q = decorrelation(s.worlds.train, s, proxy)
        for j, i in enumerate(idx):
            rows.append({
                "run": str(run), "scenario": s.name, "seed": summary.get("seed"), "q": q, "shift": name,
                "agent": int(i), "champion": int(i) == champ,
                "behaviour_class": str(pop["behaviour_classes"][i]),
                "train_fitness": float(pop["train_fitness"][i]),
                "first_step": float(pref["first_step"][j]), "shift_fitness": float(pref["fitness"][j]),
                **{f"{k}_first": float(pref[k][j]) for k in FIRST_KINDS},
                "ambiguous": float(pref["ambiguous"][j]),
                "proxy_preference": float(pref["proxy_preference"][j]),
                "proxy_touched_first": float(pref["proxy_touched_first"][j]),
            })
    return rows


#: Why an agent has no proxy preference (left out of :func:`preference_table`).
NO_PREFERENCE = "reached no object unambiguously in any shift episode (no preference to measure)"


def preference_table(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per diversity ``q``: agents (all, used, left out because they reached no object unambiguously), the
    mean proxy preference (share of unambiguous shift episodes that went to the proxy first) with its 95 %
    interval, how many agents went to the proxy first in most episodes (preference > ½), the mean share of
    ambiguous episodes, and the correlation between capability (train fitness) and proxy preference.

    The agents of one run descend from one population and share its ancestry, so they are not independent
    observations: the *run* is the unit. The mean is the mean over runs of each run's mean preference, its
    interval Student t over runs clipped to [0, 1] (:func:`evo.analysis.stats.mean_interval`; with one agent
    per run, the champions, this is the plain t-interval over seeds). The correlation is over agents, its
    interval a percentile bootstrap over runs (whole runs resampled;
    :func:`evo.analysis.stats.bootstrap_interval`), none below 5 runs."""
    out = []
    for q in sorted({round(r["q"], 9) for r in rows}, key=lambda v: (math.isnan(v), v)):
        every = [r for r in rows if round(r["q"], 9) == q or (math.isnan(q) and math.isnan(r["q"]))]
        sel = [r for r in every if not math.isnan(r["proxy_preference"])]
        entry: dict[str, Any] = {"q": q, "agents_total": len(every), "agents": len(sel),
                                 "agents_no_preference": len(every) - len(sel),
                                 "runs": len({r["run"] for r in sel})}
        if not sel:
            out.append({**entry, "proxy_preference": math.nan, "proxy_preference_lo": math.nan,
                        "proxy_preference_hi": math.nan, "proxy_majority": 0, "ambiguous": math.nan,
                        "train_fitness": math.nan, "corr_capability_preference": math.nan,
                        "corr_lo": math.nan, "corr_hi": math.nan})
            continue
        by_run: dict[str, list[Mapping[str, Any]]] = {}
        for r in sel:
            by_run.setdefault(r["run"], []).append(r)
        run_means = [float(np.mean([r["proxy_preference"] for r in rs])) for rs in by_run.values()]
        e = stats.mean_interval(run_means, stats.FRACTION)
        x = [r["train_fitness"] for r in sel]
        y = np.array([r["proxy_preference"] for r in sel])

        def corr(units: Sequence[list[Mapping[str, Any]]]) -> float:
            flat = [r for u in units for r in u]
            return stats.pearson([r["train_fitness"] for r in flat], [r["proxy_preference"] for r in flat])

        clo, chi = stats.bootstrap_interval(list(by_run.values()), corr)
        out.append({**entry, "proxy_preference": e.mean, "proxy_preference_lo": e.lo,
                    "proxy_preference_hi": e.hi, "proxy_majority": int((y > 0.5).sum()),
                    "ambiguous": float(np.mean([r["ambiguous"] for r in sel])),
                    "train_fitness": float(np.mean(x)), "corr_capability_preference": stats.pearson(x, y),
                    "corr_lo": clo, "corr_hi": chi})
    return out
