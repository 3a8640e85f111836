"""The population's state between generations and what a generation or an assessment produced: plain
numpy data, shared by the loop (:mod:`evo.evolution.loop`), the lineage store (:mod:`evo.lineage.store`) and
the run files (:mod:`evo.runs.checkpoint`, :mod:`evo.runs.run`) without any of them importing another."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class EvolutionState:
    """The population at the start of a generation: genomes (P, G), unique ids (P,), and the ids of each
    individual's parents (P, 2; -1 where absent; two for crossover children)."""

    generation: int
    genomes: NDArray[np.float64]
    ids: NDArray[np.int64]
    parents: NDArray[np.int64]
    next_id: int


@dataclass(frozen=True, eq=False)
class Generation:
    """What one generation produced: its record (flat, JSON-able) and per-individual arrays. ``watched`` are
    the rows evaluated under shift (the best, then the sample) and ``watched_assessment`` their result."""

    record: dict[str, float]
    fitness: NDArray[np.float64]
    watched: NDArray[np.int64] | None = None
    watched_assessment: Assessment | None = None


@dataclass
class Assessment:
    """Every agent of a population, evaluated on fresh train and shift worlds (never selected on)."""

    train_fitness: NDArray[np.float64]
    shift_fitness: dict[str, NDArray[np.float64]]
    shift_reached: dict[str, NDArray[np.float64]]
    classes: NDArray[np.str_]
    alignment: NDArray[np.float64] | None
    optimizer: NDArray[np.bool_]
    #: agents that learn within a life: per shift, the (P, L) fitness at each age of life (base and true)
    shift_by_age: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    shift_true_by_age: dict[str, NDArray[np.float64]] = field(default_factory=dict)
