"""``evo analyze ANALYSIS DIR``: the multi-seed analyses (:mod:`evo.sweeps.studies`,
:mod:`evo.plots.goodhart`): the diversity dial, proxy preference against capability, and the Goodhart
curves (horizon, best-of-n). Each prints its table, writes CSV rows and a figure to DIR/analysis/."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.cli.common import add_json, add_plugin, load_plugins, print_json
from evo.cli.table import MISSING, interval, number, render
from evo.runs import owned
from evo.runs.owned import Owned

NAME = "analyze"
EXAMPLES = ["evo analyze diversity results/diversity_dial",
            "                                           robust champions against training diversity, over "
            "seeds",
            "evo analyze preference results/diversity_dial --agents all",
            "                                           proxy preference under shift against train fitness"]

#: the printed columns of each Goodhart analysis: heading, the row's key, format
GOODHART_COLUMNS = {
    "horizon": (("horizon", "horizon", "{:g}"), ("seeds", "seeds", "{:d}"), ("proxy", "proxy_mean", "{:.2f}"),
                ("true", "true_mean", "{:.2f}")),
    "best-of-n": (("n", "n", "{:g}"), ("d", "d", "{:.3f}"), ("proxy", "proxy_mean", "{:.2f}"),
                  ("true", "true_mean", "{:.2f}")),
}


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="multi-seed analyses: the diversity dial; preference vs capability; "
                       "Goodhart curves",
                       description="horizon SWEEP_DIR: proxy and true fitness against the planning horizon "
                       "of a sweep over agent.horizon (scenarios/sweeps/goodhart_horizon.toml, "
                       "goodhart_vault_horizon.toml), mean and 95 pct band over seeds, the threshold (peak "
                       "of true fitness) and the sharpest fall after it. best-of-n SWEEP_DIR: the same "
                       "against d = sqrt(KL) of best-of-n for a sweep over evolution.selection.fraction "
                       "= 1/n (goodhart_best_of_n.toml), with the fit true = d(alpha - beta d) and its R². "
                       "diversity SWEEP_DIR: per diversity fraction q of a sweep (e.g. "
                       "scenarios/sweeps/diversity_dial.toml), the fraction of seeds whose champion ends "
                       "robust (Wilson 95 pct interval) and the population's robust fraction. preference DIR "
                       "(a run or a sweep directory): re-evaluates the saved champions (or --agents all) in "
                       "fresh shift worlds from --seed and records the object each reached first: share of "
                       "episodes that went to the proxy (default: red objects the base objective does not "
                       "pay for) against train fitness. Writes CSV rows and a figure to DIR/analysis/ (or "
                       "--out).")
    p.add_argument("analysis", choices=("diversity", "preference", "horizon", "best-of-n"),
                   help="which analysis")
    p.add_argument("dir", help="a sweep directory (diversity, horizon, best-of-n) or a run or sweep "
                   "directory (preference)")
    p.add_argument("--agents", choices=("champion", "all"), default="champion",
                   help="preference: the champion of each run (default) or every agent of the final "
                   "populations")
    p.add_argument("--shift", metavar="NAME", help="preference: which shift (default: the scenario's first)")
    p.add_argument("--worlds", type=int, default=64, metavar="N",
                   help="preference: shift worlds per run, 1 to 1024 (default 64)")
    p.add_argument("--seed", type=int, default=0, help="preference: seed of the shift worlds (default 0)")
    p.add_argument("--proxy", default="red", help="the proxy feature (default red)")
    add_plugin(p)
    p.add_argument("--out", help="where to write the rows and figures (default DIR/analysis)")
    p.add_argument("--no-figures", action="store_true", help="only print and write the rows")
    add_json(p, "the analysis' rows and the files written")
    return p


Analysis = tuple[dict[str, Any], list[str], list[Path]]  # the data (--json), the lines printed, files written


def _goodhart(args: argparse.Namespace, target: Path, out: Owned) -> Analysis:
    from evo.plots import analysis, goodhart
    from evo.runs import files

    numbers, report, draw = goodhart.ANALYSES[args.analysis]
    nums = numbers(target)
    r = report(nums)
    stem = "goodhart_" + args.analysis.replace("-", "_")
    files.write_csv(out.file(f"{stem}.csv"), r["rows"], list(r["rows"][0]))
    written = [out.file(f"{stem}.csv")]
    if not args.no_figures:
        written.append(analysis.save(draw(nums), out.file(f"{stem}.png")))
    columns = GOODHART_COLUMNS[args.analysis]
    table = render([h for h, _, _ in columns], [[number(row[k], spec) for _, k, spec in columns]
                                                for row in r["rows"]], ">" * len(columns))
    return r, [r["title"], table, *r["notes"]], written


def _diversity(args: argparse.Namespace, target: Path, out: Owned) -> Analysis:
    from evo.plots import analysis
    from evo.runs import files
    from evo.sweeps import studies

    usage = studies.Usage("planned runs")
    rows = studies.diversity_rows(target, proxy=args.proxy, usage=usage)
    if not rows:
        return {"usage": usage.line(), "table": [], "runs": []}, [
            f"{target}: no finished runs yet ({usage.line()})"], []
    table = studies.diversity_table(rows)
    flat = [{k: v for k, v in r.items() if k != "champion_objective"} for r in rows]
    header = list(dict.fromkeys(k for r in flat for k in r))  # every column, in order of first use
    files.write_csv(out.file("diversity_runs.csv"), flat, header)
    files.write_csv(out.file("diversity.csv"), table, list(table[0]))
    written = [out.file("diversity_runs.csv"), out.file("diversity.csv")]
    if not args.no_figures:
        written.append(analysis.save(analysis.diversity_figure(rows, table),
                                           out.file("diversity.png")))
    head = ["q", "decoys", "runs", "robust champions", "population robust", "population pseudo",
            "champion shift fitness", "train fitness"]
    grid = [[number(t["q"], "{:g}"), number(t["decoys"], "{:g}"), str(t["runs"]),
             f"{t['champions_robust']}/{t['runs']} "
             + interval(t["champion_robust_fraction"], t["champion_robust_lo"], t["champion_robust_hi"]),
             interval(t["robust_fraction"], t["robust_fraction_lo"], t["robust_fraction_hi"]),
             interval(t["pseudo_fraction"], t["pseudo_fraction_lo"], t["pseudo_fraction_hi"]),
             interval(t["champion_shift_fitness"], t["champion_shift_fitness_lo"],
                      t["champion_shift_fitness_hi"], "{:+.2f}"),
             interval(t["train_fitness"], t["train_fitness_lo"], t["train_fitness_hi"])] for t in table]
    lines = [f"diversity dial: {target}; {usage.line()}; proxy feature {args.proxy!r}; "
             "mean [95 pct interval] over seeds", render(head, grid, ">>>"),
             "intervals: " + "; ".join(f"{cols}: {how}" for cols, how in studies.DIVERSITY_INTERVALS)]
    data = {"usage": usage.line(), "proxy": args.proxy, "table": table, "runs": rows,
            "intervals": dict(studies.DIVERSITY_INTERVALS)}
    return data, lines, written


def _correlation(t: dict[str, Any]) -> str:
    rho = t["corr_capability_preference"]
    if rho != rho:  # NaN: no correlation to measure
        return "undefined"
    text = number(rho, "{:+.2f}")
    if t["corr_lo"] == t["corr_lo"]:  # not NaN
        text += f" [{number(t['corr_lo'], '{:+.2f}')}, {number(t['corr_hi'], '{:+.2f}')}]"
    return text


def _preference(args: argparse.Namespace, target: Path, out: Owned) -> Analysis:
    from evo.plots import analysis
    from evo.runs import files
    from evo.sweeps import studies

    studies.check_worlds(args.worlds)
    usage = studies.Usage("finished runs")
    rows = studies.preference_rows(target, agents=args.agents, shift=args.shift, worlds=args.worlds,
                                   seed=args.seed, proxy=args.proxy, usage=usage)
    table = studies.preference_table(rows)
    files.write_csv(out.file(f"preference_{args.agents}.csv"), rows, list(rows[0]))
    written = [out.file(f"preference_{args.agents}.csv")]
    if not args.no_figures:
        written.append(analysis.save(analysis.preference_figure(rows),
                                           out.file(f"preference_{args.agents}.png")))
    used = sum(t["agents"] for t in table)
    dropped = len(rows) - used
    lines = [f"preference vs capability: {target}; {usage.line()}; {len(rows)} agents ({args.agents}), "
             f"{used} used" + (f", {dropped} left out: they {studies.NO_PREFERENCE}" if dropped else "")
             + f"; shift {rows[0]['shift']!r}, {args.worlds} worlds from seed {args.seed}; proxy: objects "
             f"carrying {args.proxy!r} that the base objective does not pay for"]
    head = ["q", "agents used", "runs", "proxy preference", "prefer the proxy", "ambiguous", "train fitness",
            "corr(train fitness, preference)"]
    grid = []
    for t in table:
        if not t["agents"]:
            grid.append([number(t["q"], "{:g}"), f"0 of {t['agents_total']}", str(t["runs"]),
                         *[MISSING] * 5])
            continue
        grid.append([number(t["q"], "{:g}"), f"{t['agents']} of {t['agents_total']}", str(t["runs"]),
                     interval(t["proxy_preference"], t["proxy_preference_lo"], t["proxy_preference_hi"]),
                     f"{t['proxy_majority']}/{t['agents']}", number(t["ambiguous"], "{:.2f}"),
                     number(t["train_fitness"], "{:.3f}"), _correlation(t)])
    lines.append(render(head, grid, ">>>"))
    lines.append("proxy preference: share of the unambiguous shift episodes that went to the proxy first; "
                 "prefer the proxy: agents whose preference is above 0.5; ambiguous: share of episodes with "
                 "no unambiguous first object; agents used: those that reached an object unambiguously; "
                 "corr undefined: fewer than 3 agents, or one of the two constant")
    lines.append("intervals: preference: mean over runs of each run's mean, Student t over runs (95 %) "
                 "clipped to [0, 1] (the agents of one run are related: the run is the unit); correlation: "
                 "percentile bootstrap over whole runs (95 %, 2000 resamples, seed 0; none below 5 runs)")
    if args.agents == "champion":
        head = ["q", "seed", "train", "proxy preference", "ambiguous", "shift fitness", "behaviour"]
        per_run = [[number(r["q"], "{:g}"), str(r["seed"]), number(r["train_fitness"], "{:.3f}"),
                    number(r["proxy_preference"], "{:.2f}"), number(r["ambiguous"], "{:.2f}"),
                    number(r["shift_fitness"], "{:+.2f}"), r["behaviour_class"]] for r in rows]
        lines.append(render(head, per_run, ">>>>>>"))
    data = {"usage": usage.line(), "agents": args.agents, "shift": rows[0]["shift"], "worlds": args.worlds,
            "seed": args.seed, "proxy": args.proxy, "table": table, "rows": rows}
    return data, lines, written


def main(args: argparse.Namespace) -> int:
    from evo.plots import goodhart

    load_plugins(args)
    target = Path(args.dir)
    with owned.claim_new(Path(args.out) if args.out else target / "analysis", owned.ANALYSIS) as out:
        if args.analysis in goodhart.ANALYSES:
            data, lines, written = _goodhart(args, target, out)
        elif args.analysis == "diversity":
            data, lines, written = _diversity(args, target, out)
        else:
            data, lines, written = _preference(args, target, out)
    code = 0 if written else 1  # nothing written: no finished run to analyse yet
    if args.json:
        print_json({"analysis": args.analysis, "dir": target, **data, "written": written})
        return code
    print("\n".join(lines))
    if written:
        print("wrote: " + ", ".join(str(p) for p in written))
    return code
