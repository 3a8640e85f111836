"""How close the batched evaluator is to the machine's limit: :func:`evo.core.simulate.run_episodes` against
a compiled per-agent loop of the same episode rules, for every registered agent kind.

    python benchmarks/bench_limit.py [--scenario scenarios/red_door.toml] [--population 500] [--worlds 16]
                                     [--repeat 5] [--seed 2024] [--kinds mesa reflex hybrid learner]
                                     [--engines numpy compiled] [--no-reflex-tables]

Needs numba (``pip install -e ".[bench]"``). Each of the evaluator's engines (evo/core/engines.py: ``numpy``,
the batched array code, and ``compiled``, its numba kernels in evo/core/kernels.py) is measured against the
same yardstick. The compiled loop here is a yardstick, not a third engine: one agent in one world at a time,
one step after another, written from the rules (docs/concepts.md §2-3, the kinds' docstrings,
``tests/core/reference.py``) and sharing nothing with the evaluator but the inputs — it computes its own
breadth-first distances from the walls. Moves are chosen structurally from the decoded Policy, as the
evaluator does: ``w`` is planned for (within the horizon, ``γ^d`` from the same table of Python powers),
reflex genes are reacted on, and a plan that finds nothing falls back on the reflexes when there are any; a
kind with its own batched ``moves`` has no compiled loop here and is reported as such. The learner has a loop
of its own, from the rules in the module docstring of ``evo/core/agents/learner.py``: each agent lives the
batch's lives one after another (world ``b`` is episode ``b % L`` of life ``b // L``), its values ``v`` and
the seen combinations it has consumed carried from step to step and episode to episode; its learned values
after each episode are checked equal too.

Both evaluate the scenario's training worlds (``lifetimes.generate`` with a fixed seed, as lives of the
learner's lifetime, so ``--worlds`` must be a whole number of them; agents perceive the scenario's senses) and
the kind's random initial genomes; the compiled loop's payoffs, objects reached, steps and paths must equal
each engine's exactly (the exit status is 1 if not). Speed is in agent-steps per second (the sum of
``Episodes.steps``), each side's fastest of ``--repeat`` timed runs, the sides alternating; numba's
compile time (first call) is reported apart. An engine's time is the whole of ``run_episodes`` (its tables,
utilities and the kernel call), the yardstick's the kernel call on inputs prepared beforehand.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from evo.core import agents, engines, lifetimes, worlds
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

    @inline
    def object_values(obj_feat: np.ndarray, payoff_f: np.ndarray, terminal_f: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Each object's base payoff (its features against the objective, summed in feature order) and
        whether consuming it ends the episode."""
        b, k_all, n_features = obj_feat.shape
        value_of = np.empty((b, k_all))
        terminal = np.zeros((b, k_all), dtype=np.bool_)
        for i in range(b):
            for k in range(k_all):
                x = 0.0
                for f in range(n_features):
                    x = x + payoff_f[f] * obj_feat[i, k, f]
                    if terminal_f[f] and obj_feat[i, k, f] > 0:
                        terminal[i, k] = True
                value_of[i, k] = x
        return value_of, terminal

    @inline
    def start_episode(remaining: np.ndarray, spawn: np.ndarray, i: int) -> None:
        """Every object of world ``i`` remains, except spawned ones: hidden until their parent is consumed."""
        for k in range(remaining.shape[0]):
            remaining[k] = True
        for k in range(remaining.shape[0]):
            if spawn[i, k] >= 0:
                remaining[spawn[i, k]] = False

    @inline
    def towards(pos: int, target: int, dist: np.ndarray, walls: np.ndarray, i: int, h: int, w: int) -> int:
        """The first of N, E, S, W one step closer to object ``target``; STAY when none is (the agent is on
        it, or it is unreachable)."""
        d = dist[i, target, pos]
        if d > 0 and d < h * w + 1:
            for m in range(4):
                other = step_to(pos, m, walls, i, h, w)
                if other != pos and dist[i, target, other] == d - 1:
                    return m
        return STAY

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
            seen: np.ndarray, spawn: np.ndarray, dist: np.ndarray, obj_at: np.ndarray, h: int, w: int,
            steps: int, payoff_f: np.ndarray, terminal_f: np.ndarray, step_cost: float
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
        value_of, terminal = object_values(obj_feat, payoff_f, terminal_f)
        for a in range(p):
            for i in range(b):
                start_episode(remaining, spawn, i)
                if plans:
                    for k in range(k_all):
                        u = 0.0
                        for f in range(n_features):
                            u = u + wgt[a, f] * seen[i, k, f]
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
                        if best >= 0:
                            move = towards(pos, best, dist, walls, i, h, w)
                    if move < 0 and reacts:  # the reflexes: the first argmax of the five scores
                        around[0] = pos
                        for m in range(4):
                            around[m + 1] = step_to(pos, m, walls, i, h, w)
                        smell[:, :] = 0.0
                        for k in range(k_all):
                            if remaining[k]:
                                for f in range(n_features):
                                    if seen[i, k, f] > 0:
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
                                x = seen[i, k, f] if k >= 0 and remaining[k] else 0.0
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

    @njit
    def run_learner(horizon: np.ndarray, r_w: np.ndarray, v0: np.ndarray, alpha: np.ndarray,
                    kappa: np.ndarray, lifetime: int, gamma: np.ndarray, walls: np.ndarray, start: np.ndarray,
                    obj_feat: np.ndarray, seen: np.ndarray, felt: np.ndarray, combo: np.ndarray,
                    n_combos: int, spawn: np.ndarray, dist: np.ndarray, obj_at: np.ndarray, h: int, w: int,
                    steps: int, payoff_f: np.ndarray, terminal_f: np.ndarray, step_cost: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The learner (evo/core/agents/learner.py): one agent's life after another, episode by episode,
        step by step; ``v`` and the consumed seen combinations carried through the life."""
        p, b = horizon.shape[0], walls.shape[0]
        k_all, n_features = obj_feat.shape[1], obj_feat.shape[2]
        out_payoff = np.zeros((p, b))
        out_reached = np.zeros((p, b, k_all), dtype=np.bool_)
        out_steps = np.zeros((p, b), dtype=np.int64)
        out_path = np.empty((p, b, steps + 1), dtype=np.int64)
        out_learned = np.empty((p, b, n_features))
        remaining = np.empty(k_all, dtype=np.bool_)
        v = np.empty(n_features)
        consumed = np.zeros(n_combos, dtype=np.bool_)
        value_of, terminal = object_values(obj_feat, payoff_f, terminal_f)
        for a in range(p):
            for i in range(b):
                if i % lifetime == 0:  # born: v = v0, nothing consumed
                    for f in range(n_features):
                        v[f] = v0[a, f]
                    consumed[:] = False
                start_episode(remaining, spawn, i)
                pos = start[i]
                pay = 0.0
                taken = 0
                out_path[a, i, 0] = pos
                for _ in range(steps):
                    move = STAY
                    if horizon[a] > 0:
                        best, best_value = -1, 0.0
                        for k in range(k_all):
                            if remaining[k]:
                                d = dist[i, k, pos]
                                if d <= horizon[a]:
                                    u = 0.0
                                    for f in range(n_features):
                                        u = u + v[f] * seen[i, k, f]
                                    u = u + kappa[a] * (0.0 if consumed[combo[i, k]] else 1.0)
                                    value = u * gamma[d]
                                    if value > best_value:
                                        best, best_value = k, value
                        if best >= 0:
                            move = towards(pos, best, dist, walls, i, h, w)
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
                        tasted = 0.0
                        pred = 0.0
                        for f in range(n_features):
                            tasted = tasted + r_w[a, f] * felt[i, k, f]
                        for f in range(n_features):
                            pred = pred + v[f] * seen[i, k, f]
                        s = alpha[a] * (tasted - pred)
                        for f in range(n_features):
                            v[f] = v[f] + s * seen[i, k, f]
                        consumed[combo[i, k]] = True
                        if terminal[i, k]:
                            break
                for t in range(taken + 1, steps + 1):
                    out_path[a, i, t] = pos
                out_payoff[a, i] = pay
                out_steps[a, i] = taken
                for f in range(n_features):
                    out_learned[a, i, f] = v[f]
        return out_payoff, out_reached, out_steps, out_path, out_learned

    return distances, run, run_learner


def compiled_episodes(kernels: object, policy: agents.Policy, batch: worlds.WorldBatch, objective: Payoffs,
                      dist: np.ndarray) -> tuple[np.ndarray, ...]:
    _, run, run_learner = kernels  # type: ignore[misc]
    p, f = policy.horizon.shape[0], batch.obj_feat.shape[2]

    def genes(x: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape) if x is None else np.ascontiguousarray(x, dtype=np.float64)

    obj_at = np.full((batch.size, batch.height * batch.width), -1, dtype=np.int64)
    np.put_along_axis(obj_at, batch.obj_cell, np.arange(batch.n_objects)[None, :].repeat(batch.size, 0), 1)
    gamma = agents.discount_table(policy.discount, int(dist.max()))
    senses = policy.senses  # what agents perceive: seen features from a distance, felt ones when eaten
    seen = batch.obj_feat if senses is None else np.where(senses.seen, batch.obj_feat, 0.0)
    felt = batch.obj_feat if senses is None else np.where(senses.felt, batch.obj_feat, 0.0)
    if policy.kind == "learner":
        assert policy.w is not None and policy.learning_rate is not None
        # the seen combination of each object, numbered (novel: no object of it consumed in this life)
        _, combo = np.unique(seen.reshape(-1, f), axis=0, return_inverse=True)
        return run_learner(policy.horizon, genes(policy.w, (p, f)), genes(policy.params["v0"], (p, f)),
                           genes(policy.learning_rate, (p,)), genes(policy.params["curiosity"], (p,)),
                           int(policy.lifetime), gamma, batch.walls, batch.start, batch.obj_feat, seen, felt,
                           combo.reshape(batch.size, batch.n_objects).astype(np.int64), int(combo.max()) + 1,
                           batch.spawn, dist, obj_at, batch.height, batch.width, batch.steps,
                           objective.payoff, objective.terminal, float(objective.step_cost))
    return run(policy.plans, policy.reacts, policy.horizon, genes(policy.w, (p, f)), gamma,
               genes(policy.theta_wall, (p,)), genes(policy.theta_adj, (p, f)),
               genes(policy.theta_scent, (p, f)), genes(policy.bias, (p, 5)), int(policy.view_radius),
               batch.walls, batch.start, batch.obj_cell, batch.obj_feat, seen, batch.spawn, dist, obj_at,
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
    parser.add_argument("--engines", nargs="+", default=list(engines.ENGINES), choices=engines.ENGINES)
    args = parser.parse_args(argv)
    if numba is None:
        print("numba is not installed: pip install -e '.[bench]' (numba>=0.59)", file=sys.stderr)
        return 2

    s = scenario.load(args.scenario)
    features = s.features
    objective = Payoffs.of(s.base_objective, features)
    world_rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(2)[0])
    # drawn as lives of the learner's lifetime (a batch is a batch for the kinds that carry nothing over)
    lifetime = agents.lifetime(replace(s.agent, kind="learner"))
    if args.worlds % lifetime:
        print(f"--worlds {args.worlds} is not a whole number of lives of {lifetime} episodes",
              file=sys.stderr)
        return 2
    batch = lifetimes.generate(s.worlds.train, features, args.worlds, world_rng, lifetime)
    senses = agents.Senses.of(features, s.scenario.felt, s.scenario.hidden)
    t0 = time.perf_counter()
    kernels = _compile()
    distances = kernels[0]  # type: ignore[index]
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
        policy = agents.decode(genomes, cfg, len(features), senses)
        t0 = time.perf_counter()
        got = compiled_episodes(kernels, policy, batch, objective, dist)  # first call compiles
        first = time.perf_counter() - t0

        def compiled(policy: agents.Policy = policy) -> tuple[np.ndarray, ...]:
            return compiled_episodes(kernels, policy, batch, objective, dist)

        for engine in args.engines:
            def batched(policy: agents.Policy = policy, paths: bool = False,
                        engine: str = engine) -> Episodes:
                return run_episodes(policy, batch, objective, Costs(), record_paths=paths, engine=engine)

            t0 = time.perf_counter()
            want = batched(paths=True)  # the compiled engine's first call compiles (or loads its cache)
            first_engine = time.perf_counter() - t0
            equal = (np.array_equal(got[0], want.payoff) and np.array_equal(got[1], want.reached)
                     and np.array_equal(got[2], want.steps) and np.array_equal(got[3], want.paths))
            if len(got) > 4:  # a learner: what it had learned after each episode, too
                equal &= want.learned is not None and np.array_equal(got[4], want.learned)
            ok &= equal
            t_batched = t_compiled = float("inf")
            for _ in range(max(args.repeat, 1)):  # side by side, alternating: both see the same machine load
                episodes, t = best_of(batched, 1)
                t_batched = min(t_batched, t)
                _, t = best_of(compiled, 1)
                t_compiled = min(t_compiled, t)
            agent_steps = int(episodes.steps.sum())  # type: ignore[attr-defined]
            rows.append((kind, engine, agent_steps / t_batched / 1e6, agent_steps / t_compiled / 1e6,
                         t_compiled / t_batched,
                         f"results equal: {equal}; first calls: yardstick {first:.2f} s, "
                         f"engine {first_engine:.2f} s"))
    print(f"(compile of the search kernels {compile_s:.2f} s)")
    print(f"{'kind':<8} {'engine':<9} {'evaluator M/s':>14} {'compiled M/s':>13} {'ratio':>7}   check")
    for kind, engine, ev, comp, ratio, note in rows:
        if ev is None:
            print(f"{kind:<8} {engine:<9} {'-':>14} {'-':>13} {'-':>7}   {note}")
        else:
            print(f"{kind:<8} {engine:<9} {ev:>14.2f} {comp:>13.2f} {ratio:>7.3f}   {note}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
