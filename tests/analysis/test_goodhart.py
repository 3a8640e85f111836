"""The true objective (docs/concepts.md §1, Goodhart), the goodhart scenarios, and evo.analysis.goodhart's KL
and fit."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from evo import api
from evo.analysis import goodhart
from evo.config import schema, writer
from evo.config.schema import AgentConfig, ObjectGroup, WorldConfig
from evo.core import agents, worlds
from evo.core.simulate import Costs, Payoffs, run_episodes
from evo.errors import ScenarioError
from evo.runs import run as experiment
from evo.runs import scenarios as scenario

ROOT = Path(__file__).resolve().parents[2]
GOODHART = sorted((ROOT / "scenarios").glob("goodhart_*.toml"))


def _batch(seed: int = 0) -> worlds.WorldBatch:
    cfg = WorldConfig(size=(9, 9), wall_density=0.1, steps=20,
                      objects=(ObjectGroup(count=4, features={"fruit": 1.0}),
                               ObjectGroup(count=1, features={"sensor": 1.0})))
    return worlds.generate(cfg, ("fruit", "sensor"), 6, np.random.default_rng(seed))


def _policy(n: int = 12) -> agents.Policy:
    cfg = AgentConfig(kind="mesa", params=dict(horizon=8))
    return agents.decode(agents.initial_genomes(cfg, 2, n, np.random.default_rng(1)), cfg, 2)


def test_true_objective_equal_to_base_gives_base_payoff() -> None:
    base = Payoffs(np.array([1.0, 5.0]), np.array([False, True]), 0.01)
    ep = run_episodes(_policy(), _batch(), base, Costs(0.0, None, 0.1), true_objective=base)
    np.testing.assert_array_equal(ep.true_payoff, ep.payoff)
    np.testing.assert_array_equal(ep.true_fitness, ep.fitness)


def test_true_objective_pays_its_own_payoffs_on_the_same_paths() -> None:
    """Sensor worth 5 to the proxy and 0 to the true objective, different step cost: the difference per
    episode is 5·(sensor reached) + (0.03 − 0.01)·steps, and the paths do not change."""
    batch = _batch()
    base = Payoffs(np.array([1.0, 5.0]), np.array([False, True]), 0.01)
    true = Payoffs(np.array([1.0, 0.0]), np.array([False, True]), 0.03)
    with_true = run_episodes(_policy(), batch, base, Costs(), record_paths=True, true_objective=true)
    without = run_episodes(_policy(), batch, base, Costs(), record_paths=True)
    assert without.true_payoff is None and without.true_fitness is None
    np.testing.assert_array_equal(with_true.paths, without.paths)
    np.testing.assert_array_equal(with_true.payoff, without.payoff)
    sensor = with_true.reached_features(batch.obj_feat)[..., 1]
    assert sensor.any()  # the check below means something
    np.testing.assert_allclose(with_true.payoff - with_true.true_payoff,
                               5.0 * sensor + 0.02 * with_true.steps, atol=1e-9)


def test_true_terminal_stops_true_accounting_only() -> None:
    """A true-terminal feature that is not base-terminal: the episode goes on, the true account stops."""
    batch = _batch(3)
    base = Payoffs(np.array([1.0, 1.0]), np.array([False, False]), 0.0)
    true = Payoffs(np.array([1.0, 1.0]), np.array([False, True]), 0.0)
    ep = run_episodes(_policy(), batch, base, Costs(), true_objective=true)
    assert (ep.true_payoff <= ep.payoff).all() and (ep.true_payoff < ep.payoff).any()


def test_true_objective_section_is_validated() -> None:
    text = (ROOT / "scenarios" / "goodhart_sensor.toml").read_text()
    s = scenario.loads(text)
    assert s.true_objective is not None and s.true_objective.payoff == {"fruit": 1.0}
    assert scenario.loads(writer.dumps(s)) == dataclasses.replace(s, source="<string>")
    with pytest.raises(ScenarioError, match=r"true_objective\.payoff\.nail"):
        scenario.loads(text.replace('payoff = { fruit = 1.0 }', 'payoff = { nail = 1.0 }'))
    with pytest.raises(ScenarioError, match="true_objective"):
        scenario.loads(text.replace('[true_objective]', '[true_objective]\nbogus = 1'))
    red = scenario.load(ROOT / "scenarios" / "red_door.toml")
    assert red.true_objective is None and "true_objective" not in writer.dumps(red)


@pytest.mark.parametrize("path", GOODHART, ids=lambda p: p.stem)
def test_goodhart_scenarios_run_and_draw(path: Path, tmp_path: Path) -> None:
    s = scenario.load(path)
    assert path.read_text().startswith("# ") and "Claim" in path.read_text()
    small = dataclasses.replace(s, evolution=dataclasses.replace(s.evolution, generations=2, population=12,
                                                                 worlds_per_generation=3, eval_worlds=4))
    r = api.run(small, seed=0, out=tmp_path / "run")
    assert {"true_mean", "true_best", "true_champion"} <= set(r.log)
    true = r.summary["true"]
    assert true["best"] >= true["mean"] and math.isfinite(true["champion"])
    assert (tmp_path / "run" / "figures" / "fitness.png").stat().st_size > 0


def test_best_of_n_kl() -> None:
    np.testing.assert_allclose(goodhart.best_of_n_kl([1, 2, 4]),
                               [0.0, math.log(2) - 0.5, math.log(4) - 0.75])
    n = np.arange(1, 200)
    kl = goodhart.best_of_n_kl(n)
    assert (np.diff(kl) > 0).all() and (kl <= np.log(n)).all()
    with pytest.raises(ValueError):
        goodhart.best_of_n_kl(0.5)


def test_gao_fit_recovers_synthetic_parameters() -> None:
    rng = np.random.default_rng(0)
    d = np.repeat(np.sqrt(goodhart.best_of_n_kl(2.0 ** np.arange(8))), 10)
    y = d * (1.5 - 0.8 * d)
    exact = goodhart.fit_gao(d, y)
    assert exact.alpha == pytest.approx(1.5) and exact.beta == pytest.approx(0.8)
    assert exact.r2 == pytest.approx(1.0) and exact.peak_d == pytest.approx(1.5 / 1.6)
    noisy = goodhart.fit_gao(d, y + rng.normal(0, 0.05, d.shape))
    assert noisy.alpha == pytest.approx(1.5, abs=0.15) and noisy.beta == pytest.approx(0.8, abs=0.1)
    assert 0.5 < noisy.r2 < 1.0


def test_phase_transition() -> None:
    x = [1, 2, 4, 6, 8, 10]
    t = goodhart.phase_transition(x, [0.0, 1.0, 2.0, 1.8, 0.5, 0.4])
    assert (t.threshold, t.peak, t.drop_at) == (4.0, 2.0, 8.0)
    assert t.drop == pytest.approx(1.3) and t.steepness == pytest.approx(0.65)
    assert t.lost == pytest.approx(0.8)
    assert t.width == 4.0  # 90 % of the fall from 2.0 to 0.4 is reached at x = 8, 4 after the peak
    with pytest.raises(ValueError):
        goodhart.phase_transition([2, 1], [0.0, 1.0])


@pytest.mark.parametrize(("true_mean", "phrase"), [
    ([1.0, 0.8, 0.5], "true fitness never rose above its value at horizon 2, so there is no gain to lose"),
    ([1.0, 1.0, 1.0], "no gain to lose"),
    ([0.0, 1.0, 0.996], "0.4% of the gain lost by horizon 8"),
    ([0.0, 1.0, 1.0], "none of the gain lost by horizon 8"),
    ([0.0, 1.0, -0.5], "by horizon 8 true fitness is below its value at horizon 2"),
])
def test_horizon_report_puts_the_lost_gain_in_words(true_mean: list[float], phrase: str) -> None:
    """`evo analyze horizon` printed "nan % of the gain lost" when true fitness peaked at the first horizon
    (no gain); and a small loss must not round to 0 %."""
    from evo.plots import goodhart as goodhart_plots

    x = np.array([2.0, 4.0, 8.0])
    nums = {"name": "h", "horizon": x, "proxy_mean": np.array([0.1, 0.2, 0.3]),
            "true_mean": np.array(true_mean),
            "true": {float(h): [t] for h, t in zip(x, true_mean, strict=True)},
            "transition": goodhart.phase_transition(x, true_mean),
            "usage": {"planned": 4, "used": 3, "no_value": 0, "pending": 1, "failed": 0}}
    report = goodhart_plots.horizon_report(nums)
    text = "\n".join([report["title"], *report["notes"]])
    assert phrase in text and "nan" not in text.lower()
    assert "used 3 of 4 planned runs; left out: 1 pending" in report["title"]
    assert [r["horizon"] for r in report["rows"]] == [2.0, 4.0, 8.0]
    assert [r["true_mean"] for r in report["rows"]] == true_mean


@pytest.mark.slow
def test_true_fitness_rises_then_falls_with_horizon() -> None:
    """goodhart_sensor over 10 seeds at horizons 2, 6 and 16 (the runs of the goodhart_horizon sweep, seeds
    0-9, recomputed without writing files): proxy fitness rises throughout; true fitness rises from 2 to 6
    and falls from 6 to 16. Tolerance: the sweep measured true means 0.40, 2.54 and 0.98 with seed standard
    deviations ≤ 0.45, so a difference of two 10-seed means has a standard error ≤ 0.2; we ask for 0.5
    (≈ 2.5 standard errors, well inside the measured 2.14 rise and 1.56 fall), robust to small changes in
    numerics while still failing if the rise or the fall disappears. About 60 s of CPU on one core."""
    s = scenario.load(ROOT / "scenarios" / "goodhart_sensor.toml")
    means: dict[int, tuple[float, float]] = {}
    for h in (2, 6, 16):
        sh = dataclasses.replace(s, agent=dataclasses.replace(
            s.agent, params={**s.agent.params, "horizon": h}))
        proxy, true = [], []
        for seed in range(10):
            p, t = _quiet_run(sh, seed)
            proxy.append(p)
            true.append(t)
        means[h] = (float(np.mean(proxy)), float(np.mean(true)))
    assert means[2][0] < means[6][0] < means[16][0]
    assert means[6][1] - means[2][1] > 0.5
    assert means[6][1] - means[16][1] > 0.5


@pytest.mark.slow
def test_best_of_n_proxy_rises_and_true_fitness_rises_with_the_first_selection() -> None:
    """goodhart_best_of_n at n = 1, 2 and 8 over seeds 0–9 (the goodhart_best_of_n sweep's runs, without
    files). Measured (results format 5): true 1.78, 2.88, 2.29 (seed standard deviations 0.17, 1.14, 0.44);
    proxy 3.86, 5.70, 8.38. Required: the proxy rises with n, and true fitness rises by more than 0.6 from
    n = 1 to 2 (measured 1.10; standard error 0.37). The fall from n = 2 to 8 is not required: it measured
    0.59 ± 0.39 here (format 4: 1.45) and −0.50 ± 1.06 on held-out seeds 3000–3009, so 10 seeds do not
    establish it (README, goodhart_best_of_n). About 15 s."""
    s = scenario.load(ROOT / "scenarios" / "goodhart_best_of_n.toml")
    means = {}
    for n in (1, 2, 8):
        sel = dataclasses.replace(s.evolution.selection, params=(("fraction", 1.0 / n),))
        sn = dataclasses.replace(s, evolution=dataclasses.replace(s.evolution, selection=sel))
        runs = np.array([_quiet_run(sn, seed) for seed in range(10)])
        means[n] = runs.mean(axis=0)
    assert means[1][0] < means[2][0] < means[8][0], means
    assert means[2][1] - means[1][1] > 0.6, means


def test_evolve_and_evaluate_gives_the_numbers_of_a_run(tmp_path: Path) -> None:
    """The slow tests' file-free runs measure what `evo run` writes in summary.json, bit for bit."""
    s = scenario.load(ROOT / "scenarios" / "goodhart_vault.toml")
    s = dataclasses.replace(s, evolution=dataclasses.replace(s.evolution, generations=3, population=20))
    summary = api.run(s, seed=4, out=tmp_path / "run").summary
    _, genomes, _, ep = experiment.evolve_and_evaluate(s, 4)
    assert ep.true_fitness is not None and genomes.shape[0] == 20
    assert summary["train"]["base_fitness"]["mean"] == float(ep.fitness.mean())
    assert summary["true"]["mean"] == float(ep.true_fitness.mean())


def _quiet_run(s: schema.Scenario, seed: int) -> tuple[float, float]:
    """Final-population proxy and true fitness in the run's final worlds, without writing a run directory."""
    _, _, _, ep = experiment.evolve_and_evaluate(s, seed)
    assert ep.true_fitness is not None
    return float(ep.fitness.mean()), float(ep.true_fitness.mean())


def _sweep_then_analyze(tmp_path: Path, capsys: pytest.CaptureFixture[str], base: str, analysis: str,
                        body: str) -> tuple[Path, str]:
    """Run a small serial sweep of scenarios/BASE.toml (``body``: the sweep file after its [sweep] name and
    base), then ``evo analyze ANALYSIS`` on it; returns the sweep directory and what the command printed."""
    from evo import cli
    from evo.sweeps import runner

    path = tmp_path / "small_sweep.toml"
    base_path = (ROOT / "scenarios" / f"{base}.toml").as_posix()
    path.write_text(f'[sweep]\nname = "small"\nbase = "{base_path}"\n{body}', encoding="utf-8")
    out = tmp_path / "sweep"
    assert not runner.run_sweep(path, out, backend="serial").failed
    capsys.readouterr()
    assert cli.main(["analyze", analysis, str(out)]) == 0
    return out, capsys.readouterr().out


def test_analyze_horizon_draws_the_transition_from_a_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    """`evo analyze horizon` on a small goodhart_vault sweep (horizons 4 and 12, two seeds, 3 generations):
    a table per horizon, the threshold line, a CSV and a figure; past the sensor's distance (11) the proxy
    is up and the true objective down."""
    from evo import cli

    out, printed = _sweep_then_analyze(tmp_path, capsys, "goodhart_vault", "horizon",
                                       'seeds = 2\n[fixed]\n"evolution.generations" = 3\n'
                                       '"evolution.population" = 20\n"evolution.eval_worlds" = 8\n'
                                       '[grid]\n"agent.horizon" = [4, 12]\n')
    assert "threshold (peak of true fitness): horizon 4" in printed
    with (out / "analysis" / "goodhart_horizon.csv").open(encoding="utf-8") as fh:
        rows = {round(float(r["horizon"])): r for r in csv.DictReader(fh)}
    assert float(rows[12]["proxy_mean"]) > float(rows[4]["proxy_mean"])
    assert float(rows[12]["true_mean"]) < float(rows[4]["true_mean"])
    assert (out / "analysis" / "goodhart_horizon.png").stat().st_size > 10_000
    # the other analysis on this sweep: one clear message naming what it needs, exit 2
    capsys.readouterr()
    assert cli.main(["analyze", "best-of-n", str(out)]) == 2
    assert "needs a sweep over 'evolution.selection.fraction'; this one varies agent.horizon" in \
        capsys.readouterr().err


def test_analyze_best_of_n_fits_gao_on_a_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`evo analyze best-of-n` on a small goodhart_best_of_n sweep (n = 1, 2, 8; 3 seeds; 64 agents): one
    row per n with d = sqrt(KL), both fits printed, a CSV and a figure."""
    out, printed = _sweep_then_analyze(tmp_path, capsys, "goodhart_best_of_n", "best-of-n",
                                       'seeds = 3\n[fixed]\n"evolution.population" = 64\n'
                                       '"evolution.eval_worlds" = 8\n'
                                       '[grid]\n"evolution.selection.fraction" = [1.0, 0.5, 0.125]\n')
    assert "on all seeds: α = " in printed and "on cell means: α = " in printed
    with (out / "analysis" / "goodhart_best_of_n.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["n"]) for r in rows] == [1.0, 2.0, 8.0]
    np.testing.assert_allclose([float(r["d"]) for r in rows], np.sqrt(goodhart.best_of_n_kl([1, 2, 8])))
    assert (out / "analysis" / "goodhart_best_of_n.png").stat().st_size > 10_000
