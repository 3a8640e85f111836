"""``evo run SCENARIO``: evolve a scenario (a file or a shipped name, with ``--set`` overrides) with one
seed and write its run directory; ``evo run --resume RUN_DIR`` continues an interrupted one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evo.cli.common import (
    StopRequest,
    add_json,
    add_plugin,
    add_set,
    load_plugins,
    print_json,
    set_overrides,
    show_progress,
)
from evo.cli.show import print_summary
from evo.config.names import terminal
from evo.errors import EvoError

NAME = "run"
EXAMPLES = ["evo run red_door --seed 3                  evolve, then write results/red_door/seed-3/",
            "evo run red_door --set evolution.population=50 --set evolution.generations=20",
            "                                           the same with two keys changed"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="evolve a scenario and write its results directory",
                       description="Evolve a scenario with one seed. Writes scenario.toml (the resolved "
                       "scenario, overrides included), meta.json, log.csv, final_population.npz, "
                       "summary.json and figures/ to --out (default results/<scenario>/seed-<N> in the "
                       "current directory).")
    p.add_argument("scenario", nargs="?", help="a scenario file (scenarios/red_door.toml) or the name of a "
                   "shipped scenario (red_door; evo list shows them)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same results")
    p.add_argument("--resume", metavar="RUN_DIR",
                   help="continue an interrupted or killed run from its last checkpoint "
                   "(instead of SCENARIO)")
    add_set(p)
    add_plugin(p)
    p.add_argument("--out", help="results directory (default results/<scenario>/seed-<N>)")
    p.add_argument("--force", action="store_true", help="overwrite a finished run in the same directory")
    p.add_argument("--no-figures", action="store_true", help="skip the figures (faster)")
    add_json(p, "summary.json of the finished run")
    return p


def main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from evo.runs import files, scenarios
    from evo.runs.run import default_out

    if (args.scenario is None) == (args.resume is None):
        raise EvoError("evo run: give either a SCENARIO (a file or a shipped name) or --resume RUN_DIR")
    if args.resume is not None and args.set:
        raise EvoError("evo run --resume: --set cannot change a run under way (its scenario.toml is fixed); "
                       "start a new run instead")
    load_plugins(args)
    if args.resume is not None:
        s = scenarios.load(Path(args.resume) / "scenario.toml")
        meta = files.read_json(Path(args.resume) / "meta.json", "meta_bytes")
        seed_label = meta.get("seed", "?") if isinstance(meta, dict) else "?"  # for the progress bar only
    else:
        s = scenarios.load(args.scenario, set_overrides(args))
        seed_label = args.seed
    from evo import api  # after the scenario is read: a bad file is refused before matplotlib loads
    from evo.evolution.loop import Stopped

    bar = tqdm(total=s.evolution.generations, desc=f"{s.name} seed {seed_label}", unit="gen",
               disable=not show_progress(args), file=sys.stderr, dynamic_ncols=True)

    def progress(gen: object) -> None:
        rec = gen.record  # type: ignore[attr-defined]
        if bar.n == 0 and rec["gen"] > 0:
            bar.update(int(rec["gen"]))  # resumed: the generations before the checkpoint are done
        bar.set_postfix(train=f"{rec['train_mean']:.2f}", refresh=False)
        bar.update(1)

    out = args.resume if args.resume is not None else (args.out or default_out(s, args.seed))
    try:
        with StopRequest() as stop:
            if args.resume is not None:
                result = api.resume(args.resume, figures=False, progress=progress, should_stop=stop)
            else:
                result = api.run(s, seed=args.seed, out=out, force=args.force, figures=False,
                                 progress=progress, should_stop=stop)
    except Stopped as exc:
        bar.close()
        print(f"evo: interrupted before generation {exc.generation}; a checkpoint is in {out}\n"
              f"resume with: evo run --resume {out}", file=sys.stderr)
        return 130
    finally:
        bar.close()
    failed = None if args.no_figures else _draw_figures(result.path)
    if args.json:
        print_json(result.summary)
    else:
        print_summary(result.summary, result.path)
    if failed is not None:
        print(f"evo: error: {terminal(failed)}", file=sys.stderr)
        return 1
    return 0


def _draw_figures(path: Path) -> str | None:
    """Draw the finished run's figures; None when they are drawn, else the one line that says why not. The
    run's data are complete by then (meta.json says done): a figure that fails changes none of them."""
    from evo import api

    try:
        api.save_figures(path)
    except Exception as exc:  # a full disk or any drawing error: the data stay, the failure is one line
        if isinstance(exc, OSError) and exc.strerror:
            what = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
        else:
            what = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return (f"{what} (drawing the figures of {path} failed; the run itself is finished and its data "
                "are complete: meta.json says done)")
    return None
