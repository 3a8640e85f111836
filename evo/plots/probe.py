"""The probe on a finished run: read its agents, probe them, store the result, draw ``figures/probe.png``.

:func:`probe_run` is the run-directory side of :mod:`evo.analysis.probe` (which is pure numpy): it reads
``scenario.toml``, ``summary.json`` and ``final_population.npz``, probes the chosen agents in choice worlds
built from the train distribution or a named shift, stores the numbers in ``summary.json → probe → WORLD``
(rewritten atomically, every other key kept) and redraws ``figures/probe.png``.

``probe.png`` has one panel per probed world distribution: for each feature, the base objective, the
mesa-objective (where the agents have one in use) and the behavioural objective with its 95 % interval, each
scaled to unit length so that directions, not units, are compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from evo.analysis import probe
from evo.config.names import percent
from evo.core import agents
from evo.core.simulate import Payoffs
from evo.errors import EvoError
from evo.runs import files as results
from evo.runs import readback
from evo.runs import scenarios as scenario_mod

AgentChoice = Literal["champion", "sample", "all"]
COLOURS = {"base": "#868e96", "mesa": "#1971c2", "behavioural": "#e8590c"}


def probe_run(run: str | Path, agents_choice: AgentChoice = "champion", world: str = "train", *,
              seed: int = 0, sample: int = 32, n_layouts: int = 4, figure: bool = True) -> dict[str, Any]:
    """Probe the agents of the finished run ``run``; returns what is stored under ``summary.json → probe →
    world``. ``agents_choice``: the champion, a random ``sample`` of the final population, or all of it;
    ``n_layouts`` in [1, :data:`evo.analysis.probe.MAX_LAYOUTS`]."""
    n_layouts = probe.check_layouts(n_layouts)
    run = Path(run)
    summary = readback.read_summary(run)
    s = scenario_mod.load(run / "scenario.toml")
    pop = readback.read_population(run, summary)
    genomes = pop["genomes"]
    feats = s.features
    if genomes.shape[1] != agents.genome_length(s.agent.kind, len(feats)):
        raise EvoError(f"{run / 'final_population.npz'}: member 'genomes': expected "
                       f"{agents.genome_length(s.agent.kind, len(feats))} genes per agent (a {s.agent.kind} "
                       f"agent of {run / 'scenario.toml'}), got {genomes.shape[1]}")
    if world == "train":
        cfg = s.worlds.train
    elif world in s.worlds.shift:
        cfg = s.worlds.shift[world]
    else:
        raise EvoError(f"{run}: no world distribution {world!r}; known: "
                       + ", ".join(["train", *s.worlds.shift]))
    rng = np.random.default_rng(seed)
    if agents_choice == "champion":
        index = np.array([int(summary["champion"]["index"])])
    elif agents_choice == "sample":
        if sample < 1:
            raise EvoError(f"--sample: expected a positive number of agents, got {sample}")
        index = np.sort(rng.choice(len(genomes), size=min(sample, len(genomes)), replace=False))
    elif agents_choice == "all":
        index = np.arange(len(genomes))
    else:
        raise EvoError(f"agents: expected one of champion, sample, all, got {agents_choice!r}")
    policy = agents.decode(genomes[index], s.agent, len(feats))
    result = probe.probe(policy, cfg, feats, rng, n_layouts=n_layouts)
    base = Payoffs.of(s.base_objective, feats).payoff
    # the objective alone steers (mesa): every agent is compared, ranking included; otherwise only those
    # that plan (a hybrid's reflexes also steer it)
    plans = None if agents.agent_kind(s.agent.kind).objective_alone else agents.is_optimizer(policy)
    out = probe.summarise(result, feats, base, policy.w, plans)
    out = {"world": world, "agents": agents_choice, "agent_kind": s.agent.kind,
           "agent_indices": [int(i) for i in index], "seed": seed, "n_layouts": n_layouts,
           "horizon": [int(h) for h in policy.horizon], **out}
    summary["probe"] = {**summary.get("probe", {}), world: out}
    results.write_json(run / "summary.json", summary)
    if figure:
        (run / "figures").mkdir(exist_ok=True)
        fig = probe_figure(run)
        results.save_figure(fig, run / "figures" / "probe.png")
        plt.close(fig)
    return out


def probe_figure(run: str | Path) -> Figure:
    """Base, mesa- and behavioural objective per feature, one panel per probed world (from summary.json)."""
    summary = readback.read_summary(run)
    probes = summary.get("probe") or {}
    if not probes:
        raise EvoError(f"{run}: summary.json holds no probe yet; run `evo probe {run}` first")
    fig, axes = plt.subplots(1, len(probes), figsize=(max(6.0, 1.6 * len(summary["features"]) + 2.5)
                                                      * len(probes), 4.6), squeeze=False,
                             layout="constrained")
    for ax, (world, p) in zip(axes[0], probes.items(), strict=True):
        _panel(ax, world, p)
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']}): what selection pays for (base objective), "
                 "what the agents represent (mesa-objective)\nand what they pursue in choice worlds "
                 "(behavioural objective, 95 % interval; 'sep.': separated choices, no interval the data "
                 "can give); each scaled to unit length", fontsize=10)
    return fig


def _panel(ax: Any, world: str, p: dict[str, Any]) -> None:
    feats = p["features"]
    x = np.arange(len(feats))
    b = p["behavioural_objective"]
    mesa = p.get("mesa_objective")
    width = 0.26 if mesa else 0.38
    base = [p["base_objective"]["normalised"][f] for f in feats]
    ax.bar(x - width, base, width, color=COLOURS["base"], label="base objective (payoff)")
    if mesa:
        m = [mesa["normalised"][f] for f in feats]
        err = [mesa["normalised_sd"][f] for f in feats] if "normalised_sd" in mesa else None
        ax.bar(x, m, width, color=COLOURS["mesa"], yerr=err, capsize=3,
               label="mesa-objective w (genome)" + (" ± sd over agents" if err else ""))
    beh = np.array([b["normalised"][f] for f in feats])
    # separated choices or a null bound: no error bar
    def bound(key: str) -> np.ndarray:
        return np.array([np.nan if b[key][f] is None else b[key][f] for f in feats], dtype=float)

    separated = bool(b.get("separated"))
    lo, hi = bound("normalised_ci_low"), bound("normalised_ci_high")
    if separated:  # stored as the whole range [-1, 1]: no interval the data can give
        lo, hi = beh.copy(), beh.copy()
    bx = x + (width if mesa else 0.0)
    ax.bar(bx, beh, width, color=COLOURS["behavioural"],
           yerr=np.nan_to_num(np.vstack([beh - lo, hi - beh])), capsize=3,
           label="behavioural objective (choices)" + (", separated: no interval" if separated else ""))
    for xi, f, v in zip(bx, feats, beh, strict=True):
        if b.get("unbounded", {}).get(f):
            ax.annotate("sep.", (xi, v), textcoords="offset points", xytext=(0, 3 if v >= 0 else -9),
                        ha="center", fontsize=6, color=COLOURS["behavioural"])
    ax.axhline(0, color="black", lw=0.7)
    ax.set_xticks(x, feats)
    ax.set_xlabel("feature")
    ax.set_ylabel("weight (objective scaled to unit length)")
    ax.set_ylim(-1.15, 1.15)
    who = {"champion": "the champion", "sample": f"a sample of {p['n_agents']} agents",
           "all": f"all {p['n_agents']} agents"}[p["agents"]]
    where = "train worlds" if world == "train" else f"shift '{world}'"
    extra = ""
    if "ranking_recovered" in p:
        extra = f", ranking of w recovered: {percent(p['ranking_recovered'])}"
    elif not mesa:
        extra = ", no mesa-objective in use (reflex)"
    ax.set_title(f"{where}: {who} ({p['agent_kind']}), {p['n_choices_per_agent']} choices each\n"
                 f"cos(behavioural, base) = {p['alignment']['behavioural_vs_base']:+.2f}{extra}", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
