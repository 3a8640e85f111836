"""How close the batched evaluator is to the machine's limit: :func:`evo.core.simulate.run_episodes` against
a compiled per-agent loop of the same episode rules, for every registered agent kind.

    python benchmarks/bench_limit.py [--scenario scenarios/red_door.toml] [--population 500] [--worlds 16]
                                     [--repeat 5] [--seed 2024] [--kinds mesa reflex hybrid]

Needs numba, a benchmark-only dependency (``pip install -e ".[bench]"``); the package itself never imports
it. The compiled loop is a yardstick, not a second evaluator: one agent in one world at a time, one step
after another, written from the rules (docs/concepts.md §2-3, the kinds' docstrings, ``tests/reference.py``)
and sharing nothing with the evaluator but the inputs — it computes its own breadth-first distances from the
walls. Moves are chosen structurally from the decoded Policy, as the evaluator does: ``w`` is planned for
(within the horizon, ``γ^d`` from the same table of Python powers), reflex genes are reacted on, and a plan
that finds nothing falls back on the reflexes when there are any; a kind with its own batched ``moves`` has
no compiled loop here and is reported as such.

Both evaluate the scenario's training worlds (``worlds.generate`` with a fixed seed) and the kind's random
initial genomes; the compiled loop's payoffs, objects reached, steps and paths must equal the evaluator's
exactly (the exit status is 1 if not). Speed is in agent-steps per second (the sum of ``Episodes.steps``),
each side's fastest of ``--repeat`` timed runs; numba's compile time (first call) is reported apart.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from evo.core import agents, worlds
from evo.core.simulate import Costs, Episodes, Payoffs, run_episodes
from evo.runs import scenarios as scenario

try:
    import numba
except ImportError:  # pragma: no cover - reported to the user
    numba = None

ROOT = Path(__file__).resolve().parents[1]
N, E, S, W, STAY = 0, 1, 2, 3, 4


def _compile() -> object:
    """The compiled episode loop (built on first use, so that --help works without numba)."""
    assert numba is not None
    njit = numba.njit(cache=False, nogil=True)
    inline = numba.njit(cache=False, nogil=True, inline="always")

    @inline
    def step_to(cell: int, move: int, walls: np.ndarray, i: int, h: int, w: int) -> int:
        """The cell reached from ``cell`` by ``move`` in world ``i``; off the grid or into a wall: stay."""
        if move == STAY:
            return cell
        r, c = cell // w, cell % w
        if move == N:
            r -= 1
        elif move == E:
            c += 1
        elif move == S:
            r += 1
        else:
            c -= 1
        if r < 0 or r >= h or c < 0 or c >= w:
            return cell
        target = r * w + c
        if walls[i, target]:
            return cell
        return target

    @njit
    def distances(walls: np.ndarray, obj_cell: np.ndarray, h: int, w: int) -> np.ndarray:
        """(B, K, C) breadth-first steps from every cell to every object; C + 1 where unreachable."""
        b, k = obj_cell.shape
        c = h * w
        dist = np.full((b, k, c), c + 1, dtype=np.int64)
        queue = np.empty(c, dtype=np.int64)
        for i in range(b):
            for j in range(k):
                target = obj_cell[i, j]
                if walls[i, target]:
                    continue
                dist[i, j, target] = 0
                queue[0] = target
                head, tail = 0, 1
                while head < tail:
                    cell = queue[head]
                    head += 1
                    for move in range(4):
                        other = step_to(cell, move, walls, i, h, w)
                        if other != cell and dist[i, j, other] == c + 1:
                            dist[i, j, other] = dist[i, j, cell] + 1
                            queue[tail] = other
                            tail += 1
        return dist

    @njit
    def run(plans: bool, reacts: bool, horizon: np.ndarray, wgt: np.ndarray, gamma: np.ndarray,
            theta_wall: np.ndarray, theta_adj: np.ndarray, theta_scent: np.ndarray, bias: np.ndarray, r: int,
            walls: np.ndarray, start: np.ndarray, obj_cell: np.ndarray, obj_feat: np.ndarray,
            spawn: np.ndarray, dist: np.ndarray, obj_at: np.ndarray, h: int, w: int, steps: int,
            payoff_f: np.ndarray, terminal_f: np.ndarray, step_cost: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        p, b = horizon.shape[0], walls.shape[0]
        k_all, n_features = obj_cell.shape[1], obj_feat.shape[2]
        c = h * w
        out_payoff = np.zeros((p, b))
        out_reached = np.zeros((p, b, k_all), dtype=np.bool_)
        out_steps = np.zeros((p, b), dtype=np.int64)
        out_path = np.empty((p, b, steps + 1), dtype=np.int64)
        remaining = np.empty(k_all, dtype=np.bool_)
        utility = np.empty(k_all)
        smell = np.empty((5, n_features))  # the scent of each feature here and at N, E, S, W
        around = np.empty(5, dtype=np.int64)
        proximity = np.zeros((b, c, k_all))  # max(0, R − |cell − o|₁)/R
        if reacts:
            for i in range(b):
                for cell in range(c):
                    for k in range(k_all):
                        o = obj_cell[i, k]
                        manhattan = abs(cell // w - o // w) + abs(cell % w - o % w)
                        proximity[i, cell, k] = max(0, r - manhattan) / r
        value_of = np.empty((b, k_all))
        terminal = np.zeros((b, k_all), dtype=np.bool_)
        for i in range(b):
            for k in range(k_all):
                v = 0.0
                for f in range(n_features):
                    v = v + payoff_f[f] * obj_feat[i, k, f]
                    if terminal_f[f] and obj_feat[i, k, f] > 0:
                        terminal[i, k] = True
                value_of[i, k] = v
        for a in range(p):
            for i in range(b):
                for k in range(k_all):
                    remaining[k] = True
                for k in range(k_all):
                    if spawn[i, k] >= 0:
                        remaining[spawn[i, k]] = False  # hidden until its parent is consumed
                if plans:
                    for k in range(k_all):
                        u = 0.0
                        for f in range(n_features):
                            u = u + wgt[a, f] * obj_feat[i, k, f]
                        utility[k] = u
                pos = start[i]
                pay = 0.0
                taken = 0
                out_path[a, i, 0] = pos
                for _ in range(steps):
                    move = -1
                    if plans and horizon[a] > 0:  # the best positive object within the horizon
                        best, best_value = -1, 0.0
                        for k in range(k_all):
                            if remaining[k]:
                                d = dist[i, k, pos]
                                if d <= horizon[a]:
                                    value = utility[k] * gamma[d]
                                    if value > best_value:
                                        best, best_value = k, value
                        if best >= 0:  # the first of N, E, S, W one step closer to it
                            move = STAY
                            d = dist[i, best, pos]
                            if d > 0 and d < c + 1:
                                for m in range(4):
                                    other = step_to(pos, m, walls, i, h, w)
                                    if other != pos and dist[i, best, other] == d - 1:
                                        move = m
                                        break
                    if move < 0 and reacts:  # the reflexes: the first argmax of the five scores
                        around[0] = pos
                        for m in range(4):
                            around[m + 1] = step_to(pos, m, walls, i, h, w)
                        smell[:, :] = 0.0
                        for k in range(k_all):
                            if remaining[k]:
                                for f in range(n_features):
                                    if obj_feat[i, k, f] > 0:
                                        for j in range(5):
                                            x = proximity[i, around[j], k]
                                            if x > smell[j, f]:
                                                smell[j, f] = x
                        best_score = 0.0
                        for m in range(4):
                            there = around[m + 1]
                            k = obj_at[i, there] if there != pos else -1
                            score = bias[a, m]
                            score = score + theta_wall[a] * (1.0 if there == pos else 0.0)
                            for f in range(n_features):
                                x = obj_feat[i, k, f] if k >= 0 and remaining[k] else 0.0
                                score = score + theta_adj[a, f] * x
                            for f in range(n_features):
                                score = score + theta_scent[a, f] * (smell[m + 1, f] - smell[0, f])
                            if m == 0 or score > best_score:
                                move, best_score = m, score
                        if bias[a, STAY] > best_score:
                            move = STAY
                    if move < 0:
                        move = STAY
                    pay = pay - step_cost
                    pos = step_to(pos, move, walls, i, h, w)
                    taken += 1
                    out_path[a, i, taken] = pos
                    k = obj_at[i, pos]
                    if k >= 0 and remaining[k]:
                        remaining[k] = False
                        out_reached[a, i, k] = True
                        if spawn[i, k] >= 0:
                            remaining[spawn[i, k]] = True
                        pay = pay + value_of[i, k]
                        if terminal[i, k]:
                            break
                for t in range(taken + 1, steps + 1):
                    out_path[a, i, t] = pos
                out_payoff[a, i] = pay
                out_steps[a, i] = taken
        return out_payoff, out_reached, out_steps, out_path

    return distances, run


def compiled_episodes(kernels: object, policy: agents.Policy, batch: worlds.WorldBatch, objective: Payoffs,
                      dist: np.ndarray) -> tuple[np.ndarray, ...]:
    _, run = kernels  # type: ignore[misc]
    p, f = policy.horizon.shape[0], batch.obj_feat.shape[2]

    def genes(x: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape) if x is None else np.ascontiguousarray(x, dtype=np.float64)

    obj_at = np.full((batch.size, batch.height * batch.width), -1, dtype=np.int64)
    np.put_along_axis(obj_at, batch.obj_cell, np.arange(batch.n_objects)[None, :].repeat(batch.size, 0), 1)
    gamma = agents.discount_table(policy.discount, int(dist.max()))
    return run(policy.plans, policy.reacts, policy.horizon, genes(policy.w, (p, f)), gamma,
               genes(policy.theta_wall, (p,)), genes(policy.theta_adj, (p, f)),
               genes(policy.theta_scent, (p, f)), genes(policy.bias, (p, 5)), int(policy.view_radius),
               batch.walls, batch.start, batch.obj_cell, batch.obj_feat, batch.spawn, dist, obj_at,
               batch.height, batch.width, batch.steps, objective.payoff, objective.terminal,
               float(objective.step_cost))


def best_of(run: object, repeat: int) -> tuple[object, float]:
    best, result = float("inf"), None
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        result = run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return result, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "red_door.toml")
    parser.add_argument("--population", type=int, default=500)
    parser.add_argument("--worlds", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--kinds", nargs="+", default=list(agents.agent_kinds()))
    args = parser.parse_args(argv)
    if numba is None:
        print("numba is not installed: pip install -e '.[bench]' (numba>=0.59)", file=sys.stderr)
        return 2

    s = scenario.load(args.scenario)
    features = s.features
    objective = Payoffs.of(s.base_objective, features)
    world_rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(2)[0])
    batch = worlds.generate(s.worlds.train, features, args.worlds, world_rng)
    t0 = time.perf_counter()
    kernels = _compile()
    distances, _ = kernels  # type: ignore[misc]
    dist = distances(batch.walls, batch.obj_cell, batch.height, batch.width)
    compile_s = time.perf_counter() - t0
    ok = np.array_equal(dist, batch.dist)
    print(f"{s.name}: P = {args.population} agents × B = {args.worlds} worlds, T = {batch.steps}; "
          f"numba {numba.__version__}; compiled distances equal the world tables: {ok}")
    rows = []
    for kind in args.kinds:
        cfg = replace(s.agent, kind=kind)
        genome_rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(2)[1])
        genomes = agents.initial_genomes(cfg, len(features), args.population, genome_rng)
        policy = agents.decode(genomes, cfg, len(features))
        if policy.moves is not None:
            rows.append((kind, None, None, None, "own batched moves: no compiled loop"))
            continue
        def batched(policy: agents.Policy = policy, paths: bool = False) -> Episodes:
            return run_episodes(policy, batch, objective, Costs(), record_paths=paths)

        want = batched(paths=True)
        t0 = time.perf_counter()
        got = compiled_episodes(kernels, policy, batch, objective, dist)  # first call compiles
        first = time.perf_counter() - t0
        equal = (np.array_equal(got[0], want.payoff) and np.array_equal(got[1], want.reached)
                 and np.array_equal(got[2], want.steps) and np.array_equal(got[3], want.paths))
        ok &= equal
        episodes, t_batched = best_of(batched, args.repeat)
        def compiled(policy: agents.Policy = policy) -> tuple[np.ndarray, ...]:
            return compiled_episodes(kernels, policy, batch, objective, dist)

        _, t_compiled = best_of(compiled, args.repeat)
        agent_steps = int(episodes.steps.sum())  # type: ignore[attr-defined]
        rows.append((kind, agent_steps / t_batched / 1e6, agent_steps / t_compiled / 1e6,
                     t_compiled / t_batched, f"results equal: {equal}; first compiled call {first:.2f} s"))
    print(f"(compile of the search kernels {compile_s:.2f} s)")
    print(f"{'kind':<8} {'evaluator M/s':>14} {'compiled M/s':>13} {'ratio':>7}   check")
    for kind, ev, comp, ratio, note in rows:
        if ev is None:
            print(f"{kind:<8} {'-':>14} {'-':>13} {'-':>7}   {note}")
        else:
            print(f"{kind:<8} {ev:>14.2f} {comp:>13.2f} {ratio:>7.3f}   {note}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
