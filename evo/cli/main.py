"""The ``evo`` command line. Only this module prints; errors the user can fix are one message, no
traceback."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evo.config.names import percent, terminal
from evo.config.toml import parse_toml
from evo.errors import EvoError
from evo.lineage import phylogeny

EPILOG = """examples:
  evo list                                   shipped scenarios and what each shows
  evo run scenarios/red_door.toml --seed 3   evolve, then write results/red_door/seed-3/
  evo show results/red_door/seed-3           print the headline numbers of a run
  evo lineage results/red_door/seed-3        the champion's line of descent, and lineage figures
  evo sweep scenarios/sweeps/selection_pressure.toml
                                             every (cell, seed) of a sweep, on all cores; resumable
  evo sweep-report results/selection_pressure
                                             means and 95 % intervals per cell of a sweep
  evo probe results/red_door/seed-3 --world blue_doors
                                             the champion's behavioural objective in choice worlds
  evo analyze diversity results/diversity_dial
                                             robust champions against training diversity, over seeds
  evo analyze preference results/diversity_dial --agents all
                                             proxy preference under shift against train fitness
"""


def scenario_dir() -> Path:
    """The shipped scenarios: ./scenarios if present, else the repository's."""
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "scenarios"


def _cmd_list(args: argparse.Namespace) -> int:
    folder = scenario_dir()
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


class _StopRequest:
    """SIGINT/SIGTERM handler for a run: the first signal asks the run to stop at the next generation
    boundary (it then writes a checkpoint); a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._saved: dict[int, object] = {}

    def __enter__(self) -> _StopRequest:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested and signum == 2:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        import signal

        for sig, handler in self._saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    def __call__(self) -> bool:
        return self.requested


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from evo import api
    from evo.evolution.loop import Stopped
    from evo.runs import files as results
    from evo.runs import run as experiment
    from evo.runs import scenarios as scenario

    if (args.scenario is None) == (args.resume is None):
        raise EvoError("evo run: give either a SCENARIO file or --resume RUN_DIR")
    if args.resume is not None:
        s = scenario.load(Path(args.resume) / "scenario.toml")
        meta = results.read_json(Path(args.resume) / "meta.json")
        seed_label = meta.get("seed", "?") if isinstance(meta, dict) else "?"  # for the progress bar only
    else:
        s = scenario.load(args.scenario)
        seed_label = args.seed
    bar = tqdm(total=s.evolution.generations, desc=f"{s.name} seed {seed_label}", unit="gen",
               disable=args.quiet, file=sys.stderr, dynamic_ncols=True)

    def progress(gen: object) -> None:
        rec = gen.record  # type: ignore[attr-defined]
        if bar.n == 0 and rec["gen"] > 0:
            bar.update(int(rec["gen"]))  # resumed: the generations before the checkpoint are done
        bar.set_postfix(train=f"{rec['train_mean']:.2f}", refresh=False)
        bar.update(1)

    out = args.resume if args.resume is not None else (args.out or experiment.default_out(s, args.seed))
    try:
        with _StopRequest() as stop:
            if args.resume is not None:
                result = api.resume(args.resume, figures=not args.no_figures, progress=progress,
                                    should_stop=stop)
            else:
                result = api.run(s, seed=args.seed, out=out, force=args.force, figures=not args.no_figures,
                                 progress=progress, should_stop=stop)
    except Stopped as exc:
        bar.close()
        print(f"evo: interrupted before generation {exc.generation}; a checkpoint is in {out}\n"
              f"resume with: evo run --resume {out}", file=sys.stderr)
        return 130
    finally:
        bar.close()
    _print_summary(result.summary, result.path)
    return 0


def _print_summary(summary: dict, path: Path) -> None:
    print(f"run: {path}")
    print(f"scenario {summary['scenario']}, seed {summary['seed']}, {summary['generations']} generations, "
          f"population {summary['population']} ({summary['agent_kind']} agents)")
    tr = summary["train"]["base_fitness"]
    print(f"  train fitness         mean {tr['mean']:+.3f}   best {tr['best']:+.3f}")
    if "true" in summary:
        t = summary["true"]
        print(f"  true objective        mean {t['mean']:+.3f}   best {t['best']:+.3f}   "
              f"champion {t['champion']:+.3f}   (same train episodes)")
    if "spawned" in summary["train"]:
        sp = summary["train"]["spawned"]
        print(f"  per train episode: {sp['released']['mean']:.2f} objects released (champion "
              f"{sp['released']['champion']:.2f}), {sp['collected']['mean']:.2f} of them collected "
              f"(champion {sp['collected']['champion']:.2f})")
    for name, v in summary["shift"].items():
        sf = v["base_fitness"]
        print(f"  shift '{name}' fitness  mean {sf['mean']:+.3f}   best {sf['best']:+.3f}   "
              f"champion {v['champion']:+.3f}")
    # with a shift nothing is "untested"; without one nothing can be robust, pseudo or a capability failure
    moot = {"untested"} if summary["shift"] else {"robust", "pseudo", "capability_failure"}
    print("  classes: " + ", ".join(f"{k} {percent(v)}" for k, v in summary["behaviour_classes"].items()
                                    if k not in moot))
    champ = summary["champion"]
    if champ.get("objective"):
        print("  champion mesa-objective: "
              + ", ".join(f"{f} {w:+.2f}" for f, w in champ["objective"].items())
              + f"  ({champ['behaviour_class']})")
    for name, reached in champ.get("reached_per_episode", {}).items():
        print(f"  champion under '{name}' reaches per episode: "
              + ", ".join(f"{f} {v:.2f}" for f, v in reached.items()))
    life = summary.get("lifetime")
    if life is not None:  # a kind that learns within a life
        for name, v in [("train", life["train"]), *life["shift"].items()]:
            print(f"  fitness by age of life ({name}): "
                  + " ".join(f"{x:+.2f}" for x in v["base_fitness_by_age"]))
        print("  " + ", ".join(f"{g} mean {v['mean']:.2f} (champion {v['champion']:.2f})"
                               for g, v in life["genes"].items()))
    if (path / "figures").is_dir():
        print(f"  figures: {path / 'figures'}")


def _cmd_show(args: argparse.Namespace) -> int:
    from evo.api import RunResult

    result = RunResult.load(args.run)
    if args.json:
        print(json.dumps(result.summary, indent=2))
    else:
        _print_summary(result.summary, result.path)
    return 0


def _cmd_lineage(args: argparse.Namespace) -> int:
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


def _cmd_sweep(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from evo import api
    from evo.runs import sweep

    plan = sweep.load_sweep(args.sweep)
    bar = None

    def progress(p: sweep.Progress) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=p.total, initial=p.done, desc=f"sweep {plan.name}", unit="run",
                       disable=args.quiet, file=sys.stderr, dynamic_ncols=True)
            return
        if p.failed:
            bar.set_postfix(failed=p.failed, refresh=False)
        bar.update(1)

    try:
        outcome = sweep.run_sweep(plan, args.out, backend=args.backend, workers=args.workers,
                                  scheduler=args.scheduler,
                                  after_run=api.save_figures if args.run_figures else None,
                                  progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if not args.no_figures:
        from evo.plots import sweep as sweep_plots

        outcome.figures = sweep_plots.make_all(outcome.path)
    print(f"sweep: {outcome.path}  ({outcome.done}/{outcome.total} runs done, {outcome.skipped} of them "
          f"before this invocation; {outcome.seconds:.0f} s)")
    print(sweep.report_table(outcome.path))
    for rid, error in outcome.failed.items():
        print(f"failed: {terminal(rid)}: {terminal(error)}", file=sys.stderr)
    if outcome.figures:
        print(f"figures: {outcome.path / 'figures'} ({', '.join(p.name for p in outcome.figures.values())})")
    print(f"index: {outcome.path / 'index.sqlite'}")
    return 1 if outcome.failed else 0


def _cmd_sweep_report(args: argparse.Namespace) -> int:
    from evo.runs import sweep

    print(sweep.report_table(args.sweep_dir))
    if args.figures:
        from evo.plots import sweep as sweep_plots

        made = sweep_plots.make_all(args.sweep_dir)
        print("figures: " + (", ".join(str(p) for p in made.values()) or "none (no run is done yet)"))
    return 0


def _cmd_probe(args: argparse.Namespace) -> int:
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
    if "end_of_life" in out:  # agents that learn within a life: the table above is at birth
        print(f"that was at birth; {out['end_of_life']['at']} (the mesa-objective, the innate reward, is "
              "unchanged):")
        print(probe.format_table(out["end_of_life"]))
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


def _fmt_interval(mean: float, lo: float, hi: float, spec: str = "{:.2f}") -> str:
    import math

    if math.isnan(lo):
        return spec.format(mean)
    return f"{spec.format(mean)} [{spec.format(lo)}, {spec.format(hi)}]"


def _cmd_analyze(args: argparse.Namespace) -> int:
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
                          f"{t['champions_robust']}/{t['runs']} " + _fmt_interval(
                              t["champion_robust_fraction"], t["champion_robust_lo"],
                              t["champion_robust_hi"]),
                          _fmt_interval(t["robust_fraction"], t["robust_fraction_lo"],
                                        t["robust_fraction_hi"]),
                          _fmt_interval(t["pseudo_fraction"], t["pseudo_fraction_lo"],
                                        t["pseudo_fraction_hi"]),
                          _fmt_interval(t["champion_shift_fitness"], t["champion_shift_fitness_lo"],
                                        t["champion_shift_fitness_hi"], "{:+.2f}"),
                          _fmt_interval(t["train_fitness"], t["train_fitness_lo"], t["train_fitness_hi"])])
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
                  + _fmt_interval(t["proxy_preference"], t["proxy_preference_lo"], t["proxy_preference_hi"])
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evo", description="An evolutionary sandbox for inner alignment: a genetic algorithm selects "
        "mesa-optimizers on a base objective; watch pseudo-alignment appear under distributional shift.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the shipped scenarios with their one-line descriptions")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("run", help="evolve a scenario and write its results directory",
                       description="Evolve a scenario with one seed. Writes scenario.toml, meta.json, "
                       "log.csv, final_population.npz, summary.json and figures/ to --out "
                       "(default results/<scenario>/seed-<N>).")
    p.add_argument("scenario", nargs="?", help="a scenario file, e.g. scenarios/red_door.toml")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same results")
    p.add_argument("--resume", metavar="RUN_DIR",
                   help="continue an interrupted or killed run from its last checkpoint "
                   "(instead of SCENARIO)")
    p.add_argument("--out", help="results directory (default results/<scenario>/seed-<N>)")
    p.add_argument("--force", action="store_true", help="overwrite a finished run in the same directory")
    p.add_argument("--no-figures", action="store_true", help="skip the figures (faster)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("show", help="print the headline numbers of a finished run")
    p.add_argument("run", help="a run directory")
    p.add_argument("--json", action="store_true", help="print summary.json as is")
    p.set_defaults(func=_cmd_show)

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
    p.set_defaults(func=_cmd_lineage)

    p = sub.add_parser("sweep", help="run a sweep: a base scenario × a grid of overrides × seeds",
                       description="Run every (cell, seed) of a sweep file (scenarios/sweeps/*.toml) as one "
                       "normal run directory under OUT/runs/, index each in OUT/index.sqlite as it "
                       "finishes, then draw the comparison figures in OUT/figures/. Run the same command "
                       "again after an interruption: finished runs are skipped. Results do not depend on the "
                       "backend or the number of workers.")
    p.add_argument("sweep", help="a sweep file, e.g. scenarios/sweeps/selection_pressure.toml")
    p.add_argument("--backend", choices=("serial", "processes", "dask"), default="processes",
                   help="serial: in this process; processes (default): a process pool on this machine; "
                   "dask: dask.distributed (a LocalCluster, or --scheduler)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="parallel runs (default: the number of cores; with --scheduler: ignored)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="dask scheduler to connect to, e.g. tcp://10.0.0.5:8786 (OUT must be on a file "
                   "system every worker sees); without it --backend dask starts a LocalCluster")
    p.add_argument("--out", help="sweep directory (default results/<sweep name>)")
    p.add_argument("--run-figures", action="store_true", help="also draw each run's own figures (slower)")
    p.add_argument("--no-figures", action="store_true", help="skip the comparison figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("sweep-report", help="print means and 95 %% intervals per cell of a sweep",
                       description="Read SWEEP_DIR/index.sqlite and print, per cell, the number of finished "
                       "runs and the mean over seeds with its 95 % interval of train fitness, shift "
                       "fitness, pseudo-aligned fraction, alignment and generations to pseudo-alignment "
                       "(Student t; clipped to the range for fractions, cosines and generation counts; a "
                       "footnote says which). Works while the sweep is still running.")
    p.add_argument("sweep_dir", help="a sweep directory (holds index.sqlite)")
    p.add_argument("--figures", action="store_true", help="also (re)draw the comparison figures")
    p.set_defaults(func=_cmd_sweep_report)

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
    p.set_defaults(func=_cmd_probe)

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
    p.set_defaults(func=_cmd_analyze)
    return parser


class _TerminalSafe:
    """stdout for the commands: control characters in names, descriptions or result files read back are
    printed as escapes (an ESC sequence in a scenario name must not retitle or clear the terminal)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal(text, keep="\n\t"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def _glyph_note() -> Iterator[None]:
    """Matplotlib warns once per figure and character when its font lacks a glyph (emoji, CJK names): say
    it once, in one line, instead of a screenful of warnings; other warnings pass unchanged."""
    missing: set[str] = set()
    show = warnings.showwarning

    def note(message: Warning | str, category: type[Warning], *rest: Any, **kw: Any) -> None:
        text = str(message)
        if text.startswith("Glyph ") and "missing from font" in text:
            missing.add(text.split("(", 1)[-1].split(")", 1)[0])
        else:
            show(message, category, *rest, **kw)

    warnings.showwarning = note
    try:
        yield
    finally:
        warnings.showwarning = show
        if missing:
            print(f"evo: note: the figures' font has no glyph for {', '.join(sorted(missing))} (drawn as "
                  "boxes); a font that has them (e.g. Debian's fonts-noto) fixes it", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    seed = getattr(args, "seed", 0)
    if seed is not None and not 0 <= seed < 2**63:
        parser.error("--seed: expected an integer from 0 to 2**63 - 1")
    stdout = sys.stdout
    sys.stdout = _TerminalSafe(stdout)
    try:
        with _glyph_note():
            return int(args.func(args))
    except EvoError as exc:
        print(f"evo: error: {terminal(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evo: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `evo lineage RUN | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except OSError as exc:  # disk full, permissions, …: one message, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"evo: error: {terminal(where)}{terminal(exc.strerror or exc)}", file=sys.stderr)
        return 1
    finally:
        sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
