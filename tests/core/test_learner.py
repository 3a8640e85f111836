"""The learner kind (evo.core.agents.learner) on hand-built worlds: what it reads through its senses, what
one taste teaches it, that learning switched off leaves the instinct alone, that nothing learned outlives a
life, and that the lineage reads its innate reward on felt features only."""

from __future__ import annotations

import numpy as np
import pytest

from evo.config.schema import AgentConfig
from evo.core import agents, traits, worlds
from evo.core.simulate import Costs, Payoffs, run_episodes
from evo.runs import scenarios as scenario_mod

# features: sweet (felt), toxic (hidden), red, yellow (seen)
SENSES = agents.Senses(np.array([False, False, True, True]), np.array([True, False, False, False]))
PAY = Payoffs(np.array([0.0, -1.0, 0.0, 0.0]), np.zeros(4, dtype=bool), 0.0)


def _genome(r: list[float], v0: list[float], alpha: float, curiosity: float = -1.0) -> np.ndarray:
    return np.array([[*r, *v0, alpha, curiosity]])


def _corridor(feats: list[list[float]], n: int = 1) -> worlds.WorldBatch:
    """``n`` copies of a 1 × 7 corridor: the start at the west end, objects eastwards from cell 2 on."""
    walls = np.zeros((n, 7), dtype=bool)
    cells = np.array([[2 + 2 * k for k in range(len(feats))]] * n)
    return worlds.build_batch(walls, np.zeros(n, dtype=np.int64), cells,
                              np.array([feats] * n, dtype=np.float64), 1, 7, 6)


def test_decode_reads_the_reward_on_felt_and_the_instinct_on_seen_features() -> None:
    cfg = AgentConfig(kind="learner", params=dict(horizon=6, max_learning_rate=0.5))
    policy = agents.decode(_genome([2.0, 3.0, 4.0, 5.0], [1.0, 1.0, -1.0, 0.5], 0.8, 0.3), cfg, 4, SENSES)
    assert policy.objective is not None and policy.objective.tolist() == [[2.0, 0.0, 0.0, 0.0]]
    assert policy.genes["v0"].tolist() == [[0.0, 0.0, -1.0, 0.5]]
    assert policy.learning_rate is not None and policy.learning_rate.tolist() == [0.4]  # 0.8 · 0.5
    assert policy.life is not None and policy.life.genes(policy)["curiosity"].tolist() == [0.3]
    # without a sense declaration the learner feels and sees every feature
    bare = agents.decode(_genome([2.0, 3.0, 4.0, 5.0], [1.0, 1.0, -1.0, 0.5], 1.7, -2.0), cfg, 4)
    assert bare.objective is not None and bare.objective.tolist() == [[2.0, 3.0, 4.0, 5.0]]
    assert bare.learning_rate is not None and bare.learning_rate.tolist() == [0.5]  # clip(1.7) · 0.5
    assert bare.life is not None and bare.life.genes(bare)["curiosity"].tolist() == [0.0]


def test_one_taste_teaches_the_reward_and_it_is_forgotten_at_the_next_birth() -> None:
    """A red sweet object two cells ahead of a yellow one. At birth the agent values yellow more, walks
    over the red one on its way (consuming it), tastes sweetness and, with α = 1, values red at exactly
    r[sweet]; then it eats yellow, feels nothing, and values yellow at 0. In episode 2 it eats red and
    stops: yellow is worth nothing now. A new life starts from v0 again."""
    cfg = AgentConfig(kind="learner", params=dict(horizon=6, discount=1.0, lifetime=2))
    genome = _genome([3.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.1, 0.2], 1.0)
    policy = agents.decode(genome, cfg, 4, SENSES)
    batch = _corridor([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], n=4)  # 2 lives of 2 episodes
    ep = run_episodes(policy, batch, PAY, Costs())
    assert ep.learned is not None
    # after the first episode of each life: red learned (3.0), yellow tasted (nothing felt: 0.0)
    assert ep.learned[0, 0].tolist() == [0.0, 0.0, 3.0, 0.0]
    assert ep.learned[0, 2].tolist() == [0.0, 0.0, 3.0, 0.0]  # the same again: life 2 began at v0
    assert ep.reached[0].tolist() == [[True, True], [True, False]] * 2


def test_learning_switched_off_keeps_the_instinct_for_life() -> None:
    cfg = AgentConfig(kind="learner", params=dict(horizon=6, lifetime=3, max_learning_rate=0.0))
    policy = agents.decode(_genome([3.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.1, 0.2], 1.0), cfg, 4, SENSES)
    ep = run_episodes(policy, _corridor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]], n=3), PAY, Costs())
    assert ep.learned is not None and (ep.learned[0] == [0.0, 0.0, 0.1, 0.2]).all()


def test_curiosity_draws_the_agent_to_what_it_has_not_eaten_this_life() -> None:
    """Instinct 0 and learning off: only curiosity moves it. In episode 1 every object is novel: it eats
    red, then yellow. In episode 2 neither is novel any more, so nothing is worth a step and it stays;
    without curiosity it never moves."""
    cfg = AgentConfig(kind="learner", params=dict(horizon=6, discount=0.9, lifetime=2, max_learning_rate=0.0))
    policy = agents.decode(_genome([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.0, 0.5), cfg, 4, SENSES)
    batch = _corridor([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], n=2)
    ep = run_episodes(policy, batch, PAY, Costs(), record_paths=True)
    assert ep.reached[0].tolist() == [[True, True], [False, False]]
    assert ep.steps[0].tolist() == [6, 6] and ep.paths is not None and (ep.paths[0, 1] == 0).all()
    no_curiosity = agents.decode(_genome([0.0] * 4, [0.0] * 4, 0.0, -1.0), cfg, 4, SENSES)
    assert not run_episodes(no_curiosity, batch, PAY, Costs()).reached.any()  # nothing worth a step


def test_the_lineage_reads_the_innate_reward_on_felt_features_only() -> None:
    s = scenario_mod.load("scenarios/sweet_tooth_learned.toml")
    spec = traits.TraitSpec.from_scenario(s)
    f = len(s.features)
    genome = np.ones((1, agents.genome_length("learner", f)))
    got = spec.traits(genome)
    felt = set(s.scenario.felt)
    for name in s.features:
        assert got[f"w_{name}"][0] == (1.0 if name in felt else 0.0), name
    assert spec.goal_classes(genome)[0] in traits.GOAL_CLASSES


@pytest.mark.parametrize("name", ["sweet_tooth_learned", "learning_emerges", "learning_emerges_fixed"])
def test_the_lifetime_scenarios_declare_their_senses(name: str) -> None:
    s = scenario_mod.load(f"scenarios/{name}.toml")
    assert s.agent.kind == "learner" and s.scenario.felt == ("sweet", "bitter")
    assert "nutritious" in s.scenario.hidden
    assert s.evolution.worlds_per_generation % s.agent.params["lifetime"] == 0
