"""The lineage exports loaded by the ALife data standard's own tools, as written: lineage.csv (a genealogy,
two parents per crossover child) by alifedata-phyloinformatics-convert into networkx; the first-parent tree
(lineage_tree.csv) by the converter into dendropy trees and Newick, and by phylotrackpy; lineage.nwk by
dendropy. Their MRCA and phylogenetic diversity are evo's (summary.json → lineage)."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path
from typing import Any

import dendropy
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from evo import api
from evo.lineage import formats, phylogeny
from evo.runs import scenarios as scenario_mod

with warnings.catch_warnings():  # the converter warns that ete3 (an optional backend) is not installed
    warnings.simplefilter("ignore")
    import alifedata_phyloinformatics_convert as apc
from phylotrackpy import systematics

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def red_door(tmp_path_factory) -> Path:
    """The flagship run (scenarios/red_door.toml, seed 0, pruned lineage): one founder lineage survives."""
    out = tmp_path_factory.mktemp("exports") / "red_door"
    api.run(ROOT / "scenarios" / "red_door.toml", seed=0, out=out, figures=False)
    return out


@pytest.fixture(scope="module")
def forest(tmp_path_factory) -> Path:
    """A short tiny run in full mode (every individual kept, the extinct too): several founder lineages
    survive, so the first-parent tree is a forest and there is no MRCA."""
    from conftest import TINY

    text = TINY.replace("generations = 6", "generations = 3").replace(
        "eval_worlds = 8", 'eval_worlds = 8\nlineage = "full"')
    out = tmp_path_factory.mktemp("exports") / "forest"
    api.run(scenario_mod.loads(text, source="tiny.toml"), seed=0, out=out, figures=False)
    return out


def _lineage(run: Path) -> dict[str, Any]:
    return json.loads((run / "summary.json").read_text())["lineage"]


def _alive(df: pd.DataFrame) -> set[int]:
    return {int(i) for i in df.loc[df["destruction_time"] == np.inf, "id"]}


# --------------------------------------------------------------------------------------------------------
# lineage.csv: the genealogy, crossover mates included


@pytest.mark.parametrize("which", ["red_door", "forest"])
def test_lineage_csv_loads_in_the_converter_as_written(which: str, request) -> None:
    run = request.getfixturevalue(which)
    df = pd.read_csv(run / "lineage.csv")
    g = apc.alife_dataframe_to_networkx_digraph(df)  # edges child → parent, both parents of a crossover
    assert g.number_of_nodes() == _lineage(run)["records"] == len(df)
    mine = nx.read_graphml(run / "lineage.graphml", node_type=int)  # edges parent → child
    assert set(g.edges) == {(c, p) for p, c in mine.edges}
    assert any(g.out_degree(n) == 2 for n in g)  # two-parent rows are in the file, as the genealogy has them
    assert len(_alive(df)) == json.loads((run / "summary.json").read_text())["population"]


# --------------------------------------------------------------------------------------------------------
# the first-parent tree: one connected forest of the surviving founder lineages


@pytest.mark.parametrize("which", ["red_door", "forest"])
def test_tree_export_is_the_connected_forest_of_the_living(which: str, request) -> None:
    run = request.getfixturevalue(which)
    phy = formats.parse_csv((run / "lineage.csv").read_text())
    with open(run / "lineage_tree.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = [int(r["id"]) for r in rows]
    expected = sorted({i for a in phy.alive.tolist() for i in phylogeny.line_of_descent(phy, a)})
    assert ids == expected  # the living and their lines of descent, nothing else
    roots = []
    for r in rows:
        anc = r["ancestor_list"]
        assert " " not in anc and anc.count(",") == 0  # one ancestor per row
        if anc == "[none]":
            roots.append(int(r["id"]))
            assert r["origin_time"] == "0"  # every root is a founder: no orphaned record
        else:
            parent = int(anc[1:-1])
            assert parent in ids and parent == phy.first_parent_of(int(r["id"]))
        assert r["taxon_label"] == r["id"]
        k = phy.row[int(r["id"])]
        dead = int(phy.destruction_time[k])
        assert r["destruction_time"] == ("inf" if dead < 0 else str(dead))
    info = _lineage(run)
    assert len(roots) == info["founder_lineages"]["final"]
    assert len(phy) > len(rows)  # crossover mates (and, in full mode, extinct branches) are left out
    if which == "forest":
        assert len(roots) >= 2 and info["mrca"] is None


def _dendropy_mrca(tree: dendropy.Tree, alive: set[int]) -> dendropy.Node:
    """The tool's MRCA of the leaves (dendropy's ``Tree.mrca``, over leaf taxa only), checked to be the MRCA
    of every living individual: no living inner node (an elite that had children) sits above it."""
    m = tree.mrca(taxa=[nd.taxon for nd in tree.leaf_node_iter()])
    above = {id(nd) for nd in m.ancestor_iter(inclusive=False)}
    assert all(id(nd) not in above for nd in tree.preorder_node_iter() if _label(nd) in alive)
    return m


def _label(nd: dendropy.Node) -> int:
    return int(nd.taxon.label if nd.taxon is not None else nd.label)


def _length_below(node: dendropy.Node) -> float:
    """Faith's phylogenetic diversity rooted at ``node``: the total branch length of its subtree."""
    return float(sum(nd.edge.length for nd in node.preorder_iter() if nd is not node))


def test_converter_reads_the_tree_with_evos_mrca_and_diversity(red_door: Path) -> None:
    df = pd.read_csv(red_door / "lineage_tree.csv")
    info = _lineage(red_door)
    tree = apc.alife_dataframe_to_dendropy_tree(df, setup_edge_lengths=True)  # one tree: one lineage survives
    assert len(tree.nodes()) == len(df)
    m = _dendropy_mrca(tree, _alive(df))
    assert _label(m) == info["mrca"]["id"] == 12601  # red_door seed 0 (results format 5)
    assert _length_below(m) == info["phylogenetic_diversity"] == 720.0
    # the converter's Newick, read back by dendropy: the same tree
    newick = apc.RosettaTree(df).to_newick()
    back = dendropy.Tree.get(data=newick, schema="newick", suppress_internal_node_taxa=False)
    m2 = _dendropy_mrca(back, _alive(df))
    assert _label(m2) == info["mrca"]["id"] and _length_below(m2) == info["phylogenetic_diversity"]
    assert _edges(back) == _edges(_newick_trees(red_door)[0])


def _newick_trees(run: Path) -> dendropy.TreeList:
    return dendropy.TreeList.get(path=str(run / "lineage.nwk"), schema="newick", rooting="force-rooted",
                                 suppress_internal_node_taxa=False)


def _edges(tree: dendropy.Tree) -> set[tuple[int, int, float]]:
    return {(_label(nd.parent_node), _label(nd), float(nd.edge.length)) for nd in tree.preorder_node_iter()
            if nd.parent_node is not None}


@pytest.mark.parametrize("which", ["red_door", "forest"])
def test_newick_is_the_tree_export(which: str, request) -> None:
    run = request.getfixturevalue(which)
    df = pd.read_csv(run / "lineage_tree.csv")
    info = _lineage(run)
    trees = _newick_trees(run)
    assert len(trees) == info["founder_lineages"]["final"]
    labels = sorted(_label(nd) for t in trees for nd in t.preorder_node_iter())
    assert labels == sorted(df["id"].tolist())
    converted = apc.alife_dataframe_to_dendropy_trees(df, setup_edge_lengths=True)
    assert set().union(*map(_edges, trees)) == set().union(*map(_edges, converted))
    if info["mrca"] is None:  # several trees: the diversity is that of the whole forest, from its founders
        assert sum(_length_below(t.seed_node) for t in trees) == info["phylogenetic_diversity"]
    else:
        (tree,) = trees
        m = _dendropy_mrca(tree, _alive(df))
        assert _label(m) == info["mrca"]["id"] and _length_below(m) == info["phylogenetic_diversity"]


def _phylotrack(run: Path) -> systematics.Systematics:
    sys_ = systematics.Systematics(lambda org: org, True, True, False, False)
    sys_.load_from_file(str(run / "lineage_tree.csv"), "id")
    return sys_


def _faith_from(sys_: systematics.Systematics, root: Any) -> float:
    """Faith's diversity in generations over phylotrackpy's loaded tree (its parents and origination
    times): every branch on a path from an active taxon up to ``root`` (None: up to each root)."""
    seen: set[int] = set()
    total = 0.0
    for taxon in sys_.get_active_taxa():
        while (root is None or taxon.get_id() != root.get_id()) and taxon.get_id() not in seen:
            parent = taxon.get_parent()
            if parent is None:
                break
            seen.add(taxon.get_id())
            total += taxon.get_origination_time() - parent.get_origination_time()
            taxon = parent
    return total


@pytest.mark.parametrize("which", ["red_door", "forest"])
def test_phylotrackpy_loads_the_tree_with_evos_mrca_and_diversity(which: str, request) -> None:
    run = request.getfixturevalue(which)
    info = _lineage(run)
    summary = json.loads((run / "summary.json").read_text())
    sys_ = _phylotrack(run)
    n_rows = len(pd.read_csv(run / "lineage_tree.csv"))
    assert sys_.get_num_roots() == info["founder_lineages"]["final"]
    assert sys_.get_num_active() == summary["population"]  # 'inf': alive, inner nodes (elites) too
    assert sys_.get_num_taxa() == n_rows
    mrca = sys_.get_mrca()
    if info["mrca"] is None:
        assert mrca is None
    else:
        assert mrca.get_id() == info["mrca"]["id"]
    assert _faith_from(sys_, mrca) == info["phylogenetic_diversity"]
    # phylotrackpy's own diversity counts every branch as 1 (its docs: "assuming all parent-child edges
    # have a length of 1"), over every taxon it holds: the tree's records less one, here not evo's number in
    # generations (branches of elites that lived on are longer than one generation)
    assert sys_.get_phylogenetic_diversity() == n_rows - 1


# --------------------------------------------------------------------------------------------------------
# the writers on hand-made phylogenies


def _phy(first: list[int], second: list[int], origin: list[int], dead: list[int]) -> phylogeny.Phylogeny:
    n = len(first)
    columns = {"fitness": np.linspace(0, 1, n), "goal_class": np.array(["pseudo"] * n),
               "behaviour_class": np.array([""] * n), "horizon": np.zeros(n, dtype=np.int64),
               "founder": np.zeros(n, dtype=np.int64)}
    return phylogeny.Phylogeny(np.arange(n), np.array(first), np.array(second), np.array(origin),
                               np.array(dead), np.zeros((n, 1)), columns)


def test_writers_on_a_hand_made_genealogy() -> None:
    # founders 0, 1, 2; 3 = 0 × 1 (gen 1); 4 = 0 × 2, 5 = 3 (gen 2); 0 lives on (an elite); 6 = 0 (gen 3);
    # alive at the end: 0, 4, 5, 6 (2 and its line are a mate only, 1 a mate only)
    phy = _phy(first=[-1, -1, -1, 0, 0, 3, 0], second=[-1, -1, -1, 1, 2, -1, -1],
               origin=[0, 0, 0, 1, 2, 2, 3], dead=[-1, 2, 3, 3, -1, -1, -1])
    lines = formats.csv_text(phy).splitlines()
    assert [line.split(",")[:4] for line in lines[1:3]] == [["0", "[none]", "0", "inf"],
                                                            ["1", "[none]", "0", "2"]]
    assert lines[4].startswith('3,"[0,1]",1,3,') and lines[5].startswith('4,"[0,2]",2,inf,')
    assert formats.tree_rows(phy) == [0, 3, 4, 5, 6]
    tree = formats.tree_csv_text(phy).splitlines()
    assert tree[0].startswith("id,ancestor_list,origin_time,destruction_time,taxon_label,fitness")
    assert [r.split(",")[:5] for r in tree[1:]] == [
        ["0", "[none]", "0", "inf", "0"], ["3", "[0]", "1", "3", "3"], ["4", "[0]", "2", "inf", "4"],
        ["5", "[3]", "2", "inf", "5"], ["6", "[0]", "3", "inf", "6"]]
    assert formats.newick_text(phy) == "((5:1)3:1,4:2,6:3)0;\n"
    assert formats.parse_csv(formats.csv_text(phy)).ancestors_present(3) == [0, 1]


def test_newick_of_a_line_longer_than_the_recursion_limit() -> None:
    n = 5000
    phy = _phy(first=[-1, *range(n - 1)], second=[-1] * n, origin=list(range(n)),
               dead=[*range(1, n), -1])
    text = formats.newick_text(phy)
    assert text == "(" * (n - 1) + str(n - 1) + "".join(f":1){k}" for k in range(n - 2, -1, -1)) + ";\n"
    assert len(formats.tree_csv_text(phy).splitlines()) == n + 1
