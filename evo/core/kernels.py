"""The compiled engine: the episode rules of :mod:`evo.core.simulate` as numba kernels, one (agent, world)
pair after another (docs/architecture.md, "Engines"). Importing this module imports numba, as the worlds'
kernels do (:mod:`evo.core.worlds`); :mod:`evo.core.engines` imports it only when the compiled engine runs.

Every value is computed by the same floating-point operations, in the same order, as the numpy engine
computes it (no fast-math, no fused multiply-add: numba leaves both off unless asked), so the two engines
give bit-identical episodes; ``tests/core/test_equivalence.py`` checks both against the per-agent
reference. What the kernels do not recompute, they are given: utilities, object values, proximities and
the discount table come from the numpy helpers the numpy engine uses. Compiled functions are cached on disk
(numba's ``cache=True``: next to this file, or in the user's cache directory when that is not writable), so
only the first run on a machine pays the compile (measured in README.md, "Performance").
"""

from __future__ import annotations

import numpy as np
from numba import njit

STAY = 4


@njit(cache=True, nogil=True, inline="always")
def _plan(h: int, utility_row: np.ndarray, gamma: np.ndarray, dist: np.ndarray, next_move: np.ndarray,
          b: int, cell: int, remaining: np.ndarray) -> int:
    """The mesa rule (evo/core/agents/mesa.py): the first move toward the remaining object of largest
    positive ``u_k·γ^d`` within the horizon (lowest index on ties), or -1 when there is none."""
    best, best_value = -1, 0.0
    for k in range(remaining.shape[0]):
        if remaining[k]:
            d = dist[b, k, cell]
            if d <= h:
                value = utility_row[k] * gamma[d]
                if value > best_value:
                    best, best_value = k, value
    if best < 0:
        return -1
    return next_move[b, best, cell]


@njit(cache=True, nogil=True, inline="always")
def _scent(b: int, cell: int, remaining: np.ndarray, neighbors: np.ndarray, seen: np.ndarray,
           proximity: np.ndarray, scent: np.ndarray) -> None:
    """What the reflex rule smells on ``cell`` of world ``b`` and its four neighbours, into ``scent``
    (5, F): per feature, the max over objects of proximity·remains·feature, from object 0. It depends on
    the world, the cell and the remaining objects only, not on the agent."""
    k_all, n_features = seen.shape[1], seen.shape[2]
    for j in range(5):  # here, N, E, S, W
        there = cell if j == 0 else neighbors[b, cell, j - 1]
        for f in range(n_features):
            s = (proximity[b, there, 0] * (1.0 if remaining[0] else 0.0)) * seen[b, 0, f]
            for k in range(1, k_all):
                x = (proximity[b, there, k] * (1.0 if remaining[k] else 0.0)) * seen[b, k, f]
                if x > s:
                    s = x
            scent[j, f] = s


@njit(cache=True, nogil=True, inline="always")
def _reflex(a: int, b: int, cell: int, remaining: np.ndarray, theta_wall: np.ndarray, theta_adj: np.ndarray,
            theta_scent: np.ndarray, bias: np.ndarray, neighbors: np.ndarray, obj_at: np.ndarray,
            seen: np.ndarray, scent: np.ndarray) -> int:
    """The reflex rule (evo/core/agents/reflex.py) for agent ``a`` on ``cell`` of world ``b``, given what
    it smells there (:func:`_scent`)."""
    n_features = seen.shape[2]
    move, best_score = 0, 0.0
    for m in range(4):
        there = neighbors[b, cell, m]
        blocked = there == cell
        score = bias[a, m] + theta_wall[a] * (1.0 if blocked else 0.0)
        k = obj_at[b, there]
        present = k >= 0 and not blocked and remaining[max(k, 0)]
        for f in range(n_features):
            score = score + theta_adj[a, f] * (seen[b, max(k, 0), f] * (1.0 if present else 0.0))
        for f in range(n_features):
            score = score + theta_scent[a, f] * (scent[m + 1, f] - scent[0, f])
        if m == 0 or score > best_score:
            move, best_score = m, score
    if bias[a, STAY] > best_score:
        move = STAY
    return move


@njit(cache=True, nogil=True)
def episodes(plans: bool, reacts: bool, horizon: np.ndarray, utility: np.ndarray, gamma: np.ndarray,
             theta_wall: np.ndarray, theta_adj: np.ndarray, theta_scent: np.ndarray, bias: np.ndarray,
             neighbors: np.ndarray, dist: np.ndarray, next_move: np.ndarray, obj_at: np.ndarray,
             start: np.ndarray, seen: np.ndarray, proximity: np.ndarray, hidden: np.ndarray,
             spawn: np.ndarray,
             values: np.ndarray, terminal: np.ndarray, step_cost: float, steps: int, has_true: bool,
             true_values: np.ndarray, true_terminal: np.ndarray, true_step: float, record_paths: bool,
             n_sets: int, out_payoff: np.ndarray, out_reached: np.ndarray, out_steps: np.ndarray,
             out_paths: np.ndarray, out_true: np.ndarray) -> None:
    """Every agent in every world, written into the ``out_`` arrays (P, B[, K | T + 1]). An agent that
    plans plans on ``utility`` (P, B, K); one that reacts falls back on its reflexes when planning finds
    nothing (or always, when it does not plan). World after world, every agent in it: what reflexes smell
    on a cell depends on the remaining objects, not on the agent, so it is computed once per (cell,
    remaining set) for the first ``n_sets`` remaining sets met in a world (bit masks: K ≤ 62) and looked
    up after that; other sets are computed at each step (0: no tables)."""
    p, b_all = horizon.shape[0], start.shape[0]
    k_all, c, n_features = hidden.shape[1], neighbors.shape[1], seen.shape[2]
    remaining = np.empty(k_all, dtype=np.bool_)
    scratch = np.empty((5, n_features))
    if not reacts or k_all > 62:
        n_sets = 0
    rows, cells = (n_sets, c) if n_sets > 0 else (1, 1)  # no tables: nothing of their size
    table = np.empty((rows, cells, 5, n_features))  # what _scent computes, per set and cell
    known = np.zeros((rows, cells), dtype=np.bool_)
    keys = np.full(2 * max(n_sets, 1), -1, dtype=np.int64)  # open addressing: mask → set number
    number = np.zeros(2 * max(n_sets, 1), dtype=np.int64)
    for b in range(b_all):
        used = 0
        for x in range(keys.shape[0]):
            keys[x] = -1
        for a in range(p):
            mask = 0
            for k in range(k_all):
                remaining[k] = not hidden[b, k]
                if remaining[k]:
                    mask |= 1 << k
            cell = start[b]
            pay, true_pay, true_live, taken = 0.0, 0.0, True, 0
            if record_paths:
                out_paths[a, b, 0] = cell
            for _ in range(steps):
                move = -1
                if plans:
                    move = _plan(horizon[a], utility[a, b], gamma, dist, next_move, b, cell, remaining)
                if move < 0:
                    if reacts:
                        slot = -1
                        if n_sets > 0:
                            at = mask % keys.shape[0]
                            while keys[at] != -1 and keys[at] != mask:
                                at = (at + 1) % keys.shape[0]
                            if keys[at] == mask:
                                slot = number[at]
                            elif used < n_sets:
                                keys[at], number[at] = mask, used
                                for x in range(c):
                                    known[used, x] = False
                                slot = used
                                used += 1
                        scent, fresh = scratch, True
                        if slot >= 0:
                            scent, fresh = table[slot, cell], not known[slot, cell]
                            known[slot, cell] = True
                        if fresh:
                            _scent(b, cell, remaining, neighbors, seen, proximity, scent)
                        move = _reflex(a, b, cell, remaining, theta_wall, theta_adj, theta_scent, bias,
                                       neighbors, obj_at, seen, scent)
                    else:
                        move = STAY
                cell = neighbors[b, cell, move]
                taken += 1
                pay = pay - step_cost
                if has_true and true_live:
                    true_pay = true_pay - true_step
                k = obj_at[b, cell]
                ended = False
                if k >= 0 and remaining[k]:
                    remaining[k] = False
                    mask &= ~(1 << k)
                    out_reached[a, b, k] = True
                    pay = pay + values[b, k]
                    child = spawn[b, k]
                    if child >= 0:
                        remaining[child] = True
                        mask |= 1 << child
                    if has_true and true_live:
                        true_pay = true_pay + true_values[b, k]
                        if true_terminal[b, k]:
                            true_live = False
                    ended = terminal[b, k]
                if record_paths:
                    out_paths[a, b, taken] = cell
                if ended:
                    break
            if record_paths:
                for t in range(taken + 1, steps + 1):
                    out_paths[a, b, t] = cell
            out_payoff[a, b] = pay
            out_steps[a, b] = taken
            out_true[a, b] = true_pay


@njit(cache=True, nogil=True)
def lives(horizon: np.ndarray, r: np.ndarray, alpha: np.ndarray, kappa: np.ndarray, lifetime: int,
          gamma: np.ndarray, neighbors: np.ndarray, dist: np.ndarray, next_move: np.ndarray,
          obj_at: np.ndarray, start: np.ndarray, hidden: np.ndarray, spawn: np.ndarray, seen: np.ndarray,
          felt: np.ndarray, shown: np.ndarray, tasted: np.ndarray, combo: np.ndarray, v: np.ndarray,
          consumed: np.ndarray, values: np.ndarray, terminal: np.ndarray, step_cost: float, steps: int,
          has_true: bool, true_values: np.ndarray, true_terminal: np.ndarray, true_step: float,
          record_paths: bool, out_payoff: np.ndarray, out_reached: np.ndarray, out_steps: np.ndarray,
          out_paths: np.ndarray, out_true: np.ndarray, out_learned: np.ndarray) -> None:
    """The learner (evo/core/agents/learner.py): every agent lives every life of the batch (world ``b``:
    age ``b % lifetime`` of life ``b // lifetime``), its unit's values ``v`` (units, F) and consumed seen
    combinations ``consumed`` (units, U) updated in place from the state they start in. ``seen`` and
    ``felt`` (B, K, F) are the perceived features; the sums run over ``shown`` and ``tasted`` (the features
    some object of the batch shows), in feature order, as the numpy engine's do."""
    p, b_all = horizon.shape[0], start.shape[0]
    k_all, n_features = hidden.shape[1], seen.shape[2]
    n_lives = b_all // lifetime
    remaining = np.empty(k_all, dtype=np.bool_)
    u = np.empty(k_all)
    for a in range(p):
        for life in range(n_lives):
            unit = a * n_lives + life
            for age in range(lifetime):
                b = life * lifetime + age
                for k in range(k_all):
                    remaining[k] = not hidden[b, k]
                cell = start[b]
                pay, true_pay, true_live, taken = 0.0, 0.0, True, 0
                if record_paths:
                    out_paths[a, b, 0] = cell
                stale = True  # the utilities change only when something is consumed
                for _ in range(steps):
                    if stale:
                        for k in range(k_all):  # u_k = Σ_f v_f·x_kf + κ·novel_k
                            x = 0.0
                            for j in range(shown.shape[0]):
                                x = x + v[unit, shown[j]] * seen[b, k, shown[j]]
                            u[k] = x + kappa[a] * (0.0 if consumed[unit, combo[b, k]] else 1.0)
                        stale = False
                    move = _plan(horizon[a], u, gamma, dist, next_move, b, cell, remaining)
                    if move < 0:
                        move = STAY
                    cell = neighbors[b, cell, move]
                    taken += 1
                    pay = pay - step_cost
                    if has_true and true_live:
                        true_pay = true_pay - true_step
                    k = obj_at[b, cell]
                    ended = False
                    if k >= 0 and remaining[k]:
                        remaining[k] = False
                        out_reached[a, b, k] = True
                        pay = pay + values[b, k]
                        tastes = 0.0
                        for j in range(tasted.shape[0]):
                            tastes = tastes + r[a, tasted[j]] * felt[b, k, tasted[j]]
                        pred = 0.0
                        for j in range(shown.shape[0]):
                            pred = pred + v[unit, shown[j]] * seen[b, k, shown[j]]
                        s = alpha[a] * (tastes - pred)
                        for j in range(shown.shape[0]):
                            v[unit, shown[j]] = v[unit, shown[j]] + s * seen[b, k, shown[j]]
                        consumed[unit, combo[b, k]] = True
                        stale = True
                        child = spawn[b, k]
                        if child >= 0:
                            remaining[child] = True
                        if has_true and true_live:
                            true_pay = true_pay + true_values[b, k]
                            if true_terminal[b, k]:
                                true_live = False
                        ended = terminal[b, k]
                    if record_paths:
                        out_paths[a, b, taken] = cell
                    if ended:
                        break
                if record_paths:
                    for t in range(taken + 1, steps + 1):
                        out_paths[a, b, t] = cell
                out_payoff[a, b] = pay
                out_steps[a, b] = taken
                out_true[a, b] = true_pay
                for f in range(n_features):
                    out_learned[a, b, f] = v[unit, f]
