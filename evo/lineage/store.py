"""The lineage store: a bounded genealogy of a run, fed by an observer of the evolution loop
(docs/concepts.md §4.2, §5). numpy only.

Rationale: docs/architecture.md, "Notes on modules" → The lineage store.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from evo.core import agents, metrics
from evo.core.checks import Said, check_array, fail
from evo.core.traits import GOAL_CLASSES, TraitSpec
from evo.errors import EvoError
from evo.lineage.phylogeny import Phylogeny

if TYPE_CHECKING:
    from evo.config.schema import Scenario
    from evo.core.state import EvolutionState, Generation

Mode = Literal["pruned", "full"]
MODES = ("pruned", "full", "off")
#: Columns of ``lineage_founders.csv``.
FOUNDER_COLUMNS = ("generation", "founder", "count", "robust", "pseudo", "misaligned", "non_optimizer",
                   "trait_mean")
_GOAL_INDEX = {c: k for k, c in enumerate(GOAL_CLASSES)}

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
        width = agents.genome_length(spec.agent, len(spec.features))
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
                                                                           ("", *metrics.BEHAVIOUR_CLASSES))):
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

    def _history(self, get: Any, bad: Any, generation: int) -> FounderHistory:
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
        out = FounderHistory()
        out.extend(gens, lengths, founders, counts, per_class, means)
        return out


class FounderHistory:
    """Per observed generation: the founders with living members, their member counts, the counts per
    inner-goal class and the mean tracked trait, appended to flat buffers (a few dozen bytes per founder
    and generation; as a list of small arrays a long run's history cost about 0.6 KB per generation)."""

    __slots__ = ("_counts", "_founders", "_gens", "_lengths", "_means", "_per_class")

    def __init__(self) -> None:
        self._gens, self._lengths = array("q"), array("q")
        self._founders, self._counts, self._per_class = array("q"), array("q"), array("q")
        self._means = array("d")

    def append(self, generation: int, founders: NDArray[np.int64], counts: NDArray[np.int64],
               per_class: NDArray[np.int64], means: NDArray[np.float64]) -> None:
        """One generation's rows."""
        self.extend(np.array([generation]), np.array([len(founders)]), founders, counts, per_class, means)

    def extend(self, gens: NDArray[np.int64], lengths: NDArray[np.int64], founders: NDArray[np.int64],
               counts: NDArray[np.int64], per_class: NDArray[np.int64], means: NDArray[np.float64]) -> None:
        """Generations ``gens``, generation ``i`` holding the next ``lengths[i]`` founder rows (the
        ``hist.*`` members of :meth:`arrays`)."""
        self._gens.extend(np.asarray(gens, dtype=np.int64).tolist())
        self._lengths.extend(np.asarray(lengths, dtype=np.int64).tolist())
        self._founders.extend(np.asarray(founders, dtype=np.int64).tolist())
        self._counts.extend(np.asarray(counts, dtype=np.int64).tolist())
        self._per_class.extend(np.asarray(per_class, dtype=np.int64).reshape(-1).tolist())
        self._means.extend(np.asarray(means, dtype=np.float64).tolist())

    def __len__(self) -> int:
        return len(self._gens)

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The ``hist.*`` members of :meth:`LineageStore.to_arrays` (copies)."""
        return {"hist.generation": np.array(self._gens, dtype=np.int64),
                "hist.length": np.array(self._lengths, dtype=np.int64),
                "hist.founders": np.array(self._founders, dtype=np.int64),
                "hist.counts": np.array(self._counts, dtype=np.int64),
                "hist.per_class": np.array(self._per_class, dtype=np.int64).reshape(-1, len(GOAL_CLASSES)),
                "hist.means": np.array(self._means, dtype=np.float64)}

    def __iter__(self) -> Iterator[tuple[int, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                         NDArray[np.float64]]]:
        a = self.arrays()
        at = 0
        for g, n in zip(self._gens, self._lengths, strict=True):
            sl = slice(at, at + n)
            yield (g, a["hist.founders"][sl], a["hist.counts"][sl], a["hist.per_class"][sl],
                   a["hist.means"][sl])
            at += n


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
        self._history = FounderHistory()

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
        self._history.append(g, founders, counts, per_class, means)
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
        width = agents.genome_length(self.spec.agent, len(self.spec.features))
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
        out.update(self._history.arrays())
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

    def founder_rows(self) -> Iterator[dict[str, float]]:
        """Rows of ``lineage_founders.csv`` (columns :data:`FOUNDER_COLUMNS`), one at a time: a long run
        has one per founder lineage per generation."""
        names = [c.replace("-", "_") for c in GOAL_CLASSES]
        for g, founders, counts, per_class, means in self._history:
            for k, f in enumerate(founders.tolist()):
                by_class = dict(zip(names, per_class[k].tolist(), strict=True))
                yield {"generation": g, "founder": f, "count": int(counts[k]), **by_class,
                       "trait_mean": float(means[k])}

    def lineage_counts(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(generations, number of founder lineages with living members in each: the rows per generation
        of ``lineage_founders.csv``)."""
        a = self._history.arrays()
        return a["hist.generation"], a["hist.length"]

    def phylogeny(self) -> Phylogeny:
        """A column snapshot of every record held (sorted by id)."""
        recs = sorted(self._records.values(), key=lambda r: r.id)
        n = len(recs)
        width = agents.genome_length(self.spec.agent, len(self.spec.features))
        genomes = np.array([r.genome for r in recs], dtype=np.float64).reshape(n, width)
        ids = np.array([r.id for r in recs], dtype=np.int64)
        columns: dict[str, NDArray[Any]] = {
            "fitness": np.array([r.fitness for r in recs], dtype=np.float64),
            "goal_class": np.array([r.goal for r in recs], dtype="U13"),
        }
        traits = self.spec.traits(genomes)
        for k in [k for k in traits if k.startswith("w_")] + ["alignment", "proxy_margin"]:
            if k in traits:
                columns[k] = traits[k]
        columns["behaviour_class"] = np.array([r.measured for r in recs], dtype="U18")
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
