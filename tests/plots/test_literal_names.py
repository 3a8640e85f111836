"""Names reach matplotlib as literal text: a scenario, feature, shift, sweep or label name that reads as
mathtext (``$\\undefinedmacro{$`` would not parse, ``$x^2$`` would be drawn as a formula) is drawn as it is
written by every figure evo makes (evo/plots/figure.py), and the user's rcParams stay as they were."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from matplotlib.animation import PillowWriter
from matplotlib.figure import Figure
from matplotlib.text import Text

from evo import cli
from evo.plots import animate, lineage, probe, run, sweep
from evo.plots.figure import subplots

BAD, MATH = r"$\undefinedmacro{$", "$x^2$"


def _scenario_text(tiny_text: str) -> str:
    """The tiny scenario with mathtext in its name, a feature's name and a shift's name."""
    text = tiny_text.replace('name = "tiny"', f"name = '{BAD} tiny {MATH}'")
    text = text.replace('"gem"', f"'{MATH}'").replace("gem =", f"'{MATH}' =")
    return text.replace("[worlds.shift.blue_doors]", f"[worlds.shift.'{BAD}']")


SWEEP = f"""
[sweep]
name = '{BAD} sweep'
base = "s.toml"
seeds = 1
labels = {{ "evolution.selection.size" = '{MATH} size {BAD}' }}

[fixed]
"evolution.generations" = 3

[grid]
"evolution.selection.size" = [1, 4]
"""


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`evo run` (figures on), `evo animate`, `evo lineage`, `evo probe`, `evo report` and `evo sweep` on
    names holding mathtext, each asserted to succeed; returns the directory of the run/ and the sweep/."""
    from conftest import TINY

    root = tmp_path_factory.mktemp("names")
    (root / "s.toml").write_text(_scenario_text(TINY))
    (root / "sweep.toml").write_text(SWEEP)
    run_dir = str(root / "run")
    assert cli.main(["run", str(root / "s.toml"), "--out", run_dir, "--quiet"]) == 0
    assert cli.main(["animate", run_dir, "--quiet"]) == 0
    assert cli.main(["lineage", run_dir, "--quiet"]) == 0
    assert cli.main(["probe", run_dir, "--sample", "4", "--layouts", "1", "--quiet"]) == 0
    assert cli.main(["report", run_dir, "--quiet"]) == 0
    assert cli.main(["sweep", str(root / "sweep.toml"), "--out", str(root / "sweep"), "--backend", "serial",
                     "--quiet"]) == 0
    return root


def _drawn_texts(fig: Figure) -> list[Text]:
    """The figure drawn (as a file is), then its texts that hold a ``$``."""
    fig.savefig(io.BytesIO(), format="png")
    return [t for t in fig.findobj(Text) if "$" in t.get_text()]


def _assert_literal(fig: Figure, *names: str) -> None:
    texts = _drawn_texts(fig)
    for name in names:
        assert any(name in t.get_text() for t in texts), (name, [t.get_text() for t in texts])
    for t in texts:
        assert not t.get_parse_math() and not t.get_usetex(), t.get_text()


# (the horizon figure is drawn for hybrid agents only; the sweep summary is laid out by tight_layout as it is)
FIGURES: list[tuple[str, Callable[[Path], Any], tuple[str, ...]]] = [
    ("fitness", lambda root: run.fitness_figure(root / "run"), (BAD, MATH)),
    ("objective", lambda root: run.objective_figure(root / "run"), (MATH,)),
    ("classes", lambda root: run.classes_figure(root / "run"), (BAD,)),
    ("champion", lambda root: run.champion_paths_figure(root / "run"), (BAD,)),
    ("descent", lambda root: lineage.descent_figure(root / "run"), (BAD,)),
    ("muller", lambda root: lineage.muller_figure(root / "run"), (BAD,)),
    ("tree", lambda root: lineage.tree_figure(root / "run"), (BAD,)),
    ("probe", lambda root: probe.probe_figure(root / "run"), (MATH,)),
    ("sweep summary", lambda root: sweep.summary_figure(root / "sweep"), (BAD, MATH)),
]


@pytest.mark.parametrize(("name", "make", "names"), FIGURES, ids=[f[0] for f in FIGURES])
def test_every_figure_draws_names_literally(named: Path, name: str, make: Callable[[Path], Any],
                                            names: tuple[str, ...]) -> None:
    fig = make(named)
    assert fig is not None, name
    _assert_literal(fig, *names)


def test_the_files_were_written(named: Path) -> None:
    figures = named / "run" / "figures"
    for png in ("fitness.png", "objective.png", "classes.png", "champion.png", "probe.png",
                "lineage_champion.png", "lineage_muller.png", "lineage_tree.png"):
        assert (figures / png).stat().st_size > 1000, png
    assert (figures / "champion.gif").stat().st_size > 1000
    assert list((named / "sweep" / "figures").glob("*.png"))
    page = (named / "run" / "report.html").read_text(encoding="utf-8")
    assert f"<title>evo report: {BAD} tiny {MATH} (seed 0)</title>" in page  # html.escape leaves $ as it is


def test_animation_frames_draw_names_literally(named: Path, tmp_path: Path) -> None:
    fig, anim, frames = animate.champion_animation(named / "run")
    seen: list[int] = []

    class Checked(PillowWriter):
        """The GIF writer, checking the texts of each frame it has just drawn and grabbed."""

        def grab_frame(self, **savefig_kwargs: Any) -> None:
            super().grab_frame(**savefig_kwargs)
            texts = [t for t in fig.findobj(Text) if "$" in t.get_text()]
            assert any(f"shift '{BAD}'" in t.get_text() and "step" in t.get_text() for t in texts)
            assert all(not t.get_parse_math() and not t.get_usetex() for t in texts)
            seen.append(1)

    anim.save(str(tmp_path / "a.gif"), writer=Checked(fps=4), dpi=30)
    assert len(seen) == frames


def test_the_users_rcparams_are_unchanged_and_numeric_ticks_keep_theirs() -> None:
    """A notebook's rcParams stay as they are; a numeric tick formatter's labels keep the mathtext the user
    asked for (``use_mathtext``), while every other text is literal."""
    with matplotlib.rc_context({"axes.formatter.use_mathtext": True, "text.parse_math": True}):
        before = dict(matplotlib.rcParams)
        fig, ax = subplots()
        ax.plot([0, 1e4], [0, 1])
        ax.set_title(MATH)
        ax.set_xticks([0.5], [BAD], minor=True)
        texts = _drawn_texts(fig)
        assert dict(matplotlib.rcParams) == before
    title = next(t for t in texts if t.get_text() == MATH)
    minor = next(t for t in texts if t.get_text() == BAD)
    ticks = [t for t in texts if t.get_text().startswith(r"$\mathdefault")]
    assert not title.get_parse_math() and not minor.get_parse_math()
    assert ticks and all(t.get_parse_math() for t in ticks)
