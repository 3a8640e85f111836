"""Crafted files too large to store in a corpus, made at test time (tests/data/bad_results/README.md, the
``generate`` edits): deep JSON, padded files, NPZ zip bombs, NPZs with too many members or a lying zip
header. Each is small on disk or quick to write, and each would cost a naive reader far more."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np


def deep_json(path: Path, depth: int) -> None:
    """``[[[…]]]``, ``depth`` deep: json.loads raises RecursionError on it."""
    path.write_text("[" * depth + "]" * depth)


def pad(path: Path, n: int) -> None:
    """``n`` spaces (or bytes ``fill``) appended: valid JSON or TOML still, only larger."""
    with open(path, "ab") as fh:
        fh.write(b" " * n)


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def bomb(path: Path, member: str, n: int) -> None:
    """``member`` replaced by ``n`` zero bytes (a consistent uint8 .npy, its sizes true), deflated: some
    ``n``/1000 bytes on disk. Written in 1 MiB pieces, so making it costs no memory."""
    arrays = _arrays(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, a in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy")
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as fh:
                if name != member:
                    np.lib.format.write_array(fh, a, allow_pickle=False)
                    continue
                np.lib.format.write_array_header_2_0(fh, {"descr": "|u1", "fortran_order": False,
                                                          "shape": (n,)})
                piece = bytes(1 << 20)
                for start in range(0, n, len(piece)):
                    fh.write(piece[: min(len(piece), n - start)])


def members(path: Path, count: int) -> None:
    """``count`` more one-element members (``extra0`` …)."""
    arrays = _arrays(path)
    arrays.update({f"extra{k}": np.zeros(1) for k in range(count)})
    with zipfile.ZipFile(path, "w") as zf:
        for name, a in arrays.items():
            with zf.open(f"{name}.npy", "w") as fh:
                np.lib.format.write_array(fh, a, allow_pickle=False)


def zip_size(path: Path, member: str, value: int) -> None:
    """The central directory's uncompressed size of ``member`` set to ``value`` (a stored, non-zip64
    member): the zip header lies, the .npy inside does not."""
    arrays = _arrays(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, a in arrays.items():
            with zf.open(f"{name}.npy", "w") as fh:
                np.lib.format.write_array(fh, a, allow_pickle=False)
    patch_size(path, member, value)


def patch_size(path: Path, member: str, value: int) -> None:
    """The central directory's uncompressed size of ``member`` (a 4-byte field: a member under 4 GB) set to
    ``value`` in place; the member's data is not touched."""
    data = bytearray(path.read_bytes())
    at = 0
    target = f"{member}.npy".encode()
    while True:
        at = data.index(b"PK\x01\x02", at)
        (name_len,) = struct.unpack("<H", data[at + 28:at + 30])
        if bytes(data[at + 46:at + 46 + name_len]) == target:
            data[at + 24:at + 28] = struct.pack("<I", value)
            break
        at += 46
    path.write_bytes(bytes(data))


def generate(path: Path, op: dict[str, Any]) -> None:
    """One ``generate`` edit of tests/data/bad_results (README.md there lists them)."""
    kind = op["generate"]
    if kind == "deep":
        deep_json(path, op["depth"])
    elif kind == "pad":
        pad(path, op["bytes"])
    elif kind == "bomb":
        bomb(path, op["member"], op["bytes"])
    elif kind == "members":
        members(path, op["count"])
    elif kind == "zip_size":
        zip_size(path, op["member"], op["value"])
    else:
        raise ValueError(f"unknown generate edit {kind!r}")
