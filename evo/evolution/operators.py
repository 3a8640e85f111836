"""Every shipped selection, mutation and crossover scheme, registered: importing this module fills the
registries of :mod:`evo.evolution.registry` from :mod:`evo.evolution.selection` and
:mod:`evo.evolution.variation`, and re-exports the names a scenario check, the loop or a plugin uses."""

from __future__ import annotations

from evo.evolution import selection, variation
from evo.evolution.registry import (
    CROSSOVER,
    MUTATION,
    NEEDS,
    REGISTRIES,
    SELECTION,
    Param,
    Registry,
    Scheme,
    check,
    resolve,
)

__all__ = ["CROSSOVER", "MUTATION", "NEEDS", "REGISTRIES", "SELECTION", "Param", "Registry", "Scheme",
           "check", "resolve", "selection", "variation"]
