"""Run ``evo`` with a deterministic pause point, so a test can signal or kill it in a known state instead of
sleeping and hoping (a fast machine finishes a run before a timed kill lands).

    python tests/pause_point.py --generation G -- run SCENARIO --out DIR ...
    python tests/pause_point.py --replace N    -- run ...

``--generation G``: before generation G is evaluated (after the checkpoint of that boundary, if any).
``--replace N``: just before the N-th atomic rename of a result file (the temporary file is complete, the
final name not yet written), so a kill falls between two writes. When the point is reached the process
prints ``PAUSED`` on stdout and blocks until a line arrives on stdin; then it carries on. With neither
option it runs through and prints ``REPLACES n`` (how many renames the run made) on stderr at the end.
"""

from __future__ import annotations

import argparse
import os
import sys


def _pause() -> None:
    print("PAUSED", flush=True)
    sys.stdin.readline()  # a signal handler that only sets a flag does not end this wait (PEP 475)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generation", type=int)
    parser.add_argument("--replace", type=int)
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv

    from evo import cli
    from evo.evolution import loop as evolution

    real_step, real_replace = evolution.step, os.replace
    renames = {"n": 0}

    def step(problem, state, *a, **kw):  # type: ignore[no-untyped-def]
        if state.generation == args.generation:
            _pause()
        return real_step(problem, state, *a, **kw)

    def replace(src, dst, *a, **kw):  # type: ignore[no-untyped-def]
        renames["n"] += 1
        if renames["n"] == args.replace:
            _pause()
        return real_replace(src, dst, *a, **kw)

    evolution.step = step  # type: ignore[assignment]
    os.replace = replace  # every rename in this process: the atomic writes of evo.runs.files among them
    code = cli.main(argv)
    print(f"REPLACES {renames['n']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
