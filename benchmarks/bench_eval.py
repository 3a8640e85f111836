"""Throughput of the batched evaluator against the per-agent reference in ``tests/core/reference.py``.

Loads ``scenarios/red_door.toml``, draws its training worlds and random genomes with a fixed seed, and
times :func:`evo.core.simulate.run_episodes` on the whole population and the reference on a subset of it (it
is a plain Python loop). Speed is in agent-steps per second, an agent-step being one step actually taken by
one agent in one world (the sum of ``Episodes.steps``), so both evaluators are measured in the same unit
however many agents each ran. Each evaluator is timed ``--repeat`` times and its fastest run is kept (other
load on the machine only ever slows a run down). The reference's results are also checked equal to the
batched ones (a learner's learned values after every episode too); the exit status is 1 if they differ.
A learner (``--kind learner``) lives the worlds as whole lives of its ``agent.lifetime`` episodes (the world
count is rounded up to a multiple), with the scenario's senses.

    python benchmarks/bench_eval.py [--population 500] [--worlds 16] [--repeat 5] [--reference-agents 50]
        [--kind learner] [--scenario scenarios/sweet_tooth_learned.toml]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "core"))  # the reference evaluator lives with the core tests

import reference  # noqa: E402

from evo.core import agents, lifetimes  # noqa: E402
from evo.core.simulate import Costs, Episodes, Payoffs, run_episodes  # noqa: E402
from evo.runs import scenarios as scenario  # noqa: E402

T = TypeVar("T")


def best_of(run: Callable[[], T], repeat: int) -> tuple[T, float]:
    """The result of ``run`` and its fastest time in seconds over ``repeat`` runs."""
    best = float("inf")
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t0)
    return result, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "red_door.toml")
    parser.add_argument("--population", type=int, default=500, help="agents P (default 500)")
    parser.add_argument("--worlds", type=int, default=16, help="training worlds B (default 16)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each evaluator (default 5)")
    parser.add_argument("--reference-agents", type=int, default=50,
                        help="agents the reference evaluates (a subset, it is slow; default 50)")
    parser.add_argument("--kind", choices=agents.agent_kinds(), help="agent kind (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)

    s = scenario.load(args.scenario)
    cfg = s.agent if args.kind is None else agents.agent_config(args.kind, like=s.agent)
    features = s.features
    objective = Payoffs.from_mapping(features, s.base_objective.payoff, s.base_objective.terminal,
                                     s.base_objective.step_cost)
    costs = Costs(cfg.planning_cost, np.array([cfg.perception_cost.get(f, 0.0) for f in features]),
                  cfg.complexity_cost, cfg.learning_cost)
    senses = agents.Senses.of(features, s.scenario.felt, s.scenario.hidden)
    masks = None if senses is None else ([bool(x) for x in senses.seen], [bool(x) for x in senses.felt])
    lifetime = agents.lifetime(cfg)  # a learner lives the batch as lives: whole ones
    n_worlds = -(-args.worlds // lifetime) * lifetime
    world_rng, genome_rng = (np.random.default_rng(ss) for ss in np.random.SeedSequence(args.seed).spawn(2))
    batch = lifetimes.generate(s.worlds.train, features, n_worlds, world_rng, lifetime)
    genomes = agents.initial_genomes(cfg, len(features), args.population, genome_rng)
    policy = agents.decode(genomes, cfg, len(features), senses)

    def batched() -> Episodes:
        return run_episodes(policy, batch, objective, costs)

    n_ref = min(args.reference_agents, args.population)
    subset = reference.agents_from_genomes(genomes[:n_ref], cfg, len(features), masks)

    def per_agent() -> reference.ReferenceEpisodes:
        return reference.reference_episodes(batch.walls, batch.start, batch.obj_cell, batch.obj_feat,
                                            batch.height, batch.width, batch.steps, subset, objective, costs,
                                            spawn=batch.spawn, senses=masks)

    batched()  # warm-up
    episodes, batched_time = best_of(batched, args.repeat)
    ref, reference_time = best_of(per_agent, args.repeat)
    batched_steps = int(episodes.steps.sum())
    reference_steps = int(ref.steps.sum())
    identical = (np.array_equal(ref.payoff, episodes.payoff[:n_ref])
                 and np.array_equal(ref.reached, episodes.reached[:n_ref])
                 and np.array_equal(ref.steps, episodes.steps[:n_ref])
                 and np.array_equal(ref.fitness, episodes.fitness[:n_ref])
                 and (episodes.learned is None or np.array_equal(ref.learned, episodes.learned[:n_ref])))

    batched_rate = batched_steps / batched_time
    reference_rate = reference_steps / reference_time
    print(f"scenario {s.name}: {cfg.kind} agents, {batch.size} worlds {batch.height}x{batch.width}, "
          f"{batch.n_objects} objects, {batch.steps} steps, seed {args.seed}")
    print(f"batched   : {args.population:5d} agents, {batched_steps:9d} agent-steps, "
          f"{batched_time * 1e3:9.1f} ms, {batched_rate:12,.0f} agent-steps/s")
    print(f"reference : {n_ref:5d} agents, {reference_steps:9d} agent-steps, "
          f"{reference_time * 1e3:9.1f} ms, {reference_rate:12,.0f} agent-steps/s")
    print(f"speed-up  : {batched_rate / reference_rate:.1f}x   "
          f"(reference equal to batched on its {n_ref} agents: {'yes' if identical else 'NO'})")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
