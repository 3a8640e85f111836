"""Fuzzing the scenario validator: random mutations of valid scenario tables must give either a valid
scenario or the project's own ScenarioError (one line, no control characters) — never another exception
(a traceback for the user). A valid result must survive its own round trip through the TOML writer.

Every case the fuzzer found is in the corpus: a file in tests/data/bad_scenarios/, or an explicit regression
test in tests/config/test_scenario.py and tests/config/test_scenario_roundtrip.py for valid scenarios the
writer broke."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evo.config import schema, writer
from evo.config.names import has_control
from evo.errors import ScenarioError
from evo.runs import scenarios as scenario_mod

ROOT = Path(__file__).resolve().parents[2]
BASES = [tomllib.loads(p.read_text()) for p in sorted((ROOT / "scenarios").glob("*.toml"))]

# names and strings that once broke something, or might: reserved names, dots, non-ASCII, control and
# format characters, TOML's own syntax
NASTY_TEXT = ["train", "q0.5", "²", "é", "日本", "a b", " ", "", ".", "..", "a/b", "%", "\x00", "\n", "\t",
              "\r", "\x1b[31m", "\u202e", "\ufeff", "\x7f", "\u0085", "\u2028", '"', "\\", "'''", "[x]", "=",
              "#", "\U0001f600"]
HUGE_NUMBERS = [10**30, -(10**30), 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**70, 10**400, 1e300,
                -1e300, 5e-324, 1e6, 1e6 + 1]

leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(NASTY_TEXT), st.sampled_from(HUGE_NUMBERS),
    st.sampled_from(["mesa", "reflex", "hybrid", "tournament", "door", "red", "#S.#"]),
)
value = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                  st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=8)
key = st.one_of(st.text(min_size=1, max_size=10), st.sampled_from(NASTY_TEXT))


# the operations a mutation draws from (repeated: weights); deep nesting is rejected early, so it is rare
OPS = ["replace"] * 3 + ["delete"] * 2 + ["add"] * 2 + ["numeric"] * 2 + ["rename"] * 2 + ["nest"]


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


def _nested(depth: int, table: bool) -> Any:
    inner: Any = 1
    for _ in range(depth):
        inner = {"a": inner} if table else [inner]
    return inner


@st.composite
def mutated(draw: st.DrawFn) -> dict:
    raw = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(raw)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(raw, path)
        op = draw(st.sampled_from(OPS))
        k = path[-1]
        if op == "replace":
            parent[k] = draw(value)
        elif op == "delete":
            del parent[k]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(key)] = draw(value)
        elif op == "rename" and isinstance(parent, dict):
            # a table key (a shift, a feature in a payoff, a section) under another name
            parent[draw(key)] = parent.pop(k)
        elif op == "nest":
            parent[k] = _nested(draw(st.integers(10, 40)), draw(st.booleans()))
        elif op == "numeric" and isinstance(parent[k], int | float) and not isinstance(parent[k], bool):
            parent[k] = draw(st.sampled_from([0, -1, 10**9, 0.5, -0.5, 1.5, 2, parent[k] * 100,
                                              *HUGE_NUMBERS]))
    return raw


def _check(raw: dict) -> None:
    try:
        result = scenario_mod.from_dict(raw, source="fuzz.toml")
    except ScenarioError as exc:
        msg = str(exc)
        assert msg.startswith("fuzz.toml:")
        # the user sees one line that cannot act on the terminal
        assert not has_control(msg), msg
        return
    assert isinstance(result, schema.Scenario)
    # a valid result must survive its own round trip: TOML that parses, and the same scenario read back
    text = writer.dumps(result)
    tomllib.loads(text)
    assert scenario_mod.loads(text, source="fuzz.toml") == result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_validator_never_raises_anything_but_scenario_error(raw: dict) -> None:
    _check(raw)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_validator_fuzz_many_examples(raw: dict) -> None:
    _check(raw)
