"""Fuzzing the scenario validator: random mutations of valid scenario tables must give either a valid
scenario or the project's own ScenarioError — never another exception (a traceback for the user)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evo import scenario as scenario_mod
from evo.errors import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BASES = [tomllib.loads(p.read_text()) for p in sorted((ROOT / "scenarios").glob("*.toml"))]

leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["mesa", "reflex", "hybrid", "tournament", "door", "red", "#S.#"]),
)
value = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                  st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=8)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _parent(root: Any, path: tuple) -> Any:
    for p in path[:-1]:
        root = root[p]
    return root


@st.composite
def mutated(draw: st.DrawFn) -> dict:
    raw = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(raw)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(raw, path)
        op = draw(st.sampled_from(["replace", "delete", "add", "numeric"]))
        key = path[-1]
        if op == "replace":
            parent[key] = draw(value)
        elif op == "delete":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(value)
        elif op == "numeric" and isinstance(parent[key], int | float) and not isinstance(parent[key], bool):
            parent[key] = draw(st.sampled_from([0, -1, 10**9, 0.5, -0.5, 1.5, 2, parent[key] * 100]))
    return raw


def _check(raw: dict) -> None:
    try:
        result = scenario_mod.from_dict(raw, source="fuzz.toml")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.toml:")
        return
    assert isinstance(result, scenario_mod.Scenario)
    # a valid result must survive its own round trip
    assert scenario_mod.loads(scenario_mod.dumps(result), source="fuzz.toml") == result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_validator_never_raises_anything_but_scenario_error(raw: dict) -> None:
    _check(raw)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_validator_fuzz_many_examples(raw: dict) -> None:
    _check(raw)
