"""Layer 2: the base optimizer, and the only package that imports DEAP.

``operators`` holds the selection, mutation and crossover registries, ``replacement`` the replacement
registry, ``loop`` the generation step and ``evolve`` with its observers. See docs/architecture.md."""
