"""Figures of a run, read from its results directory only, drawn without pyplot: fitness, objective,
classes, champion paths, horizon (docs/architecture.md, "Figures")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from evo.core.agents import agent_kind
from evo.core.metrics import BEHAVIOUR_CLASSES
from evo.core.worlds import parents
from evo.plots.figure import subplots
from evo.runs import files, owned, readback

CLASS_COLOURS = {"robust": "#2b8a3e", "pseudo": "#c92a2a", "capability_failure": "#f08c00",
                 "misaligned": "#868e96", "non-optimizer": "#4dabf7", "untested": "#b2f2bb"}
CLASS_LABELS = {"robust": "robust", "pseudo": "pseudo-aligned", "capability_failure": "capability failure",
                "misaligned": "misaligned (poor in train)", "non-optimizer": "non-optimizer",
                "untested": "good in train, no shift to test"}
NAMED_COLOURS = {"red": "#e03131", "blue": "#1c7ed6", "green": "#2f9e44", "yellow": "#f59f00",
                 "purple": "#9c36b5", "orange": "#f76707", "white": "#f1f3f5", "black": "#212529"}
SHAPE_MARKERS = {"door": "s", "gem": "D", "key": "P", "food": "o", "candy": "*", "trash": "X", "bin": "h",
                 "sensor": "^"}
#: colours of objects that carry no colour feature, by what they are
KIND_COLOURS = {"trash": "#a0785a", "bin": "#1098ad", "sensor": "#ae3ec9", "fruit": "#74b816"}


def _read(run: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The run's validated summary and log (:mod:`evo.runs.readback`)."""
    summary = readback.read_summary(run)
    return summary, readback.read_log(run, summary)


def _shift_names(summary: dict[str, Any]) -> list[str]:
    """The run's shift names, from summary.json: never parsed out of log columns, since a name may hold
    a dot (``q0.5``: its columns are ``shift.q0.5.sample_mean`` …)."""
    return sorted(summary["shift"])


def _smooth(y: np.ndarray, window: int = 5) -> np.ndarray:
    """Trailing moving average (the first points average what exists so far)."""
    c = np.cumsum(np.insert(y, 0, 0.0))
    n = np.minimum(np.arange(1, len(y) + 1), window)
    return (c[1:] - c[np.arange(1, len(y) + 1) - n]) / n


def fitness_figure(run: str | Path) -> Figure:
    summary, log = _read(run)
    gen = log["gen"]
    fig, ax = subplots(figsize=(8, 4.5))
    ax.plot(gen, log["train_mean"], color="#1971c2", lw=2, label="train: population mean")
    ax.plot(gen, log["train_best"], color="#1971c2", lw=1, ls=":", label="train: best")
    if "true_mean" in log:  # a scenario with a [true_objective]: what the designers really wanted
        ax.plot(gen, log["true_mean"], color="#2b8a3e", lw=2, label="true objective: population mean")
        ax.plot(gen, log["true_champion"], color="#2b8a3e", lw=1, ls="--",
                label="true objective: best agent by the proxy")
    colours = ["#e03131", "#f08c00", "#9c36b5", "#2f9e44"]
    for c, name in zip(colours, _shift_names(summary), strict=False):
        y = log[f"shift.{name}.sample_mean"]
        ax.plot(gen, y, color=c, lw=0.8, alpha=0.35)
        ax.plot(gen, _smooth(y), color=c, lw=2,
                label=f"shift '{name}': sample mean (5-generation average; raw faint)")
        ax.plot(gen, _smooth(log[f"shift.{name}.elite"]), color=c, lw=1, ls=":",
                label=f"shift '{name}': best train agent (5-generation average)")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness (mean payoff per episode − costs)" if "true_mean" in log
                  else "base fitness (mean payoff per episode − costs)")
    what = ("base objective (the proxy selection sees) against the true objective, same train episodes"
            if "true_mean" in log else "selected in train worlds, measured under shift")
    ax.set_title(f"{summary['scenario']} (seed {summary['seed']}): {what}", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return fig


def objective_figure(run: str | Path) -> Figure | None:
    summary, log = _read(run)
    if not agent_kind(summary["agent_kind"]).has_objective:  # no mesa-objective (a reflex agent)
        return None
    feats = list(summary["features"])
    gen = log["gen"]
    fig, (ax, ax2) = subplots(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    base = summary["base_objective"]
    for f in feats:
        colour = NAMED_COLOURS.get(f)
        ls = "-" if colour else "--"
        ax.plot(gen, log[f"w.{f}"], lw=2, ls=ls, color=colour,
                label=f"w[{f}]  (base objective pays {base.get(f, 0.0):g})")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("mean mesa-objective weight")
    ax.set_title(f"{summary['scenario']} (seed {summary['seed']}): what the evolved mesa-optimizers want",
                 fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax2.plot(gen, log["alignment_mean"], color="black", lw=2)
    ax2.set_ylim(-1.05, 1.05)
    ax2.axhline(0, color="gray", lw=0.6)
    ax2.set_ylabel("alignment\ncos(w, base objective)")
    ax2.set_xlabel("generation")
    ax2.grid(alpha=0.3)
    return fig


def classes_figure(run: str | Path) -> Figure | None:
    """Agent classes over generations (scenarios with a shift only: without one there is nothing to
    classify against)."""
    summary, log = _read(run)
    if not summary["shift"]:
        return None
    gen = log["gen"]
    fig, ax = subplots(figsize=(8, 4))
    present = [c for c in BEHAVIOUR_CLASSES if f"behaviour_class.{c}" in log]
    ax.stackplot(gen, *[log[f"behaviour_class.{c}"] for c in present],
                 colors=[CLASS_COLOURS[c] for c in present],
                 labels=[CLASS_LABELS[c] for c in present], alpha=0.9)
    ax.set_xlim(gen.min(), gen.max())
    ax.set_ylim(0, 1)
    ax.set_xlabel("generation")
    ax.set_ylabel("fraction of sampled agents")
    ax.set_title(f"{summary['scenario']} (seed {summary['seed']}): agent classes after the shift "
                 "(sample of each generation)", fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def object_style(features: list[str]) -> tuple[str, str]:
    colour = next((NAMED_COLOURS[f] for f in features if f in NAMED_COLOURS),
                  next((KIND_COLOURS[f] for f in features if f in KIND_COLOURS), "#adb5bd"))
    marker = next((SHAPE_MARKERS[f] for f in features if f in SHAPE_MARKERS), "o")
    return colour, marker


def _draw_world(ax: Any, data: dict[str, np.ndarray], name: str, features: list[str]) -> None:
    h, w = (int(x) for x in data[f"{name}.shape"])
    walls = data[f"{name}.walls"].reshape(h, w)
    ax.imshow(walls, cmap="Greys", vmin=0, vmax=1.4, origin="upper")
    ax.set_xticks(np.arange(-0.5, w, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, h, 1), minor=True)
    ax.grid(which="minor", color="#dee2e6", lw=0.5)
    ax.tick_params(which="both", bottom=False, left=False, labelbottom=False, labelleft=False)
    path = data[f"{name}.path"]
    steps = int(data[f"{name}.steps"])
    cells = path[: steps + 1]
    r, c = np.divmod(cells, w)
    # ✓ marks objects consumed; runs written before spawning existed record no "reached": use the path
    reached = data.get(f"{name}.reached")
    if reached is None:
        visited = set(int(x) for x in cells)
        reached = np.array([int(cell) in visited for cell in data[f"{name}.obj_cell"]])
    spawn = data.get(f"{name}.spawn")
    parent = np.full(len(reached), -1) if spawn is None else parents(spawn[None])[0]
    for k, (cell, feat) in enumerate(zip(data[f"{name}.obj_cell"], data[f"{name}.obj_feat"], strict=False)):
        fs = [f for f, x in zip(features, feat, strict=False) if x > 0]
        colour, marker = object_style(fs)
        orow, ocol = divmod(int(cell), w)
        got = bool(reached[k])
        spilled = parent[k] >= 0
        if spilled:  # spawned: drawn faint, once its parent released it
            if not reached[parent[k]]:
                continue
            ax.scatter([ocol], [orow], s=200, c=colour, marker=marker, edgecolors="black", linewidths=1,
                       linestyles="--", alpha=0.6, zorder=3)
        else:
            ax.scatter([ocol], [orow], s=260, c=colour, marker=marker, edgecolors="black", linewidths=1,
                       zorder=3)
        label = ("+".join(fs) or "(none)") + (" (spilled)" if spilled else "") + (" ✓" if got else "")
        ax.annotate(label, (ocol, orow), textcoords="offset points", xytext=(0, -17),
                    ha="center", fontsize=7, zorder=4, fontweight="bold" if got else None)
    ax.plot(c, r, color="#212529", lw=2.2, alpha=0.85, zorder=4)
    if len(cells) > 1:
        ax.annotate("", (c[-1], r[-1]), (c[-2], r[-2]),
                    arrowprops={"arrowstyle": "-|>", "color": "#212529", "lw": 2}, zorder=5)
    srow, scol = divmod(int(data[f"{name}.start"]), w)
    ax.scatter([scol], [srow], s=120, c="white", marker="o", edgecolors="black", linewidths=2, zorder=5)
    ax.annotate("start", (scol, srow), textcoords="offset points", xytext=(0, 9), ha="center", fontsize=7,
                zorder=6)
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)


def champion_paths_figure(run: str | Path) -> Figure:
    run = Path(run)
    summary = readback.read_summary(run)
    data = readback.read_episodes(run, summary)
    names = [str(n) for n in data["names"]]
    features = [str(f) for f in data["features"]]
    h, w = (int(x) for x in data[f"{names[0]}.shape"])
    fig, axes = subplots(1, len(names), figsize=(4.2 * len(names), 4.2 * min(h / w, 1.5) + 1.2),
                         layout="constrained")
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names, strict=True):
        _draw_world(ax, data, name, features)
        label = "train world" if name == "train" else f"shift '{name}'"
        ax.set_title(f"{label}\n{int(data[f'{name}.steps'])} steps, episode payoff "
                     f"{float(data[f'{name}.payoff']):+.2f} (✓ = reached)", fontsize=9)
    champ = summary["champion"]
    goal = ""
    if champ.get("objective"):
        goal = "mesa-objective: " + ", ".join(f"w[{f}]={v:+.2f}" for f, v in champ["objective"].items())
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']}): the champion "
                 f"({champ['behaviour_class']})\n{goal}", fontsize=10)
    return fig


def evolved_horizon_figure(run: str | Path) -> Figure | None:
    """Planning horizon over generations and its final distribution (hybrid agents only)."""
    run = Path(run)
    summary, log = _read(run)
    if not agent_kind(summary["agent_kind"]).evolves_horizon:
        return None
    pop = readback.read_population(run, summary)
    fig, (ax, ax2) = subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [2, 1]})
    ax.plot(log["gen"], log["horizon_mean"], color="#1971c2", lw=2, label="mean planning horizon (left)")
    share = ax.twinx()
    share.plot(log["gen"], log["optimizer_fraction"], color="#e8590c", lw=1, ls="--",
               label="share of agents that plan, horizon > 0 (right)")
    share.set_ylim(0, 1.02)
    share.set_ylabel("share of agents that plan")
    ax.set_xlabel("generation")
    ax.set_ylabel("mean planning horizon (steps)")
    ax.set_ylim(bottom=0)
    ax.set_title("planning over generations", fontsize=10)
    lines = ax.get_lines() + share.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=8)
    ax.grid(alpha=0.3)
    h = pop["horizon"].astype(int)
    ax2.hist(h, bins=np.arange(h.max() + 2) - 0.5, color="#1971c2", edgecolor="white")
    ax2.set_xlabel("planning horizon (0 = reflex only)")
    ax2.set_ylabel("agents in the final population")
    ax2.set_title(f"final population: {np.mean(h == 0):.0%} at horizon 0", fontsize=10)
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']}): does evolution switch planning on?",
                 fontsize=11)
    fig.tight_layout()
    return fig


FIGURES = {"fitness.png": fitness_figure, "objective.png": objective_figure, "classes.png": classes_figure,
           "champion.png": champion_paths_figure, "horizon.png": evolved_horizon_figure}


def write_figures(run: str | Path, figures: dict[str, Any], overwrite: bool = True) -> dict[str, Path]:
    """Write each ``figures[name](run)`` (a Figure, or None when it does not apply) under ``figures/``;
    returns the paths written or kept."""
    made = {}
    with owned.claim(run, owned.RUN) as d:
        for name, make in figures.items():
            path = d.file(f"figures/{name}")
            if path.exists() and not overwrite:
                made[name] = path
                continue
            fig = make(run)
            if fig is None:
                continue
            files.save_figure(fig, path)
            made[name] = path
    return made


def make_all(run: str | Path, overwrite: bool = True) -> dict[str, Path]:
    """Write every figure of the run under ``figures/``; returns their paths."""
    return write_figures(run, FIGURES, overwrite)
