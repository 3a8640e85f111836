"""The batched evaluator (:func:`evo.core.simulate.run_episodes`) against the per-agent reference in
``tests/core/reference.py``: on random small worlds, random agents of every kind and random objectives,
payoffs, objects reached, steps, paths and fitness must be *equal*, not close, on the one engine (the
compiled step). Also the shared world tables against plain breadth-first search, and the solvability of
generated worlds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from evo.config.schema import AgentConfig, ObjectGroup, Variant, WorldConfig
from evo.core import agents, worlds
from evo.core.agents import reflex
from evo.core.simulate import Costs, Episodes, Payoffs, run_episodes
from evo.core.worlds import paths
from evo.errors import EvoError
from evo.runs import scenarios as scenario

try:  # tests/ as a plain directory, which pytest puts on sys.path
    import reference as ref
except ImportError:  # tests/ as a package
    from tests.core import reference as ref

SCENARIOS = sorted((Path(__file__).parents[2] / "scenarios").glob("*.toml"))
FEATURES = ("a", "b", "c", "d")

# Few distinct values make ties (equal object values, equal reflex scores) common; 0.1 + 0.2 − 0.3 is not
# 0 in floating point, and its sign depends on the order of the sum, so these values also check that sums
# run in the documented order. Arbitrary floats cover the rest. Zero and negative weights are in both.
TIE_VALUES = (-1.0, -0.5, -0.3, 0.0, 0.1, 0.2, 0.25, 0.5, 1.0)
genes = st.one_of(st.sampled_from(TIE_VALUES),
                  st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False, allow_subnormal=False))


# ------------------------------------------------------------------------------------------------------
# strategies


@st.composite
def layouts(draw: st.DrawFn, height: int, width: int, n_objects: int, n_features: int) -> dict:
    """One world's raw arrays: random walls, a random free start, ``n_objects`` objects on distinct cells
    the start can reach (found with the reference's own search), random 0/1 features."""
    c = height * width
    walls = draw(st.lists(st.sampled_from([False, False, True]), min_size=c, max_size=c))
    free = [i for i in range(c) if not walls[i]]
    if not free:
        walls, free = [False] * c, list(range(c))
    start = draw(st.sampled_from(free))
    world = ref.World(height, width, walls, start, [], [])
    reach = [i for i, d in enumerate(ref.bfs_distances(world, start)) if d < world.unreachable and i != start]
    if len(reach) < n_objects:  # too walled in: open the grid (every side >= 3 leaves >= 8 cells)
        walls = [False] * c
        reach = [i for i in range(c) if i != start]
    cells = draw(st.lists(st.sampled_from(reach), min_size=n_objects, max_size=n_objects, unique=True))
    feats = draw(st.lists(st.lists(st.sampled_from([0.0, 1.0]), min_size=n_features, max_size=n_features),
                          min_size=n_objects, max_size=n_objects))
    return {"walls": walls, "start": start, "obj_cell": cells, "obj_feat": feats}


@st.composite
def world_batches(draw: st.DrawFn, n_worlds: int | None = None, n_features: int | None = None
                  ) -> worlds.WorldBatch:
    """A batch of 1..3 worlds (or ``n_worlds``) of one shape with 2..4 features (or ``n_features``), built
    with :func:`evo.core.worlds.build_batch`."""
    height, width = draw(st.integers(3, 8)), draw(st.integers(3, 8))
    n_features = n_features or draw(st.integers(2, 4))
    n_objects = draw(st.integers(1, 4))
    steps = draw(st.integers(1, 16))
    rows = draw(st.lists(layouts(height, width, n_objects, n_features), min_size=n_worlds or 1,
                         max_size=n_worlds or 3))
    return worlds.build_batch(np.array([r["walls"] for r in rows], dtype=bool),
                              np.array([r["start"] for r in rows]), np.array([r["obj_cell"] for r in rows]),
                              np.array([r["obj_feat"] for r in rows], dtype=np.float64),
                              height, width, steps, draw(spawn_links(len(rows), n_objects)))


@st.composite
def spawn_links(draw: st.DrawFn, n_worlds: int, n_objects: int) -> np.ndarray | None:
    """None (nothing spawns) or, per world, a random set of visible objects each releasing a distinct
    hidden one."""
    if n_objects < 2 or draw(st.booleans()):
        return None
    spawn = np.full((n_worlds, n_objects), -1, dtype=np.int64)
    for b in range(n_worlds):
        order = draw(st.permutations(range(n_objects)))
        n_links = draw(st.integers(0, n_objects // 2))
        for parent, child in zip(order[:n_links], order[n_links:2 * n_links], strict=True):
            spawn[b, parent] = child
    return spawn


@st.composite
def world_configs(draw: st.DrawFn, n_features: int) -> WorldConfig:
    """A random world distribution over the first ``n_features`` of FEATURES, for :func:`worlds.generate`."""
    names = FEATURES[:n_features]
    height, width = draw(st.integers(4, 8)), draw(st.integers(4, 8))
    room = (height - 2) * (width - 2) - 1  # free interior cells besides the start
    n_groups = draw(st.integers(1, 2))
    counts = [draw(st.integers(1, 2)) for _ in range(n_groups)]
    while sum(counts) > room:
        counts.pop()
    groups = []
    for count in counts or [1]:
        if draw(st.booleans()):
            feats = draw(st.dictionaries(st.sampled_from(names), st.sampled_from([0.0, 0.3, 0.5, 1.0]),
                                         min_size=1))
            groups.append(ObjectGroup(count=count, features=feats))
        else:
            n = draw(st.integers(1, 3))
            sets = draw(st.lists(st.lists(st.sampled_from(names), unique=True, max_size=n_features),
                                 min_size=n, max_size=n))
            groups.append(ObjectGroup(count=count, variants=tuple(Variant(p=1.0 / n, features=tuple(s))
                                                                  for s in sets)))
        if 2 * sum(g.count * (2 if g.spawns else 1) for g in groups) <= room and draw(st.booleans()):
            spawned = draw(st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=n_features))
            groups[-1] = replace(groups[-1], spawns=tuple(spawned))
    # up to 0.6, the densest the scenario validator accepts: small, dense grids are where drawing fails
    return WorldConfig(size=(height, width), wall_density=draw(st.sampled_from([0.0, 0.1, 0.2, 0.35, 0.6])),
                       steps=draw(st.integers(1, 16)), objects=tuple(groups))


@st.composite
def agent_configs(draw: st.DrawFn, kinds: tuple[str, ...] = agents.KINDS, lifetime: int = 1) -> AgentConfig:
    """An agent configuration; a learner lives ``lifetime`` episodes, with learning switched off
    (``max_learning_rate = 0``) now and then."""
    kind = draw(st.sampled_from(kinds))
    params = dict(horizon=draw(st.integers(0, 8)),
                  discount=draw(st.one_of(st.sampled_from([0.5, 0.7, 0.9, 1.0]), st.floats(0.05, 1.0))),
                  view_radius=draw(st.integers(1, 6)), lifetime=lifetime,
                  max_learning_rate=draw(st.sampled_from([1.0, 1.0, 0.5, 0.0])))
    declared = agents.agent_kind(kind).parameters  # a kind's [agent] keys are its own
    return AgentConfig(kind=kind, params={k: v for k, v in params.items() if k in declared})


@st.composite
def senses(draw: st.DrawFn, n_features: int) -> agents.Senses | None:
    """No declaration, or each feature seen, felt or hidden at random."""
    if draw(st.booleans()):
        return None
    roles = draw(st.lists(st.sampled_from(["seen", "felt", "hidden"]), min_size=n_features,
                          max_size=n_features))
    return agents.Senses(np.array([r == "seen" for r in roles]), np.array([r == "felt" for r in roles]))


@st.composite
def genome_arrays(draw: st.DrawFn, cfg: AgentConfig, n_features: int) -> np.ndarray:
    """1..6 genomes; a hybrid's horizon gene also takes values below 0, above 1 and on rounding halves; a
    learner's learning-rate and curiosity genes values below 0 and above 1 too."""
    layout = agents.genome_layout(cfg.kind, n_features)
    length = agents.genome_length(cfg.kind, n_features)
    n = draw(st.integers(1, 6))
    g = np.array(draw(st.lists(st.lists(genes, min_size=length, max_size=length), min_size=n, max_size=n)))
    if "horizon_gene" in layout:
        h = max(cfg.params["horizon"], 1)
        special = [-0.5, 0.0, 1.0, 1.5] + [(i + 0.5) / h for i in range(h)] + [i / h for i in range(h + 1)]
        gene = st.one_of(st.sampled_from(special), st.floats(-0.5, 1.5))
        g[:, layout["horizon_gene"][0]] = draw(st.lists(gene, min_size=n, max_size=n))
    for part in ("alpha_gene", "curiosity_gene"):
        if part in layout:
            gene = st.one_of(st.sampled_from([-0.5, 0.0, 0.1, 0.5, 1.0, 1.5]), st.floats(-0.5, 1.5))
            g[:, layout[part][0]] = draw(st.lists(gene, min_size=n, max_size=n))
    return g


@st.composite
def objectives(draw: st.DrawFn, n_features: int) -> Payoffs:
    value = st.one_of(st.sampled_from([-1.0, 0.0, 0.5, 1.0]), st.floats(-2.0, 2.0))
    return Payoffs(np.array(draw(st.lists(value, min_size=n_features, max_size=n_features))),
                   np.array(draw(st.lists(st.booleans(), min_size=n_features, max_size=n_features))),
                   draw(st.one_of(st.sampled_from([0.0, 0.01, 0.1]), st.floats(0.0, 0.5))))


@st.composite
def cost_sets(draw: st.DrawFn, n_features: int) -> Costs:
    small = st.one_of(st.just(0.0), st.floats(0.0, 0.2))
    perception = draw(st.one_of(st.none(), st.lists(small, min_size=n_features, max_size=n_features)))
    return Costs(draw(small), None if perception is None else np.array(perception), draw(small))


# ------------------------------------------------------------------------------------------------------
# helpers


def assert_same(batch: worlds.WorldBatch, genomes: np.ndarray, cfg: AgentConfig, objective: Payoffs,
                costs: Costs, true_objective: Payoffs | None = None,
                sense: agents.Senses | None = None) -> None:
    """Batched and reference evaluation agree exactly on every output (a learner's learned values after
    every episode included)."""
    n_features = batch.obj_feat.shape[-1]
    policy = agents.decode(genomes, cfg, n_features, sense)
    masks = None if sense is None else ([bool(x) for x in sense.seen], [bool(x) for x in sense.felt])
    # decoding: the reference reads the genome layout itself
    assert ref.agents_from_policy(policy) == ref.agents_from_genomes(genomes, cfg, n_features, masks)
    want = ref.reference_episodes(batch.walls, batch.start, batch.obj_cell, batch.obj_feat, batch.height,
                                  batch.width, batch.steps,
                                  ref.agents_from_genomes(genomes, cfg, n_features, masks),
                                  objective, costs, true_objective, batch.spawn, masks)
    got = run_episodes(policy, batch, objective, costs, record_paths=True, true_objective=true_objective)
    assert_equal_episodes(got, want, policy, true_objective is not None, "compiled")


def assert_equal_episodes(got: Episodes, want: ref.ReferenceEpisodes, policy: agents.Policy, has_true: bool,
                          engine: str) -> None:
    assert got.paths is not None
    # paths first: the first diverging step says most about a disagreement
    np.testing.assert_array_equal(got.paths, want.paths, err_msg=f"paths ({engine})")
    np.testing.assert_array_equal(got.steps, want.steps, err_msg=f"steps ({engine})")
    np.testing.assert_array_equal(got.reached, want.reached, err_msg=f"reached ({engine})")
    np.testing.assert_array_equal(got.payoff, want.payoff, err_msg=f"payoff ({engine})")
    np.testing.assert_array_equal(got.cost, want.cost, err_msg=f"cost ({engine})")
    np.testing.assert_array_equal(got.fitness, want.fitness, err_msg=f"fitness ({engine})")
    if not has_true:
        assert got.true_payoff is None and got.true_fitness is None
    else:
        np.testing.assert_array_equal(got.true_payoff, want.true_payoff, err_msg=f"true_payoff ({engine})")
    if policy.life is None:
        assert got.learned is None
    else:
        np.testing.assert_array_equal(got.learned, want.learned, err_msg=f"learned values ({engine})")


def generate(cfg: WorldConfig, n_features: int, n: int, seed: int) -> worlds.WorldBatch:
    """:func:`evo.core.worlds.generate`, rejecting the example when it gives up as documented (dense, small
    grids can fail all its attempts); any other error fails the test."""
    try:
        return worlds.generate(cfg, FEATURES[:n_features], n, np.random.default_rng(seed))
    except EvoError as exc:
        if "could not draw a world" not in str(exc):
            raise
        reject()


def reference_worlds(batch: worlds.WorldBatch) -> list[ref.World]:
    return ref.worlds_from_arrays(batch.walls, batch.start, batch.obj_cell, batch.obj_feat, batch.height,
                                  batch.width, batch.spawn)


# ------------------------------------------------------------------------------------------------------
# tests


@settings(deadline=None, max_examples=300)
@given(batch=world_batches(), cfg=agent_configs(), data=st.data())
def test_batched_equals_reference_on_built_worlds(batch: worlds.WorldBatch, cfg: AgentConfig,
                                                  data: st.DataObject) -> None:
    n_features = batch.obj_feat.shape[-1]
    assert_same(batch, data.draw(genome_arrays(cfg, n_features)), cfg, data.draw(objectives(n_features)),
                data.draw(cost_sets(n_features)), data.draw(st.none() | objectives(n_features)),
                data.draw(senses(n_features)))


@settings(deadline=None, max_examples=300)
@given(lifetime=st.integers(1, 4), lives=st.integers(1, 2), data=st.data())
def test_learners_equal_reference_over_whole_lives(lifetime: int, lives: int, data: st.DataObject) -> None:
    """Learners living ``lives`` lives of ``lifetime`` episodes: payoffs, paths, objects reached, fitness
    and the learned values after every episode equal the reference's, which carries ``v`` and the consumed
    combinations from episode to episode in plain Python."""
    batch = data.draw(world_batches(lifetime * lives))
    n_features = batch.obj_feat.shape[-1]
    cfg = data.draw(agent_configs(("learner",), lifetime))
    assert_same(batch, data.draw(genome_arrays(cfg, n_features)), cfg, data.draw(objectives(n_features)),
                data.draw(cost_sets(n_features)), data.draw(st.none() | objectives(n_features)),
                data.draw(senses(n_features)))


@settings(deadline=None, max_examples=100)
@given(lifetime=st.integers(1, 3), data=st.data())
def test_a_grown_learner_starts_where_its_life_ended(lifetime: int, data: st.DataObject) -> None:
    """:meth:`Life.grown` (what the probe uses): agents that lived a life, then one more episode each in
    other worlds starting from the learned values and memory, equal the reference's agents built from the
    same values and memory."""
    batch = data.draw(world_batches(lifetime))
    n_features = batch.obj_feat.shape[-1]
    cfg = data.draw(agent_configs(("learner",), lifetime))
    sense = data.draw(senses(n_features))
    objective, costs = data.draw(objectives(n_features)), data.draw(cost_sets(n_features))
    policy = agents.decode(data.draw(genome_arrays(cfg, n_features)), cfg, n_features, sense)
    other = data.draw(world_batches(2, n_features))
    masks = None if sense is None else ([bool(x) for x in sense.seen], [bool(x) for x in sense.felt])
    lived = run_episodes(policy, batch, objective, costs)
    assert policy.life is not None and lived.life_state is not None and lived.learned is not None
    grown = policy.life.grown(policy, lived.life_state, 0)
    assert grown.lifetime == 1
    np.testing.assert_array_equal(grown.genes["v0"], lived.learned[:, -1])
    want = ref.reference_episodes(other.walls, other.start, other.obj_cell, other.obj_feat, other.height,
                                  other.width, other.steps, grown, objective, costs, None, other.spawn, masks)
    got = run_episodes(grown, other, objective, costs, record_paths=True)
    np.testing.assert_array_equal(got.paths, want.paths, err_msg="paths")
    np.testing.assert_array_equal(got.payoff, want.payoff, err_msg="payoff")
    np.testing.assert_array_equal(got.learned, want.learned, err_msg="learned")


@settings(deadline=None, max_examples=100)
@given(n_features=st.integers(2, 4), cfg=agent_configs(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_batched_equals_reference_on_generated_worlds(n_features: int, cfg: AgentConfig, seed: int,
                                                      data: st.DataObject) -> None:
    world_cfg = data.draw(world_configs(n_features))
    lifetime = data.draw(st.integers(1, 2)) if cfg.kind == "learner" else 1
    batch = generate(world_cfg, n_features, lifetime * data.draw(st.integers(1, 2)), seed)
    lived = replace(cfg, params={**cfg.params, "lifetime": lifetime}) if cfg.kind == "learner" else cfg
    assert_same(batch, data.draw(genome_arrays(cfg, n_features)), lived,
                data.draw(objectives(n_features)), data.draw(cost_sets(n_features)),
                data.draw(st.none() | objectives(n_features)), data.draw(senses(n_features)))


@settings(deadline=None, max_examples=150)
@given(batch=world_batches(), data=st.data())
def test_world_tables_equal_breadth_first_search(batch: worlds.WorldBatch, data: st.DataObject) -> None:
    """The tables of a built batch: moves, distances, first moves and grid distances equal plain
    breadth-first search's."""
    check_tables(batch)
    # the search on its own, with objects anywhere free, reachable from the start or not
    free = [np.flatnonzero(~batch.walls[b]).tolist() for b in range(batch.size)]
    k = data.draw(st.integers(1, min(len(f) for f in free)))
    cells = np.array([data.draw(st.lists(st.sampled_from(f), min_size=k, max_size=k, unique=True))
                      for f in free])
    dist, next_move = paths.search(batch.walls, cells, batch.height, batch.width, moves=True)
    for b, world in enumerate(reference_worlds(batch)):
        for j in range(k):
            want = ref.bfs_distances(world, int(cells[b, j]))
            assert dist[b, j].tolist() == want
            assert next_move[b, j].tolist() == [ref.next_move(world, want, c) for c in range(world.n_cells)]


def check_tables(batch: worlds.WorldBatch) -> None:
    for b, world in enumerate(reference_worlds(batch)):
        moves = [[world.move(cell, m) for m in range(5)] for cell in range(world.n_cells)]
        assert batch.neighbors[b].tolist() == moves
        for k, cell in enumerate(world.obj_cell):
            dist = ref.bfs_distances(world, cell)
            assert batch.dist[b, k].tolist() == dist
            every_cell = range(world.n_cells)
            assert batch.next_move[b, k].tolist() == [ref.next_move(world, dist, c) for c in every_cell]
            assert batch.manhattan[b, k].tolist() == [world.manhattan(c, cell) for c in every_cell]


@settings(deadline=None, max_examples=100)
@given(n_features=st.integers(2, 4), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_generated_worlds_are_solvable(n_features: int, seed: int, data: st.DataObject) -> None:
    world_cfg = data.draw(world_configs(n_features))
    batch = generate(world_cfg, n_features, 8, seed)
    check_solvable(batch)


def check_solvable(batch: worlds.WorldBatch) -> None:
    for world in reference_worlds(batch):
        assert not world.walls[world.start]
        assert len(set(world.obj_cell)) == len(world.obj_cell)
        assert world.start not in world.obj_cell
        from_start = ref.bfs_distances(world, world.start)
        for cell in world.obj_cell:
            assert from_start[cell] < world.unreachable


def test_generate_redraws_grids_that_are_all_wall() -> None:
    """On a 4×4 grid at density 0.6 all four interior cells are walls in 13% of draws; such a draw has no
    start cell and must be redrawn, not crash."""
    cfg = WorldConfig(size=(4, 4), wall_density=0.6, objects=(ObjectGroup(count=1, features={"a": 1.0}),))
    check_solvable(worlds.generate(cfg, FEATURES[:2], 100, np.random.default_rng(0)))


@pytest.mark.parametrize("kind", agents.KINDS)
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_batched_equals_reference_on_scenarios(path: Path, kind: str) -> None:
    """Every bundled scenario's training and shift distributions, with every agent kind."""
    s = scenario.load(path)
    # a learner lives the 4 worlds as 2 lives
    cfg = replace(s.agent, kind=kind, params={**s.agent.params, "lifetime": 2})
    sense = agents.Senses.of(s.features, s.scenario.felt, s.scenario.hidden)
    objective = Payoffs.from_mapping(s.features, s.base_objective.payoff, s.base_objective.terminal,
                                     s.base_objective.step_cost)
    costs = Costs(0.01, np.array([s.agent.perception_cost.get(f, 0.0) for f in s.features]), 0.02)
    t = s.true_objective
    true_objective = (None if t is None else
                      Payoffs.from_mapping(s.features, t.payoff, t.terminal, t.step_cost))
    rng = np.random.default_rng(1234)
    for world_cfg in (s.worlds.train, *s.worlds.shift.values()):
        batch = worlds.generate(world_cfg, s.features, 4, rng)
        genomes = agents.initial_genomes(cfg, len(s.features), 24, rng)
        assert_same(batch, genomes, cfg, objective, costs, true_objective, sense)


def _tabulated(path: Path) -> bool:
    """Whether a train batch of this scenario is small enough to tabulate every set of remaining objects
    (2^objects rows; the evaluator falls back to the proximity table above its own limit)."""
    s = scenario.load(path)
    return 2 ** worlds.generate(s.worlds.train, s.features, 1, np.random.default_rng(0)).n_objects <= 4096


# every scenario from the proximity table; the tabulated path only where every remaining set fits
REFLEX_CASES = [pytest.param(p, t, id=f"{p.stem}-{'tabulated' if t else 'from-proximity'}")
                for p in SCENARIOS for t in (True, False) if not t or _tabulated(p)]


@pytest.mark.parametrize("kind", ["reflex", "hybrid"])
@pytest.mark.parametrize(("path", "table"), REFLEX_CASES)
def test_reflexes_equal_reference_with_and_without_their_tables(path: Path, kind: str, table: bool,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A reflex step keeps what it smells per remaining set and world (evo.core.agents.reflex ``smell``):
    scent tables for every remaining set met, or for one set per world only (the others computed at each
    step): both ways equal the reference."""
    monkeypatch.setattr(reflex, "SCENT_SETS", 64 if table else 1)
    s = scenario.load(path)
    cfg = replace(s.agent, kind=kind)
    sense = agents.Senses.of(s.features, s.scenario.felt, s.scenario.hidden)
    objective = Payoffs.from_mapping(s.features, s.base_objective.payoff, s.base_objective.terminal,
                                     s.base_objective.step_cost)
    rng = np.random.default_rng(4321)
    batch = worlds.generate(s.worlds.train, s.features, 3, rng)
    assert not table or 2**batch.n_objects <= 4096
    genomes = agents.initial_genomes(cfg, len(s.features), 16, rng)
    assert_same(batch, genomes, cfg, objective, Costs(), None, sense)


@pytest.mark.parametrize(("kind", "part", "horizon_gene"),
                         [("mesa", "w", None), ("hybrid", "w", 1.0), ("reflex", "theta_adj", None),
                          ("reflex", "theta_scent", None), ("hybrid", "theta_adj", 0.0)])
@pytest.mark.parametrize(("weights", "positive"), [((0.6, -0.7, 0.1), True), ((0.1, 0.6, -0.7), False)])
def test_sums_run_in_feature_order(kind: str, part: str, horizon_gene: float | None,
                                   weights: tuple[float, ...], positive: bool) -> None:
    """One object, with every feature, one step east of the start; the agent's only nonzero genes are
    ``weights`` on that part. Summed in feature order they give 2.8e-17 (> 0: the agent steps onto the
    object) or exactly 0 (it does not); summed in reverse the outcomes swap."""
    batch = worlds.build_batch(np.zeros((1, 9), dtype=bool), np.array([4]), np.array([[5]]),
                               np.ones((1, 1, 3)), 3, 3, 3)
    layout = agents.genome_layout(kind, 3)
    genome = np.zeros((1, agents.genome_length(kind, 3)))
    a, b = layout[part]
    genome[0, a:b] = weights
    if horizon_gene is not None:
        genome[0, layout["horizon_gene"][0]] = horizon_gene
    cfg = AgentConfig(kind=kind, params=dict(horizon=2, discount=1.0, view_radius=1))
    objective = Payoffs(np.array([1.0, 0.0, 0.0]), np.zeros(3, dtype=bool), 0.0)
    assert_same(batch, genome, cfg, objective, Costs())
    episodes = run_episodes(agents.decode(genome, cfg, 3), batch, objective, Costs())
    assert bool(episodes.reached[0, 0, 0]) is positive


@pytest.mark.parametrize("kind", ["reflex", "hybrid"])
def test_reflexes_smell_spawned_objects(kind: str) -> None:
    """Tipped bins spill trash next to them (goodhart_cleaning): 300 random reflex agents in 4 worlds
    meet the same cells with and without the spilled trash, so a step that smelled the wrong remaining set
    (the compiled engine keeps what it smells per remaining set and world) would move differently."""
    s = scenario.load(Path(__file__).parents[2] / "scenarios" / "goodhart_cleaning.toml")
    cfg = replace(s.agent, kind=kind, params={**s.agent.params, "horizon": 1})
    sense = agents.Senses.of(s.features, s.scenario.felt, s.scenario.hidden)
    objective = Payoffs.from_mapping(s.features, s.base_objective.payoff, s.base_objective.terminal,
                                     s.base_objective.step_cost)
    rng = np.random.default_rng(77)
    batch = worlds.generate(s.worlds.train, s.features, 4, rng)
    assert (batch.spawn >= 0).any()
    genomes = agents.initial_genomes(cfg, len(s.features), 300, rng)
    assert_same(batch, genomes, cfg, objective, Costs(), None, sense)
