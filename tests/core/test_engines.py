"""Choosing the engine that runs the episodes (evo/core/engines.py): the ``EVO_ENGINE`` variable and the
``engine`` argument, their errors, the kinds the compiled kernels leave to numpy, and a whole run on each
engine giving the same files. (That both engines give the reference's episodes is
tests/core/test_equivalence.py's job.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evo.config.schema import AgentConfig
from evo.core import agents, choice, engines, worlds
from evo.core.simulate import Costs, Payoffs, run_episodes
from evo.errors import EvoError
from evo.runs import run as runs

ROOT = Path(__file__).resolve().parents[2]


def _batch() -> worlds.WorldBatch:
    """A 3×3 room, the object one step east of the start."""
    return worlds.build_batch(np.zeros((1, 9), dtype=bool), np.array([4]), np.array([[5]]),
                              np.ones((1, 1, 2)), 3, 3, 3)


def test_auto_picks_compiled_where_numba_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(engines.ENV, raising=False)
    assert engines.resolve(None) == "compiled"  # the dev install has numba
    monkeypatch.setattr(choice, "available", lambda: False)
    assert engines.resolve(None) == "numpy"
    assert engines.resolve("auto") == "numpy"


def test_the_environment_chooses_and_an_argument_overrides_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(engines.ENV, "numpy")
    assert engines.resolve(None) == "numpy"
    assert engines.resolve("compiled") == "compiled"


@pytest.mark.parametrize("value", ["fast", "NUMPY", "numba"])
def test_an_unknown_engine_names_the_variable_and_the_choices(monkeypatch: pytest.MonkeyPatch,
                                                              value: str) -> None:
    monkeypatch.setenv(engines.ENV, value)
    with pytest.raises(EvoError, match=rf"EVO_ENGINE: expected one of auto, numpy, compiled, got '{value}'"):
        engines.resolve(None)
    with pytest.raises(EvoError, match=r"^engine: expected one of"):
        engines.resolve(value)


def test_compiled_without_numba_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(choice, "available", lambda: False)
    with pytest.raises(EvoError, match=r"needs numba: pip install \"evo\[fast\]\""):
        engines.resolve("compiled")


def test_a_kind_with_its_own_moves_runs_on_numpy() -> None:
    """The kernels know the shipped rules only: a Policy with its own batched ``moves`` is stepped by them
    whatever the engine."""
    cfg = AgentConfig(kind="mesa", horizon=2, discount=0.9, view_radius=1)
    policy = agents.decode(np.array([[1.0, 0.0]]), cfg, 2)
    calls = []

    def east(policy: agents.Policy, tables: agents.Tables, agent: np.ndarray, world: np.ndarray,
             row: np.ndarray, remaining: np.ndarray) -> np.ndarray:
        calls.append(row.size)
        return np.ones(row.size, dtype=np.int64)

    from dataclasses import replace
    own = replace(policy, moves=east)
    assert not engines.supports(own) and engines.supports(policy)
    objective = Payoffs(np.array([1.0, 0.0]), np.zeros(2, dtype=bool), 0.0)
    ep = run_episodes(own, _batch(), objective, Costs(), record_paths=True, engine="compiled")
    assert calls and ep.reached[0, 0, 0]


def test_a_run_gives_the_same_files_on_either_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A short red_door run, once per engine: every result file equal byte for byte (meta.json records the
    engine and the time; summary.json the wall time)."""
    out = {}
    for engine in engines.ENGINES:
        monkeypatch.setenv(engines.ENV, engine)
        out[engine] = runs.run(ROOT / "scenarios" / "red_door.toml", 3, tmp_path / engine,
                               overrides={"evolution.generations": 6, "evolution.population": 40})
        meta = json.loads((out[engine] / "meta.json").read_text())
        assert meta["engine"] == engine and ("numba" in meta["versions"]) == (engine == "compiled")
    files = sorted(p.relative_to(out["numpy"]) for p in out["numpy"].rglob("*") if p.is_file()
                   and p.name not in ("meta.json", "summary.json", ".evo.lock"))
    assert len(files) > 5
    for name in files:
        assert (out["numpy"] / name).read_bytes() == (out["compiled"] / name).read_bytes(), name
    summaries = [json.loads((out[e] / "summary.json").read_text()) for e in engines.ENGINES]
    for s in summaries:
        s.pop("wall_time_s", None)
    assert summaries[0] == summaries[1]


def test_a_bad_engine_stops_a_run_before_it_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(engines.ENV, "turbo")
    with pytest.raises(EvoError, match="EVO_ENGINE"):
        runs.run(ROOT / "scenarios" / "red_door.toml", 0, tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("kind", agents.BUILTIN_KINDS)
def test_every_shipped_kind_runs_on_the_kernels(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked for the compiled engine, a shipped kind's episodes run in a kernel (so the equivalence tests'
    compiled half does not quietly fall back to numpy)."""
    from evo.core import kernels

    calls: list[str] = []
    for name in ("episodes", "lives"):
        kernel = getattr(kernels, name)
        monkeypatch.setattr(kernels, name,
                            lambda *a, _k=kernel, _n=name, **kw: (calls.append(_n), _k(*a, **kw))[1])
    cfg = AgentConfig(kind=kind, horizon=2, discount=0.9, view_radius=1, lifetime=1)
    policy = agents.decode(agents.initial_genomes(cfg, 2, 3, np.random.default_rng(0)), cfg, 2)
    objective = Payoffs(np.array([1.0, 0.0]), np.zeros(2, dtype=bool), 0.0)
    run_episodes(policy, _batch(), objective, Costs(), engine="compiled")
    assert calls == ["lives" if kind == "learner" else "episodes"]
    calls.clear()
    run_episodes(policy, _batch(), objective, Costs(), engine="numpy")
    assert calls == []


def test_what_the_kernels_do_not_know_stays_on_numpy() -> None:
    """A subclass of the learner's life may change its rules; a reacting policy without every reflex gene
    is an error numpy reports; a batch without objects too."""
    from dataclasses import replace

    from evo.core.agents.learner import LearnerLife

    class Contrary(LearnerLife):
        pass

    learner = agents.decode(np.zeros((1, 6)), AgentConfig(kind="learner", horizon=2), 2)
    assert engines.supports(learner) and not engines.supports(replace(learner, life=Contrary()))
    reflex = agents.decode(np.zeros((1, 10)), AgentConfig(kind="reflex", horizon=0), 2)
    assert engines.supports(reflex) and not engines.supports(replace(reflex, theta_scent=None))
    empty = worlds.build_batch(np.zeros((1, 9), dtype=bool), np.array([4]), np.zeros((1, 0), dtype=np.int64),
                               np.ones((1, 0, 2)), 3, 3, 3)
    assert not engines.supports(reflex, empty)
