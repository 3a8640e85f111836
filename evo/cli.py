"""The ``evo`` command line. Only this module prints; errors the user can fix are one message, no traceback."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from evo.errors import EvoError

EPILOG = """examples:
  evo list                                   shipped scenarios and what each shows
  evo run scenarios/red_door.toml --seed 3   evolve, then write results/red_door/seed-3/
  evo show results/red_door/seed-3           print the headline numbers of a run
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
            info = tomllib.loads(path.read_text(encoding="utf-8")).get("scenario", {})
        except (tomllib.TOMLDecodeError, OSError) as exc:
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


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from evo import experiment, scenario

    s = scenario.load(args.scenario)
    bar = tqdm(total=s.evolution.generations, desc=f"{s.name} seed {args.seed}", unit="gen",
               disable=args.quiet, file=sys.stderr, dynamic_ncols=True)

    def progress(gen: object) -> None:
        rec = gen.record  # type: ignore[attr-defined]
        bar.set_postfix(train=f"{rec['train_mean']:.2f}", refresh=False)
        bar.update(1)

    try:
        result = experiment.run(s, seed=args.seed, out=args.out, force=args.force, figures=not args.no_figures,
                                progress=progress)
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
    for name, v in summary["shift"].items():
        sf = v["base_fitness"]
        print(f"  shift '{name}' fitness  mean {sf['mean']:+.3f}   best {sf['best']:+.3f}   "
              f"champion {v['champion']:+.3f}")
    print("  classes: " + ", ".join(f"{k} {v:.0%}" for k, v in summary["classes"].items()))
    champ = summary["champion"]
    if champ.get("objective"):
        print("  champion mesa-objective: " + ", ".join(f"{f} {w:+.2f}" for f, w in champ["objective"].items())
              + f"  ({champ['class']})")
    for name, reached in champ.get("reached_per_episode", {}).items():
        print(f"  champion under '{name}' reaches per episode: "
              + ", ".join(f"{f} {v:.2f}" for f, v in reached.items()))
    if (path / "figures").is_dir():
        print(f"  figures: {path / 'figures'}")


def _cmd_show(args: argparse.Namespace) -> int:
    from evo.experiment import RunResult

    result = RunResult.load(args.run)
    if args.json:
        print(json.dumps(result.summary, indent=2))
    else:
        _print_summary(result.summary, result.path)
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
                       description="Evolve a scenario with one seed. Writes scenario.toml, meta.json, log.csv, "
                       "final_population.npz, summary.json and figures/ to --out "
                       "(default results/<scenario>/seed-<N>).")
    p.add_argument("scenario", help="a scenario file, e.g. scenarios/red_door.toml")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same results")
    p.add_argument("--out", help="results directory (default results/<scenario>/seed-<N>)")
    p.add_argument("--force", action="store_true", help="overwrite a finished run in the same directory")
    p.add_argument("--no-figures", action="store_true", help="skip the figures (faster)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("show", help="print the headline numbers of a finished run")
    p.add_argument("run", help="a run directory")
    p.add_argument("--json", action="store_true", help="print summary.json as is")
    p.set_defaults(func=_cmd_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "seed", 0) is not None and getattr(args, "seed", 0) < 0:
        parser.error("--seed: expected a non-negative integer")
    try:
        return int(args.func(args))
    except EvoError as exc:
        print(f"evo: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
