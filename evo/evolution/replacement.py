"""Replacement: how the next population is made from this one (``evolution.replacement``). A registry
like selection, mutation and crossover: a scheme is one function plus one :func:`register_replacement`
line, declaring how many extra children it evaluates (for the memory estimate) and what it requires of
``evolution.offspring``. Shipped: ``generational``, ``mu_plus_lambda``, ``mu_comma_lambda``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evo.config.schema import EvolutionConfig
from evo.core import worlds
from evo.core.problem import Problem
from evo.core.simulate import Episodes
from evo.core.state import EvolutionState
from evo.evolution import operators
from evo.evolution.streams import Streams


@dataclass(frozen=True)
class Replacement:
    """How the next population is made: ``evolution.replacement`` names one of :data:`REPLACEMENTS`.
    ``breed(problem, state, fitness, order, streams, train, train_batch)`` returns the next state
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


def _no_offspring(e: EvolutionConfig) -> tuple[str, object] | None:
    if e.offspring:
        return ("0 (offspring is λ of replacement = 'mu_plus_lambda' or 'mu_comma_lambda'; generational "
                "makes population − elitism children)", e.offspring)
    return None


@register_replacement("generational", children=lambda e: 0, check=_no_offspring)
def generational(problem: Problem, state: EvolutionState, fitness: NDArray[np.float64],
                 order: NDArray[np.int64],
                 streams: Streams, train: Episodes, train_batch: worlds.WorldBatch) -> EvolutionState:
    """Generational: ``selection`` picks the parents of population − elitism children; the elite stay."""
    e = problem.scenario.evolution
    p = len(fitness)
    n_children = p - e.elitism
    chosen = _select(problem, state.genomes, fitness, _cases(train), n_children, streams.selection)
    children, child_parents = _vary(problem, state, chosen, streams)
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


def _select(problem: Problem, genomes: NDArray[np.float64], fitness: NDArray[np.float64],
            cases: NDArray[np.float64], k: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """``k`` indices by the scenario's selection scheme, given the per-world ``cases`` or the objective
    ``sizes`` if the scheme takes them (:meth:`evo.evolution.registry.Scheme.accepts`)."""
    cfg = problem.scenario.evolution.selection
    select, kwargs = operators.resolve(cfg, "selection")
    scheme = operators.SELECTION[cfg.scheme]
    if scheme.accepts("cases"):
        kwargs["cases"] = cases
    if scheme.accepts("sizes"):
        w = problem.decode(genomes).objective
        kwargs["sizes"] = np.abs(genomes if w is None else w).sum(axis=1)
    return np.asarray(select(fitness, k, rng, **kwargs), dtype=np.int64).reshape(k)


def _vary(problem: Problem, state: EvolutionState, chosen: NDArray[np.int64], streams: Streams
          ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Children of the ``chosen`` rows (consecutive pairs may cross over, then each mutates) and their parent
    ids (n, 2): the first parent is the chosen one, the second the mate when they crossed."""
    e = problem.scenario.evolution
    mutate, mut_kw = operators.resolve(e.mutation, "mutation")
    cross, cx_kw = operators.resolve(e.crossover, "crossover")
    parents = np.full((len(chosen), 2), -1, dtype=np.int64)
    parents[:, 0] = state.ids[chosen]
    genomes = state.genomes[chosen].astype(np.float64, copy=True)
    first = 2 * np.flatnonzero(cross(genomes, streams.variation, **cx_kw))
    parents[first, 1], parents[first + 1, 1] = parents[first + 1, 0], parents[first, 0]
    mutate(genomes, streams.variation, **mut_kw)
    return genomes, parents


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
def mu_plus_lambda(problem: Problem, state: EvolutionState, fitness: NDArray[np.float64],
                   order: NDArray[np.int64], streams: Streams, train: Episodes,
                   train_batch: worlds.WorldBatch) -> EvolutionState:
    """(μ + λ), as DEAP's ``eaMuPlusLambda``: survivors are picked among parents and children."""
    return _breed_mu_lambda(problem, state, fitness, order, streams, train, train_batch, plus=True)


@register_replacement("mu_comma_lambda", children=_lam, check=_comma_offspring)
def mu_comma_lambda(problem: Problem, state: EvolutionState, fitness: NDArray[np.float64],
                    order: NDArray[np.int64], streams: Streams, train: Episodes,
                    train_batch: worlds.WorldBatch) -> EvolutionState:
    """(μ, λ), as DEAP's ``eaMuCommaLambda``: survivors are picked among the children only."""
    return _breed_mu_lambda(problem, state, fitness, order, streams, train, train_batch, plus=False)


def _breed_mu_lambda(problem: Problem, state: EvolutionState, fitness: NDArray[np.float64],
                     order: NDArray[np.int64], streams: Streams, train: Episodes,
                     train_batch: worlds.WorldBatch, *, plus: bool) -> EvolutionState:
    """(μ + λ) and (μ, λ) replacement, as DEAP's ``eaMuPlusLambda`` / ``eaMuCommaLambda``: λ children of
    uniformly drawn parents are evaluated on this generation's worlds (common random numbers with their
    parents), then the selection scheme picks μ − elitism survivors among the parents (+, the elite aside)
    and the children, or among the children only (,). The elite always survives.

    Survivors that were parents keep their id, as elites do. A scheme that picks one candidate twice makes a
    clone: a new id, whose parent is the original when it was a parent, or who shares the original's
    parents (a twin) when it is a child of this generation."""
    e = problem.scenario.evolution
    mu = len(fitness)
    lam = e.offspring or mu
    mates = operators.selection.random_select(fitness, lam, streams.selection)
    children, child_parents = _vary(problem, state, mates, streams)
    offspring = problem.evaluate(children, train_batch)
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
    survivors = _select(problem, pool_genomes, pool_fitness, pool_cases, mu - e.elitism, streams.selection)
    next_id = state.next_id + lam
    ids = np.empty(mu - e.elitism, dtype=np.int64)
    parents = np.empty((mu - e.elitism, 2), dtype=np.int64)
    seen: set[int] = set()
    for j, s in enumerate(survivors.tolist()):
        if s not in seen:
            seen.add(s)
            ids[j], parents[j] = pool_ids[s], pool_parents[s]
        else:
            ids[j], next_id = next_id, next_id + 1
            parents[j] = pool_parents[s] if pool_is_child[s] else (pool_ids[s], -1)
    return EvolutionState(state.generation + 1, np.vstack([state.genomes[elite], pool_genomes[survivors]]),
                          np.concatenate([state.ids[elite], ids]),
                          np.vstack([state.parents[elite], parents]), next_id)
