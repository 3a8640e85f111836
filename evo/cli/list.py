"""``evo list``: the shipped scenarios and sweeps, one line each (or the scenario files of a folder)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.cli.common import add_json, print_json
from evo.cli.table import render
from evo.config.toml import parse_toml, read_text
from evo.errors import EvoError

NAME = "list"
EXAMPLES = ["evo list                                   shipped scenarios and what each shows"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="list the shipped scenarios and sweeps with their one-line descriptions",
                       description="List the scenarios shipped with evo (and their sweeps): the names "
                       "`evo run NAME` and `evo sweep NAME` accept from any directory. With FOLDER, the "
                       "scenario files in that folder instead.")
    p.add_argument("folder", nargs="?", help="a folder of scenario files (default: the shipped ones)")
    add_json(p, "the names, descriptions and files")
    return p


def _entries(paths: dict[str, Path], section: str) -> list[dict[str, Any]]:
    out = []
    for name, path in paths.items():
        try:
            info = parse_toml(read_text(path), str(path)).get(section, {})
            description = str(info.get("description", "")) if isinstance(info, dict) else ""
        except EvoError as exc:
            description = f"(unreadable: {exc})"
        out.append({"name": name, "description": description, "path": str(path)})
    return out


def main(args: argparse.Namespace) -> int:
    from evo.runs import scenarios

    if args.folder is not None:
        folder = Path(args.folder)
        if not folder.is_dir():
            raise EvoError(f"{folder}: expected a folder of scenario files, got no such folder")
        found = {"scenarios": _entries({p.stem: p for p in sorted(folder.glob("*.toml"))}, "scenario"),
                 "sweeps": []}
    else:
        folder = scenarios.shipped_dir()
        found = {"scenarios": _entries(scenarios.shipped("scenario"), "scenario"),
                 "sweeps": _entries(scenarios.shipped("sweep"), "sweep")}
    if args.json:
        print_json({"folder": folder, **found})
        return 0 if found["scenarios"] else 1
    if not found["scenarios"]:
        print(f"no scenarios found in {folder}")
        return 1
    print(f"scenarios in {folder} (evo run NAME):")
    print(render(["scenario", "description"], [[e["name"], e["description"]] for e in found["scenarios"]]))
    if found["sweeps"]:
        print(f"\nsweeps in {folder / 'sweeps'} (evo sweep NAME):")
        print(render(["sweep", "description"], [[e["name"], e["description"]] for e in found["sweeps"]]))
    return 0
