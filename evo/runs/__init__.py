"""Layer 3: files. Run directories, checkpoints, validated readers, sweeps, studies; never draws.

See docs/architecture.md."""
