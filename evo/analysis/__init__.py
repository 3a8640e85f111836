"""Layer 2: arrays and rows in, numbers out; no files.

``stats`` is the one home of intervals, ``probe`` sweeps a population over decorrelated worlds,
``goodhart`` measures proxy/target divergence. See docs/architecture.md."""
