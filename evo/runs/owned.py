"""Owned directories: what evo writes in a run, a sweep or an analysis directory, and the one way to write
there — holding the directory's lock, only under a name of its layout, never through a symlink.

docs/architecture.md ("Owned directories") has the rules and why.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from evo.errors import EvoError

#: a temporary file of :mod:`evo.runs.files`: ``.NAME.<12 hex>.tmp`` or ``.STEM.<12 hex>.tmp.SUFFIX``
TEMPORARY = re.compile(r"\..+\.[0-9a-f]{12}\.tmp(\.[A-Za-z0-9]+)?")
#: the most entries one listing of an owned directory reads (a sweep's runs/ holds at most 100 000)
MAX_ENTRIES = 200_000


@dataclass(frozen=True)
class Layout:
    """The names evo writes in one kind of directory: ``files`` (patterns of file names), ``dirs``
    (subdirectory name pattern → its layout); for a directory claimed on its own, its ``lock`` and its
    ``markers`` ((name, how the file begins): any one shows that evo made it). An ``opaque`` layout's
    subdirectories are owned by their own writers: listed, not entered."""

    name: str
    files: tuple[str, ...] = ()
    dirs: Mapping[str, Layout] = field(default_factory=dict)
    lock: str | None = None
    markers: tuple[tuple[str, bytes], ...] = ()
    opaque: bool = False

    def owns_file(self, name: str) -> bool:
        return (name == self.lock or TEMPORARY.fullmatch(name) is not None
                or any(fnmatch.fnmatchcase(name, p) for p in self.files))

    def subdir(self, name: str) -> Layout | None:
        return next((lay for p, lay in self.dirs.items() if fnmatch.fnmatchcase(name, p)), None)


FIGURES = Layout("figures directory", ("*.png", "*.gif", "*.mp4"))
#: `evo analyze`: rows and figures (evo/cli/analyze.py)
ANALYSIS = Layout("analysis directory", ("goodhart_*.csv", "goodhart_*.png", "diversity.csv",
                                         "diversity_runs.csv", "diversity.png", "preference_*.csv",
                                         "preference_*.png"), lock=".evo.lock",
                  markers=((".evo.lock", b""),))
#: `evo run` (evo/runs/run.py, checkpoint.py), then `evo report` (report.html), `evo probe` (probe.json),
#: the figures, `evo animate` (figures/champion.gif) and `evo analyze` (analysis/)
RUN = Layout("run directory", ("scenario.toml", "meta.json", "log.csv", "final_population.npz",
                               "champion_episodes.npz", "summary.json", "probe.json", "lineage.csv",
                               "lineage.graphml", "lineage_tree.csv", "lineage.nwk", "lineage_founders.csv",
                               "checkpoint.json", "checkpoint-g*.npz", "report.html"),
             {"figures": FIGURES, "analysis": ANALYSIS}, lock=".evo.lock",
             markers=(("meta.json", b"{"),))
#: a sweep's runs/CELL/seed-N: each run directory is its own writer's (listed here, entered by no one else)
CELL = Layout("sweep cell", dirs={"seed-*": RUN}, opaque=True)
#: `evo sweep` (evo/sweeps/runner.py), its figures, `evo report` and `evo analyze`
SWEEP = Layout("sweep directory", ("sweep.toml", "index.sqlite", "index.sqlite-wal", "index.sqlite-shm",
                                   "index.sqlite-journal", "report.html"),
               {"figures": FIGURES, "analysis": ANALYSIS,
                "runs": Layout("runs", dirs={"*": CELL})},
               lock=".lock", markers=(("sweep.toml", b"# written by evo sweep"),
                                      ("index.sqlite", b"SQLite format 3\x00")))


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None


def real_dir(path: Path, what: str = "directory") -> bool:
    """Whether ``path`` is a directory (False if absent); a symlink or anything else is an error."""
    st = _lstat(path)
    if st is None:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise EvoError(f"{path}: expected a {what}, got a symlink; evo writes nothing through a symlink "
                       f"(use the real path, {path.resolve()}, or another directory)")
    if not stat.S_ISDIR(st.st_mode):
        raise EvoError(f"{path}: expected a {what}, got a file")
    return True


def _entries(path: Path) -> list[os.DirEntry[str]]:
    out = []
    with os.scandir(path) as it:
        for entry in it:
            out.append(entry)
            if len(out) > MAX_ENTRIES:
                raise EvoError(f"{path}: holds more than {MAX_ENTRIES} entries; evo writes only into a "
                               "directory it made")
    return sorted(out, key=lambda e: e.name)


def foreign(path: Path, layout: Layout) -> list[Path]:
    """What ``path`` holds that evo did not write there: names outside ``layout``, symlinks, anything not a
    regular file or directory, and the same inside its subdirectories."""
    out: list[Path] = []
    for entry in _entries(path):
        p = Path(entry.path)
        sub = layout.subdir(entry.name)
        if entry.is_symlink():
            out.append(p)
        elif entry.is_dir(follow_symlinks=False):
            if sub is None:
                out.append(p)
            elif not layout.opaque:
                out.extend(foreign(p, sub))
        elif not (entry.is_file(follow_symlinks=False) and layout.owns_file(entry.name)):
            out.append(p)
    return out


def listing(paths: list[Path], root: Path) -> str:
    """Up to five of ``paths``, relative to ``root``, for a message (a directory ends in /)."""
    names = sorted(str(p.relative_to(root)) + ("/" if p.is_dir() and not p.is_symlink() else "")
                   for p in paths)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _named(layout: Layout, name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in layout.files)


def clear(path: Path, layout: Layout) -> None:
    """Remove every file evo wrote in ``path`` (after :func:`foreign` found nothing else): its files, and
    its subdirectories' (those left empty go too; a sweep's run directories are not entered). The lock
    stays."""
    _remove(path, layout, lambda lay, name: name != lay.lock and lay.owns_file(name), lambda sub: True, True)


def sweep_temporaries(path: Path, layout: Layout) -> list[Path]:
    """Remove the temporary files an interrupted writer left in ``path`` and its subdirectories that have no
    lock of their own (called under the lock, so no writer is using them); returns what was removed."""
    return _remove(path, layout, lambda lay, name: TEMPORARY.fullmatch(name) is not None,
                   lambda sub: sub.lock is None, False)


def _remove(path: Path, layout: Layout, which: Callable[[Layout, str], bool], enter: Callable[[Layout], bool],
            prune: bool) -> list[Path]:
    """Unlink the regular files ``which`` picks in ``path`` and the subdirectories of its layout that
    ``enter`` allows (never through a symlink); with ``prune``, remove the subdirectories left empty."""
    gone = []
    for entry in _entries(path):
        p = Path(entry.path)
        if entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            sub = layout.subdir(entry.name)
            if sub is not None and not layout.opaque and enter(sub):
                gone += _remove(p, sub, which, enter, prune)
                if prune and not any(os.scandir(p)):
                    p.rmdir()
        elif entry.is_file(follow_symlinks=False) and which(layout, entry.name):
            p.unlink(missing_ok=True)
            gone.append(p)
    return gone


_held: dict[tuple[str, int], int] = {}
_held_guard = threading.Lock()


@contextmanager
def lock(path: Path, layout: Layout, busy: str) -> Iterator[None]:
    """Hold ``path``'s lock file (``flock``; released by the operating system if the process dies) while the
    body runs; another holder makes it raise :class:`EvoError` with ``busy``. The lock file is opened without
    following a symlink and must be a regular file with one link: anything else is refused, untouched. The
    same thread may claim a directory it holds again. Not POSIX: no lock."""
    assert layout.lock is not None
    real_dir(path)
    key = (os.path.realpath(path), threading.get_ident())
    with _held_guard:
        again = key in _held
        if again:
            _held[key] += 1
    if again:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    try:
        import fcntl
    except ImportError:
        yield
        return
    lock_file = path / layout.lock
    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock_file, flags, 0o666)
    except OSError as exc:
        st = _lstat(lock_file)
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise EvoError(f"{lock_file}: expected evo's lock file, got a symlink; evo neither follows nor "
                           "removes it: remove it yourself if it is not needed") from None
        raise EvoError(f"{lock_file}: cannot open the lock file ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            got = "a file with other hard links" if stat.S_ISREG(st.st_mode) else "not a regular file"
            raise EvoError(f"{lock_file}: expected evo's lock file, got {got}; evo leaves it untouched: "
                           "remove it yourself if it is not needed")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EvoError(busy) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        with _held_guard:
            _held[key] = 1
        try:
            sweep_temporaries(path, layout)
            yield
        finally:
            with _held_guard:
                del _held[key]
    finally:
        os.close(fd)


def target(root: Path, layout: Layout, rel: str) -> Path:
    """The path to write ``rel`` (``"figures/probe.png"``) inside the owned directory ``root``: a name of
    ``layout`` (anything else is a bug: ValueError), its directories made and checked to be real, no
    symlink or directory at the name itself."""
    parts = PurePosixPath(rel).parts
    here, lay = root, layout
    for part in parts[:-1]:
        sub = lay.subdir(part)
        if sub is None:
            raise ValueError(f"{rel}: evo writes no directory {part!r} in a {layout.name}")
        here, lay = here / part, sub
        if not real_dir(here):
            here.mkdir()
            real_dir(here)
    if not _named(lay, parts[-1]):
        raise ValueError(f"{rel}: not a file evo writes in a {layout.name}")
    path = here / parts[-1]
    st = _lstat(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        got = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a regular file"
        raise EvoError(f"{path}: evo would write its {parts[-1]} here, but this is {got}; evo writes nothing "
                       "through a symlink: remove it")
    return path


@dataclass(frozen=True)
class Owned:
    """A directory this process holds: :meth:`file` gives where to write each of its names."""

    root: Path
    layout: Layout

    def file(self, rel: str) -> Path:
        return target(self.root, self.layout, rel)


def is_evos(path: Path, layout: Layout) -> bool:
    """Whether ``path`` holds something evo wrote as this layout's directory (its marker file)."""
    return any(_begins(path / name, prefix) for name, prefix in layout.markers)


def _begins(path: Path, prefix: bytes) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, len(prefix)) == prefix
    finally:
        os.close(fd)


@contextmanager
def claim(path: str | Path, layout: Layout) -> Iterator[Owned]:
    """Write in the existing evo directory ``path`` (a finished run for `evo report`, `evo probe`, the
    figures): refused unless it is one (its marker file; nothing is created in another directory), and
    while another process writes it."""
    root = Path(path)
    if not real_dir(root, layout.name) or not is_evos(root, layout):
        names = " or ".join(name for name, _ in layout.markers)
        raise EvoError(f"{root}: not a {layout.name} made by evo (it holds no {names} that evo wrote)")
    busy = f"{root}: another evo process is writing this {layout.name}; wait for it to finish"
    with lock(root, layout, busy):
        yield Owned(root, layout)


@contextmanager
def claim_new(path: str | Path, layout: Layout, flag: str = "--out") -> Iterator[Owned]:
    """Write in ``path``, made if absent: refused unless it is empty or holds only what evo writes there
    (checked before and again under the lock), naming what else is there."""
    root = Path(path)
    if not real_dir(root, layout.name):
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EvoError(f"{root}: cannot make the {layout.name} ({exc.strerror or exc})") from None
        real_dir(root, layout.name)
    _check_foreign(root, layout, flag)
    busy = f"{root}: another evo process is writing this {layout.name}; wait for it or choose another {flag}"
    with lock(root, layout, busy):
        _check_foreign(root, layout, flag)
        yield Owned(root, layout)


def _check_foreign(root: Path, layout: Layout, flag: str) -> None:
    other = foreign(root, layout)
    if not other and not is_evos(root, layout):  # evo's names but not evo's files: the user's
        other = [Path(e.path) for e in _entries(root) if not _transient(layout, e.name)]
    if other:
        raise EvoError(f"{root}: holds files evo did not write there ({listing(other, root)}); evo writes "
                       f"only into a new or empty directory or one of its own: move them or choose another "
                       f"{flag}")


def _transient(layout: Layout, name: str) -> bool:
    return name == layout.lock or TEMPORARY.fullmatch(name) is not None


@contextmanager
def user_file(path: str | Path, force: bool) -> Iterator[Path]:
    """A file the user named (``--out FILE``): never a symlink or a directory; an existing file only with
    ``force``. Yields the path to write atomically."""
    path = Path(path)
    st = _lstat(path)
    if st is not None:
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
            kind = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            raise EvoError(f"--out {path}: expected a new file, got {kind}; evo writes nothing through a "
                           "symlink: choose another --out")
        if not force:
            raise EvoError(f"--out {path}: the file exists; pass --force to replace it or choose another "
                           "--out")
    if not real_dir(path.parent, "directory for --out"):
        path.parent.mkdir(parents=True, exist_ok=True)
    yield path
