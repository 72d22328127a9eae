"""Propagation engine benchmark: quality and speed against a straightforward Levin et al. 2004.

    .venv/bin/python benchmarks/bench_propagate.py [--photos 12] [--megapixels 12]

Protocol: each Kodak photo of ../shared/data/photos at its native size (768×512), made black and
white; N hint points at uniformly random positions (seed 0), each a 3×3 hint of the photo's own
mean color there; PSNR (dB) of the 8-bit RGB result against the original color photo, averaged
over the photos. Columns:

- gray: the black-and-white photo itself (the floor);
- Levin exact: the straightforward 2004 method: 3×3 neighbourhood, intensity-variance weights,
  one exact sparse solve (scipy's SuperLU) at full resolution;
- hintcolor: ``Colorizer(engine="propagate")`` (coarse-to-fine, see hintcolor/engines/propagation.py);
- hintcolor ½: the same solved at half size (max side 384) and brought to full size by the guided
  filter: what solving at reduced size costs.

Both use the same weights and hints in CIE Lab (the paper used YIQ); only the solver differs.
Times are for the whole colorize call (L*, solve, upsampling, conversion to 8-bit RGB).
Then a 12-megapixel photo with 50 hints: ``hintcolor colorize --engine propagate`` as a whole
program (file in, PNG out): wall time and peak RSS.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage import color as skcolor

from hintcolor import AB, Colorizer, Hint, save_hints
from hintcolor.engines import propagation as engine
from hintcolor.hints import encode_hints

PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "photos"
COUNTS = (10, 50, 200)


def photo_hints(lab: np.ndarray, count: int, seed: int = 0) -> list[Hint]:
    rng = np.random.default_rng(seed)
    h, w = lab.shape[:2]
    return [Hint(int(x), int(y), AB(*lab[y - 1 : y + 2, x - 1 : x + 2, 1:].reshape(-1, 2).mean(0).tolist()), size=3)
            for x, y in zip(rng.integers(1, w - 1, count), rng.integers(1, h - 1, count))]


def psnr(result: np.ndarray, truth: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((result.astype(float) - truth.astype(float)) ** 2)))


def to_rgb8(l: np.ndarray, ab: np.ndarray) -> np.ndarray:
    return np.round(skcolor.lab2rgb(np.dstack([l, ab])) * 255)


def levin_exact(lab: np.ndarray, hints: list[Hint]) -> np.ndarray:
    l = torch.from_numpy(lab[:, :, 0]).float()
    h, w = l.shape
    ab, mask = encode_hints(hints, (w, h), (w, h))
    return to_rgb8(lab[:, :, 0], engine.solve_exact(engine.affinities(l), ab, mask).numpy().transpose(1, 2, 0))


def quality(photos: list[Path]) -> None:
    colorizer = Colorizer(engine="propagate")
    rows = {n: {"gray": [], "exact": [], "ours": [], "half": [], "t_exact": [], "t_ours": [], "mp": []} for n in COUNTS}
    for path in photos:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        lab = skcolor.rgb2lab(rgb / 255)
        gray = Image.fromarray(rgb).convert("L")
        for n in COUNTS:
            hints, row = photo_hints(lab, n), rows[n]
            row["gray"].append(psnr(np.asarray(gray.convert("RGB")), rgb))
            start = time.perf_counter()
            row["exact"].append(psnr(levin_exact(lab, hints), rgb))
            row["t_exact"].append(time.perf_counter() - start)
            start = time.perf_counter()
            row["ours"].append(psnr(np.asarray(colorizer.colorize(gray, hints)), rgb))
            row["t_ours"].append(time.perf_counter() - start)
            row["mp"].append(rgb.shape[0] * rgb.shape[1] / 1e6)
            original, engine.MAX_SOLVE_SIDE = engine.MAX_SOLVE_SIDE, 384
            try:
                row["half"].append(psnr(np.asarray(colorizer.colorize(gray, hints)), rgb))
            finally:
                engine.MAX_SOLVE_SIDE = original
        print(f"  {path.name} done", file=sys.stderr)
    print(f"PSNR (dB), mean of {len(photos)} Kodak photos at native size; time per megapixel (s/MP)")
    print(f"{'N':>4} {'gray':>7} {'Levin exact':>12} {'hintcolor':>10} {'hintcolor ½':>12}   {'exact s/MP':>10} {'ours s/MP':>10}")
    for n, row in rows.items():
        mp = sum(row["mp"])
        print(f"{n:>4} {np.mean(row['gray']):7.2f} {np.mean(row['exact']):12.2f} {np.mean(row['ours']):10.2f} "
              f"{np.mean(row['half']):12.2f}   {sum(row['t_exact']) / mp:10.2f} {sum(row['t_ours']) / mp:10.3f}")


def large(megapixels: float) -> None:
    source = Image.open(PHOTOS / "kodim05.png").convert("RGB")
    scale = (megapixels * 1e6 / (source.width * source.height)) ** 0.5
    big = source.resize((round(source.width * scale), round(source.height * scale)), Image.BICUBIC)
    lab = skcolor.rgb2lab(np.asarray(source) / 255)
    hints = [hint.scaled(scale, scale) for hint in photo_hints(lab, 50)]
    with tempfile.TemporaryDirectory() as tmp:
        photo, hint_file, out = Path(tmp, "photo.jpg"), Path(tmp, "hints.json"), Path(tmp, "out.png")
        big.convert("L").save(photo, quality=92)
        save_hints(hint_file, hints, big.size)
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "hintcolor", "colorize", str(photo), "-o", str(out),
                                    "--hints", str(hint_file), "--engine", "propagate"],
                                   stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if status:
            raise SystemExit("hintcolor colorize failed")
        in_process = Colorizer(engine="propagate")
        gray = Image.open(photo)
        gray.load()
        start = time.perf_counter()
        in_process.colorize(gray, hints)
        call = time.perf_counter() - start
    print(f"{big.width}×{big.height} ({big.width * big.height / 1e6:.1f} MP), 50 hints, --engine propagate: "
          f"whole program {elapsed:.2f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MB; colorize call {call:.2f} s "
          f"({call / (big.width * big.height / 1e6):.2f} s/MP)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=12, help="how many of the Kodak photos (default all 12)")
    parser.add_argument("--megapixels", type=float, default=12)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    large(args.megapixels)  # first: a child forked from a big parent would report the parent's RSS
    quality(sorted(PHOTOS.glob("kodim*.png"))[: args.photos])


if __name__ == "__main__":
    main()
