"""The contract every agent kind keeps, as one public check (``evo.check_kind``), run by
tests/core/test_agent_kinds.py for every registered kind; a plugin author runs it on theirs."""

from __future__ import annotations

import numpy as np

from evo.config.params import Param
from evo.core.agents.base import AgentKind, agent_config, agent_kind, genome_length, initial_genomes, lifetime
from evo.core.engines import view_of
from evo.core.simulate import Costs, Payoffs, run_episodes
from evo.core.step import _RULES
from evo.core.worlds import build_batch
from evo.errors import EvoError


class KindContractError(EvoError, AssertionError):
    """A kind that breaks the contract: the message says which part and what was found."""


def _expect(ok: bool, kind: str, what: str) -> None:
    if not ok:
        raise KindContractError(f"agent kind {kind!r}: {what}")


def check_kind(kind: str | AgentKind) -> None:
    """Check the kind ``kind`` (a registered name, or a kind object registered under its name): its genome
    layout covers a genome exactly; initial genomes are deterministic in the generator and decode to a
    Policy of the right shapes; its compiled rule is registered and runs episodes in a small world batch
    (moves 0..4, paths on free cells, the same episodes twice); its objective agrees with
    ``has_objective`` and each part it says perceives features is (P, F) ≥ 0. Raises
    :class:`KindContractError` naming the part that fails."""
    k = agent_kind(kind if isinstance(kind, str) else kind.name)
    name = k.name
    for n_features in (1, 4):
        layout = k.genome_layout(n_features)
        _expect(bool(layout), name, "the genome layout has no part")
        at = 0
        for part, (a, b) in layout.items():
            _expect(bool(part) and a == at and b > a, name,
                    f"part {part!r} is {a, b}, expected to start at {at}")
            at = b
        _expect(genome_length(name, n_features) == at, name, "genome_length differs from the layout")
    declared = getattr(k, "parameters", {})
    for key, p in declared.items():
        _expect(isinstance(key, str) and isinstance(p, Param), name, f"[agent] key {key!r} is not declared "
                "by a Param")
        try:
            p.check(p.default, "<default>", f"agent.{key}")
        except EvoError as exc:
            raise KindContractError(f"agent kind {name!r}: the default of agent.{key} fails its own "
                                    f"declaration ({exc})") from None
    given: dict[str, float] = {key: v for key, v in (("horizon", 5), ("lifetime", 2)) if key in declared}
    cfg = agent_config(name, None, init_sigma=0.7, **given)
    horizon = cfg.params.get("horizon", 0)
    f, n = 3, 11
    g = k.initial_genomes(cfg, f, n, np.random.default_rng(5))
    _expect(g.shape == (n, genome_length(name, f)) and g.dtype == np.float64, name,
            f"initial genomes of shape {g.shape} and dtype {g.dtype}")
    _expect(np.array_equal(g, k.initial_genomes(cfg, f, n, np.random.default_rng(5))), name,
            "initial genomes differ for the same generator")
    _expect(np.array_equal(initial_genomes(cfg, f, n, np.random.default_rng(5)), g), name,
            "evo's initial_genomes differs from the kind's")
    policy = k.decode(g, cfg, f)
    _expect(policy.kind == name, name, f"decodes to a Policy of kind {policy.kind!r}")
    _expect(policy.horizon.shape == (n,) and policy.horizon.dtype == np.int64, name, "horizon not (P,) int64")
    _expect(bool((policy.horizon >= 0).all() and (policy.horizon <= horizon).all()), name,
            "a horizon outside 0..agent.horizon")
    goal = k.objective(policy)
    _expect((goal is not None) == k.has_objective and (goal is None or goal.shape == (n, f)), name,
            "objective disagrees with has_objective or is not (P, F)")
    if lifetime(cfg) > 1:
        _expect(policy.life is not None and policy.lifetime == lifetime(cfg), name,
                "lives of several episodes without a Life")
    _expect(k.optimizer(policy).shape == (n,), name, "optimizer is not (P,)")
    sub = k.policy_rows(policy, slice(2, 5))
    _expect(sub.kind == name and np.array_equal(sub.horizon, policy.horizon[2:5]), name, "policy_rows")
    _expect(k.pair_bytes(4, 3) >= 0, name, "negative pair_bytes")
    for strength in map(np.asarray, k.perceives(policy)):
        _expect(strength.shape == (n, f) and bool((strength >= 0).all()), name,
                f"perceives gives {strength.shape}, expected ({n}, {f}) of values ≥ 0")
    # its compiled rule, in two 4×4 rooms with a wall and three objects
    walls = np.zeros((2, 16), dtype=bool)
    walls[:, 5] = True
    batch = build_batch(walls, np.array([0, 15]), np.array([[3, 12, 10], [0, 6, 9]]),
                        np.eye(3)[None].repeat(2, 0), 4, 4, 12)
    records = k.compiled(policy, batch, view_of(policy, batch))
    _expect(type(records[0]) in _RULES, name,
            f"no compiled rule is registered for {type(records[0]).__name__}")
    objective = Payoffs(np.array([1.0, -0.5, 0.25]), np.zeros(3, dtype=bool), 0.01)
    runs = [run_episodes(policy, batch, objective, Costs(), record_paths=True) for _ in range(2)]
    paths, again = runs[0].paths, runs[1].paths
    assert paths is not None and again is not None
    _expect(not walls[np.arange(2)[None, :, None], paths].any(), name, "a path enters a wall")
    _expect(np.array_equal(paths, again) and np.array_equal(runs[0].payoff, runs[1].payoff), name,
            "two runs of the same episodes differ")

