"""A run's random streams: one ``SeedSequence(seed)`` spawned into named numpy ``Generator`` streams in a
fixed order (docs/concepts.md §7). No global random state is read or written."""

from __future__ import annotations

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
    selection: np.random.Generator
    variation: np.random.Generator
    assessment: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        children = zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS)), strict=True)
        return cls(seed, **{name: np.random.default_rng(ss) for name, ss in children})

    def initial(self, name: str) -> np.random.Generator:
        """A new copy of stream ``name`` in its initial state (the streams themselves are left alone)."""
        stream: np.random.Generator = getattr(Streams.from_seed(self.seed), name)
        return stream

    def snapshot(self) -> dict[str, Any]:
        """Every stream's state as JSON-able data (its numpy bit generator's state)."""
        return {name: {"numpy": getattr(self, name).bit_generator.state} for name in STREAMS}

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Set every stream to a state taken by :meth:`snapshot` (raises ValueError/TypeError/KeyError on
        malformed data)."""
        for name in STREAMS:
            getattr(self, name).bit_generator.state = dict(snapshot[name]["numpy"])
