"""The one scenario loader: :mod:`evo.config.structure`'s checks, then those that need the rest of the
package (agent kind, layouts, schemes, memory); shipped names and overrides (docs/architecture.md, "The
scenario loader")."""

from __future__ import annotations

import copy
import dataclasses
import importlib.resources
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from evo.config import structure, toml, writer
from evo.config.overrides import Override, apply, culprit, describe, from_mapping
from evo.config.schema import LIMITS, Scenario, WorldConfig
from evo.config.structure import cells_of, n_objects_of
from evo.core.agents import agent_kind, agent_kinds, genome_length, lifetime
from evo.core.agents.base import COMMON_KEYS, parameters_of, resolve_params
from evo.core.worlds import reachable_cells, reachable_zone_cells
from evo.errors import ScenarioError
from evo.evolution import operators, replacement
from evo.runs import plugins

#: What the overrides of a scenario may be given as: a mapping of dotted keys to values (the Python API),
#: or :class:`~evo.config.overrides.Override` objects (``--set``, which name their origin).
Overrides = Mapping[str, Any] | Sequence[Override] | None


def shipped_dir() -> Path:
    """The shipped scenarios (``*.toml``; the sweeps in ``sweeps/``): the package data folder
    ``scenarios`` inside the installed ``evo`` package of a wheel (``pyproject.toml`` maps the
    repository's ``scenarios/`` there), else the ``scenarios/`` of the source checkout this module runs
    from (an editable install)."""
    data = importlib.resources.files("evo").joinpath("scenarios")
    if data.is_dir():
        return Path(str(data))  # pip installs a wheel unpacked: a directory on the file system
    return Path(__file__).resolve().parents[2] / "scenarios"


def shipped(what: Literal["scenario", "sweep"] = "scenario") -> dict[str, Path]:
    """The shipped scenarios (or sweeps), name -> file, sorted by name."""
    folder = shipped_dir() if what == "scenario" else shipped_dir() / "sweeps"
    return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}


def _is_name(ref: str) -> bool:
    return bool(ref) and Path(ref).name == ref and "/" not in ref and "\\" not in ref \
        and not ref.endswith(".toml") and not ref.startswith(".")


def resolve(ref: str | Path, what: Literal["scenario", "sweep"] = "scenario") -> Path:
    """The file ``ref`` names: an existing path as it is; a bare name (no directory, no ``.toml``) that is
    not a file here is a shipped scenario's (or sweep's) name (:func:`shipped`), and an unknown one is a
    :class:`ScenarioError` listing the shipped names. Any other path is returned as it is (reading it
    says whether it exists)."""
    if isinstance(ref, str) and _is_name(ref) and not Path(ref).is_file():
        names = shipped(what)
        if ref in names:
            return names[ref]
        raise toml.one_line(ScenarioError(ref, "", f"an existing {what} file or the name of a shipped {what} "
                                          f"(one of {', '.join(names) or 'none: none is installed'})",
                                          f"no such file, and no shipped {what} of that name"))
    return Path(ref)


def load(path: str | Path, overrides: Overrides = None) -> Scenario:
    """Read and validate a scenario file, or a shipped scenario by name (:func:`resolve`), with
    ``overrides`` applied (:func:`with_overrides`)."""
    file = resolve(path)
    source = str(path) if isinstance(path, Path) or not _is_name(str(path)) else str(file)
    raw = toml.parse_toml(toml.read_text(file), source)
    return with_overrides(raw, source, overrides)


def loads(text: str, source: str = "<string>") -> Scenario:
    """Validate scenario TOML text; ``source`` names it in error messages."""
    return from_dict(toml.parse_toml(text, source), source)


def from_dict(raw: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Validate an already-parsed scenario table (e.g. after sweep overrides)."""
    plugins.load_entry_points()  # an installed plugin may register the kind or scheme this one names
    s = structure.parse(raw, source)
    try:
        return check(s)
    except ScenarioError as exc:
        raise toml.one_line(exc) from None


def as_overrides(overrides: Overrides) -> list[Override]:
    """``overrides`` as a list of :class:`~evo.config.overrides.Override` (a mapping's origins are
    ``overrides['KEY'] = VALUE``)."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return from_mapping(overrides)
    out = list(overrides)
    if not all(isinstance(o, Override) for o in out):
        raise ScenarioError("overrides", "", 'a mapping of "dotted.key" to value', overrides)
    return out


def with_overrides(raw: Mapping[str, Any] | Scenario, source: str, overrides: Overrides) -> Scenario:
    """The scenario ``raw`` (a parsed table or a :class:`Scenario`) validated, then with ``overrides``
    applied (:func:`evo.config.overrides.apply`: a table it leaves out starts from its resolved defaults)
    and validated again by the same checks. The result's ``source`` names the overrides (``meta.json``
    records it); an error an override causes names the file and that override, then the scenario key,
    what was expected and what came."""
    base = raw if isinstance(raw, Scenario) else from_dict(raw, source)
    todo = as_overrides(overrides)
    if not todo:
        return base
    table = writer.to_dict(base) if isinstance(raw, Scenario) else copy.deepcopy(dict(raw))
    defaults = writer.to_dict(base)
    for o in todo:
        apply(table, defaults, o, f"{source} ({o.origin})", o.key)
    switch_kind(table, base.agent.kind, todo)
    try:
        return from_dict(table, f"{source} ({describe(todo)})")
    except ScenarioError as exc:
        hit = culprit(exc.key, todo)
        where = f"{source} ({describe([hit] if hit is not None else todo)})"
        raise toml.one_line(ScenarioError(where, exc.key, exc.expected, exc.got)) from None


def switch_kind(table: dict[str, Any], was: str, todo: list[Override]) -> None:
    """An override that changes ``agent.kind`` keeps the ``[agent]`` keys the new kind declares too and
    leaves out the old kind's others (a reflex agent has no horizon); a key an override sets stays (and is
    checked against the new kind)."""
    agent = table.get("agent")
    if not isinstance(agent, dict) or agent.get("kind", "mesa") in (was, None) \
            or agent.get("kind") not in agent_kinds():
        return
    own = parameters_of(agent["kind"])
    given = {o.key.split(".", 2)[1] for o in todo if o.key.startswith("agent.")}
    for key in [k for k in agent if k not in COMMON_KEYS and k not in own and k not in given]:
        del agent[key]


def scenario_of(scenario: str | Path | Scenario, overrides: Overrides = None) -> Scenario:
    """A scenario given as a path, a shipped name or a :class:`Scenario`, with ``overrides`` applied."""
    if isinstance(scenario, Scenario):
        return with_overrides(scenario, scenario.source, overrides)
    return load(scenario, overrides)


def check(s: Scenario) -> Scenario:
    """The checks :mod:`evo.config.structure` cannot make: agent kind and its own keys (declared by the
    kind, :class:`evo.config.params.Param`), layouts, schemes, memory; returns ``s`` with the kind's keys
    resolved (every default filled in, in the kind's order)."""
    f, e = s.source, s.evolution
    if s.agent.kind not in agent_kinds():
        raise ScenarioError(f, "agent.kind", "a registered agent kind (one of "
                            + ", ".join(repr(k) for k in agent_kinds()) + ")", s.agent.kind)
    a = resolve_params(s.agent, f)
    s = dataclasses.replace(s, agent=a)
    agent_kind(a.kind).check(a, f)  # the kind's rules beyond each key's type and bounds
    life = lifetime(a)
    if life > 1:  # every batch is lived as whole lives
        for key in ("worlds_per_generation", "eval_worlds"):
            if getattr(e, key) % life:
                raise ScenarioError(f, f"evolution.{key}", f"a multiple of agent.lifetime ({life}): "
                                    f"{a.kind} agents live every batch of worlds as whole lives",
                                    getattr(e, key))
    for name, w in [("train", s.worlds.train), *((f"shift.{n}", w) for n, w in s.worlds.shift.items())]:
        _check_reachable(f, f"worlds.{name}", w)
    if e.replacement not in replacement.REPLACEMENTS:
        raise ScenarioError(f, "evolution.replacement",
                            "one of " + ", ".join(map(repr, replacement.REPLACEMENTS)), e.replacement)
    wrong = replacement.REPLACEMENTS[e.replacement].check(e)
    if wrong is not None:
        raise ScenarioError(f, "evolution.offspring", *wrong)
    for kind in ("selection", "mutation", "crossover"):
        operators.check(getattr(e, kind), kind, f, f"evolution.{kind}", population=e.population)
    _check_memory(s)
    return s


def _check_reachable(f: str, key: str, w: WorldConfig) -> None:
    if not w.layout:
        return
    n_objects = n_objects_of(w)
    reach = reachable_cells(w.layout)
    if reach < n_objects:
        raise ScenarioError(f, f"{key}.layout",
                            f"a layout whose start reaches at least {n_objects} free cells "
                            "(every object must be reachable)", f"{reach} reachable cells")
    zone_reach = reachable_zone_cells(w.layout)
    for z in sorted({g.zone for g in w.objects if g.zone}):
        need = sum(g.count for g in w.objects if g.zone == z)
        if zone_reach[z] < need:
            raise ScenarioError(f, f"{key}.layout", f"at least {need} cells of zone '{z}' the start "
                                "reaches (one per object placed there)", f"{zone_reach[z]} reachable")


# --------------------------------------------------------------------------------------------------------
# memory a run needs


# Bytes per element of the largest arrays (see evo.core.worlds.build_batch, the kinds' records in
# evo.core.engines.episode_arrays and AgentKind.pair_bytes, evo.core.simulate.run_episodes), per world batch
# of B worlds with K objects on C cells
# and F features, and per (agent, world) pair of an evaluation: upper bounds fitted to the peak RSS (minus
# the RSS after imports) of short runs. Estimate / measured: mesa red_door P = 20 000: 345 / 307 MiB;
# P = 100 000 (lineage off): 1568 / 1364; 20 objects: 804 / 719; a generation dominating (B = 64): 316 / 242;
# reflex, 12 features: 2965 / 2732; reflex, 20 objects: 1569 / 1424; hybrid planning_emerges P = 20 000:
# 1140 / 729 (counted as if every pair fell back on its reflexes); a 64 × 64 grid with 100 objects, 40
# eval worlds: 2017 / 1972; full lineage, 80 000 records: 537 / 469. The log (evo.evolution.log.Log) is
# 8 bytes per value, twice more while a checkpoint copies and compresses it.
_BATCH_PER_CELL = 49  # walls, neighbors (5 × int64), obj_at
_BATCH_PER_OBJECT_CELL = 24  # dist, next_move (int64); an evaluation's γ^d table (reach_table, float64)
_BUILD_PER_OBJECT_CELL = 80  # the shortest-path wave (move table, gathers), or the tables of an evaluation
_PAIR = 160  # per pair: ids, rows, payoffs, steps, the true-objective accounts, one step's temporaries
_PAIR_PER_OBJECT = 2  # remaining, out_remaining (bool)
_KEPT = 24  # per pair of a finished evaluation: payoff, steps, the true payoff
_KEPT_PER_OBJECT = 1  # reached (bool)
# what each kind's moves add per pair is the kind's (evo.core.agents.AgentKind.pair_bytes: planning in
# evo.core.agents.mesa, a reflex step in evo.core.agents.reflex)
_GENE = 56  # a genome value: the population matrix, its next generation, the Python lists of variation
_LOG_VALUE = 24  # one value of one generation's log row (the Log, a checkpoint's copy of it)
_LINEAGE_RECORD = 1400  # one lineage record besides its genome (a slotted object, its dict entries)
_LINEAGE_EXPORT = 5500  # one record's lines of lineage.csv and lineage.graphml (built in memory), its arrays


def _pair_bytes(kind: str, k: int, f: int) -> int:
    return _PAIR + _PAIR_PER_OBJECT * k + agent_kind(kind).pair_bytes(k, f)


def _batch_bytes(w: WorldConfig, b: int, f: int) -> int:
    """What a batch of ``b`` worlds of ``w`` keeps while it is alive."""
    k, c = n_objects_of(w), cells_of(w)
    return b * (_BATCH_PER_CELL * c + _BATCH_PER_OBJECT_CELL * k * c + 8 * k * f + 16 * k)


def _batch_transient(w: WorldConfig, b: int) -> int:
    """What building a batch (the shortest-path wave) or evaluating in it (its tables) adds for a while."""
    return b * _BUILD_PER_OBJECT_CELL * n_objects_of(w) * cells_of(w)


def memory_estimate(s: Scenario) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Estimated peak memory of a run of ``s``, in parts: name -> (bytes, the keys that lower it). The
    peak is :func:`peak_memory`: the largest of a generation, the final assessment and the lineage export
    (they never overlap), plus what the run keeps throughout (genomes, log, lineage records). Sizes per
    element are upper bounds measured against peak RSS (see the constants above)."""
    e, a = s.evolution, s.agent
    f = len(s.features)
    p = e.population
    train, shifts = s.worlds.train, list(s.worlds.shift.values())
    k_train = n_objects_of(train)
    b = e.worlds_per_generation
    schemes = replacement.REPLACEMENTS
    lam = schemes[e.replacement].children(e) if e.replacement in schemes else 0
    watched = 1 + min(e.shift_sample, p)
    # a generation: its train batch and every shift batch at once; the population's episodes (and the λ
    # children's, while the parents' results are kept), the watched agents' episodes under each shift
    gen_worlds = sum(_batch_bytes(w, b, f) for w in (train, *shifts)) + max(
        _batch_transient(w, b) for w in (train, *shifts))
    kept = p * b * (_KEPT + _KEPT_PER_OBJECT * k_train)
    gen_pairs = kept + max([max(p, lam) * b * _pair_bytes(a.kind, k_train, f)] + [
        watched * b * _pair_bytes(a.kind, n_objects_of(w), f) for w in shifts])
    # the final assessment: eval_worlds of the train distribution (or the fixed batch) and of every shift,
    # all held at once; the whole population's episodes in each, one at a time, the train ones kept
    e_train = e.eval_worlds if train.resample else b
    fin_worlds = (_batch_bytes(train, e_train, f) + sum(_batch_bytes(w, e.eval_worlds, f) for w in shifts)
                  + max([_batch_transient(train, e_train)]
                        + [_batch_transient(w, e.eval_worlds) for w in shifts]))
    fin_pairs = max([p * e_train * _pair_bytes(a.kind, k_train, f)] + [
        p * e.eval_worlds * _pair_bytes(a.kind, n_objects_of(w), f) for w in shifts]) + (
        p * e_train * (_KEPT + _KEPT_PER_OBJECT * k_train))
    g = genome_length(a, f)
    genomes = (p + lam) * g * _GENE
    log = e.generations * (30 + 3 * len(shifts) + f) * _LOG_VALUE
    record = _LINEAGE_RECORD + 32 * g
    # pruned keeps the first-parent ancestry of the living: lineages coalesce, the tree holds a few
    # generations' worth (measured 2.2 P after 5 generations, 3.7 P after 40; neutral drift grows as ln G)
    generations_kept = {"off": 0.0, "pruned": min(e.generations, 2 + math.log(e.generations)),
                        "full": float(e.generations)}[e.lineage]
    records = (p + lam) * generations_kept
    lineage = int(records * record)
    world_keys = ("worlds.train.size", "worlds.train.objects", "worlds.shift")
    return {
        "episodes of a generation": (gen_pairs, ("evolution.population", "evolution.worlds_per_generation")),
        "worlds of a generation": (gen_worlds, ("evolution.worlds_per_generation", *world_keys)),
        "episodes of the final assessment": (fin_pairs, ("evolution.population", "evolution.eval_worlds")),
        "worlds of the final assessment": (fin_worlds, ("evolution.eval_worlds", *world_keys)),
        "genomes": (genomes, ("evolution.population", "scenario.features")),
        "log": (log, ("evolution.generations", "scenario.features", "worlds.shift")),
        "lineage": (lineage, ("evolution.lineage", "evolution.population", "evolution.generations")),
        "lineage export": (int(records * _LINEAGE_EXPORT), ("evolution.lineage", "evolution.population")),
    }


def peak_memory(parts: Mapping[str, tuple[int, tuple[str, ...]]]) -> int:
    """The peak bytes of :func:`memory_estimate`'s parts."""
    gen = parts["episodes of a generation"][0] + parts["worlds of a generation"][0]
    fin = parts["episodes of the final assessment"][0] + parts["worlds of the final assessment"][0]
    return max(gen, fin, parts["lineage export"][0]) + sum(parts[k][0] for k in ("genomes", "log", "lineage"))


def _check_memory(s: Scenario) -> None:
    parts = memory_estimate(s)
    peak = peak_memory(parts)
    cap = int(LIMITS["memory_bytes"])
    if peak <= cap:
        return
    ranked = sorted(parts.items(), key=lambda kv: -kv[1][0])
    big = [(name, n, keys) for name, (n, keys) in ranked if n >= peak / 10][:3]
    detail = "; ".join(f"{name} {n / 2**30:.1f} GiB (lower {' or '.join(keys[:2])})" for name, n, keys in big)
    raise ScenarioError(s.source, big[0][2][0], f"a run whose estimated peak memory is at most "
                        f"{cap / 2**30:g} GiB (LIMITS['memory_bytes'] in evo.config.schema); the largest "
                        "parts: "
                        f"{detail}", f"about {peak / 2**30:.1f} GiB")
