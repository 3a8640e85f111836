"""Reliability: checkpoints and resume (SIGKILL, Ctrl-C), corrupt checkpoints, disk full, determinism."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import interrupted_run

from evo import cli
from evo.api import resume, run
from evo.errors import EvoError
from evo.runs import checkpoint
from evo.runs import files as results

FINAL_FILES = ("log.csv", "final_population.npz", "lineage.csv", "lineage.graphml", "lineage_founders.csv",
               "champion_episodes.npz")


def _scenario(tmp_path: Path, tiny_text: str, generations: int = 12, population: int = 24) -> Path:
    text = tiny_text.replace("generations = 6", f"generations = {generations}\ncheckpoint_every = 3")
    text = text.replace("population = 24", f"population = {population}")
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def _same_results(a: Path, b: Path) -> None:
    for name in FINAL_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    sa.pop("wall_time_s")
    sb.pop("wall_time_s")
    assert sa == sb


def test_stop_request_writes_checkpoint_and_resume_is_identical(tmp_path: Path, tiny_text: str) -> None:
    scen = _scenario(tmp_path, tiny_text)
    run(scen, seed=3, out=tmp_path / "whole", figures=False)
    assert interrupted_run(scen, 3, tmp_path / "cut", stop_at_question=5) == 5
    meta = json.loads((tmp_path / "cut" / "meta.json").read_text())
    assert meta["status"] == "interrupted" and checkpoint.exists(tmp_path / "cut")
    assert not (tmp_path / "cut" / "summary.json").exists()
    resume(tmp_path / "cut", figures=False)
    assert not checkpoint.exists(tmp_path / "cut")
    assert json.loads((tmp_path / "cut" / "meta.json").read_text())["status"] == "done"
    _same_results(tmp_path / "whole", tmp_path / "cut")


def test_a_learner_run_resumes_identically(tmp_path: Path, tiny_text: str) -> None:
    """Learners (lives of 2 episodes, a fruit colour drawn per lifetime): the world draws and the lives
    continue from the checkpoint exactly."""
    text = tiny_text.replace('kind = "mesa"', 'kind = "learner"\nlifetime = 2').replace(
        "{ features = { door = 1.0, red = 1.0 }, count = 1 },",
        '{ variants = [{ p = 0.5, features = ["door", "red"] }, { p = 0.5, features = ["door", "blue"] }], '
        'variant_per = "lifetime" },', 1)
    assert "variant_per" in text
    scen = _scenario(tmp_path, text)
    run(scen, seed=2, out=tmp_path / "whole", figures=False)
    interrupted_run(scen, 2, tmp_path / "cut", stop_at_question=7)
    resume(tmp_path / "cut", figures=False)
    _same_results(tmp_path / "whole", tmp_path / "cut")
    assert "lifetime" in json.loads((tmp_path / "cut" / "summary.json").read_text())


def test_resume_without_checkpoint_starts_over_identically(tmp_path: Path, tiny_text: str) -> None:
    scen = _scenario(tmp_path, tiny_text)
    run(scen, seed=4, out=tmp_path / "whole", figures=False)
    out = tmp_path / "early"
    run(scen, seed=4, out=out, figures=False)
    # as if killed before its first checkpoint: only meta.json (running) and scenario.toml survive
    for p in out.iterdir():
        if p.name not in ("meta.json", "scenario.toml"):
            p.unlink() if p.is_file() else None
    meta = json.loads((out / "meta.json").read_text())
    meta["status"] = "running"
    (out / "meta.json").write_text(json.dumps(meta))
    resume(out, figures=False)
    _same_results(tmp_path / "whole", out)


def _interrupted(tmp_path: Path, tiny_text: str) -> Path:
    out = tmp_path / "cut"
    interrupted_run(_scenario(tmp_path, tiny_text), 1, out, stop_at_question=4)
    return out


def test_truncated_checkpoint_npz_is_refused(tmp_path: Path, tiny_text: str) -> None:
    out = _interrupted(tmp_path, tiny_text)
    npz = checkpoint.npz_path(out)
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    with pytest.raises(EvoError, match="corrupt checkpoint"):
        resume(out, figures=False)


@pytest.mark.parametrize("edit", [
    lambda d: d.update(generation=d["generation"] + 1),
    lambda d: d["streams"]["selection"]["numpy"]["state"].update(state=7),
    lambda d: d.pop("npz_sha256"),
])
def test_edited_checkpoint_json_is_refused(tmp_path: Path, tiny_text: str, edit) -> None:
    out = _interrupted(tmp_path, tiny_text)
    data = json.loads((out / checkpoint.JSON).read_text())
    edit(data)
    (out / checkpoint.JSON).write_text(json.dumps(data))
    with pytest.raises(EvoError, match="edited or corrupt"):
        resume(out, figures=False)


def test_garbage_checkpoint_json_is_refused(tmp_path: Path, tiny_text: str) -> None:
    out = _interrupted(tmp_path, tiny_text)
    (out / checkpoint.JSON).write_text("{not json")
    with pytest.raises(EvoError, match="not valid JSON"):
        resume(out, figures=False)


def test_pickled_object_array_in_checkpoint_fails_cleanly(tmp_path: Path, tiny_text: str) -> None:
    out = _interrupted(tmp_path, tiny_text)
    npz = checkpoint.npz_path(out)
    arrays = dict(np.load(npz))
    arrays["genomes"] = np.array([{"evil": "payload"}], dtype=object)
    with open(npz, "wb") as fh:
        np.savez(fh, **arrays)  # numpy pickles the object array
    data = json.loads((out / checkpoint.JSON).read_text())
    data["npz_sha256"] = checkpoint._digest(npz)  # a crafted, self-consistent checkpoint
    (out / checkpoint.JSON).write_text(json.dumps(checkpoint._sealed(data)))
    with pytest.raises(EvoError, match="not a readable NPZ of plain arrays"):
        resume(out, figures=False)


def test_resume_refuses_a_finished_run(tmp_path: Path, tiny_text: str) -> None:
    scen = _scenario(tmp_path, tiny_text)
    run(scen, seed=1, out=tmp_path / "done", figures=False)
    assert cli.main(["run", "--resume", str(tmp_path / "done"), "--quiet"]) == 2


def test_unwritable_results_directory_is_a_clear_error(tmp_path: Path, tiny_text: str, capsys) -> None:
    scen = _scenario(tmp_path, tiny_text)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    assert cli.main(["run", str(scen), "--out", str(blocker / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not writable" in err and "Traceback" not in err


def test_disk_full_mid_run_fails_cleanly(tmp_path: Path, tiny_text: str, capsys, monkeypatch) -> None:
    scen = _scenario(tmp_path, tiny_text)
    real = results.write_npz

    def full_disk(path, arrays):
        if Path(path).name == "final_population.npz":
            # what the OS says when the disk fills while writing: the temp file is removed, nothing renamed
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, arrays)

    monkeypatch.setattr(results, "write_npz", full_disk)
    out = tmp_path / "full"
    assert cli.main(["run", str(scen), "--out", str(out), "--quiet", "--no-figures"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert json.loads((out / "meta.json").read_text())["status"] == "failed"
    assert not (out / "final_population.npz").exists() and not (out / "summary.json").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_results_do_not_depend_on_global_random_state(tmp_path: Path, tiny_text: str) -> None:
    scen = _scenario(tmp_path, tiny_text, generations=4)
    run(scen, seed=9, out=tmp_path / "a", figures=False)
    random.seed(12345)
    np.random.seed(54321)  # noqa: NPY002 (on purpose: pollute the legacy global state)
    [random.random() for _ in range(1000)]
    run(scen, seed=9, out=tmp_path / "b", figures=False)
    _same_results(tmp_path / "a", tmp_path / "b")


def _cli_run(args: list[str], env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "evo.cli", *args], env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_results_do_not_depend_on_pythonhashseed(tmp_path: Path, tiny_text: str) -> None:
    scen = _scenario(tmp_path, tiny_text, generations=4)
    procs = [_cli_run(["run", str(scen), "--out", str(tmp_path / f"h{h}"), "--quiet", "--no-figures"],
                      env={"PYTHONHASHSEED": str(h)}) for h in (1, 2)]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    _same_results(tmp_path / "h1", tmp_path / "h2")


PAUSE = Path(__file__).resolve().parents[1] / "pause_point.py"


def _paused_run(point: str, value: int, args: list[str]) -> subprocess.Popen:
    """`evo ARGS` that stops at a known point and waits (tests/pause_point.py); returns once it waits."""
    proc = subprocess.Popen([sys.executable, str(PAUSE), f"--{point}", str(value), "--", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the pause point is reached (or the process ends)
    if line.strip() != "PAUSED":
        proc.kill()
        _, err = proc.communicate(timeout=60)
        raise AssertionError(f"never reached --{point} {value}: {line!r} {err}")
    return proc


def _go_on(proc: subprocess.Popen) -> None:
    assert proc.stdin is not None
    proc.stdin.write("\n")
    proc.stdin.flush()


def test_ctrl_c_checkpoints_and_exits_130(tmp_path: Path, tiny_text: str) -> None:
    """SIGINT while generation 4 of 12 is about to run: the run finishes that generation, checkpoints
    before generation 5, exits 130, and says how to resume; the resumed run equals an uninterrupted one."""
    scen = _scenario(tmp_path, tiny_text)
    whole, out = tmp_path / "whole", tmp_path / "ctrlc"
    run(scen, seed=0, out=whole, figures=False)
    proc = _paused_run("generation", 4, ["run", str(scen), "--seed", "0", "--out", str(out), "--quiet",
                                         "--no-figures"])
    proc.send_signal(signal.SIGINT)
    _go_on(proc)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "resume with: evo run --resume" in err and "Traceback" not in err
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "interrupted" and meta["stopped_before_generation"] == 5
    assert json.loads((out / checkpoint.JSON).read_text())["generation"] == 5
    assert not (out / "summary.json").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert cli.main(["run", "--resume", str(out), "--quiet", "--no-figures"]) == 0
    _same_results(whole, out)


def _renames_of_a_whole_run(scen: Path, out: Path) -> int:
    proc = subprocess.run([sys.executable, str(PAUSE), "--", "run", str(scen), "--out", str(out), "--quiet",
                           "--no-figures"], capture_output=True, text=True, timeout=600, check=True)
    return int(proc.stderr.rsplit("REPLACES", 1)[1])


@pytest.mark.slow
def test_sigkill_at_many_points_then_resume_is_byte_identical(tmp_path: Path) -> None:
    """SIGKILL `evo run` at 12 known points of a 30-generation run (checkpoint every 3): before six
    generations and just before six of its file renames, spread over the whole run (first checkpoint,
    between a checkpoint's NPZ and its JSON, the final files). Every killed run resumes to files
    byte-identical to an uninterrupted run's."""
    root = Path(__file__).resolve().parents[2]
    text = (root / "scenarios" / "red_door.toml").read_text()
    text = text.replace("generations = 100", "generations = 30\ncheckpoint_every = 3")
    scen = tmp_path / "rd.toml"
    scen.write_text(text)
    whole = tmp_path / "whole"
    renames = _renames_of_a_whole_run(scen, whole)
    assert renames > 20  # scenario.toml, meta.json, 2 per checkpoint, the final files
    points = [("generation", g) for g in (1, 3, 4, 14, 20, 29)]
    points += [("replace", n) for n in (3, 4, 5, renames // 2, renames - 4, renames)]
    seen = set()
    for k, (point, value) in enumerate(points):
        out = tmp_path / f"kill{k}"
        proc = _paused_run(point, value, ["run", str(scen), "--out", str(out), "--quiet", "--no-figures"])
        proc.kill()
        proc.communicate(timeout=60)
        if checkpoint.exists(out):
            seen.add(json.loads((out / checkpoint.JSON).read_text())["generation"])
        resumed = _cli_run(["run", "--resume", str(out), "--quiet", "--no-figures"])
        assert resumed.wait(300) == 0, (point, value, resumed.stderr.read() if resumed.stderr else "")
        _same_results(whole, out)
    assert len(seen) >= 4, f"kills fell at too few distinct checkpoints: {sorted(seen)}"


def test_a_log_value_that_is_not_finite_is_refused_at_checkpoint_time(tmp_path: Path) -> None:
    """What a checkpoint holds it must be able to restore (restore refuses non-finite log values), so the
    save says so, naming the column and generation, and writes nothing."""
    from evo.core.state import EvolutionState
    from evo.evolution.log import Log
    from evo.evolution.streams import Streams

    state = EvolutionState(2, np.zeros((3, 4)), np.arange(3), np.full((3, 2), -1), 3)
    rows = Log([{"gen": 0, "train_mean": 0.5}, {"gen": 1, "train_mean": float("inf")}])
    with pytest.raises(EvoError, match=r"log column 'train_mean' of generation 1 is inf"):
        checkpoint.save(tmp_path, state, rows, Streams.from_seed(0), None, "")
    assert list(tmp_path.iterdir()) == []
