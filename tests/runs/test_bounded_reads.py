"""Every read of a user- or disk-supplied file is bounded (:data:`evo.config.schema.LIMITS`): a crafted NPZ is
refused from its headers before anything is inflated (and a reading process stays far below 500 MB), an
oversize scenario or sweep file is refused from its size before it is decoded or parsed, every string of one
is capped, and deep or oversize JSON is one error naming the file. Files too large for the corpora are made
here (tests/crafted.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import crafted
import numpy as np
import pytest
from conftest import TINY

from evo import cli
from evo.config.schema import LIMITS
from evo.errors import EvoError
from evo.runs import files, npz, readback, rundir
from evo.sweeps import spec

MB = 2**20


def _tiny_npz(path: Path) -> Path:
    files.write_npz(path, {"genomes": np.zeros((4, 3)), "ids": np.arange(4)})
    return path


def _peak_rss_mb(code: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``python -c code`` in a child of a fresh interpreter; its peak RSS (ru_maxrss of the children of
    that interpreter: only this one) in MB, and the result."""
    wrapper = textwrap.dedent(f"""
        import resource, subprocess, sys
        out = subprocess.run([sys.executable, "-c", {code!r}], capture_output=True, text=True)
        sys.stdout.write(out.stdout)
        sys.stderr.write(out.stderr)
        print("RSS_KB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    """)
    done = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, timeout=300)
    kb = int(done.stdout.rsplit("RSS_KB", 1)[1])
    return kb / 1024, done


@pytest.mark.parametrize("lie", ["consistent", "zip_header_small"])
def test_a_zip_bomb_npz_is_refused_from_its_headers_within_500_mb(lie: str, tmp_path: Path) -> None:
    # 600 MB of zeros deflated to ~0.6 MB: a reader that inflates before checking needs 0.6-1.2 GB
    path = _tiny_npz(tmp_path / "bomb.npz")
    crafted.bomb(path, "genomes", 600 * MB)
    assert path.stat().st_size < 2 * MB
    if lie == "zip_header_small":  # the zip header claims 1000 bytes; the .npy header still claims 600 MB
        crafted.patch_size(path, "genomes", 1000)
    code = ("from evo.runs import readback\nfrom evo.errors import EvoError\n"
            f"try:\n    readback.read_npz({str(path)!r})\n"
            "except EvoError as exc:\n    print('EVOERROR', exc)")
    rss, done = _peak_rss_mb(code)
    assert "EVOERROR" in done.stdout and "genomes.npy" in done.stdout, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert rss < 500, rss


def test_npz_member_and_byte_caps(tmp_path: Path) -> None:
    path = _tiny_npz(tmp_path / "x.npz")
    crafted.members(path, int(LIMITS["npz_members"]))
    with pytest.raises(EvoError, match=r"expected at most 4096 members, LIMITS\['npz_members'\], got 4098"):
        npz.read_npz(path)
    path = _tiny_npz(tmp_path / "y.npz")
    crafted.bomb(path, "ids", int(LIMITS["npz_bytes"]) + 1)
    with pytest.raises(EvoError, match=r"member 'ids.npy' declares shape \(67108865,\) of uint8, 67108865 "
                       r"bytes: expected at most \d+, what this file may hold"):
        npz.read_npz(path)
    assert npz.read_npz(path, expected_bytes=1000)["ids"].shape == (int(LIMITS["npz_bytes"]) + 1,)
    path = _tiny_npz(tmp_path / "z.npz")
    crafted.zip_size(path, "ids", 2**32 - 16)
    with pytest.raises(EvoError, match=r"member 'ids.npy': expected at most \d+ bytes of data, got a zip "
                       r"header declaring 4294967280"):
        npz.read_npz(path)


def _scenario_with_description(n: int) -> str:
    return TINY.replace('description = "a tiny red_door for tests"', f'description = "{"d" * n}"', 1)


def test_an_oversize_scenario_is_refused_from_its_size(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "huge.toml"
    text = _scenario_with_description(5 * MB).encode()
    # bytes past the cap that are neither UTF-8 nor TOML: decoding or parsing them would say so instead
    cap = int(LIMITS["toml_bytes"])
    path.write_bytes(text[:cap] + b"\xff\xfe not toml [[[" + text[cap:])
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"evo: error: {path}: the file: expected a scenario file of at most 1048576 bytes "
                          "(LIMITS['toml_bytes']), got 'more than 1048576 bytes'"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.toml"]


def test_a_file_of_exactly_the_cap_is_read(tmp_path: Path) -> None:
    from evo.config import toml

    path = tmp_path / "cap.toml"
    path.write_bytes(b"#" * int(LIMITS["toml_bytes"]))
    assert toml.read_text(path) == "#" * int(LIMITS["toml_bytes"])
    path.write_bytes(b"#" * (int(LIMITS["toml_bytes"]) - 1) + b"\xff")  # the last byte within the cap is read
    with pytest.raises(EvoError, match="a readable UTF-8 text file"):
        toml.read_text(path)


def test_every_string_of_a_scenario_or_sweep_is_capped(tmp_path: Path) -> None:
    from evo.runs import scenarios

    cap = int(LIMITS["string_chars"])
    scenarios.loads(_scenario_with_description(cap))
    with pytest.raises(EvoError, match=r"key 'scenario.description': expected a string of at most 10000 "
                       r"characters \(LIMITS\['string_chars'\]\), got '10001 characters'"):
        scenarios.loads(_scenario_with_description(cap + 1))
    with pytest.raises(EvoError, match=r"key 'sweep.labels.a': expected a string of at most 10000"):
        spec.loads(f'[sweep]\nname = "s"\nseeds = 1\nlabels = {{ a = "{"x" * (cap + 1)}" }}\n')
    with pytest.raises(EvoError, match=r"key 'grid': expected keys of at most 10000 characters"):
        spec.loads(f'[sweep]\nname = "s"\n[grid]\n"{"k" * (cap + 1)}" = [1, 2]\n')
    big = tmp_path / "big_sweep.toml"
    big.write_text('[sweep]\nname = "s"\n' + "# padding\n" * (int(LIMITS["toml_bytes"]) // 10 + 1))
    with pytest.raises(EvoError, match=r"expected a sweep file of at most 1048576 bytes"):
        spec.load_sweep(big)


def test_deep_or_oversize_json_is_one_error_on_every_reader(tmp_path: Path, monkeypatch) -> None:
    deep = tmp_path / "meta.json"
    crafted.deep_json(deep, 100_000)
    for read in (files.read_json, readback.read_json_object):
        with pytest.raises(EvoError, match=r"meta.json: not valid JSON \(RecursionError"):
            read(deep)
    assert rundir.read_meta(tmp_path) is None  # not evo's meta: the directory is not taken for a run
    monkeypatch.setitem(LIMITS, "json_bytes", 100)
    big = tmp_path / "summary.json"
    big.write_text(json.dumps({"x": "y" * 200}))
    with pytest.raises(EvoError, match=r"summary.json: the file: expected at most 100 bytes "
                       r"\(LIMITS\['json_bytes'\]\)"):
        readback.read_summary(tmp_path)
    monkeypatch.setitem(LIMITS, "csv_bytes", 10)
    (tmp_path / "log.csv").write_text("gen\n" * 5)
    with pytest.raises(EvoError, match=r"log.csv: the file: expected at most 10 bytes "
                       r"\(LIMITS\['csv_bytes'\]\)"):
        readback.read_text(tmp_path / "log.csv")


def test_out_of_memory_while_parsing_is_one_error(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "summary.json"
    path.write_text("{}")

    def no_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(json, "loads", no_memory)
    for read in (files.read_json, readback.read_json_object):
        with pytest.raises(EvoError, match=r"summary.json: not valid JSON \(MemoryError"):
            read(path)


def test_a_deep_meta_json_is_one_line_for_run_resume_and_force(tmp_path: Path, capsys, monkeypatch) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "scenario.toml").write_text(TINY)
    crafted.deep_json(run / "meta.json", 100_000)
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY)
    for args, message in ((["run", "--resume", str(run)], "meta.json: not valid JSON (RecursionError"),
                          (["run", str(scenario), "--out", str(run), "--quiet"], "pass --force")):
        code = cli.main(args)
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
        assert message in err, err


def test_a_deep_checkpoint_json_is_one_error_on_resume(tmp_path: Path) -> None:
    from conftest import interrupted_run

    from evo import api
    from evo.runs import scenarios

    text = TINY.replace("generations = 6", "generations = 12\ncheckpoint_every = 3")
    out = tmp_path / "cut"
    interrupted_run(scenarios.loads(text, source="tiny.toml"), 1, out, stop_at_question=4)
    crafted.deep_json(out / "checkpoint.json", 100_000)
    with pytest.raises(EvoError, match=r"checkpoint.json: not valid JSON \(RecursionError"):
        api.resume(out)
