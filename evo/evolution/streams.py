"""A run's random streams: one ``SeedSequence(seed)`` spawned into named streams in a fixed order
(docs/concepts.md §7). numpy generators draw worlds, initial genomes and samples; DEAP's operators get
private ``random.Random`` streams. No global random state is read or written."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

STREAMS = ("init", "train_worlds", "shift_worlds", "sample", "selection", "variation", "assessment")


@dataclass
class Streams:
    """Named random streams of one run, all spawned from ``SeedSequence(seed)`` in a fixed order."""

    seed: int
    init: np.random.Generator
    train_worlds: np.random.Generator
    shift_worlds: np.random.Generator
    sample: np.random.Generator
    selection: random.Random
    variation: random.Random
    assessment: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        children = dict(zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS)), strict=True))
        made: dict[str, Any] = {}
        for name, ss in children.items():
            if name in ("selection", "variation"):
                made[name] = random.Random(
                    int.from_bytes(ss.generate_state(4, np.uint64).tobytes(), "little"))
            else:
                made[name] = np.random.default_rng(ss)
        return cls(seed=seed, **made)

    def initial(self, name: str) -> Any:
        """A new copy of stream ``name`` in its initial state (the streams themselves are left alone)."""
        return getattr(Streams.from_seed(self.seed), name)

    def snapshot(self) -> dict[str, Any]:
        """Every stream's state as JSON-able data (numpy bit-generator states; ``random.Random`` states)."""
        out: dict[str, Any] = {}
        for name in STREAMS:
            stream = getattr(self, name)
            if isinstance(stream, random.Random):
                version, internal, gauss = stream.getstate()
                out[name] = {"random": [version, list(internal), gauss]}
            else:
                out[name] = {"numpy": stream.bit_generator.state}
        return out

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Set every stream to a state taken by :meth:`snapshot` (raises ValueError/TypeError/KeyError on
        malformed data)."""
        for name in STREAMS:
            entry = snapshot[name]
            stream = getattr(self, name)
            if isinstance(stream, random.Random):
                version, internal, gauss = entry["random"]
                stream.setstate((int(version), tuple(int(x) for x in internal),
                                 None if gauss is None else float(gauss)))
            else:
                stream.bit_generator.state = dict(entry["numpy"])
