"""Agent kinds: how a genome (a flat float vector) becomes behaviour (docs/concepts.md §3).

One protocol (:class:`AgentKind`) and one registry (:func:`register_agent_kind`, :func:`agent_kind`), in
:mod:`evo.core.agents.base` with the decoded :class:`Policy` and the shared helpers; one module per shipped
kind: :mod:`evo.core.agents.mesa`, :mod:`evo.core.agents.reflex`, :mod:`evo.core.agents.hybrid`,
:mod:`evo.core.agents.learner` (a kind that learns within a life: :class:`Life`),
:mod:`evo.core.agents.neural` (a recurrent network, no objective), registered here. Each
kind's decision rule is one compiled function in its module (:mod:`evo.core.step`); the rules in each
kind's module docstring are the specification ``tests/core/reference.py`` re-implements.
"""

from __future__ import annotations

from evo.core.agents.base import (
    AgentKind,
    AgentKindError,
    GenomeKind,
    Life,
    Policy,
    Senses,
    agent_config,
    agent_kind,
    agent_kinds,
    decode,
    discount_table,
    genome_layout,
    genome_length,
    genome_parts,
    initial_genomes,
    is_optimizer,
    lifetime,
    object_utility,
    policy_rows,
    register_agent_kind,
    unregister_agent_kind,
)
from evo.core.agents.hybrid import HYBRID
from evo.core.agents.learner import LEARNER
from evo.core.agents.mesa import MESA
from evo.core.agents.neural import NEURAL
from evo.core.agents.reflex import REFLEX

for _kind in (MESA, REFLEX, HYBRID, LEARNER, NEURAL):
    register_agent_kind(_kind)

#: the kinds shipped with evo (the ones ``tests/core/reference.py`` re-implements); :func:`agent_kinds` lists
#: every registered kind
BUILTIN_KINDS = ("mesa", "reflex", "hybrid", "learner")
KINDS = BUILTIN_KINDS

__all__ = [
    "BUILTIN_KINDS",
    "KINDS",
    "AgentKind",
    "AgentKindError",
    "GenomeKind",
    "Life",
    "Policy",
    "Senses",
    "agent_config",
    "agent_kind",
    "agent_kinds",
    "decode",
    "discount_table",
    "genome_layout",
    "genome_length",
    "genome_parts",
    "initial_genomes",
    "is_optimizer",
    "lifetime",
    "object_utility",
    "policy_rows",
    "register_agent_kind",
    "unregister_agent_kind",
]
