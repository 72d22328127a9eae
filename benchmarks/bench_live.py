"""Live panel benchmark: from the end of a pencil stroke to the updated result layer, in GIMP's real window.

    sudo .venv/bin/python benchmarks/bench_live.py [--engines network propagation] [--megapixels 1 12] [--strokes 5]

Runs GIMP 3.0.4 under Xvfb in the chroot of tests/gimp/build_gimp_env.sh (as root). For each engine
and size: a worker is started on this machine — for ``network`` with the official weights if
installed, else random weights in the official layout (the same computation); for ``propagation``
with no weights, as a user without them has it — then GIMP, with scikit-image's astronaut (public
domain, NASA) in black and white, enlarged to that many megapixels. Colorize with Hints - Live is
opened from the action search (the network's panel shows its first full-quality result; the
propagation engine's, with nothing painted yet, says to paint), then ``--strokes`` pencil dots are
painted with xdotool at different places, each after the previous one's full-quality result.

For each stroke: the time from the stroke's end (xdotool's click returned) to the panel having
written the preview into the live layer and flushed the display (its line in the worker's log),
and the same for the full-quality result, which the panel asks for once the hint layer has not
changed for ``hintcolor_schedule.Schedule.pause`` (0.8 s): that pause is part of the full-quality
figure. The first stroke after the worker started is reported apart from the later ones (their
median and worst), with the worker's own time for each preview (its log: "done in").

Then where a preview's time goes, from the panel's own line for it: how long xdotool's click took
(the stroke ended somewhere in it: the panel may notice the change before xdotool returns), from
asking xdotool to click to the panel noticing the change (its polling), then the panel's steps
(hintcolor_live: waiting for the tick's other checks, reading the hint layer's changed part,
asking the worker: its computing, the transfers, waiting for GIMP's main loop, writing the live layer).

Targets (issue 18): network at 12 MP, later strokes <= 0.5 s and the first <= 0.8 s; propagation
<= 0.5 s at 1 MP and <= 1.0 s at 12 MP. The machine is shared: run it several times, say the load.
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
from gimp.live import STEPS, first_after, live_gimp, log_text, open_panel, pencil_click, preview_timings  # noqa: E402
from gimp.window import wait_for  # noqa: E402

GIMP = GIMPS[0]
WORK = "/tmp/hintcolor-bench-live"
ENGINES = {"network": "siggraph17", "propagation": "propagate"}  # as the worker's log names them


def measure(engine: str, megapixels: float, strokes: int, weights: Path | None) -> dict[str, list[float]]:
    """Seconds from each stroke's end to its preview and full-quality result shown, and the worker's
    time for each of those previews; the first stroke first."""
    side = round((megapixels * 1e6 / (4 / 3)) ** 0.5)
    with live_gimp(GIMP, WORK, weights, (round(side * 4 / 3), side)) as gimp:
        if engine == "network":
            open_panel(gimp)
        else:  # nothing painted yet: the propagation engine's first request is refused ("paint dots")
            open_panel(gimp, first_result=False)
            wait_for(lambda: "request: error" in log_text(gimp.host), 300, "the panel's request without dots")
        times: dict[str, list[float]] = {"preview": [], "full": [], "worker": [], "click (xdotool)": [],
                                         "click asked -> noticed": []}
        times.update({step: [] for step in STEPS[1:]})
        clicks = []
        for index in range(strokes):
            clicks.append(pencil_click(gimp, 640 + 40 * (index % 4), 360 + 50 * (index // 4)))
            for kind in ("preview", "full"):
                times[kind].append(first_after(gimp.host, kind, clicks[-1][1]))
        log = log_text(gimp.host)
        if f"({ENGINES[engine]})" not in log:
            raise SystemExit(f"the worker did not run the {engine} engine; its log:\n{log}")
        timings = preview_timings(gimp.host)
        for (asked, stroke), took in zip(clicks, times["preview"]):  # the preview each stroke's figure is of
            shown_at, computed, steps = next(t for t in timings if abs(t[0] - (stroke + took)) < 1e-3)
            times["worker"].append(computed)
            times["click (xdotool)"].append(stroke - asked)
            times["click asked -> noticed"].append(shown_at - steps["noticed"] - asked)
            for step in STEPS[1:]:
                times[step].append(steps[step])
        return times


def row(engine: str, megapixels: float, times: dict[str, list[float]]) -> str:
    """One line: the first stroke, then the later ones' median and worst."""
    first = f"{times['preview'][0]:5.2f} s ({times['worker'][0]:4.2f} s)   {times['full'][0]:5.2f} s"
    later = {kind: values[1:] for kind, values in times.items()}
    if not later["preview"]:
        return f"{engine:12} {megapixels:<5g} {first}"
    return (f"{engine:12} {megapixels:<5g} {first}      "
            f"{statistics.median(later['preview']):5.2f} s {max(later['preview']):5.2f} s "
            f"({statistics.median(later['worker']):4.2f} s)   "
            f"{statistics.median(later['full']):5.2f} s {max(later['full']):5.2f} s")


def breakdown(engine: str, megapixels: float, times: dict[str, list[float]]) -> str:
    """One line: where a later stroke's preview time goes, the median of each step (seconds)."""
    later = [name for name in times if name not in ("preview", "full")]
    return f"{engine:12} {megapixels:<5g} " + "  ".join(f"{statistics.median(times[name][1:] or times[name][:1]):5.3f}"
                                                         for name in later)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    parser.add_argument("--megapixels", type=float, nargs="+", default=[1, 12])
    parser.add_argument("--strokes", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        weights = _weights(Path(tmp)) if "network" in args.engines else None
        results = {(engine, mp): measure(engine, mp, args.strokes, weights if engine == "network" else None)
                   for engine in args.engines for mp in args.megapixels}
    print(f"GIMP 3.0.4 window, live panel, {args.strokes} pencil strokes per engine and size, stroke end -> live "
          f"layer written and displayed (full quality includes the 0.8 s pause); in brackets the worker's time "
          f"for the preview; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(f"{'engine':12} {'MP':5} first stroke: preview (worker)   full       later strokes: preview median worst "
          f"(worker)   full median worst")
    for (engine, mp), times in results.items():
        print(row(engine, mp, times))
    print("\nWhere a later stroke's preview time goes (median seconds; the first stroke's if there is only one):")
    print(f"{'engine':12} {'MP':5} " + " | ".join(name for name in next(iter(results.values())) if name not in ("preview", "full")))
    for (engine, mp), times in results.items():
        print(breakdown(engine, mp, times))


if __name__ == "__main__":
    main()
