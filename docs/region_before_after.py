"""The README's picture of a detail run: docs/astronaut-region.png.

    .venv/bin/python docs/region_before_after.py

What a user without the network's weights (the propagation engine) gets when they select a small
part and paint a few more dots in it: scikit-image's astronaut (public domain, NASA) in black and
white, colorized with the hints of examples/astronaut_hints.json. Left: that result around the
mission patch, with a feathered ellipse selection (drawn as its outline) and six new dots of the
patch's own colors; right: the same after ``Colorizer.colorize(..., region=, mask=, base=)`` with
the new dots — the selection colorized in detail, blended in through its soft mask, everything
outside it exactly as it was. Both crops are enlarged ZOOM times (nearest neighbour).
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw
from skimage import data

from hintcolor import Colorizer, Hint, load_hints

OUTPUT = __import__("pathlib").Path(__file__).resolve().parent / "astronaut-region.png"
HINTS = OUTPUT.parents[1] / "examples" / "astronaut_hints.json"
CENTER, RADII, FEATHER = (170, 385), (44, 42), 6  # the mission patch, an ellipse selection, feathered
NEW_DOTS = ((138, 385), (201, 378), (170, 352), (168, 365), (176, 404), (153, 372))
CROP, ZOOM, GAP, DOT = 128, 3, 8, 3


def ellipse_mask(shape: tuple[int, int]) -> np.ndarray:
    """A selection as GIMP's Ellipse Select with feathering makes it: 1 inside, 0 outside, a ramp of
    FEATHER pixels at the edge (float32, ``shape``)."""
    y, x = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    distance = np.hypot((x - CENTER[0]) / RADII[0], (y - CENTER[1]) / RADII[1])
    return np.clip((1 - distance) * min(RADII) / FEATHER + 0.5, 0, 1)


def crop(rgb: np.ndarray, outline: bool, dots: list[Hint]) -> Image.Image:
    """The CROP×CROP square around the patch, enlarged ZOOM times; with the selection's outline
    and the new dots if ``outline``."""
    left, top = CENTER[0] - CROP // 2, CENTER[1] - CROP // 2
    picture = Image.fromarray(rgb[top : top + CROP, left : left + CROP]).resize((CROP * ZOOM,) * 2, Image.NEAREST)
    if outline:
        draw = ImageDraw.Draw(picture)
        box = [(CENTER[i % 2] - RADII[i % 2] - (left, top)[i % 2]) * ZOOM for i in range(2)]
        box += [(CENTER[i % 2] + RADII[i % 2] - (left, top)[i % 2]) * ZOOM for i in range(2)]
        draw.ellipse(box, outline="#ffff00", width=2)
        for dot in dots:
            x, y = (dot.x - left) * ZOOM, (dot.y - top) * ZOOM
            draw.rectangle((x - DOT * ZOOM / 2, y - DOT * ZOOM / 2, x + DOT * ZOOM / 2, y + DOT * ZOOM / 2), fill=dot.color,
                           outline="black")
    return picture


def main() -> None:
    truth = data.astronaut()
    gray = np.asarray(Image.fromarray(truth).convert("L"))
    hints = load_hints(HINTS)[0]
    new = [Hint(x, y, "#%02x%02x%02x" % tuple(truth[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3).mean(0).astype(int)), DOT)
           for x, y in NEW_DOTS]
    colorizer = Colorizer(engine="propagate")
    before = colorizer.colorize_array(gray, hints)
    mask = ellipse_mask(gray.shape)
    rows, cols = np.nonzero(mask)
    region = (int(cols.min()), int(rows.min()), int(cols.max() - cols.min() + 1), int(rows.max() - rows.min() + 1))
    after = colorizer.colorize_array(gray, hints + new, region=region, mask=mask, base=before)
    assert np.array_equal(after[mask == 0], before[mask == 0]), "outside the selection nothing may change"
    halves = crop(before, True, new), crop(after, False, new)
    picture = Image.new("RGB", (2 * CROP * ZOOM + GAP, CROP * ZOOM), "white")
    for i, half in enumerate(halves):
        picture.paste(half, (i * (CROP * ZOOM + GAP), 0))
    picture.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(OUTPUT, optimize=True)
    print(f"{OUTPUT}: {OUTPUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
