"""evo's figures are made without pyplot (evo/plots/figure.py): drawing every figure of a run neither imports
``matplotlib.pyplot`` nor changes the backend, and each figure is a real Figure that Jupyter can show."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import matplotlib.image
from matplotlib.figure import Figure

from evo import api
from evo.plots.figure import EvoFigure, subplots

# in a fresh interpreter with a backend of the user's choosing (svg, not evo's business): run the tiny
# scenario, draw and save every figure, plot through the API; then report the backend and whether pyplot
# was loaded
_PROBE = """
import sys
import matplotlib
matplotlib.use("svg")
sys.path.insert(0, {tests!r})
from conftest import TINY
from evo import api
from evo.runs import scenarios
r = api.run(scenarios.loads(TINY, source="tiny.toml"), seed=0, out={out!r})
figs = [r.plot_fitness(), r.plot_objective(), r.plot_classes(), r.plot_champion(), r.plot_lineage(),
        r.plot_founders(), r.plot_phylogeny()]
r._repr_html_()
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules, len(list(r.path.glob("figures/*.png"))),
      all(type(f).__name__ == "EvoFigure" for f in figs))
"""


def test_drawing_every_figure_leaves_the_backend_and_pyplot_alone(tmp_path: Path) -> None:
    tests = str(Path(__file__).resolve().parents[1])
    code = _PROBE.format(tests=tests, out=str(tmp_path / "run"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=600)
    backend, pyplot_loaded, n_png, all_evo = out.stdout.split()
    assert backend == "svg" and pyplot_loaded == "False" and all_evo == "True"
    assert int(n_png) == 7  # fitness, objective, classes, champion and the three lineage figures


def test_an_evo_figure_is_a_figure_that_renders_itself_as_png(tmp_path: Path) -> None:
    fig, (a, b) = subplots(1, 2, figsize=(4, 2), layout="constrained")
    assert isinstance(fig, Figure) and isinstance(fig, EvoFigure) and fig.axes == [a, b]
    a.plot([0, 1], [1, 0])
    png = fig._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = matplotlib.image.imread(io.BytesIO(png))
    assert image.shape[0] > 50 and image.shape[1] > 2 * image.shape[0] * 0.8  # a 4 × 2 figure, cropped
    fig.savefig(tmp_path / "f.png")  # the Figure API is intact
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")


def test_run_result_html_names_the_run_and_holds_the_figures(tiny_scenario, tmp_path: Path) -> None:
    r = api.run(tiny_scenario, seed=0, out=tmp_path / "a <b> & c", figures=False)
    html = r._repr_html_()
    assert "a &lt;b&gt; &amp; c" in html and "<b> &" not in html  # the path is escaped
    assert "shift &#x27;blue_doors&#x27; fitness" in html and "champion mesa-objective" in html
    assert html.count("data:image/png;base64,") == 4
    for f, w in r.champion_objective.items():
        assert f"<th>{f}</th>" in html and f"<td>{w:+.2f}</td>" in html
    assert not list(r.path.glob("figures/*"))  # showing a run writes nothing
