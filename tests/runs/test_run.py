"""`evo run` end to end on a tiny scenario: files, determinism, refusal to overwrite, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import evo
from evo import cli
from evo.api import RunResult
from evo.plots.run import FIGURES
from evo.runs.run import RUN_FILES


@pytest.fixture
def tiny_file(tmp_path: Path, tiny_text: str) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_text)
    return path


def _run(tiny_file: Path, out: Path, seed: int = 1, *extra: str) -> int:
    return cli.main(["run", str(tiny_file), "--seed", str(seed), "--out", str(out), "--quiet", *extra])


def test_run_writes_every_result_file_and_figure(tiny_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out) == 0
    for name in RUN_FILES:
        assert (out / name).is_file(), name
    for name in set(FIGURES) - {"horizon.png"}:  # horizon.png is for hybrid agents only
        assert (out / "figures" / name).stat().st_size > 10_000, name
    assert not (out / "figures" / "horizon.png").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) >= {"scenario", "seed", "generations", "train", "shift", "behaviour_classes",
                            "champion",
                            "wall_time_s"}
    assert set(summary["train"]["base_fitness"]) == {"mean", "best"}
    assert set(summary["shift"]["blue_doors"]["base_fitness"]) == {"mean", "best"}
    assert {"robust", "pseudo", "misaligned", "non-optimizer"} <= set(summary["behaviour_classes"])
    assert abs(sum(summary["behaviour_classes"].values()) - 1.0) < 1e-9
    champ = summary["champion"]
    assert set(champ["objective"]) == {"red", "blue", "door", "gem"}
    assert champ["genome_layout"] == {"w": [0, 4]}
    assert set(champ["shift_fitness"]) == {"blue_doors"}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "done" and meta["seed"] == 1
    # the log has one row per generation and no temporary files are left behind
    assert len((out / "log.csv").read_text().splitlines()) == 1 + 6
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    pop = np.load(out / "final_population.npz", allow_pickle=False)
    assert pop["genomes"].shape == (24, 4) and pop["behaviour_classes"].shape == (24,)
    assert "train fitness" in capsys.readouterr().out


def test_same_seed_same_bytes_different_seed_differs(tiny_file: Path, tmp_path: Path) -> None:
    outs = [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    for out, seed in zip(outs, (5, 5, 6), strict=True):
        assert _run(tiny_file, out, seed, "--no-figures") == 0

    def summary(out: Path) -> dict:
        d = json.loads((out / "summary.json").read_text())
        d.pop("wall_time_s")
        return d

    assert (outs[0] / "log.csv").read_bytes() == (outs[1] / "log.csv").read_bytes()
    assert summary(outs[0]) == summary(outs[1])
    a = dict(np.load(outs[0] / "final_population.npz"))
    b = dict(np.load(outs[1] / "final_population.npz"))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert (outs[0] / "log.csv").read_bytes() != (outs[2] / "log.csv").read_bytes()


def test_refuses_to_overwrite_a_finished_run(tiny_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out, 1, "--no-figures") == 0
    assert _run(tiny_file, out, 1, "--no-figures") == 2
    assert "--force" in capsys.readouterr().err
    assert _run(tiny_file, out, 1, "--no-figures", "--force") == 0


@pytest.mark.parametrize(("edit", "key"), [
    (lambda t: t.replace("population = 24", "population = -1"), "evolution.population"),
    (lambda t: t.replace("population = 24", "population = 24\nbogus = 1"), "evolution.bogus"),
    (lambda t: t.replace("steps = 15", 'steps = "fifteen"'), "worlds.train.steps"),
    (lambda t: t.replace("size = [6, 6]", 'layout = ["#####", "#S#.#", "###.#", "#...#", "#####"]'),
     "worlds.train.layout"),
])
def test_bad_scenario_exits_nonzero_with_one_message_and_writes_nothing(
        tmp_path: Path, tiny_text: str, edit, key: str, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(edit(tiny_text))
    assert cli.main(["run", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(bad) in err and f"'{key}'" in err
    assert not (tmp_path / "results").exists()


def test_list_shows_shipped_scenarios(capsys, monkeypatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "red_door " in out and "red_door_diverse" in out and "Exits are always red" in out


def test_python_api_returns_what_the_cli_writes(tiny_file: Path, tmp_path: Path) -> None:
    result = evo.run(tiny_file, seed=2, out=tmp_path / "api", figures=False)
    assert isinstance(result, RunResult)
    assert result.summary["seed"] == 2
    assert len(result.log["gen"]) == 6
    again = RunResult.load(tmp_path / "api")
    assert again.summary == result.summary
    assert result.plot_fitness() is not None


@pytest.mark.parametrize("command", [[], ["run"], ["list"], ["show"], ["lineage"], ["sweep"],
                                     ["sweep-report"], ["probe"], ["analyze"]])
def test_help_works_for_every_command(command: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([*command, "--help"])
    assert info.value.code == 0
    assert "usage: evo" in capsys.readouterr().out
