"""A corpus of malformed scenario files (tests/data/bad_scenarios/): each states in its first two lines the
key its error must name and a phrase the message must contain. Every one must exit non-zero with one clear
message (file and key), no traceback, and write no results directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from evo import cli

CORPUS = sorted((Path(__file__).resolve().parents[1] / "data" / "bad_scenarios").glob("*.toml"))


def _expectation(path: Path) -> tuple[str, str]:
    lines = path.read_text().splitlines()
    key = lines[0].removeprefix("# expect-key:").strip()
    phrase = lines[1].removeprefix("# expect-message:").strip()
    return key, phrase


def test_corpus_is_large() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_scenario_gives_one_clear_message(path: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    key, phrase = _expectation(path)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"evo: error: {path}:"), err
    if key:
        assert f"key '{key}'" in err, err
    assert phrase in err, err
    assert list(tmp_path.iterdir()) == []
