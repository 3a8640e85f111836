"""The selection, mutation and crossover registries: :class:`Param`, :class:`Registry`, and the checks a
scenario's schemes go through (:func:`check`, :func:`resolve`). The schemes themselves are registered by
:mod:`evo.evolution.selection` and :mod:`evo.evolution.variation`; the contracts are in
docs/architecture.md ("Extension points")."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evo.config.schema import LIMITS, OperatorConfig
from evo.errors import ScenarioError


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


#: Extra inputs a scheme may declare that it needs (``register(..., needs=...)``): the loop passes
#: ``cases`` (per-world payoffs, P × B) and ``sizes`` (the L1 size of each mesa-objective) only to them.
NEEDS = ("cases", "sizes")


@dataclass(frozen=True)
class Scheme:
    name: str
    function: Callable[..., Any]
    params: dict[str, Param]
    doc: str
    needs: tuple[str, ...] = ()

    def accepts(self, keyword: str) -> bool:
        """Whether the scheme declared that it needs ``keyword`` (one of :data:`NEEDS`)."""
        return keyword in self.needs


class Registry:
    """Named schemes of one kind. A duplicate name is an error; an unknown name lists the known ones."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._schemes: dict[str, Scheme] = {}

    def register(self, name: str, *, needs: tuple[str, ...] = (), **params: Param
                 ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a scheme under ``name`` with its parameters (:class:`Param`) and the extra inputs it
        ``needs`` (:data:`NEEDS`), which its function must take as keywords."""
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._schemes:
                raise ValueError(f"{self.kind} scheme {name!r} is already registered")
            accepted = inspect.signature(fn).parameters
            for need in needs:
                if need not in NEEDS or need not in accepted:
                    raise ValueError(f"{self.kind} scheme {name!r}: needs {need!r}, expected one of "
                                     f"{', '.join(NEEDS)} that the function takes as a keyword")
            summary = next(iter((fn.__doc__ or "").strip().splitlines()), "")  # no docstring: ""
            self._schemes[name] = Scheme(name, fn, params, summary, tuple(needs))
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


#: ``(fitness, k, rng, **params) -> indices``: k indices into the population
SELECTION = Registry("selection")
#: ``(genomes, rng, **params) -> None``: every row of the genome matrix mutated in place
MUTATION = Registry("mutation")
#: ``(genomes, rng, **params) -> crossed``: rows (0, 1), (2, 3), … crossed in place; one bool per pair
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
            raise ScenarioError(file, f"{key}.{name}", f"a parameter of {kind} '{cfg.scheme}' ({known})",
                                name)
        p = scheme.params[name]
        high = population if p.max_population else p.high
        bad_type = p.kind is int and not isinstance(value, int)
        below = value <= p.low if p.low_open else value < p.low
        if bad_type or below or value > high:
            got = value
            expected = (p.describe() if not p.max_population
                        else f"{p.describe()} (population is {population})")
            raise ScenarioError(file, f"{key}.{name}", expected, got)
        # an integer parameter is a count drawn per individual (a tournament size): a huge one would hang
        cap = LIMITS["operator_count"]
        if p.kind is int and value > cap:
            raise ScenarioError(file, f"{key}.{name}", f"{p.describe()}, at most {cap} (the bound "
                                "LIMITS['operator_count'] in evo.config.schema)", value)


def resolve(cfg: OperatorConfig, kind: str) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The scheme's function and its full keyword arguments (defaults filled in)."""
    scheme = REGISTRIES[kind][cfg.scheme]
    kwargs = {name: p.default for name, p in scheme.params.items()}
    kwargs.update(cfg.kwargs())
    return scheme.function, kwargs
