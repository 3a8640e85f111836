"""``evo lineage RUN_DIR``: the champion's (or an individual's) line of descent, and the lineage
figures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.cli.common import add_json, print_json
from evo.cli.table import number, render
from evo.errors import EvoError

NAME = "lineage"
EXAMPLES = ["evo lineage results/red_door/seed-3        the champion's line of descent, and lineage figures"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="print an individual's line of descent; write the lineage figures",
                       description="Print the line of descent (founder first) of the champion, or of "
                       "--individual, as a table: generation, id, train fitness, mesa-objective weights, "
                       "inner-goal class. Writes figures/lineage_*.png if missing (the champion's ancestry, "
                       "founder lineages, the final population's phylogeny). Needs a run made with "
                       "evolution.lineage = \"pruned\" (the default) or \"full\".")
    p.add_argument("run", help="a run directory")
    p.add_argument("--individual", type=int, metavar="ID",
                   help="an id from lineage.csv (default: the champion); also writes "
                   "figures/lineage_individual-ID.png")
    p.add_argument("--no-figures", action="store_true", help="only print the table")
    add_json(p, "the line of descent (one object per ancestor) and the lineage numbers")
    return p


def main(args: argparse.Namespace) -> int:
    from evo.lineage import phylogeny
    from evo.plots import lineage
    from evo.plots.run import write_figures

    phy, summary = lineage.read_lineage(args.run)
    info = summary["lineage"]
    target = info["champion"]["id"] if args.individual is None else args.individual
    if target not in phy:
        raise EvoError(f"{args.run}: individual {target} is not in lineage.csv ({info['mode']} mode keeps "
                       "the living population, its line-of-descent ancestors and their crossover mates)")
    lod = phylogeny.line_of_descent(phy, target)
    onset = phylogeny.pseudo_onset(phy, lod)
    marks = {}
    if onset["first"] is not None:
        marks[onset["first"]["id"]] = "first pseudo"
    if onset["since"] is not None and onset["since"] != onset["first"]:
        marks[onset["since"]["id"]] = "pseudo from here"
    wcols = [c for c in phy.columns if c.startswith("w_")]
    extra = [c for c in ("proxy_margin",) if c in phy.columns]
    ancestors: list[dict[str, Any]] = []
    for i in lod:
        k = phy.row[i]
        ancestors.append({"generation": int(phy.origin_time[k]), "id": int(i),
                          "fitness": float(phy.columns["fitness"][k]),
                          **{c: float(phy.columns[c][k]) for c in wcols + extra},
                          "goal_class": str(phy.columns["goal_class"][k]),
                          "behaviour_class": str(phy.columns["behaviour_class"][k]) or None,
                          "mark": marks.get(i)})
    made: dict[str, Path] = {}
    if not args.no_figures:
        made = lineage.make_all(args.run, overwrite=False)
        if args.individual is not None:
            name = f"lineage_individual-{args.individual}.png"
            made.update(write_figures(args.run, {
                name: lambda run: lineage.descent_figure(run, individual=args.individual)}))
    mrca = info.get("mrca")
    if args.json:
        print_json({"run": args.run, "individual": target, "champion": args.individual is None,
                           "mode": info["mode"], "records": info["records"], "line_of_descent": ancestors,
                           "mrca": mrca, "founder_lineages": info["founder_lineages"],
                           "phylogenetic_diversity": info["phylogenetic_diversity"],
                           "proxy_margin_definition": info["trait"]["label"] if extra else None,
                           "figures": made})
        return 0
    who = "the champion" if args.individual is None else "individual"
    print(f"line of descent of {who} #{target} in {args.run} ({len(lod)} ancestors, founder first; "
          f"lineage mode {info['mode']}, {info['records']} records)")
    head = ["gen", "id", "fitness", *wcols, *extra, "goal class", "behaviour", ""]
    rows = [[str(a["generation"]), str(a["id"]), number(a["fitness"], "{:+.3f}"),
             *(number(a[c], "{:+.2f}") for c in wcols + extra), a["goal_class"], a["behaviour_class"] or "-",
             a["mark"] or ""] for a in ancestors]
    print(render(head, rows, ">" * (len(head) - 3)))
    print("goal class: inner-goal class read from the genome (pseudo: ranks objects like the base objective "
          "in train worlds, not after the shift); behaviour: behavioural class where the ancestor was "
          "evaluated under shift")
    if extra:
        print(f"proxy_margin = {info['trait']['label']}")
    print("final population: " + (f"MRCA #{mrca['id']} born in generation {mrca['generation']}" if mrca else
                                  "no common ancestor (several founder lineages survive)")
          + f"; {info['founder_lineages']['final']} founder lineage(s) left; phylogenetic diversity "
          f"{info['phylogenetic_diversity']:.0f} generations")
    if made:
        print("figures: " + ", ".join(str(p) for p in made.values()))
    return 0
