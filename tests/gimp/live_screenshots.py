"""The screenshots of Colorize with Hints - Live in the README and docs/gimp.md, taken from GIMP's real window.

    flock /tmp/hintcolor-gimp.lock .venv/bin/python tests/gimp/live_screenshots.py   (as root)

What a new user sees after ``python3 install.py`` without the network's weights: GIMP 3.0.4 under
Xvfb in the chroot of build_gimp_env.sh, the photo scikit-image's astronaut (public domain, NASA)
in black and white, and the worker's automatic engine, which without weights is the propagation
engine (it refuses to run where weights are found). The user's steps, with the keyboard and the
mouse: open the panel, choose the pencil at 5 pixels, and for each dot pick its color in GIMP's
Change Foreground Color dialog (HTML notation) and click once on the photo. Writes
docs/live-panel.png (the dots painted, the panel beside the canvas) and docs/live-applied.png
(after Apply: one result layer).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from gimp.harness import GIMPS  # noqa: E402
from gimp.live import PANEL, first_after, live_gimp, log_text, pencil_dot  # noqa: E402
from gimp.window import GimpWindow, wait_for  # noqa: E402

WORK = "/tmp/hintcolor-shots"
DOCS = ROOT / "docs"
CROP = (500, 40, 1600, 840)  # the canvas (the photo at 100 %), the panel and the Layers dock
PHOTO_ORIGIN = (523, 255)  # the screen pixel of the photo's pixel (0, 0) in GIMP's window at 100 %
DEFAULT_BRUSH_SIZE = 51  # pixels: GIMP's default brush, "2. Hardness 050"
BRUSH_SIZE = 5  # pixels: the pencil's size for every dot
FOREGROUND_SWATCH = (86, 230)  # the toolbox's foreground color, in GIMP's default single-window layout
COLOR_DIALOG = "^Change Foreground Color$"
HTML_ENTRY, OK_BUTTON = (443, 284), (523, 382)  # in the color dialog, from the position xdotool reports
#: (x, y) on the photo and the color painted there: colors from examples/astronaut_hints.json
DOTS = [
    ((60, 160), "#760d1d"), ((20, 280), "#760d1d"),  # the flag's red stripes
    ((50, 120), "#b29f9b"),  # a white stripe
    ((330, 60), "#cdc4bd"), ((470, 180), "#cdc4bd"),  # the backdrop
    ((395, 150), "#e2dfe4"),  # the shuttle
    ((225, 120), "#deb69c"),  # the face
    ((175, 70), "#836c43"),  # the hair
    ((200, 450), "#d5613f"), ((330, 300), "#d5613f"),  # the suit
    ((380, 420), "#000000"),  # the helmet
]


def save(shot: Path, name: str) -> None:
    """The screenshot cropped and reduced to 256 colors (small PNG) into docs/, at the screen's own
    pixels (scaled down, the 5-pixel dots would blur away)."""
    image = Image.open(shot).convert("RGB").crop(CROP)
    DOCS.mkdir(exist_ok=True)
    image.quantize(256, dither=Image.Dither.NONE).save(DOCS / name, optimize=True)
    print(f"{DOCS / name}: {(DOCS / name).stat().st_size // 1024} KB")


def foreground(gimp: GimpWindow) -> str:
    """The toolbox's foreground color as the screen shows it, ``#rrggbb``."""
    pixel = Image.open(gimp.screenshot("foreground.png")).convert("RGB").getpixel(FOREGROUND_SWATCH)
    return "#%02x%02x%02x" % pixel


def choose_color(gimp: GimpWindow, color: str) -> None:
    """Make ``color`` GIMP's foreground color as a user does: click the toolbox's swatch, type the
    color into the dialog's HTML notation, Enter, OK; returns once the toolbox shows it."""
    if foreground(gimp) == color:
        return
    gimp.x("xdotool", "mousemove", "--sync", *map(str, FOREGROUND_SWATCH), "click", "1")
    dialog = wait_for(lambda: gimp.find(COLOR_DIALOG), 30, "the Change Foreground Color dialog")[0]
    gimp.x("xdotool", "windowactivate", "--sync", dialog)
    where = dict(line.split("=") for line in gimp.x("xdotool", "getwindowgeometry", "--shell", dialog).split())

    def at(offset: tuple[int, int]) -> tuple[str, str]:
        """Screen coordinates of ``offset`` in the dialog, as xdotool takes them."""
        return str(int(where["X"]) + offset[0]), str(int(where["Y"]) + offset[1])

    gimp.x("xdotool", "mousemove", "--sync", *at(HTML_ENTRY), "click", "--repeat", "3", "1")  # select the text
    gimp.type(color[1:])
    gimp.x("xdotool", "key", "Return")
    gimp.x("xdotool", "mousemove", "--sync", *at(OK_BUTTON), "click", "1")
    wait_for(lambda: not gimp.find(COLOR_DIALOG), 30, "the color dialog to close")
    wait_for(lambda: foreground(gimp) == color, 30, f"the foreground color {color}")


def main() -> None:
    weights = subprocess.run([sys.executable, "-m", "hintcolor", "weights", "path"], capture_output=True, text=True)
    if weights.returncode == 0:
        sys.exit(f"the network's weights are installed ({weights.stdout.strip()}): these screenshots show what a "
                 "user gets without them; move them aside and run again")
    with live_gimp(GIMPS[0], WORK, None) as gimp:
        gimp.action("Colorize with Hints - Live")
        panel = wait_for(lambda: gimp.find(PANEL), 60, "the live panel")[0]
        gimp.x("xdotool", "windowmove", "--sync", panel, "1180", "80")
        wait_for(lambda: "propagation engine needs at least one" in log_text(gimp.host), 120,
                 "the panel's first request (no dot yet)")
        gimp.key("n")  # the pencil, then its size down to BRUSH_SIZE, one pixel per key
        gimp.x("xdotool", "key", "--repeat", str(DEFAULT_BRUSH_SIZE - BRUSH_SIZE), "bracketleft")
        for (x, y), color in DOTS:
            choose_color(gimp, color)
            took = first_after(gimp.host, "full", pencil_dot(gimp, PHOTO_ORIGIN[0] + x, PHOTO_ORIGIN[1] + y))
            print(f"dot at ({x}, {y}) in {color}: full quality shown {took:.2f} s after the click")
        save(gimp.screenshot("live-panel.png"), "live-panel.png")
        gimp.x("xdotool", "windowactivate", "--sync", panel)
        gimp.x("xdotool", "key", "alt+a")
        wait_for(lambda: "3 layers" in gimp.title(gimp.image_window) and not gimp.find(PANEL), 60, "Apply")
        save(gimp.screenshot("live-applied.png"), "live-applied.png")


if __name__ == "__main__":
    main()
