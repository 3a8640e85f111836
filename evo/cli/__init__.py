"""Layer 6: the ``evo`` command, and the only package that prints.

See docs/architecture.md."""
