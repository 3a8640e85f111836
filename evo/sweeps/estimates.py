"""A sweep's report as data: per cell, the mean of each headline number over seeds with its 95 %
interval (:mod:`evo.analysis.stats`), and which interval each column uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evo.analysis import stats
from evo.sweeps.index import read_index
from evo.sweeps.metrics import metric_bounds


def cell_estimates(meta: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], column: str
                   ) -> list[tuple[dict[str, Any], stats.Estimate]]:
    """Per planned cell (in plan order): the mean of ``column`` over its finished runs with its 95 %
    interval (:func:`evo.analysis.stats.mean_interval`; clipped to the column's range,
    :func:`metric_bounds`)."""
    out = []
    for cell in meta["cells"]:
        values = [r[column] for r in rows if r["cell"] == cell["index"] and r["status"] == "done"]
        out.append((cell, stats.mean_interval(values, metric_bounds(column, cell))))
    return out


REPORT_COLUMNS = (("train_fitness", "train fitness"), ("shift_fitness", "shift fitness"),
                  ("pseudo_fraction", "pseudo-aligned"), ("alignment", "alignment"),
                  ("gens_to_pseudo", "gens to pseudo"), ("gens_to_pseudo_majority", "gens to ½ pseudo"))


def interval_notes(columns: Sequence[tuple[str, str]], meta: Mapping[str, Any] | None = None) -> list[str]:
    """One footnote line saying which interval each reported column uses."""
    by_method: dict[str, list[str]] = {}
    gens = {c.get("generations") for c in meta["cells"]} if meta is not None else {None}
    for c, h in columns:
        bounds = metric_bounds(c)
        note = stats.method_note("t" if bounds is None else "t-clipped", bounds)
        if bounds == stats.NON_NEGATIVE and None not in gens:
            note = stats.method_note("t-clipped", None).replace(
                "to the quantity's range", "to [0, generations of the cell]")
        by_method.setdefault(note, []).append(h)
    parts = [f"{', '.join(heads)}: {note}" for note, heads in by_method.items()]
    return ["intervals: " + "; ".join(parts) + " (clipping keeps the t-interval's coverage: the mean lies "
            "in the range)"] if parts else []


def report(sweep_dir: str | Path) -> dict[str, Any]:
    """Means and 95 % intervals over seeds per cell, as data (``evo sweep-report`` prints it as a table,
    or as JSON with ``--json``): ``name``, ``base``; ``runs``: planned, done, pending, failed; ``columns``:
    the reported metrics (``key``: index column, ``head``: its heading), those some run has a value of;
    ``cells``: per planned cell its ``label``, the ``runs`` done and per column an
    :class:`~evo.analysis.stats.Estimate` (mean; lo and hi of its 95 % interval, NaN below two values; the
    runs ``n`` that have a value); ``notes``: what the columns are and which interval each uses."""
    meta, rows = read_index(sweep_dir)
    columns = [(c, h) for c, h in REPORT_COLUMNS if any(r.get(c) is not None for r in rows)]
    per_column = {c: cell_estimates(meta, rows, c) for c, _ in columns}
    cells = []
    for i, cell in enumerate(meta["cells"]):
        n_runs = sum(r["cell"] == cell["index"] and r["status"] == "done" for r in rows)
        cells.append({"label": cell["label"], "runs": n_runs,
                      "values": {c: per_column[c][i][1] for c, _ in columns}})
    notes = []
    if "gens_to_pseudo" in dict(columns):
        notes.append("gens to pseudo: generation from which the champion's line of descent stays pseudo-"
                     "aligned by its mesa-objective (lineage)")
    if "gens_to_pseudo_majority" in dict(columns):
        notes.append("gens to ½ pseudo: first generation whose shift-evaluated sample is at least half "
                     "pseudo-aligned (log.csv)")
    if notes:
        notes.append("n: runs that got there, where fewer than all")
    notes += interval_notes(columns, meta)
    return {"name": meta["name"], "base": meta["base"],
            "runs": {"planned": len(rows), **{k: sum(r["status"] == k for r in rows)
                                              for k in ("done", "pending", "failed")}},
            "columns": [{"key": c, "head": h} for c, h in columns], "cells": cells, "notes": notes}
