"""``evo sweep-report``."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("sweep-report", help="print means and 95 %% intervals per cell of a sweep",
                       description="Read SWEEP_DIR/index.sqlite and print, per cell, the number of finished "
                       "runs and the mean over seeds with its 95 % interval of train fitness, shift "
                       "fitness, pseudo-aligned fraction, alignment and generations to pseudo-alignment "
                       "(Student t; clipped to the range for fractions, cosines and generation counts; a "
                       "footnote says which). Works while the sweep is still running.")
    p.add_argument("sweep_dir", help="a sweep directory (holds index.sqlite)")
    p.add_argument("--figures", action="store_true", help="also (re)draw the comparison figures")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from evo.runs import sweep

    print(sweep.report_table(args.sweep_dir))
    if args.figures:
        from evo.plots import sweep as sweep_plots

        made = sweep_plots.make_all(args.sweep_dir)
        print("figures: " + (", ".join(str(p) for p in made.values()) or "none (no run is done yet)"))
    return 0
