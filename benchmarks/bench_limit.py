"""What compiling buys, per agent kind: :func:`evo.core.simulate.run_episodes` on the compiled episode
loop against the same loop and the kind's rule interpreted by Python (their ``py_func``), for every registered
kind, plugin kinds included.

    python benchmarks/bench_limit.py [--scenario scenarios/red_door.toml] [--population 500] [--worlds 16]
                                     [--repeat 5] [--seed 2024] [--check-agents 20]
                                     [--plugin examples/custom_agent_kind.py] [--kinds mesa reflex ...]

Both evaluate the scenario's training worlds (``lifetimes.generate`` with a fixed seed, as lives of the
learner's lifetime, so ``--worlds`` must be a whole number of them; agents perceive the scenario's senses) and
each kind's random initial genomes. The interpreted side runs the loop of :mod:`evo.core.step` with the rule's
functions and the step replaced by their Python sources (nothing is a second copy of the rules) on the first
``--check-agents`` agents; payoffs, objects reached, steps, paths (and a learner's learned values) must be
equal (the exit status is 1 if not). That the rules are right is ``tests/core/reference.py``'s job (its speed:
``benchmarks/bench_eval.py``). Speed is in agent-steps per second (the sum of ``Episodes.steps``), the
compiled side's fastest of ``--repeat`` runs of the whole population (its first call, which compiles or loads
the cache, reported apart). A plugin kind (one the built-in list does not name) must reach at least half the
mesa kind's agent-steps/s (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from evo.core import agents, engines, lifetimes, step  # noqa: E402
from evo.core.simulate import Costs, Episodes, Payoffs, run_episodes  # noqa: E402
from evo.runs import plugins  # noqa: E402
from evo.runs import scenarios as scenario  # noqa: E402

#: a plugin kind must run at least this fraction of the mesa kind's agent-steps/s
PLUGIN_FLOOR = 0.5


def _skip(*args: Any) -> None:
    return None


def _nowhere(*args: Any) -> int:
    return -1


def as_python(fn: Any, modules: dict[str, dict[str, Any]]) -> Any:
    """The Python source of ``fn`` (a compiled function, else ``fn`` itself), calling the Python sources of
    the compiled functions it names; ``modules``: each module's names with compiled functions so replaced."""
    source = getattr(fn, "py_func", None)
    if source is None:
        return fn
    names = modules.get(source.__module__)
    if names is None:
        names = modules[source.__module__] = dict(source.__globals__)
        for key, value in list(names.items()):
            names[key] = as_python(value, modules)
    return types.FunctionType(source.__code__, names, source.__name__, source.__defaults__,
                              source.__closure__)


def interpreted(rule: step.Rule, recording: bool) -> Callable[..., None]:
    """The loop of :mod:`evo.core.step` as Python, calling the Python sources of ``rule``, of the step and of
    every compiled function they call."""
    modules: dict[str, dict[str, Any]] = {}
    loop = as_python(step._make_loop(rule, recording=recording), modules)
    loop.__globals__.update(_kind_decide=as_python(rule.decide, modules),
                            _kind_aim=as_python(rule.aim, modules) or _nowhere,
                            **{f"_kind_{part}": as_python(getattr(rule, part), modules) or _skip
                               for part in ("begin", "consumed", "end")})
    return loop  # type: ignore[no-any-return]


@contextmanager
def python_rules() -> Iterator[None]:
    """Inside the block, :func:`run_episodes` runs the interpreted loop."""
    real = engines.run

    def run(params: Any, state: Any, view: step.View, pay: step.Payoffs, lifetime: int,
            out: step.Out) -> None:
        loop = interpreted(step._RULES[type(params)], out.record_paths)
        loop(params, state, view, pay, lifetime, out, np.empty(view.hidden.shape[1], dtype=np.bool_))

    engines.run = run
    try:
        yield
    finally:
        engines.run = real


def equal(got: Episodes, want: Episodes) -> bool:
    same = all(np.array_equal(getattr(got, name), getattr(want, name))
               for name in ("payoff", "reached", "steps", "paths"))
    if want.learned is not None:
        same &= got.learned is not None and np.array_equal(got.learned, want.learned)
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "red_door.toml")
    parser.add_argument("--population", type=int, default=500)
    parser.add_argument("--worlds", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--check-agents", type=int, default=20,
                        help="agents the interpreted loop runs (a subset: it is slow; default 20)")
    parser.add_argument("--plugin", action="append", default=None,
                        help="a module or .py file registering kinds (default examples/custom_agent_kind.py)")
    parser.add_argument("--kinds", nargs="+", help="kinds to measure (default: every registered kind)")
    args = parser.parse_args(argv)
    example = str(ROOT / "examples" / "custom_agent_kind.py")
    plugins.load_all(args.plugin if args.plugin is not None else [example])

    s = scenario.load(args.scenario)
    features = s.features
    objective = Payoffs.of(s.base_objective, features)
    world_rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(2)[0])
    # drawn as lives of the learner's lifetime (a batch is a batch for the kinds that carry nothing over)
    lifetime = agents.lifetime(agents.agent_config("learner", like=s.agent))
    if args.worlds % lifetime:
        print(f"--worlds {args.worlds} is not a whole number of lives of {lifetime} episodes",
              file=sys.stderr)
        return 2
    batch = lifetimes.generate(s.worlds.train, features, args.worlds, world_rng, lifetime)
    senses = agents.Senses.of(features, s.scenario.felt, s.scenario.hidden)
    print(f"{s.name}: P = {args.population} agents × B = {args.worlds} worlds, T = {batch.steps}; "
          f"interpreted: the first {args.check_agents} agents")
    ok, rows, rate = True, [], {}
    for kind in args.kinds or agents.agent_kinds():
        cfg = agents.agent_config(kind, like=s.agent)
        genome_rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(2)[1])
        genomes = agents.initial_genomes(cfg, len(features), args.population, genome_rng)
        policy = agents.decode(genomes, cfg, len(features), senses)
        t0 = time.perf_counter()
        run_episodes(policy, batch, objective, Costs())  # compiles, or loads numba's cache
        first = time.perf_counter() - t0
        best = float("inf")
        for _ in range(max(args.repeat, 1)):
            t0 = time.perf_counter()
            episodes = run_episodes(policy, batch, objective, Costs())
            best = min(best, time.perf_counter() - t0)
        rate[kind] = int(episodes.steps.sum()) / best
        few = agents.policy_rows(policy, slice(0, args.check_agents))
        want = run_episodes(few, batch, objective, Costs(), record_paths=True)
        t0 = time.perf_counter()
        with python_rules():
            got = run_episodes(few, batch, objective, Costs(), record_paths=True)
        slow = int(got.steps.sum()) / (time.perf_counter() - t0)
        same = equal(got, want)
        ok &= same
        rows.append((kind, rate[kind], slow, same, first))
    print(f"{'kind':<8} {'compiled M/s':>13} {'Python M/s':>11} {'speed-up':>9} {'÷ mesa':>7}   check")
    for kind, fast, slow, same, first in rows:
        of_mesa = fast / rate["mesa"] if "mesa" in rate else float("nan")
        plugin = kind not in agents.BUILTIN_KINDS
        floor = ""
        if plugin and "mesa" in rate:
            ok &= of_mesa >= PLUGIN_FLOOR
            met = "met" if of_mesa >= PLUGIN_FLOOR else "MISSED"
            floor = f"; plugin kind, floor {PLUGIN_FLOOR} of mesa: {met}"
        print(f"{kind:<8} {fast / 1e6:>13.2f} {slow / 1e6:>11.4f} {fast / slow:>9.0f} {of_mesa:>7.2f}   "
              f"equal: {same}; first call {first:.2f} s{floor}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
