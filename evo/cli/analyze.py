"""``evo analyze``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evo.cli import common


def add_parser(sub: Any) -> None:
    p = sub.add_parser("analyze", help="multi-seed analyses: the diversity dial; preference vs capability; "
                       "Goodhart curves",
                       description="horizon SWEEP_DIR: proxy and true fitness against the planning horizon "
                       "of a sweep over agent.horizon (scenarios/sweeps/goodhart_horizon.toml, "
                       "goodhart_vault_horizon.toml), mean and 95 pct band over seeds, the threshold (peak "
                       "of true fitness) and the sharpest fall after it. best-of-n SWEEP_DIR: the same "
                       "against d = sqrt(KL) of best-of-n for a sweep over evolution.selection.fraction "
                       "= 1/n (goodhart_best_of_n.toml), with the fit true = d(alpha - beta d) and its R². "
                       "diversity SWEEP_DIR: per diversity fraction q of a sweep (e.g. "
                       "scenarios/sweeps/diversity_dial.toml), the fraction of seeds whose champion ends "
                       "robust "
                       "(Wilson 95 pct interval) and the population's robust fraction. preference DIR (a run "
                       "or a sweep directory): re-evaluates the saved champions (or --agents all) in fresh "
                       "shift "
                       "worlds from --seed and records the object each reached first: share of episodes that "
                       "went to the proxy (default: red objects the base objective does not pay for) against "
                       "train fitness. Writes CSV rows and a figure to DIR/analysis/ (or --out).")
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
    p.add_argument("--out", help="where to write the rows and figures (default DIR/analysis)")
    p.add_argument("--no-figures", action="store_true", help="only print and write the rows")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from evo.plots import analysis as analysis_plots
    from evo.plots import goodhart as goodhart_plots
    from evo.runs import files as results
    from evo.runs import studies as analyses

    target = Path(args.dir)
    out = Path(args.out) if args.out else target / "analysis"
    out.mkdir(parents=True, exist_ok=True)
    if args.analysis in goodhart_plots.ANALYSES:
        numbers, report, draw = goodhart_plots.ANALYSES[args.analysis]
        nums = numbers(target)
        lines, table = report(nums)
        print("\n".join(lines))
        stem = "goodhart_" + args.analysis.replace("-", "_")
        results.write_csv(out / f"{stem}.csv", table, list(table[0]))
        written = [out / f"{stem}.csv"]
        if not args.no_figures:
            written.append(analysis_plots.save(draw(nums), out / f"{stem}.png"))
    elif args.analysis == "diversity":
        usage = analyses.Usage("planned runs")
        rows = analyses.diversity_rows(target, proxy=args.proxy, usage=usage)
        if not rows:
            print(f"{target}: no finished runs yet ({usage.line()})")
            return 1
        table = analyses.diversity_table(rows)
        print(f"diversity dial: {target}; {usage.line()}; proxy feature {args.proxy!r}; "
              "mean [95 pct interval] over seeds")
        head = ["q", "decoys", "runs", "robust champions", "population robust", "population pseudo",
                "champion shift fitness", "train fitness"]
        grid = [head]
        for t in table:
            grid.append([f"{t['q']:g}", f"{t['decoys']:g}", str(t["runs"]),
                          f"{t['champions_robust']}/{t['runs']} " + common.fmt_interval(
                              t["champion_robust_fraction"], t["champion_robust_lo"],
                              t["champion_robust_hi"]),
                          common.fmt_interval(t["robust_fraction"], t["robust_fraction_lo"],
                                        t["robust_fraction_hi"]),
                          common.fmt_interval(t["pseudo_fraction"], t["pseudo_fraction_lo"],
                                        t["pseudo_fraction_hi"]),
                          common.fmt_interval(t["champion_shift_fitness"], t["champion_shift_fitness_lo"],
                                        t["champion_shift_fitness_hi"], "{:+.2f}"),
                          common.fmt_interval(t["train_fitness"], t["train_fitness_lo"],
                                              t["train_fitness_hi"])])
        widths = [max(len(r[j]) for r in grid) for j in range(len(head))]
        for cells in grid:
            print("  ".join(v.ljust(w) for v, w in zip(cells, widths, strict=True)).rstrip())
        print("intervals: " + "; ".join(f"{cols}: {how}" for cols, how in analyses.DIVERSITY_INTERVALS))
        flat = [{k: v for k, v in r.items() if k != "champion_objective"} for r in rows]
        header = list(dict.fromkeys(k for r in flat for k in r))  # every column, in order of first use
        results.write_csv(out / "diversity_runs.csv", flat, header)
        results.write_csv(out / "diversity.csv", table, list(table[0]))
        written = [out / "diversity_runs.csv", out / "diversity.csv"]
        if not args.no_figures:
            written.append(analysis_plots.save(analysis_plots.diversity_figure(rows, table),
                                               out / "diversity.png"))
    else:
        analyses.check_worlds(args.worlds)
        usage = analyses.Usage("finished runs")
        rows = analyses.preference_rows(target, agents=args.agents, shift=args.shift, worlds=args.worlds,
                                        seed=args.seed, proxy=args.proxy, usage=usage)
        table = analyses.preference_table(rows)
        used = sum(t["agents"] for t in table)
        dropped = len(rows) - used
        print(f"preference vs capability: {target}; {usage.line()}; {len(rows)} agents ({args.agents}), "
              f"{used} used" + (f", {dropped} left out: they {analyses.NO_PREFERENCE}" if dropped else "")
              + f"; shift {rows[0]['shift']!r}, {args.worlds} worlds from seed {args.seed}; proxy: objects "
              f"carrying {args.proxy!r} that the base objective does not pay for")
        for t in table:
            if not t["agents"]:
                print(f"  q={t['q']:g}: none of {t['agents_total']} agents reached an object unambiguously")
                continue
            rho = t["corr_capability_preference"]
            corr = (f"{rho:+.2f}" if rho == rho  # NaN: no correlation to measure
                    else "undefined (fewer than 3 agents, or one of the two constant)")
            if t["corr_lo"] == t["corr_lo"]:  # not NaN
                corr += f" [{t['corr_lo']:+.2f}, {t['corr_hi']:+.2f}]"
            print(f"  q={t['q']:g}: {t['agents']} of {t['agents_total']} agents in {t['runs']} runs; proxy "
                  "preference (share of unambiguous shift episodes that went to the proxy first) "
                  + common.fmt_interval(t["proxy_preference"], t["proxy_preference_lo"],
                                        t["proxy_preference_hi"])
                  + f"; {t['proxy_majority']}/{t['agents']} prefer the proxy (> 0.5); ambiguous episodes "
                  f"{t['ambiguous']:.2f}; train fitness {t['train_fitness']:.3f}; corr(train fitness, "
                  f"preference) {corr}")
        print("intervals: preference: mean over runs of each run's mean, Student t over runs (95 %) clipped "
              "to [0, 1] (the agents of one run are related: the run is the unit); correlation: percentile "
              "bootstrap over whole runs (95 %, 2000 resamples, seed 0; none below 5 runs)")
        if args.agents == "champion":
            for r in rows:
                print(f"    q={r['q']:g} seed {r['seed']}: train {r['train_fitness']:.3f}  proxy preference "
                      f"{r['proxy_preference']:.2f}  (ambiguous {r['ambiguous']:.2f})  shift fitness "
                      f"{r['shift_fitness']:+.2f}  behaviour {r['behaviour_class']}")
        results.write_csv(out / f"preference_{args.agents}.csv", rows, list(rows[0]))
        written = [out / f"preference_{args.agents}.csv"]
        if not args.no_figures:
            written.append(analysis_plots.save(analysis_plots.preference_figure(rows),
                                               out / f"preference_{args.agents}.png"))
    print("wrote: " + ", ".join(str(p) for p in written))
    return 0
