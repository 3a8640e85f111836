"""Run directories are owned: which files an evo run writes, what a directory holds, and the claim a process
takes before writing one.

A run writes only into a directory that is new, empty, or an earlier evo run (a ``meta.json`` that evo
wrote). A directory holding anything else is refused, naming what is there. A finished run is replaced only
with ``force``; an interrupted one is never silently restarted (the message offers ``--resume``). Replacing
removes exactly the files an evo run writes (:func:`run_files`) and no others, and never follows a symlink.
While a process writes a run directory it holds an advisory lock (``.evo.lock``, ``flock``), so two
processes cannot interleave in one directory; the operating system releases it if the process dies.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from evo.errors import EvoError
from evo.runs import files as results

LOCK = ".evo.lock"
#: Files a run writes at the top of its directory (lineage files only when lineage tracking is on).
TOP_FILES = ("scenario.toml", "meta.json", "log.csv", "final_population.npz", "champion_episodes.npz",
             "summary.json", "lineage.csv", "lineage.graphml", "lineage_tree.csv", "lineage.nwk",
             "lineage_founders.csv", "checkpoint.json")


def _is_run_file(rel: Path) -> bool:
    name = rel.name
    temporary = name.startswith(".") and name.endswith(".tmp")
    if len(rel.parts) == 1:
        checkpoint_npz = name.startswith("checkpoint-g") and name.endswith(".npz")
        return name in (*TOP_FILES, LOCK, "figures") or checkpoint_npz or temporary
    return len(rel.parts) == 2 and rel.parts[0] == "figures" and (name.endswith(".png") or temporary)


def read_meta(path: Path) -> dict[str, Any] | None:
    """The ``meta.json`` of an evo run in ``path``, or None if there is none or it is not evo's: one that
    is not valid JSON, nests absurdly deep or is larger than ``LIMITS["meta_bytes"]`` counts as not evo's
    (it is only ever read here to decide whether the directory may be written)."""
    try:
        meta = results.read_json(path / "meta.json", "meta_bytes")
    except EvoError:
        return None
    if isinstance(meta, dict) and {"scenario", "seed", "status"} <= set(meta):
        return meta
    return None


def _listing(paths: list[Path], root: Path) -> str:
    names = sorted(str(p.relative_to(root)) + ("/" if p.is_dir() and not p.is_symlink() else "")
                   for p in paths)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def foreign_entries(path: Path) -> list[Path]:
    """What ``path`` holds that an evo run did not write (symlinks count as foreign: evo writes none)."""
    out = []
    for p in sorted(path.iterdir()):
        rel = p.relative_to(path)
        if p.is_symlink() or not _is_run_file(rel):
            out.append(p)
        elif p.is_dir() and rel.name == "figures":
            out.extend(q for q in sorted(p.iterdir())
                       if q.is_symlink() or q.is_dir() or not _is_run_file(q.relative_to(path)))
    return out


def check_target(path: Path, *, force: bool) -> None:
    """Refuse to start a run in ``path`` unless it is absent, empty, or an evo run that may be replaced."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_symlink() or not path.is_dir():
        raise EvoError(f"{path}: expected a directory for the run's results, but it is "
                       f"{'a symlink' if path.is_symlink() else 'a file'}; choose another --out")
    entries = [p for p in path.iterdir() if p.name != LOCK]
    if not entries:
        return
    meta = read_meta(path)
    foreign = foreign_entries(path)
    if meta is None and foreign:
        raise EvoError(f"{path} is not empty and is not an evo run (it holds {_listing(entries, path)}); "
                       "evo writes only into a new or empty directory or an earlier run: "
                       "choose another --out")
    if foreign:
        raise EvoError(f"{path} holds an evo run and files evo did not write ({_listing(foreign, path)}); "
                       "evo will not replace it: move them or choose another --out")
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
    """Remove every file an evo run wrote in ``path`` (after :func:`check_target` said it may); the lock file
    stays (another process may be about to take it)."""
    if not path.is_dir():
        return
    figures = path / "figures"
    if figures.is_dir() and not figures.is_symlink():
        for p in figures.iterdir():
            if _is_run_file(p.relative_to(path)) and p.is_file() and not p.is_symlink():
                p.unlink()
    for p in path.iterdir():
        if p.name not in (LOCK, "figures") and _is_run_file(p.relative_to(path)) and not p.is_symlink():
            p.unlink()


def claimed(path: Path) -> AbstractContextManager[None]:
    """Hold the run directory's lock while the body writes it (``path`` must exist). A second process
    gets a clear error instead of interleaving its files with the first one's."""
    return results.exclusive_lock(path / LOCK, f"{path}: another evo process is writing this run directory; "
                                  "wait for it to finish or choose another --out")
