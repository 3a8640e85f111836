"""What the CLI prints cannot act on the terminal, and small fractions are not printed as 0 %."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from evo import cli
from evo.config.names import percent


def _show_edited(tmp_path: Path, tiny_text: str, capsys, edit: Callable[[dict], dict]) -> str:
    """What `evo show` prints for a tiny run whose summary.json has the top-level keys of ``edit``."""
    scen = tmp_path / "s.toml"
    scen.write_text(tiny_text.replace("generations = 6", "generations = 2"))
    out = tmp_path / "run"
    assert cli.main(["run", str(scen), "--out", str(out), "--quiet", "--no-figures"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    (out / "summary.json").write_text(json.dumps({**summary, **edit(summary)}))
    capsys.readouterr()
    assert cli.main(["show", str(out)]) == 0
    return capsys.readouterr().out


def test_control_characters_read_back_are_printed_as_escapes(tmp_path: Path, tiny_text: str, capsys) -> None:
    evil = "evil\x1b]0;pwned\x07\x1b[2J\u202e"  # retitle the terminal, clear it, reverse the text
    shown = _show_edited(tmp_path, tiny_text, capsys, lambda s: {"scenario": evil})
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "evil\\x1b]0;pwned\\x07" in shown and "\n" in shown


def test_evo_list_escapes_descriptions(tmp_path: Path, capsys) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "x.toml").write_text('[scenario]\ndescription = "a\\u001b[31mred"\n')
    assert cli.main(["list", str(tmp_path / "scenarios")]) == 0
    out = capsys.readouterr().out
    assert "a\\x1b[31mred" in out and "\x1b" not in out
    assert cli.main(["list", str(tmp_path / "scenarios"), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["scenarios"] == [{"name": "x", "description": "a\x1b[31mred",
                                    "path": str(tmp_path / "scenarios" / "x.toml")}]


def test_error_messages_are_escaped(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "no\x1b[2Jsuch.toml"
    assert cli.main(["run", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and err.count("\n") == 1


@pytest.mark.parametrize(("fraction", "text"), [(0.0, "0%"), (1 / 200, "0.5%"), (199 / 200, "99.5%"),
                                                 (1.0, "100%"), (0.25, "25%"), (1 / 3, "33%"),
                                                 (1 / 3000, "0.03%")])
def test_percent_keeps_non_zero_non_zero(fraction: float, text: str) -> None:
    assert percent(fraction) == text


def test_show_prints_one_agent_in_two_hundred_as_non_zero(tmp_path: Path, tiny_text: str, capsys) -> None:
    shown = _show_edited(tmp_path, tiny_text, capsys,
                         lambda s: {"behaviour_classes": {k: 0.0 for k in s["behaviour_classes"]}
                                                                 | {"robust": 1 / 200, "pseudo": 199 / 200}})
    assert "robust 0.5%" in shown and "pseudo 99.5%" in shown


def test_missing_glyphs_are_one_note_not_a_screen_of_warnings(tmp_path: Path, tiny_text: str, capsys) -> None:
    scen = tmp_path / "s.toml"
    scen.write_text(tiny_text.replace('name = "tiny"', 'name = "tiny 🏁"').replace("generations = 6",
                                                                                   "generations = 2"))
    assert cli.main(["run", str(scen), "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "UserWarning" not in err
    assert err.count("evo: note: the figures' font has no glyph for \\N{CHEQUERED FLAG}") == 1
    assert cli.main(["run", str(scen), "--out", str(tmp_path / "run"), "--force", "-q"]) == 0
    assert capsys.readouterr().err == ""  # -q: errors only


def test_list_finds_the_shipped_scenarios_from_another_directory(tmp_path: Path, capsys,
                                                                  monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["list"]) == 0
    shown = capsys.readouterr().out
    assert "red_door" in shown and "sweet_tooth" in shown


def test_figures_are_announced_only_when_drawn(tmp_path: Path, tiny_text: str, capsys) -> None:
    shown = _show_edited(tmp_path, tiny_text, capsys, lambda s: {})
    assert "figures:" not in shown  # --no-figures: figures/ is empty, so nothing to point at
    from evo.api import save_figures

    made = save_figures(tmp_path / "run")
    assert cli.main(["show", str(tmp_path / "run")]) == 0
    assert f"figures: {tmp_path / 'run' / 'figures'} ({len(made)} PNG)" in capsys.readouterr().out
