"""A run's phylogeny as columns, and its analyses: line of descent, most recent common ancestor,
phylogenetic diversity, surviving founder lineages, the onset of a pseudo-aligned inner goal
(docs/concepts.md §4.2, §5). numpy only.

**Line of descent and phylogeny.** The line of descent of an individual follows first parents back to a
founder (generation 0). First parents make a tree, and every analysis here is about that tree: the most
recent common ancestor (MRCA) of a population, surviving founder lineages, phylogenetic diversity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evo.core.checks import Said, fail
from evo.errors import EvoError

if TYPE_CHECKING:
    from evo.core.traits import TraitSpec

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
    cls = [str(phy.value(i, "goal_class")) for i in lod]
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


def summarize(phy: Phylogeny, lineages: tuple[NDArray[np.int64], NDArray[np.int64]], champion: int,
              final_ids: Sequence[int], spec: TraitSpec, *, mode: str, records_peak: int, births: int
              ) -> dict[str, Any]:
    """The ``"lineage"`` section of ``summary.json``; ``lineages`` is (generations, founder lineages
    with living members in each: the rows per generation of ``lineage_founders.csv``)."""
    lod = line_of_descent(phy, champion)
    onset = pseudo_onset(phy, lod)
    root = mrca(phy, final_ids)
    gens, n_lineages = lineages
    final_gen = int(phy.origin_time.max()) if len(phy) else 0
    final_gen = max(final_gen, int(gens.max()) if gens.size else 0)
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
        "goal_class_definition": "inner-goal class read from the genome: pseudo = its mesa-objective picks "
                                 "the object types the base objective values most in train worlds but not "
                                 "in some shift (see docs/concepts.md)",
        "champion": {"id": int(champion), "founder": int(phy.value(champion, "founder")),
                     "line_of_descent": lod, "first_pseudo": onset["first"], "pseudo_since": onset["since"]},
        "mrca": mrca_info,
        # count[g]: founder lineages with living members in generation g
        "founder_lineages": {"count": n_lineages.tolist(),
                             "final": int(n_lineages[-1]) if len(n_lineages) else 0,
                             "single_lineage_from": fixed_from},
        "phylogenetic_diversity": phylogenetic_diversity(phy, final_ids),
    }
