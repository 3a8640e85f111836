"""Plugins (evo/runs/plugins.py): ``--plugin MODULE`` and the ``evo.plugins`` entry-point group import a
user's module before the scenario is validated, and sweep workers (processes, Dask) import it too.

Every command runs in a fresh interpreter: a kind registered in this test process would stay registered
for the tests after it, and a worker must learn of the plugin from the sweep, not inherit it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from evo.errors import EvoError
from evo.runs import plugins

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "custom_agent_kind.py"
SMALL = ["--set", "evolution.generations=2", "--set", "evolution.population=12",
         "--set", "evolution.eval_worlds=4", "--set", "evolution.shift_sample=4", "--no-figures"]

#: a plugin that registers a selection scheme (deterministic: the k best, cycling)
SCHEME_PLUGIN = '''
from evo.evolution.operators import SELECTION


@SELECTION.register("{name}")
def cycle_best(fitness, k, rng):
    order = sorted(range(len(fitness)), key=lambda i: (-fitness[i], i))
    return [order[i % len(order)] for i in range(k)]
'''


def _evo(args: list[str], cwd: Path, env: dict[str, str] | None = None,
         exe: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(exe or [sys.executable, "-m", "evo"]), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, check=False, env={**os.environ, **(env or {})})


@pytest.fixture
def tiny_file(tmp_path: Path, tiny_text: str) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_text)
    return path


def test_the_example_plugin_runs_a_greedy_scenario_and_a_process_sweep(tmp_path: Path, tiny_file: Path
                                                                      ) -> None:
    without = _evo(["run", str(tiny_file), "--set", "agent.kind=greedy", "--out", "a", *SMALL], tmp_path)
    assert without.returncode == 2 and "expected a registered agent kind" in without.stderr
    done = _evo(["run", str(tiny_file), "--plugin", str(EXAMPLE), "--set", "agent.kind=greedy",
                 "--out", "a", "--json", *SMALL], tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["agent_kind"] == "greedy" and summary["generations"] == 2
    assert tomllib.loads((tmp_path / "a" / "scenario.toml").read_text())["agent"]["kind"] == "greedy"
    # a run of a plugin's kind resumes, and is probed, with the plugin
    probed = _evo(["probe", "a", "--plugin", str(EXAMPLE), "--no-figures", "--layouts", "1"], tmp_path)
    assert probed.returncode == 0 and "(greedy)" in probed.stdout, probed.stderr
    # a sweep on a process pool: its spawned workers import the plugin named on the command line
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'[sweep]\nname = "s"\nbase = "{tiny_file.as_posix()}"\nseeds = 2\n'
                     '[grid]\n"evolution.selection.size" = [2, 3]\n')
    args = ["sweep", str(sweep), "--set", "agent.kind=greedy", "--set", "evolution.generations=2",
            "--no-figures", "--workers", "2"]
    failed = _evo([*args, "--out", "nope"], tmp_path)
    assert failed.returncode == 2 and "expected a registered agent kind" in failed.stderr
    swept = _evo([*args, "--out", "p", "--backend", "processes", "--plugin", str(EXAMPLE)], tmp_path)
    assert swept.returncode == 0, swept.stderr
    assert "4/4 runs done" in swept.stdout
    runs = sorted((tmp_path / "p" / "runs").glob("*/seed-*/summary.json"))
    assert len(runs) == 4 and {json.loads(p.read_text())["agent_kind"] for p in runs} == {"greedy"}
    pytest.importorskip("distributed")
    on_dask = _evo([*args, "--out", "d", "--backend", "dask", "--plugin", str(EXAMPLE)], tmp_path)
    assert on_dask.returncode == 0, on_dask.stderr
    for p in runs:  # the same runs, byte for byte, whichever backend and worker imported the plugin
        rid = p.parent.relative_to(tmp_path / "p")
        assert (tmp_path / "d" / rid / "log.csv").read_bytes() == (p.parent / "log.csv").read_bytes()


def test_a_module_name_is_found_in_the_current_directory_by_the_evo_command(tmp_path: Path, tiny_file: Path
                                                                            ) -> None:
    (tmp_path / "cycle_scheme.py").write_text(SCHEME_PLUGIN.format(name="cycle_best"))
    exe = Path(sys.executable).parent / "evo"
    if not exe.is_file():
        pytest.skip("the evo command is not installed beside this interpreter")
    scheme = "evolution.selection={ scheme = \"cycle_best\" }"
    done = _evo(["run", str(tiny_file), "--plugin", "cycle_scheme", "--set", scheme, "--out", "r", *SMALL],
                tmp_path, exe=[str(exe)])
    assert done.returncode == 0, done.stderr
    assert tomllib.loads((tmp_path / "r" / "scenario.toml").read_text())["evolution"]["selection"] == {
        "scheme": "cycle_best"}
    missing = _evo(["run", str(tiny_file), "--plugin", "no_such_plugin", "--out", "x"], tmp_path,
                   exe=[str(exe)])
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "plugin no_such_plugin: expected an importable module name or the path of a .py file, got no " \
           "module named 'no_such_plugin'" in missing.stderr


def test_installed_entry_points_are_loaded_without_being_named(tmp_path: Path, tiny_file: Path) -> None:
    site = tmp_path / "site"
    (site / "evo_ep_demo-0.1.dist-info").mkdir(parents=True)
    (site / "evo_ep_demo.py").write_text(SCHEME_PLUGIN.format(name="ep_best"))
    info = site / "evo_ep_demo-0.1.dist-info"
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evo-ep-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[evo.plugins]\ndemo = evo_ep_demo\n")
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    scheme = "evolution.selection={ scheme = \"ep_best\" }"
    done = _evo(["run", str(tiny_file), "--set", scheme, "--out", "r", *SMALL], tmp_path, env)
    assert done.returncode == 0, done.stderr
    # a broken installed plugin is one error naming its entry point
    (site / "evo_ep_demo.py").write_text("raise RuntimeError('broken on purpose')\n")
    broken = _evo(["run", str(tiny_file), "--out", "b", *SMALL], tmp_path, env)
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1, broken.stderr
    assert "plugin demo = evo_ep_demo (entry point group evo.plugins): importing it failed: RuntimeError: " \
           "broken on purpose" in broken.stderr


def test_plugin_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(EvoError, match="got no such file"):
        plugins.load_plugin(str(tmp_path / "absent.py"))
    (tmp_path / "bad-name.py").write_text("")
    with pytest.raises(EvoError, match="whose name is a Python identifier"):
        plugins.load_plugin(str(tmp_path / "bad-name.py"))
    (tmp_path / "raises_here.py").write_text("1 / 0\n")
    with pytest.raises(EvoError, match="importing it failed: ZeroDivisionError"):
        plugins.load_plugin(str(tmp_path / "raises_here.py"))
    assert "raises_here" not in sys.modules
    (tmp_path / "imports_missing.py").write_text("import no_such_dependency_xyz\n")
    with pytest.raises(EvoError, match="importing it failed: ModuleNotFoundError"):
        plugins.load_plugin(str(tmp_path / "imports_missing.py"))
    with pytest.raises(EvoError, match="expected an importable module name"):
        plugins.load_plugin("not a module")


def test_a_file_plugin_is_imported_once_and_recorded_for_the_workers(tmp_path: Path) -> None:
    path = tmp_path / "counting_plugin_xyz.py"
    path.write_text("import builtins\n"
                    "builtins.evo_test_imports = getattr(builtins, 'evo_test_imports', 0) + 1\n")
    import builtins

    try:
        plugins.load_plugin(str(path))
        plugins.load_plugin(str(path))
        assert builtins.evo_test_imports == 1  # type: ignore[attr-defined]
        assert str(path.resolve()) in plugins.loaded()
    finally:
        sys.modules.pop("counting_plugin_xyz", None)
        plugins._LOADED.pop(str(path.resolve()), None)
        del builtins.evo_test_imports  # type: ignore[attr-defined]
