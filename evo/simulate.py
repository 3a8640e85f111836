"""Batched episodes: the whole population in the whole world batch at once (DESIGN §4). Pure numpy.

An episode (per agent, per world): the agent starts on the start cell; for at most ``steps`` steps it picks a
move (see :mod:`evo.agents`), pays ``step_cost``, moves (a blocked move stays), and if a remaining object lies
on its new cell it consumes it and earns ``Σ_f payoff_f·x_kf``; an object with a terminal feature ends the
episode. Fitness = mean episode payoff − planning cost · horizon − Σ_f perception_cost_f·|w_f| −
complexity_cost·Σ_f |w_f|. The loop below runs over time steps only: each step moves every agent in every
world with array operations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evo.agents import Policy, discount_table, object_utility, plan_moves, reflex_moves
from evo.worlds import WorldBatch


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

    def object_values(self, obj_feat: NDArray[np.float64]) -> NDArray[np.float64]:
        """(B, K) payoff of each object, summed in feature order."""
        v = np.zeros(obj_feat.shape[:2])
        for f in range(obj_feat.shape[-1]):
            v = v + self.payoff[f] * obj_feat[..., f]
        return v

    def object_terminal(self, obj_feat: NDArray[np.float64]) -> NDArray[np.bool_]:
        return (obj_feat[..., self.terminal] > 0).any(axis=-1)


@dataclass(frozen=True, slots=True)
class Costs:
    """Fitness costs that do not depend on the world (DESIGN §3)."""

    planning: float = 0.0
    perception: NDArray[np.float64] | None = None  # (F,) per unit |w_f|
    complexity: float = 0.0

    def of(self, policy: Policy) -> NDArray[np.float64]:
        """(P,) total cost of each agent."""
        cost = self.planning * policy.horizon.astype(np.float64)
        if policy.w is not None:
            absw = np.abs(policy.w)
            if self.perception is not None:
                for f in range(absw.shape[1]):
                    cost = cost + self.perception[f] * absw[:, f]
            cost = cost + self.complexity * absw.sum(axis=1)
        return cost


@dataclass(frozen=True, eq=False)
class Episodes:
    """Outcome of every (agent, world) episode. ``payoff`` (P, B) includes step costs; ``reached`` (P, B, K)
    objects consumed; ``steps`` (P, B) steps taken; ``paths`` (P, B, T + 1) cells visited, if recorded."""

    payoff: NDArray[np.float64]
    reached: NDArray[np.bool_]
    steps: NDArray[np.int64]
    paths: NDArray[np.int64] | None
    cost: NDArray[np.float64]

    @property
    def fitness(self) -> NDArray[np.float64]:
        """(P,) mean episode payoff minus the agent's costs."""
        return self.payoff.mean(axis=1) - self.cost

    def reached_features(self, obj_feat: NDArray[np.float64]) -> NDArray[np.float64]:
        """(P, B, F) count of objects reached that carry each feature."""
        return np.einsum("pbk,bkf->pbf", self.reached.astype(np.float64), obj_feat)


def run_episodes(policy: Policy, worlds: WorldBatch, objective: Payoffs, costs: Costs,
                 record_paths: bool = False) -> Episodes:
    """Run every agent of ``policy`` in every world of ``worlds``."""
    p, b, k = policy.horizon.shape[0], worlds.size, worlds.n_objects
    b_idx = np.arange(b)[None, :]
    pos = np.broadcast_to(worlds.start[None, :], (p, b)).copy()
    remaining = np.ones((p, b, k), dtype=bool)
    done = np.zeros((p, b), dtype=bool)
    payoff = np.zeros((p, b))
    steps = np.zeros((p, b), dtype=np.int64)
    values = objective.object_values(worlds.obj_feat)
    terminal = objective.object_terminal(worlds.obj_feat)
    paths = np.empty((p, b, worlds.steps + 1), dtype=np.int64) if record_paths else None
    if paths is not None:
        paths[..., 0] = pos
    utility = gamma = None
    if policy.plans:
        assert policy.w is not None
        utility = object_utility(policy.w, worlds.obj_feat)
        gamma = discount_table(policy.discount, int(worlds.dist.max()))
    for t in range(worlds.steps):
        if policy.plans and policy.reacts:
            planned, has_target = plan_moves(policy, worlds, pos, remaining, utility, gamma)
            move = np.where(has_target, planned, reflex_moves(policy, worlds, pos, remaining))
        elif policy.plans:
            move, _ = plan_moves(policy, worlds, pos, remaining, utility, gamma)
        else:
            move = reflex_moves(policy, worlds, pos, remaining)
        active = ~done
        new_pos = worlds.neighbors[b_idx, pos, move]
        pos = np.where(active, new_pos, pos)
        payoff = payoff - np.where(active, objective.step_cost, 0.0)
        steps = steps + active
        obj = worlds.obj_at[b_idx, pos]
        safe = np.maximum(obj, 0)
        hit = active & (obj >= 0) & np.take_along_axis(remaining, safe[..., None], axis=-1)[..., 0]
        remaining[hit, safe[hit]] = False
        payoff = payoff + np.where(hit, values[b_idx, safe], 0.0)
        done = done | (hit & terminal[b_idx, safe])
        if paths is not None:
            paths[..., t + 1] = pos
        if done.all():
            if paths is not None:
                paths[..., t + 2:] = pos[..., None]
            break
    return Episodes(payoff, ~remaining, steps, paths, costs.of(policy))
