"""Layer 4: figures, and the only package that imports matplotlib. Reads files through ``evo.runs``.

See docs/architecture.md."""
