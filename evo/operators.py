"""Selection, mutation and crossover schemes: registries over DEAP's operators (DESIGN §5).

Adding a scheme is one function plus one ``@register`` line. Every selection scheme has the signature
``(fitness, k, rng, **params) -> list[int]``: indices into the population, so parents are recorded
trivially. Mutation schemes change one genome (a Python list) in place: ``(genome, rng, **params)``;
crossover schemes two: ``(a, b, rng, **params)``. Each registry entry declares its parameters with defaults
and ranges, checked when a scenario is loaded.

DEAP's operators draw from the module-level ``random``. :func:`private_random` points them at the run's own
``random.Random`` for the duration of one call (under a lock), so results never depend on anything else in
the process drawing from ``random`` (DEAP_NOTES: Dask does).
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import deap.tools.crossover as _dcx
import deap.tools.mutation as _dmut
import deap.tools.selection as _dsel
from deap import base, tools

from evo.errors import ScenarioError
from evo.scenario import OperatorConfig

_LOCK = threading.RLock()


@contextmanager
def private_random(rng: random.Random) -> Iterator[None]:
    """Make DEAP's selection, crossover and mutation modules draw from ``rng`` inside the block."""
    with _LOCK:
        saved = (_dsel.random, _dcx.random, _dmut.random)
        _dsel.random = _dcx.random = _dmut.random = rng  # type: ignore[assignment]
        try:
            yield
        finally:
            _dsel.random, _dcx.random, _dmut.random = saved


@dataclass(frozen=True)
class Param:
    """A scheme parameter: its type, default and allowed range (inclusive unless stated)."""

    kind: type
    default: float | int
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    max_population: bool = False  # must not exceed the population (tournament size)

    def describe(self) -> str:
        lo = "(" if self.low_open else "["
        what = "an integer" if self.kind is int else "a number"
        hi = "population" if self.max_population else self.high
        return f"{what} in {lo}{self.low}, {hi}]"


@dataclass(frozen=True)
class Scheme:
    name: str
    function: Callable[..., Any]
    params: dict[str, Param]
    doc: str


class Registry:
    """Named schemes of one kind. A duplicate name is an error; an unknown name lists the known ones."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._schemes: dict[str, Scheme] = {}

    def register(self, name: str, **params: Param) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._schemes:
                raise ValueError(f"{self.kind} scheme {name!r} is already registered")
            self._schemes[name] = Scheme(name, fn, params, (fn.__doc__ or "").strip().splitlines()[0])
            return fn

        return decorate

    def __getitem__(self, name: str) -> Scheme:
        if name not in self._schemes:
            raise KeyError(f"unknown {self.kind} scheme {name!r}; known: {', '.join(self.names())}")
        return self._schemes[name]

    def __contains__(self, name: object) -> bool:
        return name in self._schemes

    def names(self) -> list[str]:
        return sorted(self._schemes)


SELECTION = Registry("selection")
MUTATION = Registry("mutation")
CROSSOVER = Registry("crossover")
REGISTRIES = {"selection": SELECTION, "mutation": MUTATION, "crossover": CROSSOVER}


def check(cfg: OperatorConfig, kind: str, file: str, key: str, population: int) -> None:
    """Raise :class:`ScenarioError` unless ``cfg`` names a known scheme with valid parameters."""
    registry = REGISTRIES[kind]
    if cfg.scheme not in registry:
        raise ScenarioError(file, f"{key}.scheme", f"one of {', '.join(registry.names())}", cfg.scheme)
    scheme = registry[cfg.scheme]
    for name, value in cfg.params:
        if name not in scheme.params:
            known = ", ".join(sorted(scheme.params)) or "none"
            raise ScenarioError(file, f"{key}.{name}", f"a parameter of {kind} '{cfg.scheme}' ({known})", name)
        p = scheme.params[name]
        high = population if p.max_population else p.high
        bad_type = p.kind is int and not isinstance(value, int)
        below = value <= p.low if p.low_open else value < p.low
        if bad_type or below or value > high:
            got = value
            expected = p.describe() if not p.max_population else f"{p.describe()} (population is {population})"
            raise ScenarioError(file, f"{key}.{name}", expected, got)


def resolve(cfg: OperatorConfig, kind: str) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The scheme's function and its full keyword arguments (defaults filled in)."""
    scheme = REGISTRIES[kind][cfg.scheme]
    kwargs = {name: p.default for name, p in scheme.params.items()}
    kwargs.update(cfg.kwargs())
    return scheme.function, kwargs


# --------------------------------------------------------------------------------------------------------
# DEAP individuals without `creator`: a plain fitness class and an index-carrying individual


class FitnessMax(base.Fitness):
    weights = (1.0,)


class _Indexed:
    """What DEAP's selection operators need of an individual: a ``fitness``. Carries its population index."""

    __slots__ = ("fitness", "index")

    def __init__(self, index: int, value: float) -> None:
        self.index = index
        self.fitness = FitnessMax((value,))


def _individuals(fitness: Sequence[float]) -> list[_Indexed]:
    return [_Indexed(i, float(v)) for i, v in enumerate(fitness)]


def _indices(chosen: Sequence[_Indexed]) -> list[int]:
    return [ind.index for ind in chosen]


# --------------------------------------------------------------------------------------------------------
# selection: (fitness, k, rng, **params) -> indices


@SELECTION.register("tournament", size=Param(int, 3, low=1, max_population=True))
def tournament_select(fitness: Sequence[float], k: int, rng: random.Random, size: int = 3) -> list[int]:
    """Tournament selection (DEAP ``selTournament``): best of ``size`` drawn with replacement, k times."""
    with private_random(rng):
        return _indices(tools.selTournament(_individuals(fitness), k, tournsize=size))


@SELECTION.register("roulette")
def roulette_select(fitness: Sequence[float], k: int, rng: random.Random) -> list[int]:
    """Fitness-proportionate selection (DEAP ``selRoulette``) on fitness shifted so the worst is 1e-9.

    ``selRoulette`` needs positive fitness; shifting by the minimum keeps the order and makes the worst
    individual (almost) never chosen."""
    lowest = min(fitness)
    shifted = [v - lowest + 1e-9 for v in fitness]
    with private_random(rng):
        return _indices(tools.selRoulette(_individuals(shifted), k))


@SELECTION.register("truncation", fraction=Param(float, 0.2, low=0.0, high=1.0, low_open=True))
def truncation_select(fitness: Sequence[float], k: int, rng: random.Random, fraction: float = 0.2) -> list[int]:
    """Truncation selection: parents uniformly from the best ``fraction`` (DEAP ``selBest`` + ``selRandom``);
    keeping 1 of n is best-of-n."""
    n_best = max(1, math.ceil(fraction * len(fitness)))
    with private_random(rng):
        best = tools.selBest(_individuals(fitness), n_best)
        return _indices(tools.selRandom(best, k))


@SELECTION.register("best")
def best_select(fitness: Sequence[float], k: int, rng: random.Random) -> list[int]:
    """The k best (DEAP ``selBest``); deterministic, ties by index."""
    ranked = sorted(_individuals(fitness), key=attrgetter("fitness"), reverse=True)
    return _indices(ranked[:k]) if k <= len(ranked) else _indices((ranked * (k // len(ranked) + 1))[:k])


@SELECTION.register("random")
def random_select(fitness: Sequence[float], k: int, rng: random.Random) -> list[int]:
    """Uniform selection (DEAP ``selRandom``): no selection pressure, a drift baseline."""
    with private_random(rng):
        return _indices(tools.selRandom(_individuals(fitness), k))


# --------------------------------------------------------------------------------------------------------
# mutation: (genome, rng, **params), in place


@MUTATION.register("gaussian", sigma=Param(float, 0.2, low=0.0), rate=Param(float, 0.2, low=0.0, high=1.0))
def gaussian_mutation(genome: list[float], rng: random.Random, sigma: float = 0.2, rate: float = 0.2) -> None:
    """Each gene gets N(0, sigma²) noise with probability ``rate`` (DEAP ``mutGaussian``)."""
    with private_random(rng):
        tools.mutGaussian(genome, 0.0, sigma, rate)


@MUTATION.register("none")
def no_mutation(genome: list[float], rng: random.Random) -> None:
    """No mutation (selection and crossover only)."""
    return None


# --------------------------------------------------------------------------------------------------------
# crossover: (a, b, rng, **params), in place


@CROSSOVER.register("blend", alpha=Param(float, 0.5, low=0.0), rate=Param(float, 0.5, low=0.0, high=1.0))
def blend_crossover(a: list[float], b: list[float], rng: random.Random, alpha: float = 0.5,
                    rate: float = 0.5) -> bool:
    """With probability ``rate``, blend crossover BLX-alpha (DEAP ``cxBlend``). Returns whether it crossed."""
    if rng.random() >= rate:
        return False
    with private_random(rng):
        tools.cxBlend(a, b, alpha)
    return True


@CROSSOVER.register("uniform", swap=Param(float, 0.5, low=0.0, high=1.0),
                    rate=Param(float, 0.5, low=0.0, high=1.0))
def uniform_crossover(a: list[float], b: list[float], rng: random.Random, swap: float = 0.5,
                      rate: float = 0.5) -> bool:
    """With probability ``rate``, uniform crossover swapping each gene with probability ``swap``
    (DEAP ``cxUniform``)."""
    if rng.random() >= rate:
        return False
    with private_random(rng):
        tools.cxUniform(a, b, swap)
    return True


@CROSSOVER.register("none")
def no_crossover(a: list[float], b: list[float], rng: random.Random) -> bool:
    """No crossover: every child has one parent."""
    return False
