"""Scenario-like TOML files read: the text under a byte cap, parsed by ``tomllib`` with every failure one
:class:`~evo.errors.ScenarioError` line, every key and string under a character cap. Standard library only;
:mod:`evo.config.structure` checks the table, :mod:`evo.config.writer` writes a scenario back."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evo.config import names
from evo.config.schema import LIMITS
from evo.errors import ScenarioError


def read_text(path: str | Path, what: str = "scenario file") -> str:
    """The text of a scenario-like file of at most ``LIMITS["toml_bytes"]`` bytes (nothing past the cap is
    read, so an oversize file is refused before it is decoded or parsed), or a :class:`ScenarioError`."""
    cap = int(LIMITS["toml_bytes"])
    try:
        with open(path, "rb") as fh:
            data = fh.read(cap + 1)
    except FileNotFoundError:
        raise one_line(ScenarioError(str(path), "", f"an existing {what}", "no such file")) from None
    except OSError as exc:
        raise one_line(ScenarioError(str(path), "", "a readable UTF-8 text file", str(exc))) from None
    if len(data) > cap:
        raise one_line(ScenarioError(str(path), "", f"a {what} of at most {cap} bytes (LIMITS['toml_bytes'])",
                                     f"more than {cap} bytes"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise one_line(ScenarioError(str(path), "", "a readable UTF-8 text file", str(exc))) from None



def parse_toml(text: str, source: str = "<string>") -> dict[str, Any]:
    """``tomllib.loads(text)``, with every way it can fail as a :class:`ScenarioError` naming ``source``:
    malformed TOML, an integer of more than 4300 digits (a ValueError), nesting deep enough to exhaust
    the stack (a RecursionError). For every TOML file a user gives (scenarios, sweeps)."""
    try:
        raw = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or an integer of more than 4300 digits
        raise one_line(ScenarioError(source, "", "valid TOML", str(exc))) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise one_line(nested_too_deeply(source)) from None
    except MemoryError:
        raise one_line(ScenarioError(source, "", "valid TOML", "more than memory holds")) from None
    try:
        check_strings(raw, source)
    except ScenarioError as exc:
        raise one_line(exc) from None
    return raw



def check_strings(raw: Mapping[str, Any], file: str) -> None:
    """Every key and string value holds at most ``LIMITS["string_chars"]`` characters. Iterative, so no
    depth exhausts the stack (tomllib makes no cycles; :func:`_check_shape` refuses them in a dict)."""
    cap = int(LIMITS["string_chars"])
    stack: list[tuple[Any, int, str]] = [(raw, 1, "")]
    while stack:
        node, depth, key = stack.pop()
        if isinstance(node, str) and len(node) > cap:
            raise ScenarioError(file, key, f"a string of at most {cap} characters (LIMITS['string_chars'])",
                                f"{len(node)} characters")
        if isinstance(node, Mapping):
            for k in node:
                if isinstance(k, str) and len(k) > cap:
                    raise ScenarioError(file, key, f"keys of at most {cap} characters "
                                        "(LIMITS['string_chars'])", f"a key of {len(k)} characters")
            items: Any = ((join_key(key, str(k)), v) for k, v in node.items())
        elif isinstance(node, list | tuple):
            items = ((f"{key}[{i}]", v) for i, v in enumerate(node))
        else:
            continue
        stack.extend((child, depth + 1, k) for k, child in items)



def nested_too_deeply(file: str) -> ScenarioError:
    return ScenarioError(file, "", f"valid TOML (tables and arrays nested at most {LIMITS['nesting']} deep)",
                         "tables or arrays nested too deeply")



def one_line(exc: ScenarioError) -> ScenarioError:
    """``exc`` with the user text in its file, key and expectation escaped (``got`` is shown by repr): a
    name holding a newline or an escape sequence cannot break the one-line message or act on a terminal."""
    if not any(names.has_control(p) for p in (exc.file, exc.key, exc.expected)):
        return exc
    return ScenarioError(names.terminal(exc.file), names.terminal(exc.key), names.terminal(exc.expected),
                         exc.got)



def join_key(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
