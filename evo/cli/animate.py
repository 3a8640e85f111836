"""``evo animate RUN_DIR``: the champion's train and shift episodes side by side as a GIF or an MP4
(:mod:`evo.plots.animate`)."""

from __future__ import annotations

import argparse
from typing import Any

NAME = "animate"
EXAMPLES = ["evo animate results/red_door/seed-0          write figures/champion.gif (or --format mp4)"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="animate the champion's train and shift episodes (GIF or MP4)",
                       description="Write the champion's episodes in the run's saved train and shift worlds, "
                       "side by side, one frame per step (t = 0 is the start), to RUN_DIR/figures/"
                       "champion.gif (Pillow) or champion.mp4 (needs ffmpeg).")
    p.add_argument("run", help="a run directory")
    p.add_argument("--format", choices=["gif", "mp4"], default="gif", help="gif (default) or mp4")
    p.add_argument("--out", metavar="FILE",
                   help="where to write it (default RUN_DIR/figures/champion.FORMAT)")
    p.add_argument("--force", action="store_true", help="replace an existing --out FILE")
    return p


def main(args: argparse.Namespace) -> int:
    from evo.plots import animate

    path, frames = animate.write_animation(args.run, args.format, args.out, force=args.force)
    print(f"animation: {path} ({frames} frames, {path.stat().st_size / 1e6:.2f} MB)")
    return 0
