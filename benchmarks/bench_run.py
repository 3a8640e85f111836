"""Where a whole run's time goes, generation by generation, against a pinned baseline revision measured in
the same invocation.

    python benchmarks/bench_run.py [--baseline 4579b6d] [--repeats 3] [--seed 0] [--generations N]
                                   [--scenarios red_door planning_emerges red_door:reflex]

For each scenario (``NAME`` is ``scenarios/NAME.toml``; ``NAME:KIND`` the same scenario with
``agent.kind`` replaced, e.g. ``red_door:reflex``: no reflex scenario ships), a full ``evo run`` without
figures (``evo.runs.run.run``: evolution, final assessment, every result file) is timed in a fresh
subprocess, once with this working tree's ``evo`` and once with the ``evo`` of ``--baseline`` (exported
with ``git archive`` into a temporary directory), alternating, ``--repeats`` times each, so that other
load on the machine slows both alike. The subprocess wraps the loop's pieces and adds up the seconds spent
in each, exclusively (time in a nested piece counts only for the inner one):

    draw worlds        Model.draw (the train batch and every shift batch)
    evaluate train     Model.evaluate outside assess (the population; children for mu+lambda)
    eval shift sample  loop.assess in a generation (the elite and the sample under every shift)
    breed              loop._breed (selection and variation through DEAP)
    lineage            the lineage store's observer calls
    log/checkpoint     loop._record (the log row) and checkpoint.save
    other              the rest of the generation loop (evolve's time minus the above)

Before the run, a tree whose episodes run on the compiled engine (evo/core/engines.py) starts it (numba's
import and the load of every cached kernel, once per process) on tiny inputs: reported as ``start-up s``,
inside the end-to-end time, outside the generation's pieces.

Reported per scenario and revision: milliseconds per generation and share of the generation for each
piece (medians over the repeats), generations per second of the loop (``evolve``) and end to end (the whole
run, final assessment and files included), and the speed-up against the baseline (the ratio of the
medians). No result of the two revisions is compared here; that equality is checked by the tests and by
byte-comparing run directories.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PIECES = ("draw worlds", "evaluate train", "eval shift sample", "breed", "lineage", "log/checkpoint",
          "other")


# ------------------------------------------------------------------------------------------------------
# the probe: runs inside a subprocess whose PYTHONPATH puts the tree under test first


class _Clock:
    """Exclusive seconds per piece: a wrapped call's time minus the time of the wrapped calls inside it."""

    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)
        self._inner: list[float] = []
        self.active = False  # only the generation loop counts (not the final assessment)

    def wrap(self, piece: str | Callable[[], str], fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.active:
                return fn(*args, **kwargs)
            name = piece if isinstance(piece, str) else piece()
            t = time.perf_counter()
            self._inner.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - t
                inner = self._inner.pop()
                self.total[name] += spent - inner
                if self._inner:
                    self._inner[-1] += spent

        return timed


def _start_engine() -> float:
    """Seconds to start the compiled engine (import numba, load every cached kernel: a once-per-process
    cost), spent here on tiny inputs so that the generation's pieces do not carry it; 0 for a tree without
    engines or one that runs on numpy."""
    try:
        from evo.core import engines
    except ImportError:
        return 0.0
    resolve = getattr(engines, "resolve", None)  # trees before the one compiled step had a choice
    if resolve is not None and resolve(None) != "compiled":
        return 0.0
    import numpy as np

    from evo.config.schema import AgentConfig
    from evo.core import agents, worlds
    from evo.core.simulate import Costs, Payoffs, run_episodes

    t = time.perf_counter()
    batch = worlds.build_batch(np.zeros((2, 9), dtype=bool), np.array([4, 4]), np.array([[5], [5]]),
                               np.ones((2, 1, 2)), 3, 3, 3)
    objective = Payoffs(np.ones(2), np.zeros(2, dtype=bool), 0.0)
    for kind in ("mesa", "reflex", "learner"):
        cfg = AgentConfig(kind=kind, params=dict(horizon=2, lifetime=2))
        genomes = agents.initial_genomes(cfg, 2, 2, np.random.default_rng(0))
        run_episodes(agents.decode(genomes, cfg, 2), batch, objective, Costs())
    return time.perf_counter() - t


def probe(scenario_arg: str, seed: int, generations: int | None, out: Path) -> dict[str, Any]:
    """One timed run of the ``evo`` on sys.path; returns seconds per piece and totals."""
    from dataclasses import replace

    import evo
    from evo.core.agents import agent_config
    from evo.evolution import loop
    from evo.lineage import store as lineage
    from evo.runs import checkpoint, scenarios
    from evo.runs import run as runner

    name, _, kind = scenario_arg.partition(":")
    s = scenarios.load(ROOT / "scenarios" / f"{name}.toml")
    if kind:
        s = replace(s, agent=agent_config(kind, like=s.agent))
    if generations:
        s = replace(s, evolution=replace(s.evolution, generations=generations))
    clock = _Clock()
    in_assess = [False]

    def assess(*args: Any, **kwargs: Any) -> Any:
        in_assess[0] = True
        try:
            return original_assess(*args, **kwargs)
        finally:
            in_assess[0] = False

    original_assess = loop.assess
    loop.assess = clock.wrap("eval shift sample", assess)
    # the model class: ``loop.Model`` at the baseline, ``evo.core.problem.Problem`` since
    model: Any = getattr(loop, "Model", None)
    if model is None:
        from evo.core.problem import Problem as model
    model.draw = clock.wrap("draw worlds", model.draw)
    model.evaluate = clock.wrap(lambda: "eval shift sample" if in_assess[0] else "evaluate train",
                                model.evaluate)
    if hasattr(loop, "_breed"):  # the baseline breeds in the loop; since, each replacement scheme does
        loop._breed = clock.wrap("breed", loop._breed)
    else:
        from dataclasses import replace as _replace

        from evo.evolution import replacement
        for key, scheme in list(replacement.REPLACEMENTS.items()):
            replacement.REPLACEMENTS[key] = _replace(scheme, breed=clock.wrap("breed", scheme.breed))
    loop._record = clock.wrap("log/checkpoint", loop._record)
    checkpoint.save = clock.wrap("log/checkpoint", checkpoint.save)
    for method in ("at_boundary", "after_generation"):
        setattr(lineage.LineageStore, method, clock.wrap("lineage", getattr(lineage.LineageStore, method)))
    evolve_seconds = [0.0]
    original_evolve = runner.evolve

    def evolve(*args: Any, **kwargs: Any) -> Any:
        clock.active = True
        t = time.perf_counter()
        try:
            return original_evolve(*args, **kwargs)
        finally:
            evolve_seconds[0] += time.perf_counter() - t
            clock.active = False

    runner.evolve = evolve
    wall, cpu = time.perf_counter(), time.process_time()
    start_up = _start_engine()  # inside the end-to-end time, outside the generation's pieces
    import inspect

    no_figures = {"figures": False} if "figures" in inspect.signature(runner.run).parameters else {}
    runner.run(s, seed=seed, out=out, **no_figures)  # the baseline's run drew figures unless told not to
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    pieces = dict(clock.total)
    pieces["other"] = evolve_seconds[0] - sum(pieces.values())
    return {"evo": str(Path(evo.__file__).resolve().parent), "generations": s.evolution.generations,
            "pieces": pieces, "evolve": evolve_seconds[0], "wall": wall, "cpu": cpu, "start_up": start_up}


# ------------------------------------------------------------------------------------------------------
# the driver


def export(revision: str, into: Path) -> Path:
    """The tree of ``revision`` (git archive), unpacked under ``into``."""
    tar = into / "tree.tar"
    with tar.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision], stdout=fh, check=True)
    tree = into / "tree"
    with tarfile.open(tar) as archive:
        archive.extractall(tree, filter="data")
    return tree


def run_probe(tree: Path, scenario_arg: str, seed: int, generations: int | None,
              scratch: Path) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(dir=scratch))
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--probe", scenario_arg, "--seed", str(seed),
           "--out", str(out / "run")]
    if generations:
        cmd += ["--generations", str(generations)]
    done = subprocess.run(cmd, env=env, cwd=str(tree), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"probe failed ({tree}, {scenario_arg}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(result["evo"]) != (tree / "evo").resolve():
        raise SystemExit(f"the probe imported {result['evo']}, not {tree / 'evo'}")
    return result


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    g = runs[0]["generations"]
    per_gen = {p: statistics.median(r["pieces"].get(p, 0.0) for r in runs) / g for p in PIECES}
    evolve = statistics.median(r["evolve"] for r in runs)
    wall = statistics.median(r["wall"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    return {"per_gen": per_gen, "evolve_gps": g / evolve, "wall_gps": g / wall, "cpu_gps": g / cpu,
            "gen_ms": 1e3 * evolve / g, "start_up": statistics.median(r.get("start_up", 0.0) for r in runs)}


def table(results: dict[str, dict[str, dict[str, Any]]], labels: tuple[str, str]) -> str:
    lines = []
    head = f"{'scenario':<22}{'revision':<12}" + "".join(f"{p:>19}" for p in PIECES)
    head += f"{'gen ms':>9}{'loop gen/s':>12}{'e2e gen/s':>11}{'e2e CPU gen/s':>15}{'start-up s':>12}"
    lines += [head, "-" * len(head)]
    for scen, by_rev in results.items():
        for label in labels:
            r = by_rev[label]
            total = sum(r["per_gen"].values())
            cells = "".join(f"{1e3 * v:>9.2f} ms {100 * v / total:>4.0f}%" for v in r["per_gen"].values())
            lines.append(f"{scen:<22}{label:<12}{cells}{r['gen_ms']:>9.2f}{r['evolve_gps']:>12.1f}"
                         f"{r['wall_gps']:>11.1f}{r['cpu_gps']:>15.1f}{r['start_up']:>12.2f}")
        b, n = by_rev[labels[0]], by_rev[labels[1]]
        lines.append(f"{'':<22}{'speed-up':<12}{'':>{19 * len(PIECES)}}"
                     f"{b['gen_ms'] / n['gen_ms']:>8.2f}×{n['evolve_gps'] / b['evolve_gps']:>11.2f}×"
                     f"{n['wall_gps'] / b['wall_gps']:>10.2f}×{n['cpu_gps'] / b['cpu_gps']:>14.2f}×")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+",
                        default=["red_door", "planning_emerges", "red_door:reflex"])
    parser.add_argument("--baseline", default="4579b6d", help="git revision to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generations", type=int,
                        help="override evolution.generations (default: the scenario's)")
    parser.add_argument("--json", type=Path, help="also write the medians here")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, args.seed, args.generations, args.out)))
        return 0
    labels = (args.baseline, "worktree")
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        scratch = Path(tmp)
        trees = {args.baseline: export(args.baseline, scratch), "worktree": ROOT}
        raw: dict[str, dict[str, list[dict[str, Any]]]] = {s: {k: [] for k in labels} for s in args.scenarios}
        for rep in range(args.repeats):
            for scen in args.scenarios:
                for label in (labels if rep % 2 == 0 else labels[::-1]):
                    one = run_probe(trees[label], scen, args.seed, args.generations, scratch)
                    raw[scen][label].append(one)
                    print(f"  repeat {rep + 1}/{args.repeats} {scen} {label}: "
                          f"{one['wall']:.2f} s", file=sys.stderr, flush=True)
    results = {s: {k: summarize(v) for k, v in by.items()} for s, by in raw.items()}
    print(f"per generation (median of {args.repeats}; seed {args.seed}; worktree {ROOT}):")
    print(table(results, labels))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
