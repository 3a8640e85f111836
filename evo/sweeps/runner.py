"""``run_sweep``: plan a sweep in its directory, skip the runs already done, hand the rest to a backend
and index each run as it finishes."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from evo.config import writer
from evo.errors import EvoError
from evo.runs import files, owned, plugins, scenarios
from evo.sweeps.backends import BACKENDS, Backend, dispatch, same_scenario
from evo.sweeps.index import Index
from evo.sweeps.metrics import headline_numbers
from evo.sweeps.spec import Sweep, default_out, load_sweep, run_id

log = logging.getLogger(__name__)


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
        meta = files.read_json(run_dir / "meta.json")
    except EvoError:
        return False
    if not isinstance(meta, dict) or meta.get("status") != "done" or not (run_dir / "summary.json").is_file():
        return False
    if not (run_dir / "scenario.toml").is_file():
        return False
    if not same_scenario(run_dir / "scenario.toml", scenario_text):
        raise EvoError(f"{run_dir} holds a finished run of a different scenario (the sweep file or its base "
                       "changed since); choose another --out or remove that directory")
    return True


def run_sweep(sweep: Sweep | str | Path, out: str | Path | None = None, *, backend: Backend = "processes",
              workers: int | None = None, scheduler: str | None = None,
              after_run: Callable[[Path], object] | None = None,
              progress: Callable[[Progress], None] | None = None,
              overrides: scenarios.Overrides = None) -> SweepOutcome:
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
    if backend not in BACKENDS:
        raise EvoError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if workers is not None and workers < 1:
        raise EvoError(f"--workers: expected a positive number, got {workers}")
    if scheduler and backend != "dask":
        raise EvoError("--scheduler needs --backend dask")
    started = time.perf_counter()
    with owned.claim_new(Path(out) if out is not None else default_out(sweep), owned.SWEEP) as d:
        path = d.root.resolve()
        files.write_text(d.file("sweep.toml"), _sweep_record(sweep))
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
        text = writer.dumps(cell.scenario)
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
        dispatch(backend, todo, n, scheduler, finished)
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
