"""Which engine runs the episodes: ``numpy`` (the batched array code of :mod:`evo.core.simulate`, always
there) or ``compiled`` (the numba kernels of :mod:`evo.core.kernels`, when numba is installed: ``pip install
"evo[fast]"``). Both give bit-identical episodes (tests/core/test_equivalence.py runs every case on both
against the per-agent reference), so the engine changes speed only, never a result.

The engine is chosen per call (``run_episodes(..., engine=...)``) or, by default, by the environment
variable ``EVO_ENGINE``: ``auto`` (unset: compiled when numba can be imported, else numpy), ``numpy`` or
``compiled`` (an error without numba). What the kernels do not know always runs on numpy
(:func:`supports`): a kind with its own batched ``moves``, a life other than the learner's own class.
Importing this module does not import numba. Pure numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from evo.core.agents import Policy, Tables, discount_table, object_utility
from evo.core.agents.base import perceived, proximity_of
from evo.core.agents.learner import LearnerLife
from evo.core.choice import ENGINES, ENV, available, resolve  # the choice, re-exported
from evo.core.worlds import WorldBatch

__all__ = ["ENGINES", "ENV", "available", "episode_arrays", "resolve", "supports"]


def supports(policy: Policy, worlds: WorldBatch | None = None) -> bool:
    """Whether the compiled kernels implement what ``policy`` does (in ``worlds``, when given: a batch
    without objects stays on numpy, which says what is wrong with it). A subclass of the learner's life may
    change its rules, so only :class:`LearnerLife` itself runs compiled; reflexes need every reflex gene
    (numpy raises without one)."""
    if policy.moves is not None or (worlds is not None and worlds.n_objects == 0):
        return False
    if policy.life is not None:
        return type(policy.life) is LearnerLife and policy.learning_rate is not None
    genes = (policy.theta_wall, policy.theta_adj, policy.theta_scent, policy.bias)
    if policy.reacts and any(g is None for g in genes):
        return False
    return policy.plans or policy.reacts


#: the compiled reflex step's scent tables (evo/core/kernels.py ``episodes``): at most this many remaining
#: sets per world get one (the first met), and all of a world's tables at most SCENT_FLOATS floats
SCENT_SETS = 64
SCENT_FLOATS = 1 << 21


def _f64(x: NDArray[Any] | None, shape: tuple[int, ...]) -> NDArray[np.float64]:
    return np.zeros(shape) if x is None else np.ascontiguousarray(x, dtype=np.float64)


def episode_arrays(policy: Policy, worlds: WorldBatch, values: NDArray[np.float64],
                   terminal: NDArray[np.bool_], step_cost: float,
                   true: tuple[NDArray[np.float64], NDArray[np.bool_], float] | None,
                   record_paths: bool) -> dict[str, Any]:
    """Run ``policy`` in ``worlds`` on the compiled kernels. ``values``, ``terminal`` (B, K): each object's
    payoff and whether it ends the episode under the base objective; ``true`` the same and the step cost
    under the true objective, or None. Returns ``payoff``, ``reached``, ``steps``, ``paths`` (None unless
    recorded) and ``true_payoff`` (None without a true objective); for a learner also ``learned`` and
    ``life_state`` (the state :class:`evo.core.agents.learner.LearnerLife` ends the lives in)."""
    from evo.core import kernels  # numba is imported here, on the first compiled call

    p, b, k, f = policy.horizon.shape[0], worlds.size, worlds.n_objects, worlds.obj_feat.shape[-1]
    t_max = worlds.steps
    payoff, steps = np.zeros((p, b)), np.zeros((p, b), dtype=np.int64)
    reached = np.zeros((p, b, k), dtype=bool)
    paths = np.zeros((p, b, t_max + 1) if record_paths else (1, 1, 1), dtype=np.int64)
    true_payoff = np.zeros((p, b))
    has_true = true is not None
    true_values, true_terminal, true_step = true if true is not None else (values, terminal, 0.0)
    args: dict[str, Any] = {
        "horizon": np.ascontiguousarray(policy.horizon, dtype=np.int64),
        "gamma": discount_table(policy.discount, int(worlds.dist.max())),
        **{name: np.ascontiguousarray(getattr(worlds, name), dtype=np.int64)
           for name in ("neighbors", "dist", "next_move", "obj_at", "start", "spawn")},
        "hidden": np.ascontiguousarray(worlds.hidden),
        "values": np.ascontiguousarray(values), "terminal": np.ascontiguousarray(terminal),
        "step_cost": float(step_cost), "steps": t_max, "has_true": has_true,
        "true_values": np.ascontiguousarray(true_values),
        "true_terminal": np.ascontiguousarray(true_terminal),
        "true_step": float(true_step), "record_paths": record_paths, "out_payoff": payoff,
        "out_reached": reached, "out_steps": steps, "out_paths": paths, "out_true": true_payoff,
    }
    out: dict[str, Any] = {"payoff": payoff, "reached": reached, "steps": steps,
                           "paths": paths if record_paths else None,
                           "true_payoff": true_payoff if has_true else None}
    if policy.life is not None:
        assert isinstance(policy.life, LearnerLife) and policy.learning_rate is not None
        tables = Tables.of(worlds, None, policy.senses)
        state = policy.life.born(policy, tables, policy.lifetime)
        felt = tables.felt if tables.felt is not None else tables.obj_feat
        learned = np.zeros((p, b, f))
        v = np.ascontiguousarray(state["v"], dtype=np.float64)
        consumed = np.ascontiguousarray(state["consumed"])
        combo = state["combo"].transpose(1, 0, 2).reshape(b, k)  # (L, lives, K) to world b = life·L + age
        kernels.lives(r=_f64(policy.w, (p, f)), alpha=_f64(policy.learning_rate, (p,)),
                      kappa=_f64(policy.params["curiosity"], (p,)), lifetime=int(policy.lifetime),
                      seen=np.ascontiguousarray(tables.obj_feat), felt=np.ascontiguousarray(felt),
                      shown=state["shown"].astype(np.int64), tasted=state["tasted"].astype(np.int64),
                      combo=np.ascontiguousarray(combo, dtype=np.int64), v=v, consumed=consumed,
                      out_learned=learned, **args)
        state["v"], state["consumed"] = v, consumed
        state["cache_age"] = -1  # its utility cache is stale: whoever reads the state next refreshes it
        out["learned"], out["life_state"] = learned, state
        return out
    seen = perceived(worlds.obj_feat, policy.senses)[0]
    utility = (np.ascontiguousarray(object_utility(policy.w, seen)) if policy.plans and policy.w is not None
               else np.zeros((1, 1, 1)))
    proximity = proximity_of(worlds, policy.view_radius) if policy.reacts else np.zeros((1, 1, 1))
    n_sets = min(SCENT_SETS, SCENT_FLOATS // max(worlds.height * worlds.width * 5 * f, 1))
    kernels.episodes(plans=policy.plans, reacts=policy.reacts, utility=utility, n_sets=n_sets,
                     theta_wall=_f64(policy.theta_wall, (p,)), theta_adj=_f64(policy.theta_adj, (p, f)),
                     theta_scent=_f64(policy.theta_scent, (p, f)), bias=_f64(policy.bias, (p, 5)),
                     seen=np.ascontiguousarray(seen, dtype=np.float64), proximity=proximity, **args)
    return out
