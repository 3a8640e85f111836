"""Scenarios and sweeps by shipped name from any directory, and overrides (``--set``, ``overrides=``)
validated like the file: the resolved scenario.toml records them, an error names the override, a sweep
applies them to every cell."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

import evo
from evo import cli
from evo.errors import ScenarioError
from evo.runs import scenarios
from evo.sweeps import spec

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--set", "evolution.generations=2", "--set", "evolution.population=12",
         "--set", "evolution.eval_worlds=4", "--set", "evolution.shift_sample=4"]


def test_the_shipped_scenarios_are_the_repository_files() -> None:
    assert scenarios.shipped_dir().resolve() == (ROOT / "scenarios").resolve()
    assert sorted(scenarios.shipped()) == sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    sweeps = (ROOT / "scenarios" / "sweeps").glob("*.toml")
    assert sorted(scenarios.shipped("sweep")) == sorted(p.stem for p in sweeps)


def test_a_name_loads_the_shipped_scenario_from_any_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = evo.load_scenario("red_door")
    assert s == scenarios.load(ROOT / "scenarios" / "red_door.toml") and s.name == "red_door"
    assert s.source == str(ROOT / "scenarios" / "red_door.toml")
    plan = spec.load_sweep("selection_pressure")
    assert plan.name == "selection_pressure"
    assert Path(plan.base).resolve() == ROOT / "scenarios" / "red_door.toml"


def test_a_file_of_that_name_here_wins_and_an_unknown_name_lists_the_shipped(tmp_path: Path, monkeypatch,
                                                                             tiny_text: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "red_door").write_text(tiny_text)
    assert scenarios.load("red_door").name == "tiny"
    with pytest.raises(ScenarioError) as info:
        scenarios.load("red_dor")
    msg = str(info.value)
    assert msg.startswith("red_dor: the file: expected an existing scenario file or the name of a shipped "
                          "scenario (one of goodhart_best_of_n, ") and "red_door, red_door_diverse" in msg
    with pytest.raises(ScenarioError, match="no such file"):
        scenarios.load("elsewhere/red_door.toml")  # a path is a path


def test_overrides_are_validated_and_an_error_names_the_override(tmp_path: Path, tiny_text: str) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_text)
    s = scenarios.load(path, {"evolution.population": 50, "evolution.selection.size": 5})
    assert s.evolution.population == 50 and dict(s.evolution.selection.params)["size"] == 5
    assert s.evolution.selection.scheme == "tournament"  # a table the file leaves out: its defaults
    assert s.source == (f"{path} (overrides['evolution.population'] = 50, "
                        "overrides['evolution.selection.size'] = 5)")
    with pytest.raises(ScenarioError) as info:
        scenarios.load(path, {"evolution.generations": 3, "evolution.population": 0})
    assert str(info.value) == (f"{path} (overrides['evolution.population'] = 0): key 'evolution.population': "
                               "expected a positive value, got 0")
    with pytest.raises(ScenarioError, match=r"\(overrides\['agent.kind'\] = 'robot'\): key 'agent.kind': "
                                            r"expected a registered agent kind"):
        scenarios.load(path, {"agent.kind": "robot"})  # the package's checks too, not only the types
    bad = tmp_path / "bad.toml"
    bad.write_text(tiny_text.replace("population = 24", "population = -1"))
    with pytest.raises(ScenarioError, match=rf"^{bad}: key 'evolution.population'"):
        scenarios.load(bad, {"evolution.population": 5})  # the file is checked first, as the file


def test_cli_set_is_recorded_in_the_resolved_scenario(tmp_path: Path, tiny_text: str, capsys) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_text)
    out = tmp_path / "run"
    assert cli.main(["run", str(path), "--out", str(out), "--no-figures", "--set", "evolution.generations=2",
                     "--set", "agent.horizon=5", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)  # --json: nothing else on stdout
    assert summary["generations"] == 2
    resolved = tomllib.loads((out / "scenario.toml").read_text())
    assert resolved["evolution"]["generations"] == 2 and resolved["agent"]["horizon"] == 5
    meta = json.loads((out / "meta.json").read_text())
    assert meta["scenario_source"] == f"{path} (--set evolution.generations=2, --set agent.horizon=5)"
    # the same run through the Python API: the same numbers
    again = evo.run(path, seed=0, out=tmp_path / "api", figures=False,
                    overrides={"evolution.generations": 2, "agent.horizon": 5})
    assert {k: v for k, v in again.summary.items() if k != "wall_time_s"} == \
        {k: v for k, v in summary.items() if k != "wall_time_s"}
    ev = evo.evolve(path, seed=0, overrides={"evolution.generations": 2, "agent.horizon": 5})
    assert ev.train_fitness == summary["train"]["base_fitness"]["mean"]


@pytest.mark.parametrize(("option", "fragment"), [
    ("evolution.population=0", "(--set evolution.population=0): key 'evolution.population': expected a "
                               "positive value, got 0"),
    ("evolution.bogus=1", "(--set evolution.bogus=1): key 'evolution.bogus': expected one of the keys"),
    ("evolution.population.x=1", "(--set evolution.population.x=1): key 'evolution.population.x': "
                                 "expected a key inside a table, but 'evolution.population' is a value"),
    ("evolution.population=[1,", "--set evolution.population=[1,: key 'evolution.population': expected a "
                                 "TOML value"),
    ("population=5", "--set population=5: key 'population': expected a dotted key"),
])
def test_cli_set_errors_are_one_line_and_write_nothing(tmp_path: Path, tiny_text: str, monkeypatch, capsys,
                                                       option: str, fragment: str) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_text)
    assert cli.main(["run", str(path), "--set", option]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err, err
    assert not (tmp_path / "results").exists()


def test_evo_run_name_writes_results_here(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "red_door", "--seed", "4", "--no-figures", *SMALL]) == 0
    summary = json.loads((tmp_path / "results/red_door/seed-4/summary.json").read_text())
    assert (summary["generations"], summary["population"], summary["seed"]) == (2, 12, 4)
    assert "results/red_door/seed-4" in capsys.readouterr().out
    result = evo.run("red_door", seed=5, figures=False, overrides={"evolution.generations": 2,
                                                                   "evolution.population": 12})
    assert result.path == Path("results/red_door/seed-5") and result.summary["population"] == 12


def test_sweep_set_applies_to_every_cell_and_may_not_set_a_swept_key(tmp_path: Path, tiny_text: str,
                                                                     capsys) -> None:
    (tmp_path / "tiny.toml").write_text(tiny_text)
    path = tmp_path / "s.toml"
    path.write_text('[sweep]\nname = "s"\nbase = "tiny.toml"\nseeds = 1\n'
                    '[fixed]\n"evolution.generations" = 2\n[grid]\n"evolution.selection.size" = [2, 3]\n')
    plan = spec.load_sweep(path, {"evolution.generations": 3, "evolution.population": 10})
    assert [c.scenario.evolution.generations for c in plan.cells] == [3, 3]  # after [fixed]
    assert [c.scenario.evolution.population for c in plan.cells] == [10, 10]
    assert [dict(c.scenario.evolution.selection.params)["size"] for c in plan.cells] == [2, 3]
    with pytest.raises(ScenarioError, match=r"\(overrides\['evolution.selection'\] = .*\): key "
                                            r"'evolution.selection': expected a key the sweep does not vary"):
        spec.load_sweep(path, {"evolution.selection": {"scheme": "tournament", "size": 4}})
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--out", str(out), "--backend", "serial", "--no-figures",
                     "--set", "evolution.population=10", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["done"] == 2 and printed["report"]["runs"]["done"] == 2
    for run in (out / "runs").glob("*/seed-0"):
        assert tomllib.loads((run / "scenario.toml").read_text())["evolution"]["population"] == 10
    record = tomllib.loads((out / "sweep.toml").read_text())["sweep"]
    assert record["set"] == ["--set evolution.population=10"]
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "o2"),
                     "--set", "evolution.population=0"]) == 2
    err = capsys.readouterr().err
    assert f"{path} (--set evolution.population=0): key 'evolution.population': expected a positive value" \
        in err and err.count("\n") == 1
