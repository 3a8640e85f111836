"""Per-agent, per-world reference evaluator: the episode rules of :mod:`evo.core.agents` and
:mod:`evo.core.simulate` written as plain Python loops, so that it is obviously correct and the batched
evaluator can be checked against it exactly.

Nothing here reuses the tables of :class:`evo.core.worlds.WorldBatch`: moves, breadth-first distances, the
next move of a shortest path and the Manhattan "scent" are recomputed from the raw layout (``walls``,
``start``, ``obj_cell``, ``obj_feat``, ``height``, ``width``, ``steps``). Genomes are decoded here too, from
the layout documented in :mod:`evo.core.agents`; a learner's life (:mod:`evo.core.agents.learner`) is
written out episode by episode, its values and memory in plain lists and sets. Every sum runs left to
right, in feature order, starting from ``0.0``, as the docstrings specify; numbers are Python floats. The
only numpy used in a calculation is the final ``mean`` over worlds, taken exactly as
:attr:`evo.core.simulate.Episodes.fitness` takes it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evo.config.schema import AgentConfig
from evo.core.agents import Policy
from evo.core.simulate import Costs, Payoffs

N, E, S, W, STAY = 0, 1, 2, 3, 4
#: (row change, column change) of the moves N, E, S, W.
DELTAS = ((-1, 0), (0, 1), (1, 0), (0, -1))


# ------------------------------------------------------------------------------------------------------
# worlds


@dataclass
class World:
    """One world as plain Python values. Cells are numbered row-major: ``cell = row * width + col``."""

    height: int
    width: int
    walls: list[bool]
    start: int
    obj_cell: list[int]
    obj_feat: list[list[float]]
    spawn: list[int] | None = None  # object released when object k is consumed, or -1; None: nothing spawns
    seen_mask: list[bool] | None = None  # features perceived from a distance; None: every feature
    felt_mask: list[bool] | None = None  # features felt on consumption; None: every feature

    def seen(self, k: int) -> list[float]:
        """Object ``k``'s features as agents see them: a feature that is not seen reads 0."""
        if self.seen_mask is None:
            return self.obj_feat[k]
        return [x if m else 0.0 for x, m in zip(self.obj_feat[k], self.seen_mask, strict=True)]

    def felt(self, k: int) -> list[float]:
        """Object ``k``'s features as a learner feels them when consuming it."""
        if self.felt_mask is None:
            return self.obj_feat[k]
        return [x if m else 0.0 for x, m in zip(self.obj_feat[k], self.felt_mask, strict=True)]

    @property
    def n_cells(self) -> int:
        return self.height * self.width

    @property
    def unreachable(self) -> int:
        """The distance recorded for a cell from which an object cannot be reached."""
        return self.n_cells + 1

    def move(self, cell: int, move: int) -> int:
        """The cell reached from ``cell`` by ``move``; a move off the grid or into a wall stays put."""
        if move == STAY:
            return cell
        row, col = divmod(cell, self.width)
        dr, dc = DELTAS[move]
        row, col = row + dr, col + dc
        if not (0 <= row < self.height and 0 <= col < self.width):
            return cell
        target = row * self.width + col
        if self.walls[target]:
            return cell
        return target

    def manhattan(self, a: int, b: int) -> int:
        ra, ca = divmod(a, self.width)
        rb, cb = divmod(b, self.width)
        return abs(ra - rb) + abs(ca - cb)

    def object_at(self, cell: int) -> int | None:
        for k, c in enumerate(self.obj_cell):
            if c == cell:
                return k
        return None


def bfs_distances(world: World, target: int) -> list[int]:
    """Fewest moves from every cell to ``target`` (``world.unreachable`` for walls and cells that cannot
    reach it). Moves are symmetric between free cells, so a search outward from the target suffices."""
    dist = [world.unreachable] * world.n_cells
    if world.walls[target]:
        return dist
    dist[target] = 0
    queue = deque([target])
    while queue:
        cell = queue.popleft()
        for move in (N, E, S, W):
            other = world.move(cell, move)
            if other != cell and dist[other] == world.unreachable:
                dist[other] = dist[cell] + 1
                queue.append(other)
    return dist


def next_move(world: World, dist: list[int], cell: int) -> int:
    """The first of N, E, S, W that lowers the distance by one; STAY when none does (at the target, or
    when it is unreachable)."""
    if dist[cell] == 0 or dist[cell] == world.unreachable:
        return STAY
    for move in (N, E, S, W):
        other = world.move(cell, move)
        if other != cell and dist[other] == dist[cell] - 1:
            return move
    return STAY


def worlds_from_arrays(walls: NDArray[np.bool_], start: NDArray[np.int64], obj_cell: NDArray[np.int64],
                       obj_feat: NDArray[np.float64], height: int, width: int,
                       spawn: NDArray[np.int64] | None = None,
                       senses: tuple[list[bool], list[bool]] | None = None) -> list[World]:
    """The batch ``walls`` (B, C), ``start`` (B,), ``obj_cell`` (B, K), ``obj_feat`` (B, K, F) and
    ``spawn`` (B, K) as Worlds; ``senses`` the (seen, felt) masks over features."""
    seen, felt = (None, None) if senses is None else senses
    return [World(height, width, [bool(x) for x in walls[b]], int(start[b]),
                  [int(c) for c in obj_cell[b]], [[float(x) for x in row] for row in obj_feat[b]],
                  None if spawn is None else [int(x) for x in spawn[b]], seen, felt)
            for b in range(len(start))]


# ------------------------------------------------------------------------------------------------------
# agents


@dataclass
class Agent:
    """One agent's parameters as plain Python values; parts its kind lacks are ``None``."""

    kind: str
    horizon: int
    discount: float
    view_radius: int
    w: list[float] | None
    theta_wall: float | None
    theta_adj: list[float] | None
    theta_scent: list[float] | None
    bias: list[float] | None
    # learner only: innate values over seen features, learning rate, curiosity, episodes of a life, and the
    # seen combinations it starts a life having consumed (a grown agent's)
    v0: list[float] | None = None
    alpha: float | None = None
    kappa: float | None = None
    lifetime: int = 1
    memory: list[tuple[float, ...]] | None = None


def agents_from_genomes(genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int,
                        senses: tuple[list[bool], list[bool]] | None = None) -> list[Agent]:
    """Decode each genome by the layout in :mod:`evo.core.agents`: mesa ``w[F]``; reflex ``θ_wall, θ_adj[F],
    θ_scent[F], bias[5]``; hybrid ``w[F]``, the reflex genes, then the horizon gene ``g`` with horizon
    ``round(clip(g, 0, 1)·H)``; learner ``r[F]`` (its ``w``, 0 where a feature is not felt), ``v0[F]`` (0
    where not seen), ``α = clip(g, 0, 1)·max_learning_rate``, ``κ = max(g, 0)``. ``senses``: the (seen,
    felt) masks; None: every feature both."""
    f = n_features
    seen, felt = ([True] * f, [True] * f) if senses is None else senses
    agents = []
    for genome in genomes:
        genes = [float(x) for x in genome]
        w = theta_wall = theta_adj = theta_scent = bias = None
        at = 0
        # the kinds' documented [agent] defaults, then the configuration's own keys
        # (a key the kind does not declare does not apply to it: a reflex plans nothing, so no discount;
        # only reflexes smell, so only they have a view radius)
        p = {"horizon": 12, "discount": 0.9, "view_radius": 5, "lifetime": 8, "max_learning_rate": 1.0,
             **cfg.params}
        if cfg.kind not in ("reflex", "hybrid"):
            p["view_radius"] = 0
        if cfg.kind == "reflex":
            p["discount"] = 1.0
        if cfg.kind == "learner":
            r, at = genes[at:at + f], at + f
            v0, at = genes[at:at + f], at + f
            alpha, at = min(max(genes[at], 0.0), 1.0) * p["max_learning_rate"], at + 1
            kappa, at = max(genes[at], 0.0), at + 1
            assert at == len(genes), "genome length does not match the layout"
            felt_r = [x if m else 0.0 for x, m in zip(r, felt, strict=True)]
            seen_v0 = [x if m else 0.0 for x, m in zip(v0, seen, strict=True)]
            agents.append(Agent("learner", p["horizon"], float(p["discount"]), p["view_radius"], felt_r, None,
                                None, None, None, seen_v0, alpha, kappa, p["lifetime"], []))
            continue
        if cfg.kind in ("mesa", "hybrid"):
            w, at = genes[at:at + f], at + f
        if cfg.kind in ("reflex", "hybrid"):
            theta_wall, at = genes[at], at + 1
            theta_adj, at = genes[at:at + f], at + f
            theta_scent, at = genes[at:at + f], at + f
            bias, at = genes[at:at + 5], at + 5
        if cfg.kind == "mesa":
            horizon = p["horizon"]
        elif cfg.kind == "reflex":
            horizon = 0
        else:
            g, at = genes[at], at + 1
            horizon = round(min(max(g, 0.0), 1.0) * p["horizon"])  # round half to even, like numpy's rint
        assert at == len(genes), "genome length does not match the layout"
        agents.append(Agent(cfg.kind, horizon, float(p["discount"]), p["view_radius"], w, theta_wall,
                            theta_adj, theta_scent, bias))
    return agents


def agents_from_policy(policy: Policy) -> list[Agent]:
    """The agents of an already decoded :class:`evo.core.agents.Policy`."""

    def row(a: NDArray[np.float64] | None, p: int) -> list[float] | None:
        return None if a is None else [float(x) for x in a[p]]

    def memory(p: int) -> list[tuple[float, ...]] | None:
        if policy.life is None:
            return None
        m = policy.genes.get("memory")
        return [] if m is None else [tuple(float(x) for x in v) for v in m[p] if not np.isnan(v).any()]

    def scalar(a: NDArray[np.float64] | None, p: int) -> float | None:
        return None if a is None else float(a[p])

    genes, values = policy.genes, policy.values
    wall = genes.get("theta_wall")
    curiosity = None if policy.life is None else policy.life.genes(policy)["curiosity"]
    return [Agent(policy.kind, int(policy.horizon[p]), float(values.get("discount", 1.0)),
                  int(values.get("view_radius", 0)), row(policy.objective, p),
                  None if wall is None else float(wall[p, 0]), row(genes.get("theta_adj"), p),
                  row(genes.get("theta_scent"), p), row(genes.get("bias"), p), row(genes.get("v0"), p),
                  scalar(policy.learning_rate, p), scalar(curiosity, p), policy.lifetime, memory(p))
            for p in range(policy.horizon.shape[0])]


@dataclass
class Mind:
    """What a learner carries through one life: its learned values and the seen combinations consumed."""

    v: list[float]
    consumed: set[tuple[float, ...]]


def planned_target(agent: Agent, world: World, dists: list[list[int]], pos: int,
                   remaining: list[bool], mind: Mind | None = None) -> int | None:
    """The remaining object within the horizon of largest positive value ``(Σ_f w_f·x_kf)·γ^d`` (lowest
    index on ties), or None; ``x`` the seen features. A learner (``mind``) values an object at
    ``Σ_f v_f·x_kf + κ·novel`` instead."""
    assert agent.w is not None
    best, best_value = None, 0.0
    for k in range(len(world.obj_cell)):
        if not remaining[k]:
            continue
        d = dists[k][pos]
        if d > agent.horizon:
            continue
        x = world.seen(k)
        utility = 0.0
        if mind is None:
            for f in range(len(agent.w)):
                utility = utility + agent.w[f] * x[f]
        else:
            assert agent.kappa is not None
            for f in range(len(mind.v)):
                utility = utility + mind.v[f] * x[f]
            utility = utility + agent.kappa * (0.0 if tuple(x) in mind.consumed else 1.0)
        value = utility * agent.discount**d
        if value > best_value:  # strict: positive, and the lowest index keeps a tie
            best, best_value = k, value
    return best


def scent(agent: Agent, world: World, cell: int, f: int, remaining: list[bool]) -> float:
    """``max(0, R − |cell − o|₁)/R`` maximised over remaining objects ``o`` carrying feature ``f``; 0 if
    there are none."""
    r = agent.view_radius
    best = 0.0
    for k, o in enumerate(world.obj_cell):
        if remaining[k] and world.seen(k)[f] > 0:
            best = max(best, max(0, r - world.manhattan(cell, o)) / r)
    return best


def reflex_move(agent: Agent, world: World, pos: int, remaining: list[bool]) -> int:
    """The first argmax over N, E, S, W, stay of the reflex scores in :mod:`evo.core.agents`."""
    assert agent.bias is not None and agent.theta_adj is not None and agent.theta_scent is not None
    assert agent.theta_wall is not None
    n_features = len(agent.theta_adj)
    scores = []
    for move in (N, E, S, W):
        there = world.move(pos, move)
        wall = 1.0 if there == pos else 0.0
        k = world.object_at(there) if there != pos else None
        feat = world.seen(k) if k is not None and remaining[k] else [0.0] * n_features
        score = agent.bias[move]
        score = score + agent.theta_wall * wall
        for f in range(n_features):
            score = score + agent.theta_adj[f] * feat[f]
        for f in range(n_features):
            gradient = scent(agent, world, there, f, remaining) - scent(agent, world, pos, f, remaining)
            score = score + agent.theta_scent[f] * gradient
        scores.append(score)
    scores.append(agent.bias[STAY])
    best = 0
    for move in range(1, 5):
        if scores[move] > scores[best]:
            best = move
    return best


def choose_move(agent: Agent, world: World, dists: list[list[int]], pos: int, remaining: list[bool],
                mind: Mind | None = None) -> int:
    """mesa and learner: toward its planned target, else stay. reflex: its reflexes. hybrid: a reflex agent
    when its horizon is 0, otherwise toward its planned target, else its reflexes."""
    if agent.kind == "reflex" or (agent.kind == "hybrid" and agent.horizon == 0):
        return reflex_move(agent, world, pos, remaining)
    target = planned_target(agent, world, dists, pos, remaining, mind)
    if target is not None:
        return next_move(world, dists[target], pos)
    if agent.kind in ("mesa", "learner"):
        return STAY
    return reflex_move(agent, world, pos, remaining)


# ------------------------------------------------------------------------------------------------------
# episodes


@dataclass
class Episode:
    payoff: float
    reached: list[bool]
    steps: int
    path: list[int]
    true_payoff: float = 0.0


def object_value(objective: Payoffs, feat: list[float]) -> float:
    value = 0.0
    for f in range(len(feat)):
        value = value + float(objective.payoff[f]) * feat[f]
    return value


def is_terminal(objective: Payoffs, feat: list[float]) -> bool:
    return any(bool(objective.terminal[f]) and feat[f] > 0 for f in range(len(feat)))


def learn(agent: Agent, mind: Mind, world: World, k: int) -> None:
    """A learner consumed object ``k``: ``felt = Σ_f r_f·φ_kf``, ``δ = felt − Σ_f v_f·x_kf``,
    ``v_f ← v_f + (α·δ)·x_kf``; ``x_k``'s seen combination is no longer novel."""
    assert agent.w is not None and agent.alpha is not None
    x, phi = world.seen(k), world.felt(k)
    felt = 0.0
    for f in range(len(phi)):
        felt = felt + agent.w[f] * phi[f]
    pred = 0.0
    for f in range(len(x)):
        pred = pred + mind.v[f] * x[f]
    step = agent.alpha * (felt - pred)
    mind.v = [mind.v[f] + step * x[f] for f in range(len(x))]
    mind.consumed.add(tuple(x))


def run_episode(agent: Agent, world: World, dists: list[list[int]], objective: Payoffs,
                steps: int, true_objective: Payoffs | None = None, mind: Mind | None = None) -> Episode:
    """One agent in one world: each step pick a move, pay the step cost, move, consume a remaining object
    on the new cell (earning its payoff); a terminal object ends the episode. The path is padded with the
    last cell to ``steps + 1`` cells. ``true_payoff`` accounts the same path under ``true_objective``: its
    step cost and payoffs, until the first object with one of its terminal features. An object that
    ``world.spawn`` names as released by another is absent until that one is consumed."""
    pos = world.start
    n_objects = len(world.obj_cell)
    spawn = world.spawn if world.spawn is not None else [-1] * n_objects
    remaining = [k not in spawn for k in range(n_objects)]
    consumed = [False] * n_objects
    payoff = 0.0
    true_payoff = 0.0
    true_live = true_objective is not None
    path = [pos]
    taken = 0
    for _ in range(steps):
        move = choose_move(agent, world, dists, pos, remaining, mind)
        payoff = payoff - objective.step_cost
        pos = world.move(pos, move)
        taken += 1
        path.append(pos)
        if true_live and true_objective is not None:
            true_payoff = true_payoff - true_objective.step_cost
        k = world.object_at(pos)
        if k is not None and remaining[k]:
            remaining[k] = False
            consumed[k] = True
            if spawn[k] >= 0:
                remaining[spawn[k]] = True
            payoff = payoff + object_value(objective, world.obj_feat[k])
            if mind is not None:
                learn(agent, mind, world, k)
            if true_live and true_objective is not None:
                true_payoff = true_payoff + object_value(true_objective, world.obj_feat[k])
                true_live = not is_terminal(true_objective, world.obj_feat[k])
            if is_terminal(objective, world.obj_feat[k]):
                break
    path += [pos] * (steps + 1 - len(path))
    return Episode(payoff, consumed, taken, path, true_payoff)


def agent_cost(agent: Agent, costs: Costs) -> float:
    """planning cost·horizon + Σ_f perception_f·|w_f| + complexity·Σ_f |w_f| + Σ_f perception_f·|θ_adj_f| +
    Σ_f perception_f·|θ_scent_f| + Σ_f perception_f·|v0_f| + learning cost·α (each sum in feature order,
    added in this order; the last two for a learner)."""
    cost = costs.planning * float(agent.horizon)
    if agent.w is not None:
        absw = [abs(x) for x in agent.w]
        if costs.perception is not None:
            for f in range(len(absw)):
                cost = cost + float(costs.perception[f]) * absw[f]
        total = 0.0
        for x in absw:
            total = total + x
        cost = cost + costs.complexity * total
    if costs.perception is not None:
        for genes in (agent.theta_adj, agent.theta_scent):
            if genes is not None:
                for f in range(len(genes)):
                    cost = cost + float(costs.perception[f]) * abs(genes[f])
    if agent.v0 is not None and costs.perception is not None:
        for f in range(len(agent.v0)):
            cost = cost + float(costs.perception[f]) * abs(agent.v0[f])
    if agent.alpha is not None:
        cost = cost + costs.learning * agent.alpha
    return cost


@dataclass
class ReferenceEpisodes:
    """Same fields as :class:`evo.core.simulate.Episodes`, with paths always recorded, plus ``fitness``."""

    payoff: NDArray[np.float64]  # (P, B)
    reached: NDArray[np.bool_]  # (P, B, K)
    steps: NDArray[np.int64]  # (P, B)
    paths: NDArray[np.int64]  # (P, B, T + 1)
    cost: NDArray[np.float64]  # (P,)
    fitness: NDArray[np.float64]  # (P,)
    true_payoff: NDArray[np.float64] | None = None  # (P, B) when a true objective was given
    learned: NDArray[np.float64] | None = None  # (P, B, F) a learner's values after each episode


def reference_episodes(walls: NDArray[np.bool_], start: NDArray[np.int64], obj_cell: NDArray[np.int64],
                       obj_feat: NDArray[np.float64], height: int, width: int, steps: int,
                       agents: Policy | Sequence[Agent], objective: Payoffs,
                       costs: Costs, true_objective: Payoffs | None = None,
                       spawn: NDArray[np.int64] | None = None,
                       senses: tuple[list[bool], list[bool]] | None = None) -> ReferenceEpisodes:
    """Run every agent in every world, one episode at a time. ``agents`` is a decoded Policy or the result
    of :func:`agents_from_genomes`; ``spawn`` (B, K) as in :class:`evo.core.worlds.WorldBatch`; ``senses``
    the (seen, felt) masks (agents see only seen features). A learner lives worlds ``l·L … l·L + L − 1`` as
    life ``l`` (``L`` its lifetime): born with ``v = v0`` and nothing consumed (a grown agent: its memory),
    it carries both from one episode of the life to the next."""
    if isinstance(agents, Policy):
        agents = agents_from_policy(agents)
    worlds = worlds_from_arrays(walls, start, obj_cell, obj_feat, height, width, spawn, senses)
    dists = [[bfs_distances(world, cell) for cell in world.obj_cell] for world in worlds]
    n_features = obj_feat.shape[-1]
    learned = np.zeros((len(agents), len(worlds), n_features))
    episodes = []
    for i, agent in enumerate(agents):
        if agent.kind != "learner":
            episodes.append([run_episode(agent, world, d, objective, steps, true_objective)
                             for world, d in zip(worlds, dists, strict=True)])
            continue
        assert agent.v0 is not None and agent.memory is not None
        row = []
        for b, (world, d) in enumerate(zip(worlds, dists, strict=True)):
            if b % agent.lifetime == 0:  # born: nothing learned is inherited
                mind = Mind(list(agent.v0), set(agent.memory))
            row.append(run_episode(agent, world, d, objective, steps, true_objective, mind))
            learned[i, b] = mind.v
        episodes.append(row)
    payoff = np.array([[e.payoff for e in row] for row in episodes], dtype=np.float64)
    cost = np.array([agent_cost(agent, costs) for agent in agents], dtype=np.float64)
    k = obj_cell.shape[1]
    p, b = len(agents), len(worlds)
    return ReferenceEpisodes(
        payoff=payoff.reshape(p, b),
        reached=np.array([[e.reached for e in row] for row in episodes], dtype=bool).reshape(p, b, k),
        steps=np.array([[e.steps for e in row] for row in episodes], dtype=np.int64).reshape(p, b),
        paths=np.array([[e.path for e in row] for row in episodes], dtype=np.int64).reshape(p, b, steps + 1),
        cost=cost,
        # the mean over worlds is taken exactly as Episodes.fitness takes it (numpy's summation order)
        fitness=payoff.reshape(p, b).mean(axis=1) - cost,
        true_payoff=None if true_objective is None else np.array(
            [[e.true_payoff for e in row] for row in episodes], dtype=np.float64).reshape(p, b),
        learned=learned,
    )
