"""The probe on a finished run: read its agents, probe them (:mod:`evo.analysis.probe`) and store the
numbers in ``probe.json`` beside summary.json, under the run's lock (docs/architecture.md, "The probe on a
run directory")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from evo.analysis import probe
from evo.core import agents
from evo.core.problem import Problem
from evo.core.simulate import Payoffs
from evo.errors import EvoError
from evo.runs import files, owned, readback, scenarios

AgentChoice = Literal["champion", "sample", "all"]


def probe_run(run: str | Path, agents_choice: AgentChoice = "champion", world: str = "train", *,
              seed: int = 0, sample: int = 32, n_layouts: int = 4) -> dict[str, Any]:
    """Probe the agents of the finished run ``run``; returns what is stored under ``summary.json → probe →
    world``. ``agents_choice``: the champion, a random ``sample`` of the final population, or all of it;
    ``n_layouts`` in [1, :data:`evo.analysis.probe.MAX_LAYOUTS`]."""
    n_layouts = probe.check_layouts(n_layouts)
    with owned.claim(run, owned.RUN) as d:
        out = _probe(Path(run), agents_choice, world, seed, sample, n_layouts)
        probes = readback.read_probes(run, {})
        probes[world] = out
        files.write_json(d.file("probe.json"), probes)
    return out


def _probe(run: Path, agents_choice: AgentChoice, world: str, seed: int, sample: int,
           n_layouts: int) -> dict[str, Any]:
    summary = readback.read_summary(run)
    s = scenarios.load(run / "scenario.toml")
    pop = readback.read_population(run, summary)
    genomes = pop["genomes"]
    feats = s.features
    if genomes.shape[1] != agents.genome_length(s.agent, len(feats)):
        raise EvoError(f"{run / 'final_population.npz'}: member 'genomes': expected "
                       f"{agents.genome_length(s.agent, len(feats))} genes per agent (a {s.agent.kind} "
                       f"agent of {run / 'scenario.toml'}), got {genomes.shape[1]}")
    if world == "train":
        cfg = s.worlds.train
    elif world in s.worlds.shift:
        cfg = s.worlds.shift[world]
    else:
        raise EvoError(f"{run}: no world distribution {world!r}; known: "
                       + ", ".join(["train", *s.worlds.shift]))
    rng = np.random.default_rng(seed)
    if agents_choice == "champion":
        index = np.array([int(summary["champion"]["index"])])
    elif agents_choice == "sample":
        if sample < 1:
            raise EvoError(f"--sample: expected a positive number of agents, got {sample}")
        index = np.sort(rng.choice(len(genomes), size=min(sample, len(genomes)), replace=False))
    elif agents_choice == "all":
        index = np.arange(len(genomes))
    else:
        raise EvoError(f"agents: expected one of champion, sample, all, got {agents_choice!r}")
    problem = Problem.from_scenario(s)
    policy = problem.decode(genomes[index])  # the scenario's senses: agents perceive seen features only
    base = Payoffs.of(s.base_objective, feats).payoff
    # the objective alone steers (mesa): every agent is compared, ranking included; otherwise only those
    # that plan (a hybrid's reflexes also steer it)
    plans = None if agents.agent_kind(s.agent.kind).objective_alone else agents.is_optimizer(policy)
    life = policy.life
    if life is not None:  # at birth: every choice world is the first episode of a life
        policy = replace(policy, lifetime=1)
    result = probe.probe(policy, cfg, feats, rng, n_layouts=n_layouts)
    out = probe.summarize(result, feats, base, policy.objective, plans)
    out = {"world": world, "agents": agents_choice, "agent_kind": s.agent.kind,
           "agent_indices": [int(i) for i in index], "seed": seed, "n_layouts": n_layouts,
           "horizon": [int(h) for h in policy.horizon], **out}
    if life is not None:
        # at the end of a life: each agent lives one life of `lifetime` episodes in worlds of this
        # distribution, then meets the choice worlds as that life left it (its learned values and what it
        # has eaten); its innate reward, the mesa-objective, is the same
        lived = problem.evaluate(genomes[index], problem.draw(cfg, problem.lifetime, rng))
        assert lived.life_state is not None
        grown = life.grown(policy, lived.life_state, 0)
        end = probe.summarize(probe.probe(grown, cfg, feats, rng, n_layouts=n_layouts), feats, base,
                              policy.objective, plans)
        out["at"] = "birth"
        out["end_of_life"] = {"at": f"after a life of {problem.lifetime} episodes in '{world}' worlds",
                              "lifetime": problem.lifetime, **end}
    return out
