"""Driving Colorize with Hints - Live in GIMP's real window, as a user does: shared by
tests/test_gimp_live.py, benchmarks/bench_live.py and tests/gimp/live_screenshots.py.

The panel writes a line into the worker's log each time it has shown a result ("live: preview
shown at T", T from time.time()), suggestions ("live: suggestions #rrggbb ...") or new advice
("live: says ..."): what is waited for here.
"""
from __future__ import annotations

import contextlib
import re
import subprocess
import time
from pathlib import Path
from typing import Iterator

import numpy as np
import skimage.color
import skimage.data
from PIL import Image

from .harness import GimpEnv, worker_for
from .window import GimpWindow, wait_for

PANEL = "^Colorize with Hints - Live$"
#: Loads WORK/photo.png (a black-and-white photo) and saves it as WORK/photo.xcf, in batch GIMP.
MAKE_XCF = '''
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path("%(work)s/photo.png"))
Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path("%(work)s/photo.xcf"), None)
'''


def astronaut(size: tuple[int, int] | None = None) -> Image.Image:
    """scikit-image's astronaut (public domain, NASA) in black and white, resized to ``size``."""
    gray = Image.fromarray((skimage.color.rgb2gray(skimage.data.astronaut()) * 255).round().astype(np.uint8))
    return gray.resize(size, Image.BICUBIC) if size else gray


@contextlib.contextmanager
def live_gimp(env: GimpEnv, work: str, weights: Path | None, size: tuple[int, int] | None = None) -> Iterator[GimpWindow]:
    """GIMP's window with ``work``/photo.xcf (:func:`astronaut` at ``size``) open and a worker with
    ``weights`` (as ``gimp.worker``); both stopped afterwards."""
    host = env.prepare(work)
    astronaut(size).save(host / "photo.png", compress_level=1)
    subprocess.run(env.console_command(work), input=MAKE_XCF % {"work": work}, text=True, capture_output=True,
                   timeout=600, check=True)
    gimp = GimpWindow(env, work)
    with worker_for(gimp, host, weights):
        try:
            gimp.start(f"{work}/photo.xcf")
            yield gimp
        finally:
            gimp.stop()


def log_text(host: Path) -> str:
    return (host / "state" / "worker.log").read_text()


def shown(host: Path, kind: str) -> list[float]:
    """Times (time.time()) at which the panel showed a ``kind`` ("preview" / "full") result."""
    return [float(t) for t in re.findall(rf"live: {kind} shown at ([0-9.]+)", log_text(host))]


def said(host: Path) -> list[str]:
    """What the panel said about the hint layer and the selection (its advice lines), each time it changed."""
    return re.findall(r"live: says (.*)", log_text(host))


def suggestions(host: Path) -> list[list[str]]:
    """The colors of each set of suggestions the panel showed, in order."""
    return [line.split() for line in re.findall(r"live: suggestions (.*)", log_text(host))]


def open_panel(gimp: GimpWindow, first_result: bool = True) -> str:
    """Open the panel from the action search, move it beside the canvas, wait for its first full-quality
    result (unless not ``first_result``: the propagation engine has none before a dot is painted)."""
    fulls = len(shown(gimp.host, "full"))
    gimp.action("Colorize with Hints - Live")
    panel = wait_for(lambda: gimp.find(PANEL), 60, "the live panel")[0]
    gimp.x("xdotool", "windowmove", "--sync", panel, "1180", "80")
    if first_result:
        wait_for(lambda: len(shown(gimp.host, "full")) > fulls, 300, "the first full-quality result")
    return panel


def pencil_dot(gimp: GimpWindow, x: int, y: int) -> float:
    """A click with the pencil at screen (x, y) in the image window; returns when the stroke ended."""
    return pencil_click(gimp, x, y)[1]


def pencil_click(gimp: GimpWindow, x: int, y: int) -> tuple[float, float]:
    """:func:`pencil_dot`, returning when xdotool was asked to click and when it returned (time.time()):
    the button went down and up in between."""
    gimp.key("n")  # the pencil
    gimp.x("xdotool", "mousemove", "--sync", str(x), str(y))
    asked = time.time()
    gimp.x("xdotool", "click", "1")
    return asked, time.time()


def pick_suggestion(gimp: GimpWindow, panel: str, seen: int) -> str:
    """Wait for suggestions newer than the ``seen`` first ones and pick the most likely (space on the
    first swatch, which has the panel's focus); returns its color."""
    wait_for(lambda: len(suggestions(gimp.host)) > seen, 60, "suggestions")
    gimp.x("xdotool", "windowactivate", "--sync", panel)
    gimp.x("xdotool", "key", "space")
    return suggestions(gimp.host)[-1][0]


def first_after(host: Path, kind: str, start: float, timeout: float = 120) -> float:
    """Seconds from ``start`` to the first ``kind`` result shown after it (waited for)."""
    return wait_for(lambda: next((t - start for t in shown(host, kind) if t > start), None), timeout,
                    f"the {kind} result")


STEPS = ("noticed", "waited", "read the hints in", "asked the worker", "waited for GIMP", "wrote the layer in")


def preview_timings(host: Path) -> list[tuple[float, float, dict[str, float]]]:
    """(time shown, seconds the worker computed it, the panel's steps: seconds each of :data:`STEPS`,
    "noticed" being how long before it was shown the panel noticed the change) of each preview shown."""
    timings, computed = [], None
    for line in log_text(host).splitlines():
        done = re.search(r"done in ([0-9.]+) s", line)
        shown_at = re.search(r"live: preview shown at ([0-9.]+) \((.*)\)", line)
        if done:
            computed = float(done.group(1))
        elif shown_at:
            steps = {step: float(re.search(rf"{step} ([0-9.]+) s", shown_at.group(2)).group(1)) for step in STEPS}
            timings.append((float(shown_at.group(1)), computed, steps))
    return timings
