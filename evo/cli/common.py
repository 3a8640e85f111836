"""What the commands share: the terminal-safe stdout, the one-line note on missing glyphs, the Ctrl-C stop
request, the run summary printout and interval formatting."""

from __future__ import annotations

import signal
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evo.config.names import percent, terminal


def scenario_dir() -> Path:
    """The shipped scenarios: ./scenarios if present, else the repository's."""
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "scenarios"


class StopRequest:
    """SIGINT/SIGTERM handler for a run: the first signal asks the run to stop at the next generation
    boundary (it then writes a checkpoint); a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._saved: dict[int, object] = {}

    def __enter__(self) -> StopRequest:
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested and signum == 2:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:

        for sig, handler in self._saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    def __call__(self) -> bool:
        return self.requested


def print_summary(summary: dict, path: Path) -> None:
    print(f"run: {path}")
    print(f"scenario {summary['scenario']}, seed {summary['seed']}, {summary['generations']} generations, "
          f"population {summary['population']} ({summary['agent_kind']} agents)")
    tr = summary["train"]["base_fitness"]
    print(f"  train fitness         mean {tr['mean']:+.3f}   best {tr['best']:+.3f}")
    if "true" in summary:
        t = summary["true"]
        print(f"  true objective        mean {t['mean']:+.3f}   best {t['best']:+.3f}   "
              f"champion {t['champion']:+.3f}   (same train episodes)")
    if "spawned" in summary["train"]:
        sp = summary["train"]["spawned"]
        print(f"  per train episode: {sp['released']['mean']:.2f} objects released (champion "
              f"{sp['released']['champion']:.2f}), {sp['collected']['mean']:.2f} of them collected "
              f"(champion {sp['collected']['champion']:.2f})")
    for name, v in summary["shift"].items():
        sf = v["base_fitness"]
        print(f"  shift '{name}' fitness  mean {sf['mean']:+.3f}   best {sf['best']:+.3f}   "
              f"champion {v['champion']:+.3f}")
    # with a shift nothing is "untested"; without one nothing can be robust, pseudo or a capability failure
    moot = {"untested"} if summary["shift"] else {"robust", "pseudo", "capability_failure"}
    classes = summary["behaviour_classes"]
    print("  behaviour classes: " + ", ".join(f"{k} {percent(v)}" for k, v in classes.items()
                                    if k not in moot))
    champ = summary["champion"]
    if champ.get("objective"):
        print("  champion mesa-objective: "
              + ", ".join(f"{f} {w:+.2f}" for f, w in champ["objective"].items())
              + f"  ({champ['behaviour_class']})")
    for name, reached in champ.get("reached_per_episode", {}).items():
        print(f"  champion under '{name}' reaches per episode: "
              + ", ".join(f"{f} {v:.2f}" for f, v in reached.items()))
    if (path / "figures").is_dir():
        print(f"  figures: {path / 'figures'}")


def fmt_interval(mean: float, lo: float, hi: float, spec: str = "{:.2f}") -> str:
    import math

    if math.isnan(lo):
        return spec.format(mean)
    return f"{spec.format(mean)} [{spec.format(lo)}, {spec.format(hi)}]"


class TerminalSafe:
    """stdout for the commands: control characters in names, descriptions or result files read back are
    printed as escapes (an ESC sequence in a scenario name must not retitle or clear the terminal)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal(text, keep="\n\t"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def glyph_note() -> Iterator[None]:
    """Matplotlib warns once per figure and character when its font lacks a glyph (emoji, CJK names): say
    it once, in one line, instead of a screenful of warnings; other warnings pass unchanged."""
    missing: set[str] = set()
    show = warnings.showwarning

    def note(message: Warning | str, category: type[Warning], *rest: Any, **kw: Any) -> None:
        text = str(message)
        if text.startswith("Glyph ") and "missing from font" in text:
            missing.add(text.split("(", 1)[-1].split(")", 1)[0])
        else:
            show(message, category, *rest, **kw)

    warnings.showwarning = note
    try:
        yield
    finally:
        warnings.showwarning = show
        if missing:
            print(f"evo: note: the figures' font has no glyph for {', '.join(sorted(missing))} (drawn as "
                  "boxes); a font that has them (e.g. Debian's fonts-noto) fixes it", file=sys.stderr)
