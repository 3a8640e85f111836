"""Agent kinds as an extension point (evo.core.agents): the contract every registered kind keeps, the
registry, and a kind defined outside the package evolved end to end."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from numba import njit
from numpy.typing import NDArray

import evo
from evo.config import schema
from evo.config.schema import AgentConfig
from evo.core import agents
from evo.core.agents import GenomeKind, Policy
from evo.core.step import STAY, Rule, View, register_rule
from evo.core.worlds import WorldBatch
from evo.errors import ScenarioError
from evo.runs import readback
from evo.runs import scenarios as scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
KINDS = agents.agent_kinds()


def _small(path: Path, kind: str) -> schema.Scenario:
    """The scenario of ``path`` with ``kind`` agents, two generations of a small population."""
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    e = raw.get("evolution", {})
    small = dict(generations=2, population=8, worlds_per_generation=2, eval_worlds=4, shift_sample=2,
                 elitism=min(int(e.get("elitism", 2)), 2), **({"offspring": 0} if "offspring" in e else {}))
    overrides: dict[str, Any] = {"agent.kind": kind,  # keeps the [agent] keys the kind declares too
                                 **{f"evolution.{k}": v for k, v in small.items()}}
    if "lifetime" in agents.agent_kind(kind).parameters:
        overrides["agent.lifetime"] = 2  # a learner lives the worlds of a generation as one life of 2
    return scenario.with_overrides(raw, str(path), overrides)


# ------------------------------------------------------------------------------------------------------
# the contract, for every registered kind


@pytest.mark.parametrize("kind", KINDS)
def test_every_registered_kind_keeps_the_contract(kind: str) -> None:
    """evo.check_kind: layout, initial genomes, decoding, its compiled rule, its perception strengths."""
    evo.check_kind(kind)


def test_check_kind_names_what_breaks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kind whose perception strengths are negative fails the contract, and the error says so."""
    mesa = agents.agent_kind("mesa")
    monkeypatch.setattr(type(mesa), "perceives", lambda self, policy: (-np.abs(policy.genes["w"]),))
    with pytest.raises(evo.errors.EvoError, match="agent kind 'mesa': perceives gives"):
        evo.check_kind("mesa")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_runs_with_every_kind(path: Path, kind: str, tmp_path: Path) -> None:
    s = _small(path, kind)
    result = evo.run(s, seed=0, out=tmp_path / "run", figures=False)
    assert result.summary["agent_kind"] == kind
    assert (result.summary["mesa_objective_mean"] is not None) == agents.agent_kind(kind).has_objective
    life = result.summary.get("lifetime")
    assert (life is not None) == (agents.decode(result.population["genomes"][:1], s.agent,
                                                len(s.features)).life is not None)
    if life is not None:
        assert life["length"] == 2 and len(life["train"]["base_fitness_by_age"]) == 2
        assert "train_age_mean.2" in result.log


# ------------------------------------------------------------------------------------------------------
# the registry


class StillParams(NamedTuple):
    nothing: np.ndarray


@njit(cache=True)
def _still_decide(params: StillParams, state: np.ndarray, a: int, unit: int, view: View, b: int, cell: int,
                  remaining: np.ndarray, t: int) -> int:
    return STAY


register_rule(Rule(StillParams, _still_decide))


class Still(GenomeKind):
    """A throwaway kind with its own compiled rule: it never moves."""

    name = "still_for_tests"

    def parts(self, n_features: int) -> dict[str, int]:
        return {"nothing": 1}

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        return self.policy(genomes, cfg, n_features)

    def compiled(self, policy: Policy, worlds: WorldBatch, view: View) -> tuple[StillParams, np.ndarray]:
        return StillParams(np.ascontiguousarray(policy.genes["nothing"][:, 0])), np.zeros(1)


@pytest.fixture
def still() -> Iterator[Still]:
    kind = evo.register_agent_kind(Still())
    try:
        yield kind
    finally:
        agents.unregister_agent_kind(kind.name)


def test_a_registered_kind_is_known_then_forgotten(still: Still) -> None:
    assert evo.agent_kind(still.name) is still
    assert still.name in agents.agent_kinds()
    with pytest.raises(agents.AgentKindError, match="already registered"):
        evo.register_agent_kind(Still())
    agents.unregister_agent_kind(still.name)
    with pytest.raises(agents.AgentKindError, match="unknown agent kind 'still_for_tests'; registered: mesa"):
        agents.agent_kind(still.name)
    evo.register_agent_kind(still)  # back, for the fixture to remove


def test_unknown_kind_names_the_registered_ones(still: Still) -> None:
    raw = tomllib.loads((ROOT / "scenarios" / "red_door.toml").read_text(encoding="utf-8"))
    raw["agent"]["kind"] = "oracle"
    with pytest.raises(ScenarioError) as err:
        scenario.from_dict(raw, "red_door.toml")
    assert err.value.key == "agent.kind" and err.value.got == "oracle"
    assert err.value.expected == ("a registered agent kind (one of 'mesa', 'reflex', 'hybrid', 'learner', "
                                  "'neural', 'still_for_tests')")
    with pytest.raises(agents.AgentKindError,
                       match="registered: mesa, reflex, hybrid, learner, neural, still_for_tests"):
        agents.agent_kind("oracle")


def test_a_kind_with_its_own_rule_runs_end_to_end(still: Still, tmp_path: Path) -> None:
    s = _small(ROOT / "scenarios" / "red_door.toml", still.name)
    result = evo.run(s, seed=3, out=tmp_path / "run", figures=False)
    summary = readback.read_summary(tmp_path / "run")
    assert summary["agent_kind"] == still.name and summary["champion"]["objective"] is None
    assert summary["champion"]["genome_layout"] == {"nothing": [0, 1]}
    # it never moves, so it reaches nothing and pays the step cost every step
    best = result.summary["train"]["base_fitness"]["best"]
    assert best == pytest.approx(-s.worlds.train.steps * s.base_objective.step_cost)


def test_a_results_file_of_an_unregistered_kind_is_refused(still: Still, tmp_path: Path) -> None:
    evo.run(_small(ROOT / "scenarios" / "red_door.toml", still.name), seed=0, out=tmp_path / "run",
            figures=False)
    agents.unregister_agent_kind(still.name)
    try:
        with pytest.raises(evo.errors.EvoError, match="a registered agent kind"):
            readback.read_summary(tmp_path / "run")
    finally:
        evo.register_agent_kind(still)


def test_the_horizon_rule_is_the_kinds() -> None:
    """A kind declares its own [agent] keys: mesa and hybrid a horizon of at least 1, reflex none."""
    raw = tomllib.loads((ROOT / "scenarios" / "red_door.toml").read_text(encoding="utf-8"))
    raw["agent"]["horizon"] = 0
    for kind in ("mesa", "hybrid"):
        raw["agent"]["kind"] = kind
        with pytest.raises(ScenarioError, match=r"key 'agent.horizon': expected an integer in \[1, 10_000\]"):
            scenario.from_dict(raw, "red_door.toml")
    raw["agent"]["kind"] = "reflex"
    with pytest.raises(ScenarioError, match=r"key 'agent\.horizon': expected a key of agent kind 'reflex'"):
        scenario.from_dict(raw, "red_door.toml")
    del raw["agent"]["horizon"], raw["agent"]["discount"]
    assert scenario.from_dict(raw, "red_door.toml").agent.params == {"view_radius": 5}


def test_the_custom_kind_example_keeps_the_contract(tmp_path: Path) -> None:
    """The example's greedy kind, registered here for a while (importing the example registers it),
    through the same contract as the shipped ones, and two generations of every shipped scenario."""
    example = ROOT / "examples" / "custom_agent_kind.py"
    spec = importlib.util.spec_from_file_location("custom_agent_kind_contract", example)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    assert "greedy" not in agents.agent_kinds()
    spec.loader.exec_module(module)
    kind = evo.agent_kind("greedy")
    assert kind is module.GREEDY
    try:
        evo.check_kind(kind.name)
        for i, path in enumerate(SCENARIOS):
            test_every_scenario_runs_with_every_kind(path, kind.name, tmp_path / str(i))
    finally:
        agents.unregister_agent_kind(kind.name)


@pytest.mark.parametrize(("value", "expected"), [
    (0, "expected an integer in [1, 10_000] (the bound LIMITS['horizon'] in evo.config.schema), got 0"),
    (2.5, "expected an integer in [1, 10_000]"),
    ("far", "expected an integer in [1, 10_000]"),
])
def test_the_custom_kind_examples_own_key_is_checked(value: Any, expected: str) -> None:
    """The example's kind declares ``agent.reach``: a bad value is one line naming the file and override,
    the key, what was expected and what came; a good one reaches the kind."""
    example = ROOT / "examples" / "custom_agent_kind.py"
    spec = importlib.util.spec_from_file_location("custom_agent_kind_own_key", example)
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    red_door = ROOT / "scenarios" / "red_door.toml"
    try:
        with pytest.raises(ScenarioError) as info:
            scenario.load(red_door, {"agent.kind": "greedy", "agent.reach": value})
        message = str(info.value)
        assert "\n" not in message
        assert message.startswith(f"{red_door} (overrides['agent.reach'] = {value!r}): key 'agent.reach': ")
        assert expected in message and message.endswith(f"got {value!r}")
        s = scenario.load(red_door, {"agent.kind": "greedy", "agent.reach": 3})
        assert s.agent.params == {"reach": 3}
        policy = agents.decode(np.zeros((2, len(s.features))), s.agent, len(s.features))
        assert policy.values["reach"] == 3 and set(policy.genes) == {"w"}
    finally:
        agents.unregister_agent_kind("greedy")


def test_the_custom_kind_example_runs() -> None:
    """examples/custom_agent_kind.py: a kind defined outside evo/, registered through evo's public API and
    evolved on red_door with evo.run."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "custom_agent_kind.py"),
                           "--generations", "3", "--population", "12"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "(greedy agents)" in done.stdout and "champion objective: red" in done.stdout


def test_no_module_outside_the_kind_modules_compares_against_a_kind_name() -> None:
    """What the rest of the package asks of a kind goes through the kind object: no comparison (``==``,
    ``!=``, ``in``) with a registered kind's name as a string literal outside ``evo/core/agents/``."""
    import ast

    names = set(KINDS)
    found = []
    for path in sorted((ROOT / "evo").rglob("*.py")):
        if (ROOT / "evo" / "core" / "agents") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            literals = [o.value for o in operands if isinstance(o, ast.Constant) and isinstance(o.value, str)]
            literals += [e.value for o in operands if isinstance(o, (ast.Tuple, ast.List, ast.Set))
                         for e in o.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if names & set(literals):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
