"""The flagship claims over many seeds (slow: about a minute per scenario on 2 cores).

Deterministic: fixed seeds 0–9, so these tests either always pass or always fail for a given code version.
The tolerances guard the claim, not one run: measured (README) 10/10 seeds' champions pseudo-aligned in
red_door and 10/10 robust in red_door_diverse. We require a clear majority, 7/10: if the true rate were as
low as 0.5, seeing >= 7 of 10 would happen only 17 % of the time, and a regression that halves the effect
fails here.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from evo.api import run

ROOT = Path(__file__).resolve().parents[2]
SEEDS = range(10)


def _summary(args: tuple[str, int, str]) -> dict:
    scenario, seed, out = args
    return run(ROOT / scenario, seed=seed, out=Path(out) / f"seed-{seed}", figures=False).summary


def _summaries(scenario: str, tmp_path: Path) -> list[dict]:
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        return list(pool.map(_summary, [(scenario, s, str(tmp_path)) for s in SEEDS]))


@pytest.mark.slow
def test_red_door_champions_go_to_red_and_collapse_under_shift(tmp_path: Path) -> None:
    summaries = _summaries("scenarios/red_door.toml", tmp_path)
    collapsed = 0
    for s in summaries:
        # training succeeds: the population reaches the door (payoff 1 − step costs ≈ 0.95 at best)
        assert s["train"]["base_fitness"]["mean"] > 0.8, s["seed"]
        champ = s["champion"]
        reached = champ["reached_per_episode"]["blue_doors"]
        went_to_red = reached["red"] >= 1.0 and reached["red"] > reached["door"]
        if champ["shift_fitness"]["blue_doors"] < 0.5 * champ["train_fitness"] and went_to_red:
            collapsed += 1
    assert collapsed >= 7, f"only {collapsed}/10 champions went to red and collapsed"


@pytest.mark.slow
def test_red_door_diverse_ends_robust(tmp_path: Path) -> None:
    summaries = _summaries("scenarios/red_door_diverse.toml", tmp_path)
    robust = sum(s["champion"]["behaviour_class"] == "robust" for s in summaries)
    assert robust >= 7, f"only {robust}/10 champions robust"
    assert sum(s["behaviour_classes"]["robust"] for s in summaries) / len(summaries) > 0.5
