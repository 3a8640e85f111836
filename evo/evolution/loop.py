"""The evolution loop: the base optimizer (docs/concepts.md §1, §7).

A loop we own, with DEAP's operators (through :mod:`evo.evolution.operators`) and DEAP's ``Logbook``. The
population is a matrix of genomes; :func:`step` takes an immutable :class:`EvolutionState` and returns the
next one and the generation's record. Each generation: draw the train world batch (shared by all agents:
common random numbers), evaluate everyone in one batched call, evaluate the elite and a random sample under
every shift (recorded, never used for selection), select, vary, keep the elite.

Randomness: one ``SeedSequence(seed)`` per run, spawned into named streams (:class:`Streams`); DEAP's
operators get private ``random.Random`` streams. No global random state is read or written.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from deap import tools
from numpy.typing import NDArray

from evo.config.schema import EvolutionConfig, Scenario, WorldConfig
from evo.core import agents, metrics, worlds
from evo.core.simulate import Costs, Episodes, Payoffs, run_episodes
from evo.core.state import Assessment, EvolutionState, Generation
from evo.evolution import operators

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
        children = dict(zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS)), strict=True))
        made: dict[str, Any] = {}
        for name, ss in children.items():
            if name in ("selection", "variation"):
                made[name] = random.Random(
                    int.from_bytes(ss.generate_state(4, np.uint64).tobytes(), "little"))
            else:
                made[name] = np.random.default_rng(ss)
        return cls(seed=seed, **made)

    def initial(self, name: str) -> Any:
        """A new copy of stream ``name`` in its initial state (the streams themselves are left alone)."""
        return getattr(Streams.from_seed(self.seed), name)

    def snapshot(self) -> dict[str, Any]:
        """Every stream's state as JSON-able data (numpy bit-generator states; ``random.Random`` states)."""
        out: dict[str, Any] = {}
        for name in STREAMS:
            stream = getattr(self, name)
            if isinstance(stream, random.Random):
                version, internal, gauss = stream.getstate()
                out[name] = {"random": [version, list(internal), gauss]}
            else:
                out[name] = {"numpy": stream.bit_generator.state}
        return out

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Set every stream to a state taken by :meth:`snapshot` (raises ValueError/TypeError/KeyError on
        malformed data)."""
        for name in STREAMS:
            entry = snapshot[name]
            stream = getattr(self, name)
            if isinstance(stream, random.Random):
                version, internal, gauss = entry["random"]
                stream.setstate((int(version), tuple(int(x) for x in internal),
                                 None if gauss is None else float(gauss)))
            else:
                stream.bit_generator.state = dict(entry["numpy"])


@dataclass(frozen=True, eq=False)
class Model:
    """What the loop needs from a scenario, as arrays: features, objectives, costs, agent config."""

    scenario: Scenario
    features: tuple[str, ...]
    base: Payoffs
    costs: Costs
    #: the true objective (docs/concepts.md §1, Goodhart): accounted, never selected on
    true: Payoffs | None = None

    @classmethod
    def from_scenario(cls, s: Scenario) -> Model:
        feats = s.features
        b = s.base_objective
        base = Payoffs.of(b, feats)
        a = s.agent
        costs = Costs(a.planning_cost, np.array([a.perception_cost.get(f, 0.0) for f in feats]),
                      a.complexity_cost)
        t = s.true_objective
        true = None if t is None else Payoffs.of(t, feats)
        return cls(s, feats, base, costs, true)

    @property
    def genome_layout(self) -> dict[str, tuple[int, int]]:
        return agents.genome_layout(self.scenario.agent.kind, len(self.features))

    def decode(self, genomes: NDArray[np.float64]) -> agents.Policy:
        return agents.decode(genomes, self.scenario.agent, len(self.features))

    def draw(self, cfg: WorldConfig, n: int, rng: np.random.Generator) -> worlds.WorldBatch:
        return worlds.generate(cfg, self.features, n, rng)

    def evaluate(self, genomes: NDArray[np.float64], batch: worlds.WorldBatch,
                 record_paths: bool = False) -> Episodes:
        return run_episodes(self.decode(genomes), batch, self.base, self.costs, record_paths, self.true)


def initial_state(model: Model, streams: Streams) -> EvolutionState:
    p = model.scenario.evolution.population
    genomes = agents.initial_genomes(model.scenario.agent, len(model.features), p, streams.init)
    return EvolutionState(0, genomes, np.arange(p, dtype=np.int64), np.full((p, 2), -1, dtype=np.int64), p)


def assess(model: Model, genomes: NDArray[np.float64], train_fitness: NDArray[np.float64],
           shift_batches: Mapping[str, worlds.WorldBatch], best_train: float | None = None) -> Assessment:
    """Shift fitness, classes and alignment of every genome, given its train fitness (docs/concepts.md §4).
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
            elite_shift: Mapping[str, float], true_fitness: NDArray[np.float64] | None = None
            ) -> dict[str, float]:
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
    train = model.evaluate(state.genomes, train_batch)
    fitness = train.fitness

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
    record = _record(model, state, fitness, sample_part, elite_shift, train.true_fitness)
    result = Generation(record, fitness, watch, sub)
    if not breed:
        return state, result
    return _breed(model, state, fitness, order, streams, train, train_batch), result


def _slice_assessment(a: Assessment, sl: slice) -> Assessment:
    return Assessment(a.train_fitness[sl], {k: v[sl] for k, v in a.shift_fitness.items()},
                      {k: v[sl] for k, v in a.shift_reached.items()}, a.classes[sl],
                      None if a.alignment is None else a.alignment[sl], a.optimizer[sl])


@dataclass(frozen=True)
class Replacement:
    """How the next population is made: ``evolution.replacement`` names one of :data:`REPLACEMENTS`.
    ``breed(model, state, fitness, order, streams, train, train_batch)`` returns the next state
    (``order``: indices by descending fitness; ``train``: this generation's episodes). ``children(e)`` is
    how many children a generation evaluates beyond the population (the memory estimate asks), and
    ``check(e)`` says what is wrong with ``evolution.offspring`` for this replacement, as (expected, got),
    or None."""

    name: str
    breed: Callable[..., EvolutionState]
    children: Callable[[EvolutionConfig], int]
    check: Callable[[EvolutionConfig], tuple[str, object] | None]
    doc: str


#: The registry of replacement schemes (one function and one :func:`register_replacement` line each).
REPLACEMENTS: dict[str, Replacement] = {}


def register_replacement(name: str, *, children: Callable[[EvolutionConfig], int],
                         check: Callable[[EvolutionConfig], tuple[str, object] | None]
                         ) -> Callable[[Callable[..., EvolutionState]], Callable[..., EvolutionState]]:
    """Register ``breed`` under ``name`` (a duplicate name is an error)."""
    def decorate(breed: Callable[..., EvolutionState]) -> Callable[..., EvolutionState]:
        if name in REPLACEMENTS:
            raise ValueError(f"replacement {name!r} is already registered")
        doc = next(iter((breed.__doc__ or "").strip().splitlines()), "")
        REPLACEMENTS[name] = Replacement(name, breed, children, check, doc)
        return breed

    return decorate


def _breed(model: Model, state: EvolutionState, fitness: NDArray[np.float64], order: NDArray[np.int64],
           streams: Streams, train: Episodes, train_batch: worlds.WorldBatch) -> EvolutionState:
    """The next population, by the scenario's replacement (:data:`REPLACEMENTS`)."""
    breed = REPLACEMENTS[model.scenario.evolution.replacement].breed
    return breed(model, state, fitness, order, streams, train, train_batch)


def _no_offspring(e: EvolutionConfig) -> tuple[str, object] | None:
    if e.offspring:
        return ("0 (offspring is λ of replacement = 'mu_plus_lambda' or 'mu_comma_lambda'; generational "
                "makes population − elitism children)", e.offspring)
    return None


@register_replacement("generational", children=lambda e: 0, check=_no_offspring)
def generational(model: Model, state: EvolutionState, fitness: NDArray[np.float64], order: NDArray[np.int64],
                 streams: Streams, train: Episodes, train_batch: worlds.WorldBatch) -> EvolutionState:
    """Generational: ``selection`` picks the parents of population − elitism children; the elite stay."""
    e = model.scenario.evolution
    p = len(fitness)
    n_children = p - e.elitism
    chosen = _select(model, state.genomes, fitness, _cases(train), n_children, streams.selection)
    children, child_parents = _vary(model, state, chosen, streams)
    parents = np.full((p, 2), -1, dtype=np.int64)
    parents[e.elitism:] = child_parents
    elite = order[: e.elitism]
    genomes = np.vstack([state.genomes[elite], children])
    # elites are copies of themselves: they keep their id (they are the same individual, a generation older)
    ids = np.concatenate([state.ids[elite], np.arange(state.next_id, state.next_id + n_children)])
    parents[: e.elitism] = state.parents[elite]
    return EvolutionState(state.generation + 1, genomes, ids.astype(np.int64), parents,
                          state.next_id + n_children)


def _cases(episodes: Episodes) -> NDArray[np.float64]:
    """(P, B) per-world scores whose mean is the fitness: each episode's payoff minus the agent's costs."""
    return episodes.payoff - episodes.cost[:, None]


def _select(model: Model, genomes: NDArray[np.float64], fitness: NDArray[np.float64],
            cases: NDArray[np.float64], k: int, rng: random.Random) -> list[int]:
    """``k`` indices by the scenario's selection scheme, given the per-world ``cases`` or the objective
    ``sizes`` if the scheme takes them (:meth:`evo.evolution.operators.Scheme.accepts`)."""
    cfg = model.scenario.evolution.selection
    select, kwargs = operators.resolve(cfg, "selection")
    scheme = operators.SELECTION[cfg.scheme]
    if scheme.accepts("cases"):
        kwargs["cases"] = cases
    if scheme.accepts("sizes"):
        w = model.decode(genomes).w
        kwargs["sizes"] = np.abs(genomes if w is None else w).sum(axis=1)
    return [int(i) for i in select(fitness.tolist(), k, rng, **kwargs)]


def _vary(model: Model, state: EvolutionState, chosen: list[int], streams: Streams
          ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Children of the ``chosen`` rows (consecutive pairs may cross over, then each mutates) and their parent
    ids (n, 2): the first parent is the chosen one, the second the mate when they crossed."""
    e = model.scenario.evolution
    mutate, mut_kw = operators.resolve(e.mutation, "mutation")
    cross, cx_kw = operators.resolve(e.crossover, "crossover")
    n = len(chosen)
    parents = np.full((n, 2), -1, dtype=np.int64)
    parents[:, 0] = state.ids[chosen]
    mutate_rows = operators.MUTATION[e.mutation.scheme].rows
    cross_rows = operators.CROSSOVER[e.crossover.scheme].rows
    if mutate_rows is not None and cross_rows is not None:  # the same draws and genes, on the matrix
        genomes = state.genomes[chosen].astype(np.float64, copy=True)
        first = 2 * np.flatnonzero(cross_rows(genomes, streams.variation, **cx_kw))
        parents[first, 1], parents[first + 1, 1] = parents[first + 1, 0], parents[first, 0]
        mutate_rows(genomes, streams.variation, **mut_kw)
        return genomes, parents
    children = [state.genomes[i].tolist() for i in chosen]
    for j in range(0, n - 1, 2):
        if cross(children[j], children[j + 1], streams.variation, **cx_kw):
            parents[j, 1], parents[j + 1, 1] = parents[j + 1, 0], parents[j, 0]
    for child in children:
        mutate(child, streams.variation, **mut_kw)
    return np.array(children, dtype=np.float64).reshape(n, -1), parents


def _lam(e: EvolutionConfig) -> int:
    return e.offspring or e.population


def _any_offspring(e: EvolutionConfig) -> tuple[str, object] | None:
    return None


def _comma_offspring(e: EvolutionConfig) -> tuple[str, object] | None:
    if 0 < e.offspring < e.population:
        return (f"at least the population ({e.population}) for mu_comma_lambda (λ ≥ μ), or 0 for λ = μ",
                e.offspring)
    return None


@register_replacement("mu_plus_lambda", children=_lam, check=_any_offspring)
def mu_plus_lambda(model: Model, state: EvolutionState, fitness: NDArray[np.float64],
                   order: NDArray[np.int64], streams: Streams, train: Episodes,
                   train_batch: worlds.WorldBatch) -> EvolutionState:
    """(μ + λ), as DEAP's ``eaMuPlusLambda``: survivors are picked among parents and children."""
    return _breed_mu_lambda(model, state, fitness, order, streams, train, train_batch, plus=True)


@register_replacement("mu_comma_lambda", children=_lam, check=_comma_offspring)
def mu_comma_lambda(model: Model, state: EvolutionState, fitness: NDArray[np.float64],
                    order: NDArray[np.int64], streams: Streams, train: Episodes,
                    train_batch: worlds.WorldBatch) -> EvolutionState:
    """(μ, λ), as DEAP's ``eaMuCommaLambda``: survivors are picked among the children only."""
    return _breed_mu_lambda(model, state, fitness, order, streams, train, train_batch, plus=False)


def _breed_mu_lambda(model: Model, state: EvolutionState, fitness: NDArray[np.float64],
                     order: NDArray[np.int64], streams: Streams, train: Episodes,
                     train_batch: worlds.WorldBatch, *, plus: bool) -> EvolutionState:
    """(μ + λ) and (μ, λ) replacement, as DEAP's ``eaMuPlusLambda`` / ``eaMuCommaLambda``: λ children of
    uniformly drawn parents are evaluated on this generation's worlds (common random numbers with their
    parents), then the selection scheme picks μ − elitism survivors among the parents (+, the elite aside)
    and the children, or among the children only (,). The elite always survives.

    Survivors that were parents keep their id, as elites do. A scheme that picks one candidate twice makes a
    clone: a new id, whose parent is the original when it was a parent, or who shares the original's
    parents (a twin) when it is a child of this generation."""
    e = model.scenario.evolution
    mu = len(fitness)
    lam = e.offspring or mu
    mates = operators.random_select(fitness.tolist(), lam, streams.selection)
    children, child_parents = _vary(model, state, mates, streams)
    offspring = model.evaluate(children, train_batch)
    child_ids = np.arange(state.next_id, state.next_id + lam, dtype=np.int64)
    elite = order[: e.elitism]
    if plus:
        rest = np.setdiff1d(np.arange(mu), elite)  # ascending: candidate order does not depend on fitness
        pool_genomes = np.vstack([state.genomes[rest], children])
        pool_fitness = np.concatenate([fitness[rest], offspring.fitness])
        pool_cases = np.vstack([_cases(train)[rest], _cases(offspring)])
        pool_ids = np.concatenate([state.ids[rest], child_ids])
        pool_parents = np.vstack([state.parents[rest], child_parents])
        pool_is_child = np.arange(len(pool_ids)) >= len(rest)
    else:
        pool_genomes, pool_fitness, pool_cases = children, offspring.fitness, _cases(offspring)
        pool_ids, pool_parents = child_ids, child_parents
        pool_is_child = np.ones(lam, dtype=bool)
    survivors = _select(model, pool_genomes, pool_fitness, pool_cases, mu - e.elitism, streams.selection)
    next_id = state.next_id + lam
    ids = np.empty(mu - e.elitism, dtype=np.int64)
    parents = np.empty((mu - e.elitism, 2), dtype=np.int64)
    seen: set[int] = set()
    for j, s in enumerate(survivors):
        if s not in seen:
            seen.add(s)
            ids[j], parents[j] = pool_ids[s], pool_parents[s]
        else:
            ids[j], next_id = next_id, next_id + 1
            parents[j] = pool_parents[s] if pool_is_child[s] else (pool_ids[s], -1)
    return EvolutionState(state.generation + 1, np.vstack([state.genomes[elite], pool_genomes[survivors]]),
                          np.concatenate([state.ids[elite], ids]),
                          np.vstack([state.parents[elite], parents]), next_id)


def logbook_header(records: list[dict[str, float]]) -> list[str]:
    return list(records[0].keys()) if records else []


@dataclass
class Boundary:
    """The loop between two generations: ``state`` is the population about to be evaluated, ``rows`` the
    log so far. An observer sets ``stop`` to end the run here (the loop then raises :class:`Stopped`);
    observers after it in the list see the request (a checkpoint observer saves the position)."""

    state: EvolutionState
    rows: list[dict[str, float]]
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

    save: Callable[[EvolutionState, list[dict[str, float]]], None]
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


def evolve(model: Model, streams: Streams, observers: Sequence[Observer] = (), *,
           start: tuple[EvolutionState, list[dict[str, float]]] | None = None
           ) -> tuple[EvolutionState, tools.Logbook]:
    """Run all generations; returns the last evaluated population and the ``Logbook`` (one row per gen).

    ``observers`` (:class:`Observer`) are told of every generation boundary and every evaluated
    generation: progress, the lineage store, checkpoints and stop requests are observers, wired by the
    caller. ``start`` continues from a saved position (the population about to be evaluated and the log
    rows so far; the streams and the observers must already hold the matching state). A stop falls on a
    boundary, never in the middle of a generation."""
    s = model.scenario
    # a fixed environment is the first draw of the train-world stream (drawn afresh when resuming)
    fixed = None if s.worlds.train.resample else model.draw(
        s.worlds.train, s.evolution.worlds_per_generation,
        streams.train_worlds if start is None else streams.initial("train_worlds"))
    if start is None:
        state, rows = initial_state(model, streams), []
    else:
        state, rows = start[0], list(start[1])
    first = state.generation
    for g in range(first, s.evolution.generations):
        if g > first:
            boundary = Boundary(state, rows)
            for o in observers:
                o.at_boundary(boundary)
            if boundary.stop:
                raise Stopped(g)
        last = g == s.evolution.generations - 1
        state_next, gen = step(model, state, streams, fixed, breed=not last)
        rows.append(gen.record)
        for o in observers:
            o.after_generation(state, gen)
        state = state_next
    logbook = tools.Logbook()
    for row in rows:
        logbook.record(**row)
    logbook.header = logbook_header(rows)
    return state, logbook


class Stopped(Exception):
    """The loop stopped at a generation boundary because an observer asked it to (:class:`StopWhen`)."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        super().__init__(f"stopped before generation {generation}")
