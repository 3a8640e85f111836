"""Run directories are owned (evo.runs.rundir): user files survive, interrupted runs are not thrown away, two
processes never interleave, names never escape the results directory, files honour the umask."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import held_elsewhere, interrupted_run

from evo import cli
from evo.runs import rundir
from evo.runs.run import default_out
from evo.runs.scenarios import loads


@pytest.fixture
def tiny_file(tmp_path: Path, tiny_text: str) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_text.replace("generations = 6", "generations = 4\ncheckpoint_every = 2"))
    return path


def _run(scen: Path, out: Path, *extra: str) -> int:
    return cli.main(["run", str(scen), "--out", str(out), "--quiet", "--no-figures", *extra])


@pytest.mark.parametrize("force", [False, True])
def test_user_files_in_a_non_run_directory_survive(tiny_file: Path, tmp_path: Path, capsys, force) -> None:
    out = tmp_path / "mine"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "holiday.png").write_bytes(b"my picture")
    (out / "summary.json").write_text('{"mine": true}')
    (out / "notes.txt").write_text("keep me")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert _run(tiny_file, out, *(["--force"] if force else [])) == 2
    err = capsys.readouterr().err
    assert "is not an evo run" in err and "notes.txt" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not (out / rundir.LOCK).exists()


def test_force_never_deletes_through_a_symlinked_figures_dir(tiny_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out) == 0
    elsewhere = tmp_path / "photos"
    elsewhere.mkdir()
    (elsewhere / "cat.png").write_bytes(b"cat")
    (out / "figures").rmdir()
    (out / "figures").symlink_to(elsewhere)
    assert _run(tiny_file, out, "--force") == 2
    assert "files evo did not write" in capsys.readouterr().err
    assert (elsewhere / "cat.png").read_bytes() == b"cat"


def test_force_replaces_every_file_of_the_previous_run_and_no_other(tiny_file: Path, tmp_path: Path,
                                                                    tiny_text: str) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out) == 0
    assert (out / "lineage.csv").exists()
    (out / "figures" / "stale.png").write_bytes(b"old figure")
    no_lineage = tmp_path / "off.toml"
    no_lineage.write_text(tiny_text.replace("eval_worlds = 8", 'eval_worlds = 8\nlineage = "off"'))
    assert _run(no_lineage, out) == 2  # finished: needs --force
    assert _run(no_lineage, out, "--force") == 0
    assert not (out / "lineage.csv").exists() and not (out / "lineage.graphml").exists()
    assert not (out / "figures" / "stale.png").exists()


def test_rerun_into_an_interrupted_run_offers_resume_and_keeps_its_checkpoint(tiny_file: Path, tmp_path: Path,
                                                                              capsys) -> None:
    from evo.runs import checkpoint

    out = tmp_path / "cut"
    interrupted_run(tiny_file, 0, out, stop_at_question=2)
    saved = (out / checkpoint.JSON).read_bytes()
    assert _run(tiny_file, out) == 2
    err = capsys.readouterr().err
    assert "unfinished run" in err and f"evo run --resume {out}" in err
    assert (out / checkpoint.JSON).read_bytes() == saved
    assert cli.main(["run", "--resume", str(out), "--quiet", "--no-figures"]) == 0


def test_a_locked_run_directory_is_refused(tiny_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    with held_elsewhere(out):  # as another process writing it would hold it
        assert _run(tiny_file, out) == 2
        assert "another evo process is writing" in capsys.readouterr().err
        assert not (out / "meta.json").exists()
    assert _run(tiny_file, out) == 0  # released


def test_a_running_runs_resume_is_refused_while_it_is_locked(tiny_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out) == 0
    meta = json.loads((out / "meta.json").read_text())
    meta["status"] = "running"
    (out / "meta.json").write_text(json.dumps(meta))
    with held_elsewhere(out):
        assert cli.main(["run", "--resume", str(out), "--quiet", "--no-figures"]) == 2
    assert "another evo process is writing" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["../../escape", "/etc/evil", "a/b", "..", ".", "x\\y", "%2E%2E"])
def test_scenario_names_never_make_paths_outside_results(tiny_text: str, tmp_path: Path, name: str) -> None:
    s = loads(tiny_text.replace('name = "tiny"', f"name = {json.dumps(name)}"), source="t.toml")
    path = default_out(s, 3, root=tmp_path / "results")
    assert path.parent.parent == tmp_path / "results"
    assert path.parent.name not in ("", ".", "..") and "/" not in path.parent.name
    assert path.resolve().is_relative_to((tmp_path / "results").resolve())


def test_different_names_give_different_directories(tiny_text: str) -> None:
    names = ["a/b", "a%2Fb", "a_b", "a b", "a%b", "日本"]
    dirs = {default_out(loads(tiny_text.replace('name = "tiny"', f"name = {json.dumps(n)}")), 0).parent.name
            for n in names}
    assert len(dirs) == len(names)


def test_a_run_escaping_name_writes_inside_the_working_directory(tiny_text: str, tmp_path: Path,
                                                                 monkeypatch) -> None:
    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    scen = work / "s.toml"
    scen.write_text(tiny_text.replace('name = "tiny"', 'name = "../../x"').replace("generations = 6",
                                                                                    "generations = 2"))
    assert cli.main(["run", str(scen), "--quiet", "--no-figures"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]
    assert [p.relative_to(work).parts[:1] for p in work.rglob("meta.json")] == [("results",)]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_result_files_honour_the_umask(tiny_file: Path, tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        out = tmp_path / "run"
        assert cli.main(["run", str(tiny_file), "--out", str(out), "--quiet"]) == 0
    finally:
        os.umask(old)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 10
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask, p
