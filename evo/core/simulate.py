"""Episodes of a whole population in a whole world batch, and what they are worth (docs/concepts.md §2):
the objective as arrays (:class:`Payoffs`), the costs (:class:`Costs`), the outcome (:class:`Episodes`).
The episode rules themselves are one compiled step (:mod:`evo.core.step`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from evo.config.schema import Objective
from evo.core import engines
from evo.core.agents import Policy, agent_kind
from evo.core.worlds import WorldBatch


@dataclass(frozen=True, slots=True)
class Payoffs:
    """An objective as arrays over the feature vocabulary: payoff per feature, terminal flags, step cost."""

    payoff: NDArray[np.float64]  # (F,)
    terminal: NDArray[np.bool_]  # (F,)
    step_cost: float

    @classmethod
    def from_mapping(cls, features: Sequence[str], payoff: Mapping[str, float], terminal: Sequence[str],
                     step_cost: float) -> Payoffs:
        return cls(np.array([float(payoff.get(f, 0.0)) for f in features]),
                   np.array([f in terminal for f in features]), float(step_cost))

    @classmethod
    def of(cls, objective: Objective, features: Sequence[str]) -> Payoffs:
        """A scenario objective (``[base_objective]``, ``[true_objective]``) over ``features``: the one
        place its payoff vector is built."""
        return cls.from_mapping(features, objective.payoff, objective.terminal, objective.step_cost)

    def object_values(self, obj_feat: NDArray[np.float64]) -> NDArray[np.float64]:
        """(B, K) payoff of each object, summed in feature order."""
        v = np.zeros(obj_feat.shape[:2])
        for f in range(obj_feat.shape[-1]):
            v = v + self.payoff[f] * obj_feat[..., f]
        return v

    def object_terminal(self, obj_feat: NDArray[np.float64]) -> NDArray[np.bool_]:
        # obj_feat is (B, K, F): reducing the feature axis leaves a (B, K) array, never a numpy scalar
        return cast(NDArray[np.bool_], (obj_feat[..., self.terminal] > 0).any(axis=-1))


@dataclass(frozen=True, slots=True)
class Costs:
    """Fitness costs that do not depend on the world (docs/concepts.md §2). Perception is charged for every
    gene that reads a feature: the mesa-objective weight ``w_f`` (:meth:`AgentKind.objective`) and each
    other part the kind says reads features (:meth:`AgentKind.perceives`: a reflex's ``θ_adj_f`` and
    ``θ_scent_f``, a learner's innate value ``v0_f``) — seeing "door" costs whoever reacts to it.
    Complexity is charged on the mesa-objective only."""

    planning: float = 0.0
    perception: NDArray[np.float64] | None = None  # (F,) per unit |w_f|, |θ_adj_f|, |θ_scent_f|
    complexity: float = 0.0
    learning: float = 0.0  # per unit of a learning kind's learning rate (Policy.learning_rate)

    def of(self, policy: Policy) -> NDArray[np.float64]:
        """(P,) total cost of each agent: planning·horizon + Σ_f perception_f·|w_f| + complexity·Σ_f |w_f|
        + Σ_f perception_f·s_f for each strength ``s`` of the kind's ``perceives`` (θ_adj then θ_scent;
        a learner's v0) + learning·α (an agent that learns within a life), added in this order."""
        kind = agent_kind(policy.kind)
        cost = self.planning * policy.horizon.astype(np.float64)
        goal = kind.objective(policy)
        if goal is not None:
            absw = np.abs(goal)
            if self.perception is not None:
                for f in range(absw.shape[1]):
                    cost = cost + self.perception[f] * absw[:, f]
            total = np.zeros(absw.shape[0])
            for f in range(absw.shape[1]):  # left to right, as documented (numpy's sum is pairwise from 8 on)
                total = total + absw[:, f]
            cost = cost + self.complexity * total
        if self.perception is not None:
            for strength in kind.perceives(policy):
                for f in range(strength.shape[1]):
                    cost = cost + self.perception[f] * strength[:, f]
        if policy.learning_rate is not None:
            cost = cost + self.learning * policy.learning_rate
        return cost


@dataclass(frozen=True, eq=False)
class Recorded:
    """Every episode step by step (recorded with the paths): the running base payoff after each time step
    (P, B, T + 1; step costs included), the same under the true objective (None without one), the time step
    at which each object was consumed (P, B, K; -1: never) and the object the agent headed for at each step
    (P, B, T; -1: none, or a kind without targets). Entries after an episode's end repeat its last values
    (targets: -1)."""

    payoff: NDArray[np.float64]
    true_payoff: NDArray[np.float64] | None
    consumed: NDArray[np.int64]
    target: NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Episodes:
    """Outcome of every (agent, world) episode. ``payoff`` (P, B) includes step costs; ``reached`` (P, B, K)
    objects consumed (a hidden object that was never released is not reached); ``steps`` (P, B) steps
    taken; ``paths`` (P, B, T + 1) cells visited, and ``recorded``, if recorded."""

    payoff: NDArray[np.float64]
    reached: NDArray[np.bool_]
    steps: NDArray[np.int64]
    paths: NDArray[np.int64] | None
    cost: NDArray[np.float64]
    true_payoff: NDArray[np.float64] | None = None  # (P, B) under the true objective, if one was given
    #: agents that learn within a life: episodes per life (world b is age b % lifetime of life
    #: b // lifetime), what each had learned after each episode (P, B, F), and the state the lives ended in
    lifetime: int = 1
    learned: NDArray[np.float64] | None = None
    life_state: dict[str, Any] | None = None
    #: each episode step by step, when the paths are recorded
    recorded: Recorded | None = None

    @property
    def fitness(self) -> NDArray[np.float64]:
        """(P,) mean episode payoff minus the agent's costs."""
        return self.payoff.mean(axis=1) - self.cost

    def by_age(self, per_episode: NDArray[np.float64]) -> NDArray[np.float64]:
        """(P, L) the mean over lives of a (P, B) per-episode quantity at each age (episode of life)."""
        p, b = per_episode.shape
        return per_episode.reshape(p, b // self.lifetime, self.lifetime).mean(axis=1)

    @property
    def fitness_by_age(self) -> NDArray[np.float64]:
        """(P, L) mean episode payoff at each age of life, minus the agent's costs."""
        return self.by_age(self.payoff) - self.cost[:, None]

    @property
    def true_fitness_by_age(self) -> NDArray[np.float64] | None:
        """(P, L) the same under the true objective (None without one)."""
        return None if self.true_payoff is None else self.by_age(self.true_payoff) - self.cost[:, None]

    @property
    def true_fitness(self) -> NDArray[np.float64] | None:
        """(P,) mean true-objective episode payoff minus the same agent costs (None without one)."""
        return None if self.true_payoff is None else self.true_payoff.mean(axis=1) - self.cost

    def reached_features(self, obj_feat: NDArray[np.float64]) -> NDArray[np.float64]:
        """(P, B, F) count of objects reached that carry each feature."""
        return np.einsum("pbk,bkf->pbf", self.reached.astype(np.float64), obj_feat)


def run_episodes(policy: Policy, worlds: WorldBatch, objective: Payoffs, costs: Costs,
                 record_paths: bool = False, true_objective: Payoffs | None = None) -> Episodes:
    """Run every agent of ``policy`` in every world of ``worlds`` on the compiled step
    (:mod:`evo.core.step`) with its kind's rule. ``true_objective`` adds ``true_payoff``: the same
    trajectories, accounted under the true objective. Agents perceive the seen features of
    ``policy.senses`` only. A policy with a life (``policy.life``, a kind that learns) lives the batch as
    ``B / lifetime`` lives (world b: age b % lifetime of life b // lifetime)."""
    true = None
    if true_objective is not None:
        feat = worlds.obj_feat
        true = (true_objective.object_values(feat), true_objective.object_terminal(feat),
                true_objective.step_cost)
    out = engines.episode_arrays(policy, worlds, objective.object_values(worlds.obj_feat),
                                 objective.object_terminal(worlds.obj_feat), objective.step_cost, true,
                                 record_paths)
    recorded = None if not record_paths else Recorded(out["payoffs"], out["trues"], out["consumed_at"],
                                                      out["aims"])
    return Episodes(out["payoff"], out["reached"], out["steps"], out["paths"], costs.of(policy),
                    out["true_payoff"], policy.lifetime if policy.life is not None else 1, out.get("learned"),
                    out.get("life_state"), recorded)
