"""Scale: the peak memory of whole runs, each measured in a child process of its own.

    python benchmarks/bench_scale.py [--population 100000] [--small-population 20] [--small-worlds 4]
                                     [--short 500] [--long 5000] [--skip-large] [--skip-long]

Two checks (issue 15, item 6):

1. **A red_door generation at P = 100 000 agents** within 2 GB peak RSS: ``evo.run("red_door")`` with
   ``evolution.population = 100000``, ``evolution.generations = 1`` and ``evolution.eval_worlds = 16``
   (the final assessment then evaluates as many worlds as one generation does: without it, the default 64
   assessment worlds of every distribution would make the assessment, not the generation, the peak), the
   default pruned lineage, no figures.
2. **Bounded memory over a long run**: the peak RSS of a ``--long``-generation run of a small red_door
   (``--small-population`` agents, ``--small-worlds`` worlds per generation, ``eval_worlds`` the same,
   pruned lineage, checkpoints as configured) within 10 % of a ``--short``-generation run of the same.

Each run is what ``evo run SCENARIO --no-figures`` does (``evo.runs.run``: the run directory written to a
temporary folder) in a fresh Python process; its peak resident set is that process's ``ru_maxrss`` from
``os.wait4`` (Linux: KiB), so imports count too and the runs do not see each other's memory. ``--load``
also reads the finished run back (``evo.load_run``, what ``evo.run`` returns in Python), whose tables grow
with the log, as any in-memory copy of a 5000-row log must. Wall times are printed for orientation only
(the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MiB = 1024 * 1024


def child(scenario: str, overrides: dict[str, object], out: Path, load: bool) -> None:
    import evo
    from evo.runs import run as runs

    runs.run(scenario, 0, out, overrides=overrides)
    if load:
        evo.load_run(out)


def measure(scenario: str, overrides: dict[str, object], load: bool = False) -> tuple[int, float]:
    """(peak RSS in bytes, wall seconds) of one run in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, __file__, "--child", scenario, json.dumps(overrides), str(Path(tmp) / "run"),
               str(int(load))]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"bench_scale: the child run {overrides} failed (exit {proc.returncode})")
        return usage.ru_maxrss * 1024, wall


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1], json.loads(argv[2]), Path(argv[3]), argv[4] == "1")
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=100_000)
    parser.add_argument("--small-population", type=int, default=20)
    parser.add_argument("--small-worlds", type=int, default=4)
    parser.add_argument("--short", type=int, default=500)
    parser.add_argument("--long", type=int, default=5000)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--load", action="store_true", help="also read each finished run back")
    args = parser.parse_args(argv)
    ok = True
    if not args.skip_large:
        over = {"evolution.population": args.population, "evolution.generations": 1,
                "evolution.eval_worlds": 16}
        rss, wall = measure("red_door", over, args.load)
        good = rss <= 2000 * MiB
        ok &= good
        print(f"red_door, P = {args.population}, 1 generation, 16 worlds: peak RSS {rss / MiB:.0f} MiB "
              f"({wall:.1f} s wall); within 2000 MiB: {good}")
    if not args.skip_long:
        small = {"evolution.population": args.small_population,
                 "evolution.worlds_per_generation": args.small_worlds,
                 "evolution.eval_worlds": args.small_worlds}
        rows = []
        for g in (args.short, args.long):
            rss, wall = measure("red_door", {**small, "evolution.generations": g}, args.load)
            rows.append((g, rss, wall))
            print(f"red_door, P = {args.small_population}, {args.small_worlds} worlds, {g} generations: "
                  f"peak RSS {rss / MiB:.1f} MiB ({wall:.1f} s wall)")
        growth = rows[1][1] / rows[0][1] - 1
        good = growth <= 0.10
        ok &= good
        print(f"{args.long} against {args.short} generations: {growth:+.1%} peak RSS; within 10 %: {good}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
