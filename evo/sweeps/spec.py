"""A sweep file read and validated: its cells (override values, labels, directory names) and seeds
(docs/architecture.md, "Sweeps")."""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evo.config import toml, writer
from evo.config.names import MAX_COMPONENT_BYTES, has_control, path_component
from evo.config.overrides import Override, apply, culprit
from evo.config.schema import Scenario
from evo.errors import EvoError, ScenarioError
from evo.runs import scenarios

#: The most seeds a sweep may have, and the most runs (cells × seeds): each run is a directory and a row.
MAX_SEEDS = 10_000
MAX_RUNS = 100_000
#: The largest integer SQLite stores (a signed 64-bit INTEGER): seeds and integer override values.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)



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


def load_sweep(path: str | Path, overrides: scenarios.Overrides = None) -> Sweep:
    """Read and validate a sweep file, or a shipped sweep by name (:func:`evo.runs.scenarios.resolve`; its
    base scenario path is relative to the file). ``overrides`` (``evo sweep --set``) apply to every cell
    after the file's ``[fixed]`` ones, and may not set a key the sweep varies."""
    file = scenarios.resolve(path, "sweep")
    source = str(file) if isinstance(path, str) and file != Path(path) else str(path)
    text = toml.read_text(file, "sweep file")
    return loads(text, source=source, base_dir=file.parent, overrides=overrides)


def loads(text: str, source: str = "<string>", base_dir: str | Path = ".",
          overrides: scenarios.Overrides = None) -> Sweep:
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
              overrides: scenarios.Overrides = None) -> Sweep:
    """Validate an already-parsed sweep table and resolve every cell's scenario (``overrides``: see
    :func:`load_sweep`)."""
    f = source
    extra = scenarios.as_overrides(overrides)
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
    base_scenario = scenarios.from_dict(base_table, str(base_path))  # errors name the base file
    defaults = writer.to_dict(base_scenario)

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
        scenarios.switch_kind(table, base_scenario.agent.kind, cell)  # as a run's --set does
        cell_source = f"{base_path} [sweep {name}: {label}]"
        try:
            cell_scenario = scenarios.from_dict(table, cell_source)
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
