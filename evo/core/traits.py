"""Inner goals read from genomes (docs/concepts.md §4.2): an individual's inner-goal class and trait,
from its mesa-objective alone, with no episode run. numpy only. The lineage store records them for every
individual; figures colour by them.

Rationale: docs/architecture.md, "Notes on modules" → Inner goals read from genomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evo.core import agents, metrics, objects
from evo.core.simulate import Payoffs

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig, Scenario

GOAL_CLASSES = ("robust", "pseudo", "misaligned", "non-optimizer")


def _agrees(w: NDArray[np.float64], b: NDArray[np.float64], types: NDArray[np.float64]) -> NDArray[np.bool_]:
    """(P,) whether each row of ``w`` picks among ``types`` only what the base objective ``b`` values most
    (both picking nothing counts as agreeing). Definition in the module docstring."""
    if types.shape[0] == 0:
        return np.ones(w.shape[0], dtype=bool)
    va = w @ types.T  # (P, T)
    vb = types @ b  # (T,)
    tol = 1e-9 * max(1.0, float(np.abs(va).max(initial=0.0)))
    a_moves = va.max(axis=1) > 0
    b_moves = bool(vb.max() > 0)
    # the most valued types among the positively valued ones: a planner never walks to a type worth ≤ 0, so
    # a tie within the tolerance never reaches across zero (and the empty type, worth 0, is never one)
    top_a = (va >= va.max(axis=1, keepdims=True) - tol) & (va > 0)
    top_b = (vb >= vb.max() - 1e-12 * max(1.0, float(np.abs(vb).max()))) & (vb > 0)
    inside = ~(top_a & ~top_b[None, :]).any(axis=1)
    return np.where(a_moves, b_moves & inside, not b_moves)


@dataclass(frozen=True, eq=False)
class TraitSpec:
    """What the store needs to read a genome's inner goal: features, agent kind, base objective and the
    object types of the train and shift distributions."""

    features: tuple[str, ...]
    agent: AgentConfig
    base_payoff: NDArray[np.float64]
    train_types: NDArray[np.float64]
    shift_types: dict[str, NDArray[np.float64]]
    proxy: tuple[int, int] | None
    #: the scenario's senses (a learner's inner goal, its reward r, is read on felt features only)
    senses: agents.Senses | None = None

    @classmethod
    def from_scenario(cls, s: Scenario) -> TraitSpec:
        feats = s.features
        base = Payoffs.of(s.base_objective, feats).payoff
        return cls(feats, s.agent, base, objects.object_types(s.worlds.train, feats).rows,
                   {n: objects.object_types(c, feats).rows for n, c in s.worlds.shift.items()},
                   objects.proxy_target(s.worlds.train, feats, base),
                   agents.Senses.of(feats, s.scenario.felt, s.scenario.hidden))

    @property
    def shift_names(self) -> tuple[str, ...]:
        return tuple(self.shift_types)

    @property
    def has_objective(self) -> bool:
        return agents.agent_kind(self.agent.kind).has_objective

    @property
    def trait_column(self) -> str | None:
        if not self.has_objective:
            return None
        return "proxy_margin" if self.proxy is not None else "alignment"

    @property
    def trait_label(self) -> str | None:
        if not self.has_objective:
            return None
        if self.proxy is None:
            return "alignment cos(w, base objective)"
        p, t = self.proxy
        return f"w[{self.features[p]}] − w[{self.features[t]}]"

    def policy(self, genomes: NDArray[np.float64]) -> agents.Policy:
        return agents.decode(np.atleast_2d(genomes), self.agent, len(self.features), self.senses)

    def goal_classes(self, genomes: NDArray[np.float64], policy: agents.Policy | None = None
                     ) -> NDArray[np.str_]:
        """(P,) inner-goal class of each genome (definition in the module docstring)."""
        policy = self.policy(genomes) if policy is None else policy
        n = policy.horizon.shape[0]
        kind = agents.agent_kind(policy.kind)
        goal = kind.objective(policy)
        if goal is None:
            return np.full(n, "non-optimizer", dtype="U13")
        train_ok = _agrees(goal, self.base_payoff, self.train_types)
        shift_ok = np.ones(n, dtype=bool)
        for types in self.shift_types.values():
            shift_ok &= _agrees(goal, self.base_payoff, types)
        out = np.where(train_ok, np.where(shift_ok, "robust", "pseudo"), "misaligned")
        return np.where(kind.optimizer(policy), out, "non-optimizer").astype("U13")

    def traits(self, genomes: NDArray[np.float64], policy: agents.Policy | None = None
               ) -> dict[str, NDArray[np.float64]]:
        """Per-genome numeric traits: ``w_<feature>``, ``alignment``, ``proxy_margin`` (when defined) and
        ``horizon``."""
        policy = self.policy(genomes) if policy is None else policy
        out: dict[str, NDArray[np.float64]] = {}
        goal = policy.objective
        if goal is not None:
            for i, f in enumerate(self.features):
                out[f"w_{f}"] = goal[:, i].copy()
            out["alignment"] = metrics.alignment(goal, self.base_payoff)
            if self.proxy is not None:
                p, t = self.proxy
                out["proxy_margin"] = goal[:, p] - goal[:, t]
        out["horizon"] = policy.horizon.astype(np.float64)
        return out

    def trait(self, genomes: NDArray[np.float64], policy: agents.Policy | None = None
              ) -> NDArray[np.float64] | None:
        col = self.trait_column
        if col is None:
            return None
        policy = self.policy(genomes) if policy is None else policy
        goal = policy.objective
        assert goal is not None  # trait_column is None for agents without an objective
        if col == "proxy_margin" and self.proxy is not None:
            p, t = self.proxy
            return goal[:, p] - goal[:, t]
        return metrics.alignment(goal, self.base_payoff)
