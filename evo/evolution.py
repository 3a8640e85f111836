"""The evolution loop: the base optimizer (DESIGN §5).

A loop we own, with DEAP's operators (through :mod:`evo.operators`) and DEAP's ``Logbook``. The population is
a matrix of genomes; :func:`step` takes an immutable :class:`EvolutionState` and returns the next one and the
generation's record. Each generation: draw the train world batch (shared by all agents: common random
numbers), evaluate everyone in one batched call, evaluate the elite and a random sample under every shift
(recorded, never used for selection), select, vary, keep the elite.

Randomness: one ``SeedSequence(seed)`` per run, spawned into named streams (:class:`Streams`); DEAP's
operators get private ``random.Random`` streams. No global random state is read or written.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from deap import tools
from numpy.typing import NDArray

from evo import agents, metrics, operators, worlds
from evo.scenario import Scenario, WorldConfig
from evo.simulate import Costs, Episodes, Payoffs, run_episodes

STREAMS = ("init", "train_worlds", "shift_worlds", "sample", "selection", "variation", "assessment")


@dataclass
class Streams:
    """Named random streams of one run, all spawned from ``SeedSequence(seed)`` in a fixed order."""

    seed: int
    init: np.random.Generator
    train_worlds: np.random.Generator
    shift_worlds: np.random.Generator
    sample: np.random.Generator
    selection: random.Random
    variation: random.Random
    assessment: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        children = dict(zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS))))
        made: dict[str, Any] = {}
        for name, ss in children.items():
            if name in ("selection", "variation"):
                made[name] = random.Random(int.from_bytes(ss.generate_state(4, np.uint64).tobytes(), "little"))
            else:
                made[name] = np.random.default_rng(ss)
        return cls(seed=seed, **made)


@dataclass(frozen=True, eq=False)
class Model:
    """What the loop needs from a scenario, as arrays: features, objectives, costs, agent config."""

    scenario: Scenario
    features: tuple[str, ...]
    base: Payoffs
    costs: Costs

    @classmethod
    def from_scenario(cls, s: Scenario) -> Model:
        feats = s.features
        b = s.base_objective
        base = Payoffs.from_mapping(feats, b.payoff, b.terminal, b.step_cost)
        a = s.agent
        costs = Costs(a.planning_cost, np.array([a.perception_cost.get(f, 0.0) for f in feats]),
                      a.complexity_cost)
        return cls(s, feats, base, costs)

    @property
    def genome_layout(self) -> dict[str, tuple[int, int]]:
        return agents.genome_layout(self.scenario.agent.kind, len(self.features))

    def decode(self, genomes: NDArray[np.float64]) -> agents.Policy:
        return agents.decode(genomes, self.scenario.agent, len(self.features))

    def draw(self, cfg: WorldConfig, n: int, rng: np.random.Generator) -> worlds.WorldBatch:
        return worlds.generate(cfg, self.features, n, rng)

    def evaluate(self, genomes: NDArray[np.float64], batch: worlds.WorldBatch,
                 record_paths: bool = False) -> Episodes:
        return run_episodes(self.decode(genomes), batch, self.base, self.costs, record_paths)


@dataclass(frozen=True, eq=False)
class EvolutionState:
    """The population at the start of a generation: genomes (P, G), unique ids (P,), and the ids of each
    individual's parents (P, 2; -1 where absent; two for crossover children)."""

    generation: int
    genomes: NDArray[np.float64]
    ids: NDArray[np.int64]
    parents: NDArray[np.int64]
    next_id: int


@dataclass(frozen=True, eq=False)
class Generation:
    """What one generation produced: its record (flat, JSON-able) and per-individual arrays."""

    record: dict[str, float]
    fitness: NDArray[np.float64]


@dataclass
class Assessment:
    """Every agent of a population, evaluated on fresh train and shift worlds (never selected on)."""

    train_fitness: NDArray[np.float64]
    shift_fitness: dict[str, NDArray[np.float64]]
    shift_reached: dict[str, NDArray[np.float64]]
    classes: NDArray[np.str_]
    alignment: NDArray[np.float64] | None
    optimizer: NDArray[np.bool_]
    extra: dict[str, Any] = field(default_factory=dict)


def initial_state(model: Model, streams: Streams) -> EvolutionState:
    p = model.scenario.evolution.population
    genomes = agents.initial_genomes(model.scenario.agent, len(model.features), p, streams.init)
    return EvolutionState(0, genomes, np.arange(p, dtype=np.int64), np.full((p, 2), -1, dtype=np.int64), p)


def assess(model: Model, genomes: NDArray[np.float64], train_fitness: NDArray[np.float64],
           shift_batches: Mapping[str, worlds.WorldBatch], best_train: float | None = None) -> Assessment:
    """Shift fitness, classes and alignment of every genome, given its train fitness (DESIGN §1).
    ``best_train`` is the population's best train fitness (default: the best of ``train_fitness``)."""
    policy = model.decode(genomes)
    shift_fit, shift_reached = {}, {}
    for name, batch in shift_batches.items():
        ep = model.evaluate(genomes, batch)
        shift_fit[name] = ep.fitness
        shift_reached[name] = ep.reached.sum(axis=2).mean(axis=1)
    best = float(train_fitness.max()) if best_train is None else best_train
    m = model.scenario.metrics
    optimizer = agents.is_optimizer(policy)
    classes = metrics.classify(train_fitness, shift_fit, shift_reached, optimizer, best, m.robust_threshold,
                               m.pseudo_threshold, m.reach_threshold)
    align = None if policy.w is None else metrics.alignment(policy.w, model.base.payoff)
    return Assessment(train_fitness, shift_fit, shift_reached, classes, align, optimizer)


def _record(model: Model, state: EvolutionState, fitness: NDArray[np.float64], sample_assessment: Assessment,
            elite_shift: Mapping[str, float]) -> dict[str, float]:
    rec: dict[str, float] = {
        "gen": state.generation,
        "train_mean": float(fitness.mean()),
        "train_std": float(fitness.std()),
        "train_best": float(fitness.max()),
        "train_worst": float(fitness.min()),
    }
    for name in model.scenario.worlds.shift:
        rec[f"shift.{name}.sample_mean"] = float(sample_assessment.shift_fitness[name].mean())
        rec[f"shift.{name}.sample_best"] = float(sample_assessment.shift_fitness[name].max())
        rec[f"shift.{name}.elite"] = float(elite_shift[name])
    policy = model.decode(state.genomes)
    if policy.w is not None:
        for i, f in enumerate(model.features):
            rec[f"w.{f}"] = float(policy.w[:, i].mean())
        align = metrics.alignment(policy.w, model.base.payoff)
        rec["alignment_mean"] = float(align.mean())
    rec["horizon_mean"] = float(policy.horizon.mean())
    rec["optimizer_fraction"] = float(agents.is_optimizer(policy).mean())
    for c, v in metrics.class_fractions(sample_assessment.classes).items():
        rec[f"class.{c}"] = v
    return rec


def step(model: Model, state: EvolutionState, streams: Streams, fixed_train: worlds.WorldBatch | None,
         breed: bool = True) -> tuple[EvolutionState, Generation]:
    """Evaluate generation ``state.generation`` and (if ``breed``) produce the next one."""
    s = model.scenario
    e = s.evolution
    train_batch = fixed_train if fixed_train is not None else model.draw(
        s.worlds.train, e.worlds_per_generation, streams.train_worlds)
    fitness = model.evaluate(state.genomes, train_batch).fitness

    # shifted-world evaluation of the elite and a sample: recorded, never used for selection
    order = np.argsort(-fitness, kind="stable")
    p = len(fitness)
    n_sample = min(e.shift_sample, p)
    sample = np.sort(streams.sample.choice(p, size=n_sample, replace=False)) if n_sample else order[:1]
    watch = np.concatenate([order[:1], sample])
    shift_batches = {name: model.draw(cfg, e.worlds_per_generation, streams.shift_worlds)
                     for name, cfg in s.worlds.shift.items()}
    sub = assess(model, state.genomes[watch], fitness[watch], shift_batches, float(fitness.max()))
    sample_part = _slice_assessment(sub, slice(1, None)) if n_sample else sub
    elite_shift = {name: float(v[0]) for name, v in sub.shift_fitness.items()}
    record = _record(model, state, fitness, sample_part, elite_shift)
    if not breed:
        return state, Generation(record, fitness)
    return _breed(model, state, fitness, order, streams), Generation(record, fitness)


def _slice_assessment(a: Assessment, sl: slice) -> Assessment:
    return Assessment(a.train_fitness[sl], {k: v[sl] for k, v in a.shift_fitness.items()},
                      {k: v[sl] for k, v in a.shift_reached.items()}, a.classes[sl],
                      None if a.alignment is None else a.alignment[sl], a.optimizer[sl])


def _breed(model: Model, state: EvolutionState, fitness: NDArray[np.float64], order: NDArray[np.int64],
           streams: Streams) -> EvolutionState:
    e = model.scenario.evolution
    p = len(fitness)
    n_children = p - e.elitism
    select, sel_kw = operators.resolve(e.selection, "selection")
    mutate, mut_kw = operators.resolve(e.mutation, "mutation")
    cross, cx_kw = operators.resolve(e.crossover, "crossover")
    chosen = select(fitness.tolist(), n_children, streams.selection, **sel_kw)
    children = [state.genomes[i].tolist() for i in chosen]
    parents = np.full((p, 2), -1, dtype=np.int64)
    parents[e.elitism:, 0] = state.ids[chosen]
    for j in range(0, n_children - 1, 2):
        if cross(children[j], children[j + 1], streams.variation, **cx_kw):
            a, b = e.elitism + j, e.elitism + j + 1
            parents[a, 1], parents[b, 1] = parents[b, 0], parents[a, 0]
    for child in children:
        mutate(child, streams.variation, **mut_kw)
    elite = order[: e.elitism]
    genomes = np.vstack([state.genomes[elite], np.array(children, dtype=np.float64).reshape(n_children, -1)])
    # elites are copies of themselves: they keep their id (they are the same individual, a generation older)
    ids = np.concatenate([state.ids[elite], np.arange(state.next_id, state.next_id + n_children)])
    parents[: e.elitism] = state.parents[elite]
    return EvolutionState(state.generation + 1, genomes, ids.astype(np.int64), parents,
                          state.next_id + n_children)


def logbook_header(records: list[dict[str, float]]) -> list[str]:
    return list(records[0].keys()) if records else []


def evolve(model: Model, streams: Streams, on_generation: Callable[[Generation], None] | None = None
           ) -> tuple[EvolutionState, tools.Logbook]:
    """Run all generations; returns the last evaluated population and the ``Logbook`` (one row per gen)."""
    s = model.scenario
    state = initial_state(model, streams)
    fixed = None if s.worlds.train.resample else model.draw(s.worlds.train, s.evolution.worlds_per_generation,
                                                             streams.train_worlds)
    logbook = tools.Logbook()
    for g in range(s.evolution.generations):
        last = g == s.evolution.generations - 1
        state_next, gen = step(model, state, streams, fixed, breed=not last)
        logbook.record(**gen.record)
        if on_generation is not None:
            on_generation(gen)
        state = state_next
    logbook.header = logbook_header(list(logbook))
    return state, logbook
