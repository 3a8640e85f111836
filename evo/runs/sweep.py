"""Sweeps: one base scenario, a grid (or list) of overrides, many seeds; each (cell, seed) is one run
(README.md, "Sweeps").

**Sweep files** (``scenarios/sweeps/*.toml``) are validated like scenarios: unknown keys, wrong types and
overrides the scenario rejects raise :class:`~evo.errors.ScenarioError` naming the sweep file and key::

    [sweep]
    name = "selection_pressure"
    description = "Tournament size against pseudo-alignment in red_door."
    base = "../red_door.toml"          # relative to this file
    seeds = 10                         # seeds 0..9, or a list such as [0, 3, 7]
    labels = { "evolution.selection.size" = "tournament size" }   # optional axis labels

    [fixed]                            # optional: overrides applied to every cell
    "evolution.generations" = 60

    [grid]                             # every combination of these values, first key slowest ...
    "evolution.selection.size" = [1, 2, 4, 8, 16]

    # ... or an explicit list of cells instead of [grid], each setting the same keys:
    # [[cells]]
    # "evolution.selection" = { scheme = "tournament", size = 2 }
    # [[cells]]
    # "evolution.selection" = { scheme = "lexicase" }

An override key is a quoted dotted path into the base scenario's TOML; its value replaces what is there (a
table value replaces the whole table). Sections the base file leaves out start from their defaults, so
``"evolution.selection.size"`` works on a base that never names a selection scheme.

**Running** (:func:`run_sweep`): every run writes its normal run directory (:func:`evo.runs.run.run`)
under ``<out>/runs/<cell>/seed-<N>/``; the unit of work on every backend is one whole run. Backends:
``serial`` (in this process), ``processes`` (a spawn-context process pool, the default) and ``dask``
(``dask.distributed``: a scheduler address, or a ``LocalCluster``; the output directory must then be on a
file system every worker sees). A run's results depend on its scenario and seed only, never on the backend
or the number of workers. Interrupted sweeps resume: a run counts as done only when its ``meta.json`` says
``"status": "done"`` (written last, atomically) for the same resolved scenario; a run cut short continues
from its last checkpoint (:mod:`evo.runs.checkpoint`), anything else is run again.

**Index** (``<out>/index.sqlite``, WAL mode while a sweep writes it, one file when it ends, written by
the coordinating process only): table ``runs`` has
one row per planned run — its parameters as columns named by their dotted keys, ``seed``, ``status``
(``pending``, ``done``, ``failed``), the headline numbers of ``summary.json`` (:data:`METRICS`), wall time —
and table ``meta`` the plan (name, swept keys, cells, seeds) as JSON. :func:`report` gives the means with
95 % intervals per cell as data, which ``evo sweep-report`` prints (:mod:`evo.analysis.stats`: Student t
for fitness, clipped to the range for fractions, cosines and generation counts); :mod:`evo.plots.sweep`
draws the comparison figures from the index (this module never draws, and formats no text table).

**Bounds and names.** A sweep has at most :data:`MAX_SEEDS` seeds and :data:`MAX_RUNS` runs (cells × seeds);
seeds and integer override values must fit a signed 64-bit integer (the index stores them as SQLite
INTEGERs). Directory and file names made from a sweep name or cell label go through
:func:`evo.config.names.path_component` (a label longer than a file name may be is shortened and made unique
by a hash of the whole label, :func:`cell_dirname`). Everything read back (the index, each run's
``summary.json`` and ``meta.json``) is checked: a malformed or foreign file is one :class:`EvoError` naming
the file and what was expected.
"""

from __future__ import annotations

import copy
import ctypes
import itertools
import json
import logging
import math
import multiprocessing
import os
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import tomli_w

from evo.analysis import stats
from evo.config import toml
from evo.config.names import MAX_COMPONENT_BYTES, has_control, path_component
from evo.config.overrides import Override, apply, culprit
from evo.config.schema import Scenario
from evo.errors import EvoError, ScenarioError
from evo.runs import files as results
from evo.runs import owned, plugins, readback
from evo.runs import scenarios as scenario_mod

log = logging.getLogger(__name__)

Backend = Literal["serial", "processes", "dask"]
BACKENDS: tuple[Backend, ...] = ("serial", "processes", "dask")

#: Environment that keeps each worker's BLAS single-threaded: several workers each running a multithreaded
#: BLAS would oversubscribe the cores (DEAP_NOTES).
BLAS_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"}

#: The most seeds a sweep may have, and the most runs (cells × seeds): each run is a directory and a row.
MAX_SEEDS = 10_000
MAX_RUNS = 100_000
#: The largest integer SQLite stores (a signed 64-bit INTEGER): seeds and integer override values.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


# --------------------------------------------------------------------------------------------------------
# the sweep file


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One point of the grid: the override values, a label (``size=4``), a directory name and the resolved
    scenario it runs."""

    index: int
    values: tuple[tuple[str, Any], ...]
    labels: tuple[tuple[str, str], ...]
    label: str
    dirname: str
    scenario: Scenario


@dataclass(frozen=True, slots=True, kw_only=True)
class Sweep:
    name: str
    description: str
    source: str
    base: str
    keys: tuple[str, ...]
    fixed: tuple[tuple[str, Any], ...]
    cells: tuple[Cell, ...]
    seeds: tuple[int, ...]
    labels: tuple[tuple[str, str], ...] = ()
    #: overrides given on top of the file (``evo sweep --set KEY=VALUE``), as their origins
    extra: tuple[str, ...] = ()

    @property
    def shift_names(self) -> tuple[str, ...]:
        names: dict[str, None] = {}
        for c in self.cells:
            names.update(dict.fromkeys(c.scenario.worlds.shift))
        return tuple(names)

    def runs(self) -> list[tuple[Cell, int]]:
        """Every (cell, seed), cell by cell."""
        return [(c, s) for c in self.cells for s in self.seeds]


def run_id(cell: Cell, seed: int) -> str:
    return f"{cell.dirname}/seed-{seed}"


def default_out(sweep: Sweep, root: str | Path = "results") -> Path:
    """``results/<sweep name>``, the name made a safe path component
    (:func:`evo.config.names.path_component`)."""
    return Path(root) / path_component(sweep.name, f"{sweep.source}: sweep.name")


def load_sweep(path: str | Path, overrides: scenario_mod.Overrides = None) -> Sweep:
    """Read and validate a sweep file, or a shipped sweep by name (:func:`evo.runs.scenarios.resolve`; its
    base scenario path is relative to the file). ``overrides`` (``evo sweep --set``) apply to every cell
    after the file's ``[fixed]`` ones, and may not set a key the sweep varies."""
    file = scenario_mod.resolve(path, "sweep")
    source = str(file) if isinstance(path, str) and file != Path(path) else str(path)
    text = toml.read_text(file, "sweep file")
    return loads(text, source=source, base_dir=file.parent, overrides=overrides)


def loads(text: str, source: str = "<string>", base_dir: str | Path = ".",
          overrides: scenario_mod.Overrides = None) -> Sweep:
    """Validate sweep TOML text; ``source`` names it in errors, ``base_dir`` anchors a relative ``base``."""
    raw = toml.parse_toml(text, source)  # malformed, 4300-digit integers, too deep: one error
    try:
        return from_dict(raw, source, base_dir, overrides)
    except RecursionError:
        raise ScenarioError(source, "", "override values nested a few levels deep",
                            "values nested too deeply to validate") from None


_SECTIONS = ("sweep", "fixed", "grid", "cells")
_SWEEP_KEYS = ("name", "description", "base", "seeds", "labels")


def from_dict(raw: Mapping[str, Any], source: str = "<dict>", base_dir: str | Path = ".",
              overrides: scenario_mod.Overrides = None) -> Sweep:
    """Validate an already-parsed sweep table and resolve every cell's scenario (``overrides``: see
    :func:`load_sweep`)."""
    f = source
    extra = scenario_mod.as_overrides(overrides)
    for k in raw:
        if k not in _SECTIONS:
            raise ScenarioError(f, k, "one of the sections " + ", ".join(_SECTIONS), k)
    head = raw.get("sweep")
    if not isinstance(head, dict):
        raise ScenarioError(f, "sweep", "a [sweep] table with name, base and seeds", head)
    for k in head:
        if k in ("grid", "fixed", "cells"):  # a TOML gotcha: keys after [sweep] belong to it
            raise ScenarioError(f, f"sweep.{k}", f"'{k}' at the top level: [{k}] after [sweep]" +
                                (", or [[cells]] tables" if k == "cells" else ""), k)
        if k not in _SWEEP_KEYS:
            raise ScenarioError(f, f"sweep.{k}", "one of the keys " + ", ".join(_SWEEP_KEYS), k)
    name = head.get("name")
    if not isinstance(name, str) or not name.strip() or has_control(name):
        raise ScenarioError(f, "sweep.name", "a non-empty name without control characters", name)
    try:
        path_component(name, "sweep.name")
    except EvoError:
        raise ScenarioError(f, "sweep.name", f"a name of at most {MAX_COMPONENT_BYTES} bytes as a directory "
                            "name", name) from None
    description = head.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(f, "sweep.description", "a string", description)
    base_raw = head.get("base")
    if not isinstance(base_raw, str) or not base_raw:
        raise ScenarioError(f, "sweep.base", "the path of a scenario file (relative to the sweep file)",
                            base_raw)
    base_path = Path(base_raw) if Path(base_raw).is_absolute() else Path(base_dir) / base_raw
    seeds = _seeds(head.get("seeds"), f)
    axis_labels = head.get("labels", {})
    if not isinstance(axis_labels, dict) or not all(isinstance(v, str) for v in axis_labels.values()):
        raise ScenarioError(f, "sweep.labels", 'a table of "dotted.key" = "axis label"', axis_labels)

    fixed_raw = raw.get("fixed", {})
    if not isinstance(fixed_raw, dict):
        raise ScenarioError(f, "fixed", "a table of \"dotted.key\" = value overrides", fixed_raw)
    fixed = tuple((_dotted(k, f, "fixed"), v) for k, v in fixed_raw.items())
    if ("grid" in raw) == ("cells" in raw):
        raise ScenarioError(f, "grid", "exactly one of [grid] (every combination) or cells (a list)",
                            "both" if "grid" in raw else "neither")
    if "grid" in raw:
        keys, combos, origins = _grid(raw["grid"], f, len(seeds))
    else:
        keys, combos, origins = _cell_list(raw["cells"], f, len(seeds))
    for combo, where in zip(combos, origins, strict=True):
        for k, v in zip(keys, combo, strict=True):
            if isinstance(v, int) and not isinstance(v, bool) and not INT64_MIN <= v <= INT64_MAX:
                raise ScenarioError(f, where[k], "an integer that fits in 64 bits (the index stores it)", v)
    for o in extra:
        swept = [k for k in keys if k == o.key or k.startswith(o.key + ".") or o.key.startswith(k + ".")]
        if swept:
            raise ScenarioError(f"{f} ({o.origin})", o.key, "a key the sweep does not vary (it varies "
                                + ", ".join(keys) + ")", o.value)

    if not base_path.is_file():
        raise ScenarioError(f, "sweep.base", "an existing scenario file", str(base_path))
    base_text = toml.read_text(base_path)  # capped: LIMITS["toml_bytes"]
    base_table = toml.parse_toml(base_text, str(base_path))
    base_scenario = scenario_mod.from_dict(base_table, str(base_path))  # errors name the base file
    defaults = toml.to_dict(base_scenario)

    value_labels = [[_value_label(v) for v in combo] for combo in combos]
    short = _short_keys(keys)
    cells, dirnames = [], set()
    for i, combo in enumerate(combos):
        labels = tuple(zip(keys, value_labels[i], strict=True))
        label = ", ".join(f"{short[k]}={lab}" for k, lab in labels)
        dirname = cell_dirname("__".join(f"{short[k]}={lab}" for k, lab in labels))
        if dirname in dirnames:
            raise ScenarioError(f, origins[i][keys[-1]], "values that make distinct cells", label)
        dirnames.add(dirname)
        cell = [*(Override(k, v, f"fixed.{k}") for k, v in fixed), *extra,
                *(Override(k, v, origins[i][k]) for k, v in zip(keys, combo, strict=True))]
        table = copy.deepcopy(base_table)
        for o in cell:
            at = (f"{f} ({o.origin})", o.key) if o in extra else (f, o.origin)
            apply(table, defaults, o, *at)
        cell_source = f"{base_path} [sweep {name}: {label}]"
        try:
            cell_scenario = scenario_mod.from_dict(table, cell_source)
        except ScenarioError as exc:
            o = culprit(exc.key, cell) or cell[-1]
            expected = f"{exc.expected} (scenario key '{exc.key}' in cell {label})"
            if o in extra:
                raise ScenarioError(f"{f} ({o.origin})", exc.key, expected, exc.got) from None
            raise ScenarioError(f, o.origin, expected, exc.got) from None
        cells.append(Cell(index=i, values=tuple(zip(keys, combo, strict=True)), labels=labels, label=label,
                          dirname=dirname, scenario=cell_scenario))
    for k in axis_labels:
        if k not in keys:
            raise ScenarioError(f, f"sweep.labels.{k}", "a swept key (" + ", ".join(keys) + ")", k)
    return Sweep(name=name, description=description, source=source, base=str(base_path), keys=keys,
                 fixed=fixed, cells=tuple(cells), seeds=seeds, labels=tuple(axis_labels.items()),
                 extra=tuple(o.origin for o in extra))


def _seeds(value: Any, f: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_SEEDS:
            raise ScenarioError(f, "sweep.seeds", f"a positive number of seeds (at most {MAX_SEEDS}), or a "
                                "list of seeds", value)
        return tuple(range(value))
    if isinstance(value, list) and value:
        if len(value) > MAX_SEEDS:
            raise ScenarioError(f, "sweep.seeds", f"a list of at most {MAX_SEEDS} seeds",
                                f"a list of {len(value)}")
        for i, s in enumerate(value):
            if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= INT64_MAX:
                raise ScenarioError(f, f"sweep.seeds[{i}]", f"an integer in [0, 2**63 - 1] ({INT64_MAX})", s)
        if len(set(value)) != len(value):
            raise ScenarioError(f, "sweep.seeds", "distinct seeds", value)
        return tuple(value)
    raise ScenarioError(f, "sweep.seeds", "a number of seeds (e.g. 10) or a non-empty list of seeds", value)


def _dotted(key: str, f: str, where: str) -> str:
    parts = key.split(".")
    if len(parts) < 2 or not all(parts):
        raise ScenarioError(f, f"{where}.{key}", 'a quoted dotted key into the scenario, such as '
                            '"evolution.selection.size"', key)
    return key


def _too_many_runs(f: str, key: str, cells: int, seeds: int) -> ScenarioError:
    return ScenarioError(f, key, f"at most {MAX_RUNS} runs (cells × seeds)",
                         f"{cells} cells × {seeds} seeds = {cells * seeds} runs")


def _grid(grid: Any, f: str, n_seeds: int = 1
          ) -> tuple[tuple[str, ...], list[tuple[Any, ...]], list[dict[str, str]]]:
    if not isinstance(grid, dict) or not grid:
        raise ScenarioError(f, "grid", 'a table of "dotted.key" = [values] (at least one key)', grid)
    keys, values = [], []
    for k, v in grid.items():
        if isinstance(v, dict):
            raise ScenarioError(f, f"grid.{k}", "a list of values; quote dotted keys: "
                                '"evolution.selection.size" = [1, 2]', v)
        if not isinstance(v, list) or not v:
            raise ScenarioError(f, f"grid.{k}", "a non-empty list of values", v)
        keys.append(_dotted(k, f, "grid"))
        values.append(v)
    n_cells = math.prod(len(v) for v in values)  # before enumerating them: a grid can be astronomically big
    if n_cells * n_seeds > MAX_RUNS:
        raise _too_many_runs(f, "grid", n_cells, n_seeds)
    positions = list(itertools.product(*(range(len(v)) for v in values)))
    combos = [tuple(v[j] for v, j in zip(values, pos, strict=True)) for pos in positions]
    origins = [{k: f"grid.{k}[{j}]" for k, j in zip(keys, pos, strict=True)} for pos in positions]
    return tuple(keys), combos, origins


def _cell_list(cells: Any, f: str, n_seeds: int = 1
               ) -> tuple[tuple[str, ...], list[tuple[Any, ...]], list[dict[str, str]]]:
    if not isinstance(cells, list) or not cells or not all(isinstance(c, dict) and c for c in cells):
        raise ScenarioError(f, "cells", 'a non-empty list of tables of "dotted.key" = value', cells)
    if len(cells) * n_seeds > MAX_RUNS:
        raise _too_many_runs(f, "cells", len(cells), n_seeds)
    keys = tuple(_dotted(k, f, "cells[0]") for k in cells[0])
    for i, c in enumerate(cells):
        if tuple(c) != keys:
            raise ScenarioError(f, f"cells[{i}]", "the same keys in the same order as cells[0] (" +
                                ", ".join(keys) + ")", list(c))
    origins = [{k: f"cells[{i}].{k}" for k in keys} for i in range(len(cells))]
    return keys, [tuple(c[k] for k in keys) for c in cells], origins


def _value_label(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        inner = ",".join(f"{k}={_value_label(x)}" for k, x in v.items() if k != "scheme")
        return f"{v['scheme']}({inner})" if isinstance(v.get("scheme"), str) else "{" + inner + "}"
    if isinstance(v, list):
        return "[" + ",".join(_value_label(x) for x in v) + "]"
    return str(v)


def _short_keys(keys: Sequence[str]) -> dict[str, str]:
    """The shortest dotted suffix of each key that no other key ends with: ``size`` for
    ``evolution.selection.size``."""
    out = {}
    for k in keys:
        parts = k.split(".")
        for n in range(1, len(parts) + 1):
            suffix = ".".join(parts[-n:])
            if not any(o != k and (o == suffix or o.endswith("." + suffix)) for o in keys):
                break
        out[k] = suffix
    return out


#: Cell directory names longer than this (in bytes, encoded) are shortened and end in a hash.
CELL_DIR_BYTES = 160


def cell_dirname(label: str) -> str:
    """The directory name of a cell, from its label (``size=4``, ``steps=10__sigma=0.2``):
    :func:`evo.config.names.path_component` of the label — injective, never a separator, ``..`` or a control
    character; labels of letters, digits and ``._=+-`` keep their name. A label whose component would
    exceed :data:`CELL_DIR_BYTES` bytes is cut and ends in ``%~`` and 16 hex digits of its SHA-256 (``%~``
    never occurs in an uncut component, so a cut name cannot equal an uncut one)."""
    import hashlib

    if not label:
        return "%~empty"
    try:
        full = path_component(label, "cell label")
    except EvoError:
        full = None
    if full is not None and len(full.encode("utf-8")) <= CELL_DIR_BYTES:
        return full
    digest = hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    room = CELL_DIR_BYTES - 2 - len(digest)

    def size(n: int) -> float:
        try:
            return len(path_component(label[:n], "cell label").encode("utf-8"))
        except EvoError:
            return math.inf

    lo, hi = 0, len(label)  # the longest prefix whose component fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(mid) <= room:
            lo = mid
        else:
            hi = mid - 1
    prefix = path_component(label[:lo], "cell label") if lo else ""
    return f"{prefix}%~{digest}"


# --------------------------------------------------------------------------------------------------------
# headline numbers


@dataclass(frozen=True)
class Metric:
    """A headline number of a run: its index column, an axis label (with units), how to read it, and the
    range it can take (``bounds``; None when no range is known): its interval is clipped to it."""

    column: str
    label: str
    read: Callable[[Mapping[str, Any], Path], float | None]
    headline: bool = True
    bounds: stats.Bounds | None = None


def _get(d: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(d, Mapping) or p not in d or d[p] is None:
            return None
        d = d[p]
    return d


def _shift_mean(summary: Mapping[str, Any], *path: str) -> float | None:
    shifts = summary.get("shift")
    if not isinstance(shifts, Mapping):
        return None
    values = [_number(_get(v, *path), "shift." + ".".join(path)) for v in shifts.values()]
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _number(v: Any, what: str) -> float | None:
    """``v`` as a finite float, None if missing; :class:`_BadValue` for anything else."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _BadValue(what, v)
    x = float(v)
    if not math.isfinite(x):
        raise _BadValue(what, v)
    return x


class _BadValue(Exception):
    def __init__(self, what: str, got: Any) -> None:
        super().__init__(what)
        self.what, self.got = what, got


def _first_pseudo_majority(summary: Mapping[str, Any], run: Path) -> float | None:
    """First generation whose shift-evaluated sample is at least half pseudo-aligned (from ``log.csv``,
    validated by :func:`evo.runs.readback.read_log`; None without a log or its ``class.pseudo`` column)."""
    if not (run / "log.csv").is_file():
        return None
    log_ = readback.read_log(run, summary)
    frac = log_.get("behaviour_class.pseudo")
    if frac is None:
        return None
    hits = [int(g) for g, v in zip(log_["gen"], frac, strict=True) if v >= 0.5]
    return float(hits[0]) if hits else None


#: Headline numbers recorded per run. Fractions are of the final population; fitness is the base objective
#: except ``true_*`` (the true objective, empty for scenarios without one). Class fractions are empty for
#: scenarios without a shift (no agent can be robust or pseudo-aligned without one).
METRICS: tuple[Metric, ...] = (
    Metric("train_fitness", "train fitness (final population mean)",
           lambda s, _: _get(s, "train", "base_fitness", "mean")),
    Metric("true_fitness", "true-objective fitness (final population mean)",
           lambda s, _: _get(s, "true", "mean")),
    Metric("shift_fitness", "shift fitness (final population mean)",
           lambda s, _: _shift_mean(s, "base_fitness", "mean")),
    Metric("pseudo_fraction", "pseudo-aligned fraction of the final population",
           lambda s, _: _get(s, "behaviour_classes", "pseudo") if s.get("shift") else None,
           bounds=stats.FRACTION),
    Metric("alignment", "alignment: cosine(w, base objective), population mean",
           lambda s, _: _get(s, "alignment", "mean"), bounds=stats.COSINE),
    Metric("gens_to_pseudo", "generations until the champion's line of descent stays pseudo-aligned",
           lambda s, _: _get(s, "lineage", "champion", "pseudo_since", "generation"),
           bounds=stats.NON_NEGATIVE),
    Metric("gens_to_pseudo_majority", "first generation with ≥ 50 % of the shift-evaluated sample "
           "pseudo-aligned", _first_pseudo_majority, bounds=stats.NON_NEGATIVE),
    Metric("robust_fraction", "robust fraction of the final population",
           lambda s, _: _get(s, "behaviour_classes", "robust") if s.get("shift") else None, headline=False,
           bounds=stats.FRACTION),
    Metric("train_fitness_best", "train fitness (final population best)",
           lambda s, _: _get(s, "train", "base_fitness", "best"), headline=False),
    Metric("champion_shift_fitness", "shift fitness of the champion",
           lambda s, _: _shift_mean(s, "champion"), headline=False),
    Metric("true_fitness_champion", "true-objective fitness of the champion (best by the proxy)",
           lambda s, _: _get(s, "true", "champion"), headline=False),
    Metric("champion_alignment", "alignment of the champion", lambda s, _: _get(s, "alignment", "champion"),
           headline=False, bounds=stats.COSINE),
)
TEXT_COLUMNS = ("champion_behaviour_class",)


def metric_bounds(column: str, cell: Mapping[str, Any] | None = None) -> stats.Bounds | None:
    """The known range of an index column (None: unbounded or unknown, e.g. fitness); for a generation
    count in a ``cell`` of the plan that records its number of generations, [0, generations]."""
    for m in METRICS:
        if m.column == column:
            gens = cell.get("generations") if cell is not None else None
            if m.bounds == stats.NON_NEGATIVE and isinstance(gens, int) and not isinstance(gens, bool):
                return (0.0, float(gens))
            return m.bounds
    return None


def _shift_population_mean(name: str) -> Callable[[Mapping[str, Any], Path], float | None]:
    """Reads the final population's mean fitness under the shift ``name`` from a summary."""
    return lambda s, _: _get(s, "shift", name, "base_fitness", "mean")


def metrics_for(shift_names: Sequence[str]) -> tuple[Metric, ...]:
    """:data:`METRICS` plus the final population's mean fitness under each named shift."""
    per_shift = tuple(
        Metric(f"shift_fitness.{n}", f"fitness under shift '{n}' (final population mean)",
               _shift_population_mean(n), headline=False)
        for n in shift_names)
    return METRICS + per_shift if len(shift_names) > 1 else METRICS


def headline_numbers(run: Path, metrics: Sequence[Metric]) -> dict[str, Any]:
    """The index columns of one finished run, from its ``summary.json`` and ``meta.json`` (both validated,
    :mod:`evo.runs.readback`); a malformed file is an :class:`EvoError` naming it, the key and what was
    expected."""
    summary = readback.read_summary(run)
    meta = readback.read_meta(run, summary)
    row: dict[str, Any] = {}
    for m in metrics:
        try:
            row[m.column] = _number(m.read(summary, run), m.column)
        except _BadValue as exc:
            raise EvoError(f"{run / 'summary.json'}: {m.label} ({exc.what}): expected a finite number, got "
                           f"{exc.got!r:.80}") from None
        v = row[m.column]
        if v is not None and m.bounds is not None and not m.bounds[0] - 1e-9 <= v <= m.bounds[1] + 1e-9:
            raise EvoError(f"{run / 'summary.json'}: {m.label}: expected a value in "
                           f"{stats.bounds_text(m.bounds)}, got {v!r}")
    row["champion_behaviour_class"] = _get(summary, "champion", "behaviour_class")
    row["wall_time_s"] = _number(meta.get("wall_time_s"), "wall_time_s")
    row["finished"] = meta.get("finished")
    return row


# --------------------------------------------------------------------------------------------------------
# the index


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_value(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int | float | str) or v is None:
        return v
    return json.dumps(v, sort_keys=True)


@contextmanager
def _sql_errors(path: Path) -> Iterator[None]:
    """SQLite errors on the index as one :class:`EvoError` naming it (a foreign or damaged file)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise EvoError(f"{path}: not a sweep index this sweep can use ({exc}); choose another --out or "
                       "remove it") from None
    except OverflowError as exc:  # a Python int beyond SQLite's 64-bit INTEGER
        raise EvoError(f"{path}: a value does not fit the index ({exc})") from None


class Index:
    """``index.sqlite`` of a sweep directory. Only the coordinating process writes it; readers may open it
    at any time while the sweep runs (WAL mode). :meth:`close` leaves WAL mode, so that the finished index
    is one file: a read-only reader of a WAL database (:func:`read_index`) creates ``-wal`` and ``-shm``
    and, read-only, cannot remove them. The file gets the permissions the user's umask gives a new file
    (SQLite's own would be 0644 whatever the umask; its ``-wal`` and ``-shm`` take the database's)."""

    def __init__(self, path: Path, sweep: Sweep) -> None:
        self.path = path
        self.metrics = metrics_for(sweep.shift_names)
        self.params = sweep.keys
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0),
                             0o666))  # an empty file is an empty database
        except FileExistsError:
            pass
        with _sql_errors(path):
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
                self._schema(sweep)
            except BaseException:
                self.db.close()
                raise

    def close(self) -> None:
        """Fold the WAL into the database, leave WAL mode (``-wal`` and ``-shm`` go) and close. A reader
        still holding the index open keeps it in WAL mode; the next sweep's close folds it then."""
        try:
            self.db.execute("PRAGMA busy_timeout = 2000")  # a reader in the way: the rows are committed
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            mode = self.db.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except sqlite3.Error as exc:
            mode = f"WAL ({exc})"
        finally:
            self.db.close()
        if mode != "delete":
            log.debug("%s stays in %s mode: another connection has it open", self.path, mode)

    def _schema(self, sweep: Sweep) -> None:
        db = self.db
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        old = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if "params" in old:
            try:
                params = json.loads(old["params"])
            except (TypeError, ValueError):
                params = None
            if params != list(sweep.keys):
                shown = ", ".join(map(str, params)) if isinstance(params, list) else repr(old["params"])[:60]
                raise EvoError(f"{self.path} indexes a sweep over {shown}, not {', '.join(sweep.keys)}; "
                               "choose another --out")
        columns = ["run_id TEXT PRIMARY KEY", "cell INTEGER NOT NULL", "cell_label TEXT NOT NULL",
                   *(_q(k) for k in sweep.keys), "seed INTEGER NOT NULL", "status TEXT NOT NULL",
                   "wall_time_s REAL", *(f"{_q(m.column)} REAL" for m in self.metrics),
                   *(f"{_q(c)} TEXT" for c in TEXT_COLUMNS), "path TEXT NOT NULL", "finished TEXT",
                   "error TEXT"]
        db.execute(f"CREATE TABLE IF NOT EXISTS runs ({', '.join(columns)})")
        have = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
        for m in self.metrics:  # e.g. a shift added to the base scenario since the index was made
            if m.column not in have:
                db.execute(f"ALTER TABLE runs ADD COLUMN {_q(m.column)} REAL")
        plan = {
            "name": sweep.name, "description": sweep.description, "sweep_file": sweep.source,
            "base": sweep.base, "params": list(sweep.keys), "seeds": list(sweep.seeds),
            "param_labels": {k: dict(sweep.labels).get(k, k) for k in sweep.keys},
            "fixed": {k: v for k, v in sweep.fixed},
            "cells": [{"index": c.index, "label": c.label, "dirname": c.dirname,
                       "values": {k: v for k, v in c.values}, "labels": {k: lab for k, lab in c.labels},
                       "generations": c.scenario.evolution.generations}
                      for c in sweep.cells],
            "metrics": [{"column": m.column, "label": m.label, "headline": m.headline} for m in self.metrics],
        }
        with self.transaction():
            for k, v in plan.items():
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, json.dumps(v)))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def plan(self, sweep: Sweep) -> dict[str, str]:
        """Insert a ``pending`` row for every planned run not yet indexed; drop rows of runs no longer in the
        plan (their directories stay). Returns ``{run_id: status}``."""
        planned = {run_id(c, s): (c, s) for c, s in sweep.runs()}
        with _sql_errors(self.path), self.transaction():
            have = dict(self.db.execute("SELECT run_id, status FROM runs").fetchall())
            for rid in set(have) - set(planned):
                self.db.execute("DELETE FROM runs WHERE run_id = ?", (rid,))
            cols = ["run_id", "cell", "cell_label", *sweep.keys, "seed", "status", "path"]
            sql = (f"INSERT INTO runs ({', '.join(_q(c) for c in cols)}) "
                   f"VALUES ({', '.join('?' for _ in cols)})")
            for rid, (cell, seed) in planned.items():
                if rid not in have:
                    values = [_sql_value(v) for _, v in cell.values]
                    self.db.execute(sql, [rid, cell.index, cell.label, *values, seed, "pending",
                                          f"runs/{rid}"])
        with _sql_errors(self.path):
            return dict(self.db.execute("SELECT run_id, status FROM runs").fetchall())

    def record(self, rid: str, status: str, numbers: Mapping[str, Any] | None = None,
               error: str | None = None) -> None:
        """Set one run's status (and headline numbers) in one transaction."""
        values: dict[str, Any] = {"status": status, "error": error}
        names = [m.column for m in self.metrics] + [*TEXT_COLUMNS, "wall_time_s", "finished"]
        for name in names:
            values[name] = None if numbers is None else numbers.get(name)
        sets = ", ".join(f"{_q(k)} = ?" for k in values)
        with _sql_errors(self.path), self.transaction():
            self.db.execute(f"UPDATE runs SET {sets} WHERE run_id = ?", [*values.values(), rid])


def run_summaries(sweep_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Every finished run's ``summary.json`` under ``sweep_dir/runs``, keyed by its run path, without
    ``wall_time_s``: what must be identical whatever the backend and the number of workers. A malformed
    summary is an :class:`EvoError` naming the file and key (:func:`evo.runs.readback.validate_summary`)."""
    root = Path(sweep_dir)
    out = {}
    for p in sorted((root / "runs").glob("*/seed-*/summary.json")):
        d = readback.validate_summary(readback.read_json_object(p), p)
        d.pop("wall_time_s", None)
        out[p.parent.relative_to(root).as_posix()] = d
    return out


#: What each index column must hold: SQLite's type of a stored value (None: empty) → accepted.
STATUSES = ("pending", "done", "failed")
_REQUIRED_COLUMNS = ("run_id", "cell", "cell_label", "seed", "status", "path")


def _bad_index(path: Path, what: str) -> EvoError:
    return EvoError(f"{path}: not a sweep index written by evo sweep: {what}")


def _check_meta(path: Path, meta: Mapping[str, Any]) -> None:
    """The plan in table ``meta``: the keys every reader uses, with the right types."""
    def need(key: str, ok: Callable[[Any], bool], expected: str) -> Any:
        if key not in meta:
            raise _bad_index(path, f"table 'meta' has no key '{key}' ({expected})")
        if not ok(meta[key]):
            raise _bad_index(path, f"meta '{key}': expected {expected}, got {meta[key]!r:.80}")
        return meta[key]

    def is_str_list(v: Any) -> bool:
        return isinstance(v, list) and all(isinstance(x, str) for x in v)

    need("name", lambda v: isinstance(v, str), "the sweep's name")
    need("base", lambda v: isinstance(v, str), "the base scenario's path")
    params = need("params", is_str_list, "a list of swept keys")
    cells = need("cells", lambda v: isinstance(v, list) and bool(v), "a non-empty list of cells")
    for i, c in enumerate(cells):
        ok = (isinstance(c, dict) and isinstance(c.get("index"), int) and not isinstance(c["index"], bool)
              and isinstance(c.get("label"), str) and isinstance(c.get("values"), dict)
              and isinstance(c.get("labels"), dict) and all(k in c["values"] and k in c["labels"]
                                                           for k in params))
        if not ok:
            raise _bad_index(path, f"meta 'cells'[{i}]: expected a table with index, label, values and "
                             f"labels of {', '.join(params) or 'no keys'}, got {c!r:.80}")
    metrics = need("metrics", lambda v: isinstance(v, list), "a list of metrics")
    for i, m in enumerate(metrics):
        if not (isinstance(m, dict) and isinstance(m.get("column"), str) and m["column"]
                and isinstance(m.get("label"), str) and isinstance(m.get("headline"), bool)):
            raise _bad_index(path, f"meta 'metrics'[{i}]: expected a table with column, label and headline, "
                             f"got {m!r:.80}")
    labels = meta.get("param_labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise _bad_index(path, f"meta 'param_labels': expected a table of axis labels, got {labels!r:.80}")


def _check_rows(path: Path, meta: Mapping[str, Any], columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
                ) -> None:
    """Every column a reader uses is there, and holds what it should."""
    numeric = [m["column"] for m in meta["metrics"]]
    for c in (*_REQUIRED_COLUMNS, *meta["params"], *numeric):
        if c not in columns:
            raise _bad_index(path, f"table 'runs' has no column '{c}'")
    cells = {c["index"] for c in meta["cells"]}
    for i, r in enumerate(rows):
        where = f"table 'runs', row {i + 1} (run_id {r.get('run_id')!r:.60})"

        def bad(column: str, expected: str, r: Mapping[str, Any] = r, where: str = where) -> EvoError:
            return _bad_index(path, f"{where}, column '{column}': expected {expected}, got {r[column]!r:.60}")

        if not isinstance(r["run_id"], str):
            raise bad("run_id", "a run id (text)")
        if not isinstance(r["cell"], int) or r["cell"] not in cells:
            raise bad("cell", "the index of a cell in meta 'cells'")
        if not isinstance(r["seed"], int) or r["seed"] < 0:
            raise bad("seed", "a non-negative integer")
        if r["status"] not in STATUSES:
            raise bad("status", "one of " + ", ".join(STATUSES))
        if not isinstance(r["path"], str) or not _inside_runs(r["path"]):
            raise bad("path", "a relative path below runs/ (no '..')")
        for c in numeric:
            v = r[c]
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)
                                  or not math.isfinite(v)):
                raise bad(c, "a finite number or empty")


def _inside_runs(text: str) -> bool:
    p = PurePosixPath(text.replace("\\", "/"))
    return (not p.is_absolute() and len(p.parts) >= 2 and p.parts[0] == "runs"
            and all(part not in ("", ".", "..") for part in p.parts) and "\0" not in text)


def index_uri(path: Path) -> str:
    """A read-only SQLite URI for ``path``, percent-encoded (a directory named ``a#b``, ``a?b`` or ``100%``
    stays one path)."""
    return path.resolve().as_uri() + "?mode=ro"


def read_index(sweep_dir: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The plan (``meta``) and the rows of a sweep directory's index, read-only. A file that is not an index
    evo wrote (garbage, missing tables or columns, a text where a number belongs, a run path leaving the
    sweep directory) is one :class:`EvoError` naming the file and what was expected."""
    path = Path(sweep_dir) / "index.sqlite"
    if not path.is_file():
        raise EvoError(f"{sweep_dir}: not a sweep directory (no index.sqlite)")
    try:
        db = sqlite3.connect(index_uri(path), uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise EvoError(f"{path}: cannot open the sweep index ({exc})") from None
    try:
        db.row_factory = sqlite3.Row
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            raise _bad_index(path, "no table 'meta'")
        meta_cols = {r[1] for r in db.execute("PRAGMA table_info(meta)")}
        if not {"key", "value"} <= meta_cols:
            raise _bad_index(path, "table 'meta' needs the columns key and value")
        if "runs" not in tables:
            raise _bad_index(path, "no table 'runs'")
        meta = {}
        for r in db.execute("SELECT key, value FROM meta"):
            try:
                meta[r["key"]] = json.loads(r["value"])
            except (TypeError, ValueError, RecursionError):
                raise _bad_index(path, f"meta '{r['key']}': expected JSON, got {r['value']!r:.60}") from None
        columns = [r[1] for r in db.execute("PRAGMA table_info(runs)")]
        for c in _REQUIRED_COLUMNS:
            if c not in columns:
                raise _bad_index(path, f"table 'runs' has no column '{c}'")
        rows = [dict(r) for r in db.execute("SELECT * FROM runs ORDER BY cell, seed")]
    except sqlite3.DatabaseError as exc:
        raise EvoError(f"{path}: not a readable sweep index ({exc})") from None
    finally:
        db.close()
    _check_meta(path, meta)
    _check_rows(path, meta, columns, rows)
    return meta, rows


# --------------------------------------------------------------------------------------------------------
# running


def execute(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one (cell, seed) in this process and write its run directory, then call ``spec["after_run"]``
    with it (if not None). ``spec`` is plain data (the resolved scenario as TOML text, the seed, the
    absolute output path, the plugins to load first: :func:`evo.runs.plugins.loaded` of the coordinating
    process) and that module-level function, so it crosses to any worker."""
    from evo.runs import checkpoint
    from evo.runs import run as experiment

    started = time.perf_counter()
    run_dir = Path(spec["out"])
    try:
        plugins.load_all(spec.get("plugins", ()))  # before the scenario names a kind or scheme they register
        if checkpoint.exists(run_dir) and _same_scenario(run_dir / "scenario.toml", spec["scenario"]):
            # a run cut short (a killed worker or sweep) continues from its last checkpoint; the finished
            # files are byte-identical to an uninterrupted run's (evo.runs.run.resume)
            try:
                experiment.resume(run_dir)
            except EvoError as exc:
                log.warning("%s: cannot resume (%s); running it again from the start", run_dir, exc)
            else:
                if spec.get("after_run") is not None:
                    spec["after_run"](run_dir)
                return {"run_id": spec["run_id"], "status": "done", "error": None,
                        "seconds": time.perf_counter() - started}
        s = scenario_mod.loads(spec["scenario"], source=spec["source"])
        experiment.run(s, seed=spec["seed"], out=run_dir, force=True)
        if spec.get("after_run") is not None:
            spec["after_run"](run_dir)
    except Exception as exc:  # recorded, and the sweep goes on; KeyboardInterrupt is not caught
        log.exception("run %s failed", spec["run_id"])
        return {"run_id": spec["run_id"], "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - started}
    return {"run_id": spec["run_id"], "status": "done", "error": None,
            "seconds": time.perf_counter() - started}


def _same_scenario(path: Path, text: str) -> bool:
    """Whether the resolved scenario written at ``path`` is the one ``text`` resolves to. Compared as
    scenarios, not as text, so a run written by an older TOML writer still counts as the same."""
    try:
        written = toml.read_text(path)
    except EvoError:
        return False
    if written == text:
        return True
    try:
        return scenario_mod.loads(written, "scenario.toml") == scenario_mod.loads(text, "scenario.toml")
    except EvoError:
        return False


def _worker_init(coordinator: int) -> None:
    """In each pool worker: die with the coordinating process (Linux ``PR_SET_PDEATHSIG``), so a killed
    sweep leaves no orphan still writing a run directory that the resumed sweep is rewriting."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            log.warning("could not tie this worker's life to the sweep process")
    if os.getppid() != coordinator:  # the coordinator died before prctl took effect
        os._exit(1)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for processes started inside the block (this process's BLAS is already
    loaded and keeps its threads)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _serial(specs: Sequence[dict[str, Any]], workers: int, scheduler: str | None,
            done: Callable[[dict[str, Any]], None]) -> None:
    for spec in specs:
        done(execute(spec))


def _processes(specs: Sequence[dict[str, Any]], workers: int, scheduler: str | None,
               done: Callable[[dict[str, Any]], None]) -> None:
    # explicit: fork with threads is unsafe, and Python 3.14 changes the default
    ctx = multiprocessing.get_context("spawn")
    with _environment(BLAS_ENV):
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                   initargs=(os.getpid(),))
        try:
            futures = {pool.submit(execute, spec): spec for spec in specs}
            for fut in as_completed(futures):
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    result = {"run_id": futures[fut]["run_id"], "status": "failed",
                              "error": f"a worker process died ({exc}); run the sweep again to resume"}
                done(result)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _dask(specs: Sequence[dict[str, Any]], workers: int, scheduler: str | None,
          done: Callable[[dict[str, Any]], None]) -> None:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise EvoError("--backend dask needs dask.distributed: pip install 'evo[dask]'") from None
    with tempfile.TemporaryDirectory(prefix="evo-dask-") as scratch:
        cluster = None
        if scheduler:
            try:
                client = Client(scheduler, timeout=30)
            except OSError as exc:
                raise EvoError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, local_directory=scratch, env=dict(BLAS_ENV))
            client = Client(cluster)
        try:
            # explicit unique keys: identical specs must never collapse into one task (dask is pure=True by
            # default), and a long-lived scheduler may still hold keys from an earlier invocation
            token = uuid.uuid4().hex[:12]
            futures = {client.submit(execute, spec, key=f"evo-run-{token}-{spec['run_id']}", pure=False): spec
                       for spec in specs}
            for fut in dask_completed(futures):
                try:
                    result = fut.result()
                except Exception as exc:  # the task or its worker failed for good (dask retries lost workers)
                    result = {"run_id": futures[fut]["run_id"], "status": "failed",
                              "error": f"{type(exc).__name__}: {exc}"}
                done(result)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


_BACKENDS: dict[str, Callable[..., None]] = {"serial": _serial, "processes": _processes, "dask": _dask}


@dataclass
class Progress:
    """What a progress callback sees: ``total`` runs in the plan, ``done`` so far (``skipped`` of them were
    finished before this invocation), ``failed``, and the run that just finished (None at the start)."""

    total: int
    done: int = 0
    skipped: int = 0
    failed: int = 0
    last: str | None = None
    last_status: str | None = None


@dataclass
class SweepOutcome:
    path: Path
    total: int
    done: int
    skipped: int
    failed: dict[str, str] = field(default_factory=dict)
    figures: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def is_done(run_dir: Path, scenario_text: str) -> bool:
    """Whether ``run_dir`` holds a finished run of this resolved scenario. A finished run of another
    scenario is an error: the output directory belongs to a different sweep."""
    try:
        meta = results.read_json(run_dir / "meta.json")
    except EvoError:
        return False
    if not isinstance(meta, dict) or meta.get("status") != "done" or not (run_dir / "summary.json").is_file():
        return False
    if not (run_dir / "scenario.toml").is_file():
        return False
    if not _same_scenario(run_dir / "scenario.toml", scenario_text):
        raise EvoError(f"{run_dir} holds a finished run of a different scenario (the sweep file or its base "
                       "changed since); choose another --out or remove that directory")
    return True


def run_sweep(sweep: Sweep | str | Path, out: str | Path | None = None, *, backend: Backend = "processes",
              workers: int | None = None, scheduler: str | None = None,
              after_run: Callable[[Path], object] | None = None,
              progress: Callable[[Progress], None] | None = None,
              overrides: scenario_mod.Overrides = None) -> SweepOutcome:
    """Run every (cell, seed) of ``sweep`` not yet done in ``out`` (default ``results/<sweep name>``) and
    index each as it finishes. ``after_run(run_dir)`` is called in the worker after each run it finishes
    (:func:`evo.api.save_figures` draws the run's figures; it must be a module-level function for the
    process and Dask backends); the comparison figures are drawn from the index by
    :func:`evo.plots.sweep.make_all`. A sweep writes data and never draws. ``overrides`` (a sweep given
    by path or name) apply to every cell (:func:`load_sweep`); the workers load the plugins this process
    has loaded (:func:`evo.runs.plugins.loaded`)."""
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep, overrides)
    elif overrides:
        raise EvoError("overrides of a sweep apply when it is loaded: load_sweep(path, overrides)")
    if backend not in _BACKENDS:
        raise EvoError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if workers is not None and workers < 1:
        raise EvoError(f"--workers: expected a positive number, got {workers}")
    if scheduler and backend != "dask":
        raise EvoError("--scheduler needs --backend dask")
    started = time.perf_counter()
    with owned.claim_new(Path(out) if out is not None else default_out(sweep), owned.SWEEP) as d:
        path = d.root.resolve()
        results.write_text(d.file("sweep.toml"), _sweep_record(sweep))
        index = Index(d.file("index.sqlite"), sweep)
        try:
            outcome = _run_plan(sweep, path, index, backend, workers, scheduler, after_run, progress)
        finally:
            index.close()
    outcome.seconds = time.perf_counter() - started
    return outcome


def _run_plan(sweep: Sweep, path: Path, index: Index, backend: str, workers: int | None,
              scheduler: str | None, after_run: Callable[[Path], object] | None,
              progress: Callable[[Progress], None] | None) -> SweepOutcome:
    status = index.plan(sweep)
    todo: list[dict[str, Any]] = []
    skipped = 0
    for cell, seed in sweep.runs():
        rid = run_id(cell, seed)
        run_dir = path / "runs" / rid
        text = toml.dumps(cell.scenario)
        if is_done(run_dir, text):
            try:
                numbers = headline_numbers(run_dir, index.metrics) if status[rid] != "done" else None
            except EvoError as exc:  # finished, but its summary cannot be read back: run it again
                log.warning("%s: %s; running it again", rid, exc)
            else:
                skipped += 1
                if numbers is not None:  # finished after the last index write of an interrupted sweep
                    index.record(rid, "done", numbers)
                continue
        if status[rid] != "pending":
            index.record(rid, "pending")
        todo.append({"run_id": rid, "scenario": text, "source": cell.scenario.source, "seed": seed,
                     "out": str(run_dir), "after_run": after_run, "plugins": list(plugins.loaded())})
    state = Progress(total=len(status), done=skipped, skipped=skipped)
    outcome = SweepOutcome(path=path, total=state.total, done=skipped, skipped=skipped)
    if progress is not None:
        progress(state)

    def finished(result: dict[str, Any]) -> None:
        rid = result["run_id"]
        if result["status"] == "done":
            try:
                index.record(rid, "done", headline_numbers(path / "runs" / rid, index.metrics))
            except EvoError as exc:
                result = {**result, "status": "failed", "error": str(exc)}
        if result["status"] != "done":
            index.record(rid, "failed", error=result["error"])
            outcome.failed[rid] = result["error"]
            state.failed += 1
        else:
            state.done += 1
            outcome.done += 1
        state.last, state.last_status = rid, result["status"]
        if progress is not None:
            progress(state)

    if todo:
        n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        log.info("sweep %s: %d runs to do (%d done before), backend %s, %d workers", sweep.name, len(todo),
                 skipped, backend, n)
        _BACKENDS[backend](todo, n, scheduler, finished)
    return outcome


def _sweep_record(sweep: Sweep) -> str:
    """``sweep.toml`` beside the index: which sweep file and base made this directory, and its plan (TOML
    written by tomli-w, so any name or label reads back as it was)."""
    record = {"sweep": {"name": sweep.name, "description": sweep.description, "source": sweep.source,
                        "base": sweep.base, "seeds": list(sweep.seeds), "params": list(sweep.keys),
                        "cells": [c.label for c in sweep.cells]}}
    if sweep.extra:
        record["sweep"]["set"] = list(sweep.extra)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    return f"# written by evo sweep on {stamp}\n" + tomli_w.dumps(record)


# --------------------------------------------------------------------------------------------------------
# the report


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
