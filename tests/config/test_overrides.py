"""Overrides (evo/config/overrides.py): ``--set KEY=VALUE`` parses TOML-typed values, a mapping of the
Python API becomes overrides that name their origin, and applying one to a raw scenario table starts a
missing table from the resolved defaults."""

from __future__ import annotations

import pytest

from evo.config.overrides import Override, apply, culprit, from_mapping, parse_assignment
from evo.errors import ScenarioError


@pytest.mark.parametrize(("text", "key", "value"), [
    ("evolution.population=50", "evolution.population", 50),
    ("evolution.selection.fraction=0.25", "evolution.selection.fraction", 0.25),
    ("worlds.train.resample=false", "worlds.train.resample", False),
    ('agent.kind="reflex"', "agent.kind", "reflex"),
    ("agent.kind=reflex", "agent.kind", "reflex"),  # a bare word is that string
    ("worlds.train.size=[9, 9]", "worlds.train.size", [9, 9]),
    ('evolution.selection={ scheme = "tournament", size = 4 }', "evolution.selection",
     {"scheme": "tournament", "size": 4}),
    (" evolution.generations = 5 ", "evolution.generations", 5),
    ("scenario.description=a=b", "scenario.description", "a=b"),  # the first '=' splits
    ("evolution.population=1_000", "evolution.population", 1000),
])
def test_values_are_toml_typed(text: str, key: str, value: object) -> None:
    o = parse_assignment(text)
    assert (o.key, o.value) == (key, value) and type(o.value) is type(value)
    assert o.origin == f"--set {text}"


@pytest.mark.parametrize(("text", "fragment"), [
    ("evolution.population", "expected KEY=VALUE"),
    ("=5", "expected KEY=VALUE"),
    ("population=5", "expected a dotted key into the scenario"),
    ("evolution..population=5", "expected a dotted key into the scenario"),
    ("evolution.population=", "expected a value after '='"),
    ("worlds.train.size=[9, 9", "expected a TOML value"),
    ('agent.kind="reflex', "expected a TOML value"),
])
def test_malformed_assignments_are_one_error_naming_the_option(text: str, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment) as info:
        parse_assignment(text)
    assert str(info.value).startswith(f"--set {text}: ")
    assert "\n" not in str(info.value)


def test_a_mapping_names_each_key_and_value_as_its_origin() -> None:
    got = from_mapping({"evolution.population": 50, "agent.kind": "reflex"})
    assert got == [Override("evolution.population", 50, "overrides['evolution.population'] = 50"),
                   Override("agent.kind", "reflex", "overrides['agent.kind'] = 'reflex'")]
    with pytest.raises(ScenarioError, match="expected a dotted key"):
        from_mapping({"population": 50})
    with pytest.raises(ScenarioError, match="expected a mapping"):
        from_mapping([("evolution.population", 50)])  # type: ignore[arg-type]


def test_apply_starts_a_missing_table_from_its_defaults_and_replaces_a_whole_table() -> None:
    table = {"evolution": {"population": 20}}
    defaults = {"evolution": {"population": 200, "selection": {"scheme": "tournament", "size": 3}}}
    apply(table, defaults, Override("evolution.selection.size", 8, "--set x"), "f.toml")
    assert table == {"evolution": {"population": 20, "selection": {"scheme": "tournament", "size": 8}}}
    assert defaults["evolution"]["selection"]["size"] == 3  # the defaults are not touched
    apply(table, defaults, Override("evolution.selection", {"scheme": "lexicase"}, "--set y"), "f.toml")
    assert table["evolution"]["selection"] == {"scheme": "lexicase"}
    apply(table, defaults, Override("metrics.reach_threshold", 0.25, "--set z"), "f.toml")
    assert table["metrics"] == {"reach_threshold": 0.25}  # no default table: starts empty
    with pytest.raises(ScenarioError, match=r"f.toml: key '--set w': expected a key inside a table, but "
                                            r"'evolution.population' is a value, got 20"):
        apply(table, defaults, Override("evolution.population.x", 1, "--set w"), "f.toml")


def test_the_culprit_is_the_override_sharing_the_longest_prefix() -> None:
    a = Override("evolution.population", 1, "a")
    b = Override("evolution.selection", {"scheme": "tournament"}, "b")
    c = Override("agent.horizon", 3, "c")
    assert culprit("evolution.selection.size", [a, b, c]) is b
    assert culprit("evolution.population", [a, b, c]) is a
    assert culprit("agent.kind", [a, b, c]) is c
    assert culprit("worlds.train.steps", [a, b, c]) is None
    assert culprit("evolution.offspring", [a, b]) is b  # a tie: the later one wins
