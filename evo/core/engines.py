"""Runs a Policy's episodes on the compiled step (:mod:`evo.core.step`) with its kind's rule: builds the
world view, the payoff and output records and the kind's own records (docs/architecture.md, "Engines")."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from evo.core.agents import Policy, agent_kind
from evo.core.agents.base import perceived
from evo.core.step import Out, Payoffs, View, run
from evo.core.worlds import WorldBatch
from evo.errors import EvoError

__all__ = ["episode_arrays", "view_of"]


def view_of(policy: Policy, worlds: WorldBatch) -> View:
    """What the rule of ``policy``'s kind may read of ``worlds``: its tables and perceived features."""
    seen, felt = perceived(worlds.obj_feat, policy.senses)
    def c(x: NDArray[Any], dtype: type) -> NDArray[Any]:
        return np.ascontiguousarray(x, dtype=dtype)

    i64, b8 = np.int64, np.bool_
    return View(c(worlds.neighbors, i64), c(worlds.dist, i64), c(worlds.next_move, i64),
                c(worlds.obj_at, i64), c(worlds.walls, b8), c(worlds.start, i64), c(worlds.hidden, b8),
                c(worlds.spawn, i64), c(seen, np.float64), c(felt, np.float64), int(worlds.height),
                int(worlds.width), int(worlds.steps))


def episode_arrays(policy: Policy, worlds: WorldBatch, values: NDArray[np.float64],
                   terminal: NDArray[np.bool_], step_cost: float,
                   true: tuple[NDArray[np.float64], NDArray[np.bool_], float] | None,
                   record_paths: bool) -> dict[str, Any]:
    """Run ``policy`` in ``worlds``. ``values``, ``terminal`` (B, K): each object's payoff and whether it
    ends the episode under the base objective; ``true`` the same and the step cost under the true objective,
    or None. Returns ``payoff``, ``reached``, ``steps``, ``paths`` (None unless recorded), ``true_payoff``
    (None without a true objective), when recorded the arrays of :class:`evo.core.step.Out` that follow an
    episode step by step (``payoffs``, ``trues``: None without a true objective, ``consumed_at``, ``aims``)
    and, for a kind with a life, ``learned`` and ``life_state``."""
    if worlds.n_objects == 0:
        raise EvoError("a world batch without objects: an episode needs at least one object")
    p, b, k, f = policy.horizon.shape[0], worlds.size, worlds.n_objects, worlds.obj_feat.shape[-1]
    lifetime = policy.lifetime if policy.life is not None else 1
    if b % lifetime:
        raise EvoError(f"a batch of {b} worlds is not a whole number of lives of {lifetime} episodes")
    view = view_of(policy, worlds)
    records = agent_kind(policy.kind).compiled(policy, worlds, view)
    has_true = true is not None
    true_values, true_terminal, true_step = true if true is not None else (values, terminal, 0.0)
    f64, b8 = np.float64, np.bool_
    pay = Payoffs(np.ascontiguousarray(values, dtype=f64), np.ascontiguousarray(terminal, dtype=b8),
                  float(step_cost), has_true, np.ascontiguousarray(true_values, dtype=f64),
                  np.ascontiguousarray(true_terminal, dtype=b8), float(true_step))
    learns = policy.life is not None
    t = worlds.steps
    paths, objects, steps = ((p, b, t + 1), (p, b, k), (p, b, t)) if record_paths else ((1, 1, 1),) * 3
    i64 = np.int64
    out = Out(np.zeros((p, b)), np.zeros((p, b, k), dtype=np.bool_), np.zeros((p, b), dtype=i64),
              np.zeros((p, b)), np.zeros(paths, dtype=i64), np.zeros((p, b, f) if learns else (1, 1, f)),
              bool(record_paths), np.zeros(paths), np.zeros(paths), np.zeros(objects, dtype=i64),
              np.zeros(steps, dtype=i64))
    run(records[0], records[1], view, pay, lifetime, out)
    result: dict[str, Any] = {"payoff": out.payoff, "reached": out.reached, "steps": out.steps,
                              "paths": out.paths if record_paths else None,
                              "true_payoff": out.true if has_true else None}
    if record_paths:
        result.update(payoffs=out.payoffs, trues=out.trues if has_true else None,
                      consumed_at=out.consumed_at, aims=out.aims)
    if learns:
        result["learned"], result["life_state"] = out.learned, records[2] if len(records) > 2 else None
    return result
