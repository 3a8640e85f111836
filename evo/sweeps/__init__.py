"""Sweeps: one base scenario, a grid (or list) of overrides, many seeds; each (cell, seed) is one run.
``spec`` reads the sweep file, ``runner`` runs it on a ``backends`` backend into an ``index``, ``metrics``
are the numbers indexed per run, ``estimates`` the report over seeds, ``studies`` the multi-run analyses
(docs/architecture.md, "Sweeps")."""
