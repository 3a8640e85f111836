"""The layers of the package, checked: zero import cycles (imports inside functions and under TYPE_CHECKING
count), and what importing each layer may load. The standard-library layer (errors, names, schema) loads no
third-party module; the numpy core loads no DEAP, matplotlib, networkx or sqlite3; only the evolution loop
loads DEAP; nothing below the plots loads matplotlib."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "evo"
HEAVY = ("numpy", "deap", "matplotlib", "networkx", "sqlite3", "tomli_w", "tqdm", "dask")

#: module → the third-party (and heavy standard-library) modules importing it may load
LAYERS = {
    "evo.errors": (),
    "evo.config.names": (),
    "evo.config.schema": (),
    "evo.runs.scenarios": ("tomli_w",),
    "evo.core.state": ("numpy",),
    "evo.core.worlds": ("numpy",),
    "evo.core.agents": ("numpy",),
    "evo.core.simulate": ("numpy",),
    "evo.core.metrics": ("numpy",),
    "evo.analysis.stats": ("numpy",),
    "evo.lineage.store": ("numpy",),
    "evo.analysis.probe": ("numpy",),
    "evo.analysis.goodhart": ("numpy",),
    "evo.runs.files": ("numpy",),
    "evo.runs.readback": ("numpy",),
    "evo.evolution.loop": ("numpy", "deap", "tomli_w"),
    "evo.runs.sweep": ("numpy", "sqlite3", "tomli_w"),
}


@pytest.mark.parametrize("module", sorted(LAYERS))
def test_importing_a_layer_loads_only_what_it_may(module: str) -> None:
    code = f"import sys, {module}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m for m in out.stdout.strip().split(",") if m}
    assert loaded <= set(LAYERS[module]), f"{module} loads {sorted(loaded - set(LAYERS[module]))}"


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
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    return {m for m in found if m in known and m != name}


def test_there_are_no_import_cycles() -> None:
    modules = {}
    for p in PACKAGE.rglob("*.py"):
        parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = p
    graph = {m: _imports(p, m, set(modules)) for m, p in modules.items()}
    graph = {m: {d for d in deps if d != "evo"} for m, deps in graph.items()}  # the lazy package face
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
