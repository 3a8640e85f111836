"""``evo probe``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.config.names import percent


def add_parser(sub: Any) -> None:
    p = sub.add_parser("probe", help="fit the behavioural objective of a run's agents from their choices",
                       description="Put agents of a finished run in controlled choice worlds (objects at "
                       "equal path distance from the start, differing in their features; many layouts), "
                       "record what each goes to first, and fit per-feature preference weights with a "
                       "conditional-logit (Bradley-Terry) model. Prints base objective, mesa-objective and "
                       "behavioural objective per feature; stores them in summary.json under "
                       "probe.WORLD and draws figures/probe.png. Works for every agent kind: for reflex "
                       "agents it reveals an objective their genome does not contain.")
    p.add_argument("run", help="a run directory")
    p.add_argument("--agents", choices=("champion", "sample", "all"), default="champion",
                   help="whom to probe: the champion (default), a random --sample of the final population, "
                   "or all of it (one pooled fit; per-agent fits summarised)")
    p.add_argument("--world", default="train", metavar="train|SHIFT",
                   help="whose object types and geometry the choice worlds use: the train distribution "
                   "(default) or a named shift of the run's scenario")
    p.add_argument("--sample", type=int, default=32, metavar="N",
                   help="agents in --agents sample (default 32)")
    p.add_argument("--layouts", type=int, default=4, metavar="N",
                   help="layouts per choice set, 1 to 64 (default 4); each is shown once per rotation of the "
                   "objects")
    p.add_argument("--seed", type=int, default=0, help="seed of the choice worlds and the sample (default 0)")
    p.add_argument("--no-figures", action="store_true", help="do not redraw figures/probe.png")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from evo.analysis import probe
    from evo.plots import probe as probe_plots
    from evo.runs.probe import probe_run

    out = probe_run(args.run, args.agents, args.world, seed=args.seed, sample=args.sample,
                    n_layouts=args.layouts)
    if not args.no_figures:
        probe_plots.save_probe_figure(args.run)
    who = {"champion": "the champion", "sample": f"a sample of {out['n_agents']} agents",
           "all": f"all {out['n_agents']} agents"}[out["agents"]]
    print(f"probe: {who} ({out['agent_kind']}) in choice worlds of '{out['world']}': "
          f"{out['n_choice_sets']} choice sets × {out['n_layouts']} layouts × rotations = "
          f"{out['n_choices_per_agent']} choices per agent (all used); reached nothing in "
          f"{percent(out['none_rate'])}")
    print("objectives scaled to unit length; behavioural = conditional-logit fit of the choices "
          "(95 % interval), raw β in logit units")
    print(probe.format_table(out))
    if out["n_agents"] > 1:
        print(f"per-agent fits: {out['n_agents_separated']} of {out['n_agents']} separated (deterministic "
              "choosers: only their directions are measured, as in the ranking below)")
    al = out["alignment"]
    line = f"cos(behavioural, base) {al['behavioural_vs_base']:+.2f}"
    if "behavioural_vs_mesa" in al:
        line += f"   cos(behavioural, mesa) {al['behavioural_vs_mesa']:+.2f}"
    if "ranking_recovered" in out:
        line += f"   ranking of the mesa-objective recovered: {percent(out['ranking_recovered'])}"
    print(line)
    print(f"stored in {Path(args.run) / 'summary.json'} under probe.{out['world']}")
    if not args.no_figures:
        print(f"figure: {Path(args.run) / 'figures' / 'probe.png'}")
    return 0
