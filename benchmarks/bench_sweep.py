"""Wall time of one sweep with 1 and 2 workers (and on Dask); checks that every backend gives the same runs.

    python benchmarks/bench_sweep.py [--generations 40] [--seeds 2] [--repeats 3] [--no-dask]

The sweep: red_door with tournament size 2, 3, 4, 8 × ``--seeds`` seeds (8 runs by default),
``--generations`` generations each, no per-run figures. Each configuration writes into a fresh temporary
directory, so nothing is skipped. Prints one row per configuration and writes
``benchmarks/bench_sweep.png`` and ``benchmarks/bench_sweep.json``; the README quotes them.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from evo.runs import files as results
from evo.sweeps import index, runner, spec

HERE = Path(__file__).resolve().parent




def plot(data: dict[str, Any]) -> None:
    """``bench_sweep.png`` from the numbers of ``bench_sweep.json``."""
    times, best = data["seconds"], data["fastest_seconds"]
    one = best["processes, 1 worker"]
    repeats = max(len(v) for v in times.values())
    fig, ax = plt.subplots(figsize=(8, 3.8))
    labels = list(best)
    colours = ["#868e96", "#1971c2", "#2f9e44"][: len(labels)]
    bars = ax.barh(labels, [best[k] for k in labels], color=colours, height=0.6)
    slowest = max(max(v) for v in times.values())
    for bar, k in zip(bars, labels, strict=True):
        y = bar.get_y() + bar.get_height() / 2
        ax.plot(times[k], [y] * len(times[k]), "o", color="black", ms=4, alpha=0.6)
        ax.text(slowest * 1.04, y, f"{best[k]:.1f} s  (speed-up {one / best[k]:.2f}×)", va="center",
                fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, slowest * 1.5)
    ax.set_xlabel("wall time of the whole sweep (s, lower is better)")
    ax.set_title(f"evo sweep: {data['runs']} red_door runs ({data['generations']} generations, population "
                 f"200) on {data['cores']} cores\nidentical summary.json for every configuration; bars: "
                 f"fastest of {repeats}, dots: every timing", fontsize=10)
    fig.tight_layout()
    results.save_figure(fig, HERE / "bench_sweep.png")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generations", type=int, default=40)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3,
                    help="timings per configuration, interleaved; the fastest is plotted")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster configuration")
    ap.add_argument("--plot-only", action="store_true", help="redraw the figure from bench_sweep.json")
    args = ap.parse_args(argv)
    if args.plot_only:
        plot(results.read_json(HERE / "bench_sweep.json"))
        return 0
    configs: list[tuple[str, str, int]] = [("processes, 1 worker", "processes", 1),
                                           ("processes, 2 workers", "processes", 2)]
    if not args.no_dask:
        configs.append(("dask LocalCluster, 2 workers", "dask", 2))
    red_door = (HERE.parent / "scenarios" / "red_door.toml").resolve()
    times: dict[str, list[float]] = {label: [] for label, _, _ in configs}
    # other processes on the machine take cores from the workers: the 1-minute load average before each
    # timing says how busy it was (above 0 on an idle machine only by this script's own start-up)
    load: dict[str, list[float]] = {label: [] for label, _, _ in configs}
    reference: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="evo-bench-sweep-") as tmp:
        sweep_file = Path(tmp) / "bench.toml"
        sweep_file.write_text(f'[sweep]\nname = "bench"\nbase = "{red_door}"\nseeds = {args.seeds}\n'
                        f'[fixed]\n"evolution.generations" = {args.generations}\n'
                        '[grid]\n"evolution.selection.size" = [2, 3, 4, 8]\n')
        plan = spec.load_sweep(sweep_file)
        n_runs = len(plan.runs())
        for r in range(args.repeats):
            for label, backend, workers in configs:
                out = Path(tmp) / f"{backend}-{workers}-{r}"
                load[label].append(os.getloadavg()[0])
                started = time.perf_counter()
                outcome = runner.run_sweep(plan, out, backend=backend, workers=workers)  # type: ignore[arg-type]
                seconds = time.perf_counter() - started
                if outcome.failed:
                    raise SystemExit(f"{label}: runs failed: {outcome.failed}")
                times[label].append(seconds)
                got = index.run_summaries(out)
                if reference is None:
                    reference = got
                identical = got == reference
                print(f"{label:<30} {seconds:7.1f} s  ({n_runs} runs, {seconds / n_runs:.2f} s per run; load "
                      f"average before {load[label][-1]:.1f}; summaries identical to the first "
                      f"configuration: {identical})", flush=True)
                if not identical:
                    raise SystemExit("backends disagree")
    # the fastest of the repeats: other processes on a shared machine only ever add time
    best = {k: min(v) for k, v in times.items()}
    one = best["processes, 1 worker"]
    two = best["processes, 2 workers"]
    print(f"speed-up of 2 workers over 1: {one / two:.2f}x  (fastest of {args.repeats} timing(s) each; "
          f"{os.cpu_count()} cores)")

    data = {
        "runs": n_runs, "generations": args.generations, "cores": os.cpu_count(),
        "python": platform.python_version(),
        "seconds": times, "fastest_seconds": best, "speedup_2_over_1": one / two,
        "load_average_before": load,
        "command": " ".join(["python benchmarks/bench_sweep.py", *(sys.argv[1:] if argv is None else argv)]),
    }
    results.write_json(HERE / "bench_sweep.json", data)
    plot(data)
    print(f"wrote {HERE / 'bench_sweep.png'} and {HERE / 'bench_sweep.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
