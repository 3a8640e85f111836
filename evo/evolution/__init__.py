"""Layer 3: the base optimizer, and the only package that imports DEAP.

``registry`` holds the selection, mutation and crossover registries, ``selection`` and ``variation`` the
schemes (``operators`` registers them all), ``replacement`` the replacement registry, ``loop`` the
generation step and ``evolve`` with its observers. See docs/architecture.md."""
