"""Mutation and crossover schemes on a genome matrix, drawing from a numpy ``Generator``.

A mutation ``(genomes, rng, **params) -> None`` changes every row in place; a crossover
``(genomes, rng, **params) -> crossed`` crosses rows (0, 1), (2, 3), … in place and says which pairs
crossed (an odd last row is left alone). Each is DEAP's operator re-stated on arrays (its semantics, not its
draw sequence); tests/evolution/test_operator_oracle.py checks each against DEAP's own function."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from evo.evolution.registry import CROSSOVER, MUTATION, Param

Genomes = NDArray[np.float64]
Crossed = NDArray[np.bool_]


@MUTATION.register("gaussian", sigma=Param(float, 0.2, low=0.0), rate=Param(float, 0.2, low=0.0, high=1.0))
def gaussian_mutation(genomes: Genomes, rng: np.random.Generator, sigma: float = 0.2, rate: float = 0.2
                      ) -> None:
    """Each gene gets N(0, sigma²) noise with probability ``rate`` (DEAP ``mutGaussian``)."""
    hit = rng.random(genomes.shape) < rate
    genomes[hit] += rng.normal(0.0, sigma, size=int(hit.sum()))


@MUTATION.register("none")
def no_mutation(genomes: Genomes, rng: np.random.Generator) -> None:
    """No mutation (selection and crossover only)."""
    return None


def _crossing(genomes: Genomes, rng: np.random.Generator, rate: float
              ) -> tuple[Crossed, NDArray[np.int64], NDArray[np.float64]]:
    """Which pairs cross (each with probability ``rate``), their indices, and one uniform draw per gene of
    each crossing pair (crossing pairs × genes)."""
    crossed = rng.random(genomes.shape[0] // 2) < rate
    pairs = np.flatnonzero(crossed)
    return crossed, pairs, rng.random((pairs.size, genomes.shape[1]))


@CROSSOVER.register("blend", alpha=Param(float, 0.5, low=0.0), rate=Param(float, 0.5, low=0.0, high=1.0))
def blend_crossover(genomes: Genomes, rng: np.random.Generator, alpha: float = 0.5, rate: float = 0.5
                    ) -> Crossed:
    """With probability ``rate`` per pair, blend crossover BLX-alpha (DEAP ``cxBlend``): per gene
    γ ~ U(−α, 1 + α), a ← (1 − γ)·a + γ·b, b ← γ·a + (1 − γ)·b."""
    crossed, pairs, u = _crossing(genomes, rng, rate)
    gamma = (1.0 + 2.0 * alpha) * u - alpha
    a, b = genomes[2 * pairs], genomes[2 * pairs + 1]
    genomes[2 * pairs] = (1.0 - gamma) * a + gamma * b
    genomes[2 * pairs + 1] = gamma * a + (1.0 - gamma) * b
    return crossed


@CROSSOVER.register("uniform", swap=Param(float, 0.5, low=0.0, high=1.0),
                    rate=Param(float, 0.5, low=0.0, high=1.0))
def uniform_crossover(genomes: Genomes, rng: np.random.Generator, swap: float = 0.5, rate: float = 0.5
                      ) -> Crossed:
    """With probability ``rate`` per pair, uniform crossover swapping each gene with probability ``swap``
    (DEAP ``cxUniform``)."""
    crossed, pairs, u = _crossing(genomes, rng, rate)
    flip = u < swap
    a, b = genomes[2 * pairs], genomes[2 * pairs + 1]
    genomes[2 * pairs] = np.where(flip, b, a)
    genomes[2 * pairs + 1] = np.where(flip, a, b)
    return crossed


@CROSSOVER.register("none")
def no_crossover(genomes: Genomes, rng: np.random.Generator) -> Crossed:
    """No crossover: every child has one parent."""
    return np.zeros(genomes.shape[0] // 2, dtype=bool)
