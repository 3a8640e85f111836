"""What lineage tracking costs: the flagship run (red_door as shipped) with ``evolution.lineage`` off, pruned
and full.

    python benchmarks/bench_lineage.py [--scenario scenarios/red_door.toml] [--repeats 3] [--seed 1]
                                        [--generations N] [--modes off pruned full]

Each repeat runs every mode once, in turn (so a busy machine slows them alike), through
``evo.runs.run.run`` without figures: evolution, final assessment, every result file. Reported per mode:
median wall time and median process CPU time, the overhead against ``off``, and — measured directly, which
noise on a shared machine cannot blur — the seconds spent inside the store during the run
(``LineageStore.observe``) and writing the lineage files and summary. Finally the time to draw the three
lineage figures once. The numbers quoted for the lineage issue come from this script.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from evo import api
from evo.config import schema
from evo.lineage import store
from evo.runs import run as experiment
from evo.runs import scenarios as scenario


class _Timer:
    """Wraps a function and adds the seconds spent in it to ``total``."""

    def __init__(self) -> None:
        self.total = 0.0

    def wrap(self, fn):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.total += time.perf_counter() - t

        return timed


def one(s: schema.Scenario, mode: str, seed: int, out: Path) -> dict[str, float]:
    """Run once; wall and CPU seconds, and seconds inside the store and the lineage exports."""
    observe, export = _Timer(), _Timer()
    original_observe, original_write = store.LineageStore.observe, experiment._write_lineage
    store.LineageStore.observe = observe.wrap(original_observe)  # type: ignore[method-assign]
    experiment._write_lineage = export.wrap(original_write)
    try:
        w, c = time.perf_counter(), time.process_time()
        result = api.run(replace(s, evolution=replace(s.evolution, lineage=mode)), seed=seed, out=out,
                                figures=False)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    finally:
        store.LineageStore.observe = original_observe  # type: ignore[method-assign]
        experiment._write_lineage = original_write
    info = result.summary["lineage"]
    return {"wall": wall, "cpu": cpu, "observe": observe.total, "export": export.total,
            "records": float(info.get("records", 0)), "peak": float(info.get("records_peak", 0))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="scenarios/red_door.toml")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--generations", type=int, default=None, help="override the scenario's generations")
    ap.add_argument("--modes", nargs="+", default=["off", "pruned", "full"],
                    choices=["off", "pruned", "full"])
    args = ap.parse_args(argv)
    s = scenario.load(args.scenario)
    if args.generations:
        s = replace(s, evolution=replace(s.evolution, generations=args.generations))
    modes = ["off", *[m for m in args.modes if m != "off"]]
    runs: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as root:
        for r in range(args.repeats):
            for m in modes:
                runs[m].append(one(s, m, args.seed, Path(root) / f"{m}-{r}"))
                print(f"repeat {r + 1}/{args.repeats} {m:>6}: {runs[m][-1]['wall']:.2f} s wall",
                      file=sys.stderr)
        from evo.plots import lineage as lineage_plots

        t = time.perf_counter()
        if modes[-1] != "off":
            lineage_plots.make_all(Path(root) / f"{modes[-1]}-0")
        figures = time.perf_counter() - t

    def med(m: str, key: str) -> float:
        return statistics.median(x[key] for x in runs[m])

    base_wall, base_cpu = med("off", "wall"), med("off", "cpu")
    e = s.evolution
    print(f"{s.name}: population {e.population} x {e.generations} generations, seed {args.seed}, "
          f"{args.repeats} repeats (medians)")
    print("mode     wall s   cpu s   +wall    +cpu   in store s  exports s  tracking/cpu(off)  records  peak")
    for m in modes:
        tracked = med(m, "observe") + med(m, "export")
        wall, cpu = med(m, "wall"), med(m, "cpu")
        print(f"{m:<7} {wall:7.2f} {cpu:7.2f} {100 * (wall / base_wall - 1):+6.1f}% "
              f"{100 * (cpu / base_cpu - 1):+6.1f}%  {med(m, 'observe'):10.3f} {med(m, 'export'):10.3f}"
              f"  {100 * tracked / base_cpu:16.1f}%  {int(med(m, 'records')):7d} {int(med(m, 'peak')):5d}")
    if modes[-1] != "off":
        print(f"drawing the three lineage figures once ({modes[-1]} run): {figures:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
