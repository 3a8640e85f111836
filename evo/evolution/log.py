"""The run's log, held compactly: one row per generation (the loop's records; ``log.csv``, README "Results
format").

Rationale: docs/architecture.md, "Notes on modules" → The run log.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from deap import tools
from numpy.typing import NDArray

Row = dict[str, Any]

#: integers a float64 holds exactly
_EXACT_INT = 2**53


class LogColumnsError(ValueError):
    """A row whose columns (or integer columns) are not those of the log's first row."""


class Log:
    """Append-only table of generation records with a fixed set of columns (those of the first row)."""

    __slots__ = ("_header", "_index", "_ints", "_values")

    def __init__(self, rows: Iterable[Mapping[str, Any]] = ()) -> None:
        self._header: tuple[str, ...] = ()
        self._index: dict[str, int] = {}
        self._ints: tuple[bool, ...] = ()
        self._values = array("d")
        for row in rows:
            self.append(row)

    @classmethod
    def from_array(cls, header: Sequence[str], ints: Sequence[bool], values: NDArray[np.float64]) -> Log:
        """A log from :meth:`to_array`'s parts (a checkpoint): ``values`` is (rows, columns)."""
        log = cls()
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(header) or len(ints) != len(header):
            raise ValueError(f"a log of {len(header)} columns needs a (rows, {len(header)}) array, "
                             f"got {values.shape}")
        if len(set(header)) != len(header):
            raise ValueError("a log's column names must be distinct")
        if values.shape[0]:
            log._header, log._ints = tuple(header), tuple(bool(i) for i in ints)
            log._index = {k: j for j, k in enumerate(log._header)}
            log._values.frombytes(np.ascontiguousarray(values).tobytes())
        return log

    def append(self, row: Mapping[str, Any]) -> None:
        """Add a generation's record. The first row fixes the columns, their order and which hold
        integers; every later row must have exactly those columns in that order (the loop's records
        always do), or :class:`LogColumnsError` is raised and nothing is added."""
        header = self._header or tuple(row)
        ints = self._ints or tuple(isinstance(v, int | np.integer) and not isinstance(v, bool)
                                   for v in row.values())
        if tuple(row) != header:
            raise LogColumnsError(f"log row {len(self)}: columns {list(row)} differ from the first row's "
                                  f"{list(header)}")
        values = []
        for k, is_int in zip(header, ints, strict=True):
            v = row[k]
            if is_int and not (isinstance(v, int | np.integer) and abs(int(v)) < _EXACT_INT):
                raise LogColumnsError(f"log row {len(self)}, column {k!r}: expected an integer, got {v!r}")
            try:
                values.append(float(v))
            except (TypeError, ValueError):
                raise ValueError(f"log row {len(self)}, column {k!r}: expected a number, got {v!r}") from None
        if not self._header:
            self._header, self._ints = header, ints
            self._index = {k: j for j, k in enumerate(header)}
        self._values.extend(values)

    @property
    def header(self) -> list[str]:
        """The column names, in the order of the first row."""
        return list(self._header)

    @property
    def int_columns(self) -> list[bool]:
        """Per column: whether it holds integers (``gen``)."""
        return list(self._ints)

    def __len__(self) -> int:
        return len(self._values) // len(self._header) if self._header else 0

    def _row(self, i: int) -> Row:
        n = len(self._header)
        vals = self._values[i * n:(i + 1) * n]
        return {k: int(v) if is_int else v
                for k, v, is_int in zip(self._header, vals, self._ints, strict=True)}

    def __getitem__(self, i: int) -> Row:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"log row {i} of {n}")
        return self._row(i % n)

    def __iter__(self) -> Iterator[Row]:
        for i in range(len(self)):
            yield self._row(i)

    def to_array(self) -> NDArray[np.float64]:
        """(rows, columns) float64 copy of the values."""
        return np.frombuffer(self._values, dtype=np.float64).reshape(len(self), len(self._header)).copy()

    def column(self, name: str) -> NDArray[np.float64]:
        """One column over all generations."""
        if name not in self._index:
            raise KeyError(f"no log column {name!r} (columns: {', '.join(self._header)})")
        return self.to_array()[:, self._index[name]]

    def copy(self) -> Log:
        out = Log()
        out._header, out._index, out._ints = self._header, dict(self._index), self._ints
        out._values = array("d", self._values)
        return out

    def logbook(self) -> tools.Logbook:
        """The same rows as DEAP's ``Logbook`` (``select``, ``stream`` and the rest work as usual)."""
        book = tools.Logbook()
        for row in self:
            book.record(**row)
        book.header = self.header
        return book
