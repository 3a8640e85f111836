"""Inner goals read from genomes (docs/concepts.md §4.2): an individual's inner-goal class and trait,
from its mesa-objective alone, with no episode run. numpy only. The lineage store records them for every
individual; figures colour by them.

**Inner-goal class of an ancestor** (column ``class``). Only the final population and each generation's
shift-evaluated sample have a *measured* (behavioural) class (column ``measured_class``, see
:mod:`evo.core.metrics`). For every individual the class of its *mesa-objective* ``w`` is read from the
genome, following Hubinger et al.'s definitions of robust and pseudo-alignment applied to the objective
itself:

- an *object type* is a feature set an object of a world distribution can have (every combination of a
  group's optional features, or each variant); the agent values a type ``x`` at ``w·x``, the base objective
  at ``b·x`` (``b`` its payoff vector); distances, step costs and which types share a world are ignored
  (so the class is about what the objective ranks first, not a prediction of behaviour);
- ``w`` *agrees with the base objective on a distribution* when, among that distribution's object types,
  both value none positively (neither would move), or both value some type positively and every type ``w``
  values most is one the base objective values most;
- ``non-optimizer``: no mesa-objective (reflex, or hybrid with horizon 0); ``misaligned``: ``w`` does not
  agree on the train distribution; ``robust``: agrees on train and on every shift distribution;
  ``pseudo``: agrees on train but not on some shift — it would behave like the base objective in training
  and pursue something else after the shift.

In red_door (train: red doors and blue gems; shift: blue doors and red gems) an agent is ``pseudo`` when
``w_door + w_red`` beats ``max(0, w_gem + w_blue)`` and ``w_gem + w_red ≥ w_door + w_blue``: it ranks the
proxy feature red above the door once the correlation breaks. The measured class can differ: a "go to red"
champion that also values blue a little collects the red gems and then still walks to the blue door.

**Inner-goal trait** (column ``proxy_margin``, used to colour figures): ``w[proxy] − w[target]`` where the
target is the feature the base objective pays most and the proxy the unpaid feature that co-occurs with it
most often on train objects (red_door: ``w_red − w_door``; > 0: the proxy is preferred). Without such a
feature the trait is the alignment cosine (column ``alignment``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evo.core import agents, metrics
from evo.core.simulate import Payoffs

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig, Scenario, WorldConfig

GOAL_CLASSES = ("robust", "pseudo", "misaligned", "non-optimizer")
_MAX_OPTIONAL = 8  # a group with more optional features contributes its likely (p ≥ 0.5) feature set only

def object_types(cfg: WorldConfig, features: Sequence[str]) -> NDArray[np.float64]:
    """(T, F) 0/1 rows: the distinct non-empty feature sets objects of this distribution can have."""
    index = {f: i for i, f in enumerate(features)}
    sets: list[frozenset[str]] = []
    for g in cfg.objects:
        if g.variants:
            sets.extend(frozenset(v.features) for v in g.variants if v.p > 0)
            continue
        always = [f for f, p in g.features.items() if p >= 1.0]
        optional = [f for f, p in g.features.items() if 0.0 < p < 1.0]
        if len(optional) > _MAX_OPTIONAL:
            sets.append(frozenset(always + [f for f in optional if g.features[f] >= 0.5]))
            continue
        for k in range(len(optional) + 1):
            sets.extend(frozenset(always + list(c)) for c in itertools.combinations(optional, k))
    unique = sorted({s for s in sets if s}, key=lambda s: sorted(index[f] for f in s))
    out = np.zeros((len(unique), len(features)))
    for row, s in enumerate(unique):
        for f in s:
            out[row, index[f]] = 1.0
    return out


def proxy_pair(s: Scenario) -> tuple[int, int] | None:
    """(proxy, target) feature indices: the target is the feature the base objective pays most; the proxy is
    the feature it does not pay that co-occurs with the target most often on train objects. None if no
    unpaid feature ever co-occurs with the target."""
    feats = s.features
    pay = Payoffs.of(s.base_objective, feats).payoff
    target = int(np.argmax(pay))
    tname = feats[target]
    score = np.zeros(len(feats))
    for g in s.worlds.train.objects:
        for i, f in enumerate(feats):
            if g.variants:
                p = sum(v.p for v in g.variants if f in v.features and tname in v.features)
            else:
                p = g.features.get(f, 0.0) * g.features.get(tname, 0.0)
            score[i] += g.count * p
    score[(pay > 0) | (np.arange(len(feats)) == target)] = 0.0
    if score.max() <= 0:
        return None
    return int(np.argmax(score)), target


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
    top_a = va >= va.max(axis=1, keepdims=True) - tol
    top_b = vb >= vb.max() - 1e-12 * max(1.0, float(np.abs(vb).max()))
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
        return cls(feats, s.agent, base, object_types(s.worlds.train, feats),
                   {n: object_types(c, feats) for n, c in s.worlds.shift.items()}, proxy_pair(s),
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
        goal = kind.inner_goal(policy)
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
        goal = agents.agent_kind(policy.kind).inner_goal(policy)
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
        goal = agents.agent_kind(policy.kind).inner_goal(policy)
        assert goal is not None  # trait_column is None for agents without an objective
        if col == "proxy_margin" and self.proxy is not None:
            p, t = self.proxy
            return goal[:, p] - goal[:, t]
        return metrics.alignment(goal, self.base_payoff)
