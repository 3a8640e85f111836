"""The one text-table formatter of the command line: every table ``evo`` prints (scenarios, a run's
headline numbers, a line of descent, a sweep report, a probe, the analyses) goes through :func:`render`,
so they all look alike: a heading row, a rule of dashes under each column, columns two spaces apart,
text left-aligned and numbers right-aligned (``align``), no trailing spaces, every cell escaped for the
terminal. The layers below hand the command line rows of data; only here are they turned into text, with
the cell formatters :func:`number` and :func:`interval`."""

from __future__ import annotations

import math
from collections.abc import Sequence

from evo.config.names import terminal

#: What a cell shows when there is no value (no finished run, no interval below two values).
MISSING = "–"


def render(head: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """The table of ``rows`` (each as many cells as ``head``; a cell is shown by ``str``) under ``head``.
    ``align`` gives each column's alignment, ``<`` (left, the default for a column it leaves out) or
    ``>`` (right, for numbers)."""
    cells = [[terminal(h) for h in head], *([terminal(v) for v in r] for r in rows)]
    for i, r in enumerate(cells):
        if len(r) != len(head):
            raise ValueError(f"table row {i} has {len(r)} cells for {len(head)} columns")
    sides = [align[j] if j < len(align) else "<" for j in range(len(head))]
    if any(s not in "<>" for s in sides):
        raise ValueError(f"table alignment: expected '<' or '>' per column, got {align!r}")
    widths = [max(len(r[j]) for r in cells) for j in range(len(head))]

    def line(r: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if s == ">" else v.ljust(w)
                         for v, w, s in zip(r, widths, sides, strict=True)).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])])


def number(x: float | None, spec: str = "{:.3f}") -> str:
    """``x`` by ``spec``; never ``-0.000`` (a value that rounds to zero is shown as zero is: ``0.000``, or
    ``+0.000`` with a ``+`` spec), :data:`MISSING` for None or NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    text = spec.format(x)
    if text.startswith("-") and float(text) == 0:
        return spec.format(0.0)
    return text


def interval(mean: float | None, lo: float | None, hi: float | None, spec: str = "{:.2f}") -> str:
    """``mean [lo, hi]`` (each by :func:`number`), or the mean alone when there is no interval (lo is None
    or NaN)."""
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return number(mean, spec)
    return f"{number(mean, spec)} [{number(lo, spec)}, {number(hi, spec)}]"
