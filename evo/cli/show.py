"""``evo show``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from evo.cli import common


def add_parser(sub: Any) -> None:
    p = sub.add_parser("show", help="print the headline numbers of a finished run")
    p.add_argument("run", help="a run directory")
    p.add_argument("--json", action="store_true", help="print summary.json as is")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from evo.api import RunResult

    result = RunResult.load(args.run)
    if args.json:
        print(json.dumps(result.summary, indent=2))
    else:
        common.print_summary(result.summary, result.path)
    return 0
