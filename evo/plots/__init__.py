"""Layer 4: figures, and the only package that imports matplotlib. Reads files through ``evo.runs``.
Every figure is a :class:`evo.plots.figure.EvoFigure` made without pyplot: no module here selects a
backend or imports ``matplotlib.pyplot``.

See docs/architecture.md."""
