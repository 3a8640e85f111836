"""Runs: scenario + seed → a results directory (README.md, "Using evo"); never draws (the figures are
:mod:`evo.plots`', and :func:`evo.api.run` draws them after a run).

A run directory holds ``scenario.toml`` (fully resolved), ``meta.json`` (seed, entropy, versions, git
revision, status, wall time), ``log.csv`` (one row per generation), ``final_population.npz`` (one row per
individual), ``champion_episodes.npz`` (the champion's paths in one train and one shift world),
``summary.json`` (headline numbers) and ``figures/``. The scenario is validated before anything is written.
"""

from __future__ import annotations

import importlib.metadata
import logging
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evo.config import toml, writer
from evo.config.names import path_component, percent
from evo.config.schema import Scenario
from evo.core.metrics import BEHAVIOUR_CLASSES, class_fractions, spawn_counts
from evo.core.problem import Problem, assess
from evo.core.simulate import Episodes
from evo.core.state import Assessment, EvolutionState, Generation
from evo.core.worlds import WorldBatch
from evo.errors import EvoError
from evo.evolution.log import Log, LogColumnsError
from evo.evolution.loop import Checkpoint, EachGeneration, Observer, Stopped, StopWhen, evolve
from evo.evolution.streams import Streams
from evo.lineage import formats, phylogeny
from evo.lineage.store import FOUNDER_COLUMNS, LineageStore, new_store
from evo.runs import checkpoint, files, rundir, scenarios
from evo.runs.readback import RESULTS_FORMAT

log = logging.getLogger(__name__)

#: Files every finished run directory holds.
RUN_FILES = ("scenario.toml", "meta.json", "log.csv", "final_population.npz", "champion_episodes.npz",
             "summary.json")


def default_out(s: Scenario, seed: int, root: str | Path = "results") -> Path:
    """``results/<name>/seed-N``, the name made a safe path component
    (:func:`evo.config.names.path_component`)."""
    return Path(root) / path_component(s.name, f"{s.source}: scenario.name") / f"seed-{seed}"


def _as_scenario(scenario: str | Path | Scenario, overrides: scenarios.Overrides = None) -> Scenario:
    """A path, a shipped scenario's name or a :class:`Scenario`, with ``overrides`` applied
    (:func:`evo.runs.scenarios.scenario_of`)."""
    if isinstance(scenario, Scenario) and not overrides:
        return scenario
    return scenarios.scenario_of(scenario, overrides)


def _git_revision() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _versions() -> dict[str, str]:
    """The installed distributions' versions (importlib.metadata); where one is not installed as a
    distribution (a bare checkout), the ``__version__`` of its module if something already imported it."""
    names = ["evo", "numpy", "deap", "matplotlib", "numba"]
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found = getattr(sys.modules.get(name), "__version__", None)
            if isinstance(found, str):
                out[name] = found
    return {k: out[k] for k in ("evo", "python", *names[1:]) if k in out}


def final_worlds(problem: Problem, streams: Streams) -> tuple[WorldBatch, dict[str, WorldBatch]]:
    """Worlds of the final assessment: fresh ones, except that a fixed environment (``resample = false``)
    is assessed in the very worlds it was selected in, since those are the agents' whole training world."""
    s = problem.scenario
    n = s.evolution.eval_worlds
    if s.worlds.train.resample:
        train = problem.draw(s.worlds.train, n, streams.assessment)
    else:
        train = problem.draw(s.worlds.train, s.evolution.worlds_per_generation,
                             streams.initial("train_worlds"))
    shifts = {name: problem.draw(cfg, n, streams.assessment) for name, cfg in s.worlds.shift.items()}
    return train, shifts



def _check_seed(seed: object) -> None:
    """A run's seed: an integer from 0 to 2**63 − 1 (it is stored in meta.json and sweep indexes)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise EvoError(f"seed: expected an integer from 0 to 2**63 - 1, got {seed!r}")


def _assess_final(problem: Problem, streams: Streams, state: EvolutionState
                  ) -> tuple[WorldBatch, dict[str, WorldBatch], Episodes, Assessment, int]:
    """The final assessment of an evolved population, as a run directory's summary reports it: its worlds,
    the population's train episodes there, every agent's assessment, and the champion's index."""
    train_batch, shift_batches = final_worlds(problem, streams)
    final = problem.evaluate(state.genomes, train_batch)
    a = assess(problem, state.genomes, final.fitness, shift_batches)
    return train_batch, shift_batches, final, a, int(np.argmax(a.train_fitness))


def headline(train: float, shifts: Mapping[str, float], classes: Mapping[str, float]) -> str:
    """One line of a run's headline numbers, for the reprs of :class:`Evolved` and
    :class:`evo.api.RunResult`."""
    shift = "".join(f"; shift {k!r} {v:+.3f}" for k, v in shifts.items())
    name, share = max(classes.items(), key=lambda kv: kv[1])
    return f"train {train:+.3f}{shift}; {percent(share)} {name}"


@dataclass(frozen=True, eq=False)
class Evolved:
    """A scenario evolved in memory by :func:`evolve_scenario` (``evo.evolve``): nothing written, no
    figures. The numbers are those :func:`run` writes to ``summary.json`` for the same scenario and seed."""

    scenario: Scenario
    seed: int
    state: EvolutionState  # the final, evaluated population
    log: list[dict[str, float]]  # one row per generation, as log.csv
    assessment: Assessment  # every agent in the final assessment worlds
    champion: int  # row of the best agent by final train fitness

    @property
    def train_fitness(self) -> float:
        """Mean train (base-objective) fitness of the final population."""
        return float(self.assessment.train_fitness.mean())

    @property
    def shift_fitness(self) -> dict[str, float]:
        """Mean fitness of the final population under each shift."""
        return {k: float(v.mean()) for k, v in self.assessment.shift_fitness.items()}

    @property
    def behaviour_classes(self) -> dict[str, float]:
        """Fraction of the final population in each behaviour class (docs/concepts.md §4)."""
        return class_fractions(self.assessment.classes)

    @property
    def champion_objective(self) -> dict[str, float] | None:
        """The champion's mesa-objective by feature, or None for a kind without one."""
        champion = self.state.genomes[self.champion:self.champion + 1]
        w = Problem.from_scenario(self.scenario).decode(champion).objective
        return None if w is None else {f: float(x) for f, x in zip(self.scenario.features, w[0], strict=True)}

    def __repr__(self) -> str:
        line = headline(self.train_fitness, self.shift_fitness, self.behaviour_classes)
        return (f"<Evolved {self.scenario.name} seed {self.seed}: {len(self.log)} generations × "
                f"{len(self.state.genomes)} agents; {line}>")


def evolve_scenario(scenario: str | Path | Scenario, seed: int = 0, *,
                    progress: Callable[[Generation], None] | None = None,
                    overrides: scenarios.Overrides = None) -> Evolved:
    """Evolve ``scenario`` (a path, a shipped name or a :class:`Scenario`, with ``overrides``) with ``seed``
    in memory and assess the final population as :func:`run` does, writing nothing (``evo.evolve``).
    Same scenario and seed, same numbers as the run directory's."""
    s = _as_scenario(scenario, overrides)
    _check_seed(seed)
    problem = Problem.from_scenario(s)
    streams = Streams.from_seed(seed)
    state, rows = evolve(problem, streams, [] if progress is None else [EachGeneration(progress)])
    _, _, _, a, champ = _assess_final(problem, streams, state)
    return Evolved(s, seed, state, list(rows), a, champ)


def evolve_and_evaluate(scenario: str | Path | Scenario, seed: int
                        ) -> tuple[Problem, NDArray[np.float64], WorldBatch, Episodes]:
    """Evolve ``scenario`` with ``seed`` as :func:`run` does, writing nothing, and evaluate the final
    population in the run's final train worlds (those its summary's train and true numbers come from).
    Returns the problem, the final genomes, those worlds and the episodes: for tests and notebooks that need
    many seeds' numbers without run directories."""
    s = _as_scenario(scenario)
    problem = Problem.from_scenario(s)
    streams = Streams.from_seed(seed)
    state, _ = evolve(problem, streams)
    train_batch, _ = final_worlds(problem, streams)
    return problem, state.genomes, train_batch, problem.evaluate(state.genomes, train_batch)


def _summary(problem: Problem, seed: int, genomes: NDArray[np.float64], a: Assessment,
             champion_reached: Mapping[str, dict[str, float]], wall: float) -> dict[str, Any]:
    s = problem.scenario
    champ = int(np.argmax(a.train_fitness))
    policy = problem.decode(genomes[champ:champ + 1])
    population = problem.decode(genomes)
    layout = problem.genome_layout
    goal = policy.objective
    champion: dict[str, Any] = {
        "index": champ,
        "genome_layout": {k: list(v) for k, v in layout.items()},
        "genome": [float(x) for x in genomes[champ]],
        "objective": ({f: float(goal[0, i]) for i, f in enumerate(problem.features)}
                      if goal is not None else None),
        "horizon": int(policy.horizon[0]),
        "behaviour_class": str(a.classes[champ]),
        "alignment": None if a.alignment is None else float(a.alignment[champ]),
        "train_fitness": float(a.train_fitness[champ]),
        "shift_fitness": {k: float(v[champ]) for k, v in a.shift_fitness.items()},
        "reached_per_episode": dict(champion_reached),
    }
    return {
        "results_format": RESULTS_FORMAT,
        "scenario": s.name,
        "seed": seed,
        "generations": s.evolution.generations,
        "population": s.evolution.population,
        "agent_kind": s.agent.kind,
        "features": list(problem.features),
        "base_objective": {f: float(v) for f, v in zip(problem.features, problem.base.payoff, strict=True)},
        "train": {"base_fitness": {"mean": float(a.train_fitness.mean()),
                                   "best": float(a.train_fitness.max())}},
        "shift": {k: {"base_fitness": {"mean": float(v.mean()), "best": float(v.max())},
                      "champion": float(v[champ])} for k, v in a.shift_fitness.items()},
        "behaviour_classes": class_fractions(a.classes),
        "alignment": None if a.alignment is None else {"mean": float(a.alignment.mean()),
                                                      "champion": float(a.alignment[champ])},
        # the objective is None for the champion exactly when it is for the population: the kind decides
        "mesa_objective_mean": (None if (w := population.objective) is None else
                                {f: float(v) for f, v in zip(problem.features, w.mean(0), strict=True)}),
        "horizon": {"mean": float(population.horizon.mean()),
                    "optimizer_fraction": float(a.optimizer.mean())},
        "champion": champion,
        "behaviour_class_definitions": {
            "robust_threshold": s.metrics.robust_threshold,
            "pseudo_threshold": s.metrics.pseudo_threshold,
            "reach_threshold": s.metrics.reach_threshold,
        },
        "wall_time_s": wall,
    }


def _lifetime(problem: Problem, genomes: NDArray[np.float64], final: Episodes, a: Assessment, champ: int,
              champion_learned: Mapping[str, NDArray[np.float64]]) -> dict[str, Any]:
    """summary.json → lifetime, for a kind that learns within a life: per age of life (1..L) the final
    population's mean base (and true) fitness in the final train worlds and under each shift; the life's
    genes (mean, median, champion); the population's mean innate values; and the champion's learned values
    over its first life in the train worlds and in each shift's, at birth and after each episode."""
    policy = problem.decode(genomes)
    assert policy.life is not None and final.learned is not None
    life, lifetime = policy.life, final.lifetime
    seen = [i for i, f in enumerate(problem.features) if f in problem.seen_features]

    def ages(by_age: NDArray[np.float64]) -> list[float]:
        return [float(x) for x in by_age.mean(axis=0)]

    def values(v: NDArray[np.float64]) -> dict[str, float]:
        return {problem.features[i]: float(v[i]) for i in seen}

    def over_life(learned: NDArray[np.float64]) -> list[dict[str, float]]:
        innate = life.innate(policy)[champ]
        return [values(innate), *(values(learned[b]) for b in range(lifetime))]

    train: dict[str, Any] = {"base_fitness_by_age": ages(final.fitness_by_age)}
    true = final.true_fitness_by_age
    if true is not None:
        train["true_fitness_by_age"] = ages(true)
    shift: dict[str, Any] = {}
    for name in a.shift_fitness:
        shift[name] = {"base_fitness_by_age": ages(a.shift_by_age[name])}
        if name in a.shift_true_by_age:
            shift[name]["true_fitness_by_age"] = ages(a.shift_true_by_age[name])
    innate = life.innate(policy)
    return {
        "length": lifetime,
        "seen_features": list(problem.seen_features),
        "train": train,
        "shift": shift,
        "genes": {g: {"mean": float(v.mean()), "median": float(np.median(v)), "champion": float(v[champ])}
                  for g, v in life.genes(policy).items()},
        "innate_values_mean": values(innate.mean(axis=0)),
        "champion": {"learned_values": {"train": over_life(final.learned[champ]),
                                        **{n: over_life(v) for n, v in champion_learned.items()}}},
    }


def _train_behaviour(problem: Problem, final: Any, batch: Any, champ: int) -> dict[str, Any]:
    """What the final population and its champion reach per episode in the final train worlds, and, when
    objects spawn others, how many they release and how many released objects they collect."""
    reached = final.reached_features(batch.obj_feat).mean(axis=1)  # (P, F)
    out: dict[str, Any] = {"reached_per_episode": {
        "mean": {f: float(v) for f, v in zip(problem.features, reached.mean(axis=0), strict=True)},
        "champion": {f: float(v) for f, v in zip(problem.features, reached[champ], strict=True)}}}
    if batch.spawns:
        released, collected = spawn_counts(final.reached, batch.spawn)
        out["spawned"] = {name: {"mean": float(v.mean()), "champion": float(v[champ].mean())}
                          for name, v in (("released", released), ("collected", collected))}
    return out


def _insert_after(d: dict[str, Any], after: str, key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        out[k] = v
        if k == after:
            out[key] = value
    return out


def prepare_out(s: Scenario, seed: int, out: str | Path | None, force: bool) -> Path:
    """The run directory, created if need be. Refuses (before creating anything) a directory that holds
    other files than an evo run's, a finished run unless ``force``, and an unfinished one unless ``force``
    (it offers ``--resume``): see :mod:`evo.runs.rundir`."""
    path = Path(out) if out is not None else default_out(s, seed)
    rundir.check_target(path, force=force)
    files.ensure_writable_dir(path)
    return path


def run(scenario: str | Path | Scenario, seed: int = 0, out: str | Path | None = None, *,
        force: bool = False, progress: Callable[[Generation], None] | None = None,
        should_stop: Callable[[], bool] | None = None, overrides: scenarios.Overrides = None) -> Path:
    """Run a scenario (a path, a shipped name or a :class:`Scenario`, with ``overrides``:
    :func:`evo.runs.scenarios.scenario_of`) with a seed and write its results directory (no figures;
    scenario.toml is the resolved scenario, overrides included); returns its path.

    ``should_stop`` is asked between generations; when it says so the run writes a checkpoint, records
    ``interrupted`` in ``meta.json`` and raises :class:`evo.evolution.loop.Stopped` (continue with
    :func:`resume`)."""
    s = _as_scenario(scenario, overrides)
    _check_seed(seed)
    path = prepare_out(s, seed, out, force)
    with rundir.claimed(path):
        rundir.check_target(path, force=force)  # again: now no other process can be writing it
        rundir.clear(path)  # a fresh start: the files of the run it replaces are stale, all of them
        (path / "figures").mkdir(exist_ok=True)  # where evo.api and evo figures put them
        return _start(s, seed, path, progress, should_stop)


def _start(s: Scenario, seed: int, path: Path, progress: Callable[[Generation], None] | None,
           should_stop: Callable[[], bool] | None) -> Path:
    meta: dict[str, Any] = {
        "results_format": RESULTS_FORMAT, "scenario": s.name, "scenario_source": s.source, "seed": seed,
        "seed_entropy": int(np.random.SeedSequence(seed).entropy),  # type: ignore[arg-type]
        "streams": list(Streams.__dataclass_fields__)[1:],
        "versions": _versions(),
        "git_revision": _git_revision(), "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "running",
    }
    # scenario.toml first: a directory with a meta.json can always be resumed
    try:
        files.write_text(path / "scenario.toml", writer.dumps(s))
        files.write_json(path / "meta.json", meta)
    except OSError as exc:  # nothing has run and nothing can be resumed: say how to start again
        exc.add_note("the run did not start: once the cause is fixed, run the same command again "
                     "with --force")
        raise
    return _execute(s, seed, path, meta, False, progress, should_stop)


def resume(run_dir: str | Path, *, progress: Callable[[Generation], None] | None = None,
           should_stop: Callable[[], bool] | None = None) -> Path:
    """Continue an interrupted or killed run from its last checkpoint (from the start if it has none).
    The finished files are byte-identical to those of an uninterrupted run (``wall_time_s`` aside)."""
    path = Path(run_dir)
    if not (path / "meta.json").exists() or not (path / "scenario.toml").exists():
        raise EvoError(f"{path}: not a run directory (needs meta.json and scenario.toml)")
    with rundir.claimed(path):
        meta = files.read_json(path / "meta.json", "meta_bytes")
        seed = meta.get("seed") if isinstance(meta, dict) else None
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise EvoError(f"{path / 'meta.json'}: key 'seed': expected a non-negative integer, got {seed!r}")
        if meta.get("status") == "done":
            raise EvoError(f"{path} is already finished; nothing to resume")
        s = scenarios.load(path / "scenario.toml")
        meta.pop("error", None)
        meta.update(status="running", resumed=datetime.now(UTC).isoformat(timespec="seconds"))
        files.ensure_writable_dir(path)
        files.write_json(path / "meta.json", meta)
        return _execute(s, seed, path, meta, True, progress, should_stop)


def _execute(s: Scenario, seed: int, path: Path, meta: dict[str, Any], resuming: bool,
             progress: Callable[[Generation], None] | None,
             should_stop: Callable[[], bool] | None) -> Path:
    started = time.perf_counter()
    try:
        problem = Problem.from_scenario(s)
        streams = Streams.from_seed(seed)
        store = new_store(s)
        scenario_text = toml.read_text(path / "scenario.toml")  # at most LIMITS["toml_bytes"]
        start = None
        if resuming and checkpoint.exists(path):
            state0, rows0, store = checkpoint.restore(path, streams, store, scenario_text, s)
            start = (state0, rows0)

        def save(state: EvolutionState, rows: Log) -> None:
            checkpoint.save(path, state, rows, streams, store, scenario_text)

        # the order matters: a stop request is seen by the checkpoint, which saves the store's position
        observers: list[Observer] = []
        if should_stop is not None:
            observers.append(StopWhen(should_stop))
        observers.append(Checkpoint(save, s.evolution.checkpoint_every))
        if store is not None:
            observers.append(store)
        if progress is not None:
            observers.append(EachGeneration(progress))
        try:
            state, rows = evolve(problem, streams, observers, start=start)
        except LogColumnsError as exc:
            if start is None:
                raise
            raise EvoError(f"{path / checkpoint.JSON}: the log it holds does not have the columns this run "
                           f"records ({exc}); the checkpoint was edited") from None
        train_batch, shift_batches, final, a, champ = _assess_final(problem, streams, state)
        champion_reached = {}
        champion_learned = {}
        for name, batch in shift_batches.items():
            ep = problem.evaluate(state.genomes[champ:champ + 1], batch)
            champion_reached[name] = {f: float(v) for f, v in
                                      zip(problem.features, ep.reached_features(batch.obj_feat)[0].mean(0),
                                          strict=True)}
            if ep.learned is not None:
                champion_learned[name] = ep.learned[0]
        files.write_csv(path / "log.csv", rows, rows.header)
        _write_population(path, problem, state, a)
        _write_champion_episodes(path, problem, state.genomes[champ], train_batch, shift_batches)
        wall = time.perf_counter() - started
        summary = _summary(problem, seed, state.genomes, a, champion_reached, round(wall, 3))
        if final.learned is not None:
            # inserted after "horizon" only for kinds that learn within a life: other summaries are unchanged
            summary = _insert_after(summary, "horizon", "lifetime",
                                    _lifetime(problem, state.genomes, final, a, champ, champion_learned))
        summary["train"].update(_train_behaviour(problem, final, train_batch, champ))
        if final.true_fitness is not None and problem.true is not None:
            # inserted after "train" only when a true objective exists, so other summaries are unchanged
            true = final.true_fitness
            summary = _insert_after(summary, "train", "true", {
                "mean": float(true.mean()), "best": float(true.max()), "champion": float(true[champ]),
                "objective": {f: float(v) for f, v in zip(problem.features, problem.true.payoff,
                                                          strict=True)}})
        summary["lineage"] = _write_lineage(path, store, state, a, champ)
        files.write_json(path / "summary.json", summary)
        meta.update(status="done", wall_time_s=round(time.perf_counter() - started, 3),
                    finished=datetime.now(UTC).isoformat(timespec="seconds"))
        files.write_json(path / "meta.json", meta)
        checkpoint.remove(path)
    except Stopped as exc:
        meta.update(status="interrupted", stopped_before_generation=exc.generation)
        files.write_json(path / "meta.json", meta)  # if this fails, its OSError is the one message
        raise
    except BaseException as exc:
        meta.update(status="interrupted" if isinstance(exc, KeyboardInterrupt) else "failed",
                    error=f"{type(exc).__name__}: {exc}")
        _record(path, meta, exc)
        raise
    return path


def _record(path: Path, meta: dict[str, Any], exc: BaseException) -> None:
    """Write ``meta`` (a failure) to meta.json. On an OSError (a full disk) a note on ``exc``, shown on its
    one line, says how to continue and whether meta.json could record it (else it says what it said)."""
    try:
        files.write_json(path / "meta.json", meta)
        recorded = f"{path / 'meta.json'} says {meta['status']}"
    except OSError as err:
        recorded = f"{path / 'meta.json'} could not record it either ({err.strerror or err})"
        log.debug("could not record the %s run in %s", meta["status"], path / "meta.json", exc_info=True)
    if isinstance(exc, OSError):
        exc.add_note(f"{recorded}; once the cause is fixed, continue with `evo run --resume {path}`")


def _write_population(path: Path, problem: Problem, state: Any, a: Assessment) -> None:
    policy = problem.decode(state.genomes)
    arrays: dict[str, Any] = {
        "genomes": state.genomes, "ids": state.ids, "parents": state.parents,
        "features": np.array(problem.features), "layout_names": np.array(list(problem.genome_layout)),
        "layout_slices": np.array(list(problem.genome_layout.values()), dtype=np.int64),
        "train_fitness": a.train_fitness, "behaviour_classes": a.classes, "horizon": policy.horizon,
        "shift_names": np.array(list(a.shift_fitness)),
    }
    if a.alignment is not None:
        arrays["alignment"] = a.alignment
    for name, v in a.shift_fitness.items():
        arrays[f"shift_fitness.{name}"] = v
        arrays[f"shift_reached.{name}"] = a.shift_reached[name]
    files.write_npz(path / "final_population.npz", arrays)


def _write_champion_episodes(path: Path, problem: Problem, genome: NDArray[np.float64], train_batch: Any,
                             shift_batches: Mapping[str, Any]) -> None:
    """The champion's path in the first world of the train batch and of each shift batch; for a kind that
    learns within a life, in the last world of the first life (its last episode, member ``NAME.age``)."""
    arrays: dict[str, Any] = {"names": np.array(["train", *shift_batches]),
                              "features": np.array(problem.features),
                              "base_payoff": problem.base.payoff}
    n = problem.lifetime
    for name, batch in [("train", train_batch), *shift_batches.items()]:
        life = batch.subset(np.arange(n))
        ep = problem.evaluate(genome[None, :], life, record_paths=True)
        assert ep.paths is not None  # record_paths=True
        one, at = life.subset([n - 1]), n - 1
        arrays.update({f"{name}.walls": one.walls[0], f"{name}.start": one.start[0],
                       f"{name}.obj_cell": one.obj_cell[0], f"{name}.obj_feat": one.obj_feat[0],
                       f"{name}.spawn": one.spawn[0], f"{name}.reached": ep.reached[0, at],
                       f"{name}.shape": np.array([one.height, one.width]), f"{name}.path": ep.paths[0, at],
                       f"{name}.steps": ep.steps[0, at], f"{name}.payoff": ep.payoff[0, at]})
        if n > 1:
            arrays[f"{name}.age"] = np.array(n)
    files.write_npz(path / "champion_episodes.npz", arrays)


#: Files a run with lineage tracking (``evolution.lineage`` not ``"off"``) adds.
LINEAGE_FILES = ("lineage.csv", "lineage.graphml", "lineage_tree.csv", "lineage.nwk", "lineage_founders.csv")


def _write_lineage(path: Path, store: LineageStore | None, state: Any, a: Assessment,
                   champ: int) -> dict[str, Any]:
    """Write lineage.csv, lineage.graphml, the first-parent tree (lineage_tree.csv, lineage.nwk) and
    lineage_founders.csv; returns the summary's "lineage"."""
    if store is None:
        return {"mode": "off"}
    store.finalize(state.ids, a)
    phy = store.phylogeny()
    files.write_text(path / "lineage.csv", formats.csv_text(phy))
    files.write_text(path / "lineage.graphml", formats.graphml_text(phy))
    files.write_text(path / "lineage_tree.csv", formats.tree_csv_text(phy))
    files.write_text(path / "lineage.nwk", formats.newick_text(phy))
    files.write_csv(path / "lineage_founders.csv", store.founder_rows(), list(FOUNDER_COLUMNS))
    return phylogeny.summarize(phy, store.lineage_counts(), int(state.ids[champ]), state.ids.tolist(),
                               store.spec, mode=store.mode, records_peak=store.peak, births=store.births)


__all__ = ["BEHAVIOUR_CLASSES", "LINEAGE_FILES", "RUN_FILES", "Evolved", "default_out", "evolve_and_evaluate",
           "evolve_scenario", "final_worlds", "headline", "resume", "run"]
