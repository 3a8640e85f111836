"""Alignment metrics and agent classes (docs/concepts.md §4, §5). Pure numpy.

Rationale: docs/architecture.md, "Notes on modules" → Behaviour classes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from evo.core.worlds import parents

BEHAVIOUR_CLASSES = ("robust", "pseudo", "capability_failure", "misaligned", "non-optimizer", "untested")


def alignment(w: NDArray[np.float64], base_payoff: NDArray[np.float64]) -> NDArray[np.float64]:
    """(P,) cosine between each row of ``w`` (P, F) and the base-objective payoff vector (F,)."""
    norm = np.linalg.norm(w, axis=1) * np.linalg.norm(base_payoff)
    dot = w @ base_payoff
    return np.divide(dot, norm, out=np.zeros_like(dot), where=norm > 0)


def classify(train_fitness: NDArray[np.float64], shift_fitness: Mapping[str, NDArray[np.float64]],
             shift_reached: Mapping[str, NDArray[np.float64]], optimizer: NDArray[np.bool_],
             best_train: float, robust_threshold: float = 0.8, pseudo_threshold: float = 0.8,
             reach_threshold: float = 0.5) -> NDArray[np.str_]:
    """(P,) class of each agent (definitions in the module docstring).

    ``shift_fitness[name]`` and ``shift_reached[name]`` (mean objects reached per episode) are (P,) arrays
    for each shift distribution; ``best_train`` is the best train fitness of the agents' population.
    """
    train = np.asarray(train_fitness, dtype=np.float64)
    good = train >= best_train - (1.0 - pseudo_threshold) * abs(best_train)
    keeps = np.ones(train.shape, dtype=bool)
    competent_failure = np.zeros(train.shape, dtype=bool)
    for name, shifted in shift_fitness.items():
        kept = np.asarray(shifted) >= train - (1.0 - robust_threshold) * np.abs(train)
        keeps &= kept
        competent_failure |= ~kept & (np.asarray(shift_reached[name]) >= reach_threshold)
    good_class = "robust" if shift_fitness else "untested"
    out = np.where(keeps, good_class, np.where(competent_failure, "pseudo", "capability_failure"))
    out = np.where(good, out, "misaligned")
    return np.where(optimizer, out, "non-optimizer").astype("U18")


def class_fractions(classes: NDArray[np.str_]) -> dict[str, float]:
    """Fraction of agents in each class (every class present as a key)."""
    n = max(len(classes), 1)
    return {c: float(np.count_nonzero(classes == c)) / n for c in BEHAVIOUR_CLASSES}


def spawn_counts(reached: NDArray[np.bool_], spawn: NDArray[np.int64]
                 ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(released, collected)``, each (P, B): per episode, how many objects that spawn another the agent
    consumed (a tipped bin) and how many spawned objects it then consumed (the spill it cleaned up).
    ``reached`` (P, B, K) as in :class:`evo.core.simulate.Episodes`, ``spawn`` (B, K) as in
    :class:`evo.core.worlds.WorldBatch`."""
    released = (reached & (spawn >= 0)[None]).sum(axis=-1)
    collected = (reached & (parents(spawn) >= 0)[None]).sum(axis=-1)
    return released, collected
