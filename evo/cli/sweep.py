"""``evo sweep SWEEP``: every (cell, seed) of a sweep (a file or a shipped name, with ``--set``
overrides), on all cores; resumable."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from evo.cli import sweep_report
from evo.cli.common import (
    add_json,
    add_plugin,
    add_set,
    load_plugins,
    print_json,
    set_overrides,
    show_progress,
)
from evo.config.names import terminal

NAME = "sweep"
EXAMPLES = ["evo sweep selection_pressure               every (cell, seed) of a shipped sweep, on all "
            "cores; resumable"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="run a sweep: a base scenario × a grid of overrides × seeds",
                       description="Run every (cell, seed) of a sweep file (scenarios/sweeps/*.toml) as one "
                       "normal run directory under OUT/runs/, index each in OUT/index.sqlite as it "
                       "finishes, then draw the comparison figures in OUT/figures/. Run the same command "
                       "again after an interruption: finished runs are skipped. Results do not depend on the "
                       "backend or the number of workers.")
    p.add_argument("sweep", help="a sweep file (scenarios/sweeps/selection_pressure.toml) or the name of a "
                   "shipped sweep (selection_pressure; evo list shows them)")
    p.add_argument("--backend", choices=("serial", "processes", "dask"), default="processes",
                   help="serial: in this process; processes (default): a process pool on this machine; "
                   "dask: dask.distributed (a LocalCluster, or --scheduler)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="parallel runs (default: the number of cores; with --scheduler: ignored)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="dask scheduler to connect to, e.g. tcp://10.0.0.5:8786 (OUT must be on a file "
                   "system every worker sees); without it --backend dask starts a LocalCluster")
    add_set(p, "every cell's scenario (after the sweep's [fixed]; not a key the sweep varies)")
    add_plugin(p)
    p.add_argument("--out", help="sweep directory (default results/<sweep name>)")
    p.add_argument("--run-figures", action="store_true", help="also draw each run's own figures (slower)")
    p.add_argument("--no-figures", action="store_true", help="skip the comparison figures")
    add_json(p, "the outcome and the report")
    return p


def main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from evo import api
    from evo.sweeps import estimates
    from evo.sweeps.runner import Progress, run_sweep
    from evo.sweeps.spec import load_sweep

    load_plugins(args)
    plan = load_sweep(args.sweep, set_overrides(args))
    bar = None

    def progress(p: Progress) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=p.total, initial=p.done, desc=f"sweep {plan.name}", unit="run",
                       disable=not show_progress(args), file=sys.stderr, dynamic_ncols=True)
            return
        if p.failed:
            bar.set_postfix(failed=p.failed, refresh=False)
        bar.update(1)

    try:
        outcome = run_sweep(plan, args.out, backend=args.backend, workers=args.workers,
                                  scheduler=args.scheduler,
                                  after_run=api.save_figures if args.run_figures else None,
                                  progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if not args.no_figures:
        from evo.plots.sweep import make_all

        outcome.figures = make_all(outcome.path)
    table = estimates.report(outcome.path)
    for rid, error in outcome.failed.items():
        print(f"failed: {terminal(rid)}: {terminal(error)}", file=sys.stderr)
    if args.json:
        print_json({"path": outcome.path, "total": outcome.total, "done": outcome.done,
                           "skipped": outcome.skipped, "failed": outcome.failed, "seconds": outcome.seconds,
                           "figures": outcome.figures, "index": outcome.path / "index.sqlite",
                           "report": table})
        return 1 if outcome.failed else 0
    print(f"sweep: {outcome.path}  ({outcome.done}/{outcome.total} runs done, {outcome.skipped} of them "
          f"before this invocation; {outcome.seconds:.0f} s)")
    print(sweep_report.text(table))
    if outcome.figures:
        print(f"figures: {outcome.path / 'figures'} ({', '.join(p.name for p in outcome.figures.values())})")
    print(f"index: {outcome.path / 'index.sqlite'}")
    return 1 if outcome.failed else 0
