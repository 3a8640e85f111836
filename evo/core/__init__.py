"""Layer 1, numpy only: the world, the agents, episodes and what is measured.

No files, no DEAP, no plotting. ``problem`` compiles a scenario into the objects an evaluation needs,
``worlds`` draws world batches, ``agents`` holds the agent-kind registry (one module per kind),
``simulate`` runs batched episodes, ``metrics`` classifies behaviour. See docs/architecture.md."""
