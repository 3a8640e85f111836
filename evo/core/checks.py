"""Checks of values read from files, shared by every reader: the one-line error
(``FILE: WHERE: expected EXPECTED, got GOT``, :func:`fail`), the schema language of JSON files
(:class:`Schema`, :class:`Obj`, :class:`Num`, …), a validated CSV table (:class:`Table`) and a validated
array (:func:`check_array`). numpy and the standard library only, so the lineage store validates its
checkpointed state with the same messages as the run files' readers (:mod:`evo.runs.readback`)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from evo.config.names import terminal
from evo.errors import EvoError

#: a member or key that is not there (shown as "nothing")
MISSING = object()


class Said(str):
    """A description of what came, shown as it is (not quoted like a value)."""


def describe(value: Any) -> str:
    """A short, one-line description of a value that came where something else was expected."""
    if isinstance(value, Said):
        return str(value)
    if value is MISSING:
        return "nothing (it is missing)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return f"an object ({len(value)} keys)" if value else "an empty object"
    if isinstance(value, list | tuple):
        text = repr(list(value))
        return text if len(text) <= 60 else f"a list of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…'"


def fail(file: str | Path, where: str, expected: str, got: Any) -> NoReturn:
    """Raise the one-line error: ``FILE: WHERE: expected EXPECTED, got GOT``."""
    raise EvoError(f"{file}: {terminal(where)}: expected {expected}, got {describe(got)}")


def range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" from {lo:g} to {hi:g}"
    if lo is not None:
        return f" ≥ {lo:g}"
    if hi is not None:
        return f" ≤ {hi:g}"
    return ""


# --------------------------------------------------------------------------------------------------------
# the schema language of JSON files


def key_name(*parts: object) -> str:
    return ".".join(str(p) for p in parts)


class Schema:
    """The expected shape of a JSON value; :meth:`check` returns the value or raises naming ``key``."""

    expected = "a value"

    def check(self, value: Any, file: str | Path, key: str) -> Any:
        raise NotImplementedError


class Num(Schema):
    def __init__(self, lo: float | None = None, hi: float | None = None) -> None:
        self.lo, self.hi = lo, hi
        self.expected = "a finite number" + range_text(lo, hi)

    def check(self, value: Any, file: str | Path, key: str) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)
        if not ok or (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            fail(file, f"key '{key}'", self.expected, value)
        return float(value)


class Int(Schema):
    def __init__(self, lo: int | None = None, hi: int | None = None) -> None:
        self.lo, self.hi = lo, hi
        self.expected = "an integer" + range_text(lo, hi)

    def check(self, value: Any, file: str | Path, key: str) -> int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            fail(file, f"key '{key}'", self.expected, value)
        return int(value)


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond the float range
        return False


class Str(Schema):
    def __init__(self, choices: Sequence[str] | None = None, nonempty: bool = False) -> None:
        self.choices, self.nonempty = choices, nonempty
        self.expected = ("one of " + ", ".join(repr(c) for c in choices) if choices else
                         "a non-empty string" if nonempty else "a string")

    def check(self, value: Any, file: str | Path, key: str) -> str:
        if not isinstance(value, str) or (self.choices and value not in self.choices) or (
                self.nonempty and not value):
            fail(file, f"key '{key}'", self.expected, value)
        return value


class Bool(Schema):
    expected = "true or false"

    def check(self, value: Any, file: str | Path, key: str) -> bool:
        if not isinstance(value, bool):
            fail(file, f"key '{key}'", self.expected, value)
        return value


class Opt(Schema):
    def __init__(self, inner: Schema) -> None:
        self.inner = inner
        self.expected = f"{inner.expected} or null"

    def check(self, value: Any, file: str | Path, key: str) -> Any:
        return None if value is None else self.inner.check(value, file, key)


class Obj(Schema):
    """An object with these keys (``optional`` ones may be absent; other keys are allowed and kept)."""

    expected = "an object"

    def __init__(self, fields: Mapping[str, Schema], optional: Mapping[str, Schema] | None = None) -> None:
        self.fields, self.optional = dict(fields), dict(optional or {})

    def check(self, value: Any, file: str | Path, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            fail(file, f"key '{key}'" if key else "the file", self.expected, value)
        for name, schema in self.fields.items():
            sub = key_name(key, name) if key else name
            if name not in value:
                fail(file, f"key '{sub}'", schema.expected, MISSING)
            schema.check(value[name], file, sub)
        for name, schema in self.optional.items():
            if name in value:
                schema.check(value[name], file, key_name(key, name) if key else name)
        return value


class Map(Schema):
    """An object with any keys and values of one schema (:func:`keys_equal` checks the keys)."""

    expected = "an object"

    def __init__(self, values: Schema) -> None:
        self.values = values

    def check(self, value: Any, file: str | Path, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            fail(file, f"key '{key}'", self.expected, value)
        for name, v in value.items():
            self.values.check(v, file, key_name(key, name))
        return value


class List(Schema):
    def __init__(self, items: Schema, min_len: int = 0, length: int | None = None) -> None:
        self.items, self.min_len, self.length = items, min_len, length
        self.expected = (f"a list of {length} items" if length is not None else
                         "a non-empty list" if min_len else "a list")

    def check(self, value: Any, file: str | Path, key: str) -> list[Any]:
        if not isinstance(value, list) or len(value) < self.min_len or (
                self.length is not None and len(value) != self.length):
            fail(file, f"key '{key}'", self.expected, value)
        for k, v in enumerate(value):
            self.items.check(v, file, f"{key}[{k}]")
        return value


def keys_equal(file: str | Path, key: str, value: Mapping[str, Any], names: Sequence[str], what: str) -> None:
    """The keys of ``value`` are exactly ``names`` (as a set)."""
    if set(value) != set(names):
        missing = [n for n in names if n not in value]
        extra = [n for n in value if n not in names]
        got = (f"{describe(missing[0])} missing" if missing else f"unknown key {describe(extra[0])}")
        raise EvoError(f"{file}: key '{terminal(key)}': expected one key per {what} "
                       f"({', '.join(repr(n) for n in names) or 'none'}), got {terminal(got)}")


# --------------------------------------------------------------------------------------------------------
# CSV tables and arrays


INT_RE = re.compile(r"-?[0-9]+")
FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Table:
    """A rectangular CSV: its header and rows of strings; :meth:`cell` names row, line and column."""

    def __init__(self, file: str | Path, text: str, required: Iterable[str] = ()) -> None:
        self.file = file
        try:
            lines = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise EvoError(f"{file}: not a readable CSV ({exc})") from None
        if not lines or not lines[0]:
            fail(file, "the file", "a CSV header row", text[:40])
        self.header = lines[0]
        seen: set[str] = set()
        for name in self.header:
            if name in seen:
                fail(file, "the header", "distinct column names", Said(f"column {name!r} twice"))
            seen.add(name)
        for name in required:
            if name not in seen:
                fail(file, f"column '{name}'", "a column of that name", MISSING)
        self.index = {name: k for k, name in enumerate(self.header)}
        self.rows = lines[1:]
        for k, row in enumerate(self.rows):
            if len(row) != len(self.header):
                fail(file, f"row {k + 1} (line {k + 2})", f"{len(self.header)} fields (the header's)",
                     Said(f"{len(row)} fields"))

    def __len__(self) -> int:
        return len(self.rows)

    def where(self, k: int, column: str) -> str:
        return f"row {k + 1} (line {k + 2}), column '{column}'"

    def bad(self, k: int, column: str, expected: str, got: Any) -> NoReturn:
        fail(self.file, self.where(k, column), expected, got)

    def ints(self, column: str, lo: int | None = None, none: str | None = None) -> NDArray[np.int64]:
        """An integer column; ``none`` is a spelling read as -1."""
        j = self.index[column]
        out = np.empty(len(self.rows), dtype=np.int64)
        expected = "an integer" + range_text(lo, None) + (f" or {none!r}" if none else "")
        for k, row in enumerate(self.rows):
            text = row[j].strip()
            if none is not None and text == none:
                out[k] = -1
                continue
            if not INT_RE.fullmatch(text) or len(text) > 18 or (lo is not None and int(text) < lo):
                self.bad(k, column, expected, row[j])
            out[k] = int(text)
        return out

    def floats(self, column: str, empty: bool = False, nan: bool = False) -> NDArray[np.float64]:
        """A number column; ``empty``: an empty cell is NaN; ``nan``: the text ``nan`` is allowed."""
        j = self.index[column]
        out = np.empty(len(self.rows), dtype=np.float64)
        expected = "a finite number" + (" or an empty cell" if empty else "") + (" or nan" if nan else "")
        for k, row in enumerate(self.rows):
            def bad(got: str, k: int = k) -> NoReturn:
                self.bad(k, column, expected, got)

            out[k] = float_cell(row[j], empty, nan, bad)
        return out

    def strings(self, column: str, choices: Sequence[str]) -> list[str]:
        j = self.index[column]
        for k, row in enumerate(self.rows):
            if row[j] not in choices:
                self.bad(k, column, "one of " + ", ".join(repr(c) for c in choices), row[j])
        return [row[j] for row in self.rows]


def float_cell(text: str, empty: bool, nan: bool, bad: Callable[[str], NoReturn]) -> float:
    t = text.strip()
    if t == "" and empty:
        return math.nan
    if t.lower() == "nan" and nan:
        return math.nan
    if not FLOAT_RE.fullmatch(t):
        bad(text)
    v = float(t)
    if not math.isfinite(v):
        bad(text)
    return v


def check_array(file: str | Path, name: str, a: Any, kind: str, shape: Sequence[int | None] | None = None,
                ndim: int | None = None, lo: float | None = None, hi: float | None = None,
                what: str = "", finite: bool = True) -> NDArray[Any]:
    """A member ``name`` of ``file``: present, of ``kind`` (``int``, ``float``, ``bool``, ``str``), of
    ``shape`` (None entries: any length) or ``ndim``, numbers finite (``finite=False``: or NaN) and within
    [lo, hi]. ``what`` says where an expected length comes from. Returns it converted (int64, float64, bool
    or str)."""
    where = f"member '{name}'"
    if a is None or a is MISSING:
        fail(file, where, f"an array of {kind}s", MISSING)
    a = np.asarray(a)
    kinds = {"int": "iu", "float": "fiu", "bool": "biu", "str": "U"}[kind]
    if a.dtype.kind not in kinds:
        fail(file, where, f"an array of {kind}s", Said(f"an array of dtype {a.dtype}"))
    if shape is not None:
        ok = a.ndim == len(shape) and all(s is None or s == n for s, n in zip(shape, a.shape, strict=False))
        if not ok:
            text = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1
                                                                                    else "") + ")"
            fail(file, where, f"shape {text}{' ' + what if what else ''}", Said(f"shape {a.shape}"))
    elif ndim is not None and a.ndim != ndim:
        fail(file, where, f"{ndim} dimensions", Said(f"shape {a.shape}"))
    if kind == "str":
        return a.astype(str)
    if kind == "bool":
        if a.dtype.kind != "b" and a.size and not np.isin(a, (0, 1)).all():
            fail(file, where, "booleans (0 or 1)", Said(f"value {a[~np.isin(a, (0, 1))].flat[0].item()!r}"))
        return a.astype(bool)
    out = a.astype(np.float64 if kind == "float" else np.int64)
    wrong = ~np.isfinite(out) & ~(np.isnan(out) & (not finite)) if kind == "float" else np.zeros(0, bool)
    if wrong.any():
        at = tuple(int(x) for x in np.argwhere(wrong)[0])
        fail(file, where, "finite numbers" if finite else "finite numbers or NaN",
             Said(f"{out[at].item()!r} at index {at}"))
    low = out < (lo if lo is not None else -np.inf)
    high = out > (hi if hi is not None else np.inf)
    if (low | high).any():
        bad = out[low | high]
        fail(file, where, "values" + range_text(lo, hi), Said(f"{bad.flat[0].item()!r}"))
    return out
