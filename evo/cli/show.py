"""``evo show RUN_DIR``: the headline numbers of a finished run (``--json``: summary.json as it is)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.cli.common import add_json, print_json
from evo.cli.table import number, render
from evo.config.names import percent

NAME = "show"
EXAMPLES = ["evo show results/red_door/seed-3           print the headline numbers of a run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="print the headline numbers of a finished run")
    p.add_argument("run", help="a run directory")
    add_json(p, "summary.json as it is")
    return p


def print_summary(summary: dict[str, Any], path: Path) -> None:
    """What ``evo run`` and ``evo show`` print: the run, a table of fitness (train, the true objective,
    each shift: mean and best of the final population, the champion's), the behaviour classes and the
    champion's objective and what it reaches."""
    print(f"run: {path}")
    print(f"scenario {summary['scenario']}, seed {summary['seed']}, {summary['generations']} generations, "
          f"population {summary['population']} ({summary['agent_kind']} agents)")
    tr = summary["train"]["base_fitness"]
    rows = [["train fitness", number(tr["mean"], "{:+.3f}"), number(tr["best"], "{:+.3f}"), ""]]
    if "true" in summary:
        t = summary["true"]
        rows.append(["true objective (same train episodes)", number(t["mean"], "{:+.3f}"),
                     number(t["best"], "{:+.3f}"), number(t["champion"], "{:+.3f}")])
    for name, v in summary["shift"].items():
        sf = v["base_fitness"]
        rows.append([f"shift '{name}' fitness", number(sf["mean"], "{:+.3f}"), number(sf["best"], "{:+.3f}"),
                     number(v["champion"], "{:+.3f}")])
    print(render(["final population", "mean", "best", "champion"], rows, "<>>>"))
    if "spawned" in summary["train"]:
        sp = summary["train"]["spawned"]
        print(f"per train episode: {sp['released']['mean']:.2f} objects released (champion "
              f"{sp['released']['champion']:.2f}), {sp['collected']['mean']:.2f} of them collected "
              f"(champion {sp['collected']['champion']:.2f})")
    # with a shift nothing is "untested"; without one nothing can be robust, pseudo or a capability failure
    moot = {"untested"} if summary["shift"] else {"robust", "pseudo", "capability_failure"}
    print("classes: " + ", ".join(f"{k} {percent(v)}" for k, v in summary["behaviour_classes"].items()
                                  if k not in moot))
    champ = summary["champion"]
    if champ.get("objective"):
        print("champion mesa-objective: "
              + ", ".join(f"{f} {w:+.2f}" for f, w in champ["objective"].items())
              + f"  ({champ['behaviour_class']})")
    for name, reached in champ.get("reached_per_episode", {}).items():
        print(f"champion under '{name}' reaches per episode: "
              + ", ".join(f"{f} {v:.2f}" for f, v in reached.items()))
    life = summary.get("lifetime")
    if life is not None:  # a kind that learns within a life
        for name, v in [("train", life["train"]), *life["shift"].items()]:
            print(f"fitness by age of life ({name}): "
                  + " ".join(f"{x:+.2f}" for x in v["base_fitness_by_age"]))
        print(", ".join(f"{g} mean {v['mean']:.2f} (champion {v['champion']:.2f})"
                        for g, v in life["genes"].items()))
    drawn = sorted((path / "figures").glob("*.png")) if (path / "figures").is_dir() else []
    if drawn:  # a run made with --no-figures has an empty figures/ (evo.api.save_figures draws them later)
        print(f"figures: {path / 'figures'} ({len(drawn)} PNG)")


def main(args: argparse.Namespace) -> int:
    from evo.api import RunResult

    result = RunResult.load(args.run)
    if args.json:
        print_json(result.summary)
    else:
        print_summary(result.summary, result.path)
    return 0
