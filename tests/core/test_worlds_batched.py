"""The batched world generator (:func:`evo.core.worlds.generate`) against the per-world generator it
replaced (``tests/core/world_reference.py``, the code of revision 4579b6d): over random world distributions —
random grids from empty to dense, fixed layouts with zones, variants, spawned objects — the same worlds,
the same tables, bit for bit, and the random stream left in the same state (the same draws in the same
order). Also with a high half waiting in the stream, with other bit generators (the exact per-world path),
and with the exact path forced on random worlds (as when numpy rejects a bounded draw). Every comparison
runs on both engines: the numpy engine's rounds (whole batches laid out on the stream) and the compiled
engine's kernel (the per-world procedure, world after world, on the raw stream)."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evo.config.schema import ObjectGroup, Variant, WorldConfig
from evo.core import choice, kernels, worlds
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


def assert_same(cfg: WorldConfig, n: int, make: object, prime: bool = False,
                engines: tuple[str, ...] = choice.ENGINES) -> None:
    """generate on each of ``engines`` and the reference, each from its own copy of the same stream, give
    equal batches (values, shapes and dtypes) and leave the streams in the same state; both fail alike if
    either fails."""
    for engine in engines:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(choice.ENV, engine)
            _assert_same(cfg, n, make, prime)


def _assert_same(cfg: WorldConfig, n: int, make: object, prime: bool) -> None:
    rngs = [make(), make()]  # type: ignore[operator]
    if prime:  # a 32-bit draw first: a high half waits in the state
        for r in rngs:
            r.integers(0, 7)
    try:
        want = ref.generate(cfg, FEATURES, n, rngs[0])
    except EvoError as exc:
        with pytest.raises(EvoError, match="could not draw a world"):
            worlds.generate(cfg, FEATURES, n, rngs[1])
        assert "could not draw a world" in str(exc)
        return
    got = worlds.generate(cfg, FEATURES, n, rngs[1])
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert (got.height, got.width, got.steps) == (want.height, want.width, want.steps)
    assert same_state(rngs[1].bit_generator.state, rngs[0].bit_generator.state)
    assert rngs[1].random() == rngs[0].random()


def same_state(a: object, b: object) -> bool:
    """Bit generator states equal (dicts of ints, strings and, for MT19937, arrays)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))  # type: ignore[arg-type]
    return a == b


@settings(deadline=None, max_examples=150)
@given(cfg=random_grids(), n=st.integers(1, 24), seed=st.integers(0, 2**32 - 1), prime=st.booleans())
def test_random_grids_equal_the_per_world_generator(cfg: WorldConfig, n: int, seed: int, prime: bool) -> None:
    assert_same(cfg, n, lambda: np.random.default_rng(seed), prime)


@settings(deadline=None, max_examples=100)
@given(cfg=fixed_layouts(), n=st.integers(1, 12), seed=st.integers(0, 2**32 - 1), prime=st.booleans())
def test_fixed_layouts_equal_the_per_world_generator(cfg: WorldConfig, n: int, seed: int,
                                                      prime: bool) -> None:
    assert_same(cfg, n, lambda: np.random.default_rng(seed), prime)


@settings(deadline=None, max_examples=30)
@given(cfg=st.one_of(random_grids(), fixed_layouts()), n=st.integers(1, 8), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from([np.random.MT19937, np.random.Philox, np.random.SFC64]))
def test_other_bit_generators_take_the_exact_path(cfg: WorldConfig, n: int, seed: int, kind: type) -> None:
    assert_same(cfg, n, lambda: np.random.Generator(kind(seed)))


@settings(deadline=None, max_examples=60)
@given(cfg=st.one_of(random_grids(), fixed_layouts()), n=st.integers(1, 16), seed=st.integers(0, 2**32 - 1),
       odds=st.sampled_from([0.02, 0.2, 0.7]))
def test_forced_exact_worlds_keep_the_stream(cfg: WorldConfig, n: int, seed: int, odds: float) -> None:
    """Pretend numpy rejected bounded draws at random: those worlds are drawn on the exact path, from the
    stream's true position, and every world after them still equals the reference."""
    lemire = worlds._lemire
    flip = np.random.default_rng(seed ^ 0x5EED)

    def rejecting(u: np.ndarray, bound: object) -> tuple[np.ndarray, np.ndarray]:
        val, rejected = lemire(u, bound)  # type: ignore[arg-type]
        return val, rejected | (flip.random(rejected.shape) < odds)

    with pytest.MonkeyPatch.context() as m:  # the rounds' Lemire draws: only the numpy engine has them
        m.setattr(worlds, "_lemire", rejecting)
        assert_same(cfg, n, lambda: np.random.default_rng(seed), engines=("numpy",))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_distributions_equal_the_per_world_generator(path: Path) -> None:
    s = scenario.load(path)
    for engine in choice.ENGINES:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(choice.ENV, engine)
            for cfg in (s.worlds.train, *s.worlds.shift.values()):
                rngs = [np.random.default_rng(3), np.random.default_rng(3)]
                for n in (1, 16, 40):
                    want = ref.generate(cfg, s.features, n, rngs[0])
                    got = worlds.generate(cfg, s.features, n, rngs[1])
                    for name in FIELDS:
                        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
                    assert rngs[1].bit_generator.state == rngs[0].bit_generator.state


def test_sampling_equals_numpy_choice() -> None:
    """The batched Floyd's sampling and shuffle against Generator.choice(pop, m, replace=False) itself."""
    for pop, m in [(1, 1), (2, 2), (5, 1), (5, 5), (40, 7), (4096, 33), (300, 40)]:
        for seed in range(20):
            rng = np.random.default_rng(seed)
            bg = np.random.PCG64()
            bg.state = rng.bit_generator.state
            raw = bg.random_raw(m)
            u = np.stack([raw & np.uint64(0xFFFFFFFF), raw >> np.uint64(32)], axis=1).reshape(1, -1)
            draws = worlds._floyd_draws(pop, m) + m - 1
            idx, rejected = worlds._sample(u[:, :draws], pop, m, pop)
            assert not rejected.any()
            assert idx[0].tolist() == rng.choice(pop, size=m, replace=False).tolist()


def test_a_dense_grid_whose_worlds_all_take_the_exact_path() -> None:
    """Found by hypothesis: every world needs ~100 attempts and then the exact path (a spill with one
    free cell near it); a world after them in the window is at a speculative position until they are
    drawn, so running out of attempts there must not raise (the reference draws all 17 worlds)."""
    cfg = WorldConfig(size=(9, 5), wall_density=0.6, steps=14, objects=(
        ObjectGroup(count=4, variants=(Variant(p=1 / 3, features=("a", "b")), Variant(p=1 / 3, features=()),
                                       Variant(p=1 / 3, features=()))),
        ObjectGroup(count=1),
        ObjectGroup(count=3, variants=(Variant(p=1.0, features=()),), spawns=("a",))))
    assert_same(cfg, 17, lambda: np.random.default_rng(242))


@pytest.mark.parametrize("layout", [False, True], ids=["random walls", "fixed layout"])
def test_the_compiled_engine_draws_in_its_kernel(layout: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked for the compiled engine, a PCG64 batch is drawn by the kernel (so the comparisons above test
    it, and do not quietly fall back to the rounds), and reading more of the stream when the first read
    runs out (a dense grid: many failed attempts) still gives the reference's worlds."""
    calls: list[int] = []
    kernel = kernels.draw_worlds
    monkeypatch.setattr(kernels, "draw_worlds", lambda *a: (calls.append(1), kernel(*a))[1])
    monkeypatch.setattr(worlds, "_round", None)  # the numpy engine's path would fail here
    monkeypatch.setenv(choice.ENV, "compiled")
    if layout:
        cfg = WorldConfig(layout=("#####", "#S.a#", "#.#.#", "#..a#", "#####"), steps=9,
                          objects=(ObjectGroup(count=2, zone="a", features={"a": 1.0}),
                                   ObjectGroup(count=1, spawns=("b",))))
    else:
        cfg = WorldConfig(size=(8, 8), wall_density=0.55, steps=9,
                          objects=(ObjectGroup(count=3, features={"a": 0.5}, spawns=("b",)),))
    _assert_same(cfg, 12, lambda: np.random.default_rng(5), False)
    assert len(calls) >= (1 if layout else 2)  # random walls: the first read ran out at least once
