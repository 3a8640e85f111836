"""The probe's figure, ``figures/probe.png``, drawn from ``probe.json`` (which
:func:`evo.runs.probe.probe_run` writes).

``probe.png`` has one panel per probed world distribution (two for agents that learn within a life: at birth
and at the end of a life): for each feature, the base objective, the mesa-objective (where the agents have one
in use) and the behavioural objective with its 95 % interval, each scaled to unit length so that directions,
not units, are compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from evo.config.names import percent
from evo.errors import EvoError
from evo.plots.figure import subplots
from evo.runs import files, owned, readback

COLOURS = {"base": "#868e96", "mesa": "#1971c2", "behavioural": "#e8590c"}


def probe_figure(run: str | Path) -> Figure:
    """Base, mesa- and behavioural objective per feature, one panel per probed world (from probe.json)."""
    summary = readback.read_summary(run)
    probes = readback.read_probes(run, summary)
    if not probes:
        raise EvoError(f"{run}: no probe yet (probe.json); run `evo probe {run}` first")
    # agents that learn within a life were probed at birth and at the end of a life: one panel each
    panels: list[tuple[str, dict[str, Any], str]] = []
    for world, p in probes.items():
        if "end_of_life" not in p:
            panels.append((world, p, ""))
        else:
            end = {**p, **p["end_of_life"]}
            panels += [(world, p, " at birth"), (world, end, " " + str(p["end_of_life"]["at"]))]
    fig, axes = subplots(1, len(panels), figsize=(max(6.0, 1.6 * len(summary["features"]) + 2.5)
                                                  * len(panels), 4.6), squeeze=False,
                         layout="constrained")
    for ax, (world, p, when) in zip(axes[0], panels, strict=True):
        _panel(ax, world, p, when)
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']}): what selection pays for (base objective), "
                 "what the agents represent (mesa-objective)\nand what they pursue in choice worlds "
                 "(behavioural objective, 95 % interval; 'sep.': separated choices, no interval the data "
                 "can give); each scaled to unit length", fontsize=10)
    return fig


def _panel(ax: Any, world: str, p: dict[str, Any], when: str = "") -> None:
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
    where = ("train worlds" if world == "train" else f"shift '{world}'") + when
    extra = ""
    if "ranking_recovered" in p:
        extra = f", ranking of w recovered: {percent(p['ranking_recovered'])}"
    elif not mesa:
        extra = ", no mesa-objective in use (reflex)"
    ax.set_title(f"{where}: {who} ({p['agent_kind']}), {p['n_choices_per_agent']} choices each\n"
                 f"cos(behavioural, base) = {p['alignment']['behavioural_vs_base']:+.2f}{extra}", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")


def save_probe_figure(run: str | Path) -> Path:
    """Draw ``figures/probe.png`` of a probed run; returns its path."""
    with owned.claim(run, owned.RUN) as d:
        fig = probe_figure(run)
        path = d.file("figures/probe.png")
        files.save_figure(fig, path)
    return path
