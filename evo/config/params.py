"""The parameters an agent kind declares for its ``[agent]`` keys (:class:`Param`), and their one check
(:func:`resolve`): an unknown key, a wrong type or a value out of bounds is one :class:`ScenarioError`
line naming the file, the key, what was expected and what came. Standard library only."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evo.config.schema import LIMITS
from evo.errors import ScenarioError

_TYPES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """One ``[agent]`` key of a kind: its type (int, float, bool or str), default, inclusive bounds
    (``low_open``: the low bound excluded), the :data:`~evo.config.schema.LIMITS` entry that caps it from
    above (``limit``) and what it means (``doc``)."""

    type: type
    default: Any
    doc: str = ""
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    limit: str = ""

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise TypeError(f"a kind parameter is int, float, bool or str, not {self.type!r}")

    @property
    def top(self) -> float:
        """The high bound, the LIMITS cap included."""
        return min(self.high, LIMITS[self.limit]) if self.limit else self.high

    def expected(self) -> str:
        """What a value must be, for a message: ``an integer in [1, 10_000]``."""
        what = _TYPES[self.type]
        if self.type not in (int, float) or (self.low == -math.inf and self.top == math.inf):
            return what
        lo = "(" if self.low_open else "["
        fmt = "_g" if self.type is float else "_.0f"
        low = "-inf" if self.low == -math.inf else format(self.low, fmt)
        top = "inf" if self.top == math.inf else format(self.top, fmt)
        cap = f" (the bound LIMITS[{self.limit!r}] in evo.config.schema)" if self.limit else ""
        return f"{what} in {lo}{low}, {top}]{cap}"

    def check(self, value: Any, file: str, key: str) -> Any:
        """``value`` as this parameter's type (an integer where a number is expected becomes a float);
        a :class:`ScenarioError` otherwise."""
        wrong = ScenarioError(file, key, self.expected(), value)
        if self.type is bool or self.type is str:
            if not isinstance(value, self.type):
                raise wrong
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong
        if self.type is int and not isinstance(value, int):
            raise wrong
        if isinstance(value, float) and not math.isfinite(value):
            raise wrong
        if self.type is float and abs(value) > LIMITS["magnitude"]:
            raise ScenarioError(file, key, f"{self.expected()}, of magnitude at most 1e6 (the bound "
                                "LIMITS['magnitude'] in evo.config.schema)", value)
        below = value <= self.low if self.low_open else value < self.low
        if below or value > self.top:
            raise wrong
        return float(value) if self.type is float else value


def resolve(declared: Mapping[str, Param], given: Mapping[str, Any], file: str, prefix: str,
            owner: str, common: tuple[str, ...] = ()) -> dict[str, Any]:
    """``given`` checked against ``declared`` with every default filled in, in declaration order; the
    first unknown key or bad value is a :class:`ScenarioError` at ``prefix.KEY``. ``owner`` names the
    declaration in the message (``agent kind 'mesa'``); ``common`` are the other keys of the table (listed
    in the message too)."""
    for key in given:
        if key not in declared:
            known = ", ".join([*declared, *common]) or "none"
            raise ScenarioError(file, f"{prefix}.{key}", f"a key of {owner} (one of {known})", key)
    return {name: p.check(given[name], file, f"{prefix}.{name}") if name in given else p.default
            for name, p in declared.items()}
