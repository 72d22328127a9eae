"""The README's before/after picture: docs/astronaut-before-after.png.

    .venv/bin/python docs/before_after.py

What a new user gets from ``python3 install.py`` without the network's weights: scikit-image's
astronaut (public domain, NASA) made black and white as install.py makes it, colorized by
``hintcolor colorize`` with the hints of examples/astronaut_hints.json and the propagation engine
(the engine used when no weights are installed). Left: the black-and-white photo with the hints
drawn as the dots they are (squares of their size and color); right: the result. Both halves are
scaled to HALF pixels and the picture is reduced to 256 colors, so the PNG stays small.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw
from skimage import data

ROOT = Path(__file__).resolve().parents[1]
HINTS = ROOT / "examples" / "astronaut_hints.json"
OUTPUT = ROOT / "docs" / "astronaut-before-after.png"
HALF = 512  # side of each half, in pixels (the photo's own size: the dots stay as painted)
GAP = 8  # white pixels between the halves


def with_dots(gray: Image.Image, hints: list[dict]) -> Image.Image:
    """``gray`` in RGB with each hint painted as a square of its ``size`` and ``color``."""
    painted = gray.convert("RGB")
    draw = ImageDraw.Draw(painted)
    for hint in hints:
        half = hint.get("size", 1) / 2
        draw.rectangle((hint["x"] - half, hint["y"] - half, hint["x"] + half - 1, hint["y"] + half - 1),
                       fill=hint["color"])
    return painted


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        gray_path, result_path = Path(tmp) / "astronaut_bw.png", Path(tmp) / "astronaut_colorized.png"
        gray = Image.fromarray(data.astronaut()).convert("L")  # as install.py's example
        gray.save(gray_path)
        subprocess.run([sys.executable, "-m", "hintcolor", "colorize", str(gray_path), "-o", str(result_path),
                        "--hints", str(HINTS), "--engine", "propagate"], check=True, stdout=subprocess.DEVNULL)
        result = Image.open(result_path).convert("RGB")
    before = with_dots(gray, json.loads(HINTS.read_text())["hints"])
    picture = Image.new("RGB", (2 * HALF + GAP, HALF), "white")
    for i, half in enumerate((before, result)):
        picture.paste(half.resize((HALF, HALF), Image.LANCZOS), (i * (HALF + GAP), 0))
    picture.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(OUTPUT, optimize=True)
    print(f"{OUTPUT}: {OUTPUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
