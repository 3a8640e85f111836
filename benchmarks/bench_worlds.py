"""World drawing alone: ``worlds.generate`` of this working tree against a pinned baseline revision, on
every shipped scenario's training distribution.

    python benchmarks/bench_worlds.py [--baseline 6a4d13d] [--worlds 16] [--calls 40] [--repeats 5]

Each tree (the baseline exported with ``git archive``) is timed in a subprocess of its own whose
PYTHONPATH puts that tree first, alternately, ``--repeats`` times: ``--calls`` batches of ``--worlds``
worlds per scenario, after one warm-up batch (numba's load and compile), in process CPU time (other load on
the machine slows both alike); the median is reported. The worlds themselves are not compared: a
revision that draws them another way (results format 5: per-world keyed streams) gives other worlds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_run import export  # noqa: E402

_PROBE = """
import json, sys, time
from pathlib import Path
import numpy as np
import evo
from evo.core import worlds
from evo.runs import scenarios
n, calls = int(sys.argv[1]), int(sys.argv[2])
out = {"evo": str(Path(evo.__file__).resolve().parent)}
for path in sys.argv[3:]:
    s = scenarios.load(path)
    rng = np.random.default_rng(1)
    worlds.generate(s.worlds.train, s.features, n, rng)  # warm-up: numba's load and compile
    t = time.process_time()
    for _ in range(calls):
        worlds.generate(s.worlds.train, s.features, n, rng)
    out[Path(path).stem] = (time.process_time() - t) / calls
print(json.dumps(out))
"""


def probe(tree: Path, n: int, calls: int, paths: list[Path]) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", _PROBE, str(n), str(calls), *map(str, paths)], env=env,
                          cwd=str(tree), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"probe failed ({tree}):\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(str(result.pop("evo"))) != (tree / "evo").resolve():
        raise SystemExit(f"the probe did not import {tree / 'evo'}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="6a4d13d")
    parser.add_argument("--worlds", type=int, default=16)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "scenarios").glob("*.toml"))
    with tempfile.TemporaryDirectory(prefix="bench_worlds_") as tmp:
        trees = {args.baseline: export(args.baseline, Path(tmp)), "worktree": ROOT}
        times: dict[str, dict[str, list[float]]] = {label: {} for label in trees}
        for rep in range(args.repeats):
            for label, tree in (trees.items() if rep % 2 == 0 else reversed(trees.items())):
                for stem, t in probe(tree, args.worlds, args.calls, paths).items():
                    times[label].setdefault(stem, []).append(t)
    for path in paths:
        ms = {label: 1e3 * statistics.median(times[label][path.stem]) for label in trees}
        print(f"{path.stem:<24}" + "".join(f"{label:>10} {v:7.3f} ms" for label, v in ms.items())
              + f"   speed-up {ms[args.baseline] / ms['worktree']:5.2f}×", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
