"""Figures of the multi-seed analyses of :mod:`evo.sweeps.studies` (the diversity dial, preference against
capability), drawn without pyplot (docs/architecture.md, "Figures")."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from evo.plots.figure import subplots
from evo.runs import files

COLOURS = ["#1971c2", "#e03131", "#2f9e44", "#f08c00", "#9c36b5", "#0c8599", "#5c940d", "#d6336c"]


def _q_label(q: float) -> str:
    return f"{q:g}"


def diversity_figure(rows: Sequence[Mapping[str, Any]], table: Sequence[Mapping[str, Any]],
                     title: str = "") -> Figure:
    """Robust champions and robust population fraction against the diversity fraction ``q``."""
    qs = [t["q"] for t in table]
    pos = {q: i for i, q in enumerate(qs)}  # categorical: q spans 0 and two decades
    x = np.arange(len(qs), dtype=float)
    fig, (ax1, ax2) = subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    rng = np.random.default_rng(0)  # jitter of the seed dots only

    k = np.array([t["champion_robust_fraction"] for t in table])
    lo = np.array([t["champion_robust_lo"] for t in table])
    hi = np.array([t["champion_robust_hi"] for t in table])
    ax1.fill_between(x, lo, hi, color=COLOURS[0], alpha=0.18, label="champions: 95 % Wilson interval")
    ax1.plot(x, k, "o-", color=COLOURS[0], lw=2, label="fraction of seeds whose champion is robust")
    m = np.array([t["robust_fraction"] for t in table])
    mlo = np.array([t["robust_fraction_lo"] for t in table])
    mhi = np.array([t["robust_fraction_hi"] for t in table])
    ax1.fill_between(x, np.nan_to_num(mlo, nan=0), np.nan_to_num(mhi, nan=1), color=COLOURS[2], alpha=0.15,
                     label="population: 95 % t-interval over seeds, clipped to [0, 1]")
    ax1.plot(x, m, "s--", color=COLOURS[2], lw=1.5, label="robust fraction of the final population (mean)")
    for r in rows:
        ax1.plot(pos[round(r["q"], 9)] + rng.uniform(-0.12, 0.12), r["robust_fraction"], ".",
                 color=COLOURS[2], alpha=0.5, ms=5)
    ax1.set(ylim=(-0.03, 1.03), xlabel="q: fraction of training doors blue and of gems red (each, p = q)",
            ylabel="fraction (robust)", title="Robust alignment against training diversity")
    ax1.legend(fontsize=7.5, loc="center right")

    for col, colour, lab in (("champion_shift_fitness", COLOURS[1], "champion"),
                             ("shift_fitness", COLOURS[3], "population mean")):
        mean = np.array([t[col] for t in table])
        ax2.fill_between(x, [t[f"{col}_lo"] for t in table], [t[f"{col}_hi"] for t in table], color=colour,
                         alpha=0.15)
        ax2.plot(x, mean, "o-", color=colour, label=f"shift fitness, {lab} (mean, 95 % t band)")
        for r in rows:
            ax2.plot(pos[round(r["q"], 9)] + rng.uniform(-0.12, 0.12), r[col], ".", color=colour, alpha=0.5,
                     ms=5)
    tm = np.array([t["train_fitness"] for t in table])
    ax2.plot(x, tm, "^:", color="grey", label="train fitness, population mean")
    ax2.set(xlabel="q: fraction of training doors blue and of gems red (each, p = q)",
            ylabel="base-objective fitness (payoff per episode)",
            title="Fitness after the shift (blue doors, red gems)")
    ax2.legend(fontsize=7.5)
    for ax in (ax1, ax2):
        ax.set_xticks(x)
        ax.set_xticklabels([_q_label(q) for q in qs])
        ax.grid(alpha=0.3)
    n = sorted({t["runs"] for t in table})
    fig.suptitle(title or f"Diversity dial in red_door: {'–'.join(map(str, n))} seeds per q "
                 "(dots: one seed each)", fontsize=10)
    return fig


def preference_figure(rows: Sequence[Mapping[str, Any]], title: str = "") -> Figure:
    """Proxy preference under the shift against capability in training: left, one point per champion (one
    per seed); right, every agent of the final populations (if the rows hold them)."""
    has_pop = any(not r["champion"] for r in rows)
    fig, axes = subplots(1, 2 if has_pop else 1, figsize=(13 if has_pop else 7.5, 5.2),
                         layout="constrained", squeeze=False)
    qs = sorted({round(r["q"], 9) for r in rows if not math.isnan(r["q"])})
    rng = np.random.default_rng(0)  # vertical jitter only, so that equal points stay visible
    ax = axes[0, 0]
    for i, q in enumerate(qs):
        colour = COLOURS[i % len(COLOURS)]
        champs = [r for r in rows if round(r["q"], 9) == q and r["champion"]]
        if champs:
            y = np.array([r["proxy_preference"] for r in champs]) + rng.uniform(-0.02, 0.02, len(champs))
            ax.scatter([r["train_fitness"] for r in champs], y, s=50, color=colour, edgecolors="black",
                       linewidths=0.5, alpha=0.85, label=f"q = {_q_label(q)} ({len(champs)} seeds)")
    ax.set(xlabel="capability: champion's train fitness, final assessment (payoff per episode)",
           title="one champion per seed (points jittered by ±0.02 vertically)")
    if has_pop:
        ax2 = axes[0, 1]
        for i, q in enumerate(qs):
            pop = [r for r in rows if round(r["q"], 9) == q and not r["champion"]]
            ax2.scatter([r["train_fitness"] for r in pop],
                        np.array([r["proxy_preference"] for r in pop]) + rng.uniform(-0.02, 0.02, len(pop)),
                        s=5, color=COLOURS[i % len(COLOURS)], alpha=0.25, linewidths=0,
                        label=f"q = {_q_label(q)}")
        ax2.set(xlabel="capability: agent's train fitness, final assessment (payoff per episode)",
                title="every agent of the final populations")
        ax2.legend(fontsize=8, title="training diversity q", title_fontsize=8, markerscale=3)
    for a in axes[0]:
        a.set(ylabel="proxy preference: share of shift episodes that went\n"
              "to the red decoy first (unambiguous episodes)", ylim=(-0.05, 1.05))
        a.axhline(0.5, color="grey", lw=0.8, ls=":")
        a.grid(alpha=0.3)
    ax.legend(fontsize=8, title="training diversity q", title_fontsize=8)
    fig.suptitle(title or "Preference against capability after the shift (blue door, red decoys): what each "
                 "agent went for first", fontsize=10)
    return fig


def save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    files.save_figure(fig, path)  # atomic: a temporary file, then a rename
    return path
