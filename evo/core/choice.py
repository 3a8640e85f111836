"""The choice of engine (docs/architecture.md, "Engines"): ``numpy`` or ``compiled`` (numba), from the
``engine`` argument or the ``EVO_ENGINE`` environment variable. Its own module, importing nothing of evo but
the errors, so that :mod:`evo.core.worlds` (the world tables) and :mod:`evo.core.engines` (the episodes) can
both ask. Importing it does not import numba; asking whether numba is available imports it (once, and only
where it is installed). Pure Python.
"""

from __future__ import annotations

import functools
import importlib.util
import os

from evo.errors import EvoError

ENGINES = ("numpy", "compiled")
ENV = "EVO_ENGINE"


@functools.cache
def _numba_found() -> bool:
    """numba is installed and imports (a broken install falls back to numpy rather than failing later)."""
    if importlib.util.find_spec("numba") is None:
        return False
    try:
        import numba  # noqa: F401
    except Exception:  # any failure to import means: not available
        return False
    return True


def available() -> bool:
    """Whether the compiled engine can run here (numba is installed)."""
    return _numba_found()


def resolve(engine: str | None) -> str:
    """The engine a call runs on: ``engine`` if given, else what ``EVO_ENGINE`` says (``auto`` when unset).
    Raises :class:`EvoError` for an unknown name, or ``compiled`` without numba."""
    source = "engine"
    if engine is None:
        engine, source = os.environ.get(ENV, "auto").strip() or "auto", f"the environment variable {ENV}"
    if engine == "auto":
        return "compiled" if available() else "numpy"
    if engine not in ENGINES:
        raise EvoError(f"{source}: expected one of auto, {', '.join(ENGINES)}, got {engine!r}")
    if engine == "compiled" and not available():
        raise EvoError(f"{source} asks for the compiled engine, which needs numba: "
                       "pip install \"evo[fast]\" (or numba>=0.59)")
    return engine
