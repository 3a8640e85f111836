"""evo: an evolutionary sandbox for inner alignment.

A genetic algorithm (the base optimizer, on DEAP) selects agents on a base objective; the agents are small
mesa-optimizers with an explicit, readable objective. Under distributional shift, pseudo-aligned agents keep
pursuing their own objective and their base fitness collapses.

``evo.evolve(scenario, seed=0)`` evolves a scenario in memory (nothing written) and returns an
:class:`evo.runs.run.Evolved`; ``evo.run(scenario, seed=0)`` also writes the run directory and its figures
and returns a :class:`evo.api.RunResult` (``evo.resume(dir)`` continues an interrupted one,
``evo.load_run(dir)`` reads a finished one back); ``evo.sweep(file)`` runs a sweep, ``evo.probe(dir)``
probes a run's behavioural objective. All of them live in :mod:`evo.api`.
``evo.register_agent_kind(kind)`` adds an agent kind (an :class:`evo.core.agents.AgentKind`; see
``examples/custom_agent_kind.py``) that a scenario's ``agent.kind`` can then name (``evo.check_kind(kind)``
runs the contract every kind keeps); ``evo.load_plugin(module)`` imports a module that registers kinds or
schemes, and sweeps then load it in their workers too (:mod:`evo.runs.plugins`). A scenario is a file, the
name of a shipped one (``evo.run("red_door")``) or a Scenario, and ``overrides={"evolution.population": 50}``
sets keys by dotted name. Heavy modules are imported on first use, so ``import evo.core.worlds`` stays a
pure-numpy import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from evo.api import Evolved, RunResult, evolve, load_run, load_scenario, probe, resume, run, sweep
    from evo.core.agents import AgentKind, GenomeKind, Policy, agent_kind, agent_kinds, register_agent_kind
    from evo.core.contract import check_kind
    from evo.runs.plugins import load_plugin

_AGENTS = ("AgentKind", "GenomeKind", "Policy", "agent_kind", "agent_kinds", "register_agent_kind")

_API = ("Evolved", "RunResult", "evolve", "load_run", "load_scenario", "probe", "resume", "run", "sweep")

__all__ = ["AgentKind", "Evolved", "GenomeKind", "Policy", "RunResult", "__version__", "agent_kind",
           "agent_kinds", "check_kind", "evolve", "load_plugin", "load_run", "load_scenario", "probe",
           "register_agent_kind", "resume", "run", "sweep"]


def __getattr__(name: str) -> Any:
    if name in _API:
        from evo import api

        return getattr(api, name)
    if name in _AGENTS:
        from evo.core import agents

        return getattr(agents, name)
    if name == "check_kind":
        from evo.core import contract

        return contract.check_kind
    if name == "load_plugin":
        from evo.runs import plugins

        return plugins.load_plugin
    raise AttributeError(f"module 'evo' has no attribute {name!r}")
