"""The code follows the ruff rule set and the mypy configuration in pyproject.toml: ``ruff check`` and
``mypy`` report nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_is_clean() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "evo", "tests", "benchmarks",
                                                  "examples"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"ruff check found problems:\n{done.stdout}{done.stderr}"


def test_mypy_is_clean() -> None:
    # no arguments: mypy reads files = ["evo"] and the rest of its configuration from pyproject.toml
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, f"mypy found problems:\n{done.stdout}{done.stderr}"
