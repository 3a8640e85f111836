"""``evo report RUN_DIR``: write RUN_DIR/report.html, the self-contained page to watch the run in a
browser (:mod:`evo.plots.report`)."""

from __future__ import annotations

import argparse
from typing import Any

NAME = "report"
EXAMPLES = ["evo report results/red_door/seed-0           write report.html: episodes, lineage, curves"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="write RUN_DIR/report.html, an offline page to watch the run",
                       description="Write RUN_DIR/report.html: one self-contained HTML file (works offline, "
                       "loads nothing) with an episode theatre (the champion, a sample of the final "
                       "population and the champion's ancestors, re-simulated in the run's saved worlds), "
                       "a lineage explorer and the run's curves.")
    p.add_argument("run", help="a run directory")
    p.add_argument("--out", metavar="FILE", help="where to write the page (default RUN_DIR/report.html)")
    return p


def main(args: argparse.Namespace) -> int:
    from evo.plots import report

    path = report.write_report(args.run, args.out)
    print(f"report: {path} ({path.stat().st_size / 1e6:.2f} MB); open it in a browser")
    return 0
