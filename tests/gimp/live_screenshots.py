"""The README's screenshots of Colorize with Hints - Live, taken from GIMP's real window.

    sudo .venv/bin/python tests/gimp/live_screenshots.py

GIMP 3.0.4 under Xvfb in the chroot of build_gimp_env.sh; the photo is scikit-image's astronaut
(public domain, NASA) in black and white. The official weights cannot be downloaded where this was
written, so the worker runs the tests' weights in the official layout (hints pull colors toward
them; the class head suggests two colors): the colors away from the dots are not what the trained
network gives. Writes docs/live-panel.png (two dots painted in suggested colors, the panel beside
the canvas) and docs/live-applied.png (after Apply: one result layer).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import SUGGEST_PEAKS, head_weights_file, hint_echo_state_dict  # noqa: E402
from gimp.harness import GIMPS  # noqa: E402
from gimp.live import first_after, live_gimp, open_panel, pencil_dot, pick_suggestion, suggestions  # noqa: E402
from gimp.window import wait_for  # noqa: E402

WORK = "/tmp/hintcolor-shots"
DOCS = ROOT / "docs"
CROP = (500, 40, 1600, 840)  # the canvas (the photo at 100 %), the panel and the Layers dock
WIDTH = 880


def save(shot: Path, name: str) -> None:
    """The screenshot cropped, scaled to WIDTH and reduced to 256 colors (small PNG) into docs/."""
    image = Image.open(shot).convert("RGB").crop(CROP)
    image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.LANCZOS)
    DOCS.mkdir(exist_ok=True)
    image.quantize(256, dither=Image.Dither.NONE).save(DOCS / name, optimize=True)
    print(f"{DOCS / name}: {(DOCS / name).stat().st_size // 1024} KB")


def main() -> None:
    env = GIMPS[0]
    with tempfile.TemporaryDirectory() as tmp:
        weights = head_weights_file(Path(tmp), SUGGEST_PEAKS, hint_echo_state_dict(3))
        with live_gimp(env, WORK, weights) as gimp:
            host = gimp.host
            panel = open_panel(gimp)
            for x, y in ((770, 380), (600, 420)):  # the face, the flag
                picked = pick_suggestion(gimp, panel, max(len(suggestions(host)) - 1, 0))
                seen = len(suggestions(host))
                first_after(host, "full", pencil_dot(gimp, x, y))
                wait_for(lambda: len(suggestions(host)) > seen, 60, "suggestions for the dot")
                print(f"dot at ({x}, {y}) painted in {picked}")
            save(gimp.screenshot("live-panel.png"), "live-panel.png")
            gimp.x("xdotool", "windowactivate", "--sync", panel)
            gimp.x("xdotool", "key", "alt+a")
            wait_for(lambda: "3 layers" in gimp.title(gimp.image_window) and not gimp.find("Live$"), 60, "Apply")
            save(gimp.screenshot("live-applied.png"), "live-applied.png")


if __name__ == "__main__":
    main()
