"""The evolution loop: the base optimizer (docs/concepts.md §1, §7).

Rationale: docs/architecture.md, "Notes on modules" → The evolution loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from evo.core import agents, metrics, worlds
from evo.core.problem import Problem, assess
from evo.core.simulate import Episodes
from evo.core.state import Assessment, EvolutionState, Generation
from evo.evolution import replacement
from evo.evolution.log import Log
from evo.evolution.streams import Streams


def initial_state(problem: Problem, streams: Streams) -> EvolutionState:
    p = problem.scenario.evolution.population
    genomes = agents.initial_genomes(problem.scenario.agent, len(problem.features), p, streams.init)
    return EvolutionState(0, genomes, np.arange(p, dtype=np.int64), np.full((p, 2), -1, dtype=np.int64), p)


def _record(problem: Problem, state: EvolutionState, fitness: NDArray[np.float64],
            sample_assessment: Assessment,
            elite_shift: Mapping[str, float], true_fitness: NDArray[np.float64] | None = None,
            train: Episodes | None = None) -> dict[str, float]:
    rec: dict[str, float] = {
        "gen": state.generation,
        "train_mean": float(fitness.mean()),
        "train_std": float(fitness.std()),
        "train_best": float(fitness.max()),
        "train_worst": float(fitness.min()),
    }
    if true_fitness is not None:
        # the true objective in the same train episodes; ``true_champion``: the best agent by the proxy
        rec["true_mean"] = float(true_fitness.mean())
        rec["true_best"] = float(true_fitness.max())
        rec["true_champion"] = float(true_fitness[int(np.argmax(fitness))])
    for name in problem.scenario.worlds.shift:
        rec[f"shift.{name}.sample_mean"] = float(sample_assessment.shift_fitness[name].mean())
        rec[f"shift.{name}.sample_best"] = float(sample_assessment.shift_fitness[name].max())
        rec[f"shift.{name}.elite"] = float(elite_shift[name])
    policy = problem.decode(state.genomes)
    goal = policy.objective
    if goal is not None:
        for i, f in enumerate(problem.features):
            rec[f"w.{f}"] = float(goal[:, i].mean())
        align = metrics.alignment(goal, problem.base.payoff)
        rec["alignment_mean"] = float(align.mean())
    rec["horizon_mean"] = float(policy.horizon.mean())
    rec["optimizer_fraction"] = float(agents.is_optimizer(policy).mean())
    for c, v in metrics.class_fractions(sample_assessment.classes).items():
        rec[f"behaviour_class.{c}"] = v
    if policy.life is not None and train is not None:  # a kind that learns within a life
        rec.update(_life_record(problem, policy, policy.life, train, sample_assessment))
    return rec


def _life_record(problem: Problem, policy: agents.Policy, life: agents.Life, train: Episodes,
                 sample: Assessment) -> dict[str, float]:
    """Per age of life (1..L): the population's mean train fitness (and true fitness) and the shift
    sample's mean fitness; the population means of the life's genes and of the innate values per seen
    feature."""
    rec: dict[str, float] = {}
    by_age = train.fitness_by_age.mean(axis=0)
    true = train.true_fitness_by_age
    for i in range(train.lifetime):
        rec[f"train_age_mean.{i + 1}"] = float(by_age[i])
        if true is not None:
            rec[f"true_age_mean.{i + 1}"] = float(true[:, i].mean())
    for name in problem.scenario.worlds.shift:
        shift = sample.shift_by_age[name].mean(axis=0)
        for i in range(train.lifetime):
            rec[f"shift.{name}.sample_age_mean.{i + 1}"] = float(shift[i])
    for gene, v in life.genes(policy).items():
        rec[f"{gene}_mean"] = float(v.mean())
    innate = life.innate(policy)
    for i, f in enumerate(problem.features):
        if f in problem.seen_features:
            rec[f"innate.{f}"] = float(innate[:, i].mean())
    return rec


def step(problem: Problem, state: EvolutionState, streams: Streams, fixed_train: worlds.WorldBatch | None,
         breed: bool = True) -> tuple[EvolutionState, Generation]:
    """Evaluate generation ``state.generation`` and (if ``breed``) produce the next one."""
    s = problem.scenario
    e = s.evolution
    train_batch = fixed_train if fixed_train is not None else problem.draw(
        s.worlds.train, e.worlds_per_generation, streams.train_worlds)
    train = problem.evaluate(state.genomes, train_batch)
    fitness = train.fitness

    # shifted-world evaluation of the elite and a sample: recorded, never used for selection
    order = np.argsort(-fitness, kind="stable")
    p = len(fitness)
    n_sample = min(e.shift_sample, p)
    sample = np.sort(streams.sample.choice(p, size=n_sample, replace=False)) if n_sample else order[:1]
    watch = np.concatenate([order[:1], sample])
    shift_batches = {name: problem.draw(cfg, e.worlds_per_generation, streams.shift_worlds)
                     for name, cfg in s.worlds.shift.items()}
    sub = assess(problem, state.genomes[watch], fitness[watch], shift_batches, float(fitness.max()))
    sample_part = _slice_assessment(sub, slice(1, None)) if n_sample else sub
    elite_shift = {name: float(v[0]) for name, v in sub.shift_fitness.items()}
    record = _record(problem, state, fitness, sample_part, elite_shift, train.true_fitness, train)
    result = Generation(record, fitness, watch, sub)
    if not breed:
        return state, result
    scheme = replacement.REPLACEMENTS[s.evolution.replacement].breed
    return scheme(problem, state, fitness, order, streams, train, train_batch), result


def _slice_assessment(a: Assessment, sl: slice) -> Assessment:
    return Assessment(a.train_fitness[sl], {k: v[sl] for k, v in a.shift_fitness.items()},
                      {k: v[sl] for k, v in a.shift_reached.items()}, a.classes[sl],
                      None if a.alignment is None else a.alignment[sl], a.optimizer[sl],
                      {k: v[sl] for k, v in a.shift_by_age.items()},
                      {k: v[sl] for k, v in a.shift_true_by_age.items()})


@dataclass
class Boundary:
    """The loop between two generations: ``state`` is the population about to be evaluated, ``rows`` the
    log so far. An observer sets ``stop`` to end the run here (the loop then raises :class:`Stopped`);
    observers after it in the list see the request (a checkpoint observer saves the position)."""

    state: EvolutionState
    rows: Log
    stop: bool = False


class Observer(Protocol):
    """What the loop tells the outside world. ``at_boundary`` is called before every generation after the
    first one run here; ``after_generation`` after each generation is evaluated (``state`` is the evaluated
    population, before breeding). Observers are called in the order given, so the wiring decides: a stop
    request, then a checkpoint, then the lineage store, then progress (see :func:`evo.runs.run.run`)."""

    def at_boundary(self, boundary: Boundary) -> None: ...

    def after_generation(self, state: EvolutionState, generation: Generation) -> None: ...


class Observe:
    """An observer that does nothing: subclass it and override what you need."""

    def at_boundary(self, boundary: Boundary) -> None:
        return None

    def after_generation(self, state: EvolutionState, generation: Generation) -> None:
        return None


@dataclass
class StopWhen(Observe):
    """Ends the run at the next boundary once ``asked()`` says so (Ctrl-C, a deadline)."""

    asked: Callable[[], bool]

    def at_boundary(self, boundary: Boundary) -> None:
        if self.asked():
            boundary.stop = True


@dataclass
class Checkpoint(Observe):
    """Calls ``save(state, rows)`` every ``every`` generations (0: never) and whenever a stop is requested,
    so a stop never loses a generation."""

    save: Callable[[EvolutionState, Log], None]
    every: int

    def at_boundary(self, boundary: Boundary) -> None:
        if boundary.stop or (self.every and boundary.state.generation % self.every == 0):
            self.save(boundary.state, boundary.rows)


@dataclass
class EachGeneration(Observe):
    """Calls ``callback(generation)`` after each evaluated generation (a progress bar)."""

    callback: Callable[[Generation], None]

    def after_generation(self, state: EvolutionState, generation: Generation) -> None:
        self.callback(generation)


def evolve(problem: Problem, streams: Streams, observers: Sequence[Observer] = (), *,
           start: tuple[EvolutionState, Log] | None = None
           ) -> tuple[EvolutionState, Log]:
    """Run all generations; returns the last evaluated population and the :class:`Log` (one row per
    generation).

    ``observers`` (:class:`Observer`) are told of every generation boundary and every evaluated
    generation: progress, the lineage store, checkpoints and stop requests are observers, wired by the
    caller. ``start`` continues from a saved position (the population about to be evaluated and the log
    rows so far; the streams and the observers must already hold the matching state). A stop falls on a
    boundary, never in the middle of a generation."""
    s = problem.scenario
    # a fixed environment is the first draw of the train-world stream (drawn afresh when resuming)
    fixed = None if s.worlds.train.resample else problem.draw(
        s.worlds.train, s.evolution.worlds_per_generation,
        streams.train_worlds if start is None else streams.initial("train_worlds"))
    if start is None:
        state, rows = initial_state(problem, streams), Log()
    else:
        state, rows = start[0], start[1].copy()
    first = state.generation
    for g in range(first, s.evolution.generations):
        if g > first:
            boundary = Boundary(state, rows)
            for o in observers:
                o.at_boundary(boundary)
            if boundary.stop:
                raise Stopped(g)
        last = g == s.evolution.generations - 1
        state_next, gen = step(problem, state, streams, fixed, breed=not last)
        rows.append(gen.record)
        for o in observers:
            o.after_generation(state, gen)
        state = state_next
    return state, rows


class Stopped(Exception):
    """The loop stopped at a generation boundary because an observer asked it to (:class:`StopWhen`)."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        super().__init__(f"stopped before generation {generation}")
