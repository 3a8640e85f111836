"""The compiled problem: a scenario as the arrays an evaluation needs (features, the base objective's and
the true objective's payoff vectors, costs) with the agent kind's decoder and the world generator, and the
assessment of genomes under the shifts (docs/concepts.md §4). Everything that builds an objective's payoff
vector goes through :meth:`Problem.from_scenario` (:meth:`evo.core.simulate.Payoffs.of`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evo.config.schema import Scenario, WorldConfig
from evo.core import agents, lifetimes, metrics, worlds
from evo.core.simulate import Costs, Episodes, Payoffs, run_episodes
from evo.core.state import Assessment


@dataclass(frozen=True, eq=False)
class Problem:
    """What the loop needs from a scenario, as arrays: features, objectives, costs, agent config."""

    scenario: Scenario
    features: tuple[str, ...]
    base: Payoffs
    costs: Costs
    #: the true objective (docs/concepts.md §1, Goodhart): accounted, never selected on
    true: Payoffs | None = None
    #: how agents perceive each feature (``[scenario] felt``, ``hidden``); None: every feature seen
    senses: agents.Senses | None = None
    #: episodes of one life of the agent kind (1: nothing is carried between episodes); every world batch
    #: is drawn and lived as whole lives
    lifetime: int = 1

    @classmethod
    def from_scenario(cls, s: Scenario) -> Problem:
        feats = s.features
        b = s.base_objective
        base = Payoffs.of(b, feats)
        a = s.agent
        costs = Costs(a.planning_cost, np.array([a.perception_cost.get(f, 0.0) for f in feats]),
                      a.complexity_cost, a.learning_cost)
        t = s.true_objective
        true = None if t is None else Payoffs.of(t, feats)
        senses = agents.Senses.of(feats, s.scenario.felt, s.scenario.hidden)
        return cls(s, feats, base, costs, true, senses, agents.lifetime(a))

    @property
    def seen_features(self) -> tuple[str, ...]:
        """The features agents perceive from a distance."""
        seen = agents.Senses.seen_of(self.senses, len(self.features))
        return tuple(f for f, x in zip(self.features, seen, strict=True) if x)

    @property
    def genome_layout(self) -> dict[str, tuple[int, int]]:
        return agents.genome_layout(self.scenario.agent, len(self.features))

    def decode(self, genomes: NDArray[np.float64]) -> agents.Policy:
        return agents.decode(genomes, self.scenario.agent, len(self.features), self.senses)

    def draw(self, cfg: WorldConfig, n: int, rng: np.random.Generator) -> worlds.WorldBatch:
        """``n`` worlds of ``cfg``, as ``n / lifetime`` lives (:func:`evo.core.lifetimes.generate`)."""
        return lifetimes.generate(cfg, self.features, n, rng, self.lifetime)

    def evaluate(self, genomes: NDArray[np.float64], batch: worlds.WorldBatch,
                 record_paths: bool = False) -> Episodes:
        return run_episodes(self.decode(genomes), batch, self.base, self.costs, record_paths, self.true)


def assess(problem: Problem, genomes: NDArray[np.float64], train_fitness: NDArray[np.float64],
           shift_batches: Mapping[str, worlds.WorldBatch], best_train: float | None = None) -> Assessment:
    """Shift fitness, classes and alignment of every genome, given its train fitness (docs/concepts.md §4).
    ``best_train`` is the population's best train fitness (default: the best of ``train_fitness``)."""
    policy = problem.decode(genomes)
    shift_fit, shift_reached, by_age, true_by_age = {}, {}, {}, {}
    for name, batch in shift_batches.items():
        ep = problem.evaluate(genomes, batch)
        shift_fit[name] = ep.fitness
        shift_reached[name] = ep.reached.sum(axis=2).mean(axis=1)
        if ep.learned is not None:  # a kind that learns within a life
            by_age[name] = ep.fitness_by_age
            true = ep.true_fitness_by_age
            if true is not None:
                true_by_age[name] = true
    best = float(train_fitness.max()) if best_train is None else best_train
    m = problem.scenario.metrics
    optimizer = agents.is_optimizer(policy)
    classes = metrics.classify(train_fitness, shift_fit, shift_reached, optimizer, best, m.robust_threshold,
                               m.pseudo_threshold, m.reach_threshold)
    goal = policy.objective
    align = None if goal is None else metrics.alignment(goal, problem.base.payoff)
    return Assessment(train_fitness, shift_fit, shift_reached, classes, align, optimizer, by_age, true_by_age)
