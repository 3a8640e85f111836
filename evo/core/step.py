"""One episode step (move, step cost, consume, spawn, true-objective accounting, terminal), written once as a
numba function, and the loop every agent kind's episodes and lives run on; a kind brings its compiled rule
(:class:`Rule`). Rationale: docs/architecture.md, "Engines" and "Agent kinds".
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numba import njit
from numba.core.errors import NumbaError
from numba.extending import overload

STAY = 4


class View(NamedTuple):
    """What every kind's rule may read of a world batch (B worlds of C = height·width cells, K objects, F
    features): ``seen`` and ``felt`` are the features as the scenario's senses let agents perceive them."""

    neighbors: np.ndarray  # (B, C, 5) the cell each move N, E, S, W, stay reaches
    dist: np.ndarray  # (B, K, C) path steps from each cell to each object (C + 1: unreachable)
    next_move: np.ndarray  # (B, K, C) the first move of a shortest path to each object
    obj_at: np.ndarray  # (B, C) the object on each cell, or -1
    walls: np.ndarray  # (B, C)
    start: np.ndarray  # (B,)
    hidden: np.ndarray  # (B, K) released only when their parent is consumed
    spawn: np.ndarray  # (B, K) the object each releases, or -1
    seen: np.ndarray  # (B, K, F) perceived from a distance
    felt: np.ndarray  # (B, K, F) felt when consumed
    height: int
    width: int
    steps: int


class Payoffs(NamedTuple):
    """Each object's payoff and whether it ends the episode (B, K), and the step cost, under the base and
    (``has_true``) the true objective."""

    values: np.ndarray
    terminal: np.ndarray
    step_cost: float
    has_true: bool
    true_values: np.ndarray
    true_terminal: np.ndarray
    true_step: float


class Out(NamedTuple):
    """Where the loop writes: (P, B) payoff, steps, true payoff; (P, B, K) reached; (P, B, F) what a
    learning kind had learned after each episode. When ``record_paths``, each episode step by step: (P, B,
    T + 1) ``paths`` (the cell at each time, start first), ``payoffs`` and ``trues`` (the running base and
    true payoffs); (P, B, K) ``consumed_at`` (the time each object was consumed, or -1); (P, B, T) ``aims``
    (the object the rule headed for at each step, or -1). Unrecorded arrays may be (1, 1, 1)."""

    payoff: np.ndarray
    reached: np.ndarray
    steps: np.ndarray
    true: np.ndarray
    paths: np.ndarray
    learned: np.ndarray
    record_paths: bool
    payoffs: np.ndarray
    trues: np.ndarray
    consumed_at: np.ndarray
    aims: np.ndarray


@njit(cache=True, nogil=True, inline="always")
def step(view: View, pay: Payoffs, b: int, cell: int, move: int, remaining: np.ndarray, payoff: float,
         true: float, live: bool) -> tuple[int, int, bool, float, float, bool]:
    """One step of world ``b`` from ``cell`` by ``move``: the new cell, the object consumed (-1: none),
    whether the episode ended, and the episode's base and true payoffs so far and whether the true objective
    still counts. Charges the step, then pays the object; releases what it spawns; the true objective
    charges and pays alike until a true-terminal object was consumed (``live``)."""
    cell = view.neighbors[b, cell, move]
    payoff = payoff - pay.step_cost
    if pay.has_true and live:
        true = true - pay.true_step
    k = view.obj_at[b, cell]
    if k < 0 or not remaining[k]:
        return cell, -1, False, payoff, true, live
    remaining[k] = False
    payoff = payoff + pay.values[b, k]
    child = view.spawn[b, k]
    if child >= 0:
        remaining[child] = True
    if pay.has_true and live:
        true = true + pay.true_values[b, k]
        if pay.true_terminal[b, k]:
            live = False
    return cell, k, pay.terminal[b, k], payoff, true, live


# ------------------------------------------------------------------------------------------------------
# a kind's compiled rule, dispatched on the type of its parameter record


@dataclass(frozen=True)
class Rule:
    """A kind's compiled rule over its parameter record ``params`` (a NamedTuple class, arrays with a
    leading axis of P agents) and its state record (the kind's own, e.g. per-episode scratch or a life's
    learned values, indexed by ``unit = agent · lives + life``). Every function is numba-compiled:

    - ``decide(params, state, a, unit, view, b, cell, remaining, t) -> move`` (0..4: N, E, S, W, stay);
    - ``begin(params, state, a, unit, view, b)``: at the start of each episode (optional);
    - ``consumed(params, state, a, unit, view, b, k)``: after object ``k`` was consumed (optional);
    - ``end(params, state, a, unit, view, b, learned)``: after each episode; a learning kind writes what it
      has learned into ``learned[a, b]`` (optional);
    - ``aim(params, state, a, unit, view, b, cell, remaining, t) -> k``: the object ``decide`` just headed
      for, or -1 (none, or a rule without targets); called right after ``decide``, only when paths are
      recorded, and must change no state (optional: -1).

    The functions are inlined into a loop compiled without reference counting (the records outlive the
    call); a rule that allocates arrays runs on a counted loop, several times slower."""

    params: type
    decide: Any
    begin: Any = None
    consumed: Any = None
    end: Any = None
    aim: Any = None


_RULES: dict[type, Rule] = {}
_LOOPS: dict[tuple[type, bool], Any] = {}


def _kind_begin(params: Any, state: Any, a: int, unit: int, view: View, b: int) -> None:
    raise NotImplementedError  # compiled only (the overload below)


def _kind_decide(params: Any, state: Any, a: int, unit: int, view: View, b: int, cell: int,
                 remaining: np.ndarray, t: int) -> int:
    raise NotImplementedError


def _kind_consumed(params: Any, state: Any, a: int, unit: int, view: View, b: int, k: int) -> None:
    raise NotImplementedError


def _kind_end(params: Any, state: Any, a: int, unit: int, view: View, b: int, learned: np.ndarray) -> None:
    raise NotImplementedError


def _kind_aim(params: Any, state: Any, a: int, unit: int, view: View, b: int, cell: int,
              remaining: np.ndarray, t: int) -> int:
    raise NotImplementedError


def _rule_of(params: Any) -> Rule:
    rule = _RULES.get(getattr(params, "instance_class", None))  # type: ignore[arg-type]
    if rule is None:
        raise TypeError(f"no compiled rule is registered for parameters of type {params}")
    return rule


def _inlined(fn: Any) -> Any:
    """``fn`` (a compiled function) inlined into the loop: a call per step would pass every array of the
    records with its reference count, ten times the step's own cost."""
    return njit(inline="always", nogil=True)(getattr(fn, "py_func", fn))


@njit(cache=True, nogil=True, inline="always")
def _nothing(params: Any, state: Any, a: int, unit: int, view: View, b: int, x: Any = None) -> None:
    pass


@njit(cache=True, nogil=True, inline="always")
def _nowhere(params: Any, state: Any, a: int, unit: int, view: View, b: int, cell: int,
             remaining: np.ndarray, t: int) -> int:
    return -1


@overload(_kind_decide, inline="always")
def _decide_of(params, state, a, unit, view, b, cell, remaining, t):
    fn = _inlined(_rule_of(params).decide)

    def impl(params, state, a, unit, view, b, cell, remaining, t):
        return fn(params, state, a, unit, view, b, cell, remaining, t)
    return impl


@overload(_kind_begin, inline="always")
def _begin_of(params, state, a, unit, view, b):
    fn = _inlined(_rule_of(params).begin or _nothing)

    def impl(params, state, a, unit, view, b):
        fn(params, state, a, unit, view, b)
    return impl


@overload(_kind_consumed, inline="always")
def _consumed_of(params, state, a, unit, view, b, k):
    fn = _inlined(_rule_of(params).consumed or _nothing)

    def impl(params, state, a, unit, view, b, k):
        fn(params, state, a, unit, view, b, k)
    return impl


@overload(_kind_end, inline="always")
def _end_of(params, state, a, unit, view, b, learned):
    fn = _inlined(_rule_of(params).end or _nothing)

    def impl(params, state, a, unit, view, b, learned):
        fn(params, state, a, unit, view, b, learned)
    return impl


@overload(_kind_aim, inline="always")
def _aim_of(params, state, a, unit, view, b, cell, remaining, t):
    fn = _inlined(_rule_of(params).aim or _nowhere)

    def impl(params, state, a, unit, view, b, cell, remaining, t):
        return fn(params, state, a, unit, view, b, cell, remaining, t)
    return impl


def _sources(rule: Rule) -> str:
    """A digest of the sources a kind's loop is compiled from: this module, the agent kinds' package and
    the modules of the rule's functions. numba's disk cache checks the calling file only, so the digest
    (a closure constant of the loop, part of numba's cache key) makes an edited rule recompile."""
    files = {Path(__file__)} | set((Path(__file__).parent / "agents").glob("*.py"))
    for fn in (rule.decide, rule.begin, rule.consumed, rule.end, rule.aim):
        module = sys.modules.get(getattr(getattr(fn, "py_func", fn), "__module__", "") or "")
        if module is not None and getattr(module, "__file__", None):
            files.add(Path(str(module.__file__)))
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _make_loop(rule: Rule, counted: bool = False, recording: bool = True) -> Any:
    """The loop of ``rule``'s kind, cached on disk under a name of its own (numba names the cache index
    by the function's qualified name: one kind's entry never asks another process to import its type).
    Compiled without reference counting unless ``counted`` (docs/architecture.md, "Engines"). A loop
    that is not ``recording`` (a constant to the compiler) leaves out recording the paths (``out.paths``
    and the arrays that follow an episode step by step) and runs faster."""
    digest = _sources(rule)

    def episodes(params, state, view, pay, lifetime, out, remaining):
        """Every agent lives every life (world b: age b % lifetime of life b // lifetime; lifetime 1: every
        agent in every world), the ages of one life in order."""
        assert digest  # the sources' digest: part of the cache key
        p, b_all, k_all = out.payoff.shape[0], view.start.shape[0], view.hidden.shape[1]
        n_lives = b_all // lifetime
        for life in range(n_lives):
            for a in range(p):
                unit = a * n_lives + life
                for age in range(lifetime):
                    b = life * lifetime + age
                    for k in range(k_all):
                        remaining[k] = not view.hidden[b, k]
                    cell = view.start[b]
                    payoff, true, live = 0.0, 0.0, True
                    taken = 0
                    if recording:
                        out.paths[a, b, 0] = cell
                        out.payoffs[a, b, 0] = payoff
                        out.trues[a, b, 0] = true
                        for k in range(k_all):
                            out.consumed_at[a, b, k] = -1
                    _kind_begin(params, state, a, unit, view, b)
                    for t in range(view.steps):
                        move = _kind_decide(params, state, a, unit, view, b, cell, remaining, t)
                        if recording:
                            out.aims[a, b, t] = _kind_aim(params, state, a, unit, view, b, cell, remaining, t)
                        cell, k, ended, payoff, true, live = step(view, pay, b, cell, move, remaining,
                                                                  payoff, true, live)
                        taken += 1
                        if k >= 0:
                            out.reached[a, b, k] = True
                            _kind_consumed(params, state, a, unit, view, b, k)
                        if recording:
                            out.paths[a, b, taken] = cell
                            out.payoffs[a, b, taken] = payoff
                            out.trues[a, b, taken] = true
                            if k >= 0:
                                out.consumed_at[a, b, k] = taken
                        if ended:
                            break
                    if recording:
                        for t in range(taken + 1, view.steps + 1):
                            out.paths[a, b, t] = cell
                            out.payoffs[a, b, t] = payoff
                            out.trues[a, b, t] = true
                            out.aims[a, b, t - 1] = -1
                    out.payoff[a, b] = payoff
                    out.steps[a, b] = taken
                    out.true[a, b] = true
                    _kind_end(params, state, a, unit, view, b, out.learned)

    tag = f"{rule.params.__module__}.{rule.params.__qualname__}"
    prefix = ("counted_" if counted else "episodes_") + ("recorded_" if recording else "")
    episodes.__qualname__ = prefix + "".join(c if c.isalnum() else "_" for c in tag)
    counting: dict[str, Any] = {"_nrt": counted}  # numba's flag: reference counting on or off
    return njit(cache=True, nogil=True, **counting)(episodes)


def register_rule(rule: Rule) -> Rule:
    """Make ``rule`` the compiled rule of parameter records of type ``rule.params``."""
    _RULES[rule.params] = rule
    for recording in (False, True):
        _LOOPS.pop((rule.params, recording), None)
    return rule


def run(params: Any, state: Any, view: View, pay: Payoffs, lifetime: int, out: Out) -> None:
    """Run the episodes of the agents of ``params`` (the kind's record; its rule registered) into ``out``.
    A rule the uncounted loop cannot compile (one that allocates arrays) runs on a counted loop."""
    rule = _RULES.get(type(params))
    if rule is None:
        raise TypeError(f"no compiled rule is registered for {type(params).__name__}")
    remaining = np.empty(view.hidden.shape[1], dtype=np.bool_)
    key = (rule.params, bool(out.record_paths))
    loop = _LOOPS.get(key)
    if loop is None:
        loop = _make_loop(rule, recording=key[1])
        try:
            loop(params, state, view, pay, lifetime, out, remaining)
        except NumbaError:
            loop = _make_loop(rule, counted=True, recording=key[1])
            loop(params, state, view, pay, lifetime, out, remaining)
        _LOOPS[key] = loop
        return
    loop(params, state, view, pay, lifetime, out, remaining)
