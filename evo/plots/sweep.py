"""Comparison figures of a sweep, read from its ``index.sqlite`` only, drawn without pyplot: one swept
parameter gives each headline metric against it (mean over seeds, 95 % interval band, a dot per seed), two
give heat maps, more give one line per combination of the others (docs/architecture.md, "Sweeps")."""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evo.analysis.stats import Estimate, mean_interval
from evo.config.names import path_component
from evo.errors import EvoError
from evo.plots.figure import subplots
from evo.runs import files, owned
from evo.sweeps.index import read_index
from evo.sweeps.metrics import metric_bounds

FRACTIONS = {"pseudo_fraction", "robust_fraction"}
COLOURS = ["#1971c2", "#e03131", "#2f9e44", "#f08c00", "#9c36b5", "#0c8599", "#5c940d", "#d6336c"]


def headline_metrics(meta: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The metrics to draw: the index's headline ones that have values, with the lineage-based generations
    to pseudo-alignment replaced by the log-based one when no run has a lineage."""
    known = {m["column"]: m for m in meta["metrics"]}
    out = []
    for m in meta["metrics"]:
        if not m["headline"]:
            continue
        if not any(r.get(m["column"]) is not None for r in rows):
            alt = known.get("gens_to_pseudo_majority") if m["column"] == "gens_to_pseudo" else None
            if alt is None or not any(r.get(alt["column"]) is not None for r in rows):
                continue
            m = alt
        out.append(m)
    return out


def _param_axis(meta: Mapping[str, Any], key: str) -> tuple[list[Any], list[str], bool]:
    """The distinct values of ``key`` in plan order, their labels, and whether they are numeric."""
    values, labels = [], []
    for cell in meta["cells"]:
        v = cell["values"][key]
        if v not in values:
            values.append(v)
            labels.append(cell["labels"][key])
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numeric:
        order = sorted(range(len(values)), key=lambda i: values[i])
        values, labels = [values[i] for i in order], [labels[i] for i in order]
    return values, labels, numeric


def _value_label(meta: Mapping[str, Any], key: str, value: Any) -> str:
    values, labels, _ = _param_axis(meta, key)
    return labels[values.index(value)]


def _key_label(meta: Mapping[str, Any], key: str) -> str:
    """The sweep file's label for a swept key, else the key itself."""
    return meta.get("param_labels", {}).get(key, key)


def _done(rows: Sequence[Mapping[str, Any]], cells: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    idx = {c["index"] for c in cells}
    return [r for r in rows if r["cell"] in idx and r["status"] == "done"]


def _cells_matching(meta: Mapping[str, Any], fixed: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in meta["cells"] if all(c["values"][k] == v for k, v in fixed.items())]


def _line_panel(ax: Axes, meta: Mapping[str, Any], rows: Sequence[Mapping[str, Any]],
                metric: Mapping[str, Any], x_key: str, *, dots: bool = True) -> None:
    column = metric["column"]
    xs, xlabels, numeric = _param_axis(meta, x_key)
    others = [k for k in meta["params"] if k != x_key]
    groups = list(itertools.product(*(_param_axis(meta, k)[0] for k in others))) if others else [()]
    logx = numeric and min(xs) > 0 and max(xs) / min(xs) >= 8
    positions = [float(v) for v in xs] if numeric else list(range(len(xs)))
    rng = np.random.default_rng(0)  # jitter of the seed dots only
    for g, combo in enumerate(groups):
        fixed = dict(zip(others, combo, strict=True))
        cells = _cells_matching(meta, fixed)
        if not cells:
            continue
        colour = COLOURS[g % len(COLOURS)]
        est: list[Estimate] = []
        n_runs = []
        for x in xs:
            runs = [r for r in _done(rows, [c for c in cells if c["values"][x_key] == x])]
            cell0 = next((c for c in cells if c["values"][x_key] == x), None)
            est.append(mean_interval([r[column] for r in runs], metric_bounds(column, cell0)))
            n_runs.append(len(runs))
            if dots:
                vals = [r[column] for r in runs if r[column] is not None]
                pos = positions[xs.index(x)]
                jitter = rng.uniform(-0.06, 0.06, len(vals))
                px = pos * 2.0 ** jitter if logx else pos + jitter * (1 if not numeric else _span(positions))
                ax.scatter(px, vals, s=12, color=colour, alpha=0.4, linewidths=0, zorder=2)
        mean = np.array([e.mean for e in est])
        lo = np.array([e.lo for e in est])
        hi = np.array([e.hi for e in est])
        label = ", ".join(f"{_key_label(meta, k)} = {_value_label(meta, k, v)}"
                          for k, v in fixed.items()) or None
        if numeric:
            ax.plot(positions, mean, "-o", color=colour, lw=2, ms=4, zorder=3,
                    label=label or "mean over seeds")
            ax.fill_between(positions, lo, hi, color=colour, alpha=0.18, lw=0, zorder=1,
                            label=None if others else "95 % interval of the mean")
        else:
            err = np.vstack([mean - lo, hi - mean])
            ax.errorbar(positions, mean, yerr=np.nan_to_num(err), fmt="o", color=colour, capsize=4, lw=2,
                        zorder=3, label=label or "mean ± 95 % interval")
        for x, e, n in zip(positions, est, n_runs, strict=True):
            if 0 < e.n < n:  # e.g. generations to pseudo-alignment: only runs that got there count
                ax.annotate(f"n={e.n}", (x, e.mean), textcoords="offset points", xytext=(0, 7), ha="center",
                            fontsize=7, color=colour)
            elif e.n == 0 and n > 0:
                ax.annotate(f"none of {n}\nseeds", (x, 0.0), xycoords=("data", "axes fraction"),
                            textcoords="offset points", xytext=(0, 4), ha="center", fontsize=7, color=colour)
    if logx:
        ax.set_xscale("log", base=2)
        ax.set_xlim(min(positions) / 1.3, max(positions) * 1.3)
    else:
        pad = 0.5 if not numeric else 0.1 * (max(positions) - min(positions) or 1.0)
        ax.set_xlim(min(positions) - pad, max(positions) + pad)
    ax.set_xticks(positions)
    ax.set_xticklabels(xlabels, rotation=0 if numeric else 30, ha="center" if numeric else "right")
    ax.minorticks_off()
    ax.set_xlabel(_key_label(meta, x_key))
    ax.set_ylabel("\n".join(textwrap.wrap(metric["label"], 34)))
    if column in FRACTIONS:
        ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)


def _span(positions: Sequence[float]) -> float:
    return (max(positions) - min(positions)) / max(len(positions) - 1, 1) if len(positions) > 1 else 1.0


def _heat_panel(fig: Figure, ax: Axes, meta: Mapping[str, Any], rows: Sequence[Mapping[str, Any]],
                metric: Mapping[str, Any], bar_label: bool = True) -> None:
    kx, ky = meta["params"][:2]
    xs, xlabels, _ = _param_axis(meta, kx)
    ys, ylabels, _ = _param_axis(meta, ky)
    grid = np.full((len(ys), len(xs)), np.nan)
    lo = np.full_like(grid, np.nan)
    hi = np.full_like(grid, np.nan)
    count = np.zeros(grid.shape, dtype=int)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            cells = _cells_matching(meta, {kx: x, ky: y})
            e = mean_interval([r[metric["column"]] for r in _done(rows, cells)],
                              metric_bounds(metric["column"], cells[0] if cells else None))
            grid[i, j], lo[i, j], hi[i, j], count[i, j] = e.mean, e.lo, e.hi, e.n
    vmin, vmax = (0.0, 1.0) if metric["column"] in FRACTIONS else (np.nanmin(grid), np.nanmax(grid))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
    for i, j in itertools.product(range(len(ys)), range(len(xs))):
        if math.isnan(grid[i, j]):
            continue
        shade = im.cmap(im.norm(grid[i, j]))
        colour = "black" if 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] > 0.55 else "white"
        text = f"{grid[i, j]:.2f}" + ("" if math.isnan(lo[i, j]) else f"\n[{lo[i, j]:.2f}, {hi[i, j]:.2f}]")
        ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(xs)), xlabels)
    ax.set_yticks(range(len(ys)), ylabels)
    ax.set_xlabel(_key_label(meta, kx))
    ax.set_ylabel(_key_label(meta, ky))
    bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    if bar_label:
        bar.set_label("\n".join(textwrap.wrap(metric["label"], 40)), fontsize=8)


def _seed_note(meta: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    done = [r for r in rows if r["status"] == "done"]
    per_cell = {c["index"]: 0 for c in meta["cells"]}
    for r in done:
        per_cell[r["cell"]] += 1
    lo, hi = min(per_cell.values()), max(per_cell.values())
    return f"{lo} seeds per cell" if lo == hi else f"{lo}–{hi} seeds per cell"


def metric_figure(sweep_dir: str | Path, column: str) -> Figure:
    """One metric against the swept parameter(s)."""
    meta, rows = read_index(sweep_dir)
    metric = next(m for m in meta["metrics"] if m["column"] == column)
    if len(meta["params"]) == 2:
        fig, ax = subplots(figsize=(7, 5))
        _heat_panel(fig, ax, meta, rows, metric)
        ax.set_title(f"{meta['name']}: {metric['label']}\nmean over seeds [95 % interval]; "
                     f"{_seed_note(meta, rows)}", fontsize=10)
        return fig
    fig, ax = subplots(figsize=(7, 4.5))
    _line_panel(ax, meta, rows, metric, meta["params"][0])
    ax.legend(fontsize=8, loc="best")
    ax.set_title(f"{meta['name']}: {metric['label']}\nagainst {_key_label(meta, meta['params'][0])}; mean, "
                 f"95 % interval and each seed; {_seed_note(meta, rows)}", fontsize=10)
    return fig


def summary_figure(sweep_dir: str | Path) -> Figure:
    """Every headline metric against the swept parameter(s), one panel each."""
    meta, rows = read_index(sweep_dir)
    metrics = headline_metrics(meta, rows)
    n = max(len(metrics), 1)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    heat = len(meta["params"]) == 2
    fig, axes = subplots(nrows, ncols, figsize=(5.2 * ncols, 4.2 * nrows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):  # spare panels are switched off below
        if heat:
            _heat_panel(fig, ax, meta, rows, metric, bar_label=False)
            ax.set_title("\n".join(textwrap.wrap(metric["label"], 45)), fontsize=9)
        else:
            _line_panel(ax, meta, rows, metric, meta["params"][0])
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    if not heat:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        seed = Line2D([], [], marker="o", ls="", color="grey", alpha=0.5, ms=4, label="one seed")
        fig.legend([*handles, seed], [*labels, "one seed"], loc="lower center",
                   ncol=min(len(handles) + 1, 4), fontsize=9, frameon=False)
    what = ("heat maps of the mean over seeds" if heat else
            "mean over seeds with its 95 % interval (band) and each seed (dots)")
    swept = " × ".join(_key_label(meta, k) for k in meta["params"])
    fig.suptitle(f"sweep {meta['name']}: headline metrics against {swept}\n{what}; {_seed_note(meta, rows)}",
                 fontsize=12)
    fig.tight_layout(rect=(0, 0.05 if not heat else 0, 1, 1))
    return fig


def make_all(sweep_dir: str | Path) -> dict[str, Path]:
    """Write ``figures/summary.png`` and one ``figures/<metric>.png`` per headline metric; returns the paths.
    Nothing is drawn while no run is done."""
    sweep_dir = Path(sweep_dir)
    made: dict[str, Path] = {}
    with owned.claim(sweep_dir, owned.SWEEP) as d:
        meta, rows = read_index(sweep_dir)
        if not any(r["status"] == "done" for r in rows):
            return {}
        made["summary"] = d.file("figures/summary.png")
        files.save_figure(summary_figure(sweep_dir), made["summary"])
        for metric in headline_metrics(meta, rows):
            name = path_component(metric["column"], "metric column")
            if "/" in name:  # path_component never makes a separator; this keeps it so
                raise EvoError(f"{sweep_dir}: metric column {metric['column']!r} is not a file name")
            path = d.file(f"figures/{name}.png")
            files.save_figure(metric_figure(sweep_dir, metric["column"]), path)
            made[metric["column"]] = path
    return made
