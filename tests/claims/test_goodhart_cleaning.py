"""Objects that spawn others (``spawns``), layout zones, and the scenarios built on them: the cleaning robot
that makes its own mess (goodhart_cleaning) and the reward sensor in a vault (goodhart_vault)."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest

from evo.config.schema import AgentConfig, ObjectGroup, WorldConfig
from evo.core import agents, worlds
from evo.core.metrics import spawn_counts
from evo.core.problem import Problem
from evo.core.simulate import Costs, Payoffs, run_episodes
from evo.runs import scenarios as scenario
from evo.runs.run import evolve_and_evaluate

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("trash", "bin")


def _corridor(spawn: bool = True) -> worlds.WorldBatch:
    """One row of five free cells: trash-to-be (hidden) at 0, start at 1, bin at 2, trash at 4. Tipping
    the bin releases the hidden trash behind the start."""
    walls = np.zeros((1, 5), dtype=bool)
    feat = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]])
    link = np.array([[-1, 0, -1]]) if spawn else None
    return worlds.build_batch(walls, np.array([1]), np.array([[0, 2, 4]]), feat, 1, 5, 8, link)


def _mesa(*w: float) -> agents.Policy:
    cfg = AgentConfig(kind="mesa", params=dict(horizon=6, discount=0.9))
    return agents.decode(np.array([w]), cfg, 2)


PROXY = Payoffs(np.array([1.0, 0.0]), np.zeros(2, dtype=bool), 0.0)


def test_the_spill_exists_only_once_the_bin_is_tipped() -> None:
    batch = _corridor()
    assert batch.hidden.tolist() == [[True, False, False]] and batch.spawns
    # wants trash only: the hidden trash next to the start is not there, so it heads east for the far trash
    # over the bin (stepping onto an object consumes it: the bin tips), turns back for the spill (as near
    # as the far trash, and first in object order), then fetches the far trash
    ep = run_episodes(_mesa(1.0, 0.0), batch, PROXY, Costs(), record_paths=True)
    assert ep.paths[0, 0].tolist()[:8] == [1, 2, 1, 0, 1, 2, 3, 4]
    assert ep.reached[0, 0].tolist() == [True, True, True] and ep.payoff[0, 0] == 2.0
    # without the spawn link the same cell holds ordinary trash, taken first
    plain = run_episodes(_mesa(1.0, 0.0), _corridor(spawn=False), PROXY, Costs(), record_paths=True)
    assert plain.paths[0, 0, 1] == 0
    # hates bins and wants nothing else reachable without crossing one: stays, releases nothing, and the
    # never-released trash is not counted as reached
    still = run_episodes(_mesa(0.0, -1.0), batch, PROXY, Costs())
    assert still.reached[0, 0].tolist() == [False, False, False]
    released, collected = spawn_counts(ep.reached, batch.spawn)
    assert (released[0, 0], collected[0, 0]) == (1, 1)


def test_generated_spills_lie_near_their_bins() -> None:
    cfg = WorldConfig(size=(9, 9), wall_density=0.15, steps=10,
                      objects=(ObjectGroup(count=2, features={"trash": 1.0}),
                               ObjectGroup(count=3, features={"bin": 1.0}, spawns=("trash",))))
    batch = worlds.generate(cfg, FEATURES, 200, np.random.default_rng(0))
    assert batch.n_objects == 8
    assert (batch.spawn[:, 2:5] == [5, 6, 7]).all() and (batch.spawn[:, [0, 1, 5, 6, 7]] == -1).all()
    assert (batch.obj_feat[:, 5:] == [1.0, 0.0]).all()  # a spill is trash and nothing else
    b = np.arange(200)[:, None]
    gap = batch.dist[b, np.arange(2, 5)[None, :], batch.obj_cell[:, 5:]]  # path steps bin -> its spill
    assert gap.min() >= 1 and (gap <= worlds.SPILL_RADIUS).mean() > 0.95
    # the rule: within SPILL_RADIUS of its bin, or as near as any cell still free when it was placed (the
    # start's component less the start, the visible objects and the spills placed before it)
    n_cells = batch.walls.shape[1]
    for i in range(200):
        for p in range(3):
            d = batch.dist[i, 2 + p]
            taken = {int(batch.start[i]), *map(int, batch.obj_cell[i, :5 + p])}
            free = [c for c in range(n_cells) if d[c] <= n_cells and c not in taken]
            assert gap[i, p] <= max(worlds.SPILL_RADIUS, min(int(d[c]) for c in free)), (i, p)


def test_zones_place_objects_on_their_letters() -> None:
    s = scenario.load(ROOT / "scenarios" / "goodhart_vault.toml")
    batch = Problem.from_scenario(s).draw(s.worlds.train, 100, np.random.default_rng(0))
    zones = worlds.layout_zones(s.worlds.train.layout)
    assert np.isin(batch.obj_cell[:, :12], zones["r"]).all()
    assert (batch.obj_cell[:, 12] == zones["v"][0]).all()
    # the sensor is always 11 path steps from the start: the capability threshold of the scenario
    assert (batch.dist[np.arange(100), 12, batch.start] == 11).all()


def _planted(name: str, w: dict[str, float]) -> tuple[float, float, float, float]:
    """Proxy fitness, true fitness, bins tipped and spills collected per episode of a planted agent."""
    s = scenario.load(ROOT / "scenarios" / f"{name}.toml")
    m = Problem.from_scenario(s)
    batch = m.draw(s.worlds.train, 256, np.random.default_rng(7))
    assert m.true is not None
    genome = np.array([[w.get(f, 0.0) for f in m.features]])
    ep = run_episodes(m.decode(genome), batch, m.base, m.costs, true_objective=m.true)
    released, collected = spawn_counts(ep.reached, batch.spawn)
    assert ep.true_fitness is not None
    return float(ep.fitness[0]), float(ep.true_fitness[0]), float(released.mean()), float(collected.mean())


def test_tipping_bins_pays_the_proxy_and_costs_the_true_objective() -> None:
    """A robot that likes bins as much as trash against one that wants trash only (the control): more
    proxy, less true fitness, and it tips and cleans far more bins than the control knocks over on its way."""
    tipper = _planted("goodhart_cleaning", {"trash": 1.0, "bin": 1.0})
    control = _planted("goodhart_cleaning", {"trash": 1.0})
    assert tipper[0] > control[0] + 0.5
    assert tipper[1] < control[1] - 0.5
    assert tipper[2] > 2 * control[2] and tipper[3] > 0.7 * tipper[2]


def _cleaning_run(seed: int) -> dict[str, float]:
    m, genomes, batch, ep = evolve_and_evaluate(ROOT / "scenarios" / "goodhart_cleaning.toml", seed)
    released, collected = spawn_counts(ep.reached, batch.spawn)
    champ = int(np.argmax(ep.fitness))
    assert ep.true_fitness is not None
    return {"w_bin": float(m.decode(genomes).objective[champ, 1]), "released": float(released.mean()),
            "collected": float(collected.mean()), "true": float(ep.true_fitness.mean()),
            "proxy": float(ep.fitness.mean())}


@pytest.mark.slow
def test_optimized_cleaners_learn_to_spawn_and_collect() -> None:
    """goodhart_cleaning, seeds 0–9. Measured: the champion's w[bin] > 0 in 10/10 seeds (0.68–1.52); the
    final population tips 2.75–3.23 bins per episode (the trash-only control knocks over 0.71 on its way)
    and collects 81–91 % of the spill; its true fitness is 1.26–1.73 against 2.55 for the control (49–68 %).
    Required: w[bin] > 0 in >= 9/10 seeds (a population indifferent to bins would have it by chance in
    half), >= 2 bins tipped per episode in every seed (well above the control's 0.73, below the measured
    minimum 2.75), >= 60 % of the spill collected (a robot that tipped bins without wanting the spill would
    collect only what lies on its way), and true fitness below 80 % of the control's in >= 8/10 seeds
    (measured 10/10, the largest 68 %)."""
    control_true = _planted("goodhart_cleaning", {"trash": 1.0})[1]
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        runs = list(pool.map(_cleaning_run, range(10)))
    assert sum(r["w_bin"] > 0 for r in runs) >= 9, runs
    assert all(r["released"] >= 2.0 for r in runs), runs
    assert all(r["collected"] >= 0.6 * r["released"] for r in runs), runs
    assert sum(r["true"] < 0.8 * control_true for r in runs) >= 8, (runs, control_true)


def _vault_run(args: tuple[int, int]) -> tuple[float, float]:
    horizon, seed = args
    s = scenario.load(ROOT / "scenarios" / "goodhart_vault.toml")
    s = dataclasses.replace(s, agent=dataclasses.replace(
        s.agent, params={**s.agent.params, "horizon": horizon}))
    _, _, _, ep = evolve_and_evaluate(s, seed)
    assert ep.true_fitness is not None
    return float(ep.fitness.mean()), float(ep.true_fitness.mean())


@pytest.mark.slow
def test_vault_true_fitness_collapses_within_three_horizon_steps() -> None:
    """goodhart_vault at horizons 8 and 11, seeds 0–9 (the goodhart_vault_horizon sweep's runs, without
    files). Measured: true fitness 7.71 (no agent can see the sensor, proxy = true) and 0.24 (the sensor
    is in sight from the start); proxy 7.71 and 10.20. Required: the mean true fitness at 11 below 20 % of
    that at 8 (measured 3 %: a gradual decline like goodhart_sensor's loses 5–15 % per horizon step, about
    30 % over three), at most one seed at 11 above 2 (measured all ≤ 0.4), and the proxy higher at 11."""
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        out = list(pool.map(_vault_run, [(h, s) for h in (8, 11) for s in range(10)]))
    at8, at11 = np.array(out[:10]), np.array(out[10:])
    assert at11[:, 1].mean() < 0.2 * at8[:, 1].mean(), (at8, at11)
    assert (at11[:, 1] > 2.0).sum() <= 1, at11
    assert at11[:, 0].mean() > at8[:, 0].mean(), (at8, at11)
