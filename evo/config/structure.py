"""A parsed scenario table checked structurally into the frozen dataclasses of :mod:`evo.config.schema`:
every key, type, name and bound, and the cross-field checks that need no registry (docs/architecture.md,
"Scenario files"). Standard library only."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from evo.config import names
from evo.config.schema import (
    LIMITS,
    MIN_SIDE,
    AgentConfig,
    EvolutionConfig,
    MetricsConfig,
    Objective,
    OperatorConfig,
    Scenario,
    ScenarioInfo,
    WorldConfig,
    Worlds,
)
from evo.config.toml import check_strings, join_key, nested_too_deeply, one_line
from evo.errors import EvoError, ScenarioError

# --------------------------------------------------------------------------------------------------------
# values of one key


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



def _integer(value: Any, file: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(file, key, "an integer", value)
    if not -LIMITS["int64"] - 1 <= value <= LIMITS["int64"]:
        raise ScenarioError(file, key, "an integer that fits in 64 bits (|n| < 2**63)", _show(value))
    return value



def _number(value: Any, file: str, key: str) -> float:
    """A finite number of magnitude at most ``LIMITS["magnitude"]`` (ints too: 10**400 is no crash)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(file, key, "a finite number", value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(file, key, "a finite number", value)
    if isinstance(value, int):
        _integer(value, file, key)
    if abs(value) > LIMITS["magnitude"]:
        raise ScenarioError(file, key, f"a number of magnitude at most {_MAGNITUDE} (the bound "
                            "LIMITS['magnitude'] in evo.config.schema)", _show(value))
    return float(value)


_MAGNITUDE = f"{LIMITS['magnitude']:.0e}".replace("e+0", "e")  # "1e6"


def _show(value: float) -> float | str:
    """``value`` for a message: an integer of hundreds of digits as its size."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"an integer of {len(str(abs(value))) if value.bit_length() < 14000 else 'over 4000'} digits"
    return value



def _convert(value: Any, tp: Any, file: str, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Literal:
        if not isinstance(value, str) or value not in typing.get_args(tp):
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
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ScenarioError(file, f"{key}.{k}", "a string key", k)
            out[k] = _convert(v, vt, file, f"{key}.{k}")
        return out
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ScenarioError(file, key, "a table", value)
        return _build(tp, value, file, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise ScenarioError(file, key, "true or false", value)
        return value
    if tp is int:
        return _integer(value, file, key)
    if tp is float:
        return _number(value, file, key)
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
            raise ScenarioError(file, join_key(prefix, str(k)),
                                "one of the keys " + ", ".join(sorted(fields)), k)
    kwargs = {}
    for name in fields:
        if name in raw:
            key = join_key(prefix, name)
            if cls is EvolutionConfig and name in ("selection", "mutation", "crossover"):
                kwargs[name] = _operator(raw[name], file, key)
            else:
                kwargs[name] = _convert(raw[name], hints[name], file, key)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required key is missing
        missing = [n for n, f in fields.items() if n not in raw and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        raise ScenarioError(file, join_key(prefix, missing[0] if missing else ""), "a value",
                            "nothing") from exc



def _agent(raw: Mapping[str, Any], file: str) -> AgentConfig:
    """The ``[agent]`` table: ``kind`` and the keys every kind has typed here; every other key is the
    kind's own (``params``), a scalar or a list of scalars, checked against the kind's declaration by
    :func:`evo.runs.scenarios.check`."""
    common = {f.name for f in dataclasses.fields(AgentConfig) if f.name != "params"}
    params = {}
    for k, v in raw.items():
        if k in common:
            continue
        key = join_key("agent", str(k))
        if not isinstance(k, str):
            raise ScenarioError(file, key, "a string key", k)
        if not all(isinstance(x, bool | int | float | str) for x in (v if isinstance(v, list) else [v])):
            raise ScenarioError(file, key, "a value of the agent kind (a number, true or false, a string or "
                                "a list of them)", v)
        params[k] = v
    agent: AgentConfig = _build(AgentConfig, {k: v for k, v in raw.items() if k in common}, file, "agent")
    return dataclasses.replace(agent, params=params)



def _operator(value: Any, file: str, key: str) -> OperatorConfig:
    if not isinstance(value, dict) or not isinstance(value.get("scheme"), str):
        raise ScenarioError(file, f"{key}.scheme", "a table with a 'scheme' name", value)
    params = []
    for k, v in value.items():
        if k == "scheme":
            continue
        if not isinstance(k, str):
            raise ScenarioError(file, f"{key}.{k}", "a string key", k)
        # an integer stays an integer (a tournament size); every parameter is bounded in magnitude
        _number(v, file, f"{key}.{k}")
        params.append((k, v))
    return OperatorConfig(scheme=value["scheme"], params=tuple(sorted(params)))



def _check_shape(raw: Mapping[str, Any], file: str) -> None:
    """Before anything else walks ``raw``: tables and arrays nest at most ``LIMITS["nesting"]`` deep (the
    top table counts as one) and every integer fits int64 (so none is too large to show in a message:
    Python refuses to print one of more than 4300 digits). Iterative, so no depth (and no cycle) can
    exhaust the stack."""
    limit = int(LIMITS["nesting"])
    stack: list[tuple[Any, int, str]] = [(raw, 1, "")]
    while stack:
        node, depth, key = stack.pop()
        if isinstance(node, int) and not isinstance(node, bool):
            _integer(node, file, key)
        if isinstance(node, Mapping):
            items: Any = ((join_key(key, str(k)), v) for k, v in node.items())
        elif isinstance(node, list | tuple):
            items = ((f"{key}[{i}]", v) for i, v in enumerate(node))
        else:
            continue
        if depth > limit:
            raise nested_too_deeply(file)
        stack.extend((child, depth + 1, k) for k, child in items)


# --------------------------------------------------------------------------------------------------------
# the sections


def parse(raw: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """An already-parsed scenario table as a :class:`Scenario`: every key, type, name and bound checked
    (one :class:`ScenarioError` line on the first problem). The checks that need the rest of the package
    (a registered agent kind, reachable layouts, operator names, memory) are
    :func:`evo.runs.scenarios.check`'s; :func:`evo.runs.scenarios.load` does both."""
    try:
        return _from_dict(raw, source)
    except ScenarioError as exc:
        raise one_line(exc) from None



def _from_dict(raw: Mapping[str, Any], source: str) -> Scenario:
    if not isinstance(raw, Mapping):
        raise ScenarioError(source, "", "a table of sections", raw)
    _check_shape(raw, source)
    check_strings(raw, source)
    known = {"scenario", "base_objective", "true_objective", "agent", "worlds", "evolution", "metrics"}
    for k in raw:
        if k not in known:
            raise ScenarioError(source, str(k), "one of the sections " + ", ".join(sorted(known)), k)
    sections: dict[str, Any] = {}
    for name, cls in (("scenario", ScenarioInfo), ("base_objective", Objective), ("agent", AgentConfig),
                      ("evolution", EvolutionConfig), ("metrics", MetricsConfig)):
        value = raw.get(name, {})
        if not isinstance(value, dict):
            raise ScenarioError(source, name, "a table", value)
        sections[name] = _agent(value, source) if cls is AgentConfig else _build(cls, value, source, name)
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
    if len(shifts_raw) > LIMITS["shifts"]:
        raise ScenarioError(file, "worlds.shift", f"at most {LIMITS['shifts']} shift distributions",
                            f"{len(shifts_raw)} of them")
    shift = {}
    for name, sraw in shifts_raw.items():
        key = f"worlds.shift.{name}"
        _name(file, key, name, "shift name")
        if name == "train":
            raise ScenarioError(file, key, "a shift name other than 'train' (the train episode has that name "
                                "in the run's files)", name)
        if not isinstance(sraw, dict):
            raise ScenarioError(file, key, "a table", sraw)
        merged = {**train_raw, **sraw}
        if "layout" in sraw and "size" not in sraw:
            merged.pop("size", None)
        shift[name] = _build(WorldConfig, merged, file, key)
    return Worlds(train=train, shift=shift)


# --------------------------------------------------------------------------------------------------------
# cross-field checks


def _name(file: str, key: str, name: Any, what: str) -> None:
    """A name is data: a non-empty string without control or format characters that makes a file name."""
    if not isinstance(name, str) or not name:
        raise ScenarioError(file, key, f"a non-empty {what}", name)
    if names.has_control(name):
        raise ScenarioError(file, key, f"a {what} without control or format characters (NUL, newline, "
                            "escape, bidirectional overrides, unassigned code points)", name)
    try:
        names.path_component(name, what)
    except EvoError as exc:
        raise ScenarioError(file, key, f"a {what} that makes a file name ({exc})", name) from None



def _distinct_names(file: str, key: str, values: tuple[str, ...], what: str) -> None:
    for i, n in enumerate(values):
        _name(file, f"{key}[{i}]", n, what)
    if len(set(values)) != len(values):
        raise ScenarioError(file, key, f"distinct {what}s", list(values))



def _positive(file: str, key: str, value: float, *, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise ScenarioError(file, key, "a non-negative value" if allow_zero else "a positive value", value)



def _at_most(file: str, key: str, value: float, limit: str) -> None:
    bound = LIMITS[limit]
    if value > bound:
        raise ScenarioError(file, key, f"at most {bound:_} (the bound LIMITS[{limit!r}] in "
                            "evo.config.schema)",
                            value)



def _probability(file: str, key: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ScenarioError(file, key, "a probability in [0, 1]", value)



def _check(s: Scenario) -> None:
    """Cross-field checks: names, sizes and their bounds, probabilities, operator names and parameters, and
    the memory a run would need."""
    f = s.source
    info = s.scenario
    _name(f, "scenario.name", info.name, "scenario name")
    bad = [ch for ch in info.description if ch not in "\n\t" and names.has_control(ch)]
    if bad:
        raise ScenarioError(f, "scenario.description", "a description without control or format characters "
                            "(newlines and tabs are fine)", info.description)
    feats = s.features
    if not feats:
        raise ScenarioError(f, "scenario.features", "a non-empty list of feature names", list(feats))
    if len(feats) > LIMITS["features"]:
        raise ScenarioError(f, "scenario.features", f"at most {LIMITS['features']} feature names",
                            f"{len(feats)} names")
    _distinct_names(f, "scenario.features", feats, "feature name")
    for sense in ("felt", "hidden"):
        listed = getattr(info, sense)
        for i, name in enumerate(listed):
            if name not in feats:
                raise ScenarioError(f, f"scenario.{sense}[{i}]", "a feature declared in scenario.features ("
                                    + ", ".join(feats) + ")", name)
        if len(set(listed)) != len(listed):
            raise ScenarioError(f, f"scenario.{sense}", "distinct feature names", list(listed))
    for i, name in enumerate(info.hidden):
        if name in info.felt:
            raise ScenarioError(f, f"scenario.hidden[{i}]", "a feature that is not also felt (a feature is "
                                "seen, felt or hidden)", name)

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
    for key in ("planning_cost", "complexity_cost", "learning_cost"):
        _positive(f, f"agent.{key}", getattr(a, key), allow_zero=True)
    _positive(f, "agent.init_sigma", a.init_sigma)

    for name, w in [("train", s.worlds.train), *((f"shift.{n}", w) for n, w in s.worlds.shift.items())]:
        _check_world(f, f"worlds.{name}", w, known_feature)

    e = s.evolution
    for key in ("population", "generations", "worlds_per_generation", "eval_worlds"):
        _positive(f, f"evolution.{key}", getattr(e, key))
    _positive(f, "evolution.elitism", e.elitism, allow_zero=True)
    _positive(f, "evolution.checkpoint_every", e.checkpoint_every, allow_zero=True)
    _positive(f, "evolution.shift_sample", e.shift_sample, allow_zero=True)
    _positive(f, "evolution.offspring", e.offspring, allow_zero=True)
    for key in ("population", "generations", "worlds_per_generation", "eval_worlds", "elitism",
                "checkpoint_every", "shift_sample", "offspring"):
        _at_most(f, f"evolution.{key}", getattr(e, key), key)
    if e.elitism >= e.population:
        raise ScenarioError(f, "evolution.elitism", f"fewer than the population ({e.population})", e.elitism)
    if e.population < 2:
        raise ScenarioError(f, "evolution.population", "at least 2", e.population)
    m = s.metrics
    for key in ("robust_threshold", "pseudo_threshold"):
        _probability(f, f"metrics.{key}", getattr(m, key))
    _positive(f, "metrics.reach_threshold", m.reach_threshold, allow_zero=True)



def _check_world(f: str, key: str, w: WorldConfig, known_feature: Any) -> None:
    _positive(f, f"{key}.steps", w.steps)
    _at_most(f, f"{key}.steps", w.steps, "steps")
    _probability(f, f"{key}.wall_density", w.wall_density)
    if w.wall_density > 0.6:
        raise ScenarioError(f, f"{key}.wall_density", "at most 0.6 (denser grids rarely connect)",
                            w.wall_density)
    side = int(LIMITS["side"])
    if w.layout:
        # the size first: nothing may walk a layout of a million cells
        if not MIN_SIDE <= len(w.layout) <= side:
            raise ScenarioError(f, f"{key}.layout", f"between {MIN_SIDE} and {side} rows",
                                f"{len(w.layout)} rows")
        width = len(w.layout[0])
        if not MIN_SIDE <= width <= side:
            raise ScenarioError(f, f"{key}.layout[0]", f"a row of between {MIN_SIDE} and {side} characters",
                                f"{width} characters")
        for i, row in enumerate(w.layout):
            if len(row) != width or any(not (ch in "#.S" or "a" <= ch <= "z") for ch in row):
                raise ScenarioError(f, f"{key}.layout[{i}]", f"a row of {width} characters from '#', '.', "
                                    "'S' and the zone letters a-z", row)
        if sum(row.count("S") for row in w.layout) != 1:
            raise ScenarioError(f, f"{key}.layout", "exactly one start cell 'S'", list(w.layout))
    else:
        for i, n in enumerate(w.size):
            if n < MIN_SIDE or n > side:
                raise ScenarioError(f, f"{key}.size[{i}]", f"a side between {MIN_SIDE} and {side} cells", n)
    if not w.objects:
        raise ScenarioError(f, f"{key}.objects", "at least one object group", [])
    for i, g in enumerate(w.objects):
        gk = f"{key}.objects[{i}]"
        _positive(f, f"{gk}.count", g.count)
        _at_most(f, f"{gk}.count", g.count, "count")
        if bool(g.features) == bool(g.variants):
            raise ScenarioError(f, gk, "exactly one of 'features' (a table) or 'variants' (a list)",
                                {"features": g.features, "variants": g.variants})
        for fname, p in g.features.items():
            known_feature(f"{gk}.features.{fname}", fname)
            _probability(f, f"{gk}.features.{fname}", p)
        if len(g.variants) > LIMITS["variants"]:
            raise ScenarioError(f, f"{gk}.variants", f"at most {LIMITS['variants']} variants",
                                f"{len(g.variants)} variants")
        total = 0.0
        for j, v in enumerate(g.variants):
            _probability(f, f"{gk}.variants[{j}].p", v.p)
            total += v.p
            for k, fname in enumerate(v.features):
                known_feature(f"{gk}.variants[{j}].features[{k}]", fname)
            if len(set(v.features)) != len(v.features):
                raise ScenarioError(f, f"{gk}.variants[{j}].features", "distinct feature names",
                                    list(v.features))
        if g.variants and abs(total - 1.0) > 1e-9:
            raise ScenarioError(f, f"{gk}.variants", "probabilities p summing to 1", total)
        if g.variant_per != "object" and not g.variants:
            raise ScenarioError(f, f"{gk}.variant_per", "'object' for a group of independent 'features' "
                                "(a variant drawn per world or lifetime needs 'variants')", g.variant_per)
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
    for level in ("world", "lifetime"):
        shared = [(i, g) for i, g in enumerate(w.objects) if g.variant_per == level]
        for i, g in shared[1:]:
            first = shared[0][1]
            if [v.p for v in g.variants] != [v.p for v in first.variants]:
                raise ScenarioError(f, f"{key}.objects[{i}].variants", f"the probabilities p of group "
                                    f"{shared[0][0]} (groups drawn per {level} share one draw: variant j of "
                                    "each)", [v.p for v in g.variants])
    # every spawned object is allocated (hidden) when the world is drawn, so it needs a cell too
    n_objects = n_objects_of(w)
    if w.layout:
        free = sum(ch != "#" and ch != "S" for row in w.layout for ch in row)
    else:
        free = (w.size[0] - 2) * (w.size[1] - 2) - 1
    if n_objects > free:
        raise ScenarioError(f, f"{key}.objects", f"at most {free} objects (free cells besides the start)",
                            n_objects)


# --------------------------------------------------------------------------------------------------------
# memory a run needs


def n_objects_of(w: WorldConfig) -> int:
    """Objects of one world of ``w``, hidden (spawned) ones included: ``K`` of its world batches."""
    return sum(g.count * (2 if g.spawns else 1) for g in w.objects)



def cells_of(w: WorldConfig) -> int:
    """Cells of one world of ``w`` (``C`` = height × width)."""
    return len(w.layout) * len(w.layout[0]) if w.layout else w.size[0] * w.size[1]
