"""docs/tutorial.ipynb runs headless in a real Jupyter kernel (nbclient, ipykernel) and shows what a person
would see: every evo figure as an image, the RunResult as HTML with its thumbnails, and the user's own
``plt.plot(...); plt.show()`` afterwards still as an image (evo never switches the backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

DOCS = Path(__file__).resolve().parents[1] / "docs"
NOTEBOOK = DOCS / "tutorial.ipynb"


def _stored() -> Any:
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def executed() -> Any:
    nb = _stored()
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(DOCS)}})  # run where a user opens it
    client.execute()  # a cell that raises fails here (CellExecutionError)
    return nb


def _cell(nb: Any, tag: str) -> Any:
    (cell,) = [c for c in nb.cells if tag in c.metadata.get("tags", ())]
    return cell


def _data(cell: Any) -> list[dict[str, Any]]:
    return [o.get("data", {}) for o in cell.outputs if o.output_type in ("execute_result", "display_data")]


def test_the_stored_notebook_is_valid_and_carries_no_outputs() -> None:
    nb = _stored()
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_run_result_shows_as_html_with_thumbnails(executed: Any) -> None:
    (data,) = _data(_cell(executed, "runresult"))
    html = data["text/html"]
    assert "RunResult" in html and "red_door" in html and "champion mesa-objective" in html
    assert html.count("data:image/png;base64,") == 4  # fitness, objective, classes, champion
    assert data["text/plain"].startswith("<RunResult red_door seed 0") and "\n" not in data["text/plain"]


def test_plot_objective_shows_an_image(executed: Any) -> None:
    (data,) = _data(_cell(executed, "plot-objective"))
    assert data["image/png"] and data["text/plain"].startswith("<EvoFigure size")


def test_every_figure_cell_shows_an_image(executed: Any) -> None:
    figure_cells = [c for c in executed.cells if c.cell_type == "code"
                    and c.source.startswith(("r.plot_", "sweep_plots."))]
    assert len(figure_cells) == 7  # objective, fitness, champion, probe, lineage, phylogeny, sweep
    for c in figure_cells:
        assert any("image/png" in d for d in _data(c)), c.source


def test_the_users_own_pyplot_figure_still_shows(executed: Any) -> None:
    (data,) = _data(_cell(executed, "user-plot"))
    assert data["image/png"]
