"""Lineage: a bounded genealogy of a run, its analyses and its exports (docs/concepts.md §4.2, §5). numpy
only (networkx on demand, for :func:`to_networkx`).

**Individuals and parents.** Every individual has a unique id. Its *first parent* is the individual the
selection scheme picked, whose copy it began as; a crossover child also has a *second parent*, the mate
whose genes were blended in (blend crossover mixes both about equally, so which one is "first" is a
convention, the same one MABE's line-of-descent archivist and mitochondrial genealogies use). A child whose
two parents are the same individual has one parent. Elites keep their id: an individual can be alive over
several generations. ``origin_time`` is the generation in which an individual was first evaluated.

**Line of descent and phylogeny.** The line of descent of an individual follows first parents back to a
founder (generation 0). First parents make a tree, and every analysis here is about that tree: the most
recent common ancestor (MRCA) of a population, surviving founder lineages, phylogenetic diversity.

**Modes** (``evolution.lineage`` in a scenario):

- ``full`` keeps a record of every individual ever born (``population + (generations − 1) × (population −
  elitism)`` records: elites are not reborn).
- ``pruned`` (default) keeps (1) every record on the line of descent of a living individual — the living
  population and its first-parent ancestors, as Empirical's systematics manager keeps the ancestors of
  living taxa — and (2) the second parent of every record in (1), so both parents of each such record stay
  in the exports. A record leaves (1) when it is dead and has no child in (1); it is then deleted unless
  (2) still holds it. So the store holds at most twice as many records as (1), which is bounded by the
  live ancestry: the living population, the recent bushy part of its tree, and one trunk record per
  generation (at most) before the MRCA. Both modes give the same line of descent for every record in (1).
  Why not keep every ancestor through both parents: with crossover the two-parent pedigree of a population
  never coalesces (Chang 1999, "Recent common ancestors of all present-day individuals"): a steady share of
  each generation stays an ancestor of someone living, so such a store grows with the run (in red_door
  about 30 records per generation), while the first-parent tree coalesces within tens of generations.
- ``off``: no store, no lineage files.

**Inner-goal class of an ancestor** (column ``class``). Only the final population and each generation's
shift-evaluated sample have a *measured* (behavioural) class (column ``measured_class``, see
:mod:`evo.core.metrics`). For every individual the class of its *mesa-objective* ``w`` is read from the
genome, following Hubinger et al.'s definitions of robust and pseudo-alignment applied to the objective
itself:

- an *object type* is a feature set an object of a world distribution can have (every combination of a
  group's optional features, or each variant); the agent values a type ``x`` at ``w·x``, the base objective
  at ``b·x`` (``b`` its payoff vector); distances, step costs and which types share a world are ignored
  (so the class is about what the objective ranks first, not a prediction of behaviour);
- ``w`` *agrees with the base objective on a distribution* when, among that distribution's object types,
  both value none positively (neither would move), or both value some type positively and every type ``w``
  values most is one the base objective values most;
- ``non-optimizer``: no mesa-objective (reflex, or hybrid with horizon 0); ``misaligned``: ``w`` does not
  agree on the train distribution; ``robust``: agrees on train and on every shift distribution;
  ``pseudo``: agrees on train but not on some shift — it would behave like the base objective in training
  and pursue something else after the shift.

In red_door (train: red doors and blue gems; shift: blue doors and red gems) an agent is ``pseudo`` when
``w_door + w_red`` beats ``max(0, w_gem + w_blue)`` and ``w_gem + w_red ≥ w_door + w_blue``: it ranks the
proxy feature red above the door once the correlation breaks. The measured class can differ: a "go to red"
champion that also values blue a little collects the red gems and then still walks to the blue door.

**Inner-goal trait** (column ``proxy_margin``, used to colour figures): ``w[proxy] − w[target]`` where the
target is the feature the base objective pays most and the proxy the unpaid feature that co-occurs with it
most often on train objects (red_door: ``w_red − w_door``; > 0: the proxy is preferred). Without such a
feature the trait is the alignment cosine (column ``alignment``).

**Exports.** ``lineage.csv`` follows the ALife data standard's phylogeny format: ``id``, ``ancestor_list``
(``[12, 40]``: first parent then second, only those present in the file; ``[none]`` for none),
``origin_time``, ``destruction_time`` (first generation no longer alive; ``none`` while alive), then trait
columns. ``first_parent`` and ``second_parent`` always hold the recorded parent ids (-1: none), even when
pruning removed that parent. ``lineage.graphml`` is the same as a networkx ``DiGraph`` (edges parent →
child, attribute ``role`` = ``first`` or ``second``; ``generation`` = ``origin_time``; ``destruction_time``
-1 while alive). ``lineage_founders.csv`` is a tidy table, one row per generation and founder lineage:
living members and their inner-goal classes.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from numpy.typing import NDArray

from evo.core import agents, metrics
from evo.core.simulate import Payoffs
from evo.errors import EvoError
from evo.runs.readback import Said, check_array, fail, lineage_table

if TYPE_CHECKING:
    from evo.core.state import EvolutionState, Generation
    from evo.runs.scenarios import AgentConfig, Scenario, WorldConfig

Mode = Literal["pruned", "full"]
MODES = ("pruned", "full", "off")
GOAL_CLASSES = ("robust", "pseudo", "misaligned", "non-optimizer")
#: Columns of ``lineage_founders.csv``.
FOUNDER_COLUMNS = ("generation", "founder", "count", "robust", "pseudo", "misaligned", "non_optimizer",
                   "trait_mean")
_GOAL_INDEX = {c: k for k, c in enumerate(GOAL_CLASSES)}
_MAX_OPTIONAL = 8  # a group with more optional features contributes its likely (p ≥ 0.5) feature set only


# --------------------------------------------------------------------------------------------------------
# inner-goal traits read from genomes


def object_types(cfg: WorldConfig, features: Sequence[str]) -> NDArray[np.float64]:
    """(T, F) 0/1 rows: the distinct non-empty feature sets objects of this distribution can have."""
    index = {f: i for i, f in enumerate(features)}
    sets: list[frozenset[str]] = []
    for g in cfg.objects:
        if g.variants:
            sets.extend(frozenset(v.features) for v in g.variants if v.p > 0)
            continue
        always = [f for f, p in g.features.items() if p >= 1.0]
        optional = [f for f, p in g.features.items() if 0.0 < p < 1.0]
        if len(optional) > _MAX_OPTIONAL:
            sets.append(frozenset(always + [f for f in optional if g.features[f] >= 0.5]))
            continue
        for k in range(len(optional) + 1):
            sets.extend(frozenset(always + list(c)) for c in itertools.combinations(optional, k))
    unique = sorted({s for s in sets if s}, key=lambda s: sorted(index[f] for f in s))
    out = np.zeros((len(unique), len(features)))
    for row, s in enumerate(unique):
        for f in s:
            out[row, index[f]] = 1.0
    return out


def proxy_pair(s: Scenario) -> tuple[int, int] | None:
    """(proxy, target) feature indices: the target is the feature the base objective pays most; the proxy is
    the feature it does not pay that co-occurs with the target most often on train objects. None if no
    unpaid feature ever co-occurs with the target."""
    feats = s.features
    pay = Payoffs.of(s.base_objective, feats).payoff
    target = int(np.argmax(pay))
    tname = feats[target]
    score = np.zeros(len(feats))
    for g in s.worlds.train.objects:
        for i, f in enumerate(feats):
            if g.variants:
                p = sum(v.p for v in g.variants if f in v.features and tname in v.features)
            else:
                p = g.features.get(f, 0.0) * g.features.get(tname, 0.0)
            score[i] += g.count * p
    score[(pay > 0) | (np.arange(len(feats)) == target)] = 0.0
    if score.max() <= 0:
        return None
    return int(np.argmax(score)), target


def _agrees(w: NDArray[np.float64], b: NDArray[np.float64], types: NDArray[np.float64]) -> NDArray[np.bool_]:
    """(P,) whether each row of ``w`` picks among ``types`` only what the base objective ``b`` values most
    (both picking nothing counts as agreeing). Definition in the module docstring."""
    if types.shape[0] == 0:
        return np.ones(w.shape[0], dtype=bool)
    va = w @ types.T  # (P, T)
    vb = types @ b  # (T,)
    tol = 1e-9 * max(1.0, float(np.abs(va).max(initial=0.0)))
    a_moves = va.max(axis=1) > 0
    b_moves = bool(vb.max() > 0)
    top_a = va >= va.max(axis=1, keepdims=True) - tol
    top_b = vb >= vb.max() - 1e-12 * max(1.0, float(np.abs(vb).max()))
    inside = ~(top_a & ~top_b[None, :]).any(axis=1)
    return np.where(a_moves, b_moves & inside, not b_moves)


@dataclass(frozen=True, eq=False)
class TraitSpec:
    """What the store needs to read a genome's inner goal: features, agent kind, base objective and the
    object types of the train and shift distributions."""

    features: tuple[str, ...]
    agent: AgentConfig
    base_payoff: NDArray[np.float64]
    train_types: NDArray[np.float64]
    shift_types: dict[str, NDArray[np.float64]]
    proxy: tuple[int, int] | None

    @classmethod
    def from_scenario(cls, s: Scenario) -> TraitSpec:
        feats = s.features
        base = Payoffs.of(s.base_objective, feats).payoff
        return cls(feats, s.agent, base, object_types(s.worlds.train, feats),
                   {n: object_types(c, feats) for n, c in s.worlds.shift.items()}, proxy_pair(s))

    @property
    def shift_names(self) -> tuple[str, ...]:
        return tuple(self.shift_types)

    @property
    def has_objective(self) -> bool:
        return agents.agent_kind(self.agent.kind).has_objective

    @property
    def trait_column(self) -> str | None:
        if not self.has_objective:
            return None
        return "proxy_margin" if self.proxy is not None else "alignment"

    @property
    def trait_label(self) -> str | None:
        if not self.has_objective:
            return None
        if self.proxy is None:
            return "alignment cos(w, base objective)"
        p, t = self.proxy
        return f"w[{self.features[p]}] − w[{self.features[t]}]"

    def policy(self, genomes: NDArray[np.float64]) -> agents.Policy:
        return agents.decode(np.atleast_2d(genomes), self.agent, len(self.features))

    def goal_classes(self, genomes: NDArray[np.float64], policy: agents.Policy | None = None
                     ) -> NDArray[np.str_]:
        """(P,) inner-goal class of each genome (definition in the module docstring)."""
        policy = self.policy(genomes) if policy is None else policy
        n = policy.horizon.shape[0]
        kind = agents.agent_kind(policy.kind)
        goal = kind.inner_goal(policy)
        if goal is None:
            return np.full(n, "non-optimizer", dtype="U13")
        train_ok = _agrees(goal, self.base_payoff, self.train_types)
        shift_ok = np.ones(n, dtype=bool)
        for types in self.shift_types.values():
            shift_ok &= _agrees(goal, self.base_payoff, types)
        out = np.where(train_ok, np.where(shift_ok, "robust", "pseudo"), "misaligned")
        return np.where(kind.optimizer(policy), out, "non-optimizer").astype("U13")

    def traits(self, genomes: NDArray[np.float64], policy: agents.Policy | None = None
               ) -> dict[str, NDArray[np.float64]]:
        """Per-genome numeric traits: ``w_<feature>``, ``alignment``, ``proxy_margin`` (when defined) and
        ``horizon``."""
        policy = self.policy(genomes) if policy is None else policy
        out: dict[str, NDArray[np.float64]] = {}
        goal = agents.agent_kind(policy.kind).inner_goal(policy)
        if goal is not None:
            for i, f in enumerate(self.features):
                out[f"w_{f}"] = goal[:, i].copy()
            out["alignment"] = metrics.alignment(goal, self.base_payoff)
            if self.proxy is not None:
                p, t = self.proxy
                out["proxy_margin"] = goal[:, p] - goal[:, t]
        out["horizon"] = policy.horizon.astype(np.float64)
        return out

    def trait(self, genomes: NDArray[np.float64], policy: agents.Policy | None = None
              ) -> NDArray[np.float64] | None:
        col = self.trait_column
        if col is None:
            return None
        policy = self.policy(genomes) if policy is None else policy
        goal = agents.agent_kind(policy.kind).inner_goal(policy)
        assert goal is not None  # trait_column is None for agents without an objective
        if col == "proxy_margin" and self.proxy is not None:
            p, t = self.proxy
            return goal[:, p] - goal[:, t]
        return metrics.alignment(goal, self.base_payoff)


# --------------------------------------------------------------------------------------------------------
# the store


class _Record:
    """One individual. Parents are ids (never references), so pruning frees memory."""

    __slots__ = (
        "alive",
        "first",
        "fitness",
        "founder",
        "genome",
        "goal",
        "id",
        "in_tree",
        "last_seen",
        "mate_refs",
        "measured",
        "origin",
        "released",
        "second",
        "shift",
        "tree_refs",
    )

    def __init__(self, id_: int, first: int, second: int, origin: int, genome: list[float], fitness: float,
                 goal: str, founder: int) -> None:
        self.id, self.first, self.second, self.origin = id_, first, second, origin
        self.last_seen = origin
        self.genome, self.fitness, self.goal, self.founder = genome, fitness, goal, founder
        self.measured = ""
        self.shift: dict[str, float] = {}
        self.alive = True
        self.in_tree = True  # alive, or a first-parent ancestor of a living individual
        self.released = False  # has given back its holds on its parents (after leaving the tree)
        self.tree_refs = 0  # children in the tree that have this record as first parent
        self.mate_refs = 0  # records in the tree that have this record as second parent


class _StoreArrays:
    """The arrays of a saved :class:`LineageStore`, checked (see :meth:`LineageStore.from_arrays`)."""

    _INTS = ("id", "first", "second", "origin", "last_seen", "founder", "tree_refs", "mate_refs")

    def __init__(self, spec: TraitSpec, mode: Mode, arrays: Mapping[str, NDArray[Any]], file: str,
                 prefix: str) -> None:
        self.file, self.prefix = file, prefix

        def get(name: str, kind: str, shape: Sequence[int | None], **kw: Any) -> NDArray[Any]:
            return check_array(file, prefix + name, arrays.get(name), kind, shape, **kw)

        def bad(name: str, expected: str, got: Any) -> None:
            fail(file, f"member '{prefix}{name}'", expected, got)

        ids = get("rec.id", "int", (None,), lo=0)
        n = len(ids)
        width = agents.genome_length(spec.agent.kind, len(spec.features))
        per = "(one per record of 'rec.id')"
        a = {k: get(f"rec.{k}", "int", (n,), lo=-1 if k in ("first", "second") else 0, what=per)
             for k in self._INTS[1:]}
        a["id"] = ids
        floats = {"genome": get("rec.genome", "float", (n, width), what="(records × genome length)"),
                  "fitness": get("rec.fitness", "float", (n,), what=per)}
        goal = get("rec.goal", "str", (n,), what=per)
        measured = get("rec.measured", "str", (n,), what=per)
        flags = {k: get(f"rec.{k}", "bool", (n,), what=per) for k in ("alive", "in_tree", "released")}
        self.shifts = {name: get(f"rec.shift.{name}", "float", (n,), what=per, finite=False).tolist()
                       for name in spec.shift_names}
        alive = get("alive", "int", (None,), lo=0)
        counters = get("counters", "int", (3,))
        generation, births, peak = (int(x) for x in counters)
        row = {int(i): k for k, i in enumerate(ids.tolist())}
        if len(row) != n:
            bad("rec.id", "distinct ids", Said("an id twice"))
        for k in range(n):
            for col in ("first", "second"):
                if a[col][k] >= ids[k]:
                    bad(f"rec.{col}", f"-1 or the id of an older individual (row {k}: below {int(ids[k])})",
                        int(a[col][k]))
            if not a["origin"][k] <= a["last_seen"][k] <= generation:
                bad("rec.last_seen", f"a generation from origin ({int(a['origin'][k])}) to the last observed "
                    f"({generation}) in row {k}", int(a["last_seen"][k]))
        for name, values, allowed in (("rec.goal", goal, GOAL_CLASSES), ("rec.measured", measured,
                                                                           ("", *metrics.CLASSES))):
            unknown = sorted(set(values.tolist()) - set(allowed))
            if unknown:
                bad(name, "class names (" + ", ".join(repr(c) for c in allowed) + ")", unknown[0])
        alive_set = set(alive.tolist())
        if len(alive_set) != len(alive) or not alive_set <= set(row):
            bad("alive", "distinct ids of records in 'rec.id'", alive.tolist())
        is_alive = np.isin(ids, alive)
        if not np.array_equal(is_alive, flags["alive"]):
            k = int(np.flatnonzero(is_alive != flags["alive"])[0])
            bad("rec.alive", f"true exactly for the ids in '{prefix}alive' (row {k})",
                bool(flags["alive"][k]))
        if (a["last_seen"][is_alive] != generation).any():
            bad("rec.last_seen", f"the last observed generation ({generation}) for the living",
                int(a["last_seen"][is_alive][a["last_seen"][is_alive] != generation][0]))
        if generation < -1 or births < n or peak < n or (mode == "full" and births != n):
            bad("counters", f"[last observed generation ≥ -1, births ≥ records ({n})"
                + (" and = records in full mode" if mode == "full" else "") + f", peak ≥ records ({n})]",
                counters.tolist())
        if (generation < 0) != (n == 0):
            bad("counters", "a store with records exactly when a generation was observed", counters.tolist())
        self._check_refs(mode, ids, a, flags, row, bad)
        self.history = self._history(get, bad, generation)
        genomes = floats["genome"].tolist()
        self.cols: dict[str, list[Any]] = {k: v.tolist() for k, v in a.items()}
        self.cols.update(fitness=floats["fitness"].tolist(), goal=goal.tolist(), measured=measured.tolist(),
                         genome=genomes, **{k: v.tolist() for k, v in flags.items()})
        self.alive = alive.tolist()
        self.counters = (generation, births, peak)

    @staticmethod
    def _check_refs(mode: Mode, ids: NDArray[np.int64], a: Mapping[str, NDArray[np.int64]],
                    flags: Mapping[str, NDArray[np.bool_]], row: Mapping[int, int], bad: Any) -> None:
        """Parents present while referenced; in pruned mode the reference counts and flags exact."""
        first, second = a["first"], a["second"]
        in_tree, released, alive = flags["in_tree"], flags["released"], flags["alive"]
        if mode == "full":
            for name, ok in (("rec.in_tree", in_tree.all()), ("rec.released", not released.any()),
                             ("rec.tree_refs", not a["tree_refs"].any()),
                             ("rec.mate_refs", not a["mate_refs"].any())):
                if not ok:
                    bad(name, "the values of a full store (every record in the tree, no reference counts)",
                        Said("other values"))
        holds = ~released
        for k in np.flatnonzero(holds).tolist():
            for col, p in (("first", int(first[k])), ("second", int(second[k]))):
                if p >= 0 and p not in row:
                    bad(f"rec.{col}", f"a parent held by the store (row {k}, individual {int(ids[k])}, still "
                        "references it)", p)
        if mode == "full":
            return
        tree = np.zeros(len(ids), dtype=np.int64)
        mates = np.zeros(len(ids), dtype=np.int64)
        for k in range(len(ids)):
            if in_tree[k] and first[k] >= 0:
                tree[row[int(first[k])]] += 1
            if holds[k] and second[k] >= 0:
                mates[row[int(second[k])]] += 1
        for name, want in (("rec.tree_refs", tree), ("rec.mate_refs", mates)):
            wrong = np.flatnonzero(a[name.removeprefix("rec.")] != want)
            if wrong.size:
                k = int(wrong[0])
                bad(name, f"{int(want[k])} in row {k} (the records that reference individual {int(ids[k])})",
                    int(a[name.removeprefix("rec.")][k]))
        expect_tree = alive | (tree > 0)
        checks = (("rec.in_tree", in_tree, expect_tree, "alive or the first parent of a record in the tree"),
                  ("rec.released", released, ~expect_tree, "not in the tree"),
                  ("rec.mate_refs", released & (mates == 0), np.zeros(len(ids), bool),
                   "a released record is kept only while a crossover child references it"))
        for name, held, rule_says, rule in checks:
            broken = np.flatnonzero(held != rule_says)
            if broken.size:
                bad(name, f"values following the pruning rule ({rule}; row {int(broken[0])})",
                    Said("a record that breaks it"))

    def _history(self, get: Any, bad: Any, generation: int) -> list[tuple[int, NDArray[np.int64],
                                                                         NDArray[np.int64], NDArray[np.int64],
                                                                         NDArray[np.float64]]]:
        gens = get("hist.generation", "int", (generation + 1,), what="(one per observed generation)")
        if not np.array_equal(gens, np.arange(generation + 1)):
            bad("hist.generation", f"the generations 0 to {generation}", gens.tolist())
        lengths = get("hist.length", "int", (generation + 1,), lo=1, what="(one per observed generation)")
        total = int(lengths.sum())
        what = "(the sum of 'hist.length')"
        founders = get("hist.founders", "int", (total,), lo=0, what=what)
        counts = get("hist.counts", "int", (total,), lo=1, what=what)
        per_class = get("hist.per_class", "int", (total, len(GOAL_CLASSES)), lo=0, what=what)
        means = get("hist.means", "float", (total,), what=what, finite=False)
        if not np.array_equal(per_class.sum(axis=1), counts):
            bad("hist.counts", "the row sums of 'hist.per_class'", counts.tolist())
        out = []
        at = 0
        for g, n in zip(gens.tolist(), lengths.tolist(), strict=True):
            sl = slice(at, at + n)
            out.append((g, founders[sl], counts[sl], per_class[sl], means[sl]))
            at += n
        return out


class LineageStore:
    """Genealogy of a run, fed one evaluated generation at a time by :func:`evo.evolution.loop.evolve`.

    ``mode`` is ``"pruned"`` (bounded by live ancestry) or ``"full"``; see the module docstring. Records are
    kept in a dict keyed by id; nothing is deep-copied (each new genome row is copied once, at birth).
    """

    def __init__(self, spec: TraitSpec, mode: Mode = "pruned") -> None:
        if mode not in ("pruned", "full"):
            raise ValueError(f"unknown lineage mode {mode!r}; known: pruned, full")
        self.spec = spec
        self.mode = mode
        self._records: dict[int, _Record] = {}
        self._alive: set[int] = set()
        self.generation = -1
        self.births = 0
        self.peak = 0
        # per generation: founders with living members, their member counts, counts per inner-goal class,
        # mean inner-goal trait
        self._history: list[tuple[int, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                  NDArray[np.float64]]] = []

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, id_: object) -> bool:
        return id_ in self._records

    @property
    def alive(self) -> frozenset[int]:
        return frozenset(self._alive)

    # feeding -------------------------------------------------------------------------------------------

    def at_boundary(self, boundary: Any) -> None:
        """An observer of the evolution loop (:class:`evo.evolution.loop.Observer`): nothing to do between
        generations."""

    def after_generation(self, state: EvolutionState, generation: Generation) -> None:
        """An observer of the evolution loop: record each evaluated generation."""
        self.observe(state, generation)

    def observe(self, state: EvolutionState, generation: Generation) -> None:
        """Record the evaluated population of one generation (``state`` before breeding, ``generation``
        the result of evaluating it)."""
        self.observe_arrays(state.generation, state.ids, state.parents, state.genomes, generation.fitness,
                            getattr(generation, "watched", None),
                            getattr(generation, "watched_assessment", None))

    def observe_arrays(self, generation: int, ids: NDArray[np.int64], parents: NDArray[np.int64],
                       genomes: NDArray[np.float64], fitness: NDArray[np.float64],
                       watched: NDArray[np.int64] | None = None, watched_assessment: Any = None) -> None:
        """As :meth:`observe`, from plain arrays: ``ids`` (P,), ``parents`` (P, 2; -1 where absent),
        ``genomes`` (P, G), train ``fitness`` (P,); optionally the rows evaluated under shift and their
        :class:`~evo.evolution.loop.Assessment`."""
        g = int(generation)
        if g <= self.generation:
            raise ValueError(f"generation {g} observed after generation {self.generation}")
        self.generation = g
        policy = self.spec.policy(genomes)
        goals = self.spec.goal_classes(genomes, policy)
        trait = self.spec.trait(genomes, policy)
        records = self._records
        id_list = ids.tolist()
        now = set(id_list)
        if len(now) != len(id_list):
            raise ValueError(f"generation {g}: ids are not unique")
        genome_rows, fitness_list, goal_list = genomes.tolist(), fitness.tolist(), goals.tolist()
        for row, (i, (a, b)) in enumerate(zip(id_list, parents.tolist(), strict=True)):
            r = records.get(i)
            if r is not None:
                if not r.alive:
                    raise ValueError(f"individual {i} reappears in generation {g} after it died")
                r.last_seen = g
                continue
            self._birth(i, a, b, g, genome_rows[row], fitness_list[row], goal_list[row])
        for i in self._alive - now:
            self._death(records[i])
        self._alive = now
        if watched is not None and watched_assessment is not None:
            self._measure(ids[np.asarray(watched)], watched_assessment, overwrite=False)
        founders, inverse = np.unique([records[i].founder for i in id_list], return_inverse=True)
        per_class = np.zeros((len(founders), len(GOAL_CLASSES)), dtype=np.int64)
        # a tuple of per-axis indices, as numpy documents for ufunc.at; its stub only accepts such a tuple
        # when every member is an array, not an array and a list
        np.add.at(per_class, (inverse, [_GOAL_INDEX[c] for c in goal_list]), 1)  # type: ignore[arg-type]
        counts = per_class.sum(axis=1)
        means = (np.bincount(inverse, weights=trait, minlength=len(founders)) / counts if trait is not None
                 else np.full(len(founders), math.nan))
        self._history.append((g, founders, counts, per_class, means))
        self.peak = max(self.peak, len(records))

    def finalize(self, ids: NDArray[np.int64], assessment: Any) -> None:
        """Attach the final population's measured classes and shift fitness (an
        :class:`~evo.evolution.loop.Assessment` in the row order of ``ids``); they replace sample
        measurements."""
        self._measure(ids, assessment, overwrite=True)

    def _measure(self, ids: NDArray[np.int64], a: Any, overwrite: bool) -> None:
        for k, i in enumerate(ids.tolist()):
            r = self._records.get(int(i))
            if r is None or (r.measured and not overwrite):
                continue
            r.measured = str(a.classes[k])
            r.shift = {name: float(v[k]) for name, v in a.shift_fitness.items()}

    def _birth(self, i: int, a: int, b: int, g: int, genome: list[float], fitness: float, goal: str) -> None:
        records = self._records
        if b == a:
            b = -1
        if a < 0 and b >= 0:
            a, b = b, -1
        for p in (a, b):
            if p >= 0 and p not in self._alive:  # parents are members of the previous generation
                raise ValueError(f"individual {i} (generation {g}) has parent {p}, which was not alive in "
                                 "the previous generation")
        founder = records[a].founder if a >= 0 else i
        records[i] = _Record(i, a, b, g, genome, fitness, goal, founder)
        self.births += 1
        if self.mode == "pruned":
            if a >= 0:
                records[a].tree_refs += 1
            if b >= 0:
                records[b].mate_refs += 1

    def _death(self, r: _Record) -> None:
        r.alive = False
        if self.mode == "full" or r.tree_refs > 0:
            return
        r.in_tree = False
        stack = [r]
        records = self._records
        while stack:
            r = stack.pop()
            if r.first >= 0:
                p = records[r.first]
                p.tree_refs -= 1
                if p.tree_refs == 0 and not p.alive:
                    p.in_tree = False
                    stack.append(p)
            if r.second >= 0:
                m = records[r.second]
                m.mate_refs -= 1
                if m.mate_refs == 0 and m.released:
                    del records[m.id]
            r.released = True
            if r.mate_refs == 0:
                del records[r.id]

    # checkpoints ---------------------------------------------------------------------------------------

    def to_arrays(self) -> dict[str, NDArray[Any]]:
        """The whole store as plain arrays (no objects, no pickle), for a checkpoint; see
        :meth:`from_arrays`."""
        recs = list(self._records.values())
        width = agents.genome_length(self.spec.agent.kind, len(self.spec.features))
        ints = ("id", "first", "second", "origin", "last_seen", "founder", "tree_refs", "mate_refs")
        out: dict[str, NDArray[Any]] = {f"rec.{k}": np.array([getattr(r, k) for r in recs], dtype=np.int64)
                                        for k in ints}
        out["rec.genome"] = np.array([r.genome for r in recs], dtype=np.float64).reshape(len(recs), width)
        out["rec.fitness"] = np.array([r.fitness for r in recs], dtype=np.float64)
        out["rec.goal"] = np.array([r.goal for r in recs], dtype="U13")
        out["rec.measured"] = np.array([r.measured for r in recs], dtype="U18")
        for k in ("alive", "in_tree", "released"):
            out[f"rec.{k}"] = np.array([getattr(r, k) for r in recs], dtype=bool)
        for name in self.spec.shift_names:
            out[f"rec.shift.{name}"] = np.array([r.shift.get(name, math.nan) for r in recs])
        out["alive"] = np.array(sorted(self._alive), dtype=np.int64)
        out["counters"] = np.array([self.generation, self.births, self.peak], dtype=np.int64)
        hist = self._history
        out["hist.generation"] = np.array([h[0] for h in hist], dtype=np.int64)
        out["hist.length"] = np.array([len(h[1]) for h in hist], dtype=np.int64)
        out["hist.founders"] = (np.concatenate([h[1] for h in hist]).astype(np.int64) if hist
                                else np.zeros(0, np.int64))
        out["hist.counts"] = (np.concatenate([h[2] for h in hist]).astype(np.int64) if hist
                              else np.zeros(0, np.int64))
        out["hist.per_class"] = (np.concatenate([h[3] for h in hist]).astype(np.int64) if hist
                                 else np.zeros((0, len(GOAL_CLASSES)), np.int64))
        out["hist.means"] = np.concatenate([h[4] for h in hist]).astype(np.float64) if hist else np.zeros(0)
        return out

    @classmethod
    def from_arrays(cls, spec: TraitSpec, mode: Mode, arrays: Mapping[str, NDArray[Any]],
                    file: str = "lineage store", prefix: str = "") -> LineageStore:
        """The store saved by :meth:`to_arrays`, validated: every member present with its dtype and shape,
        ids unique, parents older than their children and present while they are referenced, the reference
        counts of ``pruned`` mode exact, the per-generation history complete. Anything else raises
        :class:`~evo.errors.EvoError` naming ``file`` and the member (``prefix`` + its name)."""
        arr = _StoreArrays(spec, mode, arrays, file, prefix)
        store = cls(spec, mode)
        c = arr.cols
        for k, i in enumerate(c["id"]):
            r = _Record(i, c["first"][k], c["second"][k], c["origin"][k], c["genome"][k], c["fitness"][k],
                        c["goal"][k], c["founder"][k])
            r.last_seen, r.measured = c["last_seen"][k], c["measured"][k]
            r.alive, r.in_tree, r.released = c["alive"][k], c["in_tree"][k], c["released"][k]
            r.tree_refs, r.mate_refs = c["tree_refs"][k], c["mate_refs"][k]
            r.shift = {name: v[k] for name, v in arr.shifts.items() if not math.isnan(v[k])}
            store._records[i] = r
        store._alive = set(arr.alive)
        store.generation, store.births, store.peak = arr.counters
        store._history = arr.history
        return store

    def check_position(self, generation: int, ids: NDArray[np.int64], parents: NDArray[np.int64],
                       genomes: NDArray[np.float64], file: str, prefix: str = "") -> None:
        """Raise :class:`~evo.errors.EvoError` unless the population about to be evaluated in ``generation``
        (``ids``, ``parents``, ``genomes``) continues this store: it has observed generations 0 to
        ``generation - 1``; each individual is either a living record (with the same genome) or new, with
        parents that lived in the last observed generation."""
        if self.generation != generation - 1:
            fail(file, f"member '{prefix}counters'",
                 f"a store that has observed generations 0 to {generation - 1} (the checkpoint's generation "
                 f"is {generation})", Said(f"last observed generation {self.generation}"))
        for row, (i, ps) in enumerate(zip(ids.tolist(), parents.tolist(), strict=True)):
            r = self._records.get(i)
            if r is not None:
                if not r.alive:
                    fail(file, f"member 'ids', row {row}", "a living or a new individual",
                         Said(f"{i}, which died in generation {r.last_seen + 1}"))
                if r.genome != genomes[row].tolist():
                    fail(file, f"member 'genomes', row {row}",
                         f"the genome the lineage store holds for individual {i} (an elite keeps it)",
                         Said("another genome"))
                continue
            for p in ps:
                if p >= 0 and p not in self._alive:
                    fail(file, f"member 'parents', row {row}",
                         f"parents alive in generation {generation - 1} (individual {i} is new)", p)

    # reading -------------------------------------------------------------------------------------------

    def line_of_descent(self, id_: int) -> list[int]:
        """Ids from the founder down to ``id_``, following first parents."""
        out = []
        r = self._records.get(int(id_))
        if r is None:
            raise KeyError(f"individual {id_} is not in the lineage store")
        seen: set[int] = set()
        while r is not None:
            if r.id in seen:
                raise EvoError(f"the ancestry of individual {id_} has a cycle through individual {r.id}")
            seen.add(r.id)
            out.append(r.id)
            r = self._records.get(r.first) if r.first >= 0 else None
        return out[::-1]

    def founder_rows(self) -> list[dict[str, float]]:
        """Rows of ``lineage_founders.csv`` (columns :data:`FOUNDER_COLUMNS`)."""
        rows = []
        names = [c.replace("-", "_") for c in GOAL_CLASSES]
        for g, founders, counts, per_class, means in self._history:
            for k, f in enumerate(founders.tolist()):
                by_class = dict(zip(names, per_class[k].tolist(), strict=True))
                rows.append({"generation": g, "founder": f, "count": int(counts[k]), **by_class,
                             "trait_mean": float(means[k])})
        return rows

    def phylogeny(self) -> Phylogeny:
        """A column snapshot of every record held (sorted by id)."""
        recs = sorted(self._records.values(), key=lambda r: r.id)
        n = len(recs)
        width = agents.genome_length(self.spec.agent.kind, len(self.spec.features))
        genomes = np.array([r.genome for r in recs], dtype=np.float64).reshape(n, width)
        ids = np.array([r.id for r in recs], dtype=np.int64)
        columns: dict[str, NDArray[Any]] = {
            "fitness": np.array([r.fitness for r in recs], dtype=np.float64),
            "class": np.array([r.goal for r in recs], dtype="U13"),
        }
        traits = self.spec.traits(genomes)
        for k in [k for k in traits if k.startswith("w_")] + ["alignment", "proxy_margin"]:
            if k in traits:
                columns[k] = traits[k]
        columns["measured_class"] = np.array([r.measured for r in recs], dtype="U18")
        for name in self.spec.shift_names:
            columns[f"shift_fitness_{name}"] = np.array([r.shift.get(name, math.nan) for r in recs])
        columns["horizon"] = traits["horizon"].astype(np.int64)
        columns["founder"] = np.array([r.founder for r in recs], dtype=np.int64)
        dead_at = [-1 if r.alive else r.last_seen + 1 for r in recs]
        return Phylogeny(ids, np.array([r.first for r in recs], dtype=np.int64),
                         np.array([r.second for r in recs], dtype=np.int64),
                         np.array([r.origin for r in recs], dtype=np.int64),
                         np.array(dead_at, dtype=np.int64),
                         genomes, columns)


def new_store(s: Scenario) -> LineageStore | None:
    """The store a scenario asks for (``evolution.lineage``), or None when it is ``"off"``."""
    mode = getattr(s.evolution, "lineage", "pruned")
    # scenario validation admits only pruned, full or off, and LineageStore rejects any other value again
    return None if mode == "off" else LineageStore(TraitSpec.from_scenario(s), cast(Mode, mode))


# --------------------------------------------------------------------------------------------------------
# the phylogeny as columns, and its analyses


@dataclass(frozen=True, eq=False)
class Phylogeny:
    """Records as columns, from a store or read back from ``lineage.csv``. ``first_parent`` and
    ``second_parent`` are the recorded ids (-1: none), possibly absent from this phylogeny when pruned;
    ``destruction_time`` is -1 for the living. ``columns`` holds the trait columns in export order."""

    ids: NDArray[np.int64]
    first_parent: NDArray[np.int64]
    second_parent: NDArray[np.int64]
    origin_time: NDArray[np.int64]
    destruction_time: NDArray[np.int64]
    genomes: NDArray[np.float64]
    columns: dict[str, NDArray[Any]]
    row: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "row", {int(i): k for k, i in enumerate(self.ids.tolist())})

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def __contains__(self, id_: object) -> bool:
        return id_ in self.row

    @property
    def alive(self) -> NDArray[np.int64]:
        return self.ids[self.destruction_time < 0]

    def ancestors_present(self, k: int) -> list[int]:
        """Ids of the recorded parents of row ``k`` that are in this phylogeny (first parent first)."""
        both = (int(self.first_parent[k]), int(self.second_parent[k]))
        return [p for p in both if p >= 0 and p in self.row]

    def value(self, id_: int, column: str) -> Any:
        return self.columns[column][self.row[int(id_)]]

    def first_parent_of(self, id_: int) -> int | None:
        p = int(self.first_parent[self.row[int(id_)]])
        return p if p >= 0 and p in self.row else None


def line_of_descent(phy: Phylogeny, id_: int) -> list[int]:
    """Ids from the oldest recorded first-parent ancestor (a founder, for the living) down to ``id_``."""
    if int(id_) not in phy.row:
        raise KeyError(f"individual {id_} is not in the lineage")
    out = [int(id_)]
    seen = {int(id_)}
    p = phy.first_parent_of(id_)
    while p is not None:
        if p in seen:
            raise EvoError(f"the ancestry of individual {id_} has a cycle through individual {p}")
        seen.add(p)
        out.append(p)
        p = phy.first_parent_of(p)
    return out[::-1]


def check_against_summary(phy: Phylogeny, summary: Mapping[str, Any], file: str = "lineage.csv") -> None:
    """Raise :class:`~evo.errors.EvoError` unless ``phy`` (read from ``file``) is the phylogeny the validated
    ``summary`` describes: as many records, the living population, the champion and its line of descent,
    genomes of the champion's length; in ``full`` mode every recorded parent present."""
    info = summary["lineage"]
    where = "of summary.json"
    if len(phy) != info["records"]:
        fail(file, "the file", f"{info['records']} records (key 'lineage.records' {where})",
             Said(f"{len(phy)} rows"))
    living = int((phy.destruction_time < 0).sum())
    if living != summary["population"]:
        fail(file, "column 'destruction_time'",
             f"{summary['population']} living individuals ('none'; key 'population' {where})",
             Said(f"{living}"))
    width = len(summary["champion"]["genome"])
    if phy.genomes.shape[1] != width:
        fail(file, "column 'genome'", f"genomes of {width} genes (key 'champion.genome' {where})",
             Said(f"{phy.genomes.shape[1]} genes"))
    champ = info["champion"]["id"]
    if champ not in phy.row or phy.destruction_time[phy.row[champ]] >= 0:
        fail(file, "column 'id'", f"the living champion {champ} (key 'lineage.champion.id' {where})",
             Said("no such living individual"))
    lod = line_of_descent(phy, champ)
    if lod != info["champion"]["line_of_descent"]:
        fail(file, "the champion's line of descent",
             f"the one of key 'lineage.champion.line_of_descent' {where} "
             f"({' → '.join(map(str, info['champion']['line_of_descent']))})",
             Said(" → ".join(map(str, lod))))
    if info["mode"] == "full":
        for name, parents in (("first_parent", phy.first_parent), ("second_parent", phy.second_parent)):
            for k, p in enumerate(parents.tolist()):
                if p >= 0 and p not in phy.row:
                    fail(file, f"row {k + 1} (line {k + 2}), column '{name}'",
                         "a parent listed in the file (full mode keeps every individual)", p)


def pseudo_onset(phy: Phylogeny, lod: Sequence[int]) -> dict[str, dict[str, int] | None]:
    """Where a line of descent became pseudo-aligned: ``first`` is the first ancestor whose inner-goal class
    is ``pseudo``; ``since`` the first of the final unbroken run of ``pseudo`` ancestors (None if the last
    one is not pseudo). Each is ``{"id", "generation"}`` or None."""
    cls = [str(phy.value(i, "class")) for i in lod]
    first = next((k for k, c in enumerate(cls) if c == "pseudo"), None)
    since = None
    if cls and cls[-1] == "pseudo":
        since = len(cls) - 1
        while since > 0 and cls[since - 1] == "pseudo":
            since -= 1

    def at(k: int | None) -> dict[str, int] | None:
        return None if k is None else {"id": int(lod[k]), "generation": int(phy.origin_time[phy.row[lod[k]]])}

    return {"first": at(first), "since": at(since)}


def mrca(phy: Phylogeny, ids: Iterable[int]) -> int | None:
    """Most recent common first-parent ancestor of ``ids`` (an individual is its own ancestor), or None
    when their lines of descent do not meet (several founder lineages survive)."""
    ids = [int(i) for i in ids]
    if not ids:
        return None
    common = line_of_descent(phy, ids[0])  # root → first individual; cut back to what all share
    depth = {n: k for k, n in enumerate(common)}
    end = len(common)
    for i in ids[1:]:
        node: int | None = i
        steps = 0
        while node is not None and node not in depth:
            node = phy.first_parent_of(node)
            steps += 1
            if steps > len(phy):
                raise EvoError(f"the ancestry of individual {i} has a cycle")
        if node is None:
            return None
        end = min(end, depth[node] + 1)
    return common[end - 1]


def phylogenetic_diversity(phy: Phylogeny, ids: Iterable[int]) -> float:
    """Faith's phylogenetic diversity of ``ids``: total branch length, in generations, of the first-parent
    tree that joins them, rooted at their MRCA (at their founders when several founder lineages survive).
    Faith 1992, "Conservation evaluation and phylogenetic diversity"."""
    ids = [int(i) for i in ids]
    root = mrca(phy, ids)
    t, row = phy.origin_time, phy.row
    seen: set[int] = set()
    total = 0
    for i in ids:
        child = i
        while child != root and child not in seen:
            seen.add(child)
            parent = phy.first_parent_of(child)
            if parent is None:
                break
            total += int(t[row[child]]) - int(t[row[parent]])
            child = parent
    return float(total)


def founder_lineages(rows: Sequence[Mapping[str, Any]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(generations, number of founder lineages with living members) from ``lineage_founders.csv`` rows."""
    counts: Counter[int] = Counter(int(r["generation"]) for r in rows)
    gens = np.array(sorted(counts), dtype=np.int64)
    return gens, np.array([counts[g] for g in gens.tolist()], dtype=np.int64)


@dataclass(frozen=True)
class CollapsedTree:
    """The first-parent tree joining some individuals with unbranched chains removed. ``parent[i]`` is the
    nearest kept ancestor (None at a root); ``hidden[i]`` how many ancestors were collapsed above ``i``."""

    nodes: tuple[int, ...]
    parent: dict[int, int | None]
    children: dict[int, tuple[int, ...]]
    hidden: dict[int, int]
    roots: tuple[int, ...]


def collapsed_tree(phy: Phylogeny, leaves: Iterable[int]) -> CollapsedTree:
    """The tree joining ``leaves`` (first parents), keeping only the leaves, roots and branch points."""
    leaves = [int(i) for i in leaves]
    leaf_set = set(leaves)
    kids: dict[int, set[int]] = {}
    up: dict[int, int | None] = {}
    for i in leaves:
        node = i
        while node not in up:
            p = phy.first_parent_of(node)
            up[node] = p
            if p is None:
                break
            kids.setdefault(p, set()).add(node)
            node = p
    roots = [n for n, p in up.items() if p is None]
    keep = {n for n in up if n in leaf_set or up[n] is None or len(kids.get(n, ())) >= 2}
    parent: dict[int, int | None] = {}
    hidden: dict[int, int] = {}
    for n in keep:
        p, skipped = up[n], 0
        while p is not None and p not in keep:
            p, skipped = up[p], skipped + 1
            if skipped > len(up):
                raise EvoError(f"the ancestry of individual {n} has a cycle")
        parent[n], hidden[n] = p, skipped
    children: dict[int, list[int]] = {n: [] for n in keep}
    for n, p in parent.items():
        if p is not None:
            children[p].append(n)
    return CollapsedTree(tuple(sorted(keep)), parent, {n: tuple(sorted(c)) for n, c in children.items()},
                         hidden, tuple(sorted(roots)))


def summarize(phy: Phylogeny, founder_rows: Sequence[Mapping[str, Any]], champion: int,
              final_ids: Sequence[int], spec: TraitSpec, *, mode: str, records_peak: int, births: int
              ) -> dict[str, Any]:
    """The ``"lineage"`` section of ``summary.json``."""
    lod = line_of_descent(phy, champion)
    onset = pseudo_onset(phy, lod)
    root = mrca(phy, final_ids)
    final_gen = int(phy.origin_time.max()) if len(phy) else 0
    final_gen = max(final_gen, max((int(r["generation"]) for r in founder_rows), default=0))
    gens, n_lineages = founder_lineages(founder_rows)
    if not np.array_equal(gens, np.arange(len(gens))):
        raise ValueError("founder rows must cover every generation from 0")
    single = np.flatnonzero(n_lineages == 1)
    fixed_from = None
    if single.size and n_lineages[-1] == 1:
        # the first generation of the final run of single-lineage generations
        k = len(n_lineages) - 1
        while k > 0 and n_lineages[k - 1] == 1:
            k -= 1
        fixed_from = int(gens[k])
    mrca_info = None
    if root is not None:
        g = int(phy.origin_time[phy.row[root]])
        mrca_info = {"id": root, "generation": g, "generations_before_end": final_gen - g}
    return {
        "mode": mode,
        "records": len(phy),
        "records_peak": records_peak,
        "individuals_born": births,
        "trait": {"column": spec.trait_column, "label": spec.trait_label,
                  "proxy_feature": None if spec.proxy is None else spec.features[spec.proxy[0]],
                  "target_feature": None if spec.proxy is None else spec.features[spec.proxy[1]]},
        "class_definition": "inner-goal class read from the genome: pseudo = its mesa-objective picks the "
                            "object types the base objective values most in train worlds but not in some "
                            "shift (see evo.lineage.store)",
        "champion": {"id": int(champion), "founder": int(phy.value(champion, "founder")),
                     "line_of_descent": lod, "first_pseudo": onset["first"], "pseudo_since": onset["since"]},
        "mrca": mrca_info,
        # count[g]: founder lineages with living members in generation g
        "founder_lineages": {"count": n_lineages.tolist(),
                             "final": int(n_lineages[-1]) if len(n_lineages) else 0,
                             "single_lineage_from": fixed_from},
        "phylogenetic_diversity": phylogenetic_diversity(phy, final_ids),
    }


# --------------------------------------------------------------------------------------------------------
# exports and reading back


def _ancestor_list(ids: Sequence[int]) -> str:
    return "[" + ", ".join(str(i) for i in ids) + "]" if ids else "[none]"


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "" if math.isnan(v) else repr(float(v))
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def csv_text(phy: Phylogeny) -> str:
    """``lineage.csv`` (ALife data standard phylogeny; columns in the module docstring)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = list(phy.columns)
    w.writerow(["id", "ancestor_list", "origin_time", "destruction_time", *cols, "first_parent",
                "second_parent", "genome"])
    for k in range(len(phy)):
        dt = int(phy.destruction_time[k])
        w.writerow([int(phy.ids[k]), _ancestor_list(phy.ancestors_present(k)), int(phy.origin_time[k]),
                    "none" if dt < 0 else dt, *(_fmt(phy.columns[c][k]) for c in cols),
                    int(phy.first_parent[k]), int(phy.second_parent[k]),
                    "[" + ", ".join(repr(float(x)) for x in phy.genomes[k]) + "]"])
    return buf.getvalue()


def parse_csv(text: str, file: str = "lineage.csv") -> Phylogeny:
    """Read ``lineage.csv`` text back (as written by :func:`csv_text`), validated by
    :func:`evo.runs.readback.lineage_table`: malformed rows, non-numeric ids, duplicate ids, parents younger
    than their children, cycles and missing ancestors of the living raise :class:`~evo.errors.EvoError`
    naming ``file``, the row and the column."""
    return Phylogeny(**lineage_table(text, file))


def parse_ancestor_list(text: str) -> list[int]:
    """``"[12, 40]"`` → ``[12, 40]``; ``"[none]"`` → ``[]``."""
    inner = text.strip().strip("[]")
    return [int(x) for x in inner.split(",") if x.strip() and x.strip().lower().strip("'\"") != "none"]


def _node_columns(phy: Phylogeny) -> list[tuple[str, list[Any]]]:
    """Node attributes as (name, values) in export order, as plain Python values."""
    cols: list[tuple[str, list[Any]]] = [
        ("origin_time", phy.origin_time.tolist()), ("generation", phy.origin_time.tolist()),
        ("destruction_time", phy.destruction_time.tolist()), ("alive", (phy.destruction_time < 0).tolist())]
    cols += [(c, v.tolist()) for c, v in phy.columns.items()]
    cols += [("first_parent", phy.first_parent.tolist()), ("second_parent", phy.second_parent.tolist()),
             ("genome", [" ".join(repr(x) for x in g) for g in phy.genomes.tolist()])]
    return cols


def _edges(phy: Phylogeny) -> list[tuple[int, int, str]]:
    """(parent, child, role) for every parent present."""
    out = []
    for k, child in enumerate(phy.ids.tolist()):
        for role, p in (("first", int(phy.first_parent[k])), ("second", int(phy.second_parent[k]))):
            if p >= 0 and p in phy.row:
                out.append((p, child, role))
    return out


def to_networkx(phy: Phylogeny) -> Any:
    """The phylogeny as a networkx ``DiGraph``: one node per record (attributes: the CSV columns,
    ``generation``, ``alive``), edges parent → child with ``role`` ``first`` or ``second`` (parents present
    only). networkx is imported here, on demand: recording a lineage needs numpy only."""
    import networkx as nx

    g = nx.DiGraph()
    cols = _node_columns(phy)
    for k, i in enumerate(phy.ids.tolist()):
        g.add_node(i, **{name: values[k] for name, values in cols})
    g.add_edges_from((p, c, {"role": role}) for p, c, role in _edges(phy))
    return g


_GRAPHML_TYPES = {bool: "boolean", int: "int", float: "double", str: "string"}


def _graphml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return escape(str(v))


def graphml_text(phy: Phylogeny) -> str:
    """``lineage.graphml``: the graph of :func:`to_networkx` in GraphML, as networkx writes it (read it back
    with ``networkx.read_graphml(path, node_type=int)``). Written directly: networkx's writer is several
    times slower on large phylogenies."""
    cols = _node_columns(phy)
    lines = ["<?xml version='1.0' encoding='utf-8'?>",
             '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
             'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    for k, (name, values) in enumerate(cols):
        kind = _GRAPHML_TYPES[type(values[0])] if values else "string"
        lines.append(f'  <key id="d{k}" for="node" attr.name={quoteattr(name)} attr.type="{kind}" />')
    edge_key = f"d{len(cols)}"
    lines.append(f'  <key id="{edge_key}" for="edge" attr.name="role" attr.type="string" />')
    lines.append('  <graph edgedefault="directed">')
    for row, i in enumerate(phy.ids.tolist()):
        lines.append(f'    <node id="{i}">')
        lines.extend(f'      <data key="d{k}">{_graphml_value(values[row])}</data>'
                     for k, (_, values) in enumerate(cols))
        lines.append("    </node>")
    for p, c, role in _edges(phy):
        lines.append(f'    <edge source="{p}" target="{c}">\n      <data key="{edge_key}">{role}</data>\n'
                     "    </edge>")
    lines += ["  </graph>", "</graphml>"]
    return "\n".join(lines) + "\n"


__all__ = ["FOUNDER_COLUMNS", "GOAL_CLASSES", "MODES", "CollapsedTree", "LineageStore", "Phylogeny",
           "TraitSpec", "check_against_summary", "collapsed_tree", "csv_text", "founder_lineages",
           "graphml_text", "line_of_descent", "mrca", "new_store", "object_types", "parse_ancestor_list",
           "parse_csv", "phylogenetic_diversity", "proxy_pair", "pseudo_onset", "summarize", "to_networkx"]
