"""``evo report RUN_DIR``: write RUN_DIR/report.html, the self-contained page to watch the run in a
browser; ``evo report SWEEP_DIR``: every done run's page and SWEEP_DIR/report.html, the comparison table
linking to them (:mod:`evo.plots.report`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.errors import EvoError

NAME = "report"
EXAMPLES = ["evo report results/red_door/seed-0           write report.html: episodes, lineage, curves",
            "evo report results/selection_pressure        a sweep: its table, linked to each run's report"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="write RUN_DIR/report.html, an offline page to watch the run",
                       description="Write RUN_DIR/report.html: one self-contained HTML file (works offline, "
                       "loads nothing) with an episode theatre (the champion, a sample of the final "
                       "population and the champion's ancestors, re-simulated in the run's saved worlds), "
                       "a lineage explorer and the run's curves. Given a sweep directory: a report.html in "
                       "every done run and SWEEP_DIR/report.html, the sweep's comparison table (each cell "
                       "linked to its runs' pages) and figures.")
    p.add_argument("run", metavar="DIR", help="a run directory, or a sweep directory (holds index.sqlite)")
    p.add_argument("--out", metavar="FILE", help="where to write the page (default RUN_DIR/report.html)")
    p.add_argument("--force", action="store_true", help="replace an existing --out FILE")
    return p


def main(args: argparse.Namespace) -> int:
    from evo.plots import report

    if args.out is not None and (Path(args.run) / "index.sqlite").is_file():
        raise EvoError("--out: only for a run directory (a sweep's page links to its runs' pages)")
    runs: list[Path] = []
    if args.out is not None:
        path = report.write_report(args.run, args.out, force=args.force)
    else:
        path, runs = report.write_any(args.run)
    if runs:
        print(f"run reports: {len(runs)} (one report.html in each done run directory)")
    print(f"report: {path} ({path.stat().st_size / 1e6:.2f} MB); open it in a browser")
    return 0
