"""``evo sweep-report SWEEP_DIR``: means and 95 % intervals per cell of a sweep, from its index."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.cli.common import add_json, print_json
from evo.cli.table import MISSING, interval, render

NAME = "sweep-report"
EXAMPLES = ["evo sweep-report results/selection_pressure",
            "                                           means and 95 % intervals per cell of a sweep"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="print means and 95 %% intervals per cell of a sweep",
                       description="Read SWEEP_DIR/index.sqlite and print, per cell, the number of finished "
                       "runs and the mean over seeds with its 95 % interval of train fitness, shift "
                       "fitness, pseudo-aligned fraction, alignment and generations to pseudo-alignment "
                       "(Student t; clipped to the range for fractions, cosines and generation counts; a "
                       "footnote says which). Works while the sweep is still running.")
    p.add_argument("sweep_dir", help="a sweep directory (holds index.sqlite)")
    p.add_argument("--figures", action="store_true", help="also (re)draw the comparison figures")
    add_json(p, "the report (per cell and column: n, mean, lo, hi of the 95 %% interval, sd, method)")
    return p


def _spec(column: str) -> str:
    return "{:.1f}" if column.startswith("gens") else "{:+.3f}" if "fitness" in column else "{:.3f}"


def text(report: dict[str, Any]) -> str:
    """The report of :func:`evo.sweeps.estimates.report` as text: a heading line, the table, the footnotes."""
    runs = report["runs"]
    left_out = [f"{runs[k]} {k}" for k in ("pending", "failed") if runs[k]]
    lines = [f"sweep {report['name']}: {runs['done']}/{runs['planned']} runs done"
             + (f" ({', '.join(left_out)}: left out)" if left_out else "")
             + f"; base {report['base']}; mean [95 % interval] over seeds"]
    columns = report["columns"]
    rows = []
    for cell in report["cells"]:
        row = [cell["label"], str(cell["runs"])]
        for c in columns:
            e = cell["values"][c["key"]]
            if e.n == 0:
                row.append(MISSING)
            elif e.lo != e.lo:  # NaN: one value, no interval
                row.append(interval(e.mean, None, None, _spec(c["key"])) + f" (n={e.n})")
            else:
                row.append(interval(e.mean, e.lo, e.hi, _spec(c["key"]))
                           + (f" n={e.n}" if e.n != cell["runs"] else ""))
        rows.append(row)
    lines.append(render(["cell", "runs", *(c["head"] for c in columns)], rows, "<>"))
    return "\n".join([*lines, *report["notes"]])


def main(args: argparse.Namespace) -> int:
    from evo.sweeps import estimates

    report = estimates.report(args.sweep_dir)
    made: dict[str, Path] = {}
    if args.figures:
        from evo.plots.sweep import make_all

        made = make_all(args.sweep_dir)
    if args.json:
        print_json({**report, "figures": made} if args.figures else report)
        return 0
    print(text(report))
    if args.figures:
        print("figures: " + (", ".join(str(p) for p in made.values()) or "none (no run is done yet)"))
    return 0
