"""Breeding time per generation (selection + variation, no evaluation), this working tree against a
baseline revision measured in the same invocation.

    python benchmarks/bench_breed.py [--baseline 6a4d13d] [--populations 1000 10000] [--repeats 5]
                                     [--schemes tournament lexicase ...]

For each selection scheme and population, red_door's genome and its variation (blend crossover, Gaussian
mutation) are bred by the ``generational`` replacement from a fixed random fitness, in a fresh subprocess
per revision (the baseline exported with ``git archive``), alternating the revisions so that other load
slows both alike. Reported: median milliseconds per generation and the ratio baseline / worktree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_run import export

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _Train:
    """What the generational breed reads of a generation's episodes: the per-world cases."""

    payoff: Any
    cost: Any


def probe(scheme: str, population: int, repeats: int) -> dict[str, Any]:
    """Median seconds of one generational breed with selection ``scheme`` in the ``evo`` on sys.path."""
    import numpy as np

    import evo
    from evo.config.schema import OperatorConfig
    from evo.core.problem import Problem
    from evo.evolution import loop, replacement
    from evo.evolution.streams import Streams
    from evo.runs import scenarios

    s = scenarios.load(ROOT / "scenarios" / "red_door.toml")
    s = replace(s, evolution=replace(s.evolution, population=population,
                                     selection=OperatorConfig(scheme=scheme)))
    problem = Problem.from_scenario(s)
    streams = Streams.from_seed(0)
    state = loop.initial_state(problem, streams)
    rng = np.random.default_rng(1)
    payoff = rng.integers(0, 4, size=(population, s.evolution.worlds_per_generation)) * 0.5
    train = _Train(payoff, rng.random(population) * 0.1)
    fitness = payoff.mean(axis=1) - train.cost
    order = np.argsort(-fitness, kind="stable")
    breed = replacement.REPLACEMENTS["generational"].breed
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        breed(problem, state, fitness, order, streams, train, None)
        times.append(time.perf_counter() - t)
    return {"evo": str(Path(evo.__file__).resolve().parent), "seconds": statistics.median(times)}


def run_probe(tree: Path, scheme: str, population: int, repeats: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--probe", scheme, "--population", str(population),
           "--repeats", str(repeats)]
    done = subprocess.run(cmd, env=env, cwd=str(tree), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"probe failed ({tree}, {scheme}, {population}):\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(result["evo"]) != (tree / "evo").resolve():
        raise SystemExit(f"the probe imported {result['evo']}, not {tree / 'evo'}")
    return float(result["seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="6a4d13d", help="git revision to compare with")
    parser.add_argument("--populations", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--schemes", nargs="+", default=["tournament", "random", "truncation", "roulette",
                                                         "rank", "double_tournament", "lexicase"])
    parser.add_argument("--repeats", type=int, default=5, help="breeds per subprocess (median taken)")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--population", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, args.population, args.repeats)))
        return 0
    labels = (args.baseline, "worktree")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_breed_") as tmp:
        trees = {args.baseline: export(args.baseline, Path(tmp)), "worktree": ROOT}
        for population in args.populations:
            for i, scheme in enumerate(args.schemes):
                got = {}
                for label in (labels if i % 2 == 0 else labels[::-1]):
                    got[label] = run_probe(trees[label], scheme, population, args.repeats)
                rows.append((scheme, population, got[labels[0]], got[labels[1]]))
                print(f"  {scheme} P={population}: {1e3 * got[labels[0]]:.1f} ms / "
                      f"{1e3 * got[labels[1]]:.1f} ms", file=sys.stderr, flush=True)
    print(f"breeding ms per generation (median of {args.repeats}; red_door genome, blend + gaussian)")
    print(f"{'selection':<20}{'population':>11}{args.baseline:>14}{'worktree':>12}{'ratio':>9}")
    for scheme, population, base, new in rows:
        print(f"{scheme:<20}{population:>11}{1e3 * base:>14.2f}{1e3 * new:>12.2f}{base / new:>8.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
