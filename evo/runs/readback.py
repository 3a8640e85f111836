"""Reading a run directory back, validated: every file read after a run is checked on read, and anything
malformed is one :class:`~evo.errors.EvoError` naming the file, the key and what was expected
(docs/architecture.md, "Reading run files back"). The schema language is :mod:`evo.core.checks`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evo.config.schema import LIMITS
from evo.core.agents import agent_kind, agent_kinds
from evo.core.checks import (
    MISSING,
    Int,
    List,
    Map,
    Num,
    Obj,
    Opt,
    Said,
    Schema,
    Str,
    Table,
    check_array,
    fail,
    key_name,
    keys_equal,
)
from evo.core.metrics import BEHAVIOUR_CLASSES
from evo.errors import EvoError
from evo.lineage.store import FOUNDER_COLUMNS, MODES
from evo.runs import files, npz

STATUSES = ("running", "interrupted", "done", "failed")
#: The version of the run-directory files (``results_format`` in summary.json and meta.json). 2: the two
#: meanings of "class" got two names (``goal_class`` read from the genome, ``behaviour_class`` measured in
#: episodes: lineage.csv columns ``goal_class``/``behaviour_class``, summary.json ``behaviour_classes``,
#: ``champion.behaviour_class``, ``behaviour_class_definitions``, ``lineage.goal_class_definition``,
#: log.csv ``behaviour_class.*``, final_population.npz ``behaviour_classes``). 3: lineage.csv as the ALife
#: data standard's tools read it (``ancestor_list`` without whitespace, ``[12,40]``; ``destruction_time``
#: ``inf`` while alive, was ``none``), and the first-parent tree exports ``lineage_tree.csv`` and
#: ``lineage.nwk`` (:mod:`evo.lineage.formats`). 4: kinds that learn within a life (the learner) add
#: summary.json ``lifetime`` (fitness by age of life, the life's genes, innate and learned values), log.csv
#: per-age columns (``train_age_mean.N``, ``true_age_mean.N``, ``shift.NAME.sample_age_mean.N``), the genes'
#: means (``learning_rate_mean``, …) and ``innate.FEATURE``, and champion_episodes.npz ``NAME.age``. 5: the
#: same files, other numbers: worlds are drawn from per-world keyed streams (evo/core/worlds/) and selection
#: and variation draw from numpy generators (were ``random.Random`` streams). Files without a version are
#: format 1 (README.md, "Results format").
RESULTS_FORMAT = 5


# --------------------------------------------------------------------------------------------------------
# JSON


def read_json_object(path: str | Path, limit: str = "json_bytes") -> dict[str, Any]:
    """A JSON file of at most ``LIMITS[limit]`` bytes whose top level is an object (NaN and Infinity
    parse, so the schema names their key)."""
    path = Path(path)
    text = read_text(path, kind="JSON", limit=limit)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvoError(f"{path}: not valid JSON ({exc.msg}: line {exc.lineno} column {exc.colno})") from None
    except (RecursionError, MemoryError, ValueError) as exc:  # absurd nesting; 4300-digit integers
        raise EvoError(f"{path}: not valid JSON ({type(exc).__name__}: {str(exc)[:80] or 'too large'})"
                       ) from None
    if not isinstance(data, dict):
        fail(path, "the file", "a JSON object", data)
    return data


class AgentKindName(Schema):
    """The name of a registered agent kind (:func:`evo.core.agents.agent_kinds`, read when checked: a kind
    registered after this module was imported is accepted too)."""

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "a registered agent kind (one of " + ", ".join(repr(k) for k in agent_kinds()) + ")"

    def check(self, value: Any, file: str | Path, key: str) -> str:
        if not isinstance(value, str) or value not in agent_kinds():
            fail(file, f"key '{key}'", self.expected, value)
        return value


#: agent kinds a results file may name: every registered kind
AGENT_KINDS = AgentKindName()


# --------------------------------------------------------------------------------------------------------
# summary.json and meta.json

_MEAN_BEST = Obj({"mean": Num(), "best": Num()})
_MEAN_CHAMP = Obj({"mean": Num(), "champion": Num()})
_POINT = Obj({"id": Int(0), "generation": Int(0)})
_LINEAGE = Obj({
    "records": Int(0), "records_peak": Int(0), "individuals_born": Int(0),
    "trait": Obj({"column": Opt(Str()), "label": Opt(Str()), "proxy_feature": Opt(Str()),
                  "target_feature": Opt(Str())}),
    "goal_class_definition": Str(),
    "champion": Obj({"id": Int(0), "founder": Int(0), "line_of_descent": List(Int(0), min_len=1),
                     "first_pseudo": Opt(_POINT), "pseudo_since": Opt(_POINT)}),
    "mrca": Opt(Obj({"id": Int(0), "generation": Int(0), "generations_before_end": Int(0)})),
    "founder_lineages": Obj({"count": List(Int(1), min_len=1), "final": Int(0),
                             "single_lineage_from": Opt(Int(0))}),
    "phylogenetic_diversity": Num(0),
})
_PROBE = Obj({
    "agents": Str(("champion", "sample", "all")), "agent_kind": AGENT_KINDS, "n_agents": Int(1),
    "n_choices_per_agent": Int(0), "features": List(Str(), min_len=1),
    "base_objective": Obj({"normalised": Map(Num())}),
    "behavioural_objective": Obj({"normalised": Map(Num()), "normalised_ci_low": Map(Opt(Num())),
                                  "normalised_ci_high": Map(Opt(Num()))}),
    "mesa_objective": Opt(Obj({"normalised": Map(Num())}, optional={"normalised_sd": Map(Num())})),
    "alignment": Obj({"behavioural_vs_base": Num()}),
}, optional={"ranking_recovered": Num(0, 1),
             "end_of_life": Obj({"lifetime": Int(1), "behavioural_objective": Obj({"normalised": Map(Num())}),
                                 "alignment": Obj({"behavioural_vs_base": Num()})})})
_BY_AGE = Obj({"base_fitness_by_age": List(Num(), min_len=1)},
              optional={"true_fitness_by_age": List(Num(), min_len=1)})
_LIFETIME = Obj({
    "length": Int(1), "seen_features": List(Str(nonempty=True)), "train": _BY_AGE, "shift": Map(_BY_AGE),
    "genes": Map(Obj({"mean": Num(), "median": Num(), "champion": Num()})),
    "innate_values_mean": Map(Num()),
    "champion": Obj({"learned_values": Map(List(Map(Num()), min_len=2))}),
})
SUMMARY = Obj({
    "results_format": Int(RESULTS_FORMAT, RESULTS_FORMAT),
    "scenario": Str(nonempty=True),
    "seed": Int(0),
    "generations": Int(1),
    "population": Int(1),
    "agent_kind": AGENT_KINDS,
    "features": List(Str(nonempty=True), min_len=1),
    "base_objective": Map(Num()),
    "train": Obj({"base_fitness": _MEAN_BEST},
                 optional={"reached_per_episode": Obj({"mean": Map(Num(0)), "champion": Map(Num(0))}),
                           "spawned": Obj({"released": _MEAN_CHAMP, "collected": _MEAN_CHAMP})}),
    "shift": Map(Obj({"base_fitness": _MEAN_BEST, "champion": Num()})),
    "behaviour_classes": Map(Num(0, 1)),
    "alignment": Opt(_MEAN_CHAMP),
    "mesa_objective_mean": Opt(Map(Num())),
    "horizon": Obj({"mean": Num(0), "optimizer_fraction": Num(0, 1)}),
    "champion": Obj({
        "index": Int(0), "genome_layout": Map(List(Int(0), length=2)), "genome": List(Num(), min_len=1),
        "objective": Opt(Map(Num())), "horizon": Int(0), "behaviour_class": Str(BEHAVIOUR_CLASSES),
        "alignment": Opt(Num()), "train_fitness": Num(), "shift_fitness": Map(Num()),
        "reached_per_episode": Map(Map(Num(0)))}),
    "behaviour_class_definitions": Obj({"robust_threshold": Num(), "pseudo_threshold": Num(),
                              "reach_threshold": Num()}),
    "wall_time_s": Num(0),
}, optional={
    "true": Obj({"mean": Num(), "best": Num(), "champion": Num(), "objective": Map(Num())}),
    "lineage": Obj({"mode": Str(MODES)}),
    "probe": Map(_PROBE),
    "lifetime": _LIFETIME,
})


def validate_summary(data: Any, file: str | Path) -> dict[str, Any]:
    """``data`` (a parsed ``summary.json``) checked: its results format first, then keys, types, finite
    numbers and cross-references."""
    version = data.get("results_format", MISSING) if isinstance(data, dict) else MISSING
    if version != RESULTS_FORMAT:
        fail(file, "key 'results_format'", f"{RESULTS_FORMAT} (this evo reads results format "
             f"{RESULTS_FORMAT}; README.md 'Results format' says what changed; run the scenario again)",
             Said("nothing (a run written before results formats were numbered: format 1)")
             if version is MISSING else version)
    s = SUMMARY.check(data, file, "")
    feats: list[str] = s["features"]
    if len(set(feats)) != len(feats):
        fail(file, "key 'features'", "distinct feature names", feats)
    shifts = list(s["shift"])
    champ = s["champion"]
    feature_maps = [("base_objective", s["base_objective"]),
                    ("mesa_objective_mean", s["mesa_objective_mean"]),
                    ("champion.objective", champ["objective"])]
    if "reached_per_episode" in s["train"]:
        feature_maps += [(f"train.reached_per_episode.{k}", s["train"]["reached_per_episode"][k])
                         for k in ("mean", "champion")]
    if "true" in s:
        feature_maps.append(("true.objective", s["true"]["objective"]))
    for key, value in feature_maps:
        if value is not None:
            keys_equal(file, key, value, feats, "feature")
    keys_equal(file, "champion.shift_fitness", champ["shift_fitness"], shifts, "shift of key 'shift'")
    keys_equal(file, "champion.reached_per_episode", champ["reached_per_episode"], shifts,
               "shift of key 'shift'")
    for name, reached in champ["reached_per_episode"].items():
        keys_equal(file, key_name("champion.reached_per_episode", name), reached, feats, "feature")
    for name in s["behaviour_classes"]:
        if name not in BEHAVIOUR_CLASSES:
            fail(file, f"key '{key_name('behaviour_classes', name)}'",
                 "a class name (" + ", ".join(BEHAVIOUR_CLASSES) + ")",
                 Said(f"unknown class {name!r}"))
    has_objective = agent_kind(s["agent_kind"]).has_objective
    for key, value in (("champion.objective", champ["objective"]), ("mesa_objective_mean",
                                                                    s["mesa_objective_mean"]),
                       ("alignment", s["alignment"])):
        if (value is not None) != has_objective:
            fail(file, f"key '{key}'", ("an object" if has_objective else "null")
                 + f" for {s['agent_kind']} agents", value)
    if champ["index"] >= s["population"]:
        fail(file, "key 'champion.index'", f"an index below key 'population' ({s['population']})",
             champ["index"])
    length = 0
    for name, (a, b) in champ["genome_layout"].items():
        if a >= b:
            fail(file, key_name("champion.genome_layout", name), "a slice [start, stop) with start < stop",
                 [a, b])
        length = max(length, b)
    if len(champ["genome"]) != length:
        fail(file, "key 'champion.genome'", f"{length} genes (key 'champion.genome_layout')",
             champ["genome"])
    lin = s.get("lineage")
    if lin is not None and lin["mode"] != "off":
        _LINEAGE.check(lin, file, "lineage")
        lod = lin["champion"]["line_of_descent"]
        if lod[-1] != lin["champion"]["id"]:
            fail(file, "key 'lineage.champion.line_of_descent'",
                 f"a line ending at the champion (key 'lineage.champion.id' = {lin['champion']['id']})", lod)
        if len(lin["founder_lineages"]["count"]) != s["generations"]:
            fail(file, "key 'lineage.founder_lineages.count'",
                 f"one count per generation ({s['generations']})", lin["founder_lineages"]["count"])
    for world, p in (s.get("probe") or {}).items():
        _check_probe(file, world, p)
    if "lifetime" in s:
        _check_lifetime(file, s["lifetime"], feats, shifts)
    return s


def _check_lifetime(file: str | Path, life: Mapping[str, Any], feats: Sequence[str],
                    shifts: Sequence[str]) -> None:
    """summary.json → lifetime: one number per age of life everywhere, the run's shifts, seen features
    among the run's features, learned values at birth and after each episode keyed by them."""
    n = life["length"]
    seen = life["seen_features"]
    unknown = [f for f in seen if f not in feats]
    if unknown or len(set(seen)) != len(seen):
        fail(file, "key 'lifetime.seen_features'", "distinct names of key 'features'", seen)
    keys_equal(file, "lifetime.shift", life["shift"], shifts, "shift of key 'shift'")
    for where, by_age in [("train", life["train"]), *((f"shift.{k}", v) for k, v in life["shift"].items())]:
        for key, values in by_age.items():
            if key in ("base_fitness_by_age", "true_fitness_by_age") and len(values) != n:
                fail(file, f"key '{key_name('lifetime', where, key)}'",
                     f"one number per age of life ({n}, key 'lifetime.length')", values)
    keys_equal(file, "lifetime.innate_values_mean", life["innate_values_mean"], seen, "seen feature")
    learned = life["champion"]["learned_values"]
    keys_equal(file, "lifetime.champion.learned_values", learned, ["train", *shifts], "world (train, shifts)")
    for world, over in learned.items():
        key = key_name("lifetime.champion.learned_values", world)
        if len(over) != n + 1:
            fail(file, f"key '{key}'", f"the values at birth and after each of {n} episodes ({n + 1})",
                 Said(f"{len(over)} entries"))
        for i, values in enumerate(over):
            keys_equal(file, f"{key}[{i}]", values, seen, "seen feature")


def _check_probe(file: str | Path, world: str, p: Mapping[str, Any]) -> None:
    feats = p["features"]
    key = key_name("probe", world)
    maps = [("base_objective.normalised", p["base_objective"]["normalised"])]
    maps += [(f"behavioural_objective.{k}", p["behavioural_objective"][k])
             for k in ("normalised", "normalised_ci_low", "normalised_ci_high")]
    if p["mesa_objective"] is not None:
        maps += [(f"mesa_objective.{k}", p["mesa_objective"][k]) for k in ("normalised", "normalised_sd")
                 if k in p["mesa_objective"]]
    for sub, value in maps:
        keys_equal(file, key_name(key, sub), value, feats, "probed feature")


def read_summary(run: str | Path) -> dict[str, Any]:
    """``RUN/summary.json``, validated (:func:`validate_summary`)."""
    path = Path(run) / "summary.json"
    if not path.is_file():
        raise EvoError(f"{run}: not a finished run directory (no summary.json)")
    return validate_summary(read_json_object(path), path)


def read_probes(run: str | Path, summary: Mapping[str, Any]) -> dict[str, Any]:
    """What `evo probe` measured, by world: ``RUN/probe.json`` (validated), over the ``probe`` section that
    runs probed before probe.json existed kept in summary.json; empty if never probed."""
    path = Path(run) / "probe.json"
    probes = dict(summary.get("probe") or {})
    if path.is_file():
        data = read_json_object(path)
        for world, p in data.items():
            _PROBE.check(p, path, world)
            _check_probe(path, world, p)
        probes.update(data)
    return probes


META = Obj({"seed": Int(0), "status": Str(STATUSES)},
           optional={"results_format": Int(1), "scenario": Str(), "wall_time_s": Num(0),
                     "streams": List(Str()),
                     "versions": Map(Str()), "git_revision": Opt(Str()), "started": Str(), "finished": Str(),
                     "error": Str(), "seed_entropy": Int(0), "stopped_before_generation": Int(0)})


def read_meta(run: str | Path, summary: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``RUN/meta.json``, validated; with ``summary``, its seed must be the summary's."""
    path = Path(run) / "meta.json"
    meta = META.check(read_json_object(path, "meta_bytes"), path, "")
    if summary is not None and meta["seed"] != summary["seed"]:
        fail(path, "key 'seed'", f"the seed of summary.json ({summary['seed']})", meta["seed"])
    return meta


# --------------------------------------------------------------------------------------------------------
# CSV

def read_text(path: str | Path, kind: str = "", limit: str = "csv_bytes") -> str:
    """The UTF-8 text of ``path`` (at most ``LIMITS[limit]`` bytes, nothing past them read), or one
    EvoError; ``kind`` (e.g. "JSON") names the format expected."""
    path = Path(path)
    data = files.read_capped(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        what = f"not valid {kind} (not UTF-8 text: " if kind else "not UTF-8 text ("
        raise EvoError(f"{path}: {what}{exc.reason} at byte {exc.start})") from None
    except MemoryError:
        raise EvoError(f"{path}: cannot be read (out of memory)") from None


def log_columns(summary: Mapping[str, Any]) -> list[str]:
    """The ``log.csv`` columns the figures read, for the run ``summary`` describes."""
    cols = ["gen", "train_mean", "train_std", "train_best", "train_worst"]
    if "true" in summary:
        cols += ["true_mean", "true_best", "true_champion"]
    for name in summary["shift"]:
        cols += [f"shift.{name}.{k}" for k in ("sample_mean", "sample_best", "elite")]
    if agent_kind(summary["agent_kind"]).has_objective:
        cols += [f"w.{f}" for f in summary["features"]] + ["alignment_mean"]
    cols += ["horizon_mean", "optimizer_fraction"]
    life = summary.get("lifetime")
    if life is not None:  # a kind that learns within a life
        ages = range(1, life["length"] + 1)
        cols += [f"train_age_mean.{i}" for i in ages]
        if "true" in summary:
            cols += [f"true_age_mean.{i}" for i in ages]
        for name in summary["shift"]:
            cols += [f"shift.{name}.sample_age_mean.{i}" for i in ages]
        cols += [f"{g}_mean" for g in life["genes"]] + [f"innate.{f}" for f in life["seen_features"]]
    return cols


def read_log(run: str | Path, summary: Mapping[str, Any]) -> dict[str, NDArray[np.float64]]:
    """``RUN/log.csv`` as one float array per column: one row per generation, every cell a number."""
    path = Path(run) / "log.csv"
    table = Table(path, read_text(path), log_columns(summary))
    if len(table) != summary["generations"]:
        fail(path, "the file", f"one row per generation ({summary['generations']}, key 'generations' of "
             "summary.json)", Said(f"{len(table)} rows"))
    out = {c: table.floats(c) for c in table.header}
    gen = out["gen"]
    bad = np.flatnonzero(gen != np.arange(len(gen)))
    if bad.size:
        k = int(bad[0])
        table.bad(k, "gen", f"generation {k}", table.rows[k][table.index["gen"]])
    return out


def read_founders(run: str | Path, summary: Mapping[str, Any]) -> dict[str, NDArray[Any]]:
    """``RUN/lineage_founders.csv``: per generation and founder lineage its living members by class."""
    path = Path(run) / "lineage_founders.csv"
    table = Table(path, read_text(path), FOUNDER_COLUMNS)
    if not len(table):
        fail(path, "the file", "one row per generation and founder lineage", Said("no rows"))
    out: dict[str, NDArray[Any]] = {c: table.ints(c, lo=0) for c in FOUNDER_COLUMNS[:-1]}
    out["trait_mean"] = table.floats("trait_mean", empty=True, nan=True)
    classes = out["robust"] + out["pseudo"] + out["misaligned"] + out["non_optimizer"]
    for k in np.flatnonzero((out["count"] < 1) | (classes != out["count"])).tolist():
        table.bad(k, "count", f"a positive count, the sum of the class columns ({int(classes[k])})",
                  table.rows[k][table.index["count"]])
    gens, pop = summary["generations"], summary["population"]
    for k in np.flatnonzero(out["generation"] >= gens).tolist():
        table.bad(k, "generation", f"a generation below {gens} (key 'generations' of summary.json)",
                  table.rows[k][table.index["generation"]])
    seen: set[tuple[int, int]] = set()
    for k, pair in enumerate(zip(out["generation"].tolist(), out["founder"].tolist(), strict=True)):
        if pair in seen:
            table.bad(k, "founder", f"one row per founder and generation (founder {pair[1]} is listed "
                      f"twice in generation {pair[0]})", table.rows[k][table.index["founder"]])
        seen.add(pair)
    per_gen = np.bincount(out["generation"], weights=out["count"], minlength=gens)
    for g in range(gens):
        if per_gen[g] != pop:
            fail(path, f"generation {g}", f"counts summing to the population ({pop})",
                 Said(f"{int(per_gen[g])}"))
    return out


def read_npz(path: str | Path, expected_bytes: int = 0) -> dict[str, NDArray[Any]]:
    """The arrays of an NPZ file, bounded and never unpickled (:func:`evo.runs.npz.read_npz`)."""
    return npz.read_npz(path, expected_bytes)


def episode_bytes(n_features: int) -> int:
    """The most bytes one world's episode takes in champion_episodes.npz: a grid of at most ``side``²
    cells (walls, and as many objects with their features), a path of at most ``steps`` + 1 cells."""
    cells = int(LIMITS["side"]) ** 2
    return cells * (1 + 8 * (n_features + 3)) + 8 * (int(LIMITS["steps"]) + 1)


def genome_length(summary: Mapping[str, Any]) -> int:
    return len(summary["champion"]["genome"])


def read_population(run: str | Path, summary: Mapping[str, Any]) -> dict[str, NDArray[Any]]:
    """``RUN/final_population.npz``, checked against ``summary`` (a validated ``summary.json``)."""
    path = Path(run) / "final_population.npz"
    p, g = summary["population"], genome_length(summary)
    feats, shifts = summary["features"], list(summary["shift"])
    # per individual: its genome, two parents, the shifts' two numbers, six more (a class name: 64 bytes)
    a = read_npz(path, p * (8 * (g + 2 + 2 * len(shifts) + 6) + 64))
    per = "(key 'population' of summary.json)"
    out: dict[str, NDArray[Any]] = dict(a)
    out["genomes"] = check_array(path, "genomes", a.get("genomes"), "float", (p, g),
                                 what="(population × genome length, from summary.json)")
    out["ids"] = check_array(path, "ids", a.get("ids"), "int", (p,), lo=0, what=per)
    if len(set(out["ids"].tolist())) != p:
        fail(path, "member 'ids'", "distinct ids", Said("an id twice"))
    out["parents"] = check_array(path, "parents", a.get("parents"), "int", (p, 2), lo=-1, what=per)
    out["features"] = _names(path, "features", a.get("features"), feats)
    out["layout_names"] = _names(path, "layout_names", a.get("layout_names"),
                                 list(summary["champion"]["genome_layout"]))
    out["layout_slices"] = check_array(path, "layout_slices", a.get("layout_slices"), "int",
                                       (len(out["layout_names"]), 2), lo=0)
    if out["layout_slices"].tolist() != list(summary["champion"]["genome_layout"].values()):
        fail(path, "member 'layout_slices'",
             "the genome layout of summary.json (key 'champion.genome_layout')",
             out["layout_slices"].tolist())
    out["train_fitness"] = check_array(path, "train_fitness", a.get("train_fitness"), "float", (p,), what=per)
    out["behaviour_classes"] = check_array(path, "behaviour_classes", a.get("behaviour_classes"), "str",
                                           (p,), what=per)
    unknown = sorted(set(out["behaviour_classes"].tolist()) - set(BEHAVIOUR_CLASSES))
    if unknown:
        fail(path, "member 'behaviour_classes'", "class names (" + ", ".join(BEHAVIOUR_CLASSES) + ")",
             unknown[0])
    out["horizon"] = check_array(path, "horizon", a.get("horizon"), "int", (p,), lo=0, what=per)
    out["shift_names"] = _names(path, "shift_names", a.get("shift_names"), shifts)
    if agent_kind(summary["agent_kind"]).has_objective:
        out["alignment"] = check_array(path, "alignment", a.get("alignment"), "float", (p,), lo=-1 - 1e-9,
                                       hi=1 + 1e-9, what=per)
    for name in shifts:
        for key in (f"shift_fitness.{name}", f"shift_reached.{name}"):
            out[key] = check_array(path, key, a.get(key), "float", (p,), what=per)
    champ = summary["champion"]["index"]
    if out["genomes"][champ].tolist() != summary["champion"]["genome"]:
        fail(path, f"member 'genomes', row {champ}", "the champion's genome (key 'champion.genome' of "
             "summary.json)", out["genomes"][champ].tolist())
    lin = summary.get("lineage")
    if lin is not None and lin["mode"] != "off" and int(out["ids"][champ]) != lin["champion"]["id"]:
        fail(path, f"member 'ids', row {champ}", "the champion's id (key 'lineage.champion.id' of "
             f"summary.json, {lin['champion']['id']})", int(out["ids"][champ]))
    return out


def _names(file: str | Path, member: str, a: Any, expected: Sequence[str]) -> NDArray[np.str_]:
    if not expected and a is not None and np.asarray(a).shape == (0,):
        return np.zeros(0, dtype="U1")  # numpy writes an empty list of names as an empty float array
    names = check_array(file, member, a, "str", (len(expected),), what="(as summary.json)")
    if names.tolist() != list(expected):
        fail(file, f"member '{member}'", "the names of summary.json (" + ", ".join(map(repr, expected)) + ")",
             names.tolist())
    return names


def read_episodes(run: str | Path, summary: Mapping[str, Any]) -> dict[str, NDArray[Any]]:
    """``RUN/champion_episodes.npz``: the champion's path in a train world and a world of each shift."""
    path = Path(run) / "champion_episodes.npz"
    feats = summary["features"]
    a = read_npz(path, (1 + len(summary["shift"])) * episode_bytes(len(feats)))
    out: dict[str, NDArray[Any]] = dict(a)
    names = _names(path, "names", a.get("names"), ["train", *summary["shift"]])
    out["names"] = names
    out["features"] = _names(path, "features", a.get("features"), feats)
    out["base_payoff"] = check_array(path, "base_payoff", a.get("base_payoff"), "float", (len(feats),))
    for name in names.tolist():
        def get(key: str, name: str = name) -> Any:
            return a.get(f"{name}.{key}")

        shape = check_array(path, f"{name}.shape", get("shape"), "int", (2,), lo=1)
        h, w = (int(x) for x in shape)
        if h * w > 10**7:
            fail(path, f"member '{name}.shape'", "a world of at most 10^7 cells", Said(f"{h} × {w}"))
        cells = h * w
        out[f"{name}.shape"] = shape
        out[f"{name}.walls"] = check_array(path, f"{name}.walls", get("walls"), "bool", (cells,),
                                           what="(height × width)")
        out[f"{name}.start"] = check_array(path, f"{name}.start", get("start"), "int", (), lo=0, hi=cells - 1)
        obj = check_array(path, f"{name}.obj_cell", get("obj_cell"), "int", (None,), lo=0, hi=cells - 1)
        k = len(obj)
        out[f"{name}.obj_cell"] = obj
        out[f"{name}.obj_feat"] = check_array(path, f"{name}.obj_feat", get("obj_feat"), "float",
                                              (k, len(feats)), what="(objects × features)")
        if get("spawn") is not None:  # runs from before spawning existed have neither spawn nor reached
            out[f"{name}.spawn"] = check_array(path, f"{name}.spawn", get("spawn"), "int", (k,), lo=-1,
                                               hi=k - 1, what="(one per object)")
        if get("reached") is not None:
            out[f"{name}.reached"] = check_array(path, f"{name}.reached", get("reached"), "bool", (k,),
                                                 what="(one per object)")
        steps_path = check_array(path, f"{name}.path", get("path"), "int", (None,), lo=0, hi=cells - 1)
        out[f"{name}.path"] = steps_path
        out[f"{name}.steps"] = check_array(path, f"{name}.steps", get("steps"), "int", (), lo=0,
                                           hi=max(len(steps_path) - 1, 0))
        if not len(steps_path):
            fail(path, f"member '{name}.path'", "at least the start cell", Said("an empty path"))
        out[f"{name}.payoff"] = check_array(path, f"{name}.payoff", get("payoff"), "float", ())
        if get("age") is not None:  # a learner's episode: the age of life it was (1..lifetime)
            out[f"{name}.age"] = check_array(path, f"{name}.age", get("age"), "int", (), lo=1)
    return out


