"""``evo animate``: the champion's train and shift episodes side by side, step by step, as a GIF or an MP4,
re-simulated and checked by :mod:`evo.plots.replay` (docs/architecture.md, "Figures")."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Literal

import numpy as np
from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter
from matplotlib.lines import Line2D

from evo.errors import EvoError
from evo.plots import replay
from evo.plots.figure import EvoFigure, subplots
from evo.plots.run import CLASS_LABELS, SHAPE_MARKERS, object_style
from evo.runs import files, owned

Format = Literal["gif", "mp4"]
FPS = 4


def _label(name: str) -> str:
    return "train world" if name == "train" else f"shift '{name}'"


def champion_animation(run: str | Path) -> tuple[EvoFigure, FuncAnimation, int]:
    """The figure, its animation and the number of frames (longest episode's steps + 1)."""
    rep = replay.load(run)
    eps = replay.champion(rep)
    summary = rep.summary
    feats = rep.features
    n_frames = max(ep.steps for ep in eps.values()) + 1
    worlds = rep.worlds
    h0, w0 = worlds[0].height, worlds[0].width
    fig, axes = subplots(1, len(worlds), figsize=(3.6 * len(worlds), 3.6 * min(h0 / w0, 1.5) + 1.4),
                         layout="constrained")
    axes = np.atleast_1d(axes)
    champ = summary["champion"]
    goal = ""
    if champ.get("objective"):
        goal = "   its mesa-objective: " + ", ".join(f"w[{f}] = {v:+.2f}"
                                                     for f, v in champ["objective"].items())
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']}): the champion "
                 f"({CLASS_LABELS.get(champ['behaviour_class'], champ['behaviour_class'])}), "
                 f"same agent in both worlds\n{goal}", fontsize=9)
    updates = []
    for ax, world in zip(axes, worlds, strict=True):
        ep = eps[world.name]
        h, w = world.height, world.width
        ax.imshow(world.walls.reshape(h, w), cmap="Greys", vmin=0, vmax=1.4, origin="upper")
        ax.set_xticks(np.arange(-0.5, w, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, h, 1), minor=True)
        ax.grid(which="minor", color="#dee2e6", lw=0.5)
        ax.tick_params(which="both", bottom=False, left=False, labelbottom=False, labelleft=False)
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h - 0.5, -0.5)
        objs = []
        for cell, feat in zip(world.obj_cell, world.obj_feat, strict=True):
            fs = [f for f, x in zip(feats, feat, strict=True) if x > 0]
            colour, marker = object_style(fs)
            r, c = divmod(int(cell), w)
            (art,) = ax.plot([c], [r], ls="", marker=marker, ms=13, mfc=colour, mec="black", mew=1, zorder=3)
            objs.append(art)
        srow, scol = divmod(world.start, w)
        ax.plot([scol], [srow], ls="", marker="o", ms=9, mfc="white", mec="black", mew=1.5, zorder=2)
        (trail,) = ax.plot([], [], color="#212529", lw=2, alpha=0.6, zorder=4)
        (ring,) = ax.plot([], [], ls="", marker="o", ms=22, mfc="none", mec="#f59f00", mew=2.5, zorder=5)
        (agent,) = ax.plot([], [], ls="", marker="o", ms=11, mfc="#212529", mec="white", mew=1.5, zorder=6)
        title = ax.set_title("", fontsize=9)
        parent = world.parent
        names = ["+".join(f for f, x in zip(feats, feat, strict=True) if x > 0) or "(none)"
                 for feat in world.obj_feat]

        def update(t: int, ep: replay.Episode = ep, world: replay.World = world, objs: list[Any] = objs,
                   trail: Any = trail, ring: Any = ring, agent: Any = agent, title: Any = title,
                   parent: Any = parent, w: int = w, names: list[str] = names) -> list[Any]:
            s = min(t, ep.steps)
            for k, art in enumerate(objs):
                released = parent[k] < 0 or 0 <= ep.consumed[parent[k]] <= s
                art.set_visible(bool(released and not 0 <= ep.consumed[k] <= s))
            r, c = np.divmod(ep.cells[: s + 1], w)
            trail.set_data(c, r)
            agent.set_data([c[-1]], [r[-1]])
            goal_k = int(ep.target[s]) if s < ep.steps else -1
            if goal_k >= 0:
                tr, tc = divmod(int(world.obj_cell[goal_k]), w)
                ring.set_data([tc], [tr])
            else:
                ring.set_data([], [])
            pay = f"payoff {ep.payoff[s]:+.2f}"
            if ep.true_payoff is not None:
                pay += f", true {ep.true_payoff[s]:+.2f}"
            ended = "  (ended)" if t >= ep.steps and ep.steps < n_frames - 1 else ""
            got = sorted((int(ep.consumed[k]), k) for k in range(len(objs)) if 0 <= ep.consumed[k] <= s)
            reached = ", ".join(names[k] for _, k in got) or "nothing yet"
            title.set_text(f"{_label(world.name)}\nstep {s} / {ep.steps}, {pay}{ended}\nreached: {reached}")
            return [*objs, trail, ring, agent, title]

        updates.append(update)
    handles = [Line2D([], [], ls="", marker="o", ms=9, mfc="#212529", mec="white", label="the agent"),
               Line2D([], [], ls="", marker="o", ms=12, mfc="none", mec="#f59f00", mew=2,
                      label="its current target (the planner's choice)"),
               Line2D([], [], ls="", marker="o", ms=8, mfc="white", mec="black", label="start")]
    shown = sorted({f for world in worlds for feat in world.obj_feat for f, x in zip(feats, feat, strict=True)
                    if x > 0 and f in SHAPE_MARKERS})
    handles += [Line2D([], [], ls="", marker=SHAPE_MARKERS[f], ms=9, mfc="#adb5bd", mec="black", label=f)
                for f in shown]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3), fontsize=8,
               frameon=False)

    def step(t: int) -> list[Any]:
        return [a for u in updates for a in u(t)]

    anim = FuncAnimation(fig, step, frames=n_frames, interval=1000 // FPS, blit=False, repeat=True)
    return fig, anim, n_frames


def write_animation(run: str | Path, fmt: Format = "gif", out: str | Path | None = None,
                    dpi: int = 80, force: bool = False) -> tuple[Path, int]:
    """Write the champion's animation (``RUN/figures/champion.gif`` or ``.mp4``, holding the run's lock;
    or ``out``: a new file, or an existing one with ``force``), atomically; returns the path and the number
    of frames."""
    if fmt not in ("gif", "mp4"):
        raise EvoError(f"--format: expected gif or mp4, got {fmt!r}")
    if fmt == "mp4" and shutil.which("ffmpeg") is None:
        raise EvoError("--format mp4: needs ffmpeg on the PATH (not found); use --format gif")
    writer = PillowWriter(fps=FPS) if fmt == "gif" else FFMpegWriter(fps=FPS)
    if out is not None:
        with owned.user_file(out, force) as path:
            return path, _save(run, path, writer, dpi)
    with owned.claim(run, owned.RUN) as d:
        path = d.file(f"figures/champion.{fmt}")
        return path, _save(run, path, writer, dpi)


def _save(run: str | Path, path: Path, writer: Any, dpi: int) -> int:
    _fig, anim, n_frames = champion_animation(run)
    with files.atomic_path(path) as tmp:
        anim.save(str(tmp), writer=writer, dpi=dpi)
    return n_frames
