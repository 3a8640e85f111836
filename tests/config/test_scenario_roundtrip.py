"""The TOML writer: every valid scenario, whatever its names and description, is written as TOML that parses
and reads back as the same scenario (``loads(dumps(s)) == s``). The shipped scenarios are renamed with
arbitrary Unicode text the validator accepts; the regressions below are cases that once broke the writer."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evo.config import names, schema, writer
from evo.errors import EvoError
from evo.runs import scenarios as scenario_mod

ROOT = Path(__file__).resolve().parents[2]
BASES = [scenario_mod.load(p) for p in sorted((ROOT / "scenarios").glob("*.toml"))]


def _valid_name(text: str) -> bool:
    """The validator's rule for names (evo.runs.scenarios._name), restated."""
    if not text or names.has_control(text):
        return False
    try:
        names.path_component(text)
    except EvoError:
        return False
    return True


def _valid_description(text: str) -> bool:
    return not any(names.has_control(ch) for ch in text if ch not in "\n\t")


name_text = st.text(min_size=1, max_size=16).filter(_valid_name)
descriptions = st.text(st.one_of(st.characters(), st.sampled_from("\n\t\"\\'")), max_size=60).filter(
    _valid_description)


def _rename_features(d: dict[str, Any], mapping: dict[str, str]) -> None:
    d["scenario"]["features"] = [mapping[f] for f in d["scenario"]["features"]]
    for sense in ("felt", "hidden"):
        if sense in d["scenario"]:
            d["scenario"][sense] = [mapping[f] for f in d["scenario"][sense]]
    for section in ("base_objective", "true_objective"):
        if section in d:
            d[section]["payoff"] = {mapping[k]: v for k, v in d[section]["payoff"].items()}
            d[section]["terminal"] = [mapping[f] for f in d[section]["terminal"]]
    d["agent"]["perception_cost"] = {mapping[k]: v for k, v in d["agent"]["perception_cost"].items()}
    for w in [d["worlds"]["train"], *d["worlds"]["shift"].values()]:
        for g in w["objects"]:
            if "features" in g:
                g["features"] = {mapping[k]: v for k, v in g["features"].items()}
            for v in g.get("variants", []):
                v["features"] = [mapping[f] for f in v["features"]]
            g["spawns"] = [mapping[f] for f in g["spawns"]]


@st.composite
def renamed(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped scenario (resolved, as plain tables) with a new name, description, feature names and
    shift names."""
    d = writer.to_dict(draw(st.sampled_from(BASES)))
    feats = d["scenario"]["features"]
    new = draw(st.lists(name_text, min_size=len(feats), max_size=len(feats), unique=True))
    _rename_features(d, dict(zip(feats, new, strict=True)))
    shifts = d["worlds"]["shift"]
    new_shifts = draw(st.lists(name_text.filter(lambda n: n != "train"), min_size=len(shifts),
                               max_size=len(shifts), unique=True))
    d["worlds"]["shift"] = dict(zip(new_shifts, shifts.values(), strict=True))
    d["scenario"]["name"] = draw(name_text)
    d["scenario"]["description"] = draw(descriptions)
    return d


def _round_trips(s: schema.Scenario) -> None:
    text = writer.dumps(s)
    assert tomllib.loads(text) == tomllib.loads(text)  # parses (and deterministically)
    assert scenario_mod.loads(text, source=s.source) == s


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.filter_too_much])
@given(renamed())
def test_any_valid_names_round_trip(d: dict[str, Any]) -> None:
    s = scenario_mod.from_dict(d, source="roundtrip.toml")
    _round_trips(s)
    assert s.name == d["scenario"]["name"] and list(s.worlds.shift) == list(d["worlds"]["shift"])


@pytest.mark.parametrize("shift", ["²", "q0.5", "a b", "日本語", "x=y", '"quoted"', "back\\slash", "[t]",
                                   "#hash", "\U0001f600"])
def test_shift_names_the_old_writer_left_bare_round_trip(tiny_text: str, shift: str) -> None:
    """Regression: the hand-written writer wrote '²' (it passes str.isalnum) as a bare key: invalid TOML."""
    s = scenario_mod.loads(tiny_text, source="tiny.toml")
    renamed_ = writer.to_dict(s)
    renamed_["worlds"]["shift"] = {shift: renamed_["worlds"]["shift"]["blue_doors"]}
    again = scenario_mod.from_dict(renamed_, source="tiny.toml")
    _round_trips(again)
    assert list(again.worlds.shift) == [shift]


def test_non_ascii_feature_names_and_descriptions_round_trip(tiny_text: str) -> None:
    d = writer.to_dict(scenario_mod.loads(tiny_text, source="tiny.toml"))
    _rename_features(d, {"red": "rot²", "blue": "Blau", "door": "Tür", "gem": "宝石"})
    d["scenario"]["name"] = "tiny ünïcode"
    d["scenario"]["description"] = 'line one\n\tline "two" \\ ends'
    s = scenario_mod.from_dict(d, source="tiny.toml")
    _round_trips(s)
    assert s.features == ("rot²", "Blau", "Tür", "宝石")


def test_output_keeps_tables_for_sections_and_worlds(tiny_scenario: schema.Scenario) -> None:
    text = writer.dumps(tiny_scenario)
    for header in ("[scenario]", "[base_objective]", "[agent]", "[worlds.train]", "[worlds.shift.blue_doors]",
                   "[evolution]", "[metrics]"):
        assert f"\n{header}\n" in f"\n{text}", header
    assert '"""' not in text  # no multi-line strings: a newline in a description is written as \n
