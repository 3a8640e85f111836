"""Sweeps and the selection schemes they compare: sweep files validate like scenarios; every backend gives
the same runs; a killed sweep resumes with each run done once; the index and report; lexicase, double
tournament and rank selection; (μ + λ) and (μ, λ) replacement."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evo import api, cli
from evo.cli.sweep_report import text as report_text
from evo.config import schema
from evo.core.problem import Problem
from evo.errors import EvoError, ScenarioError
from evo.evolution import operators
from evo.evolution.loop import initial_state, step
from evo.evolution.streams import Streams
from evo.plots import sweep as sweep_plots
from evo.runs import run as experiment
from evo.runs import scenarios as scenario_mod
from evo.sweeps import estimates, index, metrics, runner, spec

SWEEP = """
[sweep]
name = "tiny_sweep"
description = "two tournament sizes on the tiny scenario"
base = "tiny.toml"
seeds = 2
labels = { "evolution.selection.size" = "tournament size" }

[fixed]
"evolution.generations" = 4

[grid]
"evolution.selection.size" = [1, 4]
"""


@pytest.fixture
def sweep_file(tmp_path: Path, tiny_text: str) -> Path:
    (tmp_path / "tiny.toml").write_text(tiny_text)
    path = tmp_path / "tiny_sweep.toml"
    path.write_text(SWEEP)
    return path




def _rows(root: Path) -> list[dict]:
    return index.read_index(root)[1]


# --------------------------------------------------------------------------------------------------------
# the sweep file


def test_sweep_file_resolves_cells_seeds_and_overrides(sweep_file: Path) -> None:
    s = spec.load_sweep(sweep_file)
    assert s.name == "tiny_sweep" and s.keys == ("evolution.selection.size",) and s.seeds == (0, 1)
    assert [c.label for c in s.cells] == ["size=1", "size=4"]
    assert [spec.run_id(c, seed) for c, seed in s.runs()] == [
        "size=1/seed-0", "size=1/seed-1", "size=4/seed-0", "size=4/seed-1"]
    for cell, size in zip(s.cells, (1, 4), strict=True):
        evo_cfg = cell.scenario.evolution
        # tiny.toml names no selection table: the override starts from the default (tournament)
        assert evo_cfg.selection.scheme == "tournament" and evo_cfg.selection.kwargs() == {"size": size}
        assert evo_cfg.generations == 4


def test_grid_is_every_combination_and_shifts_inherit_train_overrides(tmp_path: Path, tiny_text: str) -> None:
    (tmp_path / "tiny.toml").write_text(tiny_text)
    s = spec.loads('[sweep]\nname = "g"\nbase = "tiny.toml"\nseeds = [3, 5]\n[grid]\n'
                    '"worlds.train.steps" = [10, 20]\n"evolution.mutation.sigma" = [0.1, 0.2, 0.4]\n',
                    base_dir=tmp_path)
    assert len(s.cells) == 6 and s.seeds == (3, 5)
    assert s.cells[1].label == "steps=10, sigma=0.2"
    for c in s.cells:
        steps = dict(c.values)["worlds.train.steps"]
        assert c.scenario.worlds.train.steps == steps
        assert c.scenario.worlds.shift["blue_doors"].steps == steps  # keys not given are inherited


def test_a_list_of_cells_can_swap_whole_tables(tmp_path: Path, tiny_text: str) -> None:
    (tmp_path / "tiny.toml").write_text(tiny_text)
    s = spec.loads('[sweep]\nname = "schemes"\nbase = "tiny.toml"\nseeds = 1\n'
                    '[[cells]]\n"evolution.selection" = { scheme = "tournament", size = 2 }\n'
                    '[[cells]]\n"evolution.selection" = { scheme = "lexicase" }\n'
                    '[[cells]]\n"evolution.selection" = { scheme = "double_tournament", parsimony = 2.0 }\n',
                    base_dir=tmp_path)
    assert [c.label for c in s.cells] == ["selection=tournament(size=2)", "selection=lexicase()",
                                          "selection=double_tournament(parsimony=2)"]
    assert [c.scenario.evolution.selection.scheme for c in s.cells] == ["tournament", "lexicase",
                                                                         "double_tournament"]


HEAD = "[sweep]\nname='a'\nbase='tiny.toml'\n"
ONE = "seeds=1\n"
GRID = "[grid]\n'evolution.elitism'=[1]\n"
BAD_SWEEPS = [
    ("unknown section", HEAD + ONE + "[gird]\n'evolution.elitism'=[1]\n", "gird", "one of the sections"),
    ("unknown sweep key", HEAD + ONE + "seed=3\n" + GRID, "sweep.seed", "one of the keys"),
    ("no seeds", HEAD + GRID, "sweep.seeds", "a number of seeds"),
    ("zero seeds", HEAD + "seeds=0\n" + GRID, "sweep.seeds", "a positive number"),
    ("repeated seed", HEAD + "seeds=[1, 1]\n" + GRID, "sweep.seeds", "distinct seeds"),
    ("missing base", HEAD.replace("tiny.toml", "nope.toml") + ONE + GRID, "sweep.base",
     "an existing scenario"),
    ("grid value not a list", HEAD + ONE + "[grid]\n'evolution.elitism'=1\n", "grid.evolution.elitism",
     "a non-empty list"),
    ("unquoted dotted key", HEAD + ONE + "[grid]\nevolution.elitism=[1]\n", "grid.evolution",
     "quote dotted keys"),
    ("value the scenario rejects", HEAD + ONE + "[grid]\n'evolution.selection.size'=[2, 0]\n",
     "grid.evolution.selection.size[1]", "scenario key 'evolution.selection.size' in cell size=0"),
    ("misspelt override", HEAD + ONE + "[grid]\n'evolution.selectoin.size'=[2]\n",
     "grid.evolution.selectoin.size[0]", "scenario key 'evolution.selectoin'"),
    ("override through a value", HEAD + ONE + "[grid]\n'evolution.population.x'=[2]\n",
     "grid.evolution.population.x[0]", "'evolution.population' is a value"),
    ("bad fixed override", HEAD + ONE + "[fixed]\n'agent.kind'='plant'\n" + GRID, "fixed.agent.kind",
     "one of 'mesa'"),
    ("both grid and cells", "cells=[{'evolution.elitism'=1}]\n" + HEAD + ONE + GRID, "grid",
     "exactly one of"),
    ("cells setting different keys",
     "cells=[{'evolution.elitism'=1}, {'evolution.population'=30}]\n" + HEAD + ONE, "cells[1]",
     "the same keys"),
    ("cells inside [sweep]", HEAD + ONE + "cells=[{'evolution.elitism'=1}]\n", "sweep.cells",
     "[[cells]] tables"),
    ("repeated grid value", HEAD + ONE + "[grid]\n'evolution.elitism'=[1, 1]\n", "grid.evolution.elitism[1]",
     "distinct cells"),
    ("label of an unswept key", HEAD + ONE + "labels={'agent.kind'='kind'}\n" + GRID,
     "sweep.labels.agent.kind", "a swept key"),
    ("name with a control character", HEAD.replace("'a'", '"a\\u001b[2Jb"') + ONE + GRID, "sweep.name",
     "a non-empty name without control characters"),
    ("empty name", HEAD.replace("'a'", "' '") + ONE + GRID, "sweep.name", "a non-empty name"),
    ("name too long for a directory", HEAD.replace("'a'", "'" + "x" * 300 + "'") + ONE + GRID, "sweep.name",
     "at most 200 bytes"),
    ("too many seeds", HEAD + "seeds=100000000\n" + GRID, "sweep.seeds", "at most 10000"),
    ("too long a seed list", HEAD + "seeds=[" + ",".join(map(str, range(10_001))) + "]\n" + GRID,
     "sweep.seeds", "a list of at most 10000 seeds"),
    ("seed beyond int64", HEAD + "seeds=[1, 9223372036854775808]\n" + GRID, "sweep.seeds[1]",
     "an integer in [0, 2**63 - 1]"),
    ("too many runs (grid)", HEAD + "seeds=1000\n[grid]\n'evolution.elitism'=["
     + ",".join(map(str, range(101))) + "]\n", "grid", "at most 100000 runs (cells × seeds)"),
    ("astronomical grid", HEAD + ONE + "[grid]\n"
     + "".join(f"'evolution.k{i}.x'=[{','.join(map(str, range(10)))}]\n" for i in range(12)), "grid",
     "at most 100000 runs"),
    ("too many runs (cells)", HEAD + "seeds=10000\n" + "[[cells]]\n'evolution.elitism'=1\n" * 11, "cells",
     "at most 100000 runs"),
    ("override beyond int64", HEAD + ONE + "[grid]\n'evolution.generations'=[99999999999999999999]\n",
     "grid.evolution.generations[0]", "an integer that fits in 64 bits"),
    ("deeply nested TOML", HEAD + ONE + "[grid]\n'evolution.elitism'=" + "[" * 2000 + "]" * 2000 + "\n", "",
     "nested at most 16 deep"),
    ("a 5000-digit integer", HEAD + ONE + "[grid]\n'evolution.elitism'=[" + "9" * 5000 + "]\n", "",
     "valid TOML"),
]


@pytest.mark.parametrize(("text", "key", "phrase"), [b[1:] for b in BAD_SWEEPS],
                         ids=[b[0] for b in BAD_SWEEPS])
def test_bad_sweeps_name_file_and_key(tmp_path: Path, tiny_text: str, text: str, key: str, phrase: str
                                      ) -> None:
    (tmp_path / "tiny.toml").write_text(tiny_text)
    with pytest.raises(ScenarioError) as info:
        spec.loads(text, source="bad_sweep.toml", base_dir=tmp_path)
    assert str(info.value).startswith("bad_sweep.toml: ")
    assert info.value.key == key
    assert phrase in str(info.value)


def test_shipped_sweeps_validate() -> None:
    files = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "sweeps").glob("*.toml"))
    assert files
    for path in files:
        s = spec.load_sweep(path)
        assert s.name == path.stem
    pressure = spec.load_sweep(files[[p.stem for p in files].index("selection_pressure")])
    sizes = [dict(c.values)["evolution.selection.size"] for c in pressure.cells]
    assert min(sizes) == 1 and max(sizes) == 16 and len(pressure.seeds) >= 10


# --------------------------------------------------------------------------------------------------------
# running, the index, resuming


def test_a_run_written_by_an_older_toml_writer_still_counts_as_done(sweep_file: Path, tmp_path: Path) -> None:
    """Finished runs are recognised by their resolved scenario, not its text: a scenario.toml laid out
    differently (an older writer; comments) with the same values is the same run, and is not run again."""
    out = tmp_path / "out"
    runner.run_sweep(sweep_file, out, backend="serial")
    stamps = {}
    for toml in (out / "runs").glob("*/seed-*/scenario.toml"):
        toml.write_text("# written by an older evo\n" + toml.read_text().replace(" = ", "="))
        stamps[toml] = (toml.parent / "summary.json").stat().st_mtime_ns
    assert len(stamps) == 4
    outcome = runner.run_sweep(sweep_file, out, backend="serial")
    assert (outcome.done, outcome.skipped) == (4, 4)
    assert all((t.parent / "summary.json").stat().st_mtime_ns == ns for t, ns in stamps.items())


def test_a_sweep_leaves_files_with_the_umasks_permissions_and_no_wal(tmp_path: Path, tiny_text: str
                                                                     ) -> None:
    """Under umask 002 every file a sweep leaves (runs, index, figures, lock) is 0664 and every directory
    0775, index.sqlite included (SQLite alone makes it 0644), and no index.sqlite-wal or -shm stays: not
    after the sweep (process-pool workers, its figures), nor after readers (`evo sweep-report`,
    `evo report`), nor after a second sweep into the same directory."""
    (tmp_path / "tiny.toml").write_text(tiny_text)
    (tmp_path / "s.toml").write_text(SWEEP.replace("seeds = 2", "seeds = 1"))
    out = tmp_path / "out"
    evo = f"{sys.executable} -m evo.cli"
    script = (f"umask 002 && {evo} sweep s.toml --out out --workers 2 --quiet && {evo} sweep-report out && "
              f"{evo} report out --quiet && {evo} sweep s.toml --out out --quiet --backend serial")
    proc = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    modes = {str(p.relative_to(out)): oct(p.stat().st_mode & 0o777) for p in [out, *out.rglob("*")]}
    assert "index.sqlite" in modes and "report.html" in modes and "runs/size=4/seed-0/log.csv" in modes
    wrong = {name: mode for name, mode in modes.items()
             if mode != oct(0o775 if (out / name).is_dir() else 0o664)}
    assert not wrong
    assert not [name for name in modes if name.endswith(("-wal", "-shm", "-journal"))]


def test_serial_sweep_writes_normal_runs_an_index_a_report_and_figures(sweep_file: Path, tmp_path: Path
                                                                      ) -> None:
    out = tmp_path / "out"
    outcome = runner.run_sweep(sweep_file, out, backend="serial")
    assert (outcome.total, outcome.done, outcome.skipped, outcome.failed) == (4, 4, 0, {})
    rows = _rows(out)
    assert [(r["evolution.selection.size"], r["seed"], r["status"]) for r in rows] == [
        (1, 0, "done"), (1, 1, "done"), (4, 0, "done"), (4, 1, "done")]
    for r in rows:
        run = out / r["path"]
        for name in experiment.RUN_FILES:
            assert (run / name).is_file(), name
        summary = json.loads((run / "summary.json").read_text())
        assert r["train_fitness"] == summary["train"]["base_fitness"]["mean"]
        assert r["pseudo_fraction"] == summary["behaviour_classes"]["pseudo"]
        assert r["wall_time_s"] > 0
    # a sweep run is the same as running its cell's scenario directly
    s = spec.load_sweep(sweep_file)
    direct = api.run(s.cells[1].scenario, seed=1, out=tmp_path / "direct")
    swept = json.loads((out / "runs/size=4/seed-1/summary.json").read_text())
    assert {k: v for k, v in swept.items() if k != "wall_time_s"} == \
        {k: v for k, v in direct.summary.items() if k != "wall_time_s"}
    with sqlite3.connect(out / "index.sqlite") as db:  # WAL while the sweep ran; one file once it ended
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    report = estimates.report(out)
    assert report["runs"] == {"planned": 4, "done": 4, "pending": 0, "failed": 0}
    assert [(c["label"], c["runs"]) for c in report["cells"]] == [("size=1", 2), ("size=4", 2)]
    e = report["cells"][1]["values"]["train_fitness"]
    assert e.n == 2 and e.mean == pytest.approx(np.mean([r["train_fitness"] for r in rows[2:]]))
    table = report_text(report)
    assert "4/4 runs done" in table and "size=1" in table and "size=4" in table and "[" in table
    assert not outcome.figures and not (out / "figures").exists()  # a sweep writes data; plots draw
    figures = sweep_plots.make_all(out)
    expected_figures = {"summary", "train_fitness", "shift_fitness", "pseudo_fraction", "alignment"}
    assert expected_figures <= set(figures)
    assert all(p.stat().st_size > 10_000 for p in figures.values())


def test_rerun_skips_finished_runs_and_redoes_unfinished_ones(sweep_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    runner.run_sweep(sweep_file, out, backend="serial")
    before = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*/seed-*/summary.json")}
    # one run stopped half-way (its summary.json was written, meta.json still says running), one vanished
    half = out / "runs/size=4/seed-0"
    meta = json.loads((half / "meta.json").read_text())
    (half / "meta.json").write_text(json.dumps({**meta, "status": "running"}))
    gone = out / "runs/size=1/seed-1"
    for p in sorted(gone.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    gone.rmdir()
    outcome = runner.run_sweep(sweep_file, out, backend="serial")
    assert (outcome.done, outcome.skipped) == (4, 2)
    after = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*/seed-*/summary.json")}
    redone = {p.parent.relative_to(out / "runs").as_posix() for p in after if before.get(p) != after[p]}
    assert redone == {"size=4/seed-0", "size=1/seed-1"}
    rows = _rows(out)
    assert len(rows) == 4 and all(r["status"] == "done" for r in rows)
    assert json.loads((half / "meta.json").read_text())["status"] == "done"


def test_a_changed_sweep_never_mixes_with_old_runs(sweep_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    runner.run_sweep(sweep_file, out, backend="serial")
    sweep_file.write_text(SWEEP.replace('"evolution.generations" = 4', '"evolution.generations" = 5'))
    with pytest.raises(EvoError, match="different scenario"):
        runner.run_sweep(sweep_file, out, backend="serial")


def test_processes_and_dask_give_identical_runs(sweep_file: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    a, b = tmp_path / "processes", tmp_path / "dask"
    assert not runner.run_sweep(sweep_file, a, backend="processes", workers=2).failed
    assert not runner.run_sweep(sweep_file, b, backend="dask", workers=2).failed
    sa, sb = index.run_summaries(a), index.run_summaries(b)
    assert len(sa) == 4 and sa == sb
    for rid in sa:
        assert (a / rid / "log.csv").read_bytes() == (b / rid / "log.csv").read_bytes()
    assert [r["train_fitness"] for r in _rows(a)] == [r["train_fitness"] for r in _rows(b)]


def _early_checkpoints(out: Path) -> list[Path]:
    """Unfinished run directories whose checkpoint is at most at generation 40 (of 60)."""
    found = []
    for cp in (out / "runs").glob("*/seed-*/checkpoint.json"):
        try:
            if json.loads(cp.read_text())["generation"] <= 40:
                found.append(cp.parent)
        except (OSError, ValueError, KeyError):
            continue
    return found


def test_sigkill_mid_sweep_then_rerun_finishes_each_run_once(tmp_path: Path, tiny_text: str) -> None:
    psutil = pytest.importorskip("psutil")
    (tmp_path / "tiny.toml").write_text(tiny_text)
    path = tmp_path / "kill.toml"
    path.write_text('[sweep]\nname = "kill"\nbase = "tiny.toml"\nseeds = 3\n[fixed]\n'
                    '"evolution.generations" = 60\n"evolution.population" = 40\n'
                    '"evolution.checkpoint_every" = 5\n'
                    '[grid]\n"evolution.selection.size" = [2, 3]\n')
    out = tmp_path / "out"
    args = ["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet", "--no-figures"]
    cmd = [sys.executable, "-m", "evo.cli", *args]
    # tests/hooks/sitecustomize.py holds the first run that checkpoints generation 5 until it is killed,
    # so the sweep is killed in a known state: one run under way, the others free to finish
    hooks = str(Path(__file__).resolve().parents[1] / "hooks")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([hooks, os.environ.get("PYTHONPATH", "")]),
           "EVO_TEST_HOLD": f"{tmp_path}:5"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        done_at_kill: list[str] = []
        while proc.poll() is None:  # waits for states, not for a clock: the held run cannot finish
            if (tmp_path / "held").exists() and (out / "index.sqlite").exists():
                try:
                    done_at_kill = [r["run_id"] for r in _rows(out) if r["status"] == "done"]
                except (EvoError, sqlite3.Error):
                    done_at_kill = []
                if done_at_kill and _early_checkpoints(out):
                    break
            time.sleep(0.05)
        assert proc.poll() is None and 0 < len(done_at_kill) < 6, "the sweep must be killed part-way"
        workers = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    # the workers die with the coordinator: nothing keeps writing into the sweep directory
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
    # nothing half-written counts as done: an index row says done only where the run directory is finished
    rows = _rows(out)
    assert len(rows) == 6
    for r in rows:
        finished = json.loads((out / r["path"] / "meta.json").read_text())["status"] == "done" \
            if (out / r["path"] / "meta.json").exists() else False
        if r["status"] == "done":
            assert finished
    assert any(r["status"] != "done" for r in rows)
    stamps = {rid: (out / "runs" / rid / "summary.json").stat().st_mtime_ns for rid in done_at_kill}

    assert cli.main(args) == 0
    rows = _rows(out)
    assert sorted(r["run_id"] for r in rows) == sorted({r["run_id"] for r in rows}) and len(rows) == 6
    assert all(r["status"] == "done" for r in rows)
    for r in rows:
        assert json.loads((out / r["path"] / "meta.json").read_text())["status"] == "done"
    # runs finished before the kill were not run again
    assert all((out / "runs" / rid / "summary.json").stat().st_mtime_ns == t for rid, t in stamps.items())
    # runs cut short continued from their checkpoint, and ended exactly as a run never interrupted
    plan = spec.load_sweep(path)
    cells = {c.dirname: c for c in plan.cells}
    resumed_runs = [r for r in rows if "resumed" in json.loads((out / r["path"] / "meta.json").read_text())]
    assert resumed_runs
    for r in resumed_runs:
        fresh = api.run(cells[r["run_id"].split("/")[0]].scenario, seed=r["seed"],
                               out=tmp_path / "fresh" / r["run_id"]).summary
        resumed = json.loads((out / r["path"] / "summary.json").read_text())
        assert {k: v for k, v in resumed.items() if k != "wall_time_s"} == \
            {k: v for k, v in fresh.items() if k != "wall_time_s"}


def test_cli_sweep_and_report(sweep_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert cli.main(["sweep", str(sweep_file), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "4/4 runs done" in printed and "figures:" in printed and "index.sqlite" in printed
    assert cli.main(["sweep-report", str(out)]) == 0
    report = capsys.readouterr().out
    assert "train fitness" in report and "size=4" in report
    assert cli.main(["sweep-report", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["label"] for c in data["cells"]] == ["size=1", "size=4"] and data["runs"]["done"] == 4
    e = data["cells"][0]["values"]["train_fitness"]
    assert e["n"] == 2 and e["lo"] <= e["mean"] <= e["hi"]
    assert f"{e['mean']:+.3f} [{e['lo']:+.3f}, {e['hi']:+.3f}]" in report
    assert cli.main(["sweep-report", str(tmp_path)]) == 2
    assert "no index.sqlite" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text(SWEEP.replace("[1, 4]", "[1, 0]"))
    assert cli.main(["sweep", str(bad), "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    assert "bad.toml: key 'grid.evolution.selection.size[1]'" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------------
# names, paths, bounds and malformed results read back

ONE_RUN = '[fixed]\n"evolution.generations" = 2\n[grid]\n"evolution.selection.size" = [2]\n'


def _small_sweep(tmp_path: Path, tiny_text: str, out: Path, head: str = 'name = "small"\nseeds = 1\n',
                 body: str = ONE_RUN) -> Path:
    (tmp_path / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    path = tmp_path / "small.toml"
    path.write_text(f'[sweep]\n{head}base = "tiny.toml"\n{body}', encoding="utf-8")
    outcome = runner.run_sweep(path, out, backend="serial")
    assert not outcome.failed
    return out


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_a_unicode_sweep_writes_a_sweep_toml_that_reads_back_equal(
        tmp_path: Path, tiny_text: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Emoji and non-ASCII text in the name, description, axis label and cell labels: sweep.toml is written
    by tomli-w and tomllib reads back exactly what was planned (json.dumps made invalid surrogate escapes)."""
    import tomllib

    from evo.config.names import path_component

    name, description = "rød dør 🚪", "🎉 naïve – ü\nsecond line \"quoted\" \\ back"
    head = (f"name = {json.dumps(name, ensure_ascii=False)}\n"  # \\u escapes of surrogates are not TOML
            f"description = {json.dumps(description, ensure_ascii=False)}\nseeds = 1\n"
            'labels = { "scenario.description" = "beschreibung 📝" }\n')
    body = ('[fixed]\n"evolution.generations" = 2\n[grid]\n'
            '"scenario.description" = ["🎉 fête", "naïve ü", "a/b/../c"]\n')
    plan_path = tmp_path / "small.toml"
    (tmp_path / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    plan_path.write_text(f"[sweep]\n{head}base = \"tiny.toml\"\n{body}", encoding="utf-8")
    plan = spec.load_sweep(plan_path)
    assert spec.default_out(plan, tmp_path) == tmp_path / path_component(name)
    out = spec.default_out(plan, tmp_path)
    assert not runner.run_sweep(plan, out, backend="serial").failed
    record = tomllib.loads((out / "sweep.toml").read_text(encoding="utf-8"))["sweep"]
    assert record == {"name": name, "description": description, "source": str(plan_path),
                      "base": plan.base, "seeds": [0], "params": ["scenario.description"],
                      "cells": ["description=🎉 fête", "description=naïve ü", "description=a/b/../c"]}
    # every cell is one directory right under runs/, whatever its label holds
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(c.dirname for c in plan.cells)
    assert all("/" not in c.dirname for c in plan.cells)
    capsys.readouterr()
    assert cli.main(["sweep-report", str(out), "--figures"]) == 0
    report = capsys.readouterr().out
    assert "rød dør 🚪" in report and "description=🎉 fête" in report and "description=a/b/../c" in report


def test_cell_dirnames_keep_safe_names_and_encode_the_rest() -> None:
    from evo.config.names import path_component

    # the run ids of existing sweeps whose labels were already safe do not change
    for label in ("size=4", "steps=10__sigma=0.2", "fraction=0.125", "horizon=12", "sigma=1e-05"):
        assert spec.cell_dirname(label) == label
    assert spec.cell_dirname("selection=tournament(size=2)") == "selection=tournament(size=2)"
    for label in ("../x", "a/b", "..", ".hidden", "a\\b", "nul\x00byte", "esc\x1b[2J"):
        name = spec.cell_dirname(label)
        assert "/" not in name and "\\" not in name and name not in (".", "..") and not name.startswith(".")
        assert name == path_component(label)
    # a label too long for a file name is cut and made unique by a hash of the whole label
    a, b = "objects=" + "x" * 300 + "1", "objects=" + "x" * 300 + "2"
    da, db = spec.cell_dirname(a), spec.cell_dirname(b)
    assert da != db and "%~" in da and len(da.encode()) <= spec.CELL_DIR_BYTES
    assert da == spec.cell_dirname(a)  # deterministic: a resumed sweep finds its runs
    # the shipped diversity dial's long labels (whole object lists) make distinct, short directories
    root = Path(__file__).resolve().parents[2]
    dial = spec.load_sweep(root / "scenarios" / "sweeps" / "diversity_dial.toml")
    names = [c.dirname for c in dial.cells]
    assert len(set(names)) == len(names)
    assert all(len(n.encode()) <= spec.CELL_DIR_BYTES and "/" not in n for n in names)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=400), min_size=2, max_size=2, unique=True))
def test_cell_dirnames_are_injective_single_components(labels: list[str]) -> None:
    a, b = (spec.cell_dirname(label) for label in labels)
    assert a != b
    for name in (a, b):
        assert name and "/" not in name and "\x00" not in name and not name.startswith(".")
        assert len(name.encode("utf-8")) <= spec.CELL_DIR_BYTES


@pytest.mark.parametrize("char", ["#", "?", "%"])
def test_a_sweep_directory_whose_path_holds_uri_characters_works(tmp_path: Path, tiny_text: str, char: str
                                                                   ) -> None:
    """The index is opened read-only through a percent-encoded URI: '#', '?' and '%' in the sweep
    directory's path stay part of the path."""
    out = tmp_path / f"we{char}ird{char}23 dir"
    _small_sweep(tmp_path, tiny_text, out)
    meta, rows = index.read_index(out)
    assert meta["name"] == "small" and [r["status"] for r in rows] == ["done"]
    assert "1/1 runs done" in report_text(estimates.report(out))
    from evo.plots import sweep as sweep_plots

    assert "summary" in sweep_plots.make_all(out)
    assert index.index_uri(out / "index.sqlite").startswith("file:///")


def test_sweep_report_figures_never_write_outside_the_sweep_directory(tmp_path: Path, tiny_text: str,
                                                                     capsys: pytest.CaptureFixture[str]
                                                                     ) -> None:
    """A crafted index.sqlite whose metric columns are named '../../x', '/tmp/abs' and 'a/../../b': the
    figures land in figures/ under encoded names, and nothing appears anywhere else."""
    from evo.config.names import path_component

    out = _small_sweep(tmp_path, tiny_text, tmp_path / "deep" / "er" / "sweep")
    crafted = ["../../x", "/tmp/abs_evo_test", "a/../../b"]
    with sqlite3.connect(out / "index.sqlite") as db:
        metrics = json.loads(db.execute("SELECT value FROM meta WHERE key = 'metrics'").fetchone()[0])
        for c in crafted:
            db.execute(f'ALTER TABLE runs ADD COLUMN "{c}" REAL')
            db.execute(f'UPDATE runs SET "{c}" = 0.5')
            metrics.append({"column": c, "label": c, "headline": True})
        db.execute("UPDATE meta SET value = ? WHERE key = 'metrics'", (json.dumps(metrics),))
    before = {p for p in tmp_path.rglob("*")}
    assert cli.main(["sweep-report", str(out), "--figures"]) == 0
    new = {p for p in tmp_path.rglob("*")} - before
    assert new and all(out in p.parents for p in new), new
    assert all(p.parent == out / "figures" for p in new if p.suffix == ".png")
    for c in crafted:
        assert (out / "figures" / f"{path_component(c)}.png").is_file()
    assert not Path("/tmp/abs_evo_test.png").exists() and not (tmp_path / "deep" / "x.png").exists()


def test_report_intervals_stay_in_range_and_say_which_they_are(tmp_path: Path) -> None:
    """Two seeds per cell: a t-interval of a fraction at n = 2 reaches far outside [0, 1] (12.7 standard
    errors); the report clips fractions to [0, 1], cosines to [−1, 1] and generation counts to ≥ 0, leaves
    fitness unclipped, and a footnote line says so."""
    from evo.analysis import stats

    out = tmp_path / "sweep"
    out.mkdir()
    base = (Path(__file__).parents[1] / "data" / "bad_results" / "sweeps" / "_base" / "index.sql").read_text()
    with sqlite3.connect(out / "index.sqlite") as db:
        db.executescript(base)
        db.execute("UPDATE runs SET pseudo_fraction = 0.24, alignment = -0.9, gens_to_pseudo = 1, "
                   "train_fitness = 0.5 WHERE cell = 0")
        cols = [r[1] for r in db.execute("PRAGMA table_info(runs)")]
        row = dict(zip(cols, db.execute("SELECT * FROM runs WHERE cell = 0").fetchone(), strict=True))
        row.update(run_id="size=1/seed-1", seed=1, path="runs/size=1/seed-1", pseudo_fraction=1.0,
                   alignment=0.95, gens_to_pseudo=30, train_fitness=0.9)
        db.execute(f"INSERT INTO runs VALUES ({', '.join('?' for _ in cols)})", list(row.values()))
    report = estimates.report(out)
    values = report["cells"][0]["values"]
    assert (values["pseudo_fraction"].lo, values["pseudo_fraction"].hi) == (0.0, 1.0)  # clipped, as data
    assert values["pseudo_fraction"].method == "t-clipped" and values["train_fitness"].method == "t"
    table = report_text(report)
    line = next(ln for ln in table.splitlines() if ln.startswith("size=1"))
    # by hand: mean 0.62, sd 0.5374, half-width 12.706 · 0.5374 / √2 = 4.83 → [−4.21, 5.45] → [0, 1]
    assert "0.620 [0.000, 1.000]" in line
    assert "0.025 [-1.000, 1.000]" in line  # alignment
    assert "15.5 [0.0, 199.7]" in line  # generations: only the lower end is known (sd 20.5)
    e = stats.mean_interval([0.5, 0.9])
    assert f"+0.700 [{e.lo:+.3f}, {e.hi:+.3f}]" in line and e.lo < 0  # fitness: plain t, not clipped
    notes = [ln for ln in table.splitlines() if ln.startswith("intervals: ")]
    assert len(notes) == 1
    assert "train fitness, shift fitness: Student t over seeds (95 %);" in notes[0]
    assert "pseudo-aligned: Student t over seeds (95 %), clipped to [0, 1]" in notes[0]
    assert "alignment: Student t over seeds (95 %), clipped to [-1, 1]" in notes[0]
    assert "gens to pseudo: Student t over seeds (95 %), clipped to ≥ 0" in notes[0]
    # an index that records each cell's number of generations (evo sweep writes it) bounds them above too
    with sqlite3.connect(out / "index.sqlite") as db:
        cells = json.loads(db.execute("SELECT value FROM meta WHERE key = 'cells'").fetchone()[0])
        db.execute("UPDATE meta SET value = ? WHERE key = 'cells'",
                   (json.dumps([{**c, "generations": 20} for c in cells]),))
    table = report_text(estimates.report(out))
    assert "15.5 [0.0, 20.0]" in next(ln for ln in table.splitlines() if ln.startswith("size=1"))
    assert "gens to pseudo: Student t over seeds (95 %), clipped to [0, generations of the cell]" in table


def test_a_finished_run_whose_summary_cannot_be_read_back_is_run_again(tmp_path: Path, tiny_text: str
                                                                        ) -> None:
    out = _small_sweep(tmp_path, tiny_text, tmp_path / "out")
    run = out / "runs" / "size=2" / "seed-0"
    (run / "summary.json").write_text('{"train": "cut short', encoding="utf-8")
    with sqlite3.connect(out / "index.sqlite") as db:  # as if the sweep died before indexing it
        db.execute("UPDATE runs SET status = 'pending'")
    outcome = runner.run_sweep(tmp_path / "small.toml", out, backend="serial")
    assert (outcome.done, outcome.skipped, outcome.failed) == (1, 0, {})
    assert json.loads((run / "summary.json").read_text())["scenario"] == "tiny"


def test_sweep_into_a_directory_holding_a_foreign_index_is_one_error(tmp_path: Path, tiny_text: str,
                                                                     capsys: pytest.CaptureFixture[str]
                                                                     ) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.sqlite").write_bytes(b"not a database" * 100)
    (tmp_path / "tiny.toml").write_text(tiny_text)
    (tmp_path / "s.toml").write_text('[sweep]\nname = "s"\nbase = "tiny.toml"\nseeds = 1\n' + ONE_RUN)
    assert cli.main(["sweep", str(tmp_path / "s.toml"), "--out", str(out), "--backend", "serial", "--quiet"]
                    ) == 2
    err = capsys.readouterr().err  # not evo's: refused before SQLite opens it, and left as it was
    assert err.count("\n") == 1 and "holds files evo did not write there (index.sqlite)" in err
    assert (out / "index.sqlite").read_bytes() == b"not a database" * 100


BAD_RESULTS = Path(__file__).parents[1] / "data" / "bad_results" / "sweeps"
BAD_CASES = sorted(p.name for p in BAD_RESULTS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def _build_case(case: Path, root: Path) -> Path:
    """The sweep directory a corpus case describes (tests/data/bad_results/sweeps/README.md)."""
    import shutil
    import tomllib

    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    out = root / "sweep"
    out.mkdir()
    if (case / "index.sqlite").exists():
        shutil.copyfile(case / "index.sqlite", out / "index.sqlite")
    else:
        with sqlite3.connect(out / "index.sqlite") as db:
            db.executescript((BAD_RESULTS / "_base" / "index.sql").read_text(encoding="utf-8")
                             + spec.get("sql", ""))
    run = out / "runs" / "size=1" / "seed-0"
    run.mkdir(parents=True)
    summary = json.loads((BAD_RESULTS / "_base" / "summary.json").read_text(encoding="utf-8"))
    for key, value in spec.get("summary_patch", {}).items():
        *parents, last = key.split(".")
        node = summary
        for part in parents:
            node = node[part]
        if value == "__delete__":
            del node[last]
        else:
            node[last] = float("inf") if value == "__inf__" else value
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (run / "meta.json").write_text(spec.get("meta", json.dumps({"seed": 0, "status": "done",
                                                                "wall_time_s": 1.0})), encoding="utf-8")
    for name in ("summary.json", "meta.json"):
        if (case / name).exists():
            shutil.copyfile(case / name, run / name)
    return out


def test_the_bad_results_corpus_base_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each corpus case fails for the reason it names: without its change the base reads back."""
    out = tmp_path / "sweep"
    out.mkdir()
    with sqlite3.connect(out / "index.sqlite") as db:
        db.executescript((BAD_RESULTS / "_base" / "index.sql").read_text(encoding="utf-8"))
    assert cli.main(["sweep-report", str(out)]) == 0
    run = out / "runs" / "size=1" / "seed-0"
    run.mkdir(parents=True)
    (run / "summary.json").write_text((BAD_RESULTS / "_base" / "summary.json").read_text())
    (run / "meta.json").write_text(json.dumps({"seed": 0, "status": "done", "wall_time_s": 1.0}))
    assert metrics.headline_numbers(run, metrics.METRICS)["train_fitness"] == pytest.approx(0.634272459682155)
    assert list(index.run_summaries(out)) == ["runs/size=1/seed-0"]


@pytest.mark.parametrize("name", BAD_CASES)
def test_bad_sweep_results(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed or foreign index.sqlite, summary.json or meta.json read back: one line naming the file
    and what was expected (exit 2), never a traceback, never a file written outside the sweep."""
    import tomllib

    from evo.errors import EvoError

    case = BAD_RESULTS / name
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    out = _build_case(case, tmp_path)
    assert spec.get("commands") or spec.get("readers")
    for command in spec.get("commands", []):
        before = {p for p in tmp_path.rglob("*")}
        capsys.readouterr()
        assert cli.main([*command, str(out)]) == 2, command
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1 and captured.err.startswith("evo: error: "), captured.err
        assert "index.sqlite" in captured.err and spec["expect"] in captured.err, (command, captured.err)
        assert "Traceback" not in captured.err + captured.out
        assert all(out in p.parents for p in {p for p in tmp_path.rglob("*")} - before)
    run = out / "runs" / "size=1" / "seed-0"
    for reader in spec.get("readers", []):
        with pytest.raises(EvoError) as info:
            if reader == "run_summaries":
                index.run_summaries(out)
            else:
                metrics.headline_numbers(run, metrics.METRICS)
        message = str(info.value)
        assert str(run) in message and spec["expect"] in message, (reader, message)
        assert "\n" not in message


# --------------------------------------------------------------------------------------------------------
# selection schemes and replacement


def test_lexicase_keeps_specialists_that_tournament_loses() -> None:
    # 10 specialists each perfect on one world and poor elsewhere; 10 generalists a little better on average
    cases = np.full((20, 10), 0.0)
    cases[np.arange(10), np.arange(10)] = 1.0
    cases[10:] = 0.12
    fitness = cases.mean(1)
    lex = operators.selection.lexicase_select(fitness, 1000, np.random.default_rng(0), cases=cases)
    tour = operators.selection.tournament_select(fitness, 1000, np.random.default_rng(0), size=4)
    assert np.mean(np.array(lex) < 10) > 0.95 and np.mean(np.array(tour) < 10) < 0.1


def test_double_tournament_prefers_the_smaller_objective() -> None:
    fitness = np.ones(40)
    sizes = np.arange(40, dtype=float)
    chosen = operators.selection.double_tournament_select(fitness, 4000, np.random.default_rng(0), size=3,
                                                          parsimony=2.0, sizes=sizes)
    assert np.mean(sizes[chosen]) < 0.7 * sizes.mean()
    # and without parsimony pressure (1 = a fair coin between two) it is neutral on size
    neutral = operators.selection.double_tournament_select(fitness, 4000, np.random.default_rng(0), size=3,
                                                           parsimony=1.0, sizes=sizes)
    assert abs(np.mean(sizes[neutral]) - sizes.mean()) < 1.5


def test_rank_selection_is_linear_in_rank_and_blind_to_scale() -> None:
    fitness = np.array([0.0, 1.0, 2.0, 1000.0])
    rank = operators.selection.rank_select
    counts = np.bincount(rank(fitness, 40_000, np.random.default_rng(0), pressure=2.0), minlength=4)
    # expected shares (2 r / (n (n − 1))): 0, 1/6, 2/6, 3/6
    assert counts[0] == 0 and np.allclose(counts / 40_000, [0, 1 / 6, 2 / 6, 3 / 6], atol=0.01)
    flat = np.bincount(rank(fitness, 40_000, np.random.default_rng(0), pressure=1.0), minlength=4)
    assert np.allclose(flat / 40_000, 0.25, atol=0.01)


def test_the_loop_hands_cases_and_sizes_only_to_schemes_that_take_them() -> None:
    assert operators.SELECTION["lexicase"].accepts("cases")
    assert operators.SELECTION["double_tournament"].accepts("sizes")
    assert not operators.SELECTION["tournament"].accepts("cases")


def _scenario(tiny_text: str, evolution: str, **replace: str) -> schema.Scenario:
    text = tiny_text.replace("[evolution]", "[evolution]\n" + evolution)
    for old, new in replace.items():
        text = text.replace(old, new)
    return scenario_mod.loads(text, source="tiny.toml")


@pytest.mark.parametrize("evolution", [
    'replacement = "mu_plus_lambda"\noffspring = 30\nselection = { scheme = "tournament", size = 3 }',
    'replacement = "mu_comma_lambda"\noffspring = 36\nselection = { scheme = "tournament", size = 2 }',
    'replacement = "mu_comma_lambda"\nselection = { scheme = "lexicase" }',
    'selection = { scheme = "double_tournament" }',
    'selection = { scheme = "auto_epsilon_lexicase" }',
])
def test_replacement_keeps_ids_unique_and_parents_real(tiny_text: str, evolution: str) -> None:
    s = _scenario(tiny_text, evolution)
    problem, streams = Problem.from_scenario(s), Streams.from_seed(2)
    state = initial_state(problem, streams)
    seen = set(state.ids.tolist())
    for _ in range(5):
        nxt, _gen = step(problem, state, streams, None)
        assert len(nxt.genomes) == s.evolution.population
        assert len(set(nxt.ids.tolist())) == len(nxt.ids)
        new = ~np.isin(nxt.ids, state.ids)
        assert set(nxt.ids[new].tolist()).isdisjoint(seen)  # never reuses an id
        # every newborn's parents lived in the previous generation
        assert np.isin(nxt.parents[new, 0], state.ids).all()
        second = nxt.parents[new, 1]
        assert np.isin(second[second >= 0], state.ids).all()
        seen |= set(nxt.ids.tolist())
        state = nxt


def test_mu_plus_lambda_with_truncation_never_loses_its_best(tiny_text: str) -> None:
    s = _scenario(tiny_text, 'replacement = "mu_plus_lambda"\nelitism = 0\nselection = { scheme = "best" }',
                  **{"steps = 15": "steps = 15\nresample = false"})
    problem, streams = Problem.from_scenario(s), Streams.from_seed(0)
    fixed = problem.draw(s.worlds.train, s.evolution.worlds_per_generation, streams.train_worlds)
    state, best = initial_state(problem, streams), []
    for _ in range(6):
        state, gen = step(problem, state, streams, fixed)
        best.append(gen.fitness.max())
    assert all(b >= a for a, b in itertools.pairwise(best))


@pytest.mark.parametrize(("evolution", "phrase"), [
    ("offspring = 10", "0 (offspring is λ"),
    ('replacement = "mu_comma_lambda"\noffspring = 10', "at least the population"),
    ('replacement = "mu_plus"', "one of 'generational'"),
])
def test_bad_replacement_settings_are_scenario_errors(tiny_text: str, evolution: str, phrase: str) -> None:
    with pytest.raises(ScenarioError) as info:
        _scenario(tiny_text, evolution)
    assert info.value.key in ("evolution.offspring", "evolution.replacement") and phrase in str(info.value)


def test_lexicase_run_is_reproducible_and_differs_from_tournament(tiny_text: str, tmp_path: Path) -> None:
    lex = _scenario(tiny_text, 'selection = { scheme = "lexicase" }')
    a = api.run(lex, seed=4, out=tmp_path / "a").summary
    b = api.run(lex, seed=4, out=tmp_path / "b").summary
    c = api.run(_scenario(tiny_text, ""), seed=4, out=tmp_path / "c").summary
    for d in (a, b, c):
        d.pop("wall_time_s")
    assert a == b and a["champion"]["genome"] != c["champion"]["genome"]


def test_two_swept_parameters_draw_heat_maps(tmp_path: Path, tiny_text: str) -> None:
    (tmp_path / "tiny.toml").write_text(tiny_text)
    path = tmp_path / "two.toml"
    path.write_text('[sweep]\nname = "two"\nbase = "tiny.toml"\nseeds = 1\n'
                    '[fixed]\n"evolution.generations" = 2\n'
                    '[grid]\n"evolution.selection.size" = [1, 3]\n"evolution.mutation.sigma" = [0.1, 0.3]\n')
    outcome = runner.run_sweep(path, tmp_path / "out", backend="serial")
    assert outcome.done == 4 and sweep_plots.make_all(tmp_path / "out")["summary"].stat().st_size > 10_000
    meta, rows = index.read_index(tmp_path / "out")
    assert meta["params"] == ["evolution.selection.size", "evolution.mutation.sigma"]
    assert sorted((r["evolution.selection.size"], r["evolution.mutation.sigma"]) for r in rows) == [
        (1, 0.1), (1, 0.3), (3, 0.1), (3, 0.3)]
