"""``evo lineage``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.errors import EvoError
from evo.lineage import phylogeny


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lineage", help="print an individual's line of descent; write the lineage figures",
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
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from evo.plots import lineage as lineage_plots

    phy, summary = lineage_plots.read_lineage(args.run)
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
    who = "the champion" if args.individual is None else "individual"
    print(f"line of descent of {who} #{target} in {args.run} ({len(lod)} ancestors, founder first; "
          f"lineage mode {info['mode']}, {info['records']} records)")
    wcols = [c for c in phy.columns if c.startswith("w_")]
    extra = [c for c in ("proxy_margin",) if c in phy.columns]
    head = ["gen", "id", "fitness", *wcols, *extra, "goal class", "behaviour", ""]
    rows = []
    for i in lod:
        k = phy.row[i]
        rows.append([str(int(phy.origin_time[k])), str(i), f"{phy.columns['fitness'][k]:+.3f}",
                     *(f"{phy.columns[c][k]:+.2f}" for c in wcols + extra), str(phy.columns["goal_class"][k]),
                     str(phy.columns["behaviour_class"][k]) or "-", marks.get(i, "")])
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(head)]
    print("  ".join(h.rjust(w) if j < len(head) - 3 else h.ljust(w)
                    for j, (h, w) in enumerate(zip(head, widths, strict=True))).rstrip())
    for r in rows:
        print("  ".join(v.rjust(w) if j < len(head) - 3 else v.ljust(w)
                        for j, (v, w) in enumerate(zip(r, widths, strict=True))).rstrip())
    print("class: inner-goal class read from the genome (pseudo: ranks objects like the base objective in "
          "train worlds, not after the shift); measured: behavioural class where the ancestor was "
          "evaluated under shift")
    if extra:
        print(f"proxy_margin = {info['trait']['label']}")
    mrca = info.get("mrca")
    print("final population: " + (f"MRCA #{mrca['id']} born in generation {mrca['generation']}" if mrca else
                                  "no common ancestor (several founder lineages survive)")
          + f"; {info['founder_lineages']['final']} founder lineage(s) left; phylogenetic diversity "
          f"{info['phylogenetic_diversity']:.0f} generations")
    if not args.no_figures:
        made = lineage_plots.make_all(args.run, overwrite=False)
        if args.individual is not None:
            from evo.runs import files as results

            fig = lineage_plots.descent_figure(args.run, individual=args.individual)
            path = Path(args.run) / "figures" / f"lineage_individual-{args.individual}.png"
            results.save_figure(fig, path)
            made[path.name] = path
        print("figures: " + ", ".join(str(p) for p in made.values()))
    return 0
