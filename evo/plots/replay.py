"""Episodes step by step, re-simulated in a run's saved worlds on the evaluator's compiled step (which
records them with the paths), for :mod:`evo.plots.animate` and :mod:`evo.plots.report` (docs/architecture.md,
"Figures")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evo.core import agents
from evo.core.problem import Problem
from evo.core.worlds import WorldBatch, build_batch, parents
from evo.errors import EvoError
from evo.runs import readback, scenarios


@dataclass(frozen=True, eq=False)
class World:
    """One saved world: ``name`` is ``train`` or a shift's name; cells are ``row·width + column``."""

    name: str
    height: int
    width: int
    steps: int  # the episode's step limit
    walls: NDArray[np.bool_]  # (C,)
    start: int
    obj_cell: NDArray[np.int64]  # (K,)
    obj_feat: NDArray[np.float64]  # (K, F)
    spawn: NDArray[np.int64]  # (K,) object released when this one is consumed, or -1

    @property
    def parent(self) -> NDArray[np.int64]:
        """(K,) the object whose consumption releases object k, or -1 (visible from the start)."""
        return parents(self.spawn[None])[0]

    def batch(self) -> WorldBatch:
        return build_batch(self.walls[None], np.array([self.start]), self.obj_cell[None], self.obj_feat[None],
                           self.height, self.width, self.steps, self.spawn[None])


@dataclass(frozen=True, eq=False)
class Episode:
    """One agent's episode in one world, step by step (``T`` = steps taken)."""

    cells: NDArray[np.int64]  # (T + 1,) cell at each time, start first
    consumed: NDArray[np.int64]  # (K,) time step at which each object was consumed, or -1
    payoff: NDArray[np.float64]  # (T + 1,) running base payoff (step costs included)
    true_payoff: NDArray[np.float64] | None  # (T + 1,) running true-objective payoff, or None
    target: NDArray[np.int64]  # (T,) object the agent heads for at each step, or -1 (none / no planner)

    @property
    def steps(self) -> int:
        return int(self.cells.shape[0] - 1)


@dataclass(frozen=True, eq=False)
class Replay:
    """A run's saved worlds and the evaluator that re-simulates genomes in them."""

    run: Path
    summary: dict[str, Any]
    problem: Problem
    worlds: list[World]

    @property
    def features(self) -> list[str]:
        return list(self.problem.features)

    def episodes(self, genomes: NDArray[np.float64]) -> list[dict[str, Episode]]:
        """Each genome's episode in every saved world (``{world name: Episode}`` per genome), as the
        evaluator's compiled step records it (:func:`evo.core.simulate.run_episodes`)."""
        genomes = np.atleast_2d(np.asarray(genomes, dtype=np.float64))
        expected = agents.genome_length(self.problem.scenario.agent, len(self.features))
        if genomes.shape[1] != expected:
            raise EvoError(f"{self.run}: expected genomes of {expected} genes (a "
                           f"{self.problem.scenario.agent.kind} agent), got {genomes.shape[1]}")
        out: list[dict[str, Episode]] = [{} for _ in range(len(genomes))]
        for world in self.worlds:
            ep = self.problem.evaluate(genomes, world.batch(), record_paths=True)
            rec = ep.recorded
            assert ep.paths is not None and rec is not None  # record_paths=True
            for i in range(len(genomes)):
                t = int(ep.steps[i, 0])
                true = None if rec.true_payoff is None else rec.true_payoff[i, 0, : t + 1].copy()
                out[i][world.name] = Episode(ep.paths[i, 0, : t + 1].copy(), rec.consumed[i, 0].copy(),
                                             rec.payoff[i, 0, : t + 1].copy(), true,
                                             rec.target[i, 0, :t].copy())
        return out


def load(run: str | Path) -> Replay:
    """The run's saved worlds (``champion_episodes.npz``) and its evaluator (``scenario.toml``), checked
    against ``summary.json``: a missing or malformed file is one :class:`EvoError` naming it."""
    run = Path(run)
    if not run.is_dir():
        raise EvoError(f"{run}: not a directory (expected a run directory made by `evo run`)")
    summary = readback.read_summary(run)
    toml = run / "scenario.toml"
    if not toml.is_file():
        raise EvoError(f"{toml}: missing (every run directory holds the scenario it ran)")
    problem = Problem.from_scenario(scenarios.load(toml))
    data = readback.read_episodes(run, summary)
    worlds = []
    for name in (str(n) for n in data["names"]):
        h, w = (int(x) for x in data[f"{name}.shape"])
        k = len(data[f"{name}.obj_cell"])
        spawn = data.get(f"{name}.spawn")
        worlds.append(World(name, h, w, len(data[f"{name}.path"]) - 1, data[f"{name}.walls"].astype(bool),
                            int(data[f"{name}.start"]), data[f"{name}.obj_cell"].astype(np.int64),
                            data[f"{name}.obj_feat"].astype(np.float64),
                            np.full(k, -1, dtype=np.int64) if spawn is None else spawn.astype(np.int64)))
    return Replay(run, summary, problem, worlds)


def champion(replay: Replay) -> dict[str, Episode]:
    """The champion's episodes, re-simulated from its genome and checked against the saved paths."""
    genome = np.array(replay.summary["champion"]["genome"], dtype=np.float64)
    eps = replay.episodes(genome[None])[0]
    data = readback.read_episodes(replay.run, replay.summary)
    for name, ep in eps.items():
        saved = data[f"{name}.path"][: int(data[f"{name}.steps"]) + 1]
        if saved.tolist() != ep.cells.tolist():
            raise EvoError(f"{replay.run / 'champion_episodes.npz'}: member '{name}.path': expected the "
                           f"champion's path as its genome (summary.json) walks it in that world, got a "
                           "different path (the files are from different runs?)")
    return eps
