"""The lineage files: ``lineage.csv`` written and read back (validated), ``lineage.graphml``, the
first-parent tree exports ``lineage_tree.csv`` and ``lineage.nwk``, and the phylogeny as a networkx graph
(networkx is imported only by :func:`to_networkx`).

Rationale: docs/architecture.md, "Notes on modules" → Lineage formats.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from numpy.typing import NDArray

from evo.core.checks import Said, Table, float_cell
from evo.core.metrics import BEHAVIOUR_CLASSES
from evo.core.traits import GOAL_CLASSES
from evo.errors import EvoError
from evo.lineage.phylogeny import Phylogeny

#: ``destruction_time`` of the living, in lineage.csv and lineage_tree.csv.
ALIVE = "inf"


def _ancestor_list(ids: Sequence[int]) -> str:
    """The ALife standard's ancestor list: ``[12,40]`` (no whitespace), ``[none]`` for none."""
    return "[" + ",".join(str(i) for i in ids) + "]" if ids else "[none]"


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
                    ALIVE if dt < 0 else dt, *(_fmt(phy.columns[c][k]) for c in cols),
                    int(phy.first_parent[k]), int(phy.second_parent[k]),
                    "[" + ", ".join(repr(float(x)) for x in phy.genomes[k]) + "]"])
    return buf.getvalue()


def tree_rows(phy: Phylogeny) -> list[int]:
    """Rows of the first-parent tree of the final population, in file order: every living individual and
    each first-parent ancestor of one (:func:`evo.lineage.phylogeny.line_of_descent`), nothing else. A run's
    phylogeny keeps these in every lineage mode, so each line ends at a founder of generation 0."""
    keep: set[int] = set()
    for start in np.flatnonzero(phy.destruction_time < 0).tolist():
        k: int | None = start
        while k is not None and k not in keep:
            keep.add(k)
            p = int(phy.first_parent[k])
            k = phy.row.get(p) if p >= 0 else None
    return sorted(keep)


def tree_csv_text(phy: Phylogeny) -> str:
    """``lineage_tree.csv``: the first-parent tree of the final population (:func:`tree_rows`) in the ALife
    data standard, one ancestor per row (the first parent; ``[none]`` at a founder), ``origin_time``,
    ``destruction_time`` (``inf`` while alive), ``taxon_label`` (the id), then the trait columns."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = list(phy.columns)
    w.writerow(["id", "ancestor_list", "origin_time", "destruction_time", "taxon_label", *cols])
    for k in tree_rows(phy):
        dt = int(phy.destruction_time[k])
        parent = phy.first_parent_of(int(phy.ids[k]))
        w.writerow([int(phy.ids[k]), _ancestor_list([] if parent is None else [parent]),
                    int(phy.origin_time[k]), ALIVE if dt < 0 else dt, int(phy.ids[k]),
                    *(_fmt(phy.columns[c][k]) for c in cols)])
    return buf.getvalue()


def newick_text(phy: Phylogeny) -> str:
    """``lineage.nwk``: the forest of :func:`tree_csv_text` in Newick, one tree per line (roots, the
    founders, by id), every node labelled with its id, children by id, branch lengths in generations
    (``origin_time`` of the child − that of its parent); the root has no branch length. Built without
    recursion: a line of descent may be longer than Python's recursion limit."""
    rows = tree_rows(phy)
    children: dict[int, list[int]] = {k: [] for k in rows}
    roots = []
    for k in rows:  # rows are in id order, so each list of children is too
        parent = phy.first_parent_of(int(phy.ids[k]))
        if parent is None:
            roots.append(k)
        else:
            children[phy.row[parent]].append(k)
    t = phy.origin_time
    lines = []
    for root in roots:
        done: dict[int, str] = {}
        stack = [(root, False)]
        while stack:
            k, expanded = stack.pop()
            if not expanded and children[k]:
                stack.append((k, True))
                stack.extend((c, False) for c in reversed(children[k]))
                continue
            inner = ",".join(f"{done.pop(c)}:{int(t[c]) - int(t[k])}" for c in children[k])
            done[k] = (f"({inner})" if inner else "") + str(int(phy.ids[k]))
        lines.append(done[root] + ";")
    return "".join(line + "\n" for line in lines)


def parse_csv(text: str, file: str = "lineage.csv") -> Phylogeny:
    """Read ``lineage.csv`` text back (as written by :func:`csv_text`), validated by
    :func:`evo.lineage.formats.lineage_table`: malformed rows, non-numeric ids, duplicate ids, parents younger
    than their children, cycles and missing ancestors of the living raise :class:`~evo.errors.EvoError`
    naming ``file``, the row and the column."""
    return Phylogeny(**lineage_table(text, file))


def parse_ancestor_list(text: str) -> list[int]:
    """``"[12,40]"`` → ``[12, 40]``; ``"[none]"`` → ``[]`` (lenient: spaces and any case of none)."""
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


def lineage_table(text: str, file: str | Path = "lineage.csv") -> dict[str, Any]:
    """The columns of ``lineage.csv`` text, validated (see :mod:`evo.lineage.store` for the format): the
    keyword arguments of :class:`evo.lineage.phylogeny.Phylogeny`. Refuses malformed rows, non-numeric ids,
    duplicate ids, parents that are not older than their children, cycles and missing ancestors of the
    living."""
    fixed = ("id", "ancestor_list", "origin_time", "destruction_time", "first_parent", "second_parent",
             "genome")
    table = Table(file, text, (*fixed, "fitness", "goal_class", "behaviour_class", "horizon", "founder"))
    ids = table.ints("id", lo=0)
    first, second = table.ints("first_parent", lo=-1), table.ints("second_parent", lo=-1)
    origin = table.ints("origin_time", lo=0)
    destruction = table.ints("destruction_time", lo=0, none=ALIVE)
    row: dict[int, int] = {}
    for k, i in enumerate(ids.tolist()):
        if i in row:
            table.bad(k, "id", f"a unique id (row {row[i] + 1} has it too)", table.rows[k][table.index["id"]])
        row[i] = k
    _check_acyclic(table, ids, first, second, row)
    for k in range(len(table)):
        i = int(ids[k])
        if 0 <= destruction[k] <= origin[k]:
            table.bad(k, "destruction_time", f"{ALIVE!r} or a generation after origin_time "
                      f"({int(origin[k])})", table.rows[k][table.index["destruction_time"]])
        for column, p in (("first_parent", int(first[k])), ("second_parent", int(second[k]))):
            if p >= i:
                table.bad(k, column, f"-1 or the id of an older individual (below {i}, the row's id)", p)
            if p >= 0 and p in row:
                q = row[p]
                if origin[q] >= origin[k] or (0 <= destruction[q] < origin[k]):
                    table.bad(k, column, f"a parent alive in generation {int(origin[k]) - 1} (individual "
                              f"{p} lives from generation {int(origin[q])} until "
                              f"{_until(int(destruction[q]))})", p)
        present = [p for p in (int(first[k]), int(second[k])) if p >= 0 and p in row]
        listed = table.rows[k][table.index["ancestor_list"]]
        expected = _ancestor_list(present)
        if listed != expected:
            table.bad(k, "ancestor_list", f"the parents present in the file, {expected}", listed)
    _check_living_ancestry(table, ids, first, second, destruction, row)
    columns: dict[str, NDArray[Any]] = {}
    for c in table.header:
        if c in fixed:
            continue
        if c == "goal_class":
            columns[c] = np.array(table.strings(c, GOAL_CLASSES), dtype="U18")
        elif c == "behaviour_class":
            columns[c] = np.array(table.strings(c, ("", *BEHAVIOUR_CLASSES)), dtype="U18")
        elif c in ("horizon", "founder"):
            columns[c] = table.ints(c, lo=0)
        else:
            columns[c] = table.floats(c, empty=c != "fitness")
    genomes = _genomes(table)
    return {"ids": ids, "first_parent": first, "second_parent": second, "origin_time": origin,
            "destruction_time": destruction, "genomes": genomes, "columns": columns}


def _until(destruction: int) -> str:
    return "the end" if destruction < 0 else f"generation {destruction - 1}"


def _check_acyclic(table: Table, ids: NDArray[np.int64], first: NDArray[np.int64], second: NDArray[np.int64],
                   row: Mapping[int, int]) -> None:
    """No individual is its own ancestor (Kahn's algorithm over the parents present in the file)."""
    n = len(ids)
    parents = [[row[p] for p in (int(first[k]), int(second[k])) if p >= 0 and p in row] for k in range(n)]
    children: list[list[int]] = [[] for _ in range(n)]
    pending = [len(set(ps)) for ps in parents]
    for k, ps in enumerate(parents):
        for q in set(ps):
            children[q].append(k)
    ready = [k for k in range(n) if pending[k] == 0]
    done = 0
    while ready:
        q = ready.pop()
        done += 1
        for k in children[q]:
            pending[k] -= 1
            if pending[k] == 0:
                ready.append(k)
    if done == n:
        return
    # walk up from an individual left over until a row repeats: that is the cycle
    k = next(k for k in range(n) if pending[k] > 0)
    order: dict[int, int] = {}
    while k not in order:
        order[k] = len(order)
        k = next(q for q in parents[k] if pending[q] > 0)
    cycle = [int(ids[j]) for j in list(order)[order[k]:]]
    shown = " → ".join(str(i) for i in [*cycle, cycle[0]][:12]) + (" → …" if len(cycle) > 11 else "")
    raise EvoError(f"{table.file}: row {k + 1} (line {k + 2}), column 'first_parent': expected an ancestry "
                   f"without cycles (parents born before their children), got a cycle: {shown}")


def _check_living_ancestry(table: Table, ids: NDArray[np.int64], first: NDArray[np.int64],
                           second: NDArray[np.int64], destruction: NDArray[np.int64],
                           row: Mapping[int, int]) -> None:
    """Every first-parent ancestor of a living individual, and the crossover mate of each, is in the file
    (both lineage modes keep them)."""
    seen: set[int] = set()
    for start in np.flatnonzero(destruction < 0).tolist():
        k: int | None = start
        while k is not None and k not in seen:
            seen.add(k)
            for column, p in (("first_parent", int(first[k])), ("second_parent", int(second[k]))):
                if p >= 0 and p not in row:
                    table.bad(k, column, f"a parent listed in the file (individual {int(ids[k])} is "
                              f"{'alive' if k == start else 'an ancestor of the living'}, whose parents are "
                              "always kept)", p)
            p = int(first[k])
            k = row[p] if p >= 0 else None


def _genomes(table: Table) -> NDArray[np.float64]:
    j = table.index["genome"]
    rows: list[list[float]] = []
    for k, r in enumerate(table.rows):
        text = r[j].strip()
        expected = "a genome: a list of finite numbers in brackets"
        if not (text.startswith("[") and text.endswith("]")):
            table.bad(k, "genome", expected, r[j])
        inner = text[1:-1].strip()
        def bad(got: str, k: int = k, cell: str = r[j], e: str = expected) -> NoReturn:
            table.bad(k, "genome", e, cell)

        genes = [float_cell(x, False, False, bad) for x in inner.split(",")] if inner else []
        if not genes or (rows and len(genes) != len(rows[0])):
            table.bad(k, "genome", f"{len(rows[0]) if rows else 'at least 1'} genes (as row 1)",
                      Said(f"{len(genes)} genes"))
        rows.append(genes)
    width = len(rows[0]) if rows else 0
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


# --------------------------------------------------------------------------------------------------------
# NPZ
