"""Scenario files: every shipped file validates; malformed input is a ScenarioError naming file and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evo.config import names, schema, writer
from evo.errors import ScenarioError
from evo.evolution import operators
from evo.runs import scenarios as scenario_mod

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_load_and_round_trip(path: Path) -> None:
    s = scenario_mod.load(path)
    assert s.name == path.stem
    again = scenario_mod.loads(writer.dumps(s), source=s.source)
    assert again == s


def test_defaults_fill_everything_not_stated(tiny_scenario: schema.Scenario) -> None:
    assert tiny_scenario.evolution.selection.scheme == "tournament"
    assert tiny_scenario.metrics.robust_threshold == 0.8
    assert tiny_scenario.metrics.pseudo_threshold == 0.8


def test_shift_inherits_keys_not_given(tiny_scenario: schema.Scenario) -> None:
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
    ("a key the kind does not declare", lambda t: _replace(t, "horizon = 8", "horizon = 8\nview_radius = 3"),
     "agent.view_radius", "a key of agent kind 'mesa' (one of horizon, discount, kind,"),
    ("a kind's key of the wrong type", lambda t: _replace(t, "horizon = 8", "horizon = 8.5"), "agent.horizon",
     "expected an integer in [1, 10_000]"),
    ("a kind's key out of bounds", lambda t: _replace(t, "horizon = 8", "horizon = 10001"), "agent.horizon",
     "(the bound LIMITS['horizon'] in evo.config.schema), got 10001"),
    ("a kind's key that is a table", lambda t: _replace(t, "horizon = 8", "horizon = { a = 1 }"),
     "agent.horizon", "a value of the agent kind"),
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


# --------------------------------------------------------------------------------------------------------
# names are data


def _tiny_dict(tiny_text: str) -> dict:
    return writer.to_dict(scenario_mod.loads(tiny_text, source="tiny.toml"))


def _error(d: dict) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        scenario_mod.from_dict(d, source="bad.toml")
    assert "\n" not in str(info.value)
    return info.value


def test_the_shift_name_train_is_reserved(tiny_text: str) -> None:
    d = _tiny_dict(tiny_text)
    d["worlds"]["shift"] = {"train": d["worlds"]["shift"]["blue_doors"]}
    err = _error(d)
    assert err.key == "worlds.shift.train" and "other than 'train'" in err.expected


def test_names_with_dots_stay_valid(tiny_text: str) -> None:
    d = _tiny_dict(tiny_text)
    d["worlds"]["shift"] = {"q0.5": d["worlds"]["shift"]["blue_doors"]}
    d["scenario"]["name"] = "tiny.v2"
    s = scenario_mod.from_dict(d, source="tiny.toml")
    assert list(s.worlds.shift) == ["q0.5"] and s.name == "tiny.v2"


@pytest.mark.parametrize("bad", ["", "a\x00b", "a\nb", "a\x1b[2J", "a\u202eb", "a\ufeffb", "a\x7f"])
@pytest.mark.parametrize("where", ["scenario.name", "feature", "shift"])
def test_names_without_control_characters(tiny_text: str, where: str, bad: str) -> None:
    d = _tiny_dict(tiny_text)
    if where == "scenario.name":
        d["scenario"]["name"], key = bad, "scenario.name"
    elif where == "feature":
        d["scenario"]["features"][1], key = bad, "scenario.features[1]"  # "blue"
        d["worlds"]["train"]["objects"][1]["features"] = {"gem": 1.0}
        d["worlds"]["shift"]["blue_doors"]["objects"][0]["features"] = {"door": 1.0}
    else:
        d["worlds"]["shift"] = {bad: d["worlds"]["shift"]["blue_doors"]}
        key = names.terminal(f"worlds.shift.{bad}")
    err = _error(d)
    assert err.key == key
    assert not names.has_control(str(err))  # one line, nothing that acts on a terminal


def test_a_scenario_name_that_makes_no_file_name_is_a_scenario_error(tiny_text: str) -> None:
    d = _tiny_dict(tiny_text)
    d["scenario"]["name"] = "x" * 500
    err = _error(d)
    assert err.key == "scenario.name" and "makes a file name" in err.expected


def test_a_description_may_hold_newlines_and_tabs_only(tiny_text: str) -> None:
    d = _tiny_dict(tiny_text)
    d["scenario"]["description"] = "one\n\ttwo"
    assert scenario_mod.from_dict(d).scenario.description == "one\n\ttwo"
    for bad in ("nul\x00", "cr\r", "esc\x1b[0m", "bell\x07"):
        d["scenario"]["description"] = bad
        assert _error(d).key == "scenario.description"


def test_unknown_keys_holding_newlines_give_one_escaped_line(tiny_text: str) -> None:
    d = _tiny_dict(tiny_text)
    d["evolution"]["pop\nulation\x1b[31m"] = 3
    err = _error(d)
    assert err.key == "evolution.pop\\nulation\\x1b[31m"


# --------------------------------------------------------------------------------------------------------
# bounds


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**70, 10**30, 10**400, 10**5000],
                         ids=lambda v: f"{'-' if v < 0 else ''}{v.bit_length()}-bits")
def test_integers_beyond_int64_are_scenario_errors(tiny_text: str, value: int) -> None:
    for path in (("evolution", "population"), ("worlds", "train", "size"),
                 ("base_objective", "payoff", "door"), ("evolution", "mutation", "sigma")):
        d = _tiny_dict(tiny_text)
        node = d
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = [value, 6] if path[-1] == "size" else value
        err = _error(d)
        assert "fits in 64 bits" in err.expected, err


def test_an_integer_of_thousands_of_digits_in_toml_is_a_scenario_error(tiny_text: str) -> None:
    with pytest.raises(ScenarioError, match="valid TOML"):
        scenario_mod.loads(_replace(tiny_text, "population = 24", "population = " + "9" * 5000))


@pytest.mark.parametrize(("path", "value"), [
    (("base_objective", "payoff", "door"), 1e7), (("base_objective", "step_cost"), 2e6),
    (("agent", "init_sigma"), 1e300), (("agent", "planning_cost"), 1e9), (("agent", "complexity_cost"), 1e12),
    (("agent", "perception_cost", "door"), 1e100), (("metrics", "reach_threshold"), 1e200),
    (("evolution", "mutation", "sigma"), 1e300), (("evolution", "crossover", "alpha"), 2e6),
])
def test_floats_that_could_overflow_are_refused(tiny_text: str, path: tuple, value: float) -> None:
    d = _tiny_dict(tiny_text)
    node = d
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    err = _error(d)
    assert err.key == ".".join(path) and "magnitude at most 1e6" in err.expected


@pytest.mark.parametrize(("key", "limit"), [("population", "population"), ("generations", "generations"),
                                            ("worlds_per_generation", "worlds_per_generation"),
                                            ("eval_worlds", "eval_worlds"), ("shift_sample", "shift_sample"),
                                            ("checkpoint_every", "checkpoint_every")])
def test_every_count_has_a_documented_bound(tiny_text: str, key: str, limit: str) -> None:
    d = _tiny_dict(tiny_text)
    d["evolution"][key] = schema.LIMITS[limit] + 1
    err = _error(d)
    assert err.key == f"evolution.{key}" and f"LIMITS[{limit!r}]" in err.expected


def test_a_huge_layout_is_refused_before_anything_walks_it(tiny_text: str) -> None:
    import time

    d = _tiny_dict(tiny_text)
    row = "#" + "." * 1498 + "#"
    d["worlds"]["train"]["layout"] = ["#" * 1500, "#S" + "." * 1497 + "#", *[row] * 1497, "#" * 1500]
    started = time.perf_counter()
    err = _error(d)
    assert time.perf_counter() - started < 2.0
    assert err.key == "worlds.train.layout" and "between 3 and 64 rows" in err.expected


def test_tournament_size_is_bounded_whatever_the_population(tiny_text: str) -> None:
    d = _tiny_dict(tiny_text)
    d["evolution"]["population"] = 100_000
    d["evolution"]["lineage"] = "off"
    d["evolution"]["selection"] = {"scheme": "tournament", "size": 50_000}
    err = _error(d)
    assert err.key == "evolution.selection.size" and "operator_count" in err.expected


# --------------------------------------------------------------------------------------------------------
# nesting


@pytest.mark.parametrize("value", ["[" * 100_000 + "]" * 100_000, "{ a = " * 20_000 + "1" + " }" * 20_000,
                                   "[" * 30 + "]" * 30])
def test_deeply_nested_toml_is_a_scenario_error(tiny_text: str, value: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_mod.loads(tiny_text + f"\n[extra]\nx = {value}\n", source="deep.toml")
    assert info.value.key == "" and "valid TOML" in info.value.expected
    assert "nested too deeply" in str(info.value)


def test_from_dict_refuses_deep_and_cyclic_tables(tiny_text: str) -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    d = _tiny_dict(tiny_text)
    d["evolution"]["population"] = deep
    assert "nested too deeply" in str(_error(d))
    cyclic: dict = {}
    cyclic["again"] = cyclic
    d = _tiny_dict(tiny_text)
    d["metrics"] = cyclic
    assert "nested too deeply" in str(_error(d))


# --------------------------------------------------------------------------------------------------------
# memory


def _red_door(**evolution: Any) -> dict:
    d = writer.to_dict(scenario_mod.load(SCENARIOS[0].parent / "red_door.toml"))
    d["evolution"].update(evolution)
    return d


def test_a_population_of_100_000_stays_valid() -> None:
    s = scenario_mod.from_dict(_red_door(population=100_000))
    assert scenario_mod.peak_memory(scenario_mod.memory_estimate(s)) <= schema.LIMITS["memory_bytes"]


def test_a_run_that_needs_more_memory_than_the_cap_is_refused_with_the_keys_to_lower() -> None:
    err = _error(_red_door(population=1_000_000, lineage="off"))
    assert err.key == "evolution.population"
    assert "GiB" in err.expected and "evolution.eval_worlds" in err.expected
    assert str(err.got).startswith("about ") and str(err.got).endswith(" GiB")
    err = _error(_red_door(population=10_000, lineage="full", generations=100_000))
    assert err.key == "evolution.lineage"


def test_the_memory_estimate_grows_with_what_a_run_allocates() -> None:
    def peak(**evolution: Any) -> int:
        return scenario_mod.peak_memory(scenario_mod.memory_estimate(scenario_mod.from_dict(
            _red_door(**evolution))))

    assert peak(population=2000) > peak(population=1000)
    assert peak(eval_worlds=128) > peak(eval_worlds=64)
    assert peak(generations=10_000) > peak(generations=100)
    assert peak(lineage="full") > peak(lineage="pruned") > peak(lineage="off")
