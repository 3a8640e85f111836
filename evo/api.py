"""The Python API (layer 7): what ``import evo`` offers, with figures: :func:`evolve`, :func:`run`,
:func:`resume`, :func:`load_run`, :func:`sweep`, :func:`probe` and the :class:`RunResult` they return
(docs/architecture.md, "The Python API")."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

import evo.plots.lifetime
import evo.plots.lineage
import evo.plots.probe
import evo.plots.run
import evo.plots.sweep
import evo.runs.run
from evo.config.names import percent
from evo.config.schema import Scenario
from evo.core.state import Generation
from evo.runs import readback, scenarios
from evo.runs.probe import AgentChoice, probe_run
from evo.runs.run import Evolved, evolve_scenario
from evo.sweeps import runner
from evo.sweeps.backends import Backend
from evo.sweeps.spec import Sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class ReportPage:
    """A written report.html that Jupyter displays inline (``_repr_html_``: an iframe whose ``srcdoc`` is
    the page itself, scripts included)."""

    path: Path
    height: int = 900

    def _repr_html_(self) -> str:
        page = self.path.read_text(encoding="utf-8")
        return (f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width: 100%; height: '
                f'{int(self.height)}px; border: 1px solid #dee2e6" title="evo report"></iframe>')


@dataclass
class RunResult:
    """What ``evo run`` writes, loaded back: the run directory, summary, log and final population."""

    path: Path
    summary: dict[str, Any]
    log: dict[str, NDArray[np.float64]]
    population: dict[str, NDArray[Any]]

    @classmethod
    def load(cls, path: str | Path) -> RunResult:
        """Read a finished run directory back, every file validated (:mod:`evo.runs.readback`): a missing or
        malformed summary.json, meta.json, log.csv or final_population.npz is one :class:`EvoError`."""
        path = Path(path)
        summary = readback.read_summary(path)
        if (path / "meta.json").exists():
            readback.read_meta(path, summary)
        return cls(path, summary, readback.read_log(path, summary), readback.read_population(path, summary))

    @property
    def champion(self) -> dict[str, Any]:
        return self.summary["champion"]

    @property
    def train_fitness(self) -> float:
        """Mean train (base-objective) fitness of the final population."""
        return float(self.summary["train"]["base_fitness"]["mean"])

    @property
    def shift_fitness(self) -> dict[str, float]:
        """Mean fitness of the final population under each shift."""
        return {k: float(v["base_fitness"]["mean"]) for k, v in self.summary["shift"].items()}

    @property
    def behaviour_classes(self) -> dict[str, float]:
        """Fraction of the final population in each behaviour class (docs/concepts.md §4)."""
        return dict(self.summary["behaviour_classes"])

    @property
    def champion_objective(self) -> dict[str, float] | None:
        """The champion's mesa-objective by feature, or None for a kind without one."""
        return self.summary["champion"].get("objective")

    def __repr__(self) -> str:
        return (f"<RunResult {self.summary['scenario']} seed {self.summary['seed']} at {self.path}: "
                f"{evo.runs.run.headline(self.train_fitness, self.shift_fitness, self.behaviour_classes)}>")

    def _repr_html_(self) -> str:
        """The run in a notebook: its headline numbers, the champion's objective and thumbnails of the main
        figures (fitness, objective, classes, champion), as inline PNG (nothing is written)."""
        s = self.summary
        e = html.escape
        rows = [("generations × population", f"{s['generations']} × {s['population']}"),
                ("agent kind", str(s["agent_kind"])),
                ("train fitness (mean, best)",
                 f"{s['train']['base_fitness']['mean']:+.3f}, {s['train']['base_fitness']['best']:+.3f}")]
        for name, v in s["shift"].items():
            rows.append((f"shift '{name}' fitness (mean, best)",
                         f"{v['base_fitness']['mean']:+.3f}, {v['base_fitness']['best']:+.3f}"))
        if "true" in s:
            rows.append(("true-objective fitness (mean, best)",
                         f"{s['true']['mean']:+.3f}, {s['true']['best']:+.3f}"))
        shares = s["behaviour_classes"].items()
        rows.append(("behaviour classes", ", ".join(f"{c} {percent(share)}" for c, share in shares if share)))
        champ = s["champion"]
        rows.append(("champion", f"{champ['behaviour_class']}; train {champ['train_fitness']:+.3f}"
                     + "".join(f"; shift '{k}' {v:+.3f}" for k, v in champ.get("shift_fitness", {}).items())))
        left = "style='text-align:left'"
        table = "".join(f"<tr><th {left}>{e(k)}</th><td {left}>{e(v)}</td></tr>" for k, v in rows)
        parts = [f"<div><b>RunResult</b> {e(str(s['scenario']))} seed {s['seed']} "
                 f"<code>{e(str(self.path))}</code>", f"<table>{table}</table>"]
        objective = self.champion_objective
        if objective:
            base = s["base_objective"]
            head = "".join(f"<th>{e(f)}</th>" for f in objective)
            w = "".join(f"<td>{v:+.2f}</td>" for v in objective.values())
            pays = "".join(f"<td>{base.get(f, 0.0):g}</td>" for f in objective)
            parts.append("<p>champion mesa-objective <code>w</code> against the base objective</p>"
                         f"<table><tr><th></th>{head}</tr><tr><th {left}>w</th>{w}</tr>"
                         f"<tr><th {left}>base objective pays</th>{pays}</tr></table>")
        thumbs = []
        for name, make in (("fitness", self.plot_fitness), ("objective", self.plot_objective),
                           ("classes", self.plot_classes), ("champion", self.plot_champion)):
            fig = make()
            if fig is not None:
                buf = io.BytesIO()
                fig.savefig(buf, format="png", dpi=40, bbox_inches="tight")
                data = base64.b64encode(buf.getvalue()).decode("ascii")
                thumbs.append(f"<img src='data:image/png;base64,{data}' alt='{name}' title='{name}' "
                              "style='height:150px; margin:2px'>")
        parts.append("<div>" + "".join(thumbs) + "</div></div>")
        return "".join(parts)

    def save_figures(self) -> dict[str, Path]:
        """Draw every figure of the run under ``figures/`` (written over); returns their paths."""
        return save_figures(self.path)

    def report(self, out: str | Path | None = None) -> Path:
        """Write the run's self-contained ``report.html`` (:mod:`evo.plots.report`); returns its path.
        :meth:`show_report` shows it inside a notebook."""
        from evo.plots import report

        return report.write_report(self.path, out)

    def show_report(self, height: int = 900) -> ReportPage:
        """Write ``report.html`` and return it as a notebook cell value: Jupyter shows the page inline, in
        an iframe that holds the whole page (``srcdoc``), so it needs no file server."""
        return ReportPage(self.report(), height)

    def animate(self, fmt: Literal["gif", "mp4"] = "gif", out: str | Path | None = None) -> Path:
        """Write the champion's episodes as an animation (``figures/champion.gif`` by default, one frame per
        step of the longest episode, plus the start; :mod:`evo.plots.animate`); returns its path. In a
        notebook, ``IPython.display.Image(filename=str(path))`` shows the GIF inline."""
        from evo.plots import animate

        return animate.write_animation(self.path, fmt, out)[0]

    def plot_fitness(self) -> Figure:
        """Train, shift (and true) fitness over generations."""
        return evo.plots.run.fitness_figure(self.path)

    def plot_objective(self) -> Figure | None:
        """The population's mean mesa-objective weights over generations."""
        return evo.plots.run.objective_figure(self.path)

    def plot_classes(self) -> Figure | None:
        """Behaviour-class fractions of the shift-evaluated sample over generations."""
        return evo.plots.run.classes_figure(self.path)

    def plot_champion(self) -> Figure:
        """The champion's paths in a train world and in each shift world."""
        return evo.plots.run.champion_paths_figure(self.path)

    def plot_probe(self) -> Figure:
        """The behavioural objective measured by :func:`probe` (recorded in probe.json), against the
        champion's mesa-objective."""
        return evo.plots.probe.probe_figure(self.path)

    def plot_fitness_by_age(self, control: str | Path | None = None) -> Figure | None:
        """Fitness by age of life, train and shifts (agents that learn within a life; else None), against
        a ``control`` run with learning switched off when given."""
        return evo.plots.lifetime.fitness_by_age_figure(self.path, control)

    def plot_learned_values(self) -> Figure | None:
        """The champion's learned values over its life (agents that learn within a life; else None)."""
        return evo.plots.lifetime.learned_values_figure(self.path)

    def plot_lineage(self, individual: int | None = None) -> Figure:
        """The line of descent of the champion (or of ``individual``), coloured by inner goal."""
        return evo.plots.lineage.descent_figure(self.path, individual)

    def plot_founders(self) -> Figure:
        """Founder lineages of the living population over generations (a Muller plot)."""
        return evo.plots.lineage.muller_figure(self.path)

    def plot_phylogeny(self) -> Figure:
        """The final population's phylogeny, collapsed, coloured by inner goal."""
        return evo.plots.lineage.tree_figure(self.path)


def evolve(scenario: str | Path | Scenario, seed: int = 0, *,
           progress: Callable[[Generation], None] | None = None,
           overrides: Mapping[str, Any] | None = None) -> Evolved:
    """Evolve ``scenario`` with ``seed`` in memory and assess the final population as :func:`run` does,
    writing nothing. Same scenario and seed, same numbers as the run directory's. ``overrides`` as in
    :func:`run`."""
    return evolve_scenario(scenario, seed, progress=progress, overrides=overrides)


def save_figures(run_dir: str | Path) -> dict[str, Path]:
    """Draw every figure of a finished run under ``RUN_DIR/figures/`` (the lineage figures too when the run
    kept a lineage); returns their paths. A module-level function, so a sweep can call it in its workers."""
    path = Path(run_dir)
    made = evo.plots.run.make_all(path)
    made.update(evo.plots.lifetime.make_all(path))  # runs of a kind that learns within a life only
    if (path / "lineage.csv").exists():
        made.update(evo.plots.lineage.make_all(path))
    return made


def run(scenario: str | Path | Scenario, seed: int = 0, out: str | Path | None = None, *,
        force: bool = False, figures: bool = True, progress: Callable[[Generation], None] | None = None,
        should_stop: Callable[[], bool] | None = None, overrides: Mapping[str, Any] | None = None
        ) -> RunResult:
    """Run a scenario (a file, a shipped scenario's name such as ``"red_door"``, or a Scenario) with a
    seed, write its results directory (default ``results/<name>/seed-N``) and, unless ``figures=False``,
    its figures; returns the loaded :class:`RunResult`. ``overrides`` sets scenario keys by dotted name
    (``{"evolution.population": 50}``), validated like the file (``evo run --set``). ``should_stop`` is
    asked between generations: when it says so the run writes a checkpoint and raises
    :class:`evo.evolution.loop.Stopped` (continue with :func:`resume`)."""
    path = evo.runs.run.run(scenario, seed, out, force=force, progress=progress, should_stop=should_stop,
                    overrides=overrides)
    if figures:
        save_figures(path)
    return RunResult.load(path)


def resume(run_dir: str | Path, *, figures: bool = True, progress: Callable[[Generation], None] | None = None,
           should_stop: Callable[[], bool] | None = None) -> RunResult:
    """Continue an interrupted or killed run from its last checkpoint; the finished files are byte-identical
    to those of an uninterrupted run (``wall_time_s`` aside)."""
    path = evo.runs.run.resume(run_dir, progress=progress, should_stop=should_stop)
    if figures:
        save_figures(path)
    return RunResult.load(path)


def load_run(run_dir: str | Path) -> RunResult:
    """A finished run directory, read back and validated."""
    return RunResult.load(run_dir)


def sweep(spec: str | Path | Sweep, out: str | Path | None = None, *,
          backend: Backend = "processes", workers: int | None = None, scheduler: str | None = None,
          figures: bool = True, run_figures: bool = False,
          progress: Callable[[runner.Progress], None] | None = None,
          overrides: Mapping[str, Any] | None = None) -> runner.SweepOutcome:
    """Run every (cell, seed) of a sweep (a file, a shipped sweep's name or a Sweep) not yet done
    (default ``results/<sweep name>``), index each as it finishes, then draw the comparison figures
    (``figures=False``: none). ``run_figures`` also draws each run's own figures, in the worker that ran
    it. ``overrides`` set scenario keys of every cell (``evo sweep --set``)."""
    outcome = runner.run_sweep(spec, out, backend=backend, workers=workers, scheduler=scheduler,
                               after_run=save_figures if run_figures else None, progress=progress,
                               overrides=overrides)
    if figures:
        outcome.figures = evo.plots.sweep.make_all(outcome.path)
    return outcome


def probe(run_dir: str | Path, agents: AgentChoice = "champion", world: str = "train", *, seed: int = 0,
          sample: int = 32, n_layouts: int = 4, figure: bool = True) -> dict[str, Any]:
    """Probe a finished run's behavioural objective (:func:`evo.runs.probe.probe_run`), record it in its
    ``probe.json`` and, unless ``figure=False``, draw ``figures/probe.png``; returns the probe's numbers."""
    out = probe_run(run_dir, agents, world, seed=seed, sample=sample, n_layouts=n_layouts)
    if figure:
        evo.plots.probe.save_probe_figure(run_dir)
    return out


#: ``evo.load_scenario``: read and validate a scenario (:func:`evo.runs.scenarios.load`)
load_scenario = scenarios.load

__all__ = ["Evolved", "RunResult", "evolve", "load_run", "load_scenario", "probe", "resume", "run",
           "save_figures", "sweep"]
