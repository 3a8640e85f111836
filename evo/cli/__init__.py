"""Layer 6: the ``evo`` command, and the only package that prints. One module per command (each with
``add_parser(subparsers)`` and ``main(args) -> int``), registered in :data:`COMMANDS`; the shared pieces are
in :mod:`evo.cli.common`. Errors the user can fix are one message and exit 2, no traceback. See
docs/architecture.md."""

from __future__ import annotations

import argparse
import sys

from evo.cli import analyze, common, lineage, probe, run, show, sweep, sweep_report
from evo.cli import list as list_cmd
from evo.config.names import terminal
from evo.errors import EvoError

#: the commands, in the order ``evo --help`` lists them
COMMANDS = (list_cmd, run, show, lineage, sweep, sweep_report, probe, analyze)

EPILOG = """examples:
  evo list                                   shipped scenarios and what each shows
  evo run scenarios/red_door.toml --seed 3   evolve, then write results/red_door/seed-3/
  evo show results/red_door/seed-3           print the headline numbers of a run
  evo lineage results/red_door/seed-3        the champion's line of descent, and lineage figures
  evo sweep scenarios/sweeps/selection_pressure.toml
                                             every (cell, seed) of a sweep, on all cores; resumable
  evo sweep-report results/selection_pressure
                                             means and 95 % intervals per cell of a sweep
  evo probe results/red_door/seed-3 --world blue_doors
                                             the champion's behavioural objective in choice worlds
  evo analyze diversity results/diversity_dial
                                             robust champions against training diversity, over seeds
  evo analyze preference results/diversity_dial --agents all
                                             proxy preference under shift against train fitness
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evo", description="An evolutionary sandbox for inner alignment: a genetic algorithm selects "
        "mesa-optimizers on a base objective; watch pseudo-alignment appear under distributional shift.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    seed = getattr(args, "seed", 0)
    if seed is not None and not 0 <= seed < 2**63:
        parser.error("--seed: expected an integer from 0 to 2**63 - 1")
    stdout = sys.stdout
    sys.stdout = common.TerminalSafe(stdout)
    try:
        with common.glyph_note():
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
        print(f"evo: error: {terminal(where)}{terminal(exc.strerror or exc)}", file=sys.stderr)
        return 1
    finally:
        sys.stdout = stdout
