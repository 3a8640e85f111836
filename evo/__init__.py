"""evo: an evolutionary sandbox for inner alignment.

A genetic algorithm (the base optimizer, on DEAP) selects agents on a base objective; the agents are small
mesa-optimizers with an explicit, readable objective. Under distributional shift, pseudo-aligned agents keep
pursuing their own objective and their base fitness collapses.

``evo.run(scenario, seed=0)`` runs a scenario and returns a :class:`evo.experiment.RunResult`. Heavy modules
are imported on first use, so ``import evo.worlds`` stays a pure-numpy import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from evo.experiment import RunResult, run

__all__ = ["RunResult", "__version__", "load_scenario", "run"]


def __getattr__(name: str) -> Any:
    if name in ("run", "RunResult"):
        from evo import experiment

        return getattr(experiment, name)
    if name == "load_scenario":
        from evo.scenario import load

        return load
    raise AttributeError(f"module 'evo' has no attribute {name!r}")
