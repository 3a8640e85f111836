"""World drawing alone: ``worlds.generate`` of this working tree against a pinned baseline revision, on
every shipped scenario's training distribution, in one process.

    python benchmarks/bench_worlds.py [--baseline 4579b6d] [--worlds 16] [--calls 40] [--repeats 5]

The baseline's ``evo/core/worlds.py`` is exported with ``git archive`` into a temporary directory and
loaded as a module of its own (it needs nothing of ``evo`` at run time but ``evo.errors``), both fed the
same scenario configs; the two are timed alternately, ``--calls`` batches of
``--worlds`` worlds per timing, the same seeds for both, in process CPU time (other load on the machine
slows both alike); the median of ``--repeats`` is reported. The first batch of each is also checked
equal (every table), with the generator left in the same state.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_run import export  # noqa: E402

from evo.core import worlds  # noqa: E402
from evo.runs import scenarios  # noqa: E402

FIELDS = ("walls", "start", "obj_cell", "obj_feat", "neighbors", "dist", "next_move", "manhattan", "obj_at",
          "spawn")


def load(path: Path, name: str) -> ModuleType:
    """The module in the file ``path``, under the module name ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="4579b6d")
    parser.add_argument("--worlds", type=int, default=16)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "scenarios").glob("*.toml"))
    with tempfile.TemporaryDirectory(prefix="bench_worlds_") as tmp:
        base = load(export(args.baseline, Path(tmp)) / "evo" / "core" / "worlds.py", "_baseline_worlds")
    trees = {args.baseline: base, "worktree": worlds}
    times: dict[tuple[str, str], list[float]] = {}
    equal = True
    for path in paths:
        s = scenarios.load(path)
        rngs = {label: np.random.default_rng(0) for label in trees}
        got = {label: w.generate(s.worlds.train, s.features, args.worlds, rngs[label])
               for label, w in trees.items()}
        a, b = got.values()
        same = all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)
        same &= rngs[args.baseline].bit_generator.state == rngs["worktree"].bit_generator.state
        equal &= same
        for rep in range(args.repeats):
            for label, w in (trees.items() if rep % 2 == 0 else reversed(trees.items())):
                rng = np.random.default_rng(rep + 1)
                t = time.process_time()
                for _ in range(args.calls):
                    w.generate(s.worlds.train, s.features, args.worlds, rng)
                times.setdefault((path.stem, label), []).append((time.process_time() - t) / args.calls)
        ms = {label: 1e3 * statistics.median(times[(path.stem, label)]) for label in trees}
        print(f"{path.stem:<24}" + "".join(f"{label:>10} {v:7.2f} ms" for label, v in ms.items())
              + f"   speed-up {ms[args.baseline] / ms['worktree']:5.1f}×   equal: {same}", flush=True)
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
