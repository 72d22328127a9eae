"""Region runs (Colorizer.region_array) against the whole-photo run, at 12 megapixels.

    .venv/bin/python benchmarks/bench_region.py [--photos 12] [--repeat 3] [--study]

Protocol: each Kodak photo of ../shared/data/photos (768×512 or 512×768) enlarged 5.5× (Pillow
bicubic: 4224×2816, 11.9 MP) is the truth; its black-and-white version (Pillow "L") the input.
60 hints at uniformly random positions (seed 0), each a 7×7 dot of the truth's mean color there.
The region: 3 % of the photo's area, of the photo's aspect ratio, where the truth's color varies
most (the box with the largest sum of chroma-gradient magnitude, searched on the 768×512 original;
fixed per photo). Quality: PSNR (dB) of the 8-bit RGB result against the truth, inside the region
only, for the whole-photo run and the region run (propagation engine; the network is given only
random test weights here, so it gives speed, not quality). "+8 in box": the same with 8 more hints
at random positions inside the region (someone who selects a face and paints a few dots there).

Times (median of --repeat runs, s): the whole-photo run (colorize_array), and the region run as the
worker does it (region_array: a whole-photo engine run for the context, then the box) and with an
earlier result as its context (region_array base=), for both engines; the network runs random
weights in the official layout (tests/conftest.py).

--study: the region run's quality with other margins of context (hintcolor.region.CONTEXT_MARGIN)
and with no context at all (only the hints in the box), each from the whole-photo result (base=).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage import color as skcolor

from hintcolor import Colorizer, Hint, region as regions

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = next(p for p in (ROOT.parent / "shared" / "data" / "photos", Path("/work/shared/data/photos")) if p.is_dir())
SCALE = 5.5
HINTS = 60
EXTRA = 8
DOT = 7
AREA = 0.03


def psnr(result: np.ndarray, truth: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((result.astype(float) - truth.astype(float)) ** 2)))


def detailed_box(original: Image.Image, scale: float) -> tuple[int, int, int, int]:
    """The region of a photo: AREA of it, of its aspect ratio, where its chroma varies most (on ``original``), scaled."""
    lab = skcolor.rgb2lab(np.asarray(original))
    detail = sum(np.hypot(*np.gradient(lab[:, :, c])) for c in (1, 2))
    h, w = detail.shape
    bw, bh = round(w * AREA**0.5), round(h * AREA**0.5)
    sums = np.pad(detail, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    boxes = sums[bh:, bw:] - sums[:-bh, bw:] - sums[bh:, :-bw] + sums[:-bh, :-bw]
    y, x = np.unravel_index(np.argmax(boxes), boxes.shape)
    return round(x * scale), round(y * scale), round(bw * scale), round(bh * scale)


def dots(truth: np.ndarray, count: int, rng: np.random.Generator, box: tuple[int, int, int, int] | None = None) -> list[Hint]:
    """``count`` DOT×DOT hints of the truth's mean color at random positions (inside ``box`` if given)."""
    h, w = truth.shape[:2]
    x0, y0, bw, bh = box or (0, 0, w, h)
    half = DOT // 2
    xs = rng.integers(x0 + half, x0 + bw - half, count)
    ys = rng.integers(y0 + half, y0 + bh - half, count)
    colors = [truth[y - half : y + half + 1, x - half : x + half + 1].reshape(-1, 3).mean(0).round().astype(int)
              for x, y in zip(xs, ys)]
    return [Hint(int(x), int(y), tuple(int(v) for v in c), DOT) for x, y, c in zip(xs, ys, colors)]


def load(name: Path) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    original = Image.open(name).convert("RGB")
    size = (round(original.width * SCALE), round(original.height * SCALE))
    truth = original.resize(size, Image.BICUBIC)
    return np.asarray(truth), np.asarray(truth.convert("L")), detailed_box(original, SCALE)


def inside(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    return rgb[regions.pixels(box)]


def quality(colorizer: Colorizer, photos: list[Path], study: bool) -> None:
    margins = (0.125, 0.25, 0.5, 1.0)
    head = f"{'photo':8} {'region (x,y,w,h)':24} {'whole':>6} {'region':>6} {'+8:whole':>8} {'+8:region':>9}"
    if study:
        head += " " + " ".join(f"{'m=' + format(m, 'g'):>7}" for m in margins) + f" {'no ctx':>7}"
    print(head)
    rows = []
    for path in photos:
        truth, gray, box = load(path)
        rng = np.random.default_rng(0)
        hints = dots(truth, HINTS, rng)
        more = hints + dots(truth, EXTRA, rng, box)
        row = []
        for given in (hints, more):
            whole = colorizer.colorize_array(gray, given)
            part = colorizer.region_array(gray, box, given)
            row += [psnr(inside(whole, box), inside(truth, box)), psnr(part, inside(truth, box))]
        if study:
            whole = colorizer.colorize_array(gray, hints)
            row += [psnr(with_margin(colorizer, gray, box, hints, whole, m), inside(truth, box)) for m in margins]
            row.append(psnr(without_context(colorizer, gray, box, hints, whole), inside(truth, box)))
        rows.append(row)
        print(f"{path.stem:8} {','.join(map(str, box)):24} " + " ".join(f"{v:>{len(c)}.2f}" for v, c in
                                                                        zip(row, head.split()[2:])), flush=True)
    medians = [statistics.median(column) for column in zip(*rows)]
    print(f"{'median':8} {'':24} " + " ".join(f"{v:>{len(c)}.2f}" for v, c in zip(medians, head.split()[2:])))
    gains = [r[1] - r[0] for r in rows]
    print(f"region − whole (60 hints): median {statistics.median(gains):+.2f} dB, worst {min(gains):+.2f}, best {max(gains):+.2f}")


def with_margin(colorizer: Colorizer, gray, box, hints, whole, margin: float) -> np.ndarray:
    saved = regions.CONTEXT_MARGIN
    regions.CONTEXT_MARGIN = margin
    try:
        return colorizer.region_array(gray, box, hints, base=whole)
    finally:
        regions.CONTEXT_MARGIN = saved


def without_context(colorizer: Colorizer, gray, box, hints, whole) -> np.ndarray:
    """The region run with nothing known around the box (the context box is the box itself)."""
    saved = regions.context_box
    regions.context_box = lambda inner, width, height: inner
    try:
        return colorizer.region_array(gray, box, hints, base=whole)
    finally:
        regions.context_box = saved


def median_time(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def speed(photo: Path, repeat: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import random_state_dict

    truth, gray, box = load(photo)
    hints = dots(truth, HINTS, np.random.default_rng(0))
    with tempfile.TemporaryDirectory() as folder:
        weights = Path(folder) / "random.pth"
        torch.save(random_state_dict(), weights)
        engines = {"propagate": Colorizer(engine="propagate"), "siggraph17 (random weights)":
                   Colorizer(weights, engine="siggraph17", device="cpu")}
        print(f"\ntimes at {gray.shape[1]}×{gray.shape[0]}, region {box[2]}×{box[3]}, median of {repeat} (s):")
        print(f"{'engine':28} {'whole run':>10} {'region run':>11} {'region, base=':>14}")
        for name, colorizer in engines.items():
            whole = colorizer.colorize_array(gray, hints)  # warm up, and the base
            times = [median_time(lambda: colorizer.colorize_array(gray, hints), repeat),
                     median_time(lambda: colorizer.region_array(gray, box, hints), repeat),
                     median_time(lambda: colorizer.region_array(gray, box, hints, base=whole), repeat)]
            print(f"{name:28} {times[0]:>10.2f} {times[1]:>11.2f} {times[2]:>14.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=12, help="how many of the photos (default all 12)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per time (median)")
    parser.add_argument("--study", action="store_true", help="also other margins of context, and none")
    args = parser.parse_args()
    photos = sorted(PHOTOS.glob("*.png"))[: args.photos]
    print(f"torch threads {torch.get_num_threads()}; load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
    quality(Colorizer(engine="propagate"), photos, args.study)
    speed(photos[-1], args.repeat)


if __name__ == "__main__":
    main()
