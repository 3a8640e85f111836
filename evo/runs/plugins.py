"""Plugins: a user's module that registers agent kinds, schemes or anything else at import, loaded before a
scenario is validated: named (``--plugin MODULE``, :func:`load`) or installed (entry points of the group
:data:`GROUP`) (docs/architecture.md, "Plugins")."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from evo.config.names import terminal
from evo.errors import EvoError

#: The entry-point group an installed distribution registers its evo plugins under.
GROUP = "evo.plugins"

_LOADED: dict[str, ModuleType] = {}  # spec as recorded (a module name, or a file's absolute path) -> module
_ENTRY_POINTS: dict[str, str] = {}  # entry points loaded: name -> value
_ENTRY_POINTS_SEEN = False  # every entry point of the group is loaded


def _is_file(spec: str) -> bool:
    return spec.endswith(".py") or "/" in spec or "\\" in spec


def _failed(spec: str, exc: BaseException) -> EvoError:
    return EvoError(f"plugin {terminal(spec)}: importing it failed: {type(exc).__name__}: "
                    f"{terminal(exc)}")


def _from_file(spec: str) -> tuple[str, ModuleType]:
    path = Path(spec).expanduser().resolve()
    key = str(path)
    if key in _LOADED:
        return key, _LOADED[key]
    if not path.is_file():
        raise EvoError(f"plugin {terminal(spec)}: expected an importable module name or the path of a .py "
                       "file, got no such file")
    name = path.stem
    if not name.isidentifier():
        raise EvoError(f"plugin {terminal(spec)}: expected a .py file whose name is a Python identifier "
                       f"(it is imported as a module), got {terminal(path.name)}")
    there = sys.modules.get(name)
    if there is not None:
        if getattr(there, "__file__", None) and Path(str(there.__file__)).resolve() == path:
            _LOADED[key] = there
            return key, there
        raise EvoError(f"plugin {terminal(spec)}: a module named {name!r} is already imported from "
                       f"{terminal(getattr(there, '__file__', None) or 'elsewhere')}; rename the file")
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise EvoError(f"plugin {terminal(spec)}: expected a Python source file, got one Python cannot load")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    try:
        loader_spec.loader.exec_module(module)
    except EvoError:
        del sys.modules[name]
        raise
    except Exception as exc:
        del sys.modules[name]
        raise _failed(spec, exc) from exc
    return key, module


def _missing(spec: str, exc: ModuleNotFoundError) -> bool:
    """Whether ``exc`` says ``spec`` itself (or a package it is in) is missing, not something it imports."""
    return exc.name is not None and (spec == exc.name or spec.startswith(exc.name + "."))


def _from_name(spec: str) -> tuple[str, ModuleType]:
    if spec in _LOADED:
        return spec, _LOADED[spec]
    if not all(part.isidentifier() for part in spec.split(".")):
        raise EvoError(f"plugin {terminal(spec)}: expected an importable module name (such as "
                       "mypackage.kinds) or the path of a .py file")
    here = str(Path.cwd())
    try:
        try:
            module = importlib.import_module(spec)
        except ModuleNotFoundError as exc:
            if not _missing(spec, exc) or here in sys.path:
                raise
            sys.path.insert(0, here)  # the current directory, as `python -m` would search it; for this lookup
            try:
                module = importlib.import_module(spec)
            finally:
                sys.path.remove(here)
    except ModuleNotFoundError as exc:
        if _missing(spec, exc):
            raise EvoError(f"plugin {terminal(spec)}: expected an importable module name or the path of a "
                           f".py file, got no module named {exc.name!r} (looked in sys.path and the current "
                           "directory)") from None
        raise _failed(spec, exc) from exc
    except EvoError:
        raise
    except Exception as exc:
        raise _failed(spec, exc) from exc
    return spec, module


def load_plugin(spec: str) -> ModuleType:
    """Import the plugin ``spec`` (a module name or a ``.py`` file's path) unless this process already has,
    and remember it for :func:`loaded`. Any failure is one :class:`EvoError` naming the plugin."""
    if not isinstance(spec, str) or not spec.strip():
        raise EvoError(f"plugin: expected a module name or the path of a .py file, got {spec!r}")
    key, module = _from_file(spec) if _is_file(spec) else _from_name(spec)
    _LOADED[key] = module
    return module


def load_all(specs: Iterable[str]) -> None:
    """:func:`load` each of ``specs``, in order (the installed entry points first)."""
    load_entry_points()
    for spec in specs:
        load_plugin(spec)


def loaded() -> tuple[str, ...]:
    """The plugins this process loaded by name, as a worker must load them: module names, and the
    absolute paths of files (in load order)."""
    return tuple(_LOADED)


def load_entry_points() -> list[str]:
    """Load every ``evo.plugins`` entry point not loaded yet in this process; returns the names of those
    loaded so far, in load order. A failing one is one :class:`EvoError` (and is tried again next time)."""
    global _ENTRY_POINTS_SEEN
    if _ENTRY_POINTS_SEEN:
        return list(_ENTRY_POINTS)
    for ep in sorted(importlib.metadata.entry_points(group=GROUP), key=lambda e: (e.name, e.value)):
        if ep.name in _ENTRY_POINTS:
            continue
        what = f"{ep.name} = {ep.value} (entry point group {GROUP})"
        try:
            obj = ep.load()
            if ep.attr:
                obj()
        except EvoError:
            raise
        except Exception as exc:
            raise _failed(what, exc) from exc
        _ENTRY_POINTS[ep.name] = ep.value
    _ENTRY_POINTS_SEEN = True
    return list(_ENTRY_POINTS)
