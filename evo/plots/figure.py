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
"""

from __future__ import annotations

import io
from typing import Any, Literal

from matplotlib.figure import Figure


class EvoFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that Jupyter displays inline (``_repr_png_``)."""

    def _repr_png_(self) -> bytes:
        """The figure as PNG bytes, cropped to what is drawn, as pyplot's inline backend shows figures."""
        buf = io.BytesIO()
        self.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None,
             layout: Literal["constrained", "compressed", "tight"] | None = None,
             **subplot_kw: Any) -> tuple[EvoFigure, Any]:
    """``plt.subplots`` without pyplot: a new :class:`EvoFigure` and its axes (``Figure.subplots``: one Axes,
    or an array of them; ``subplot_kw`` are ``Figure.subplots``' keywords such as ``sharex``,
    ``squeeze`` and ``gridspec_kw``)."""
    fig = EvoFigure(figsize=figsize, layout=layout)
    return fig, fig.subplots(nrows, ncols, **subplot_kw)
