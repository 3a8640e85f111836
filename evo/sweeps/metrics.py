"""The headline numbers of a run that a sweep indexes, read from its summary.json and log.csv, with the
range each can take."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evo.analysis import stats
from evo.errors import EvoError
from evo.runs import readback


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
