"""Worlds drawn from per-world keyed streams (:mod:`evo.core.worlds`): a batch of n worlds equals its
members drawn one at a time from their keys; every world equals the independent per-world procedure of
``tests/core/world_reference.py`` (its own SplitMix64, its own search) and satisfies the procedure's
invariants, over every shipped scenario and random distributions (random grids from empty to dense, fixed
layouts with zones, variant groups, spawned objects); a distribution with no fitting world gives the one
"could not draw a world" error; the same key gives the same worlds on any thread count and call after
call; and the keyed stream's bounded integers are uniform."""

from __future__ import annotations

import os
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evo.config.schema import ObjectGroup, Variant, WorldConfig
from evo.core import worlds
from evo.core.worlds import keyed, paths
from evo.errors import EvoError
from evo.runs import scenarios as scenario

try:  # tests/ as a plain directory, which pytest puts on sys.path
    import world_reference as ref
except ImportError:  # tests/ as a package
    from tests.core import world_reference as ref

SCENARIOS = sorted((Path(__file__).parents[2] / "scenarios").glob("*.toml"))
assert SCENARIOS, "no shipped scenarios found"
FEATURES = ("a", "b", "c", "d")
FIELDS = ("walls", "start", "obj_cell", "obj_feat", "neighbors", "dist", "next_move", "manhattan", "obj_at",
          "spawn")
KEYS = st.integers(0, 2**64 - 1)


@st.composite
def groups(draw: st.DrawFn, room: int, zones: str = "") -> tuple[ObjectGroup, ...]:
    """Object groups needing at most ``room`` cells (spawned objects included); with ``zones``, some
    groups are placed in one of those zone letters."""
    out: list[ObjectGroup] = []
    need = 0
    for _ in range(draw(st.integers(1, 3))):
        count = draw(st.integers(1, 4))
        spawns: tuple[str, ...] = ()
        if draw(st.booleans()):
            spawns = tuple(draw(st.lists(st.sampled_from(FEATURES), unique=True, min_size=1, max_size=2)))
        cost = count * (2 if spawns else 1)
        if need + cost > room:
            break
        need += cost
        zone = draw(st.sampled_from(["", *zones])) if zones else ""
        if draw(st.booleans()):
            feats = draw(st.dictionaries(st.sampled_from(FEATURES), st.sampled_from([0.0, 0.3, 0.5, 1.0]),
                                         max_size=4))
            out.append(ObjectGroup(count=count, features=feats, spawns=spawns, zone=zone))
        else:
            n = draw(st.integers(1, 3))
            ps = draw(st.lists(st.sampled_from([0.2, 0.5, 1.0, 3.0]), min_size=n, max_size=n))
            sets = draw(st.lists(st.lists(st.sampled_from(FEATURES), unique=True, max_size=3),
                                 min_size=n, max_size=n))
            out.append(ObjectGroup(count=count, spawns=spawns, zone=zone,
                                   variants=tuple(Variant(p=p / sum(ps), features=tuple(f))
                                                  for p, f in zip(ps, sets, strict=True))))
    return tuple(out) or (ObjectGroup(count=1, features={"a": 1.0}),)


@st.composite
def random_grids(draw: st.DrawFn) -> WorldConfig:
    height, width = draw(st.integers(3, 12)), draw(st.integers(3, 12))
    room = (height - 2) * (width - 2) - 1
    return WorldConfig(size=(height, width), steps=draw(st.integers(1, 20)),
                       wall_density=draw(st.sampled_from([0.0, 0.05, 0.2, 0.35, 0.5, 0.6])),
                       objects=draw(groups(max(room, 1))))


@st.composite
def fixed_layouts(draw: st.DrawFn) -> WorldConfig:
    """A random layout (walls, zone letters, one start), its objects fitting the cells the start reaches."""
    height, width = draw(st.integers(3, 9)), draw(st.integers(3, 9))
    letters = string.ascii_lowercase[:draw(st.integers(0, 2))]
    cells = draw(st.lists(st.sampled_from(["#", ".", ".", ".", *letters]), min_size=height * width,
                          max_size=height * width))
    cells[draw(st.integers(0, height * width - 1))] = "S"
    layout = tuple("".join(cells[r * width:(r + 1) * width]) for r in range(height))
    reach = worlds.reachable_cells(layout)
    zone_reach = worlds.reachable_zone_cells(layout)
    objects = draw(groups(reach, "".join(z for z in letters if zone_reach.get(z, 0) > 0)))
    for z in letters:  # keep the zones' objects within the zones' reachable cells (the validator's rule)
        while sum(g.count for g in objects if g.zone == z) > zone_reach.get(z, 0):
            objects = tuple(g for g in objects if g.zone != z) or (ObjectGroup(count=1, features={"a": 1.0}),)
    return WorldConfig(layout=layout, steps=draw(st.integers(1, 20)), objects=objects)


def equal(got: worlds.WorldBatch, want: worlds.WorldBatch) -> None:
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert (got.height, got.width, got.steps) == (want.height, want.width, want.steps)


def assert_draws(cfg: WorldConfig, features: tuple[str, ...], key: int, n: int) -> None:
    """The batch of worlds 0 … n − 1 of ``key``: equal to each world drawn alone from its key, to the
    reference procedure, and within the invariants; or, when the reference finds no fitting world, the
    batch and every lone world that the reference cannot draw fail with the one error."""
    try:
        want = ref.draw(cfg, features, key, range(n))
    except EvoError as exc:
        assert "could not draw a world" in str(exc)
        with pytest.raises(EvoError, match="could not draw a world"):
            worlds.from_key(cfg, features, key, np.arange(n))
        return
    got = worlds.from_key(cfg, features, key, np.arange(n))
    equal(got, want)
    ref.check_invariants(cfg, features, got)
    for i in range(n):
        equal(worlds.from_key(cfg, features, key, [i]), got.subset([i]))
    backwards = worlds.from_key(cfg, features, key, np.arange(n)[::-1])  # any order, any subset
    equal(backwards, got.subset(np.arange(n)[::-1]))


@settings(deadline=None, max_examples=150)
@given(cfg=random_grids(), n=st.integers(1, 12), key=KEYS)
def test_random_grids_are_their_worlds_drawn_alone(cfg: WorldConfig, n: int, key: int) -> None:
    assert_draws(cfg, FEATURES, key, n)


@settings(deadline=None, max_examples=100)
@given(cfg=fixed_layouts(), n=st.integers(1, 8), key=KEYS)
def test_fixed_layouts_are_their_worlds_drawn_alone(cfg: WorldConfig, n: int, key: int) -> None:
    assert_draws(cfg, FEATURES, key, n)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_distributions_are_their_worlds_drawn_alone(path: Path) -> None:
    s = scenario.load(path)
    for cfg in (s.worlds.train, *s.worlds.shift.values()):
        assert_draws(cfg, s.features, 0x5EED_0000_0000_0001 + len(path.stem), 24)


@pytest.mark.parametrize("cfg", [
    WorldConfig(size=(3, 3), steps=5, objects=(ObjectGroup(count=2),)),  # one inner cell
    WorldConfig(size=(6, 6), wall_density=1.0, steps=5, objects=(ObjectGroup(count=1),)),
    WorldConfig(layout=("#####", "#S.a#", "#####"), steps=5,
                objects=(ObjectGroup(count=2, zone="a"),)),  # one cell of zone a
    WorldConfig(layout=("#####", "#S..#", "#####"), steps=5, objects=(ObjectGroup(count=1, spawns=("a",)),
                                                                     ObjectGroup(count=2))),
], ids=["no room", "all walls", "small zone", "no room to spill"])
def test_a_distribution_with_no_fitting_world_is_one_error(cfg: WorldConfig) -> None:
    with pytest.raises(EvoError, match=r"^could not draw a world with .* in 200 attempts"):
        worlds.generate(cfg, FEATURES, 3, np.random.default_rng(0))
    with pytest.raises(EvoError, match="could not draw a world"):
        ref.draw(cfg, FEATURES, 1, range(3))


def test_a_dense_grid_draws_many_attempts() -> None:
    """A dense grid where most attempts fail: every world still equals the reference's."""
    cfg = WorldConfig(size=(9, 5), wall_density=0.6, steps=14, objects=(
        ObjectGroup(count=4, variants=(Variant(p=1 / 3, features=("a", "b")), Variant(p=1 / 3, features=()),
                                       Variant(p=1 / 3, features=()))),
        ObjectGroup(count=1),
        ObjectGroup(count=3, variants=(Variant(p=1.0, features=()),), spawns=("a",))))
    assert_draws(cfg, FEATURES, 242, 17)


def test_generate_takes_one_raw_output_as_its_key() -> None:
    """generate is worlds 0 … n − 1 of the next raw output of the caller's bit generator, and uses nothing
    else of the caller's stream."""
    s = scenario.load(SCENARIOS[0])
    rng, twin = np.random.default_rng(11), np.random.default_rng(11)
    got = worlds.generate(s.worlds.train, s.features, 5, rng)
    key = int(twin.bit_generator.random_raw())
    equal(got, worlds.from_key(s.worlds.train, s.features, key, range(5)))
    assert rng.bit_generator.state == twin.bit_generator.state


_THREADS = """
import hashlib, sys
import numpy as np
from evo.core import worlds
from evo.runs import scenarios
digest = hashlib.sha256()
for path in sys.argv[1:]:
    s = scenarios.load(path)
    for cfg in (s.worlds.train, *s.worlds.shift.values()):
        for _ in range(2):  # call after call
            b = worlds.generate(cfg, s.features, 16, np.random.default_rng(3))
            for name in ("walls", "start", "obj_cell", "obj_feat", "dist", "next_move"):
                digest.update(np.ascontiguousarray(getattr(b, name)).tobytes())
print(digest.hexdigest())
"""


def test_the_same_key_gives_the_same_worlds_on_any_thread_count() -> None:
    names = [str(p) for p in SCENARIOS if p.stem in ("red_door", "goodhart_cleaning", "sweet_tooth_learned")]
    out = {}
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        done = subprocess.run([sys.executable, "-c", _THREADS, *names], env=env, capture_output=True,
                              text=True, check=True)
        out[threads] = done.stdout.strip()
    assert len(out["1"]) == 64 and out["1"] == out["2"]
    s = scenario.load(SCENARIOS[0])
    a, b = (worlds.generate(s.worlds.train, s.features, 8, np.random.default_rng(3)) for _ in range(2))
    equal(a, b)


def test_the_keyed_stream_is_reference_splitmix64() -> None:
    """evo's numba stream and the reference's Python one: the same outputs, doubles and bounded integers."""
    state = np.empty(1, dtype=np.uint64)
    for key, i in [(0, 0), (1, 0), (0, 1), (2**64 - 1, 2**40), (0x123456789, 7)]:
        keyed.seed(np.uint64(key), np.uint64(i), state)
        mine = ref.Stream(key, i)
        for n in (1, 2, 3, 7, 100, 4096, 2**31 + 1, 2**32 - 1):
            assert keyed.bounded(state, n) == mine.bounded(n)
            assert keyed.uniform(state) == mine.uniform()


def test_bounded_integers_are_uniform() -> None:
    """Chi-square of 10⁵ draws in [0, n) for a few n (seeded, so derandomized): below the 0.1 % critical
    value of its degrees of freedom (the bound at n − 1 = 6: 22.46; 36: 67.99; 99: 148.2)."""
    critical = {7: 22.46, 37: 67.99, 100: 148.2}
    state = np.empty(1, dtype=np.uint64)
    for n, limit in critical.items():
        keyed.seed(np.uint64(20260101), np.uint64(n), state)
        counts = np.bincount([keyed.bounded(state, n) for _ in range(100_000)], minlength=n)
        assert counts.size == n
        expected = 100_000 / n
        assert ((counts - expected) ** 2 / expected).sum() < limit, n


def test_a_sample_without_replacement_is_uniform_over_ordered_picks() -> None:
    """2 of 4 in order: the 12 ordered pairs equally often (chi-square, 11 degrees of freedom, 0.1 %:
    31.26), never one item twice."""
    state = np.empty(1, dtype=np.uint64)
    keyed.seed(np.uint64(99), np.uint64(0), state)
    counts: dict[tuple[int, int], int] = {}
    pool = np.arange(4, dtype=np.int64)
    for _ in range(60_000):
        keyed.sample(state, pool, 4, 2)
        pair = (int(pool[0]), int(pool[1]))
        assert pair[0] != pair[1]
        counts[pair] = counts.get(pair, 0) + 1
    assert len(counts) == 12
    expected = 60_000 / 12
    assert sum((c - expected) ** 2 / expected for c in counts.values()) < 31.26


@settings(deadline=None, max_examples=200)
@given(h=st.integers(1, 7), w=st.integers(1, 7), b=st.integers(1, 3), s=st.integers(1, 3), data=st.data())
def test_the_search_equals_the_references(h: int, w: int, b: int, s: int, data: st.DataObject) -> None:
    """The move table and the one breadth-first search (distances, first moves, reach) against the
    reference's relaxation, on any grid, sources on walls included (they reach nothing)."""
    cells = b * h * w
    walls = np.array(data.draw(st.lists(st.booleans(), min_size=cells, max_size=cells))).reshape(b, h * w)
    sources = np.array(data.draw(st.lists(st.integers(0, h * w - 1), min_size=b * s, max_size=b * s)),
                       dtype=np.int64).reshape(b, s)
    nb = ref.neighbors(walls, h, w)
    np.testing.assert_array_equal(paths.neighbors(walls, h, w), nb)
    dist, first = paths.search(walls, sources, h, w, moves=True)
    want_dist, want_first = ref.shortest_paths(nb, walls, sources)
    np.testing.assert_array_equal(dist, want_dist)
    np.testing.assert_array_equal(first, want_first)
    np.testing.assert_array_equal(paths.reach(walls, sources[:, 0], h, w), want_dist[:, 0] <= h * w)
    np.testing.assert_array_equal(worlds.distances_from(walls, sources[:, 0], h, w),
                                  np.where(want_dist[:, 0] > h * w, -1, want_dist[:, 0]))
