"""``evo list``."""

from __future__ import annotations

import argparse
from typing import Any

from evo.cli import common
from evo.config.toml import parse_toml
from evo.errors import EvoError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("list", help="list the shipped scenarios with their one-line descriptions")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    folder = common.scenario_dir()
    rows = []
    for path in sorted(folder.glob("*.toml")):
        try:
            info = parse_toml(path.read_text(encoding="utf-8"), str(path)).get("scenario", {})
        except (EvoError, OSError, UnicodeDecodeError) as exc:
            rows.append((path.stem, f"(unreadable: {exc})"))
            continue
        rows.append((path.stem, str(info.get("description", ""))))
    if not rows:
        print(f"no scenarios found in {folder}")
        return 1
    width = max(len(n) for n, _ in rows)
    print(f"scenarios in {folder}:")
    for name, desc in rows:
        print(f"  {name.ljust(width)}  {desc}")
    return 0
