"""Layer 0, standard library only (plus tomli-w to write TOML): what a scenario or sweep file can say.

``schema`` holds the frozen dataclasses and their bounds, ``toml`` reads, checks and writes scenario
TOML, ``names`` turns names into file-name components and terminal text. See docs/architecture.md."""
