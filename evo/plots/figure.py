"""The one way evo makes a figure: a :class:`matplotlib.figure.Figure` made without pyplot, shown inline by
Jupyter, every text drawn literally (docs/architecture.md, "Figures without pyplot")."""

from __future__ import annotations

import io
from typing import Any, Literal

from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import LogFormatter, ScalarFormatter


class EvoFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that Jupyter displays inline (``_repr_png_``) and whose texts are
    always drawn literally (no mathtext, no TeX)."""

    def draw(self, renderer: Any) -> None:
        """Draw, every text literal (savefig, animation frames and canvases all draw through here)."""
        literal_texts(self)
        super().draw(renderer)

    def tight_layout(self, *, pad: float = 1.08, h_pad: float | None = None, w_pad: float | None = None,
                     rect: tuple[float, float, float, float] | None = None) -> None:
        """``Figure.tight_layout``, which measures the texts before any draw: literal first."""
        literal_texts(self)
        super().tight_layout(pad=pad, h_pad=h_pad, w_pad=w_pad, rect=rect)

    def _repr_png_(self) -> bytes:
        """The figure as PNG bytes, cropped to what is drawn, as pyplot's inline backend shows figures."""
        buf = io.BytesIO()
        self.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()


def literal_texts(fig: Figure) -> None:
    """Make every text of ``fig`` literal: neither mathtext nor TeX, whatever the rcParams. The tick labels
    (and offset) of a numeric formatter keep their setting; every other text may hold a name."""
    numeric: set[int] = set()
    for axis in fig.findobj(Axis):
        axis.get_ticklabels(which="both")  # the ticks the next draw labels, so that they are seen below
        for formatter, ticks in ((axis.get_major_formatter(), axis.get_major_ticks()),
                                 (axis.get_minor_formatter(), axis.get_minor_ticks())):
            if isinstance(formatter, ScalarFormatter | LogFormatter):
                numeric.update(id(t) for tick in ticks for t in (tick.label1, tick.label2))
        if isinstance(axis.get_major_formatter(), ScalarFormatter | LogFormatter):
            numeric.add(id(axis.offsetText))
    for text in fig.findobj(Text):
        if id(text) not in numeric:
            text.set_parse_math(False)
            text.set_usetex(False)


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None,
             layout: Literal["constrained", "compressed", "tight"] | None = None,
             **subplot_kw: Any) -> tuple[EvoFigure, Any]:
    """``plt.subplots`` without pyplot: a new :class:`EvoFigure` and its axes (``Figure.subplots``: one Axes,
    or an array of them; ``subplot_kw`` are ``Figure.subplots``' keywords such as ``sharex``,
    ``squeeze`` and ``gridspec_kw``)."""
    fig = EvoFigure(figsize=figsize, layout=layout)
    return fig, fig.subplots(nrows, ncols, **subplot_kw)
