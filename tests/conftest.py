"""Shared fixtures: a seeded rng and a tiny scenario that runs in well under a second."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import settings

from evo.config import schema
from evo.runs import scenarios as scenario_mod

# CI is deterministic: the same examples every run (derandomize), no example database carried between runs.
# Locally hypothesis explores new examples each run; whatever it finds goes into tests/data (the corpora).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

TINY = """
[scenario]
name = "tiny"
description = "a tiny red_door for tests"
features = ["red", "blue", "door", "gem"]

[base_objective]
payoff = { door = 1.0 }
terminal = ["door"]
step_cost = 0.01

[agent]
kind = "mesa"
horizon = 8
discount = 0.7
perception_cost = { door = 0.1, gem = 0.1 }

[worlds.train]
size = [6, 6]
wall_density = 0.15
steps = 15
objects = [
  { features = { door = 1.0, red = 1.0 }, count = 1 },
  { features = { gem = 1.0, blue = 1.0 }, count = 2 },
]

[worlds.shift.blue_doors]
objects = [
  { features = { door = 1.0, blue = 1.0 }, count = 1 },
  { features = { gem = 1.0, red = 1.0 }, count = 2 },
]

[evolution]
population = 24
generations = 6
worlds_per_generation = 4
shift_sample = 8
eval_worlds = 8
"""


def interrupted_run(scenario: object, seed: int, out: object, *, stop_at_question: int) -> int:
    """Run ``scenario`` into ``out`` until the loop asks "stop?" for the ``stop_at_question``-th time and
    hears yes (as after Ctrl-C): it checkpoints and records ``interrupted``. Returns the generation the run
    stopped before."""
    from evo.api import run
    from evo.evolution.loop import Stopped

    asked = {"n": 0}

    def stop() -> bool:
        asked["n"] += 1
        return asked["n"] >= stop_at_question

    with pytest.raises(Stopped) as info:
        run(scenario, seed=seed, out=out, figures=False, should_stop=stop)  # type: ignore[arg-type]
    return info.value.generation


@contextmanager
def held_elsewhere(path: object, layout: object = None) -> Iterator[None]:
    """Hold the lock of the owned directory ``path`` (a run directory unless ``layout``) from another thread
    while the body runs, as another process writing it would (a thread's claim is its own: the body's claims
    of the same directory are refused)."""
    from pathlib import Path

    from evo.runs import owned

    taken, release = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def hold() -> None:
        try:
            with owned.lock(Path(str(path)), layout or owned.RUN, "busy"):  # type: ignore[arg-type]
                taken.set()
                release.wait()
        except BaseException as exc:
            failed.append(exc)
            taken.set()

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait()
    try:
        if failed:
            raise failed[0]
        yield
    finally:
        release.set()
        thread.join()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def tiny_text() -> str:
    return TINY


@pytest.fixture
def tiny_scenario() -> schema.Scenario:
    return scenario_mod.loads(TINY, source="tiny.toml")


@pytest.fixture(scope="session")
def red_door_run(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A short real red_door run (20 generations of 60), written once per session, for the report and
    animation tests (tests/plots/test_report.py, tests/plots/test_report_browser.py)."""
    from evo.api import run

    out = tmp_path_factory.mktemp("report") / "red_door"
    run("red_door", seed=0, out=out, figures=False,
        overrides={"evolution.generations": 20, "evolution.population": 60})
    return out
