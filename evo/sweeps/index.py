"""A sweep's ``index.sqlite``: written by the coordinating process (:class:`Index`), read back and
validated (:func:`read_index`); docs/architecture.md, "Sweeps", says why it is one file when a sweep ends."""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from evo.errors import EvoError
from evo.runs import readback
from evo.sweeps.metrics import TEXT_COLUMNS, metrics_for
from evo.sweeps.spec import Sweep, run_id

log = logging.getLogger(__name__)


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
