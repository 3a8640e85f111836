"""A short red_door run shared by the report and animation tests (a real run, written once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def red_door_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evo.api import run

    out = tmp_path_factory.mktemp("report") / "red_door"
    run("red_door", seed=0, out=out, figures=False,
        overrides={"evolution.generations": 20, "evolution.population": 60})
    return out
