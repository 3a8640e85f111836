"""An agent kind defined outside ``evo/``, registered through the public API and evolved end to end.

**greedy**: one gene per feature, ``w[F]`` (a readable objective, like a mesa agent's). Each step it walks
toward the *nearest* remaining object whose feature-weighted value ``Σ_f w_f·x_kf`` is positive (path
distance; lowest index on ties) and at most ``reach`` path steps away, taking the first move of a shortest
path; with no such object it stays. A heuristic without lookahead: it never weighs a near small gain
against a far large one, so it counts as a non-optimizer (horizon 0) although its objective can be read
from its genome.

It declares its own ``[agent]`` key, checked by the scenario loader like a built-in kind's (a bad value is
one line naming the file, ``agent.reach``, what was expected and what came)::

    [agent]
    kind = "greedy"
    reach = 6                   # ignores objects more than 6 path steps away (default 64)

The kind ships its own compiled rule (``greedy_decide``, registered with :func:`evo.core.step.register_rule`
for its parameter record), so it runs on the one compiled episode step (:mod:`evo.core.step`) like a
built-in kind. Importing this module registers the kind, so it is also a plugin (:mod:`evo.runs.plugins`):
the command line imports it before it validates the scenario, and a sweep's workers import it too::

    evo run red_door --plugin examples/custom_agent_kind.py --set agent.kind=greedy --set agent.reach=6
    evo sweep selection_pressure --plugin examples/custom_agent_kind.py --set agent.kind=greedy

Run as a script, it evolves greedy agents on ``scenarios/red_door.toml`` (a small population, few
generations) with :func:`evo.run` and prints the headline numbers.

    python examples/custom_agent_kind.py [--population 40] [--generations 15] [--reach 6] [--seed 0]
        [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # run as a script: this checkout's evo, whichever is installed

import evo  # noqa: E402
from evo.config.params import Param  # noqa: E402
from evo.core.agents import GenomeKind, Policy  # noqa: E402
from evo.core.step import STAY, Rule, View, register_rule  # noqa: E402
from evo.core.worlds import WorldBatch  # noqa: E402
from evo.runs.scenarios import load  # noqa: E402

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig


class GreedyParams(NamedTuple):
    """The record its rule reads: the weights (P, F) and the reach (P,) of every agent."""

    w: np.ndarray
    reach: np.ndarray


@njit(cache=True, nogil=True)
def greedy_begin(params: GreedyParams, value: np.ndarray, a: int, unit: int, view: View, b: int) -> None:
    """At an episode's start: each object's value ``Σ_f w_f·x_kf`` (in feature order) into its state."""
    for k in range(value.shape[0]):
        x = 0.0
        for f in range(view.seen.shape[2]):
            x = x + params.w[a, f] * view.seen[b, k, f]
        value[k] = x


@njit(cache=True, nogil=True)
def greedy_decide(params: GreedyParams, value: np.ndarray, a: int, unit: int, view: View, b: int, cell: int,
                  remaining: np.ndarray, t: int) -> int:
    """The first move toward the nearest remaining object of positive value within reach (lowest index on
    ties)."""
    best, best_dist = -1, min(params.reach[a], view.height * view.width) + 1
    for k in range(remaining.shape[0]):
        d = view.dist[b, k, cell]
        if remaining[k] and value[k] > 0.0 and d < best_dist:
            best, best_dist = k, d
    return STAY if best < 0 else view.next_move[b, best, cell]


register_rule(Rule(GreedyParams, greedy_decide, begin=greedy_begin))


class Greedy(GenomeKind):
    """The greedy kind: genome ``w[F]``, its own compiled rule, horizon 0."""

    name = "greedy"
    #: its own [agent] key: the loader checks a scenario's value and fills in the default
    parameters = MappingProxyType({"reach": Param(type=int, default=64, low=1, limit="horizon",
                                                  doc="path steps beyond which an object is ignored")})
    has_objective = True
    objective_gene = "w"  # read back as its objective (summary, log, lineage) and charged perception on
    objective_alone = False  # it goes to the nearest positive object, not the best: no ranking to recover

    def parts(self, n_features: int) -> dict[str, int]:
        return {"w": n_features}

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        return self.policy(genomes, cfg, n_features)  # genes {"w"}, values {"reach"}, horizon 0

    def compiled(self, policy: Policy, worlds: WorldBatch, view: View) -> tuple[GreedyParams, np.ndarray]:
        """Its parameter record and its per-episode state (each object's value)."""
        w = np.ascontiguousarray(policy.genes["w"], dtype=np.float64)
        return (GreedyParams(w, np.full(w.shape[0], policy.values["reach"], dtype=np.int64)),
                np.zeros(worlds.n_objects))

    def pair_bytes(self, n_objects: int, n_features: int) -> int:
        return 8 * n_objects


#: registered at import: a scenario's ``agent.kind = "greedy"`` names it
GREEDY = evo.register_agent_kind(Greedy())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", type=int, default=40)
    parser.add_argument("--generations", type=int, default=15)
    parser.add_argument("--reach", type=int, default=6, help="agent.reach, the kind's own [agent] key")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="run directory (default: a temporary one, removed)")
    args = parser.parse_args(argv)

    path = ROOT / "scenarios" / "red_door.toml"
    # validated: agent.kind names a registered kind, agent.reach is checked against its declaration
    s = load(path, {"agent.kind": "greedy", "agent.reach": args.reach,
                    "evolution.population": args.population, "evolution.generations": args.generations})

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out if args.out is not None else Path(tmp) / "greedy"
        result = evo.run(s, seed=args.seed, out=out, figures=False)
        summary = result.summary
        train = summary["train"]["base_fitness"]
        print(f"scenario {summary['scenario']}, seed {summary['seed']}, {summary['generations']} "
              f"generations, population {summary['population']} ({summary['agent_kind']} agents)")
        print(f"  train fitness   mean {train['mean']:+.3f}   best {train['best']:+.3f}")
        for name, shift in summary["shift"].items():
            fit = shift["base_fitness"]
            print(f"  shift '{name}'   mean {fit['mean']:+.3f}   best {fit['best']:+.3f}   "
                  f"champion {shift['champion']:+.3f}")
        objective = summary["champion"]["objective"]
        print("  champion objective: " + ", ".join(f"{f} {v:+.2f}" for f, v in objective.items()))
        print("  behaviour classes: " + ", ".join(f"{c} {v:.0%}" for c,
                                                  v in summary["behaviour_classes"].items()))
        if args.out is not None:
            print(f"  run directory: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
