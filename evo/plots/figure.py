"""The one way evo makes a figure: a :class:`matplotlib.figure.Figure` created directly, never through
pyplot, so drawing neither needs nor changes a backend and registers nothing with pyplot's figure manager.

Nothing in evo calls ``matplotlib.use`` or imports ``matplotlib.pyplot``: in a notebook the user's backend
(``%matplotlib inline``, widgets, …) stays what it was, and the user's own ``plt.plot(...); plt.show()``
after an evo figure still shows. Files are written with ``fig.savefig`` (:func:`evo.runs.files.save_figure`),
which renders through Agg whatever the active backend.

A Figure made without pyplot has no display hook of its own: IPython shows it as ``<Figure size ...>``
unless pyplot's inline backend happens to be loaded. :class:`EvoFigure` is a Figure subclass whose only
addition is ``_repr_png_``, so Jupyter shows it inline wherever it is the value of a cell. A subclass (and
not a wrapper, and not a figure handed to pyplot when an interactive backend is active) because it stays a
``Figure``: ``fig.savefig``, ``fig.axes``, ``isinstance(fig, Figure)`` and every other part of the Figure
API work unchanged, and a figure is never shown twice (pyplot's inline backend shows the figures pyplot
manages at the end of a cell; these are not among them).

Every text of an evo figure is drawn as it is written: scenario, feature, shift and cell names reach
matplotlib unchanged, and a name such as ``$x^2$`` or ``$\\undefinedmacro{$`` must be shown literally, never
parsed as mathtext or TeX (a parse error would stop drawing after the run is done). :class:`EvoFigure` makes
its texts literal (``Text.set_parse_math(False)``, ``set_usetex(False)``) each time it is laid out or drawn,
whenever they were added, so no call site escapes anything and the user's rcParams are never changed. Only
the labels of numeric tick formatters are left as the user's rcParams make them (``use_mathtext`` writes
``$\\mathdefault{10^{3}}$``): they hold numbers, never names; evo writes no mathtext of its own.
"""

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
