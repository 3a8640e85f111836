"""What the commands share: the stdout that escapes control characters, the one-line note for glyphs the
figures' font lacks, the Ctrl-C stop request of a run, JSON output, progress bars (only on a terminal),
and the options several commands take (``--set``, ``--plugin``, ``--json``, ``-v``/``-q``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evo.config.names import terminal
from evo.config.overrides import Override, parse_assignment


class TerminalSafe:
    """stdout for the commands: control characters in names, descriptions or result files read back are
    printed as escapes (an ESC sequence in a scenario name must not retitle or clear the terminal)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal(text, keep="\n\t"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def glyph_note(quiet: bool = False) -> Iterator[None]:
    """Matplotlib warns once per figure and character when its font lacks a glyph (emoji, CJK names): say
    it once, in one line (not at all when ``quiet``), instead of a screenful of warnings; other warnings
    pass unchanged."""
    missing: set[str] = set()
    show = warnings.showwarning

    def note(message: Warning | str, category: type[Warning], *rest: Any, **kw: Any) -> None:
        text = str(message)
        if text.startswith("Glyph ") and "missing from font" in text:
            missing.add(text.split("(", 1)[-1].split(")", 1)[0])
        else:
            show(message, category, *rest, **kw)

    warnings.showwarning = note
    try:
        yield
    finally:
        warnings.showwarning = show
        if missing and not quiet:
            print(f"evo: note: the figures' font has no glyph for {', '.join(sorted(missing))} (drawn as "
                  "boxes); a font that has them (e.g. Debian's fonts-noto) fixes it", file=sys.stderr)


class StopRequest:
    """SIGINT/SIGTERM handler for a run: the first signal asks the run to stop at the next generation
    boundary (it then writes a checkpoint); a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._saved: dict[int, object] = {}

    def __enter__(self) -> StopRequest:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested and signum == 2:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        import signal

        for sig, handler in self._saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    def __call__(self) -> bool:
        return self.requested


# --------------------------------------------------------------------------------------------------------
# output


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON values: dataclasses (an interval estimate) and mappings as objects, tuples as
    arrays, paths as strings, numpy scalars as numbers, and a non-finite number (an interval that does not
    exist below two values) as null, so the output is strict JSON."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():  # a numpy scalar
        obj = obj.item()
    if hasattr(obj, "tolist") and callable(obj.tolist):  # a numpy array
        return jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return str(obj)


def print_json(obj: Any) -> None:
    """``obj`` on stdout as indented strict JSON (ASCII only: nothing in it can act on a terminal)."""
    print(json.dumps(jsonable(obj), indent=2, allow_nan=False))


def verbosity(args: argparse.Namespace) -> int:
    """``-v`` counts up, ``-q`` down (``--quiet`` is ``-q``): 0 is the default."""
    return int(getattr(args, "verbose", 0) or 0) - int(getattr(args, "quiet", 0) or 0)


def show_progress(args: argparse.Namespace) -> bool:
    """Progress bars are drawn on stderr when it is a terminal, never into a pipe or file, and not with
    ``-q`` or ``--json``."""
    isatty = getattr(sys.stderr, "isatty", None)
    return verbosity(args) >= 0 and not getattr(args, "json", False) and callable(isatty) and bool(isatty())


# --------------------------------------------------------------------------------------------------------
# options several commands take


def add_verbosity(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``-v``/``--verbose`` (more log messages on stderr; twice: debug) and ``-q``/``--quiet`` (no progress
    bar, no notes, errors only). On a subcommand they default to "not given", so ``evo -v run`` keeps the
    ``-v`` given before the command."""
    default: Any = 0 if top else argparse.SUPPRESS
    p.add_argument("-v", "--verbose", action="count", default=default,
                   help="more messages on stderr (-vv: debug)")
    p.add_argument("-q", "--quiet", action="count", default=default,
                   help="no progress bar and no notes on stderr, errors only")


def add_json(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON on stdout (nothing else)")


def add_set(p: argparse.ArgumentParser, what: str = "the scenario") -> None:
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="set",
                   help=f"override a key of {what}: a dotted key and a TOML value, e.g. --set "
                   "evolution.population=50 --set 'agent.kind=\"reflex\"' (a bare word is a string); "
                   "repeatable, validated like the file; the resolved scenario.toml records the result")


def add_plugin(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import MODULE first (a module name, or the path of a .py file) so that the agent "
                   "kinds, schemes or figures it registers are known; repeatable; sweep workers import it "
                   "too (installed plugins of the entry-point group evo.plugins are always loaded)")


def set_overrides(args: argparse.Namespace) -> list[Override]:
    """The ``--set`` options of a command, parsed (one error naming the first malformed one)."""
    return [parse_assignment(text) for text in getattr(args, "set", [])]


def load_plugins(args: argparse.Namespace) -> None:
    """Import the installed plugins and those of ``--plugin``, before any scenario is read."""
    from evo.runs import plugins

    plugins.load_all(getattr(args, "plugin", []))
