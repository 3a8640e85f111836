"""The project's own error types: every message names what was wrong, where, what was expected and what
came."""

from __future__ import annotations


class EvoError(Exception):
    """Base class for errors that the CLI reports as one clear message (no traceback)."""


class ScenarioError(EvoError):
    """A scenario (or sweep) file is malformed: names the file, the key, what was expected and what came."""

    def __init__(self, file: str, key: str, expected: str, got: object) -> None:
        self.file, self.key, self.expected, self.got = str(file), key, expected, got
        where = f"key '{key}'" if key else "the file"
        super().__init__(f"{self.file}: {where}: expected {expected}, got {got!r}")
