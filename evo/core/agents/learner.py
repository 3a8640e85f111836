"""The **learner** kind: evolution installs a reward, the agent learns within its life to chase it
(docs/concepts.md §3).

Rationale: docs/architecture.md, "Notes on modules" → The learner kind.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from evo.config.params import Param
from evo.core.agents.base import GenomeKind, Policy, Senses
from evo.core.agents.mesa import PLANNING, gamma_of, plan, plan_pair_bytes, target
from evo.core.step import STAY, Rule, View, register_rule
from evo.core.worlds import WorldBatch

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig

State = dict[str, Any]


class LearnerParams(NamedTuple):
    r: np.ndarray  # (P, F) innate reward
    alpha: np.ndarray  # (P,) learning rate
    kappa: np.ndarray  # (P,) curiosity
    horizon: np.ndarray  # (P,)
    gamma: np.ndarray
    shown: np.ndarray  # the features some object of the batch shows (seen), in order
    tasted: np.ndarray  # the features some object of the batch carries felt
    combo: np.ndarray  # (B, K) each object's seen combination


class LifeState(NamedTuple):
    v: np.ndarray  # (units, F) learned values
    consumed: np.ndarray  # (units, U) seen combinations consumed in the life
    u: np.ndarray  # (K,) the episode's utilities, recomputed when ``stale[0]``
    stale: np.ndarray  # (1,) bool


@njit(cache=True, nogil=True)
def _begin(params: LearnerParams, state: LifeState, a: int, unit: int, view: View, b: int) -> None:
    state.stale[0] = True


@njit(cache=True, nogil=True)
def _decide(params: LearnerParams, state: LifeState, a: int, unit: int, view: View, b: int, cell: int,
            remaining: np.ndarray, t: int) -> int:
    if state.stale[0]:  # u_k = Σ_f v_f·x_kf + κ·novel_k
        shown, seen = params.shown, view.seen
        for k in range(state.u.shape[0]):
            x = 0.0
            for j in range(shown.shape[0]):
                x = x + state.v[unit, shown[j]] * seen[b, k, shown[j]]
            state.u[k] = x + params.kappa[a] * (0.0 if state.consumed[unit, params.combo[b, k]] else 1.0)
        state.stale[0] = False
    move = plan(params.horizon[a], state.u, params.gamma, view, b, cell, remaining)
    return STAY if move < 0 else move


@njit(cache=True, nogil=True)
def _consumed(params: LearnerParams, state: LifeState, a: int, unit: int, view: View, b: int,
              k: int) -> None:
    shown, tasted, seen, v = params.shown, params.tasted, view.seen, state.v
    tastes = 0.0
    for j in range(tasted.shape[0]):
        tastes = tastes + params.r[a, tasted[j]] * view.felt[b, k, tasted[j]]
    pred = 0.0
    for j in range(shown.shape[0]):
        pred = pred + v[unit, shown[j]] * seen[b, k, shown[j]]
    s = params.alpha[a] * (tastes - pred)
    for j in range(shown.shape[0]):
        v[unit, shown[j]] = v[unit, shown[j]] + s * seen[b, k, shown[j]]
    state.consumed[unit, params.combo[b, k]] = True
    state.stale[0] = True


@njit(cache=True, nogil=True)
def _end(params: LearnerParams, state: LifeState, a: int, unit: int, view: View, b: int,
         learned: np.ndarray) -> None:
    for f in range(state.v.shape[1]):
        learned[a, b, f] = state.v[unit, f]


@njit(cache=True, nogil=True)
def _aim(params: LearnerParams, state: LifeState, a: int, unit: int, view: View, b: int, cell: int,
         remaining: np.ndarray, t: int) -> int:
    return target(params.horizon[a], state.u, params.gamma, view, b, cell, remaining)  # u: as _decide left it


RULE = register_rule(Rule(LearnerParams, _decide, begin=_begin, consumed=_consumed, end=_end, aim=_aim))


class LearnerLife:
    """The learner's life: the state of every (agent, life) unit, and what it reports."""

    def born(self, policy: Policy, seen: NDArray[np.float64], felt: NDArray[np.float64],
             lifetime: int) -> State:
        """Every unit at birth, for a batch whose perceived features are ``seen`` and ``felt``
        (B, K, F); world ``b`` is age ``b % lifetime`` of life ``b // lifetime``."""
        b, k, f = seen.shape
        lives = b // lifetime
        p = policy.horizon.shape[0]
        combos, inverse = np.unique(seen.reshape(-1, f), axis=0, return_inverse=True)
        consumed = np.zeros((p, combos.shape[0]), dtype=bool)
        memory = policy.genes.get("memory")
        if memory is not None:  # a grown agent starts where its life left it (for the probe)
            consumed = (memory[:, :, None, :] == combos[None, None, :, :]).all(axis=-1).any(axis=1)
        return {
            "lives": lives,
            # the features some object of the batch shows; any other feature's terms are exactly ±0
            "shown": np.flatnonzero(seen.any(axis=(0, 1))), "tasted": np.flatnonzero(felt.any(axis=(0, 1))),
            "combo": np.ascontiguousarray(inverse.reshape(b, k), dtype=np.int64),  # (B, K)
            "combos": combos,  # (U, F) the distinct seen combinations of the batch
            "v": np.repeat(np.asarray(policy.genes["v0"], dtype=np.float64), lives, axis=0),  # (units, F)
            "consumed": np.repeat(consumed, lives, axis=0),  # (units, U)
        }

    def learned(self, policy: Policy, state: State) -> NDArray[np.float64]:
        return np.array(state["v"], copy=True)

    def grown(self, policy: Policy, state: State, life: int) -> Policy:
        lives = state["lives"]
        units = np.arange(policy.horizon.shape[0]) * lives + life
        consumed = state["consumed"][units]  # (P, U)
        memory = np.where(consumed[:, :, None], state["combos"][None], np.nan)  # NaN equals nothing
        return replace(policy, genes={**policy.genes, "v0": state["v"][units].copy(), "memory": memory},
                       lifetime=1)

    def genes(self, policy: Policy) -> dict[str, NDArray[np.float64]]:
        assert policy.learning_rate is not None
        return {"learning_rate": policy.learning_rate, "curiosity": curiosity(policy)}

    def innate(self, policy: Policy) -> NDArray[np.float64]:
        return np.asarray(policy.genes["v0"])


LIFE = LearnerLife()


def curiosity(policy: Policy) -> NDArray[np.float64]:
    """(P,) the curiosity ``κ = max(curiosity_gene, 0)``."""
    return np.maximum(policy.genes["curiosity_gene"][:, 0], 0.0)


class Learner(GenomeKind):
    """The learner kind: ``r``, ``v0``, a learning-rate gene ~ U(0, 1) and a curiosity gene ~ N(0, σ²)
    initially (``r`` and ``v0`` ~ N(0, σ²))."""

    name = "learner"
    parameters = MappingProxyType({
        **PLANNING,
        "lifetime": Param(type=int, default=8, low=1, limit="lifetime",
                          doc="episodes of one life; learned values carry across them, nothing is inherited"),
        "max_learning_rate": Param(type=float, default=1.0, low=0.0, high=1.0,
                                   doc="the largest learning rate α the gene reaches (0: learning off)"),
    })
    plans = True
    has_objective = True
    objective_gene = "r"  # the innate reward, its mesa-objective

    def parts(self, n_features: int) -> dict[str, int]:
        return {"r": n_features, "v0": n_features, "alpha_gene": 1, "curiosity_gene": 1}

    def initial_genomes(self, cfg: AgentConfig, n_features: int, n: int,
                        rng: np.random.Generator) -> NDArray[np.float64]:
        g = super().initial_genomes(cfg, n_features, n, rng)
        a, b = self.genome_layout(n_features)["alpha_gene"]
        g[:, a:b] = rng.random((n, b - a))
        return g

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        g = np.asarray(genomes, dtype=np.float64)
        v = self.values(cfg)
        a = self.genome_layout(n_features)["alpha_gene"][0]
        alpha = np.clip(g[:, a], 0.0, 1.0) * v["max_learning_rate"]
        return self.policy(g, cfg, n_features, np.full(g.shape[0], v["horizon"], dtype=np.int64), life=LIFE,
                           lifetime=v["lifetime"], learning_rate=alpha)

    def sense(self, policy: Policy, senses: Senses) -> Policy:
        """``r`` read on felt features only, ``v0`` on seen features only (of a Policy just decoded)."""
        r = np.where(senses.felt, policy.genes["r"], 0.0)
        v0 = np.where(senses.seen, policy.genes["v0"], 0.0)
        return replace(policy, genes={**policy.genes, "r": r, "v0": v0}, senses=senses)

    def lifetime(self, cfg: AgentConfig) -> int:
        return int(self.values(cfg)["lifetime"])

    def compiled(self, policy: Policy, worlds: WorldBatch, view: View
                 ) -> tuple[LearnerParams, LifeState, State]:
        """Its parameters, and its lives' state (born now, updated in place as the lives are lived)."""
        assert policy.learning_rate is not None
        life = LIFE.born(policy, view.seen, view.felt, policy.lifetime)
        f64 = np.ascontiguousarray
        params = LearnerParams(f64(policy.genes["r"], dtype=np.float64),
                               f64(policy.learning_rate, dtype=np.float64),
                               f64(curiosity(policy), dtype=np.float64),
                               f64(policy.horizon, dtype=np.int64), gamma_of(policy, worlds),
                               life["shown"].astype(np.int64), life["tasted"].astype(np.int64), life["combo"])
        state = LifeState(life["v"], life["consumed"], np.zeros(worlds.n_objects), np.ones(1, dtype=np.bool_))
        return params, state, life

    def perceives(self, policy: Policy) -> tuple[NDArray[np.float64], ...]:
        """``|v0_f|``: besides its reward (felt features), its instinct reads seen ones."""
        return (np.abs(np.asarray(policy.genes["v0"])),)

    def pair_bytes(self, n_objects: int, n_features: int) -> int:
        # planning, and per unit its utility cache (K), values (F), consumed combinations and temporaries
        return plan_pair_bytes(n_objects, n_features) + 32 * n_objects + 32 * n_features + 64


LEARNER = Learner()
