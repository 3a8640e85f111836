"""Lineage: the store (pruned and full), its analyses, its exports and figures, the `evo lineage` command."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evo import api, cli
from evo.config import schema
from evo.core import objects, traits
from evo.core.problem import Problem
from evo.core.traits import TraitSpec
from evo.errors import EvoError, ScenarioError
from evo.evolution.loop import evolve
from evo.evolution.streams import Streams
from evo.lineage import formats, phylogeny
from evo.lineage.store import LineageStore
from evo.plots.lineage import FIGURES as LINEAGE_FIGURES
from evo.runs import run as experiment
from evo.runs import scenarios as scenario_mod


def _spec(tiny_scenario: schema.Scenario) -> TraitSpec:
    return TraitSpec.from_scenario(tiny_scenario)


def _tiny_spec() -> TraitSpec:
    from conftest import TINY

    return TraitSpec.from_scenario(scenario_mod.loads(TINY, source="tiny.toml"))


# --------------------------------------------------------------------------------------------------------
# inner-goal classes read from genomes


def test_object_types_and_proxy_of_red_door(tiny_scenario) -> None:
    spec = _spec(tiny_scenario)
    feats = list(spec.features)  # red, blue, door, gem
    as_sets = lambda types: {frozenset(f for f, x in zip(feats, row, strict=True) if x) for row in types}  # noqa: E731
    assert as_sets(spec.train_types) == {frozenset({"door", "red"}), frozenset({"gem", "blue"})}
    assert as_sets(spec.shift_types["blue_doors"]) == {frozenset({"door", "blue"}), frozenset({"gem", "red"})}
    assert spec.proxy == (feats.index("red"), feats.index("door"))
    assert spec.trait_label == "w[red] − w[door]"


def test_optional_features_and_variants_give_every_object_type(tiny_text) -> None:
    text = tiny_text.replace("{ features = { door = 1.0, red = 1.0 }, count = 1 },",
                             "{ features = { door = 1.0, red = 0.9, gem = 0.0 }, count = 1 },\n"
                             '  { variants = [{ p = 0.5, features = ["blue"] }, '
                             '{ p = 0.5, features = ["red", "gem"] }], count = 1 },', 1)
    s = scenario_mod.loads(text, source="t.toml")
    types = objects.object_types(s.worlds.train, s.features).rows
    got = {tuple(np.flatnonzero(row)) for row in types}
    # door alone, door+red, blue, red+gem, gem+blue; gem (p = 0) never joins the door
    assert got == {(2,), (0, 2), (1,), (0, 3), (1, 3)}


@pytest.mark.parametrize(("w", "expected"), [
    ([0.0, 0.0, 1.0, 0.0], "robust"),       # wants doors
    ([1.0, 0.0, 0.0, 0.0], "pseudo"),       # wants red: right in train, red gems after the shift
    ([1.0, 0.5, 0.0, 0.0], "pseudo"),       # red above blue: the red gem beats the blue door
    ([0.3, 0.0, 1.0, 0.0], "robust"),       # red helps, but the door dominates
    ([0.0, 1.0, 0.0, 0.0], "misaligned"),   # wants blue: gems in train
    ([-1.0, -1.0, -1.0, -1.0], "misaligned"),  # values nothing: never moves
    ([1.0, 0.0, 0.0, 1.0], "misaligned"),   # tie between red door and blue gem in train
])
def test_goal_class_of_a_mesa_objective(tiny_scenario, w, expected) -> None:
    assert _spec(tiny_scenario).goal_classes(np.array([w]))[0] == expected


def test_goal_class_of_agents_without_an_objective(tiny_scenario) -> None:
    reflex = replace(tiny_scenario, agent=replace(tiny_scenario.agent, kind="reflex"))
    spec = TraitSpec.from_scenario(reflex)
    g = np.zeros((3, 1 + 4 + 4 + 5))
    assert list(spec.goal_classes(g)) == ["non-optimizer"] * 3
    assert spec.trait_column is None
    hybrid_agent = replace(tiny_scenario.agent, kind="hybrid")
    hybrid = TraitSpec.from_scenario(replace(tiny_scenario, agent=hybrid_agent))
    g = np.zeros((2, 4 + 14 + 1))
    g[:, 2] = 1.0  # wants doors
    g[0, -1] = 0.0  # horizon 0: a reflex agent
    g[1, -1] = 1.0
    assert list(hybrid.goal_classes(g)) == ["non-optimizer", "robust"]


# --------------------------------------------------------------------------------------------------------
# the store on synthetic genealogies (fast, many shapes)


def _synthetic(store_list: list[LineageStore], seed: int, p: int, elitism: int, generations: int,
               crossover: float) -> np.ndarray:
    """Feed every store the same random genealogy, shaped like evolution._breed makes it."""
    rng = np.random.default_rng(seed)
    ids = np.arange(p, dtype=np.int64)
    parents = np.full((p, 2), -1, dtype=np.int64)
    genomes = rng.normal(size=(p, 4))
    next_id = p
    for g in range(generations):
        fitness = rng.normal(size=p)
        for s in store_list:
            s.observe_arrays(g, ids, parents, genomes, fitness)
        if g == generations - 1:
            break
        elite = rng.choice(p, size=elitism, replace=False)
        n = p - elitism
        first = rng.integers(0, p, n)
        second = np.where(rng.random(n) < crossover, rng.integers(0, p, n), -1)
        new_parents = np.stack([ids[first], np.where(second >= 0, ids[np.maximum(second, 0)], -1)], axis=1)
        ids = np.concatenate([ids[elite], np.arange(next_id, next_id + n)])
        parents = np.concatenate([parents[elite], new_parents])
        genomes = np.concatenate([genomes[elite], genomes[first] + rng.normal(0, 0.3, (n, 4))])
        next_id += n
    return ids


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), p=st.integers(2, 12), elitism=st.integers(0, 2),
       generations=st.integers(1, 25), crossover=st.floats(0.0, 1.0))
def test_pruned_and_full_agree_on_every_line_of_descent(seed, p, elitism, generations, crossover) -> None:
    elitism = min(elitism, p - 1)
    spec = _tiny_spec()
    pruned, full = LineageStore(spec, "pruned"), LineageStore(spec, "full")
    alive = _synthetic([pruned, full], seed, p, elitism, generations, crossover)
    expected_births = p + (generations - 1) * (p - elitism)
    assert len(full) == full.births == pruned.births == expected_births
    fp, pp = full.phylogeny(), pruned.phylogeny()
    for i in alive.tolist():
        assert pruned.line_of_descent(i) == full.line_of_descent(i) == phylogeny.line_of_descent(pp, i)
    # pruned keeps exactly the line-of-descent ancestors of the living and the second parents of those
    tree = {a for i in alive.tolist() for a in phylogeny.line_of_descent(fp, i)}
    mates = {int(fp.second_parent[fp.row[t]]) for t in tree} - {-1}
    assert set(pp.ids.tolist()) == tree | mates
    assert len(pruned) <= 2 * len(tree)
    # the analyses do not depend on the mode
    assert phylogeny.mrca(pp, alive) == phylogeny.mrca(fp, alive)
    assert phylogeny.phylogenetic_diversity(pp, alive) == phylogeny.phylogenetic_diversity(fp, alive)
    assert list(pruned.founder_rows()) == list(full.founder_rows())
    for phy in (pp, fp):
        g = formats.to_networkx(phy)
        assert nx.is_directed_acyclic_graph(g)
        assert all(g.nodes[u]["generation"] < g.nodes[v]["generation"] for u, v in g.edges)


def test_pruned_store_stays_bounded_while_full_grows(tiny_scenario) -> None:
    spec = _spec(tiny_scenario)
    pruned, full = LineageStore(spec, "pruned"), LineageStore(spec, "full")
    _synthetic([pruned, full], seed=3, p=50, elitism=2, generations=200, crossover=0.5)
    assert len(full) == 50 + 199 * 48
    # the first-parent tree coalesces: the living, a bushy recent past and one trunk record per generation
    assert len(pruned) < 0.1 * len(full)
    assert pruned.peak < 0.1 * len(full)


def test_store_rejects_inconsistent_genealogies(tiny_scenario) -> None:
    store = LineageStore(_spec(tiny_scenario))
    g = np.zeros((2, 4))
    store.observe_arrays(0, np.array([0, 1]), np.full((2, 2), -1), g, np.zeros(2))
    with pytest.raises(ValueError, match="not alive in the previous generation"):
        store.observe_arrays(1, np.array([0, 2]), np.array([[-1, -1], [7, -1]]), g, np.zeros(2))
    with pytest.raises(ValueError, match="after generation"):
        store.observe_arrays(0, np.array([0, 1]), np.full((2, 2), -1), g, np.zeros(2))
    with pytest.raises(ValueError, match="unknown lineage mode"):
        LineageStore(_spec(tiny_scenario), "everything")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------------
# analyses on a hand-made phylogeny


def _hand_phylogeny() -> phylogeny.Phylogeny:
    #        0 (gen 0, robust)       1 (gen 0)
    #        |                       |
    #        2 (gen 1, pseudo) ×1    3 (gen 1)
    #       / \
    #      4   5 (gen 2, 5 robust)
    #      |
    #      6 (gen 3, pseudo) — alive: 5, 6
    ids = np.arange(7)
    first = np.array([-1, -1, 0, 1, 2, 2, 4])
    second = np.array([-1, -1, 1, -1, -1, -1, -1])
    origin = np.array([0, 0, 1, 1, 2, 2, 3])
    dead = np.array([1, 2, 3, 2, 4, -1, -1])
    cls = np.array(["robust", "misaligned", "pseudo", "robust", "pseudo", "robust", "pseudo"])
    founder = np.array([0, 1, 0, 1, 0, 0, 0])
    return phylogeny.Phylogeny(ids, first, second, origin, dead, np.zeros((7, 4)),
                             {"fitness": np.zeros(7), "goal_class": cls, "founder": founder})


def test_analyses_on_a_hand_made_phylogeny() -> None:
    phy = _hand_phylogeny()
    assert phylogeny.line_of_descent(phy, 6) == [0, 2, 4, 6]
    assert phylogeny.pseudo_onset(phy, [0, 2, 4, 6]) == {"first": {"id": 2, "generation": 1},
                                                       "since": {"id": 2, "generation": 1}}
    assert phylogeny.pseudo_onset(phy, [0, 2, 5])["since"] is None
    assert phylogeny.mrca(phy, [5, 6]) == 2
    assert phylogeny.mrca(phy, [6, 3]) is None
    assert phylogeny.mrca(phy, [6]) == 6
    # edges 5→2 (1 generation), 6→4 (1), 4→2 (1)
    assert phylogeny.phylogenetic_diversity(phy, [5, 6]) == 3.0
    tree = phylogeny.collapsed_tree(phy, [5, 6])
    assert set(tree.nodes) == {0, 2, 5, 6}  # 4 sits on an unbranched chain
    assert tree.parent[6] == 2 and tree.hidden[6] == 1 and tree.parent[2] == 0 and tree.roots == (0,)
    g = formats.to_networkx(phy)
    assert g.edges[1, 2]["role"] == "second" and g.edges[0, 2]["role"] == "first"
    assert formats.parse_ancestor_list("[none]") == [] and formats.parse_ancestor_list("[12, 40]") == [12, 40]


# --------------------------------------------------------------------------------------------------------
# malformed genealogies: refused on read, and every walk over ancestry terminates


def test_walks_over_a_cyclic_phylogeny_terminate() -> None:
    # 1 → 3 → 2 → 1 by first parents (a Phylogeny built directly, past the CSV reader's check), 0 a founder
    ids = np.arange(4)
    columns = {"fitness": np.zeros(4), "goal_class": np.array(["pseudo"] * 4), "founder": np.zeros(4)}
    phy = phylogeny.Phylogeny(ids, np.array([-1, 2, 3, 1]), np.full(4, -1), np.zeros(4, dtype=np.int64),
                            np.full(4, -1), np.zeros((4, 4)), columns)
    with pytest.raises(EvoError, match="cycle"):
        phylogeny.line_of_descent(phy, 2)
    with pytest.raises(EvoError, match="cycle"):
        phylogeny.mrca(phy, [0, 2])
    with pytest.raises(EvoError, match="cycle"):
        phylogeny.phylogenetic_diversity(phy, [2, 1])
    tree = phylogeny.collapsed_tree(phy, [0, 2])  # terminates: it never walks past a node it has seen
    assert 0 in tree.nodes and 2 in tree.nodes


def _with_cycle(text: str, champion_line: list[int]) -> str:
    """lineage.csv text whose champion's founder gets the champion as first parent (a cycle)."""
    rows = list(csv.reader(io.StringIO(text)))
    head = rows[0]
    founder, champ = champion_line[0], champion_line[-1]
    for r in rows[1:]:
        if int(r[head.index("id")]) == founder:
            r[head.index("first_parent")] = str(champ)
            r[head.index("ancestor_list")] = f"[{champ}]"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def test_a_cyclic_lineage_csv_is_one_error_not_an_endless_walk(run_dir: Path, tmp_path: Path) -> None:
    info = json.loads((run_dir / "summary.json").read_text())["lineage"]
    text = _with_cycle((run_dir / "lineage.csv").read_text(), info["champion"]["line_of_descent"])
    with pytest.raises(EvoError, match=r"lineage.csv: row \d+ \(line \d+\), column 'first_parent': expected "
                       r"an ancestry without cycles .*got a cycle: \d+ → "):
        formats.parse_csv(text)
    # the command that used to loop with unbounded memory: one line and exit 2, in a subprocess with a
    # deadline so that a regression fails instead of hanging the suite
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (run / "lineage.csv").write_text(text)
    done = subprocess.run([sys.executable, "-m", "evo.cli", "lineage", str(run), "--no-figures"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "a cycle" in done.stderr, done.stderr


_TRICKY = ["", "x", "-1", "-2", "none", "[none]", "[0]", "99999999", "1e309", "nan", "inf", "[1, 2]", "0",
           "١٢", "1_0", " 3", "[", "\"", "pseudo", "9" * 30]


@settings(max_examples=150, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6),
                                st.one_of(st.sampled_from(_TRICKY), st.integers(-3, 300).map(str))),
                      min_size=1, max_size=4),
       shape=st.sampled_from(["cells", "drop_row", "duplicate_row", "truncate"]))
def test_mutated_lineage_csv_is_read_or_refused_never_a_traceback(run_dir: Path, edits, shape) -> None:
    rows = list(csv.reader(io.StringIO((run_dir / "lineage.csv").read_text())))
    head, body = rows[0], rows[1:]
    for r, c, value in edits:
        k = r % len(body)
        if shape == "drop_row" and len(body) > 1:
            del body[k]
        elif shape == "duplicate_row":
            body.insert(k, list(body[k]))
        elif shape == "truncate":
            body[k] = body[k][: c % len(head)]
        else:
            body[k][c % len(head)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([head, *body])
    try:
        phy = formats.parse_csv(buf.getvalue())
    except EvoError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("lineage.csv: ")
        return
    for i in phy.alive.tolist():  # what was accepted can be walked, and every walk ends
        line = phylogeny.line_of_descent(phy, i)
        assert len(set(line)) == len(line) and line[-1] == i


def test_store_arrays_are_validated(tiny_scenario) -> None:
    problem = Problem.from_scenario(tiny_scenario)
    store = LineageStore(_spec(tiny_scenario))
    evolve(problem, Streams.from_seed(2), [store])
    arrays = store.to_arrays()
    back = LineageStore.from_arrays(store.spec, "pruned", arrays)
    assert back.phylogeny().ids.tolist() == store.phylogeny().ids.tolist() and back.peak == store.peak
    own = dict(arrays)
    own["rec.first"] = arrays["rec.id"].copy()  # every record its own parent: a cycle
    with pytest.raises(EvoError, match=r"lineage store: member 'rec.first': expected -1 or the id of an "):
        LineageStore.from_arrays(store.spec, "pruned", own)
    with pytest.raises(EvoError, match=r"member 'counters': expected .*= records in full mode"):
        LineageStore.from_arrays(store.spec, "full", arrays)  # a pruned store read as a full one


# --------------------------------------------------------------------------------------------------------
# real evolution, runs, exports, CLI, figures


@pytest.mark.parametrize("replacement", ["generational", "mu_plus_lambda", "mu_comma_lambda"])
def test_tracking_changes_nothing_and_modes_agree_on_real_evolution(tiny_scenario, replacement) -> None:
    evolution = replace(tiny_scenario.evolution, replacement=replacement)
    tiny_scenario = replace(tiny_scenario, evolution=evolution)
    problem = Problem.from_scenario(tiny_scenario)
    stores = {m: LineageStore(_spec(tiny_scenario), m) for m in ("pruned", "full")}
    states = {m: evolve(problem, Streams.from_seed(4), [s])[0] for m, s in stores.items()}
    plain, _ = evolve(problem, Streams.from_seed(4))
    for state in states.values():
        assert np.array_equal(state.genomes, plain.genomes) and np.array_equal(state.ids, plain.ids)
    for i in plain.ids.tolist():
        assert stores["pruned"].line_of_descent(i) == stores["full"].line_of_descent(i)
    e = tiny_scenario.evolution
    if replacement == "generational":
        assert len(stores["full"]) == e.population + (e.generations - 1) * (e.population - e.elitism)
    # the shift-evaluated sample of each generation has a measured class
    measured = stores["full"].phylogeny().columns["behaviour_class"]
    assert (measured != "").sum() >= e.shift_sample


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    from conftest import TINY

    s = scenario_mod.loads(TINY.replace("generations = 6", "generations = 12"), source="tiny.toml")
    out = tmp_path_factory.mktemp("lineage") / "run"
    api.run(s, seed=3, out=out, figures=True)
    return out


def test_run_writes_alife_standard_csv(run_dir: Path) -> None:
    with open(run_dir / "lineage.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    assert header[:4] == ["id", "ancestor_list", "origin_time", "destruction_time"]
    assert {"fitness", "goal_class", "w_red", "w_blue", "w_door", "w_gem", "behaviour_class",
            "shift_fitness_blue_doors"} <= set(header)
    ids = {int(r["id"]) for r in rows}
    for r in rows:
        anc = formats.parse_ancestor_list(r["ancestor_list"])
        assert set(anc) <= ids  # the standard: ancestors listed are entries of the file
        # the standard's tools refuse whitespace in an ancestor list (results format 3)
        assert r["ancestor_list"] == ("[none]" if not anc else "[" + ",".join(map(str, anc)) + "]")
        assert r["goal_class"] in traits.GOAL_CLASSES
    assert any(len(formats.parse_ancestor_list(r["ancestor_list"])) == 2 for r in rows)  # crossover: both
    alive = [r for r in rows if r["destruction_time"] == "inf"]
    assert len(alive) == 24 and all(r["behaviour_class"] for r in alive)


def test_graphml_reads_back_as_a_dag_holding_the_champion_line(run_dir: Path) -> None:
    g = nx.read_graphml(run_dir / "lineage.graphml", node_type=int)
    summary = json.loads((run_dir / "summary.json").read_text())["lineage"]
    assert nx.is_directed_acyclic_graph(g)
    assert g.number_of_nodes() == summary["records"]
    assert all(isinstance(d["generation"], int) for _, d in g.nodes(data=True))
    # edges go from generation g to g + 1, or later when the parent lived on as an elite
    assert all(g.nodes[v]["generation"] > g.nodes[u]["generation"] for u, v in g.edges)
    assert {d["role"] for *_, d in g.edges(data=True)} == {"first", "second"}
    lod = summary["champion"]["line_of_descent"]
    assert nx.is_path(g, lod) and lod[-1] == summary["champion"]["id"]
    assert all(g.edges[a, b]["role"] == "first" for a, b in itertools.pairwise(lod))
    assert g.nodes[lod[0]]["generation"] == 0
    # the CSV and the GraphML hold the same records and traits, and the GraphML is what networkx makes
    phy = formats.parse_csv((run_dir / "lineage.csv").read_text())
    assert set(phy.ids.tolist()) == set(g.nodes)
    k = phy.row[lod[-1]]
    assert g.nodes[lod[-1]]["w_red"] == phy.columns["w_red"][k]
    reference = formats.to_networkx(phy)
    assert set(reference.edges) == set(g.edges)
    nan_safe = lambda d: {a: ("nan" if v != v else v) for a, v in d.items()}  # noqa: E731
    assert all(nan_safe(reference.nodes[n]) == nan_safe(g.nodes[n]) for n in g.nodes)
    written = "\n".join(nx.generate_graphml(reference)).encode()
    via_networkx = nx.read_graphml(io.BytesIO(written), node_type=int)
    assert all(nan_safe(via_networkx.nodes[n]) == nan_safe(g.nodes[n]) for n in g.nodes)


def test_summary_lineage_section(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    info = summary["lineage"]
    assert info["mode"] == "pruned" and info["individuals_born"] == 24 + 11 * 22
    pop = np.load(run_dir / "final_population.npz")
    assert info["champion"]["id"] == int(pop["ids"][summary["champion"]["index"]])
    phy = formats.parse_csv((run_dir / "lineage.csv").read_text())
    assert info["mrca"] is None or info["mrca"]["id"] == phylogeny.mrca(phy, pop["ids"].tolist())
    assert len(info["founder_lineages"]["count"]) == 12 and info["founder_lineages"]["count"][0] == 24
    assert info["phylogenetic_diversity"] > 0
    onset = info["champion"]["first_pseudo"]
    if onset is not None:
        assert phy.value(onset["id"], "goal_class") == "pseudo"
        assert onset["id"] in info["champion"]["line_of_descent"]
    with open(run_dir / "lineage_founders.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sum(int(r["count"]) for r in rows if r["generation"] == "11") == 24


def test_figures_are_written(run_dir: Path) -> None:
    for name in LINEAGE_FIGURES:
        assert (run_dir / "figures" / name).stat().st_size > 10_000, name
    result = api.RunResult.load(run_dir)
    assert set(LINEAGE_FIGURES) <= set(result.save_figures())
    for fig in (result.plot_lineage(), result.plot_founders(), result.plot_phylogeny()):
        assert fig.axes[0].get_title() and fig.axes[0].get_ylabel()


def test_cli_lineage_prints_the_line_of_descent(run_dir: Path, capsys) -> None:
    info = json.loads((run_dir / "summary.json").read_text())["lineage"]
    assert cli.main(["lineage", str(run_dir), "--no-figures"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].split()[:4] == ["gen", "id", "fitness", "w_red"]
    assert set(lines[2]) == {"-", " "}  # the rule under the heading
    n = len(info["champion"]["line_of_descent"])
    table = lines[3:3 + n]
    assert [int(ln.split()[1]) for ln in table] == info["champion"]["line_of_descent"]
    assert str(info["champion"]["id"]) in lines[2 + n]
    assert cli.main(["lineage", str(run_dir), "--no-figures", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [a["id"] for a in printed["line_of_descent"]] == info["champion"]["line_of_descent"]
    assert printed["mrca"] == info["mrca"] and printed["figures"] == {}
    first = printed["line_of_descent"][0]
    assert {"generation", "fitness", "w_red", "goal_class", "behaviour_class"} <= set(first)
    other = info["champion"]["line_of_descent"][0]
    assert cli.main(["lineage", str(run_dir), "--individual", str(other)]) == 0
    assert (run_dir / "figures" / f"lineage_individual-{other}.png").is_file()
    assert cli.main(["lineage", str(run_dir), "--individual", "999999"]) == 2
    assert "not in lineage.csv" in capsys.readouterr().err


def test_lineage_off_and_full_modes(tmp_path: Path, tiny_text: str, capsys) -> None:
    for mode in ("off", "full"):
        s = scenario_mod.loads(tiny_text.replace("eval_worlds = 8", f'eval_worlds = 8\nlineage = "{mode}"'))
        assert s.evolution.lineage == mode
        out = tmp_path / mode
        result = api.run(s, seed=1, out=out, figures=False)
        present = [(out / f).exists() for f in experiment.LINEAGE_FILES]
        assert present == [mode != "off"] * len(experiment.LINEAGE_FILES) and len(present) == 5
        assert result.summary["lineage"]["mode"] == mode
    assert cli.main(["lineage", str(tmp_path / "off")]) == 2
    assert "no lineage.csv" in capsys.readouterr().err
    full = json.loads((tmp_path / "full" / "summary.json").read_text())["lineage"]
    assert full["records"] == 24 + 5 * 22
    with pytest.raises(ScenarioError, match=r"evolution\.lineage"):
        scenario_mod.loads(tiny_text.replace("eval_worlds = 8", 'eval_worlds = 8\nlineage = "some"'))


def test_lineage_module_imports_neither_deap_nor_matplotlib() -> None:
    code = ("import sys, evo.lineage.store\n"
            "print(','.join(m for m in ('deap', 'matplotlib') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.slow
def test_pruned_red_door_200_by_300_holds_a_few_thousand_records(tmp_path: Path) -> None:
    """The issue's bound: a 200 × 300 red_door run ends with at most 2 000 records in pruned mode (measured:
    1 421, peak 1 554, seed 1), against 59 402 individuals born (200 + 299 × 198: elites are not reborn)."""
    root = Path(__file__).resolve().parents[2]
    s = scenario_mod.load(root / "scenarios" / "red_door.toml")
    s = replace(s, evolution=replace(s.evolution, generations=300))
    problem = Problem.from_scenario(s)
    store = LineageStore(TraitSpec.from_scenario(s), "pruned")
    state, _ = evolve(problem, Streams.from_seed(1), [store])
    assert store.births == 200 + 299 * 198
    assert len(store) <= 2000 and store.peak <= 2000
    assert store.line_of_descent(int(state.ids[0]))[0] < 200  # back to a founder
