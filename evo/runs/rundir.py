"""Run directories: when a run may start in a directory, and what ``--force`` replaces. The layout (which
names a run directory holds), the lock and the writing rules are :mod:`evo.runs.owned`'s; docs/architecture.md
("Owned directories") says why.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from evo.errors import EvoError
from evo.runs import files, owned

LOCK = owned.RUN.lock


def read_meta(path: Path) -> dict[str, Any] | None:
    """The ``meta.json`` of an evo run in ``path``, or None if there is none or it is not evo's: one that
    is not valid JSON, nests absurdly deep or is larger than ``LIMITS["meta_bytes"]`` counts as not evo's
    (it is only ever read here to decide whether the directory may be written)."""
    try:
        meta = files.read_json(path / "meta.json", "meta_bytes")
    except EvoError:
        return None
    if isinstance(meta, dict) and {"scenario", "seed", "status"} <= set(meta):
        return meta
    return None


def foreign_entries(path: Path) -> list[Path]:
    """What ``path`` holds that evo did not write there (symlinks count as foreign: evo writes none)."""
    return owned.foreign(path, owned.RUN)


def check_target(path: Path, *, force: bool) -> None:
    """Refuse to start a run in ``path`` unless it is absent, empty, or an evo run that may be replaced."""
    if not owned.real_dir(path, "directory for the run's results"):
        return
    entries = [p for p in path.iterdir() if p.name != LOCK]
    if not entries:
        return
    meta = read_meta(path)
    foreign = foreign_entries(path)
    if meta is None and foreign:
        raise EvoError(f"{path} is not empty and is not an evo run (it holds "
                       f"{owned.listing(entries, path)}); evo writes only into a new or empty directory or "
                       "an earlier run: choose another --out")
    if foreign:
        raise EvoError(f"{path} holds an evo run and files evo did not write "
                       f"({owned.listing(foreign, path)}); evo will not replace it: move them or choose "
                       "another --out")
    if meta is None:
        if not force:
            raise EvoError(f"{path} holds the start of a run stopped before its meta.json was written; "
                           "pass --force to start it over")
        return
    status = meta.get("status")
    if status == "done" and not force:
        raise EvoError(f"{path} already holds a finished run; pass --force to replace it "
                       "or --out to choose another directory")
    if status != "done" and not force:
        where = meta.get("stopped_before_generation")
        at = f" (stopped before generation {where})" if isinstance(where, int) else ""
        raise EvoError(f"{path} holds an unfinished run{at}: continue it with `evo run --resume {path}`, "
                       "or pass --force to discard it and start over")


def clear(path: Path) -> None:
    """Remove every file evo wrote in ``path`` (after :func:`check_target` said it may); the lock file
    stays (another process may be about to take it)."""
    if path.is_dir():
        owned.clear(path, owned.RUN)


def claimed(path: Path) -> AbstractContextManager[None]:
    """Hold the run directory's lock while the body writes it (``path`` must exist). A second process
    gets a clear error instead of interleaving its files with the first one's."""
    return owned.lock(path, owned.RUN, f"{path}: another evo process is writing this run directory; "
                      "wait for it to finish or choose another --out")
