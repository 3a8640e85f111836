"""Tests of the multi-seed analyses (evo.sweeps.studies, evo.plots.analysis, `evo analyze`)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from evo import cli
from evo.core.problem import Problem
from evo.plots import analysis as analysis_plots
from evo.runs import scenarios as scenario_mod
from evo.sweeps import runner, spec
from evo.sweeps import studies as analyses

ROOT = Path(__file__).resolve().parents[2]

# red_door's features are (red, blue, door, gem)
GO_TO_RED = [1.0, -1.0, 0.0, 0.0]
GO_TO_DOOR = [0.0, 0.0, 1.0, 0.0]
GO_NOWHERE = [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_genomes_prefer_what_they_were_given(seed: int) -> None:
    """A planted "go to red" agent goes to the red decoy first in every unambiguous shift episode, a planted
    "go to the door" agent in none, and an agent that wants nothing reaches nothing."""
    s = scenario_mod.load(ROOT / "scenarios" / "red_door.toml")
    problem = Problem.from_scenario(s)
    genomes = np.array([GO_TO_RED, GO_TO_DOOR, GO_NOWHERE])
    out = analyses.preference(problem, genomes, s.worlds.shift["blue_doors"], worlds=64, seed=seed)
    assert out["proxy_preference"][0] == 1.0
    assert out["proxy_preference"][1] == 0.0
    assert math.isnan(out["proxy_preference"][2]) and out["none"][2] == 1.0
    # ambiguity is the exception, not the rule: a path crossing an object of the other kind on its way
    assert (out["ambiguous"][:2] < 0.4).all()
    for i in range(3):  # the shares of all episodes add up
        total = sum(out[k][i] for k in analyses.FIRST_KINDS) + out["ambiguous"][i]
        assert total == pytest.approx(1.0)
    # the door seeker's fitness is the base objective's, the red seeker's collapses
    assert out["fitness"][1] > 0.7 and out["fitness"][0] < 0.1


def test_first_choice_marks_an_object_on_the_way_to_another_kind_as_ambiguous() -> None:
    t1 = 10
    # one agent, two worlds, objects (door, gem): world 0: gem at step 2 on the shortest route to the door
    # (distance 5, reached at 5); world 1: gem at step 2, door reached at 7 although 5 away (a detour)
    t_first = np.array([[[5, 2], [7, 2]]])
    dist = np.array([[5, 2], [5, 2]])
    kinds = np.array([[0, 1], [0, 1]])
    first, step, ambiguous = analyses.first_choice(t_first, dist, kinds, t1)
    assert first.tolist() == [[1, 1]] and step.tolist() == [[2, 2]]
    assert ambiguous.tolist() == [[True, False]]
    # same kind on the way is no ambiguity (a red seeker collecting two red gems)
    first, _, ambiguous = analyses.first_choice(t_first, dist, np.array([[1, 1], [1, 1]]), t1)
    assert ambiguous.tolist() == [[False, False]]


def test_decorrelation_reads_the_diversity_of_a_distribution() -> None:
    red_door = scenario_mod.load(ROOT / "scenarios" / "red_door.toml")
    diverse = scenario_mod.load(ROOT / "scenarios" / "red_door_diverse.toml")
    assert analyses.decorrelation(red_door.worlds.train, red_door) == 0.0
    assert analyses.decoy_rate(red_door.worlds.train, red_door) == 0.0
    assert analyses.decorrelation(red_door.worlds.shift["blue_doors"], red_door) == 1.0
    assert analyses.decoy_rate(red_door.worlds.shift["blue_doors"], red_door) == 1.0
    assert analyses.decorrelation(diverse.worlds.train, diverse) == 0.5
    assert analyses.decoy_rate(diverse.worlds.train, diverse) == 0.0
    dial = spec.load_sweep(ROOT / "scenarios" / "sweeps" / "diversity_dial.toml")
    qs = [analyses.decorrelation(c.scenario.worlds.train, c.scenario) for c in dial.cells]
    decoys = [analyses.decoy_rate(c.scenario.worlds.train, c.scenario) for c in dial.cells]
    assert qs == pytest.approx([0, 0.02, 0.05, 0.1, 0.25, 0.5]) and decoys == pytest.approx(qs)
    assert len(dial.seeds) >= 10
    assert all(c.scenario.worlds.shift == red_door.worlds.shift for c in dial.cells)


DIAL = """
[sweep]
name = "tiny_dial"
base = "tiny.toml"
seeds = 2

[fixed]
"evolution.generations" = 2

[[cells]]
"worlds.train.objects" = [
  { features = { door = 1.0, red = 1.0 }, count = 1 },
  { features = { gem = 1.0, blue = 1.0 }, count = 2 },
]

[[cells]]
"worlds.train.objects" = [
  { variants = [{ p = 0.75, features = ["door", "red"] },
                { p = 0.25, features = ["door", "blue"] }], count = 1 },
  { variants = [{ p = 0.75, features = ["gem", "blue"] },
                { p = 0.25, features = ["gem", "red"] }], count = 2 },
]
"""


@pytest.fixture
def tiny_dial(tmp_path: Path, tiny_text: str) -> Path:
    (tmp_path / "tiny.toml").write_text(tiny_text)
    (tmp_path / "dial.toml").write_text(DIAL)
    out = tmp_path / "out"
    runner.run_sweep(tmp_path / "dial.toml", out, backend="serial")
    return out


def test_analyses_of_a_tiny_sweep_have_the_right_shape(tiny_dial: Path, tmp_path: Path) -> None:
    usage = analyses.Usage("planned runs")
    rows = analyses.diversity_rows(tiny_dial, usage=usage)
    assert len(rows) == 4 and usage.line() == "used 4 of 4 planned runs"
    assert sorted(r["q"] for r in rows) == pytest.approx([0, 0, 0.25, 0.25])
    for r in rows:
        assert 0 <= r["robust_fraction"] <= 1 and 0 <= r["pseudo_fraction"] <= 1
        assert isinstance(r["champion_robust"], bool)
    table = analyses.diversity_table(rows)
    assert [t["q"] for t in table] == pytest.approx([0, 0.25]) and [t["runs"] for t in table] == [2, 2]
    for t in table:
        assert 0 <= t["champion_robust_lo"] <= t["champion_robust_fraction"] <= t["champion_robust_hi"] <= 1

    champs = analyses.preference_rows(tiny_dial, worlds=16)
    assert len(champs) == 4 and all(r["champion"] for r in champs)
    everyone = analyses.preference_rows(tiny_dial, agents="all", worlds=16)
    assert len(everyone) == 4 * 24 and sum(r["champion"] for r in everyone) == 4
    for r in everyone:
        assert math.isnan(r["proxy_preference"]) or 0 <= r["proxy_preference"] <= 1
        total = r["target_first"] + r["proxy_first"] + r["other_first"] + r["none_first"] + r["ambiguous"]
        assert total == pytest.approx(1.0)
    # a fixed seed: the same rows again
    again = analyses.preference_rows(tiny_dial, agents="all", worlds=16)
    assert [r["proxy_preference"] for r in again] == pytest.approx([r["proxy_preference"] for r in everyone],
                                                                   nan_ok=True)
    table_all = analyses.preference_table(everyone)
    assert [t["agents_total"] for t in table_all] == [48, 48]
    for t in table_all:  # every agent is used or counted as left out, and the interval is a fraction's
        assert t["agents"] + t["agents_no_preference"] == t["agents_total"] and t["runs"] <= 2
        lo, hi = t["proxy_preference_lo"], t["proxy_preference_hi"]
        assert math.isnan(lo) or 0 <= lo <= hi <= 1

    fig = analysis_plots.diversity_figure(rows, table)
    assert analysis_plots.save(fig, tmp_path / "d.png").stat().st_size > 0
    fig = analysis_plots.preference_figure(everyone)
    assert analysis_plots.save(fig, tmp_path / "p.png").stat().st_size > 0


def test_cli_analyze_writes_rows_and_figures(tiny_dial: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["analyze", "diversity", str(tiny_dial)]) == 0
    assert "robust champions" in capsys.readouterr().out
    assert cli.main(["analyze", "preference", str(tiny_dial), "--worlds", "8"]) == 0
    assert "proxy preference" in capsys.readouterr().out
    one_run = next((tiny_dial / "runs").iterdir()) / "seed-0"
    assert cli.main(["analyze", "preference", str(one_run), "--agents", "all", "--no-figures"]) == 0
    made = {p.name for p in (tiny_dial / "analysis").iterdir()}
    assert {"diversity.csv", "diversity_runs.csv", "diversity.png", "preference_champion.csv",
            "preference_champion.png"} <= made
    assert (one_run / "analysis" / "preference_all.csv").is_file()
    capsys.readouterr()
    assert cli.main(["analyze", "diversity", str(tiny_dial), "--no-figures", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["analysis"] == "diversity" and data["usage"] == "used 4 of 4 planned runs"
    assert [t["runs"] for t in data["table"]] == [2, 2] and len(data["runs"]) == 4
    assert data["written"] == [str(tiny_dial / "analysis" / "diversity_runs.csv"),
                               str(tiny_dial / "analysis" / "diversity.csv")]


def test_cli_analyze_says_what_it_used_and_which_interval(tiny_dial: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(["analyze", "diversity", str(tiny_dial), "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "used 4 of 4 planned runs" in out
    assert "intervals: robust champions: Wilson score interval of a count (95 %)" in out
    assert "population robust, population pseudo: Student t over seeds (95 %), clipped to [0, 1]" in out
    assert cli.main(["analyze", "preference", str(tiny_dial), "--agents", "all", "--worlds", "8",
                     "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "used 4 of 4 finished runs; 96 agents (all)" in out
    head = next(ln for ln in out.splitlines() if ln.lstrip().startswith("q  agents used"))
    assert head.split()[:4] == ["q", "agents", "used", "runs"]
    rows = [ln.split() for ln in out.splitlines()[out.splitlines().index(head) + 2:][:2]]
    assert [r[4] for r in rows] == ["2", "2"] and all(r[2] == "of" for r in rows)  # "N of M" agents, 2 runs
    assert "the run is the unit" in out


def test_the_preference_table_treats_the_run_as_the_unit() -> None:
    """Two runs: one of 100 agents all at preference 1, one of 2 agents at 0. Pooling agents would give
    0.98 with a narrow interval; the run is the unit, so the mean is 0.5 and the interval [0, 1]; agents
    without a preference are counted, not silently dropped."""
    def row(run: str, pref: float, fit: float) -> dict:
        return {"run": run, "q": 0.0, "proxy_preference": pref, "train_fitness": fit, "ambiguous": 0.0}

    rows = [row("a", 1.0, 0.9 + i * 1e-3) for i in range(100)] + [row("b", 0.0, 0.5), row("b", 0.0, 0.6)]
    rows += [row("b", math.nan, 0.1)]
    (t,) = analyses.preference_table(rows)
    assert (t["agents_total"], t["agents"], t["agents_no_preference"], t["runs"]) == (103, 102, 1, 2)
    assert t["proxy_preference"] == 0.5 and (t["proxy_preference_lo"], t["proxy_preference_hi"]) == (0.0, 1.0)
    assert math.isnan(t["corr_lo"])  # 2 runs: too few for a bootstrap over runs


NO_DIAL = """
[sweep]
name = "no_dial"
base = "tiny.toml"
seeds = 1

[fixed]
"evolution.generations" = 2

[grid]
"evolution.selection.size" = [1, 4]
"""


def test_diversity_and_preference_refuse_a_sweep_that_never_varies_q(tmp_path: Path, tiny_text: str,
                                                                     capsys: pytest.CaptureFixture[str]
                                                                     ) -> None:
    """A sweep over the tournament size: every cell has q = 0. Pooling its cells as one q (as before) would
    compare nothing; both analyses say so in one line."""
    (tmp_path / "tiny.toml").write_text(tiny_text)
    (tmp_path / "no_dial.toml").write_text(NO_DIAL)
    out = tmp_path / "out"
    runner.run_sweep(tmp_path / "no_dial.toml", out, backend="serial")
    for analysis in ("diversity", "preference"):
        capsys.readouterr()
        assert cli.main(["analyze", analysis, str(out), "--no-figures"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "q = 0" in err, err
    capsys.readouterr()
    cli.main(["analyze", "diversity", str(out), "--no-figures"])
    assert "varies evolution.selection.size and every cell has q = 0" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["0", "-1", str(10**9)])
def test_analyze_preference_worlds_out_of_range_is_one_line(tiny_dial: Path, bad: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(["analyze", "preference", str(tiny_dial), "--worlds", bad, "--no-figures"]) == 2
    assert capsys.readouterr().err == (f"evo: error: --worlds: expected an integer in [1, "
                                       f"{analyses.MAX_WORLDS}] (shift worlds per run), got {bad}\n")
    with pytest.raises(analyses.EvoError, match="--worlds"):
        analyses.preference_rows(tiny_dial, worlds=int(bad))


@pytest.mark.slow
def test_a_small_diversity_fraction_makes_champions_robust(tmp_path: Path) -> None:
    """The diversity dial (Shah et al. 2022): in red_door, 5 % of training doors blue and of gems red turns
    pseudo-aligned champions into robust ones. The q = 0 and q = 0.05 cells of the shipped sweep, seeds 0–9
    (about 80 s on 2 cores). Measured: 0/10 robust champions at q = 0 (95 % Wilson interval 0.00–0.28) and
    9/10 at q = 0.05 (0.60–0.98; 10/10 under results format 4). Tolerance: at most 3/10 at q = 0 and at
    least 7/10 at q = 0.05, the threshold tests/claims/test_claims.py uses. The q = 0.05 margin is thin: a
    true rate at the Wilson interval's lower end (0.60) would give fewer than 7/10 in 62 % of draws."""
    dial = spec.load_sweep(ROOT / "scenarios" / "sweeps" / "diversity_dial.toml")
    keep = [c for c in dial.cells
            if analyses.decorrelation(c.scenario.worlds.train, c.scenario) in (0.0, pytest.approx(0.05))]
    assert len(keep) == 2
    small = spec.Sweep(name=dial.name, description=dial.description, source=dial.source, base=dial.base,
                        keys=dial.keys, fixed=dial.fixed, cells=tuple(keep), seeds=tuple(range(10)),
                        labels=dial.labels)
    out = tmp_path / "dial"
    runner.run_sweep(small, out, backend="processes", workers=2)
    table = {round(t["q"], 2): t for t in analyses.diversity_table(analyses.diversity_rows(out))}
    assert table[0.0]["runs"] == 10 and table[0.05]["runs"] == 10
    assert table[0.0]["champions_robust"] <= 3
    assert table[0.05]["champions_robust"] >= 7
    # and the population follows: most of it robust with diversity, almost none without
    assert table[0.0]["robust_fraction"] < 0.2 < 0.6 < table[0.05]["robust_fraction"]
