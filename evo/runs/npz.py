"""Reading an NPZ bounded: no member is unpickled, and nothing is decompressed or allocated before its size
is known to fit. The zip's own directory is checked first (at most ``LIMITS["npz_members"]`` members), then
each member's declared sizes (the zip header's uncompressed size, the ``.npy`` header's shape × item size,
which must agree) against what the file may hold: ``LIMITS["npz_bytes"]`` plus the bytes the caller expects
from the run's summary or scenario. Data is then read in chunks into the array, never past the declared size.
"""

from __future__ import annotations

import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from evo.config.schema import LIMITS
from evo.errors import EvoError

#: the longest ``.npy`` header numpy reads (``max_header_size`` of ``read_array_header_*``), magic included
HEADER_BYTES = 10_000
_CHUNK = 1 << 20


def read_npz(path: str | Path, expected_bytes: int = 0) -> dict[str, NDArray[Any]]:
    """The arrays of an NPZ file, never unpickling. ``expected_bytes``: the array data the caller expects
    (from summary.json or the scenario); the file may hold that plus ``LIMITS["npz_bytes"]``. A member that
    is not a plain ``.npy`` array, holds objects, declares more than the file may hold or other sizes than
    it holds is refused before its data is read."""
    path = Path(path)
    prefix = f"{path}: not a readable NPZ of plain arrays"
    left = int(LIMITS["npz_bytes"]) + max(int(expected_bytes), 0)
    try:
        with open(path, "rb") as raw:
            count = _entries(raw)
            if count is not None and count > LIMITS["npz_members"]:
                raise EvoError(f"{prefix} (expected at most {LIMITS['npz_members']} members, "
                               f"LIMITS['npz_members'], got {count})")
            with zipfile.ZipFile(raw) as zf:
                out: dict[str, NDArray[Any]] = {}
                for info in zf.infolist():
                    name = info.filename.removesuffix(".npy")
                    if not info.filename.endswith(".npy") or name in out:
                        raise EvoError(f"{prefix} (member {info.filename!r} is not a distinct .npy array)")
                    if info.file_size > left + HEADER_BYTES:
                        raise EvoError(f"{prefix} (member {info.filename!r}: expected at most {left} bytes "
                                       f"of data, got a zip header declaring {info.file_size})")
                    with zf.open(info) as fh:
                        out[name] = _read_member(fh, info, prefix, left)
                    left -= out[name].nbytes
                return out
    except FileNotFoundError:
        raise EvoError(f"{path}: no such file") from None
    except EvoError:
        raise
    except MemoryError:
        raise EvoError(f"{prefix} (out of memory while reading it)") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, OverflowError, struct.error,
            NotImplementedError, RuntimeError) as exc:
        raise EvoError(f"{prefix} ({type(exc).__name__}: {str(exc)[:100]})") from None


def _entries(fh: IO[bytes]) -> int | None:
    """The member count the zip's end record declares, read before ``zipfile`` builds its directory (None
    when there is no end record: ``zipfile`` then refuses the file)."""
    size = fh.seek(0, 2)
    tail = min(size, 22 + 65_535)
    fh.seek(size - tail)
    data = fh.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(data):
        return None
    count: int = struct.unpack("<H", data[at + 10:at + 12])[0]
    locator = data.rfind(b"PK\x06\x07", 0, at)
    if count != 0xFFFF or locator < 0 or locator + 20 > len(data):
        return count
    (offset,) = struct.unpack("<Q", data[locator + 8:locator + 16])  # the zip64 end record
    fh.seek(offset)
    record = fh.read(56)
    if len(record) < 56 or record[:4] != b"PK\x06\x06":
        return count
    return int(struct.unpack("<Q", record[32:40])[0])


def _read_member(fh: Any, info: zipfile.ZipInfo, prefix: str, left: int) -> NDArray[Any]:
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(fh)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = fmt.read_array_header_2_0(fh)
    else:
        raise EvoError(f"{prefix} (member {info.filename!r}: unknown .npy version {version})")
    if dtype.hasobject:
        raise EvoError(f"{prefix} (member {info.filename!r} is an object array, which would need pickle)")
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes > left:
        raise EvoError(f"{prefix} (member {info.filename!r} declares shape {shape} of {dtype}, {nbytes} "
                       f"bytes: expected at most {left}, what this file may hold)")
    if nbytes != info.file_size - fh.tell():
        raise EvoError(f"{prefix} (member {info.filename!r} declares shape {shape}, {nbytes} bytes of data: "
                       f"expected what its zip header says it holds, {info.file_size - fh.tell()})")
    array = np.empty(count, dtype=dtype)
    buffer = array.view(np.uint8)
    got = 0
    while got < nbytes:
        chunk = fh.read(min(_CHUNK, nbytes - got))
        if not chunk:
            break
        buffer[got:got + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        got += len(chunk)
    if got != nbytes or fh.read(1):
        raise EvoError(f"{prefix} (member {info.filename!r}: expected {nbytes} bytes of data for shape "
                       f"{shape}, got {'more' if got == nbytes else got})")
    return array.reshape(shape, order="F" if fortran else "C")
