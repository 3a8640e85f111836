"""The wheel as a new user gets it: pyproject.toml lists every package, the wheel carries the shipped
scenarios (the repository's scenarios/, byte for byte), and installed from it (not editable) into a fresh
virtual environment, from an empty directory, ``evo --version``, ``evo list`` and ``evo run red_door
--set ...`` work and write ./results/red_door/seed-0."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

import evo

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package_and_maps_the_scenarios() -> None:
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "evo").rglob("__init__.py")}
    assert set(conf["packages"]) == found | {"evo.scenarios", "evo.scenarios.sweeps"}
    assert conf["package-dir"] == {"evo.scenarios": "scenarios"}
    assert not (ROOT / "evo" / "scenarios").exists()  # one source of truth: scenarios/


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_runs_a_shipped_scenario_from_an_empty_directory(tmp_path: Path
                                                                                            ) -> None:
    """Measured 39 s on 2 shared cores (the build in an isolated environment is most of it), hence slow.
    The fresh venv gets evo from the wheel (no dependencies resolved: the network is not needed); the
    dependencies come from this interpreter's environment through a .pth file, which adds a directory to
    sys.path without running its own .pth files, so this checkout's editable install is not seen."""
    # built from a copy of the sources: setuptools writes build/ beside pyproject.toml, and a stale build/
    # left in the checkout could leak old modules into the wheel
    src = tmp_path / "src"
    skip = shutil.ignore_patterns(".venv", "build", "results", "*.egg-info", ".git", "__pycache__",
                                  ".*_cache", ".hypothesis")
    shutil.copytree(ROOT, src, ignore=skip)
    wheels = tmp_path / "wheel"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "-w", str(wheels), "--no-deps",
                            "-q"], capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("evo-*.whl")
    assert wheel.name.startswith(f"evo-{evo.__version__}-")
    with zipfile.ZipFile(wheel) as z:
        shipped = {n: z.read(n) for n in z.namelist() if n.startswith("evo/scenarios/")}
    repo = {f"evo/scenarios/{p.relative_to(ROOT / 'scenarios').as_posix()}": p.read_bytes()
            for p in (ROOT / "scenarios").rglob("*.toml")}
    assert shipped == repo and len(repo) > 10

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.run([str(python), "-c", purelib], capture_output=True, text=True,
                               check=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                                "-q", str(wheel)], capture_output=True, text=True, timeout=600, check=False)
    assert installed.returncode == 0, installed.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    exe = env_dir / "bin" / "evo"

    def evo_cmd(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), *args], cwd=empty, env=env, capture_output=True, text=True,
                              timeout=600, check=False)

    where = subprocess.run([str(python), "-c", "import evo; print(evo.__file__)"], cwd=empty, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(env_dir) and not Path(where).is_relative_to(ROOT)  # not editable
    version = evo_cmd("--version")
    assert (version.returncode, version.stdout) == (0, f"evo {evo.__version__}\n"), version.stderr
    listed = evo_cmd("list", "--json")
    assert listed.returncode == 0, listed.stderr
    names = {s["name"] for s in json.loads(listed.stdout)["scenarios"]}
    assert names == {p.stem for p in (ROOT / "scenarios").glob("*.toml")}
    assert all(Path(s["path"]).is_relative_to(env_dir) for s in json.loads(listed.stdout)["scenarios"])
    assert "red_door" in evo_cmd("list").stdout
    ran = evo_cmd("run", "red_door", "--set", "evolution.generations=5", "--set", "evolution.population=30",
                  "--no-figures")
    assert ran.returncode == 0, ran.stderr
    summary = json.loads((empty / "results" / "red_door" / "seed-0" / "summary.json").read_text())
    assert (summary["generations"], summary["population"]) == (5, 30)
    assert "5 generations, population 30" in ran.stdout
