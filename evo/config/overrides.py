"""Overrides of a scenario's keys, one mechanism for ``--set KEY=VALUE``, the API's ``overrides=`` and a
sweep's ``[fixed]``/``[grid]``/``[[cells]]``; each carries its origin, so an error names the override
(docs/architecture.md, "Overrides"). Standard library only."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evo.config.names import has_control
from evo.errors import ScenarioError


@dataclass(frozen=True, slots=True)
class Override:
    """``key`` (dotted) set to ``value``; ``origin`` says where the user wrote it (for error messages)."""

    key: str
    value: Any
    origin: str


def check_key(key: Any, file: str, where: str) -> str:
    """``key`` if it is a dotted key into the scenario (at least ``section.key``, no empty part), else a
    :class:`ScenarioError` at ``where``."""
    parts = key.split(".") if isinstance(key, str) else []
    if len(parts) < 2 or not all(p.strip() for p in parts) or has_control(key):
        raise ScenarioError(file, where, 'a dotted key into the scenario, such as "evolution.selection.size"',
                            key)
    return key


#: What a value that does not parse as TOML may start with and still be taken as a bare string: not the
#: opening of a TOML string, array or inline table (``[1, 2`` is a malformed array, not the text "[1, 2").
_NOT_BARE = ("[", "{", '"', "'")


def parse_assignment(text: str, flag: str = "--set") -> Override:
    """``KEY=VALUE`` as an :class:`Override` whose origin is ``"--set KEY=VALUE"``. VALUE is a TOML value
    (``50``, ``0.5``, ``true``, ``"mesa"``, ``[9, 9]``, ``{ scheme = "tournament", size = 4 }``); a bare
    word that is not TOML (``reflex``) is taken as that string. Anything else is a
    :class:`ScenarioError` naming the flag."""
    origin = f"{flag} {text}"
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise ScenarioError(origin, text, "KEY=VALUE with a dotted scenario key, such as "
                            "evolution.population=50", text)
    check_key(key, origin, key)
    if not raw:
        raise ScenarioError(origin, key, "a value after '=' (a TOML value such as 50, 0.5, true, \"text\" or "
                            "[1, 2])", raw)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError, 4300-digit integers, deep nesting
        if raw.startswith(_NOT_BARE) or "\n" in raw or has_control(raw):
            expected = ("a TOML value such as 50, 0.5, true, \"text\", [1, 2] or { scheme = \"tournament\", "
                        f"size = 4 }} (the TOML parser: {exc})")
            raise ScenarioError(origin, key, expected, raw) from None
        value = raw
    return Override(key, value, origin)


def from_mapping(overrides: Mapping[str, Any], label: str = "overrides") -> list[Override]:
    """A mapping of dotted keys to values (the Python API's ``overrides=``) as overrides whose origin is
    ``overrides['KEY'] = VALUE``."""
    if not isinstance(overrides, Mapping):
        raise ScenarioError(label, "", 'a mapping of "dotted.key" to value', overrides)
    out = []
    for key, value in overrides.items():
        origin = f"{label}[{key!r}] = {value!r:.60}"
        out.append(Override(check_key(key, label, origin), value, origin))
    return out


def apply(table: dict[str, Any], defaults: Mapping[str, Any], override: Override, file: str,
          where: str | None = None) -> None:
    """Set ``override.key`` in the raw scenario ``table`` (in place); a missing table starts from its
    resolved default in ``defaults``. A key that runs through a value (``evolution.population.x``) is a
    :class:`ScenarioError` in ``file`` at ``where`` (default: the override's origin)."""
    parts = override.key.split(".")
    node: dict[str, Any] = table
    default: Any = defaults
    for depth, part in enumerate(parts[:-1]):
        default = default.get(part) if isinstance(default, dict) else None
        if part not in node:
            node[part] = copy.deepcopy(default) if isinstance(default, dict) else {}
        if not isinstance(node[part], dict):
            raise ScenarioError(file, override.origin if where is None else where,
                                f"a key inside a table, but '{'.'.join(parts[:depth + 1])}' is a value",
                                node[part])
        node = node[part]
    node[parts[-1]] = copy.deepcopy(override.value)


def culprit(scenario_key: str, overrides: Sequence[Override]) -> Override | None:
    """The override most likely behind a validation error at ``scenario_key``: the one sharing the longest
    dotted prefix with it (the last one on a tie: later overrides win). None if none shares a prefix."""
    target = scenario_key.replace("[", ".[").split(".")
    best, best_len = None, 0
    for o in overrides:
        parts = o.key.split(".")
        n = 0
        while n < min(len(parts), len(target)) and parts[n] == target[n]:
            n += 1
        if n >= best_len and n > 0:
            best, best_len = o, n
    return best


def describe(overrides: Sequence[Override]) -> str:
    """``--set a=1, --set b=2``: the overrides' origins, for a scenario's source."""
    return ", ".join(o.origin for o in overrides)
