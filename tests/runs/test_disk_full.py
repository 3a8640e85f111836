"""A full disk (ENOSPC) at any write of `evo run`: one `evo: error:` line naming the file, exit 1, no
traceback, meta.json says failed wherever it can still be written, and once there is room the run continues
(`evo run --resume`, or a fresh start when it never started) to files identical to an uninterrupted run's."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from evo import cli

#: the files the run below writes (one fsync of a regular file each), in order, figures on
WRITTEN = ("scenario.toml", "meta.json", "checkpoint-g00002.npz", "checkpoint.json", "checkpoint-g00004.npz",
           "checkpoint.json", "log.csv", "final_population.npz", "champion_episodes.npz", "lineage.csv",
           "lineage.graphml", "lineage_tree.csv", "lineage.nwk", "lineage_founders.csv", "summary.json",
           "meta.json", *(f"figures/{name}.png" for name in ("fitness", "objective", "classes", "champion",
                                                              "lineage_champion", "lineage_muller",
                                                              "lineage_tree")))
WRITES = len(WRITTEN)
#: meta.json: keys that differ between two runs of the same scenario and seed
CLOCK = ("started", "finished", "resumed", "wall_time_s")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import TINY

    path = tmp_path_factory.mktemp("scenario") / "s.toml"
    path.write_text(TINY.replace("generations = 6", "generations = 6\ncheckpoint_every = 2"))
    return path


@pytest.fixture(scope="module")
def whole(scenario: Path) -> Path:
    """The uninterrupted run, which every continued one must equal."""
    out = scenario.parent / "whole"
    assert cli.main(["run", str(scenario), "--out", str(out), "--quiet", "--no-figures"]) == 0
    return out


class FullDisk:
    """``os.fsync`` of a regular file fails with ENOSPC at the ``at``-th call (and, ``stays``, at every
    later one, as a disk that stays full), as the OS reports a write that found no room."""

    def __init__(self, at: int, stays: bool) -> None:
        self.at, self.stays, self.calls = at, stays, 0
        self.real = os.fsync

    def __call__(self, fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            self.calls += 1
            if self.calls == self.at or (self.stays and self.calls > self.at):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.real(fd)


def _files(run: Path) -> dict[str, Any]:
    """A run directory's data: every file's bytes, except meta.json and summary.json read as JSON without
    their clock times; the figures and the lock file aside."""
    out: dict[str, Any] = {}
    for p in sorted(run.iterdir()):
        if p.name in ("figures", ".evo.lock"):
            continue
        if p.name in ("meta.json", "summary.json"):
            data = json.loads(p.read_text())
            out[p.name] = {k: v for k, v in data.items() if k not in CLOCK}
        else:
            out[p.name] = p.read_bytes()
    return out


def test_the_run_makes_the_writes_counted(scenario: Path, tmp_path: Path, monkeypatch) -> None:
    disk = FullDisk(0, stays=False)
    written: list[str] = []
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        written.append(Path(dst).relative_to(tmp_path / "run").as_posix())
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", disk)
    monkeypatch.setattr(os, "replace", replace)
    assert cli.main(["run", str(scenario), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert disk.calls == WRITES and tuple(written) == WRITTEN


@pytest.mark.parametrize("stays", [True, False], ids=["disk stays full", "one write fails"])
@pytest.mark.parametrize("at", range(1, WRITES + 1))
def test_a_full_disk_is_one_line_a_recorded_state_and_resumes(scenario: Path, whole: Path, tmp_path: Path,
                                                               monkeypatch, capsys, at: int,
                                                               stays: bool) -> None:
    out = tmp_path / "run"
    monkeypatch.setattr(os, "fsync", FullDisk(at, stays))
    assert cli.main(["run", str(scenario), "--out", str(out), "--quiet"]) == 1
    monkeypatch.undo()
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evo: error: "), err
    assert "No space left on device" in err and "Traceback" not in err
    assert lines[0].startswith(f"evo: error: {out / WRITTEN[at - 1]}: No space left on device")
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]
    meta = json.loads((out / "meta.json").read_text()) if (out / "meta.json").exists() else None
    if meta is None:  # scenario.toml or the first meta.json: nothing started, nothing to resume
        assert at <= 2 and "run the same command again with --force" in err
        assert cli.main(["run", str(scenario), "--out", str(out), "--quiet", "--no-figures", "--force"]) == 0
    elif meta["status"] == "done":  # the figures: the run's data are complete and stay so
        assert at > WRITES - 7 and "meta.json says done" in err
        assert _files(out) == _files(whole)
        return
    else:
        if stays and at > 2:  # meta.json could not be rewritten: it says what it said, and the line says so
            assert meta["status"] == "running" and "could not record it either" in err
        else:
            assert meta["status"] == "failed" and "No space left on device" in meta["error"]
        assert f"evo run --resume {out}" in err
        assert cli.main(["run", "--resume", str(out), "--quiet", "--no-figures"]) == 0
    assert json.loads((out / "meta.json").read_text())["status"] == "done"
    assert _files(out) == _files(whole)


def test_a_figure_that_cannot_be_drawn_is_one_line_and_leaves_the_data(scenario: Path, whole: Path,
                                                                      tmp_path: Path, monkeypatch,
                                                                      capsys) -> None:
    """Any error while drawing (not only a full disk) after the run is done: one line, exit 1."""
    from evo.plots import run as run_plots

    def broken(run: object) -> None:
        raise ValueError("a figure\nthat cannot be drawn")

    monkeypatch.setitem(run_plots.FIGURES, "classes.png", broken)
    out = tmp_path / "run"
    assert cli.main(["run", str(scenario), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [f"evo: error: ValueError: a figure that cannot be drawn (drawing the figures "
                                f"of {out} failed; the run itself is finished and its data are complete: "
                                "meta.json says done)"]
    assert _files(out) == _files(whole)
