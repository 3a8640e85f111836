"""Figures of a run's lineage, read from its results directory only: the champion's line of descent, Muller
areas of founder lineages, the phylogeny (docs/architecture.md, "Figures")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evo.core import traits
from evo.errors import EvoError
from evo.lineage import formats, phylogeny
from evo.plots.figure import subplots
from evo.plots.run import CLASS_COLOURS, write_figures
from evo.runs import readback

GOAL_LABELS = {"robust": "robust (ranks objects like the base objective, train and shift)",
               "pseudo": "pseudo-aligned (like the base objective in train only)",
               "misaligned": "misaligned (not even in train)", "non-optimizer": "non-optimizer"}
GOAL_MARKERS = {"robust": "o", "pseudo": "^", "misaligned": "s", "non-optimizer": "X"}
OTHER_COLOUR = "#ced4da"
_BOX = {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85}
LINEAGE_COLOURS = ["#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#f59f00", "#0c8599", "#d6336c", "#5c940d",
                   "#862e9c", "#495057"]


def read_lineage(run: str | Path) -> tuple[phylogeny.Phylogeny, dict[str, Any]]:
    """The run's phylogeny (from ``lineage.csv``) and its summary, both validated and checked against each
    other (:mod:`evo.runs.readback`): a malformed or inconsistent file is one :class:`EvoError`."""
    run = Path(run)
    path = run / "lineage.csv"
    if not path.exists():
        raise EvoError(f"{run}: no lineage.csv (the run was made with evolution.lineage = \"off\" or "
                       "before lineage tracking existed)")
    summary = readback.read_summary(run)
    info = summary.get("lineage")
    if info is None or info["mode"] == "off":
        readback.fail(run / "summary.json", "key 'lineage.mode'",
                      "'pruned' or 'full' (the run directory holds a lineage.csv)",
                      info["mode"] if info is not None else readback.Said("nothing (it is missing)"))
    phy = formats.parse_csv(readback.read_text(path), str(path))
    phylogeny.check_against_summary(phy, summary, str(path))
    return phy, summary


def _trait(phy: phylogeny.Phylogeny, summary: dict[str, Any]) -> tuple[str, str]:
    info = summary.get("lineage", {}).get("trait") or {}
    col = info.get("column")
    if col and col in phy.columns:
        return col, info.get("label") or col
    return "fitness", "train fitness"


def _norm(values: np.ndarray, column: str) -> Normalize:
    if column == "alignment":
        return Normalize(-1.0, 1.0)
    finite = values[np.isfinite(values)]
    if column == "fitness":
        return Normalize(float(finite.min(initial=0.0)), float(finite.max(initial=1.0)))
    span = float(np.abs(finite).max(initial=0.0)) or 1.0
    return TwoSlopeNorm(0.0, -span, span)


def _cmap(column: str) -> Any:
    return colormaps["viridis" if column == "fitness" else "RdBu_r"]


def _title(summary: dict[str, Any]) -> str:
    return f"{summary['scenario']} (seed {summary['seed']})"


def descent_figure(run: str | Path, individual: int | None = None) -> Figure:
    """The line of descent of ``individual`` (default: the champion) with its crossover mates."""
    phy, summary = read_lineage(run)
    info = summary["lineage"]
    target = int(info["champion"]["id"] if individual is None else individual)
    lod = phylogeny.line_of_descent(phy, target)
    col, label = _trait(phy, summary)
    values = phy.columns[col]
    cmap = _cmap(col)
    gen = phy.origin_time
    rows = [phy.row[i] for i in lod]
    x = values[rows]
    y = gen[rows]
    mates = [phy.row[int(phy.second_parent[r])] for r in rows if int(phy.second_parent[r]) in phy.row]
    shown = values[rows + mates]
    norm = _norm(shown, col)

    fig, ax = subplots(figsize=(8.5, 10.5), layout="constrained")
    if col != "fitness":
        ax.axvline(0.0, color="#495057", lw=1.2, ls=":", zorder=0)
    # crossover mates: the second parent of each ancestor, joined to its child
    mate_segments, mate_rows = [], []
    for r in rows:
        m = int(phy.second_parent[r])
        if m >= 0 and m in phy.row:
            k = phy.row[m]
            mate_rows.append(k)
            mate_segments.append([(values[k], gen[k]), (values[r], gen[r])])
    if mate_segments:
        ax.add_collection(LineCollection(mate_segments, colors="#adb5bd", linewidths=0.8, linestyles="--",
                                         zorder=1))
    ax.plot(x, y, color="#343a40", lw=1.4, zorder=2)
    for cls, marker in GOAL_MARKERS.items():
        sel = [k for k in mate_rows if phy.columns["goal_class"][k] == cls]
        if sel:
            ax.scatter(values[sel], gen[sel], c=values[sel], cmap=cmap, norm=norm, marker=marker, s=22,
                       edgecolors="#868e96", linewidths=0.5, alpha=0.8, zorder=3)
        sel = [k for k in rows if phy.columns["goal_class"][k] == cls]
        if sel:
            ax.scatter(values[sel], gen[sel], c=values[sel], cmap=cmap, norm=norm, marker=marker, s=46,
                       edgecolors="black", linewidths=0.7, zorder=4)
    onset = phylogeny.pseudo_onset(phy, lod)
    marks = [("first", "first pseudo-aligned ancestor"),
             ("since", "pseudo-aligned without a break from here")]
    if onset["first"] == onset["since"]:
        marks = [("first", "first pseudo-aligned ancestor (and without a break from here)")]
    xmin, xmax = float(np.nanmin(shown)), float(np.nanmax(shown))
    if col != "fitness":
        xmin, xmax = min(xmin, 0.0), max(xmax, 0.0)
    pad = 0.06 * (xmax - xmin or 1.0)
    for key, text in marks:
        point = onset[key]
        if point is None:
            continue
        k = phy.row[point["id"]]
        ax.scatter([values[k]], [gen[k]], s=380, facecolors="none", edgecolors="#f08c00", linewidths=2.4,
                   zorder=5)
        ax.axhline(gen[k], color="#f08c00", lw=1, ls="--", zorder=0)
        ax.annotate(f"{text}\n#{point['id']}, generation {point['generation']}", (values[k], gen[k]),
                    xytext=(16, -26 if key == "first" else 10), textcoords="offset points", fontsize=8.5,
                    color="#d9480f", fontweight="bold", zorder=6,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    k = phy.row[target]
    ax.annotate(f"#{target}" + (" (champion)" if individual is None else ""), (values[k], gen[k]),
                xytext=(10, -4), textcoords="offset points", fontsize=9, fontweight="bold")
    ax.set_xlim(xmin - pad, xmax + 4 * pad)
    last = float(max(gen[rows].max(), gen[mate_rows].max() if mate_rows else 0))
    ypad = max(0.5, 0.02 * last)
    ax.set_ylim(last + ypad, -ypad)
    ax.set_ylabel("generation (birth of the ancestor)")
    if col == "fitness":
        ax.set_xlabel("train fitness (these agents have no mesa-objective to read an inner goal from)")
    else:
        ax.set_xlabel(f"inner-goal trait: {label}" + ("   (> 0: the proxy feature is preferred)"
                                                      if col == "proxy_margin" else ""))
    sm = ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.6, pad=0.01, label=label)
    handles = [Line2D([], [], color="#343a40", lw=1.4, marker="o", markerfacecolor="white",
                      markeredgecolor="black", label="line of descent (first parents)"),
               Line2D([], [], color="#adb5bd", lw=0.8, ls="--", marker="o", markersize=4,
                      markerfacecolor="white", markeredgecolor="#868e96",
                      label="crossover mate (second parent)")]
    present = {str(c) for c in phy.columns["goal_class"][rows + mate_rows]}
    handles += [Line2D([], [], ls="", marker=m, color="#495057", label=GOAL_LABELS[c])
                for c, m in GOAL_MARKERS.items() if c in present]
    if col != "fitness":
        handles.append(Line2D([], [], color="#495057", lw=1.2, ls=":", label="proxy valued like the target"))
    ax.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=2,
              title="marker: inner-goal class (read from the genome)", title_fontsize=8)
    who = "the champion" if individual is None else f"individual #{target}"
    ax.set_title(f"{_title(summary)}: how {who} inherited its inner goal\n"
                 f"{len(lod)} ancestors on its line of "
                 f"descent, {len(mate_rows)} crossover mates; colour and position: {label}", fontsize=10)
    ax.grid(alpha=0.25)
    return fig


def muller_figure(run: str | Path) -> Figure:
    """Founder lineages over generations (stacked shares) and the population's inner-goal classes."""
    run = Path(run)
    _, summary = read_lineage(run)
    data = readback.read_founders(run, summary)
    gens = data["generation"].astype(int)
    founders = data["founder"].astype(int)
    g_axis = np.arange(int(gens.max()) + 1)
    uniq = np.unique(founders)
    col_of = {f: k for k, f in enumerate(uniq.tolist())}
    counts = np.zeros((len(uniq), len(g_axis)))
    counts[[col_of[f] for f in founders.tolist()], gens] = data["count"]
    total = counts.sum(axis=0)
    share = counts / np.where(total > 0, total, 1)
    # colour the lineages that ever reach 10 % (at most ten), ordered by how long they last; grey the rest
    last = np.array([np.flatnonzero(row > 0).max() for row in counts])
    ranked = np.lexsort((-share.max(axis=1), -last))
    big = [k for k in ranked if share[k].max() >= 0.1][: len(LINEAGE_COLOURS)]
    rest = [k for k in range(len(uniq)) if k not in big]

    fig, (ax, ax2) = subplots(2, 1, figsize=(10, 7), sharex=True, layout="constrained",
                              gridspec_kw={"height_ratios": [3, 1.3]})
    layers = [share[k] for k in big] + [share[rest].sum(axis=0)]
    first_row = {int(f): i for i, f in enumerate(founders.tolist()) if gens[i] == 0}
    labels = []
    for k in big:
        f = int(uniq[k])
        text = f"founder #{f}"
        i = first_row.get(f)
        if i is not None and np.isfinite(data["trait_mean"][i]):
            cls = next((c for c in traits.GOAL_CLASSES if data[c.replace("-", "_")][i] > 0), "")
            text += f" ({_trait_short(summary)} {data['trait_mean'][i]:+.2f}, {cls})"
        text += f": until gen {int(last[k])}" if last[k] < g_axis[-1] else ": survives"
        labels.append(text)
    labels.append(f"{len(rest)} other founders")
    ax.stackplot(g_axis, *layers, colors=[LINEAGE_COLOURS[i] for i in range(len(big))] + [OTHER_COLOUR],
                 labels=labels, alpha=0.92, edgecolor="white", linewidth=0.3)
    fl = summary["lineage"]["founder_lineages"]
    mrca = summary["lineage"].get("mrca")
    if fl.get("single_lineage_from") is not None:
        ax.axvline(fl["single_lineage_from"], color="black", lw=1, ls="--")
        ax.annotate(f"one founder lineage left\n(from generation {fl['single_lineage_from']})",
                    (fl["single_lineage_from"], 0.5), xytext=(6, 0), textcoords="offset points", fontsize=8,
                    bbox=_BOX)
    if mrca is not None:
        ax.axvline(mrca["generation"], color="#c92a2a", lw=1, ls=":")
        ax.annotate(f"MRCA of the final population\nborn in generation {mrca['generation']}",
                    (mrca["generation"], 0.12), xytext=(6, 0), textcoords="offset points", fontsize=8,
                    color="#c92a2a", bbox=_BOX)
    ax.set_ylim(0, 1)
    ax.set_xlim(0, g_axis[-1])
    fixed = fl.get("single_lineage_from")
    if fixed is not None and fixed < 0.4 * g_axis[-1]:
        # one lineage for most of the run: stretch the early generations, where lineages compete
        ax.set_xscale("function", functions=(_sqrt, np.square))
        ax.set_xticks([t for t in (0, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if t <= g_axis[-1]])
        ax2.set_xlabel("generation (square-root scale: early generations stretched)")
    ax.set_ylabel("share of the population")
    ax.set_title(f"{_title(summary)}: founder lineages (line of descent back to generation 0) and the "
                 "inner goals they carried", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="founder lineage",
              title_fontsize=8)
    ax2_layers, ax2_labels, ax2_colours = [], [], []
    for c in traits.GOAL_CLASSES:
        per_gen = np.zeros(len(g_axis))
        np.add.at(per_gen, gens, data[c.replace("-", "_")])
        if per_gen.any():
            ax2_layers.append(per_gen / np.where(total > 0, total, 1))
            ax2_labels.append(GOAL_LABELS[c])
            ax2_colours.append(CLASS_COLOURS[c])
    ax2.stackplot(g_axis, *ax2_layers, colors=ax2_colours, labels=ax2_labels, alpha=0.9)
    ax2.set_ylim(0, 1)
    if not ax2.get_xlabel():
        ax2.set_xlabel("generation")
    ax2.set_ylabel("share of the\npopulation")
    ax2.set_title("inner-goal class of every individual, read from its genome", fontsize=9)
    ax2.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def _sqrt(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(x, 0.0))


def _trait_short(summary: dict[str, Any]) -> str:
    return (summary.get("lineage", {}).get("trait") or {}).get("label") or "trait"


def _layout(tree: phylogeny.CollapsedTree) -> dict[int, float]:
    """x of every node: leaves in depth-first order (larger subtrees first), parents above their children."""
    size: dict[int, int] = {}

    def count(n: int) -> int:
        stack, order = [n], []
        while stack:
            m = stack.pop()
            order.append(m)
            stack.extend(tree.children[m])
        for m in reversed(order):
            size[m] = 1 if not tree.children[m] else sum(size[c] for c in tree.children[m])
        return size[n]

    for r in tree.roots:
        count(r)
    x: dict[int, float] = {}
    next_leaf = 0.0

    def place(n: int) -> None:
        nonlocal next_leaf
        # iterative post-order: children sorted by subtree size
        stack: list[tuple[int, bool]] = [(n, False)]
        while stack:
            m, done = stack.pop()
            kids = sorted(tree.children[m], key=lambda c: (-size[c], c))
            if done or not kids:
                if not kids:
                    x[m] = next_leaf
                    next_leaf += 1.0
                else:
                    x[m] = 0.5 * (x[kids[0]] + x[kids[-1]])
                continue
            stack.append((m, True))
            stack.extend((c, False) for c in reversed(kids))

    for r in sorted(tree.roots, key=lambda r: -size[r]):
        place(r)
    return x


def tree_figure(run: str | Path) -> Figure:
    """The first-parent phylogeny of the final population, unbranched chains collapsed."""
    phy, summary = read_lineage(run)
    alive = phy.alive.tolist()
    tree = phylogeny.collapsed_tree(phy, alive)
    x = _layout(tree)
    col, label = _trait(phy, summary)
    values = phy.columns[col]
    norm, cmap = _norm(values, col), _cmap(col)
    gen = phy.origin_time
    info = summary["lineage"]
    mrca = info.get("mrca")
    final_gen = int(gen.max())
    top = 0.0
    if mrca is not None and mrca["generation"] > 0.2 * final_gen:
        top = mrca["generation"] - 0.06 * (final_gen - mrca["generation"]) - 1

    fig, ax = subplots(figsize=(14, 8), layout="constrained")
    vertical, v_colour, horizontal = [], [], []
    for n in tree.nodes:
        p = tree.parent[n]
        yn = gen[phy.row[n]]
        if p is None:
            continue
        yp = max(gen[phy.row[p]], top)
        vertical.append([(x[n], yp), (x[n], yn)])
        v = values[phy.row[n]]
        v_colour.append(cmap(norm(v)) if np.isfinite(v) else (0.5, 0.5, 0.5, 1.0))
    for n in tree.nodes:
        kids = tree.children[n]
        if kids:
            yn = max(gen[phy.row[n]], top)
            horizontal.append([(min(x[c] for c in kids), yn), (max(x[c] for c in kids), yn)])
    ax.add_collection(LineCollection(horizontal, colors="#495057", linewidths=0.8, zorder=1))
    ax.add_collection(LineCollection(vertical, colors=v_colour, linewidths=1.6, zorder=2))
    leaves = [n for n in tree.nodes if not tree.children[n]]
    lr = [phy.row[n] for n in leaves]
    for cls, marker in GOAL_MARKERS.items():
        sel = [k for k, r in enumerate(lr) if phy.columns["goal_class"][r] == cls]
        if sel:
            rows = [lr[k] for k in sel]
            ax.scatter([x[leaves[k]] for k in sel], gen[rows], c=values[rows], cmap=cmap, norm=norm,
                       marker=marker, s=22, edgecolors="black", linewidths=0.3, zorder=3)
    branch = [n for n in tree.nodes if tree.children[n]]
    ax.scatter([x[n] for n in branch], [max(gen[phy.row[n]], top) for n in branch], s=6, c="#495057",
               zorder=3)
    for r in tree.roots:
        yr = gen[phy.row[r]]
        if yr < top:
            hidden_above = tree.hidden.get(tree.children[r][0], 0) if tree.children[r] else 0
            ax.annotate(f"↑ a single line of descent back to founder #{r} (generation {yr}),\n"
                        f"{hidden_above} unbranched ancestors collapsed", (x[r], top),
                        xytext=(-8, -3), textcoords="offset points", va="top", ha="right", fontsize=8,
                        color="#495057")
    champ = int(info["champion"]["id"])
    if champ in x:
        k = phy.row[champ]
        ax.scatter([x[champ]], [gen[k]], marker="*", s=320, c="gold", edgecolors="black", linewidths=1,
                   zorder=5)
        ax.annotate(f"champion #{champ}", (x[champ], gen[k]), xytext=(12, 2), textcoords="offset points",
                    ha="left", va="bottom", fontsize=9, fontweight="bold", zorder=6,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    if mrca is not None and mrca["id"] in x:
        ax.scatter([x[mrca["id"]]], [mrca["generation"]], marker="D", s=70, c="white", edgecolors="#c92a2a",
                   linewidths=2, zorder=5)
        ax.annotate(f"MRCA of the final population: #{mrca['id']} (generation {mrca['generation']})",
                    (x[mrca["id"]], mrca["generation"]), xytext=(12, -4), textcoords="offset points",
                    fontsize=8.5, ha="left", va="top", color="#c92a2a", zorder=6,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_xlim(-1, max(x.values(), default=0) + 1)
    ax.set_ylim(final_gen + 2, top - 1)
    ax.set_xticks([])
    ax.set_xlabel(f"the {len(alive)} individuals of the final population (leaves; order has no meaning)")
    ax.set_ylabel("generation of birth")
    sm = ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.7, pad=0.01, label=f"inner-goal trait: {label}")
    present = {str(phy.columns["goal_class"][r]) for r in lr}
    handles = [Line2D([], [], ls="", marker=m, color="#495057", label=GOAL_LABELS[c])
               for c, m in GOAL_MARKERS.items() if c in present]
    handles.append(Line2D([], [], ls="", marker="*", markersize=12, markerfacecolor="gold",
                          markeredgecolor="black", label="champion"))
    ax.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.05),
              ncol=len(handles), title="leaves: inner-goal class", title_fontsize=8)
    hidden = sum(tree.hidden.values())
    ax.set_title(f"{_title(summary)}: phylogeny of the final population (first parents; {hidden} ancestors "
                 f"on unbranched chains collapsed)\nbranch colour: inner-goal trait of the node below it; "
                 f"phylogenetic diversity {info['phylogenetic_diversity']:.0f} generations", fontsize=10)
    return fig


FIGURES = {"lineage_champion.png": descent_figure, "lineage_muller.png": muller_figure,
           "lineage_tree.png": tree_figure}


def make_all(run: str | Path, overwrite: bool = True) -> dict[str, Path]:
    """Write the lineage figures under ``figures/``; returns their paths."""
    return write_figures(run, FIGURES, overwrite)
