"""Scenario files: every shipped file validates; malformed input is a ScenarioError naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from evo import operators
from evo import scenario as scenario_mod
from evo.errors import ScenarioError

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_load_and_round_trip(path: Path) -> None:
    s = scenario_mod.load(path)
    assert s.name == path.stem
    again = scenario_mod.loads(scenario_mod.dumps(s), source=s.source)
    assert again == s


def test_defaults_fill_everything_not_stated(tiny_scenario: scenario_mod.Scenario) -> None:
    assert tiny_scenario.evolution.selection.scheme == "tournament"
    assert tiny_scenario.metrics.robust_threshold == 0.8
    assert tiny_scenario.metrics.pseudo_threshold == 0.8


def test_shift_inherits_keys_not_given(tiny_scenario: scenario_mod.Scenario) -> None:
    shift = tiny_scenario.worlds.shift["blue_doors"]
    train = tiny_scenario.worlds.train
    assert shift.size == train.size and shift.steps == train.steps
    assert shift.objects != train.objects


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


BAD = [
    # (description, edit, expected key in the message, expected phrase)
    ("unknown key", lambda t: _replace(t, "population = 24", "population = 24\npopulaton = 3"),
     "evolution.populaton", "one of the keys"),
    ("unknown section", lambda t: t + "\n[evolutoin]\n", "evolutoin", "one of the sections"),
    ("wrong type", lambda t: _replace(t, "population = 24", 'population = "many"'),
     "evolution.population", "an integer"),
    ("negative population", lambda t: _replace(t, "population = 24", "population = -5"),
     "evolution.population", "positive"),
    ("probability above one", lambda t: _replace(t, "{ door = 1.0, red = 1.0 }", "{ door = 1.5, red = 1.0 }"),
     "worlds.train.objects[0].features.door", "probability"),
    ("undeclared feature", lambda t: _replace(t, "payoff = { door = 1.0 }", "payoff = { exit = 1.0 }"),
     "base_objective.payoff.exit", "declared in scenario.features"),
    ("unknown selection scheme",
     lambda t: _replace(t, "population = 24", 'population = 24\nselection = { scheme = "tournamnet" }'),
     "evolution.selection.scheme", "one of " + ", ".join(operators.SELECTION.names())),
    ("tournament larger than population",
     lambda t: _replace(t, "population = 24",
                        'population = 24\nselection = { scheme = "tournament", size = 50 }'),
     "evolution.selection.size", "population is 24"),
    ("unknown agent kind", lambda t: _replace(t, 'kind = "mesa"', 'kind = "oracle"'),
     "agent.kind", "one of 'mesa', 'reflex', 'hybrid'"),
    ("too many objects", lambda t: _replace(t, "{ gem = 1.0, blue = 1.0 }, count = 2 },\n]\n\n[worlds.shift",
                                             "{ gem = 1.0, blue = 1.0 }, count = 40 },\n]\n\n[worlds.shift"),
     "worlds.train.objects", "at most"),
    ("unreachable objects under a fixed layout",
     lambda t: _replace(t, "size = [6, 6]", 'layout = ["#####", "#S#.#", "###.#", "#...#", "#####"]'),
     "worlds.train.layout", "reaches at least"),
    ("variants not summing to one",
     lambda t: _replace(t, "{ features = { door = 1.0, red = 1.0 }, count = 1 }",
                        '{ variants = [{ p = 0.5, features = ["door", "red"] }, '
                        '{ p = 0.2, features = ["door"] }] }'),
     "worlds.train.objects[0].variants", "summing to 1"),
    ("malformed TOML", lambda t: t + "\n[broken\n", "", "valid TOML"),
    ("discount out of range", lambda t: _replace(t, "discount = 0.7", "discount = 1.7"), "agent.discount",
     "(0, 1]"),
    ("elitism as large as the population",
     lambda t: _replace(t, "population = 24", "population = 24\nelitism = 24"),
     "evolution.elitism", "fewer than the population"),
]


@pytest.mark.parametrize(("edit", "key", "phrase"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_scenarios_name_file_key_and_expectation(tiny_text: str, edit, key: str, phrase: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_mod.loads(edit(tiny_text), source="bad.toml")
    msg = str(info.value)
    assert msg.startswith("bad.toml:")
    assert info.value.key == key
    assert phrase in msg


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        scenario_mod.load(tmp_path / "nope.toml")
