"""The layers of the package, checked (docs/architecture.md): zero import cycles (imports inside functions
and under TYPE_CHECKING count); every import points down the layers; and what importing each layer may
load: the standard-library layer (``evo.errors``, ``evo.config``) loads no third-party module but tomli-w;
``evo.core`` loads numpy and numba only (no DEAP, matplotlib, networkx or sqlite3): numba because the
episode step and every kind's rule are compiled (evo.core.step, evo.core.agents); the modules that run no
rule (state, checks, the config layer) load no numba; only ``evo.evolution`` (and what builds on it)
loads DEAP; nothing below ``evo.plots`` loads matplotlib."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "evo"
HEAVY = ("numpy", "deap", "matplotlib", "networkx", "sqlite3", "tomli_w", "tqdm", "dask", "numba")

#: layer → its rank (an import may only point to a lower rank, or inside its own layer) and what
#: importing any of its modules may load
LAYERS: dict[str, tuple[int, tuple[str, ...]]] = {
    "evo.errors": (0, ()),
    "evo.config": (1, ("tomli_w",)),
    "evo.core": (2, ("numpy", "numba")),
    "evo.evolution": (3, ("numpy", "deap", "numba")),
    "evo.lineage": (3, ("numpy", "numba")),
    "evo.analysis": (3, ("numpy", "numba")),
    "evo.runs": (4, ("numpy", "deap", "tomli_w", "numba")),
    "evo.sweeps": (5, ("numpy", "deap", "sqlite3", "tomli_w", "numba")),
    "evo.plots": (6, ("numpy", "deap", "sqlite3", "tomli_w", "matplotlib", "numba")),
    "evo.api": (7, HEAVY),
    "evo.cli": (8, HEAVY),
    "evo.__main__": (9, HEAVY),  # `python -m evo`: the command line
}
#: other than the layer: importing these loads less (the core modules that run no rule load no numba)
NARROWER = {"evo.config.names": (), "evo.config.schema": (),
            "evo.core.state": ("numpy",), "evo.core.checks": ("numpy",)}


def _modules() -> dict[str, Path]:
    modules = {}
    for p in PACKAGE.rglob("*.py"):
        parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = p
    return modules


def _layer(module: str) -> str:
    if module == "evo.__main__":  # ``python -m evo``: the command line
        return "evo.cli"
    for name in sorted(LAYERS, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in tests/test_layers.py")


#: every module but the package face and the ``python -m`` entry points (importing those runs the command)
MODULES = sorted(m for m in _modules() if m != "evo" and not m.endswith("__main__"))


@pytest.mark.parametrize("module", MODULES)
def test_importing_a_module_loads_only_what_its_layer_may(module: str) -> None:
    allowed = NARROWER.get(module, LAYERS[_layer(module)][1])
    code = f"import sys, {module}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m for m in out.stdout.strip().split(",") if m}
    assert loaded <= set(allowed), f"{module} loads {sorted(loaded - set(allowed))}"


def test_importing_evo_core_or_evo_config_loads_no_heavy_module() -> None:
    code = ("import sys, evo.core, evo.config, evo.core.simulate, evo.core.agents, evo.config.toml\n"
            "print(','.join(m for m in ('deap', 'matplotlib', 'networkx', 'sqlite3')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every evo module ``path`` imports anywhere in its body (functions and TYPE_CHECKING included)."""
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                mod = ".".join(base[: len(base) - node.level + 1] + ([mod] if mod else []))
            subs = {f"{mod}.{a.name}" for a in node.names}
            found.update(subs)
            if not subs <= known:  # names defined by the module itself, not only its submodules
                found.add(mod)
    return {m for m in found if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {m: _imports(p, m, set(modules)) for m, p in modules.items()}
    return {m: {d for d in deps if d != "evo"} for m, deps in graph.items()}  # the lazy package face


def test_every_import_points_down_the_layers() -> None:
    wrong = []
    for m, deps in _graph().items():
        if m == "evo":
            continue
        here = _layer(m)
        for d in deps:
            there = _layer(d)
            if there != here and LAYERS[there][0] >= LAYERS[here][0]:
                wrong.append(f"{m} imports {d}")
    assert wrong == []


def test_only_the_command_line_imports_the_package_face() -> None:
    """``evo`` itself (the lazy face: ``__version__``, ``evo.run`` & co.) is above every layer: a module
    below the command line that imports it (``from evo import __version__`` in ``evo.runs.run``, say)
    imports upward."""
    modules = _modules()
    faces = sorted(m for m, p in modules.items() if m != "evo" and "evo" in _imports(p, m, set(modules))
                   and LAYERS[_layer(m)][0] < LAYERS["evo.cli"][0])
    assert faces == []


def test_there_are_no_import_cycles() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []
