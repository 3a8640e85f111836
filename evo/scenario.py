"""Scenario files: TOML read with ``tomllib`` and validated into frozen dataclasses.

A scenario is data, never code. Every key has a default (in the dataclass fields, nowhere else); a file
states only what it changes. Unknown keys, wrong types and impossible values raise :class:`ScenarioError`
naming the file, the dotted key, what was expected and what came. Raw dicts never travel past this module.

Sections: ``[scenario]``, ``[base_objective]``, ``[true_objective]`` (optional: what the designers really
want, accounted but never selected on), ``[agent]``, ``[worlds.train]``, ``[worlds.shift.NAME]``
(keys not given are inherited from ``worlds.train``), ``[evolution]``, ``[metrics]``.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from evo.errors import ScenarioError

AgentKind = Literal["mesa", "reflex", "hybrid"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """One alternative of an object group: the features an object has when this variant is drawn."""

    p: float
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectGroup:
    """``count`` objects per world. Either ``features`` (feature -> independent probability of being
    present) or ``variants`` (mutually exclusive feature sets with probabilities summing to 1). ``spawns``
    (a feature name or a list of them): consuming one of these objects releases a new object with exactly
    those features on a free cell near it (a tipped bin spills trash; see :mod:`evo.worlds`). ``zone`` (a
    lowercase letter, fixed layouts only): the objects lie on the layout's cells marked with that letter."""

    count: int = 1
    features: dict[str, float] = field(default_factory=dict)
    variants: tuple[Variant, ...] = ()
    spawns: tuple[str, ...] | str = ()
    zone: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.spawns, str):
            object.__setattr__(self, "spawns", (self.spawns,))


@dataclass(frozen=True, slots=True, kw_only=True)
class WorldConfig:
    """A world distribution. ``layout`` (rows of ``#`` wall, ``.`` free, ``S`` start) fixes the walls and
    start; otherwise walls are drawn with ``wall_density`` inside a walled border of ``size``.
    ``resample = false`` draws one batch of worlds for the whole run (a fixed environment)."""

    size: tuple[int, int] = (9, 9)
    wall_density: float = 0.2
    layout: tuple[str, ...] = ()
    steps: int = 30
    objects: tuple[ObjectGroup, ...] = ()
    resample: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Worlds:
    train: WorldConfig
    shift: dict[str, WorldConfig] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioInfo:
    name: str = "unnamed"
    description: str = ""
    features: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Objective:
    """What an episode pays: ``payoff[f]`` for each feature of each object reached, minus ``step_cost`` per
    step taken; reaching an object with a ``terminal`` feature ends the episode."""

    payoff: dict[str, float] = field(default_factory=dict)
    terminal: tuple[str, ...] = ()
    step_cost: float = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    """Agent kind and its costs (DESIGN §3). ``horizon`` is the mesa planning horizon, and the largest
    horizon a hybrid's horizon gene can reach. ``planning_cost`` is charged per episode per unit of
    horizon; ``perception_cost[f]`` per unit of every gene that reads feature f (|w_f|, and a reflex's
    |θ_adj_f| and |θ_scent_f|: see :class:`evo.simulate.Costs`); ``complexity_cost`` per unit of ||w||_1."""

    kind: AgentKind = "mesa"
    horizon: int = 12
    discount: float = 0.9
    view_radius: int = 5
    planning_cost: float = 0.0
    perception_cost: dict[str, float] = field(default_factory=dict)
    complexity_cost: float = 0.0
    init_sigma: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorConfig:
    """A registry name and its parameters, e.g. ``{ scheme = "tournament", size = 3 }``."""

    scheme: str
    params: tuple[tuple[str, float | int], ...] = ()

    def __post_init__(self) -> None:
        # one canonical order, so equal configurations compare equal whatever order they were written in
        object.__setattr__(self, "params", tuple(sorted(self.params)))

    def kwargs(self) -> dict[str, float | int]:
        return dict(self.params)


@dataclass(frozen=True, slots=True, kw_only=True)
class EvolutionConfig:
    population: int = 200
    generations: int = 100
    worlds_per_generation: int = 16
    # OperatorConfig is frozen: one shared default instance is safe (ruff's RUF009 sees this too)
    selection: OperatorConfig = OperatorConfig(scheme="tournament", params=(("size", 3),))
    mutation: OperatorConfig = OperatorConfig(scheme="gaussian", params=(("rate", 0.2), ("sigma", 0.2)))
    crossover: OperatorConfig = OperatorConfig(scheme="blend", params=(("alpha", 0.5), ("rate", 0.5)))
    elitism: int = 2
    #: how the next population is made (DESIGN §5). ``generational``: ``selection`` picks the parents of
    #: population − elitism children. ``mu_plus_lambda`` / ``mu_comma_lambda`` (DEAP's eaMuPlusLambda,
    #: eaMuCommaLambda): ``offspring`` (λ) children of uniformly drawn parents are evaluated on the
    #: generation's worlds, then ``selection`` picks the population − elitism survivors among parents and
    #: children (+) or children only (,); the ``elitism`` best parents always survive.
    replacement: Literal["generational", "mu_plus_lambda", "mu_comma_lambda"] = "generational"
    #: λ, children per generation with a μ,λ replacement; 0 means as many as the population
    offspring: int = 0
    shift_sample: int = 32
    eval_worlds: int = 64
    #: genealogy kept during the run (see :mod:`evo.lineage`): ``pruned`` keeps the live ancestry only
    lineage: Literal["pruned", "full", "off"] = "pruned"
    #: a resumable checkpoint every this many generations (0: never; a stop request still writes one)
    checkpoint_every: int = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsConfig:
    """Thresholds of the agent classes (see :mod:`evo.metrics`)."""

    robust_threshold: float = 0.8
    pseudo_threshold: float = 0.8
    reach_threshold: float = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    scenario: ScenarioInfo
    base_objective: Objective
    #: what the designers really want (DESIGN §1, Goodhart); never selected on. None: no true objective
    true_objective: Objective | None = None
    agent: AgentConfig
    worlds: Worlds
    evolution: EvolutionConfig
    metrics: MetricsConfig
    source: str = "<memory>"

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def features(self) -> tuple[str, ...]:
        return self.scenario.features


# --------------------------------------------------------------------------------------------------------
# generic validation


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_type_name(args[0])}"
        return "a list of " + str(len(args)) + " values (" + ", ".join(_type_name(a) for a in args) + ")"
    if origin is dict:
        return f"a table of {_type_name(typing.get_args(tp)[1])}"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(tp, str(tp))


def _convert(value: Any, tp: Any, file: str, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ScenarioError(file, key, _type_name(tp), value)
        return value
    if origin in (typing.Union, types.UnionType):
        for alt in typing.get_args(tp):
            try:
                return _convert(value, alt, file, key)
            except ScenarioError:
                continue
        raise ScenarioError(file, key, " or ".join(_type_name(a) for a in typing.get_args(tp)), value)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list):
            raise ScenarioError(file, key, _type_name(tp), value)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0], file, f"{key}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ScenarioError(file, key, _type_name(tp), value)
        return tuple(_convert(v, a, file, f"{key}[{i}]")
                     for i, (v, a) in enumerate(zip(value, args, strict=True)))
    if origin is dict:
        if not isinstance(value, dict):
            raise ScenarioError(file, key, _type_name(tp), value)
        vt = typing.get_args(tp)[1]
        return {str(k): _convert(v, vt, file, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ScenarioError(file, key, "a table", value)
        return _build(tp, value, file, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise ScenarioError(file, key, "true or false", value)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(file, key, "an integer", value)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ScenarioError(file, key, "a finite number", value)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ScenarioError(file, key, "a string", value)
        return value
    raise TypeError(f"unsupported field type {tp!r}")  # a programming error, not a user error


def _build(cls: Any, raw: Mapping[str, Any], file: str, prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    for k in raw:
        if k not in fields:
            raise ScenarioError(file, _join(prefix, k), "one of the keys " + ", ".join(sorted(fields)), k)
    kwargs = {}
    for name in fields:
        if name in raw:
            key = _join(prefix, name)
            if cls is EvolutionConfig and name in ("selection", "mutation", "crossover"):
                kwargs[name] = _operator(raw[name], file, key)
            else:
                kwargs[name] = _convert(raw[name], hints[name], file, key)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required key is missing
        missing = [n for n, f in fields.items() if n not in raw and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        raise ScenarioError(file, _join(prefix, missing[0] if missing else ""), "a value", "nothing") from exc


def _operator(value: Any, file: str, key: str) -> OperatorConfig:
    if not isinstance(value, dict) or not isinstance(value.get("scheme"), str):
        raise ScenarioError(file, f"{key}.scheme", "a table with a 'scheme' name", value)
    params = []
    for k, v in value.items():
        if k == "scheme":
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ScenarioError(file, f"{key}.{k}", "a finite number", v)
        params.append((k, v))
    return OperatorConfig(scheme=value["scheme"], params=tuple(sorted(params)))


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


# --------------------------------------------------------------------------------------------------------
# loading


def read_text(path: str | Path, what: str = "scenario file") -> str:
    """The text of a scenario-like file, or a :class:`ScenarioError` naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), "", f"an existing {what}", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), "", "a readable UTF-8 text file", str(exc)) from None


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    return loads(read_text(path), source=str(path))


def loads(text: str, source: str = "<string>") -> Scenario:
    """Validate scenario TOML text; ``source`` names it in error messages."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", "valid TOML", str(exc)) from None
    return from_dict(raw, source)


def from_dict(raw: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Validate an already-parsed scenario table (e.g. after sweep overrides)."""
    known = {"scenario", "base_objective", "true_objective", "agent", "worlds", "evolution", "metrics"}
    for k in raw:
        if k not in known:
            raise ScenarioError(source, k, "one of the sections " + ", ".join(sorted(known)), k)
    sections = {}
    for name, cls in (("scenario", ScenarioInfo), ("base_objective", Objective), ("agent", AgentConfig),
                      ("evolution", EvolutionConfig), ("metrics", MetricsConfig)):
        value = raw.get(name, {})
        if not isinstance(value, dict):
            raise ScenarioError(source, name, "a table", value)
        sections[name] = _build(cls, value, source, name)
    if "true_objective" in raw:
        if not isinstance(raw["true_objective"], dict):
            raise ScenarioError(source, "true_objective", "a table", raw["true_objective"])
        sections["true_objective"] = _build(Objective, raw["true_objective"], source, "true_objective")
    sections["worlds"] = _worlds(raw.get("worlds"), source)
    scenario = Scenario(**sections, source=source)
    _check(scenario)
    return scenario


def _worlds(raw: Any, file: str) -> Worlds:
    if not isinstance(raw, dict) or "train" not in raw:
        raise ScenarioError(file, "worlds.train", "a [worlds.train] table", raw)
    for k in raw:
        if k not in ("train", "shift"):
            raise ScenarioError(file, f"worlds.{k}", "one of the keys shift, train", k)
    train_raw = raw["train"]
    if not isinstance(train_raw, dict):
        raise ScenarioError(file, "worlds.train", "a table", train_raw)
    train = _build(WorldConfig, train_raw, file, "worlds.train")
    shifts_raw = raw.get("shift", {})
    if not isinstance(shifts_raw, dict):
        raise ScenarioError(file, "worlds.shift", "a table of named shift distributions", shifts_raw)
    shift = {}
    for name, sraw in shifts_raw.items():
        if not isinstance(sraw, dict):
            raise ScenarioError(file, f"worlds.shift.{name}", "a table", sraw)
        merged = {**train_raw, **sraw}
        if "layout" in sraw and "size" not in sraw:
            merged.pop("size", None)
        shift[name] = _build(WorldConfig, merged, file, f"worlds.shift.{name}")
    return Worlds(train=train, shift=shift)


def _positive(file: str, key: str, value: float, *, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise ScenarioError(file, key, "a non-negative value" if allow_zero else "a positive value", value)


def _probability(file: str, key: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ScenarioError(file, key, "a probability in [0, 1]", value)


def _check(s: Scenario) -> None:
    """Cross-field checks: feature names, sizes, probabilities, operator names and parameters."""
    f = s.source
    feats = s.features
    if not feats:
        raise ScenarioError(f, "scenario.features", "a non-empty list of feature names", list(feats))
    if len(set(feats)) != len(feats):
        raise ScenarioError(f, "scenario.features", "distinct feature names", list(feats))

    def known_feature(key: str, name: str) -> None:
        if name not in feats:
            raise ScenarioError(f, key, "a feature declared in scenario.features (" + ", ".join(feats) + ")",
                                name)

    for k in s.base_objective.payoff:
        known_feature(f"base_objective.payoff.{k}", k)
    for i, k in enumerate(s.base_objective.terminal):
        known_feature(f"base_objective.terminal[{i}]", k)
    _positive(f, "base_objective.step_cost", s.base_objective.step_cost, allow_zero=True)
    if s.true_objective is not None:
        t = s.true_objective
        for k in t.payoff:
            known_feature(f"true_objective.payoff.{k}", k)
        for i, k in enumerate(t.terminal):
            known_feature(f"true_objective.terminal[{i}]", k)
        _positive(f, "true_objective.step_cost", t.step_cost, allow_zero=True)
    if not any(v != 0 for v in s.base_objective.payoff.values()):
        raise ScenarioError(f, "base_objective.payoff", "at least one feature with a non-zero payoff",
                            dict(s.base_objective.payoff))

    a = s.agent
    for k, v in a.perception_cost.items():
        known_feature(f"agent.perception_cost.{k}", k)
        _positive(f, f"agent.perception_cost.{k}", v, allow_zero=True)
    if a.kind in ("mesa", "hybrid"):
        _positive(f, "agent.horizon", a.horizon)
    else:
        _positive(f, "agent.horizon", a.horizon, allow_zero=True)
    if not 0.0 < a.discount <= 1.0:
        raise ScenarioError(f, "agent.discount", "a number in (0, 1]", a.discount)
    _positive(f, "agent.view_radius", a.view_radius)
    _positive(f, "agent.planning_cost", a.planning_cost, allow_zero=True)
    _positive(f, "agent.complexity_cost", a.complexity_cost, allow_zero=True)
    _positive(f, "agent.init_sigma", a.init_sigma)

    for name, w in [("train", s.worlds.train), *((f"shift.{n}", w) for n, w in s.worlds.shift.items())]:
        _check_world(f, f"worlds.{name}", w, known_feature)

    e = s.evolution
    for key in ("population", "generations", "worlds_per_generation", "eval_worlds"):
        _positive(f, f"evolution.{key}", getattr(e, key))
    _positive(f, "evolution.elitism", e.elitism, allow_zero=True)
    _positive(f, "evolution.checkpoint_every", e.checkpoint_every, allow_zero=True)
    _positive(f, "evolution.shift_sample", e.shift_sample, allow_zero=True)
    if e.elitism >= e.population:
        raise ScenarioError(f, "evolution.elitism", f"fewer than the population ({e.population})", e.elitism)
    if e.population < 2:
        raise ScenarioError(f, "evolution.population", "at least 2", e.population)
    _positive(f, "evolution.offspring", e.offspring, allow_zero=True)
    if e.replacement == "generational" and e.offspring:
        raise ScenarioError(f, "evolution.offspring", "0 (offspring is λ of replacement = 'mu_plus_lambda' "
                            "or 'mu_comma_lambda'; generational makes population − elitism children)",
                            e.offspring)
    if e.replacement == "mu_comma_lambda" and 0 < e.offspring < e.population:
        raise ScenarioError(f, "evolution.offspring", f"at least the population ({e.population}) for "
                            "mu_comma_lambda (λ ≥ μ), or 0 for λ = μ", e.offspring)
    from evo import operators  # deferred: operators imports DEAP, the scenario layer does not need it

    for kind in ("selection", "mutation", "crossover"):
        operators.check(getattr(e, kind), kind, f, f"evolution.{kind}", population=e.population)

    m = s.metrics
    for key in ("robust_threshold", "pseudo_threshold"):
        _probability(f, f"metrics.{key}", getattr(m, key))
    _positive(f, "metrics.reach_threshold", m.reach_threshold, allow_zero=True)


def _check_world(f: str, key: str, w: WorldConfig, known_feature: Any) -> None:
    _positive(f, f"{key}.steps", w.steps)
    _probability(f, f"{key}.wall_density", w.wall_density)
    if w.wall_density > 0.6:
        raise ScenarioError(f, f"{key}.wall_density", "at most 0.6 (denser grids rarely connect)",
                            w.wall_density)
    if w.layout:
        width = len(w.layout[0])
        for i, row in enumerate(w.layout):
            if len(row) != width or any(not (ch in "#.S" or "a" <= ch <= "z") for ch in row):
                raise ScenarioError(f, f"{key}.layout[{i}]", f"a row of {width} characters from '#', '.', "
                                    "'S' and the zone letters a-z", row)
        if sum(row.count("S") for row in w.layout) != 1:
            raise ScenarioError(f, f"{key}.layout", "exactly one start cell 'S'", list(w.layout))
    else:
        for i, n in enumerate(w.size):
            if n < 3 or n > 64:
                raise ScenarioError(f, f"{key}.size[{i}]", "a side between 3 and 64 cells", n)
    if not w.objects:
        raise ScenarioError(f, f"{key}.objects", "at least one object group", [])
    for i, g in enumerate(w.objects):
        gk = f"{key}.objects[{i}]"
        _positive(f, f"{gk}.count", g.count)
        if bool(g.features) == bool(g.variants):
            raise ScenarioError(f, gk, "exactly one of 'features' (a table) or 'variants' (a list)",
                                {"features": g.features, "variants": g.variants})
        for fname, p in g.features.items():
            known_feature(f"{gk}.features.{fname}", fname)
            _probability(f, f"{gk}.features.{fname}", p)
        total = 0.0
        for j, v in enumerate(g.variants):
            _probability(f, f"{gk}.variants[{j}].p", v.p)
            total += v.p
            for k, fname in enumerate(v.features):
                known_feature(f"{gk}.variants[{j}].features[{k}]", fname)
        if g.variants and abs(total - 1.0) > 1e-9:
            raise ScenarioError(f, f"{gk}.variants", "probabilities p summing to 1", total)
        for j, fname in enumerate(g.spawns):
            known_feature(f"{gk}.spawns[{j}]", fname)
        if len(set(g.spawns)) != len(g.spawns):
            raise ScenarioError(f, f"{gk}.spawns", "distinct feature names", list(g.spawns))
        if g.zone and not w.layout:
            raise ScenarioError(f, f"{gk}.zone", "no zone: zones are letters of a fixed 'layout', and this "
                                "distribution has none", g.zone)
        if g.zone and (len(g.zone) != 1 or not "a" <= g.zone <= "z"
                       or not any(g.zone in row for row in w.layout)):
            raise ScenarioError(f, f"{gk}.zone", "a lowercase letter that marks cells of the layout", g.zone)
    # every spawned object is allocated (hidden) when the world is drawn, so it needs a cell too
    n_objects = sum(g.count * (2 if g.spawns else 1) for g in w.objects)
    if w.layout:
        free = sum(ch != "#" and ch != "S" for row in w.layout for ch in row)
    else:
        free = (w.size[0] - 2) * (w.size[1] - 2) - 1
    if n_objects > free:
        raise ScenarioError(f, f"{key}.objects", f"at most {free} objects (free cells besides the start)",
                            n_objects)
    if w.layout:
        from evo.worlds import reachable_cells, reachable_zone_cells  # pure numpy

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
# writing the resolved scenario back as TOML


def to_dict(s: Scenario) -> dict[str, Any]:
    """The fully resolved scenario as plain tables (every default filled in)."""

    def plain(obj: Any) -> Any:
        if isinstance(obj, OperatorConfig):
            return {"scheme": obj.scheme, **dict(obj.params)}
        if dataclasses.is_dataclass(obj):
            return {f.name: plain(getattr(obj, f.name))
                    for f in dataclasses.fields(obj) if f.name != "source"}
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        if isinstance(obj, tuple):
            return [plain(v) for v in obj]
        return obj

    d = plain(s)
    if d["true_objective"] is None:
        del d["true_objective"]
    for g in [*d["worlds"]["train"]["objects"],
              *(o for w in d["worlds"]["shift"].values() for o in w["objects"])]:
        if not g["variants"]:
            del g["variants"]
        else:
            del g["features"]
    for w in [d["worlds"]["train"], *d["worlds"]["shift"].values()]:
        if not w["layout"]:
            del w["layout"]
    return d


def dumps(s: Scenario) -> str:
    """TOML text of the resolved scenario; ``loads(dumps(s))`` gives back an equal scenario."""
    return _dump_tables(to_dict(s), []) + "\n"


_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _toml_unicode(ch: str) -> str:
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return '"' + "".join(_TOML_ESCAPES.get(ch, ch if ch.isprintable() else _toml_unicode(ch))
                             for ch in v) + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return ("{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
                if v else "{}")
    raise TypeError(f"cannot write {v!r} as TOML")


def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_value(k)


# dicts at these paths are written as [tables]; deeper dicts inline
_TABLE_PATHS = {(), ("worlds",), ("worlds", "shift")}


def _dump_tables(d: dict[str, Any], path: list[str]) -> str:
    lines, subtables = [], []
    for k, v in d.items():
        if isinstance(v, dict) and tuple(path) in _TABLE_PATHS:
            subtables.append((k, v))
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            lines.append(f"{_toml_key(k)} = [")
            lines.extend(f"    {_toml_value(x)}," for x in v)
            lines.append("]")
        else:
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    out = []
    if path and lines:
        out.append("[" + ".".join(_toml_key(p) for p in path) + "]")
    out.extend(lines)
    text = "\n".join(out)
    for k, v in subtables:
        sub = _dump_tables(v, [*path, k])
        if sub:
            text = (text + "\n\n" + sub) if text else sub
    return text
