"""Batched episodes: the whole population in the whole world batch at once (docs/concepts.md §2). Pure numpy.

An episode (per agent, per world): the agent starts on the start cell; for at most ``steps`` steps it picks a
move (see :mod:`evo.core.agents`: planning on ``w`` like a mesa agent, reflexes, or the kind's own batched
``moves``, as the decoded Policy says), pays ``step_cost``, moves (a blocked move stays), and if a remaining
object lies on its new cell it consumes it and earns ``Σ_f payoff_f·x_kf``; an object with a terminal feature
ends the episode; an object that spawns another (:mod:`evo.core.worlds`) releases it as it is consumed, and
only from then on can the released object be seen, planned for and consumed. Fitness = mean episode payoff −
planning cost · horizon − Σ_f perception_cost_f·(|w_f| + |θ_adj_f| + |θ_scent_f|) − complexity_cost·Σ_f
|w_f| (the reflex genes θ where the agent has them; see :class:`Costs`). A *true objective*
(docs/concepts.md §1, Goodhart), when given, is accounted along the very same trajectories: ``true_payoff``
pays its own ``payoff`` and ``step_cost``; its ``terminal`` features do not end the episode (the base
objective drives it) but end the true accounting (nothing is paid or charged after the first true-terminal
object). The loop below runs over time steps only: each step moves every agent in every world with array
operations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from evo.config.schema import Objective
from evo.core import engines
from evo.core.agents import Policy, Tables, discount_table, object_utility, plan_moves, reflex_moves
from evo.core.agents.mesa import reach_table
from evo.core.worlds import WorldBatch, parents
from evo.errors import EvoError


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
    gene that reads a feature: the mesa-objective weight ``w_f`` and, for reflex and hybrid agents, the
    reflex weights on the adjacent feature ``θ_adj_f`` and on its scent ``θ_scent_f``, and a learner's innate
    value ``v0_f`` — seeing "door" costs whoever reacts to it. Complexity is charged on the mesa-objective
    only."""

    planning: float = 0.0
    perception: NDArray[np.float64] | None = None  # (F,) per unit |w_f|, |θ_adj_f|, |θ_scent_f|
    complexity: float = 0.0
    learning: float = 0.0  # per unit of a learning kind's learning rate (Policy.learning_rate)

    def of(self, policy: Policy) -> NDArray[np.float64]:
        """(P,) total cost of each agent: planning·horizon + Σ_f perception_f·|w_f| + complexity·Σ_f |w_f|
        + Σ_f perception_f·|θ_adj_f| + Σ_f perception_f·|θ_scent_f| + Σ_f perception_f·|v0_f| + learning·α
        (the last two for agents that learn within a life: their innate values, their learning rate), added
        in this order."""
        cost = self.planning * policy.horizon.astype(np.float64)
        if policy.w is not None:
            absw = np.abs(policy.w)
            if self.perception is not None:
                for f in range(absw.shape[1]):
                    cost = cost + self.perception[f] * absw[:, f]
            total = np.zeros(absw.shape[0])
            for f in range(absw.shape[1]):  # left to right, as documented (numpy's sum is pairwise from 8 on)
                total = total + absw[:, f]
            cost = cost + self.complexity * total
        if self.perception is not None:
            for genes in (policy.theta_adj, policy.theta_scent):
                if genes is not None:
                    for f in range(genes.shape[1]):
                        cost = cost + self.perception[f] * np.abs(genes[:, f])
        if policy.life is not None and self.perception is not None:  # innate values read features too
            innate = policy.life.innate(policy)
            for f in range(innate.shape[1]):
                cost = cost + self.perception[f] * np.abs(innate[:, f])
        if policy.learning_rate is not None:
            cost = cost + self.learning * policy.learning_rate
        return cost


@dataclass(frozen=True, eq=False)
class Episodes:
    """Outcome of every (agent, world) episode. ``payoff`` (P, B) includes step costs; ``reached`` (P, B, K)
    objects consumed (a hidden object that was never released is not reached); ``steps`` (P, B) steps
    taken; ``paths`` (P, B, T + 1) cells visited, if recorded."""

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
                 record_paths: bool = False, true_objective: Payoffs | None = None,
                 engine: str | None = None) -> Episodes:
    """Run every agent of ``policy`` in every world of ``worlds``.

    The ``P·B`` (agent, world) pairs are flattened into rows; only pairs whose episode is still running are
    stepped, and a pair that ends is written out and dropped from the working arrays. ``true_objective``
    adds ``true_payoff``: the same trajectories, accounted under the true objective. Agents perceive the
    seen features of ``policy.senses`` only. A policy with a life (``policy.life``, a kind that learns) lives
    the batch as ``B / lifetime`` lives (:class:`evo.core.agents.Life`): the ages one after another, every
    (agent, life) pair of an age at once. ``engine`` (:mod:`evo.core.engines`: ``numpy``, ``compiled`` or
    ``auto``; None: the ``EVO_ENGINE`` environment variable) picks the code that runs the rules; every
    engine gives the same episodes, bit for bit."""
    if policy.life is not None and worlds.size % policy.lifetime:
        raise EvoError(f"a batch of {worlds.size} worlds is not a whole number of lives of "
                       f"{policy.lifetime} episodes")
    if engines.resolve(engine) == "compiled" and engines.supports(policy, worlds):
        return _compiled(policy, worlds, objective, costs, record_paths, true_objective)
    if policy.life is None:
        return _episodes(policy, worlds, objective, costs, record_paths, true_objective)
    return _lives(policy, worlds, objective, costs, record_paths, true_objective)


def _compiled(policy: Policy, worlds: WorldBatch, objective: Payoffs, costs: Costs, record_paths: bool,
              true_objective: Payoffs | None) -> Episodes:
    """The episodes on the compiled engine (:func:`evo.core.engines.episode_arrays`)."""
    true = None
    if true_objective is not None:
        feat = worlds.obj_feat
        true = (true_objective.object_values(feat), true_objective.object_terminal(feat),
                true_objective.step_cost)
    out = engines.episode_arrays(policy, worlds, objective.object_values(worlds.obj_feat),
                                 objective.object_terminal(worlds.obj_feat), objective.step_cost, true,
                                 record_paths)
    return Episodes(out["payoff"], out["reached"], out["steps"], out["paths"], costs.of(policy),
                    out["true_payoff"], policy.lifetime if policy.life is not None else 1, out.get("learned"),
                    out.get("life_state"))


def _lives(policy: Policy, worlds: WorldBatch, objective: Payoffs, costs: Costs, record_paths: bool,
           true_objective: Payoffs | None) -> Episodes:
    """Every agent lives every life of ``worlds`` (world b: age b % L of life b // L)."""
    life, lifetime = policy.life, policy.lifetime
    assert life is not None
    p, b, k, f = policy.horizon.shape[0], worlds.size, worlds.n_objects, worlds.obj_feat.shape[-1]
    lives = b // lifetime
    state = life.born(policy, Tables.of(worlds, None, policy.senses), lifetime)
    payoff, steps = np.zeros((p, b)), np.zeros((p, b), dtype=np.int64)
    reached = np.zeros((p, b, k), dtype=bool)
    paths = np.zeros((p, b, worlds.steps + 1), dtype=np.int64) if record_paths else None
    true = np.zeros((p, b)) if true_objective is not None else None
    learned = np.zeros((p, b, f))
    cost = costs.of(policy)
    for age in range(lifetime):
        at = np.arange(lives) * lifetime + age
        ep = _episodes(policy, worlds.subset(at), objective, costs, record_paths, true_objective,
                       life_of=(state, age))
        payoff[:, at], steps[:, at], reached[:, at] = ep.payoff, ep.steps, ep.reached
        if paths is not None and ep.paths is not None:
            paths[:, at] = ep.paths
        if true is not None and ep.true_payoff is not None:
            true[:, at] = ep.true_payoff
        learned[:, at] = life.learned(policy, state).reshape(p, lives, f)
    return Episodes(payoff, reached, steps, paths, cost, true, lifetime, learned, state)


def _episodes(policy: Policy, worlds: WorldBatch, objective: Payoffs, costs: Costs, record_paths: bool,
              true_objective: Payoffs | None, life_of: tuple[dict[str, Any], int] | None = None) -> Episodes:
    """One episode of every agent in every world; with ``life_of`` (the lives' state and the age), the
    episodes of one age of lives (pair ``agent · B + world`` is the unit of agent and life ``world``)."""
    p, b, k = policy.horizon.shape[0], worlds.size, worlds.n_objects
    n, c, t_max = p * b, worlds.height * worlds.width, worlds.steps
    # a kind's own moves may smell too: its tables get the reflexes' proximity
    tables = Tables.of(worlds, policy.view_radius if policy.reacts or policy.moves is not None else None,
                       policy.senses)
    values = objective.object_values(worlds.obj_feat).reshape(-1)  # (B·K,)
    terminal = objective.object_terminal(worlds.obj_feat).reshape(-1)
    out_payoff = np.zeros(n)
    out_steps = np.zeros(n, dtype=np.int64)
    out_remaining = np.ones((n, k), dtype=bool)
    paths = np.empty((n, t_max + 1), dtype=np.int64) if record_paths else None
    has_true = true_objective is not None
    if true_objective is not None:
        true_values = true_objective.object_values(worlds.obj_feat).reshape(-1)
        true_terminal = true_objective.object_terminal(worlds.obj_feat).reshape(-1)
        true_step = true_objective.step_cost
    out_true = np.zeros(n)
    true_pay = np.zeros(n)
    true_live = np.ones(n, dtype=bool)  # false once a true-terminal object was reached

    # working arrays of the live pairs
    pair = np.arange(n)
    agent, world = np.repeat(np.arange(p), b), np.tile(np.arange(b), p)
    row = world * c + worlds.start[world]
    spawns = worlds.spawns
    remaining = np.ascontiguousarray(~worlds.hidden.T[:, world]) if spawns else np.ones((k, n), dtype=bool)
    spawn = worlds.spawn.reshape(-1)  # (B·K,) object index released, or -1
    payoff = np.zeros(n)
    every = np.arange(n)  # every[:m]: the positions of the m live pairs
    utility = gamma = horizon = reach = None
    life = policy.life if life_of is not None else None
    if policy.plans:
        if life is None:
            assert policy.w is not None
            utility = np.ascontiguousarray(object_utility(policy.w, tables.obj_feat).reshape(n, k).T)
        gamma = discount_table(policy.discount, int(worlds.dist.max()))
        horizon = policy.horizon[agent]
        reach = reach_table(tables, gamma, policy.horizon)
    if paths is not None:
        paths[:, 0] = row - world * c

    def finish(rows: NDArray[np.int64], t_done: int) -> None:
        out_payoff[pair[rows]] = payoff[rows]
        out_steps[pair[rows]] = t_done  # every live pair moves once per step
        out_remaining[pair[rows]] = remaining[:, rows].T
        if has_true:
            out_true[pair[rows]] = true_pay[rows]
        if paths is not None:
            paths[pair[rows], t_done + 1:] = (row[rows] - world[rows] * c)[:, None]

    for t in range(t_max):
        if life is not None and life_of is not None:  # plans on what its life makes objects worth now
            assert horizon is not None and gamma is not None
            move, _ = plan_moves(horizon, life.utility(policy, life_of[0], life_of[1], pair, agent, world),
                                 gamma, tables, row, remaining, reach)
        elif policy.moves is not None:  # the kind's own batched moves, for every live pair at once
            move = policy.moves(policy, tables, agent, world, row, remaining)
        elif policy.plans:
            assert horizon is not None and utility is not None and gamma is not None  # set when policy.plans
            move, has_target = plan_moves(horizon, utility, gamma, tables, row, remaining, reach)
            if policy.reacts:
                lost = np.flatnonzero(~has_target)
                move[lost] = reflex_moves(policy, tables, agent[lost], world[lost], row[lost],
                                          remaining[:, lost])
        else:
            move = reflex_moves(policy, tables, agent, world, row, remaining)
        m = row.shape[0]
        row = tables.neighbors.take(row * 5 + move)
        payoff = payoff - objective.step_cost
        obj = tables.obj_at.take(row)
        safe = np.maximum(obj, 0)
        hit = (obj >= 0) & remaining.reshape(-1).take(safe * m + every[:m])
        got = np.flatnonzero(hit)
        remaining[safe[got], got] = False
        object_row = world[got] * k + safe[got]
        payoff[got] = payoff[got] + values.take(object_row)
        if life is not None and life_of is not None and got.size:  # it feels what it ate, and learns
            life.consumed(policy, life_of[0], life_of[1], pair[got], agent[got], world[got], safe[got])
        if spawns:
            child = spawn.take(object_row)
            released = np.flatnonzero(child >= 0)
            remaining[child[released], got[released]] = True
        if has_true:
            live = np.flatnonzero(true_live)
            true_pay[live] = true_pay[live] - true_step
            # charge the step first, then pay the object, as the base objective does
            gl = got[true_live[got]]
            gl_row = world[gl] * k + safe[gl]
            true_pay[gl] = true_pay[gl] + true_values.take(gl_row)
            true_live[gl[true_terminal.take(gl_row)]] = False
        if paths is not None:
            paths[pair, t + 1] = row - world * c
        ended = got[terminal.take(object_row)]
        if ended.size:
            finish(ended, t + 1)
            keep = np.ones(m, dtype=bool)
            keep[ended] = False
            idx = np.flatnonzero(keep)  # integer gathers: much faster than boolean masks on axis 1
            pair, agent, world, row = pair.take(idx), agent.take(idx), world.take(idx), row.take(idx)
            remaining, payoff = remaining.take(idx, axis=1), payoff.take(idx)
            if has_true:
                true_pay, true_live = true_pay.take(idx), true_live.take(idx)
            if utility is not None:
                assert horizon is not None  # set together with utility
                utility, horizon = utility.take(idx, axis=1), horizon.take(idx)
            elif horizon is not None:  # a life's utility is asked for afresh each step
                horizon = horizon.take(idx)
            if pair.size == 0:
                break
    finish(np.arange(pair.size), t_max)
    reached = ~out_remaining.reshape(p, b, k)
    if spawns:  # a hidden object still "not remaining" at the end was never released, so never reached
        parent = parents(worlds.spawn)
        released = np.take_along_axis(reached, np.maximum(parent, 0)[None].repeat(p, 0), axis=2)
        reached &= (parent < 0)[None] | released
    return Episodes(out_payoff.reshape(p, b), reached, out_steps.reshape(p, b),
                    None if paths is None else paths.reshape(p, b, t_max + 1), costs.of(policy),
                    out_true.reshape(p, b) if has_true else None)
