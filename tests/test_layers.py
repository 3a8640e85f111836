"""The pure simulation core imports neither DEAP nor matplotlib (STYLE §1)."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_deap_or_matplotlib() -> None:
    code = (
        "import sys\n"
        "import evo.worlds, evo.agents, evo.simulate, evo.metrics\n"
        "bad = [m for m in ('deap', 'matplotlib') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
