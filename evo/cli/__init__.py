"""The ``evo`` command line (the only layer that prints). One module per command, each with
``add_parser(subparsers)`` and ``main(args) -> int``; :data:`COMMANDS` is their registry, in the order
``evo --help`` lists them. The shared pieces are in :mod:`evo.cli.common` (the terminal-safe stdout, the
glyph note, the Ctrl-C stop request, JSON output, the common options) and every table goes through
:mod:`evo.cli.table`. Errors the user can fix are one message, no traceback."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

# ``list`` is the module of ``evo list`` (named after its command, as every command's module is); importing
# a submodule binds its name in this package's namespace anyway, so the builtin is shadowed here either way
from evo.cli import analyze, animate, lineage, list, probe, report, run, show, sweep, sweep_report
from evo.cli.common import TerminalSafe, add_verbosity, glyph_note, verbosity
from evo.config.names import terminal
from evo.errors import EvoError

#: command name -> its module (``add_parser``, ``main``, ``NAME``, ``EXAMPLES``), in help order
COMMANDS: dict[str, ModuleType] = {m.NAME: m for m in (list, run, show, lineage, report, animate,
                                                        sweep, sweep_report, probe, analyze)}


def _epilog() -> str:
    return "examples:\n" + "\n".join(f"  {line}" for m in COMMANDS.values() for line in m.EXAMPLES) + "\n"


def build_parser() -> argparse.ArgumentParser:
    """The ``evo`` argument parser: ``--version``, ``-v``/``-q`` and one subcommand per :data:`COMMANDS`
    entry (each also takes ``-v``/``-q``)."""
    from evo import __version__

    parser = argparse.ArgumentParser(
        prog="evo", description="An evolutionary sandbox for inner alignment: a genetic algorithm selects "
        "mesa-optimizers on a base objective; watch pseudo-alignment appear under distributional shift.",
        epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"evo {__version__}")
    add_verbosity(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        p = module.add_parser(sub)
        add_verbosity(p)
        p.set_defaults(func=module.main)
    return parser


#: verbosity (``-v`` counts up, ``-q`` down) -> the least severe log messages shown
_LEVELS = {-2: logging.CRITICAL, -1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}


class _Formatter(logging.Formatter):
    """``evo: warning: …``, as the command's own notes and errors read."""

    def format(self, record: logging.LogRecord) -> str:
        return f"evo: {record.levelname.lower()}: {super().format(record)}"


def _log_handler(level: int) -> logging.Handler:
    """Log messages of the package on stderr while a command runs, from ``level`` up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    handler.setLevel(level)
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``evo`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code: 0 done, 1 a failure
    of the work (a failed run of a sweep, a full disk), 2 bad input (one ``evo: error:`` line on stderr),
    130 interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    seed = getattr(args, "seed", 0)
    if seed is not None and not 0 <= seed < 2**63:
        parser.error("--seed: expected an integer from 0 to 2**63 - 1")
    level = _LEVELS[max(-2, min(2, verbosity(args)))]
    logger = logging.getLogger("evo")
    saved_level = logger.level
    handler = _log_handler(level)
    logger.addHandler(handler)
    logger.setLevel(level)
    stdout = sys.stdout
    sys.stdout = TerminalSafe(stdout)
    try:
        with glyph_note(quiet=verbosity(args) < 0):
            return int(args.func(args))
    except EvoError as exc:
        print(f"evo: error: {terminal(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evo: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `evo lineage RUN | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except OSError as exc:  # disk full, permissions, …: one message, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        notes = "".join(f" ({note})" for note in getattr(exc, "__notes__", ()))  # what to do next
        print(f"evo: error: {terminal(where)}{terminal(exc.strerror or exc)}{terminal(notes)}",
              file=sys.stderr)
        return 1
    finally:
        sys.stdout = stdout
        logger.removeHandler(handler)
        logger.setLevel(saved_level)


__all__ = ["COMMANDS", "build_parser", "main"]
