"""Measure the red_door claim over many seeds: how often does evolution select "go to red"?

    python benchmarks/red_door_seeds.py [--seeds 10] [--scenario scenarios/red_door.toml] [--workers 2]
        [--out DIR]

Runs the scenario once per seed (no figures), then prints one row per seed — final train fitness, the
champion's train and shift fitness and class, what it reaches under the shift — and the fractions with a
95 % Wilson interval. The numbers quoted in the README come from this script.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from evo.analysis.stats import wilson
from evo.api import run


def one(args: tuple[str, int, str]) -> dict[str, Any]:
    scenario, seed, root = args
    return run(scenario, seed=seed, out=Path(root) / f"seed-{seed}", figures=False).summary


def champion_outcome(summary: dict[str, Any], shift: str) -> dict[str, Any]:
    champ = summary["champion"]
    train = champ["train_fitness"]
    shifted = champ["shift_fitness"][shift]
    reached = champ["reached_per_episode"][shift]
    return {"train": train, "shift": shifted, "behaviour_class": champ["behaviour_class"],
            "collapsed": shifted < 0.5 * train, "reached": reached}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="scenarios/red_door.toml")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, help="keep the run directories here (default: a temporary one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = str(args.out) if args.out is not None else tmp
        jobs = [(args.scenario, seed, root) for seed in range(args.seeds)]
        with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
            summaries = list(pool.map(one, jobs))
    shift = next(iter(summaries[0]["shift"]))
    print(f"{summaries[0]['scenario']}: {args.seeds} seeds, shift '{shift}'")
    print("seed  pop.train  pop.shift  champ.train  champ.shift  champ.class        reached under shift")
    rows = []
    for s in summaries:
        o = champion_outcome(s, shift)
        rows.append(o)
        reached = ", ".join(f"{f} {v:.2f}" for f, v in o["reached"].items())
        print(f"{s['seed']:>4}  {s['train']['base_fitness']['mean']:+9.3f}  "
              f"{s['shift'][shift]['base_fitness']['mean']:+9.3f}  {o['train']:+11.3f}  {o['shift']:+11.3f}  "
              f"{o['behaviour_class']:<17}  {reached}")
    n = len(rows)
    for label, k in (("champion collapsed under shift (shift < 0.5 x train)",
                      sum(r["collapsed"] for r in rows)),
                     ("champion class pseudo", sum(r["behaviour_class"] == "pseudo" for r in rows)),
                     ("champion class robust", sum(r["behaviour_class"] == "robust" for r in rows))):
        lo, hi = wilson(k, n)
        print(f"{label}: {k}/{n} = {k / n:.2f} (95% Wilson interval {lo:.2f}-{hi:.2f})")
    pseudo_frac = [s["behaviour_classes"]["pseudo"] for s in summaries]
    robust_frac = [s["behaviour_classes"]["robust"] for s in summaries]
    mean = sum(pseudo_frac) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in pseudo_frac) / max(n - 1, 1))
    print(f"final-population pseudo fraction: mean {mean:.2f} +- {sd:.2f} (sd over seeds); "
          f"robust fraction: mean {sum(robust_frac) / n:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
