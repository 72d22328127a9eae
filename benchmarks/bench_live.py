"""Live panel benchmark: from the end of a pencil stroke to the updated result layer, in GIMP's real window.

    sudo .venv/bin/python benchmarks/bench_live.py [--megapixels 1 12] [--strokes 5]

Runs GIMP 3.0.4 under Xvfb in the chroot of tests/gimp/build_gimp_env.sh (as root), with a worker on
this machine (the official weights if installed, else random weights in the official layout: the
same computation). For each size, scikit-image's astronaut (public domain, NASA) in black and white,
enlarged to that many megapixels, is opened; Colorize with Hints - Live is opened from the action
search; then ``--strokes`` pencil dots are painted with xdotool at different places, each after
the previous one's full-quality result. For each stroke: the time from the stroke's end (xdotool's
click returned) to the panel having written the preview into the live layer and flushed the
display (its line in the worker's log), and the same for the full-quality result, which the panel
asks for once the hint layer has not changed for ``hintcolor_schedule.Schedule.pause`` (0.8 s):
that pause is part of the full-quality figure. Prints median and worst of each.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_gimp import _weights  # noqa: E402
from gimp.harness import GIMPS  # noqa: E402
from gimp.live import first_after, live_gimp, open_panel, pencil_dot  # noqa: E402

GIMP = GIMPS[0]
WORK = "/tmp/hintcolor-bench-live"


def measure(megapixels: float, strokes: int, weights: Path) -> dict[str, list[float]]:
    side = round((megapixels * 1e6 / (4 / 3)) ** 0.5)
    with live_gimp(GIMP, WORK, weights, (round(side * 4 / 3), side)) as gimp:
        open_panel(gimp)
        times: dict[str, list[float]] = {"preview": [], "full": []}
        for index in range(strokes):
            stroke = pencil_dot(gimp, 640 + 40 * (index % 4), 360 + 50 * (index // 4))
            for kind in times:
                times[kind].append(first_after(gimp.host, kind, stroke))
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, nargs="+", default=[1, 12])
    parser.add_argument("--strokes", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        weights = _weights(Path(tmp))
        results = {mp: measure(mp, args.strokes, weights) for mp in args.megapixels}
    print(f"GIMP 3.0.4 window, live panel, {args.strokes} pencil strokes per size, stroke end -> live layer written "
          f"and displayed; load average {os.getloadavg()[0]:.1f} at the end")
    print("MP    preview median   worst    full quality median   worst   (full includes the 0.8 s pause)")
    for mp, times in results.items():
        preview, full = times["preview"], times["full"]
        print(f"{mp:<5g} {statistics.median(preview):6.2f} s       {max(preview):5.2f} s   "
              f"{statistics.median(full):6.2f} s            {max(full):5.2f} s")


if __name__ == "__main__":
    main()
