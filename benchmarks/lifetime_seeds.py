"""Measure a lifetime-learning scenario over many seeds: fitness by age of life, the learning rate, the
evolved reward and the instinct.

    python benchmarks/lifetime_seeds.py [--scenario scenarios/sweet_tooth_learned.toml] [--seeds 10]
        [--first-seed 0] [--set agent.max_learning_rate=0] [--workers 2] [--out DIR]

Runs the scenario once per seed (no figures; ``--set KEY=VALUE`` overrides a dotted scenario key, e.g. the
no-learning control ``agent.max_learning_rate=0``), then prints one row per seed, read from each run's
``summary.json → lifetime``: the final population's mean train fitness; per shift the mean base fitness of the
first third of life (ages 1 … L/3) and of the last third (the last L/3 ages), their difference and whether
the last third is below the first; the median learning rate α and curiosity κ; the population's mean
reward ``r`` on each felt feature (``mesa_objective_mean``); and its mean instinct ``v0`` per seen feature.
Below the rows: how many seeds fall with age (with a 95 % Wilson interval) and the mean ± sd over seeds
of each number (the seed is the unit). The numbers quoted in the README come from this script.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import tomllib
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from evo.analysis.stats import wilson
from evo.api import run
from evo.runs.scenarios import from_dict


def _value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def scenario_of(path: str, overrides: list[str]) -> Any:
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    for item in overrides:
        key, _, value = item.partition("=")
        *tables, last = key.split(".")
        node = raw
        for t in tables:
            node = node.setdefault(t, {})
        node[last] = _value(value)
    return from_dict(raw, path)


def one(args: tuple[str, list[str], int, str]) -> dict[str, Any]:
    path, overrides, seed, root = args
    s = scenario_of(path, overrides)
    return run(s, seed=seed, out=Path(root) / f"seed-{seed}", figures=False).summary


def thirds(by_age: list[float]) -> tuple[float, float]:
    """Mean of the first and of the last third of life (at least one age each)."""
    n = max(len(by_age) // 3, 1)
    return sum(by_age[:n]) / n, sum(by_age[-n:]) / n


def row(summary: dict[str, Any]) -> dict[str, Any]:
    life = summary["lifetime"]
    out: dict[str, Any] = {"seed": summary["seed"], "train": summary["train"]["base_fitness"]["mean"]}
    first, last = thirds(life["train"]["base_fitness_by_age"])
    out["train first"], out["train last"] = first, last
    for name, shift in life["shift"].items():
        first, last = thirds(shift["base_fitness_by_age"])
        out[f"{name} first"], out[f"{name} last"], out[f"{name} fall"] = first, last, last - first
    for gene, v in life["genes"].items():
        out[f"{gene} median"] = v["median"]
    seen = set(life["seen_features"])
    for f, v in (summary["mesa_objective_mean"] or {}).items():
        if f not in seen and abs(v) > 1e-12:
            out[f"r[{f}]"] = v
    for f, v in life["innate_values_mean"].items():
        out[f"v0[{f}]"] = v
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="scenarios/sweet_tooth_learned.toml")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a dotted scenario key (repeatable)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, help="keep the run directories here (default: a temporary one)")
    args = ap.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    with tempfile.TemporaryDirectory() as tmp:
        root = str(args.out) if args.out is not None else tmp
        jobs = [(args.scenario, args.set, s, root) for s in seeds]
        with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
            rows = [row(s) for s in pool.map(one, jobs)]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    print(f"{args.scenario}{''.join(' --set ' + s for s in args.set)}: seeds {seeds.start}-{seeds.stop - 1}")
    print(" ".join(f"{c:>14}" for c in columns))
    for r in rows:
        print(" ".join(f"{r[c]:>14}" if c == "seed" else f"{r.get(c, math.nan):>+14.3f}" for c in columns))
    print()
    for c in columns:
        if c == "seed":
            continue
        v = [r[c] for r in rows if c in r]
        mean = sum(v) / len(v)
        sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else math.nan
        print(f"{c:>22}: mean {mean:+.3f} ± sd {sd:.3f} over {len(v)} seeds (range {min(v):+.3f} to "
              f"{max(v):+.3f})")
    for c in columns:
        if c.endswith(" fall"):
            k = sum(r[c] < 0 for r in rows)
            lo, hi = wilson(k, len(rows))
            print(f"{c.removesuffix(' fall')}: last third of life below the first third in {k}/{len(rows)} "
                  f"seeds (95 % Wilson interval {lo:.2f}-{hi:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
