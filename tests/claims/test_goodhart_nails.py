"""The nail factory (goodhart_nails, goodhart_nails_weight): each proxy, optimized, diverges from true
usefulness. The yardstick is a control agent that wants useful nails only, evaluated in the same worlds."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest

from evo.api import run
from evo.core.problem import Problem
from evo.core.simulate import Payoffs, run_episodes
from evo.runs import scenarios as scenario

ROOT = Path(__file__).resolve().parents[2]
NAILS = ("goodhart_nails", "goodhart_nails_weight")


def _planted(name: str, w: dict[str, float]) -> tuple[float, float, dict[str, float]]:
    """Proxy fitness, true fitness and features reached per episode of one planted mesa-objective."""
    s = scenario.load(ROOT / "scenarios" / f"{name}.toml")
    m = Problem.from_scenario(s)
    worlds = m.draw(s.worlds.train, 256, np.random.default_rng(7))
    t = s.true_objective
    true = Payoffs.from_mapping(m.features, t.payoff, t.terminal, t.step_cost)
    genome = np.array([[w.get(f, 0.0) for f in m.features]])
    ep = run_episodes(m.decode(genome), worlds, m.base, m.costs, true_objective=true)
    reached = ep.reached_features(worlds.obj_feat)[0].mean(0)
    return (float(ep.fitness[0]), float(ep.true_fitness[0]),
            dict(zip(m.features, reached.tolist(), strict=True)))


@pytest.mark.parametrize("name", NAILS)
def test_each_proxy_rewards_the_wrong_harvest(name: str) -> None:
    useful = _planted(name, {"useful": 0.01})
    grabber = _planted(name, {"item": 1.0} if name == "goodhart_nails" else {"lump": 1.0, "item": 0.1})
    assert grabber[0] > useful[0]  # the proxy prefers the wrong harvest …
    assert grabber[1] < useful[1]  # … which is worth less to the designers
    if name == "goodhart_nails":
        assert grabber[2]["tiny"] > grabber[2]["useful"]  # counting items: mostly worthless tacks
    else:
        assert grabber[2]["lump"] > 1.5  # weighing: the two lumps first


def _true_mean(args: tuple[str, int, str]) -> float:
    name, seed, out = args
    return run(ROOT / "scenarios" / f"{name}.toml", seed=seed, out=Path(out) / f"{name}-{seed}",
               figures=False).summary["true"]["mean"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAILS)
def test_optimized_proxy_diverges_from_true_usefulness(name: str, tmp_path: Path) -> None:
    """Measured (seeds 0–9): final-population true fitness 1.32–1.80 (count) and 1.39–2.11 (weight) against
    2.72 for the control that wants useful nails. We require the population below 80 % of the control in at
    least 8 of 10 seeds: the largest seed came to 78 %, and a proxy that stopped diverging (~100 %) fails."""
    _, control_true, _ = _planted(name, {"useful": 0.01})
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        means = list(pool.map(_true_mean, [(name, s, str(tmp_path)) for s in range(10)]))
    assert sum(m < 0.8 * control_true for m in means) >= 8, (means, control_true)
