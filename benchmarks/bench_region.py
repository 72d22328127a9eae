"""Region runs (Colorizer.region_array) against the whole-photo run, at 10–12 megapixels.

    .venv/bin/python benchmarks/bench_region.py [--photos 12] [--repeat 3] [--study] [--skip-enlarged]

Quality (propagation engine; the network is given only random test weights here, so it gives speed,
not quality): PSNR (dB) of the 8-bit RGB result against the truth inside the region only, for the
whole-photo run and the region run side by side (both keep the photo's own L*: the difference is
chroma). Two cases:

- enlarged: each Kodak photo of ../shared/data/photos (768×512 or 512×768) enlarged 5.5× (Pillow
  bicubic: 4224×2816, 11.9 MP) is the truth, its black-and-white version (Pillow "L") the input.
  60 hints at uniformly random positions (seed 0), each a 7×7 dot of the truth's mean color there.
  The region: 3 % of the photo's area, of its aspect ratio, where the truth's color varies most (on
  the 768×512 original). The enlarged photo has no detail the whole run's grid (1024 px long side)
  misses, so the region run cannot gain here. "+8" columns: with 8 more hints inside the region.
- mosaic: the 12 photos at their own resolution (portrait ones turned), with their mirror images
  and one upside down, as 5×5 tiles of 768×512 (3840×2560, 9.8 MP): detail 3.75× finer than the
  whole run's grid. 300 hints (seed 0, 5×5 dots; about 12 per tile). One region of 3 % of the mosaic
  (665×443) on each of the 12 photos' tiles, where their color varies most.

Times (median of --repeat rounds, each call once per round after a warm-up, interleaved; s) at 11.9 MP: the whole-photo run (colorize_array),
the region run as the worker does it (region_array: a coarse whole-photo run for the context, then
the box), and with an earlier result as its context (region_array base=), for both engines; the
network runs random weights in the official layout (tests/conftest.py).

--study: the region run's quality with the context from the whole-photo result itself (base=: the
full run), from a run on the engine's full grid without its full-resolution step, and (the
default) on the context grid (hintcolor.region.context_options); with other margins of context
(hintcolor.region.CONTEXT_MARGIN) and with none (only the hints in the box).
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
from PIL import Image
from skimage import color as skcolor
from timing import seconds

from hintcolor import Colorizer, Hint, region as regions

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = next(p for p in (ROOT.parent / "shared" / "data" / "photos", Path("/work/shared/data/photos")) if p.is_dir())
SCALE = 5.5
AREA = 0.03
HINTS, DOT = 60, 7  # the enlarged photos
MOSAIC_HINTS, MOSAIC_DOT = 300, 5
TILE = (768, 512)
GRID = (5, 5)
EXTRA = 8
MARGINS = (0.125, 0.5, 1.0)

Box = tuple[int, int, int, int]


@dataclasses.dataclass
class Case:
    """One photo to colorize: its truth (H×W×3 uint8), input (H×W uint8), hints, and the regions to compare."""

    name: str
    truth: np.ndarray
    gray: np.ndarray
    hints: list[Hint]
    dot: int
    regions: list[tuple[str, Box]]


def psnr(result: np.ndarray, truth: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((result.astype(float) - truth.astype(float)) ** 2)))


def busiest(rgb: np.ndarray, width: int, height: int) -> tuple[int, int]:
    """(x, y) of the ``width``×``height`` box of ``rgb`` (h×w×3 uint8) where its chroma varies most."""
    lab = skcolor.rgb2lab(rgb)
    detail = sum(np.hypot(*np.gradient(lab[:, :, c])) for c in (1, 2))
    sums = np.pad(detail, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    boxes = sums[height:, width:] - sums[:-height, width:] - sums[height:, :-width] + sums[:-height, :-width]
    y, x = np.unravel_index(np.argmax(boxes), boxes.shape)
    return int(x), int(y)


def dots(truth: np.ndarray, count: int, size: int, rng: np.random.Generator, box: Box | None = None) -> list[Hint]:
    """``count`` size×size hints of the truth's mean color at random positions (inside ``box`` if given)."""
    h, w = truth.shape[:2]
    x0, y0, bw, bh = box or (0, 0, w, h)
    half = size // 2
    xs = rng.integers(x0 + half, x0 + bw - half, count)
    ys = rng.integers(y0 + half, y0 + bh - half, count)
    colors = [truth[y - half : y + half + 1, x - half : x + half + 1].reshape(-1, 3).mean(0).round().astype(int)
              for x, y in zip(xs, ys)]
    return [Hint(int(x), int(y), tuple(int(v) for v in c), size) for x, y, c in zip(xs, ys, colors)]


def case(name: str, truth: np.ndarray, hints: int, dot: int, boxes: list[tuple[str, Box]]) -> Case:
    return Case(name, truth, np.asarray(Image.fromarray(truth).convert("L")),
                dots(truth, hints, dot, np.random.default_rng(0)), dot, boxes)


def enlarged(path: Path) -> Case:
    original = Image.open(path).convert("RGB")
    bw, bh = round(original.width * AREA**0.5), round(original.height * AREA**0.5)
    x, y = busiest(np.asarray(original), bw, bh)
    box = (round(x * SCALE), round(y * SCALE), round(bw * SCALE), round(bh * SCALE))
    truth = original.resize((round(original.width * SCALE), round(original.height * SCALE)), Image.BICUBIC)
    return case(path.stem, np.asarray(truth), HINTS, DOT, [(path.stem, box)])


def mosaic(photos: list[Path]) -> Case:
    """The photos at their own resolution (turned to landscape), their mirror images, and the first upside
    down, as GRID tiles of TILE; a region of AREA of the mosaic on each photo's own tile."""
    tiles = []
    for path in photos:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        tiles.append(rgb if rgb.shape[1] >= rgb.shape[0] else np.rot90(rgb))
    tiles += [tile[:, ::-1] for tile in tiles]
    tiles += [tile[::-1] for tile in tiles[: GRID[0] * GRID[1] - len(tiles)]]
    (tw, th), (columns, rows) = TILE, GRID
    truth = np.concatenate([np.concatenate(tiles[row * columns : (row + 1) * columns], 1) for row in range(rows)])
    bw, bh = round(truth.shape[1] * AREA**0.5), round(truth.shape[0] * AREA**0.5)
    boxes = []
    for index, path in enumerate(photos):
        left, top = index % columns * tw, index // columns * th
        x, y = busiest(truth[top : top + th, left : left + tw], bw, bh)
        boxes.append((path.stem, (left + x, top + y, bw, bh)))
    return case("mosaic", np.ascontiguousarray(truth), MOSAIC_HINTS, MOSAIC_DOT, boxes)


def inside(rgb: np.ndarray, box: Box) -> np.ndarray:
    return rgb[regions.pixels(box)]


@dataclasses.dataclass
class Column:
    """One number per region: ``run(colorizer, case, hints, box, whole result)`` → the region's pixels."""

    title: str
    run: Callable[[Colorizer, Case, list[Hint], Box, np.ndarray], np.ndarray]
    extra: bool = False  # with EXTRA more hints inside the region


def columns(study: bool) -> list[Column]:
    whole = Column("whole", lambda c, case, hints, box, result: inside(result, box))
    region = Column("region", lambda c, case, hints, box, result: c.region_array(case.gray, box, hints))
    chosen = [whole, region, dataclasses.replace(whole, title="+8:whole", extra=True),
              dataclasses.replace(region, title="+8:region", extra=True)]
    if not study:
        return chosen
    return chosen + [
        Column("ctx=run", lambda c, case, hints, box, result: c.region_array(case.gray, box, hints, base=result)),
        Column("ctx=grid", lambda c, case, hints, box, result: full_grid_context(c, case.gray, box, hints)),
        *(Column(f"m={m:g}", lambda c, case, hints, box, result, m=m: with_margin(c, case.gray, box, hints, m))
          for m in MARGINS),
        Column("no ctx", lambda c, case, hints, box, result: without_context(c, case.gray, box, hints, result)),
    ]


def quality(colorizer: Colorizer, cases: Iterator[Case], study: bool) -> None:
    chosen = columns(study)
    head = f"{'case':8} {'region':8} {'box (x,y,w,h)':24} " + " ".join(f"{c.title:>9}" for c in chosen)
    print(f"PSNR (dB, 8-bit RGB, inside the region) against the truth, propagation engine:\n{head}")
    rows = []
    for each in cases:
        rng = np.random.default_rng(1)
        whole = colorizer.colorize_array(each.gray, each.hints)
        for label, box in each.regions:
            more = each.hints + dots(each.truth, EXTRA, each.dot, rng, box)
            results = {False: (each.hints, whole), True: (more, colorizer.colorize_array(each.gray, more))}
            row = []
            for column in chosen:
                hints, result = results[column.extra]
                row.append(psnr(column.run(colorizer, each, hints, box, result), inside(each.truth, box)))
            rows.append(row)
            print(f"{each.name:8} {label:8} {','.join(map(str, box)):24} " + " ".join(f"{v:>9.2f}" for v in row), flush=True)
    medians = [statistics.median(column) for column in zip(*rows)]
    print(f"{'median':42}" + " ".join(f"{v:>9.2f}" for v in medians))
    gains = [r[1] - r[0] for r in rows]
    print(f"region − whole: median {statistics.median(gains):+.2f} dB, worst {min(gains):+.2f}, best {max(gains):+.2f}; "
          f"with {EXTRA} more hints in the region: median {statistics.median(r[3] - r[2] for r in rows):+.2f} dB")


def full_grid_context(colorizer: Colorizer, gray: np.ndarray, box: Box, hints: list[Hint]) -> np.ndarray:
    """The region run with its context from a coarse run on the engine's full grid (not its preview grid)."""
    saved = regions.context_options
    regions.context_options = lambda options: options
    try:
        return colorizer.region_array(gray, box, hints)
    finally:
        regions.context_options = saved


def with_margin(colorizer: Colorizer, gray: np.ndarray, box: Box, hints: list[Hint], margin: float) -> np.ndarray:
    saved = regions.CONTEXT_MARGIN
    regions.CONTEXT_MARGIN = margin
    try:
        return colorizer.region_array(gray, box, hints)
    finally:
        regions.CONTEXT_MARGIN = saved


def without_context(colorizer: Colorizer, gray: np.ndarray, box: Box, hints: list[Hint], whole: np.ndarray) -> np.ndarray:
    """The region run with nothing known around the box (the context box is the box itself)."""
    saved = regions.context_box
    regions.context_box = lambda inner, width, height: inner
    try:
        return colorizer.region_array(gray, box, hints, base=whole)
    finally:
        regions.context_box = saved


def speed(photo: Path, repeat: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import random_state_dict

    each = enlarged(photo)
    gray, hints, (_, box) = each.gray, each.hints, each.regions[0]
    with tempfile.TemporaryDirectory() as folder:
        weights = Path(folder) / "random.pth"
        torch.save(random_state_dict(), weights)
        engines = {"propagate": Colorizer(engine="propagate"), "siggraph17 (random weights)":
                   Colorizer(weights, engine="siggraph17", device="cpu")}
        print(f"\ntimes at {gray.shape[1]}×{gray.shape[0]}, region {box[2]}×{box[3]}, median of {repeat} (s):")
        print(f"{'engine':28} {'whole run':>10} {'region run':>11} {'region/whole':>13} {'region, base=':>14}")
        for name, colorizer in engines.items():
            whole = colorizer.colorize_array(gray, hints)
            calls = [lambda: colorizer.colorize_array(gray, hints), lambda: colorizer.region_array(gray, box, hints),
                     lambda: colorizer.region_array(gray, box, hints, base=whole)]
            calls[1]()  # warm-up (the whole run's was the base)
            rounds = [[seconds(call) for call in calls] for _ in range(repeat)]  # interleaved: the load drifts
            times = [statistics.median(column) for column in zip(*rounds)]
            ratio = statistics.median(region / whole for whole, region, _ in rounds)
            print(f"{name:28} {times[0]:>10.2f} {times[1]:>11.2f} {ratio:>13.2f} {times[2]:>14.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=12, help="how many of the photos (default all 12)")
    parser.add_argument("--repeat", type=int, default=7, help="rounds of timing (median)")
    parser.add_argument("--study", action="store_true", help="also other contexts, other margins, and none")
    parser.add_argument("--skip-enlarged", action="store_true", help="only the mosaic and the times")
    args = parser.parse_args()
    photos = sorted(PHOTOS.glob("*.png"))[: args.photos]
    print(f"torch threads {torch.get_num_threads()}; load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
    colorizer = Colorizer(engine="propagate")
    print("\nmosaic (detail beyond the whole run's grid):")
    quality(colorizer, iter([mosaic(photos)]), args.study)
    if not args.skip_enlarged:
        print("\nenlarged 5.5× (no detail beyond the whole run's grid):")
        quality(colorizer, (enlarged(path) for path in photos), args.study)
    speed(photos[-1], args.repeat)
    print(f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
