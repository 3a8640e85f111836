"""The one reader of object groups (evo/core/objects.py): object types and their shares, co-occurrence, the
proxy/target pair, decorrelation and decoy rate, each checked against a brute-force enumeration of every
feature set a group can draw; the two edge cases (the empty set, the enumeration cap); agreement with what
evo/core/worlds.py actually draws."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evo.config.schema import AgentConfig, ObjectGroup, Variant, WorldConfig
from evo.core import objects, worlds
from evo.core.traits import TraitSpec
from evo.runs import scenarios as scenario_mod
from evo.sweeps import studies

FEATS = ("a", "b", "c", "d", "e")


# ------------------------------------------------------------------------------------------------------
# brute force: every presence pattern of every listed feature, nothing skipped


def brute_group(g: ObjectGroup) -> dict[frozenset[str], float]:
    """{feature set: probability} of one drawn object of ``g``, by enumerating all 2^n patterns of all its
    listed features (p = 0 and p = 1 included) or every variant."""
    out: dict[frozenset[str], float] = {}
    possible: set[frozenset[str]] = set()  # every factor positive (a product may underflow to 0)
    if g.variants:
        total = sum(v.p for v in g.variants)
        for v in g.variants:
            key = frozenset(v.features)
            out[key] = out.get(key, 0.0) + v.p / total
            if v.p > 0:
                possible.add(key)
    else:
        names = list(g.features)
        for present in itertools.product((False, True), repeat=len(names)):
            pairs = list(zip(names, present, strict=True))
            factors = [g.features[f] if on else 1.0 - g.features[f] for f, on in pairs]
            key = frozenset(f for f, on in pairs if on)
            out[key] = out.get(key, 0.0) + math.prod(factors)
            if min(factors) > 0:
                possible.add(key)
    return {k: p for k, p in out.items() if k in possible}


def brute_expected(cfg: WorldConfig) -> dict[frozenset[str], float]:
    """{feature set: expected objects per world}, hidden spawned objects included."""
    out: dict[frozenset[str], float] = {}
    for g in cfg.objects:
        for key, p in brute_group(g).items():
            out[key] = out.get(key, 0.0) + g.count * p
        if g.spawns:
            out[frozenset(g.spawns)] = out.get(frozenset(g.spawns), 0.0) + g.count
    return out


def brute_rate(cfg: WorldConfig, condition, event) -> float:  # type: ignore[no-untyped-def]
    exp = brute_expected(cfg)
    den = sum(e for k, e in exp.items() if condition(k))
    num = sum(e for k, e in exp.items() if condition(k) and event(k))
    return num / den if den > 0 else math.nan


def same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-12)


# ------------------------------------------------------------------------------------------------------
# strategies: small groups, every kind of probability (0, 1, ½ and arbitrary), empty variants, spawns

# no subnormal probabilities: the brute-force expectations below multiply them and underflow to 0, where the
# closed forms stay defined (a target object of probability 5e-324 still lacks or has the proxy)
probability = st.one_of(st.sampled_from([0.0, 1.0, 0.5, 0.25, 0.9]), st.floats(1e-6, 1.0))
subset = st.lists(st.sampled_from(FEATS), unique=True, max_size=3).map(tuple)


@st.composite
def groups(draw: st.DrawFn) -> ObjectGroup:
    count = draw(st.integers(1, 3))
    spawns = draw(st.one_of(st.just(()), subset))
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(FEATS), unique=True, min_size=1, max_size=5))
        return ObjectGroup(count=count, features={f: draw(probability) for f in names}, spawns=spawns)
    sets = draw(st.lists(subset, min_size=1, max_size=4))
    weight = st.one_of(st.just(0.0), st.floats(1e-6, 1.0))
    weights = draw(st.lists(weight, min_size=len(sets), max_size=len(sets)))
    if sum(weights) == 0:
        weights[0] = 1.0
    total = sum(weights)
    variants = tuple(Variant(p=w / total, features=s) for w, s in zip(weights, sets, strict=True))
    return ObjectGroup(count=count, variants=variants, spawns=spawns)


distributions = st.lists(groups(), min_size=1, max_size=3).map(lambda gs: WorldConfig(objects=tuple(gs)))


# ------------------------------------------------------------------------------------------------------
# object types


@settings(max_examples=200, deadline=None)
@given(distributions)
def test_object_types_are_every_possible_set_with_its_share(cfg: WorldConfig) -> None:
    types = objects.object_types(cfg, FEATS)
    exp = brute_expected(cfg)
    n_objects = sum(g.count * (2 if g.spawns else 1) for g in cfg.objects)
    assert types.complete
    assert len(types.sets()) == len(set(types.sets()))  # distinct
    assert set(types.sets()) == set(exp)  # the empty set included whenever it can be drawn
    for key, share, expected in zip(types.sets(), types.share, types.expected, strict=True):
        assert expected == pytest.approx(exp[key], abs=1e-12)
        assert share == pytest.approx(exp[key] / n_objects, abs=1e-12)
        assert 0.0 <= share <= 1.0  # 0 only by underflow (a product of tiny probabilities)
    assert types.share.sum() == pytest.approx(1.0)
    assert set(np.unique(types.rows)) <= {0.0, 1.0}


@settings(max_examples=200, deadline=None)
@given(distributions, st.sampled_from(FEATS), st.lists(st.sampled_from(FEATS), unique=True, max_size=3))
def test_co_occurrence_decorrelation_and_decoy_rate_match_brute_force(
        cfg: WorldConfig, proxy: str, paid: list[str]) -> None:
    exp = brute_expected(cfg)
    got = objects.co_occurrence(cfg, FEATS)
    for (i, f), (j, g) in itertools.product(enumerate(FEATS), repeat=2):
        assert got[i, j] == pytest.approx(sum(e for k, e in exp.items() if f in k and g in k), abs=1e-12)
    target = lambda k: bool(set(paid) & k)  # noqa: E731
    q = objects.decorrelation(cfg, paid, proxy)
    d = objects.decoy_rate(cfg, paid, proxy)
    assert same(q, brute_rate(cfg, target, lambda k: proxy not in k))
    assert same(d, brute_rate(cfg, lambda k: not target(k), lambda k: proxy in k))
    for rate in (q, d):
        assert math.isnan(rate) or 0.0 <= rate <= 1.0


@settings(max_examples=200, deadline=None)
@given(distributions, st.lists(st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0]), min_size=5, max_size=5))
def test_proxy_target_is_the_unpaid_feature_most_often_with_the_target(cfg: WorldConfig, pay: list[float]
                                                                        ) -> None:
    payoff = np.array(pay)
    target = int(np.argmax(payoff))
    exp = brute_expected(cfg)
    score = np.array([0.0 if payoff[i] > 0 or i == target else
                      sum(e for k, e in exp.items() if f in k and FEATS[target] in k)
                      for i, f in enumerate(FEATS)])
    got = objects.proxy_target(cfg, FEATS, payoff)
    if score.max() == 0:
        assert got is None
    else:
        assert got is not None and got[1] == target
        assert score[got[0]] == pytest.approx(score.max(), abs=1e-12)
        assert payoff[got[0]] <= 0 and got[0] != target


def test_types_follow_the_documented_order() -> None:
    cfg = WorldConfig(objects=(
        ObjectGroup(count=1, variants=(Variant(p=0.5, features=("c",)), Variant(p=0.5, features=("a", "b")))),
        # optional a then b: patterns (−,−), (−,b), (a,−), (a,b), all with the always-present d
        ObjectGroup(count=2, features={"a": 0.5, "d": 1.0, "b": 0.5, "e": 0.0}, spawns=("e",)),
        ObjectGroup(count=1, features={"c": 1.0}),  # met before: keeps its first place
    ))
    types = objects.object_types(cfg, FEATS)
    assert types.sets() == [frozenset("c"), frozenset("ab"), frozenset("d"), frozenset("bd"), frozenset("ad"),
                            frozenset("abd"), frozenset("e")]
    assert types.expected.tolist() == pytest.approx([1.5, 0.5, 0.5, 0.5, 0.5, 0.5, 2.0])
    assert types.share.tolist() == pytest.approx([x / 6 for x in (1.5, 0.5, 0.5, 0.5, 0.5, 0.5, 2.0)])


# ------------------------------------------------------------------------------------------------------
# decision 1: the empty set is an object type, and it changes no goal class


def test_the_empty_set_is_an_object_type_wherever_it_can_be_drawn() -> None:
    cfg = WorldConfig(objects=(
        ObjectGroup(count=2, features={"a": 0.3}),  # no a: an object without features
        ObjectGroup(count=1, variants=(Variant(p=1.0, features=()),)),
    ))
    types = objects.object_types(cfg, FEATS)
    assert types.sets() == [frozenset(), frozenset("a")]
    assert types.expected.tolist() == pytest.approx([2 * 0.7 + 1.0, 2 * 0.3])
    # the empty object is a non-target object: a decoy of nothing, counted in the decoy rate's denominator
    assert objects.decoy_rate(cfg, {"b"}, "a") == pytest.approx(0.6 / 3.0)


def _spec(types: np.ndarray, shift: np.ndarray, payoff: np.ndarray) -> TraitSpec:
    return TraitSpec(FEATS, AgentConfig(kind="mesa"), payoff, types, {"s": shift}, None)


with_empty = lambda t: np.vstack([t, np.zeros((1, len(FEATS)))])  # noqa: E731
weight = st.one_of(st.sampled_from([0.0, 1e-16, -1e-16, 1e-10, 1.0, -1.0, 0.5]), st.floats(-3.0, 3.0))
type_rows = st.lists(st.lists(st.sampled_from([0.0, 1.0]), min_size=5, max_size=5).filter(any),
                     min_size=1, max_size=6).map(np.array)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(weight, min_size=5, max_size=5), min_size=1, max_size=8), type_rows, type_rows,
       st.lists(st.sampled_from([-1.0, 0.0, 1.0, 2.0]), min_size=5, max_size=5))
def test_adding_the_empty_type_changes_no_goal_class(w: list[list[float]], train: np.ndarray,
                                                     shift: np.ndarray, pay: list[float]) -> None:
    """Both objectives value the empty type at 0 and agreement compares only positively valued types, so
    the empty type is never among the most valued, and 0 never decides whether something is valued."""
    genomes, payoff = np.array(w), np.array(pay)
    plain = _spec(train, shift, payoff).goal_classes(genomes)
    padded = _spec(with_empty(train), with_empty(shift), payoff).goal_classes(genomes)
    assert plain.tolist() == padded.tolist()


def test_a_tie_within_the_tolerance_never_reaches_across_zero() -> None:
    """The case that made the positivity rule necessary: a top type valued 1e-16 (weights that selection
    drove to "zero" end there) tied, within the 1e-9 tolerance, with the empty type's 0. Comparing every
    type within the tolerance would have made the empty set turn this genome from robust to misaligned."""
    train = np.array([[0, 0, 1, 0, 0], [0, 1, 0, 0, 0]], dtype=float)  # c alone (paid), b alone
    payoff = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    w = np.array([[0.0, -1.0, 1e-16, 0.0, 0.0]])  # wants c, by a hair; dislikes b
    assert _spec(train, train, payoff).goal_classes(w).tolist() == ["robust"]
    assert _spec(with_empty(train), with_empty(train), payoff).goal_classes(w).tolist() == ["robust"]


# ------------------------------------------------------------------------------------------------------
# decision 2: above the cap, the likely set and its one-feature neighbours


@settings(max_examples=30, deadline=None)
@given(st.integers(9, 11), st.data())
def test_above_the_cap_a_group_gives_its_likely_set_and_every_one_feature_neighbour(
        n: int, data: st.DataObject) -> None:
    names = [f"f{i}" for i in range(n)]
    probs = data.draw(st.lists(st.floats(0.01, 0.99), min_size=n, max_size=n))
    g = ObjectGroup(count=1, features={"always": 1.0, **dict(zip(names, probs, strict=True))})
    cfg = WorldConfig(objects=(g,))
    vocab = ("always", *names)
    types = objects.object_types(cfg, vocab)
    assert not types.complete
    likely = frozenset(["always"] + [f for f, p in zip(names, probs, strict=True) if p >= 0.5])
    assert types.sets() == [likely] + [likely ^ {f} for f in names]  # the documented order
    exact = brute_group(g)
    assert len(exact) == 2 ** n
    assert exact[likely] == pytest.approx(max(exact.values()))  # the likely set is the most probable one
    for key, share in zip(types.sets(), types.share, strict=True):
        assert share == pytest.approx(exact[key])
    assert types.share.sum() < 1.0
    # the closed forms stay exact above the cap
    co = objects.co_occurrence(cfg, vocab)
    assert co[1, 2] == pytest.approx(sum(p for k, p in exact.items() if {"f0", "f1"} <= k))
    assert objects.decorrelation(cfg, {"f0", "f1"}, "f2") == pytest.approx(
        brute_rate(cfg, lambda k: bool({"f0", "f1"} & k), lambda k: "f2" not in k))
    assert objects.decoy_rate(cfg, {"f0"}, "f1") == pytest.approx(probs[1])


def test_eight_optional_features_are_still_enumerated() -> None:
    g = ObjectGroup(count=1, features={f"f{i}": 0.5 for i in range(8)})
    types = objects.object_types(WorldConfig(objects=(g,)), [f"f{i}" for i in range(8)])
    assert types.complete and len(types) == objects.MAX_COMBINATIONS
    assert types.share.tolist() == pytest.approx([1 / 256] * 256)


# ------------------------------------------------------------------------------------------------------
# the readers that use it


def test_studies_rates_count_every_object_of_the_distribution() -> None:
    """The red objects of a group whose door is optional are decoys when the door fails (the formula before
    evo/core/objects.py left the whole group out of the decoy rate: NaN here), and a spawned object is an
    object too (it was ignored: q was 0 here)."""
    s = scenario_mod.load("scenarios/red_door.toml")
    cfg = WorldConfig(objects=(ObjectGroup(count=1, features={"door": 0.5, "red": 1.0}),))
    assert studies.decoy_rate(cfg, s) == 1.0  # every object without a door is red
    assert studies.decorrelation(cfg, s) == 0.0
    cfg = WorldConfig(objects=(ObjectGroup(count=1, features={"door": 1.0, "red": 1.0}, spawns=("door",)),))
    assert studies.decorrelation(cfg, s) == 0.5  # the red door, and the colourless door it releases
    assert math.isnan(studies.decoy_rate(cfg, s))  # no non-target object
    # two independent paid features: P(target) = 1 − 0.5·0.5, and red is independent of it
    two = dataclasses.replace(s, base_objective=dataclasses.replace(s.base_objective,
                                                                    payoff={"door": 1.0, "gem": 1.0}))
    cfg = WorldConfig(objects=(ObjectGroup(count=1, features={"door": 0.5, "gem": 0.5, "red": 0.4}),))
    assert studies.decorrelation(cfg, two) == pytest.approx(0.6)
    assert studies.decoy_rate(cfg, two) == pytest.approx(0.4)


def test_what_worlds_draw_is_what_object_types_say(tiny_scenario) -> None:  # type: ignore[no-untyped-def]
    """evo/core/worlds.py draws objects; their feature sets are exactly the types, with their shares."""
    feats = tiny_scenario.features
    cfg = dataclasses.replace(tiny_scenario.worlds.train, objects=(
        ObjectGroup(count=2, features={"red": 0.3, "gem": 1.0, "blue": 0.6}),
        ObjectGroup(count=1, variants=(Variant(p=0.25, features=()), Variant(p=0.75, features=("door",))),
                    spawns=("blue",)),
    ))
    n = 4000
    batch = worlds.generate(cfg, feats, n, np.random.default_rng(3))
    drawn: dict[frozenset[str], int] = {}
    for row in batch.obj_feat.reshape(-1, len(feats)):
        key = frozenset(f for f, x in zip(feats, row, strict=True) if x)
        drawn[key] = drawn.get(key, 0) + 1
    types = objects.object_types(cfg, feats)
    assert set(drawn) == set(types.sets())
    total = n * batch.n_objects
    for key, share in zip(types.sets(), types.share, strict=True):
        sd = math.sqrt(share * (1 - share) / total)
        assert abs(drawn[key] / total - share) < 5 * sd + 1e-12, key

