"""Figures of runs whose agents learn within a life, read from run directories only: fitness by age,
learned values, the life's genes (docs/architecture.md, "Figures")."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from evo.plots.figure import EvoFigure
from evo.plots.run import write_figures
from evo.runs import readback

WORLD_COLOURS = ["#1971c2", "#e03131", "#f08c00", "#9c36b5", "#2f9e44"]
FEATURE_COLOURS = {"red": "#e03131", "blue": "#1c7ed6", "green": "#2f9e44", "yellow": "#f59f00",
                   "purple": "#9c36b5", "orange": "#f76707", "wrapper": "#868e96", "black": "#212529"}


def _life(run: str | Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    summary = readback.read_summary(run)
    return summary, summary.get("lifetime")


def _worlds(life: dict[str, Any]) -> list[tuple[str, list[float]]]:
    return [("train", life["train"]["base_fitness_by_age"]),
            *((name, v["base_fitness_by_age"]) for name, v in sorted(life["shift"].items()))]


def fitness_by_age_figure(run: str | Path, control: str | Path | None = None) -> Figure | None:
    """Mean base fitness by age of life, train and each shift (None for a run without lives). ``control``:
    a run of the same scenario with learning switched off, drawn dashed."""
    summary, life = _life(run)
    if life is None:
        return None
    fig = EvoFigure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    ages = np.arange(1, life["length"] + 1)
    runs = [(life, "", "-")]
    if control is not None:
        _, control_life = _life(control)
        if control_life is not None:
            runs.append((control_life, " (control: no learning)", "--"))
    for one, suffix, ls in runs:
        for c, (name, by_age) in zip(WORLD_COLOURS, _worlds(one), strict=False):
            label = "train worlds" if name == "train" else f"shift '{name}'"
            ax.plot(ages, by_age, color=c, ls=ls, lw=2, marker="o", ms=4, label=label + suffix)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(ages)
    ax.set_xlabel("age: episode of life (learned values carry from one episode to the next)")
    ax.set_ylabel("base fitness (population mean)")
    ax.set_title(f"{summary['scenario']} (seed {summary['seed']}): fitness by age of life, final population",
                 fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def learned_values_figure(run: str | Path) -> Figure | None:
    """The champion's learned values per seen feature over its first life, one panel per world."""
    summary, life = _life(run)
    if life is None:
        return None
    learned = life["champion"]["learned_values"]
    worlds = ["train", *sorted(w for w in learned if w != "train")]
    fig = EvoFigure(figsize=(4.6 * len(worlds), 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(worlds), sharey=True, squeeze=False)[0])
    ages = np.arange(0, life["length"] + 1)
    for ax, world in zip(axes, worlds, strict=True):
        for i, f in enumerate(life["seen_features"]):
            colour = FEATURE_COLOURS.get(f, WORLD_COLOURS[i % len(WORLD_COLOURS)])
            ax.plot(ages, [v[f] for v in learned[world]], color=colour, lw=2, marker="o", ms=3,
                    label=f"v[{f}]")
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xticks(ages)
        ax.set_xlabel("after episode (0: at birth, the instinct v0)")
        ax.set_title("train worlds" if world == "train" else f"shift '{world}'", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("learned value (behavioural objective's weight)")
    axes[0].legend(fontsize=8)
    reward = {f: v for f, v in (summary["champion"]["objective"] or {}).items()
              if f not in life["seen_features"] and abs(v) > 1e-12}
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']}): the champion's learned values over one "
                 "life; innate reward r (fixed): " + ", ".join(f"r[{f}]={v:+.2f}" for f, v in reward.items()),
                 fontsize=10)
    return fig


def genes_figure(run: str | Path) -> Figure | None:
    """Population means of the life's genes and of the innate values over generations."""
    summary, life = _life(run)
    if life is None:
        return None
    log = readback.read_log(run, summary)
    fig = EvoFigure(figsize=(10, 4), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    for c, gene in zip(WORLD_COLOURS, life["genes"], strict=False):
        ax.plot(log["gen"], log[f"{gene}_mean"], color=c, lw=2, label=f"{gene} (population mean)")
    ax.set_xlabel("generation")
    ax.set_ylabel("gene value")
    ax.set_title("the life's genes", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    for i, f in enumerate(life["seen_features"]):
        ax2.plot(log["gen"], log[f"innate.{f}"], lw=2, label=f"v0[{f}]",
                 color=FEATURE_COLOURS.get(f, WORLD_COLOURS[i % len(WORLD_COLOURS)]))
    ax2.axhline(0, color="black", lw=0.6)
    ax2.set_xlabel("generation")
    ax2.set_ylabel("innate value (population mean)")
    ax2.set_title("instinct v0", fontsize=10)
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']})", fontsize=11)
    return fig


def seeds_by_age_figure(runs: Sequence[str | Path], controls: Sequence[str | Path] = (),
                        shift: str | None = None) -> Figure:
    """Base fitness by age over many seeds: each seed faint, the mean over seeds bold; learners' runs
    solid, the control's (learning switched off) dashed. Train worlds and ``shift`` (default: every
    shift), one panel each."""
    lives = [_life(r)[1] for r in runs]
    control_lives = [_life(r)[1] for r in controls]
    first = lives[0]
    assert first is not None, "runs without lives have no fitness by age"
    names = ["train", *([shift] if shift else sorted(first["shift"]))]
    fig = EvoFigure(figsize=(5.2 * len(names), 4.4), layout="constrained")
    axes = fig.subplots(1, len(names), sharey=True, squeeze=False)[0]
    ages = np.arange(1, first["length"] + 1)
    for ax, name in zip(axes, names, strict=True):
        for group, colour, ls, label in ((lives, "#1971c2", "-", "learners"),
                                         (control_lives, "#868e96", "--", "control: learning off (α = 0)")):
            if not group:
                continue
            curves = np.array([(g["train"] if name == "train" else g["shift"][name])["base_fitness_by_age"]
                               for g in group if g is not None])
            for y in curves:
                ax.plot(ages, y, color=colour, ls=ls, lw=0.7, alpha=0.35)
            ax.plot(ages, curves.mean(axis=0), color=colour, ls=ls, lw=2.5, marker="o", ms=4,
                    label=f"{label}: mean of {len(curves)} seeds (faint: each seed)")
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xticks(ages)
        ax.set_xlabel("age: episode of life")
        ax.set_title("train (ancestral) worlds" if name == "train" else f"shift '{name}' (never selected on)",
                     fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("base fitness (final population mean)")
    axes[0].legend(fontsize=8, loc="lower right")
    return fig


def baldwin_figure(groups: Sequence[tuple[str, Sequence[str | Path]]], gene: str = "learning_rate") -> Figure:
    """``gene`` (population mean) over generations for every run of each named group; the median of each
    final population per group; and each final population's mean instinct ``v0`` per seen feature."""
    fig = EvoFigure(figsize=(15, 4.2), layout="constrained")
    ax, ax2, ax3 = fig.subplots(1, 3)
    colours = ["#e8590c", "#2f9e44", "#1971c2", "#9c36b5"]
    bins = np.linspace(0, 1, 21)
    for colour, (label, runs) in zip(colours, groups, strict=False):
        finals = []
        for i, run in enumerate(runs):
            summary = readback.read_summary(run)
            log = readback.read_log(run, summary)
            ax.plot(log["gen"], log[f"{gene}_mean"], color=colour, lw=1, alpha=0.6,
                    label=f"{label} ({len(runs)} seeds)" if i == 0 else None)
            finals.append(summary["lifetime"]["genes"][gene]["median"])
            innate = summary["lifetime"]["innate_values_mean"]
            offset = 0.15 if colour == colours[1] else -0.15
            ax3.scatter(np.arange(len(innate)) + offset, list(innate.values()), color=colour, s=14,
                        alpha=0.7, label=label if i == 0 else None)
            ax3.set_xticks(np.arange(len(innate)), [f"v0[{f}]" for f in innate])
        ax2.hist(finals, bins=bins, color=colour, alpha=0.6, label=f"{label}: median per seed")
    ax.set_xlabel("generation")
    ax.set_ylabel(f"population mean {gene.replace('_', ' ')}")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{gene.replace('_', ' ')} over generations", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax2.set_xlabel(f"median {gene.replace('_', ' ')} of a final population")
    ax2.set_ylabel("seeds")
    ax2.set_title("final populations", fontsize=10)
    ax2.legend(fontsize=8)
    ax3.axhline(0, color="black", lw=0.6)
    ax3.set_ylabel("mean innate value of a final population")
    ax3.set_title("instinct v0 (one dot per seed)", fontsize=10)
    ax3.legend(fontsize=8)
    ax3.grid(alpha=0.3)
    return fig


FIGURES = {"lifetime_fitness.png": fitness_by_age_figure, "lifetime_learned.png": learned_values_figure,
           "lifetime_genes.png": genes_figure}


def make_all(run: str | Path, overwrite: bool = True) -> dict[str, Path]:
    """Write the lifetime figures of ``run`` under ``figures/`` (none for a run without lives); returns
    their paths."""
    return write_figures(run, FIGURES, overwrite)
