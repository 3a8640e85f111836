"""The command registry (evo/cli/__init__.py), the one table formatter (evo/cli/table.py), ``--version``,
``python -m evo``, ``--json``, ``-v``/``-q`` and progress bars only on a terminal."""

from __future__ import annotations

import importlib.metadata
import io
import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import evo
from evo import cli
from evo.cli import table

COMMANDS = ["list", "run", "show", "lineage", "report", "animate", "sweep", "sweep-report", "probe",
            "analyze"]


def test_every_command_is_one_registered_module() -> None:
    assert list(cli.COMMANDS) == COMMANDS
    for name, module in cli.COMMANDS.items():
        assert module.NAME == name and callable(module.add_parser) and callable(module.main)
        assert module.__name__ == f"evo.cli.{name.replace('-', '_')}"
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    assert list(sub.choices) == COMMANDS  # type: ignore[union-attr]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"evo {evo.__version__}\n"
    assert importlib.metadata.version("evo") == evo.__version__  # pyproject reads it from evo/__init__.py


@pytest.mark.parametrize("module", ["evo", "evo.cli"])
def test_python_m_runs_the_command(module: str) -> None:
    done = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert (done.returncode, done.stdout) == (0, f"evo {evo.__version__}\n"), done.stderr
    bad = subprocess.run([sys.executable, "-m", module, "run", "no_such_scenario_name"], capture_output=True,
                         text=True, timeout=120, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "shipped scenario" in bad.stderr


def test_a_table_aligns_its_columns_under_one_heading_rule() -> None:
    text = table.render(["name", "value", "note"], [["a", "1.5", "x"], ["long name", "-10.25", ""]], "<>")
    assert text.splitlines() == ["name        value  note",
                                 "---------  ------  ----",
                                 "a             1.5  x",
                                 "long name  -10.25"]
    escaped = table.render(["k"], [["evil\x1b[2J"]])
    assert "\x1b" not in escaped and "evil\\x1b[2J" in escaped
    assert escaped.splitlines()[1] == "-" * len("evil\\x1b[2J")  # widths counted on the escaped text
    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        table.render(["a", "b"], [["x"]])
    with pytest.raises(ValueError, match="alignment"):
        table.render(["a"], [["x"]], "^")


@pytest.mark.parametrize(("args", "text"), [
    ((-0.0001, "{:+.3f}"), "+0.000"), ((0.0004, "{:+.3f}"), "+0.000"), ((-0.0001, "{:.2f}"), "0.00"),
    ((-0.5, "{:+.2f}"), "-0.50"),
    ((None,), table.MISSING), ((math.nan,), table.MISSING), ((3, "{:d}"), "3"),
])
def test_numbers_have_no_negative_zero_and_a_mark_when_missing(args: tuple, text: str) -> None:
    assert table.number(*args) == text


def test_an_interval_shows_its_ends_only_when_it_has_them() -> None:
    assert table.interval(0.5, 0.25, 0.75) == "0.50 [0.25, 0.75]"
    assert table.interval(0.5, math.nan, math.nan) == "0.50"
    assert table.interval(0.5, None, None, "{:+.1f}") == "+0.5"


def _tiny_run(tmp_path: Path, tiny_text: str) -> Path:
    scen = tmp_path / "s.toml"
    scen.write_text(tiny_text.replace("generations = 6", "generations = 2"))
    out = tmp_path / "run"
    assert cli.main(["run", str(scen), "--out", str(out), "--no-figures", "-q"]) == 0
    return out


def test_json_output_is_strict_json_and_nothing_else(tmp_path: Path, tiny_text: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    run = _tiny_run(tmp_path, tiny_text)
    capsys.readouterr()
    assert cli.main(["show", str(run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads((run / "summary.json").read_text())
    assert cli.main(["probe", str(run), "--json", "--no-figures", "--layouts", "1"]) == 0
    printed = capsys.readouterr().out
    probe = json.loads(printed, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    stored = json.loads((run / "probe.json").read_text())["train"]
    assert probe["behavioural_objective"] == stored["behavioural_objective"]
    assert probe["figure"] is None and probe["stored_in"].endswith("probe.json train")
    assert cli.main(["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert "red_door" in [s["name"] for s in listed["scenarios"]]
    assert "selection_pressure" in [s["name"] for s in listed["sweeps"]]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_only_on_a_terminal_and_never_with_q(tmp_path: Path, tiny_text: str, monkeypatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "s.toml"
    scen.write_text(tiny_text.replace("generations = 6", "generations = 2"))
    args = ["run", str(scen), "--out", str(tmp_path / "run"), "--no-figures", "--force"]
    assert cli.main(args) == 0
    assert capsys.readouterr().err == ""  # stderr is not a terminal here: no bar drawn into it
    for extra, drawn in (([], True), (["-q"], False), (["--json"], False)):
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert cli.main([*args, *extra]) == 0
        monkeypatch.undo()
        assert ("tiny seed 0" in terminal.getvalue() and "2/2" in terminal.getvalue()) == drawn, extra


def test_v_shows_the_package_log_and_q_hides_its_warnings(tmp_path: Path, tiny_text: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "tiny.toml").write_text(tiny_text)
    path = tmp_path / "s.toml"
    path.write_text('[sweep]\nname = "s"\nbase = "tiny.toml"\nseeds = 1\n'
                    '[fixed]\n"evolution.generations" = 2\n[grid]\n"evolution.selection.size" = [2]\n')
    base = ["sweep", str(path), "--backend", "serial", "--no-figures"]
    assert cli.main([*base, "--out", str(tmp_path / "a")]) == 0
    assert "evo: info:" not in capsys.readouterr().err
    assert cli.main([*base, "--out", str(tmp_path / "b"), "-v"]) == 0
    err = capsys.readouterr().err
    assert "evo: info: sweep s: 1 runs to do (0 done before), backend serial, 1 workers" in err
    assert cli.main(["-v", *base, "--out", str(tmp_path / "c")]) == 0  # before the command, too
    assert "evo: info: sweep s" in capsys.readouterr().err
    # a finished run whose summary cannot be read back is run again, with a warning; -q hides it
    summary = next((tmp_path / "c" / "runs").glob("*/seed-0")) / "summary.json"
    for quiet, warned in (([], True), (["-q"], False)):
        summary.write_text("{")
        with sqlite3.connect(tmp_path / "c" / "index.sqlite") as db:  # as if the sweep died before indexing
            db.execute("UPDATE runs SET status = 'pending'")
        assert cli.main([*base, "--out", str(tmp_path / "c"), *quiet]) == 0
        err = capsys.readouterr().err
        assert ("evo: warning: size=2/seed-0: " in err and "running it again" in err) == warned, err
        assert json.loads(summary.read_text())["generations"] == 2
