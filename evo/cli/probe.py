"""``evo probe RUN_DIR``: fit the behavioural objective of a run's agents from their choices in choice
worlds (:mod:`evo.analysis.probe`), store it in probe.json and draw figures/probe.png."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.cli.common import add_json, add_plugin, load_plugins, print_json
from evo.cli.table import number, render
from evo.config.names import percent

NAME = "probe"
EXAMPLES = ["evo probe results/red_door/seed-3 --world blue_doors",
            "                                           the champion's behavioural objective in choice "
            "worlds"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="fit the behavioural objective of a run's agents from their choices",
                       description="Put agents of a finished run in controlled choice worlds (objects at "
                       "equal path distance from the start, differing in their features; many layouts), "
                       "record what each goes to first, and fit per-feature preference weights with a "
                       "conditional-logit (Bradley-Terry) model. Prints base objective, mesa-objective and "
                       "behavioural objective per feature; stores them in probe.json (beside "
                       "summary.json, which stays as the run wrote it) under WORLD and draws "
                       "figures/probe.png. Works for every agent kind: for reflex agents it reveals an "
                       "objective their genome does not contain.")
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
    add_plugin(p)
    p.add_argument("--no-figures", action="store_true", help="do not redraw figures/probe.png")
    add_json(p, "the probe's numbers (as stored in probe.json)")
    return p


def objective_table(s: dict[str, Any]) -> str:
    """The probe summary of :func:`evo.analysis.probe.summarize` as a table, one row per feature
    (unit-length objectives: base, mesa, behavioural with its 95 % interval, raw β), then a footnote on
    the interval (which one; or why there is none)."""
    from evo.analysis.logit import RIDGE
    from evo.analysis.probe import SEPARATED

    b = s["behavioural_objective"]
    mesa = s["mesa_objective"]
    unbounded = b.get("unbounded", {})
    separated = bool(b.get("separated"))
    rows = []
    for f in s["features"]:
        lo, hi = b["normalised_ci_low"][f], b["normalised_ci_high"][f]
        if unbounded.get(f):
            ci = "separated"
        elif separated or lo is None or hi is None:
            ci = "—"
        else:
            ci = f"[{number(lo, '{:+.2f}')}, {number(hi, '{:+.2f}')}]"
        rows.append([f, number(s["base_objective"]["normalised"][f], "{:+.2f}"),
                     number(mesa["normalised"][f], "{:+.2f}") if mesa else "—",
                     number(b["normalised"][f], "{:+.2f}"), ci, number(b["weight"][f], "{:+.2f}")])
    lines = [render(["feature", "base", "mesa", "behavioural", "95% interval", "raw β"], rows, "<>>><>")]
    if separated:
        marked = ", ".join(f for f in s["features"] if unbounded.get(f))
        lines.append(f"{SEPARATED} ({marked}): the choices are perfectly predicted along some direction (a "
                     "deterministic chooser), so the unpenalised fit is infinite there and any interval "
                     f"would be set by the ridge penalty (λ = {RIDGE:g}), not by the data; with a separated "
                     "fit the unit length, hence every normalised interval, is the ridge's too (—). Only the "
                     "direction — signs and ranking — is measured.")
    elif "interval" in b:
        lines.append(f"interval: {b['interval']}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from evo.plots.probe import save_probe_figure
    from evo.runs.probe import probe_run

    load_plugins(args)
    out = probe_run(args.run, args.agents, args.world, seed=args.seed, sample=args.sample,
                    n_layouts=args.layouts)
    if not args.no_figures:
        save_probe_figure(args.run)
    stored = Path(args.run) / "probe.json"
    figure = Path(args.run) / "figures" / "probe.png"
    if args.json:
        print_json({**out, "stored_in": f"{stored} {out['world']}",
                           "figure": None if args.no_figures else figure})
        return 0
    who = {"champion": "the champion", "sample": f"a sample of {out['n_agents']} agents",
           "all": f"all {out['n_agents']} agents"}[out["agents"]]
    print(f"probe: {who} ({out['agent_kind']}) in choice worlds of '{out['world']}': "
          f"{out['n_choice_sets']} choice sets × {out['n_layouts']} layouts × rotations = "
          f"{out['n_choices_per_agent']} choices per agent (all used); reached nothing in "
          f"{percent(out['none_rate'])}")
    print("objectives scaled to unit length; behavioural = conditional-logit fit of the choices "
          "(95 % interval), raw β in logit units")
    print(objective_table(out))
    if "end_of_life" in out:  # agents that learn within a life: the table above is at birth
        print(f"that was at birth; {out['end_of_life']['at']} (the mesa-objective, the innate reward, is "
              "unchanged):")
        print(objective_table(out["end_of_life"]))
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
    print(f"stored in {stored} under {out['world']}")
    if not args.no_figures:
        print(f"figure: {figure}")
    return 0
