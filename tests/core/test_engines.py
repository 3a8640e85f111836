"""The engine (evo/core/engines.py, evo/core/step.py): every registered kind running its own compiled rule,
a kind without one refused, a rule that allocates on the counted loop, and a whole run giving the same
files under any numba thread count. (That the step gives the reference's episodes is
tests/core/test_equivalence.py's job.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from numba import njit

from evo.config.schema import AgentConfig
from evo.core import agents, engines, step, worlds
from evo.core.simulate import Costs, Payoffs, run_episodes
from evo.errors import EvoError

ROOT = Path(__file__).resolve().parents[2]


def _batch() -> worlds.WorldBatch:
    """A 3×3 room, the object one step east of the start."""
    return worlds.build_batch(np.zeros((1, 9), dtype=bool), np.array([4]), np.array([[5]]),
                              np.ones((1, 1, 2)), 3, 3, 3)


def test_a_run_gives_the_same_files_under_any_thread_count(tmp_path: Path) -> None:
    """A short red_door run in a fresh process under NUMBA_NUM_THREADS=1 and =2: every result file equal
    byte for byte (meta.json records the time; summary.json the wall time)."""
    out = {}
    for threads in ("1", "2"):
        out[threads] = tmp_path / threads
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        subprocess.run([sys.executable, "-m", "evo", "run", str(ROOT / "scenarios" / "red_door.toml"),
                        "--seed", "3", "--no-figures", "-q", "--out", str(out[threads]),
                        "--set", "evolution.generations=4", "--set", "evolution.population=30"],
                       env=env, check=True, capture_output=True)
    files = sorted(p.relative_to(out["1"]) for p in out["1"].rglob("*") if p.is_file()
                   and p.name not in ("meta.json", "summary.json", ".evo.lock"))
    assert len(files) > 5
    for name in files:
        assert (out["1"] / name).read_bytes() == (out["2"] / name).read_bytes(), name
    summaries = [json.loads((out[t] / "summary.json").read_text()) for t in ("1", "2")]
    for s in summaries:
        s.pop("wall_time_s", None)
    assert summaries[0] == summaries[1]


@pytest.mark.parametrize("kind", agents.agent_kinds())
def test_every_registered_kind_runs_its_own_compiled_rule(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registered kind's episodes run on the one compiled loop with its own registered rule (so no kind
    quietly runs on other code)."""
    calls: list[type] = []
    real = step.run
    monkeypatch.setattr(engines, "run", lambda params, *a: (calls.append(type(params)), real(params, *a))[1])
    cfg = AgentConfig(kind=kind, params=dict(horizon=2, discount=0.9, view_radius=1, lifetime=1))
    policy = agents.decode(agents.initial_genomes(cfg, 2, 3, np.random.default_rng(0)), cfg, 2)
    objective = Payoffs(np.array([1.0, 0.0]), np.zeros(2, dtype=bool), 0.0)
    run_episodes(policy, _batch(), objective, Costs())
    assert len(calls) == 1 and all(c in step._RULES for c in calls)


def test_a_kind_without_a_compiled_rule_is_refused() -> None:
    """Records of a type no rule is registered for: one error naming the type; a batch without objects
    too."""
    cfg = AgentConfig(kind="mesa", params=dict(horizon=2))
    policy = agents.decode(np.zeros((1, 2)), cfg, 2)

    class Stranger(NamedTuple):
        w: np.ndarray

    with pytest.raises(TypeError, match="no compiled rule is registered for Stranger"):
        step.run(Stranger(np.zeros((1, 2))), np.zeros(1), engines.view_of(policy, _batch()), None, 1, None)
    empty = worlds.build_batch(np.zeros((1, 9), dtype=bool), np.array([4]), np.zeros((1, 0), dtype=np.int64),
                               np.ones((1, 0, 2)), 3, 3, 3)
    objective = Payoffs(np.array([1.0, 0.0]), np.zeros(2, dtype=bool), 0.0)
    with pytest.raises(EvoError, match="without objects"):
        run_episodes(policy, empty, objective, Costs())


class _East(NamedTuple):
    w: np.ndarray


class _EastAllocating(NamedTuple):
    w: np.ndarray


@njit(cache=False)
def _east(params, state, a, unit, view, b, cell, remaining, t):  # type: ignore[no-untyped-def]
    return 1


@njit(cache=False)
def _east_allocating(params, state, a, unit, view, b, cell, remaining, t):  # type: ignore[no-untyped-def]
    moves = np.ones(1, dtype=np.int64)  # an allocation: the uncounted loop cannot compile it
    return moves[0]


def test_a_rule_that_allocates_runs_on_a_counted_loop_with_the_same_episodes() -> None:
    """The loop is compiled without reference counting; a rule that allocates arrays gets a counted loop
    instead, and the same episodes."""
    step.register_rule(step.Rule(_East, _east))
    step.register_rule(step.Rule(_EastAllocating, _east_allocating))
    policy = agents.decode(np.zeros((2, 2)), AgentConfig(kind="mesa", params=dict(horizon=2)), 2)
    batch = _batch()
    view = engines.view_of(policy, batch)
    values = np.ones((1, 1))
    ends = np.ones((1, 1), dtype=bool)
    pay = step.Payoffs(values, ends, 0.5, False, values, ends, 0.0)
    outs = []
    for params in (_East(np.zeros((2, 1))), _EastAllocating(np.zeros((2, 1)))):
        out = step.Out(np.zeros((2, 1)), np.zeros((2, 1, 1), dtype=bool), np.zeros((2, 1), dtype=np.int64),
                       np.zeros((2, 1)), np.zeros((2, 1, 4), dtype=np.int64), np.zeros((1, 1, 2)), True,
                       np.zeros((2, 1, 4)), np.zeros((2, 1, 4)), np.zeros((2, 1, 1), dtype=np.int64),
                       np.zeros((2, 1, 3), dtype=np.int64))
        step.run(params, np.zeros(1), view, pay, 1, out)
        outs.append(out)
    names = [step._LOOPS[t, True].py_func.__qualname__ for t in (_East, _EastAllocating)]
    assert names[0].startswith("episodes_") and names[1].startswith("counted_")
    for name in step.Out._fields:
        np.testing.assert_array_equal(getattr(outs[1], name), getattr(outs[0], name))
    assert outs[0].payoff.tolist() == [[0.5], [0.5]] and outs[0].paths[0].tolist() == [[4, 5, 5, 5]]
