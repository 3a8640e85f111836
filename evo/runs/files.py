"""Results I/O: atomic writes of plain formats (JSON, CSV, NPZ without pickle, TOML text, PNG). Files read
back are read through the validating readers of :mod:`evo.runs.readback`.

Every file is written to a temporary name in its final directory, flushed, fsynced and renamed, so a run that
stops half-way never leaves a half-written file under a final name. Readers never unpickle.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from evo.config.schema import LIMITS
from evo.errors import EvoError


@contextmanager
def atomic_file(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync it, rename it to ``path`` and fsync the
    directory, so the rename itself survives a power cut. The file gets the permissions the user's umask
    gives a new file (``mkstemp`` would make it 0600)."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        text_args: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, mode, **text_args) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        _name_the_file(exc, path)
    fsync_dir(path.parent)


def _name_the_file(exc: BaseException, path: Path) -> NoReturn:
    """Re-raise ``exc``; an OSError that names no file (a full disk on ``write`` or ``fsync``) as the same
    error naming ``path``, so that its one-line message says which file could not be written."""
    if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
        raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path)) from exc
    raise exc


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary name beside ``path`` for a library that writes to a file name (an animation writer):
    on success the file is fsynced and renamed to ``path``; on failure it is removed, so ``path`` is never
    half-written. The temporary name keeps ``path``'s suffix, which such writers read the format from."""
    path = Path(path)
    tmp = path.parent / f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}"
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        _name_the_file(exc, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make the renames in directory ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        dfd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def write_text(path: str | Path, text: str) -> None:
    with atomic_file(path) as fh:
        fh.write(text)


def write_json(path: str | Path, data: Any) -> None:
    """Strict JSON (no NaN or Infinity, which other JSON readers refuse): a non-finite number is an
    :class:`EvoError` naming the file, and nothing is written."""
    try:
        text = json.dumps(data, indent=2, sort_keys=False, allow_nan=False)
    except ValueError as exc:
        raise EvoError(f"{path}: cannot write a non-finite number as JSON ({exc}); the run produced an "
                       "infinite or undefined value (genomes can grow without bound under weak selection)"
                       ) from None
    write_text(path, text + "\n")


def read_capped(path: str | Path, limit: str) -> bytes:
    """The bytes of ``path``, reading at most ``LIMITS[limit]`` + 1 of them: a larger file is one
    :class:`EvoError` naming it and the cap (nothing past the cap is read). A missing or unreadable file
    is an :class:`EvoError` too (``FileNotFoundError`` stays recognisable as one)."""
    cap = int(LIMITS[limit])
    try:
        with open(path, "rb") as fh:
            data = fh.read(cap + 1)
    except FileNotFoundError:
        raise EvoError(f"{path}: no such file") from None
    except MemoryError:
        raise EvoError(f"{path}: cannot be read (out of memory)") from None
    except OSError as exc:
        raise EvoError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > cap:
        raise EvoError(f"{path}: the file: expected at most {cap} bytes (LIMITS['{limit}']), "
                       "got a larger file")
    return data


def read_json(path: str | Path, limit: str = "json_bytes") -> Any:
    """Parsed JSON of at most ``LIMITS[limit]`` bytes; malformed, too deep or too large is one EvoError."""
    data = read_capped(path, limit)
    try:
        return json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EvoError(f"{path}: not valid JSON ({exc})") from None
    except (RecursionError, MemoryError, ValueError) as exc:  # absurd nesting; 4300-digit integers
        raise EvoError(f"{path}: not valid JSON ({type(exc).__name__}: {str(exc)[:80] or 'too large'})"
                       ) from None


def write_csv(path: str | Path, rows: Iterable[Mapping[str, Any]], header: list[str]) -> None:
    """A CSV written by the ``csv`` module row by row into the atomic file: ``rows`` may be a generator,
    so a long run's log is never held as text in memory."""
    with atomic_file(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k, "")) for k in header})


def _csv_value(v: Any) -> Any:
    return repr(float(v)) if isinstance(v, float | np.floating) else v


def write_npz(path: str | Path, arrays: Mapping[str, NDArray[Any]]) -> None:
    """A compressed NPZ that ``numpy.load`` reads, with fixed zip timestamps so that equal arrays give
    byte-identical files (``numpy.savez`` stamps each member with the current time)."""
    with atomic_file(path, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, a in arrays.items():
            a = np.asarray(a)
            if a.dtype == object:
                raise TypeError(f"refusing to write object array {name!r}: it would need pickle")
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, a, allow_pickle=False)


def save_figure(fig: Any, path: str | Path, dpi: int = 120) -> None:
    with atomic_file(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight")


def ensure_writable_dir(path: Path) -> None:
    """Create ``path`` (and parents) or raise a clear error."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe: IO[bytes]
        with tempfile.TemporaryFile(dir=path) as probe:
            probe.write(b"ok")
    except OSError as exc:
        raise EvoError(f"{path}: results directory is not writable ({exc.strerror or exc})") from None
