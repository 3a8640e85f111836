"""Owned directories (evo.runs.owned): every command that writes takes the directory's lock, refuses a lock
that is a link or not a regular file, writes only into a directory it owns and never through a symlink, and
a run directory's --force removes exactly what evo wrote there, whichever command wrote it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import held_elsewhere

from evo import cli
from evo.runs import owned

SWEEP = """
[sweep]
name = "tiny_sweep"
base = "tiny.toml"
seeds = 1

[fixed]
"evolution.generations" = 2

[grid]
"evolution.selection.size" = [1, 4]
"""


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("evo: error: ") and "Traceback" not in err[0], err
    return err[0]


@pytest.fixture
def tiny_file(tmp_path: Path, tiny_text: str) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_text.replace("generations = 6", "generations = 3"))
    return path


@pytest.fixture
def sweep_file(tmp_path: Path, tiny_file: Path) -> Path:
    path = tmp_path / "tiny_sweep.toml"
    path.write_text(SWEEP)
    return path


def _run(scen: Path, out: Path, *extra: str) -> int:
    return cli.main(["run", str(scen), "--out", str(out), "--quiet", "--no-figures", *extra])


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "precious.txt"
    victim.write_text("a user's file that a lock must never empty\n")
    return victim


def _unfinished(scen: Path, out: Path) -> None:
    assert _run(scen, out) == 0
    meta = json.loads((out / "meta.json").read_text())
    meta["status"] = "running"
    (out / "meta.json").write_text(json.dumps(meta))


# --------------------------------------------------------------------------------------------------------
# the lock


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
@pytest.mark.parametrize("command", ["run", "force", "resume", "sweep"])
def test_a_linked_lock_is_refused_and_its_target_untouched(command: str, link: str, tiny_file: Path,
                                                           sweep_file: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    if command in ("force", "resume"):
        (_unfinished if command == "resume" else _run)(tiny_file, out)
        (out / ".evo.lock").unlink()
    else:
        out.mkdir()
    lock = out / (".lock" if command == "sweep" else ".evo.lock")
    if link == "symlink":
        lock.symlink_to(victim)
    else:
        os.link(victim, lock)
    before = victim.read_bytes()
    capsys.readouterr()
    argv = {"run": ["run", str(tiny_file), "--out", str(out)],
            "force": ["run", str(tiny_file), "--out", str(out), "--force"],
            "resume": ["run", "--resume", str(out)],
            "sweep": ["sweep", str(sweep_file), "--out", str(out), "--backend", "serial"]}[command]
    assert cli.main([*argv, "--quiet", "--no-figures"]) == 2
    err = _one_error(capsys)
    assert lock.name in err  # named: as a link, or as a file evo did not write
    assert victim.read_bytes() == before
    assert not (out / "summary.json").exists() or command in ("force", "resume")
    assert not (out / "sweep.toml").exists()


def test_a_lock_that_is_a_fifo_is_refused_without_waiting(tiny_file: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / ".evo.lock")
    assert _run(tiny_file, out) == 2
    assert "not a regular file" in _one_error(capsys)


def test_a_probe_while_another_process_writes_the_run_is_refused_and_stores_nothing(
        tiny_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out) == 0
    before = _tree(out)
    capsys.readouterr()
    for argv in (["probe", str(out), "--layouts", "1"], ["report", str(out)], ["animate", str(out)],
                 ["lineage", str(out)]):
        with held_elsewhere(out):
            assert cli.main(argv) == 2, argv
            assert "another evo process is writing this run directory" in _one_error(capsys)
    assert _tree(out) == before


def test_two_probes_of_different_worlds_keep_both_results(tiny_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out) == 0
    for world in ("train", "blue_doors"):
        assert cli.main(["probe", str(out), "--world", world, "--layouts", "1", "--no-figures"]) == 0
    assert sorted(json.loads((out / "probe.json").read_text())) == ["blue_doors", "train"]


# --------------------------------------------------------------------------------------------------------
# what a directory may hold


@pytest.mark.parametrize("mine", [{"notes.txt": b"keep me"}, {"sweep.toml": b"[sweep]\nmine = true\n"},
                                  {"figures/summary.png": b"my picture"}, {"index.sqlite": b"my data"},
                                  {"runs/a/seed-0/x": b"deep"}])
def test_a_sweep_into_a_directory_of_the_users_files_is_refused_and_they_survive(
        mine: dict[str, bytes], sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine"
    for rel, data in mine.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    before = _tree(out)
    capsys.readouterr()
    assert cli.main(["sweep", str(sweep_file), "--out", str(out), "--backend", "serial", "--quiet"]) == 2
    assert "holds files evo did not write" in _one_error(capsys)
    assert _tree(out) == before
    assert not (out / ".lock").exists()


def test_a_sweep_refuses_a_symlinked_cell_directory(sweep_file: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sweep"
    assert cli.main(["sweep", str(sweep_file), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    elsewhere = tmp_path / "elsewhere"
    (out / "runs" / "size=1").rename(elsewhere)
    (out / "runs" / "size=1").symlink_to(elsewhere)
    capsys.readouterr()
    assert cli.main(["sweep", str(sweep_file), "--out", str(out), "--backend", "serial", "--quiet"]) == 2
    assert "size=1" in _one_error(capsys)


def test_report_animate_probe_then_force_replaces_exactly_evos_files(tiny_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert cli.main(["run", str(tiny_file), "--out", str(out), "--quiet"]) == 0
    for argv in (["report", str(out)], ["animate", str(out)], ["probe", str(out), "--layouts", "1"],
                 ["lineage", str(out), "--individual", "0"]):
        assert cli.main(argv) == 0, argv
    assert {"report.html", "probe.json", "figures/champion.gif", "figures/probe.png"} <= set(_tree(out))
    assert _run(tiny_file, out, "--force") == 0
    left = set(_tree(out))
    assert not left & {"report.html", "probe.json", "figures/champion.gif", "figures/probe.png"}
    assert "summary.json" in left


def test_analyze_writes_only_into_its_own_directory(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "diversity.csv").write_text("my own table\n")
    capsys.readouterr()
    assert cli.main(["analyze", "diversity", str(tmp_path), "--out", str(out)]) == 2
    assert "diversity.csv" in _one_error(capsys)
    assert (out / "diversity.csv").read_text() == "my own table\n"


# --------------------------------------------------------------------------------------------------------
# symlinks on the way


@pytest.mark.parametrize("argv", [["animate"], ["lineage"], ["probe", "--layouts", "1"], ["figures"]])
def test_a_symlinked_figures_directory_is_refused_and_nothing_is_written_through_it(
        argv: list[str], tiny_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out) == 0
    elsewhere = tmp_path / "photos"
    elsewhere.mkdir()
    (out / "figures").rmdir()
    (out / "figures").symlink_to(elsewhere)
    capsys.readouterr()
    if argv == ["figures"]:
        from evo import api

        with pytest.raises(Exception, match="symlink"):
            api.save_figures(out)
    else:
        assert cli.main([argv[0], str(out), *argv[1:]]) == 2
        assert "symlink" in _one_error(capsys)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("command", ["report", "animate"])
def test_out_file_is_new_or_replaced_only_with_force_and_never_a_symlink(
        command: str, tiny_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out) == 0
    page = tmp_path / ("page.html" if command == "report" else "a.gif")
    page.write_text("mine")
    capsys.readouterr()
    assert cli.main([command, str(out), "--out", str(page)]) == 2
    assert "--force" in _one_error(capsys) and page.read_text() == "mine"
    victim = _victim(tmp_path)
    link = tmp_path / ("link.html" if command == "report" else "link.gif")
    link.symlink_to(victim)
    assert cli.main([command, str(out), "--out", str(link), "--force"]) == 2
    assert "symlink" in _one_error(capsys) and link.is_symlink()
    assert victim.read_text().startswith("a user's file")
    assert cli.main([command, str(out), "--out", str(page), "--force"]) == 0
    assert page.stat().st_size > 1000


def test_a_symlinked_run_directory_is_refused_for_post_hoc_commands(
        tiny_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert _run(tiny_file, out) == 0
    link = tmp_path / "link"
    link.symlink_to(out)
    capsys.readouterr()
    assert cli.main(["report", str(link)]) == 2
    assert "symlink" in _one_error(capsys) and not (out / "report.html").exists()


# --------------------------------------------------------------------------------------------------------
# leftovers


def test_temporaries_of_an_interrupted_writer_are_swept_by_resume_and_by_the_next_writer(
        tiny_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _unfinished(tiny_file, out)
    left = [out / ".summary.json.0123456789ab.tmp", out / "figures" / ".fitness.0123456789ab.tmp.png"]
    for p in left:
        p.write_text("half")
    assert cli.main(["run", "--resume", str(out), "--quiet", "--no-figures"]) == 0
    assert not any(p.exists() for p in left)
    for p in left:
        p.write_text("half")
    assert cli.main(["report", str(out)]) == 0
    assert not any(p.exists() for p in left)
    assert not [p for p in out.rglob("*.tmp*")]


def test_a_sweep_can_redo_a_run_that_post_hoc_commands_wrote_into(sweep_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    argv = ["sweep", str(sweep_file), "--out", str(out), "--backend", "serial", "--quiet"]
    assert cli.main(argv) == 0
    assert cli.main(["report", str(out)]) == 0
    run = out / "runs" / "size=1" / "seed-0"
    assert cli.main(["animate", str(run)]) == 0
    assert (run / "report.html").exists() and (run / "figures" / "champion.gif").exists()
    meta = json.loads((run / "meta.json").read_text())
    meta["status"] = "failed"
    (run / "meta.json").write_text(json.dumps(meta))
    assert cli.main(argv) == 0
    assert json.loads((run / "meta.json").read_text())["status"] == "done"
    assert not (run / "report.html").exists()


def test_every_layout_names_its_lock_and_owns_it() -> None:
    for layout in (owned.RUN, owned.SWEEP, owned.ANALYSIS):
        assert layout.lock is not None and layout.owns_file(layout.lock) and layout.markers
        assert owned.TEMPORARY.fullmatch(".x.0123456789ab.tmp")
        assert layout.owns_file(".x.0123456789ab.tmp.png")


def test_every_file_a_run_and_its_post_hoc_commands_write_is_a_name_of_the_run_layout(
        tiny_file: Path, tmp_path: Path) -> None:
    from conftest import interrupted_run

    out = tmp_path / "run"
    interrupted_run(tiny_file, 0, out, stop_at_question=2)  # a checkpoint and its NPZ on disk
    assert (out / "checkpoint.json").exists() and owned.foreign(out, owned.RUN) == []
    assert cli.main(["run", "--resume", str(out), "--quiet"]) == 0  # figures too
    for argv in (["report", str(out)], ["animate", str(out)], ["probe", str(out), "--layouts", "1"],
                 ["lineage", str(out), "--individual", "0"]):
        assert cli.main(argv) == 0, argv
    assert len(_tree(out)) > 15 and owned.foreign(out, owned.RUN) == []
